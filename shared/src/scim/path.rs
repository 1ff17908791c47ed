//! Attribute paths (RFC 7644 §3.10) and PATCH paths (§3.5.2, `valuePath` forms).
//!
//! Names keep the case the client sent; every comparison against the schema is
//! case-insensitive.

use super::filter::Filter;
use super::ScimError;

/// `[urn:…:]attr[.subAttr]`: `userName`, `name.givenName`,
/// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`.
#[derive(Debug, Clone, PartialEq)]
pub struct AttrPath {
    /// The schema URN when the path names one.
    pub urn: Option<String>,
    pub attr: String,
    pub sub_attr: Option<String>,
}

/// A PATCH `path`: `attrPath`, or `valuePath[.subAttr]` such as
/// `emails[type eq "work"].value` or `members[value eq "2819c223"]`.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchPath {
    /// The attribute (with its URN), without the sub-attribute.
    pub attr: AttrPath,
    /// The value filter between brackets, evaluated against each element of `attr`.
    pub filter: Option<Filter>,
    /// The sub-attribute after the brackets (or after the dot when there is no filter).
    pub sub_attr: Option<String>,
}

impl AttrPath {
    /// Parses an attribute path as used in `attributes`, `excludedAttributes`, `sortBy`
    /// and on the left of a filter comparison.
    pub fn parse(_s: &str) -> Result<AttrPath, ScimError> {
        todo!("filled in by the filter work")
    }
}

impl PatchPath {
    /// Parses a PATCH operation's `path`. Errors are 400 `invalidPath`.
    pub fn parse(_s: &str) -> Result<PatchPath, ScimError> {
        todo!("filled in by the filter work")
    }
}
