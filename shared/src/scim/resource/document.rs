//! The resource document and the one implementation of writing to it.
//!
//! A document holds the attributes a client owns, as a JSON object: core and common
//! attributes at the top level under the names the schema spells (`userName`,
//! `name: {givenName}`), extension attributes under their schema URN
//! (`"urn:…:enterprise:2.0:User": {"employeeNumber": "42"}`). Never in it: `id`, `meta`,
//! `schemas`, writeOnly attributes (`password` is never stored), readOnly ones (a user's
//! `groups`) and a group's `members` (items of their own in the store).
//!
//! Both [`super::validate`] (POST and PUT bodies) and [`crate::scim::patch::apply`] resolve
//! names, check values and add / replace / remove attributes through this module, so a body
//! and a PATCH can never disagree on what a value means.

use std::collections::{HashMap, HashSet};
use std::fmt::Write;

use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::casefold::fold_into;
use crate::scim::filter::{CompareOp, Filter};
use crate::scim::path::AttrPath;
use crate::scim::schema::{AttrType, Attribute, Mutability, ResourceType, Schema, COMMON_ATTRIBUTES, GROUP};
use crate::scim::ScimError;

use super::MAX_DOCUMENT_BYTES;

pub(crate) type Object = Map<String, Value>;

/// What a PATCH operation does to the attribute it targets (RFC 7644 §3.5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchOp {
    Add,
    Remove,
    Replace,
}

/// Who is writing, which decides what happens to attributes a client may not write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// A POST or PUT body: unknown and readOnly attributes are dropped silently (RFC 7644
    /// §3.5.1 ignores readOnly values in a PUT, and Okta's PUT carries extra attributes).
    Body,
    /// A PATCH value: an unknown attribute is 400 `invalidPath` and a readOnly one 400
    /// `mutability`, so a client never believes a change happened that did not.
    Patch,
}

/// One attribute (or sub-attribute) of a resource type, located in the document.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Target {
    /// The extension's URN when the attribute belongs to an extension: its value lives
    /// under that key. None for core and common attributes.
    pub ext: Option<&'static str>,
    pub attr: &'static Attribute,
    pub sub: Option<&'static Attribute>,
}

impl Target {
    /// The attribute path as a client would write it, for error messages.
    pub fn display(&self) -> String {
        let mut s = String::new();
        if let Some(urn) = self.ext {
            s.push_str(urn);
            s.push(':');
        }
        s.push_str(self.attr.name);
        if let Some(sub) = self.sub {
            s.push('.');
            s.push_str(sub.name);
        }
        s
    }

    /// Whether both name the same attribute (their sub-attributes aside).
    pub fn same_attr(&self, other: &Target) -> bool {
        self.ext == other.ext && std::ptr::eq(self.attr, other.attr)
    }
}

/// What a name in a body, a PATCH path or a projection resolves to.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Resolved {
    /// An attribute or a sub-attribute.
    Attr(Target),
    /// A schema URN by itself: its value is an object of that schema's attributes.
    Schema(&'static Schema),
}

/// How a client may write a resolved attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    Write,
    /// Accepted and thrown away: writeOnly attributes (`password`) are never stored here.
    Discard,
    ReadOnly,
    /// A group's `members`: items of their own, changed through membership operations.
    Members,
}

/// Resolves `[urn:]attr[.sub]` given as its parts (an [`AttrPath`], or a key already split).
/// `urn:…:2.0` + `User` (how `AttrPath::parse` splits a bare schema URN) names the schema.
pub(crate) fn resolve(rt: &ResourceType, urn: Option<&str>, attr: &str, sub: Option<&str>) -> Option<Resolved> {
    if sub.is_none() {
        let schema = match urn {
            Some(urn) => rt.schema_by_urn(&format!("{urn}:{attr}")),
            None => rt.schema_by_urn(attr),
        };
        if let Some(schema) = schema {
            return Some(Resolved::Schema(schema));
        }
    }
    let (schema, attr) = rt.attribute(urn, attr)?;
    let ext = schema.filter(|s| s.id != rt.schema.id).map(|s| s.id);
    let sub = match sub {
        Some(name) => Some(attr.sub_attribute(name)?),
        None => None,
    };
    Some(Resolved::Attr(Target { ext, attr, sub }))
}

/// Resolves an [`AttrPath`] (its own sub-attribute, or `sub` when given).
pub(crate) fn resolve_path(rt: &ResourceType, path: &AttrPath, sub: Option<&str>) -> Option<Resolved> {
    resolve(rt, path.urn.as_deref(), &path.attr, sub.or(path.sub_attr.as_deref()))
}

