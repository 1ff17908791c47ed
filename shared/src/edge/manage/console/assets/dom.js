// Building the page: h() makes elements from data (text is always text, never markup), and
// the few pieces every page shares: headings, tables, labelled fields, error and status
// messages, confirmations, page links, copy fields.

import { ROOT, query } from "./api.js";

/** An element: h("a", {href: "/x", class: "y"}, "text", child, …). `on<event>` attributes are listeners. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") el.addEventListener(name.slice(2), value);
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces the children of `el`. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A table with a caption, column headers and rows (arrays of cells). */
export function table(caption, headers, rows, empty = "None yet.") {
  if (rows.length === 0) return h("p", { class: "empty" }, empty);
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      {},
      h("caption", {}, caption),
      h("thead", {}, h("tr", {}, headers.map((name) => h("th", { scope: "col" }, name)))),
      // Each cell names its column too: narrow screens show the rows as cards (style.css),
      // each cell a grid of its name and its content: a content of many pieces is one span.
      h("tbody", {}, rows.map((cells) => h("tr", {}, cells.map((cell, i) =>
        h("td", { "data-label": headers[i] }, Array.isArray(cell) ? h("span", {}, cell) : cell))))),
    ),
  );
}

/** A labelled control: the label above it. */
export function field(id, label, control) {
  return h("div", { class: "field" }, h("label", { for: id }, label), control);
}

/** The First page and Next page links of a list read a page at a time: `path` (under ROOT)
 * with `params`, at `cursor` (none: the first page); `next` is the answer's next_cursor. */
export function paging(path, params, cursor, next, label = "Pages") {
  return h("nav", { class: "paging", "aria-label": label },
    cursor ? h("a", { href: `${ROOT}${path}${query(params)}` }, "First page") : null,
    next ? h("a", { href: `${ROOT}${path}${query({ ...params, cursor: next })}`, rel: "next" }, "Next page") : null);
}

/** A one-field form that makes something named: `make(name)` sends the trimmed name and
 * answers what was made, then `done(made)` redraws and says what happened; an API error
 * shows its message next to the field. */
export function nameForm({ id, label, button, make, done }) {
  const said = live();
  const name = h("input", { id, required: true, maxlength: 200, autocomplete: "off" });
  return h(
    "form",
    {
      class: "inline",
      "aria-label": button,
      onsubmit: async (e) => {
        e.preventDefault();
        try {
          const made = await make(name.value.trim());
          name.value = "";
          showStatus(said, await done(made));
        } catch (err) {
          showError(said, err);
          name.focus();
        }
      },
    },
    field(id, label, name),
    h("button", { type: "submit" }, button),
    said,
  );
}

/** Asks in `region` (a .confirm, after the button that asked) whether to go on: `question`,
 * then the `yes` button runs `action`; Cancel clears the question. */
export function confirmIn(region, question, yes, action) {
  fill(
    region,
    h("p", { role: "alert" }, question),
    h("button", { type: "button", class: "danger", onclick: action }, yes),
    h("button", { type: "button", onclick: () => fill(region) }, "Cancel"),
  );
}

/** A message region that screen readers announce when it changes. */
export function live(kind = "status") {
  return h("p", { class: `message ${kind}`, role: kind === "error" ? "alert" : "status", "aria-live": "polite" });
}

/** Shows `error`'s message (the API's) in `region`, or clears it. */
export function showError(region, error) {
  region.className = "message error";
  region.textContent = error ? error.message : "";
}

export function showStatus(region, text) {
  region.className = "message status";
  region.textContent = text;
}

/** A read-only value with a button that copies it to the clipboard. */
export function copyField(label, value, id) {
  const said = live();
  const button = h(
    "button",
    {
      type: "button",
      class: "copy",
      "aria-label": `Copy ${label.toLowerCase()}`,
      onclick: async () => {
        try {
          await navigator.clipboard.writeText(value);
          said.textContent = `${label} copied.`;
        } catch (e) {
          said.textContent = `Could not copy: select the text and copy it.`;
        }
      },
    },
    "Copy",
  );
  return h(
    "div",
    { class: "copy-field" },
    h("label", { for: id }, label),
    h("div", { class: "copy-row" }, h("input", { id, type: "text", readonly: true, value }), button),
    said,
  );
}

/** The license types, and how the console names them. */
export const LICENSES = [
  ["named", "Named"],
  ["concurrent", "Concurrent"],
  ["read-only", "Read-only"],
  ["none", "No license"],
];

export function licenseName(value) {
  const found = LICENSES.find(([v]) => v === value);
  return found ? found[1] : value || "—";
}

/** A <select> of license types. */
export function licenseSelect(id, selected, attrs = {}) {
  return h(
    "select",
    { id, ...attrs },
    LICENSES.map(([value, name]) => h("option", { value, selected: value === selected }, name)),
  );
}

/** A time as the reader's locale writes it, or "never". */
export function when(time) {
  if (!time) return "never";
  const date = new Date(time);
  return h("time", { datetime: time }, date.toLocaleString());
}
