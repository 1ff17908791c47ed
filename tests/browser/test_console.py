"""The web console in a real browser, walking the product guide as a subscription admin does:
sign in with the link local-api printed, create a configuration and copy its three values,
provision users and a group through SCIM with them (the test's own HTTP calls) beyond the
seats bought, see who waits on Home and in Users, give the group a license type, watch the
waiting count fall when the operator buys seats, set and clear an override, read the audit
trail. Then what each role sees, signing out, and spent links. Every page visited is checked
for its CSP, requests off the origin and axe-core violations, and screenshotted
(conftest.Console)."""

import re
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import requests
from conftest import GROUP_SCHEMA, USER_SCHEMA, launch, scim_post
from playwright.sync_api import expect

SUB = "local"


def waiting_on_home(console):
    console.visit("/")
    return int(console.page.locator("#waiting-count").inner_text())


def user_row(page, user_name):
    return page.locator("main tbody tr", has_text=user_name)


def test_a_subscription_admin_walks_the_product_guide(console, service):
    page = console.page
    operator = service.token("operator")
    # The operator sold 2 read-only seats and no named one.
    service.admin("PUT", f"/subscriptions/{SUB}/pools/read-only", operator, {"purchased": 2})

    # The sign-in link local-api serve printed: signed in, and the code has left the address.
    console.open(service.first_link)
    assert console.heading() == "Home"
    assert page.url == f"{service.base}/manage/", page.url
    cookie = next(c for c in console.context.cookies() if c["name"] == "manage_session")
    assert (cookie["httpOnly"], cookie["secure"], cookie["sameSite"], cookie["path"]) == (True, True, "Strict", "/manage")
    assert "manage_session" not in page.evaluate("document.cookie"), "the script cannot read the session"
    assert page.evaluate("localStorage.length + sessionStorage.length") == 0

    # Provisioning > Configurations > Create configuration > Other SCIM provider.
    console.visit("/provisioning/configurations")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Configurations").wait_for()
    page.get_by_role("button", name="Create configuration").click()
    page.get_by_role("button", name="Other SCIM provider").click()
    page.get_by_label("Configuration name").fill("Okta")
    page.get_by_label("Default license type for the provisioned users").select_option("read-only")
    page.get_by_role("button", name="Create", exact=True).click()
    expect(page.get_by_text("The client secret is not shown again")).to_be_visible()
    copied = {}
    for label in ["Tenant URL", "Client ID", "Client secret"]:
        page.get_by_role("button", name=f"Copy {label.lower()}").click()
        expect(page.get_by_text(f"{label} copied.")).to_be_visible()
        copied[label] = page.evaluate("navigator.clipboard.readText()")
    tenant_url, client_id, secret = copied["Tenant URL"], copied["Client ID"], copied["Client secret"]
    assert re.fullmatch(re.escape(service.base) + r"/scim/v2/[A-Za-z0-9_-]+", tenant_url), tenant_url
    assert client_id.startswith("scim-") and secret.startswith("scimsk-"), (client_id, secret)
    expect(page.locator("#configuration-list tbody")).to_contain_text("Okta")
    console.check_accessibility("a configuration just created")
    console.screenshot("configurations")

    # A SCIM client with what was copied: four users for two read-only seats, and a group.
    scim = requests.Session()
    scim.auth = (client_id, secret)
    ids = {}
    for name in ["ann", "bob", "cid", "dan"]:
        made = scim_post(scim, f"{tenant_url}/Users", {
            "schemas": [USER_SCHEMA], "userName": f"{name}@example.com",
            "displayName": f"{name.title()} Example", "active": True})
        ids[name] = made["id"]
    scim_post(scim, f"{tenant_url}/Groups", {
        "schemas": [GROUP_SCHEMA], "displayName": "Engineering",
        "members": [{"value": ids["ann"]}, {"value": ids["bob"]}]})

    # Home: two users wait for a license, prominently, and the link lists them.
    assert waiting_on_home(console) == 2
    expect(page.locator("#users-enabled")).to_have_text("4")
    expect(page.locator("#seats-read-only-text")).to_contain_text("2 of 2 used")
    expect(page.locator("main table")).to_contain_text("Okta")
    console.screenshot("home")
    page.locator("#waiting-link").click()
    console.wait_drawn()
    expect(page.locator("main tbody tr")).to_have_count(2)
    assert "waiting=true" in page.url
    for name in ["cid", "dan"]:
        expect(user_row(page, f"{name}@example.com").locator(".tag.waiting")).to_have_text("waiting")

    # Users: everyone, with the License type column and its waiting tags.
    console.visit("/users", "users")
    expect(page.locator("main tbody tr")).to_have_count(4)
    for name, waits in [("ann", False), ("bob", False), ("cid", True), ("dan", True)]:
        row = user_row(page, f"{name}@example.com")
        expect(row).to_contain_text("Okta")
        expect(row.locator(".tag.waiting")).to_have_count(1 if waits else 0)
        if not waits:
            expect(row).to_contain_text("Read-only")
    # Search by how the user name starts, and filter by license type.
    page.get_by_label("User name starts with").fill("CI")
    page.get_by_role("button", name="Apply").click()
    console.wait_drawn()
    expect(page.locator("main tbody tr")).to_have_count(1)
    expect(page.locator("main tbody")).to_contain_text("cid@example.com")
    console.visit("/users?license=read-only")
    expect(page.locator("main tbody tr")).to_have_count(2)

    # Provisioning > User groups: the group gives its members named licenses; none are bought,
    # so its two members wait for them too (keeping their read-only seats).
    console.visit("/provisioning/groups", "groups")
    row = user_row(page, "Engineering")
    expect(row).to_contain_text("Okta")
    expect(row.locator("td").nth(2)).to_have_text("2")
    page.get_by_label("License type of Engineering", exact=True).select_option("named")
    page.get_by_role("button", name="Save the license type of Engineering").click()
    expect(row.get_by_role("status")).to_contain_text("Saved")
    assert waiting_on_home(console) == 4

    # The operator buys two named seats (through the API): the group's members take them, their
    # read-only seats go to the two waiting longest, and nobody waits any more.
    service.admin("PUT", f"/subscriptions/{SUB}/pools/named", operator, {"purchased": 2})
    assert waiting_on_home(console) == 0
    expect(page.locator("#seats-named-text")).to_contain_text("2 of 2 used")
    expect(page.locator("#seats-read-only-text")).to_contain_text("2 of 2 used")
    console.visit("/users")
    expect(page.locator("main .tag.waiting")).to_have_count(0)
    expect(user_row(page, "ann@example.com")).to_contain_text("Named")

    # A user's page: its groups, then an override ("No license") and clearing it.
    console.visit(f"/users/{ids['ann']}")
    expect(page.locator("main")).to_contain_text("Engineering")
    console.visit(f"/users/{ids['dan']}", "user")
    expect(page.locator("#user-license")).to_contain_text("Read-only")
    page.get_by_label("License type by decision").select_option("none")
    page.get_by_role("button", name="Set override").click()
    expect(page.locator("#user-override")).to_have_text("No license")
    expect(page.locator("#user-license")).to_contain_text("No license")
    page.get_by_role("button", name="Clear override").click()
    expect(page.locator("#user-override")).to_contain_text("the rules decide")
    expect(page.locator("#user-license")).to_contain_text("Read-only")
    expect(page.locator("main table").last).to_contain_text("override")

    # Audit: the trail of that user: created, the override set and cleared.
    console.visit(f"/audit?user={ids['dan']}", "audit")
    rows = page.locator("main tbody tr")
    expect(rows.filter(has_text="override")).to_have_count(2)
    expect(rows.filter(has_text="scim-create")).to_have_count(1)
    expect(rows.first).to_contain_text("override")

    # An API error is shown as the API's message, next to what caused it.
    console.visit("/provisioning/configurations")
    page.get_by_role("button", name="Create configuration").click()
    page.get_by_role("button", name="Other SCIM provider").click()
    page.get_by_label("Configuration name").fill("okta")
    page.get_by_role("button", name="Create", exact=True).click()
    expect(page.locator("#create-panel [role=status]")).to_contain_text("okta")
    console.check_accessibility("an error shown")

    # Rotate the secret: the new one is shown once, and works; the old one does not.
    page.get_by_role("button", name="Rotate secret of Okta").click()
    expect(page.get_by_text("The client secret is not shown again")).to_be_visible()
    page.get_by_role("button", name="Copy client secret").click()
    expect(page.get_by_text("Client secret copied.")).to_be_visible()
    rotated = page.evaluate("navigator.clipboard.readText()")
    assert rotated.startswith("scimsk-") and rotated != secret
    assert scim.get(f"{tenant_url}/Users", timeout=30).status_code == 401
    assert requests.get(f"{tenant_url}/Users", auth=(client_id, rotated), timeout=30).status_code == 200

    # Disable: its SCIM requests are refused at once; enable: they work again.
    okta = page.locator("#configuration-list tbody tr", has_text="Okta")
    page.get_by_role("button", name="Disable Okta").click()
    expect(okta.locator("td").nth(2)).to_have_text("disabled")
    assert requests.get(f"{tenant_url}/Users", auth=(client_id, rotated), timeout=30).status_code == 401
    page.get_by_role("button", name="Enable Okta").click()
    expect(okta.locator("td").nth(2)).to_have_text("enabled")
    assert requests.get(f"{tenant_url}/Users", auth=(client_id, rotated), timeout=30).status_code == 200

    # Delete, after a confirmation that says what happens to its users.
    page.get_by_role("button", name="Delete Default", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Its users stay in the subscription, disabled")
    console.check_accessibility("a delete to confirm")
    page.get_by_role("button", name="Yes, delete Default").click()
    expect(page.locator("#configuration-list tbody tr")).to_have_count(1)
    expect(page.locator("#configuration-list tbody")).not_to_contain_text("Default")

    console.assert_clean()


def test_an_access_admin_sees_no_configuration_or_purchase_controls(console, service):
    page = console.page
    console.open(service.sign_in_link("access-admin"))
    assert console.heading() == "Home"
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="User groups")).to_be_visible()
    expect(nav.get_by_role("link", name="Configurations")).to_have_count(0)
    expect(page.locator("main input, main form")).to_have_count(0)
    console.visit("/provisioning/configurations")
    expect(page.get_by_role("button", name="Create configuration")).to_have_count(0)
    expect(page.locator("main button")).to_have_count(0)
    # What it may do: set group license types.
    console.visit("/provisioning/groups")
    expect(page.get_by_role("button", name="Save the license type of Engineering")).to_be_visible()
    console.assert_clean()


