// Provisioning > Configurations: the list; Create configuration > Other SCIM provider (a
// name and the default license type), whose result shows the tenant URL, client ID and
// client secret once, each with a copy button; rotating a secret (shown once too),
// disabling, enabling and deleting (after a confirmation saying what happens to its users).
// Only the subscription admin and the operator see this page: the API refuses it to others.

import { call, get } from "../api.js";
import { confirmIn, copyField, fill, h, licenseName, licenseSelect, live, showError, table } from "../dom.js";

export async function render(ctx) {
  if (ctx.session.role === "access-admin") {
    return h("section", {}, h("h1", {}, "Configurations"), h("p", {}, "Provisioning configurations are managed by the subscription admin."));
  }
  const base = `/subscriptions/${ctx.sub}/configurations`;
  /** Where a once-only secret appears: it stays while the list below is read again. */
  const shown = h("div", { id: "secret-shown", tabindex: "-1" });
  const panel = h("div", { id: "create-panel" });
  const listed = h("div", { id: "configuration-list" });
  const refresh = async () => {
    const list = await get(base);
    const rows = list.items.map((c) => [
      c.name,
      licenseName(c.default_license),
      c.status,
      h("code", { class: "url" }, c.tenant_url),
      actions(c, base, shown, refresh),
    ]);
    fill(listed, table("Provisioning configurations", ["Name", "Default license type", "Status", "Tenant URL", "Actions"], rows, "No configuration yet."));
  };
  await refresh();

  const createButton = h("button", {
    type: "button",
    "aria-expanded": "false",
    "aria-controls": "create-panel",
    onclick: () => {
      const open = createButton.getAttribute("aria-expanded") === "true";
      createButton.setAttribute("aria-expanded", String(!open));
      fill(panel, open ? null : chooseProvider(base, panel, shown, refresh));
    },
  }, "Create configuration");

  return h(
    "section",
    {},
    h("h1", {}, "Configurations"),
    h("p", {}, "Each configuration connects one identity provider: it gets its own tenant URL, client ID and client secret."),
    createButton,
    panel,
    shown,
    listed,
  );
}

/** Create configuration: which provider (only "Other SCIM provider" today). */
function chooseProvider(base, panel, shown, refresh) {
  return h("div", { class: "menu" },
    h("button", { type: "button", onclick: () => fill(panel, createForm(base, panel, shown, refresh)) }, "Other SCIM provider"));
}

function createForm(base, panel, shown, refresh) {
  const said = live();
  const name = h("input", { id: "configuration-name", name: "name", required: true, maxlength: 128, autocomplete: "off" });
  const license = licenseSelect("configuration-license", "named");
  return h(
    "form",
    {
      class: "stack",
      "aria-labelledby": "create-heading",
      onsubmit: async (e) => {
        e.preventDefault();
        try {
          const made = (await call("POST", base, { name: name.value, default_license: license.value })).body;
          fill(panel);
          reveal(shown, `Configuration ${made.name} created`, [
            copyField("Tenant URL", made.tenant_url, "made-tenant-url"),
            copyField("Client ID", made.client_id, "made-client-id"),
            copyField("Client secret", made.client_secret, "made-client-secret"),
          ]);
          await refresh();
        } catch (err) {
          showError(said, err);
          name.focus();
        }
      },
    },
    h("h2", { id: "create-heading" }, "Other SCIM provider"),
    h("div", { class: "field" }, h("label", { for: "configuration-name" }, "Configuration name"), name),
    h("div", { class: "field" }, h("label", { for: "configuration-license" }, "Default license type for the provisioned users"), license),
    said,
    h("button", { type: "submit" }, "Create"),
  );
}

/** Shows values that are shown only once, with the warning that says so. */
function reveal(shown, title, fields) {
  fill(
    shown,
    h("section", { class: "once", "aria-labelledby": "once-heading" },
      h("h2", { id: "once-heading" }, title),
      h("p", { class: "warning" }, "The client secret is not shown again: copy it now and keep it in your identity provider."),
      fields),
  );
  shown.focus();
}

function actions(c, base, shown, refresh) {
  const one = `${base}/${encodeURIComponent(c.id)}`;
  const said = live();
  const confirm = h("div", { class: "confirm" });
  const run = (what) => async () => {
    try {
      await what();
    } catch (err) {
      showError(said, err);
    }
  };
  const rotate = h("button", {
    type: "button",
    "aria-label": `Rotate secret of ${c.name}`,
    onclick: run(async () => {
      const rotated = (await call("POST", `${one}/secret`)).body;
      reveal(shown, `New client secret of ${c.name}`, [copyField("Client secret", rotated.client_secret, "rotated-client-secret")]);
    }),
  }, "Rotate secret");
  const toggle = h("button", {
    type: "button",
    "aria-label": `${c.status === "enabled" ? "Disable" : "Enable"} ${c.name}`,
    onclick: run(async () => {
      await call("PATCH", one, { status: c.status === "enabled" ? "disabled" : "enabled" });
      await refresh();
    }),
  }, c.status === "enabled" ? "Disable" : "Enable");
  const remove = h("button", {
    type: "button",
    class: "danger",
    "aria-label": `Delete ${c.name}`,
    onclick: () =>
      confirmIn(
        confirm,
        `Delete ${c.name}? Its tenant URL and client secret stop working at once. Its users stay in the subscription, disabled and no longer provisioned, and release their seats.`,
        `Yes, delete ${c.name}`,
        run(async () => { await call("DELETE", one); fill(shown); await refresh(); }),
      ),
  }, "Delete");
  return h("div", { class: "actions" }, rotate, toggle, remove, confirm, said);
}
