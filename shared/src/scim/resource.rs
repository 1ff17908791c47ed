//! Incoming resources checked against the schema, and outgoing ones projected for the client.
//!
//! - [`validate`] turns a POST or PUT body into the resource's *document*: the attributes the
//!   client owns, canonically named, type-checked. The `document` submodule describes that
//!   shape and holds the one code that writes it, which the PATCH engine uses too, so a body
//!   and a PATCH agree on every value.
//! - [`take_members`] takes a Group body's member ids, which live outside the document.
//! - [`Projection`] applies `returned` (RFC 7643 §7) and `attributes` / `excludedAttributes`
//!   (RFC 7644 §3.9) to a rendered resource.

pub(crate) mod document;

/// Most bytes of a resource's document (its JSON text) the service keeps. A store item holds
/// at most 400 KB (DynamoDB's limit, on both engines); the rest is room for a user's `groups`
/// (thousands of groups) and the directory's own attributes.
pub const MAX_DOCUMENT_BYTES: usize = 256 * 1024;

use std::collections::HashSet;

use serde_json::Value;

use self::document::{Effort, Entry, Mode, Object, PatchOp, Resolved, Target};
use super::path::AttrPath;
use super::schema::{Attribute, ResourceType, Returned, GROUP};
use super::ScimError;

/// Checks a POST or PUT body against `rt` and returns the attributes the client owns, in
/// canonical form: attribute names spelled as the schema spells them (whatever case the
/// client used), extension attributes under their URN key, booleans sent as the strings
/// "True"/"False" turned into booleans, readOnly attributes (`id`, `meta`, `groups`, …) and
/// writeOnly ones (`password`) and unknown attributes dropped, `schemas` dropped.
///
/// Errors (400): not an object; `schemas` missing or without the core schema, or naming a
/// schema `rt` does not know (`invalidValue`/`invalidSyntax`); a value of the wrong type, a
/// required attribute missing, more than one `primary: true` (`invalidValue`).
///
/// Chosen details: `schemas` missing or not an array of strings is `invalidSyntax`; without
/// the core URN or with an unknown URN `invalidValue`. Extension attributes are accepted under
/// their URN (any case) and as top-level `urn:…:attr` keys, also when `schemas` omits the
/// extension. A single value for a multi-valued attribute is taken as a one-element array,
/// and `null` as no value. A Group's `members` are checked (as [`take_members`] does) but
/// are not part of the document.
pub fn validate(body: &Value, rt: &ResourceType) -> Result<Value, ScimError> {
    let obj = body
        .as_object()
        .ok_or_else(|| ScimError::invalid_syntax(format!("The body must be a JSON object: a SCIM {}.", rt.name)))?;
    check_schemas(obj, rt)?;
    if rt.schema.id == GROUP {
        take_members(body)?;
    }
    // A body is an `add` of each of its attributes to an empty document: dotted and URN keys
    // naming the same attribute merge instead of overwriting each other.
    let mut doc = Object::new();
    let mut effort = Effort::new();
    for entry in document::entries(rt, obj, None, Mode::Body)? {
        if let Entry::At(target, value) = entry {
            document::apply_at(&mut doc, PatchOp::Add, target, None, Some(value), &mut effort)?;
        }
    }
    document::check_document(&doc, rt)?;
    Ok(Value::Object(doc))
}

/// For a PUT: checks the new document (from [`validate`]) against the stored one for
/// `immutable` attributes (RFC 7644 §3.5.1): a value already set must come back unchanged,
/// else 400 `mutability`; setting one that was absent is allowed. (No attribute of the
/// current schemas that lives in the document is immutable, so this passes today; calling it
/// keeps PUT right if the schema gains one. PATCH checks this itself.)
pub fn check_immutable(old: &Value, new: &Value, rt: &ResourceType) -> Result<(), ScimError> {
    let empty = Object::new();
    document::check_immutable(old.as_object().unwrap_or(&empty), new.as_object().unwrap_or(&empty), rt)
}

