//! The PATCH engine: RFC 7644 §3.5.2 and the Okta and Entra forms of docs/clients.md.
//!
//! A request is parsed once into [`PatchOperation`]s. Operations on group `members` are not
//! applied to the JSON document (members are items in the store, never a list to rewrite):
//! [`split_member_changes`] turns them into [`MemberChange`]s for the directory. Every other
//! operation is applied to the resource's document by [`apply`].
//!
//! Typical use for a group: `parse`, then `split_member_changes`, then `apply` what remains
//! to the group's document and hand the membership changes to the directory. For a user:
//! `parse`, then `apply`.
//!
//! Error kinds chosen where RFC 7644 leaves a choice: a body that is not a PatchOp message
//! (not an object, `schemas` without the PatchOp URN, `Operations` missing, not an array or
//! empty, an operation that is not an object or has an unknown `op`) is `invalidSyntax`; a
//! missing `value` and more than [`MAX_OPERATIONS`] operations are `invalidValue`.

use serde_json::Value;

mod path;

pub use crate::scim::resource::document::PatchOp;
pub use path::PatchPath;

use crate::scim::filter::{CompareOp, Filter};
use crate::scim::resource::document::{self, Access, Effort, Entry, Mode, Object, Resolved, Selector, Target};
use crate::scim::resource::member_ids;
use crate::scim::schema::{ResourceType, Schema, GROUP_TYPE};
use crate::scim::{ScimError, PATCH_OP};

/// Most operations accepted in one PATCH request (Okta sends up to about 256 member
/// changes in one; the cap bounds the work one request can cause).
pub const MAX_OPERATIONS: usize = 1000;

#[derive(Debug, Clone, PartialEq)]
pub struct PatchOperation {
    pub op: PatchOp,
    pub path: Option<PatchPath>,
    pub value: Option<Value>,
}

/// A change to a group's membership, by user id.
#[derive(Debug, Clone, PartialEq)]
pub enum MemberChange {
    Add(Vec<String>),
    Remove(Vec<String>),
    RemoveAll,
    /// Replace the whole membership with these ids.
    Replace(Vec<String>),
}

/// Parses a PATCH body: `schemas` must hold the PatchOp URN; `Operations` a non-empty array;
/// `op` any case; `path` parsed; `value` required for add and replace. Errors are 400
/// (`invalidSyntax`, `invalidPath`, `invalidValue`).
///
/// Also accepted: an `operations` key in any case; `op`, `path` and `value` keys in any case;
/// a `null` or empty `path` as no path; `"value": null` in a replace (it clears the target,
/// RFC 7643 §2.5) and in a remove (ignored).
pub fn parse(body: &Value) -> Result<Vec<PatchOperation>, ScimError> {
    let obj = body.as_object().ok_or_else(|| {
        ScimError::invalid_syntax("A PATCH body must be a JSON object with `schemas` and `Operations`.")
    })?;
    let is_patch_op = document::get_ci(obj, "schemas")
        .and_then(Value::as_array)
        .is_some_and(|urns| urns.iter().any(|u| u.as_str().is_some_and(|u| u.eq_ignore_ascii_case(PATCH_OP))));
    if !is_patch_op {
        return Err(ScimError::invalid_syntax(format!("A PATCH body's `schemas` must contain \"{PATCH_OP}\".")));
    }
    let ops = match document::get_ci(obj, "Operations") {
        Some(Value::Array(ops)) if !ops.is_empty() => ops,
        _ => return Err(ScimError::invalid_syntax("`Operations` must be a non-empty array of operations.")),
    };
    if ops.len() > MAX_OPERATIONS {
        return Err(ScimError::invalid_value(format!(
            "A PATCH request may hold at most {MAX_OPERATIONS} operations; this one has {}. Split it.",
            ops.len()
        )));
    }
    ops.iter().enumerate().map(|(i, op)| parse_operation(op).map_err(|e| in_operation(i, e))).collect()
}

fn parse_operation(op: &Value) -> Result<PatchOperation, ScimError> {
    let obj = op.as_object().ok_or_else(|| ScimError::invalid_syntax("An operation must be a JSON object."))?;
    // Entra capitalises the operation names (`Add`, `Replace`, `Remove`).
    let kind = match document::get_ci(obj, "op").and_then(Value::as_str) {
        Some(s) if s.eq_ignore_ascii_case("add") => PatchOp::Add,
        Some(s) if s.eq_ignore_ascii_case("remove") => PatchOp::Remove,
        Some(s) if s.eq_ignore_ascii_case("replace") => PatchOp::Replace,
        _ => return Err(ScimError::invalid_syntax("`op` must be \"add\", \"remove\" or \"replace\".")),
    };
    let path = match document::get_ci(obj, "path") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(PatchPath::parse(s)?),
        Some(_) => return Err(ScimError::invalid_path("`path` must be a string.")),
    };
    let value = document::get_ci(obj, "value").cloned();
    let value = match (kind, value) {
        (PatchOp::Add, None | Some(Value::Null)) => {
            return Err(ScimError::invalid_value("An add operation needs a `value`."));
        }
        (PatchOp::Replace, None) => return Err(ScimError::invalid_value("A replace operation needs a `value`.")),
        (PatchOp::Remove, Some(Value::Null)) => None,
        (_, value) => value,
    };
    Ok(PatchOperation { op: kind, path, value })
}

/// Prefixes an error with the (1-based) operation it came from, for the IdP's log.
fn in_operation(index: usize, mut e: ScimError) -> ScimError {
    e.detail = format!("Operation {}: {}", index + 1, e.detail);
    e
}

