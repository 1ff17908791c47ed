"""Vaults and links in the console, as an admin uses them: provision (SCIM, the test's own
HTTP calls) two groups, make a vault on the Vaults page, link one group to a new group of
the vault on Provisioning > Links (under the warning that the target's members are replaced)
and follow the link's job until the link is active; the target group's page shows the
source's members, and follows a SCIM change of the source. Then a link to an existing group
(made on the vault's page), a group that has a link offered as not choosable, the API's
refusal of a taken name, a deleted link (the target keeps its members), and a link that
replaces the members of a group that had some. Every page visited is checked for its CSP,
requests off the origin and axe-core violations, and screenshotted (conftest.Console)."""

import json

import requests
from conftest import GROUP_SCHEMA, USER_SCHEMA, scim_post
from playwright.sync_api import expect

SUB = "local"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
WARNING = "All existing members of the target group are replaced by the members of the source group."
# How the console names license types (dom.js LICENSES).
LICENSES = {"named": "Named", "concurrent": "Concurrent", "read-only": "Read-only", "none": "No license"}
# A link's job, and the link becoming active after it (the worker runs it in the background).
JOB_TIMEOUT = 60_000


def user(name):
    return f"{name}@links.example"


def shown_members(page):
    """The user names the page's (one) table lists."""
    return set(page.locator("main tbody tr td:first-child").all_inner_texts())


def path_of(link):
    """The console path (after /manage) a link of the page leads to."""
    return link.get_attribute("href").split("/manage", 1)[1]


def reload_until_members(console, names, timeout_s=30):
    """Reloads the group's page until it lists exactly `names` (what follows a source changes
    in the background), then checks it once more through expect."""
    page = console.page
    rows = page.locator("main tbody tr")
    for _ in range(timeout_s * 2):
        page.reload()
        console.wait_drawn()
        try:
            expect(rows).to_have_count(len(names), timeout=500)
        except AssertionError:
            continue
        if shown_members(page) == names:
            break
    expect(rows).to_have_count(len(names))
    assert shown_members(page) == names


def create_link(page, source, vault, *, new=None, existing=None):
    """Fills Create link and submits it; waits until the link is active."""
    form = page.locator("form", has=page.get_by_role("heading", name="Create link"))
    expect(form.get_by_text(WARNING)).to_be_visible()
    page.get_by_label("Source group (provisioned)").select_option(label=source)
    page.get_by_label("Target vault").select_option(label=vault)
    if new:
        page.get_by_label("A new group", exact=True).check()
        page.get_by_label("Name of the new group").fill(new)
    else:
        page.get_by_label("An existing group of the vault", exact=True).check()
        expect(page.locator("#link-target option", has_text=existing)).to_be_enabled()
        page.get_by_label("Existing group of the vault", exact=True).select_option(label=existing)
    page.get_by_role("button", name="Create link").click()
    status = form.get_by_role("status")
    expect(status).to_have_text(f"Linked: the target group now follows {source}.", timeout=JOB_TIMEOUT)
    expect(form.locator("progress")).to_be_visible()
    row = page.locator("#link-list tbody tr", has_text=new or existing)
    expect(row.filter(has_text=source).locator(".tag.ok")).to_have_text("active")


