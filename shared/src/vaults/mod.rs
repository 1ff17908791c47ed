//! Vaults: the subscription's M-Files vaults as this service knows them, each with its user
//! groups and users. A vault group is made by an admin, or on the spot while making a link;
//! links from provisioned groups fill them ([`links`], [`sync`]; docs/architecture.md,
//! "Vaults and links"). A vault's users are the users of its groups: each counts the groups
//! of the vault it is in, and is an active user of the vault while that is above zero.
//!
//! A vault's name is unique in its subscription and a group's name in its vault, both
//! case-insensitively (a sentinel item written in the same transaction as the thing it
//! names). A vault group is made only while its vault exists: its transaction checks the
//! vault's item.

mod feed;
mod links;
mod sync;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use feed::Changes;
pub use feed::{Change, ChangePage, Recorded, MAX_CHANGES_PAGE};
pub use links::{unlink, Cause, Link, LinkState, MAX_LINKS_PER_SOURCE};
pub use sync::{LinkPage, REPLACE_PAGE};

use crate::clock::now;
use crate::jobs::{Job, JobKind, Jobs};
use crate::keys::{self, GROUP_LINKS};
use crate::licenses::Holder;
use crate::names::{self, MAX_NAME_CHARS};
use crate::store::{
    query_all, Action, AttrValue, Condition, Cursor, Index, Item, Key, Query, StoreError, Table, Update,
};
use crate::transaction::{Failure, Transaction};

/// Errors of the vaults service.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("no vault with id {0:?} in this subscription")]
    UnknownVault(String),
    #[error("a name must be 1 to {MAX_NAME_CHARS} characters")]
    InvalidName,
    #[error("a vault named {0:?} already exists in this subscription")]
    VaultNameTaken(String),
    #[error("a group named {0:?} already exists in this vault")]
    GroupNameTaken(String),
    #[error("no group with id {0:?} in this vault")]
    UnknownGroup(String),
    #[error("no provisioned group with id {0:?} in this subscription")]
    UnknownSourceGroup(String),
    #[error("the vault group {0:?} is filled by another link already; a group has at most one link")]
    TargetLinked(String),
    #[error("the provisioned group is the source of {MAX_LINKS_PER_SOURCE} links already")]
    TooManyLinks,
    #[error("no link with id {0:?} in this subscription")]
    UnknownLink(String),
    #[error("the cursor is not one this listing gave: start again without it")]
    InvalidCursor,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A vault of a subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vault {
    pub id: String,
    pub subscription: String,
    pub name: String,
    /// When it was made (RFC 3339).
    pub created: String,
}

impl Vault {
    fn to_item(&self) -> Item {
        Item::new(keys::vault(&self.subscription, &self.id))
            .with("name", self.name.as_str())
            .with("created", self.created.as_str())
    }

    fn from_item(subscription: &str, item: &Item) -> Option<Vault> {
        Some(Vault {
            id: item.key.sk.strip_prefix(keys::VAULT_PREFIX)?.to_owned(),
            subscription: subscription.to_owned(),
            name: item.str("name")?.to_owned(),
            created: item.str("created")?.to_owned(),
        })
    }
}

/// A user group of a vault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaultGroup {
    pub id: String,
    pub vault: String,
    pub name: String,
    /// How many members it has.
    pub members: i64,
    /// The link (its id) that fills it from a provisioned group, if one does.
    pub link: Option<String>,
    pub created: String,
}

impl VaultGroup {
    fn to_item(&self, subscription: &str) -> Item {
        let mut item = Item::new(keys::vault_group(subscription, &self.vault, &self.id))
            .with("name", self.name.as_str())
            .with("members", self.members)
            .with("created", self.created.as_str());
        if let Some(link) = &self.link {
            item = item.with("link", link.as_str());
        }
        item
    }

    fn from_item(vault: &str, item: &Item) -> Option<VaultGroup> {
        Some(VaultGroup {
            id: item.key.sk.strip_prefix(keys::VAULT_GROUP_PREFIX)?.to_owned(),
            vault: vault.to_owned(),
            name: item.str("name")?.to_owned(),
            members: item.i64("members").unwrap_or(0),
            link: item.str("link").map(str::to_owned),
            created: item.str("created")?.to_owned(),
        })
    }
}

