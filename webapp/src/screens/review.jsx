// Production review on the order screen (issue 7): live production progress, before/after of
// every order image with details, a zoom dialog, and "Ask for a redo"; then the way to publish.
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { gql, mutate } from "../api.js";
import { Alert, Field, fieldErrors, errorText, useApp, useLoad } from "../ui.jsx";
import { useJob, JobBar, FINAL } from "../jobs.jsx";
import { fileFacts, statusLabel, when } from "../format.js";

export const REVIEWABLE = new Set(["IN_PRODUCTION", "READY_FOR_REVIEW", "PUBLISHING", "PUBLISHED", "PARTIALLY_PUBLISHED"]);
export const PUBLISHABLE = new Set(["READY_FOR_REVIEW", "PUBLISHING", "PUBLISHED", "PARTIALLY_PUBLISHED"]);
const REDOABLE = new Set(["READY_FOR_REVIEW", "IN_PRODUCTION"]);
const PAGE = 100;
const POLL_MS = 2000; // orderUpdates says when the status moves, not when an image does

const STEP_WORDS = { QUEUED: "Queued", EDITING: "Editing", RETOUCH: "With a retoucher", FAILED: "Failed", DONE: "Done" };

/** The order's production and its images (pages of 100), re-read every 2 s while in
 * production and shortly before the signed before/after links expire. */
export function useReview(id, status) {
  const [state, setState] = useState({ order: null, images: [], error: "" });
  const pages = useRef(1);
  const busy = useRef(false);
  const statusRef = useRef(status);
  statusRef.current = status;

  const load = useCallback(async () => {
    if (busy.current || !REVIEWABLE.has(statusRef.current)) return;
    busy.current = true;
    try {
      let after = null;
      let order = null;
      const images = [];
      for (let n = 0; n < pages.current; n += 1) {
        const data = await gql("OrderReview", { id, first: PAGE, after });
        if (!data.order) { setState({ order: null, images: [], error: "This order does not exist." }); return; }
        order = data.order;
        images.push(...order.images.edges.map((e) => e.node));
        if (!order.images.pageInfo.hasNextPage) break;
        after = order.images.pageInfo.endCursor;
      }
      setState({ order, images, error: "" });
    } catch (e) {
      setState((s) => ({ ...s, error: e.message }));
    } finally { busy.current = false; }
  }, [id]);

  useEffect(() => { load(); }, [load, status]);
  useEffect(() => {
    if (status !== "IN_PRODUCTION") return undefined;
    const timer = setInterval(load, POLL_MS);
    return () => clearInterval(timer);
  }, [load, status]);
  // signed links expire: read the order again a minute before the first one does
  const firstExpiry = state.images.reduce((min, im) => {
    for (const f of [im.before, im.after]) if (f) min = Math.min(min, Date.parse(f.expiresAt));
    return min;
  }, Infinity);
  useEffect(() => {
    if (!Number.isFinite(firstExpiry)) return undefined;
    const timer = setTimeout(load, Math.max(5000, firstExpiry - Date.now() - 60000));
    return () => clearTimeout(timer);
  }, [firstExpiry, load]);

  const loadMore = async () => { pages.current += 1; await load(); };
  return { ...state, reload: load, loadMore };
}

export function ProductionPanel({ order }) {
  const job = useJob(order.productionJob);
  const p = order.production;
  return (
    <section class="card production" aria-labelledby="production-heading">
      <h2 id="production-heading">Production</h2>
      <progress aria-label="Production progress" max={p.total || 1} value={p.done} />
      <p class="job-text">{p.done} of {p.total} images done{order.readyAt && p.done === p.total ? ` · ready since ${when(order.readyAt)}` : ""}</p>
      <p class="hint">Queued {p.queued} · Editing {p.editing} · With a retoucher {p.retouch} · Failed {p.failed}</p>
      {order.dueAt && <p class="hint">Due {when(order.dueAt)}{order.overdue ? " (overdue)" : ""}</p>}
      {job && (!FINAL.has(job.status) || job.status === "FAILED") && <JobBar job={job} label="Intake progress" noun="Intake" />}
    </section>
  );
}

function editedWords(im) {
  if (im.editedBy === "ENGINE") {
    return `Edited by the engine${im.confidence != null ? ` (confidence ${Math.round(im.confidence * 100)}%)` : ""}`;
  }
  if (im.editedBy === "RETOUCHER") return "Edited by a retoucher";
  return "";
}

/** The edit report (JSON) in words: the engine's steps, or what the retoucher uploaded. */
function ReportWords({ report }) {
  if (!report || typeof report !== "object") return null;
  const lines = [];
  if (Array.isArray(report.steps) && report.steps.length) lines.push(`Steps: ${report.steps.map(String).join(", ")}`);
  if (report.file_name) lines.push(`Uploaded file: ${report.file_name}`);
  if (report.uploaded_at) lines.push(`Uploaded ${when(report.uploaded_at)}`);
  for (const [key, value] of Object.entries(report)) {
    if (["steps", "file_name", "uploaded_at", "uploaded_by"].includes(key) || value === null || typeof value === "object") continue;
    lines.push(`${statusLabel(key)}: ${value}`);
  }
  return lines.map((line) => <li key={line}>{line}</li>);
}