fn check_schemas(obj: &Object, rt: &ResourceType) -> Result<(), ScimError> {
    let core = rt.schema.id;
    let Some(Value::Array(urns)) = document::get_ci(obj, "schemas") else {
        return Err(ScimError::invalid_syntax(format!("`schemas` must be an array that includes \"{core}\".")));
    };
    let mut has_core = false;
    for urn in urns {
        let Some(urn) = urn.as_str() else {
            return Err(ScimError::invalid_syntax("`schemas` must be an array of schema URNs (strings)."));
        };
        match rt.schema_by_urn(urn) {
            Some(schema) => has_core |= schema.id == core,
            None => {
                return Err(ScimError::invalid_value(format!(
                    "`schemas` names an unknown schema for a {}: \"{urn}\".",
                    rt.name
                )))
            }
        }
    }
    if !has_core {
        return Err(ScimError::invalid_value(format!("`schemas` must include \"{core}\".")));
    }
    Ok(())
}

/// The member ids of a POST or PUT Group body, in order and without duplicates (members are
/// stored as items of their own, not in the document [`validate`] returns).
///
/// `members` (any case) may be absent or `null` (no members), an array of objects, or one
/// object; each needs a non-empty string `value`, the member's id; other sub-attributes
/// (`display`, `$ref`, `type`) are ignored. Errors (400): the body is not an object
/// (`invalidSyntax`); a malformed member (`invalidValue`).
pub fn take_members(body: &Value) -> Result<Vec<String>, ScimError> {
    let obj =
        body.as_object().ok_or_else(|| ScimError::invalid_syntax("The body must be a JSON object: a SCIM Group."))?;
    document::get_ci(obj, "members").map_or(Ok(Vec::new()), member_ids)
}

/// The ids in a `members` value (`[{"value": "<id>"}, …]`; also one object alone; `null` is
/// none), in order, without duplicates. Shared by bodies and PATCH.
pub(crate) fn member_ids(value: &Value) -> Result<Vec<String>, ScimError> {
    let items = match value {
        Value::Null => return Ok(Vec::new()),
        Value::Array(items) => items.as_slice(),
        Value::Object(_) => std::slice::from_ref(value),
        _ => return Err(bad_members()),
    };
    let mut seen = HashSet::with_capacity(items.len());
    let mut ids = Vec::with_capacity(items.len());
    for item in items {
        let id = item.as_object().and_then(|m| document::get_ci(m, "value")).ok_or_else(bad_members)?;
        match id {
            Value::String(id) if !id.is_empty() => {
                if seen.insert(id.as_str()) {
                    ids.push(id.clone());
                }
            }
            _ => {
                return Err(ScimError::invalid_value("A member's `value` must be the member's id, a non-empty string."))
            }
        }
    }
    Ok(ids)
}

fn bad_members() -> ScimError {
    ScimError::invalid_value("`members` must be an array of objects, each with the member's id as `value`.")
}

/// The `attributes` / `excludedAttributes` query parameters, parsed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Projection {
    pub attributes: Vec<AttrPath>,
    pub excluded: Vec<AttrPath>,
}

impl Projection {
    /// Parses the comma-separated parameters (either may be absent). Errors are 400.
    ///
    /// Each item is an attribute path (whitespace around it ignored, empty items skipped); a
    /// bare schema URN names that whole extension.
    pub fn parse(attributes: Option<&str>, excluded: Option<&str>) -> Result<Projection, ScimError> {
        Ok(Projection { attributes: parse_list(attributes)?, excluded: parse_list(excluded)? })
    }

    /// Whether the client would see `attr` (a top-level attribute of the core schema, e.g.
    /// `members` or `groups`), so the directory can skip loading what is not wanted.
    pub fn wants(&self, rt: &ResourceType, attr: &str) -> bool {
        match document::resolve(rt, None, attr, None) {
            Some(Resolved::Attr(target)) => self.keep(&Picks::new(self, rt), &target) != Keep::Nothing,
            // Not an attribute of the schema: nothing here decides against it.
            _ => true,
        }
    }

