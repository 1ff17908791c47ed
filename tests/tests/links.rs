//! Vaults and links (docs/architecture.md, "Vaults and links"), end to end over HTTP on the
//! engine `SCIM_TEST_STORE` names: a link replaces its target's members with its source's,
//! then the target follows every SCIM membership change of the source; deleting the link
//! stops that and the target keeps its members; deleting the source removes its links; one
//! source may fill groups in many vaults, a target has at most one link; parallel SCIM
//! changes while a link is made end with target and source equal; and a vault's change feed
//! replays to the vault.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use common::{id_of, okta_user, Admin, Scim, GROUP, PATCH_OP};
use futures::future::join_all;
use serde_json::{json, Value};
use shared::admin_tokens::Role;
use tests::TestService;

const SUB: &str = local::LOCAL_SUBSCRIPTION;

/// What these tests read of vaults through the admin API.
trait VaultReads {
    async fn members(&self, vault: &str, group: &str) -> BTreeSet<String>;
    async fn vault_users(&self, vault: &str) -> Vec<(String, bool, String)>;
}

/// A client of `svc` with a token of `role`, in the local subscription.
fn admin_of(svc: &TestService, role: Role) -> Admin {
    let subscription = (role != Role::Operator).then_some(SUB);
    Admin::new(svc, role, subscription).within(SUB)
}

impl VaultReads for Admin {
    /// The user ids of a vault group's members.
    async fn members(&self, vault: &str, group: &str) -> BTreeSet<String> {
        let items = self.all(&format!("/vaults/{vault}/groups/{group}/members?")).await;
        items.iter().map(|m| m["id"].as_str().expect("an id").to_owned()).collect()
    }

    /// The vault's users by id: (active, state).
    async fn vault_users(&self, vault: &str) -> Vec<(String, bool, String)> {
        let items = self.all(&format!("/vaults/{vault}/users?")).await;
        items
            .iter()
            .map(|u| {
                (u["id"].as_str().unwrap().to_owned(), u["active"] == true, u["state"].as_str().unwrap().to_owned())
            })
            .collect()
    }
}

