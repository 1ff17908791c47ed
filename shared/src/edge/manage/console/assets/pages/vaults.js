// Vaults: the subscription's vaults (each name leads to its page) and, for the subscription
// admin and the operator, Create vault (a name). An access admin reads them: the API leaves
// making vaults to the subscription admin.

import { call, get, ROOT } from "../api.js";
import { fill, h, nameForm, table, when } from "../dom.js";

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
  return nameForm({
    id: "vault-name",
    label: "New vault's name",
    button: "Create vault",
    make: async (name) => (await call("POST", base, { name })).body,
    done: async (made) => {
      await refresh();
      return `Vault ${made.name} created.`;
    },
  });
}
