import { useEffect, useState } from "preact/hooks";
import { gql, mutate } from "../api.js";
import { Heading, Alert, useApp, useLoad, errorText, Thumb, fieldErrors } from "../ui.jsx";
import { count } from "../format.js";
import { QuoteTable } from "./quote.jsx";

const SPEC_KEY = "pixport.specificationId";

export function rememberSpec(id) { try { sessionStorage.setItem(SPEC_KEY, id); } catch { /* memory */ } }
function rememberedSpec() { try { return sessionStorage.getItem(SPEC_KEY); } catch { return null; } }

export function CartScreen() {
  const { store, notify } = useApp();
  const cart = useLoad(() => gql("CartView", { storeId: store.id, first: 100 }), [store.id]);
  const [more, setMore] = useState({ edges: [], pageInfo: null });
  useEffect(() => { setMore({ edges: [], pageInfo: null }); }, [cart.data]);
  const loadMore = async () => {
    const info = more.pageInfo || cart.data.cart.items.pageInfo;
    try {
      const data = await gql("CartView", { storeId: store.id, first: 100, after: info.endCursor });
      setMore((m) => ({ edges: [...m.edges, ...data.cart.items.edges], pageInfo: data.cart.items.pageInfo }));
    } catch (e) { setError(e.message); }
  };
  const specs = useLoad(() => gql("Specifications"), []);
  const [specId, setSpecId] = useState(rememberedSpec() || "");
  const [comment, setComment] = useState("");
  const [error, setError] = useState("");
  const [errors, setErrors] = useState({});
  const [busy, setBusy] = useState(false);

  const list = specs.data ? specs.data.specifications : [];
  const chosen = list.find((s) => s.id === specId) || list[0] || null;
  useEffect(() => { if (chosen && chosen.id !== specId) setSpecId(chosen.id); }, [chosen && chosen.id]);

  const c = cart.data && cart.data.cart;
  const quote = useLoad(async () => (chosen && c && c.imageCount > 0
    ? (await gql("CartQuote", { storeId: store.id, specificationId: chosen.id })).cart.quote : null),
  [chosen && chosen.id, c && c.imageCount, store.id]);

  const remove = async (image) => {
    setError("");
    try {
      const p = await mutate("CartRemoveImages", { storeId: store.id, imageIds: [image.id] }, "cartRemoveImages");
      if (p.errors.length) setError(errorText(p.errors)); else { notify(`Removed ${image.fileName}.`); cart.reload(); }
    } catch (e) { setError(e.message); }
  };

  const clear = async () => {
    setError("");
    try {
      const p = await mutate("CartClear", { storeId: store.id }, "cartClear");
      if (p.errors.length) setError(errorText(p.errors)); else { notify("The cart is empty."); cart.reload(); }
    } catch (e) { setError(e.message); }
  };

  const order = async (event) => {
    event.preventDefault();
    setBusy(true); setError(""); setErrors({});
    try {
      const p = await mutate("OrderCreate", { input: { storeId: store.id, specificationId: chosen.id, comment } }, "orderCreate");
      if (p.errors.length) { setErrors(fieldErrors(p.errors)); setError(errorText(p.errors)); return; }
      notify(`Order ${p.order.number} created. Review it and approve.`);
      location.hash = `#/orders/${encodeURIComponent(p.order.id)}`;
    } catch (e) { setError(e.message); } finally { setBusy(false); }
  };

  if (!c) return <section><Heading>Cart</Heading>{cart.error ? <Alert message={cart.error} /> : <p>Loading…</p>}</section>;
  const groups = c.duplicateGroups.edges.map((e) => e.node);
  return (
    <section class="cart-screen">
      <Heading>Cart</Heading>
      <p class="big-count">{count(c.imageCount, "billable image")} <span class="hint">({count(c.items.totalCount, "image")} picked; duplicates are edited and charged once)</span></p>
      <Alert message={error || cart.error} />
      {c.items.totalCount === 0 ? (
        <p>The cart is empty. <a href="#/images">Pick images</a> to edit.</p>
      ) : (
        <div class="cart-layout">
          <div>
            <h2 id="items-h">Images</h2>
            <ul class="cart-items" aria-label="Cart items">
              {[...c.items.edges, ...more.edges].map(({ node }) => node.image && (
                <li key={node.image.id}>
                  <Thumb image={node.image} alt="" />
                  <span class="item-text" title={`${node.image.productName} — ${node.image.fileName}`}><strong>{node.image.productName}</strong><br />{node.image.fileName}</span>
                  <button type="button" class="link-button" aria-label={`Remove ${node.image.fileName}`} onClick={() => remove(node.image)}>Remove</button>
                </li>
              ))}
            </ul>
            {(more.pageInfo || c.items.pageInfo).hasNextPage && (
              <p class="hint">Showing {c.items.edges.length + more.edges.length} of {c.items.totalCount}. <button type="button" onClick={loadMore}>Show more</button></p>
            )}
            <h2>Duplicate groups</h2>
            {groups.length === 0 ? <p>No duplicates among these images.</p> : (
              <>
                <p class="hint">Pictures that are the same image are one group: the first is edited once and the result goes to every place.</p>
                {groups.map((g, i) => (
                  <ul key={i} class="dup-group" aria-label={`Duplicate group of ${g.size}`}>
                    {g.images.map((im) => (
                      <li key={im.id} class={g.representative && g.representative.id === im.id ? "rep" : ""}>
                        <Thumb image={im} alt="" />
                        <span>{im.fileName}<br /><small>{im.productName}</small></span>
                        {g.representative && g.representative.id === im.id ? <small class="badge">edited</small> : <small class="badge muted">same result</small>}
                      </li>
                    ))}
                  </ul>
                ))}
              </>
            )}
          </div>
          <form class="card order-box" aria-label="Order" onSubmit={order}>
            <h2>Order</h2>
            <div class="field">
              <label for="spec-pick">Specification</label>
              {list.length ? (
                <select id="spec-pick" value={chosen && chosen.id} onChange={(e) => { setSpecId(e.currentTarget.value); rememberSpec(e.currentTarget.value); }}
                  aria-invalid={errors.specificationId ? "true" : undefined}>
                  {list.map((s) => <option key={s.id} value={s.id}>{s.name}</option>)}
                </select>
              ) : <p id="spec-pick">No specification yet.</p>}
            </div>
            <p><a href="#/specs/new?from=cart">New specification</a>{chosen && <> · <a href={`#/specs/${encodeURIComponent(chosen.id)}?from=cart`}>Edit {chosen.name}</a></>}</p>
            <section aria-label="Price" class="price">
              {quote.data ? <QuoteTable quote={quote.data} /> : <p>{chosen ? "Pricing…" : "Pick a specification to see the price."}</p>}
            </section>
            <div class="field">
              <label for="order-comment">Comment</label>
              <textarea id="order-comment" rows="3" value={comment} onInput={(e) => setComment(e.currentTarget.value)}
                placeholder="Anything the retoucher should know" />
            </div>
            <div class="actions">
              <button type="submit" class="primary" disabled={busy || !chosen || c.imageCount === 0}>Create order</button>
              <button type="button" onClick={clear}>Empty cart</button>
            </div>
          </form>
        </div>
      )}
    </section>
  );
}
