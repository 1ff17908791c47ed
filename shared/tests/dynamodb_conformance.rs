//! The DynamoDB engine against a local moto server: the whole Table conformance suite, plus
//! what only this engine has (table creation, paging past DynamoDB's 1 MB pages, the retry
//! bound and the idempotency token).
//!
//! Needs `SCIM_TEST_DYNAMODB_ENDPOINT` (e.g. `http://127.0.0.1:PORT`): `eval "$(scripts/moto
//! start)"` sets it, and `scripts/test` does all of it. Without it every test here fails: a
//! suite that cannot run must never look like one that passed. Each run uses fresh tables
//! with random names.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::config::interceptors::{
    BeforeDeserializationInterceptorContextMut, BeforeTransmitInterceptorContextRef,
};
use aws_sdk_dynamodb::config::{ConfigBag, Credentials, Intercept, Region, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use aws_sdk_dynamodb::types::{AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType};
use shared::store::dynamodb::DynamoTable;
use shared::store::{conformance, Action, Condition, Index, Item, Key, Query, StoreError, Table, MAX_PAGE_BYTES};

const ENDPOINT_VAR: &str = "SCIM_TEST_DYNAMODB_ENDPOINT";

fn endpoint() -> String {
    match std::env::var(ENDPOINT_VAR) {
        Ok(endpoint) if !endpoint.trim().is_empty() => endpoint,
        _ => panic!(
            "{ENDPOINT_VAR} is not set, so the DynamoDB engine cannot be tested: start moto: scripts/moto start \
             (eval \"$(scripts/moto start)\" exports it), or run scripts/test"
        ),
    }
}

async fn sdk_config() -> aws_sdk_dynamodb::config::Builder {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "scim-tests"))
        .endpoint_url(endpoint())
        .load()
        .await;
    aws_sdk_dynamodb::config::Builder::from(&config)
}

async fn client() -> aws_sdk_dynamodb::Client {
    aws_sdk_dynamodb::Client::from_conf(sdk_config().await.build())
}

fn table_name(what: &str) -> String {
    format!("scim-test-{what}-{}", uuid::Uuid::new_v4().simple())
}

/// A fresh table on `client`.
async fn fresh_table(client: &aws_sdk_dynamodb::Client, what: &str) -> DynamoTable {
    let name = table_name(what);
    DynamoTable::create_table(client, &name).await.unwrap_or_else(|e| panic!("create table {name}: {e}"));
    DynamoTable::new(client.clone(), name)
}

/// Every check of the suite, on one table, as the service uses one table for everything.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conformance_on_moto() {
    let client = client().await;
    let table = fresh_table(&client, "conformance").await;
    conformance::run_all(|| {
        let table = table.clone();
        async move { Box::new(table) as Box<dyn Table> }
    })
    .await;
}

#[tokio::test]
async fn create_table_accepts_an_existing_table_of_the_right_shape_only() {
    let client = client().await;
    let name = table_name("create");
    DynamoTable::create_table(&client, &name).await.expect("create");
    DynamoTable::create_table(&client, &name).await.expect("create again: already there is fine");

    let other = table_name("other-shape");
    client
        .create_table()
        .table_name(&other)
        .attribute_definitions(
            AttributeDefinition::builder().attribute_name("id").attribute_type(ScalarAttributeType::S).build().unwrap(),
        )
        .key_schema(KeySchemaElement::builder().attribute_name("id").key_type(KeyType::Hash).build().unwrap())
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .expect("a table of another shape");
    let result = DynamoTable::create_table(&client, &other).await;
    assert!(matches!(result, Err(StoreError::Other(_))), "{result:?}");
}

/// DynamoDB (and moto) stop a call at 1 MB, and the port a page at `MAX_PAGE_BYTES`: with
/// ~300 KB items a page for 10 holds 4 (the one reaching 1 MiB included), and following the
/// cursors yields every item once, the last page without a cursor.
#[tokio::test]
async fn pages_stop_at_the_byte_bound_and_paging_yields_every_item() {
    let client = client().await;
    let table = fresh_table(&client, "paging").await;
    let big = "x".repeat(300 * 1024);
    for i in 0..12 {
        let item = Item::new(Key::new("P", format!("{i:02}"))).with("big", big.as_str());
        table.transact(vec![Action::Put { item, condition: None }]).await.expect("put");
    }
    let mut query = Query::new(Index::Base, "P");
    query.limit = 10;
    let mut pages = Vec::new();
    loop {
        let page = table.query(&query).await.expect("a page");
        pages.push(page.items.iter().map(|item| item.key.sk.clone()).collect::<Vec<_>>());
        match page.next {
            Some(cursor) => query.after = Some(cursor),
            None => break,
        }
        assert!(pages.len() <= 12, "the cursor does not advance");
    }
    assert!(pages.iter().all(|page| page.len() <= MAX_PAGE_BYTES.div_ceil(300 * 1024)), "{pages:?}");
    let all: Vec<String> = pages.concat();
    assert_eq!(all, (0..12).map(|i| format!("{i:02}")).collect::<Vec<_>>());
}

/// What the interceptor does to TransactWriteItems answers.
#[derive(Debug)]
struct Tamper {
    /// The ClientRequestToken of every TransactWriteItems attempt, in order.
    tokens: Arc<Mutex<Vec<String>>>,
    /// How many more answers to replace.
    replace: Arc<AtomicUsize>,
    /// Whether the request in flight is a TransactWriteItems (the tests send one at a time).
    transact_in_flight: Arc<AtomicBool>,
    /// The status and body put in their place.
    status: u16,
    body: &'static str,
}

