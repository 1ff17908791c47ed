// Provisioning > User groups: the groups the identity provider pushed, with their member
// count and the license type each gives its members. A change on a large group runs as a
// background job: its progress shows here until it is done.

import { call, get } from "../api.js";
import { h, licenseSelect, live, showError, showStatus, table } from "../dom.js";
import { followJob } from "../jobs.js";
import { configurationNames } from "./users.js";

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
          if (answer.status === 202) await followJob(ctx.sub, answer.body.job, progress, said, progressText);
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

/** What a license job has done so far. */
function progressText(job) {
  return job.state === "done"
    ? `Done: ${job.done} of ${job.total} members updated.`
    : `Working: ${job.done} of ${job.total} members updated…`;
}