/// Resolves a key of a body or of a path-less PATCH value: `userName`, `name.givenName`, a
/// schema URN, or `urn:…:User:department`. URNs contain dots (`2.0`), so a schema URN prefix
/// is matched (case-insensitively) before the rest is split on its dot.
pub(crate) fn resolve_key(rt: &ResourceType, key: &str) -> Option<Resolved> {
    if let Some(schema) = rt.schema_by_urn(key) {
        return Some(Resolved::Schema(schema));
    }
    for urn in rt.schema_urns() {
        // `get` rather than slicing: a key with multi-byte characters must not panic.
        let Some(head) = key.get(..urn.len()) else { continue };
        if head.eq_ignore_ascii_case(urn) && key.as_bytes().get(urn.len()) == Some(&b':') {
            let (attr, sub) = split_dot(&key[urn.len() + 1..]);
            return resolve(rt, Some(urn), attr, sub);
        }
    }
    let (attr, sub) = split_dot(key);
    resolve(rt, None, attr, sub)
}

fn split_dot(s: &str) -> (&str, Option<&str>) {
    match s.split_once('.') {
        Some((attr, sub)) => (attr, Some(sub)),
        None => (s, None),
    }
}

/// How a client may write `t`.
pub(crate) fn access(rt: &ResourceType, t: &Target) -> Access {
    let mutabilities = std::iter::once(t.attr.mutability).chain(t.sub.map(|s| s.mutability));
    let mut access = Access::Write;
    for m in mutabilities {
        match m {
            Mutability::WriteOnly => return Access::Discard,
            Mutability::ReadOnly => access = Access::ReadOnly,
            Mutability::ReadWrite | Mutability::Immutable => {}
        }
    }
    if access == Access::Write && t.ext.is_none() && is_members(rt, t.attr) {
        return Access::Members;
    }
    access
}

fn is_members(rt: &ResourceType, attr: &Attribute) -> bool {
    rt.schema.id == GROUP && attr.name == "members"
}

/// A writable attribute of a body or path-less PATCH value, with the value given for it.
#[derive(Debug)]
pub(crate) enum Entry<'v> {
    At(Target, &'v Value),
    /// A key that is a value path (`emails[type eq "work"].value`), only in [`Mode::Patch`]:
    /// the PATCH engine parses it as a path.
    ValuePath(&'v str, &'v Value),
}

/// The writable attributes of `obj` (a body, a path-less PATCH value, or the object given
/// for a schema URN when `schema` is set), resolved, in order. Skips `schemas`, writeOnly
/// attributes and, in a body, unknown and readOnly ones; see [`Mode`].
pub(crate) fn entries<'v>(
    rt: &ResourceType,
    obj: &'v Object,
    schema: Option<&'static Schema>,
    mode: Mode,
) -> Result<Vec<Entry<'v>>, ScimError> {
    let mut out = Vec::with_capacity(obj.len());
    for (key, value) in obj {
        // Clients serialise extension objects with their own `schemas` too (scim2-models does).
        if key.eq_ignore_ascii_case("schemas") {
            continue;
        }
        if mode == Mode::Patch && schema.is_none() && key.contains('[') {
            out.push(Entry::ValuePath(key, value));
            continue;
        }
        let resolved = match schema {
            None => resolve_key(rt, key),
            Some(schema) => {
                let (attr, sub) = split_dot(key);
                resolve(rt, Some(schema.id), attr, sub).filter(|r| matches!(r, Resolved::Attr(_)))
            }
        };
        match resolved {
            None if mode == Mode::Body => {}
            None => return Err(ScimError::invalid_path(format!("'{key}' is not an attribute of a {}.", rt.name))),
            Some(Resolved::Schema(inner)) => match value {
                Value::Null => {}
                Value::Object(inner_obj) => out.extend(entries(rt, inner_obj, Some(inner), mode)?),
                _ => {
                    return Err(ScimError::invalid_value(format!(
                        "The value of '{}' must be an object of its attributes.",
                        inner.id
                    )))
                }
            },
            Some(Resolved::Attr(t)) => match access(rt, &t) {
                Access::Write => out.push(Entry::At(t, value)),
                Access::Discard => {}
                // Okta's group rename carries the resource's `id` (and clients echo `meta`)
                // in a path-less value: ignored as a body's are, since the URL names the resource.
                Access::ReadOnly if mode == Mode::Body || (t.ext.is_none() && is_ignored_common(t.attr)) => {}
                Access::ReadOnly => {
                    return Err(ScimError::mutability(format!("'{}' is readOnly and cannot be changed.", t.display())))
                }
                // A body's members are taken out by `take_members`.
                Access::Members if mode == Mode::Body => {}
                Access::Members => return Err(members_not_split()),
            },
        }
    }
    Ok(out)
}

