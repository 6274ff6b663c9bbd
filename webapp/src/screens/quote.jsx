import { money } from "../format.js";

export function QuoteTable({ quote, caption = "Price" }) {
  return (
    <table class="quote" aria-label={caption}>
      <caption>{caption}</caption>
      <thead><tr><th scope="col">Item</th><th scope="col" class="num">Qty</th><th scope="col" class="num">Each</th><th scope="col" class="num">Amount</th></tr></thead>
      <tbody>
        {quote.lines.map((l) => (
          <tr key={l.code}><td>{l.description}</td><td class="num">{l.quantity}</td><td class="num">{money(l.unitAmount)}</td><td class="num">{money(l.amount)}</td></tr>
        ))}
      </tbody>
      <tfoot>
        <tr><th scope="row" colSpan={3}>Total</th><td class="num total">{money(quote.total)}</td></tr>
        <tr><td colSpan={4} class="hint">Ready within {quote.turnaroundHours} hours of payment.</td></tr>
      </tfoot>
    </table>
  );
}
