//! Carrying a link's source membership to its target ([`super::links`] says when): a user's
//! target membership is made its source membership as it is at the moment of the write
//! (the write is conditional on it), with the vault user's count of groups and the target's
//! member count in the same transaction.

use std::collections::{BTreeMap, BTreeSet};

use super::feed::{Change, Changes};
use super::links::{filled_by, Link, LinkState};
use super::{Vaults, WRITE_ATTEMPTS};
use crate::keys::{self, GROUP_LINKS};
use crate::licenses::{Holder, VAULTS};
use crate::store::{Action, AttrValue, Condition, Cursor, Item, Key, Query, StoreError, Update};
use crate::transaction::{Failure, Transaction};

/// Users whose membership one transaction carries: at most six actions each (the source
/// membership checked, the target member written, the vault user counted, the user's vaults
/// when it joins or leaves the vault, two changes in the feed), the target group's count
/// and the feed's number.
const USERS_PER_TRANSACTION: usize = 16;
const _: () = assert!(USERS_PER_TRANSACTION * 6 + 2 <= crate::store::MAX_TRANSACT_ACTIONS);

/// Source (and target) members one page of a replacement reads.
pub const REPLACE_PAGE: usize = 128;

/// Follow entries one page of following reads.
const FOLLOW_PAGE: usize = 16;

/// What a page of a link's work did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkPage {
    /// Users whose membership was looked at.
    pub users: usize,
    /// Where the next page starts; None when the work is done (or the link is gone).
    pub next: Option<Cursor>,
}

impl LinkPage {
    fn done(users: usize) -> LinkPage {
        LinkPage { users, next: None }
    }
}

/// Why a sync stopped short.
enum Stop {
    /// The target is no longer filled by the link (it was removed).
    Unlinked,
    Store(StoreError),
}

impl From<StoreError> for Stop {
    fn from(e: StoreError) -> Stop {
        Stop::Store(e)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Source,
    Member,
    VaultUser,
    Holder,
    Feed,
    Target,
}

/// Adds `vault` to (or takes it from) the vaults `holder` is a user of: on condition that it
/// is as read, which the licenses service's writes of it are too (a change of its state
/// or license is then noted for the vaults it is a user of after this write).
fn holder_vaults(
    subscription: &str,
    holder: &Holder,
    change: fn(String, BTreeSet<String>) -> Update,
    vault: &str,
) -> Action {
    let key = keys::subscription_user(subscription, &holder.id);
    let updates = vec![change(VAULTS.into(), BTreeSet::from([vault.to_owned()])), Update::Add("version".into(), 1)];
    Action::Update { key, updates, condition: Some(Condition::AttrEq("version".into(), holder.version.into())) }
}

/// The user id of a member item's sort key.
fn member_user(item: &Item) -> Option<&str> {
    item.key.sk.strip_prefix(keys::MEMBER_PREFIX)
}

impl Vaults {
    /// The link `id` if it still fills its target (pending or active).
    async fn live_link(&self, subscription: &str, id: &str) -> Result<Option<Link>, StoreError> {
        let item = self.table.get(&keys::link(subscription, id)).await?;
        Ok(item.and_then(|item| Link::from_item(subscription, &item)).filter(|l| l.state != LinkState::Removed))
    }

    /// One page of link `id`'s replacement of its target's members, from `after` (a user id
    /// cursor); the link turns `active` after the last.
    pub async fn replace_page(
        &self,
        subscription: &str,
        id: &str,
        after: Option<Cursor>,
    ) -> Result<LinkPage, StoreError> {
        let Some(link) = self.live_link(subscription, id).await? else { return Ok(LinkPage::done(0)) };
        let after_user = after.as_ref().and_then(|c| c.key.sk.strip_prefix(keys::MEMBER_PREFIX)).map(str::to_owned);
        let source_pk = keys::members_partition(&link.source_tenant, &link.source_group);
        let target_pk = keys::vault_members(subscription, &link.vault, &link.target_group);
        let page = |pk: String| {
            let mut query = Query::new(crate::store::Index::Base, pk.clone());
            query.limit = REPLACE_PAGE;
            query.after = after_user
                .as_ref()
                .map(|user| Cursor { key: Key::new(pk, format!("{}{user}", keys::MEMBER_PREFIX)), index_sk: None });
            query
        };
        let (source_query, target_query) = (page(source_pk.clone()), page(target_pk));
        let (source, target) = futures::join!(self.table.query(&source_query), self.table.query(&target_query));
        let (source, target) = (source?, target?);
        // The page covers user ids up to the lower of the two pages' ends (a full page may
        // have more after its end; an exhausted one has none).
        fn end(page: &crate::store::Page) -> Option<&str> {
            page.next.as_ref().and(page.items.last()).and_then(member_user)
        }
        let bound = match (end(&source), end(&target)) {
            (Some(a), Some(b)) => Some(a.min(b).to_owned()),
            (Some(a), None) | (None, Some(a)) => Some(a.to_owned()),
            (None, None) => None,
        };
        let within = |user: &&str| bound.as_deref().is_none_or(|b| *user <= b);
        let users: BTreeSet<String> = source
            .items
            .iter()
            .chain(&target.items)
            .filter_map(member_user)
            .filter(within)
            .map(str::to_owned)
            .collect();
        match self.sync_users(&link, &users).await {
            Ok(()) => {}
            Err(Stop::Unlinked) => return Ok(LinkPage::done(users.len())),
            Err(Stop::Store(e)) => return Err(e),
        }
        match bound {
            Some(user) => {
                let next =
                    Cursor { key: Key::new(source_pk, format!("{}{user}", keys::MEMBER_PREFIX)), index_sk: None };
                Ok(LinkPage { users: users.len(), next: Some(next) })
            }
            None => {
                self.activate(&link).await?;
                Ok(LinkPage::done(users.len()))
            }
        }
    }

