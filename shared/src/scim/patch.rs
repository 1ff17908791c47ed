//! The PATCH engine: RFC 7644 §3.5.2 and the Okta and Entra forms of `../shared/CLIENTS.md`.
//!
//! A request is parsed once into [`PatchOperation`]s. Operations on group `members` are not
//! applied to the JSON document (members are items in the store, never a list to rewrite):
//! [`split_member_changes`] turns them into [`MemberChange`]s for the directory. Every other
//! operation is applied to the resource's document by [`apply`].

use serde_json::Value;

use super::path::PatchPath;
use super::schema::ResourceType;
use super::ScimError;

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
pub fn parse(_body: &Value) -> Result<Vec<PatchOperation>, ScimError> {
    todo!("filled in by the patch work")
}

/// Takes the operations that touch `members` out of `ops` (for groups) and returns them as
/// membership changes, in order; what remains applies to the document.
pub fn split_member_changes(_ops: &mut Vec<PatchOperation>) -> Result<Vec<MemberChange>, ScimError> {
    todo!("filled in by the patch work")
}

/// Applies `ops` in order to `doc` (the client-owned attributes, as [`super::resource::validate`]
/// returns them). All or nothing: on error `doc` is unchanged. Attribute names are canonicalised
/// and values type-checked as in `validate`; readOnly targets give 400 `mutability` (except `id`
/// in a path-less value, which Okta sends and which is ignored); unknown paths 400 `invalidPath`;
/// `remove` without a path 400 `noTarget`.
pub fn apply(_doc: &mut Value, _ops: &[PatchOperation], _rt: &ResourceType) -> Result<(), ScimError> {
    todo!("filled in by the patch work")
}
