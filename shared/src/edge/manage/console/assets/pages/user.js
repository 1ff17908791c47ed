// A user's page: what the user is and holds, its groups, its license history (the audit
// trail) and the override control: give it a license type by decision ("No license"
// included), or clear that and let the rules decide again.

import { call, get, ROOT } from "../api.js";
import { h, licenseName, licenseSelect, live, showError, table, when } from "../dom.js";
import { configurationNames, licenseCell } from "./users.js";
import { actor, describe } from "./audit.js";

export async function render(ctx) {
  const id = ctx.params.id;
  const base = `/subscriptions/${ctx.sub}/users/${encodeURIComponent(id)}`;
  const [user, names, history] = await Promise.all([
    get(base),
    configurationNames(ctx.sub),
    get(`/subscriptions/${ctx.sub}/audit?user=${encodeURIComponent(id)}&limit=50`),
  ]);
  const redraw = () => ctx.navigate(`/users/${encodeURIComponent(id)}`, { replace: true });

  const said = live();
  const select = licenseSelect("override", user.override || user.target_license);
  const override = h(
    "form",
    {
      class: "inline",
      onsubmit: async (e) => {
        e.preventDefault();
        try {
          await call("PUT", `${base}/license`, { license: select.value });
          redraw();
        } catch (err) {
          showError(said, err);
        }
      },
    },
    h("label", { for: "override" }, "License type by decision"),
    select,
    h("button", { type: "submit" }, "Set override"),
    user.override
      ? h("button", {
          type: "button",
          onclick: async () => {
            try {
              await call("DELETE", `${base}/license`);
              redraw();
            } catch (err) {
              showError(said, err);
            }
          },
        }, "Clear override")
      : null,
    said,
  );

  return h(
    "section",
    {},
    h("p", { class: "crumbs" }, h("a", { href: `${ROOT}/users` }, "Users")),
    h("h1", {}, user.user_name),
    h("dl", { class: "details" },
      h("dt", {}, "Name"), h("dd", {}, user.display_name || "—"),
      h("dt", {}, "State"), h("dd", {}, user.state),
      h("dt", {}, "Source configuration"), h("dd", {}, user.configuration ? names.get(user.configuration) || user.configuration : "—"),
      h("dt", {}, "License type"), h("dd", { id: "user-license" }, licenseCell(user)),
      h("dt", {}, "Target license type"), h("dd", {}, licenseName(user.target_license)),
      h("dt", {}, "Override"), h("dd", { id: "user-override" }, user.override ? licenseName(user.override) : "none: the rules decide"),
      user.waiting ? [h("dt", {}, "Waiting since"), h("dd", {}, when(user.waiting_since))] : null),
    h("section", { "aria-labelledby": "override-heading" },
      h("h2", { id: "override-heading" }, "Override"),
      h("p", {}, "An override gives this user a license type whatever its groups and configuration say; it takes a free seat even while others wait."),
      override),
    h("section", { "aria-labelledby": "groups-heading" },
      h("h2", { id: "groups-heading" }, "Groups"),
      table("Provisioned groups of this user", ["Group", "License type of the group"],
        user.groups.map((g) => [g.display_name, g.license ? licenseName(g.license) : "—"]), "In no provisioned group.")),
    h("section", { "aria-labelledby": "history-heading" },
      h("h2", { id: "history-heading" }, "License history"),
      table("License history, newest first", ["Time", "Cause", "By", "Change"],
        history.items.map((e) => [when(e.time), e.cause, actor(e.actor, names), describe(e)]), "No change recorded."),
      h("p", {}, h("a", { href: `${ROOT}/audit?user=${encodeURIComponent(id)}` }, "This user in the audit trail"))),
  );
}
