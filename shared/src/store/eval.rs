//! How a condition is judged against an item: the port's definition, shared by the engines.
//!
//! The embedded engine judges every condition with it. The DynamoDB engine has DynamoDB judge
//! conditions, and uses this only to tell a failure of the caller's condition from a failure
//! of a guard of its own (see `dynamodb.rs`), judging the item DynamoDB returns with the
//! failure.

use super::{AttrValue, Condition, Item};

/// Whether `condition` holds for `item` (None: no item has the key, so it has no attributes).
pub(crate) fn holds(condition: &Condition, item: Option<&Item>) -> bool {
    let attr = |name: &str| item.and_then(|item| item.attrs.get(name));
    match condition {
        Condition::NotExists => item.is_none(),
        Condition::Exists => item.is_some(),
        Condition::AttrEq(name, value) => attr(name) == Some(value),
        // DynamoDB's `<>` is true for an absent attribute and for a value of another type.
        Condition::AttrNe(name, value) => attr(name) != Some(value),
        Condition::AttrAbsent(name) => attr(name).is_none(),
        Condition::AttrLessThan(name, bound) => matches!(attr(name), Some(AttrValue::N(n)) if n < bound),
        Condition::AttrAtLeast(name, bound) => matches!(attr(name), Some(AttrValue::N(n)) if n >= bound),
        Condition::AttrLessThanAttr(a, b) => match (attr(a), attr(b)) {
            (Some(AttrValue::N(a)), Some(AttrValue::N(b))) => a < b,
            _ => false,
        },
        Condition::And(conditions) => conditions.iter().all(|c| holds(c, item)),
    }
}
