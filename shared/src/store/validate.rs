//! The port's validation, shared by every engine so that what one engine accepts the other
//! does too.
//!
//! The rules are DynamoDB's (the stricter engine), checked before any work is done: keys and
//! index keys are non-empty strings of at most 2048 bytes (partition) or 1024 bytes (sort),
//! `pk` / `sk` are not attribute names, an empty string set cannot be stored, an item is at
//! most 400 KB by DynamoDB's size formula, a transaction has at most
//! [`MAX_TRANSACT_ACTIONS`] actions on distinct keys and its Puts at most 4 MB of items, an update names each attribute once and
//! a set update names at least one element. Queries ask for at least one item, a `Between`
//! is not reversed, and a cursor belongs to the query it resumes (same partition, a sort key
//! inside the query's range), as DynamoDB refuses an `ExclusiveStartKey` outside the query's
//! bounds. Engines enforce at run time only what needs the stored item (adding to a
//! non-number, the size of an updated item).

use std::collections::HashSet;

use super::{
    Action, AttrValue, Condition, Index, Item, Key, Query, SortKeyCondition, StoreError, Update, GSI1_PK, GSI1_SK,
    MAX_TRANSACT_ACTIONS,
};

/// DynamoDB's limits.
pub(crate) const MAX_PARTITION_KEY_BYTES: usize = 2048;
pub(crate) const MAX_SORT_KEY_BYTES: usize = 1024;
pub use super::MAX_ITEM_BYTES;
/// The most item data one TransactWriteItems may carry.
pub(crate) const MAX_TRANSACTION_BYTES: usize = 4 * 1024 * 1024;

/// The attribute names the DynamoDB table uses for its own keys: not available to items.
pub(crate) const RESERVED_ATTRS: [&str; 2] = ["pk", "sk"];

pub(crate) fn invalid(message: impl Into<String>) -> StoreError {
    StoreError::Invalid(message.into())
}

/// The condition an action carries, if any.
pub(crate) fn condition_of(action: &Action) -> Option<&Condition> {
    match action {
        Action::Put { condition, .. } | Action::Update { condition, .. } | Action::Delete { condition, .. } => {
            condition.as_ref()
        }
        Action::ConditionCheck { condition, .. } => Some(condition),
    }
}

pub(crate) fn validate_key(key: &Key) -> Result<(), StoreError> {
    validate_key_part("partition key", &key.pk, MAX_PARTITION_KEY_BYTES)?;
    validate_key_part("sort key", &key.sk, MAX_SORT_KEY_BYTES)
}

fn validate_key_part(what: &str, value: &str, max: usize) -> Result<(), StoreError> {
    if value.is_empty() {
        return Err(invalid(format!("the {what} is empty")));
    }
    validate_key_len(what, value, max)
}

fn validate_key_len(what: &str, value: &str, max: usize) -> Result<(), StoreError> {
    if value.len() > max {
        return Err(invalid(format!("the {what} is {} bytes, more than {max}", value.len())));
    }
    Ok(())
}

fn validate_attr_name(name: &str) -> Result<(), StoreError> {
    if name.is_empty() {
        return Err(invalid("an attribute name is empty"));
    }
    if RESERVED_ATTRS.contains(&name) {
        return Err(invalid(format!("{name} is the table's key, not an attribute")));
    }
    Ok(())
}

fn validate_attr(name: &str, value: &AttrValue) -> Result<(), StoreError> {
    validate_attr_name(name)?;
    if matches!(value, AttrValue::Ss(set) if set.is_empty()) {
        return Err(invalid(format!("{name} is an empty string set, which DynamoDB cannot store")));
    }
    let max = match name {
        GSI1_PK => MAX_PARTITION_KEY_BYTES,
        GSI1_SK => MAX_SORT_KEY_BYTES,
        _ => return Ok(()),
    };
    match value {
        AttrValue::S(s) => validate_key_part(name, s, max),
        other => Err(invalid(format!("{name} is an index key and must be a string, not {other:?}"))),
    }
}

pub(crate) fn validate_item(item: &Item) -> Result<(), StoreError> {
    validate_key(&item.key)?;
    for (name, value) in &item.attrs {
        validate_attr(name, value)?;
    }
    validate_size(item)
}

