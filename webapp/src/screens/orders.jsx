import { useEffect, useRef, useState } from "preact/hooks";
import { gql, mutate, subscribe } from "../api.js";
import { Heading, Alert, useApp, useLoad, errorText, Thumb } from "../ui.jsx";
import { money, when, statusLabel, count } from "../format.js";
import { QuoteTable } from "./quote.jsx";
import { PaymentPanel } from "./payment.jsx";
import { REVIEWABLE, PUBLISHABLE, useReview, ProductionPanel, BeforeAfter, PublishPanel } from "./review.jsx";

export function OrdersScreen() {
  const orders = useLoad(() => gql("Orders", { first: 50 }), []);
  const edges = orders.data ? orders.data.orders.edges : [];
  return (
    <section>
      <Heading>Orders</Heading>
      <Alert message={orders.error} />
      {orders.data && edges.length === 0 && <p>No orders yet. <a href="#/images">Pick images</a> to start one.</p>}
      {edges.length > 0 && (
        <table class="orders" aria-label="Orders">
          <thead><tr><th scope="col">Number</th><th scope="col">Status</th><th scope="col" class="num">Images</th><th scope="col" class="num">Total</th><th scope="col">Specification</th><th scope="col">Created</th><th scope="col">Due</th></tr></thead>
          <tbody>
            {edges.map(({ node: o }) => (
              <tr key={o.id}>
                <td><a href={`#/orders/${encodeURIComponent(o.id)}`}>{o.number}</a></td>
                <td><span class={`status s-${o.status}`}>{statusLabel(o.status)}</span></td>
                <td class="num">{o.imageCount}</td>
                <td class="num">{money(o.quote.total)}</td>
                <td>{o.specification.name}</td>
                <td>{when(o.createdAt)}</td>
                <td>{o.dueAt ? when(o.dueAt) : "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {orders.data && orders.data.orders.pageInfo.hasNextPage && <p class="hint">Showing the newest {edges.length} of {orders.data.orders.totalCount}.</p>}
    </section>
  );
}

const EDITABLE = new Set(["DRAFT", "AWAITING_PAYMENT"]);
const CANCELLABLE = new Set(["DRAFT", "AWAITING_PAYMENT", "IN_PRODUCTION"]);

export function OrderScreen({ id }) {
  const { notify } = useApp();
  const order = useLoad(() => gql("OrderView", { id }), [id]);
  const specs = useLoad(() => gql("Specifications"), []);
  const [comment, setComment] = useState(null);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const o = order.data && order.data.order;
  const review = useReview(id, o && o.status);

  // the status live: orderUpdates yields the order on every change
  useEffect(() => {
    if (!o) return undefined;
    return subscribe("OrderUpdates", { orderId: id }, {
      next: () => order.reload(),
      error: () => {},
    });
  }, [o && o.id]);

  // say so when the payment lands (the provider confirms it a moment after the page paid)
  const lastStatus = useRef(null);
  useEffect(() => {
    if (!o) return;
    if (lastStatus.current === "AWAITING_PAYMENT" && o.status === "IN_PRODUCTION") notify(`Payment confirmed: order ${o.number} is in production.`);
    if (lastStatus.current === "IN_PRODUCTION" && o.status === "READY_FOR_REVIEW") notify(`Order ${o.number} is ready for review.`);
    lastStatus.current = o.status;
  }, [o && o.status]);

  if (!o) {
    return <section><Heading>Order</Heading>{order.loading ? <p>Loading…</p> : <Alert message={order.error || "This order does not exist."} />}</section>;
  }
  const text = comment === null ? o.comment : comment;
  const editable = EDITABLE.has(o.status);

  const saveChanges = async (input) => {
    const p = await mutate("OrderUpdate", { id: o.id, input }, "orderUpdate");
    if (p.errors.length) { setError(errorText(p.errors)); return false; }
    return true;
  };

  const approve = async () => {
    setBusy(true); setError("");
    try {
      if (text !== o.comment && !(await saveChanges({ comment: text }))) return;
      const p = await mutate("OrderApprove", { id: o.id }, "orderApprove");
      if (p.errors.length) { setError(errorText(p.errors)); return; }
      setComment(null);
      notify(`Order ${o.number} approved. It awaits payment.`);
      await order.reload();
    } catch (e) { setError(e.message); } finally { setBusy(false); }
  };

  const saveComment = async () => {
    setBusy(true); setError("");
    try { if (await saveChanges({ comment: text })) { setComment(null); notify("Comment saved."); await order.reload(); } }
    catch (e) { setError(e.message); } finally { setBusy(false); }
  };

  const changeSpec = async (specificationId) => {
    setBusy(true); setError("");
    try { if (await saveChanges({ specificationId })) { notify("Specification changed; the price is updated."); await order.reload(); } }
    catch (e) { setError(e.message); } finally { setBusy(false); }
  };

  const cancel = async () => {
    const paid = o.status === "IN_PRODUCTION";
    if (!window.confirm(paid ? `Cancel order ${o.number}? The payment is refunded in full.` : `Cancel order ${o.number}?`)) return;
    setBusy(true); setError("");
    try {
      const p = await mutate("OrderCancel", { id: o.id }, "orderCancel");
      if (p.errors.length) setError(errorText(p.errors)); else { notify(`Order ${o.number} cancelled.`); await order.reload(); }
    } catch (e) { setError(e.message); } finally { setBusy(false); }
  };

  const images = o.images.edges.map((e) => e.node);
  const specList = specs.data ? specs.data.specifications : [];
  return (
    <section class="order-screen">
      <Heading>Order {o.number}</Heading>
      <p class="order-status" aria-live="polite">Status: <span class={`status s-${o.status}`}>{statusLabel(o.status)}</span>
        {o.dueAt && <> · due {when(o.dueAt)}</>}</p>
      <Alert message={error} />
      <div class="order-layout">
        <div>
          <dl class="facts">
            <dt>Store</dt><dd>{o.store ? o.store.name : "—"}</dd>
            <dt>Images</dt><dd>{count(o.imageCount, "billable image")}</dd>
            <dt>Created</dt><dd>{when(o.createdAt)}</dd>
            {o.approvedAt && <><dt>Approved</dt><dd>{when(o.approvedAt)}</dd></>}
            {o.paidAt && <><dt>Paid</dt><dd>{when(o.paidAt)}</dd></>}
          </dl>
          <div class="field">
            <label for="order-spec">Specification</label>
            {editable && specList.length ? (
              <select id="order-spec" value={o.specification.id} disabled={busy} onChange={(e) => changeSpec(e.currentTarget.value)}>
                {specList.some((s) => s.id === o.specification.id) ? null : <option value={o.specification.id}>{o.specification.name}</option>}
                {specList.map((s) => <option key={s.id} value={s.id}>{s.name}</option>)}
              </select>
            ) : <p id="order-spec">{o.specification.name} (version {o.specificationVersion.number})</p>}
          </div>
          <QuoteTable quote={o.quote} />
          <div class="field">
            <label for="order-comment-edit">Comment</label>
            <textarea id="order-comment-edit" rows="3" value={text} readOnly={!editable}
              onInput={(e) => setComment(e.currentTarget.value)} placeholder="Anything the retoucher should know" />
          </div>
          <div class="actions">
            {o.status === "DRAFT" && <button type="button" class="primary" disabled={busy} onClick={approve}>Approve order</button>}
            {editable && comment !== null && comment !== o.comment && <button type="button" disabled={busy} onClick={saveComment}>Save comment</button>}
            {CANCELLABLE.has(o.status) && <button type="button" class="danger" disabled={busy} onClick={cancel}>Cancel order</button>}
          </div>
          {o.status === "AWAITING_PAYMENT" && <PaymentPanel order={o} onPaid={() => order.reload()} />}
          {o.payments.length > 0 && (
            <>
              <h2>Payments</h2>
              <ul class="payments" aria-label="Payments">
                {o.payments.map((p) => (
                  <li key={p.id}>{p.kind === "REFUND" ? "Refund" : "Charge"} · {p.provider === "PAYPAL" ? "PayPal" : "Card"} · {money(p.amount)} · {statusLabel(p.status)}
                    {p.failureMessage && <> — {p.failureMessage}</>}</li>
                ))}
              </ul>
            </>
          )}
        </div>
        {REVIEWABLE.has(o.status) ? (
          <div>
            {review.order && <ProductionPanel order={review.order} />}
            <Alert message={review.error} />
            {PUBLISHABLE.has(o.status) && <PublishPanel order={o} />}
          </div>
        ) : (
        <div>
          <h2>Images</h2>
          <ul class="order-images" aria-label="Order images">
            {images.map((im) => (
              <li key={im.id}>
                <Thumb image={im.image || { url: im.sourceUrl }} alt="" />
                <span>{im.image ? im.image.productName : im.fileName}<br /><small>{im.fileName}{im.width > 0 ? ` · ${im.width}×${im.height}` : ""}{im.locationCount > 1 ? ` · goes to ${im.locationCount} places` : ""}</small></span>
              </li>
            ))}
          </ul>
          {o.images.totalCount > images.length && <p class="hint">Showing {images.length} of {o.images.totalCount}.</p>}
        </div>
        )}
      </div>
      {REVIEWABLE.has(o.status) && review.order && <BeforeAfter review={review} orderStatus={o.status} onChanged={() => { review.reload(); order.reload(); }} />}
    </section>
  );
}
