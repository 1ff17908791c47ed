"""The console's sign-in through an identity provider, as on AWS: a real local OpenID Connect
provider (oidc-provider-mock, started by scripts/browser-tests) and a local-api whose MANAGE_*
name it, with the console's client id (MANAGE_CONSOLE_CLIENT_ID). The console is reached as
http://localhost:PORT and the provider is at 127.0.0.1, so the provider is another site, as a
real one is.

A person clicks "Sign in with your identity provider", types their subject into the provider's
form and lands on Home, signed in with the role the provider's ID token gives (authorization
code with PKCE; the token only ever in the session cookie, never in an address). Then signing
out, a replayed or forged callback, a refusal at the provider and an account without a role:
each ends on the sign-in page saying why. The console's own pages are checked as everywhere
(CSP, nothing off the origin, axe-core); the provider's pages are exempt, and only they."""

import os
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from conftest import Console
from playwright.sync_api import expect

SUB = "local"


class OidcService:
    """The local-api that signs in through the provider, and the provider."""

    def __init__(self):
        self.base = os.environ["OIDC_CONSOLE_BASE_URL"]
        self.issuer = os.environ["OIDC_ISSUER"]
        self.api = f"{self.base}/manage/v1"

    def set_user(self, sub, claims):
        """The claims the provider puts into `sub`'s ID tokens (its own API)."""
        r = requests.put(f"{self.issuer}/users/{sub}", json=claims, timeout=30)
        assert r.status_code == 204, f"PUT /users/{sub}: {r.status_code} {r.text}"


@pytest.fixture(scope="session")
def oidc():
    for name in ["OIDC_CONSOLE_BASE_URL", "OIDC_ISSUER"]:
        if not os.environ.get(name):
            raise RuntimeError(f"{name} is not set: run the suite with scripts/browser-tests")
    return OidcService()


@pytest.fixture
def signing_in(browser, oidc):
    """A browser on the console of the local-api that signs in through the provider, every URL
    its tab commits recorded (what its history holds)."""
    c = Console(browser, oidc, issuer=oidc.issuer)
    # The provider's page loads a stylesheet from a CDN: nothing leaves this machine.
    c.context.route(lambda url: not url.startswith((c.origin + "/", oidc.issuer + "/")), lambda route: route.abort())
    c.committed = []
    c.page.on("framenavigated", lambda frame: c.committed.append(frame.url) if frame == c.page.main_frame else None)
    yield c
    c.close()


