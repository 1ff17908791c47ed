// Vaults: the subscription's vaults (each name leads to its page) and, for the subscription
// admin and the operator, Create vault (a name). An access admin reads them: the API leaves
// making vaults to the subscription admin.

import { call, get, ROOT } from "../api.js";
import { field, fill, h, live, showError, showStatus, table, when } from "../dom.js";

export async function render(ctx) {
  const base = `/subscriptions/${ctx.sub}/vaults`;
  const listed = h("div", { id: "vault-list" });
  const refresh = async () => {
    const vaults = (await get(base)).items;
    const rows = vaults.map((v) => [h("a", { href: `${ROOT}/vaults/${encodeURIComponent(v.id)}` }, v.name), when(v.created)]);
    fill(listed, table("Vaults of the subscription", ["Vault", "Created"], rows, "No vault yet."));
  };
  await refresh();
  return h(
    "section",
    {},
    h("h1", {}, "Vaults"),
    h("p", {}, "A vault has user groups; its users are their members. A link fills a group from a provisioned group (Provisioning › Links)."),
    ctx.session.role === "access-admin"
      ? h("p", { class: "aside" }, "Vaults are made by the subscription admin; you may make their groups and links.")
      : createForm(base, refresh),
    listed,
  );
}

function createForm(base, refresh) {
  const said = live();
  const name = h("input", { id: "vault-name", required: true, maxlength: 200, autocomplete: "off" });
  return h(
    "form",
    {
      class: "inline",
      "aria-label": "Create vault",
      onsubmit: async (e) => {
        e.preventDefault();
        try {
          const made = (await call("POST", base, { name: name.value.trim() })).body;
          name.value = "";
          await refresh();
          showStatus(said, `Vault ${made.name} created.`);
        } catch (err) {
          showError(said, err);
          name.focus();
        }
      },
    },
    field("vault-name", "New vault's name", name),
    h("button", { type: "submit" }, "Create vault"),
    said,
  );
}