def test_the_operator_sets_purchased_seats_on_home(console, service):
    page = console.page
    console.open(service.sign_in_link("operator"))
    assert console.heading() == "Choose a subscription"
    console.check_accessibility("choosing a subscription")
    page.get_by_label("Subscription id").fill(SUB)
    page.get_by_role("button", name="Open").click()
    console.wait_drawn()
    expect(page.locator("main h1")).to_have_text("Home")
    page.get_by_label("Purchased Read-only seats").fill("3")
    page.locator("#seats-read-only").get_by_role("button", name="Save").click()
    expect(page.locator("#seats-read-only-text")).to_contain_text("of 3 used")
    console.check_accessibility("the operator's home")
    console.screenshot("home-operator")
    page.get_by_label("Purchased Read-only seats").fill("0")
    page.locator("#seats-read-only").get_by_role("button", name="Save").click()
    expect(page.locator("#seats-read-only form [role=status]")).to_contain_text("below")
    console.assert_clean()


def test_signed_out_spent_links_and_signing_out_show_the_sign_in_page(console, browser, service):
    page = console.page
    console.visit("/users", "signin")
    assert console.heading() == "Sign in"

    link = service.sign_in_link("subscription-admin")
    console.open(link)
    assert console.heading() == "Home"
    page.get_by_role("button", name="Sign out").click()
    expect(page.locator("main h1")).to_have_text("Sign in")
    assert not [c for c in console.context.cookies() if c["name"] == "manage_session"]
    console.open(f"{service.base}/manage/")
    assert console.heading() == "Sign in"

    # The same link again: spent, and the page says so.
    console.open(link)
    assert console.heading() == "Sign in"
    expect(page.get_by_role("alert")).to_contain_text("used already")
    assert "#code" not in page.url
    console.check_accessibility("a spent link")
    console.assert_clean()


