//! Vaults: the subscription's M-Files vaults as this service knows them, each with its user
//! groups. A vault group is made by an admin (or, later, on the spot while creating a link);
//! links from provisioned groups fill them (docs/architecture.md, "Vaults and links").
//!
//! A vault's name is unique in its subscription and a group's name in its vault, both
//! case-insensitively (a sentinel item written in the same transaction as the thing it
//! names). A vault group is made only while its vault exists: its transaction checks the
//! vault's item.

use std::sync::Arc;

use crate::clock::now;
use crate::keys;
use crate::names::{self, MAX_NAME_CHARS};
use crate::store::{query_all, Action, Condition, Index, Item, Key, Query, StoreError, Table};
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
}

/// The vaults service. One per process.
pub struct Vaults {
    table: Arc<dyn Table>,
}

impl Vaults {
    pub fn new(table: Arc<dyn Table>) -> Vaults {
        Vaults { table }
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
        let mut write = Transaction::new();
        write.push(Part::Vault, Action::ConditionCheck { key: vault_key, condition: Condition::Exists });
        write.push(Part::Name, Action::Put { item: sentinel, condition: Some(Condition::NotExists) });
        let item = group.to_item(subscription);
        write.push(Part::Group, Action::Put { item, condition: Some(Condition::NotExists) });
        match write.commit(&*self.table).await {
            Ok(()) => Ok(group),
            Err(Failure::Condition(Part::Vault)) => Err(unknown()),
            Err(Failure::Condition(Part::Name)) => Err(VaultError::GroupNameTaken(name.to_owned())),
            Err(Failure::Condition(Part::Group)) => {
                Err(StoreError::Other("a new vault group id collided".to_owned()).into())
            }
            Err(Failure::Store(e)) => Err(e.into()),
        }
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
