// Users: the subscription's users with their license type and a waiting tag, filtered by
// state, license type, waiting and the start of the user name, a page at a time.

import { get, query, ROOT } from "../api.js";
import { field, h, LICENSES, licenseName, paging, table } from "../dom.js";

/** Users per page. */
const PAGE = 50;

/** The configurations' names by id (every admin may read Home, which lists them). */
export async function configurationNames(sub) {
  const home = await get(`/subscriptions/${sub}`);
  return new Map(home.configurations.map((c) => [c.id, c.name]));
}

/** The License type cell: what the user holds, and a waiting tag naming what it waits for. */
export function licenseCell(user) {
  return [
    licenseName(user.license),
    user.waiting
      ? [" ", h("span", { class: "tag waiting", title: `Waiting for a ${licenseName(user.target_license)} license` }, "waiting"),
         h("span", { class: "aside" }, ` for ${licenseName(user.target_license)}`)]
      : null,
  ];
}

export async function render(ctx) {
  const q = ctx.query;
  const filters = {
    state: q.get("state") || "",
    license: q.get("license") || "",
    waiting: q.get("waiting") === "true" ? "true" : "",
    user_name: q.get("user_name") || "",
  };
  const cursor = q.get("cursor") || "";
  const [page, names] = await Promise.all([
    get(`/subscriptions/${ctx.sub}/users${query({ ...filters, cursor, limit: PAGE })}`),
    configurationNames(ctx.sub),
  ]);

  const form = h(
    "form",
    {
      class: "filters",
      role: "search",
      "aria-label": "Filter users",
      onsubmit: (e) => {
        e.preventDefault();
        const data = new FormData(e.target);
        ctx.navigate(`/users${query({
          state: data.get("state"),
          license: data.get("license"),
          waiting: data.get("waiting") ? "true" : "",
          user_name: String(data.get("user_name") || "").trim(),
        })}`);
      },
    },
    field("user_name", "User name starts with", h("input", { id: "user_name", name: "user_name", type: "search", value: filters.user_name, autocomplete: "off" })),
    field("state", "State", h("select", { id: "state", name: "state" },
      [["", "Any"], ["enabled", "Enabled"], ["disabled", "Disabled"]].map(([v, t]) => h("option", { value: v, selected: v === filters.state }, t)))),
    field("license", "License type", h("select", { id: "license", name: "license" },
      h("option", { value: "" }, "Any"),
      LICENSES.map(([v, t]) => h("option", { value: v, selected: v === filters.license }, t)))),
    h("div", { class: "check" },
      h("input", { id: "waiting", name: "waiting", type: "checkbox", checked: filters.waiting === "true" }),
      h("label", { for: "waiting" }, "Only users waiting for a license")),
    h("button", { type: "submit" }, "Apply"),
  );

  const rows = page.items.map((u) => [
    h("a", { href: `${ROOT}/users/${encodeURIComponent(u.id)}` }, u.user_name),
    u.display_name || "—",
    u.state,
    u.configuration ? names.get(u.configuration) || u.configuration : "—",
    licenseCell(u),
  ]);

  return h(
    "section",
    {},
    h("h1", {}, "Users"),
    form,
    table("Users of the subscription", ["User name", "Name", "State", "Source configuration", "License type"], rows,
      "No user matches."),
    paging("/users", filters, cursor, page.next_cursor),
  );
}