/// Waits until no background job runs and the link `id` is `active`, for up to 60 s.
async fn settle(svc: &TestService, admin: &Admin, link: &str) {
    for _ in 0..1200 {
        let state = admin.get(&format!("/links/{link}")).await;
        let running = svc.app().jobs.running().await.expect("running jobs");
        if state["state"] == "active" && running.is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("link {link} did not settle in 60 s");
}

/// A service with a configuration, its SCIM client, and an admin.
async fn setup() -> (TestService, Scim, Admin) {
    let svc = TestService::start().await;
    let tenant = svc.create_tenant("okta", "none").await;
    let admin = admin_of(&svc, Role::AccessAdmin);
    (svc, Scim::basic(&tenant), admin)
}

async fn users(scim: &Scim, prefix: &str, n: usize) -> Vec<String> {
    let made =
        join_all((0..n).map(|i| async move {
            scim.post("/Users", &okta_user(&format!("{prefix}{i}@example.com"), "A", "B")).await
        }))
        .await;
    made.into_iter().map(|r| id_of(&r.expect(201).json())).collect()
}

async fn group(scim: &Scim, name: &str, members: &[String]) -> String {
    let members: Vec<Value> = members.iter().map(|id| json!({"value": id})).collect();
    let body = json!({"schemas": [GROUP], "displayName": name, "members": members});
    id_of(&scim.post("/Groups", &body).await.expect(201).json())
}

fn change(op: &str, ids: &[&String]) -> Value {
    let values: Vec<Value> = ids.iter().map(|id| json!({"value": id})).collect();
    let operation = match op {
        "remove" => json!({"op": "remove", "path": format!("members[value eq \"{}\"]", ids[0])}),
        _ => json!({"op": op, "path": "members", "value": values}),
    };
    json!({"schemas": [PATCH_OP], "Operations": [operation]})
}

fn set(ids: &[&String]) -> BTreeSet<String> {
    ids.iter().map(|id| (*id).clone()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_link_replaces_the_target_then_the_target_follows_the_source() {
    let (svc, scim, admin) = setup().await;
    let subscription_admin = admin_of(&svc, Role::SubscriptionAdmin);
    let u = users(&scim, "u", 6).await;
    let sales = group(&scim, "Sales", &u[0..3]).await;
    let vault = subscription_admin.post("/vaults", json!({"name": "Main"}), 201).await;
    let vault = vault["id"].as_str().unwrap().to_owned();

    // A link to a group made with it: pending, then the source's members.
    let body = json!({"source_group": sales, "vault": vault, "new_target_group": "Sales team"});
    let link = admin.post("/links", body, 202).await;
    assert_eq!(link["state"], "pending", "{link}");
    let first = link["id"].as_str().unwrap().to_owned();
    let target = link["target_group"].as_str().unwrap().to_owned();
    settle(&svc, &admin, &first).await;
    assert_eq!(admin.members(&vault, &target).await, set(&[&u[0], &u[1], &u[2]]));
    let job = admin.get(&format!("/jobs/{}", link["job"].as_str().unwrap())).await;
    assert_eq!(job["state"], "done", "{job}");
    let group_view = admin.get(&format!("/vaults/{vault}/groups/{target}")).await;
    assert_eq!((&group_view["member_count"], &group_view["link"]), (&json!(3), &json!(first)));

    // A second link to the same target: 409, nothing changed.
    let engineering = group(&scim, "Engineering", &u[2..5]).await;
    let again = json!({"source_group": engineering, "vault": vault, "target_group": target});
    let (status, answer) = admin.call(reqwest::Method::POST, "/links", Some(again.clone())).await;
    assert_eq!((status, answer["error"].as_str()), (409, Some("conflict")), "{answer}");

    // Deleting the link stops the following; the target keeps its members.
    let removed = admin.expect(reqwest::Method::DELETE, &format!("/links/{first}"), None, 200).await;
    assert_eq!((&removed["state"], &removed["removed_cause"]), (&json!("removed"), &json!("admin")));
    scim.patch(&format!("/Groups/{sales}"), &change("add", &[&u[5]])).await.expect(204);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(admin.members(&vault, &target).await, set(&[&u[0], &u[1], &u[2]]), "no longer followed");

    // Now the target is free: a new link replaces its members with Engineering's.
    let second = admin.post("/links", again, 202).await;
    let second = second["id"].as_str().unwrap().to_owned();
    settle(&svc, &admin, &second).await;
    assert_eq!(admin.members(&vault, &target).await, set(&[&u[2], &u[3], &u[4]]), "replaced");
    let vault_users = admin.vault_users(&vault).await;
    let active: BTreeSet<String> = vault_users.iter().filter(|(_, a, _)| *a).map(|(id, _, _)| id.clone()).collect();
    assert_eq!(active, set(&[&u[2], &u[3], &u[4]]), "who left every group of the vault is no active user of it");

    // Follows: members added and removed, a user deleted.
    let path = format!("/Groups/{engineering}");
    scim.patch(&path, &change("add", &[&u[0], &u[5]])).await.expect(204);
    scim.patch(&path, &change("remove", &[&u[2]])).await.expect(204);
    scim.delete(&format!("/Users/{}", u[3])).await.expect(204);
    settle(&svc, &admin, &second).await;
    assert_eq!(admin.members(&vault, &target).await, set(&[&u[0], &u[4], &u[5]]));
    assert_eq!(admin.members(&vault, &target).await, scim.member_ids(&engineering).await);

    // A deactivated member stays a member and shows disabled.
    let deactivate = json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": false}}]});
    scim.patch(&format!("/Users/{}", u[4]), &deactivate).await.expect(200);
    // (A user deleted through SCIM stays in the subscription, disabled, and left the group.)
    let vault_users = admin.vault_users(&vault).await;
    let state = |id: &String| vault_users.iter().find(|(u, _, _)| u == id).map(|(_, a, s)| (*a, s.clone()));
    assert_eq!(state(&u[4]), Some((true, "disabled".to_owned())), "{vault_users:?}");
    assert_eq!(state(&u[3]), Some((false, "disabled".to_owned())), "{vault_users:?}");
    assert_eq!(state(&u[0]), Some((true, "enabled".to_owned())), "{vault_users:?}");

    // One source, many vaults: the same group fills a group of another vault too.
    let other = subscription_admin.post("/vaults", json!({"name": "Archive"}), 201).await;
    let other = other["id"].as_str().unwrap().to_owned();
    let copy = admin.post(&format!("/vaults/{other}/groups"), json!({"name": "Engineers"}), 201).await;
    let copy = copy["id"].as_str().unwrap().to_owned();
    let third =
        admin.post("/links", json!({"source_group": engineering, "vault": other, "target_group": copy}), 202).await;
    let third = third["id"].as_str().unwrap().to_owned();
    settle(&svc, &admin, &third).await;
    scim.patch(&path, &change("add", &[&u[1]])).await.expect(204);
    settle(&svc, &admin, &third).await;
    let source = scim.member_ids(&engineering).await;
    assert_eq!(admin.members(&vault, &target).await, source, "the first vault follows");
    assert_eq!(admin.members(&other, &copy).await, source, "the second vault follows");

    // Deleting the source removes its links; the targets keep their members.
    scim.delete(&path).await.expect(204);
    for link in [&second, &third] {
        let gone = admin.get(&format!("/links/{link}")).await;
        assert_eq!((&gone["state"], &gone["removed_cause"]), (&json!("removed"), &json!("source-deleted")));
    }
    assert_eq!(admin.members(&vault, &target).await, source, "the target keeps its members");
    assert_eq!(admin.get(&format!("/vaults/{vault}/groups/{target}")).await["link"], Value::Null);
    // Free again: it can be linked anew.
    let fresh = group(&scim, "Fresh", &u[0..1]).await;
    let body = json!({"source_group": fresh, "vault": vault, "target_group": target});
    let fourth = admin.post("/links", body, 202).await;
    settle(&svc, &admin, fourth["id"].as_str().unwrap()).await;
    assert_eq!(admin.members(&vault, &target).await, set(&[&u[0]]));
}

/// 12 parallel SCIM PATCHes add and remove members of a group while a link from it is made:
/// once the work is done, source and target hold exactly the same members.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_membership_changes_while_a_link_is_made_end_equal() {
    let (svc, scim, admin) = setup().await;
    let u = users(&scim, "p", 60).await;
    let source = group(&scim, "Moving", &u[0..30]).await;
    let subscription_admin = admin_of(&svc, Role::SubscriptionAdmin);
    let vault = subscription_admin.post("/vaults", json!({"name": "Main"}), 201).await;
    let vault = vault["id"].as_str().unwrap().to_owned();
    let target = admin.post(&format!("/vaults/{vault}/groups"), json!({"name": "Movers"}), 201).await;
    let target = target["id"].as_str().unwrap().to_owned();

    let path = format!("/Groups/{source}");
    let patches = (0..12).map(|i| {
        let (scim, path) = (scim.clone(), path.clone());
        // Each adds three newcomers and removes two of the first members; some overlap.
        let added: Vec<String> = (0..3).map(|k| u[30 + (i * 3 + k) % 30].clone()).collect();
        let removed: Vec<String> = (0..2).map(|k| u[(i * 2 + k) % 30].clone()).collect();
        tokio::spawn(async move {
            let added: Vec<&String> = added.iter().collect();
            scim.patch(&path, &change("add", &added)).await.expect(204);
            for id in &removed {
                scim.patch(&path, &change("remove", &[id])).await.expect(204);
            }
        })
    });
    let body = json!({"source_group": source, "vault": vault, "target_group": target});
    let link = {
        let admin = admin.clone();
        tokio::spawn(async move { admin.post("/links", body, 202).await })
    };
    for patch in join_all(patches).await {
        patch.expect("a PATCH task");
    }
    let link = link.await.expect("the link task");
    settle(&svc, &admin, link["id"].as_str().unwrap()).await;
    let expected = scim.member_ids(&source).await;
    assert_eq!(expected.len(), 30 - 24 + 30, "every PATCH applied: {expected:?}");
    assert_eq!(admin.members(&vault, &target).await, expected);
    let group_view = admin.get(&format!("/vaults/{vault}/groups/{target}")).await;
    assert_eq!(group_view["member_count"], json!(expected.len()), "the count follows too");
    let mut replayed = Replayed::default();
    replayed.read_on(&admin, &vault, 7).await;
    assert_eq!(replayed.vault, VaultState::read(&admin, &vault).await, "the feed replays to the same");
}

/// A link from a big group completes as a job, also when the process running it is killed
/// mid-way and another one (on the same store) finishes it: the target then holds exactly
/// the source's members. 10,000 members on the embedded store; 300 on DynamoDB/moto, whose
/// every write copies the table.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_link_from_a_big_group_survives_its_worker_being_killed() {
    let members = match tests::TestStore::from_env() {
        tests::TestStore::Embedded => 10_000,
        tests::TestStore::DynamoDb => 300,
    };
    let mut apps = tests::test_apps(2).await;
    let first = TestService::start_with(apps.remove(0)).await;
    let tenant = first.create_tenant("okta", "none").await;
    let scim = Scim::basic(&tenant);
    let admin = admin_of(&first, Role::SubscriptionAdmin);
    let ids = scim.create_users("big", members, 16).await;
    let source = group(&scim, "Everyone", &[]).await;
    for chunk in ids.chunks(256) {
        let chunk: Vec<&String> = chunk.iter().collect();
        scim.patch(&format!("/Groups/{source}"), &change("add", &chunk)).await.expect(204);
    }
    let vault = admin.post("/vaults", json!({"name": "Main"}), 201).await;
    let vault = vault["id"].as_str().unwrap().to_owned();
    let body = json!({"source_group": source, "vault": vault, "new_target_group": "Everyone"});
    let started = std::time::Instant::now();
    let link = admin.post("/links", body, 202).await;
    let job = format!("/jobs/{}", link["job"].as_str().unwrap());
    // Kill the first process once its worker has done part of the job, not all of it.
    loop {
        let progress = admin.get(&job).await;
        if progress["done"].as_i64().unwrap() > 0 {
            assert_eq!(progress["state"], "running", "killed mid-way: {progress}");
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    drop(first);
    let second = TestService::start_with(apps.remove(0)).await;
    let admin = admin_of(&second, Role::SubscriptionAdmin);
    settle(&second, &admin, link["id"].as_str().unwrap()).await;
    let elapsed = started.elapsed();
    let target = link["target_group"].as_str().unwrap();
    let expected: BTreeSet<String> = ids.into_iter().collect();
    assert_eq!(admin.members(&vault, target).await, expected);
    let done = admin.get(&job).await;
    assert_eq!(done["state"], "done", "{done}");
    // The feed, written by both workers, replays to the same members.
    let mut replayed = Replayed::default();
    replayed.read_on(&admin, &vault, 1000).await;
    assert_eq!(replayed.vault, VaultState::read(&admin, &vault).await);
    assert_eq!(replayed.vault.users.len(), members);
    println!(
        "a link from {members} members, its worker killed once: {:.1} s, {:.0} members/s",
        elapsed.as_secs_f64(),
        members as f64 / elapsed.as_secs_f64()
    );
}

/// A link's job is made with the link, never before it: links made back to back, each
/// picked up by the worker at once, all fill their targets. On the embedded engine the store
/// is a durable file, as `local-api`'s, whose commits wait for the disk.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_link_made_fills_its_target() {
    let dir = shared::testing::TempDir::new();
    let app = match tests::TestStore::from_env() {
        tests::TestStore::Embedded => shared::app::App::open_embedded(dir.path()).expect("a durable store"),
        tests::TestStore::DynamoDb => tests::test_app().await,
    };
    let svc = TestService::start_with(app).await;
    local::ensure_local_subscription(svc.app()).await.expect("the local subscription");
    let scim = Scim::basic(&svc.create_tenant("okta", "none").await);
    let admin = admin_of(&svc, Role::AccessAdmin);
    let u = users(&scim, "b", 3).await;
    let subscription_admin = admin_of(&svc, Role::SubscriptionAdmin);
    let vault = subscription_admin.post("/vaults", json!({"name": "Main"}), 201).await;
    let vault = vault["id"].as_str().unwrap().to_owned();
    for i in 0..8 {
        let source = group(&scim, &format!("Team {i}"), &u[..1 + i % 3]).await;
        let body = json!({"source_group": source, "vault": vault, "new_target_group": format!("Team {i}")});
        let link = admin.post("/links", body, 202).await;
        settle(&svc, &admin, link["id"].as_str().unwrap()).await;
        let target = link["target_group"].as_str().unwrap();
        assert_eq!(admin.members(&vault, target).await, scim.member_ids(&source).await, "link {i}");
    }
}

/// What a vault holds: its groups, their members, its users with their states and licenses.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct VaultState {
    /// Group id → name.
    groups: BTreeMap<String, String>,
    /// Members: (group id, user id).
    members: BTreeSet<(String, String)>,
    /// Users of the vault: id → (state, license).
    users: BTreeMap<String, (String, String)>,
}

impl VaultState {
    /// The vault as the admin API reads it now.
    async fn read(admin: &Admin, vault: &str) -> VaultState {
        let mut now = VaultState::default();
        for group in admin.all(&format!("/vaults/{vault}/groups?")).await {
            let id = group["id"].as_str().expect("an id").to_owned();
            for user in admin.members(vault, &id).await {
                now.members.insert((id.clone(), user));
            }
            now.groups.insert(id, group["name"].as_str().expect("a name").to_owned());
        }
        for user in admin.all(&format!("/vaults/{vault}/users?")).await.iter().filter(|u| u["active"] == true) {
            let text = |name: &str| user[name].as_str().expect(name).to_owned();
            now.users.insert(text("id"), (text("state"), text("license")));
        }
        now
    }
}

/// A vault as its change feed tells it, replayed change by change.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Replayed {
    vault: VaultState,
    /// The last change's number.
    seq: u64,
    /// Where to read on from.
    cursor: Option<String>,
}

