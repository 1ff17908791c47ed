//! The DynamoDB engine of the Table port (aws-sdk-dynamodb).
//!
//! One table: partition key `pk` and sort key `sk` (strings), and the global secondary index
//! `gsi1` on [`GSI1_PK`] / [`GSI1_SK`] projecting every attribute. Values map to `S`, `N`,
//! `BOOL` and `SS` ([`convert`]); conditions and updates become expressions with placeholders
//! ([`expressions`]). Never a Scan: reads are GetItem, BatchGetItem and Query only.
//!
//! Validation is [`super::validate`], the same as the embedded engine's, run before any call,
//! so both engines accept and refuse the same requests.
//!
//! Reads: `get` and `batch_get` are strongly consistent; `batch_get` sends chunks of
//! [`MAX_BATCH_GET`] keys at once and retries unprocessed keys with backoff. `query` is
//! strongly consistent on the base table (an index cannot be). A DynamoDB page stops at
//! `Limit` items or 1 MB, whichever comes first, and may carry a LastEvaluatedKey when
//! nothing follows; `query` keeps reading until it has `limit` items or DynamoDB says there
//! is no more, so a page is short only at the end and never empty with a cursor (callers'
//! "fill a page" loops stay bounded). The cursor is the page's last item's key.
//!
//! Writes: every `transact`, even of one action, is one TransactWriteItems. A single
//! PutItem / UpdateItem would cost half the write capacity, but could not be retried safely:
//! a retry after a lost answer would apply an `Add` twice or fail a `NotExists` create that
//! had in fact succeeded. TransactWriteItems takes a ClientRequestToken, and the engine sends
//! the same token on all its attempts of one call, so DynamoDB applies the call at most once
//! (within its 10-minute idempotency window); the cancellation reasons map to the port's
//! errors in one place whatever the number of actions. The SDK's own retries are turned off
//! for this call so the bound is the engine's: at most [`errors::MAX_ATTEMPTS`] attempts with
//! full-jitter exponential backoff (at most 1.55 s of waiting), retrying TransactionConflict,
//! throttling, a transaction with the same token still in progress, server errors and lost
//! answers; then [`StoreError::Busy`] (contention) or [`StoreError::Other`] (no answer).
//!
//! Where DynamoDB is more permissive than the port, the engine adds guards to the condition:
//! an `Add` must keep the number within i64 (DynamoDB's numbers have 38 digits). Such an
//! action asks for the item as it was when its condition fails, and the engine judges the
//! caller's condition on it ([`super::eval`]) to report either `ConditionFailed` or
//! `Invalid`, exactly as the embedded engine would.
//!
//! Tested against moto (`shared/tests/dynamodb_conformance.rs`), which deviates from DynamoDB
//! in ways the tests and scripts account for, never the engine: it ignores ClientRequestToken
//! (a retried write is applied again), does not isolate concurrent transactions
//! (`scripts/moto-server.py` serialises its requests), never reports TransactionConflict
//! (the retry path is tested by injecting throttling), does not enforce the 4 MB transaction
//! limit (the port validates it), and fails `<` or `>=` between a string and a number with an
//! error where DynamoDB is false (the expressions check types first, as the port defines
//! `AttrLessThan`, `AttrLessThanAttr` and `AttrAtLeast` on numbers only).

mod convert;
mod errors;
mod expressions;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_dynamodb::types::{
    self as dt, AttributeDefinition, BillingMode, GlobalSecondaryIndex, IndexStatus, KeySchemaElement, KeyType,
    KeysAndAttributes, Projection, ProjectionType, ReturnValuesOnConditionCheckFailure, ScalarAttributeType,
    SseSpecification, TableDescription, TableStatus, TransactWriteItem,
};

use self::convert::{item_from_dynamo, item_to_dynamo, key_to_dynamo, Dynamo};
use self::errors::{backoff, from_read, from_transact, Outcome, MAX_ATTEMPTS};
use self::expressions::Placeholders;
use super::eval::holds;
use super::validate::{validate_batch_get, validate_key, validate_query, validate_transaction};
use super::{
    Action, Cursor, Index, Item, Key, Page, Query, StoreError, Table, GSI1_PK, GSI1_SK, MAX_BATCH_GET, MAX_PAGE_BYTES,
};