def sign_in(console, oidc, sub):
    """From the sign-in page through the provider's form as `sub`: where the browser lands."""
    page = console.page
    page.get_by_role("link", name="Sign in with your identity provider").click()
    page.wait_for_url(f"{oidc.issuer}/oauth2/authorize?**")
    page.locator("input[name=sub]").fill(sub)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{oidc.base}/manage/**")
    console.wait_drawn()


def cookie(console, name):
    return next((c for c in console.context.cookies() if c["name"] == name), None)


def test_a_subscription_admin_signs_in_through_the_identity_provider(signing_in, oidc):
    console, page = signing_in, signing_in.page
    oidc.set_user("ann", {"role": "subscription-admin", "subscription": SUB})

    # The sign-in page offers the provider, and no sign-in links (this server makes none).
    console.visit("/", "signin-oidc")
    assert console.heading() == "Sign in"
    expect(page.get_by_role("link", name="Sign in with your identity provider")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("local-api serve")

    # To the provider: the authorization request of the code flow with PKCE, the pending
    # sign-in in its own cookie.
    page.get_by_role("link", name="Sign in with your identity provider").click()
    page.wait_for_url(f"{oidc.issuer}/oauth2/authorize?**")
    asked = parse_qs(urlsplit(page.url).query)
    assert asked["client_id"] == ["console"] and asked["response_type"] == ["code"], asked
    assert asked["redirect_uri"] == [f"{oidc.base}/manage/signin/callback"], asked
    assert asked["code_challenge_method"] == ["S256"] and asked["state"] and asked["nonce"], asked
    pending = cookie(console, "manage_oidc")
    assert pending is not None, console.context.cookies()
    assert (pending["httpOnly"], pending["secure"], pending["sameSite"], pending["path"]) == (True, True, "Lax", "/manage")
    assert asked["state"][0] in pending["value"] and "code_verifier" not in page.url

    # The provider's form: the subject, then back to the console's Home, signed in as ann.
    page.locator("input[name=sub]").fill("ann")
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(f"{oidc.base}/manage/")
    console.wait_drawn()
    assert console.heading() == "Home"
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Configurations")).to_be_visible()
    expect(page.locator("#who")).to_contain_text(f"subscription-admin · {SUB}")
    session = page.evaluate("fetch('/manage/v1/session').then((r) => r.json())")
    assert session == {"sub": "ann", "role": "subscription-admin", "subscription": SUB}, session

    # The session is the ID token, in the cookie only.
    token = cookie(console, "manage_session")
    assert token is not None and token["value"].count(".") == 2, "a JWT"
    assert (token["httpOnly"], token["secure"], token["sameSite"], token["path"]) == (True, True, "Strict", "/manage")
    assert cookie(console, "manage_oidc") is None, "the pending sign-in is cleared"
    assert "manage_session" not in page.evaluate("document.cookie")
    assert page.evaluate("localStorage.length + sessionStorage.length") == 0

    # No address the tab went to holds the code or the token (the callback, which held the
    # code, was a redirect, and so never an entry of the history).
    callbacks = [u for u in console.requests if u.startswith(f"{oidc.base}/manage/signin/callback?")]
    assert len(callbacks) == 1 and "code=" in callbacks[0], console.requests
    assert console.committed, "no navigation recorded"
    for url in console.committed:
        parts = urlsplit(url)
        params = {**parse_qs(parts.query), **parse_qs(parts.fragment)}
        assert not {"code", "id_token", "access_token"} & params.keys(), url
        assert parts.path != "/manage/signin/callback" and token["value"] not in url, url
    assert all(token["value"] not in u for u in console.requests + console.issuer_requests)

    # A signed-in page: a subscription admin's controls.
    console.visit("/provisioning/configurations")
    expect(page.get_by_role("button", name="Create configuration")).to_be_visible()

    # Sign out: the sign-in page, no session; the callback replayed signs nobody in.
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("main h1")).to_have_text("Sign in")
    assert cookie(console, "manage_session") is None
    page.goto(callbacks[0])
    console.wait_drawn()
    assert console.heading() == "Sign in"
    expect(page.get_by_role("alert")).to_contain_text("did not start in this browser")
    assert page.url == f"{oidc.base}/manage/", page.url
    assert cookie(console, "manage_session") is None
    console.check_accessibility("a replayed callback")
    console.assert_clean()
    assert console.issuer_requests, "the provider was visited"


def test_an_access_admin_signed_in_by_the_provider_sees_no_configuration_controls(signing_in, oidc):
    console, page = signing_in, signing_in.page
    oidc.set_user("amy", {"role": "access-admin", "subscription": SUB})
    console.visit("/")
    sign_in(console, oidc, "amy")
    assert console.heading() == "Home"
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="User groups")).to_be_visible()
    expect(nav.get_by_role("link", name="Configurations")).to_have_count(0)
    console.visit("/provisioning/configurations")
    expect(page.get_by_role("button", name="Create configuration")).to_have_count(0)
    console.assert_clean()


def test_a_refused_forged_or_roleless_sign_in_ends_on_the_sign_in_page_saying_why(signing_in, oidc):
    console, page = signing_in, signing_in.page

    # The person says no at the provider.
    console.visit("/")
    page.get_by_role("link", name="Sign in with your identity provider").click()
    page.wait_for_url(f"{oidc.issuer}/oauth2/authorize?**")
    page.get_by_role("button", name="Deny").click()
    page.wait_for_url(f"{oidc.base}/manage/**")
    console.wait_drawn()
    assert console.heading() == "Sign in"
    expect(page.get_by_role("alert")).to_contain_text("did not sign you in")

    # A callback whose state is not this browser's sign-in's (a forged link, or another
    # browser's answer): refused, and the sign-in on its way is dropped.
    page.get_by_role("link", name="Sign in with your identity provider").click()
    page.wait_for_url(f"{oidc.issuer}/oauth2/authorize?**")
    assert cookie(console, "manage_oidc") is not None
    page.goto(f"{oidc.base}/manage/signin/callback?code=forged&state=forged")
    console.wait_drawn()
    assert console.heading() == "Sign in"
    expect(page.get_by_role("alert")).to_contain_text("did not start in this browser")
    assert cookie(console, "manage_oidc") is None and cookie(console, "manage_session") is None

    # An account the provider knows, but whose token gives no console role: refused.
    sign_in(console, oidc, "nobody")
    assert console.heading() == "Sign in"
    expect(page.get_by_role("alert")).to_contain_text("refused")
    assert cookie(console, "manage_session") is None
    assert page.url == f"{oidc.base}/manage/", page.url
    console.assert_clean()
