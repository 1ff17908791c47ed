// Audit: who changed which user's license state, when and why, newest first; filtered by
// user, a page at a time.

import { get, query, ROOT } from "../api.js";
import { h, licenseName, table, when } from "../dom.js";
import { configurationNames } from "./users.js";

/** What an entry changed, in words: the license held, the target, waiting, the override. */
export function describe(entry) {
  const before = entry.before || {};
  const after = entry.after || {};
  if (Object.keys(before).length === 0) {
    const waits = after.waiting ? `, waiting for ${licenseName(after.target_license)}` : "";
    return `new user: holds ${licenseName(after.license)}${waits}`;
  }
  const parts = [];
  // A field a state lacks (a new user has no state before) counts as null.
  const changed = (name) => JSON.stringify(before[name] ?? null) !== JSON.stringify(after[name] ?? null);
  if (changed("license")) parts.push(`license ${licenseName(before.license)} → ${licenseName(after.license)}`);
  if (changed("target_license")) parts.push(`target ${licenseName(before.target_license)} → ${licenseName(after.target_license)}`);
  if (changed("override")) parts.push(`override ${before.override ? licenseName(before.override) : "none"} → ${after.override ? licenseName(after.override) : "none"}`);
  if (changed("waiting")) parts.push(after.waiting ? "started waiting" : "stopped waiting");
  if (changed("state")) parts.push(`${before.state || "new"} → ${after.state}`);
  if (changed("configuration")) parts.push("source configuration changed");
  return parts.length ? parts.join("; ") : "no license change";
}

/** Who made a change: a configuration (by its name) or an admin (by the token's subject). */
export function actor(id, names) {
  return names.has(id) ? `configuration ${names.get(id)}` : id;
}

export async function render(ctx) {
  const user = ctx.query.get("user") || "";
  const cursor = ctx.query.get("cursor") || "";
  const [page, names] = await Promise.all([
    get(`/subscriptions/${ctx.sub}/audit${query({ user, cursor, limit: 50 })}`),
    configurationNames(ctx.sub),
  ]);
  const form = h(
    "form",
    {
      class: "filters",
      role: "search",
      "aria-label": "Filter the audit trail",
      onsubmit: (e) => {
        e.preventDefault();
        ctx.navigate(`/audit${query({ user: String(new FormData(e.target).get("user") || "").trim() })}`);
      },
    },
    h("div", { class: "field" }, h("label", { for: "audit-user" }, "User id"),
      h("input", { id: "audit-user", name: "user", type: "search", value: user, autocomplete: "off" })),
    h("button", { type: "submit" }, "Apply"),
  );
  const rows = page.items.map((e) => [
    when(e.time),
    h("a", { href: `${ROOT}/users/${encodeURIComponent(e.user)}` }, e.user),
    e.cause,
    actor(e.actor, names),
    describe(e),
  ]);
  return h(
    "section",
    {},
    h("h1", {}, "Audit"),
    form,
    table("Audit trail, newest first", ["Time", "User", "Cause", "By", "Change"], rows, "Nothing recorded."),
    h("nav", { class: "paging", "aria-label": "Pages" },
      cursor ? h("a", { href: `${ROOT}/audit${query({ user })}` }, "Newest") : null,
      page.next_cursor ? h("a", { href: `${ROOT}/audit${query({ user, cursor: page.next_cursor })}`, rel: "next" }, "Older entries") : null),
  );
}
