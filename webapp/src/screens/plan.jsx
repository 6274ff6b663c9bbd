// The publish plan (issue 8): per-item and bulk actions, copy-to-product search, dry-run
// preview, execute with live progress, the log (and its CSV), rollback, retry of failed items.
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { gql, mutate, downloadWithToken } from "../api.js";
import { Heading, Alert, useApp, useLoad, errorText } from "../ui.jsx";
import { useJob, JobBar } from "../jobs.jsx";
import { statusLabel, when } from "../format.js";

const ACTIONS = [["OVERWRITE", "Overwrite"], ["APPEND", "Append"], ["SKIP", "Skip"], ["COPY_TO_PRODUCT", "Copy to product"]];
const ACTION_WORDS = Object.fromEntries(ACTIONS);
const ITEM_WORDS = { PENDING: "Pending", DONE: "Done", SKIPPED: "Skipped", FAILED: "Failed", ROLLED_BACK: "Rolled back" };
const RUNNING = new Set(["PUBLISHING", "ROLLING_BACK"]);
const ROLLBACKABLE = new Set(["PUBLISHED", "PARTIALLY_PUBLISHED", "ROLLBACK_INCOMPLETE"]);
const PUBLISH_JOB = "publishing.publish";
const PAGE = 100;

/** Which items may change: all of a draft, the failed ones of a partly published plan. */
function editable(plan, item) {
  return plan.status === "DRAFT" || (plan.status === "PARTIALLY_PUBLISHED" && item.status === "FAILED");
}

/** The plan with its items (pages of 100, "Load more items" adds one). */
function usePlan(id) {
  const [state, setState] = useState({ plan: null, items: [], totalCount: 0, error: "", loading: true });
  const pages = useRef(1);
  const load = useCallback(async () => {
    try {
      let after = null;
      let plan = null;
      const items = [];
      for (let n = 0; n < pages.current; n += 1) {
        const data = await gql("PublishPlan", { id, first: PAGE, after });
        if (!data.publishPlan) { setState({ plan: null, items: [], totalCount: 0, error: "This publish plan does not exist.", loading: false }); return null; }
        plan = data.publishPlan;
        items.push(...plan.items.edges.map((e) => e.node));
        if (!plan.items.pageInfo.hasNextPage) break;
        after = plan.items.pageInfo.endCursor;
      }
      setState({ plan, items, totalCount: plan.items.totalCount, error: "", loading: false });
      return plan;
    } catch (e) {
      setState((s) => ({ ...s, error: e.message, loading: false }));
      return null;
    }
  }, [id]);
  useEffect(() => { load(); }, [load]);
  return { ...state, reload: load, loadMore: async () => { pages.current += 1; await load(); } };
}

