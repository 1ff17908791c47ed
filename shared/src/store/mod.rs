//! The Table port: a small key-value interface shaped like a single-table DynamoDB design,
//! so the directory is written once and runs on either engine.
//!
//! Items have a partition key, a sort key and attributes; an item may also carry the keys
//! of the secondary index [`Index::Gsi1`] in the attributes [`GSI1_PK`] and [`GSI1_SK`].
//! Reads are `get`, `batch_get` and `query`; writes go through `transact`, all or nothing,
//! with typed conditions and updates. A failed transaction says which action's condition
//! failed, so the directory can tell "userName taken" from "stale version".
//!
//! Engines: [`sqlite::SqliteTable`] (embedded, the default; durable file or in-memory) and
//! [`dynamodb::DynamoTable`] (AWS). Both run the same validation before any work, and every
//! engine must pass `conformance`, the suite of the port's semantics (test support: compiled
//! only for tests and with the `testing` feature).

#[cfg(any(test, feature = "testing"))]
pub mod conformance;
pub mod dynamodb;
mod eval;
pub mod sqlite;
mod validate;

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;

/// Attribute holding an item's partition key in the secondary index.
pub const GSI1_PK: &str = "gsi1pk";
/// Attribute holding an item's sort key in the secondary index.
pub const GSI1_SK: &str = "gsi1sk";
/// Most actions in one transaction (DynamoDB's limit).
pub const MAX_TRANSACT_ACTIONS: usize = 100;
/// Most bytes of one item, by DynamoDB's size formula ([`Item::size`]): DynamoDB's limit,
/// enforced by both engines.
pub const MAX_ITEM_BYTES: usize = 400 * 1024;
/// Most bytes of items one query page holds (by DynamoDB's item size formula): a page stops
/// after the item that reaches it, even short of its `limit`. DynamoDB stops each call at
/// 1 MB too; here it bounds what a page holds in memory on every engine, whatever the
/// size of the items.
pub const MAX_PAGE_BYTES: usize = 1024 * 1024;
/// Most keys in one `batch_get` (DynamoDB's limit); engines split larger batches.
pub const MAX_BATCH_GET: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

impl Key {
    pub fn new(pk: impl Into<String>, sk: impl Into<String>) -> Key {
        Key { pk: pk.into(), sk: sk.into() }
    }

    /// Whether every engine takes this key (DynamoDB's key sizes). A key made from client
    /// input is checked with it, so that input never reaches the engines' own validation.
    pub fn fits(&self) -> bool {
        validate::validate_key(self).is_ok()
    }
}

/// An attribute value: the DynamoDB types this service uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttrValue {
    S(String),
    N(i64),
    Bool(bool),
    /// A string set (DynamoDB `SS`): never empty — a set emptied by
    /// [`Update::DeleteFromSet`] is removed, and an empty one cannot be written.
    Ss(BTreeSet<String>),
}

impl AttrValue {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            AttrValue::S(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            AttrValue::N(n) => Some(*n),
            _ => None,
        }
    }
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            AttrValue::Bool(b) => Some(*b),
            _ => None,
        }
    }
    pub fn as_set(&self) -> Option<&BTreeSet<String>> {
        match self {
            AttrValue::Ss(set) => Some(set),
            _ => None,
        }
    }
}

impl From<&str> for AttrValue {
    fn from(s: &str) -> Self {
        AttrValue::S(s.to_owned())
    }
}
impl From<String> for AttrValue {
    fn from(s: String) -> Self {
        AttrValue::S(s)
    }
}
impl From<i64> for AttrValue {
    fn from(n: i64) -> Self {
        AttrValue::N(n)
    }
}
impl From<bool> for AttrValue {
    fn from(b: bool) -> Self {
        AttrValue::Bool(b)
    }
}

pub type Attrs = BTreeMap<String, AttrValue>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub key: Key,
    pub attrs: Attrs,
}

impl Item {
    pub fn new(key: Key) -> Item {
        Item { key, attrs: Attrs::new() }
    }
    pub fn with(mut self, name: &str, value: impl Into<AttrValue>) -> Item {
        self.attrs.insert(name.to_owned(), value.into());
        self
    }
    /// Its size by DynamoDB's formula (names and values), the measure of every byte limit of
    /// the port.
    pub fn size(&self) -> usize {
        validate::item_size(self)
    }
    pub fn str(&self, name: &str) -> Option<&str> {
        self.attrs.get(name).and_then(AttrValue::as_str)
    }
    pub fn i64(&self, name: &str) -> Option<i64> {
        self.attrs.get(name).and_then(AttrValue::as_i64)
    }
    pub fn bool(&self, name: &str) -> Option<bool> {
        self.attrs.get(name).and_then(AttrValue::as_bool)
    }
    pub fn set(&self, name: &str) -> Option<&BTreeSet<String>> {
        self.attrs.get(name).and_then(AttrValue::as_set)
    }
}