fn is_ignored_common(attr: &Attribute) -> bool {
    attr.name == "id" || attr.name == "meta"
}

/// `members` must be taken out with `patch::split_member_changes` before a document is
/// patched: reaching here is a bug of the caller, not of the client.
pub(crate) fn members_not_split() -> ScimError {
    tracing::error!("a PATCH of group members reached the document: split_member_changes was not called");
    ScimError::internal()
}

// ---------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------

/// Checks `value` for `attr` and returns it in canonical form, or None when it amounts to
/// no value (null, an empty array or object: RFC 7643 §2.5 treats them as unassigned).
/// A multi-valued attribute given a single value gets it wrapped in an array; values the
/// same as an earlier one ([`identity`]) are dropped; more than one `primary: true` is 400 `invalidValue`.
pub(crate) fn check_value(attr: &Attribute, value: &Value, at: &str) -> Result<Option<Value>, ScimError> {
    if !attr.multi_valued {
        return check_single(attr, value, at);
    }
    let mut out = Vec::new();
    add_elements(attr, value, at, &mut out, &mut HashSet::new())?;
    check_one_primary(&out, at)?;
    Ok((!out.is_empty()).then_some(Value::Array(out)))
}

/// Checks each element `value` gives for the multi-valued `attr` (an array, or one value)
/// and appends to `items` those not the same as a value already there: `seen` holds the
/// identities of `items`, and gains those appended. One identity per value, so adding to a
/// large attribute costs what the values cost.
fn add_elements(
    attr: &Attribute,
    value: &Value,
    at: &str,
    items: &mut Vec<Value>,
    seen: &mut HashSet<String>,
) -> Result<(), ScimError> {
    let given = match value {
        Value::Null => return Ok(()),
        Value::Array(given) => given.as_slice(),
        single => std::slice::from_ref(single),
    };
    items.reserve(given.len());
    for element in given {
        if let Some(v) = check_single(attr, element, at)? {
            if seen.insert(identity(attr, &v)) {
                items.push(v);
            }
        }
    }
    Ok(())
}

/// Checks one value of `attr` (one element when it is multi-valued).
pub(crate) fn check_single(attr: &Attribute, value: &Value, at: &str) -> Result<Option<Value>, ScimError> {
    let ok = |v: &Value| Ok(Some(v.clone()));
    match (attr.kind, value) {
        (_, Value::Null) => Ok(None),
        (AttrType::String | AttrType::Reference | AttrType::Binary, Value::String(_)) => ok(value),
        (AttrType::DateTime, Value::String(s)) => match OffsetDateTime::parse(s, &Rfc3339) {
            Ok(_) => ok(value),
            Err(_) => Err(ScimError::invalid_value(format!(
                "'{at}' must be a dateTime such as 2024-05-01T12:00:00Z, not \"{s}\"."
            ))),
        },
        (AttrType::Boolean, Value::Bool(_)) => ok(value),
        // Entra sends booleans as the strings "True" and "False".
        (AttrType::Boolean, Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(Value::Bool(true))),
        (AttrType::Boolean, Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(Value::Bool(false))),
        (AttrType::Integer, Value::Number(n)) if n.is_i64() || n.is_u64() => ok(value),
        // 3.0 is an integer written by a client that only has doubles.
        (AttrType::Integer, Value::Number(n))
            if n.as_f64().is_some_and(|f| f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0) =>
        {
            Ok(Some(Value::from(n.as_f64().unwrap_or_default() as i64)))
        }
        (AttrType::Decimal, Value::Number(_)) => ok(value),
        (AttrType::Complex, Value::Object(obj)) => check_complex(attr, obj, at),
        // A singular complex attribute with a `value` given a bare string: Entra sets the
        // enterprise `manager` to the manager's id this way. (A bare string for a
        // multi-valued attribute such as `emails` stays a type error.)
        (AttrType::Complex, Value::String(_)) if !attr.multi_valued && attr.sub_attribute("value").is_some() => {
            let mut obj = Object::new();
            obj.insert("value".into(), value.clone());
            check_complex(attr, &obj, at)
        }
        _ => Err(ScimError::invalid_value(format!("'{at}' must be {}.", expected(attr)))),
    }
}

fn check_complex(attr: &Attribute, obj: &Object, at: &str) -> Result<Option<Value>, ScimError> {
    let mut out = Object::new();
    for (key, value) in obj {
        // Unknown and readOnly sub-attributes are dropped as a PUT's are (`manager.displayName`
        // is the server's to fill in).
        let Some(sub) = attr.sub_attribute(key) else { continue };
        if matches!(sub.mutability, Mutability::ReadOnly | Mutability::WriteOnly) {
            continue;
        }
        if let Some(v) = check_value(sub, value, &format!("{at}.{}", sub.name))? {
            out.insert(sub.name.to_string(), v);
        }
    }
    Ok((!out.is_empty()).then_some(Value::Object(out)))
}

