// The sign-in page: what a signed-out browser sees, with why it is signed out when there is
// a reason (a spent or expired link, an ended session, a sign-in the identity provider or the
// service refused). It offers what this deployment has (GET …/session/methods): the identity
// provider (OIDC, on AWS), sign-in links (local-api), or both.

import { ROOT } from "../api.js";
import { h } from "../dom.js";

/** What the page says for each reason code a failed identity-provider sign-in comes back
 * with (`…/signin#error=<code>`): the page's own words, never text from the address. */
export const FAILURES = {
  state: "That sign-in did not start in this browser, or was finished already: sign in again.",
  denied: "The identity provider did not sign you in.",
  refused: "The identity provider's answer was refused (an expired or invalid sign-in, or an account without a console role): sign in again, or ask your administrator for a role.",
  unavailable: "The identity provider cannot be reached just now: try again in a minute.",
  unconfigured: "This deployment has no identity provider sign-in.",
};

/** `methods`: {oidc, links} (what the service offers), or null when it could not say. */
export function render(message, methods) {
  const oidc = methods ? methods.oidc : false;
  const links = methods ? methods.links : true;
  return h(
    "section",
    { class: "signin" },
    h("h1", {}, "Sign in"),
    message ? h("p", { class: "message error", role: "alert" }, message) : null,
    oidc ? h("p", {}, h("a", { class: "button", href: `${ROOT}/signin/oidc`, "data-external": "" }, "Sign in with your identity provider")) : null,
    !oidc && !links
      ? h("p", {}, "This deployment offers no sign-in to the console yet: its operator registers the console with the identity provider and sets the stack parameter ManageConsoleClientId.")
      : null,
    links ? h("p", {}, "Open the sign-in link you were given. Each link works once, for 15 minutes.") : null,
    links
      ? h(
          "p",
          {},
          "Running the service locally? ",
          h("code", {}, "local-api serve"),
          " prints a link for the subscription admin, and ",
          h("code", {}, "local-api signin-link --role subscription-admin --subscription local"),
          " makes another.",
        )
      : null,
  );
}