export function BeforeAfter({ review, orderStatus, onChanged }) {
  const { notify } = useApp();
  const [zoom, setZoom] = useState(null); // index into review.images
  const [redoFor, setRedoFor] = useState(null);
  const images = review.images;
  const total = review.order ? review.order.images.totalCount : 0;

  const closeZoom = () => {
    const im = images[zoom];
    setZoom(null);
    if (im) setTimeout(() => { const b = document.getElementById(`zoom-${im.id}`); if (b) b.focus(); }, 0);
  };

  return (
    <section class="before-after" aria-labelledby="before-after-heading">
      <h2 id="before-after-heading">Before and after</h2>
      <ul class="review-list" aria-label="Reviewed images">
        {images.map((im, n) => (
          <li key={im.id}>
            <div role="group" aria-label={im.fileName} class="review-item">
              <h3>{im.fileName}</h3>
              <div class="pair">
                <figure>
                  {im.before ? <img src={im.before.url} alt={`Before: ${im.fileName}`} loading="lazy" /> : <div class="pending-img">Original not downloaded yet</div>}
                  <figcaption>Before</figcaption>
                </figure>
                <figure>
                  {im.after ? <img src={im.after.url} alt={`After: ${im.fileName}`} loading="lazy" /> : <div class="pending-img">No result yet</div>}
                  <figcaption>After</figcaption>
                </figure>
              </div>
              <p class={`step step-${im.productionStatus}`}>
                {STEP_WORDS[im.productionStatus] || statusLabel(im.productionStatus)}
                {im.productionStatus === "FAILED" && im.error ? `: ${im.error.message}` : ""}
              </p>
              <ul class="details">
                <li>Original: {im.before ? fileFacts(im.before) : `${im.width} × ${im.height} px${im.format ? ` · ${im.format}` : ""}`}</li>
                {im.after && <li>Result: {fileFacts(im.after)}</li>}
                {im.editedBy && <li>{editedWords(im)}</li>}
                <ReportWords report={im.editReport} />
                {im.locationCount > 1 && <li>Goes to {im.locationCount} places</li>}
                {im.redoCount > 0 && <li>Redo asked: {im.redoNote} ({im.redoCount === 1 ? "1 redo" : `${im.redoCount} redos`})</li>}
              </ul>
              <div class="actions">
                <button type="button" id={`zoom-${im.id}`} onClick={() => setZoom(n)} disabled={!im.before && !im.after}
                  aria-label={`Zoom ${im.fileName}`}>Zoom</button>
                {REDOABLE.has(orderStatus) && im.productionStatus === "DONE" && redoFor !== im.id && (
                  <button type="button" id={`redo-${im.id}`} onClick={() => setRedoFor(im.id)}
                    aria-label={`Ask for a redo of ${im.fileName}`}>Ask for a redo</button>
                )}
              </div>
              {redoFor === im.id && (
                <RedoForm image={im} onCancel={() => { setRedoFor(null); }}
                  onDone={() => { setRedoFor(null); notify(`Redo requested for ${im.fileName}.`); onChanged(); }} />
              )}
            </div>
          </li>
        ))}
      </ul>
      {total > images.length && (
        <p><button type="button" onClick={review.loadMore}>Show more images</button> <span class="hint">Showing {images.length} of {total}.</span></p>
      )}
      {zoom !== null && images[zoom] && (
        <ZoomDialog images={images} index={zoom} onIndex={setZoom} onClose={closeZoom} />
      )}
    </section>
  );
}

function RedoForm({ image, onDone, onCancel }) {
  const [note, setNote] = useState("");
  const [errors, setErrors] = useState({});
  const [busy, setBusy] = useState(false);
  const box = useRef(null);
  useEffect(() => { const t = box.current && box.current.querySelector("textarea"); if (t) t.focus(); }, []);
  const submit = async (e) => {
    e.preventDefault();
    setBusy(true); setErrors({});
    try {
      const p = await mutate("OrderImageRedoRequest", { orderImageId: image.id, note }, "orderImageRedoRequest");
      if (p.errors.length) setErrors(fieldErrors(p.errors)); else onDone();
    } catch (err) { setErrors({ _: err.message }); } finally { setBusy(false); }
  };
  return (
    <form class="redo" aria-label={`Redo ${image.fileName}`} onSubmit={submit} ref={box} noValidate>
      <Field label="What should change?" error={errors.note} hint="The retoucher reads this note.">
        {(p) => <textarea {...p} rows="3" value={note} onInput={(e) => setNote(e.currentTarget.value)} />}
      </Field>
      <Alert message={errors._ || errors.orderImageId} />
      <div class="actions">
        <button type="submit" class="primary" disabled={busy}>Send redo request</button>
        <button type="button" onClick={onCancel} disabled={busy}>Cancel</button>
      </div>
    </form>
  );
}

