// The console app: who is signed in, the navigation, and which page a path shows. Pages live
// in pages/, one file each; each exports render(ctx) → an element (or a promise of one).
// Paths are real paths under ROOT (the server answers every one with this app), so links,
// reloads and the back button work.

import { ApiError, ROOT, call, get } from "./api.js";
import { fill, h } from "./dom.js";
import * as signin from "./pages/signin.js";
import * as home from "./pages/home.js";
import * as users from "./pages/users.js";
import * as user from "./pages/user.js";
import * as configurations from "./pages/configurations.js";
import * as groups from "./pages/groups.js";
import * as links from "./pages/links.js";
import * as vaults from "./pages/vaults.js";
import * as vault from "./pages/vault.js";
import * as vaultGroup from "./pages/vault-group.js";
import * as audit from "./pages/audit.js";

/** Path patterns (after ROOT) and their pages; `:id` is one segment. */
const PAGES = [
  ["/", home],
  ["/users", users],
  ["/users/:id", user],
  ["/provisioning/configurations", configurations],
  ["/provisioning/groups", groups],
  ["/provisioning/links", links],
  ["/vaults", vaults],
  ["/vaults/:id", vault],
  ["/vaults/:id/groups/:group", vaultGroup],
  ["/audit", audit],
];

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const who = document.getElementById("who");
let session = null;
/** The address (path and query) of the page last drawn. */
let drawnAddress = null;

/** The operator acts in any subscription: the one chosen last in this tab. */
const CHOSEN = "console.subscription";

function subscriptionOf(session) {
  return session.subscription || sessionStorage.getItem(CHOSEN);
}

function match(path) {
  const parts = path.split("/").filter(Boolean);
  for (const [pattern, page] of PAGES) {
    const want = pattern.split("/").filter(Boolean);
    if (want.length !== parts.length) continue;
    const params = {};
    if (want.every((w, i) => (w.startsWith(":") ? ((params[w.slice(1)] = decodeURIComponent(parts[i])), true) : w === parts[i]))) {
      return { page, params };
    }
  }
  return null;
}

/** Goes to `path` (under ROOT, with its query) and draws it. */
export function navigate(path, { replace = false } = {}) {
  const url = `${ROOT}${path}`;
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  draw();
}

function here() {
  return location.pathname.slice(ROOT.length) || "/";
}

function drawNav() {
  const current = here();
  const link = (path, text) =>
    h("a", { href: `${ROOT}${path}`, "aria-current": current === path || (path !== "/" && current.startsWith(path + "/")) ? "page" : null }, text);
  const items = [link("/", "Home"), link("/users", "Users")];
  const provisioning = [];
  if (session.role !== "access-admin") provisioning.push(h("li", {}, link("/provisioning/configurations", "Configurations")));
  provisioning.push(h("li", {}, link("/provisioning/groups", "User groups")));
  provisioning.push(h("li", {}, link("/provisioning/links", "Links")));
  fill(
    nav,
    h(
      "ul",
      {},
      items.map((item) => h("li", {}, item)),
      h("li", { class: "group" }, h("span", { class: "group-name", id: "nav-provisioning" }, "Provisioning"), h("ul", { "aria-labelledby": "nav-provisioning" }, provisioning)),
      h("li", {}, link("/vaults", "Vaults")),
      h("li", {}, link("/audit", "Audit")),
    ),
  );
  const sub = subscriptionOf(session);
  fill(
    who,
    h("span", { class: "role" }, `${session.role}${sub ? ` · ${sub}` : ""}`),
    session.role === "operator" && sub
      ? h("button", { type: "button", class: "link", onclick: () => { sessionStorage.removeItem(CHOSEN); draw(); } }, "Change subscription")
      : null,
    h("button", { type: "button", onclick: signOut }, "Sign out"),
  );
}

async function signOut() {
  try {
    await call("DELETE", "/session");
  } finally {
    session = null;
    sessionStorage.removeItem(CHOSEN);
    history.replaceState(null, "", `${ROOT}/`);
    draw();
  }
}