impl Replayed {
    /// Reads `vault`'s feed on from where this replay stopped, `limit` changes a page, to its
    /// end, applying each change; every change's number is the one after the last.
    async fn read_on(&mut self, admin: &Admin, vault: &str, limit: usize) {
        loop {
            let cursor = self.cursor.as_deref().map(|c| format!("&cursor={c}")).unwrap_or_default();
            let page = admin.get(&format!("/vaults/{vault}/changes?limit={limit}{cursor}")).await;
            let changes = page["changes"].as_array().expect("changes");
            assert!(changes.len() <= limit, "{page}");
            for change in changes {
                self.seq += 1;
                assert_eq!(change["seq"], json!(self.seq), "no change skipped or repeated: {page}");
                self.apply(change);
            }
            self.cursor = Some(page["resume_cursor"].as_str().expect("a resume cursor").to_owned());
            match page["next_cursor"].as_str() {
                Some(next) => assert_eq!(Some(next), self.cursor.as_deref(), "{page}"),
                None => return,
            }
        }
    }

    fn apply(&mut self, change: &Value) {
        let text = |name: &str| change[name].as_str().unwrap_or_else(|| panic!("{name} in {change}")).to_owned();
        match change["kind"].as_str().expect("a kind") {
            "group_added" => assert!(self.vault.groups.insert(text("group"), text("name")).is_none(), "{change}"),
            "membership_added" => {
                assert!(
                    self.vault.users.contains_key(&text("user")),
                    "a member is a user of the vault first: {change}"
                );
                assert!(self.vault.groups.contains_key(&text("group")), "of a group of the vault: {change}");
                assert!(self.vault.members.insert((text("group"), text("user"))), "{change}")
            }
            "membership_removed" => assert!(self.vault.members.remove(&(text("group"), text("user"))), "{change}"),
            "user_added" => {
                assert!(self.vault.users.insert(text("user"), (text("state"), text("license"))).is_none(), "{change}")
            }
            "user_removed" => {
                let user = text("user");
                assert!(
                    !self.vault.members.iter().any(|(_, u)| *u == user),
                    "a user leaves its groups first: {change}"
                );
                assert!(self.vault.users.remove(&user).is_some(), "{change}")
            }
            "user_disabled" | "user_enabled" => {
                let state = if change["kind"] == "user_enabled" { "enabled" } else { "disabled" };
                let user = self.vault.users.get_mut(&text("user")).unwrap_or_else(|| panic!("not a user: {change}"));
                assert_ne!(user.0, state, "{change}");
                user.0 = state.to_owned();
            }
            "license_changed" => {
                let user = self.vault.users.get_mut(&text("user")).unwrap_or_else(|| panic!("not a user: {change}"));
                assert_ne!(user.1, text("license"), "{change}");
                user.1 = text("license");
            }
            other => panic!("an unknown kind {other}: {change}"),
        }
    }
}