const MODES = [["side", "Side by side"], ["before", "Before only"], ["after", "After only"]];

/** A modal dialog with the image at full size: before and after side by side (or one of
 * them), each in its own scrollable pane; ← → go to the previous and next image. */
function ZoomDialog({ images, index, onIndex, onClose }) {
  const ref = useRef(null);
  const closeButton = useRef(null);
  const [mode, setMode] = useState("side");
  const im = images[index];

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog.open) dialog.showModal();
    if (closeButton.current) closeButton.current.focus();
    const closed = () => onClose();
    dialog.addEventListener("close", closed);
    return () => { dialog.removeEventListener("close", closed); if (dialog.open) dialog.close(); };
  }, []);

  const go = (step) => onIndex((index + step + images.length) % images.length);
  const onKey = (e) => {
    if (e.target.classList && e.target.classList.contains("zoom-pane")) return; // arrows scroll the pane
    if (e.key === "ArrowLeft") { e.preventDefault(); go(-1); }
    if (e.key === "ArrowRight") { e.preventDefault(); go(1); }
  };
  const panes = [];
  if (mode !== "after") panes.push(["Before", im.before]);
  if (mode !== "before") panes.push(["After", im.after]);
  return (
    <dialog ref={ref} class="zoom" aria-labelledby="zoom-title" onKeyDown={onKey}>
      <div class="zoom-head">
        <h2 id="zoom-title">Zoom: {im.fileName}</h2>
        <div class="zoom-modes" role="group" aria-label="View">
          {MODES.map(([value, label]) => (
            <button key={value} type="button" aria-pressed={mode === value ? "true" : "false"} onClick={() => setMode(value)}>{label}</button>
          ))}
        </div>
        <span class="hint">{index + 1} of {images.length}</span>
        <button type="button" onClick={() => go(-1)} disabled={images.length < 2}>Previous image</button>
        <button type="button" onClick={() => go(1)} disabled={images.length < 2}>Next image</button>
        <button type="button" ref={closeButton} onClick={() => ref.current.close()}>Close</button>
      </div>
      <div class={`zoom-panes n${panes.length}`}>
        {panes.map(([label, file]) => (
          <div key={label} class="zoom-pane" tabIndex={0} role="group" aria-label={`${label} (scroll to see all of it)`}>
            <p class="zoom-caption">{label}{file ? ` · ${fileFacts(file)}` : ""}</p>
            {file ? <img src={file.url} alt={`${label} at full size: ${im.fileName}`} width={file.width} height={file.height} />
              : <p class="pending-img">{label === "Before" ? "Original not downloaded yet" : "No result yet"}</p>}
          </div>
        ))}
      </div>
    </dialog>
  );
}

/** From a reviewed order: pick a connected store and make a publish plan; the order's plans. */
export function PublishPanel({ order }) {
  const { stores } = useApp();
  const plans = useLoad(() => gql("OrderPublishPlans", { id: order.id }), [order.id, order.status]);
  const [storeId, setStoreId] = useState(order.store && stores.some((s) => s.id === order.store.id) ? order.store.id : (stores[0] && stores[0].id));
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const list = plans.data && plans.data.order ? plans.data.order.publishPlans : [];

  const create = async () => {
    setBusy(true); setError("");
    try {
      const p = await mutate("PublishPlanCreate", { orderId: order.id, storeId }, "publishPlanCreate");
      if (p.errors.length) setError(errorText(p.errors));
      else location.hash = `#/plans/${encodeURIComponent(p.plan.id)}`;
    } catch (e) { setError(e.message); } finally { setBusy(false); }
  };
  return (
    <section class="card publish" aria-labelledby="publish-heading">
      <h2 id="publish-heading">Publish</h2>
      {order.status === "READY_FOR_REVIEW" && <p>Happy with the results? Publish them to a store: you choose what happens to each picture first.</p>}
      <div class="field">
        <label for="publish-store">Publish to store</label>
        <select id="publish-store" value={storeId} onChange={(e) => setStoreId(e.currentTarget.value)}>
          {stores.map((s) => <option key={s.id} value={s.id}>{s.name}</option>)}
        </select>
      </div>
      <Alert message={error || plans.error} />
      <div class="actions"><button type="button" class="primary" disabled={busy || !storeId} onClick={create}>Create publish plan</button></div>
      {list.length > 0 && (
        <table aria-label="Publish plans" class="plans">
          <thead><tr><th scope="col">Plan</th><th scope="col">Store</th><th scope="col">Status</th><th scope="col">Created</th></tr></thead>
          <tbody>
            {list.map((plan, n) => (
              <tr key={plan.id}>
                <td><a href={`#/plans/${encodeURIComponent(plan.id)}`}>Plan {list.length - n}</a></td>
                <td>{plan.store ? plan.store.name : "—"}</td>
                <td><span class={`status s-${plan.status}`}>{statusLabel(plan.status)}</span></td>
                <td>{when(plan.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