    /// Marks a pending link active (its replacement is done).
    async fn activate(&self, link: &Link) -> Result<(), StoreError> {
        let mut write = Transaction::new();
        let updates = vec![Update::Set("state".into(), LinkState::Active.as_str().into())];
        let condition = Condition::AttrEq("state".into(), LinkState::Pending.as_str().into());
        write.push(
            (),
            Action::Update { key: keys::link(&link.subscription, &link.id), updates, condition: Some(condition) },
        );
        match write.commit(&*self.table).await {
            // Active already (another worker), or removed meanwhile: either way, done.
            Ok(()) | Err(Failure::Condition(())) => Ok(()),
            Err(Failure::Store(e)) => Err(e),
        }
    }

    /// One page of link `id`'s following: the follow entries of its source from `after`
    /// that name it are carried to the target (unless the link was removed), and the link is
    /// dropped from each.
    pub async fn follow_page(
        &self,
        subscription: &str,
        id: &str,
        after: Option<Cursor>,
    ) -> Result<LinkPage, StoreError> {
        let Some(link) = self.link(subscription, id).await? else { return Ok(LinkPage::done(0)) };
        let mut query = Query::new(crate::store::Index::Base, keys::follow(subscription, &link.source_group));
        query.limit = FOLLOW_PAGE;
        query.after = after;
        let page = self.table.query(&query).await?;
        let mine: Vec<&Item> =
            page.items.iter().filter(|e| e.set("links").is_some_and(|links| links.contains(id))).collect();
        let users: BTreeSet<String> =
            mine.iter().filter_map(|e| e.set("users")).flat_map(|users| users.iter().cloned()).collect();
        if link.state != LinkState::Removed {
            match self.sync_users(&link, &users).await {
                // Removed meanwhile: its entries are only dropped.
                Ok(()) | Err(Stop::Unlinked) => {}
                Err(Stop::Store(e)) => return Err(e),
            }
        }
        let source = self.table.get(&link.source_key()).await?;
        let live = source.as_ref().and_then(|s| s.set(GROUP_LINKS)).cloned().unwrap_or_default();
        for entry in mine {
            self.consume(entry, id, &live).await?;
        }
        Ok(LinkPage { users: users.len(), next: page.next })
    }

    /// Drops `link` from a follow entry, and every link the source no longer has; the entry
    /// goes when none is left. Lost to a concurrent change, it is read again next time.
    async fn consume(&self, entry: &Item, link: &str, live: &BTreeSet<String>) -> Result<(), StoreError> {
        let links = entry.set("links").cloned().unwrap_or_default();
        let left: BTreeSet<String> = links.iter().filter(|l| *l != link && live.contains(*l)).cloned().collect();
        let unchanged = Condition::AttrEq("links".into(), AttrValue::Ss(links));
        let action = match left.is_empty() {
            true => Action::Delete { key: entry.key.clone(), condition: Some(unchanged) },
            false => Action::Update {
                key: entry.key.clone(),
                updates: vec![Update::Set("links".into(), AttrValue::Ss(left))],
                condition: Some(unchanged),
            },
        };
        let mut write = Transaction::new();
        write.push((), action);
        match write.commit(&*self.table).await {
            Ok(()) | Err(Failure::Condition(())) => Ok(()),
            Err(Failure::Store(e)) => Err(e),
        }
    }