/// DynamoDB's item size: names and values, numbers about one byte per two digits plus one.
pub(crate) fn item_size(item: &Item) -> usize {
    let value_size = |value: &AttrValue| match value {
        AttrValue::S(s) => s.len(),
        AttrValue::N(n) => (n.unsigned_abs().checked_ilog10().unwrap_or(0) as usize + 1).div_ceil(2) + 1,
        AttrValue::Bool(_) => 1,
        AttrValue::Ss(set) => set.iter().map(String::len).sum(),
    };
    "pk".len()
        + item.key.pk.len()
        + "sk".len()
        + item.key.sk.len()
        + item.attrs.iter().map(|(name, value)| name.len() + value_size(value)).sum::<usize>()
}

pub(crate) fn validate_size(item: &Item) -> Result<(), StoreError> {
    let size = item_size(item);
    if size > MAX_ITEM_BYTES {
        return Err(invalid(format!("item {:?} is {size} bytes, more than {MAX_ITEM_BYTES}", item.key)));
    }
    Ok(())
}

fn validate_condition(condition: &Condition) -> Result<(), StoreError> {
    match condition {
        Condition::NotExists | Condition::Exists => Ok(()),
        Condition::AttrEq(name, _)
        | Condition::AttrNe(name, _)
        | Condition::AttrAbsent(name)
        | Condition::AttrLessThan(name, _)
        | Condition::AttrAtLeast(name, _) => validate_attr_name(name),
        Condition::AttrLessThanAttr(a, b) => validate_attr_name(a).and_then(|()| validate_attr_name(b)),
        Condition::And(conditions) => conditions.iter().try_for_each(validate_condition),
    }
}

fn validate_updates(updates: &[Update]) -> Result<(), StoreError> {
    if updates.is_empty() {
        return Err(invalid("an update changes nothing"));
    }
    let mut names = HashSet::with_capacity(updates.len());
    for update in updates {
        let name = match update {
            Update::Set(name, value) => {
                validate_attr(name, value)?;
                name
            }
            Update::Add(name, _) | Update::Remove(name) => {
                validate_attr_name(name)?;
                name
            }
            Update::AddToSet(name, elements) | Update::DeleteFromSet(name, elements) => {
                validate_attr_name(name)?;
                if elements.is_empty() {
                    return Err(invalid(format!("an update of the set {name} names no element")));
                }
                name
            }
        };
        if !names.insert(name) {
            return Err(invalid(format!("one update changes {name} twice")));
        }
    }
    Ok(())
}

pub(crate) fn validate_transaction(actions: &[Action]) -> Result<(), StoreError> {
    if actions.len() > MAX_TRANSACT_ACTIONS {
        return Err(invalid(format!("{} actions in one transaction, more than {MAX_TRANSACT_ACTIONS}", actions.len())));
    }
    let mut keys = HashSet::with_capacity(actions.len());
    let mut put_bytes = 0;
    for action in actions {
        match action {
            Action::Put { item, .. } => {
                validate_item(item)?;
                put_bytes += item_size(item);
            }
            Action::Update { key, updates, .. } => {
                validate_key(key)?;
                validate_updates(updates)?;
            }
            Action::Delete { key, .. } | Action::ConditionCheck { key, .. } => validate_key(key)?,
        }
        if let Some(condition) = condition_of(action) {
            validate_condition(condition)?;
        }
        if !keys.insert(action.key()) {
            return Err(invalid(format!("two actions on {:?} in one transaction", action.key())));
        }
    }
    // DynamoDB refuses a transaction carrying more than 4 MB; the items of its Puts are what
    // make a request that large.
    if put_bytes > MAX_TRANSACTION_BYTES {
        return Err(invalid(format!(
            "the transaction's items are {put_bytes} bytes, more than {MAX_TRANSACTION_BYTES}"
        )));
    }
    Ok(())
}

/// Valid keys, none twice.
pub(crate) fn validate_batch_get(keys: &[Key]) -> Result<(), StoreError> {
    let mut seen = HashSet::with_capacity(keys.len());
    for key in keys {
        validate_key(key)?;
        if !seen.insert(key) {
            return Err(invalid(format!("batch_get names {key:?} twice")));
        }
    }
    Ok(())
}