/// What each action of a vaults transaction stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Name,
    Vault,
    Group,
    Link,
    Source,
}

/// How often a change that lost a race is read and tried again before the store is
/// reported busy.
const WRITE_ATTEMPTS: usize = 8;

/// Members or users in one page of a listing.
pub const LIST_PAGE: usize = 100;

/// A provisioned group as a link's source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The configuration (tenant id) that provisions it.
    pub tenant: String,
    pub group: String,
    /// How many members it has (the replacement's expected size).
    pub members: i64,
}

/// Where a link fills: a group of the vault, or one made with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Existing(String),
    New(String),
}

/// A member of a vault group, or a user of a vault, with its subscription user (None when
/// the subscription has no user of that id any more).
#[derive(Debug, Clone, PartialEq)]
pub struct VaultUser {
    pub id: String,
    pub user: Option<Holder>,
    /// In how many of the vault's groups it is (members of a group: 1).
    pub groups: i64,
}

/// A page of vault users or members.
#[derive(Debug, Clone, PartialEq)]
pub struct VaultUserPage {
    pub items: Vec<VaultUser>,
    pub next: Option<String>,
}

/// The vaults service. One per process.
pub struct Vaults {
    table: Arc<dyn Table>,
    /// Where a link's replacement starts.
    jobs: Arc<Jobs>,
}

impl Vaults {
    pub fn new(table: Arc<dyn Table>, jobs: Arc<Jobs>) -> Vaults {
        Vaults { table, jobs }
    }

    /// Makes a vault named `name` in `subscription`.
    pub async fn create_vault(&self, subscription: &str, name: &str) -> Result<Vault, VaultError> {
        let name = names::trimmed(name).ok_or(VaultError::InvalidName)?;
        let vault =
            Vault { id: new_id(), subscription: subscription.to_owned(), name: name.to_owned(), created: now() };
        let sentinel = Item::new(keys::vault_name(subscription, name)).with("vault", vault.id.as_str());
        let mut write = Transaction::new();
        write.push(Part::Name, Action::Put { item: sentinel, condition: Some(Condition::NotExists) });
        write.push(Part::Vault, Action::Put { item: vault.to_item(), condition: Some(Condition::NotExists) });
        match write.commit(&*self.table).await {
            Ok(()) => Ok(vault),
            Err(Failure::Condition(Part::Name)) => Err(VaultError::VaultNameTaken(name.to_owned())),
            Err(Failure::Condition(_)) => Err(StoreError::Other("a new vault id collided".to_owned()).into()),
            Err(Failure::Store(e)) => Err(e.into()),
        }
    }

    /// Every vault of `subscription`, by id (which is in creation order).
    pub async fn vaults(&self, subscription: &str) -> Result<Vec<Vault>, StoreError> {
        let items = query_all(&*self.table, Query::new(Index::Base, keys::vaults(subscription))).await?;
        Ok(items.iter().filter_map(|item| Vault::from_item(subscription, item)).collect())
    }

    /// The vault `id` of `subscription`, if there is one.
    pub async fn vault(&self, subscription: &str, id: &str) -> Result<Option<Vault>, StoreError> {
        let Some(key) = fitting(keys::vault(subscription, id)) else {
            return Ok(None);
        };
        let item = self.table.get(&key).await?;
        Ok(item.as_ref().and_then(|item| Vault::from_item(subscription, item)))
    }

