//! Group memberships: one item per (group, user), and the group's id in the user's `groups`
//! string set, written in the same transaction. Adding a member to a 100,000-member group
//! costs what adding it to an empty group costs; set additions commute, so two concurrent
//! PATCHes never overwrite each other's members; and a user's groups come with the user item,
//! without another read.

use std::collections::{BTreeMap, BTreeSet};

use super::resources::{GROUPS, USERS};
use super::{keys, now, parse_id, Directory, Tenant, WRITE_ATTEMPTS};
use crate::scim::ScimError;
use crate::store::{Action, Condition, Index, Item, Key, Query, StoreError, Update, MAX_TRANSACT_ACTIONS};

/// A member to add, with the `display` the client sent for it.
#[derive(Debug, Clone)]
pub struct MemberToAdd {
    pub id: String,
    pub display: Option<String>,
}

/// Members per transaction: two actions each (the member item and the user's set), and one
/// for the group's update.
const MEMBERS_PER_TRANSACTION: usize = (MAX_TRANSACT_ACTIONS - 1) / 2;

/// The attribute of a user item holding the ids of its groups.
pub(super) const USER_GROUPS: &str = "groups";

impl Directory {
    /// 400 unless every id names a user of this tenant.
    pub(super) async fn check_users_exist<'a>(
        &self,
        tenant: &Tenant,
        ids: impl Iterator<Item = &'a str>,
    ) -> Result<(), ScimError> {
        let mut wanted = BTreeSet::new();
        for id in ids {
            let parsed = parse_id(id)
                .ok_or_else(|| ScimError::invalid_value(format!("Member {id:?} is not a user of this tenant.")))?;
            wanted.insert(parsed);
        }
        let keys: Vec<Key> = wanted.iter().map(|id| USERS.key(tenant.id(), id)).collect();
        let found: BTreeSet<Key> = self.table.batch_get(&keys).await?.into_iter().map(|i| i.key).collect();
        match keys.iter().find(|k| !found.contains(k)) {
            None => Ok(()),
            Some(missing) => {
                let id = missing.sk.strip_prefix(USERS.prefix).unwrap_or_default();
                Err(ScimError::invalid_value(format!("Member {id:?} is not a user of this tenant.")))
            }
        }
    }

    /// Every member item of a group, in user-id order.
    pub(super) async fn member_items(&self, tenant: &Tenant, group_id: &str) -> Result<Vec<Item>, StoreError> {
        let mut query = Query::new(Index::Base, keys::members_partition(tenant.id(), group_id));
        query.limit = 1000;
        let mut items = Vec::new();
        loop {
            let page = self.table.query(&query).await?;
            items.extend(page.items);
            match page.next {
                Some(next) => query.after = Some(next),
                None => return Ok(items),
            }
        }
    }

    /// The update of a group item that accompanies `delta` members joining or leaving.
    fn group_update(tenant: &Tenant, group_id: &str, delta: i64) -> Action {
        Action::Update {
            key: GROUPS.key(tenant.id(), group_id),
            updates: vec![
                Update::Add("members".into(), delta),
                Update::Add("version".into(), 1),
                Update::Set("modified".into(), now().into()),
            ],
            // Never resurrect a group deleted meanwhile.
            condition: Some(Condition::Exists),
        }
    }

    /// The update of a user item joining or leaving a group: its `groups` set, and its version,
    /// since its representation changed.
    fn user_update(tenant: &Tenant, user_id: &str, group_id: &str, joining: bool) -> Action {
        let group = BTreeSet::from([group_id.to_owned()]);
        let set = match joining {
            true => Update::AddToSet(USER_GROUPS.into(), group),
            false => Update::DeleteFromSet(USER_GROUPS.into(), group),
        };
        Action::Update {
            key: USERS.key(tenant.id(), user_id),
            updates: vec![set, Update::Add("version".into(), 1), Update::Set("modified".into(), now().into())],
            // Never make a user item out of a user deleted meanwhile.
            condition: Some(Condition::Exists),
        }
    }

    pub(super) async fn add_members(
        &self,
        tenant: &Tenant,
        group_id: &str,
        members: &[MemberToAdd],
    ) -> Result<(), ScimError> {
        let t = tenant.id();
        let unique: BTreeMap<&str, &MemberToAdd> = members.iter().map(|m| (m.id.as_str(), m)).collect();
        let unique: Vec<&MemberToAdd> = unique.into_values().collect();
        for chunk in unique.chunks(MEMBERS_PER_TRANSACTION) {
            // The users are read too: one deleted since it was checked is not added.
            let members = chunk.iter().map(|m| keys::member(t, group_id, &m.id));
            let keys: Vec<Key> = members.chain(chunk.iter().map(|m| USERS.key(t, &m.id))).collect();
            self.write_members(tenant, group_id, &keys, |present| {
                let mut actions = Vec::new();
                let joining = chunk
                    .iter()
                    .zip(&keys)
                    .filter(|(m, key)| !present.contains(*key) && present.contains(&USERS.key(t, &m.id)));
                for (m, key) in joining {
                    let mut item = Item::new(key.clone()).with("user_id", m.id.as_str());
                    if let Some(display) = &m.display {
                        item = item.with("display", display.as_str());
                    }
                    actions.push(Action::Put { item, condition: Some(Condition::NotExists) });
                    actions.push(Self::user_update(tenant, &m.id, group_id, true));
                }
                actions
            })
            .await?;
        }
        Ok(())
    }

    pub(super) async fn remove_members(
        &self,
        tenant: &Tenant,
        group_id: &str,
        ids: &[String],
    ) -> Result<(), ScimError> {
        let t = tenant.id();
        let unique: BTreeSet<&str> = ids.iter().map(String::as_str).collect();
        let unique: Vec<&str> = unique.into_iter().collect();
        for chunk in unique.chunks(MEMBERS_PER_TRANSACTION) {
            // The users are read too: one deleted meanwhile has no set left to update.
            let members = chunk.iter().map(|id| keys::member(t, group_id, id));
            let keys: Vec<Key> = members.chain(chunk.iter().map(|id| USERS.key(t, id))).collect();
            self.write_members(tenant, group_id, &keys, |present| {
                let mut actions = Vec::new();
                for (id, key) in chunk.iter().zip(&keys).filter(|(_, key)| present.contains(*key)) {
                    actions.push(Action::Delete { key: key.clone(), condition: Some(Condition::Exists) });
                    if present.contains(&USERS.key(t, id)) {
                        actions.push(Self::user_update(tenant, id, group_id, false));
                    }
                }
                actions
            })
            .await?;
        }
        Ok(())
    }

    /// Reads which of `keys` exist, plans the membership writes with `plan`, and writes them
    /// with the group's update (its member count follows the member items written) in one
    /// transaction. A member or user changed by a concurrent request makes it read and plan again.
    async fn write_members(
        &self,
        tenant: &Tenant,
        group_id: &str,
        keys: &[Key],
        plan: impl Fn(&BTreeSet<Key>) -> Vec<Action>,
    ) -> Result<(), ScimError> {
        for _ in 0..WRITE_ATTEMPTS {
            let present: BTreeSet<Key> = self.table.batch_get(keys).await?.into_iter().map(|i| i.key).collect();
            let mut actions = plan(&present);
            let delta: i64 = actions
                .iter()
                .map(|a| match a {
                    Action::Put { .. } => 1,
                    Action::Delete { .. } => -1,
                    _ => 0,
                })
                .sum();
            if actions.is_empty() {
                return Ok(());
            }
            let group_index = actions.len();
            actions.push(Self::group_update(tenant, group_id, delta));
            match self.table.transact(actions).await {
                Ok(()) => return Ok(()),
                Err(StoreError::ConditionFailed { index }) if index == group_index => {
                    return Err(GROUPS.not_found(group_id))
                }
                Err(StoreError::ConditionFailed { .. }) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ScimError::unavailable(1))
    }

    /// Makes the membership exactly `members`: removes the others, adds the missing.
    pub(super) async fn replace_members(
        &self,
        tenant: &Tenant,
        group_id: &str,
        members: &[MemberToAdd],
    ) -> Result<(), ScimError> {
        let wanted: BTreeSet<&str> = members.iter().map(|m| m.id.as_str()).collect();
        let current = self.member_items(tenant, group_id).await?;
        let current_ids: BTreeSet<String> =
            current.iter().filter_map(|m| m.str("user_id").map(str::to_owned)).collect();
        let leaving: Vec<String> = current_ids.iter().filter(|id| !wanted.contains(id.as_str())).cloned().collect();
        let joining: Vec<MemberToAdd> = members.iter().filter(|m| !current_ids.contains(&m.id)).cloned().collect();
        self.remove_members(tenant, group_id, &leaving).await?;
        self.add_members(tenant, group_id, &joining).await
    }
}
