//! DynamoDB calls per SCIM operation, counted at the SDK (one count per HTTP request the
//! client sends), on a local moto server. Prints the table docs/operations.md quotes and asserts what
//! the design promises: no Scan anywhere, a single-resource read costs at most 2 calls, and
//! adding one member to a 10,000-member group costs what adding one to an empty group costs.
//!
//! Needs `SCIM_TEST_DYNAMODB_ENDPOINT` (scripts/test starts moto and sets it).
//!
//! Sizes are kept small where they do not change the count: moto copies a table for every
//! transaction, so it slows down (and grows) with the table. Pages are of 10 resources (page
//! 11 starts at 101); the 10,000 members of the big group are written straight to the table
//! with BatchWriteItem, in the directory's own key layout, since only their existence matters
//! to the cost of adding one more.

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use common::*;
use futures::stream::{self, StreamExt};
use serde_json::json;
use shared::app::App;
use shared::secrets::TableSecrets;
use shared::store::dynamodb::DynamoTable;

/// Counts the requests the SDK sends, by operation name.
#[derive(Debug, Default, Clone)]
struct CallCounter(Arc<Mutex<BTreeMap<String, usize>>>);

impl CallCounter {
    fn take(&self) -> BTreeMap<String, usize> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

impl Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "CallCounter"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let name = cfg.load::<Metadata>().map(|m| m.name().to_owned()).unwrap_or_else(|| "?".into());
        *self.0.lock().unwrap().entry(name).or_default() += 1;
        Ok(())
    }
}

/// Writes `n` member items of `group` (users that need not exist: only the group's size
/// matters here) with BatchWriteItem, 25 at a time, through a client that is not counted.
async fn write_members(raw: &aws_sdk_dynamodb::Client, table: &str, tenant: &str, group: &str, n: usize) {
    use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
    let ids: Vec<String> = (0..n).map(|_| uuid::Uuid::now_v7().to_string()).collect();
    stream::iter(ids.chunks(25))
        .for_each_concurrent(4, |chunk| async move {
            let requests = chunk.iter().map(|user| {
                let key = shared::keys::member(tenant, group, user);
                let item = [("pk", key.pk), ("sk", key.sk), ("user_id", user.clone())]
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), AttributeValue::S(v)))
                    .collect();
                WriteRequest::builder().put_request(PutRequest::builder().set_item(Some(item)).build().unwrap()).build()
            });
            let written = raw.batch_write_item().request_items(table, requests.collect()).send().await.expect("write");
            assert!(written.unprocessed_items().is_none_or(|u| u.is_empty()), "moto left items unprocessed");
        })
        .await;
}

struct Measured {
    operation: &'static str,
    calls: BTreeMap<String, usize>,
}