pub(crate) fn validate_query(query: &Query) -> Result<(), StoreError> {
    if query.limit == 0 {
        return Err(invalid("query limit must be at least 1"));
    }
    if query.pk.is_empty() {
        return Err(invalid("query partition key is empty"));
    }
    validate_key_len("query partition key", &query.pk, MAX_PARTITION_KEY_BYTES)?;
    match &query.sk {
        SortKeyCondition::All => {}
        // An empty prefix means all (the port's convention), so only the length is checked.
        SortKeyCondition::BeginsWith(prefix) => validate_key_len("query prefix", prefix, MAX_SORT_KEY_BYTES)?,
        SortKeyCondition::Between(low, high) => {
            validate_key_len("query range start", low, MAX_SORT_KEY_BYTES)?;
            validate_key_len("query range end", high, MAX_SORT_KEY_BYTES)?;
            if low > high {
                return Err(invalid(format!("query range {low:?}..={high:?} is reversed")));
            }
        }
    }
    let Some(after) = &query.after else {
        return Ok(());
    };
    validate_key(&after.key).map_err(|e| invalid(format!("the cursor is not one this query made: {e}")))?;
    let cursor_sk = match query.index {
        Index::Base => {
            if after.key.pk != query.pk {
                return Err(invalid("the cursor belongs to another partition"));
            }
            &after.key.sk
        }
        Index::Gsi1 => {
            let Some(index_sk) = &after.index_sk else {
                return Err(invalid("an index cursor needs the index sort key"));
            };
            validate_key_part("cursor's index sort key", index_sk, MAX_SORT_KEY_BYTES)?;
            index_sk
        }
    };
    let inside = match &query.sk {
        SortKeyCondition::All => true,
        SortKeyCondition::BeginsWith(prefix) => cursor_sk.starts_with(prefix.as_str()),
        SortKeyCondition::Between(low, high) => low <= cursor_sk && cursor_sk <= high,
    };
    if !inside {
        return Err(invalid("the cursor lies outside the query's sort key range"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Cursor;

    /// Refused as the engines refuse it: `Invalid`, not some other error.
    #[track_caller]
    fn assert_invalid(r: Result<(), StoreError>) {
        assert!(matches!(r, Err(StoreError::Invalid(_))), "{r:?}");
    }

    #[test]
    fn item_size_follows_dynamodb() {
        let key = Key::new("p", "s");
        // "pk" + "p" + "sk" + "s" = 6 bytes of key; the rest is the one attribute.
        let at = |n: usize| Item::new(key.clone()).with("a", "x".repeat(n));
        assert!(validate_size(&at(MAX_ITEM_BYTES - 7)).is_ok());
        assert_invalid(validate_size(&at(MAX_ITEM_BYTES - 6)));
        let number = |n: i64| Item::new(key.clone()).with("a", "x".repeat(MAX_ITEM_BYTES - 10)).with("n", n);
        // Up to 2 digits cost 2 bytes, a 19-digit number 11.
        assert!(validate_size(&number(99)).is_ok());
        assert_invalid(validate_size(&number(i64::MIN)));
    }

    #[test]
    fn cursors_must_fit_their_query() {
        let with = |index: Index, sk: SortKeyCondition, pk: &str, csk: &str, index_sk: Option<&str>| Query {
            index,
            pk: "P".into(),
            sk,
            limit: 10,
            descending: false,
            after: Some(Cursor { key: Key::new(pk, csk), index_sk: index_sk.map(str::to_owned) }),
        };
        let begins = SortKeyCondition::BeginsWith("a".into());
        let between = SortKeyCondition::Between("b".into(), "d".into());
        assert!(validate_query(&with(Index::Base, begins.clone(), "P", "ab", None)).is_ok());
        assert_invalid(validate_query(&with(Index::Base, begins.clone(), "P", "b", None)));
        assert_invalid(validate_query(&with(Index::Base, begins.clone(), "Q", "ab", None)));
        assert!(validate_query(&with(Index::Base, between.clone(), "P", "d", None)).is_ok());
        assert_invalid(validate_query(&with(Index::Base, between.clone(), "P", "da", None)));
        assert!(validate_query(&with(Index::Gsi1, between.clone(), "X", "zz", Some("c"))).is_ok());
        assert_invalid(validate_query(&with(Index::Gsi1, between.clone(), "X", "c", Some("e"))));
        assert_invalid(validate_query(&with(Index::Gsi1, between, "X", "c", None)));
        // An empty cursor key.
        assert_invalid(validate_query(&with(Index::Gsi1, begins, "X", "", Some("a"))));
    }

    #[test]
    fn query_bounds_follow_dynamodb_key_sizes() {
        let mut q = Query::new(Index::Base, "p".repeat(MAX_PARTITION_KEY_BYTES));
        assert!(validate_query(&q).is_ok());
        q.pk.push('p');
        assert_invalid(validate_query(&q));
        let mut q = Query::new(Index::Base, "P");
        q.sk = SortKeyCondition::BeginsWith("s".repeat(MAX_SORT_KEY_BYTES + 1));
        assert_invalid(validate_query(&q));
        q.sk = SortKeyCondition::Between(String::new(), "s".repeat(MAX_SORT_KEY_BYTES));
        assert!(validate_query(&q).is_ok());
    }
}