def test_a_link_fills_a_vault_group_from_a_provisioned_group_which_it_then_follows(console, service):
    page = console.page
    admin = service.token("subscription-admin", SUB)
    made = service.admin("POST", f"/subscriptions/{SUB}/configurations", admin,
                         {"name": "Links IdP", "default_license": "read-only"})
    tenant = made["tenant_url"]
    scim = requests.Session()
    scim.auth = (made["client_id"], made["client_secret"])
    ids = {}
    for name in ["lea", "max", "noa", "oli", "pia"]:
        ids[name] = scim_post(scim, f"{tenant}/Users", {
            "schemas": [USER_SCHEMA], "userName": user(name), "displayName": f"{name.title()} Links", "active": True})["id"]
    sales = scim_post(scim, f"{tenant}/Groups", {
        "schemas": [GROUP_SCHEMA], "displayName": "Field sales",
        "members": [{"value": ids[n]} for n in ["lea", "max", "noa"]]})
    scim_post(scim, f"{tenant}/Groups", {
        "schemas": [GROUP_SCHEMA], "displayName": "Support desk",
        "members": [{"value": ids[n]} for n in ["oli", "pia"]]})

    console.open(service.sign_in_link("subscription-admin"))
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Links", exact=True)).to_be_visible()
    expect(nav.get_by_role("link", name="Vaults", exact=True)).to_be_visible()

    # Vaults: make one; it is listed, and leads to its page.
    console.visit("/vaults")
    page.get_by_label("New vault's name").fill("Contracts")
    page.get_by_role("button", name="Create vault").click()
    expect(page.locator("main").get_by_text("Vault Contracts created.")).to_be_visible()
    vault_path = path_of(page.locator("#vault-list").get_by_role("link", name="Contracts", exact=True))
    console.visit("/vaults", "vaults")

    # Provisioning > Links: Field sales to a new group of Contracts; the job runs to its end
    # and the link becomes active.
    console.visit("/provisioning/links")
    expect(page.locator("#link-list")).to_contain_text("No link yet.")
    create_link(page, "Field sales", "Contracts", new="Sales readers")
    row = page.locator("#link-list tbody tr", has_text="Sales readers")
    expect(row).to_contain_text("Field sales")
    expect(row).to_contain_text("Contracts")
    console.check_accessibility("a link made")
    console.screenshot("links")

    # The target's page: its members are the source's.
    group_path = path_of(row.get_by_role("link", name="Sales readers"))
    console.visit(group_path, "vault-group")
    expect(page.locator("main h1")).to_have_text("Sales readers")
    expect(page.locator("#group-link")).to_contain_text("from Field sales")
    expect(page.locator("#group-link .tag.ok")).to_have_text("active")
    expect(page.locator("main tbody tr")).to_have_count(3)
    assert shown_members(page) == {user(n) for n in ["lea", "max", "noa"]}

    # A SCIM change of the source: the target follows.
    r = scim.patch(f"{tenant}/Groups/{sales['id']}", data=json.dumps({
        "schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "members", "value": [{"value": ids["oli"]}]}]}),
        headers={"Content-Type": "application/scim+json"}, timeout=30)
    assert r.status_code in (200, 204), f"PATCH: {r.status_code} {r.text}"
    reload_until_members(console, {user(n) for n in ["lea", "max", "noa", "oli"]})
    expect(page.locator("#group-member-count")).to_have_text("4")

    # The vault's page: make a group there (an existing target for the next link).
    console.visit(vault_path)
    expect(page.locator("main h1")).to_have_text("Contracts")
    page.get_by_label("New group's name").fill("Support readers")
    page.get_by_role("button", name="Create group").click()
    expect(page.locator("main").get_by_text("Group Support readers created.")).to_be_visible()
    expect(page.locator("#vault-groups tbody tr", has_text="Support readers")).to_contain_text("not linked")

    # Links: Support desk to that existing group. Sales readers has a link: not choosable.
    console.visit("/provisioning/links")
    page.get_by_label("Target vault").select_option(label="Contracts")
    expect(page.locator("#link-target option", has_text="Sales readers")).to_be_disabled()
    expect(page.locator("#link-target option", has_text="Sales readers")).to_contain_text("linked already")
    create_link(page, "Support desk", "Contracts", existing="Support readers")
    # A new group by a name the vault has already: the API's message, next to the form.
    page.get_by_label("Source group (provisioned)").select_option(label="Support desk")
    page.get_by_label("Target vault").select_option(label="Contracts")
    page.get_by_label("A new group", exact=True).check()
    page.get_by_label("Name of the new group").fill("support READERS")
    page.get_by_role("button", name="Create link").click()
    form = page.locator("form", has=page.get_by_role("heading", name="Create link"))
    expect(form.get_by_role("status")).to_contain_text("already exists in this vault")
    console.check_accessibility("a refused link")

    # The vault's page: its groups with their links, and its users: both sources' members.
    console.visit(vault_path, "vault")
    groups = page.locator("#vault-groups tbody tr")
    expect(groups.filter(has_text="Sales readers")).to_contain_text("from Field sales")
    expect(groups.filter(has_text="Support readers")).to_contain_text("from Support desk")
    expect(groups.filter(has_text="Support readers").locator("td").nth(1)).to_have_text("2")
    users = page.get_by_role("table", name="Users of Contracts").locator("tbody tr")
    expect(users).to_have_count(5)
    expect(users.filter(has_text=user("oli")).locator("td").nth(4)).to_have_text("2")
    # A user's state and license type are the subscription user's.
    lea = service.admin("GET", f"/subscriptions/{SUB}/users/{ids['lea']}", admin)
    expect(users.filter(has_text=user("lea")).locator("td").nth(2)).to_have_text(lea["state"])
    expect(users.filter(has_text=user("lea")).locator("td").nth(3)).to_have_text(LICENSES[lea["license"]])
    expect(users.filter(has_text=user("lea")).locator("td").nth(5)).to_have_text("yes")

    # Delete the first link, after a confirmation: its target keeps its members.
    console.visit("/provisioning/links")
    page.get_by_role("button", name="Delete the link from Field sales to Sales readers").click()
    expect(page.get_by_role("alert")).to_have_text(
        "Delete the link from Field sales to Sales readers? Sales readers keeps its members and stops following Field sales.")
    console.check_accessibility("a link delete to confirm")
    page.get_by_role("button", name="Yes, delete the link").click()
    removed = page.locator("#link-list tbody tr", has_text="Sales readers")
    expect(removed.locator("td").nth(3)).to_have_text("removed")
    console.visit(group_path)
    expect(page.locator("#group-link")).to_contain_text("not linked")
    assert shown_members(page) == {user(n) for n in ["lea", "max", "noa", "oli"]}

    # Sales readers is free again: linking Support desk to it replaces its four members by two.
    console.visit("/provisioning/links")
    create_link(page, "Support desk", "Contracts", existing="Sales readers")
    console.visit(group_path)
    expect(page.locator("main tbody tr")).to_have_count(2)
    assert shown_members(page) == {user(n) for n in ["oli", "pia"]}
    console.assert_clean()


def test_an_access_admin_reads_vaults_and_makes_groups_and_links_but_no_vault(console, service):
    page = console.page
    admin = service.token("subscription-admin", SUB)
    service.admin("POST", f"/subscriptions/{SUB}/vaults", admin, {"name": "Handbooks"})
    console.open(service.sign_in_link("access-admin"))
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Links", exact=True)).to_be_visible()
    console.visit("/vaults")
    expect(page.get_by_role("button", name="Create vault")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("Vaults are made by the subscription admin")
    page.locator("#vault-list").get_by_role("link", name="Handbooks", exact=True).click()
    expect(page.locator("main h1")).to_have_text("Handbooks")
    expect(page.get_by_role("button", name="Create group")).to_be_visible()
    console.visit("/provisioning/links")
    expect(page.get_by_role("button", name="Create link")).to_be_visible()
    console.assert_clean()