/// The table's partition and sort key attributes.
const PK: &str = "pk";
const SK: &str = "sk";
/// The name of the secondary index.
const GSI1: &str = "gsi1";

/// How long `create_table` waits for the table and its index to become active.
const CREATE_TIMEOUT: Duration = Duration::from_secs(300);

/// A Table on one DynamoDB table (partition key `pk`, sort key `sk`, index `gsi1`).
#[derive(Debug, Clone)]
pub struct DynamoTable {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

impl DynamoTable {
    /// A Table on the existing table `table`.
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> DynamoTable {
        DynamoTable { client, table: table.into() }
    }

    /// The name of the DynamoDB table.
    pub fn table_name(&self) -> &str {
        &self.table
    }

    /// Creates `table` with the key schema and index this engine expects (on-demand billing,
    /// encrypted with the AWS-managed key), and waits until it is active. An existing table is
    /// fine if its keys and index are the expected ones. For tests and `local-api`; SAM
    /// creates it on AWS.
    pub async fn create_table(client: &aws_sdk_dynamodb::Client, table: &str) -> Result<(), StoreError> {
        let attribute = |name: &str| {
            AttributeDefinition::builder().attribute_name(name).attribute_type(ScalarAttributeType::S).build()
        };
        let key =
            |name: &str, key_type: KeyType| KeySchemaElement::builder().attribute_name(name).key_type(key_type).build();
        let index = GlobalSecondaryIndex::builder()
            .index_name(GSI1)
            .key_schema(key(GSI1_PK, KeyType::Hash).map_err(build)?)
            .key_schema(key(GSI1_SK, KeyType::Range).map_err(build)?)
            .projection(Projection::builder().projection_type(ProjectionType::All).build())
            .build()
            .map_err(build)?;
        let created = client
            .create_table()
            .table_name(table)
            .attribute_definitions(attribute(PK).map_err(build)?)
            .attribute_definitions(attribute(SK).map_err(build)?)
            .attribute_definitions(attribute(GSI1_PK).map_err(build)?)
            .attribute_definitions(attribute(GSI1_SK).map_err(build)?)
            .key_schema(key(PK, KeyType::Hash).map_err(build)?)
            .key_schema(key(SK, KeyType::Range).map_err(build)?)
            .global_secondary_indexes(index)
            .billing_mode(BillingMode::PayPerRequest)
            .sse_specification(SseSpecification::builder().enabled(true).build())
            .send()
            .await;
        match created {
            Ok(_) => {}
            // Made by someone else (or by an earlier run): wait for it and check its shape.
            Err(e) if e.code() == Some("ResourceInUseException") => {}
            Err(e) => {
                return Err(StoreError::Other(format!("cannot create table {table}: {}", DisplayErrorContext(&e))))
            }
        }
        wait_until_active(client, table).await
    }