    /// Makes a user group named `name` in the vault `vault` of `subscription`.
    pub async fn create_group(&self, subscription: &str, vault: &str, name: &str) -> Result<VaultGroup, VaultError> {
        let unknown = || VaultError::UnknownVault(vault.to_owned());
        let vault_key = fitting(keys::vault(subscription, vault)).ok_or_else(unknown)?;
        let name = names::trimmed(name).ok_or(VaultError::InvalidName)?;
        let group = VaultGroup {
            id: new_id(),
            vault: vault.to_owned(),
            name: name.to_owned(),
            members: 0,
            link: None,
            created: now(),
        };
        let sentinel = Item::new(keys::vault_group_name(subscription, vault, name)).with("group", group.id.as_str());
        for _ in 0..WRITE_ATTEMPTS {
            let item = self.table.get(&vault_key).await?.ok_or_else(unknown)?;
            let mut changes = Changes::after(subscription, vault, &item);
            changes.push(Change::GroupAdded { group: group.id.clone(), name: group.name.clone() });
            let mut write = Transaction::new();
            changes.push_into(&mut write, Part::Vault);
            write.push(Part::Name, Action::Put { item: sentinel.clone(), condition: Some(Condition::NotExists) });
            let item = group.to_item(subscription);
            write.push(Part::Group, Action::Put { item, condition: Some(Condition::NotExists) });
            match write.commit(&*self.table).await {
                Ok(()) => return Ok(group),
                // The vault's feed moved on (or the vault went): read it again.
                Err(Failure::Condition(Part::Vault)) => continue,
                Err(Failure::Condition(Part::Name)) => return Err(VaultError::GroupNameTaken(name.to_owned())),
                Err(Failure::Condition(Part::Group | Part::Link | Part::Source)) => {
                    return Err(StoreError::Other("a new vault group id collided".to_owned()).into())
                }
                Err(Failure::Store(e)) => return Err(e.into()),
            }
        }
        Err(StoreError::Busy(format!("the vault {vault:?} kept changing while a group was made")).into())
    }

    /// Every user group of the vault `vault`, by id (creation order); None if there is no
    /// such vault.
    pub async fn groups(&self, subscription: &str, vault: &str) -> Result<Option<Vec<VaultGroup>>, StoreError> {
        if self.vault(subscription, vault).await?.is_none() {
            return Ok(None);
        }
        let items = query_all(&*self.table, Query::new(Index::Base, keys::vault_groups(subscription, vault))).await?;
        Ok(Some(items.iter().filter_map(|item| VaultGroup::from_item(vault, item)).collect()))
    }

    /// The user group `id` of the vault `vault`, if there is one.
    pub async fn group(&self, subscription: &str, vault: &str, id: &str) -> Result<Option<VaultGroup>, StoreError> {
        let Some(key) = fitting(keys::vault_group(subscription, vault, id)) else {
            return Ok(None);
        };
        let item = self.table.get(&key).await?;
        Ok(item.as_ref().and_then(|item| VaultGroup::from_item(vault, item)))
    }

