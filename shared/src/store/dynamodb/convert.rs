//! Between the port's values and DynamoDB's `AttributeValue`s.
//!
//! `S` ↔ [`AttrValue::S`], `N` ↔ [`AttrValue::N`] (an i64 as its decimal string), `BOOL` ↔
//! [`AttrValue::Bool`], `SS` ↔ [`AttrValue::Ss`]. The key is the attributes `pk` and `sk`.
//! Anything else read back (another type, a number outside i64, a missing key) is a
//! [`StoreError::Other`]: this service wrote none of it.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use super::{PK, SK};
use crate::store::{AttrValue, Attrs, Item, Key, StoreError};

/// An item as DynamoDB stores it.
pub(super) type Dynamo = HashMap<String, AttributeValue>;

pub(super) fn to_dynamo(value: &AttrValue) -> AttributeValue {
    match value {
        AttrValue::S(s) => AttributeValue::S(s.clone()),
        AttrValue::N(n) => AttributeValue::N(n.to_string()),
        AttrValue::Bool(b) => AttributeValue::Bool(*b),
        AttrValue::Ss(set) => AttributeValue::Ss(set.iter().cloned().collect()),
    }
}

fn from_dynamo(name: &str, value: AttributeValue) -> Result<AttrValue, StoreError> {
    match value {
        AttributeValue::S(s) => Ok(AttrValue::S(s)),
        AttributeValue::N(n) => n
            .parse()
            .map(AttrValue::N)
            .map_err(|_| StoreError::Other(format!("attribute {name} holds the number {n}, outside i64"))),
        AttributeValue::Bool(b) => Ok(AttrValue::Bool(b)),
        AttributeValue::Ss(elements) => Ok(AttrValue::Ss(elements.into_iter().collect())),
        other => Err(StoreError::Other(format!("attribute {name} has a type this service does not use: {other:?}"))),
    }
}

/// The key attributes of `key`.
pub(super) fn key_to_dynamo(key: &Key) -> Dynamo {
    HashMap::from([
        (PK.to_owned(), AttributeValue::S(key.pk.clone())),
        (SK.to_owned(), AttributeValue::S(key.sk.clone())),
    ])
}

pub(super) fn item_to_dynamo(item: &Item) -> Dynamo {
    let mut out = key_to_dynamo(&item.key);
    out.extend(item.attrs.iter().map(|(name, value)| (name.clone(), to_dynamo(value))));
    out
}

pub(super) fn item_from_dynamo(mut raw: Dynamo) -> Result<Item, StoreError> {
    let pk = take_string(&mut raw, PK)?;
    let sk = take_string(&mut raw, SK)?;
    let attrs = raw
        .into_iter()
        .map(|(name, value)| from_dynamo(&name, value).map(|value| (name, value)))
        .collect::<Result<Attrs, StoreError>>()?;
    Ok(Item { key: Key { pk, sk }, attrs })
}

/// Removes the string attribute `name` (a key attribute) from `raw`.
pub(super) fn take_string(raw: &mut Dynamo, name: &str) -> Result<String, StoreError> {
    match raw.remove(name) {
        Some(AttributeValue::S(s)) => Ok(s),
        Some(other) => Err(StoreError::Other(format!("key attribute {name} is not a string: {other:?}"))),
        None => Err(StoreError::Other(format!("an item from DynamoDB lacks its key attribute {name}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_round_trip() {
        let item = Item::new(Key::new("P", "S"))
            .with("s", "x")
            .with("n", i64::MIN)
            .with("b", true)
            .with("set", AttrValue::Ss(["b".to_owned(), "a".to_owned(), String::new()].into_iter().collect()));
        let raw = item_to_dynamo(&item);
        assert_eq!(raw.get("n"), Some(&AttributeValue::N("-9223372036854775808".into())));
        assert_eq!(raw.get("pk"), Some(&AttributeValue::S("P".into())));
        assert_eq!(item_from_dynamo(raw).expect("decode"), item);
    }

    #[test]
    fn foreign_values_are_errors() {
        let mut raw = key_to_dynamo(&Key::new("P", "S"));
        raw.insert("n".into(), AttributeValue::N("1.5".into()));
        assert!(matches!(item_from_dynamo(raw.clone()), Err(StoreError::Other(_))));
        raw.insert("n".into(), AttributeValue::N("9223372036854775808".into()));
        assert!(matches!(item_from_dynamo(raw.clone()), Err(StoreError::Other(_))));
        raw.insert("n".into(), AttributeValue::Null(true));
        assert!(matches!(item_from_dynamo(raw.clone()), Err(StoreError::Other(_))));
        raw.remove("n");
        raw.remove("sk");
        assert!(matches!(item_from_dynamo(raw), Err(StoreError::Other(_))));
    }
}