/** The operator's choice of subscription. */
function chooseSubscription() {
  const input = h("input", { id: "subscription", name: "subscription", required: true, autocomplete: "off" });
  return h(
    "section",
    {},
    h("h1", {}, "Choose a subscription"),
    h("p", {}, "As the operator you act in any subscription: give its id."),
    h(
      "form",
      {
        onsubmit: (e) => {
          e.preventDefault();
          sessionStorage.setItem(CHOSEN, input.value.trim());
          draw();
        },
      },
      h("label", { for: "subscription" }, "Subscription id"),
      input,
      h("button", { type: "submit" }, "Open"),
    ),
  );
}

/** Draws the page of the current path: the sign-in page when nobody is signed in. */
async function draw() {
  if (!session) {
    try {
      session = await get("/session");
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 401) {
        fill(main, h("h1", {}, "The console cannot start"), h("p", { class: "message error", role: "alert" }, e.message));
        return;
      }
      await showSignIn();
      return;
    }
  }
  drawNav();
  drawnAddress = location.pathname + location.search;
  const found = match(here());
  const sub = subscriptionOf(session);
  let content;
  try {
    if (!sub) content = chooseSubscription();
    else if (!found) content = h("section", {}, h("h1", {}, "Page not found"), h("p", {}, h("a", { href: `${ROOT}/` }, "Go to Home")));
    else {
      const ctx = { session, sub, params: found.params, query: new URLSearchParams(location.search), navigate };
      content = await found.page.render(ctx);
    }
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      session = null;
      await showSignIn("Your session has ended: sign in again.");
      return;
    }
    content = h("section", {}, h("h1", {}, "Something went wrong"), h("p", { class: "message error", role: "alert" }, e.message));
  }
  fill(main, content);
  const heading = main.querySelector("h1");
  document.title = `${heading ? heading.textContent : "Console"} · Provisioning console`;
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: true });
  }
}

async function showSignIn(message) {
  let methods = null;
  try {
    methods = await get("/session/methods");
  } catch (e) {
    methods = null;
  }
  fill(nav);
  fill(who);
  fill(main, signin.render(message, methods));
  document.title = "Sign in · Provisioning console";
}

/** A failed identity-provider sign-in (`…/signin#error=<code>`): its reason, and the address
 * left for the console's. */
function signInFailure() {
  const code = new URLSearchParams(location.hash.slice(1)).get("error");
  if (!code) return null;
  history.replaceState(null, "", `${ROOT}/`);
  return signin.FAILURES[code] || "The sign-in failed: sign in again.";
}

/** A sign-in link (`…/manage/signin#code=…`): redeems its code, then leaves its address. */
async function redeemLink() {
  const code = new URLSearchParams(location.hash.slice(1)).get("code");
  if (!code) return;
  history.replaceState(null, "", `${ROOT}/`);
  try {
    await call("POST", "/session/link", { code });
  } catch (e) {
    await showSignIn(e.message);
    return "refused";
  }
  try {
    // The session is the cookie: a browser keeps a Secure cookie only over https or on
    // localhost, so check that this one did.
    session = await get("/session");
  } catch (e) {
    session = null;
    await showSignIn(
      e instanceof ApiError && e.status === 401
        ? "The link worked, but this browser did not keep the session cookie: open the console over https, or on localhost or 127.0.0.1."
        : e.message,
    );
    return "refused";
  }
}

document.addEventListener("click", (e) => {
  const a = e.target.closest("a");
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || !url.pathname.startsWith(`${ROOT}/`) || url.pathname.startsWith(`${ROOT}/v1`)) return;
  // A link the server answers itself (the identity provider's sign-in) is a real navigation.
  if (a.hasAttribute("data-external")) return;
  // A link within the page (the skip link) is the browser's to follow.
  if (url.hash && url.pathname === location.pathname && url.search === location.search) return;
  e.preventDefault();
  history.pushState(null, "", url.pathname + url.search);
  draw();
});
// Back and forward draw the page they lead to; a fragment's navigation (the skip link) fires
// popstate too, and must not draw the page it stays on again (that would lose what the
// person opened on it).
window.addEventListener("popstate", () => {
  if (location.pathname + location.search !== drawnAddress) draw();
});

const failure = signInFailure();
if (failure) await showSignIn(failure);
else if ((await redeemLink()) !== "refused") draw();
