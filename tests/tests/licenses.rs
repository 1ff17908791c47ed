//! Seats and waiting users (docs/architecture.md, "Licenses"): SCIM creates, deactivations,
//! reactivations and deletes take and release seats in their own transactions; users without
//! a seat wait, oldest first; freed seats go to them in `automatic` recycling and stay free in
//! `manual`; a larger purchase serves the queue in either. After every step the check recounts
//! everything from the user items and finds nothing wrong. Runs on both engines.

mod common;

use std::collections::BTreeSet;

use common::*;
use futures::future::join_all;
use serde_json::json;
use shared::audit::Cause;
use shared::licenses::{Holder, LicenseType, Recycling};
use tests::TestService;

const SUBSCRIPTION: &str = local::LOCAL_SUBSCRIPTION;

/// A service whose local subscription recycles as `recycling` and has bought `named` seats,
/// with one configuration whose default is `default`.
async fn subscription(recycling: Recycling, named: i64, default: &str) -> (TestService, Scim) {
    let svc = TestService::start().await;
    let tenant = svc.create_tenant("okta", default).await;
    let licenses = &svc.app().licenses;
    licenses.set_recycling(SUBSCRIPTION, recycling).await.unwrap();
    licenses.set_purchased(SUBSCRIPTION, LicenseType::Named, named).await.unwrap();
    (svc, Scim::basic(&tenant))
}

async fn holders(svc: &TestService) -> Vec<Holder> {
    svc.app().licenses.holders(SUBSCRIPTION).await.unwrap()
}

/// The check finds nothing wrong, and the pool of `license` has `used` seats.
async fn assert_clean(svc: &TestService, license: LicenseType, used: i64, step: &str) {
    let check = svc.app().licenses.check(SUBSCRIPTION).await.unwrap();
    assert!(check.ok, "{step}: {:?}", check.problems);
    let pool = check.pools.iter().find(|p| p.license == license).unwrap();
    assert_eq!(pool.used, used, "{step}: {pool:?}");
}

/// Ids of the users waiting, oldest first.
fn queue(holders: &[Holder]) -> Vec<String> {
    let mut waiting: Vec<&Holder> = holders.iter().filter(|h| h.is_waiting()).collect();
    waiting.sort_by(|a, b| (&a.waiting_since, &a.id).cmp(&(&b.waiting_since, &b.id)));
    waiting.into_iter().map(|h| h.id.clone()).collect()
}

fn holding(holders: &[Holder], license: LicenseType) -> BTreeSet<String> {
    holders.iter().filter(|h| h.license == license).map(|h| h.id.clone()).collect()
}

/// 200 creates at once against `seats` named seats.
async fn create_in_parallel(scim: &Scim, n: usize) -> Vec<String> {
    let answers = join_all((0..n).map(|i| {
        let scim = scim.clone();
        tokio::spawn(
            async move { scim.post("/Users", &okta_user(&format!("seat{i}@example.com"), "Seat", "Taker")).await },
        )
    }))
    .await;
    answers.into_iter().map(|a| id_of(&a.expect("task").expect(201).json())).collect()
}

async fn deactivate(scim: &Scim, id: &str) {
    let body = json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": false}}]});
    scim.patch(&format!("/Users/{id}"), &body).await.expect(200);
}

