//! The conformance suite of the Table port, written once and run against every engine.
//!
//! Each check is a `pub async fn` taking a `&dyn Table` and panicking with a message naming
//! the check and the case when the engine gets it wrong; [`run_all`] runs them all, each on a
//! table from a factory. Every check writes under a fresh random key prefix, so a factory may
//! hand out the same underlying table each time (a DynamoDB table is slow to create).
//!
//! Where DynamoDB is allowed to differ from the embedded engine the checks accept both:
//! - a page may be shorter than the limit and may carry a cursor even when nothing follows, so
//!   the checks rely only on "no cursor means no more items" and "following cursors yields
//!   every item exactly once";
//! - [`Index::Gsi1`] is eventually consistent, so index reads are retried for a few seconds
//!   until they show the expected items, and the order of items with equal index sort keys
//!   is not checked (only that each comes exactly once);
//! - under contention an engine may take longer, but every racing writer must end with either
//!   success or the condition failure, never an error.
//!
//! The port's own conventions that an engine must implement beyond DynamoDB's API: an empty
//! transaction and an empty `batch_get` succeed doing nothing, `BeginsWith("")` means all,
//! `And(vec![])` holds, and `pk` / `sk` are not attribute names.
//!
//! Needs a Tokio runtime (for sleeping between index retries).

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::time::{Duration, Instant};

use futures::future::join_all;

use super::{
    Action, AttrValue, Condition, Cursor, Index, Item, Key, Query, SortKeyCondition, StoreError, Table, Update,
    GSI1_PK, GSI1_SK, MAX_PAGE_BYTES, MAX_TRANSACT_ACTIONS,
};

/// How long an index read may lag behind the writes before a check gives up.
const INDEX_SETTLE: Duration = Duration::from_secs(10);
/// More pages than this from one query means the cursor is not advancing.
const MAX_PAGES: usize = 10_000;

