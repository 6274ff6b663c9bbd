import { useEffect, useState } from "preact/hooks";
import { subscribe, gql } from "./api.js";

export const FINAL = new Set(["SUCCEEDED", "FAILED", "CANCELLED"]);

/** The job as jobProgress reports it (the job now, then every change), re-subscribed after a
 * dropped connection; ``onFinal`` runs once when it reaches a final status. */
export function useJob(initial, onFinal) {
  const [job, setJob] = useState(initial);
  const jobId = initial && initial.id;
  useEffect(() => { setJob(initial); }, [jobId]);
  useEffect(() => {
    if (!jobId || (initial && FINAL.has(initial.status))) return undefined;
    let done = false;
    const finish = (j) => { if (!done && j && FINAL.has(j.status)) { done = true; onFinal && onFinal(j); } };
    const stop = subscribe("JobProgress", { jobId }, {
      next: (data) => { setJob(data.jobProgress); finish(data.jobProgress); },
      error: async () => { // the socket gave up: one read tells the state
        try { const data = await gql("Job", { id: jobId }); if (data.job) { setJob(data.job); finish(data.job); } } catch { /* shown as is */ }
      },
      complete: () => {},
    });
    return () => stop();
  }, [jobId]);
  return job;
}

export function JobProgress({ job, label }) {
  if (!job) return null;
  const running = !FINAL.has(job.status);
  const determinate = job.total != null && job.total > 0;
  const pct = determinate ? Math.min(100, Math.round((job.done / job.total) * 100)) : null;
  return (
    <div class="job">
      {running ? (
        determinate
          ? <progress aria-label={label} max={job.total} value={job.done} />
          : <progress aria-label={label} />
      ) : (
        <progress aria-label={label} max={1} value={job.status === "SUCCEEDED" ? 1 : 0} />
      )}
      <p class="job-text">
        {job.status === "QUEUED" && "Waiting to start…"}
        {job.status === "RUNNING" && (determinate ? `Working… ${job.done} of ${job.total} (${pct}%)` : `Working… ${job.done} done`)}
        {job.status === "SUCCEEDED" && "Done."}
        {job.status === "FAILED" && `Failed: ${job.message || "see the log"}`}
        {job.status === "CANCELLED" && "Cancelled."}
        {running && job.message ? ` ${job.message}` : ""}
      </p>
    </div>
  );
}