async fn reactivate(scim: &Scim, id: &str) {
    let body = json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": true}}]});
    scim.patch(&format!("/Users/{id}"), &body).await.expect(200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn automatic_recycling_hands_freed_and_bought_seats_to_the_oldest_waiting() {
    let (svc, scim) = subscription(Recycling::Automatic, 50, "named").await;
    let ids = create_in_parallel(&scim, 200).await;
    assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), 200);
    let all = holders(&svc).await;
    assert_eq!(holding(&all, LicenseType::Named).len(), 50, "exactly the seats bought");
    assert_eq!(queue(&all).len(), 150);
    assert!(all.iter().all(|h| h.target == LicenseType::Named));
    assert_clean(&svc, LicenseType::Named, 50, "after 200 creates").await;

    // 10 deactivations: their seats go to the 10 users waiting longest.
    let licensed: Vec<String> = holding(&all, LicenseType::Named).into_iter().take(10).collect();
    let first_waiting: BTreeSet<String> = queue(&all).into_iter().take(10).collect();
    for id in &licensed {
        deactivate(&scim, id).await;
    }
    let after = holders(&svc).await;
    let now_licensed = holding(&after, LicenseType::Named);
    assert!(first_waiting.is_subset(&now_licensed), "the oldest waiting got the seats");
    assert!(licensed.iter().all(|id| !now_licensed.contains(id)), "the deactivated hold none");
    assert_eq!(queue(&after).len(), 140);
    assert_clean(&svc, LicenseType::Named, 50, "after 10 deactivations").await;
    let recycled =
        svc.app().audit.trail(SUBSCRIPTION, first_waiting.first().map(String::as_str), None, 10).await.unwrap();
    assert_eq!(recycled.entries[0].cause, Cause::Recycle, "{:?}", recycled.entries);
    assert_eq!(recycled.entries[0].after["license"], "named");

    // 50 more seats: the next 50 in the queue, in order.
    let next: BTreeSet<String> = queue(&after).into_iter().take(50).collect();
    svc.app().licenses.set_purchased(SUBSCRIPTION, LicenseType::Named, 100).await.unwrap();
    let grown = holders(&svc).await;
    assert!(next.is_subset(&holding(&grown, LicenseType::Named)));
    assert_eq!(queue(&grown).len(), 90);
    assert_clean(&svc, LicenseType::Named, 100, "after buying 50 more").await;

    // Reactivated, a user waits behind everyone already waiting.
    reactivate(&scim, &licensed[0]).await;
    let back = holders(&svc).await;
    assert_eq!(queue(&back).last(), Some(&licensed[0]));
    assert_clean(&svc, LicenseType::Named, 100, "after a reactivation").await;

    // Lowering the purchase below the seats in use is refused.
    let refused = svc.app().licenses.set_purchased(SUBSCRIPTION, LicenseType::Named, 99).await;
    assert!(refused.is_err());
    assert_clean(&svc, LicenseType::Named, 100, "after a refused lowering").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn manual_recycling_keeps_seats_until_the_purchase_grows() {
    let (svc, scim) = subscription(Recycling::Manual, 50, "named").await;
    let ids = create_in_parallel(&scim, 200).await;
    assert_eq!(ids.len(), 200);
    let all = holders(&svc).await;
    assert_eq!(holding(&all, LicenseType::Named).len(), 50);
    assert_clean(&svc, LicenseType::Named, 50, "after 200 creates").await;

    // Deactivated users keep their seats; nobody waiting gets one.
    let licensed: Vec<String> = holding(&all, LicenseType::Named).into_iter().take(10).collect();
    for id in &licensed {
        deactivate(&scim, id).await;
    }
    let after = holders(&svc).await;
    assert_eq!(holding(&after, LicenseType::Named), holding(&all, LicenseType::Named));
    assert_eq!(queue(&after), queue(&all));
    assert_clean(&svc, LicenseType::Named, 50, "after 10 deactivations").await;

    // A SCIM DELETE releases the seat, which stays free: a newcomer waits behind the queue.
    scim.delete(&format!("/Users/{}", licensed[0])).await.expect(204);
    assert_clean(&svc, LicenseType::Named, 49, "after a delete").await;
    let newcomer = id_of(&scim.create_okta_user("late@example.com").await);
    let with_newcomer = holders(&svc).await;
    assert_eq!(queue(&with_newcomer).last(), Some(&newcomer), "a newcomer never overtakes the queue");
    assert_clean(&svc, LicenseType::Named, 49, "after a newcomer").await;
    let deleted = with_newcomer.iter().find(|h| h.id == licensed[0]).unwrap();
    assert!(!deleted.enabled && deleted.configuration.is_none(), "it stays in the subscription, unprovisioned");
    assert_eq!(deleted.license, LicenseType::None);

    // Growth serves the queue oldest first: 51 free seats for the 51 waiting longest.
    let next: BTreeSet<String> = queue(&with_newcomer).into_iter().take(51).collect();
    svc.app().licenses.set_purchased(SUBSCRIPTION, LicenseType::Named, 100).await.unwrap();
    let grown = holders(&svc).await;
    assert!(next.is_subset(&holding(&grown, LicenseType::Named)));
    assert_clean(&svc, LicenseType::Named, 100, "after buying 50 more").await;
}

#[tokio::test]
async fn counted_and_unlicensed_defaults_take_no_limited_seat() {
    let (svc, scim) = subscription(Recycling::Automatic, 0, "concurrent").await;
    for i in 0..3 {
        scim.create_okta_user(&format!("c{i}@example.com")).await;
    }
    let all = holders(&svc).await;
    assert!(all.iter().all(|h| h.license == LicenseType::Concurrent && !h.is_waiting()));
    assert_clean(&svc, LicenseType::Concurrent, 3, "concurrent users").await;

    let none = svc.create_tenant("no licenses", "none").await;
    let unlicensed = Scim::basic(&none).create_okta_user("nobody@example.com").await;
    let holder = holders(&svc).await.into_iter().find(|h| h.id == id_of(&unlicensed)).unwrap();
    assert_eq!((holder.license, holder.target, holder.is_waiting()), (LicenseType::None, LicenseType::None, false));
    assert_clean(&svc, LicenseType::Named, 0, "a user of a `none` configuration").await;
}

/// A SCIM DELETE leaves the subscription user, disabled and unprovisioned, its userName still
/// its own. A configuration that then creates that userName takes it over: 201 with the same
/// id, its default license, audited as `adopt`. The first configuration cannot take it back
/// while the second provisions it.
#[tokio::test]
async fn a_user_no_configuration_provisions_is_adopted_by_the_next_create() {
    let (svc, okta) = subscription(Recycling::Automatic, 5, "named").await;
    let entra = Scim::basic(&svc.create_tenant("entra", "read-only").await);
    let user = id_of(&okta.create_okta_user("mover@example.com").await);
    assert_clean(&svc, LicenseType::Named, 1, "created").await;

    okta.delete(&format!("/Users/{user}")).await.expect(204);
    let left = holders(&svc).await.into_iter().find(|h| h.id == user).unwrap();
    assert!(!left.enabled && left.configuration.is_none() && left.license == LicenseType::None);
    assert_clean(&svc, LicenseType::Named, 0, "deleted").await;

    let adopted = entra.post("/Users", &okta_user("MOVER@example.com", "Moved", "User")).await.expect(201).json();
    assert_eq!(id_of(&adopted), user, "the same subscription user");
    assert_eq!(adopted["userName"], "MOVER@example.com");
    entra.get(&format!("/Users/{user}")).await.expect(200);
    okta.get(&format!("/Users/{user}")).await.expect_scim_error(404);
    let holder = holders(&svc).await.into_iter().find(|h| h.id == user).unwrap();
    assert!(holder.enabled);
    assert_eq!(holder.target, LicenseType::ReadOnly, "the adopting configuration's default");
    assert!(holder.is_waiting(), "no read-only seat is bought");
    let trail = svc.app().audit.trail(SUBSCRIPTION, Some(&user), None, 10).await.unwrap();
    assert_eq!(trail.entries[0].cause, Cause::Adopt, "{:?}", trail.entries);
    assert!(svc.app().licenses.check(SUBSCRIPTION).await.unwrap().ok);

    let refused = okta.post("/Users", &okta_user("mover@example.com", "Back", "Again")).await;
    let detail = refused.expect_scim_type(409, "uniqueness")["detail"].as_str().unwrap_or_default().to_owned();
    assert!(detail.contains("\"entra\""), "{detail}");
    assert_eq!(entra.find_users("userName eq \"mover@example.com\"").await.len(), 1);
    assert!(okta.find_users("userName eq \"mover@example.com\"").await.is_empty());
}

/// The directory's view of the configuration behind `scim` (for what the admin API will do).
async fn directory_tenant(svc: &TestService, scim: &Scim) -> shared::directory::Tenant {
    let id = scim.url.rsplit('/').next().unwrap().to_owned();
    let configuration = svc.app().tenants.configuration(&id).await.unwrap().unwrap();
    shared::directory::Tenant { configuration, url: scim.url.clone() }
}

/// Gives the group `group` the license type `license` and carries it to every member.
async fn set_group_license(svc: &TestService, scim: &Scim, group: &str, license: Option<LicenseType>) {
    let tenant = directory_tenant(svc, scim).await;
    let directory = &svc.app().directory;
    directory.set_group_license(&tenant, group, license).await.unwrap();
    let mut after = None;
    loop {
        let page = directory.license_members(&tenant, group, after, "admin-test").await.unwrap();
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
}

fn holder<'a>(holders: &'a [Holder], id: &str) -> &'a Holder {
    holders.iter().find(|h| h.id == id).unwrap()
}