    /// Links `source` (a provisioned group) to a group of the vault `vault`: made `pending`,
    /// with the job of its first replacement of the target's members started.
    pub async fn create_link(
        &self,
        subscription: &str,
        source: &Source,
        vault: &str,
        target: Target,
        actor: &str,
    ) -> Result<Link, VaultError> {
        let vault_key =
            fitting(keys::vault(subscription, vault)).ok_or_else(|| VaultError::UnknownVault(vault.into()))?;
        let new_target = match &target {
            Target::New(name) => Some(names::trimmed(name).ok_or(VaultError::InvalidName)?.to_owned()),
            Target::Existing(group) => {
                fitting(keys::vault_group(subscription, vault, group))
                    .ok_or_else(|| VaultError::UnknownGroup(group.clone()))?;
                None
            }
        };
        let id = new_id();
        // The link and the job of its replacement are made in one transaction: neither exists
        // without the other.
        let kind = JobKind::LinkReplace { link: id.clone() };
        let job = Job::new(subscription, &source.tenant, kind, actor, source.members);
        for _ in 0..WRITE_ATTEMPTS {
            let source_key = keys::group(&source.tenant, &source.group);
            let source_item = self
                .table
                .get(&source_key)
                .await?
                .ok_or_else(|| VaultError::UnknownSourceGroup(source.group.clone()))?;
            let links = source_item.set(GROUP_LINKS).cloned().unwrap_or_default();
            if links.len() >= MAX_LINKS_PER_SOURCE {
                return Err(VaultError::TooManyLinks);
            }
            let target_group = match &target {
                Target::Existing(group) => group.clone(),
                Target::New(_) => new_id(),
            };
            let link = Link {
                id: id.clone(),
                subscription: subscription.to_owned(),
                source_tenant: source.tenant.clone(),
                source_group: source.group.clone(),
                vault: vault.to_owned(),
                target_group: target_group.clone(),
                state: LinkState::Pending,
                job: job.id.clone(),
                created: now(),
                removed: None,
            };
            let mut write = Transaction::new();
            write.push(Part::Link, Action::Put { item: link.to_item(), condition: Some(Condition::NotExists) });
            write.push(Part::Link, job.create());
            match &new_target {
                Some(name) => {
                    let group = VaultGroup {
                        id: target_group.clone(),
                        vault: vault.to_owned(),
                        name: name.clone(),
                        members: 0,
                        link: Some(id.clone()),
                        created: now(),
                    };
                    let sentinel =
                        Item::new(keys::vault_group_name(subscription, vault, name)).with("group", group.id.as_str());
                    let item =
                        self.table.get(&vault_key).await?.ok_or_else(|| VaultError::UnknownVault(vault.into()))?;
                    let mut changes = Changes::after(subscription, vault, &item);
                    changes.push(Change::GroupAdded { group: group.id.clone(), name: group.name.clone() });
                    changes.push_into(&mut write, Part::Vault);
                    write.push(Part::Name, Action::Put { item: sentinel, condition: Some(Condition::NotExists) });
                    let item = group.to_item(subscription);
                    write.push(Part::Group, Action::Put { item, condition: Some(Condition::NotExists) });
                }
                None => {
                    let key = keys::vault_group(subscription, vault, &target_group);
                    let free = Condition::And(vec![Condition::Exists, Condition::AttrAbsent("link".into())]);
                    let updates = vec![Update::Set("link".into(), id.as_str().into())];
                    write.push(Part::Group, Action::Update { key, updates, condition: Some(free) });
                }
            }
            let read = match links.is_empty() {
                true => Condition::AttrAbsent(GROUP_LINKS.into()),
                false => Condition::AttrEq(GROUP_LINKS.into(), AttrValue::Ss(links.clone())),
            };
            let updates = vec![Update::AddToSet(GROUP_LINKS.into(), BTreeSet::from([id.clone()]))];
            let condition = Some(Condition::And(vec![Condition::Exists, read]));
            write.push(Part::Source, Action::Update { key: source_key, updates, condition });
            match write.commit(&*self.table).await {
                Ok(()) => {
                    self.jobs.announce_recorded(&job).await;
                    return Ok(link);
                }
                // The source's links or the vault's feed moved on (or the vault went): read
                // them again.
                Err(Failure::Condition(Part::Source | Part::Vault)) => continue,
                Err(Failure::Condition(Part::Name)) => {
                    return Err(VaultError::GroupNameTaken(new_target.unwrap_or_default()))
                }
                Err(Failure::Condition(Part::Group)) if new_target.is_none() => {
                    return Err(match self.group(subscription, vault, &target_group).await? {
                        Some(_) => VaultError::TargetLinked(target_group),
                        None => VaultError::UnknownGroup(target_group),
                    })
                }
                Err(Failure::Condition(_)) => {
                    return Err(StoreError::Other("a new link or group id collided".to_owned()).into())
                }
                Err(Failure::Store(e)) => return Err(e.into()),
            }
        }
        Err(StoreError::Busy("the source group kept changing while the link was made".to_owned()).into())
    }

    /// Every link of `subscription` (removed ones too), by id: creation order.
    pub async fn links(&self, subscription: &str) -> Result<Vec<Link>, StoreError> {
        let items = query_all(&*self.table, Query::new(Index::Base, keys::links(subscription))).await?;
        Ok(items.iter().filter_map(|item| Link::from_item(subscription, item)).collect())
    }

    /// The link `id` of `subscription`, if there is one.
    pub async fn link(&self, subscription: &str, id: &str) -> Result<Option<Link>, StoreError> {
        let Some(key) = fitting(keys::link(subscription, id)) else { return Ok(None) };
        let item = self.table.get(&key).await?;
        Ok(item.as_ref().and_then(|item| Link::from_item(subscription, item)))
    }

    /// Removes the link `id` (an admin's choice): the target keeps its members and follows
    /// no more. The link as it is afterwards.
    pub async fn delete_link(&self, subscription: &str, id: &str) -> Result<Link, VaultError> {
        let unknown = || VaultError::UnknownLink(id.to_owned());
        self.link(subscription, id).await?.ok_or_else(unknown)?;
        unlink(&*self.table, subscription, id, Cause::Admin).await?;
        self.link(subscription, id).await?.ok_or_else(unknown)
    }