    /// Applies RFC 7643 `returned` and RFC 7644 §3.9 to a whole resource: `always`
    /// attributes (id, schemas, …) are kept, `never` (password) removed, `request` only when
    /// asked; sub-attributes can be selected (`name.givenName`) or excluded; `schemas` lists
    /// only the extension URNs still present.
    ///
    /// When `attributes` is given, `excludedAttributes` is not looked at. Keys that are no
    /// attribute of `rt` are dropped when selecting and kept when excluding.
    pub fn apply(&self, resource: Value, rt: &ResourceType) -> Value {
        let Value::Object(resource) = resource else { return resource };
        let picks = Picks::new(self, rt);
        let mut out = Object::new();
        // `schemas` is always returned, first; its list is settled at the end.
        out.insert("schemas".into(), Value::Null);
        for (key, value) in resource {
            if key == "schemas" {
                continue;
            }
            let extension = rt.schema_by_urn(&key).filter(|s| s.id != rt.schema.id);
            if let Some(schema) = extension {
                let Value::Object(inner) = value else { continue };
                let mut kept = Object::new();
                for (name, v) in inner {
                    match schema.attribute(&name) {
                        Some(attr) => {
                            let target = Target { ext: Some(schema.id), attr, sub: None };
                            if let Some(v) = shape(attr, v, &self.keep(&picks, &target)) {
                                kept.insert(canonical(name, attr), v);
                            }
                        }
                        None if !picks.selecting => {
                            kept.insert(name, v);
                        }
                        None => {}
                    }
                }
                if !kept.is_empty() {
                    out.insert(schema.id.to_string(), Value::Object(kept));
                }
                continue;
            }
            match rt.attribute(None, &key) {
                Some((_, attr)) => {
                    let target = Target { ext: None, attr, sub: None };
                    if let Some(v) = shape(attr, value, &self.keep(&picks, &target)) {
                        out.insert(canonical(key, attr), v);
                    }
                }
                None if !picks.selecting => {
                    out.insert(key, value);
                }
                None => {}
            }
        }
        let urns = std::iter::once(rt.schema.id)
            .chain(rt.extensions.iter().map(|(s, _)| s.id).filter(|urn| out.contains_key(*urn)))
            .map(Value::from)
            .collect();
        out["schemas"] = Value::Array(urns);
        Value::Object(out)
    }

    /// What of the top-level attribute `target` the client sees.
    fn keep(&self, picks: &Picks, target: &Target) -> Keep {
        let attr = target.attr;
        match attr.returned {
            Returned::Never => return Keep::Nothing,
            Returned::Always => return Keep::All,
            Returned::Default | Returned::Request => {}
        }
        let schema_named = picks.schemas.iter().any(|urn| Some(*urn) == target.ext);
        let named: Vec<&Target> = picks.targets.iter().filter(|t| t.same_attr(target)).collect();
        let whole = schema_named || named.iter().any(|t| t.sub.is_none());
        let subs = || named.iter().filter_map(|t| t.sub.map(|s| s.name)).collect::<Vec<_>>();
        if picks.selecting {
            match (whole, named.is_empty()) {
                (true, _) => Keep::All,
                (false, false) => Keep::Only(subs()),
                (false, true) => Keep::Nothing,
            }
        } else if whole || attr.returned == Returned::Request {
            Keep::Nothing
        } else if named.is_empty() {
            Keep::All
        } else {
            Keep::Except(subs())
        }
    }
}

/// The paths of a projection resolved against a resource type, once per resource.
struct Picks {
    /// Whether `attributes` is in force (else `excludedAttributes`, possibly empty).
    selecting: bool,
    targets: Vec<Target>,
    /// Extension URNs named as a whole.
    schemas: Vec<&'static str>,
}

impl Picks {
    fn new(projection: &Projection, rt: &ResourceType) -> Picks {
        let selecting = !projection.attributes.is_empty();
        let paths = if selecting { &projection.attributes } else { &projection.excluded };
        let mut picks = Picks { selecting, targets: Vec::new(), schemas: Vec::new() };
        // Paths naming no attribute of `rt` select nothing (RFC 7644 §3.9 leaves them to us;
        // failing would break a client that asks the same of Users and Groups).
        for path in paths {
            match document::resolve_path(rt, path, None) {
                Some(Resolved::Attr(t)) => picks.targets.push(t),
                Some(Resolved::Schema(s)) if s.id != rt.schema.id => picks.schemas.push(s.id),
                // The core URN alone names every core attribute: the same as no selection of it.
                Some(Resolved::Schema(_)) => {
                    for attr in rt.schema.attributes {
                        picks.targets.push(Target { ext: None, attr, sub: None });
                    }
                }
                None => {}
            }
        }
        picks
    }
}

