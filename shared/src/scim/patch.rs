//! The PATCH engine: RFC 7644 §3.5.2 and the Okta and Entra forms of `../shared/CLIENTS.md`.
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

use super::filter::{CompareOp, Filter};
use super::path::PatchPath;
use super::resource::document::{self, Access, Entry, Mode, Object, Resolved, Selector};
use super::resource::member_ids;
use super::schema::{ResourceType, GROUP};
use super::{ScimError, PATCH_OP};

/// Most operations accepted in one PATCH request (Okta sends up to about 256 member
/// changes in one; the cap bounds the work one request can cause).
pub const MAX_OPERATIONS: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchOp {
    Add,
    Remove,
    Replace,
}

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
/// Errors (400): another filter on members (`invalidFilter`); a filter in an add or replace
/// or a members sub-attribute path (`invalidPath`); a member without a string `value`
/// (`invalidValue`).
pub fn split_member_changes(ops: &mut Vec<PatchOperation>) -> Result<Vec<MemberChange>, ScimError> {
    let mut changes = Vec::new();
    let mut kept = Vec::with_capacity(ops.len());
    for (i, op) in ops.iter().enumerate() {
        let (change, rest) = member_change(op).map_err(|e| in_operation(i, e))?;
        changes.extend(change);
        kept.extend(rest);
    }
    *ops = kept;
    Ok(changes)
}

/// The membership change in `op`, and what of `op` is left for the document.
fn member_change(op: &PatchOperation) -> Result<(Option<MemberChange>, Option<PatchOperation>), ScimError> {
    let value = op.value.as_ref();
    let Some(path) = &op.path else {
        let members_key = match value {
            Some(Value::Object(obj)) if op.op != PatchOp::Remove => {
                obj.keys().find(|k| k.eq_ignore_ascii_case("members")).cloned()
            }
            _ => None,
        };
        let Some(key) = members_key else { return Ok((None, Some(op.clone()))) };
        let mut rest = value.and_then(Value::as_object).cloned().unwrap_or_default();
        let ids = member_ids(&rest.shift_remove(&key).unwrap_or_default())?;
        let change = if op.op == PatchOp::Add { MemberChange::Add(ids) } else { MemberChange::Replace(ids) };
        let rest = (!rest.is_empty()).then(|| PatchOperation { value: Some(Value::Object(rest)), ..op.clone() });
        return Ok((Some(change), rest));
    };
    let is_members = path.attr.attr.eq_ignore_ascii_case("members")
        && path.attr.urn.as_deref().is_none_or(|urn| urn.eq_ignore_ascii_case(GROUP));
    if !is_members {
        return Ok((None, Some(op.clone())));
    }
    if path.sub_attr.is_some() || path.attr.sub_attr.is_some() {
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
    for (i, op) in ops.iter().enumerate() {
        apply_operation(&mut work, op, rt).map_err(|e| in_operation(i, e))?;
    }
    document::check_document(&work, rt)?;
    document::check_immutable(before, &work, rt)?;
    *doc = Value::Object(work);
    Ok(())
}

fn apply_operation(doc: &mut Object, op: &PatchOperation, rt: &ResourceType) -> Result<(), ScimError> {
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
        return apply_entries(doc, op.op, obj, None, rt);
    };
    apply_path(doc, op.op, path, value, rt)
}

/// A path-less add or replace (or one whose path is a schema URN): each attribute of `obj`.
fn apply_entries(
    doc: &mut Object,
    op: PatchOp,
    obj: &Object,
    schema: Option<&'static super::schema::Schema>,
    rt: &ResourceType,
) -> Result<(), ScimError> {
    for entry in document::entries(rt, obj, schema, Mode::Patch)? {
        match entry {
            Entry::At(target, v) => document::apply_at(doc, op, target, None, Some(v))?,
            Entry::ValuePath(key, v) => apply_path(doc, op, &PatchPath::parse(key)?, Some(v), rt)?,
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
                (_, Some(Value::Object(obj))) => apply_entries(doc, op, obj, Some(schema), rt),
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
    document::apply_at(doc, op, target, selector.as_ref(), value)
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
