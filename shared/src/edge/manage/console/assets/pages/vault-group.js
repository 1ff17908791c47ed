// A vault group's page: its vault, member count and link (the provisioned group it follows,
// if any), and its members (user name, state, license type), a page at a time.

import { get, ROOT } from "../api.js";
import { h, paging, table } from "../dom.js";
import { sourceGroups } from "./links.js";
import { linkCell, userRows } from "./vault.js";

export async function render(ctx) {
  const { id, group: gid } = ctx.params;
  const vaultBase = `/subscriptions/${ctx.sub}/vaults/${encodeURIComponent(id)}`;
  const base = `${vaultBase}/groups/${encodeURIComponent(gid)}`;
  const cursor = ctx.query.get("cursor") || "";
  const [vault, group, members, links, sources] = await Promise.all([
    get(vaultBase),
    get(base),
    get(`${base}/members${cursor ? `?cursor=${encodeURIComponent(cursor)}` : ""}`),
    get(`/subscriptions/${ctx.sub}/links`),
    sourceGroups(ctx.sub),
  ]);
  const vaultHref = `${ROOT}/vaults/${encodeURIComponent(id)}`;
  return h(
    "section",
    {},
    h("p", { class: "crumbs" }, h("a", { href: `${ROOT}/vaults` }, "Vaults"), " › ", h("a", { href: vaultHref }, vault.name)),
    h("h1", {}, group.name),
    h("dl", { class: "details" },
      h("dt", {}, "Vault"), h("dd", {}, vault.name),
      h("dt", {}, "Members"), h("dd", { id: "group-member-count" }, String(group.member_count)),
      h("dt", {}, "Link"), h("dd", { id: "group-link" }, linkCell(group, links.items, sources), " ",
        h("a", { href: `${ROOT}/provisioning/links` }, "All links"))),
    h("section", { "aria-labelledby": "members-heading" },
      h("h2", { id: "members-heading" }, "Members"),
      table(`Members of ${group.name}`, ["User name", "Name", "State", "License type"], userRows(members.items), "No member."),
      paging(`/vaults/${encodeURIComponent(id)}/groups/${encodeURIComponent(gid)}`, {}, cursor, members.next_cursor, "Pages of members")),
  );
}
