// Provisioning > Links: which provisioned group fills which vault group. The list (source
// group, target vault and group, state, created) with a Delete per link, after a confirmation
// that the target keeps its members and stops following; and Create link: a source group, a
// vault and a target group of it (an existing one no link fills yet, or a new one by name),
// under the warning that the target's members are replaced. A link's first replacement is a
// background job: its progress shows until the link is active.

import { call, get, ROOT } from "../api.js";
import { confirmIn, field, fill, h, live, showError, showStatus, table, when } from "../dom.js";
import { followJob, waitFor } from "../jobs.js";
import { configurationNames } from "./users.js";

/** What Create link warns of. */
export const REPLACED = "All existing members of the target group are replaced by the members of the source group.";

/** The provisioned groups, and how the console names each: its name, with its configuration's
 * when two configurations push groups of the same name. */
export async function sourceGroups(sub) {
  const [groups, configurations] = await Promise.all([get(`/subscriptions/${sub}/groups`), configurationNames(sub)]);
  const count = new Map();
  for (const g of groups) count.set(g.display_name, (count.get(g.display_name) || 0) + 1);
  const names = new Map(groups.map((g) => [
    g.id,
    count.get(g.display_name) > 1 ? `${g.display_name} (${configurations.get(g.configuration) || g.configuration})` : g.display_name,
  ]));
  return { groups, names };
}

/** A link's state, as a tag; a removed link says why. */
export function linkState(link) {
  if (link.state === "active") return h("span", { class: "tag ok" }, "active");
  if (link.state === "pending") return h("span", { class: "tag waiting" }, "pending");
  return [link.state, link.removed_cause === "source-deleted" ? h("span", { class: "aside" }, " (source group deleted)") : null];
}

/** The address of a vault group's page. */
export function vaultGroupHref(vault, group) {
  return `${ROOT}/vaults/${encodeURIComponent(vault)}/groups/${encodeURIComponent(group)}`;
}

export async function render(ctx) {
  const base = `/subscriptions/${ctx.sub}`;
  const [sources, vaults] = await Promise.all([sourceGroups(ctx.sub), get(`${base}/vaults`).then((v) => v.items)]);
  const vaultNames = new Map(vaults.map((v) => [v.id, v.name]));
  const listed = h("div", { id: "link-list" });
  const refresh = async () => {
    const links = (await get(`${base}/links`)).items;
    // The target groups' names: each linked vault's groups, read once.
    const linked = [...new Set(links.map((l) => l.vault))];
    const groupsOf = await Promise.all(linked.map((v) => get(`${base}/vaults/${encodeURIComponent(v)}/groups`)));
    const targets = new Map(groupsOf.flatMap((list) => list.items.map((g) => [g.id, g.name])));
    const rows = links.map((l) => {
      const source = sources.names.get(l.source_group) || l.source_group;
      const target = targets.get(l.target_group) || l.target_group;
      return [
        source,
        h("a", { href: `${ROOT}/vaults/${encodeURIComponent(l.vault)}` }, vaultNames.get(l.vault) || l.vault),
        h("a", { href: vaultGroupHref(l.vault, l.target_group) }, target),
        linkState(l),
        when(l.created),
        l.state === "removed" ? "—" : actions(base, l, source, target, refresh),
      ];
    });
    fill(listed, table("Links from provisioned groups to vault groups", ["Source group", "Target vault", "Target group", "State", "Created", "Actions"], rows, "No link yet."));
  };
  await refresh();
  return h(
    "section",
    {},
    h("h1", {}, "Links"),
    h("p", {}, "A link fills a vault's user group (the target) with the members of a provisioned group (the source): from then on the target follows the source's members."),
    listed,
    createForm(base, ctx.sub, sources, vaults, refresh),
  );
}

/** A link's Delete, asked first. */
function actions(base, link, source, target, refresh) {
  const said = live();
  const confirm = h("div", { class: "confirm" });
  const remove = h("button", {
    type: "button",
    class: "danger",
    "aria-label": `Delete the link from ${source} to ${target}`,
    onclick: () =>
      confirmIn(
        confirm,
        `Delete the link from ${source} to ${target}? ${target} keeps its members and stops following ${source}.`,
        "Yes, delete the link",
        async () => {
          try {
            await call("DELETE", `${base}/links/${encodeURIComponent(link.id)}`);
            await refresh();
          } catch (err) {
            showError(said, err);
          }
        },
      ),
  }, "Delete");
  return h("div", { class: "actions" }, remove, confirm, said);
}