def test_a_large_group_change_runs_as_a_job_whose_progress_shows_until_done(console, service):
    """A group of more members than one request moves (1,000) gets its license type through a
    background job: the page follows it to the end. Its users also make Users page."""
    page = console.page
    admin = service.token("subscription-admin", SUB)
    made = service.admin("POST", f"/subscriptions/{SUB}/configurations", admin,
                         {"name": "Entra", "default_license": "none"})
    scim = requests.Session()
    scim.auth = (made["client_id"], made["client_secret"])
    adapter = requests.adapters.HTTPAdapter(pool_maxsize=8)
    scim.mount("http://", adapter)

    def create(i):
        return scim_post(scim, f"{made['tenant_url']}/Users",
                         {"schemas": [USER_SCHEMA], "userName": f"member{i:04}@example.com"})["id"]

    with ThreadPoolExecutor(max_workers=4) as pool:
        ids = list(pool.map(create, range(1001)))
    scim_post(scim, f"{made['tenant_url']}/Groups", {
        "schemas": [GROUP_SCHEMA], "displayName": "Everyone", "members": [{"value": i} for i in ids]})

    console.open(service.sign_in_link("subscription-admin"))
    console.visit("/provisioning/groups")
    row = user_row(page, "Everyone")
    expect(row.locator("td").nth(2)).to_have_text("1001")
    page.get_by_label("License type of Everyone", exact=True).select_option("concurrent")
    page.get_by_role("button", name="Save the license type of Everyone").click()
    expect(row.get_by_role("status")).to_have_text("Done: 1001 of 1001 members updated.", timeout=60_000)
    expect(row.locator("progress")).to_have_attribute("value", "1001")
    console.check_accessibility("a job done")

    # Users, a page at a time (50): the next page goes on where the first ended.
    names = lambda: set(page.locator("main tbody tr td:first-child").all_inner_texts())  # noqa: E731
    console.visit("/users?user_name=member")
    expect(page.locator("main tbody tr")).to_have_count(50)
    expect(page.locator("main tbody tr").first).to_contain_text("Concurrent")
    first = names()
    page.get_by_role("link", name="Next page").click()
    expect(page.get_by_role("link", name="First page")).to_be_visible()
    expect(page.locator("main tbody tr")).to_have_count(50)
    second = names()
    assert len(first) == len(second) == 50 and not first & second, (first, second)
    assert all(n.startswith("member") for n in first | second)
    console.assert_clean()


