// A vault's page: its user groups (name, member count, the link that fills it, if any) with
// Create group (a name), and its users (the members of its groups: user name, state, license
// type, in how many groups, active), a page at a time.

import { call, get, ROOT } from "../api.js";
import { fill, h, licenseName, nameForm, paging, table, when } from "../dom.js";
import { linkState, sourceGroups, vaultGroupHref } from "./links.js";

/** A vault's users or a group's members as table rows: user name (its user page), name,
 * state, license type, then the cells `more` adds. */
export function userRows(items, more = () => []) {
  return items.map((u) => [
    u.user_name ? h("a", { href: `${ROOT}/users/${encodeURIComponent(u.id)}` }, u.user_name) : h("span", { class: "aside" }, "(no longer in the subscription)"),
    u.display_name || "—",
    u.state || "—",
    licenseName(u.license),
    ...more(u),
  ]);
}

/** What a vault group's link says: from which provisioned group, and its state; or none. */
export function linkCell(group, links, sources) {
  const link = group.link && links.find((l) => l.id === group.link);
  if (!link) return "not linked";
  return [`from ${sources.names.get(link.source_group) || link.source_group} `, linkState(link)];
}

export async function render(ctx) {
  const id = ctx.params.id;
  const base = `/subscriptions/${ctx.sub}/vaults/${encodeURIComponent(id)}`;
  const cursor = ctx.query.get("cursor") || "";
  const [vault, users, sources] = await Promise.all([
    get(base),
    get(`${base}/users${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ""}`),
    sourceGroups(ctx.sub),
  ]);
  const listed = h("div", { id: "vault-groups" });
  const refresh = async () => {
    const [groups, links] = await Promise.all([get(`${base}/groups`), get(`/subscriptions/${ctx.sub}/links`)]);
    const rows = groups.items.map((g) => [
      h("a", { href: vaultGroupHref(id, g.id) }, g.name),
      String(g.member_count),
      linkCell(g, links.items, sources),
      when(g.created),
    ]);
    fill(listed, table(`User groups of ${vault.name}`, ["Group", "Members", "Link", "Created"], rows, "No group yet."));
  };
  await refresh();

  return h(
    "section",
    {},
    h("p", { class: "crumbs" }, h("a", { href: `${ROOT}/vaults` }, "Vaults")),
    h("h1", {}, vault.name),
    h("p", { class: "subtitle" }, "Vault created ", when(vault.created)),
    h("section", { "aria-labelledby": "groups-heading" },
      h("h2", { id: "groups-heading" }, "User groups"),
      createGroup(base, refresh),
      listed),
    h("section", { "aria-labelledby": "users-heading" },
      h("h2", { id: "users-heading" }, "Users"),
      h("p", {}, "The members of the vault's groups. A user in none of them any more is not active."),
      table(`Users of ${vault.name}`, ["User name", "Name", "State", "License type", "Groups", "Active"],
        userRows(users.items, (u) => [String(u.groups), u.active ? "yes" : "no"]), "No user yet."),
      paging(`/vaults/${encodeURIComponent(id)}`, {}, cursor, users.next_cursor, "Pages of users")),
  );
}

function createGroup(base, refresh) {
  return nameForm({
    id: "vault-group-name",
    label: "New group's name",
    button: "Create group",
    make: async (name) => (await call("POST", `${base}/groups`, { name })).body,
    done: async (made) => {
      await refresh();
      return `Group ${made.name} created.`;
    },
  });
}