export function PlanScreen({ id }) {
  const { notify } = useApp();
  const data = usePlan(id);
  const [selected, setSelected] = useState(() => new Set());
  const [bulkAction, setBulkAction] = useState("SKIP");
  const [picker, setPicker] = useState(null); // {itemIds, action, title}
  const [nonce, setNonce] = useState(0); // re-keys the action selects after a cancelled pick
  const [refreshed, setRefreshed] = useState(0); // preview and log re-read after changes
  const [startedJob, setStartedJob] = useState(null);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const plan = data.plan;

  const finished = useRef(null);
  finished.current = async (job) => {
    const fresh = await data.reload();
    setRefreshed((n) => n + 1);
    if (!fresh) return;
    const c = fresh.counts;
    if (job.kind === PUBLISH_JOB) notify(`Publishing finished: ${c.done} done, ${c.skipped} skipped, ${c.failed} failed.`);
    else notify(fresh.status === "ROLLED_BACK" ? "Rollback finished." : `Rollback finished with items left: ${statusLabel(fresh.status)}.`);
  };
  const lastJob = startedJob && plan && (!plan.job || plan.job.id === startedJob.id) ? startedJob : plan && plan.job;
  const job = useJob(lastJob, (j) => finished.current(j));

  if (!plan) {
    return <section><Heading>Publish plan</Heading>{data.loading ? <p>Loading…</p> : <Alert message={data.error} />}</section>;
  }
  const orderNumber = plan.order ? plan.order.number : "";
  const items = data.items;
  const changeable = items.filter((it) => editable(plan, it));
  const running = RUNNING.has(plan.status);

  const update = async (changes, words) => {
    setBusy(true); setError("");
    try {
      const p = await mutate("PublishPlanItemsUpdate", { planId: plan.id, items: changes }, "publishPlanItemsUpdate");
      if (p.errors.length) { setError(errorText(p.errors)); setNonce((n) => n + 1); return false; }
      notify(words);
      await data.reload();
      setRefreshed((n) => n + 1);
      return true;
    } catch (e) { setError(e.message); return false; } finally { setBusy(false); }
  };

  const itemNumber = (item) => items.indexOf(item) + 1;
  const setItemAction = (item, action) => {
    const n = itemNumber(item);
    if (action === "COPY_TO_PRODUCT") { setPicker({ itemIds: [item.id], action, words: `Item ${n}` }); return; }
    update([{ itemId: item.id, action }], `Item ${n}: ${ACTION_WORDS[action]} saved.`);
  };
  const applyBulk = () => {
    const ids = changeable.filter((it) => selected.has(it.id)).map((it) => it.id);
    if (!ids.length) { setError("Select the items to change first."); return; }
    const words = ids.length === 1 ? `Item ${itemNumber(items.find((it) => it.id === ids[0]))}` : `${ids.length} items`;
    if (bulkAction === "COPY_TO_PRODUCT") { setPicker({ itemIds: ids, action: bulkAction, words }); return; }
    update(ids.map((itemId) => ({ itemId, action: bulkAction })), `${words}: ${ACTION_WORDS[bulkAction]} saved.`);
  };
  const chooseTarget = (item) => setPicker({ itemIds: [item.id], action: item.action === "APPEND" ? "APPEND" : "COPY_TO_PRODUCT", words: `Item ${itemNumber(item)}` });
  const picked = async (product) => {
    const { itemIds, action, words } = picker;
    setPicker(null);
    await update(itemIds.map((itemId) => ({ itemId, action, targetProductId: product.id })),
      `${words}: ${ACTION_WORDS[action]} (${product.name}) saved.`);
  };

  const start = async (name, field) => {
    setBusy(true); setError("");
    try {
      const p = await mutate(name, { planId: plan.id }, field);
      if (p.errors.length) { setError(errorText(p.errors)); return; }
      setStartedJob(p.job);
      await data.reload();
    } catch (e) { setError(e.message); } finally { setBusy(false); }
  };
  const execute = () => start("PublishPlanExecute", "publishPlanExecute");
  const rollback = () => {
    if (!window.confirm(`Roll back the publish of order ${orderNumber}? The original pictures go back in their places and the added ones are removed.`)) return;
    start("PublishPlanRollback", "publishPlanRollback");
  };

  const allSelected = changeable.length > 0 && changeable.every((it) => selected.has(it.id));
  const toggle = (itemId) => setSelected((s) => { const next = new Set(s); if (next.has(itemId)) next.delete(itemId); else next.add(itemId); return next; });
  const c = plan.counts;
  return (
    <section class="plan-screen">
      <Heading>Publish plan for order {orderNumber}</Heading>
      <p>{plan.order && <a href={`#/orders/${encodeURIComponent(plan.order.id)}`}>Back to order {orderNumber}</a>}</p>
      <div class="plan-head">
        <p>Store: <strong>{plan.store ? plan.store.name : "—"}</strong></p>
        <p aria-live="polite">Plan status: <span class={`status s-${plan.status}`}>{statusLabel(plan.status)}</span></p>
        {plan.order && <p>Order status: <span class={`status s-${plan.order.status}`}>{statusLabel(plan.order.status)}</span></p>}
        <ul class="counts" aria-label="Counts">
          <li>Total: {c.total}</li><li>Pending: {c.pending}</li><li>Done: {c.done}</li>
          <li>Skipped: {c.skipped}</li><li>Failed: {c.failed}</li><li>Rolled back: {c.rolledBack}</li>
        </ul>
      </div>
      <Alert message={error || data.error} />
      <div class="actions run">
        {plan.status === "DRAFT" && <button type="button" class="primary" disabled={busy} onClick={execute}>Publish now</button>}
        {plan.status === "PARTIALLY_PUBLISHED" && <button type="button" class="primary" disabled={busy} onClick={execute}>Retry failed items</button>}
        {ROLLBACKABLE.has(plan.status) && <button type="button" class="danger" disabled={busy} onClick={rollback}>Roll back</button>}
        {plan.executedAt && <span class="hint">Published {when(plan.executedAt)}{plan.rolledBackAt ? ` · rolled back ${when(plan.rolledBackAt)}` : ""}</span>}
      </div>
      {job && (job.kind === PUBLISH_JOB
        ? <JobBar job={job} label="Publish progress" noun="Publishing" />
        : <JobBar job={job} label="Rollback progress" noun="Rollback" />)}

      <section aria-labelledby="items-heading">
        <h2 id="items-heading">Items</h2>
        {changeable.length > 0 && !running && (
          <div class="toolbar bulk">
            <label class="check"><input type="checkbox" checked={allSelected}
              onChange={() => setSelected(allSelected ? new Set() : new Set(changeable.map((it) => it.id)))} /> Select all items</label>
            <label for="bulk-action">Action for selected items</label>
            <select id="bulk-action" value={bulkAction} onChange={(e) => setBulkAction(e.currentTarget.value)}>
              {ACTIONS.map(([value, label]) => <option key={value} value={value}>{label}</option>)}
            </select>
            <button type="button" disabled={busy} onClick={applyBulk}>Apply to selected items</button>
            <span class="hint">{selected.size} selected</span>
          </div>
        )}
        {plan.status === "PARTIALLY_PUBLISHED" && <p class="note">Some items failed. Change their action if you like, then retry them.</p>}
        <table class="items" aria-label="Publish items">
          <thead>
            <tr><th scope="col">Item</th><th scope="col"><span class="sr-only">Select</span></th><th scope="col">Before</th><th scope="col">After</th>
              <th scope="col">Where</th><th scope="col">Action</th><th scope="col">Target product</th><th scope="col">Status</th></tr>
          </thead>
          <tbody>
            {items.map((item, i) => {
              const n = i + 1;
              const canChange = editable(plan, item) && !running;
              return (
                <tr key={item.id} class={`item-${item.status}`}>
                  <th scope="row">Item {n}{item.orderImage && <><br /><small class="hint">{item.orderImage.fileName}</small></>}</th>
                  <td>{canChange && <input type="checkbox" aria-label={`Select item ${n}`} checked={selected.has(item.id)} onChange={() => toggle(item.id)} />}</td>
                  <td>{item.beforeUrl ? <StoreImage src={item.beforeUrl} alt={`Before, item ${n}`} /> : "—"}</td>
                  <td>{item.afterUrl ? <img class="thumb" src={item.afterUrl} alt={`After, item ${n}`} loading="lazy" /> : "—"}</td>
                  <td class="where">
                    Product {item.sourceProductExternalId}{item.variantExternalId ? ` · variant ${item.variantExternalId}` : ""} · position {item.position}
                    {item.isThumbnail ? " · thumbnail" : ""}{item.altText ? <> · alt “{item.altText}”</> : ""}
                    {item.note && <><br /><small class="hint">{item.note}</small></>}
                  </td>
                  <td>
                    <select key={`${item.id}-${item.action}-${nonce}`} aria-label={`Action for item ${n}`} value={item.action}
                      disabled={!canChange || busy} onChange={(e) => setItemAction(item, e.currentTarget.value)}>
                      {ACTIONS.map(([value, label]) => <option key={value} value={value}>{label}</option>)}
                    </select>
                  </td>
                  <td>
                    {item.action === "SKIP" ? "—" : item.targetProduct ? <>{item.targetProduct.name}<br /><small class="hint">SKU {item.targetProduct.sku || "—"} · #{item.targetProduct.externalId}</small></> : "None chosen"}
                    {canChange && (item.action === "COPY_TO_PRODUCT" || item.action === "APPEND") && (
                      <><br /><button type="button" class="link-button" disabled={busy} onClick={() => chooseTarget(item)}
                        aria-label={`Choose target product for item ${n}`}>Choose…</button></>
                    )}
                  </td>
                  <td>{ITEM_WORDS[item.status] || statusLabel(item.status)}{item.status === "FAILED" && item.error ? `: ${item.error}` : ""}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
        {data.totalCount > items.length && <p><button type="button" onClick={data.loadMore}>Load more items</button> <span class="hint">Showing {items.length} of {data.totalCount}.</span></p>}
      </section>

      {plan.status === "DRAFT" && <Preview planId={plan.id} refreshed={refreshed} />}
      {plan.status !== "DRAFT" && <Log plan={plan} refreshed={refreshed} orderNumber={orderNumber} />}
      {picker && <ProductPicker storeId={plan.store && plan.store.id} onChoose={picked}
        onCancel={() => { setPicker(null); setNonce((n) => n + 1); }} />}
    </section>
  );
}

function Preview({ planId, refreshed }) {
  const [again, setAgain] = useState(0);
  const preview = useLoad(() => gql("PublishPlanPreview", { id: planId, first: 20 }), [planId, refreshed, again]);
  const products = preview.data && preview.data.publishPlan ? preview.data.publishPlan.preview : [];
  const strip = (label, images, name) => (
    <div class="strip">
      <h4>{label}</h4>
      <ul aria-label={`${label}: ${name}`}>
        {images.map((im, n) => (
          <li key={`${im.imageExternalId || im.itemId}-${n}`}>
            <StoreImage src={im.url} alt={`${label}, ${name}, image ${n + 1}${im.edited ? " (edited)" : ""}`} />
            <span class="badges">{im.isThumbnail && <span class="badge">thumbnail</span>}{im.edited && <span class="badge">edited</span>}</span>
          </li>
        ))}
        {images.length === 0 && <li class="hint">No images</li>}
      </ul>
    </div>
  );
  return (
    <section aria-labelledby="preview-heading" class="preview">
      <h2 id="preview-heading">Dry run preview</h2>
      <p class="hint">What each product's images are now and will be after publishing. Nothing is written until you publish.
        {" "}<button type="button" onClick={() => setAgain((n) => n + 1)} disabled={preview.loading}>Refresh preview</button></p>
      <Alert message={preview.error} />
      {preview.data && products.length === 0 && <p>No product is written to (every item is skipped).</p>}
      {products.map((p) => (
        <div key={p.product.id} role="group" aria-label={p.product.name} class="preview-product">
          <h3>{p.product.name} <small class="hint">SKU {p.product.sku || "—"} · #{p.product.externalId}</small></h3>
          {strip("Now", p.before, p.product.name)}
          {strip("After publishing", p.after, p.product.name)}
        </div>
      ))}
    </section>
  );
}

function Log({ plan, refreshed, orderNumber }) {
  const log = useLoad(() => gql("PublishPlanLog", { id: plan.id, first: 100 }), [plan.id, refreshed, plan.status]);
  const [error, setError] = useState("");
  const entries = log.data && log.data.publishPlan ? log.data.publishPlan.log.edges.map((e) => e.node) : [];
  const total = log.data && log.data.publishPlan ? log.data.publishPlan.log.totalCount : 0;
  const download = async () => {
    setError("");
    try { await downloadWithToken(plan.logCsvUrl, `publish-log-${orderNumber || "plan"}.csv`); } catch (e) { setError(e.message); }
  };
  return (
    <section aria-labelledby="log-heading" class="log">
      <h2 id="log-heading">Log</h2>
      <p><button type="button" onClick={download}>Download CSV</button></p>
      <Alert message={error || log.error} />
      <table aria-label="Publish log" class="log-table">
        <thead><tr>{["Item", "Action", "Result", "Product", "Variant", "Image before", "Image after", "Restored", "At", "Rolled back", "Error"]
          .map((h) => <th key={h} scope="col">{h}</th>)}</tr></thead>
        <tbody>
          {entries.map((e, n) => (
            <tr key={`${e.itemId}-${n}`}>
              <td>{n + 1}</td><td>{ACTION_WORDS[e.action] || e.action}</td><td>{ITEM_WORDS[e.result] || statusLabel(e.result)}</td>
              <td>{e.productExternalId || "—"}</td><td>{e.variantExternalId || "—"}</td>
              <td>{e.storeImageIdBefore || "—"}</td><td>{e.storeImageIdAfter || "—"}</td><td>{e.restoredImageId || "—"}</td>
              <td>{e.at ? when(e.at) : "—"}</td><td>{e.rolledBackAt ? when(e.rolledBackAt) : "—"}</td><td>{e.error}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {total > entries.length && <p class="hint">Showing the first {entries.length} of {total}; the CSV has them all.</p>}
    </section>
  );
}

/** A modal dialog to find a product of the plan's store by name or SKU. */
function ProductPicker({ storeId, onChoose, onCancel }) {
  const ref = useRef(null);
  const search = useRef(null);
  const [text, setText] = useState("");
  const [query, setQuery] = useState("");
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog.open) dialog.showModal();
    if (search.current) search.current.focus();
    const cancel = (e) => { e.preventDefault(); onCancel(); };
    dialog.addEventListener("cancel", cancel);
    return () => { dialog.removeEventListener("cancel", cancel); if (dialog.open) dialog.close(); };
  }, []);
  useEffect(() => { const t = setTimeout(() => setQuery(text.trim()), 250); return () => clearTimeout(t); }, [text]);
  const products = useLoad(() => gql("Products", { storeId, search: query || null, first: 20 }), [storeId, query]);
  const list = products.data ? products.data.products.edges.map((e) => e.node) : [];
  return (
    <dialog ref={ref} class="picker" aria-labelledby="picker-title">
      <h2 id="picker-title">Choose a target product</h2>
      <div class="field">
        <label for="product-search">Search products</label>
        <input id="product-search" type="search" ref={search} value={text} placeholder="Name or SKU"
          onInput={(e) => setText(e.currentTarget.value)} />
      </div>
      <Alert message={products.error} />
      <p class="hint" aria-live="polite">{products.loading ? "Searching…" : `${products.data ? products.data.products.totalCount : 0} products match`}</p>
      <ul class="product-list" aria-label="Products">
        {list.map((p) => (
          <li key={p.id}>
            <button type="button" onClick={() => onChoose(p)} aria-label={`Choose ${p.name}`}>Choose</button>
            <span>{p.name} <small class="hint">SKU {p.sku || "—"} · #{p.externalId}</small></span>
          </li>
        ))}
      </ul>
      <div class="actions"><button type="button" onClick={onCancel}>Cancel</button></div>
    </dialog>
  );
}

/** A picture at the store's address: once replaced (a publish, a rollback) that address may be
 * gone, so a broken one says so instead of showing a broken image. */
function StoreImage({ src, alt }) {
  const [broken, setBroken] = useState(false);
  useEffect(() => setBroken(false), [src]);
  if (broken) return <span class="thumb thumb-gone" role="img" aria-label={`${alt} (no longer at the store)`}>Gone</span>;
  return <img class="thumb" src={src} alt={alt} loading="lazy" referrerpolicy="no-referrer" onError={() => setBroken(true)} />;
}
