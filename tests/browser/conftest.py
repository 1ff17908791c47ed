"""What every browser test shares: the local-api under test (started by scripts/browser-tests,
which passes its address, its sign-in link and its data directory in the environment), the
headless Chromium, and the checks every page gets (`Console.visit`): its Content-Security-
Policy, no request off the origin, no script error or CSP violation, no serious or critical
axe-core violation, and a screenshot at 1280 and 390 px wide."""

import json
import os
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WIDTHS = {"1280": (1280, 900), "390": (390, 844)}
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"


def env(name):
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"{name} is not set: run the suite with scripts/browser-tests")
    return value


def scim_post(client, url, body):
    """A SCIM create (the test's own HTTP call, as an identity provider makes it): the resource."""
    r = client.post(url, data=json.dumps(body), headers={"Content-Type": "application/scim+json"}, timeout=30)
    assert r.status_code == 201, f"POST {url}: {r.status_code} {r.text}"
    return r.json()


class Service:
    """The local-api under test, and its CLI on the same data directory."""

    def __init__(self):
        self.base = env("CONSOLE_BASE_URL")
        self.first_link = env("CONSOLE_SIGNIN_LINK")
        self.data_dir = env("CONSOLE_DATA_DIR")
        self.local_api = env("LOCAL_API")
        self.api = f"{self.base}/manage/v1"

    def cli(self, *args):
        out = subprocess.run([self.local_api, *args], check=True, capture_output=True, text=True, timeout=60)
        return out.stdout.strip()

    def sign_in_link(self, role, subscription="local"):
        return self.cli("signin-link", "--role", role, "--subscription", subscription,
                        "--data-dir", self.data_dir, "--base-url", self.base)

    def token(self, role, subscription=None):
        args = ["token", "--role", role, "--data-dir", self.data_dir]
        if subscription:
            args += ["--subscription", subscription]
        return self.cli(*args)

    def admin(self, method, path, token, body=None):
        """A call of the admin API with a bearer token (what a program does), its JSON."""
        r = requests.request(method, f"{self.api}{path}", json=body, timeout=30,
                             headers={"Authorization": f"Bearer {token}"})
        assert r.ok, f"{method} {path}: {r.status_code} {r.text}"
        return r.json() if r.text else None


@pytest.fixture(scope="session")
def service():
    return Service()


@pytest.fixture(scope="session")
def playwright():
    with sync_playwright() as p:
        yield p


def launch(playwright, *extra_args):
    """The system's Chromium, headless, with `extra_args` too."""
    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    return playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS + list(extra_args))


@pytest.fixture(scope="session")
def browser(playwright):
    b = launch(playwright)
    yield b
    b.close()


class Console:
    """One browser context (one person's browser) on the console, recording every request its
    pages make and every script error."""

    def __init__(self, browser, service, issuer=None):
        self.service = service
        self.origin = "{0.scheme}://{0.netloc}".format(urlsplit(service.base))
        # The one other origin the browser may go to: the identity provider the console signs
        # in through (its pages, and the navigations to it), when there is one.
        self.issuer = issuer
        self.context = browser.new_context(
            viewport={"width": 1280, "height": 900},
            permissions=["clipboard-read", "clipboard-write"],
        )
        self.requests = []
        self.issuer_requests = []
        self.errors = []
        self.context.on("request", self._request)
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda e: self.errors.append(f"script error: {e}"))
        self.page.on("console", self._console)
        self.axe = Path(env("AXE_JS")).read_text()
        self.shots = Path(env("SCREENSHOTS"))

    def _request(self, request):
        """Records a request. Off the origin, the identity provider's are kept apart (a
        navigation to it, or what its own pages load), and only when the console has one."""
        elsewhere = not request.url.startswith(self.origin + "/")
        if elsewhere and self.issuer and (request.url.startswith(self.issuer + "/") or
                                          request.frame.url.startswith(self.issuer + "/")):
            self.issuer_requests.append(request.url)
        else:
            self.requests.append(request.url)

    def _console(self, message):
        if message.type == "error" and "Content Security Policy" in message.text:
            self.errors.append(f"CSP violation: {message.text}")

    def open(self, url):
        """Loads `url` (a full page load), checks the document's security headers, and waits
        until the app has drawn a page (its main heading)."""
        response = self.page.goto(url)
        assert response is not None, url
        csp = response.headers.get("content-security-policy", "")
        for directive in ["default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"]:
            assert directive in csp, f"{url}: {directive!r} missing from the CSP {csp!r}"
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, csp
        assert response.headers.get("x-content-type-options") == "nosniff", url
        self.wait_drawn()
        return response

    def wait_drawn(self):
        self.page.wait_for_function(
            "() => { const h = document.querySelector('main h1'); return h && h.textContent.trim() !== ''; }")

    def visit(self, path, name=None):
        """Opens a console page, runs axe-core on it and, when named, screenshots it."""
        self.open(f"{self.service.base}/manage{path}")
        self.check_accessibility(path)
        if name:
            self.screenshot(name)

    def check_accessibility(self, what):
        self.page.evaluate(self.axe)  # through the DevTools protocol, which the page's CSP does not govern
        result = self.page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        bad = [v for v in result["violations"] if v.get("impact") in ("serious", "critical")]
        assert not bad, f"{what}: axe-core violations:\n" + json.dumps(
            [{"id": v["id"], "impact": v["impact"], "help": v["help"],
              "nodes": [n["target"] for n in v["nodes"]][:5]} for v in bad], indent=1)

    def screenshot(self, name):
        self.shots.mkdir(parents=True, exist_ok=True)
        for label, (width, height) in WIDTHS.items():
            self.page.set_viewport_size({"width": width, "height": height})
            self.page.wait_for_timeout(100)
            self.page.screenshot(path=str(self.shots / f"{name}-{label}.png"), full_page=True)
        self.page.set_viewport_size({"width": 1280, "height": 900})

    def heading(self):
        return self.page.locator("main h1").inner_text()

    def assert_clean(self):
        """No request left the origin, and no script error or CSP violation happened."""
        off = [u for u in self.requests if not u.startswith(self.origin + "/")]
        assert self.requests, "no request was recorded"
        assert not off, f"requests off the origin {self.origin}: {off}"
        assert not self.errors, "\n".join(self.errors)

    def close(self):
        self.context.close()


@pytest.fixture
def console(browser, service):
    c = Console(browser, service)
    yield c
    c.close()
