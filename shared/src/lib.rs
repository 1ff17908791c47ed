//! The library every function shares.
//!
//! Layers, from the edge inwards (docs/architecture.md draws them):
//! - [`edge`]: what every API does with a request (body limit, panic guard, request id, one
//!   log line, error mapping) and the one route table; [`edge::scim`] is the SCIM API on it,
//!   [`edge::manage`] the admin API.
//! - [`app`]: the composition root, building the services over the engines once per process.
//! - Services, each with its own error type: [`tenants`] (provisioning configurations, their
//!   secrets, authentication), [`directory`] (the SCIM users, groups and memberships),
//!   [`licenses`] (subscriptions, seat pools, subscription users, waiting queues), [`audit`]
//!   (the trail of license changes) and [`jobs`] (background work, done by the [`worker`],
//!   handed to it on AWS through the [`job_queue`]).
//!   They write through the [`transaction`] builder over the key layout of [`keys`].
//! - [`scim`]: the SCIM 2.0 protocol itself: schemas, filters, PATCH, errors. No I/O.
//! - Ports and their engines: [`store`] (the Table), [`secrets`] (where verifiers live),
//!   [`job_queue`] (SQS).
//! - Leaves: [`auth`] (SCIM credentials), [`admin_tokens`] (the admin API's bearer tokens) and
//!   [`admin_issuer`] (where a process gets its token verifier), [`casefold`] (case-insensitive matching), [`clock`], [`settings`], [`public_url`] (the base of every URL an
//!   answer carries: configured, never the `Host`), [`sign_in_links`] (the console's one-time
//!   sign-in links, for a process with a development issuer).
//!
//! No module imports one that imports it (`tests/layers.rs` checks).

pub mod admin_issuer;
pub mod admin_tokens;
pub mod app;
pub mod audit;
pub mod auth;
pub mod casefold;
pub mod clock;
pub mod directory;
pub mod edge;
pub mod job_queue;
pub mod jobs;
pub mod keys;
pub mod licenses;
pub mod names;
pub mod oidc;
pub mod public_url;
pub mod scim;
pub mod secrets;
pub mod settings;
pub mod sign_in_links;
pub mod store;
pub mod tenants;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod transaction;
pub mod vaults;
pub mod worker;
