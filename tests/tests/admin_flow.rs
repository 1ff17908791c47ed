//! The product guide's flow through the admin API, end to end over HTTP on the engine
//! `SCIM_TEST_STORE` names: the operator makes a subscription and buys seats; its admin makes a
//! configuration and points a SCIM client at it; users beyond the seats wait; the home summary
//! and the users list say who; a group's license type, an override, a configuration's new
//! default and its deletion move seats; the check stays clean throughout.

mod common;

use std::time::Duration;

use common::{id_of, okta_user, Admin, Scim, GROUP, PATCH_OP};
use futures::future::join_all;
use serde_json::{json, Value};
use shared::admin_tokens::Role;
use tests::{Tenant, TestService};

/// What the product guide's flow asks of the admin API beyond single calls.
trait AdminFlow {
    async fn finish(&self, sub: &str, id: &str) -> Value;
    async fn users(&self, sub: &str, filter: &str) -> Vec<Value>;
    async fn assert_clean(&self, operator: &Admin, sub: &str, step: &str);
}

impl AdminFlow for Admin {
    /// Waits for job `id` of `sub` to be done.
    async fn finish(&self, sub: &str, id: &str) -> Value {
        for _ in 0..600 {
            let job = self.get(&format!("/subscriptions/{sub}/jobs/{id}")).await;
            if job["state"] == "done" {
                return job;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("job {id} did not finish");
    }

    /// Every user of `sub` the query `filter` selects, page after page.
    async fn users(&self, sub: &str, filter: &str) -> Vec<Value> {
        self.all(&format!("/subscriptions/{sub}/users?limit=100{filter}")).await
    }

    async fn assert_clean(&self, operator: &Admin, sub: &str, step: &str) {
        let check = operator.expect(reqwest::Method::POST, &format!("/subscriptions/{sub}/check"), None, 200).await;
        assert_eq!(check["ok"], true, "{step}: {check}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_subscription_admin_walks_the_product_guide() {
    use reqwest::Method;
    let svc = TestService::start().await;
    let operator = Admin::new(&svc, Role::Operator, None);
    let made = operator.expect(Method::POST, "/subscriptions", Some(json!({"name": "Acme"})), 201).await;
    let sub = made["id"].as_str().unwrap().to_owned();
    assert_eq!(made["recycling"], "automatic");
    operator
        .expect(Method::PUT, &format!("/subscriptions/{sub}/pools/named"), Some(json!({"purchased": 50})), 200)
        .await;
    let admin = Admin::new(&svc, Role::SubscriptionAdmin, Some(&sub));
    let access = Admin::new(&svc, Role::AccessAdmin, Some(&sub));

    // Provisioning > Configurations > Create configuration: the three values for the IdP.
    let body = json!({"name": "Okta", "default_license": "named"});
    let okta = admin.expect(Method::POST, &format!("/subscriptions/{sub}/configurations"), Some(body), 201).await;
    let tenant = Tenant {
        tenant_url: okta["tenant_url"].as_str().unwrap().to_owned(),
        client_id: okta["client_id"].as_str().unwrap().to_owned(),
        client_secret: okta["client_secret"].as_str().unwrap().to_owned(),
    };
    let scim = Scim::basic(&tenant);

    // 80 users against 50 seats: 30 wait, and the home page says so.
    let answers = join_all((0..80).map(|i| {
        let scim = scim.clone();
        async move { scim.post("/Users", &okta_user(&format!("u{i}@acme.example"), "U", "Ser")).await }
    }))
    .await;
    let ids: Vec<String> = answers.into_iter().map(|a| id_of(&a.expect(201).json())).collect();
    let home = access.get(&format!("/subscriptions/{sub}")).await;
    assert_eq!(home["users"], json!({"enabled": 80, "disabled": 0, "waiting": 30}), "{home}");
    assert_eq!(home["pools"]["named"], json!({"purchased": 50, "used": 50, "waiting": 30}));
    assert_eq!(home["configurations"][0]["name"], "Okta");
    let waiting = access.users(&sub, "&waiting=true").await;
    assert_eq!(waiting.len(), 30);
    assert!(waiting
        .iter()
        .all(|u| u["license"] == "none" && u["target_license"] == "named" && u["waiting_since"].is_string()));
    admin.assert_clean(&operator, &sub, "after the import").await;

    // An access admin gives a waiting user a read-only license by override: it takes a
    // read-only seat at once (when one is bought) and stops waiting.
    operator
        .expect(Method::PUT, &format!("/subscriptions/{sub}/pools/read-only"), Some(json!({"purchased": 1})), 200)
        .await;
    let chosen = waiting[0]["id"].as_str().unwrap().to_owned();
    let user_license = format!("/subscriptions/{sub}/users/{chosen}/license");
    let set = access.expect(Method::PUT, &user_license, Some(json!({"license": "read-only"})), 200).await;
    assert_eq!(
        (&set["license"], &set["waiting"], &set["override"]),
        (&json!("read-only"), &json!(false), &json!("read-only"))
    );
    admin.assert_clean(&operator, &sub, "after an override").await;
    let cleared = access.expect(Method::DELETE, &user_license, None, 200).await;
    assert_eq!((&cleared["target_license"], &cleared["waiting"]), (&json!("named"), &json!(true)));

    // Provisioning > User groups: a group of 5 named users gets read-only (named outranks
    // it); then more named seats (the operator's) serve the whole queue.
    let group = scim.post("/Groups", &json!({"schemas": [GROUP], "displayName": "Readers"})).await.expect(201).json();
    let group = id_of(&group);
    let members: Vec<Value> = ids[..5].iter().map(|id| json!({"value": id})).collect();
    let add = json!({"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "members", "value": members}]});
    scim.patch(&format!("/Groups/{group}"), &add).await.expect(204);
    let groups = access.get(&format!("/subscriptions/{sub}/groups")).await;
    assert_eq!(groups[0]["member_count"], 5);
    let licensed = access
        .expect(
            Method::PUT,
            &format!("/subscriptions/{sub}/groups/{group}/license"),
            Some(json!({"license": "read-only"})),
            200,
        )
        .await;
    assert_eq!(licensed["license"], "read-only");
    let user = access.get(&format!("/subscriptions/{sub}/users/{}", ids[0])).await;
    assert_eq!(user["groups"][0]["license"], "read-only", "{user}");
    assert_eq!(user["target_license"], "named", "named outranks read-only");
    operator
        .expect(Method::PUT, &format!("/subscriptions/{sub}/pools/named"), Some(json!({"purchased": 80})), 200)
        .await;
    assert!(access.users(&sub, "&waiting=true").await.is_empty());
    admin.assert_clean(&operator, &sub, "after buying 30 more").await;

    // The configuration's default becomes read-only (with read-only seats for everyone): its
    // users follow, in the background, and release their named seats.
    operator
        .expect(Method::PUT, &format!("/subscriptions/{sub}/pools/read-only"), Some(json!({"purchased": 80})), 200)
        .await;
    let configuration = format!("/subscriptions/{sub}/configurations/{}", okta["id"].as_str().unwrap());
    admin.expect(Method::PATCH, &configuration, Some(json!({"default_license": "read-only"})), 200).await;
    wait_until(|| async { access.users(&sub, "&license=named").await.is_empty() }).await;
    admin.assert_clean(&operator, &sub, "after the default's change").await;

    // Deleting the configuration: its SCIM tenant is gone, its users stay, disabled and
    // provisioned by nothing, their seats released.
    admin.expect(Method::DELETE, &configuration, None, 204).await;
    scim.get("/Users").await.expect_scim_error(401);
    wait_until(|| async { access.users(&sub, "&state=enabled").await.is_empty() }).await;
    let left = access.users(&sub, "").await;
    assert_eq!(left.len(), 80);
    assert!(left.iter().all(|u| u["configuration"].is_null() && u["license"] == "none"), "{:?}", left[0]);
    admin.assert_clean(&operator, &sub, "after the configuration's delete").await;
    let trail = access.get(&format!("/subscriptions/{sub}/audit?user={}&limit=50", ids[0])).await;
    let causes: Vec<&str> = trail["items"].as_array().unwrap().iter().map(|e| e["cause"].as_str().unwrap()).collect();
    assert_eq!(causes.first(), Some(&"configuration"), "{causes:?}");
    assert!(causes.contains(&"scim-create"), "{causes:?}");
}

/// Polls `done` until it holds (background jobs), for up to 30 s.
async fn wait_until<F, Fut>(done: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..600 {
        if done().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("a background job did not finish in 30 s");
}

/// A group license change on a big group is a background job; the process running it is
/// killed mid-way, and another one (on the same store) finishes it: every member's license
/// is right and the check is clean. 10,000 members in pages of 1,000 on the embedded store;
/// on DynamoDB/moto (whose every write copies the table, so thousands of users take minutes)
/// 240 members in pages of 40, the same job in more, smaller steps.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_group_license_job_survives_its_worker_being_killed() {
    use reqwest::Method;
    let (members, page) = match tests::TestStore::from_env() {
        tests::TestStore::Embedded => (10_000, 1_000),
        tests::TestStore::DynamoDb => (240, 40),
    };
    let mut apps = tests::test_apps(2).await;
    for app in &mut apps {
        app.directory.set_members_per_page(page);
    }
    let first = TestService::start_with(apps.remove(0)).await;
    let operator = Admin::new(&first, Role::Operator, None);
    let sub = operator.expect(Method::POST, "/subscriptions", Some(json!({"name": "Big"})), 201).await;
    let sub = sub["id"].as_str().unwrap().to_owned();
    let pool = format!("/subscriptions/{sub}/pools/named");
    operator.expect(Method::PUT, &pool, Some(json!({"purchased": members})), 200).await;
    let body = json!({"name": "Okta", "default_license": "none"});
    let okta = operator.expect(Method::POST, &format!("/subscriptions/{sub}/configurations"), Some(body), 201).await;
    let scim = Scim::basic(&Tenant {
        tenant_url: okta["tenant_url"].as_str().unwrap().to_owned(),
        client_id: okta["client_id"].as_str().unwrap().to_owned(),
        client_secret: okta["client_secret"].as_str().unwrap().to_owned(),
    });
    let ids = scim.create_users("big", members, 16).await;
    let group =
        id_of(&scim.post("/Groups", &json!({"schemas": [GROUP], "displayName": "Everyone"})).await.expect(201).json());
    for chunk in ids.chunks(256) {
        let values: Vec<Value> = chunk.iter().map(|id| json!({"value": id})).collect();
        let add = json!({"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "members", "value": values}]});
        scim.patch(&format!("/Groups/{group}"), &add).await.expect(204);
    }

    let license = format!("/subscriptions/{sub}/groups/{group}/license");
    let started = operator.expect(Method::PUT, &license, Some(json!({"license": "named"})), 202).await;
    let job = started["job"].as_str().unwrap().to_owned();
    let progress = format!("/subscriptions/{sub}/jobs/{job}");
    // Kill the first process once its worker has done part of the job, not all of it.
    loop {
        let now = operator.get(&progress).await;
        if now["done"].as_i64().unwrap() > 0 {
            assert_eq!(now["state"], "running", "killed mid-way: {now}");
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let app = first.app().clone();
    drop(first);
    let second = TestService::start_with(apps.remove(0)).await;
    let done = Admin::new(&second, Role::Operator, None).finish(&sub, &job).await;
    assert_eq!(done["done"], json!(members), "{done}");

    let holders = app.licenses.holders(&sub).await.unwrap();
    assert_eq!(holders.len(), members);
    let wrong: Vec<_> = holders.iter().filter(|h| h.license != shared::licenses::LicenseType::Named).collect();
    assert!(wrong.is_empty(), "{} members without their group's license, e.g. {:?}", wrong.len(), wrong.first());
    let check = app.licenses.check(&sub).await.unwrap();
    assert!(check.ok, "{:?}", check.problems);
}