    /// A page of the members of the vault group `group` of `vault`, by user id, from
    /// `cursor`; None when there is no such group.
    pub async fn members(
        &self,
        subscription: &str,
        vault: &str,
        group: &str,
        cursor: Option<&str>,
    ) -> Result<Option<VaultUserPage>, VaultError> {
        if self.group(subscription, vault, group).await?.is_none() {
            return Ok(None);
        }
        let pk = keys::vault_members(subscription, vault, group);
        let page = self.user_page(subscription, pk, keys::MEMBER_PREFIX, cursor, |_| 1).await?;
        Ok(Some(page))
    }

    /// A page of the users of `vault`, by user id, from `cursor`; None when there is no
    /// such vault.
    pub async fn users(
        &self,
        subscription: &str,
        vault: &str,
        cursor: Option<&str>,
    ) -> Result<Option<VaultUserPage>, VaultError> {
        if self.vault(subscription, vault).await?.is_none() {
            return Ok(None);
        }
        let pk = keys::vault_users(subscription, vault);
        let page = self.user_page(subscription, pk, keys::USER_PREFIX, cursor, |item| item.i64("groups").unwrap_or(0));
        Ok(Some(page.await?))
    }

    /// Starts the work of every follow entry recorded before `before` (RFC 3339) that a
    /// link has not carried yet: its writer's start of that work failed or was lost (a crash).
    /// Returns how many links' work started.
    pub async fn restart_follows(&self, before: &str) -> Result<usize, StoreError> {
        let mut query = Query::new(Index::Gsi1, keys::PENDING_FOLLOWS);
        query.limit = 100;
        let page = self.table.query(&query).await?;
        let keys: Vec<Key> = page.items.iter().map(|i| i.key.clone()).collect();
        let mut links: BTreeSet<(String, String, String)> = BTreeSet::new();
        // Read each again: the index may be behind the item.
        for entry in if keys.is_empty() { Vec::new() } else { self.table.batch_get(&keys).await? } {
            let stalled = entry.str("created").is_some_and(|created| created < before);
            let (Some(subscription), Some(tenant)) = (keys::follow_subscription(&entry.key.pk), entry.str("tenant"))
            else {
                continue;
            };
            for link in entry.set("links").into_iter().flatten().filter(|_| stalled) {
                links.insert((subscription.to_owned(), tenant.to_owned(), link.clone()));
            }
        }
        for (subscription, tenant, link) in &links {
            let kind = JobKind::LinkFollow { link: link.clone() };
            self.jobs.start(subscription, tenant, kind, "sweep", 0).await?;
        }
        Ok(links.len())
    }

    /// A page of the partition `pk`, whose sort keys are `prefix` and a user id, with each
    /// user's subscription user.
    async fn user_page(
        &self,
        subscription: &str,
        pk: String,
        prefix: &str,
        cursor: Option<&str>,
        groups: impl Fn(&Item) -> i64,
    ) -> Result<VaultUserPage, VaultError> {
        let mut query = Query::new(Index::Base, pk.clone());
        query.limit = LIST_PAGE;
        if let Some(cursor) = cursor {
            let decoded = Cursor::decode(cursor).filter(|c| c.key.pk == pk).ok_or(VaultError::InvalidCursor)?;
            query.after = Some(decoded);
        }
        let page = self.table.query(&query).await?;
        let ids: Vec<&str> = page.items.iter().filter_map(|i| i.key.sk.strip_prefix(prefix)).collect();
        let keys: Vec<Key> = ids.iter().map(|id| keys::subscription_user(subscription, id)).collect();
        let mut holders: BTreeMap<String, Holder> = BTreeMap::new();
        if !keys.is_empty() {
            for item in self.table.batch_get(&keys).await? {
                if let Some(holder) = Holder::from_item(&item) {
                    holders.insert(holder.id.clone(), holder);
                }
            }
        }
        let items = page
            .items
            .iter()
            .filter_map(|item| {
                let id = item.key.sk.strip_prefix(prefix)?;
                Some(VaultUser { id: id.to_owned(), user: holders.remove(id), groups: groups(item) })
            })
            .collect();
        Ok(VaultUserPage { items, next: page.next.map(|c| c.encode()) })
    }
}

/// A new vault or group id: time-ordered (so listings by id are in creation order) and, like
/// configuration ids, without hyphens.
fn new_id() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

/// `key` if every engine takes it: an id from a URL that cannot be a key names nothing.
fn fitting(key: Key) -> Option<Key> {
    key.fits().then_some(key)
}
