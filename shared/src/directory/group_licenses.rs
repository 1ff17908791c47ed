//! The license type a provisioned group gives its members: set on the group item (so members
//! who join from then on get it in their membership transaction, see `members`) and then
//! carried to every current member, a page of members at a time. Each chunk is one
//! transaction, conditional on its members still being members, so a member who leaves
//! meanwhile never keeps the group's license; every step is idempotent, so the work can stop
//! after any chunk and start again from the page it was on.

use super::members::{gives, GROUP_LICENSE};
use super::resources::{GROUPS, USERS};
use super::{parse_id, Directory, Tenant, WRITE_ATTEMPTS};
use crate::audit::Cause;
use crate::keys;
use crate::licenses::{self, LicenseType, Reason, Seating};
use crate::scim::ScimError;
use crate::store::{
    query_all, Action, Condition, Cursor, Index, Item, Query, SortKeyCondition, StoreError, Update,
    MAX_TRANSACT_ACTIONS,
};
use crate::transaction::{Failure, Transaction};

/// Members whose seats one transaction moves: each costs a check that it is still a member
/// and what seating a user adds, plus one update per pool.
pub const MEMBERS_PER_LICENSE_TRANSACTION: usize = 16;
const _: () = assert!(
    MEMBERS_PER_LICENSE_TRANSACTION * (1 + licenses::ACTIONS_PER_USER) + licenses::ACTIONS_PER_PLAN
        <= MAX_TRANSACT_ACTIONS
);
/// Members read per page of the work (at most: see [`Directory::set_members_per_page`]).
pub const MEMBERS_PER_PAGE: usize = 1000;

/// A provisioned group as the subscription's admins see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionGroup {
    pub id: String,
    /// The tenant id of the configuration that provisions it.
    pub tenant: String,
    pub display_name: String,
    pub license: Option<LicenseType>,
    pub members: i64,
}

impl SubscriptionGroup {
    fn from_item(item: &Item) -> Option<SubscriptionGroup> {
        let tenant = keys::groups_tenant(&item.key.pk)?.to_owned();
        let doc: serde_json::Value = serde_json::from_str(item.str("doc")?).ok()?;
        Some(SubscriptionGroup {
            id: GROUPS.id_of(item).to_owned(),
            tenant,
            display_name: doc.get("displayName")?.as_str()?.to_owned(),
            license: item.str(GROUP_LICENSE).and_then(|l| l.parse().ok()),
            members: item.i64("members").unwrap_or(0),
        })
    }
}

/// What a page of the work did, and where the next one starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LicensePage {
    pub members: usize,
    pub next: Option<Cursor>,
}

impl Directory {
    /// The provisioned groups of a subscription, in id order.
    pub async fn subscription_groups(&self, subscription: &str) -> Result<Vec<SubscriptionGroup>, StoreError> {
        let mut query = Query::new(Index::Gsi1, keys::subscription_groups(subscription));
        query.limit = 1000;
        let items = query_all(&*self.table, query).await?;
        Ok(items.iter().filter_map(SubscriptionGroup::from_item).collect())
    }

    /// The provisioned group `id` of a subscription, if there is one.
    pub async fn subscription_group(
        &self,
        subscription: &str,
        id: &str,
    ) -> Result<Option<SubscriptionGroup>, ScimError> {
        let Some(id) = parse_id(id) else { return Ok(None) };
        let mut query = Query::new(Index::Gsi1, keys::subscription_groups(subscription));
        query.sk = SortKeyCondition::BeginsWith(id.clone());
        let page = self.table.query(&query).await?;
        // The index is read eventually consistent: read the item itself.
        let Some(indexed) = page.items.first() else { return Ok(None) };
        Ok(self.table.get(&indexed.key).await?.as_ref().and_then(SubscriptionGroup::from_item))
    }

    /// The groups the user `user_id` of the tenant `tenant` is in (none when it is not a user
    /// of that tenant).
    pub async fn user_groups(&self, tenant: &str, user_id: &str) -> Result<Vec<SubscriptionGroup>, StoreError> {
        let Some(user) = self.table.get(&USERS.key(tenant, user_id)).await? else { return Ok(Vec::new()) };
        let keys: Vec<_> = user.set("groups").into_iter().flatten().map(|g| GROUPS.key(tenant, g)).collect();
        let items = if keys.is_empty() { Vec::new() } else { self.table.batch_get(&keys).await? };
        Ok(items.iter().filter_map(SubscriptionGroup::from_item).collect())
    }