impl Measured {
    fn total(&self) -> usize {
        self.calls.values().sum()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dynamodb_calls_per_scim_operation() {
    let endpoint = std::env::var("SCIM_TEST_DYNAMODB_ENDPOINT").expect(
        "SCIM_TEST_DYNAMODB_ENDPOINT is not set: run scripts/test, or `scripts/moto start` and export what it prints",
    );
    let counter = CallCounter::default();
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(&endpoint)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new("test", "test", None, None, "test"))
        .load()
        .await;
    let config = aws_sdk_dynamodb::config::Builder::from(&sdk).interceptor(counter.clone()).build();
    let client = aws_sdk_dynamodb::Client::from_conf(config);
    let raw = aws_sdk_dynamodb::Client::new(&sdk);
    let name = format!("calls-{}", uuid::Uuid::new_v4().simple());
    DynamoTable::create_table(&client, &name).await.expect("create the table");
    let table: Arc<dyn shared::store::Table> = Arc::new(DynamoTable::new(client, name.clone()));
    let app = App::new(table.clone(), Arc::new(TableSecrets::new(table)));
    let svc = TestService::start_with(app).await;
    let scim = Scim::basic(&svc.create_tenant("calls", "named").await);

    // Warm up: the first request reads the tenant's credentials, then they are cached.
    scim.get("/Users?startIndex=1&count=1").await.expect(200);
    let users = scim.create_users("member", 260, 8).await;
    counter.take();

    let mut table_rows: Vec<Measured> = Vec::new();
    let measure = |operation: &'static str| Measured { operation, calls: counter.take() };

    let user = scim.create_okta_user("counted@example.com").await;
    table_rows.push(measure("create user"));
    let id = id_of(&user);
    scim.get(&format!("/Users?filter={}", enc("userName eq \"COUNTED@example.com\""))).await.expect(200);
    table_rows.push(measure("lookup by userName"));
    scim.get(&format!("/Users/{id}")).await.expect(200);
    table_rows.push(measure("get user"));
    let mut replaced = user.clone();
    replaced["displayName"] = json!("Counted Again");
    scim.put(&format!("/Users/{id}"), &replaced).await.expect(200);
    table_rows.push(measure("replace user (PUT)"));
    scim.patch(&format!("/Users/{id}"), &patch_op(json!([{"op": "replace", "value": {"active": false}}])))
        .await
        .expect(200);
    table_rows.push(measure("deactivate user (PATCH)"));
    let empty = id_of(&scim.create_group("Counted Empty").await);
    table_rows.push(measure("create group"));
    let add_one = |uid: &str| patch_op(json!([{"op": "add", "path": "members", "value": [{"value": uid}]}]));
    scim.patch(&format!("/Groups/{empty}"), &add_one(&id)).await.expect(204);
    table_rows.push(measure("add 1 member (empty group)"));
    let many = id_of(&scim.create_group("Counted Many").await);
    counter.take();
    let values: Vec<_> = users[..256].iter().map(|u| json!({"value": u})).collect();
    scim.patch(&format!("/Groups/{many}"), &patch_op(json!([{"op": "add", "path": "members", "value": values}])))
        .await
        .expect(204);
    table_rows.push(measure("add 256 members"));
    scim.get("/Users?startIndex=1&count=10").await.expect(200);
    table_rows.push(measure("list users, page 1 (count 10)"));
    scim.get("/Users?startIndex=101&count=10").await.expect(200);
    table_rows.push(measure("list users, page 11, not walked to (count 10)"));
    for page in 0..11 {
        scim.get(&format!("/Users?startIndex={}&count=10", page * 10 + 1)).await.expect(200);
    }
    counter.take();
    scim.get("/Users?startIndex=111&count=10").await.expect(200);
    table_rows.push(measure("list users, page 12 after page 11 (count 10)"));

    // A 10,000-member group, then one more member.
    let huge = id_of(&scim.create_group("Counted Huge").await);
    let tenant = scim.url.rsplit('/').next().unwrap().to_owned();
    write_members(&raw, &name, &tenant, &huge, 10_000).await;
    // Writing 10,000 items to moto can outlast the credential cache (60 s): read once more so
    // the count below is the PATCH's alone, as for every other row.
    scim.get(&format!("/Groups/{huge}?excludedAttributes=members")).await.expect(200);
    counter.take();
    scim.patch(&format!("/Groups/{huge}"), &add_one(&users[259])).await.expect(204);
    table_rows.push(measure("add 1 member (10,000-member group)"));
    let group = scim.get(&format!("/Groups/{huge}?excludedAttributes=members")).await.expect(200).json();
    assert_eq!(group["id"], json!(huge));

    println!("\n| SCIM operation | DynamoDB calls | by API |\n|---|---|---|");
    for row in &table_rows {
        let by_api: Vec<String> = row.calls.iter().map(|(op, n)| format!("{op} {n}")).collect();
        println!("| {} | {} | {} |", row.operation, row.total(), by_api.join(", "));
    }

    for row in &table_rows {
        assert!(!row.calls.contains_key("Scan"), "{} used a Scan", row.operation);
    }
    let row = |name: &str| table_rows.iter().find(|r| r.operation == name).unwrap().total();
    assert!(row("get user") <= 2, "get user costs {}", row("get user"));
    assert!(row("lookup by userName") <= 2, "lookup costs {}", row("lookup by userName"));
    assert_eq!(row("add 1 member (10,000-member group)"), row("add 1 member (empty group)"));
    // A create with its seat (or its place in the queue) is one transaction, after one batch
    // read of the subscription's pools.
    let create = table_rows.iter().find(|r| r.operation == "create user").unwrap();
    assert_eq!(create.calls.get("TransactWriteItems"), Some(&1), "{:?}", create.calls);
    assert_eq!(create.total(), 2, "{:?}", create.calls);
}