fn expected(attr: &Attribute) -> &'static str {
    match attr.kind {
        AttrType::String => "a string",
        AttrType::Reference => "a string (a reference)",
        AttrType::Binary => "a base64 string",
        AttrType::DateTime => "a dateTime string",
        AttrType::Boolean => "a boolean",
        AttrType::Integer => "an integer",
        AttrType::Decimal => "a number",
        AttrType::Complex => "an object",
    }
}

fn is_primary(v: &Value) -> bool {
    v.get("primary") == Some(&Value::Bool(true))
}

/// RFC 7643 §2.4: at most one value of a multi-valued attribute is primary.
pub(crate) fn check_one_primary(items: &[Value], at: &str) -> Result<(), ScimError> {
    if items.iter().filter(|v| is_primary(v)).count() > 1 {
        return Err(ScimError::invalid_value(format!("At most one value of '{at}' may have \"primary\": true.")));
    }
    Ok(())
}

/// What makes a value of `attr` the same value as another (RFC 7644 §3.5.2.1: a value
/// already there is not added twice): strings compared by their [`fold`] unless the
/// attribute is caseExact, complex values sub-attribute by sub-attribute in any order, the
/// rest exactly. Two values are the same exactly when their identities are equal, so a set
/// of identities tells in one step whether a value is already there: de-duplicating costs
/// time linear in the number of values, never their square.
fn identity(attr: &Attribute, value: &Value) -> String {
    let mut out = String::new();
    write_identity(attr, value, &mut out);
    out
}

/// Writes the identity of `value` to `out`: a tag, then strings with their length (so no two
/// values write the same text), complex values as their sub-attributes in name order.
fn write_identity(attr: &Attribute, value: &Value, out: &mut String) {
    match value {
        Value::String(s) if !attr.case_exact && attr.kind != AttrType::Binary => {
            let start = out.len();
            fold_into(s, out);
            let len = out.len() - start;
            out.insert_str(start, &format!("s{len:08x}:"));
        }
        Value::String(s) => {
            let _ = write!(out, "S{:08x}:{s}", s.len());
        }
        Value::Object(obj) => {
            let mut pairs: Vec<(&str, &Value)> = obj.iter().map(|(k, v)| (k.as_str(), v)).collect();
            pairs.sort_unstable_by_key(|(k, _)| *k);
            write_object_identity(attr, &pairs, out);
        }
        other => {
            let _ = write!(out, "v{other}");
        }
    }
}

/// The identity of a complex value given as its `(name, value)` pairs in name order.
fn write_object_identity(attr: &Attribute, pairs: &[(&str, &Value)], out: &mut String) {
    out.push('{');
    for (name, value) in pairs {
        let _ = write!(out, "{:08x}:{name}", name.len());
        write_identity(attr.sub_attribute(name).unwrap_or(attr), value, out);
    }
    out.push('}');
}

/// The values named for removal from a multi-valued attribute (Entra's `remove` of members
/// by value, and the same form for any attribute): an element goes when it is the same
/// value as a scalar named, or when it has every sub-attribute a named object gives, with
/// the same value. Indexed by the set of sub-attributes each named object gives, so testing
/// an element costs one lookup per such set (at most one per subset of the attribute's
/// sub-attributes) however many values were named.
struct Removal<'a> {
    attr: &'a Attribute,
    scalars: HashSet<String>,
    objects: HashMap<Vec<String>, HashSet<String>>,
}

impl<'a> Removal<'a> {
    /// The values `value` names (checked as [`check_value`] checks them, each identity made
    /// once: a value named twice is simply in the set once).
    fn new(attr: &'a Attribute, value: &Value, at: &str) -> Result<Self, ScimError> {
        let named = match value {
            Value::Array(named) => named.as_slice(),
            single => std::slice::from_ref(single),
        };
        let mut removal = Removal { attr, scalars: HashSet::new(), objects: HashMap::new() };
        let mut primaries = 0;
        for element in named {
            let Some(v) = check_single(attr, element, at)? else { continue };
            primaries += usize::from(is_primary(&v));
            match &v {
                Value::Object(obj) => {
                    let mut names: Vec<String> = obj.keys().cloned().collect();
                    names.sort_unstable();
                    removal.objects.entry(names).or_default().insert(identity(attr, &v));
                }
                scalar => {
                    removal.scalars.insert(identity(attr, scalar));
                }
            }
        }
        if primaries > 1 {
            return Err(ScimError::invalid_value(format!("At most one value of '{at}' may have \"primary\": true.")));
        }
        Ok(removal)
    }