    /// Makes the target membership of each of `users` what its source membership is.
    async fn sync_users(&self, link: &Link, users: &BTreeSet<String>) -> Result<(), Stop> {
        let users: Vec<&str> = users.iter().map(String::as_str).collect();
        for chunk in users.chunks(USERS_PER_TRANSACTION) {
            self.sync_chunk(link, chunk).await?;
        }
        Ok(())
    }

    async fn sync_chunk(&self, link: &Link, users: &[&str]) -> Result<(), Stop> {
        let sub = &link.subscription;
        let source = |user: &str| keys::member(&link.source_tenant, &link.source_group, user);
        let target = |user: &str| keys::vault_member(sub, &link.vault, &link.target_group, user);
        let vault_user = |user: &str| keys::vault_user(sub, &link.vault, user);
        let holder = |user: &str| keys::subscription_user(sub, user);
        for _ in 0..WRITE_ATTEMPTS {
            // The vault's number before its users: a vault user moves only in a write that
            // also moves the number, so a reading of one that is older than the number read
            // fails this write. (Read in one batch, they could be: a batch is no snapshot
            // on DynamoDB.)
            let Some(mut changes) = Changes::read(&*self.table, sub, &link.vault).await? else {
                return Err(Stop::Unlinked);
            };
            let wanted: Vec<Key> =
                users.iter().flat_map(|u| [source(u), target(u), vault_user(u), holder(u)]).collect();
            let found: BTreeMap<Key, Item> =
                self.table.batch_get(&wanted).await?.into_iter().map(|i| (i.key.clone(), i)).collect();
            let mut write = Transaction::new();
            let mut delta = 0i64;
            for user in users {
                let (in_source, in_target) = (found.contains_key(&source(user)), found.contains_key(&target(user)));
                let groups = found.get(&vault_user(user)).and_then(|i| i.i64("groups")).unwrap_or(0);
                let Some(holder) = found.get(&holder(user)).and_then(Holder::from_item) else {
                    // Not a user of the subscription (any more): nobody to give the vault.
                    continue;
                };
                let (group, user_id) = (link.target_group.clone(), (*user).to_owned());
                if in_source && !in_target {
                    write
                        .push(Part::Source, Action::ConditionCheck { key: source(user), condition: Condition::Exists });
                    let member = Item::new(target(user)).with("user_id", *user);
                    write.push(Part::Member, Action::Put { item: member, condition: Some(Condition::NotExists) });
                    let mut counted =
                        vec![Update::Add("groups".into(), 1), Update::Set("user_id".into(), (*user).into())];
                    if groups <= 0 {
                        counted.extend(Changes::said_of(&holder));
                        changes.push(Change::UserAdded {
                            user: user_id.clone(),
                            user_name: holder.user_name.clone(),
                            state: holder.state().to_owned(),
                            license: holder.license.as_str().to_owned(),
                        });
                        write.push(Part::Holder, holder_vaults(sub, &holder, Update::AddToSet, &link.vault));
                    }
                    changes.push(Change::MembershipAdded { group, user: user_id });
                    let action = Action::Update { key: vault_user(user), updates: counted, condition: None };
                    write.push(Part::VaultUser, action);
                    delta += 1;
                } else if !in_source && in_target {
                    let check = Action::ConditionCheck { key: source(user), condition: Condition::NotExists };
                    write.push(Part::Source, check);
                    write.push(Part::Member, Action::Delete { key: target(user), condition: Some(Condition::Exists) });
                    let counted = vec![Update::Add("groups".into(), -1)];
                    let condition = Some(Condition::Exists);
                    write.push(Part::VaultUser, Action::Update { key: vault_user(user), updates: counted, condition });
                    changes.push(Change::MembershipRemoved { group, user: user_id.clone() });
                    if groups == 1 {
                        changes.push(Change::UserRemoved { user: user_id });
                        write.push(Part::Holder, holder_vaults(sub, &holder, Update::DeleteFromSet, &link.vault));
                    }
                    delta -= 1;
                }
            }
            if write.is_empty() {
                return Ok(());
            }
            changes.push_into(&mut write, Part::Feed);
            let group = keys::vault_group(sub, &link.vault, &link.target_group);
            let updates = vec![Update::Add("members".into(), delta)];
            write.push(Part::Target, Action::Update { key: group, updates, condition: Some(filled_by(&link.id)) });
            match write.commit(&*self.table).await {
                Ok(()) => return Ok(()),
                Err(Failure::Condition(Part::Target)) => return Err(Stop::Unlinked),
                // A membership, the vault's users or a user changed since they were read:
                // read again.
                Err(Failure::Condition(_)) => continue,
                Err(Failure::Store(e)) => return Err(Stop::Store(e)),
            }
        }
        Err(Stop::Store(StoreError::Busy("a linked group's members kept changing".to_owned())))
    }
}