/// Takes the operations that touch `members` out of `ops` (for groups) and returns them as
/// membership changes, in order; what remains applies to the document.
///
/// Call it for groups only (for users, `members` is no attribute and `apply` answers
/// `invalidPath`). On error `ops` is unchanged. Forms understood:
///
/// | operation | change |
/// |---|---|
/// | add, path `members`, value `[{"value": id}, …]` | `Add(ids)` |
/// | remove, path `members`, no value | `RemoveAll` |
/// | remove, path `members`, value `[{"value": id}, …]` (Entra) | `Remove(ids)` |
/// | remove, path `members[value eq "id" or value eq "id2"]` (Okta) | `Remove(ids)` |
/// | replace, path `members`, value `[…]` | `Replace(ids)` |
/// | path-less add / replace whose value has a `members` key | `Add(ids)` / `Replace(ids)`; the rest of the value stays an operation |
///
/// Consecutive adds (or consecutive removes) become one change with every id, in order: the
/// result is the same, and Entra's and Okta's one-operation-per-member PATCHes cost one
/// batch of transactions instead of one transaction per member.
///
/// Errors (400): another filter on members (`invalidFilter`); a filter in an add or replace
/// or a members sub-attribute path (`invalidPath`); a member without a string `value`
/// (`invalidValue`).
pub fn split_member_changes(ops: &mut Vec<PatchOperation>) -> Result<Vec<MemberChange>, ScimError> {
    let mut changes: Vec<MemberChange> = Vec::new();
    let mut kept = Vec::with_capacity(ops.len());
    for (i, op) in ops.iter().enumerate() {
        let (change, rest) = member_change(op).map_err(|e| in_operation(i, e))?;
        match (changes.last_mut(), change) {
            (Some(MemberChange::Add(ids)), Some(MemberChange::Add(more)))
            | (Some(MemberChange::Remove(ids)), Some(MemberChange::Remove(more))) => ids.extend(more),
            (_, change) => changes.extend(change),
        }
        kept.extend(rest);
    }
    *ops = kept;
    Ok(changes)
}

/// An operation split in two: its membership change, and what is left of it for the document.
type Split = (Option<MemberChange>, Option<PatchOperation>);

/// The membership change in `op`, and what of `op` is left for the document. `members` is
/// found by the same name resolution the document engine uses, in every spelling that engine
/// would reach it by: a path (`members`, `urn:…:Group:members`, the Group schema URN with an
/// object value) or a key of a path-less value (plain, URN-qualified, or inside the Group
/// schema URN's object). Whatever names `members` is taken out here, so none reaches `apply`.
fn member_change(op: &PatchOperation) -> Result<Split, ScimError> {
    let value = op.value.as_ref();
    let Some(path) = &op.path else {
        let Some(Value::Object(obj)) = value.filter(|_| op.op != PatchOp::Remove) else {
            return Ok((None, Some(op.clone())));
        };
        return Ok(take_members(op, obj)?.unwrap_or_else(|| (None, Some(op.clone()))));
    };
    let target = match document::resolve_path(&GROUP_TYPE, &path.attr, path.sub_attr.as_deref()) {
        Some(Resolved::Attr(target)) if names_members(&target) => target,
        Some(Resolved::Schema(schema)) if schema.id == GROUP_TYPE.schema.id && path.filter.is_none() => {
            return match value {
                Some(Value::Object(obj)) if op.op != PatchOp::Remove => {
                    Ok(take_members(op, obj)?.unwrap_or_else(|| (None, Some(op.clone()))))
                }
                _ => Ok((None, Some(op.clone()))),
            };
        }
        _ => return Ok((None, Some(op.clone()))),
    };
    if target.sub.is_some() {
        return Err(ScimError::invalid_path(
            "A member's sub-attributes cannot be changed: add or remove members by their `value`.",
        ));
    }
    let change = match (op.op, &path.filter) {
        (PatchOp::Remove, Some(filter)) => MemberChange::Remove(filtered_ids(filter)?),
        (_, Some(_)) => {
            return Err(ScimError::invalid_path(
                "A filter on `members` selects members to remove; add and replace take `members` without one.",
            ))
        }
        (PatchOp::Add, None) => MemberChange::Add(member_ids(value.unwrap_or(&Value::Null))?),
        (PatchOp::Replace, None) => MemberChange::Replace(member_ids(value.unwrap_or(&Value::Null))?),
        (PatchOp::Remove, None) => match value {
            None | Some(Value::Null) => MemberChange::RemoveAll,
            // Entra: remove these members, not all.
            Some(v) => MemberChange::Remove(member_ids(v)?),
        },
    };
    Ok((Some(change), None))
}

/// Takes `members` out of the object value of an add or replace (`obj`, the value of `op`):
/// the change, and `op` with the rest of the object (None when nothing is left). None when
/// the object names no members.
fn take_members(op: &PatchOperation, obj: &Object) -> Result<Option<Split>, ScimError> {
    let mut found = None;
    let rest = without_members(obj, &mut found)?;
    let Some(members) = found else { return Ok(None) };
    let ids = member_ids(&members)?;
    let change = if op.op == PatchOp::Add { MemberChange::Add(ids) } else { MemberChange::Replace(ids) };
    let rest = (!rest.is_empty()).then(|| PatchOperation { value: Some(Value::Object(rest)), ..op.clone() });
    Ok(Some((Some(change), rest)))
}

/// `obj` without the keys that name `members` (their value goes to `found`), looking inside
/// the Group schema URN's object too. A value path or a sub-attribute of `members` is 400
/// `invalidPath`, and `members` given twice 400 `invalidValue`.
fn without_members(obj: &Object, found: &mut Option<Value>) -> Result<Object, ScimError> {
    let mut rest = Object::new();
    for (key, v) in obj {
        match document::resolve_key(&GROUP_TYPE, key) {
            Some(Resolved::Attr(t)) if names_members(&t) => {
                if t.sub.is_some() {
                    return Err(ScimError::invalid_path(format!(
                        "'{key}': a member's sub-attributes cannot be changed: add or remove members by their `value`."
                    )));
                }
                if found.replace(v.clone()).is_some() {
                    return Err(ScimError::invalid_value("`members` is given twice in one value."));
                }
            }
            Some(Resolved::Schema(schema)) if schema.id == GROUP_TYPE.schema.id => {
                let Value::Object(inner) = v else {
                    rest.insert(key.clone(), v.clone());
                    continue;
                };
                let inner = without_members(inner, found)?;
                if !inner.is_empty() {
                    rest.insert(key.clone(), Value::Object(inner));
                }
            }
            None if names_members_with_a_filter(key) => {
                return Err(ScimError::invalid_path(format!(
                    "'{key}': a filter on `members` selects members to remove, with a `path`; a value cannot hold one."
                )));
            }
            _ => {
                rest.insert(key.clone(), v.clone());
            }
        }
    }
    Ok(rest)
}

/// Whether `key` is a value path on `members` (`members[value eq "…"]`).
fn names_members_with_a_filter(key: &str) -> bool {
    let Ok(path) = PatchPath::parse(key) else { return false };
    path.filter.is_some()
        && matches!(
            document::resolve_path(&GROUP_TYPE, &path.attr, None),
            Some(Resolved::Attr(t)) if names_members(&t)
        )
}