function createForm(base, sub, sources, vaults, refresh) {
  const said = live();
  const progress = h("progress", { max: 1, value: 0, hidden: true, "aria-label": "Progress of the new link" });
  const source = h("select", { id: "link-source", required: true },
    h("option", { value: "" }, "Choose a provisioned group"),
    sources.groups.map((g) => h("option", { value: g.id }, sources.names.get(g.id))));
  const target = h("select", { id: "link-target", required: true });
  const name = h("input", { id: "link-new-name", maxlength: 200, autocomplete: "off" });
  const existingField = field("link-target", "Existing group of the vault", target);
  const newField = field("link-new-name", "Name of the new group", name);
  const kind = (value, text, checked) => h("div", { class: "check" },
    h("input", { type: "radio", id: `link-kind-${value}`, name: "link-kind", value, checked, onchange: showKind }),
    h("label", { for: `link-kind-${value}` }, text));
  const existing = kind("existing", "An existing group of the vault", true);
  const fresh = kind("new", "A new group", false);
  /** Shows the control of the kind of target chosen; the other is neither shown nor checked. */
  function showKind() {
    const isNew = fresh.querySelector("input").checked;
    existingField.hidden = isNew;
    target.disabled = isNew;
    newField.hidden = !isNew;
    name.disabled = !isNew;
    name.required = isNew;
  }
  /** How many times the vault's groups were asked for: only the last answer is shown. */
  let asked = 0;
  /** The chosen vault's groups; one a link fills already cannot be chosen. The group chosen
   * stays chosen while it can be. */
  const loadTargets = async () => {
    const ask = ++asked;
    if (!vault.value) {
      fill(target, h("option", { value: "" }, "Choose a vault first"));
      return;
    }
    try {
      const groups = (await get(`${base}/vaults/${encodeURIComponent(vault.value)}/groups`)).items;
      if (ask !== asked) return;
      const chosen = target.value;
      fill(target,
        h("option", { value: "" }, groups.some((g) => !g.link) ? "Choose a group" : "No group without a link: make a new one"),
        groups.map((g) => h("option", { value: g.id, disabled: Boolean(g.link), selected: g.id === chosen && !g.link }, g.link ? `${g.name} (linked already)` : g.name)));
    } catch (err) {
      showError(said, err);
    }
  };
  const vault = h("select", { id: "link-vault", required: true, onchange: loadTargets },
    h("option", { value: "" }, "Choose a vault"),
    vaults.map((v) => h("option", { value: v.id }, v.name)));
  showKind();
  loadTargets();

  return h(
    "form",
    {
      class: "stack",
      "aria-labelledby": "create-link-heading",
      "aria-describedby": "link-warning",
      onsubmit: async (e) => {
        e.preventDefault();
        const body = { source_group: source.value, vault: vault.value };
        if (name.required) body.new_target_group = name.value.trim();
        else body.target_group = target.value;
        try {
          showStatus(said, "Creating the link…");
          const link = (await call("POST", `${base}/links`, body)).body;
          await refresh();
          const job = await followJob(sub, link.job, progress, said, (j) =>
            j.state === "done"
              ? `Members replaced: ${j.done} of ${j.total}.`
              : `Replacing the target group's members: ${j.done} of ${j.total}…`);
          if (!job) return;
          // The job's last step marks the link active.
          const now = await waitFor(() => get(`${base}/links/${encodeURIComponent(link.id)}`), (l) => l.state !== "pending", null, progress);
          if (!now) return;
          await refresh();
          showStatus(said, now.state === "active"
            ? `Linked: the target group now follows ${sources.names.get(body.source_group)}.`
            : `The link is ${now.state}.`);
          name.value = "";
          await loadTargets();
        } catch (err) {
          showError(said, err);
        }
      },
    },
    h("h2", { id: "create-link-heading" }, "Create link"),
    field("link-source", "Source group (provisioned)", source),
    field("link-vault", "Target vault", vault),
    h("fieldset", { class: "choice" },
      h("legend", {}, "Target group"),
      existing,
      fresh,
      existingField,
      newField),
    h("p", { class: "warning", id: "link-warning" }, REPLACED),
    progress,
    said,
    h("button", { type: "submit" }, "Create link"),
  );
}
