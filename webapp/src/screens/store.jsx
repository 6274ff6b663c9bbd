import { useState } from "preact/hooks";
import { mutate } from "../api.js";
import { Heading, Alert, useApp, errorText } from "../ui.jsx";
import { useJob, FINAL, JobBar } from "../jobs.jsx";
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
    notify(j.status === "SUCCEEDED" ? "Your store is up to date." : `The sync ended: ${j.status.toLowerCase()}.`);
  });
  const running = job && !FINAL.has(job.status);
  const analysis = useJob(store.analysisJob, () => refreshStores());

  const sync = async (full) => {
    setBusy(true);
    setError("");
    try {
      const payload = await mutate("StoreSyncStart", { storeId: store.id, full: full === true }, "storeSyncStart");
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
        {job ? <JobBar job={job} label="Sync progress" noun="Sync" /> : <p>Not synced yet: sync to see the store's images.</p>}
        {analysis && (
          <>
            <h3>Image analysis</h3>
            <p class="hint">Pixport measures each image (size, format, background) and finds duplicates; those filters fill in as it goes.</p>
            <JobBar job={analysis} label="Analysis progress" noun="Analysis" />
          </>
        )}
        <Alert message={error} />
        <div class="actions">
          <button type="button" class="primary" onClick={() => sync(false)} disabled={busy || running}>{running ? "Syncing…" : "Sync now"}</button>
          <button type="button" onClick={() => sync(true)} disabled={busy || running} title="Read every product again, not only the changes">Full sync</button>
          {store.imageCount > 0 && <a class="button" href="#/images">Browse images</a>}
        </div>
      </div>
    </section>
  );
}
