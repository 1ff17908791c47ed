//! The SCIM directory: a tenant's users, groups and their memberships, written once against
//! the [`Table`] port.
//!
//! The directory speaks SCIM JSON at its edges (it takes request bodies and returns rendered
//! resources, and its errors are [`ScimError`]s) but knows nothing of HTTP or of credentials:
//! the SCIM edge ([`crate::edge::scim`]) authenticates a request with [`crate::tenants`] and
//! hands the directory the [`Tenant`] it is for.

mod group_licenses;
pub mod groups;
mod listing;
mod members;
mod render;
mod resources;
pub mod users;

use std::sync::Arc;

use serde_json::Value;

pub use group_licenses::{LicensePage, SubscriptionGroup, MEMBERS_PER_LICENSE_TRANSACTION, MEMBERS_PER_PAGE};
pub use listing::{ListPage, ListParams, MAX_COUNT, MAX_FILTER_SCAN, MAX_LIST_PAGE_BYTES};
pub use members::MAX_MEMBER_DISPLAY_BYTES;

use crate::jobs::Jobs;
use crate::licenses::Licenses;
use crate::scim::resource::Projection;
use crate::scim::schema::ResourceType;
use crate::scim::ScimError;
use crate::store::{StoreError, Table};
use crate::tenants::Configuration;

/// Longest userName, externalId or displayName accepted, in bytes: they become keys.
pub const MAX_KEY_VALUE_LEN: usize = 1024;
/// How many times a write that lost an optimistic-locking race is retried before the
/// client gets 503.
const WRITE_ATTEMPTS: usize = 8;

/// The domain service. One per process (per Lambda cold start), shared by every request.
pub struct Directory {
    table: Arc<dyn Table>,
    /// Where the links' work starts when a linked group's membership changes.
    jobs: Arc<Jobs>,
    /// Seats users as they are created, (de)activated and deleted, in the same transactions.
    licenses: Licenses,
    bookmarks: listing::Bookmarks,
    /// Members a page of license work reads ([`MEMBERS_PER_PAGE`]); a group with more is a
    /// background job.
    members_per_page: usize,
}

/// The tenant a request is for, as resolved and authenticated by the HTTP layer.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub configuration: Configuration,
    /// The tenant's base URL as the client sees it (`https://host/scim/v2/<tenant>`), for
    /// `meta.location` and `Location`.
    pub url: String,
}

impl Tenant {
    pub fn id(&self) -> &str {
        &self.configuration.tenant
    }
}

/// A rendered single resource and its version, for the `ETag` header.
#[derive(Debug, Clone)]
pub struct Resource {
    pub id: String,
    pub version: i64,
    pub body: Value,
}

impl Resource {
    /// The weak entity tag of this version (also `meta.version`).
    pub fn etag(&self) -> String {
        render::etag(self.version)
    }

    /// This resource as the client asked to see it (`attributes`, `excludedAttributes`).
    pub fn projected(mut self, projection: &Projection, rt: &ResourceType) -> Resource {
        self.body = projection.apply(std::mem::take(&mut self.body), rt);
        self
    }
}

/// An `If-Match` precondition: the entity tags the client accepts.
#[derive(Debug, Clone, Default)]
pub struct Precondition(pub Option<String>);

impl Precondition {
    /// 412 unless the precondition accepts `version`.
    fn check(&self, version: i64) -> Result<(), ScimError> {
        match &self.0 {
            None => Ok(()),
            Some(tags) => {
                let current = render::etag(version);
                let accepted = tags.split(',').map(str::trim).any(|t| {
                    t == "*" || t == current || t.trim_start_matches("W/") == current.trim_start_matches("W/")
                });
                if accepted {
                    Ok(())
                } else {
                    Err(ScimError::precondition_failed(format!(
                        "If-Match does not match the current version {current}: read the resource again and retry."
                    )))
                }
            }
        }
    }

    fn is_set(&self) -> bool {
        self.0.is_some()
    }
}

impl Directory {
    pub fn new(table: Arc<dyn Table>, jobs: Arc<Jobs>) -> Directory {
        Directory {
            jobs,
            licenses: Licenses::new(table.clone()),
            table,
            bookmarks: Default::default(),
            members_per_page: MEMBERS_PER_PAGE,
        }
    }

    /// Members a page of license work reads: a group with more is a background job.
    pub fn members_per_page(&self) -> usize {
        self.members_per_page
    }

    /// Smaller pages (tests make a background job of a group of a few hundred members).
    pub fn set_members_per_page(&mut self, members: usize) {
        self.members_per_page = members.clamp(1, MEMBERS_PER_PAGE);
    }
}

/// Store failures the client cannot fix: busy means retry later; anything else is our bug.
impl From<StoreError> for ScimError {
    fn from(e: StoreError) -> ScimError {
        match e {
            StoreError::Busy(_) => ScimError::unavailable(1),
            other => {
                tracing::error!(error = %other, "store failure");
                ScimError::internal()
            }
        }
    }
}

fn new_id() -> String {
    // Time-ordered ids keep a tenant's partition in creation order, so users created during
    // an import land after the pages already served instead of shifting them.
    uuid::Uuid::now_v7().to_string()
}

/// Resource ids are UUIDs; anything else cannot name a resource, so it is a 404 without a read.
fn parse_id(id: &str) -> Option<String> {
    uuid::Uuid::parse_str(id).ok().filter(|_| id.len() == 36).map(|u| u.to_string())
}
