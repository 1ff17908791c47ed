//! The audit trail: every change of a subscription user's license state (held or target
//! license, override, waiting, source configuration), with its time, cause, actor and the
//! state before and after. Entries are written in the same transaction as the change they
//! record, so the trail never misses nor invents one.
//!
//! One item per entry in the subscription's trail partition, sorted by time, and on `gsi1`
//! under the user, so one user's history is one query.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use std::sync::Arc;

use crate::clock::now;
use crate::keys;
use crate::store::{Cursor, Index, Item, Query, StoreError, Table, GSI1_PK, GSI1_SK};

/// Why a user's license state changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cause {
    /// Created through SCIM.
    ScimCreate,
    /// Changed through SCIM without a change of `active` (a rename, say).
    ScimUpdate,
    /// Deactivated through SCIM (`active: false`).
    Deactivate,
    /// Reactivated through SCIM (`active: true`).
    Reactivate,
    /// Deleted through SCIM: it left the SCIM view and stays in the subscription, disabled.
    ScimDelete,
    /// Joined or left a provisioned group.
    Membership,
    /// A group it is in got another license type.
    GroupLicense,
    /// Its source configuration's default license changed, or the configuration went.
    Configuration,
    /// An admin set or cleared its override.
    Override,
    /// The purchase of a license type grew.
    Purchase,
    /// A seat freed elsewhere went to it.
    Recycle,
    /// A SCIM create took over a user no configuration provisioned.
    Adopt,
    /// Created by an admin.
    AdminCreate,
}

impl Cause {
    pub fn as_str(self) -> &'static str {
        match self {
            Cause::ScimCreate => "scim-create",
            Cause::ScimUpdate => "scim-update",
            Cause::Deactivate => "deactivate",
            Cause::Reactivate => "reactivate",
            Cause::ScimDelete => "scim-delete",
            Cause::Membership => "membership",
            Cause::GroupLicense => "group-license",
            Cause::Configuration => "configuration",
            Cause::Override => "override",
            Cause::Purchase => "purchase",
            Cause::Recycle => "recycle",
            Cause::Adopt => "adopt",
            Cause::AdminCreate => "admin-create",
        }
    }
}

/// One audit entry as stored and listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub time: String,
    pub user: String,
    pub cause: Cause,
    /// The configuration (tenant id) or admin (`sub` claim) that caused it.
    pub actor: String,
    pub before: Value,
    pub after: Value,
}

impl Entry {
    /// A new entry, dated now.
    pub fn new(user: &str, cause: Cause, actor: &str, before: Value, after: Value) -> Entry {
        Entry { time: now(), user: user.to_owned(), cause, actor: actor.to_owned(), before, after }
    }

    /// The item of this entry in `subscription`'s trail.
    pub fn to_item(&self, subscription: &str) -> Item {
        // Entries of one millisecond stay apart and in order: a time-ordered id follows the time.
        let sk = format!("{}#{}", self.time, uuid::Uuid::now_v7());
        let text = serde_json::to_string(self).unwrap_or_default();
        Item::new(crate::store::Key::new(keys::audit_trail(subscription), sk.clone()))
            .with("entry", text)
            .with(GSI1_PK, keys::user_audit_trail(subscription, &self.user))
            .with(GSI1_SK, sk)
    }

    pub fn from_item(item: &Item) -> Option<Entry> {
        serde_json::from_str(item.str("entry")?).ok()
    }
}

/// A page of the trail, newest first.
#[derive(Debug, Clone)]
pub struct TrailPage {
    pub entries: Vec<Entry>,
    pub next: Option<Cursor>,
}

/// Reads the audit trail (entries are written by the services whose changes they record).
pub struct Audit {
    table: Arc<dyn Table>,
}

impl Audit {
    pub fn new(table: Arc<dyn Table>) -> Audit {
        Audit { table }
    }

    /// Up to `limit` entries of `subscription`'s trail (of one `user`, if given), newest
    /// first, after `after`.
    pub async fn trail(
        &self,
        subscription: &str,
        user: Option<&str>,
        after: Option<Cursor>,
        limit: usize,
    ) -> Result<TrailPage, StoreError> {
        let mut query = match user {
            Some(user) => Query::new(Index::Gsi1, keys::user_audit_trail(subscription, user)),
            None => Query::new(Index::Base, keys::audit_trail(subscription)),
        };
        query.descending = true;
        query.limit = limit;
        query.after = after;
        let page = self.table.query(&query).await?;
        Ok(TrailPage { entries: page.items.iter().filter_map(Entry::from_item).collect(), next: page.next })
    }
}