const TARGET_HEADER: &str = "x-amz-target";
const TRANSACT_TARGET: &str = "DynamoDB_20120810.TransactWriteItems";

impl Intercept for Tamper {
    fn name(&self) -> &'static str {
        "Tamper"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request();
        let transact = request.headers().get(TARGET_HEADER) == Some(TRANSACT_TARGET);
        self.transact_in_flight.store(transact, Ordering::SeqCst);
        if transact {
            let body: serde_json::Value = serde_json::from_slice(request.body().bytes().unwrap_or_default())?;
            let token = body.get("ClientRequestToken").and_then(|t| t.as_str()).unwrap_or_default().to_owned();
            self.tokens.lock().unwrap().push(token);
        }
        Ok(())
    }

    /// Replaces the answer after the server has acted on the request, as a lost or throttled
    /// answer would look to the client.
    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if !self.transact_in_flight.load(Ordering::SeqCst) {
            return Ok(());
        }
        let take = self.replace.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
        if take {
            let response = context.response_mut();
            *response.status_mut() = self.status.try_into()?;
            response.headers_mut().remove("content-length");
            *response.body_mut() = self.body.into();
        }
        Ok(())
    }
}

/// A table whose client tampers with the next `replace` TransactWriteItems answers.
async fn tampered(name: &str, replace: usize, status: u16, body: &'static str) -> (DynamoTable, Tamper) {
    let tokens = Arc::new(Mutex::new(Vec::new()));
    let counter = Arc::new(AtomicUsize::new(replace));
    let in_flight = Arc::new(AtomicBool::new(false));
    let tamper =
        |replace| Tamper { tokens: tokens.clone(), replace, transact_in_flight: in_flight.clone(), status, body };
    let config = sdk_config().await.interceptor(tamper(counter.clone())).build();
    let table = DynamoTable::new(aws_sdk_dynamodb::Client::from_conf(config), name);
    (table, tamper(counter))
}

const THROTTLED: &str =
    r#"{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"injected throttling"}"#;
const SERVER_ERROR: &str =
    r#"{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"injected: answer lost"}"#;

/// Throttled every time: the engine tries MAX_ATTEMPTS (6) times within its stated backoff
/// bound (1.55 s of waiting), all under one ClientRequestToken, then says Busy.
#[tokio::test]
async fn throttling_is_retried_within_the_bound_then_busy() {
    let client = client().await;
    let name = fresh_table(&client, "throttled").await;
    let (table, tamper) = tampered(name_of(&name), usize::MAX, 400, THROTTLED).await;
    let check = Action::ConditionCheck { key: Key::new("P", "k"), condition: Condition::NotExists };
    let started = Instant::now();
    let result = table.transact(vec![check]).await;
    let elapsed = started.elapsed();
    assert!(matches!(result, Err(StoreError::Busy(_))), "{result:?}");
    let tokens = tamper.tokens.lock().unwrap().clone();
    assert_eq!(tokens.len(), 6, "attempts: {tokens:?}");
    assert!(!tokens[0].is_empty() && tokens.iter().all(|t| *t == tokens[0]), "one token for all attempts: {tokens:?}");
    assert!(elapsed < Duration::from_millis(1550) + Duration::from_secs(3), "took {elapsed:?}");

    // A second call is a new request with a new token.
    tamper.replace.store(1, Ordering::SeqCst);
    let check = Action::ConditionCheck { key: Key::new("P", "k"), condition: Condition::NotExists };
    table.transact(vec![check]).await.expect("throttled once, then through");
    let tokens = tamper.tokens.lock().unwrap().clone();
    assert_eq!(tokens.len(), 8);
    assert_eq!(tokens[6], tokens[7], "the retry reuses the call's token");
    assert_ne!(tokens[6], tokens[0], "another call, another token");
}

/// The first answer is lost after the server applied the write; the engine retries with the
/// same ClientRequestToken, which real DynamoDB answers with success without applying the
/// write again.
#[tokio::test]
async fn a_lost_answer_is_retried_under_the_same_token() {
    let client = client().await;
    let plain = fresh_table(&client, "lost-answer").await;
    let (table, tamper) = tampered(name_of(&plain), 1, 500, SERVER_ERROR).await;
    let key = Key::new("SUB", "POOL");
    let create = Action::Put { item: Item::new(key.clone()).with("n", 1), condition: Some(Condition::NotExists) };
    let result = table.transact(vec![create]).await;
    let tokens = tamper.tokens.lock().unwrap().clone();
    assert_eq!(tokens.len(), 2, "one retry: {tokens:?}");
    assert_eq!(tokens[0], tokens[1], "the retry carries the first attempt's token");
    // Real DynamoDB: Ok(()), the retry being recognised by its token. moto ignores
    // ClientRequestToken and runs the retry again, whose NotExists then fails: that moto
    // deviation, and nothing else, is tolerated here.
    assert!(matches!(result, Ok(()) | Err(StoreError::ConditionFailed { index: 0 })), "{result:?}");
    let item = plain.get(&key).await.expect("get").expect("the item was written");
    assert_eq!(item.i64("n"), Some(1), "written once");
}

fn name_of(table: &DynamoTable) -> &str {
    table.table_name()
}
