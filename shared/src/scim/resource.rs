//! Incoming resources checked against the schema, and outgoing ones projected for the client.

use serde_json::Value;

use super::path::AttrPath;
use super::schema::ResourceType;
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
pub fn validate(_body: &Value, _rt: &ResourceType) -> Result<Value, ScimError> {
    todo!("filled in by the resource work")
}

/// The `attributes` / `excludedAttributes` query parameters, parsed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Projection {
    pub attributes: Vec<AttrPath>,
    pub excluded: Vec<AttrPath>,
}

impl Projection {
    /// Parses the comma-separated parameters (either may be absent). Errors are 400.
    pub fn parse(_attributes: Option<&str>, _excluded: Option<&str>) -> Result<Projection, ScimError> {
        todo!("filled in by the resource work")
    }

    /// Whether the client would see `attr` (a top-level attribute of the core schema, e.g.
    /// `members` or `groups`), so the directory can skip loading what is not wanted.
    pub fn wants(&self, _rt: &ResourceType, _attr: &str) -> bool {
        todo!("filled in by the resource work")
    }

    /// Applies RFC 7643 `returned` and RFC 7644 §3.9 to a whole resource: `always`
    /// attributes (id, schemas, …) are kept, `never` (password) removed, `request` only when
    /// asked; sub-attributes can be selected (`name.givenName`) or excluded; `schemas` lists
    /// only the extension URNs still present.
    pub fn apply(&self, _resource: Value, _rt: &ResourceType) -> Value {
        todo!("filled in by the resource work")
    }
}

/// Member ids of a Group POST or PUT body (`members[].value`).
pub fn take_members(_body: &Value) -> Result<Vec<String>, ScimError> {
    todo!("filled in by the resource work")
}