/// What of one attribute's value the client sees.
#[derive(Debug, PartialEq)]
enum Keep {
    All,
    /// Only these sub-attributes (plus `always` ones).
    Only(Vec<&'static str>),
    /// All but these sub-attributes.
    Except(Vec<&'static str>),
    Nothing,
}

/// The schema's spelling of `attr`, reusing `key` when it already is (the usual case: stored
/// documents are canonical).
fn canonical(key: String, attr: &Attribute) -> String {
    if key == attr.name {
        key
    } else {
        attr.name.to_owned()
    }
}

/// `value` of `attr` cut down to what `keep` allows; None when nothing is left.
fn shape(attr: &Attribute, value: Value, keep: &Keep) -> Option<Value> {
    if *keep == Keep::Nothing {
        return None;
    }
    if attr.sub_attributes.is_empty() {
        return Some(value);
    }
    let wanted = |name: &str| {
        let Some(sub) = attr.sub_attribute(name) else { return !matches!(keep, Keep::Only(_)) };
        let named = |subs: &Vec<&str>| subs.iter().any(|s| s.eq_ignore_ascii_case(name));
        match (sub.returned, keep) {
            (Returned::Never, _) => false,
            (Returned::Always, _) => true,
            (_, Keep::Only(subs)) => named(subs),
            (Returned::Request, _) => false,
            (_, Keep::Except(subs)) => !named(subs),
            _ => true,
        }
    };
    // Cut in place: rebuilding every email and group entry of a page cost more than the rest
    // of the projection.
    let cut = |v: Value| match v {
        Value::Object(mut obj) => {
            obj.retain(|k, _| wanted(k));
            (!obj.is_empty()).then_some(Value::Object(obj))
        }
        other => Some(other),
    };
    match value {
        Value::Array(items) => {
            let items: Vec<Value> = items.into_iter().filter_map(cut).collect();
            (!items.is_empty()).then_some(Value::Array(items))
        }
        other => cut(other),
    }
}

fn parse_list(list: Option<&str>) -> Result<Vec<AttrPath>, ScimError> {
    // A bare schema URN parses as its last segment under the rest (`urn:…:2.0` + `User`),
    // which `document::resolve` reads back as the whole schema.
    list.unwrap_or_default().split(',').map(str::trim).filter(|p| !p.is_empty()).map(AttrPath::parse).collect()
}

/// A resource type for tests that need characteristics the real schemas lack: an extension
/// with an immutable, an integer, a decimal, a dateTime and a `returned: request` attribute.
#[cfg(test)]
pub(crate) mod testing {
    use crate::scim::schema::{attr, AttrType, Attribute, Mutability, ResourceType, Returned, Schema, USER_SCHEMA};

    pub const BADGE_URN: &str = "urn:example:params:scim:schemas:extension:badge:2.0:User";

    pub static BADGE_SCHEMA: Schema = Schema {
        id: BADGE_URN,
        name: "Badge",
        description: "test",
        attributes: &[
            Attribute { mutability: Mutability::Immutable, ..attr("badge", AttrType::String, "test") },
            attr("floor", AttrType::Integer, "test"),
            attr("score", AttrType::Decimal, "test"),
            attr("hired", AttrType::DateTime, "test"),
            Attribute { returned: Returned::Request, ..attr("pin", AttrType::String, "test") },
        ],
    };

    pub static BADGE_TYPE: ResourceType = ResourceType {
        id: "User",
        name: "User",
        endpoint: "/Users",
        description: "test",
        schema: &USER_SCHEMA,
        extensions: &[(&BADGE_SCHEMA, false)],
    };
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::testing::{BADGE_TYPE, BADGE_URN};
    use super::*;
    use crate::scim::schema::{ENTERPRISE_USER, GROUP_TYPE, USER, USER_TYPE};
    use crate::scim::ScimType;

    fn kind(e: &ScimError) -> (u16, Option<ScimType>) {
        (e.status, e.scim_type)
    }

    const BAD_VALUE: (u16, Option<ScimType>) = (400, Some(ScimType::InvalidValue));
    const BAD_SYNTAX: (u16, Option<ScimType>) = (400, Some(ScimType::InvalidSyntax));

    fn valid(body: Value) -> Value {
        validate(&body, &USER_TYPE).unwrap_or_else(|e| panic!("{body}: {}", e.detail))
    }

    fn invalid(body: Value) -> ScimError {
        validate(&body, &USER_TYPE).unwrap_err()
    }

    // ----- validate -----

    #[test]
    fn okta_create_body_becomes_the_document() {
        let doc = valid(json!({
            "schemas": [USER, ENTERPRISE_USER],
            "userName": "ada@example.com",
            "name": {"givenName": "Ada", "familyName": "Lovelace"},
            "emails": [{"primary": true, "value": "ada@example.com", "type": "work"}],
            "displayName": "Ada Lovelace",
            "locale": "en-GB",
            "externalId": "00u1",
            "groups": [],
            "password": "tOp-s3cret",
            "active": true,
            ENTERPRISE_USER: {"employeeNumber": "1815", "department": "Analytics"},
        }));
        assert_eq!(
            doc,
            json!({
                "userName": "ada@example.com",
                "name": {"givenName": "Ada", "familyName": "Lovelace"},
                "emails": [{"primary": true, "value": "ada@example.com", "type": "work"}],
                "displayName": "Ada Lovelace",
                "locale": "en-GB",
                "externalId": "00u1",
                "active": true,
                ENTERPRISE_USER: {"employeeNumber": "1815", "department": "Analytics"},
            })
        );
    }

    #[test]
    fn okta_put_drops_read_only_write_only_and_unknown_attributes() {
        let doc = valid(json!({
            "schemas": [USER],
            "id": "6b0c…",
            "meta": {"resourceType": "User", "version": "W/\"3\""},
            "userName": "ada",
            "groups": [{"value": "g1", "display": "Sales"}],
            "password": "x",
            "customAttribute": "?",
            "urn:okta:custom:1.0": {"a": 1},
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager": {"value": "u2", "displayName": "Boss"},
        }));
        assert_eq!(doc, json!({"userName": "ada", ENTERPRISE_USER: {"manager": {"value": "u2"}}}));
    }

    #[test]
    fn names_are_canonicalised_whatever_their_case() {
        let doc = valid(json!({
            "SCHEMAS": ["urn:IETF:params:scim:schemas:core:2.0:user"],
            "USERNAME": "ada",
            "Name": {"GIVENNAME": "Ada", "unknownPart": "x"},
            "name.FamilyName": "Lovelace",
            "urn:ietf:params:scim:schemas:extension:ENTERPRISE:2.0:User": {"EmployeeNumber": "7"},
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:Department": "R&D",
            "urn:ietf:params:scim:schemas:core:2.0:User:title": "Countess",
            "EMAILS": [{"VALUE": "a@x", "Type": "work"}],
        }));
        assert_eq!(
            doc,
            json!({
                "userName": "ada",
                "name": {"givenName": "Ada", "familyName": "Lovelace"},
                ENTERPRISE_USER: {"employeeNumber": "7", "department": "R&D"},
                "title": "Countess",
                "emails": [{"value": "a@x", "type": "work"}],
            })
        );
        // The extension URN key comes out canonical, and the extension need not be in `schemas`.
        assert!(doc.as_object().unwrap().contains_key(ENTERPRISE_USER));
    }

    #[test]
    fn lenient_values() {
        let doc = valid(json!({
            "schemas": [USER],
            "userName": "ada",
            "active": "True",
            "emails": {"value": "a@x", "primary": "False"},
            "title": null,
            "name": {"givenName": null},
            "phoneNumbers": [],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager": "u-9",
        }));
        assert_eq!(
            doc,
            json!({
                "userName": "ada",
                "active": true,
                "emails": [{"value": "a@x", "primary": false}],
                ENTERPRISE_USER: {"manager": {"value": "u-9"}},
            })
        );
    }

    #[test]
    fn schemas_rules() {
        for (body, expected) in [
            (json!({"userName": "ada"}), BAD_SYNTAX),
            (json!({"schemas": USER, "userName": "ada"}), BAD_SYNTAX),
            (json!({"schemas": [1], "userName": "ada"}), BAD_SYNTAX),
            (json!({"schemas": [ENTERPRISE_USER], "userName": "ada"}), BAD_VALUE),
            (json!({"schemas": [crate::scim::schema::GROUP], "userName": "ada"}), BAD_VALUE),
            (json!({"schemas": [USER, "urn:example:unknown"], "userName": "ada"}), BAD_VALUE),
        ] {
            let e = invalid(body.clone());
            assert_eq!(kind(&e), expected, "{body}: {}", e.detail);
        }
        let e = invalid(json!({"schemas": [USER, "urn:example:unknown"], "userName": "ada"}));
        assert!(e.detail.contains("unknown schema"), "{}", e.detail);
        assert_eq!(kind(&validate(&json!([]), &USER_TYPE).unwrap_err()), BAD_SYNTAX);
    }

    #[test]
    fn required_attributes() {
        for body in [
            json!({"schemas": [USER]}),
            json!({"schemas": [USER], "userName": ""}),
            json!({"schemas": [USER], "userName": "  "}),
            json!({"schemas": [USER], "userName": null}),
        ] {
            let e = invalid(body.clone());
            assert_eq!(kind(&e), BAD_VALUE, "{body}");
            assert!(e.detail.contains("userName"), "{}", e.detail);
        }
        let e = validate(&json!({"schemas": [crate::scim::schema::GROUP], "members": []}), &GROUP_TYPE).unwrap_err();
        assert_eq!(kind(&e), BAD_VALUE);
        assert!(e.detail.contains("displayName"), "{}", e.detail);
    }

    #[test]
    fn odd_keys_are_just_unknown() {
        let doc = valid(json!({
            "schemas": [USER],
            "userName": "ada",
            "émail": 1,
            "urn:": 2,
            "urn:ietf:params:scim:schemas:core:2.0:User:": 3,
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:": 4,
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:Userx": 5,
            "name.": 6,
            ".": 7,
            "": 8,
        }));
        assert_eq!(doc, json!({"userName": "ada"}));
    }

    #[test]
    fn put_keeps_immutable_values() {
        let old = json!({"userName": "a", BADGE_URN: {"badge": "B-1"}});
        assert!(check_immutable(&old, &json!({"userName": "b", BADGE_URN: {"badge": "B-1"}}), &BADGE_TYPE).is_ok());
        assert!(check_immutable(&json!({"userName": "a"}), &old, &BADGE_TYPE).is_ok());
        let e = check_immutable(&old, &json!({"userName": "a", BADGE_URN: {"badge": "B-2"}}), &BADGE_TYPE).unwrap_err();
        assert_eq!(kind(&e), (400, Some(ScimType::Mutability)));
        assert!(check_immutable(&old, &json!({"userName": "a"}), &USER_TYPE).is_ok());
    }

    #[test]
    fn one_primary_value_at_most() {
        let e = invalid(json!({"schemas": [USER], "userName": "ada", "emails": [
            {"value": "a@x", "primary": true},
            {"value": "b@x", "primary": "True"},
        ]}));
        assert_eq!(kind(&e), BAD_VALUE);
        assert!(e.detail.contains("emails"), "{}", e.detail);
    }

    #[test]
    fn wrong_types_are_invalid_value() {
        for (attr, value) in [
            ("userName", json!(7)),
            ("active", json!("yes")),
            ("active", json!(1)),
            ("name", json!("Ada Lovelace")),
            ("emails", json!([{"value": 5}])),
            ("emails", json!([["a@x"]])),
            ("profileUrl", json!({"href": "x"})),
            (ENTERPRISE_USER, json!("R&D")),
        ] {
            let mut body = json!({"schemas": [USER], "userName": "ada"});
            body[attr] = value;
            let e = invalid(body.clone());
            assert_eq!(kind(&e), BAD_VALUE, "{body}: {}", e.detail);
        }
    }

    #[test]
    fn integer_decimal_and_date_time_types() {
        let check = |ext: Value| {
            validate(&json!({"schemas": [USER], "userName": "ada", BADGE_URN: ext}), &BADGE_TYPE)
                .map(|doc| doc[BADGE_URN].clone())
        };
        assert_eq!(
            check(json!({"floor": 3.0, "score": 4.5, "hired": "2024-05-01T12:00:00+02:00"})).unwrap(),
            json!({"floor": 3, "score": 4.5, "hired": "2024-05-01T12:00:00+02:00"})
        );
        for bad in [
            json!({"floor": 3.5}),
            json!({"floor": "3"}),
            json!({"score": "4.5"}),
            json!({"hired": "yesterday"}),
            json!({"hired": "2024-05-01"}),
            json!({"hired": 1714557600}),
        ] {
            assert_eq!(kind(&check(bad.clone()).unwrap_err()), BAD_VALUE, "{bad}");
        }
    }

    #[test]
    fn group_members_are_checked_but_not_in_the_document() {
        let body = json!({
            "schemas": [crate::scim::schema::GROUP],
            "displayName": "Sales",
            "members": [{"value": "u1", "display": "A"}, {"value": "u2"}, {"value": "u1"}],
        });
        assert_eq!(validate(&body, &GROUP_TYPE).unwrap(), json!({"displayName": "Sales"}));
        assert_eq!(take_members(&body).unwrap(), ["u1", "u2"]);
        assert_eq!(take_members(&json!({"displayName": "x"})).unwrap(), Vec::<String>::new());
        assert_eq!(take_members(&json!({"Members": null})).unwrap(), Vec::<String>::new());
        assert_eq!(take_members(&json!({"members": {"value": "u3"}})).unwrap(), ["u3"]);
        for bad in [
            json!({"members": "u1"}),
            json!({"members": ["u1"]}),
            json!({"members": [{"display": "A"}]}),
            json!({"members": [{"value": 1}]}),
            json!({"members": [{"value": ""}]}),
        ] {
            assert_eq!(kind(&take_members(&bad).unwrap_err()), BAD_VALUE, "{bad}");
            let mut body = bad.clone();
            body["schemas"] = json!([crate::scim::schema::GROUP]);
            body["displayName"] = json!("G");
            assert_eq!(kind(&validate(&body, &GROUP_TYPE).unwrap_err()), BAD_VALUE, "{bad}");
        }
        assert_eq!(kind(&take_members(&json!([])).unwrap_err()), BAD_SYNTAX);
    }

    // ----- projection -----

    fn rendered() -> Value {
        json!({
            "schemas": [USER, ENTERPRISE_USER],
            "id": "u-1",
            "externalId": "00u1",
            "userName": "ada",
            "name": {"givenName": "Ada", "familyName": "Lovelace"},
            "emails": [{"value": "a@x", "type": "work", "primary": true}, {"value": "b@x", "type": "home"}],
            "active": true,
            "password": "leaked?",
            "groups": [{"value": "g1", "display": "Sales"}],
            ENTERPRISE_USER: {"employeeNumber": "7", "department": "R&D"},
            "meta": {"resourceType": "User", "version": "W/\"1\""},
        })
    }

    fn project(attributes: Option<&str>, excluded: Option<&str>) -> Value {
        Projection::parse(attributes, excluded).unwrap().apply(rendered(), &USER_TYPE)
    }

    #[test]
    fn parse_splits_and_trims() {
        let p = Projection::parse(Some(" userName , name.givenName,,"), Some(ENTERPRISE_USER)).unwrap();
        assert_eq!(
            p.attributes,
            vec![AttrPath::parse("userName").unwrap(), AttrPath::parse("name.givenName").unwrap()]
        );
        assert_eq!(p.excluded.len(), 1);
        assert_eq!(Projection::parse(None, None).unwrap(), Projection::default());
        assert_eq!(kind(&Projection::parse(Some("a b"), None).unwrap_err()), BAD_VALUE);
        assert_eq!(kind(&Projection::parse(None, Some("name..givenName")).unwrap_err()), BAD_VALUE);
    }

    #[test]
    fn by_default_everything_but_never_returned() {
        let mut expected = rendered();
        expected.as_object_mut().unwrap().shift_remove("password");
        assert_eq!(project(None, None), expected);
        assert_eq!(Projection::default().apply(json!("not an object"), &USER_TYPE), json!("not an object"));
    }

    #[test]
    fn attributes_select_plus_always_returned() {
        assert_eq!(project(Some("userName"), None), json!({"schemas": [USER], "id": "u-1", "userName": "ada"}));
        assert_eq!(
            project(Some("USERNAME,name.givenName,emails.value,password"), None),
            json!({
                "schemas": [USER],
                "id": "u-1",
                "userName": "ada",
                "name": {"givenName": "Ada"},
                "emails": [{"value": "a@x"}, {"value": "b@x"}],
            })
        );
    }

    #[test]
    fn attributes_inside_an_extension() {
        assert_eq!(
            project(Some(&format!("{ENTERPRISE_USER}:department,meta.version")), None),
            json!({
                "schemas": [USER, ENTERPRISE_USER],
                "id": "u-1",
                ENTERPRISE_USER: {"department": "R&D"},
                "meta": {"version": "W/\"1\""},
            })
        );
        assert_eq!(
            project(Some(&format!("userName,{}", ENTERPRISE_USER.to_lowercase())), None),
            json!({
                "schemas": [USER, ENTERPRISE_USER],
                "id": "u-1",
                "userName": "ada",
                ENTERPRISE_USER: {"employeeNumber": "7", "department": "R&D"},
            })
        );
    }

    #[test]
    fn excluded_attributes() {
        let got = project(None, Some(&format!("emails, name.givenName, id, schemas, {ENTERPRISE_USER}, groups")));
        assert_eq!(
            got,
            json!({
                "schemas": [USER],
                "id": "u-1",
                "externalId": "00u1",
                "userName": "ada",
                "name": {"familyName": "Lovelace"},
                "active": true,
                "meta": {"resourceType": "User", "version": "W/\"1\""},
            })
        );
        let got = project(None, Some(&format!("{ENTERPRISE_USER}:employeeNumber,emails.type")));
        assert_eq!(got[ENTERPRISE_USER], json!({"department": "R&D"}));
        assert_eq!(got["emails"], json!([{"value": "a@x", "primary": true}, {"value": "b@x"}]));
        // `attributes` wins over `excludedAttributes`.
        assert_eq!(project(Some("userName"), Some("userName"))["userName"], json!("ada"));
    }

    #[test]
    fn request_returned_attributes_only_when_asked() {
        let resource =
            json!({"schemas": [USER, BADGE_URN], "id": "u", "userName": "a", BADGE_URN: {"pin": "1234", "floor": 2}});
        let p = Projection::default();
        assert_eq!(p.apply(resource.clone(), &BADGE_TYPE)[BADGE_URN], json!({"floor": 2}));
        let p = Projection::parse(None, Some("userName")).unwrap();
        assert_eq!(p.apply(resource.clone(), &BADGE_TYPE)[BADGE_URN], json!({"floor": 2}));
        let p = Projection::parse(Some(&format!("{BADGE_URN}:pin")), None).unwrap();
        assert_eq!(
            p.apply(resource.clone(), &BADGE_TYPE),
            json!({"schemas": [USER, BADGE_URN], "id": "u", BADGE_URN: {"pin": "1234"}})
        );
        // An extension left empty leaves `schemas`.
        let p = Projection::parse(None, Some(&format!("{BADGE_URN}:floor"))).unwrap();
        assert_eq!(p.apply(resource, &BADGE_TYPE), json!({"schemas": [USER], "id": "u", "userName": "a"}));
    }

    #[test]
    fn wants_tells_the_directory_what_to_load() {
        let wants = |a: Option<&str>, e: Option<&str>| Projection::parse(a, e).unwrap().wants(&GROUP_TYPE, "members");
        assert!(wants(None, None));
        assert!(!wants(None, Some("members")));
        assert!(!wants(None, Some("displayName, MEMBERS")));
        assert!(wants(None, Some("members.display")));
        assert!(!wants(Some("displayName"), None));
        assert!(wants(Some("displayName,members"), None));
        assert!(wants(Some("members.value"), None));
        assert!(wants(Some("urn:ietf:params:scim:schemas:core:2.0:Group:members"), None));
        assert!(Projection::default().wants(&GROUP_TYPE, "id"));
        assert!(Projection::parse(Some("displayName"), None).unwrap().wants(&GROUP_TYPE, "id"));
        assert!(!Projection::default().wants(&USER_TYPE, "password"));
        assert!(!Projection::parse(None, Some("groups")).unwrap().wants(&USER_TYPE, "groups"));
    }

    #[test]
    fn group_projection_with_members() {
        let group = json!({
            "schemas": [crate::scim::schema::GROUP],
            "id": "g",
            "displayName": "Sales",
            "members": [{"value": "u1", "display": "A", "$ref": "https://x/Users/u1"}],
            "meta": {"resourceType": "Group"},
        });
        let p = Projection::parse(None, Some("members")).unwrap();
        assert_eq!(p.apply(group.clone(), &GROUP_TYPE).get("members"), None);
        let p = Projection::parse(Some("members.value"), None).unwrap();
        assert_eq!(
            p.apply(group, &GROUP_TYPE),
            json!({"schemas": [crate::scim::schema::GROUP], "id": "g", "members": [{"value": "u1"}]})
        );
    }
}
