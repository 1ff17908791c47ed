//! End-to-end tests of the SCIM service over HTTP, against `local::testing::TestService`
//! (an in-process server on a fresh store of the engine `SCIM_TEST_STORE` names: `embedded`,
//! the default, or `dynamodb` on the moto server at `SCIM_TEST_DYNAMODB_ENDPOINT`; the test
//! command runs them on both). The tests live in `tests/tests/`:
//!
//! - `okta.rs`: Okta's requests in Okta's order (Test API Credentials, lookup, create,
//!   duplicate, get, PUT, deactivate / reactivate, import paging, Group Push).
//! - `entra.rs`: Entra's forms (Bearer, lookups, capitalised ops, "True"/"False", member
//!   removal by value list, dotted keys, filtered-path add, DELETE, displayName uniqueness).
//! - `discovery.rs`: /ServiceProviderConfig, /ResourceTypes, /Schemas, SCIM 404s.
//! - `auth.rs`: Basic / Bearer, every other credential a SCIM 401, tenant isolation, rotation.
//! - `protocol.rs`: attributes / excludedAttributes, filters, ETag / If-Match, paging, password.
//! - `concurrency.rs`: racing creates, racing member PATCHes, racing conditional PUTs.
//! - `bad_input.rs`: malformed and hostile requests: a 4xx SCIM error, nothing changed.
//! - `common/mod.rs`: the client and assertions they share.
//!
//! `benches/okta_lifecycle.rs` is a benchmark, not a test: `cargo bench -p tests`.
