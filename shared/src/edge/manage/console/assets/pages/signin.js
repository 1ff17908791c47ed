// The sign-in page: what a signed-out browser sees, with why it is signed out when there is
// a reason (a spent or expired link, an ended session).

import { h } from "../dom.js";

export function render(message) {
  return h(
    "section",
    { class: "signin" },
    h("h1", {}, "Sign in"),
    message ? h("p", { class: "message error", role: "alert" }, message) : null,
    h("p", {}, "Open the sign-in link you were given. Each link works once, for 15 minutes."),
    h(
      "p",
      {},
      "Running the service locally? ",
      h("code", {}, "local-api serve"),
      " prints a link for the subscription admin, and ",
      h("code", {}, "local-api signin-link --role subscription-admin --subscription local"),
      " makes another.",
    ),
  );
}
