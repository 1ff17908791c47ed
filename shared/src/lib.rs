//! The library every function shares.
//!
//! Layers, from the edge inwards:
//! - [`http`]: turns a `lambda_http::Request` into a call on the directory and its answer
//!   into a SCIM response; resolves the tenant from the path and authenticates it.
//! - [`directory`]: the provisioning domain (users, groups, memberships, configurations)
//!   written once against the [`store::Table`] port.
//! - [`scim`]: the SCIM 2.0 protocol itself: schemas, filters, PATCH, errors. No I/O.
//! - [`store`]: the Table port and its engines; [`secrets`]: where verifiers live.
//! - [`settings`]: which engine a process runs on, from its environment.

pub mod auth;
pub mod directory;
pub mod http;
pub mod scim;
pub mod secrets;
pub mod settings;
pub mod store;
