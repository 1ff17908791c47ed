//! The SCIM 2.0 protocol (RFC 7643 and RFC 7644), free of I/O.
//!
//! - [`schema`]: the one definition of User, EnterpriseUser and Group that drives validation,
//!   mutability, `returned`, case-exactness and `/Schemas`.
//! - [`path`] and [`filter`]: attribute paths and the filter grammar, parsed into an AST.
//! - [`resource`]: validating incoming resources and projecting outgoing ones.
//! - [`patch`]: the PATCH engine.
//! - [`error`]: SCIM Error bodies.

pub mod error;
pub mod filter;
pub mod patch;
pub mod path;
pub mod resource;
pub mod schema;

pub use error::{ScimError, ScimType};

/// URN of the ListResponse message.
pub const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
/// URN of the PatchOp message.
pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// URN of the Error message.
pub const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