    fn transact_item(&self, action: &Action) -> Result<TransactWriteItem, StoreError> {
        let mut p = Placeholders::default();
        let item = match action {
            Action::Put { item, condition } => {
                let condition = condition.as_ref().and_then(|c| expressions::condition(c, &mut p));
                let (names, values) = p.into_maps();
                let put = dt::Put::builder()
                    .table_name(&self.table)
                    .set_item(Some(item_to_dynamo(item)))
                    .set_condition_expression(condition)
                    .set_expression_attribute_names(names)
                    .set_expression_attribute_values(values)
                    .build()
                    .map_err(build)?;
                TransactWriteItem::builder().put(put).build()
            }
            Action::Update { key, updates, condition } => {
                let update = expressions::update(updates, &mut p);
                let caller = condition.as_ref().and_then(|c| expressions::condition(c, &mut p));
                let guard = expressions::add_guards(updates, &mut p);
                // With a guard, a failed condition returns the item as it was, to tell whose
                // condition failed (see `guard_failure`).
                let return_old = guard.as_ref().map(|_| ReturnValuesOnConditionCheckFailure::AllOld);
                let condition = match (caller, guard) {
                    (Some(caller), Some(guard)) => Some(format!("{caller} AND {guard}")),
                    (caller, guard) => caller.or(guard),
                };
                let (names, values) = p.into_maps();
                let update = dt::Update::builder()
                    .table_name(&self.table)
                    .set_key(Some(key_to_dynamo(key)))
                    .update_expression(update)
                    .set_condition_expression(condition)
                    .set_expression_attribute_names(names)
                    .set_expression_attribute_values(values)
                    .set_return_values_on_condition_check_failure(return_old)
                    .build()
                    .map_err(build)?;
                TransactWriteItem::builder().update(update).build()
            }
            Action::Delete { key, condition } => {
                let condition = condition.as_ref().and_then(|c| expressions::condition(c, &mut p));
                let (names, values) = p.into_maps();
                let delete = dt::Delete::builder()
                    .table_name(&self.table)
                    .set_key(Some(key_to_dynamo(key)))
                    .set_condition_expression(condition)
                    .set_expression_attribute_names(names)
                    .set_expression_attribute_values(values)
                    .build()
                    .map_err(build)?;
                TransactWriteItem::builder().delete(delete).build()
            }
            Action::ConditionCheck { key, condition } => {
                // A ConditionCheck needs an expression, even for a condition that always holds.
                let condition =
                    expressions::condition(condition, &mut p).unwrap_or_else(|| expressions::always(&mut p));
                let (names, values) = p.into_maps();
                let check = dt::ConditionCheck::builder()
                    .table_name(&self.table)
                    .set_key(Some(key_to_dynamo(key)))
                    .condition_expression(condition)
                    .set_expression_attribute_names(names)
                    .set_expression_attribute_values(values)
                    .build()
                    .map_err(build)?;
                TransactWriteItem::builder().condition_check(check).build()
            }
        };
        Ok(item)
    }

    /// The items of one BatchGetItem's worth of keys, retrying what DynamoDB leaves
    /// unprocessed (it does under throttling or past 16 MB).
    async fn batch_get_chunk(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
        let mut pending: Vec<Dynamo> = keys.iter().map(key_to_dynamo).collect();
        let mut items = Vec::with_capacity(keys.len());
        let mut retries = 0;
        loop {
            let request = KeysAndAttributes::builder().set_keys(Some(pending.clone())).consistent_read(true).build();
            let out = self
                .client
                .batch_get_item()
                .request_items(&self.table, request.map_err(build)?)
                .send()
                .await
                .map_err(from_read)?;
            for raw in out.responses.and_then(|mut r| r.remove(&self.table)).unwrap_or_default() {
                items.push(item_from_dynamo(raw)?);
            }
            let unprocessed =
                out.unprocessed_keys.and_then(|mut u| u.remove(&self.table)).map(|k| k.keys).unwrap_or_default();
            if unprocessed.is_empty() {
                return Ok(items);
            }
            // Only attempts that get nowhere count against the bound.
            retries = if unprocessed.len() < pending.len() { 1 } else { retries + 1 };
            if retries >= MAX_ATTEMPTS {
                return Err(StoreError::Busy(format!(
                    "DynamoDB left {} keys unprocessed after {MAX_ATTEMPTS} attempts",
                    unprocessed.len()
                )));
            }
            pending = unprocessed;
            tokio::time::sleep(backoff(retries)).await;
        }
    }

