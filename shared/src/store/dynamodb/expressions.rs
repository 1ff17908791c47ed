//! The typed conditions, updates and key conditions of the port turned into DynamoDB
//! expressions.
//!
//! Every attribute name and every value goes through a placeholder (`#n0`, `:v0`, …) in
//! `ExpressionAttributeNames` / `ExpressionAttributeValues`: nothing a caller passes is ever
//! spliced into an expression, so no value can change an expression's meaning and no name can
//! collide with one of DynamoDB's reserved words. Only placeholders an expression uses are
//! declared, as DynamoDB refuses unused ones.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use super::convert::to_dynamo;
use super::PK;
use crate::store::{AttrValue, Condition, Index, SortKeyCondition, Update, GSI1_PK, GSI1_SK};

/// `ExpressionAttributeNames`: placeholder → attribute name.
pub(super) type Names = HashMap<String, String>;
/// `ExpressionAttributeValues`: placeholder → value.
pub(super) type Values = HashMap<String, AttributeValue>;

/// The placeholders of one request's expressions.
#[derive(Debug, Default)]
pub(super) struct Placeholders {
    names: Names,
    by_name: HashMap<String, String>,
    values: Values,
}

impl Placeholders {
    /// The placeholder of attribute `name` (one per name).
    fn name(&mut self, name: &str) -> String {
        if let Some(placeholder) = self.by_name.get(name) {
            return placeholder.clone();
        }
        let placeholder = format!("#n{}", self.names.len());
        self.names.insert(placeholder.clone(), name.to_owned());
        self.by_name.insert(name.to_owned(), placeholder.clone());
        placeholder
    }

    /// A new placeholder holding `value`.
    fn value(&mut self, value: AttributeValue) -> String {
        let placeholder = format!(":v{}", self.values.len());
        self.values.insert(placeholder.clone(), value);
        placeholder
    }

    /// `ExpressionAttributeNames` and `ExpressionAttributeValues`, each None when empty
    /// (DynamoDB refuses an empty map).
    pub(super) fn into_maps(self) -> (Option<Names>, Option<Values>) {
        let names = (!self.names.is_empty()).then_some(self.names);
        let values = (!self.values.is_empty()).then_some(self.values);
        (names, values)
    }
}

/// The ConditionExpression of `condition`; None when it always holds (an empty `And`).
pub(super) fn condition(condition: &Condition, p: &mut Placeholders) -> Option<String> {
    match condition {
        // Every item has `pk`, so its presence is the item's.
        Condition::NotExists => Some(format!("attribute_not_exists({})", p.name(PK))),
        Condition::Exists => Some(format!("attribute_exists({})", p.name(PK))),
        Condition::AttrEq(name, value) => Some(format!("{} = {}", p.name(name), p.value(to_dynamo(value)))),
        // `<>` alone is false for an absent attribute; the port says "absent or different".
        Condition::AttrNe(name, value) => {
            let name = p.name(name);
            Some(format!("(attribute_not_exists({name}) OR {name} <> {})", p.value(to_dynamo(value))))
        }
        Condition::AttrAbsent(name) => Some(format!("attribute_not_exists({})", p.name(name))),
        // The port compares numbers only, so the types are spelled out: DynamoDB would order
        // two strings, and `<` / `>=` between a string and a number is false there but an
        // error on moto. (AND short-circuits on both, so the comparison only ever sees two
        // numbers.)
        Condition::AttrLessThan(name, bound) => {
            let name = p.name(name);
            let number = p.value(AttributeValue::S("N".to_owned()));
            let bound = p.value(to_dynamo(&AttrValue::N(*bound)));
            Some(format!("(attribute_type({name}, {number}) AND {name} < {bound})"))
        }
        Condition::AttrAtLeast(name, bound) => {
            let name = p.name(name);
            let number = p.value(AttributeValue::S("N".to_owned()));
            let bound = p.value(to_dynamo(&AttrValue::N(*bound)));
            Some(format!("(attribute_type({name}, {number}) AND {name} >= {bound})"))
        }
        Condition::AttrLessThanAttr(a, b) => {
            let (a, b) = (p.name(a), p.name(b));
            let number = p.value(AttributeValue::S("N".to_owned()));
            Some(format!("(attribute_type({a}, {number}) AND attribute_type({b}, {number}) AND {a} < {b})"))
        }
        Condition::And(conditions) => {
            let parts: Vec<String> = conditions.iter().filter_map(|c| self::condition(c, p)).collect();
            match parts.len() {
                0 => None,
                1 => parts.into_iter().next(),
                _ => Some(format!("({})", parts.join(" AND "))),
            }
        }
    }
}

