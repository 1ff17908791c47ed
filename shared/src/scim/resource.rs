//! Incoming resources checked against the schema, and outgoing ones projected for the client.
//!
//! - [`validate`] turns a POST or PUT body into the resource's *document*: the attributes the
//!   client owns, canonically named, type-checked (see [`document`] for its shape). The PATCH
//!   engine writes documents through the same code, so a body and a PATCH agree on every value.
//! - [`take_members`] takes a Group body's member ids, which live outside the document.
//! - [`Projection`] applies `returned` (RFC 7643 §7) and `attributes` / `excludedAttributes`
//!   (RFC 7644 §3.9) to a rendered resource.

pub(crate) mod document;

use std::collections::HashSet;

use serde_json::Value;

use self::document::{Entry, Mode, Object, Resolved, Target};
use super::patch::PatchOp;
use super::path::AttrPath;
use super::schema::{Attribute, ResourceType, Returned, GROUP, SCHEMAS};
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
    for entry in document::entries(rt, obj, None, Mode::Body)? {
        if let Entry::At(target, value) = entry {
            document::apply_at(&mut doc, PatchOp::Add, target, None, Some(value))?;
        }
    }
    document::check_document(&doc, rt)?;
    Ok(Value::Object(doc))
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
                                kept.insert(attr.name.to_string(), v);
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
                        out.insert(attr.name.to_string(), v);
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
    let cut = |v: Value| match v {
        Value::Object(obj) => {
            let obj: Object = obj.into_iter().filter(|(k, _)| wanted(k)).collect();
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
    list.unwrap_or_default().split(',').map(str::trim).filter(|p| !p.is_empty()).map(parse_projection_path).collect()
}

fn parse_projection_path(p: &str) -> Result<AttrPath, ScimError> {
    // A bare schema URN is not an attribute path to every parser; split it at its last
    // colon, which `document::resolve` reads back as the schema.
    if SCHEMAS.iter().any(|s| s.id.eq_ignore_ascii_case(p)) {
        if let Some((urn, last)) = p.rsplit_once(':') {
            return Ok(AttrPath { urn: Some(urn.to_string()), attr: last.to_string(), sub_attr: None });
        }
    }
    AttrPath::parse(p)
}
