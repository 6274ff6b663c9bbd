import { useState } from "preact/hooks";
import { gql, mutate } from "../api.js";
import { Heading, Alert, useApp, useLoad, errorText } from "../ui.jsx";
import { cardName } from "./payment.jsx";

export function CardsScreen() {
  const { notify } = useApp();
  const cards = useLoad(() => gql("SavedCards"), []);
  const [error, setError] = useState("");
  const list = cards.data ? cards.data.savedCards : [];

  const remove = async (c) => {
    if (!window.confirm(`Forget ${cardName(c)}?`)) return;
    setError("");
    try {
      const p = await mutate("SavedCardDelete", { id: c.id }, "savedCardDelete");
      if (p.errors.length) setError(errorText(p.errors)); else { notify(`${cardName(c)} forgotten.`); cards.reload(); }
    } catch (e) { setError(e.message); }
  };

  return (
    <section>
      <Heading>Saved cards</Heading>
      <p>Cards are kept by Stripe; Pixport never sees their numbers. Tick “Save card” when you pay to add one.</p>
      <Alert message={error || cards.error} />
      {cards.data && list.length === 0 && <p>No saved cards.</p>}
      <ul class="cards" aria-label="Saved cards">
        {list.map((c) => (
          <li key={c.id} class="card">
            <span>{cardName(c)} <small class="hint">expires {String(c.expMonth).padStart(2, "0")}/{c.expYear}</small></span>
            <button type="button" class="danger" aria-label={`Delete ${cardName(c)}`} onClick={() => remove(c)}>Delete</button>
          </li>
        ))}
      </ul>
    </section>
  );
}
