// Home: users by state, users waiting for a license (a link to them), seats used / purchased
// per license type, and the configurations with their last activity. The operator also sets
// the purchased seats here.

import { call, get, ROOT } from "../api.js";
import { h, licenseName, live, showError, showStatus, table, when } from "../dom.js";

/** The license types with seats, in the order Home shows them. */
const POOLS = ["named", "concurrent", "read-only"];

export async function render(ctx) {
  const home = await get(`/subscriptions/${ctx.sub}`);
  const waiting = home.users.waiting;
  return h(
    "section",
    { class: "home" },
    h("h1", {}, "Home"),
    h("p", { class: "subtitle" }, home.name),
    h(
      "div",
      { class: `callout${waiting > 0 ? " attention" : ""}` },
      h("a", { href: `${ROOT}/users?waiting=true`, id: "waiting-link" },
        h("span", { class: "big", id: "waiting-count" }, String(waiting)),
        " ",
        waiting === 1 ? "user waiting for a license" : "users waiting for a license"),
    ),
    h(
      "div",
      { class: "cards" },
      h(
        "section",
        { class: "card", "aria-labelledby": "users-heading" },
        h("h2", { id: "users-heading" }, "Users"),
        h("dl", { class: "figures" },
          h("dt", {}, "Enabled"), h("dd", { id: "users-enabled" }, String(home.users.enabled)),
          h("dt", {}, "Disabled"), h("dd", { id: "users-disabled" }, String(home.users.disabled))),
      ),
      h(
        "section",
        { class: "card", "aria-labelledby": "seats-heading" },
        h("h2", { id: "seats-heading" }, "Seats"),
        POOLS.filter((type) => home.pools[type]).map((type) => seat(ctx, type, home.pools[type])),
      ),
    ),
    h(
      "section",
      { "aria-labelledby": "configurations-heading" },
      h("h2", { id: "configurations-heading" }, "Configurations"),
      table(
        "Provisioning configurations and their last activity",
        ["Configuration", "Status", "Last activity"],
        home.configurations.map((c) => [c.name, c.status, when(c.last_activity)]),
        "No configuration yet.",
      ),
    ),
  );
}

function seat(ctx, type, pool) {
  const limited = type !== "concurrent";
  const id = `seats-${type}`;
  const text = limited
    ? `${pool.used} of ${pool.purchased} used`
    : `${pool.used} assigned (not limited)`;
  return h(
    "div",
    { class: "seat", id },
    h("div", { class: "seat-head" },
      h("span", { class: "seat-type", id: `${id}-label` }, licenseName(type)),
      h("span", { class: "seat-figures", id: `${id}-text` }, text, pool.waiting ? ` · ${pool.waiting} waiting` : "")),
    limited
      ? h("meter", { min: 0, max: Math.max(pool.purchased, 1), value: pool.used, "aria-labelledby": `${id}-label ${id}-text` })
      : null,
    limited && ctx.session.role === "operator" ? purchase(ctx, type, pool) : null,
  );
}

/** The operator's control of a pool's purchased seats. */
function purchase(ctx, type, pool) {
  const id = `purchase-${type}`;
  const input = h("input", { id, type: "number", min: 0, step: 1, value: pool.purchased, inputmode: "numeric" });
  const said = live();
  return h(
    "form",
    {
      class: "inline",
      onsubmit: async (e) => {
        e.preventDefault();
        try {
          await call("PUT", `/subscriptions/${ctx.sub}/pools/${type}`, { purchased: Number(input.value) });
          showStatus(said, "Saved.");
          ctx.navigate(location.pathname.slice(ROOT.length) + location.search, { replace: true });
        } catch (err) {
          showError(said, err);
        }
      },
    },
    h("label", { for: id }, `Purchased ${licenseName(type)} seats`),
    input,
    h("button", { type: "submit" }, "Save"),
    said,
  );
}