/// A ConditionExpression that always holds, for a ConditionCheck whose condition is an empty
/// `And` (a ConditionCheck must have an expression).
pub(super) fn always(p: &mut Placeholders) -> String {
    let pk = p.name(PK);
    format!("(attribute_exists({pk}) OR attribute_not_exists({pk}))")
}

/// The UpdateExpression of `updates` (validated: at least one, each attribute once).
pub(super) fn update(updates: &[Update], p: &mut Placeholders) -> String {
    let (mut set, mut remove, mut add, mut delete) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for update in updates {
        match update {
            Update::Set(name, value) => set.push(format!("{} = {}", p.name(name), p.value(to_dynamo(value)))),
            Update::Remove(name) => remove.push(p.name(name)),
            // ADD on a number starts an absent attribute from 0, as the port says.
            Update::Add(name, delta) => {
                add.push(format!("{} {}", p.name(name), p.value(to_dynamo(&AttrValue::N(*delta)))))
            }
            Update::AddToSet(name, elements) => add.push(format!(
                "{} {}",
                p.name(name),
                p.value(AttributeValue::Ss(elements.iter().cloned().collect()))
            )),
            Update::DeleteFromSet(name, elements) => delete.push(format!(
                "{} {}",
                p.name(name),
                p.value(AttributeValue::Ss(elements.iter().cloned().collect()))
            )),
        }
    }
    let clauses = [("SET", set), ("REMOVE", remove), ("ADD", add), ("DELETE", delete)];
    clauses
        .into_iter()
        .filter(|(_, parts)| !parts.is_empty())
        .map(|(keyword, parts)| format!("{keyword} {}", parts.join(", ")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Guards that keep each `Add` within i64, as the port requires (the embedded engine refuses
/// an overflowing `Add` as Invalid; DynamoDB's numbers have 38 digits and would take it, and
/// the result could then not be read back). None when no `Add` can overflow. A guard only
/// judges numbers: on another type, DynamoDB's own type check refuses the `ADD`.
pub(super) fn add_guards(updates: &[Update], p: &mut Placeholders) -> Option<String> {
    let guards: Vec<String> = updates
        .iter()
        .filter_map(|update| match update {
            Update::Add(name, delta) if *delta != 0 => Some((name, *delta)),
            _ => None,
        })
        .map(|(name, delta)| {
            let (op, limit) = if delta > 0 { ("<=", i64::MAX - delta) } else { (">=", i64::MIN - delta) };
            let name = p.name(name);
            let number = p.value(AttributeValue::S("N".to_owned()));
            let limit = p.value(to_dynamo(&AttrValue::N(limit)));
            format!("(attribute_not_exists({name}) OR NOT attribute_type({name}, {number}) OR {name} {op} {limit})")
        })
        .collect();
    match guards.len() {
        0 => None,
        1 => guards.into_iter().next(),
        _ => Some(format!("({})", guards.join(" AND "))),
    }
}

/// The KeyConditionExpression of a query of partition `pk`; None when no item can match (a
/// `Between("", "")`: key attributes are never empty, and DynamoDB refuses an empty string
/// as a key value).
pub(super) fn key_condition(index: Index, pk: &str, sk: &SortKeyCondition, p: &mut Placeholders) -> Option<String> {
    let (pk_name, sk_name) = match index {
        Index::Base => (super::PK, super::SK),
        Index::Gsi1 => (GSI1_PK, GSI1_SK),
    };
    let partition = format!("{} = {}", p.name(pk_name), p.value(AttributeValue::S(pk.to_owned())));
    let range = match sk {
        SortKeyCondition::All => None,
        // The port's convention: an empty prefix means all.
        SortKeyCondition::BeginsWith(prefix) if prefix.is_empty() => None,
        SortKeyCondition::BeginsWith(prefix) => {
            Some(format!("begins_with({}, {})", p.name(sk_name), p.value(AttributeValue::S(prefix.clone()))))
        }
        // Every sort key is above "", so the range is just its upper end.
        SortKeyCondition::Between(low, high) if low.is_empty() => {
            if high.is_empty() {
                return None;
            }
            Some(format!("{} <= {}", p.name(sk_name), p.value(AttributeValue::S(high.clone()))))
        }
        SortKeyCondition::Between(low, high) => Some(format!(
            "{} BETWEEN {} AND {}",
            p.name(sk_name),
            p.value(AttributeValue::S(low.clone())),
            p.value(AttributeValue::S(high.clone()))
        )),
    };
    Some(match range {
        None => partition,
        Some(range) => format!("{partition} AND {range}"),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// Names and values that would change an expression's meaning if spliced into it.
    const HOSTILE_NAME: &str = "size) OR attribute_exists(#n0";
    const HOSTILE_VALUE: &str = "x' OR :v0 = :v0 --";

    fn s(value: &str) -> AttrValue {
        AttrValue::S(value.to_owned())
    }

    fn maps(p: Placeholders) -> (Names, Values) {
        let (names, values) = p.into_maps();
        (names.unwrap_or_default(), values.unwrap_or_default())
    }

    #[test]
    fn conditions_use_placeholders_only() {
        let mut p = Placeholders::default();
        let c = Condition::And(vec![
            Condition::NotExists,
            Condition::AttrEq(HOSTILE_NAME.into(), s(HOSTILE_VALUE)),
            Condition::AttrNe("status".into(), AttrValue::N(3)),
            Condition::AttrLessThan("used".into(), 10),
            Condition::AttrLessThanAttr("used".into(), "purchased".into()),
            Condition::AttrAtLeast("free".into(), 2),
            Condition::And(vec![]),
        ]);
        let expr = condition(&c, &mut p).expect("an expression");
        assert_eq!(
            expr,
            "(attribute_not_exists(#n0) AND #n1 = :v0 AND (attribute_not_exists(#n2) OR #n2 <> :v1) \
             AND (attribute_type(#n3, :v2) AND #n3 < :v3) \
             AND (attribute_type(#n3, :v4) AND attribute_type(#n4, :v4) AND #n3 < #n4) \
             AND (attribute_type(#n5, :v5) AND #n5 >= :v6))"
        );
        let (names, values) = maps(p);
        assert_eq!(names.get("#n0").map(String::as_str), Some("pk"));
        assert_eq!(names.get("#n1").map(String::as_str), Some(HOSTILE_NAME));
        assert_eq!(names.get("#n4").map(String::as_str), Some("purchased"));
        assert_eq!(names.get("#n5").map(String::as_str), Some("free"));
        assert_eq!(names.len(), 6, "one placeholder per name");
        assert_eq!(values.get(":v0"), Some(&AttributeValue::S(HOSTILE_VALUE.into())));
        assert_eq!(values.get(":v1"), Some(&AttributeValue::N("3".into())));
        assert_eq!(values.get(":v2"), Some(&AttributeValue::S("N".into())));
        assert_eq!(values.get(":v3"), Some(&AttributeValue::N("10".into())));
        assert_eq!(values.get(":v4"), Some(&AttributeValue::S("N".into())));
        assert_eq!(values.get(":v5"), Some(&AttributeValue::S("N".into())));
        assert_eq!(values.get(":v6"), Some(&AttributeValue::N("2".into())));
        assert_eq!(values.len(), 7);
    }

    #[test]
    fn empty_conditions_always_hold() {
        let mut p = Placeholders::default();
        assert_eq!(condition(&Condition::And(vec![]), &mut p), None);
        assert_eq!(condition(&Condition::And(vec![Condition::And(vec![])]), &mut p), None);
        assert_eq!(p.into_maps(), (None, None), "no unused placeholder is declared");
        let mut p = Placeholders::default();
        assert_eq!(
            condition(&Condition::And(vec![Condition::Exists]), &mut p).as_deref(),
            Some("attribute_exists(#n0)")
        );
        let mut p = Placeholders::default();
        assert_eq!(always(&mut p), "(attribute_exists(#n0) OR attribute_not_exists(#n0))");
    }

    #[test]
    fn updates_group_into_clauses() {
        let mut p = Placeholders::default();
        let set: BTreeSet<String> = ["b".to_owned(), "a".to_owned()].into_iter().collect();
        let updates = vec![
            Update::Add("count".into(), -2),
            Update::Set(HOSTILE_NAME.into(), s(HOSTILE_VALUE)),
            Update::Remove("gone".into()),
            Update::AddToSet("tags".into(), set.clone()),
            Update::DeleteFromSet("old".into(), set),
            Update::Set("flag".into(), AttrValue::Bool(true)),
        ];
        let expr = update(&updates, &mut p);
        assert_eq!(expr, "SET #n1 = :v1, #n5 = :v4 REMOVE #n2 ADD #n0 :v0, #n3 :v2 DELETE #n4 :v3");
        let (names, values) = maps(p);
        assert_eq!(names.get("#n1").map(String::as_str), Some(HOSTILE_NAME));
        assert_eq!(values.get(":v0"), Some(&AttributeValue::N("-2".into())));
        assert_eq!(values.get(":v1"), Some(&AttributeValue::S(HOSTILE_VALUE.into())));
        assert_eq!(values.get(":v2"), Some(&AttributeValue::Ss(vec!["a".into(), "b".into()])));
        assert_eq!(values.get(":v4"), Some(&AttributeValue::Bool(true)));
    }

    #[test]
    fn add_guards_bound_the_sum_within_i64() {
        let mut p = Placeholders::default();
        let updates = vec![
            Update::Add("up".into(), 5),
            Update::Add("zero".into(), 0),
            Update::Add("down".into(), -5),
            Update::Remove("x".into()),
        ];
        let guard = add_guards(&updates, &mut p).expect("guards");
        assert_eq!(
            guard,
            "((attribute_not_exists(#n0) OR NOT attribute_type(#n0, :v0) OR #n0 <= :v1) AND \
             (attribute_not_exists(#n1) OR NOT attribute_type(#n1, :v2) OR #n1 >= :v3))"
        );
        let (names, values) = maps(p);
        assert_eq!(names.get("#n1").map(String::as_str), Some("down"));
        assert_eq!(values.get(":v1"), Some(&AttributeValue::N((i64::MAX - 5).to_string())));
        assert_eq!(values.get(":v3"), Some(&AttributeValue::N((i64::MIN + 5).to_string())));
        let mut p = Placeholders::default();
        assert_eq!(add_guards(&[Update::Add("n".into(), 0), Update::Set("s".into(), s("x"))], &mut p), None);
        assert_eq!(p.into_maps(), (None, None));
    }

    #[test]
    fn key_conditions() {
        let cases = [
            (Index::Base, SortKeyCondition::All, Some("#n0 = :v0")),
            (Index::Base, SortKeyCondition::BeginsWith(String::new()), Some("#n0 = :v0")),
            (Index::Gsi1, SortKeyCondition::BeginsWith("a".into()), Some("#n0 = :v0 AND begins_with(#n1, :v1)")),
            (
                Index::Base,
                SortKeyCondition::Between("a".into(), "b".into()),
                Some("#n0 = :v0 AND #n1 BETWEEN :v1 AND :v2"),
            ),
            (Index::Base, SortKeyCondition::Between(String::new(), "b".into()), Some("#n0 = :v0 AND #n1 <= :v1")),
            (Index::Base, SortKeyCondition::Between(String::new(), String::new()), None),
        ];
        for (index, sk, expected) in cases {
            let mut p = Placeholders::default();
            assert_eq!(key_condition(index, "P' OR 1=1", &sk, &mut p).as_deref(), expected, "{index:?} {sk:?}");
            if expected.is_some() {
                let (names, values) = maps(p);
                let (pk, sk) = if index == Index::Base { ("pk", "sk") } else { (GSI1_PK, GSI1_SK) };
                assert_eq!(names.get("#n0").map(String::as_str), Some(pk));
                if let Some(name) = names.get("#n1") {
                    assert_eq!(name, sk);
                }
                assert_eq!(values.get(":v0"), Some(&AttributeValue::S("P' OR 1=1".into())));
            }
        }
    }
}
