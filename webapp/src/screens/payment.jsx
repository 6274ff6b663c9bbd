import { useEffect, useRef, useState } from "preact/hooks";
import { gql, mutate, getConfig, getToken } from "../api.js";
import { Alert, useApp, useLoad, errorText } from "../ui.jsx";
import { money } from "../format.js";

let stripeLoading = null;
/** Stripe.js from the configured URL (the only third-party script the app loads). */
function loadStripe(conf) {
  if (!stripeLoading) {
    stripeLoading = new Promise((resolve, reject) => {
      const s = document.createElement("script");
      s.src = conf.jsUrl;
      s.onload = () => resolve(window.Stripe(conf.publishableKey));
      s.onerror = () => { stripeLoading = null; reject(new Error("Stripe could not be loaded.")); };
      document.head.appendChild(s);
    });
  }
  return stripeLoading;
}

export function PaymentPanel({ order, onPaid }) {
  const config = getConfig() || {};
  const stripe = config.stripe || null;
  return (
    <section class="card payment" aria-labelledby="payment-h">
      <h2 id="payment-h">Payment</h2>
      <p>Total to pay: <strong>{money(order.quote.total)}</strong></p>
      {stripe && <SavedCardPay order={order} onPaid={onPaid} stripeConf={stripe} />}
      {stripe && <CardPay order={order} onPaid={onPaid} stripeConf={stripe} />}
      {config.paypal && <PaypalPay order={order} onPaid={onPaid} />}
      {!stripe && !config.paypal && <p>No payment method is configured on this Pixport.</p>}
    </section>
  );
}

function SavedCardPay({ order, onPaid, stripeConf }) {
  const { notify } = useApp();
  const cards = useLoad(() => gql("SavedCards"), []);
  const [chosen, setChosen] = useState(null);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const list = cards.data ? cards.data.savedCards : [];
  if (!list.length) return null;
  const card = list.find((c) => c.id === chosen) || list[0];

  const pay = async (event) => {
    event.preventDefault();
    setBusy(true); setError("");
    try {
      const p = await mutate("PaymentSavedCardCharge", { orderId: order.id, savedCardId: card.id }, "paymentSavedCardCharge");
      if (p.errors.length) { setError(errorText(p.errors)); return; }
      if (p.requiresAction) {
        if (stripeConf.mode !== "elements") { setError("Your bank asks you to confirm this card: pay by card below instead."); return; }
        const stripe = await loadStripe(stripeConf);
        const result = await stripe.confirmCardPayment(p.clientSecret);
        if (result.error) { setError(result.error.message); return; }
      }
      notify("Payment received. The order goes to production.");
      onPaid();
    } catch (e) { setError(e.message); } finally { setBusy(false); }
  };

  return (
    <form class="pay-saved" aria-label="Pay with a saved card" onSubmit={pay}>
      <fieldset>
        <legend>Saved cards</legend>
        {list.map((c) => (
          <div class="check" key={c.id}>
            <input type="radio" name="saved-card" id={`card-${c.id}`} checked={card.id === c.id} onChange={() => setChosen(c.id)} />
            <label for={`card-${c.id}`}>{cardName(c)}</label>
            <small class="hint"> expires {String(c.expMonth).padStart(2, "0")}/{c.expYear}</small>
          </div>
        ))}
      </fieldset>
      <Alert message={error} />
      <button type="submit" class="primary" disabled={busy}>Pay with saved card</button>
    </form>
  );
}

export function cardName(c) {
  const brand = c.brand ? c.brand[0].toUpperCase() + c.brand.slice(1) : "Card";
  return `${brand} •••• ${c.last4}`;
}