    /// How many lookups testing one element may take.
    fn lookups(&self) -> usize {
        self.objects.len().max(1)
    }

    fn removes(&self, element: &Value) -> bool {
        let Value::Object(element) = element else {
            return self.scalars.contains(&identity(self.attr, element));
        };
        let mut projection = String::new();
        self.objects.iter().any(|(names, identities)| {
            let given: Option<Vec<(&str, &Value)>> =
                names.iter().map(|name| element.get(name).map(|v| (name.as_str(), v))).collect();
            let Some(given) = given else { return false };
            projection.clear();
            write_object_identity(self.attr, &given, &mut projection);
            identities.contains(&projection)
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Value filters
// ---------------------------------------------------------------------------------------------

/// The filter of a value path (`emails[type eq "work"]`), ready to test elements.
pub(crate) struct Selector<'a> {
    rt: &'a ResourceType,
    target: Target,
    /// The filter wrapped as `attr[filter]`, so that [`Filter::matches`] (the one filter
    /// evaluator) can test an element placed in a one-element resource.
    wrapped: Filter,
    /// The element the filter describes when it is nothing but `sub eq value` conjuncts,
    /// created when an add or replace finds no match (Entra expects that, docs/clients.md).
    template: Option<Object>,
}

impl<'a> Selector<'a> {
    pub fn new(rt: &'a ResourceType, target: Target, filter: &Filter) -> Self {
        let wrapped = Filter::ValuePath {
            path: AttrPath { urn: target.ext.map(str::to_string), attr: target.attr.name.to_string(), sub_attr: None },
            filter: Box::new(filter.clone()),
        };
        let template = eq_conjuncts(filter).and_then(|conjuncts| {
            let mut obj = Object::new();
            for (path, value) in conjuncts {
                if path.sub_attr.is_some() || path.urn.is_some() {
                    return None;
                }
                let sub = target.attr.sub_attribute(&path.attr)?;
                let v = check_single(sub, value, sub.name).ok()??;
                obj.insert(sub.name.to_string(), v);
            }
            Some(obj)
        });
        Selector { rt, target, wrapped, template }
    }

    fn matches(&self, element: &Value) -> bool {
        let one = Value::Array(vec![element.clone()]);
        let mut resource = Object::new();
        match self.target.ext {
            None => {
                resource.insert(self.target.attr.name.to_string(), one);
            }
            Some(urn) => {
                let mut ext = Object::new();
                ext.insert(self.target.attr.name.to_string(), one);
                resource.insert(urn.to_string(), Value::Object(ext));
            }
        }
        self.wrapped.matches(&Value::Object(resource), self.rt)
    }
}

/// The `attr eq value` comparisons of a filter made only of them and `and`.
fn eq_conjuncts(filter: &Filter) -> Option<Vec<(&AttrPath, &Value)>> {
    match filter {
        Filter::Compare { path, op: CompareOp::Eq, value } => Some(vec![(path, value)]),
        Filter::And(a, b) => {
            let mut v = eq_conjuncts(a)?;
            v.extend(eq_conjuncts(b)?);
            Some(v)
        }
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

/// Most values of multi-valued attributes one request's writes may visit, all its writes
/// together. Each write to such an attribute visits the values it already holds (to leave
/// out duplicates, to test a value filter), so a request of many writes to one large
/// attribute would cost their product; this bound keeps every request's work linear in its
/// size. Real clients visit a few dozen values; a PATCH past it is 400 `tooMany`.
pub const MAX_VALUES_VISITED: usize = 50_000;

/// What is left of one request's [`MAX_VALUES_VISITED`].
#[derive(Debug)]
pub(crate) struct Effort {
    left: usize,
}

impl Effort {
    pub fn new() -> Effort {
        Effort { left: MAX_VALUES_VISITED }
    }

    fn spend(&mut self, values: usize) -> Result<(), ScimError> {
        self.left = self.left.checked_sub(values).ok_or_else(|| {
            ScimError::too_many(format!(
                "This request would visit more than {MAX_VALUES_VISITED} values of multi-valued attributes \
                 (each operation visits every value of the attribute it changes). Send fewer operations per request."
            ))
        })?;
        Ok(())
    }
}

/// Applies one add, replace or remove (RFC 7644 §3.5.2) to the attribute `t` of `doc`,
/// restricted to the elements `selector` matches when given. `value` is the operation's
/// value (checked here); None for a remove without one. The values it visits are spent
/// from `effort`.
pub(crate) fn apply_at(
    doc: &mut Object,
    op: PatchOp,
    t: Target,
    selector: Option<&Selector>,
    value: Option<&Value>,
    effort: &mut Effort,
) -> Result<(), ScimError> {
    if t.attr.multi_valued && (selector.is_some() || t.sub.is_some()) {
        apply_to_elements(doc, op, t, selector, value, effort)?;
    } else if selector.is_some() {
        return Err(ScimError::invalid_path(format!(
            "'{}' is not multi-valued: a value filter cannot select in it.",
            t.display()
        )));
    } else {
        apply_to_attribute(doc, op, t, value, effort)?;
    }
    tidy_extension(doc, t.ext);
    Ok(())
}

/// The object holding `ext`'s attributes (the document itself for core ones), created when
/// absent.
fn container<'d>(doc: &'d mut Object, ext: Option<&str>) -> &'d mut Object {
    let Some(urn) = ext else { return doc };
    let slot = doc.entry(urn.to_string()).or_insert_with(|| Value::Object(Object::new()));
    if !slot.is_object() {
        *slot = Value::Object(Object::new());
    }
    match slot {
        Value::Object(obj) => obj,
        _ => unreachable!("just made an object"),
    }
}

/// An extension left without attributes is removed, so the document (and `schemas` in the
/// answer) does not name it.
fn tidy_extension(doc: &mut Object, ext: Option<&str>) {
    if let Some(urn) = ext {
        if doc.get(urn).is_some_and(|v| v.as_object().is_some_and(Object::is_empty)) {
            doc.shift_remove(urn);
        }
    }
}

fn put(obj: &mut Object, name: &str, value: Option<Value>) {
    match value {
        Some(v) => {
            obj.insert(name.to_string(), v);
        }
        None => {
            obj.shift_remove(name);
        }
    }
}

/// Merges the sub-attributes of `from` into `into` (RFC 7644 §3.5.2.1 and .3: sub-attributes
/// not given are left unchanged).
fn merge(into: &mut Object, from: Object) {
    for (k, v) in from {
        into.insert(k, v);
    }
}

fn apply_to_attribute(
    doc: &mut Object,
    op: PatchOp,
    t: Target,
    value: Option<&Value>,
    effort: &mut Effort,
) -> Result<(), ScimError> {
    let at = t.display();
    let attr = t.attr;
    let value = value.unwrap_or(&Value::Null);
    let obj = container(doc, t.ext);
    match (t.sub, op) {
        // RFC 7644 §3.5.2.1: values added to a multi-valued attribute join those there, less
        // the ones already there.
        (None, PatchOp::Add) if attr.multi_valued => {
            // Taken out of its slot and put back, as in `apply_to_elements`.
            let mut items = match obj.get_mut(attr.name).map(Value::take) {
                Some(Value::Array(items)) => items,
                _ => Vec::new(),
            };
            effort.spend(items.len())?;
            let mut seen: HashSet<String> = items.iter().map(|e| identity(attr, e)).collect();
            let before = items.len();
            add_elements(attr, value, &at, &mut items, &mut seen)?;
            let promoted: Vec<usize> = (before..items.len()).filter(|i| is_primary(&items[*i])).collect();
            settle_primary(&mut items, &promoted, &at)?;
            put(obj, attr.name, (!items.is_empty()).then_some(Value::Array(items)));
        }
        (None, PatchOp::Add | PatchOp::Replace) => {
            let new = check_value(attr, value, &at)?;
            match (op, obj.get_mut(attr.name), new) {
                // Adding nothing changes nothing.
                (PatchOp::Add, _, None) => {}
                (_, Some(Value::Object(existing)), Some(Value::Object(new))) if !attr.multi_valued => {
                    merge(existing, new)
                }
                (_, _, new) => put(obj, attr.name, new),
            }
        }
        (None, PatchOp::Remove) => match obj.get_mut(attr.name) {
            // Entra's form for members, and a fair reading for any multi-valued attribute:
            // remove with a value removes those values only.
            Some(Value::Array(items)) if attr.multi_valued && !value.is_null() => {
                let removal = Removal::new(attr, value, &at)?;
                effort.spend(items.len().saturating_mul(removal.lookups()))?;
                items.retain(|e| !removal.removes(e));
                if items.is_empty() {
                    obj.shift_remove(attr.name);
                }
            }
            _ => {
                obj.shift_remove(attr.name);
            }
        },
        (Some(sub), _) => {
            // A sub-attribute of a singular complex attribute (`name.familyName`).
            let new = match op {
                PatchOp::Remove => None,
                _ => check_value(sub, value, &at)?,
            };
            if new.is_none() && op == PatchOp::Add {
                return Ok(());
            }
            let parent = obj.entry(attr.name.to_string()).or_insert_with(|| Value::Object(Object::new()));
            if !parent.is_object() {
                *parent = Value::Object(Object::new());
            }
            if let Value::Object(p) = parent {
                put(p, sub.name, new);
                if p.is_empty() {
                    obj.shift_remove(attr.name);
                }
            }
        }
    }
    Ok(())
}

/// Operations on elements of a multi-valued attribute: a value filter
/// (`emails[type eq "work"]`), a sub-attribute of every element (`emails.value`), or both.
fn apply_to_elements(
    doc: &mut Object,
    op: PatchOp,
    t: Target,
    selector: Option<&Selector>,
    value: Option<&Value>,
    effort: &mut Effort,
) -> Result<(), ScimError> {
    let at = t.display();
    let obj = container(doc, t.ext);
    // Taken out of its slot (left null) and put back below, so the attribute keeps its place
    // in the document. An error on the way leaves the null: callers then drop the document.
    let mut items = match obj.get_mut(t.attr.name).map(Value::take) {
        Some(Value::Array(items)) => items,
        None | Some(Value::Null) => Vec::new(),
        Some(single) => vec![single],
    };
    effort.spend(items.len())?;
    let matched: Vec<bool> = items.iter().map(|e| selector.is_none_or(|s| s.matches(e))).collect();

    match op {
        // Removing what is not there is not an error: the client's intent already holds.
        PatchOp::Remove => match t.sub {
            None => {
                let mut gone = matched.iter();
                items.retain(|_| !gone.next().copied().unwrap_or(false));
            }
            Some(sub) => {
                for (e, _) in items.iter_mut().zip(&matched).filter(|(_, &m)| m) {
                    if let Value::Object(e) = e {
                        e.shift_remove(sub.name);
                    }
                }
            }
        },
        PatchOp::Add | PatchOp::Replace => {
            let value = value.unwrap_or(&Value::Null);
            // What to write into each matched element: one sub-attribute (None clears it),
            // or the sub-attributes of an element-shaped value.
            let (changes, clear): (Object, Option<&str>) = match t.sub {
                Some(sub) => match check_value(sub, value, &at)? {
                    Some(v) => (Object::from_iter([(sub.name.to_string(), v)]), None),
                    None => (Object::new(), Some(sub.name)),
                },
                None => match check_single(t.attr, value, &at)? {
                    Some(Value::Object(o)) => (o, None),
                    _ => (Object::new(), None),
                },
            };
            let mut promoted = Vec::new();
            if !matched.contains(&true) {
                if changes.is_empty() {
                    // Nothing to set and nothing to clear it on.
                } else {
                    let mut element = match selector {
                        None => Object::new(),
                        Some(s) => s.template.clone().ok_or_else(|| {
                            ScimError::no_target(format!(
                                "No value of '{}' matches the filter, and the filter does not describe one to add.",
                                t.attr.name
                            ))
                        })?,
                    };
                    merge(&mut element, changes);
                    let element = Value::Object(element);
                    if is_primary(&element) {
                        promoted.push(items.len());
                    }
                    items.push(element);
                }
            } else {
                check_copies(&changes, matched.iter().filter(|m| **m).count(), &at)?;
                let sets_primary = changes.get("primary") == Some(&Value::Bool(true));
                for (i, item) in items.iter_mut().enumerate().filter(|(i, _)| matched[*i]) {
                    if !item.is_object() {
                        *item = Value::Object(Object::new());
                    }
                    if let Value::Object(e) = item {
                        if let Some(name) = clear {
                            e.shift_remove(name);
                        }
                        merge(e, changes.clone());
                    }
                    if sets_primary {
                        promoted.push(i);
                    }
                }
            }
            settle_primary(&mut items, &promoted, &at)?;
        }
    }
    // Elements left without any sub-attribute are no values at all; and two elements a write
    // made equal (a value written into several, a sub-attribute removed from two that differed
    // only there) are kept once, as a body would keep them. Removing whole elements makes no
    // two equal, so it needs no identities.
    items.retain(|e| !e.as_object().is_some_and(Object::is_empty));
    if op != PatchOp::Remove || t.sub.is_some() {
        let mut seen = HashSet::with_capacity(items.len());
        items.retain(|e| seen.insert(identity(t.attr, e)));
    }
    put(obj, t.attr.name, (!items.is_empty()).then_some(Value::Array(items)));
    Ok(())
}

/// 400 when writing `changes` into `copies` elements would make a document larger than any
/// kept ([`MAX_DOCUMENT_BYTES`]): refused before the copies are made, so a small request
/// cannot make the server build a huge one.
fn check_copies(changes: &Object, copies: usize, at: &str) -> Result<(), ScimError> {
    if copies < 2 || changes.is_empty() {
        return Ok(());
    }
    let bytes = serde_json::to_string(changes).map_or(usize::MAX, |text| text.len());
    if bytes.saturating_mul(copies) > MAX_DOCUMENT_BYTES {
        return Err(ScimError::invalid_value(format!(
            "Writing this value into the {copies} matching values of '{at}' would make the resource larger than \
             the {MAX_DOCUMENT_BYTES} bytes kept per resource."
        )));
    }
    Ok(())
}

/// RFC 7644 §3.5.2: making a value primary makes the others non-primary.
fn settle_primary(items: &mut [Value], promoted: &[usize], at: &str) -> Result<(), ScimError> {
    match promoted {
        [] => check_one_primary(items, at),
        [keep] => {
            for (i, item) in items.iter_mut().enumerate() {
                if i != *keep && is_primary(item) {
                    item["primary"] = Value::Bool(false);
                }
            }
            Ok(())
        }
        _ => Err(ScimError::invalid_value(format!("At most one value of '{at}' may have \"primary\": true."))),
    }
}

// ---------------------------------------------------------------------------------------------
// Whole-document rules
// ---------------------------------------------------------------------------------------------

/// The object holding `schema`'s attributes in `doc`: the document itself for the core schema.
fn holder<'d>(doc: &'d Object, schema: &Schema, rt: &ResourceType) -> Option<&'d Object> {
    if schema.id == rt.schema.id {
        Some(doc)
    } else {
        doc.get(schema.id).and_then(Value::as_object)
    }
}

/// The rules every stored document satisfies: required attributes present and not empty,
/// at most one primary value per multi-valued attribute.
pub(crate) fn check_document(doc: &Object, rt: &ResourceType) -> Result<(), ScimError> {
    let schemas = std::iter::once((rt.schema, true)).chain(rt.extensions.iter().copied());
    for (schema, required) in schemas {
        let Some(holder) = holder(doc, schema, rt) else {
            if required {
                return Err(ScimError::invalid_value(format!("The extension '{}' is required.", schema.id)));
            }
            continue;
        };
        for attr in schema.attributes {
            let value = holder.get(attr.name);
            if attr.required && !has_value(value) {
                return Err(ScimError::invalid_value(format!("'{}' is required and must not be empty.", attr.name)));
            }
            if let (true, Some(Value::Array(items))) = (attr.multi_valued, value) {
                check_one_primary(items, attr.name)?;
            }
        }
    }
    Ok(())
}

fn has_value(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) => !s.trim().is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
        Some(_) => true,
    }
}