/// Whether `target` is a group's `members` or one of its sub-attributes.
fn names_members(target: &Target) -> bool {
    document::access(&GROUP_TYPE, &Target { sub: None, ..*target }) == Access::Members
}

/// The ids of `value eq "id"` or an `or` chain of them.
fn filtered_ids(filter: &Filter) -> Result<Vec<String>, ScimError> {
    let mut ids = Vec::new();
    // An explicit stack: `or` chains can be long.
    let mut pending = vec![filter];
    while let Some(f) = pending.pop() {
        match f {
            Filter::Or(a, b) => {
                pending.push(b);
                pending.push(a);
            }
            Filter::Compare { path, op: CompareOp::Eq, value: Value::String(id) }
                if path.attr.eq_ignore_ascii_case("value") && path.sub_attr.is_none() =>
            {
                if !ids.contains(id) {
                    ids.push(id.clone());
                }
            }
            _ => {
                return Err(ScimError::invalid_filter(
                    "Members to remove are selected with `value eq \"<id>\"`, optionally joined with `or`.",
                ))
            }
        }
    }
    Ok(ids)
}

/// Applies `ops` in order to `doc` (the client-owned attributes, as [`super::resource::validate`]
/// returns them). All or nothing: on error `doc` is unchanged. Attribute names are canonicalised
/// and values type-checked as in `validate`; readOnly targets give 400 `mutability` (except `id`
/// in a path-less value, which Okta sends and which is ignored); unknown paths 400 `invalidPath`;
/// `remove` without a path 400 `noTarget`.
///
/// In detail (RFC 7644 §3.5.2 with the Okta and Entra forms):
/// - A path-less add or replace takes an object whose keys are attributes: plain, dotted
///   (`name.givenName`), URN-qualified (`urn:…:User:department`), a schema URN with an object
///   of its attributes, or a value path (`emails[type eq "work"].value`). `id`, `meta` and
///   `schemas` in it are ignored; `password` (writeOnly) anywhere is accepted and dropped.
/// - add appends to a multi-valued attribute (skipping values already there) and merges into
///   a complex one; replace replaces a multi-valued attribute whole and merges into a complex
///   one; `null` as a replace value clears the target.
/// - With a value filter, add and replace write into every matching element; when none
///   matches and the filter is `sub eq value` conjuncts, the element they describe is added
///   (Entra's `emails[type eq "work"].value`), else 400 `noTarget`. Remove takes out the
///   matching elements (or their sub-attribute); nothing matching is no change.
/// - Setting a value's `primary` to true makes the others non-primary.
/// - Afterwards the document must keep `validate`'s rules (a required attribute removed is
///   400 `invalidValue`) and immutable values already set must be unchanged (`mutability`).
/// - Group `members` must have been taken out by [`split_member_changes`]: an operation on
///   them here is the caller's bug and answers 500.
///
/// Error details start with the operation's number (`Operation 2: …`).
pub fn apply(doc: &mut Value, ops: &[PatchOperation], rt: &ResourceType) -> Result<(), ScimError> {
    let empty = Object::new();
    let before = match doc {
        Value::Object(obj) => obj,
        // A resource without client attributes yet (a fresh group) may be stored as null.
        Value::Null => &empty,
        _ => return Err(ScimError::internal()),
    };
    // All or nothing: work on a copy and keep it only when every operation succeeded.
    let mut work = before.clone();
    let mut effort = Effort::new();
    for (i, op) in ops.iter().enumerate() {
        apply_operation(&mut work, op, rt, &mut effort).map_err(|e| in_operation(i, e))?;
    }
    document::check_document(&work, rt)?;
    document::check_immutable(before, &work, rt)?;
    *doc = Value::Object(work);
    Ok(())
}

fn apply_operation(
    doc: &mut Object,
    op: &PatchOperation,
    rt: &ResourceType,
    effort: &mut Effort,
) -> Result<(), ScimError> {
    let value = op.value.as_ref();
    let Some(path) = &op.path else {
        if op.op == PatchOp::Remove {
            return Err(ScimError::no_target("A remove operation needs a `path` naming what to remove."));
        }
        let Some(Value::Object(obj)) = value else {
            return Err(ScimError::invalid_value(
                "Without a `path`, the `value` must be an object of the attributes to change.",
            ));
        };
        return apply_entries(doc, op.op, obj, None, rt, effort);
    };
    apply_path(doc, op.op, path, value, rt, effort)
}

/// A path-less add or replace (or one whose path is a schema URN): each attribute of `obj`.
fn apply_entries(
    doc: &mut Object,
    op: PatchOp,
    obj: &Object,
    schema: Option<&'static Schema>,
    rt: &ResourceType,
    effort: &mut Effort,
) -> Result<(), ScimError> {
    for entry in document::entries(rt, obj, schema, Mode::Patch)? {
        match entry {
            Entry::At(target, v) => document::apply_at(doc, op, target, None, Some(v), effort)?,
            Entry::ValuePath(key, v) => apply_path(doc, op, &PatchPath::parse(key)?, Some(v), rt, effort)?,
        }
    }
    Ok(())
}

fn apply_path(
    doc: &mut Object,
    op: PatchOp,
    path: &PatchPath,
    value: Option<&Value>,
    rt: &ResourceType,
    effort: &mut Effort,
) -> Result<(), ScimError> {
    let unknown = || ScimError::invalid_path(format!("'{}' is not an attribute of a {}.", show(path), rt.name));
    let target = match document::resolve_path(rt, &path.attr, path.sub_attr.as_deref()).ok_or_else(unknown)? {
        Resolved::Attr(target) => target,
        // A schema URN as the path: the value is an object of that schema's attributes.
        Resolved::Schema(schema) => {
            if path.filter.is_some() {
                return Err(unknown());
            }
            return match (op, value) {
                (PatchOp::Remove, _) if schema.id != rt.schema.id => {
                    doc.shift_remove(schema.id);
                    Ok(())
                }
                (PatchOp::Remove, _) => Err(ScimError::invalid_path("The core schema cannot be removed.")),
                (_, Some(Value::Object(obj))) => apply_entries(doc, op, obj, Some(schema), rt, effort),
                _ => Err(ScimError::invalid_value(format!(
                    "The value for '{}' must be an object of its attributes.",
                    schema.id
                ))),
            };
        }
    };
    match document::access(rt, &target) {
        Access::Write => {}
        Access::Discard => return Ok(()),
        Access::ReadOnly => {
            return Err(ScimError::mutability(format!("'{}' is readOnly and cannot be changed.", target.display())))
        }
        Access::Members => return Err(document::members_not_split()),
    }
    let selector = path.filter.as_ref().map(|f| Selector::new(rt, target, f));
    document::apply_at(doc, op, target, selector.as_ref(), value, effort)
}

