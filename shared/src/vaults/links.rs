//! Links: a provisioned group (the source) filling a vault group (the target).
//!
//! Making a link is one transaction: the link item (`pending`), the target group's `link`
//! (absent before: a target has at most one link) and the link's id in the source group's
//! `links` set. From that commit on, every membership write of the source also writes a
//! follow entry naming the users it changed and the source's links (its condition is the
//! `links` set it read, so no write can miss a link made meanwhile). Then two kinds of work
//! fill the target ([`super::sync`]):
//!
//! - the link's replacement ([`crate::jobs::JobKind::LinkReplace`]) walks source and target
//!   in user-id order a page at a time and makes each user's target membership its source
//!   membership, then marks the link `active`;
//! - each follow entry ([`crate::jobs::JobKind::LinkFollow`]) makes the membership of the
//!   users it names the same, then drops the link from the entry.
//!
//! Each write of a target member is conditional on the source membership it copies, so
//! whatever order these run in, and however often, the target ends equal to the source once
//! they are done. Unlinking (an admin, or the source group's deletion) marks the link
//! `removed` with its cause and frees the target, which keeps its members.

use std::collections::BTreeSet;

use crate::clock::now;
use crate::keys::{self, GROUP_LINKS};
use crate::store::{Action, AttrValue, Condition, Item, Key, StoreError, Table, Update};
use crate::transaction::{Failure, Transaction};

/// Most links one provisioned group may be the source of (its `links` set, copied into
/// every follow entry, stays small).
pub const MAX_LINKS_PER_SOURCE: usize = 50;

/// A link's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LinkState {
    /// Made; its first replacement of the target's members is under way.
    Pending,
    /// The target follows the source.
    Active,
    /// Unlinked: the target keeps its members and follows no more.
    Removed,
}

impl LinkState {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkState::Pending => "pending",
            LinkState::Active => "active",
            LinkState::Removed => "removed",
        }
    }

    fn parse(s: &str) -> Option<LinkState> {
        match s {
            "pending" => Some(LinkState::Pending),
            "active" => Some(LinkState::Active),
            "removed" => Some(LinkState::Removed),
            _ => None,
        }
    }
}

/// Why a link was removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Cause {
    /// An admin deleted it.
    Admin,
    /// Its source group was deleted (through SCIM).
    SourceDeleted,
}

impl Cause {
    pub fn as_str(self) -> &'static str {
        match self {
            Cause::Admin => "admin",
            Cause::SourceDeleted => "source-deleted",
        }
    }
}

/// A link of a subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub id: String,
    pub subscription: String,
    /// The configuration (tenant id) that provisions the source group.
    pub source_tenant: String,
    pub source_group: String,
    pub vault: String,
    pub target_group: String,
    pub state: LinkState,
    /// The job of its first replacement.
    pub job: String,
    pub created: String,
    /// When and why it was removed.
    pub removed: Option<(String, String)>,
}

impl Link {
    pub(super) fn to_item(&self) -> Item {
        let mut item = Item::new(keys::link(&self.subscription, &self.id))
            .with("source_tenant", self.source_tenant.as_str())
            .with("source_group", self.source_group.as_str())
            .with("vault", self.vault.as_str())
            .with("target_group", self.target_group.as_str())
            .with("state", self.state.as_str())
            .with("job", self.job.as_str())
            .with("created", self.created.as_str());
        if let Some((when, cause)) = &self.removed {
            item = item.with("removed", when.as_str()).with("removed_cause", cause.as_str());
        }
        item
    }

    pub(super) fn from_item(subscription: &str, item: &Item) -> Option<Link> {
        let removed = match (item.str("removed"), item.str("removed_cause")) {
            (Some(when), Some(cause)) => Some((when.to_owned(), cause.to_owned())),
            _ => None,
        };
        Some(Link {
            id: item.key.sk.strip_prefix(keys::LINK_PREFIX)?.to_owned(),
            subscription: subscription.to_owned(),
            source_tenant: item.str("source_tenant")?.to_owned(),
            source_group: item.str("source_group")?.to_owned(),
            vault: item.str("vault")?.to_owned(),
            target_group: item.str("target_group")?.to_owned(),
            state: LinkState::parse(item.str("state")?)?,
            job: item.str("job")?.to_owned(),
            created: item.str("created")?.to_owned(),
            removed,
        })
    }

    /// The key of its source group's item.
    pub(super) fn source_key(&self) -> Key {
        keys::group(&self.source_tenant, &self.source_group)
    }
}

/// The condition that a target group is filled by `link`.
pub(super) fn filled_by(link: &str) -> Condition {
    Condition::AttrEq("link".into(), link.into())
}

/// What each action of an unlinking stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Link,
    Target,
    Source,
}

/// Removes the link `id` of `subscription` for `cause`: the link is marked `removed`, its
/// target group is free (and keeps its members), its source group no longer names it. No
/// such link, or one removed already, is no error. Used by the vaults service and by the
/// directory when a source group is deleted.
pub async fn unlink(table: &dyn Table, subscription: &str, id: &str, cause: Cause) -> Result<(), StoreError> {
    for _ in 0..super::WRITE_ATTEMPTS {
        let Some(item) = table.get(&keys::link(subscription, id)).await? else { return Ok(()) };
        let Some(link) = Link::from_item(subscription, &item) else { return Ok(()) };
        if link.state == LinkState::Removed {
            return Ok(());
        }
        let source = table.get(&link.source_key()).await?;
        let mut write = Transaction::new();
        let removed = Link { state: LinkState::Removed, removed: Some((now(), cause.as_str().to_owned())), ..link };
        let state = Condition::AttrEq("state".into(), removed_from(&item).into());
        write.push(Part::Link, Action::Put { item: removed.to_item(), condition: Some(state) });
        let target = keys::vault_group(subscription, &removed.vault, &removed.target_group);
        let free = Action::Update {
            key: target,
            updates: vec![Update::Remove("link".into())],
            condition: Some(filled_by(id)),
        };
        write.push(Part::Target, free);
        if let Some(source) = source.filter(|s| s.set(GROUP_LINKS).is_some_and(|links| links.contains(id))) {
            // The source's membership writes condition on its links: this change makes any
            // one in flight read them again, and stop recording for this link.
            let updates = vec![Update::DeleteFromSet(GROUP_LINKS.into(), BTreeSet::from([id.to_owned()]))];
            let links = source.set(GROUP_LINKS).cloned().unwrap_or_default();
            let condition = Condition::AttrEq(GROUP_LINKS.into(), AttrValue::Ss(links));
            write.push(Part::Source, Action::Update { key: source.key, updates, condition: Some(condition) });
        }
        match write.commit(table).await {
            Ok(()) => return Ok(()),
            // Read again: the link or its source changed meanwhile.
            Err(Failure::Condition(Part::Link | Part::Source)) => continue,
            Err(Failure::Condition(Part::Target)) => {
                return Err(StoreError::Other(format!("the target group of link {id} names another link")))
            }
            Err(Failure::Store(e)) => return Err(e),
        }
    }
    Err(StoreError::Busy("a link kept changing while it was removed".to_owned()))
}

/// The state a link item had when read (the condition of a change made from that read).
fn removed_from(item: &Item) -> &str {
    item.str("state").unwrap_or_default()
}