/// RFC 7643 §7 `immutable`: once a value is set it cannot change (setting one where there
/// was none is allowed). Compares the attributes (and sub-attributes of singular complex
/// ones) between `before` and `after`; removing a set value counts as a change.
pub(crate) fn check_immutable(before: &Object, after: &Object, rt: &ResourceType) -> Result<(), ScimError> {
    let empty = Object::new();
    let schemas = std::iter::once(rt.schema).chain(rt.extensions.iter().map(|(s, _)| *s));
    for schema in schemas {
        let old = holder(before, schema, rt).unwrap_or(&empty);
        let new = holder(after, schema, rt).unwrap_or(&empty);
        let common: &[Attribute] = if schema.id == rt.schema.id { COMMON_ATTRIBUTES } else { &[] };
        for attr in schema.attributes.iter().chain(common) {
            let (o, n) = (old.get(attr.name), new.get(attr.name));
            if attr.mutability == Mutability::Immutable && o.is_some() && o != n {
                return Err(ScimError::mutability(format!("'{}' is immutable: it cannot change once set.", attr.name)));
            }
            if attr.multi_valued {
                continue;
            }
            for sub in attr.sub_attributes.iter().filter(|s| s.mutability == Mutability::Immutable) {
                let (o, n) = (o.and_then(|v| v.get(sub.name)), n.and_then(|v| v.get(sub.name)));
                if o.is_some() && o != n {
                    return Err(ScimError::mutability(format!(
                        "'{}.{}' is immutable: it cannot change once set.",
                        attr.name, sub.name
                    )));
                }
            }
        }
    }
    Ok(())
}

/// The value of `key` in `obj`, matching the key case-insensitively (an exact match first).
pub(crate) fn get_ci<'o>(obj: &'o Object, key: &str) -> Option<&'o Value> {
    obj.get(key).or_else(|| obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v))
}
