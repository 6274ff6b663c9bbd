import { useEffect, useState } from "preact/hooks";
import { subscribe, gql } from "./api.js";
import { when } from "./format.js";

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

/** A job's progress bar and its status in words (e.g. "Sync running… 40 of 200"). */
export function JobBar({ job, label, noun }) {
  const running = !FINAL.has(job.status);
  const determinate = job.total != null && job.total > 0;
  return (
    <div class="job">
      {running && !determinate
        ? <progress aria-label={label} />
        : <progress aria-label={label} max={determinate ? job.total : 1}
            value={running ? job.done : job.status === "SUCCEEDED" ? (determinate ? job.total : 1) : job.done} />}
      <p class="job-text">
        {job.status === "QUEUED" && `${noun} queued…`}
        {job.status === "RUNNING" && (determinate ? `${noun} running… ${job.done} of ${job.total}` : `${noun} running… ${job.done} done`)}
        {job.status === "SUCCEEDED" && `${noun} succeeded${job.finishedAt ? ` (${when(job.finishedAt)})` : ""}.`}
        {job.status === "FAILED" && `${noun} failed: ${job.message || "try again"}`}
        {job.status === "CANCELLED" && `${noun} cancelled.`}
      </p>
    </div>
  );
}
