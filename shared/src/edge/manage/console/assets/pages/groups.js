// Provisioning > User groups: the groups the identity provider pushed, with their member
// count and the license type each gives its members. A change on a large group runs as a
// background job: its progress shows here until it is done.

import { call, get } from "../api.js";
import { h, licenseSelect, live, showError, showStatus, table } from "../dom.js";
import { configurationNames } from "./users.js";

/** How often a job's progress is read. */
const POLL_MS = 500;

export async function render(ctx) {
  const [groups, names] = await Promise.all([get(`/subscriptions/${ctx.sub}/groups`), configurationNames(ctx.sub)]);
  const rows = groups.map((g) => [
    g.display_name,
    names.get(g.configuration) || g.configuration,
    String(g.member_count),
    licenseControl(ctx, g),
  ]);
  return h(
    "section",
    {},
    h("h1", {}, "User groups"),
    h("p", {}, "Groups come from your identity provider (Group Push). A group's license type is what its members get at least."),
    table("Provisioned groups", ["Group", "Configuration", "Members", "License type"], rows, "No group provisioned yet."),
  );
}

function licenseControl(ctx, group) {
  const id = `group-license-${group.id}`;
  const select = licenseSelect(id, group.license || "none");
  const said = live();
  const progress = h("progress", { max: 1, value: 0, hidden: true, "aria-label": `Progress of ${group.display_name}` });
  return h(
    "form",
    {
      class: "inline",
      onsubmit: async (e) => {
        e.preventDefault();
        try {
          const answer = await call("PUT", `/subscriptions/${ctx.sub}/groups/${encodeURIComponent(group.id)}/license`, { license: select.value });
          if (answer.status === 202) await follow(ctx, answer.body.job, progress, said);
          else showStatus(said, "Saved: the members' licenses follow.");
        } catch (err) {
          showError(said, err);
        }
      },
    },
    h("label", { for: id, class: "visually-hidden" }, `License type of ${group.display_name}`),
    select,
    h("button", { type: "submit", "aria-label": `Save the license type of ${group.display_name}` }, "Save"),
    progress,
    said,
  );
}

/** Reads a job's progress until it is done. */
async function follow(ctx, job, progress, said) {
  progress.hidden = false;
  for (;;) {
    const state = await get(`/subscriptions/${ctx.sub}/jobs/${encodeURIComponent(job)}`);
    progress.max = Math.max(state.total, 1);
    progress.value = state.done;
    if (state.state === "done") {
      showStatus(said, `Done: ${state.done} of ${state.total} members updated.`);
      return;
    }
    showStatus(said, `Working: ${state.done} of ${state.total} members updated…`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