/// A PATCH path as the client wrote it (for error messages).
fn show(path: &PatchPath) -> String {
    let mut s = path.attr.to_string();
    if path.filter.is_some() {
        s.push_str("[…]");
    }
    if let Some(sub) = &path.sub_attr {
        s.push('.');
        s.push_str(sub);
    }
    s
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::scim::schema::{ENTERPRISE_USER, GROUP_TYPE, USER_TYPE};
    use crate::scim::ScimType;

    fn body(ops: Value) -> Value {
        json!({"schemas": [PATCH_OP], "Operations": ops})
    }

    fn ops(ops: Value) -> Vec<PatchOperation> {
        parse(&body(ops)).unwrap_or_else(|e| panic!("{}", e.detail))
    }

    fn user() -> Value {
        json!({
            "userName": "ada@example.com",
            "name": {"givenName": "Ada", "familyName": "Lovelace"},
            "emails": [{"value": "ada@example.com", "type": "work", "primary": true}],
            "active": true,
            "externalId": "00u1",
        })
    }

    /// Applies `ops` to a user document and returns it.
    fn patched(doc: Value, operations: Value) -> Value {
        let mut doc = doc;
        apply(&mut doc, &ops(operations), &USER_TYPE).unwrap_or_else(|e| panic!("{}", e.detail));
        doc
    }

    /// Applies `ops` to a user document, expects failure and checks the document is unchanged.
    fn refused(operations: Value) -> ScimError {
        let mut doc = user();
        let e = apply(&mut doc, &ops(operations), &USER_TYPE).unwrap_err();
        assert_eq!(doc, user(), "a failed PATCH changes nothing");
        e
    }

    fn kind(e: &ScimError) -> (u16, Option<ScimType>) {
        (e.status, e.scim_type)
    }

    const BAD_MUTABILITY: (u16, Option<ScimType>) = (400, Some(ScimType::Mutability));
    const BAD_PATH: (u16, Option<ScimType>) = (400, Some(ScimType::InvalidPath));
    const BAD_VALUE: (u16, Option<ScimType>) = (400, Some(ScimType::InvalidValue));
    const BAD_SYNTAX: (u16, Option<ScimType>) = (400, Some(ScimType::InvalidSyntax));
    const NO_TARGET: (u16, Option<ScimType>) = (400, Some(ScimType::NoTarget));

    // ----- parse -----

    #[test]
    fn parses_operations_in_any_case() {
        let parsed = parse(&json!({
            "schemas": ["URN:ietf:params:scim:api:messages:2.0:PatchOp"],
            "operations": [
                {"op": "Add", "path": "title", "value": "Engineer"},
                {"OP": "REPLACE", "Value": {"active": "False"}},
                {"op": "remove", "path": "name.givenName"},
                {"op": "remove", "path": "", "value": null},
            ],
        }))
        .unwrap();
        assert_eq!(parsed.len(), 4);
        assert_eq!(parsed[0].op, PatchOp::Add);
        assert_eq!(parsed[0].path, Some(PatchPath::parse("title").unwrap()));
        assert_eq!(parsed[1].op, PatchOp::Replace);
        assert_eq!(parsed[1].path, None);
        assert_eq!(parsed[1].value, Some(json!({"active": "False"})));
        assert_eq!(parsed[2].op, PatchOp::Remove);
        assert_eq!(parsed[2].path.as_ref().unwrap().sub_attr.as_deref(), Some("givenName"));
        assert_eq!((parsed[3].path.as_ref(), parsed[3].value.as_ref()), (None, None));
    }

    #[test]
    fn parse_errors() {
        let cases = [
            (json!([]), BAD_SYNTAX),
            (json!({"Operations": [{"op": "add", "path": "title", "value": "x"}]}), BAD_SYNTAX),
            (json!({"schemas": [crate::scim::schema::USER], "Operations": []}), BAD_SYNTAX),
            (body(json!([])), BAD_SYNTAX),
            (body(json!({"op": "add"})), BAD_SYNTAX),
            (body(json!(["add"])), BAD_SYNTAX),
            (body(json!([{"op": "merge", "path": "title", "value": "x"}])), BAD_SYNTAX),
            (body(json!([{"path": "title", "value": "x"}])), BAD_SYNTAX),
            (body(json!([{"op": "add", "path": "title"}])), BAD_VALUE),
            (body(json!([{"op": "add", "path": "title", "value": null}])), BAD_VALUE),
            (body(json!([{"op": "replace", "path": "title"}])), BAD_VALUE),
            (body(json!([{"op": "replace", "path": 7, "value": "x"}])), BAD_PATH),
            (body(json!([{"op": "replace", "path": "emails[type eq]", "value": "x"}])), BAD_PATH),
            (body(json!([{"op": "replace", "path": "a.b.c", "value": "x"}])), BAD_PATH),
        ];
        for (b, expected) in cases {
            let e = parse(&b).unwrap_err();
            assert_eq!(kind(&e), expected, "{b}: {}", e.detail);
        }
    }

    #[test]
    fn parse_caps_the_number_of_operations() {
        let one = json!({"op": "add", "path": "members", "value": [{"value": "u"}]});
        assert_eq!(parse(&body(Value::Array(vec![one.clone(); MAX_OPERATIONS]))).unwrap().len(), MAX_OPERATIONS);
        let e = parse(&body(Value::Array(vec![one; MAX_OPERATIONS + 1]))).unwrap_err();
        assert_eq!(kind(&e), BAD_VALUE);
        assert!(e.detail.contains("1000"), "{}", e.detail);
    }

    #[test]
    fn parse_errors_name_the_operation() {
        let e = parse(&body(json!([{"op": "add", "path": "title", "value": "x"}, {"op": "add", "path": "title"}])))
            .unwrap_err();
        assert!(e.detail.starts_with("Operation 2:"), "{}", e.detail);
    }

    // ----- members -----

    fn split(operations: Value) -> (Vec<MemberChange>, Vec<PatchOperation>) {
        let mut ops = ops(operations);
        let changes = split_member_changes(&mut ops).unwrap_or_else(|e| panic!("{}", e.detail));
        (changes, ops)
    }

    fn split_err(operations: Value) -> ScimError {
        let mut ops = ops(operations);
        let before = ops.clone();
        let e = split_member_changes(&mut ops).unwrap_err();
        assert_eq!(ops, before, "ops are unchanged on error");
        e
    }

    fn ids(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn consecutive_adds_and_removes_are_one_change_each() {
        let (changes, _) = split(json!([
            {"op": "remove", "path": "members[value eq \"u1\"]"},
            {"op": "remove", "path": "members[value eq \"u2\"]"},
            {"op": "Remove", "path": "members", "value": [{"value": "u3"}]},
            {"op": "add", "path": "members", "value": [{"value": "u1"}]},
            {"op": "add", "path": "members", "value": [{"value": "u4"}]},
            {"op": "replace", "path": "displayName", "value": "x"},
            {"op": "add", "path": "members", "value": [{"value": "u5"}]},
            {"op": "remove", "path": "members"},
            {"op": "remove", "path": "members"},
        ]));
        assert_eq!(
            changes,
            vec![
                MemberChange::Remove(ids(&["u1", "u2", "u3"])),
                // A document operation in between does not separate member changes: they are
                // applied after the document anyway.
                MemberChange::Add(ids(&["u1", "u4", "u5"])),
                MemberChange::RemoveAll,
                MemberChange::RemoveAll,
            ]
        );
    }

    #[test]
    fn okta_adds_and_removes_members_in_one_patch() {
        let (changes, rest) = split(json!([
            {"op": "remove", "path": "members[value eq \"00u1\"]"},
            {"op": "add", "path": "members", "value": [
                {"value": "00u2", "display": "b@example.com"},
                {"value": "00u3", "display": "c@example.com"},
            ]},
        ]));
        assert_eq!(changes, vec![MemberChange::Remove(ids(&["00u1"])), MemberChange::Add(ids(&["00u2", "00u3"]))]);
        assert!(rest.is_empty());
    }

    #[test]
    fn okta_full_push_replaces_members() {
        let (changes, rest) =
            split(json!([{"op": "replace", "path": "members", "value": [{"value": "a"}, {"value": "b"}]}]));
        assert_eq!(changes, vec![MemberChange::Replace(ids(&["a", "b"]))]);
        assert!(rest.is_empty());
        let (changes, _) = split(json!([{"op": "replace", "path": "members", "value": []}]));
        assert_eq!(changes, vec![MemberChange::Replace(vec![])]);
    }

    #[test]
    fn okta_group_rename_ignores_the_id_in_the_value() {
        let (changes, rest) = split(json!([{"op": "replace", "value": {"id": "g-1", "displayName": "Sales EMEA"}}]));
        assert!(changes.is_empty());
        let mut doc = json!({"displayName": "Sales"});
        apply(&mut doc, &rest, &GROUP_TYPE).unwrap();
        assert_eq!(doc, json!({"displayName": "Sales EMEA"}));
    }

    #[test]
    fn entra_removes_only_the_members_listed() {
        let (changes, _) = split(json!([
            {"op": "Remove", "path": "members", "value": [{"value": "u1"}, {"value": "u2"}]},
            {"op": "Remove", "path": "members"},
            {"op": "Add", "path": "Members", "value": {"value": "u3"}},
        ]));
        assert_eq!(
            changes,
            vec![MemberChange::Remove(ids(&["u1", "u2"])), MemberChange::RemoveAll, MemberChange::Add(ids(&["u3"]))]
        );
    }

    #[test]
    fn member_filters_may_be_or_chains_of_value_eq() {
        let (changes, _) = split(json!([
            {"op": "remove", "path": "members[value eq \"a\" or value eq \"b\" or VALUE eq \"c\"]"},
            {"op": "remove", "path": "urn:ietf:params:scim:schemas:core:2.0:Group:members[value eq \"d\"]"},
        ]));
        assert_eq!(changes, vec![MemberChange::Remove(ids(&["a", "b", "c", "d"]))]);
        for path in
            ["members[display eq \"a\"]", "members[value ne \"a\"]", "members[value eq \"a\" and type eq \"User\"]"]
        {
            let e = split_err(json!([{"op": "remove", "path": path}]));
            assert_eq!(kind(&e), (400, Some(ScimType::InvalidFilter)), "{path}");
        }
    }

    #[test]
    fn path_less_values_with_members_split_in_two() {
        let (changes, rest) = split(json!([
            {"op": "replace", "value": {"displayName": "Ops", "members": [{"value": "a"}]}},
            {"op": "add", "value": {"members": [{"value": "b"}]}},
        ]));
        assert_eq!(changes, vec![MemberChange::Replace(ids(&["a"])), MemberChange::Add(ids(&["b"]))]);
        assert_eq!(rest, ops(json!([{"op": "replace", "value": {"displayName": "Ops"}}])));
    }

    #[test]
    fn other_operations_stay_in_order() {
        let (changes, rest) = split(json!([
            {"op": "replace", "path": "displayName", "value": "A"},
            {"op": "add", "path": "members", "value": [{"value": "a"}]},
            {"op": "replace", "path": "externalId", "value": "x"},
        ]));
        assert_eq!(changes.len(), 1);
        assert_eq!(
            rest.iter().map(|o| o.path.as_ref().unwrap().attr.attr.as_str()).collect::<Vec<_>>(),
            ["displayName", "externalId"]
        );
    }

    #[test]
    fn malformed_member_changes_are_refused() {
        let cases = [
            (json!([{"op": "add", "path": "members", "value": [{"value": 42}]}]), BAD_VALUE),
            (json!([{"op": "add", "path": "members", "value": [{"display": "x"}]}]), BAD_VALUE),
            (json!([{"op": "add", "path": "members", "value": ["u1"]}]), BAD_VALUE),
            (json!([{"op": "add", "path": "members", "value": "u1"}]), BAD_VALUE),
            (json!([{"op": "replace", "value": {"members": [{"value": ""}]}}]), BAD_VALUE),
            (json!([{"op": "replace", "path": "members.display", "value": "x"}]), BAD_PATH),
            (json!([{"op": "replace", "path": "members[value eq \"a\"].display", "value": "x"}]), BAD_PATH),
            (json!([{"op": "add", "path": "members[value eq \"a\"]", "value": {"value": "a"}}]), BAD_PATH),
        ];
        for (operations, expected) in cases {
            let e = split_err(operations.clone());
            assert_eq!(kind(&e), expected, "{operations}: {}", e.detail);
        }
    }

    #[test]
    fn members_reaching_apply_are_a_caller_bug() {
        let mut doc = json!({"displayName": "G"});
        let e =
            apply(&mut doc, &ops(json!([{"op": "add", "path": "members", "value": [{"value": "a"}]}])), &GROUP_TYPE)
                .unwrap_err();
        assert_eq!(e.status, 500);
        // For users, `members` is simply no attribute.
        let e = refused(json!([{"op": "add", "path": "members", "value": [{"value": "a"}]}]));
        assert_eq!(kind(&e), BAD_PATH);
    }

    // ----- Okta and Entra user forms -----

    #[test]
    fn okta_deactivates_and_reactivates_with_a_path_less_replace() {
        let doc = patched(user(), json!([{"op": "replace", "value": {"active": false}}]));
        assert_eq!(doc["active"], json!(false));
        let mut expected = user();
        expected["active"] = json!(false);
        assert_eq!(doc, expected, "nothing else changes");
        let doc = patched(doc, json!([{"op": "replace", "value": {"active": true}}]));
        assert_eq!(doc, user());
    }

    #[test]
    fn entra_capitalised_ops_and_string_booleans() {
        let doc = patched(user(), json!([{"op": "Replace", "path": "active", "value": "False"}]));
        assert_eq!(doc["active"], json!(false));
        let doc = patched(doc, json!([{"op": "Add", "path": "active", "value": "True"}]));
        assert_eq!(doc["active"], json!(true));
        let doc = patched(doc, json!([{"op": "Replace", "value": {"active": "false"}}]));
        assert_eq!(doc["active"], json!(false));
        let e = refused(json!([{"op": "Replace", "path": "active", "value": "no"}]));
        assert_eq!(kind(&e), BAD_VALUE);
    }

    #[test]
    fn entra_path_less_replace_with_dotted_and_urn_keys() {
        let doc = patched(
            user(),
            json!([{"op": "Replace", "value": {
                "name.givenName": "Augusta",
                "NAME.formatted": "Augusta Ada King",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Analytics",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value": "u-babbage",
                "URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER": {"EmployeeNumber": "1815"},
                "emails[type eq \"home\"].value": "ada@home.example",
                "title": "Countess",
            }}]),
        );
        assert_eq!(
            doc["name"],
            json!({"givenName": "Augusta", "familyName": "Lovelace", "formatted": "Augusta Ada King"})
        );
        assert_eq!(
            doc[ENTERPRISE_USER],
            json!({"department": "Analytics", "manager": {"value": "u-babbage"}, "employeeNumber": "1815"})
        );
        assert_eq!(doc["emails"][1], json!({"type": "home", "value": "ada@home.example"}));
        assert_eq!(doc["title"], json!("Countess"));
    }

    #[test]
    fn entra_filtered_add_with_no_match_adds_the_element() {
        let doc = json!({"userName": "ada"});
        let doc =
            patched(doc, json!([{"op": "Add", "path": "emails[type eq \"work\"].value", "value": "a@w.example"}]));
        assert_eq!(doc["emails"], json!([{"type": "work", "value": "a@w.example"}]));
        // Now it matches: the value is set in place, no second element.
        let doc =
            patched(doc, json!([{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "b@w.example"}]));
        assert_eq!(doc["emails"], json!([{"type": "work", "value": "b@w.example"}]));
        // Several conjuncts describe the element; case of the filter value as sent.
        let doc = patched(
            doc,
            json!([{"op": "Replace", "path": "phoneNumbers[type eq \"mobile\" and primary eq true].value", "value": "+1 555"}]),
        );
        assert_eq!(doc["phoneNumbers"], json!([{"type": "mobile", "primary": true, "value": "+1 555"}]));
    }

    #[test]
    fn filtered_replace_writes_every_match_and_merges_element_values() {
        let doc = json!({"userName": "ada", "emails": [
            {"value": "a@w", "type": "work"},
            {"value": "a@h", "type": "home"},
            {"value": "b@w", "type": "WORK"},
        ]});
        let doc = patched(doc, json!([{"op": "replace", "path": "emails[type eq \"work\"].display", "value": "Work"}]));
        assert_eq!(doc["emails"][0]["display"], json!("Work"));
        assert_eq!(doc["emails"][1].get("display"), None);
        assert_eq!(doc["emails"][2]["display"], json!("Work"), "type is not caseExact");
        let doc =
            patched(doc, json!([{"op": "replace", "path": "emails[value eq \"a@h\"]", "value": {"display": "Home"}}]));
        assert_eq!(doc["emails"][1], json!({"value": "a@h", "type": "home", "display": "Home"}));
    }

    #[test]
    fn attributes_keep_their_place_in_the_document() {
        let keys = |doc: &Value| doc.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        let doc = patched(
            user(),
            json!([
                {"op": "replace", "path": "emails[type eq \"work\"].display", "value": "W"},
                {"op": "replace", "path": "name.givenName", "value": "Augusta"},
                {"op": "replace", "path": "userName", "value": "augusta"},
            ]),
        );
        assert_eq!(keys(&doc), keys(&user()));
    }

    #[test]
    fn filtered_replace_without_a_describable_match_is_no_target() {
        let e = refused(json!([{"op": "replace", "path": "emails[type ne \"work\"].value", "value": "x@y"}]));
        assert_eq!(kind(&e), NO_TARGET);
        let e = refused(json!([{"op": "replace", "path": "emails[value co \"zzz\"].type", "value": "home"}]));
        assert_eq!(kind(&e), NO_TARGET);
    }

    #[test]
    fn filtered_remove_takes_out_elements_or_their_sub_attribute() {
        let doc = json!({"userName": "ada", "emails": [
            {"value": "a@w", "type": "work", "display": "W"},
            {"value": "a@h", "type": "home", "display": "H"},
        ]});
        let gone = patched(doc.clone(), json!([{"op": "remove", "path": "emails[type eq \"work\"]"}]));
        assert_eq!(gone["emails"], json!([{"value": "a@h", "type": "home", "display": "H"}]));
        let cut = patched(doc.clone(), json!([{"op": "remove", "path": "emails[type eq \"home\"].display"}]));
        assert_eq!(cut["emails"][1], json!({"value": "a@h", "type": "home"}));
        assert_eq!(cut["emails"][0]["display"], json!("W"));
        // Nothing matches: no change, no error.
        let same = patched(doc.clone(), json!([{"op": "remove", "path": "emails[type eq \"other\"]"}]));
        assert_eq!(same, doc);
        // The last element gone: the attribute is gone.
        let none = patched(gone, json!([{"op": "remove", "path": "emails[value eq \"A@H\"]"}]));
        assert_eq!(none.get("emails"), None);
    }

    // ----- RFC 7644 §3.5.2 semantics -----

    #[test]
    fn add_appends_to_multi_valued_attributes_without_duplicates() {
        let doc = patched(
            user(),
            json!([{"op": "add", "path": "emails", "value": [
                {"value": "ada@example.com", "type": "work", "primary": true},
                {"value": "ada@home.example", "type": "home"},
            ]}]),
        );
        assert_eq!(doc["emails"].as_array().unwrap().len(), 2);
        // A single value for a multi-valued attribute is one element.
        let doc = patched(doc, json!([{"op": "add", "path": "emails", "value": {"value": "x@y", "type": "other"}}]));
        assert_eq!(doc["emails"][2], json!({"value": "x@y", "type": "other"}));
        // Path-less add appends too.
        let doc = patched(doc, json!([{"op": "add", "value": {"emails": [{"value": "z@y"}]}}]));
        assert_eq!(doc["emails"].as_array().unwrap().len(), 4);
    }

    #[test]
    fn replace_replaces_multi_valued_attributes_whole() {
        let doc =
            patched(user(), json!([{"op": "replace", "path": "emails", "value": [{"value": "new@example.com"}]}]));
        assert_eq!(doc["emails"], json!([{"value": "new@example.com"}]));
        let doc = patched(doc, json!([{"op": "replace", "value": {"emails": []}}]));
        assert_eq!(doc.get("emails"), None);
    }

    #[test]
    fn a_new_primary_value_demotes_the_others() {
        let doc = patched(
            user(),
            json!([{"op": "add", "path": "emails", "value": [{"value": "b@example.com", "primary": "True"}]}]),
        );
        assert_eq!(doc["emails"][0]["primary"], json!(false));
        assert_eq!(doc["emails"][1]["primary"], json!(true));
        let doc = patched(
            doc,
            json!([{"op": "replace", "path": "emails[value eq \"ada@example.com\"].primary", "value": true}]),
        );
        assert_eq!(
            (doc["emails"][0]["primary"].clone(), doc["emails"][1]["primary"].clone()),
            (json!(true), json!(false))
        );
        let e = refused(json!([{"op": "replace", "path": "emails", "value": [
            {"value": "a@x", "primary": true},
            {"value": "b@x", "primary": true},
        ]}]));
        assert_eq!(kind(&e), BAD_VALUE);
        let e = refused(json!([{"op": "add", "path": "emails", "value": [
            {"value": "a@x", "primary": true},
            {"value": "b@x", "primary": true},
        ]}]));
        assert_eq!(kind(&e), BAD_VALUE);
    }

    #[test]
    fn complex_attributes_merge_and_sub_attributes_are_targets() {
        let doc = patched(user(), json!([{"op": "replace", "path": "name", "value": {"familyName": "King"}}]));
        assert_eq!(doc["name"], json!({"givenName": "Ada", "familyName": "King"}));
        let doc = patched(doc, json!([{"op": "add", "path": "name.middleName", "value": "Augusta"}]));
        assert_eq!(doc["name"]["middleName"], json!("Augusta"));
        let doc = patched(doc, json!([{"op": "replace", "path": "NAME.FAMILYNAME", "value": "Byron"}]));
        assert_eq!(doc["name"]["familyName"], json!("Byron"));
        let doc = patched(doc, json!([{"op": "remove", "path": "name.middleName"}]));
        assert_eq!(doc["name"], json!({"givenName": "Ada", "familyName": "Byron"}));
        let doc = patched(doc, json!([{"op": "remove", "path": "name"}]));
        assert_eq!(doc.get("name"), None);
        let doc = patched(doc, json!([{"op": "add", "path": "name.givenName", "value": "Ada"}]));
        assert_eq!(doc["name"], json!({"givenName": "Ada"}));
    }

    #[test]
    fn extension_attributes_by_urn_path() {
        let doc = patched(
            user(),
            json!([
                {"op": "add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber", "value": "42"},
                // Entra sets the manager by bare id.
                {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": "u-7"},
            ]),
        );
        assert_eq!(doc[ENTERPRISE_USER], json!({"employeeNumber": "42", "manager": {"value": "u-7"}}));
        let doc = patched(
            doc,
            json!([{"op": "replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value", "value": "u-8"}]),
        );
        assert_eq!(doc[ENTERPRISE_USER]["manager"], json!({"value": "u-8"}));
        let doc = patched(
            doc,
            json!([
                {"op": "remove", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber"},
                {"op": "remove", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"},
            ]),
        );
        assert_eq!(doc, user(), "an extension left empty disappears");
    }

    #[test]
    fn a_schema_urn_path_takes_an_object_of_its_attributes() {
        let doc = patched(
            user(),
            json!([{"op": "add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "value": {"costCenter": "CC1", "division": "R&D"}}]),
        );
        assert_eq!(doc[ENTERPRISE_USER], json!({"costCenter": "CC1", "division": "R&D"}));
        let doc = patched(
            doc,
            json!([{"op": "remove", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"}]),
        );
        assert_eq!(doc, user());
    }

    #[test]
    fn replace_with_null_clears_and_remove_of_absent_is_fine() {
        let doc = patched(user(), json!([{"op": "replace", "path": "externalId", "value": null}]));
        assert_eq!(doc.get("externalId"), None);
        let doc = patched(doc, json!([{"op": "replace", "value": {"name": null}}]));
        assert_eq!(doc.get("name"), None);
        let doc2 = patched(
            doc.clone(),
            json!([{"op": "remove", "path": "title"}, {"op": "remove", "path": "name.givenName"}]),
        );
        assert_eq!(doc2, doc);
    }

    #[test]
    fn remove_with_a_value_removes_those_values() {
        let doc =
            patched(user(), json!([{"op": "add", "path": "emails", "value": [{"value": "b@x", "type": "home"}]}]));
        let doc = patched(doc, json!([{"op": "remove", "path": "emails", "value": [{"value": "ADA@example.com"}]}]));
        assert_eq!(doc["emails"], json!([{"value": "b@x", "type": "home"}]));
        let doc = patched(doc, json!([{"op": "remove", "path": "emails", "value": [{"value": "b@x"}]}]));
        assert_eq!(doc.get("emails"), None);
    }

    #[test]
    fn password_is_accepted_and_never_stored() {
        let doc = patched(
            user(),
            json!([
                {"op": "replace", "path": "password", "value": "s3cret!"},
                {"op": "replace", "value": {"password": "s3cret!", "active": false}},
            ]),
        );
        assert_eq!(doc.get("password"), None);
        assert_eq!(doc["active"], json!(false));
    }

    // ----- errors -----

    #[test]
    fn read_only_targets_are_mutability_errors() {
        for operations in [
            json!([{"op": "replace", "path": "id", "value": "x"}]),
            json!([{"op": "remove", "path": "id"}]),
            json!([{"op": "replace", "path": "meta.lastModified", "value": "2024-01-01T00:00:00Z"}]),
            json!([{"op": "add", "path": "groups", "value": [{"value": "g"}]}]),
            json!([{"op": "add", "value": {"groups": [{"value": "g"}]}}]),
            json!([{"op": "replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.displayName", "value": "Boss"}]),
            json!([{"op": "replace", "value": {"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.displayName": "Boss"}}]),
        ] {
            let e = refused(operations.clone());
            assert_eq!(kind(&e), BAD_MUTABILITY, "{operations}: {}", e.detail);
        }
    }

    #[test]
    fn id_meta_and_schemas_in_a_path_less_value_are_ignored() {
        let doc = patched(
            user(),
            json!([{"op": "replace", "value": {
                "id": "other", "meta": {"version": "W/\"1\""}, "schemas": ["x"], "title": "Dr"
            }}]),
        );
        let mut expected = user();
        expected["title"] = json!("Dr");
        assert_eq!(doc, expected);
    }

    #[test]
    fn unknown_paths_are_invalid_path() {
        for operations in [
            json!([{"op": "replace", "path": "nickname2", "value": "x"}]),
            json!([{"op": "replace", "path": "name.nickName", "value": "x"}]),
            json!([{"op": "replace", "path": "urn:example:ext:1.0:User:badge", "value": "x"}]),
            json!([{"op": "replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:userName", "value": "x"}]),
            json!([{"op": "add", "value": {"favouriteColour": "blue"}}]),
            json!([{"op": "add", "value": {"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"shoeSize": 9}}}]),
            json!([{"op": "remove", "path": "schemas"}]),
            json!([{"op": "replace", "path": "title[value eq \"x\"]", "value": "x"}]),
        ] {
            let e = refused(operations.clone());
            assert_eq!(kind(&e), BAD_PATH, "{operations}: {}", e.detail);
        }
    }

    #[test]
    fn remove_without_a_path_is_no_target() {
        let e = refused(json!([{"op": "remove", "value": {"title": "x"}}]));
        assert_eq!(kind(&e), NO_TARGET);
    }

    #[test]
    fn path_less_values_must_be_objects() {
        let e = refused(json!([{"op": "replace", "value": "inactive"}]));
        assert_eq!(kind(&e), BAD_VALUE);
    }

    #[test]
    fn required_attributes_cannot_be_removed() {
        for operations in [
            json!([{"op": "remove", "path": "userName"}]),
            json!([{"op": "replace", "path": "userName", "value": ""}]),
            json!([{"op": "replace", "value": {"userName": null}}]),
        ] {
            let e = refused(operations.clone());
            assert_eq!(kind(&e), BAD_VALUE, "{operations}");
            assert!(e.detail.contains("userName"), "{}", e.detail);
        }
        let mut group = json!({"displayName": "G"});
        let e = apply(&mut group, &ops(json!([{"op": "remove", "path": "displayName"}])), &GROUP_TYPE).unwrap_err();
        assert_eq!(kind(&e), BAD_VALUE);
        assert_eq!(group, json!({"displayName": "G"}));
    }

    #[test]
    fn wrong_value_types_are_invalid_value() {
        for operations in [
            json!([{"op": "replace", "path": "userName", "value": 42}]),
            json!([{"op": "replace", "path": "name", "value": "Ada Lovelace"}]),
            json!([{"op": "replace", "path": "name.givenName", "value": ["Ada"]}]),
            json!([{"op": "add", "path": "emails", "value": [{"value": "a@x", "primary": "yes"}]}]),
            json!([{"op": "replace", "value": {"active": 1}}]),
        ] {
            let e = refused(operations.clone());
            assert_eq!(kind(&e), BAD_VALUE, "{operations}: {}", e.detail);
        }
    }

    #[test]
    fn all_or_nothing() {
        let e = refused(json!([
            {"op": "replace", "path": "title", "value": "Dr"},
            {"op": "replace", "value": {"active": false}},
            {"op": "add", "path": "emails", "value": [{"value": "b@x"}]},
            {"op": "replace", "path": "unknownThing", "value": "x"},
        ]));
        assert_eq!(kind(&e), BAD_PATH);
        assert!(e.detail.starts_with("Operation 4:"), "{}", e.detail);
    }

    #[test]
    fn immutable_attributes_may_be_set_once() {
        use crate::scim::resource::testing::{BADGE_TYPE, BADGE_URN};
        let path = format!("{BADGE_URN}:badge");
        let mut doc = json!({"userName": "ada"});
        apply(&mut doc, &ops(json!([{"op": "add", "path": path, "value": "B-1"}])), &BADGE_TYPE).unwrap();
        assert_eq!(doc[BADGE_URN]["badge"], json!("B-1"));
        // The same value again is no change.
        apply(&mut doc, &ops(json!([{"op": "replace", "path": path, "value": "B-1"}])), &BADGE_TYPE).unwrap();
        for operations in [
            json!([{"op": "replace", "path": path, "value": "B-2"}]),
            json!([{"op": "remove", "path": path}]),
            json!([{"op": "replace", "value": {(BADGE_URN): {"badge": "B-2"}}}]),
        ] {
            let e = apply(&mut doc, &ops(operations.clone()), &BADGE_TYPE).unwrap_err();
            assert_eq!(kind(&e), BAD_MUTABILITY, "{operations}");
            assert_eq!(doc[BADGE_URN]["badge"], json!("B-1"));
        }
    }

    #[test]
    fn a_null_document_is_an_empty_one() {
        let mut doc = Value::Null;
        apply(&mut doc, &ops(json!([{"op": "add", "value": {"displayName": "G"}}])), &GROUP_TYPE).unwrap();
        assert_eq!(doc, json!({"displayName": "G"}));
    }
}
