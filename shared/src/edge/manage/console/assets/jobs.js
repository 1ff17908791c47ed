// Waiting on work the service does in the background: reading something again and again
// until it is finished, and a background job's progress (GET …/jobs/{job}) shown in a
// <progress> and a status message until the job is done. Pages that start a job share it.

import { get } from "./api.js";
import { showStatus } from "./dom.js";

/** How often a job's progress (or whatever is waited on) is read. */
export const POLL_MS = 500;

/** Calls `read()` until `finished(answer)`, every POLL_MS, and hands each answer to `each`.
 * The last answer; null once `owner` (an element of the page) has left the document: the
 * person went to another page, and nobody looks any more. */
export async function waitFor(read, finished, each, owner) {
  for (;;) {
    const answer = await read();
    if (owner && !owner.isConnected) return null;
    if (each) each(answer);
    if (finished(answer)) return answer;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Follows job `job` of subscription `sub` until it is done: `progress` (shown) says how far
 * it is, and `said` says `text(job)` at each reading. The job, done (null as for waitFor). */
export function followJob(sub, job, progress, said, text) {
  progress.hidden = false;
  return waitFor(
    () => get(`/subscriptions/${sub}/jobs/${encodeURIComponent(job)}`),
    (state) => state.state === "done",
    (state) => {
      progress.max = Math.max(state.total, 1);
      progress.value = state.done;
      showStatus(said, text(state));
    },
    progress,
  );
}