    /// Makes `group_id` give `license` (None: no license) to its members from now on.
    /// Their seats follow with [`Directory::license_members`].
    pub async fn set_group_license(
        &self,
        tenant: &Tenant,
        group_id: &str,
        license: Option<LicenseType>,
    ) -> Result<(), ScimError> {
        let update = match license.filter(|l| *l != LicenseType::None) {
            Some(license) => Update::Set(GROUP_LICENSE.into(), license.as_str().into()),
            None => Update::Remove(GROUP_LICENSE.into()),
        };
        let mut write = Transaction::new();
        let key = GROUPS.key(tenant.id(), group_id);
        write.push((), Action::Update { key, updates: vec![update], condition: Some(Condition::Exists) });
        match write.commit(&*self.table).await {
            Ok(()) => Ok(()),
            Err(Failure::Condition(())) => Err(GROUPS.not_found(group_id)),
            Err(Failure::Store(e)) => Err(e.into()),
        }
    }

    /// Carries the license type `group_id` gives to one page of its members (from `after`),
    /// moving their seats; `actor` is who asked. Idempotent: a member already right costs a
    /// read and no write.
    pub async fn license_members(
        &self,
        tenant: &Tenant,
        group_id: &str,
        after: Option<Cursor>,
        actor: &str,
    ) -> Result<LicensePage, ScimError> {
        let group =
            self.table.get(&GROUPS.key(tenant.id(), group_id)).await?.ok_or_else(|| GROUPS.not_found(group_id))?;
        let license = group.str(GROUP_LICENSE).and_then(|l| l.parse::<LicenseType>().ok());
        let mut query = Query::new(Index::Base, keys::members_partition(tenant.id(), group_id));
        query.limit = self.members_per_page;
        query.after = after;
        let page = self.table.query(&query).await?;
        let ids: Vec<String> = page.items.iter().filter_map(|m| m.str("user_id").map(str::to_owned)).collect();
        for chunk in ids.chunks(MEMBERS_PER_LICENSE_TRANSACTION) {
            self.license_chunk(tenant, group_id, license, chunk, actor).await?;
        }
        Ok(LicensePage { members: ids.len(), next: page.next })
    }

    /// One transaction moving the seats of `ids` (members when read) to what `license` gives.
    async fn license_chunk(
        &self,
        tenant: &Tenant,
        group_id: &str,
        license: Option<LicenseType>,
        ids: &[String],
        actor: &str,
    ) -> Result<(), ScimError> {
        let subscription = &tenant.configuration.subscription;
        let reason = Reason { cause: Cause::GroupLicense, actor: actor.to_owned(), explicit: false };
        let mut ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        for _ in 0..WRITE_ATTEMPTS {
            let (snapshot, holders) = futures::join!(
                self.licenses.snapshot(subscription),
                self.licenses.holders_by_id(subscription, ids.iter().copied())
            );
            let (snapshot, holders) = (snapshot?, holders?);
            let mut seating = Seating::new(snapshot);
            let mut write = Transaction::new();
            for id in &ids {
                let Some(before) = holders.get(*id) else { continue };
                let mut after = before.clone();
                after.set_group_license(group_id, license);
                if &after != before {
                    let key = keys::member(tenant.id(), group_id, id);
                    write.push(Part::Member, Action::ConditionCheck { key, condition: Condition::Exists });
                    seating.seat(Some(before), after, &reason);
                }
            }
            if write.is_empty() {
                return Ok(());
            }
            seating.push_into(&mut write, Part::Seat);
            // The group still gives what was read (an admin may have changed it again).
            let key = GROUPS.key(tenant.id(), group_id);
            write.push(Part::Group, Action::ConditionCheck { key, condition: gives(license) });
            match write.commit(&*self.table).await {
                Ok(()) => {
                    self.settle(&seating).await;
                    return Ok(());
                }
                Err(Failure::Condition(Part::Member)) => {
                    // Someone left: carry on with those still members.
                    let keys: Vec<_> = ids.iter().map(|id| keys::member(tenant.id(), group_id, id)).collect();
                    let present = self.table.batch_get(&keys).await?;
                    ids.retain(|id| present.iter().any(|m| m.str("user_id") == Some(*id)));
                }
                // A newer change of the group's license carries its own value to every member.
                Err(Failure::Condition(Part::Group)) => return Ok(()),
                Err(Failure::Condition(Part::Seat)) => {}
                Err(Failure::Store(e)) => return Err(e.into()),
            }
        }
        Err(ScimError::unavailable(1))
    }
}

/// What each action of a license chunk stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Member,
    Seat,
    Group,
}
