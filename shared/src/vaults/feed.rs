//! A vault's change feed: every change of its groups, users and memberships, numbered in the
//! order it was made, so that a vault syncs from where it stopped instead of reading
//! everything again (docs/architecture.md, "The change feed").
//!
//! The vault's item holds `seq`, the number of its last change. A transaction that records
//! changes sets `seq` from the value it read to that plus the changes' count, on condition
//! that it still is the value read, and puts each change under its number. So the changes
//! numbered up to `seq` are exactly the committed ones, in commit order, and none is ever
//! numbered below one a reader has seen: a reader that goes on from the last number it read
//! skips nothing and repeats nothing. Every write of a vault's users and memberships records
//! its changes this way, so the same condition serialises them: a change worked out from a
//! reading of the vault's users commits only if none of them moved since.
//!
//! A user's state and license live with the licenses service; it notes a change of either
//! for a user of a vault ([`crate::keys::vault_user_change`], in the transaction of the
//! change), and the feed's reader carries the notes to the vaults' feeds before reading
//! ([`Vaults::changes`]). A vault user's item keeps what its feed last said of it, so a note
//! carried twice or late says only what changed.

use serde::{Deserialize, Serialize};

use super::{Vaults, WRITE_ATTEMPTS};
use crate::clock::now;
use crate::keys;
use crate::licenses::Holder;
use crate::store::{Action, Condition, Cursor, Index, Item, Key, Query, StoreError, Table, Update};
use crate::transaction::{Failure, Transaction};

/// A change of a vault, as its feed says it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// A user group was made in the vault.
    GroupAdded {
        group: String,
        name: String,
    },
    /// A user became a user of the vault (a member of one of its groups), in this state and
    /// holding this license.
    UserAdded {
        user: String,
        user_name: String,
        state: String,
        license: String,
    },
    /// A user left the last group of the vault it was in.
    UserRemoved {
        user: String,
    },
    UserDisabled {
        user: String,
    },
    UserEnabled {
        user: String,
    },
    /// A user of the vault holds another license type.
    LicenseChanged {
        user: String,
        license: String,
    },
    MembershipAdded {
        group: String,
        user: String,
    },
    MembershipRemoved {
        group: String,
        user: String,
    },
}

/// A change with its place in the feed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Recorded {
    /// Its number: 1 for a vault's first change, then one more for each.
    pub seq: u64,
    /// When it was recorded (RFC 3339).
    pub at: String,
    #[serde(flatten)]
    pub change: Change,
}

/// A page of a vault's feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangePage {
    pub changes: Vec<Recorded>,
    /// The number of the last change read: where the next read goes on from.
    pub next: u64,
    /// Whether more changes are there to read now.
    pub more: bool,
}

/// The attribute of a vault's item holding the number of its last change.
const SEQ: &str = "seq";
/// What the feed last said of a vault user (attributes of its item).
const SAID_STATE: &str = "said_state";
const SAID_LICENSE: &str = "said_license";

/// Most changes one read returns.
pub const MAX_CHANGES_PAGE: usize = 1000;

/// Noted users carried to their vaults' feeds per read of a feed.
const NOTES_PER_READ: usize = 100;

/// The changes one transaction records in a vault's feed, numbered after the `seq` read.
pub(super) struct Changes {
    subscription: String,
    vault: String,
    seq: u64,
    changes: Vec<Change>,
}

impl Changes {
    /// Changes to record after the vault's item `vault` (as read).
    pub(super) fn after(subscription: &str, vault: &str, item: &Item) -> Changes {
        let seq = item.i64(SEQ).and_then(|n| u64::try_from(n).ok()).unwrap_or(0);
        Changes { subscription: subscription.to_owned(), vault: vault.to_owned(), seq, changes: Vec::new() }
    }

    /// Changes to record in the vault `vault`, None if there is no such vault.
    pub(super) async fn read(
        table: &dyn Table,
        subscription: &str,
        vault: &str,
    ) -> Result<Option<Changes>, StoreError> {
        let item = table.get(&keys::vault(subscription, vault)).await?;
        Ok(item.map(|item| Changes::after(subscription, vault, &item)))
    }

    pub(super) fn push(&mut self, change: Change) {
        self.changes.push(change);
    }

    pub(super) fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// The vault user `user`'s item, as this feed says it: added now with what `holder`
    /// holds.
    pub(super) fn said_of(holder: &Holder) -> Vec<Update> {
        vec![
            Update::Set(SAID_STATE.into(), holder.state().into()),
            Update::Set(SAID_LICENSE.into(), holder.license.as_str().into()),
        ]
    }

    /// Adds to `write`, labelled `label`, the update of the vault's `seq` (on condition that it
    /// is what was read: its failing means the vault moved since) and one item per change.
    /// With no change, only that condition.
    pub(super) fn push_into<L: Clone>(&self, write: &mut Transaction<L>, label: L) {
        let key = keys::vault(&self.subscription, &self.vault);
        let unchanged = match self.seq {
            0 => Condition::And(vec![Condition::Exists, Condition::AttrAbsent(SEQ.into())]),
            n => Condition::AttrEq(SEQ.into(), to_i64(n).into()),
        };
        if self.changes.is_empty() {
            write.push(label, Action::ConditionCheck { key, condition: unchanged });
            return;
        }
        let last = self.seq + self.changes.len() as u64;
        let updates = vec![Update::Set(SEQ.into(), to_i64(last).into())];
        write.push(label.clone(), Action::Update { key, updates, condition: Some(unchanged) });
        let at = now();
        for (seq, change) in (self.seq + 1..).zip(&self.changes) {
            let Ok(json) = serde_json::to_string(change) else { continue };
            let item = Item::new(keys::vault_change(&self.subscription, &self.vault, seq))
                .with("change", json)
                .with("at", at.as_str());
            write.push(label.clone(), Action::Put { item, condition: Some(Condition::NotExists) });
        }
    }
}

fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A change item as the feed gives it.
fn recorded(item: &Item) -> Option<Recorded> {
    let seq = item.key.sk.strip_prefix(keys::VAULT_CHANGE_PREFIX)?.parse().ok()?;
    let change = serde_json::from_str(item.str("change")?).ok()?;
    Some(Recorded { seq, at: item.str("at")?.to_owned(), change })
}

impl Vaults {
    /// Up to `limit` changes of `vault` after the change numbered `after` (0: from the
    /// start), once the noted changes of its users' states and licenses are in the feed.
    /// None when there is no such vault.
    pub async fn changes(
        &self,
        subscription: &str,
        vault: &str,
        after: u64,
        limit: usize,
    ) -> Result<Option<ChangePage>, StoreError> {
        if self.vault(subscription, vault).await?.is_none() {
            return Ok(None);
        }
        let notes_left = self.carry_user_changes(subscription).await?;
        let pk = keys::vault_changes(subscription, vault);
        let mut query = Query::new(Index::Base, pk.clone());
        query.limit = limit.clamp(1, MAX_CHANGES_PAGE);
        if after > 0 {
            let key = Key::new(pk, keys::vault_change(subscription, vault, after).sk);
            query.after = Some(Cursor { key, index_sk: None });
        }
        let page = self.table.query(&query).await?;
        let changes: Vec<Recorded> = page.items.iter().filter_map(recorded).collect();
        let next = changes.last().map_or(after, |c| c.seq);
        Ok(Some(ChangePage { changes, next, more: page.next.is_some() || notes_left }))
    }

    /// Carries noted changes of users' states and licenses to the feeds of their vaults (up
    /// to [`NOTES_PER_READ`] users); whether more are noted.
    async fn carry_user_changes(&self, subscription: &str) -> Result<bool, StoreError> {
        let mut query = Query::new(Index::Base, keys::vault_user_changes(subscription));
        query.limit = NOTES_PER_READ;
        let page = self.table.query(&query).await?;
        // The noted users, all in one read.
        let noted = page.items.iter().filter_map(|note| note.key.sk.strip_prefix(keys::USER_PREFIX));
        let holders = Holder::read_by_id(&*self.table, subscription, noted).await?;
        for note in &page.items {
            let user = note.key.sk.strip_prefix(keys::USER_PREFIX).unwrap_or_default();
            if let Some(holder) = holders.get(user) {
                for vault in &holder.vaults {
                    self.tell_vault(subscription, vault, holder).await?;
                }
            }
            // Noted again meanwhile: carried again next time.
            let unchanged = note.str("noted").map(|noted| Condition::AttrEq("noted".into(), noted.into()));
            let mut write = Transaction::new();
            write.push((), Action::Delete { key: note.key.clone(), condition: unchanged });
            match write.commit(&*self.table).await {
                Ok(()) | Err(Failure::Condition(())) => {}
                Err(Failure::Store(e)) => return Err(e),
            }
        }
        Ok(page.next.is_some())
    }

    /// Records in `vault`'s feed how `holder` changed since the feed last said (nothing if it
    /// is not a user of the vault).
    async fn tell_vault(&self, subscription: &str, vault: &str, holder: &Holder) -> Result<(), StoreError> {
        let key = keys::vault_user(subscription, vault, &holder.id);
        for _ in 0..WRITE_ATTEMPTS {
            // The vault's number first: a move of the vault user after it fails the write.
            let Some(mut changes) = Changes::read(&*self.table, subscription, vault).await? else { return Ok(()) };
            let Some(said) = self.table.get(&key).await? else { return Ok(()) };
            if said.i64("groups").unwrap_or(0) <= 0 {
                return Ok(());
            }
            let user = holder.id.clone();
            if said.str(SAID_STATE) != Some(holder.state()) {
                changes.push(match holder.enabled {
                    true => Change::UserEnabled { user: user.clone() },
                    false => Change::UserDisabled { user: user.clone() },
                });
            }
            if said.str(SAID_LICENSE) != Some(holder.license.as_str()) {
                changes.push(Change::LicenseChanged { user, license: holder.license.as_str().to_owned() });
            }
            if changes.is_empty() {
                return Ok(());
            }
            let mut write = Transaction::new();
            changes.push_into(&mut write, ());
            write.push((), Action::Update { key: key.clone(), updates: Changes::said_of(holder), condition: None });
            match write.commit(&*self.table).await {
                Ok(()) => return Ok(()),
                Err(Failure::Condition(())) => continue,
                Err(Failure::Store(e)) => return Err(e),
            }
        }
        Err(StoreError::Busy(format!("the vault {vault:?} kept changing while a user's change was recorded")))
    }
}