    /// The ExclusiveStartKey that resumes `query` after `cursor` (validated to belong to it).
    fn start_key(query: &Query, cursor: &Cursor) -> Dynamo {
        let mut key = key_to_dynamo(&cursor.key);
        if query.index == Index::Gsi1 {
            key.insert(GSI1_PK.to_owned(), dt::AttributeValue::S(query.pk.clone()));
            let index_sk = cursor.index_sk.clone().unwrap_or_default();
            key.insert(GSI1_SK.to_owned(), dt::AttributeValue::S(index_sk));
        }
        key
    }
}

#[async_trait]
impl Table for DynamoTable {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        validate_key(key)?;
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_to_dynamo(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(from_read)?;
        out.item.map(item_from_dynamo).transpose()
    }

    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
        validate_batch_get(keys)?;
        let chunks = keys.chunks(MAX_BATCH_GET).map(|chunk| self.batch_get_chunk(chunk));
        let found = futures::future::try_join_all(chunks).await?;
        Ok(found.into_iter().flatten().collect())
    }

    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        validate_query(query)?;
        let mut p = Placeholders::default();
        let Some(key_condition) = expressions::key_condition(query.index, &query.pk, &query.sk, &mut p) else {
            return Ok(Page { items: Vec::new(), next: None });
        };
        let (names, values) = p.into_maps();
        let mut start = query.after.as_ref().map(|cursor| DynamoTable::start_key(query, cursor));
        let mut items = Vec::new();
        let mut bytes = 0;
        loop {
            let remaining = query.limit - items.len();
            let mut request = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression(&key_condition)
                .set_expression_attribute_names(names.clone())
                .set_expression_attribute_values(values.clone())
                .scan_index_forward(!query.descending)
                .limit(i32::try_from(remaining).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take());
            request = match query.index {
                Index::Base => request.consistent_read(true),
                Index::Gsi1 => request.index_name(GSI1),
            };
            let out = request.send().await.map_err(from_read)?;
            let mut read = out.items.unwrap_or_default().into_iter();
            for raw in read.by_ref() {
                let item = item_from_dynamo(raw)?;
                bytes += item.size();
                items.push(item);
                if bytes >= MAX_PAGE_BYTES {
                    break;
                }
            }
            // The page is full by size with items of this call left over: it ends at the last
            // item kept, and the next page reads the rest again.
            let cut = read.next().is_some();
            let full = items.len() >= query.limit || bytes >= MAX_PAGE_BYTES;
            match out.last_evaluated_key {
                // A call cut short by DynamoDB's 1 MB cap: read on from where it stopped.
                Some(last) if !cut && !full => start = Some(last),
                None if !cut => {
                    // DynamoDB never returns more than Limit; truncating is only a safeguard.
                    let next = if items.len() > query.limit { cursor_after(query, &mut items)? } else { None };
                    return Ok(Page { items, next });
                }
                _ => {
                    let next = cursor_after(query, &mut items)?;
                    return Ok(Page { items, next });
                }
            }
        }
    }

    async fn transact(&self, actions: Vec<Action>) -> Result<(), StoreError> {
        validate_transaction(&actions)?;
        if actions.is_empty() {
            return Ok(());
        }
        let items = actions.iter().map(|action| self.transact_item(action)).collect::<Result<Vec<_>, _>>()?;
        // One token for every attempt of this call: a retry of an attempt that was applied but
        // whose answer was lost is then a no-op that succeeds.
        let token = uuid::Uuid::new_v4().to_string();
        let mut attempt = 1;
        loop {
            let sent = self
                .client
                .transact_write_items()
                .set_transact_items(Some(items.clone()))
                .client_request_token(&token)
                .customize()
                .config_override(aws_sdk_dynamodb::config::Builder::default().retry_config(RetryConfig::disabled()))
                .send()
                .await;
            let err = match sent {
                Ok(_) => return Ok(()),
                Err(err) => err,
            };
            match from_transact(&err, |index, old| guard_failure(&actions[index], old)) {
                Outcome::Fail(e) => return Err(e),
                Outcome::Retry(e) if attempt >= MAX_ATTEMPTS => {
                    return Err(match e {
                        StoreError::Busy(why) => StoreError::Busy(format!("after {attempt} attempts: {why}")),
                        StoreError::Other(why) => StoreError::Other(format!(
                            "after {attempt} attempts, the transaction may or may not have been applied: {why}"
                        )),
                        other => other,
                    });
                }
                Outcome::Retry(_) => {
                    tokio::time::sleep(backoff(attempt)).await;
                    attempt += 1;
                }
            }
        }
    }
}