/// A group's license type raises its members' target; joining and leaving move seats in the
/// membership transaction; a freed seat goes to the queue; deleting the group drops it all.
#[tokio::test]
async fn a_group_license_type_moves_its_members_seats() {
    let (svc, scim) = subscription(Recycling::Automatic, 2, "read-only").await;
    svc.app().licenses.set_purchased(SUBSCRIPTION, LicenseType::ReadOnly, 5).await.unwrap();
    let users = scim.create_users("member", 4, 1).await;
    assert_clean(&svc, LicenseType::ReadOnly, 4, "four read-only users").await;

    let group = id_of(&scim.create_group("Editors").await);
    let add = |ids: &[String]| {
        let members: Vec<_> = ids.iter().map(|id| json!({"value": id})).collect();
        json!({"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "members", "value": members}]})
    };
    scim.patch(&format!("/Groups/{group}"), &add(&users[..3])).await.expect(204);
    set_group_license(&svc, &scim, &group, Some(LicenseType::Named)).await;
    let all = holders(&svc).await;
    let named = holding(&all, LicenseType::Named);
    assert_eq!(named.len(), 2, "two named seats");
    let waiting = queue(&all);
    assert_eq!(waiting.len(), 1);
    assert_eq!(holder(&all, &waiting[0]).license, LicenseType::ReadOnly, "it keeps what it holds while it waits");
    assert!(users[..3].iter().all(|id| holder(&all, id).target == LicenseType::Named));
    assert_clean(&svc, LicenseType::ReadOnly, 2, "after the group license").await;

    // A new member waits behind the one already waiting.
    scim.patch(&format!("/Groups/{group}"), &add(&users[3..])).await.expect(204);
    assert_eq!(queue(&holders(&svc).await), vec![waiting[0].clone(), users[3].clone()]);
    assert_clean(&svc, LicenseType::Named, 2, "after a join").await;

    // A named member leaves: back to read-only, and its named seat goes to the oldest waiting.
    let leaving = named.iter().next().unwrap().clone();
    let remove = json!({"schemas": [PATCH_OP], "Operations": [{"op": "remove", "path": format!("members[value eq \"{leaving}\"]")}]});
    scim.patch(&format!("/Groups/{group}"), &remove).await.expect(204);
    let after = holders(&svc).await;
    assert_eq!(holder(&after, &leaving).license, LicenseType::ReadOnly);
    assert_eq!(holder(&after, &waiting[0]).license, LicenseType::Named, "the oldest waiting got the seat");
    assert_eq!(queue(&after), vec![users[3].clone()]);
    assert_clean(&svc, LicenseType::Named, 2, "after a leave").await;

    // The group goes: every member's target is read-only again, nobody waits.
    scim.delete(&format!("/Groups/{group}")).await.expect(204);
    let gone = holders(&svc).await;
    assert!(gone.iter().all(|h| h.license == LicenseType::ReadOnly && !h.is_waiting()), "{gone:?}");
    assert_clean(&svc, LicenseType::Named, 0, "after the group's delete").await;
    let trail = svc.app().audit.trail(SUBSCRIPTION, Some(&waiting[0]), None, 10).await.unwrap();
    let causes: Vec<Cause> = trail.entries.iter().map(|e| e.cause).collect();
    assert!(causes.contains(&Cause::GroupLicense) && causes.contains(&Cause::Recycle), "{causes:?}");
}