/// A condition on the item an action targets, evaluated atomically with the transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// No item has this key.
    NotExists,
    /// An item has this key.
    Exists,
    /// The attribute exists and equals the value.
    AttrEq(String, AttrValue),
    /// The attribute is absent or differs from the value.
    AttrNe(String, AttrValue),
    /// The item has no such attribute (or there is no item).
    AttrAbsent(String),
    /// The attribute exists, is a number, and is less than the value.
    AttrLessThan(String, i64),
    /// Both attributes exist as numbers and the first is less than the second
    /// (`used < purchased`).
    AttrLessThanAttr(String, String),
    /// The attribute exists, is a number, and is at least the value (`free >= k`: taking `k`
    /// seats from a pool is `Add used +k, Add free -k` under `AttrAtLeast("free", k)`).
    /// False for an absent attribute and for one of another type.
    AttrAtLeast(String, i64),
    And(Vec<Condition>),
}

/// A change to one attribute of an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Update {
    Set(String, AttrValue),
    /// Adds to a number attribute; an absent attribute counts as 0.
    Add(String, i64),
    Remove(String),
    /// Adds elements to a string set, creating it when absent (DynamoDB `ADD` on `SS`).
    /// Commutative: concurrent additions never overwrite each other.
    AddToSet(String, BTreeSet<String>),
    /// Removes elements from a string set; the attribute goes when the set is emptied
    /// (DynamoDB `DELETE` on `SS`).
    DeleteFromSet(String, BTreeSet<String>),
}

/// One write in a transaction. An `Update` on a missing item creates it (as DynamoDB's
/// UpdateItem does) unless its condition forbids that.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Put { item: Item, condition: Option<Condition> },
    Update { key: Key, updates: Vec<Update>, condition: Option<Condition> },
    Delete { key: Key, condition: Option<Condition> },
    ConditionCheck { key: Key, condition: Condition },
}

impl Action {
    pub fn key(&self) -> &Key {
        match self {
            Action::Put { item, .. } => &item.key,
            Action::Update { key, .. } | Action::Delete { key, .. } | Action::ConditionCheck { key, .. } => key,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Index {
    /// The base table: partition key `pk`, sort key `sk`.
    Base,
    /// The secondary index on [`GSI1_PK`] / [`GSI1_SK`]; eventually consistent on DynamoDB.
    Gsi1,
}

/// Which sort keys a query returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SortKeyCondition {
    All,
    BeginsWith(String),
    /// Inclusive on both ends.
    Between(String, String),
}

/// A query of one partition, in sort-key order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    pub index: Index,
    pub pk: String,
    pub sk: SortKeyCondition,
    /// Most items in the page (the engine may return fewer and a cursor, and does once the
    /// page holds [`MAX_PAGE_BYTES`]).
    pub limit: usize,
    pub descending: bool,
    /// Where the previous page ended.
    pub after: Option<Cursor>,
}

impl Query {
    pub fn new(index: Index, pk: impl Into<String>) -> Query {
        Query { index, pk: pk.into(), sk: SortKeyCondition::All, limit: 100, descending: false, after: None }
    }
}

/// Where a page ended: the key of its last item (and that item's index keys on an index).
/// Opaque to callers beyond [`Cursor::encode`] / [`Cursor::decode`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub key: Key,
    pub index_sk: Option<String>,
}

impl Cursor {
    /// A URL-safe string that [`Cursor::decode`] turns back into this cursor.
    pub fn encode(&self) -> String {
        use base64::Engine;
        let parts = serde_json::json!([self.key.pk, self.key.sk, self.index_sk]);
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(parts.to_string())
    }

    /// None when `s` is not a cursor this service made.
    pub fn decode(s: &str) -> Option<Cursor> {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s).ok()?;
        let (pk, sk, index_sk): (String, String, Option<String>) = serde_json::from_slice(&bytes).ok()?;
        Some(Cursor { key: Key { pk, sk }, index_sk })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub items: Vec<Item>,
    /// Present when more items may follow.
    pub next: Option<Cursor>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The condition of action `index` (position in the transaction) did not hold; nothing
    /// was written.
    #[error("the condition of action {index} failed")]
    ConditionFailed { index: usize },
    /// Contention the engine could not resolve within its retry bound; try again later.
    #[error("the store is busy: {0}")]
    Busy(String),
    /// Invalid use of the port (too many actions, two actions on one key, …): a bug.
    #[error("invalid store request: {0}")]
    Invalid(String),
    /// Anything else from the engine.
    #[error("store failure: {0}")]
    Other(String),
}

#[async_trait]
pub trait Table: Send + Sync + 'static {
    /// The item with this key, strongly consistent.
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError>;

    /// The items with these keys that exist, in no particular order.
    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError>;

    async fn query(&self, query: &Query) -> Result<Page, StoreError>;

    /// Applies every action or none. At most [`MAX_TRANSACT_ACTIONS`], at most one per key.
    async fn transact(&self, actions: Vec<Action>) -> Result<(), StoreError>;
}

/// Every item `query` selects, page after page (for partitions whose whole content a caller
/// needs: a group's members, a subscription's configurations or users).
pub async fn query_all(table: &dyn Table, mut query: Query) -> Result<Vec<Item>, StoreError> {
    let mut items = Vec::new();
    loop {
        let page = table.query(&query).await?;
        items.extend(page.items);
        match page.next {
            Some(next) => query.after = Some(next),
            None => return Ok(items),
        }
    }
}