/// Runs every check, each on a table from `make`.
pub async fn run_all<F, Fut>(make: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = Box<dyn Table>>,
{
    round_trips(&*make().await).await;
    put_replaces_whole_item(&*make().await).await;
    delete_semantics(&*make().await).await;
    conditions_on_present_item(&*make().await).await;
    conditions_on_missing_item(&*make().await).await;
    conditions_guard_every_action(&*make().await).await;
    at_least_conditions(&*make().await).await;
    update_semantics(&*make().await).await;
    add_stays_within_i64(&*make().await).await;
    transactions_are_all_or_nothing(&*make().await).await;
    transaction_validation(&*make().await).await;
    item_validation(&*make().await).await;
    query_sort_key_conditions(&*make().await).await;
    query_byte_order(&*make().await).await;
    query_paging(&*make().await).await;
    query_pages_are_bounded_in_bytes(&*make().await).await;
    query_paging_under_concurrent_writes(&*make().await).await;
    gsi1_queries(&*make().await).await;
    gsi1_moves(&*make().await).await;
    batch_get_semantics(&*make().await).await;
    race_conditional_put(&*make().await).await;
    race_counter(&*make().await).await;
    take_k_seats(&*make().await).await;
    concurrent_writers_one_partition(&*make().await).await;
    set_updates(&*make().await).await;
    set_validation(&*make().await).await;
    set_round_trips(&*make().await).await;
    concurrent_set_additions(&*make().await).await;
}

// ---------------------------------------------------------------------------------------------
// Helpers

/// A fresh key prefix, so checks never see each other's items.
struct Ns(String);

impl Ns {
    fn new() -> Ns {
        Ns(format!("conformance-{}", uuid::Uuid::new_v4().simple()))
    }
    fn pk(&self, name: &str) -> String {
        format!("{}#{name}", self.0)
    }
    fn key(&self, pk: &str, sk: &str) -> Key {
        Key::new(self.pk(pk), sk)
    }
}

fn put(item: Item) -> Action {
    Action::Put { item, condition: None }
}

fn put_if(item: Item, condition: Condition) -> Action {
    Action::Put { item, condition: Some(condition) }
}

fn update(key: Key, updates: Vec<Update>) -> Action {
    Action::Update { key, updates, condition: None }
}

fn update_if(key: Key, updates: Vec<Update>, condition: Condition) -> Action {
    Action::Update { key, updates, condition: Some(condition) }
}

fn delete(key: Key) -> Action {
    Action::Delete { key, condition: None }
}

fn delete_if(key: Key, condition: Condition) -> Action {
    Action::Delete { key, condition: Some(condition) }
}

fn check(key: Key, condition: Condition) -> Action {
    Action::ConditionCheck { key, condition }
}

fn eq(name: &str, value: impl Into<AttrValue>) -> Condition {
    Condition::AttrEq(name.to_owned(), value.into())
}

fn ne(name: &str, value: impl Into<AttrValue>) -> Condition {
    Condition::AttrNe(name.to_owned(), value.into())
}

fn absent(name: &str) -> Condition {
    Condition::AttrAbsent(name.to_owned())
}

fn lt(name: &str, bound: i64) -> Condition {
    Condition::AttrLessThan(name.to_owned(), bound)
}

fn lt_attr(a: &str, b: &str) -> Condition {
    Condition::AttrLessThanAttr(a.to_owned(), b.to_owned())
}

fn at_least(name: &str, bound: i64) -> Condition {
    Condition::AttrAtLeast(name.to_owned(), bound)
}

fn set(name: &str, value: impl Into<AttrValue>) -> Update {
    Update::Set(name.to_owned(), value.into())
}

fn add(name: &str, delta: i64) -> Update {
    Update::Add(name.to_owned(), delta)
}

fn unset(name: &str) -> Update {
    Update::Remove(name.to_owned())
}

/// A string set of these elements.
fn ss(elements: &[&str]) -> AttrValue {
    AttrValue::Ss(elements.iter().map(|e| (*e).to_owned()).collect())
}

fn elements(elements: &[&str]) -> BTreeSet<String> {
    elements.iter().map(|e| (*e).to_owned()).collect()
}

fn add_to_set(name: &str, added: &[&str]) -> Update {
    Update::AddToSet(name.to_owned(), elements(added))
}

fn delete_from_set(name: &str, deleted: &[&str]) -> Update {
    Update::DeleteFromSet(name.to_owned(), elements(deleted))
}

async fn apply(table: &dyn Table, actions: Vec<Action>, what: &str) {
    if let Err(e) = table.transact(actions).await {
        panic!("{what}: the transaction failed: {e:?}");
    }
}

/// Writes many items, a full transaction at a time.
async fn put_all(table: &dyn Table, items: Vec<Item>, what: &str) {
    let mut actions: Vec<Action> = items.into_iter().map(put).collect();
    while !actions.is_empty() {
        let rest = actions.split_off(actions.len().min(MAX_TRANSACT_ACTIONS));
        apply(table, actions, what).await;
        actions = rest;
    }
}

async fn expect_condition_failed(table: &dyn Table, actions: Vec<Action>, index: usize, what: &str) {
    let result = table.transact(actions).await;
    assert_eq!(result, Err(StoreError::ConditionFailed { index }), "{what}");
}

fn expect_invalid<T: std::fmt::Debug>(result: Result<T, StoreError>, what: &str) {
    assert!(matches!(result, Err(StoreError::Invalid(_))), "{what}: expected Invalid, got {result:?}");
}

async fn get(table: &dyn Table, key: &Key, what: &str) -> Option<Item> {
    table.get(key).await.unwrap_or_else(|e| panic!("{what}: get {key:?} failed: {e:?}"))
}

/// Whether the condition holds for the item at `key`, asked through a ConditionCheck.
async fn holds(table: &dyn Table, key: &Key, condition: &Condition, what: &str) -> bool {
    match table.transact(vec![check(key.clone(), condition.clone())]).await {
        Ok(()) => true,
        Err(StoreError::ConditionFailed { index: 0 }) => false,
        Err(e) => panic!("{what}: checking {condition:?} failed: {e:?}"),
    }
}

/// Every item the query returns, following cursors (through their string form, as a client
/// would) until none is left.
async fn query_all(table: &dyn Table, query: &Query, what: &str) -> Vec<Item> {
    let mut query = query.clone();
    let mut items = Vec::new();
    for _ in 0..MAX_PAGES {
        let page = table.query(&query).await.unwrap_or_else(|e| panic!("{what}: query {query:?} failed: {e:?}"));
        assert!(
            page.items.len() <= query.limit,
            "{what}: a page of {} items for limit {}",
            page.items.len(),
            query.limit
        );
        items.extend(page.items);
        match page.next {
            None => return items,
            Some(cursor) => {
                let decoded = Cursor::decode(&cursor.encode());
                assert_eq!(decoded.as_ref(), Some(&cursor), "{what}: the cursor does not survive encoding");
                query.after = decoded;
            }
        }
    }
    panic!("{what}: more than {MAX_PAGES} pages: the cursor does not advance");
}

/// The items at `keys`, in key order.
async fn snapshot(table: &dyn Table, keys: &[Key], what: &str) -> Vec<Item> {
    let mut items = table.batch_get(keys).await.unwrap_or_else(|e| panic!("{what}: batch_get failed: {e:?}"));
    items.sort_by(|a, b| a.key.cmp(&b.key));
    items
}

fn sort_keys(items: &[Item]) -> Vec<&str> {
    items.iter().map(|item| item.key.sk.as_str()).collect()
}

fn query(index: Index, pk: &str, sk: SortKeyCondition, limit: usize, descending: bool) -> Query {
    Query { index, pk: pk.to_owned(), sk, limit, descending, after: None }
}

fn begins(prefix: &str) -> SortKeyCondition {
    SortKeyCondition::BeginsWith(prefix.to_owned())
}

fn between(low: &str, high: &str) -> SortKeyCondition {
    SortKeyCondition::Between(low.to_owned(), high.to_owned())
}

/// The index query's items once the index shows exactly `expected` (it may lag the writes).
/// Also checks the order by index sort key and that no item comes twice.
async fn index_settled(table: &dyn Table, q: &Query, expected: &BTreeSet<Key>, what: &str) -> Vec<Item> {
    let start = Instant::now();
    loop {
        let items = query_all(table, q, what).await;
        let keys: Vec<Key> = items.iter().map(|item| item.key.clone()).collect();
        let distinct: BTreeSet<Key> = keys.iter().cloned().collect();
        assert_eq!(distinct.len(), keys.len(), "{what}: an item came twice: {keys:?}");
        if &distinct == expected {
            let index_sks: Vec<&str> = items
                .iter()
                .map(|item| item.str(GSI1_SK).unwrap_or_else(|| panic!("{what}: {:?} lacks {GSI1_SK}", item.key)))
                .collect();
            let mut sorted = index_sks.clone();
            sorted.sort_unstable();
            if q.descending {
                sorted.reverse();
            }
            assert_eq!(index_sks, sorted, "{what}: not in index sort key order");
            for item in &items {
                assert_eq!(
                    item.str(GSI1_PK),
                    Some(q.pk.as_str()),
                    "{what}: {:?} is in another index partition",
                    item.key
                );
            }
            return items;
        }
        assert!(start.elapsed() < INDEX_SETTLE, "{what}: the index shows {keys:?}, expected {expected:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

// ---------------------------------------------------------------------------------------------
// Items

/// What is put comes back by `get`, every attribute with its type and value.
pub async fn round_trips(table: &dyn Table) {
    let ns = Ns::new();
    let key = ns.key("P", "item");
    let item = Item::new(key.clone())
        .with("s", "text")
        .with("empty", "")
        .with("unicode", "Zoë 😀 \u{10FFFF}")
        .with("numeric-string", "5")
        .with("n", 42)
        .with("zero", 0)
        .with("negative", -7)
        .with("max", i64::MAX)
        .with("min", i64::MIN)
        .with("yes", true)
        .with("no", false);
    assert_eq!(get(table, &key, "round_trips: before the put").await, None, "round_trips: a fresh key has an item");
    apply(table, vec![put(item.clone())], "round_trips").await;
    assert_eq!(get(table, &key, "round_trips").await, Some(item.clone()), "round_trips: the item read back differs");
    assert_eq!(get(table, &ns.key("P", "item2"), "round_trips").await, None, "round_trips: another sort key");
    assert_eq!(get(table, &ns.key("P2", "item"), "round_trips").await, None, "round_trips: another partition");
    assert_eq!(get(table, &ns.key("P", "ITEM"), "round_trips").await, None, "round_trips: keys are case-sensitive");
    let bare = Item::new(ns.key("P", "bare"));
    apply(table, vec![put(bare.clone())], "round_trips: an item with no attributes").await;
    assert_eq!(get(table, &bare.key, "round_trips").await, Some(bare), "round_trips: an item with no attributes");
}

/// A Put replaces the whole item: attributes it does not name are gone.
pub async fn put_replaces_whole_item(table: &dyn Table) {
    let ns = Ns::new();
    let key = ns.key("P", "item");
    apply(table, vec![put(Item::new(key.clone()).with("a", 1).with("b", "x"))], "put_replaces_whole_item").await;
    let replacement = Item::new(key.clone()).with("c", true).with("a", "now a string");
    apply(table, vec![put(replacement.clone())], "put_replaces_whole_item").await;
    assert_eq!(get(table, &key, "put_replaces_whole_item").await, Some(replacement), "put_replaces_whole_item");
}

/// Delete removes the item; deleting a missing item succeeds unless its condition says not.
pub async fn delete_semantics(table: &dyn Table) {
    let ns = Ns::new();
    let key = ns.key("P", "item");
    let other = Item::new(ns.key("P", "other")).with("v", 1);
    put_all(table, vec![Item::new(key.clone()).with("v", 1), other.clone()], "delete_semantics").await;
    apply(table, vec![delete(key.clone())], "delete_semantics: delete").await;
    assert_eq!(get(table, &key, "delete_semantics").await, None, "delete_semantics: the item survived its delete");
    assert_eq!(get(table, &other.key, "delete_semantics").await, Some(other), "delete_semantics: a neighbour went");
    apply(table, vec![delete(key.clone())], "delete_semantics: deleting a missing item").await;
    expect_condition_failed(table, vec![delete_if(key.clone(), Condition::Exists)], 0, "delete_semantics: Exists")
        .await;
    apply(table, vec![delete_if(key.clone(), Condition::NotExists)], "delete_semantics: NotExists").await;
    assert_eq!(get(table, &key, "delete_semantics").await, None, "delete_semantics: a delete created an item");
}

// ---------------------------------------------------------------------------------------------
// Conditions

/// Every condition kind, true and false, on an item that exists.
pub async fn conditions_on_present_item(table: &dyn Table) {
    let ns = Ns::new();
    let key = ns.key("P", "item");
    let item = Item::new(key.clone())
        .with("s", "x")
        .with("n", 5)
        .with("neg", -3)
        .with("t", true)
        .with("lo", 1)
        .with("hi", 2)
        .with("s2", "y")
        .with(GSI1_PK, ns.pk("G"))
        .with(GSI1_SK, "g");
    apply(table, vec![put(item.clone())], "conditions_on_present_item").await;
    let cases: Vec<(Condition, bool)> = vec![
        (Condition::NotExists, false),
        (Condition::Exists, true),
        (eq("s", "x"), true),
        (eq("s", "y"), false),
        (eq("s", "X"), false),
        (eq("n", 5), true),
        (eq("n", 6), false),
        (eq("n", "5"), false),
        (eq("s", 0), false),
        (eq("t", true), true),
        (eq("t", false), false),
        (eq("t", "true"), false),
        (eq("missing", "x"), false),
        (eq(GSI1_PK, ns.pk("G")), true),
        (eq(GSI1_SK, "h"), false),
        (ne("s", "y"), true),
        (ne("s", "x"), false),
        (ne("n", 5), false),
        (ne("n", "5"), true),
        (ne("t", true), false),
        (ne("t", false), true),
        (ne("missing", "x"), true),
        (absent("missing"), true),
        (absent("s"), false),
        (absent("n"), false),
        (absent("t"), false),
        (absent(GSI1_PK), false),
        (lt("n", 6), true),
        (lt("n", 5), false),
        (lt("n", 4), false),
        (lt("n", i64::MIN), false),
        (lt("neg", 0), true),
        (lt("neg", -3), false),
        (lt("s", 100), false),
        (lt("t", 100), false),
        (lt("missing", 100), false),
        (lt_attr("lo", "hi"), true),
        (lt_attr("hi", "lo"), false),
        (lt_attr("lo", "lo"), false),
        (lt_attr("neg", "lo"), true),
        (lt_attr("lo", "missing"), false),
        (lt_attr("missing", "hi"), false),
        (lt_attr("s", "hi"), false),
        (lt_attr("lo", "s"), false),
        // Only numbers compare: two strings in order are still not "less than".
        (lt_attr("s", "s2"), false),
        (at_least("n", 5), true),
        (at_least("n", 4), true),
        (at_least("n", 6), false),
        (at_least("s", 0), false),
        (at_least("missing", i64::MIN), false),
        (Condition::And(vec![]), true),
        (Condition::And(vec![Condition::Exists, eq("s", "x"), lt_attr("lo", "hi")]), true),
        (Condition::And(vec![Condition::Exists, eq("s", "y")]), false),
        (Condition::And(vec![eq("s", "y"), Condition::Exists]), false),
        (Condition::And(vec![Condition::And(vec![Condition::Exists]), ne("missing", 1)]), true),
        (Condition::And(vec![Condition::And(vec![Condition::NotExists]), ne("missing", 1)]), false),
    ];
    for (condition, expected) in cases {
        let actual = holds(table, &key, &condition, "conditions_on_present_item").await;
        assert_eq!(actual, expected, "conditions_on_present_item: {condition:?} on {item:?}");
    }
    assert_eq!(get(table, &key, "conditions_on_present_item").await, Some(item), "a ConditionCheck changed the item");
}

/// Every condition kind on a key with no item: attribute conditions see no attributes.
pub async fn conditions_on_missing_item(table: &dyn Table) {
    let ns = Ns::new();
    let key = ns.key("P", "missing");
    let cases: Vec<(Condition, bool)> = vec![
        (Condition::NotExists, true),
        (Condition::Exists, false),
        (eq("s", "x"), false),
        (ne("s", "x"), true),
        (absent("s"), true),
        (lt("n", 100), false),
        (lt("n", i64::MAX), false),
        (lt_attr("lo", "hi"), false),
        (at_least("n", i64::MIN), false),
        (Condition::And(vec![]), true),
        (Condition::And(vec![Condition::NotExists, ne("s", "x")]), true),
        (Condition::And(vec![Condition::NotExists, eq("s", "x")]), false),
    ];
    for (condition, expected) in cases {
        let actual = holds(table, &key, &condition, "conditions_on_missing_item").await;
        assert_eq!(actual, expected, "conditions_on_missing_item: {condition:?}");
    }
    assert_eq!(get(table, &key, "conditions_on_missing_item").await, None, "a ConditionCheck created an item");
}

/// A condition guards Put, Update and Delete alike: false writes nothing, true writes.
pub async fn conditions_guard_every_action(table: &dyn Table) {
    let ns = Ns::new();
    let present = Item::new(ns.key("P", "present")).with("v", 1);
    let missing = ns.key("P", "missing");
    apply(table, vec![put(present.clone())], "conditions_guard_every_action").await;
    let what = "conditions_guard_every_action";

    let replacement = Item::new(present.key.clone()).with("v", 2);
    expect_condition_failed(table, vec![put_if(replacement.clone(), Condition::NotExists)], 0, what).await;
    expect_condition_failed(table, vec![put_if(replacement.clone(), eq("v", 9))], 0, what).await;
    expect_condition_failed(table, vec![put_if(Item::new(missing.clone()), Condition::Exists)], 0, what).await;
    expect_condition_failed(table, vec![update_if(present.key.clone(), vec![add("v", 1)], eq("v", 9))], 0, what).await;
    expect_condition_failed(table, vec![update_if(missing.clone(), vec![add("v", 1)], Condition::Exists)], 0, what)
        .await;
    expect_condition_failed(table, vec![delete_if(present.key.clone(), ne("v", 1))], 0, what).await;
    assert_eq!(get(table, &present.key, what).await, Some(present.clone()), "{what}: a failed condition wrote");
    assert_eq!(get(table, &missing, what).await, None, "{what}: a failed condition created an item");

    apply(table, vec![put_if(replacement.clone(), eq("v", 1))], what).await;
    assert_eq!(get(table, &present.key, what).await, Some(replacement), "{what}: a conditional Put");
    apply(table, vec![update_if(present.key.clone(), vec![add("v", 1)], lt("v", 3))], what).await;
    assert_eq!(get(table, &present.key, what).await.and_then(|i| i.i64("v")), Some(3), "{what}: conditional Update");
    apply(table, vec![put_if(Item::new(missing.clone()).with("v", 7), Condition::NotExists)], what).await;
    assert_eq!(get(table, &missing, what).await.and_then(|i| i.i64("v")), Some(7), "{what}: Put if not exists");
    apply(table, vec![delete_if(missing.clone(), eq("v", 7))], what).await;
    assert_eq!(get(table, &missing, what).await, None, "{what}: a conditional Delete");
}

/// `AttrAtLeast`: holds when the attribute is a number equal to or greater than the bound;
/// fails when it is less, absent, of another type (a string reading as a bigger number
/// included), or the item is missing; guards every kind of action, and a failing one in a
/// transaction of several names its own action and writes nothing. Its attribute name follows
/// the rules of every condition's.
pub async fn at_least_conditions(table: &dyn Table) {
    let ns = Ns::new();
    let what = "at_least_conditions";
    let key = ns.key("P", "item");
    let missing = ns.key("P", "missing");
    let item = Item::new(key.clone())
        .with("free", 3)
        .with("neg", -2)
        .with("zero", 0)
        .with("s", "9")
        .with("t", true)
        .with("set", ss(&["9"]));
    apply(table, vec![put(item.clone())], what).await;
    let cases: Vec<(Condition, bool)> = vec![
        (at_least("free", 3), true),
        (at_least("free", 2), true),
        (at_least("free", 0), true),
        (at_least("free", -3), true),
        (at_least("free", i64::MIN), true),
        (at_least("free", 4), false),
        (at_least("free", i64::MAX), false),
        (at_least("neg", -2), true),
        (at_least("neg", -3), true),
        (at_least("neg", -1), false),
        (at_least("neg", 0), false),
        (at_least("zero", 0), true),
        (at_least("zero", 1), false),
        (at_least("absent", 0), false),
        (at_least("absent", i64::MIN), false),
        (at_least("s", 0), false),
        (at_least("s", 9), false),
        (at_least("s", i64::MIN), false),
        (at_least("t", 0), false),
        (at_least("set", 0), false),
        (Condition::And(vec![Condition::Exists, at_least("free", 3)]), true),
        (Condition::And(vec![at_least("free", 3), lt("free", 4)]), true),
        (Condition::And(vec![at_least("free", 1), lt("free", 3)]), false),
        (Condition::And(vec![at_least("free", 4), Condition::Exists]), false),
    ];
    for (condition, expected) in cases {
        let actual = holds(table, &key, &condition, what).await;
        assert_eq!(actual, expected, "{what}: {condition:?} on {item:?}");
    }
    for bound in [i64::MIN, 0, i64::MAX] {
        let actual = holds(table, &missing, &at_least("free", bound), what).await;
        assert!(!actual, "{what}: AttrAtLeast free {bound} held on a missing item");
    }
    assert_eq!(get(table, &key, what).await, Some(item.clone()), "{what}: a ConditionCheck changed the item");

    // Every kind of action, the condition failing: nothing is written, nothing created.
    let replacement = Item::new(key.clone()).with("free", 99);
    expect_condition_failed(table, vec![put_if(replacement.clone(), at_least("free", 4))], 0, what).await;
    expect_condition_failed(table, vec![update_if(key.clone(), vec![set("x", 1)], at_least("free", 4))], 0, what).await;
    expect_condition_failed(table, vec![update_if(key.clone(), vec![add("free", -4)], at_least("free", 4))], 0, what)
        .await;
    expect_condition_failed(table, vec![update_if(key.clone(), vec![add("s", 1)], at_least("s", 0))], 0, what).await;
    expect_condition_failed(table, vec![delete_if(key.clone(), at_least("absent", 0))], 0, what).await;
    expect_condition_failed(
        table,
        vec![update_if(missing.clone(), vec![add("free", 1)], at_least("free", 0))],
        0,
        what,
    )
    .await;
    expect_condition_failed(table, vec![put_if(Item::new(missing.clone()), at_least("free", i64::MIN))], 0, what).await;
    assert_eq!(get(table, &key, what).await, Some(item.clone()), "{what}: a failed AttrAtLeast wrote");
    assert_eq!(get(table, &missing, what).await, None, "{what}: a failed AttrAtLeast created an item");

    // In a transaction of several actions, the failing AttrAtLeast is named by its own index,
    // whichever kind of action carries it, and nothing is written.
    let other = Item::new(ns.key("P", "other")).with("v", 1);
    let checked = Item::new(ns.key("P", "checked")).with("free", 3);
    let fresh = ns.key("P", "fresh");
    apply(table, vec![put(other.clone()), put(checked.clone())], what).await;
    let keys = [key.clone(), missing.clone(), other.key.clone(), checked.key.clone(), fresh.clone()];
    let before = snapshot(table, &keys, what).await;
    let actions = |fail: usize, bound: i64| {
        let cond = |i: usize| at_least("free", if i == fail { bound } else { 3 });
        vec![
            put_if(Item::new(fresh.clone()).with("v", 1), Condition::NotExists),
            update_if(other.key.clone(), vec![add("v", 1)], eq("v", 1)),
            check(checked.key.clone(), cond(2)),
            update_if(key.clone(), vec![add("used", 3), add("free", -3)], cond(3)),
        ]
    };
    for (fail, bound) in [(2, 4), (3, 4), (3, i64::MAX), (2, i64::MAX)] {
        let case = format!("{what}: AttrAtLeast free {bound} at action {fail}");
        expect_condition_failed(table, actions(fail, bound), fail, &case).await;
        assert_eq!(snapshot(table, &keys, what).await, before, "{case} wrote something");
    }
    let r = table
        .transact(vec![
            update_if(other.key.clone(), vec![add("v", 1)], at_least("v", 1)),
            delete_if(key.clone(), at_least("neg", -1)),
            put(Item::new(fresh.clone())),
        ])
        .await;
    assert_eq!(r, Err(StoreError::ConditionFailed { index: 1 }), "{what}: a failing AttrAtLeast on a Delete");
    assert_eq!(snapshot(table, &keys, what).await, before, "{what}: a failing AttrAtLeast on a Delete wrote");

    // Every condition holding: all of it is applied.
    apply(table, actions(usize::MAX, 0), what).await;
    let mut expected = item.clone();
    expected.attrs.insert("free".to_owned(), AttrValue::N(0));
    expected.attrs.insert("used".to_owned(), AttrValue::N(3));
    assert_eq!(get(table, &key, what).await, Some(expected), "{what}: the transaction that holds");
    assert_eq!(get(table, &other.key, what).await.and_then(|i| i.i64("v")), Some(2), "{what}: the other update");
    assert!(get(table, &fresh, what).await.is_some(), "{what}: the Put of the transaction that holds");

    for name in ["pk", "sk", ""] {
        let r = table.transact(vec![check(key.clone(), at_least(name, 0))]).await;
        expect_invalid(r, &format!("{what}: AttrAtLeast on {name:?}"));
        let r =
            table.transact(vec![check(key.clone(), Condition::And(vec![Condition::Exists, at_least(name, 0)]))]).await;
        expect_invalid(r, &format!("{what}: AttrAtLeast on {name:?} inside And"));
    }
}

// ---------------------------------------------------------------------------------------------
// Updates

/// Update creates a missing item, adds to absent numbers from 0, sets, replaces types and
/// removes (an absent attribute quietly).
pub async fn update_semantics(table: &dyn Table) {
    let ns = Ns::new();
    let what = "update_semantics";
    let key = ns.key("P", "item");
    apply(table, vec![update(key.clone(), vec![set("a", "x"), add("n", 3)])], what).await;
    let created = Item::new(key.clone()).with("a", "x").with("n", 3);
    assert_eq!(get(table, &key, what).await, Some(created), "{what}: Update on a missing item");

    apply(table, vec![update(key.clone(), vec![add("n", 4)])], what).await;
    apply(table, vec![update(key.clone(), vec![add("n", -10), add("m", 5)])], what).await;
    let item = get(table, &key, what).await.expect("the item");
    assert_eq!(item.i64("n"), Some(-3), "{what}: Add accumulates, negative deltas subtract");
    assert_eq!(item.i64("m"), Some(5), "{what}: Add to an absent attribute starts from 0");
    assert_eq!(item.str("a"), Some("x"), "{what}: Update kept an attribute it does not name");

    apply(table, vec![update(key.clone(), vec![set("a", 1), set("b", true)])], what).await;
    let item = get(table, &key, what).await.expect("the item");
    assert_eq!(item.attrs.get("a"), Some(&AttrValue::N(1)), "{what}: Set replaces a value and its type");
    assert_eq!(item.bool("b"), Some(true), "{what}: Set adds an attribute");

    apply(table, vec![update(key.clone(), vec![unset("a"), unset("never-there")])], what).await;
    let expected = Item::new(key.clone()).with("n", -3).with("m", 5).with("b", true);
    assert_eq!(get(table, &key, what).await, Some(expected.clone()), "{what}: Remove");

    let fresh = ns.key("P", "fresh");
    apply(table, vec![update_if(fresh.clone(), vec![add("count", 1)], ne("count", 5))], what).await;
    assert_eq!(
        get(table, &fresh, what).await,
        Some(Item::new(fresh.clone()).with("count", 1)),
        "{what}: a conditional Update creating an item"
    );

    let r = table.transact(vec![update(key.clone(), vec![add("b", 1)])]).await;
    expect_invalid(r, "update_semantics: Add to a non-number");
    expect_invalid(table.transact(vec![update(key.clone(), vec![])]).await, "update_semantics: no updates");
    let r = table.transact(vec![update(key.clone(), vec![set("x", 1), add("x", 1)])]).await;
    expect_invalid(r, "update_semantics: one attribute updated twice");
    assert_eq!(get(table, &key, what).await, Some(expected), "{what}: an invalid Update wrote");
}

/// An Add that would take a number outside i64 is Invalid and writes nothing; a failed
/// condition, of that action or another, is reported first (conditions are judged before any
/// update applies).
pub async fn add_stays_within_i64(table: &dyn Table) {
    let ns = Ns::new();
    let what = "add_stays_within_i64";
    let key = ns.key("P", "counters");
    let other = ns.key("P", "missing");
    let item = Item::new(key.clone()).with("hi", i64::MAX - 1).with("lo", i64::MIN + 1).with("s", "x");
    apply(table, vec![put(item)], what).await;
    apply(table, vec![update(key.clone(), vec![add("hi", 1), add("lo", -1)])], what).await;
    let at_limits = Item::new(key.clone()).with("hi", i64::MAX).with("lo", i64::MIN).with("s", "x");
    assert_eq!(get(table, &key, what).await, Some(at_limits.clone()), "{what}: adding up to the limits");

    expect_invalid(
        table.transact(vec![update(key.clone(), vec![add("hi", 1)])]).await,
        "add_stays_within_i64: MAX + 1",
    );
    expect_invalid(
        table.transact(vec![update(key.clone(), vec![add("lo", -1)])]).await,
        "add_stays_within_i64: MIN - 1",
    );
    let r = table.transact(vec![update(key.clone(), vec![add("hi", i64::MIN), add("lo", i64::MAX)])]).await;
    assert_eq!(r, Ok(()), "{what}: adding towards zero from both limits");
    apply(table, vec![put(at_limits.clone())], what).await;
    let r = table.transact(vec![update_if(key.clone(), vec![add("hi", i64::MAX)], eq("s", "x"))]).await;
    expect_invalid(r, "add_stays_within_i64: an overflow whose condition holds");
    let r = table.transact(vec![update_if(key.clone(), vec![add("hi", 1)], eq("s", "y"))]).await;
    assert_eq!(r, Err(StoreError::ConditionFailed { index: 0 }), "{what}: the failed condition comes first");
    let r =
        table.transact(vec![update(key.clone(), vec![add("hi", 1)]), check(other.clone(), Condition::Exists)]).await;
    assert_eq!(
        r,
        Err(StoreError::ConditionFailed { index: 1 }),
        "{what}: another action's failed condition comes first"
    );
    assert_eq!(get(table, &key, what).await, Some(at_limits), "{what}: a refused Add wrote");

    let fresh = ns.key("P", "fresh");
    apply(table, vec![update(fresh.clone(), vec![add("max", i64::MAX), add("min", i64::MIN)])], what).await;
    let expected = Item::new(fresh.clone()).with("max", i64::MAX).with("min", i64::MIN);
    assert_eq!(get(table, &fresh, what).await, Some(expected), "{what}: the limits added to absent attributes");
}

// ---------------------------------------------------------------------------------------------
// Transactions

/// A transaction applies every action or none, and names the first action whose condition
/// failed.
pub async fn transactions_are_all_or_nothing(table: &dyn Table) {
    let ns = Ns::new();
    let what = "transactions_are_all_or_nothing";
    let a = Item::new(ns.key("P", "a")).with("v", 1);
    let b = Item::new(ns.key("P", "b")).with("v", 1);
    let c = ns.key("P", "c");
    let d = Item::new(ns.key("P", "d")).with("v", 1);
    put_all(table, vec![a.clone(), b.clone(), d.clone()], what).await;
    let keys = [a.key.clone(), b.key.clone(), c.clone(), d.key.clone()];
    let before = snapshot(table, &keys, what).await;

    // Four actions whose conditions hold unless `fail` names them.
    let actions = |fail: &[usize]| {
        let cond = |i: usize, good: Condition| if fail.contains(&i) { eq("v", 99) } else { good };
        vec![
            update_if(a.key.clone(), vec![add("v", 1)], cond(0, eq("v", 1))),
            put_if(Item::new(b.key.clone()).with("w", "new"), cond(1, Condition::Exists)),
            put_if(Item::new(c.clone()).with("v", 1), cond(2, Condition::NotExists)),
            delete_if(d.key.clone(), cond(3, lt("v", 2))),
        ]
    };
    for fail in [&[0][..], &[1], &[2], &[3], &[1, 3], &[0, 1, 2, 3], &[2, 3]] {
        expect_condition_failed(table, actions(fail), fail[0], &format!("{what}: failing {fail:?}")).await;
        assert_eq!(snapshot(table, &keys, what).await, before, "{what}: failing {fail:?} wrote something");
    }
    let r = table.transact(vec![put(Item::new(c.clone())), check(a.key.clone(), eq("v", 99))]).await;
    assert_eq!(r, Err(StoreError::ConditionFailed { index: 1 }), "{what}: a failing ConditionCheck");
    assert_eq!(snapshot(table, &keys, what).await, before, "{what}: a failing ConditionCheck let a Put through");

    apply(table, actions(&[]), what).await;
    let after = snapshot(table, &keys, what).await;
    let expected = vec![
        Item::new(a.key.clone()).with("v", 2),
        Item::new(b.key.clone()).with("w", "new"),
        Item::new(c.clone()).with("v", 1),
    ];
    assert_eq!(after, expected, "{what}: a successful transaction");

    apply(table, vec![check(a.key.clone(), eq("v", 2)), update(b.key.clone(), vec![set("x", 1)])], what).await;
    let b_now = get(table, &b.key, what).await;
    assert_eq!(b_now, Some(Item::new(b.key.clone()).with("w", "new").with("x", 1)), "{what}: check + update");
    assert_eq!(get(table, &a.key, what).await, Some(expected[0].clone()), "{what}: a ConditionCheck wrote");
}

/// At most MAX_TRANSACT_ACTIONS actions, one action per key and 4 MB of items; invalid
/// transactions write nothing; an empty one does nothing.
pub async fn transaction_validation(table: &dyn Table) {
    let ns = Ns::new();
    let what = "transaction_validation";
    let items = |pk: &str, n: usize| -> Vec<Action> {
        (0..n).map(|i| put(Item::new(ns.key(pk, &format!("{i:03}"))).with("i", i as i64))).collect()
    };
    expect_invalid(table.transact(items("over", MAX_TRANSACT_ACTIONS + 1)).await, "transaction_validation: 101");
    let over = query_all(table, &Query::new(Index::Base, ns.pk("over")), what).await;
    assert!(over.is_empty(), "{what}: a transaction over the limit wrote {} items", over.len());
    apply(table, items("full", MAX_TRANSACT_ACTIONS), what).await;
    let full = query_all(table, &Query::new(Index::Base, ns.pk("full")), what).await;
    assert_eq!(full.len(), MAX_TRANSACT_ACTIONS, "{what}: a full transaction");

    let key = ns.key("dup", "k");
    let other = ns.key("dup", "other");
    let pairs: Vec<(&str, Vec<Action>)> = vec![
        ("two puts", vec![put(Item::new(key.clone())), put(Item::new(key.clone()))]),
        ("put and check", vec![put(Item::new(key.clone())), check(key.clone(), Condition::NotExists)]),
        ("update and delete", vec![update(key.clone(), vec![add("n", 1)]), delete(key.clone())]),
        (
            "apart",
            vec![
                put(Item::new(other.clone())),
                delete(ns.key("dup", "x")),
                update(key.clone(), vec![add("n", 1)]),
                delete(other.clone()),
            ],
        ),
    ];
    for (case, actions) in pairs {
        expect_invalid(table.transact(actions).await, &format!("{what}: two actions on one key ({case})"));
    }
    assert_eq!(get(table, &key, what).await, None, "{what}: an invalid transaction wrote");
    assert_eq!(get(table, &other, what).await, None, "{what}: an invalid transaction wrote");
    apply(table, vec![], "transaction_validation: an empty transaction").await;

    // At most 4 MB of items in one transaction: 10 items of 390 KB pass, 11 do not.
    let big = "x".repeat(390 * 1024);
    let bigs = |pk: &str, n: usize| -> Vec<Action> {
        (0..n).map(|i| put(Item::new(ns.key(pk, &format!("{i:02}"))).with("big", big.as_str()))).collect()
    };
    expect_invalid(table.transact(bigs("too-big", 11)).await, "transaction_validation: over 4 MB");
    let written = query_all(table, &query(Index::Base, &ns.pk("too-big"), SortKeyCondition::All, 2, false), what).await;
    assert!(written.is_empty(), "{what}: a transaction over 4 MB wrote");
    apply(table, bigs("big", 10), "transaction_validation: under 4 MB").await;
}

/// Keys and index keys are non-empty strings within DynamoDB's sizes, `pk` / `sk` are not
/// attribute names, items are at most 400 KB, queries ask for at least one item.
pub async fn item_validation(table: &dyn Table) {
    let ns = Ns::new();
    let what = "item_validation";
    let good = ns.key("P", "k");
    let invalid_puts: Vec<(&str, Item)> = vec![
        ("empty partition key", Item::new(Key::new("", "k"))),
        ("empty sort key", Item::new(Key::new(ns.pk("P"), ""))),
        ("partition key over 2048 bytes", Item::new(Key::new("p".repeat(2049), "k"))),
        ("sort key over 1024 bytes", Item::new(Key::new(ns.pk("P"), "s".repeat(1025)))),
        ("attribute pk", Item::new(good.clone()).with("pk", "x")),
        ("attribute sk", Item::new(good.clone()).with("sk", "x")),
        ("empty attribute name", Item::new(good.clone()).with("", "x")),
        ("numeric index partition key", Item::new(good.clone()).with(GSI1_PK, 1).with(GSI1_SK, "s")),
        ("boolean index sort key", Item::new(good.clone()).with(GSI1_PK, "g").with(GSI1_SK, true)),
        ("empty index partition key", Item::new(good.clone()).with(GSI1_PK, "").with(GSI1_SK, "s")),
        ("empty index sort key", Item::new(good.clone()).with(GSI1_PK, "g").with(GSI1_SK, "")),
        ("item over 400 KB", Item::new(good.clone()).with("big", "x".repeat(500 * 1024))),
    ];
    for (case, item) in invalid_puts {
        expect_invalid(table.transact(vec![put(item)]).await, &format!("{what}: {case}"));
    }
    let invalid_updates: Vec<(&str, Update)> = vec![
        ("Set pk", set("pk", "x")),
        ("Add sk", add("sk", 1)),
        ("Set a numeric index key", set(GSI1_SK, 5)),
        ("Set an empty index key", set(GSI1_PK, "")),
    ];
    for (case, u) in invalid_updates {
        expect_invalid(table.transact(vec![update(good.clone(), vec![u])]).await, &format!("{what}: {case}"));
    }
    expect_invalid(table.transact(vec![check(good.clone(), eq("pk", "x"))]).await, "item_validation: condition on pk");
    expect_invalid(table.get(&Key::new("", "k")).await, "item_validation: get with an empty partition key");
    expect_invalid(table.get(&Key::new(ns.pk("P"), "")).await, "item_validation: get with an empty sort key");
    assert_eq!(get(table, &good, what).await, None, "{what}: an invalid write wrote");

    let limits = [
        Item::new(Key::new(format!("{}{}", ns.pk("P"), "p".repeat(2048 - ns.pk("P").len())), "k")),
        Item::new(Key::new(ns.pk("P"), "s".repeat(1024))),
        Item::new(good.clone()).with("big", "x".repeat(300 * 1024)).with("empty", ""),
    ];
    for item in limits {
        apply(table, vec![put(item.clone())], "item_validation: within the limits").await;
        assert_eq!(get(table, &item.key, what).await, Some(item), "{what}: an item at the limits");
    }

    let mut q = Query::new(Index::Base, ns.pk("P"));
    q.limit = 0;
    expect_invalid(table.query(&q).await, "item_validation: query limit 0");
    let q = query(Index::Base, &ns.pk("P"), between("b", "a"), 10, false);
    expect_invalid(table.query(&q).await, "item_validation: a reversed Between");
}

// ---------------------------------------------------------------------------------------------
// Queries

/// Each sort-key condition, both directions, one partition only.
pub async fn query_sort_key_conditions(table: &dyn Table) {
    let ns = Ns::new();
    let what = "query_sort_key_conditions";
    let pk = ns.pk("P");
    let sks = ["a", "ab", "abc", "abd", "b", "ba", "c"];
    let mut items: Vec<Item> = sks.iter().map(|sk| Item::new(Key::new(&pk, *sk)).with("sk-copy", *sk)).collect();
    // Neighbouring partitions whose keys extend or precede this one's.
    items.push(Item::new(Key::new(format!("{pk}x"), "a")));
    items.push(Item::new(Key::new(format!("{pk}#"), "ab")));
    items.push(Item::new(ns.key("O", "ab")));
    put_all(table, items.clone(), what).await;

    let cases: Vec<(SortKeyCondition, Vec<&str>)> = vec![
        (SortKeyCondition::All, sks.to_vec()),
        (begins(""), sks.to_vec()),
        (begins("a"), vec!["a", "ab", "abc", "abd"]),
        (begins("ab"), vec!["ab", "abc", "abd"]),
        (begins("abc"), vec!["abc"]),
        (begins("abcd"), vec![]),
        (begins("b"), vec!["b", "ba"]),
        (begins("A"), vec![]),
        (begins("zz"), vec![]),
        (between("ab", "b"), vec!["ab", "abc", "abd", "b"]),
        (between("b", "b"), vec!["b"]),
        (between("aa", "az"), vec!["ab", "abc", "abd"]),
        (between("0", "a"), vec!["a"]),
        (between("c", "zz"), vec!["c"]),
        (between("d", "e"), vec![]),
    ];
    for (condition, expected) in cases {
        for descending in [false, true] {
            for limit in [1, 2, 100] {
                let q = query(Index::Base, &pk, condition.clone(), limit, descending);
                let got = query_all(table, &q, what).await;
                let mut expected = expected.clone();
                if descending {
                    expected.reverse();
                }
                assert_eq!(sort_keys(&got), expected, "{what}: {condition:?} descending {descending} limit {limit}");
                for item in &got {
                    assert_eq!(item.str("sk-copy"), Some(item.key.sk.as_str()), "{what}: attributes lost");
                }
            }
        }
    }
    let empty = query_all(table, &Query::new(Index::Base, ns.pk("nothing here")), what).await;
    assert!(empty.is_empty(), "{what}: an empty partition");
}

/// Sort keys order by their UTF-8 bytes: case-sensitive, code point order (not UTF-16's).
pub async fn query_byte_order(table: &dyn Table) {
    let ns = Ns::new();
    let what = "query_byte_order";
    let pk = ns.pk("P");
    let expected =
        ["A", "B", "Z", "a", "ab", "a\u{10FFFF}", "a\u{10FFFF}b", "b", "z", "~", "é", "\u{FF5E}", "\u{1F600}"];
    assert!(expected.is_sorted(), "{what}: the expectation itself is not in byte order");
    let mut shuffled = expected.to_vec();
    shuffled.reverse();
    shuffled.swap(0, 5);
    put_all(table, shuffled.iter().map(|sk| Item::new(Key::new(&pk, *sk))).collect(), what).await;
    let got = query_all(table, &Query::new(Index::Base, &pk), what).await;
    assert_eq!(sort_keys(&got), expected, "{what}: ascending");
    let cases: Vec<(SortKeyCondition, Vec<&str>)> = vec![
        (begins("a"), vec!["a", "ab", "a\u{10FFFF}", "a\u{10FFFF}b"]),
        (begins("a\u{10FFFF}"), vec!["a\u{10FFFF}", "a\u{10FFFF}b"]),
        (begins("\u{FF5E}"), vec!["\u{FF5E}"]),
        (begins("é"), vec!["é"]),
        (between("Z", "a"), vec!["Z", "a"]),
        (between("~", "\u{1F600}"), vec!["~", "é", "\u{FF5E}", "\u{1F600}"]),
    ];
    for (condition, expected) in cases {
        let got = query_all(table, &query(Index::Base, &pk, condition.clone(), 2, false), what).await;
        assert_eq!(sort_keys(&got), expected, "{what}: {condition:?}");
    }
}

/// Paging by cursor over 250 items, with many page sizes, both directions and every sort-key
/// condition, yields every item exactly once, in order; a cursor still works after its item
/// is deleted.
pub async fn query_paging(table: &dyn Table) {
    let ns = Ns::new();
    let what = "query_paging";
    let pk = ns.pk("P");
    let all: Vec<String> = (0..250).map(|i| format!("item-{i:03}")).collect();
    put_all(table, all.iter().map(|sk| Item::new(Key::new(&pk, sk)).with("i", sk.as_str())).collect(), what).await;

    let range = |from: usize, to: usize| all[from..to].iter().map(String::as_str).collect::<Vec<_>>();
    let cases: Vec<(SortKeyCondition, Vec<&str>)> = vec![
        (SortKeyCondition::All, range(0, 250)),
        (begins("item-1"), range(100, 200)),
        (between("item-050", "item-149"), range(50, 150)),
    ];
    for (condition, expected) in cases {
        for limit in [1, 7, 33, 100, 250, 1000] {
            for descending in [false, true] {
                let q = query(Index::Base, &pk, condition.clone(), limit, descending);
                let got = query_all(table, &q, what).await;
                let mut expected = expected.clone();
                if descending {
                    expected.reverse();
                }
                assert_eq!(sort_keys(&got), expected, "{what}: {condition:?} limit {limit} descending {descending}");
            }
        }
    }

    // A full first page must say more may follow.
    let first = table.query(&query(Index::Base, &pk, SortKeyCondition::All, 10, false)).await.expect("a page");
    assert!(first.items.len() <= 10, "{what}: page over the limit");
    let cursor = first.next.clone().expect("query_paging: a page of 10 out of 250 has no cursor");
    let last = first.items.last().expect("query_paging: a page with a cursor but no items").key.clone();
    apply(table, vec![delete(last.clone())], what).await;
    let mut rest = query(Index::Base, &pk, SortKeyCondition::All, 50, false);
    rest.after = Some(cursor);
    let got = query_all(table, &rest, what).await;
    let expected: Vec<&str> = all.iter().map(String::as_str).filter(|sk| *sk > last.sk.as_str()).collect();
    assert_eq!(sort_keys(&got), expected, "{what}: resuming after a deleted item");
}

/// A page of large items stops once it holds [`MAX_PAGE_BYTES`], short of its limit, with a
/// cursor; following the cursors still yields every item once, in order.
pub async fn query_pages_are_bounded_in_bytes(table: &dyn Table) {
    let ns = Ns::new();
    let what = "query_pages_are_bounded_in_bytes";
    let pk = ns.pk("P");
    let item_bytes = 300 * 1024;
    let all: Vec<String> = (0..10).map(|i| format!("item-{i:02}")).collect();
    for sk in &all {
        let item = Item::new(Key::new(&pk, sk)).with("blob", "x".repeat(item_bytes));
        apply(table, vec![put(item)], what).await;
    }
    let q = query(Index::Base, &pk, SortKeyCondition::All, 10, false);
    let first = table.query(&q).await.unwrap_or_else(|e| panic!("{what}: {e:?}"));
    let most = MAX_PAGE_BYTES.div_ceil(item_bytes);
    assert!(
        !first.items.is_empty() && first.items.len() <= most,
        "{what}: a page of {} items of {item_bytes} bytes (at most {most} fit {MAX_PAGE_BYTES} bytes)",
        first.items.len()
    );
    assert!(first.next.is_some(), "{what}: a page cut short by its size has no cursor");
    assert_eq!(sort_keys(&query_all(table, &q, what).await), all, "{what}: following the cursors");
}

/// Paging while another writer inserts around the pages: every item there from the start is
/// returned exactly once, nothing twice.
pub async fn query_paging_under_concurrent_writes(table: &dyn Table) {
    let ns = Ns::new();
    let what = "query_paging_under_concurrent_writes";
    let pk = ns.pk("P");
    let original: Vec<String> = (0..100).map(|i| format!("m-{i:03}")).collect();
    put_all(table, original.iter().map(|sk| Item::new(Key::new(&pk, sk))).collect(), what).await;

    let paged = query(Index::Base, &pk, SortKeyCondition::All, 7, false);
    let reader = query_all(table, &paged, what);
    let writer = async {
        for i in 0..40 {
            let early = Item::new(Key::new(&pk, format!("a-{i:03}")));
            let late = Item::new(Key::new(&pk, format!("z-{i:03}")));
            let middle = Item::new(Key::new(&pk, format!("m-{i:03}-between")));
            apply(table, vec![put(early), put(late), put(middle)], what).await;
        }
    };
    let (got, ()) = futures::join!(reader, writer);
    let keys = sort_keys(&got);
    let distinct: BTreeSet<&str> = keys.iter().copied().collect();
    assert_eq!(distinct.len(), keys.len(), "{what}: an item came twice");
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    assert_eq!(keys, sorted, "{what}: out of order");
    for sk in &original {
        assert!(distinct.contains(sk.as_str()), "{what}: {sk} was skipped");
    }
}

// ---------------------------------------------------------------------------------------------
// The secondary index

/// Index queries: only items with both index keys, ordered by index sort key (ties in any
/// order), every sort-key condition, paging across ties, full items returned.
pub async fn gsi1_queries(table: &dyn Table) {
    let ns = Ns::new();
    let what = "gsi1_queries";
    let g = ns.pk("G");
    let indexed = |pk: &str, sk: &str, index_sk: &str| {
        Item::new(ns.key(pk, sk)).with(GSI1_PK, g.as_str()).with(GSI1_SK, index_sk).with("data", format!("{pk}/{sk}"))
    };
    let items = vec![
        indexed("U1", "m1", "g-a"),
        indexed("U2", "m1", "g-a"),
        indexed("U1", "m2", "g-b"),
        indexed("U1", "m3", "g-c"),
        indexed("U2", "m3", "g-c"),
        indexed("U3", "m3", "g-c"),
        indexed("U3", "m4", "h"),
        // Not in partition G of the index:
        Item::new(ns.key("U4", "no-index-sk")).with(GSI1_PK, g.as_str()),
        Item::new(ns.key("U4", "no-index-pk")).with(GSI1_SK, "g-a"),
        Item::new(ns.key("U4", "other-partition")).with(GSI1_PK, ns.pk("G2")).with(GSI1_SK, "g-a"),
        Item::new(ns.key("U4", "plain")),
    ];
    put_all(table, items.clone(), what).await;
    let by_key: BTreeMap<Key, Item> = items.iter().map(|item| (item.key.clone(), item.clone())).collect();
    let expect = |index_sks: &[&str]| -> BTreeSet<Key> {
        items
            .iter()
            .filter(|item| item.str(GSI1_PK) == Some(g.as_str()))
            .filter(|item| item.str(GSI1_SK).is_some_and(|s| index_sks.contains(&s)))
            .map(|item| item.key.clone())
            .collect()
    };
    let all = ["g-a", "g-b", "g-c", "h"];
    let cases: Vec<(SortKeyCondition, BTreeSet<Key>)> = vec![
        (SortKeyCondition::All, expect(&all)),
        (begins("g-"), expect(&["g-a", "g-b", "g-c"])),
        (begins("g-c"), expect(&["g-c"])),
        (begins("i"), expect(&[])),
        (between("g-b", "g-c"), expect(&["g-b", "g-c"])),
        (between("g-a", "g-a"), expect(&["g-a"])),
        (between("g-aa", "g-bz"), expect(&["g-b"])),
    ];
    for (condition, expected) in cases {
        for limit in [1, 2, 3, 100] {
            for descending in [false, true] {
                let q = query(Index::Gsi1, &g, condition.clone(), limit, descending);
                let case = format!("{what}: {condition:?} limit {limit} descending {descending}");
                let got = index_settled(table, &q, &expected, &case).await;
                for item in got {
                    assert_eq!(Some(&item), by_key.get(&item.key), "{case}: the index returned a different item");
                }
            }
        }
    }
    let base = query_all(table, &Query::new(Index::Base, &g), what).await;
    assert!(base.is_empty(), "{what}: an index partition showed up in the base table");
}

/// Setting, changing and removing the index keys moves an item between index partitions; a
/// Put without them or a Delete takes it out.
pub async fn gsi1_moves(table: &dyn Table) {
    let ns = Ns::new();
    let what = "gsi1_moves";
    let (g1, g2) = (ns.pk("G1"), ns.pk("G2"));
    let key = ns.key("P", "x");
    let in_g1 = |sk: &str| query(Index::Gsi1, &g1, begins(sk), 10, false);
    let in_g2 = |sk: &str| query(Index::Gsi1, &g2, begins(sk), 10, false);
    let just = BTreeSet::from([key.clone()]);
    let none = BTreeSet::new();

    let item = Item::new(key.clone()).with(GSI1_PK, g1.as_str()).with(GSI1_SK, "x").with("v", 1);
    apply(table, vec![put(item)], what).await;
    index_settled(table, &in_g1(""), &just, "gsi1_moves: after the put").await;

    apply(table, vec![update(key.clone(), vec![set(GSI1_PK, g2.as_str())])], what).await;
    let got = index_settled(table, &in_g2("x"), &just, "gsi1_moves: moved to G2").await;
    assert_eq!(got[0].i64("v"), Some(1), "{what}: moving lost an attribute");
    index_settled(table, &in_g1(""), &none, "gsi1_moves: gone from G1").await;

    apply(table, vec![update(key.clone(), vec![set(GSI1_SK, "y")])], what).await;
    index_settled(table, &in_g2("y"), &just, "gsi1_moves: new index sort key").await;
    index_settled(table, &in_g2("x"), &none, "gsi1_moves: old index sort key").await;

    apply(table, vec![update(key.clone(), vec![unset(GSI1_SK)])], what).await;
    index_settled(table, &in_g2(""), &none, "gsi1_moves: index sort key removed").await;
    let item = get(table, &key, what).await.expect("the item");
    assert_eq!(item.str(GSI1_PK), Some(g2.as_str()), "{what}: the index partition key is still an attribute");
    assert_eq!(item.str(GSI1_SK), None, "{what}: the removed index sort key is still an attribute");

    apply(table, vec![update(key.clone(), vec![set(GSI1_SK, "z"), add("v", 1)])], what).await;
    index_settled(table, &in_g2("z"), &just, "gsi1_moves: index sort key set again").await;

    apply(table, vec![put(Item::new(key.clone()).with("v", 3))], what).await;
    index_settled(table, &in_g2(""), &none, "gsi1_moves: replaced without index keys").await;

    let item = Item::new(key.clone()).with(GSI1_PK, g1.as_str()).with(GSI1_SK, "w");
    apply(table, vec![put(item)], what).await;
    index_settled(table, &in_g1(""), &just, "gsi1_moves: replaced with index keys").await;
    apply(table, vec![delete(key.clone())], what).await;
    index_settled(table, &in_g1(""), &none, "gsi1_moves: deleted").await;
}

// ---------------------------------------------------------------------------------------------
// batch_get

/// batch_get returns the items that exist, any number of keys, and refuses duplicates.
pub async fn batch_get_semantics(table: &dyn Table) {
    let ns = Ns::new();
    let what = "batch_get_semantics";
    let items: Vec<Item> = (0..250)
        .map(|i| Item::new(ns.key(if i % 2 == 0 { "even" } else { "odd" }, &format!("{i:03}"))).with("i", i))
        .collect();
    put_all(table, items.clone(), what).await;
    let missing: Vec<Key> = (0..50).map(|i| ns.key("missing", &format!("{i:03}"))).collect();
    let mut keys: Vec<Key> = items.iter().map(|item| item.key.clone()).collect();
    keys.extend(missing.iter().cloned());
    keys.reverse();
    let mut got = table.batch_get(&keys).await.unwrap_or_else(|e| panic!("{what}: {e:?}"));
    got.sort_by(|a, b| a.key.cmp(&b.key));
    let mut expected = items.clone();
    expected.sort_by(|a, b| a.key.cmp(&b.key));
    assert_eq!(got, expected, "{what}: 300 keys, 250 present");

    let some = vec![items[3].key.clone(), missing[0].clone(), items[200].key.clone()];
    let mut got = table.batch_get(&some).await.unwrap_or_else(|e| panic!("{what}: {e:?}"));
    got.sort_by(|a, b| a.key.cmp(&b.key));
    let mut expected = vec![items[3].clone(), items[200].clone()];
    expected.sort_by(|a, b| a.key.cmp(&b.key));
    assert_eq!(got, expected, "{what}: a few keys");

    let got = table.batch_get(&missing).await.unwrap_or_else(|e| panic!("{what}: {e:?}"));
    assert!(got.is_empty(), "{what}: only missing keys");
    let got = table.batch_get(&[]).await.unwrap_or_else(|e| panic!("{what}: {e:?}"));
    assert!(got.is_empty(), "{what}: no keys");
    let dup = vec![items[0].key.clone(), items[1].key.clone(), items[0].key.clone()];
    expect_invalid(table.batch_get(&dup).await, "batch_get_semantics: a duplicate key");
}

// ---------------------------------------------------------------------------------------------
// Concurrency

/// 32 writers race to create one item: exactly one wins, the others see the condition fail.
pub async fn race_conditional_put(table: &dyn Table) {
    let ns = Ns::new();
    let what = "race_conditional_put";
    let key = ns.key("P", "contended");
    let racers = (0..32i64).map(|i| {
        let item = Item::new(key.clone()).with("winner", i);
        async move { (i, table.transact(vec![put_if(item, Condition::NotExists)]).await) }
    });
    let results = join_all(racers).await;
    let winners: Vec<i64> = results.iter().filter(|(_, r)| r.is_ok()).map(|(i, _)| *i).collect();
    assert_eq!(winners.len(), 1, "{what}: {} writers won: {results:?}", winners.len());
    for (i, result) in &results {
        if result.is_err() {
            assert_eq!(result, &Err(StoreError::ConditionFailed { index: 0 }), "{what}: racer {i}");
        }
    }
    let item = get(table, &key, what).await.expect("race_conditional_put: no item");
    assert_eq!(item.i64("winner"), Some(winners[0]), "{what}: the item is not the winner's");
}

/// 64 writers race for 50 seats (`used < purchased`): exactly 50 get one. Once with the
/// counter alone, once with each writer also creating its own item in the same transaction.
pub async fn race_counter(table: &dyn Table) {
    let ns = Ns::new();
    let what = "race_counter";
    let pool = ns.key("SUB", "POOL#basic");
    apply(table, vec![put(Item::new(pool.clone()).with("purchased", 50).with("used", 0))], what).await;
    let results = join_all((0..64).map(|_| table.transact(vec![take_from(&pool)]))).await;
    let ok = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(ok, 50, "{what}: {ok} of 64 took a seat from 50");
    for r in &results {
        assert!(matches!(r, Ok(()) | Err(StoreError::ConditionFailed { index: 0 })), "{what}: {r:?}");
    }
    let used = get(table, &pool, what).await.and_then(|item| item.i64("used"));
    assert_eq!(used, Some(50), "{what}: the counter");

    let pool = ns.key("SUB", "POOL#premium");
    apply(table, vec![put(Item::new(pool.clone()).with("purchased", 50).with("used", 0))], what).await;
    let users = ns.pk("USERS");
    let racers = (0..64).map(|i| {
        let user = Item::new(Key::new(&users, format!("U#{i:02}")));
        let actions = vec![put_if(user, Condition::NotExists), take_from(&pool)];
        async move { (i, table.transact(actions).await) }
    });
    let results = join_all(racers).await;
    let winners: BTreeSet<String> =
        results.iter().filter(|(_, r)| r.is_ok()).map(|(i, _)| format!("U#{i:02}")).collect();
    assert_eq!(winners.len(), 50, "{what}: {} of 64 users got a seat from 50", winners.len());
    for (i, r) in &results {
        assert!(matches!(r, Ok(()) | Err(StoreError::ConditionFailed { index: 1 })), "{what}: user {i}: {r:?}");
    }
    let created = query_all(table, &Query::new(Index::Base, &users), what).await;
    let created: BTreeSet<String> = created.into_iter().map(|item| item.key.sk).collect();
    assert_eq!(created, winners, "{what}: the users created are not the ones that got a seat");
    let used = get(table, &pool, what).await.and_then(|item| item.i64("used"));
    assert_eq!(used, Some(50), "{what}: the counter with users");
}

/// Taking `k` seats from a pool that keeps a `free` count: `Add used +k, Add free -k` under
/// `AttrAtLeast free k` succeeds while at least `k` are free (down to exactly `k`) and then
/// fails with nothing changed, alone or beside another action; on a missing pool it creates
/// nothing. 16 writers racing for 3 seats each from 20: exactly 6 get them.
pub async fn take_k_seats(table: &dyn Table) {
    let ns = Ns::new();
    let what = "take_k_seats";
    let take = |pool: &Key, k: i64| update_if(pool.clone(), vec![add("used", k), add("free", -k)], at_least("free", k));
    let seats = |used: i64, free: i64, pool: &Key| Item::new(pool.clone()).with("used", used).with("free", free);

    let pool = ns.key("SUB", "POOL#basic");
    apply(table, vec![put(seats(0, 10, &pool))], what).await;
    // (k, whether the seats are taken, used and free after)
    let steps = [
        (4, true, 4, 6),
        (4, true, 8, 2),
        (4, false, 8, 2),
        (3, false, 8, 2),
        (i64::MAX, false, 8, 2),
        (2, true, 10, 0),
        (1, false, 10, 0),
        (0, true, 10, 0),
    ];
    for (k, taken, used, free) in steps {
        let r = table.transact(vec![take(&pool, k)]).await;
        let expected = if taken { Ok(()) } else { Err(StoreError::ConditionFailed { index: 0 }) };
        assert_eq!(r, expected, "{what}: taking {k}");
        assert_eq!(get(table, &pool, what).await, Some(seats(used, free, &pool)), "{what}: after taking {k}");
    }

    // Beside the creation of the user who takes the seats: both or neither.
    let pool = ns.key("SUB", "POOL#premium");
    apply(table, vec![put(seats(1, 3, &pool))], what).await;
    let user = Item::new(ns.key("USERS", "U#1"));
    let r = table.transact(vec![put_if(user.clone(), Condition::NotExists), take(&pool, 4)]).await;
    assert_eq!(r, Err(StoreError::ConditionFailed { index: 1 }), "{what}: 4 of 3 free beside a user");
    assert_eq!(get(table, &user.key, what).await, None, "{what}: the user was created without seats");
    assert_eq!(get(table, &pool, what).await, Some(seats(1, 3, &pool)), "{what}: a failed take changed the pool");
    apply(table, vec![put_if(user.clone(), Condition::NotExists), take(&pool, 3)], what).await;
    assert_eq!(get(table, &user.key, what).await, Some(user), "{what}: the user beside the seats");
    assert_eq!(get(table, &pool, what).await, Some(seats(4, 0, &pool)), "{what}: 3 of 3 free beside a user");

    let nowhere = ns.key("SUB", "POOL#missing");
    expect_condition_failed(table, vec![take(&nowhere, 1)], 0, &format!("{what}: a missing pool")).await;
    assert_eq!(get(table, &nowhere, what).await, None, "{what}: taking from a missing pool created it");

    let pool = ns.key("SUB", "POOL#raced");
    apply(table, vec![put(seats(0, 20, &pool))], what).await;
    let results = join_all((0..16).map(|_| table.transact(vec![take(&pool, 3)]))).await;
    let ok = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(ok, 6, "{what}: {ok} of 16 took 3 seats from 20");
    for r in &results {
        assert!(matches!(r, Ok(()) | Err(StoreError::ConditionFailed { index: 0 })), "{what}: {r:?}");
    }
    assert_eq!(get(table, &pool, what).await, Some(seats(18, 2, &pool)), "{what}: the raced pool");
}

fn take_from(pool: &Key) -> Action {
    update_if(pool.clone(), vec![add("used", 1)], lt_attr("used", "purchased"))
}

/// Two writers adding different items to one partition at once: all of both land.
pub async fn concurrent_writers_one_partition(table: &dyn Table) {
    let ns = Ns::new();
    let what = "concurrent_writers_one_partition";
    let pk = ns.pk("P");
    let writer = |name: &'static str| {
        let pk = pk.clone();
        async move {
            for i in 0..25 {
                let item = Item::new(Key::new(&pk, format!("{name}-{i:02}"))).with("by", name);
                apply(table, vec![put(item)], what).await;
            }
        }
    };
    futures::join!(writer("one"), writer("two"));
    let got = query_all(table, &Query::new(Index::Base, &pk), what).await;
    let mut expected: Vec<String> = (0..25).map(|i| format!("one-{i:02}")).collect();
    expected.extend((0..25).map(|i| format!("two-{i:02}")));
    assert_eq!(sort_keys(&got), expected, "{what}");
}

// ---------------------------------------------------------------------------------------------
// String sets

/// AddToSet creates a set (on a missing item or attribute) and extends it; DeleteFromSet
/// removes elements, quietly ignores absent ones, and removes the attribute it empties;
/// conditions compare whole sets.
pub async fn set_updates(table: &dyn Table) {
    let ns = Ns::new();
    let what = "set_updates";
    let key = ns.key("P", "item");
    apply(table, vec![update(key.clone(), vec![add_to_set("tags", &["b", "a"])])], what).await;
    let created = Item::new(key.clone()).with("tags", ss(&["a", "b"]));
    assert_eq!(get(table, &key, what).await, Some(created), "{what}: AddToSet on a missing item");

    apply(table, vec![update(key.clone(), vec![add_to_set("tags", &["b", "c"]), set("v", 1)])], what).await;
    let item = get(table, &key, what).await.expect("the item");
    assert_eq!(item.set("tags"), Some(&elements(&["a", "b", "c"])), "{what}: AddToSet extends, once per element");
    assert_eq!(item.i64("v"), Some(1), "{what}: AddToSet beside a Set");

    apply(table, vec![update(key.clone(), vec![add_to_set("other", &["x"])])], what).await;
    let item = get(table, &key, what).await.expect("the item");
    assert_eq!(item.set("other"), Some(&elements(&["x"])), "{what}: AddToSet on an absent attribute");

    let cases: Vec<(Condition, bool)> = vec![
        (eq("tags", ss(&["c", "b", "a"])), true),
        (eq("tags", ss(&["a", "b"])), false),
        (eq("tags", "a"), false),
        (ne("tags", ss(&["a", "b", "c"])), false),
        (ne("tags", ss(&["a"])), true),
    ];
    for (condition, expected) in cases {
        assert_eq!(holds(table, &key, &condition, what).await, expected, "{what}: {condition:?}");
    }

    apply(table, vec![update(key.clone(), vec![delete_from_set("tags", &["a", "not-there"])])], what).await;
    let item = get(table, &key, what).await.expect("the item");
    assert_eq!(item.set("tags"), Some(&elements(&["b", "c"])), "{what}: DeleteFromSet");

    apply(table, vec![update(key.clone(), vec![delete_from_set("never-there", &["a"])])], what).await;
    assert_eq!(get(table, &key, what).await, Some(item), "{what}: DeleteFromSet of an absent attribute");

    apply(table, vec![update(key.clone(), vec![delete_from_set("tags", &["b", "c"])])], what).await;
    let expected = Item::new(key.clone()).with("v", 1).with("other", ss(&["x"]));
    assert_eq!(get(table, &key, what).await, Some(expected), "{what}: a set emptied is removed");
    assert!(holds(table, &key, &absent("tags"), what).await, "{what}: a set emptied is absent to a condition");

    let guarded = update_if(key.clone(), vec![add_to_set("tags", &["z"])], eq("v", 2));
    expect_condition_failed(table, vec![guarded], 0, "set_updates: a condition guards AddToSet").await;
    assert_eq!(get(table, &key, what).await.and_then(|i| i.set("tags").cloned()), None, "{what}: guarded write");
}

/// An empty set cannot be written, a set update names at least one element, and sets and
/// other types do not mix.
pub async fn set_validation(table: &dyn Table) {
    let ns = Ns::new();
    let what = "set_validation";
    let key = ns.key("P", "item");
    let empty = AttrValue::Ss(BTreeSet::new());
    let r = table.transact(vec![put(Item::new(key.clone()).with("tags", empty.clone()))]).await;
    expect_invalid(r, "set_validation: Put of an empty set");
    expect_invalid(table.transact(vec![update(key.clone(), vec![set("tags", empty)])]).await, "Set of an empty set");
    let r = table.transact(vec![update(key.clone(), vec![add_to_set("tags", &[])])]).await;
    expect_invalid(r, "set_validation: AddToSet naming no element");
    let r = table.transact(vec![update(key.clone(), vec![delete_from_set("tags", &[])])]).await;
    expect_invalid(r, "set_validation: DeleteFromSet naming no element");
    let r = table.transact(vec![update(key.clone(), vec![add_to_set("pk", &["x"])])]).await;
    expect_invalid(r, "set_validation: AddToSet on the key");
    let r =
        table.transact(vec![update(key.clone(), vec![add_to_set("t", &["x"]), delete_from_set("t", &["y"])])]).await;
    expect_invalid(r, "set_validation: one set updated twice");
    assert_eq!(get(table, &key, what).await, None, "{what}: an invalid update wrote");

    let item = Item::new(key.clone()).with("s", "text").with("n", 1).with("tags", ss(&["a"]));
    apply(table, vec![put(item.clone())], what).await;
    let wrong_types: Vec<(&str, Update)> = vec![
        ("AddToSet on a string", add_to_set("s", &["x"])),
        ("AddToSet on a number", add_to_set("n", &["x"])),
        ("DeleteFromSet on a string", delete_from_set("s", &["text"])),
        ("Add to a set", add("tags", 1)),
    ];
    for (case, u) in wrong_types {
        expect_invalid(table.transact(vec![update(key.clone(), vec![u])]).await, &format!("{what}: {case}"));
    }
    assert_eq!(get(table, &key, what).await, Some(item), "{what}: a refused update wrote");
}

/// Sets come back whole through get, batch_get and queries of the table and the index.
pub async fn set_round_trips(table: &dyn Table) {
    let ns = Ns::new();
    let what = "set_round_trips";
    let g = ns.pk("G");
    let items: Vec<Item> = (0..3)
        .map(|i| {
            Item::new(ns.key("P", &format!("{i}")))
                .with("one", ss(&["only"]))
                .with("many", ss(&["", "a", "Zoë 😀", "\u{10FFFF}", "b", &format!("item-{i}")]))
                .with(GSI1_PK, g.as_str())
                .with(GSI1_SK, format!("{i}"))
        })
        .collect();
    put_all(table, items.clone(), what).await;
    for item in &items {
        assert_eq!(get(table, &item.key, what).await.as_ref(), Some(item), "{what}: get");
    }
    let keys: Vec<Key> = items.iter().map(|item| item.key.clone()).collect();
    assert_eq!(snapshot(table, &keys, what).await, items, "{what}: batch_get");
    let queried = query_all(table, &query(Index::Base, &ns.pk("P"), SortKeyCondition::All, 2, false), what).await;
    assert_eq!(queried, items, "{what}: query");
    let expected: BTreeSet<Key> = keys.iter().cloned().collect();
    let indexed = index_settled(table, &query(Index::Gsi1, &g, SortKeyCondition::All, 2, false), &expected, what).await;
    assert_eq!(indexed, items, "{what}: index query");
}

/// 16 writers add one element each to one set at once: all succeed and every element is there
/// (AddToSet is commutative, so no writer needs a condition or a retry of its own).
pub async fn concurrent_set_additions(table: &dyn Table) {
    let ns = Ns::new();
    let what = "concurrent_set_additions";
    let key = ns.key("P", "set");
    let writers = (0..16).map(|i| {
        let key = key.clone();
        async move {
            let element = format!("member-{i:02}");
            (i, table.transact(vec![update(key, vec![add_to_set("members", &[element.as_str()])])]).await)
        }
    });
    for (i, result) in join_all(writers).await {
        assert_eq!(result, Ok(()), "{what}: writer {i}");
    }
    let expected: BTreeSet<String> = (0..16).map(|i| format!("member-{i:02}")).collect();
    let item = get(table, &key, what).await.expect("concurrent_set_additions: no item");
    assert_eq!(item.set("members"), Some(&expected), "{what}: an element is missing");
}
