import { useState } from "preact/hooks";
import { mutate } from "../api.js";
import { Heading, Alert, useApp, errorText } from "../ui.jsx";
import { useJob, FINAL } from "../jobs.jsx";
import { when, count } from "../format.js";

export function StoreScreen() {
  const { store, stores, refreshStores, notify } = useApp();
  if (!stores || stores.length === 0) {
    return (
      <section>
        <Heading>Store</Heading>
        <p>No store is connected yet. Open Pixport from your BigCommerce control panel (Apps → My Apps → Pixport) to connect your store.</p>
      </section>
    );
  }
  return <StorePanel key={store.id} store={store} refreshStores={refreshStores} notify={notify} />;
}

function StorePanel({ store, refreshStores, notify }) {
  const [started, setStarted] = useState(null);
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const initial = started || store.syncJob;
  const job = useJob(initial, async (j) => {
    await refreshStores();
    notify(j.status === "SUCCEEDED" ? "Sync succeeded." : `Sync ${j.status.toLowerCase()}.`);
  });
  const running = job && !FINAL.has(job.status);

  const sync = async () => {
    setBusy(true);
    setError("");
    try {
      const payload = await mutate("StoreSyncStart", { storeId: store.id }, "storeSyncStart");
      if (payload.errors.length) setError(errorText(payload.errors));
      else setStarted(payload.job);
    } catch (e) { setError(e.message); } finally { setBusy(false); }
  };

  return (
    <section>
      <Heading>Store</Heading>
      <div class="card">
        <h2>{store.name}</h2>
        <dl class="facts">
          <dt>Address</dt><dd>{store.domain}</dd>
          <dt>Platform</dt><dd>{store.platform}</dd>
          <dt>Images</dt><dd>{count(store.imageCount, "image")}</dd>
          <dt>Last synced</dt><dd>{store.lastSyncedAt ? when(store.lastSyncedAt) : "Never"}</dd>
        </dl>
        <h3>Sync</h3>
        {job ? <SyncStatus job={job} /> : <p>Not synced yet: sync to see the store's images.</p>}
        <Alert message={error} />
        <div class="actions">
          <button type="button" class="primary" onClick={sync} disabled={busy || running}>{running ? "Syncing…" : "Sync now"}</button>
          {store.imageCount > 0 && <a class="button" href="#/images">Browse images</a>}
        </div>
      </div>
    </section>
  );
}

function SyncStatus({ job }) {
  const running = !FINAL.has(job.status);
  const determinate = job.total != null && job.total > 0;
  return (
    <div class="job">
      {running && !determinate
        ? <progress aria-label="Sync progress" />
        : <progress aria-label="Sync progress" max={determinate ? job.total : 1}
            value={running ? job.done : job.status === "SUCCEEDED" ? (determinate ? job.total : 1) : job.done} />}
      <p class="job-text">
        {job.status === "QUEUED" && "Sync queued…"}
        {job.status === "RUNNING" && (determinate ? `Syncing… ${job.done} of ${job.total}` : `Syncing… ${job.done} done`)}
        {job.status === "SUCCEEDED" && `Sync succeeded${job.finishedAt ? ` (${when(job.finishedAt)})` : ""}.`}
        {job.status === "FAILED" && `Sync failed: ${job.message || "try again"}`}
        {job.status === "CANCELLED" && "Sync cancelled."}
      </p>
    </div>
  );
}
