//! Commits per request on the durable embedded store (a SQLite file, as `local-api`'s): each
//! request kind an Okta import and its upkeep sends waits for at most one commit, so group
//! commit (docs/architecture.md, "The store port") is what bounds the write rate, not a
//! request's own chain of fsyncs. Whatever `SCIM_TEST_STORE` says, this counts the embedded
//! engine's commits: DynamoDB's calls per request are counted in dynamodb_calls.rs.

mod common;

use std::sync::Arc;

use common::{id_of, okta_user, Scim, GROUP, PATCH_OP};
use serde_json::{json, Value};
use shared::app::App;
use shared::store::sqlite::SqliteTable;
use shared::testing::TempDir;
use tests::TestService;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_okta_request_waits_for_at_most_one_commit() {
    let dir = TempDir::new();
    let table = Arc::new(SqliteTable::open(&dir.path().join("store.sqlite3")).expect("a durable store"));
    let svc = TestService::start_with(App::embedded(table.clone())).await;
    let scim = Scim::basic(&svc.create_tenant("okta", "named").await);
    let ids = scim.create_users("c", 1000, 16).await;
    let members: Vec<Value> = ids.iter().map(|id| json!({"value": id})).collect();
    let body = json!({"schemas": [GROUP], "displayName": "Everyone", "members": members});
    let group = id_of(&scim.post("/Groups", &body).await.expect(201).json());
    let newcomer =
        id_of(&scim.post("/Users", &okta_user("newcomer@example.com", "New", "Comer")).await.expect(201).json());
    let active = |on: bool| json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": on}}]});
    let add = json!({"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "members", "value": [{"value": newcomer}]}]});

    let mut counted = Vec::new();
    macro_rules! count {
        ($name:expr, $request:expr, $status:expr) => {{
            let before = table.commits();
            $request.await.expect($status);
            counted.push(($name, table.commits() - before));
        }};
    }
    count!("get by id", scim.get(&format!("/Users/{}", ids[7])), 200);
    count!("userName lookup", scim.get("/Users?filter=userName%20eq%20%22c7%40example.com%22"), 200);
    count!("page of 100", scim.get("/Users?startIndex=101&count=100"), 200);
    count!("deactivate", scim.patch(&format!("/Users/{}", ids[7]), &active(false)), 200);
    count!("reactivate", scim.patch(&format!("/Users/{}", ids[7]), &active(true)), 200);
    count!("create", scim.post("/Users", &okta_user("another@example.com", "An", "Other")), 201);
    count!("member add to a 1,000-member group", scim.patch(&format!("/Groups/{group}"), &add), 204);
    for (name, commits) in &counted {
        println!("{name}: {commits} commit(s)");
    }
    let reads = &counted[..3];
    assert!(reads.iter().all(|(_, n)| *n == 0), "reads commit nothing: {counted:?}");
    assert!(counted[3..].iter().all(|(_, n)| *n == 1), "each write one commit: {counted:?}");
}