/// A vault's change feed, read from the start (and, by another reader, on and off while the
/// vault changes), replays to the vault's groups, members and users with their states and
/// licenses, no change skipped or repeated across pages and jobs.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_change_feed_replays_to_the_vault() {
    let (svc, scim, admin) = setup().await;
    let u = users(&scim, "f", 8).await;
    let sales = group(&scim, "Sales", &u[0..4]).await;
    let engineering = group(&scim, "Engineering", &u[2..6]).await;
    let vault = admin_of(&svc, Role::SubscriptionAdmin).post("/vaults", json!({"name": "Main"}), 201).await;
    let vault = vault["id"].as_str().unwrap().to_owned();
    let existing = admin.post(&format!("/vaults/{vault}/groups"), json!({"name": "Existing"}), 201).await;
    let existing = existing["id"].as_str().unwrap().to_owned();
    let mut follower = Replayed::default();
    follower.read_on(&admin, &vault, 3).await;
    assert_eq!(follower.vault.groups.len(), 1, "{follower:?}");

    let body = json!({"source_group": sales, "vault": vault, "new_target_group": "Sales team"});
    let sales_link = admin.post("/links", body, 202).await["id"].as_str().unwrap().to_owned();
    let body = json!({"source_group": engineering, "vault": vault, "target_group": existing});
    let engineering_link = admin.post("/links", body, 202).await["id"].as_str().unwrap().to_owned();
    follower.read_on(&admin, &vault, 3).await;
    settle(&svc, &admin, &sales_link).await;
    settle(&svc, &admin, &engineering_link).await;
    follower.read_on(&admin, &vault, 3).await;

    // Memberships, states and licenses change.
    let sales_path = format!("/Groups/{sales}");
    scim.patch(&sales_path, &change("add", &[&u[6]])).await.expect(204);
    scim.patch(&sales_path, &change("remove", &[&u[0]])).await.expect(204);
    let active = |on: bool| json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": on}}]});
    scim.patch(&format!("/Users/{}", u[2]), &active(false)).await.expect(200);
    follower.read_on(&admin, &vault, 3).await;
    scim.patch(&format!("/Users/{}", u[4]), &active(false)).await.expect(200);
    scim.patch(&format!("/Users/{}", u[4]), &active(true)).await.expect(200);
    let subscription_admin = admin_of(&svc, Role::SubscriptionAdmin);
    for user in [&u[3], &u[5]] {
        let body = Some(json!({"license": "concurrent"}));
        subscription_admin.expect(reqwest::Method::PUT, &format!("/users/{user}/license"), body, 200).await;
    }
    scim.delete(&format!("/Users/{}", u[5])).await.expect(204);
    settle(&svc, &admin, &sales_link).await;
    follower.read_on(&admin, &vault, 3).await;
    // A deleted link is followed no more: what happens to its source after is not the vault's.
    admin.expect(reqwest::Method::DELETE, &format!("/links/{sales_link}"), None, 200).await;
    scim.patch(&sales_path, &change("add", &[&u[7]])).await.expect(204);
    settle(&svc, &admin, &engineering_link).await;

    let now = VaultState::read(&admin, &vault).await;
    assert!(now.users.values().any(|(state, _)| state == "disabled"), "a disabled user: {now:?}");
    assert!(now.users.values().any(|(_, license)| license == "concurrent"), "a license changed: {now:?}");
    assert!(!now.users.contains_key(&u[5]), "a deleted user left: {now:?}");
    assert!(!now.users.contains_key(&u[7]), "{now:?}");
    follower.read_on(&admin, &vault, 3).await;
    assert_eq!(follower.vault, now, "the reader that went along");
    let mut fresh = Replayed::default();
    fresh.read_on(&admin, &vault, 4).await;
    assert_eq!(fresh.vault, now, "a reader from the start");
    assert_eq!((fresh.seq, &fresh.cursor), (follower.seq, &follower.cursor));

    // Read to its end, the feed gives nothing new, and says where to go on from.
    let end = admin.get(&format!("/vaults/{vault}/changes?cursor={}", fresh.seq)).await;
    assert_eq!((&end["changes"], &end["next_cursor"]), (&json!([]), &Value::Null), "{end}");
    assert_eq!(end["resume_cursor"], json!(fresh.seq.to_string()));
    for bad in ["cursor=x", "cursor=-1", "limit=0", "limit=1001"] {
        let (status, answer) = admin.call(reqwest::Method::GET, &format!("/vaults/{vault}/changes?{bad}"), None).await;
        assert_eq!((status, answer["error"].as_str()), (400, Some("invalid")), "{bad}: {answer}");
    }
}