function CardPay({ order, onPaid, stripeConf }) {
  const { notify } = useApp();
  const [save, setSave] = useState(false);
  const [fields, setFields] = useState({ number: "", expMonth: "", expYear: "", cvc: "" });
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const [waiting, setWaiting] = useState(false);
  const mount = useRef(null);
  const element = useRef(null);
  const elementsMode = stripeConf.mode === "elements";

  useEffect(() => {
    if (!elementsMode) return undefined;
    let card;
    loadStripe(stripeConf).then((stripe) => {
      card = stripe.elements().create("card", { hidePostalCode: true });
      card.mount(mount.current);
      element.current = { stripe, card };
    }).catch((e) => setError(e.message));
    return () => card && card.destroy();
  }, [elementsMode]);

  const pay = async (event) => {
    event.preventDefault();
    setBusy(true); setError("");
    try {
      if (elementsMode) {
        const started = await mutate("PaymentCardStart", { orderId: order.id, saveCard: save }, "paymentCardStart");
        if (started.errors.length) { setError(errorText(started.errors)); return; }
        const { stripe, card } = element.current || {};
        if (!stripe) { setError("Stripe is still loading: try again in a moment."); return; }
        const result = await stripe.confirmCardPayment(started.clientSecret, { payment_method: { card } });
        if (result.error) { setError(result.error.message); return; }
      } else {
        // test-card: a payment declined a moment ago is replaced once Pixport hears of it (409: ask again)
        for (let attempt = 0; ; attempt += 1) {
          const started = await mutate("PaymentCardStart", { orderId: order.id, saveCard: save }, "paymentCardStart");
          if (started.errors.length) { setError(errorText(started.errors)); return; }
          const response = await fetch("/app/test-card", {
            method: "POST",
            headers: { "content-type": "application/json", authorization: `Bearer ${getToken()}` },
            body: JSON.stringify({ clientSecret: started.clientSecret, ...fields }),
          });
          const result = await response.json().catch(() => ({ error: `The test card was refused (${response.status}).` }));
          if (response.status === 409 && attempt < 8) { await new Promise((r) => setTimeout(r, 750)); continue; }
          if (result.error) { setError(result.error); return; }
          break;
        }
      }
      setWaiting(true);
      notify("Card accepted. Waiting for the payment to be confirmed…");
      onPaid();
    } catch (e) { setError(e.message); } finally { setBusy(false); }
  };

  const set = (k) => (e) => setFields({ ...fields, [k]: e.currentTarget.value });
  return (
    <form class="pay-card" aria-label="Pay by card" onSubmit={pay} noValidate>
      <h3>Card</h3>
      {elementsMode ? (
        <div class="field"><span class="label" id="card-element-label">Card details</span>
          <div ref={mount} class="stripe-element" aria-labelledby="card-element-label" /></div>
      ) : (
        <>
          <p class="note">Test mode: no real card is charged. Try 4242 4242 4242 4242, any future expiry, any CVC.</p>
          <div class="field"><label for="card-number">Card number</label>
            <input id="card-number" inputMode="numeric" autocomplete="cc-number" value={fields.number} onInput={set("number")} /></div>
          <div class="field-row">
            <div class="field"><label for="card-exp-month">Expiry month</label>
              <input id="card-exp-month" inputMode="numeric" autocomplete="cc-exp-month" placeholder="MM" value={fields.expMonth} onInput={set("expMonth")} /></div>
            <div class="field"><label for="card-exp-year">Expiry year</label>
              <input id="card-exp-year" inputMode="numeric" autocomplete="cc-exp-year" placeholder="YYYY" value={fields.expYear} onInput={set("expYear")} /></div>
            <div class="field"><label for="card-cvc">CVC</label>
              <input id="card-cvc" inputMode="numeric" autocomplete="cc-csc" value={fields.cvc} onInput={set("cvc")} /></div>
          </div>
        </>
      )}
      <div class="check">
        <input id="save-card" type="checkbox" checked={save} onChange={(e) => setSave(e.currentTarget.checked)} />
        <label for="save-card">Save card</label> <small class="hint">for your next orders</small>
      </div>
      <Alert message={error} />
      <button type="submit" class="primary" disabled={busy || waiting}>Pay by card</button>
      {waiting && <p class="hint">Waiting for Stripe to confirm the payment…</p>}
    </form>
  );
}

function PaypalPay({ order, onPaid }) {
  const { notify } = useApp();
  const [approveUrl, setApproveUrl] = useState(null);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);

  const start = async () => {
    setBusy(true); setError("");
    try {
      const p = await mutate("PaymentPaypalStart", { orderId: order.id }, "paymentPaypalStart");
      if (p.errors.length) setError(errorText(p.errors)); else setApproveUrl(p.approveUrl);
    } catch (e) { setError(e.message); } finally { setBusy(false); }
  };

  const capture = async () => {
    setBusy(true); setError("");
    try {
      const p = await mutate("PaymentPaypalCapture", { orderId: order.id }, "paymentPaypalCapture");
      if (p.errors.length) { setError(errorText(p.errors)); return; }
      notify("PayPal payment received. The order goes to production.");
      onPaid();
    } catch (e) { setError(e.message); } finally { setBusy(false); }
  };

  return (
    <div class="pay-paypal">
      <h3>PayPal</h3>
      {!approveUrl ? (
        <button type="button" disabled={busy} onClick={start}>Pay with PayPal</button>
      ) : (
        <ol>
          <li><a href={approveUrl} target="_blank" rel="noopener noreferrer">Approve the payment at PayPal</a> (opens a new tab)</li>
          <li>Then come back and <button type="button" class="primary" disabled={busy} onClick={capture}>Complete PayPal payment</button></li>
        </ol>
      )}
      <Alert message={error} />
    </div>
  );
}