/// When `action`'s condition failed on DynamoDB, whether it was the engine's own overflow
/// guard rather than the caller's condition, judged on the item as it was (`old`, returned
/// with the failure; None when there was no item): then the message saying so. The caller's
/// condition failing takes precedence, as on the embedded engine, which judges every condition
/// before applying any update.
fn guard_failure(action: &Action, old: Option<&Dynamo>) -> Option<String> {
    let Action::Update { key, updates, condition } = action else {
        return None;
    };
    if !updates.iter().any(|u| matches!(u, super::Update::Add(_, delta) if *delta != 0)) {
        return None;
    }
    let old = old.cloned().map(item_from_dynamo).transpose().ok()?;
    if condition.as_ref().is_some_and(|c| !holds(c, old.as_ref())) {
        return None;
    }
    Some(format!("an Add to {key:?} would take a number outside i64"))
}

/// Cuts `items` to the query's limit and returns the cursor after the last one kept.
fn cursor_after(query: &Query, items: &mut Vec<Item>) -> Result<Option<Cursor>, StoreError> {
    items.truncate(query.limit);
    let Some(last) = items.last() else {
        return Ok(None);
    };
    let index_sk = match query.index {
        Index::Base => None,
        Index::Gsi1 => Some(
            last.str(GSI1_SK)
                .ok_or_else(|| StoreError::Other(format!("{:?} came from the index without {GSI1_SK}", last.key)))?
                .to_owned(),
        ),
    };
    Ok(Some(Cursor { key: last.key.clone(), index_sk }))
}

fn build(e: aws_sdk_dynamodb::error::BuildError) -> StoreError {
    StoreError::Other(format!("cannot build a DynamoDB request: {e}"))
}

/// Polls DescribeTable until the table and its index are active, and checks their keys.
async fn wait_until_active(client: &aws_sdk_dynamodb::Client, table: &str) -> Result<(), StoreError> {
    let deadline = Instant::now() + CREATE_TIMEOUT;
    let mut wait = Duration::from_millis(100);
    loop {
        let described =
            client.describe_table().table_name(table).send().await.map_err(|e| {
                StoreError::Other(format!("cannot describe table {table}: {}", DisplayErrorContext(&e)))
            })?;
        let Some(description) = described.table else {
            return Err(StoreError::Other(format!("DescribeTable of {table} returned no table")));
        };
        check_shape(table, &description)?;
        let table_active = description.table_status == Some(TableStatus::Active);
        let index_active = description
            .global_secondary_indexes()
            .iter()
            .all(|index| index.index_status.as_ref().is_none_or(|status| *status == IndexStatus::Active));
        if table_active && index_active {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(StoreError::Other(format!("table {table} is not active after {CREATE_TIMEOUT:?}")));
        }
        tokio::time::sleep(wait).await;
        wait = (wait * 2).min(Duration::from_secs(2));
    }
}

/// An existing table must have this engine's keys and index.
fn check_shape(table: &str, description: &TableDescription) -> Result<(), StoreError> {
    let keys = |schema: &[KeySchemaElement]| -> HashMap<String, KeyType> {
        schema.iter().map(|k| (k.attribute_name.clone(), k.key_type.clone())).collect()
    };
    let expected =
        |hash: &str, range: &str| HashMap::from([(hash.to_owned(), KeyType::Hash), (range.to_owned(), KeyType::Range)]);
    if keys(description.key_schema()) != expected(PK, SK) {
        return Err(StoreError::Other(format!("table {table} exists with keys other than {PK} / {SK}")));
    }
    let index = description.global_secondary_indexes().iter().find(|index| index.index_name() == Some(GSI1));
    match index {
        Some(index) if keys(index.key_schema()) == expected(GSI1_PK, GSI1_SK) => Ok(()),
        _ => Err(StoreError::Other(format!("table {table} lacks the index {GSI1} on {GSI1_PK} / {GSI1_SK}"))),
    }
}