def test_over_plain_http_elsewhere_than_localhost_the_secure_cookie_is_refused_and_the_page_says_so(playwright, service):
    """The session cookie is Secure: a browser that reaches the console over http by another
    name than localhost keeps no session, and the page says why instead of failing silently."""
    port = urlsplit(service.base).port
    link = service.sign_in_link("subscription-admin").replace(service.base, f"http://console.test:{port}")
    browser = launch(playwright, "--host-resolver-rules=MAP console.test 127.0.0.1")
    try:
        page = browser.new_page()
        page.goto(link)
        expect(page.locator("main h1")).to_have_text("Sign in")
        expect(page.get_by_role("alert")).to_contain_text("did not keep the session cookie")
    finally:
        browser.close()


def test_the_console_works_from_the_keyboard(console, service):
    page = console.page
    console.open(service.sign_in_link("subscription-admin"))
    console.visit("/provisioning/configurations")
    # A page, once drawn, has the focus on its heading: the next Tab is into its content.
    assert page.evaluate("document.activeElement.tagName") == "H1"
    # The skip link (the first element of the page) shows when focused and leads to the content.
    assert page.evaluate("document.querySelector('a, button, input, select').className") == "skip"
    page.locator(".skip").focus()
    expect(page.locator(".skip")).to_be_in_viewport()
    page.evaluate("document.querySelector('main h1').dataset.drawn = 'once'")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    # Following it stays on the page as drawn (its fragment's popstate draws nothing again,
    # which would close whatever the person opens next).
    page.wait_for_timeout(300)
    assert page.evaluate("document.querySelector('main h1').dataset.drawn") == "once"

    # Create configuration > Other SCIM provider > name > license type > Create, by keys alone.
    page.get_by_role("button", name="Create configuration").focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Other SCIM provider")
    page.keyboard.press("Enter")
    page.get_by_label("Configuration name").focus()
    page.keyboard.type("Keyboard")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_attribute("id", "configuration-license")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Create")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Configuration Keyboard created")).to_be_visible()
    # The once-only values take the focus, so a screen reader reads them next.
    assert page.evaluate("document.activeElement.id") == "secret-shown"
    expect(page.locator("#configuration-list tbody")).to_contain_text("Keyboard")
    console.assert_clean()
