//! Group memberships: one item per (group, user), and the group's id in the user's `groups`
//! string set, written in the same transaction. Adding a member to a 100,000-member group
//! costs what adding it to an empty group costs; set additions commute, so two concurrent
//! PATCHes never overwrite each other's members; and a user's groups come with the user item,
//! without another read.
//!
//! A request reads which member and user items exist once, up front, into a [`Presence`]
//! (that read is also the check that every new member is a user of the tenant), and keeps it
//! up to date with its own writes: a PATCH adding 256 members reads 512 keys in 6 batches and
//! writes 8 transactions. Every write is conditional on what it read, so a concurrent change
//! makes that chunk read its keys again and plan again.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use super::resources::{GROUPS, ITEM_HEADROOM, USERS};
use super::{parse_id, Directory, Tenant, WRITE_ATTEMPTS};
use crate::audit::Cause;
use crate::clock::now;
use crate::jobs::JobKind;
use crate::keys::{self, GROUP_LINKS};
use crate::licenses::{self, LicenseType, Reason, Seating};
use crate::scim::ScimError;
use crate::store::{
    query_all, Action, AttrValue, Condition, Index, Item, Key, Query, StoreError, Table, Update, GSI1_PK, GSI1_SK,
    MAX_ITEM_BYTES, MAX_TRANSACT_ACTIONS,
};
use crate::transaction::{Failure, Transaction};
use futures::future::BoxFuture;

/// A member to add, with the `display` the client sent for it. `id` is canonical (see
/// [`member_id`]).
#[derive(Debug, Clone)]
pub struct MemberToAdd {
    pub id: String,
    pub display: Option<String>,
}

/// Members per transaction of a group that gives no license: each costs two actions (its
/// member item, the user's `groups` set), plus one for the group.
const MEMBERS_PER_TRANSACTION: usize = 32;
/// Members per transaction of a group that gives a license type: each member's seat is moved
/// in the same transaction (its subscription user, an audit entry, its queue entries), plus
/// the plan's own (one update per pool, and the user counts).
const LICENSED_MEMBERS_PER_TRANSACTION: usize = 13;
// Each chunk also writes the group item and, for a linked group, one follow entry.
const _: () = assert!(MEMBERS_PER_TRANSACTION * 2 + 2 <= MAX_TRANSACT_ACTIONS);
const _: () = assert!(
    LICENSED_MEMBERS_PER_TRANSACTION * (2 + licenses::ACTIONS_PER_USER) + 2 + licenses::ACTIONS_PER_PLAN
        <= MAX_TRANSACT_ACTIONS
);

/// Longest member `display` kept, in bytes: a person's name, not a document. It also keeps a
/// membership transaction of [`MEMBERS_PER_TRANSACTION`] member items far below the store's
/// 4 MB per transaction.
pub const MAX_MEMBER_DISPLAY_BYTES: usize = 1024;

/// The attribute of a user item holding the ids of its groups.
pub(super) const USER_GROUPS: &str = "groups";

/// The canonical form of a member id a client sends (ids are UUIDs, written in lower case),
/// or None when it cannot name a user.
pub(super) fn member_id(id: &str) -> Option<String> {
    parse_id(id)
}

/// What one request knows of which member and user items exist: read in batches and kept up
/// to date with the request's own writes, so a key is read once per request unless a
/// concurrent change made a write of it fail.
#[derive(Default)]
pub(super) struct Presence {
    known: HashMap<Key, bool>,
    /// The license type each group written to gives its members, as read.
    group_licenses: HashMap<String, Option<LicenseType>>,
    /// The links (ids) of each group written to, as read: its membership writes record
    /// their changes for them ([`keys::follow`]).
    group_links: HashMap<String, BTreeSet<String>>,
    /// The links this request recorded changes for: their work starts when it ends.
    pub(super) followed: BTreeSet<(String, String)>,
    /// The user items read that have no room for one more group in their `groups` set.
    full: HashSet<Key>,
}

/// What joining a group adds to a user item: the group's id in its `groups` set, at most.
const GROUP_ENTRY_BYTES: usize = 64;

impl Presence {
    /// Reads whichever of `keys` are not known yet, in as few batches as the store allows.
    async fn learn(&mut self, table: &dyn Table, keys: impl IntoIterator<Item = Key>) -> Result<(), StoreError> {
        let unknown: BTreeSet<Key> = keys.into_iter().filter(|k| !self.known.contains_key(k)).collect();
        if unknown.is_empty() {
            return Ok(());
        }
        let unknown: Vec<Key> = unknown.into_iter().collect();
        let mut found = BTreeSet::new();
        for item in table.batch_get(&unknown).await? {
            if keys::groups_tenant(&item.key.pk).is_some() {
                // A group read with the members: the license type it gives, for the writes.
                self.learn_group(&item);
            }
            if item.size() + GROUP_ENTRY_BYTES + ITEM_HEADROOM > MAX_ITEM_BYTES {
                self.full.insert(item.key.clone());
            }
            found.insert(item.key);
        }
        for key in unknown {
            let present = found.contains(&key);
            self.known.insert(key, present);
        }
        Ok(())
    }

    /// What a group item says of its members' writes: the license type it gives, its links.
    fn learn_group(&mut self, item: &Item) {
        let id = GROUPS.id_of(item).to_owned();
        let license = item.str(GROUP_LICENSE).and_then(|l| l.parse::<LicenseType>().ok());
        self.group_licenses.insert(id.clone(), license);
        self.group_links.insert(id, item.set(GROUP_LINKS).cloned().unwrap_or_default());
    }

    /// Whether `key` is known to exist.
    fn exists(&self, key: &Key) -> bool {
        self.known.get(key).copied().unwrap_or(false)
    }

    /// Whether `key` is not known to be absent.
    fn may_exist(&self, key: &Key) -> bool {
        self.known.get(key).copied().unwrap_or(true)
    }

    fn set(&mut self, key: Key, present: bool) {
        self.known.insert(key, present);
    }

    /// Records that the group `group_id`, just created, has none of `members` (so adding
    /// them reads no member key).
    pub(super) fn new_group(&mut self, tenant: &Tenant, group_id: &str, members: &[MemberToAdd]) {
        for member in members {
            self.set(keys::member(tenant.id(), group_id, &member.id), false);
        }
    }

    fn forget<'k>(&mut self, keys: impl IntoIterator<Item = &'k Key>) {
        for key in keys {
            self.known.remove(key);
            self.full.remove(key);
        }
    }
}

/// What each action of a membership transaction stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    /// A member item put (absent before) or deleted (present before).
    Member,
    /// What moving the members' seats adds (a group that gives a license type).
    License,
    /// A member's user item: its `groups` set.
    User,
    /// The group item: its member count and version. Its condition is that it exists.
    Group,
    /// The record of the chunk's changes for the group's links.
    Follow,
}

/// The membership writes of one chunk. Each member joining or leaving is stated by
/// [`Plan::join`] or [`Plan::leave`], which also count it: the group's member count moves by
/// exactly what was planned.
#[derive(Default)]
struct Plan {
    write: Transaction<Part>,
    delta: i64,
    /// The member keys written, and whether each exists once the transaction commits.
    members: Vec<(Key, bool)>,
    /// The users joining and leaving.
    joined: Vec<String>,
    left: Vec<String>,
}

impl Plan {
    fn join(&mut self, tenant: &Tenant, group_id: &str, member: &MemberToAdd) {
        let key = keys::member(tenant.id(), group_id, &member.id);
        let mut item = Item::new(key.clone()).with("user_id", member.id.as_str());
        if let Some(display) = &member.display {
            item = item.with("display", display.as_str());
        }
        self.write.push(Part::Member, Action::Put { item, condition: Some(Condition::NotExists) });
        self.write.push(Part::User, user_update(tenant, &member.id, group_id, true));
        self.members.push((key, true));
        self.joined.push(member.id.clone());
        self.delta += 1;
    }

    /// `user_exists`: whether the user item is there to update (a deleted user has left
    /// every group already, unless it is being deleted right now).
    fn leave(&mut self, tenant: &Tenant, group_id: &str, user_id: &str, user_exists: bool) {
        let key = keys::member(tenant.id(), group_id, user_id);
        self.write.push(Part::Member, Action::Delete { key: key.clone(), condition: Some(Condition::Exists) });
        if user_exists {
            self.write.push(Part::User, user_update(tenant, user_id, group_id, false));
        }
        self.members.push((key, false));
        self.left.push(user_id.to_owned());
        self.delta -= 1;
    }
}

/// The update of a group item that accompanies `delta` members joining or leaving, planned
/// for the license type the group gives (`license`).
fn group_update(
    tenant: &Tenant,
    group_id: &str,
    delta: i64,
    license: Option<LicenseType>,
    links: &BTreeSet<String>,
) -> Action {
    Action::Update {
        key: GROUPS.key(tenant.id(), group_id),
        updates: vec![
            Update::Add("members".into(), delta),
            Update::Add("version".into(), 1),
            Update::Set("modified".into(), now().into()),
        ],
        // Never resurrect a group deleted meanwhile, nor seat members by a license type the
        // group no longer gives, nor miss a link made meanwhile (it would miss this change).
        condition: Some(Condition::And(vec![Condition::Exists, gives(license), has_links(links)])),
    }
}

/// The condition that a group item gives `license` (None: gives none, its `license` absent).
pub(super) fn gives(license: Option<LicenseType>) -> Condition {
    match license {
        Some(license) => Condition::AttrEq(GROUP_LICENSE.into(), license.as_str().into()),
        None => Condition::And(
            LicenseType::POOLED.iter().map(|t| Condition::AttrNe(GROUP_LICENSE.into(), t.as_str().into())).collect(),
        ),
    }
}

/// The condition that a group item's links are `links`.
fn has_links(links: &BTreeSet<String>) -> Condition {
    match links.is_empty() {
        true => Condition::AttrAbsent(GROUP_LINKS.into()),
        false => Condition::AttrEq(GROUP_LINKS.into(), AttrValue::Ss(links.clone())),
    }
}

/// The follow entry of a chunk of a linked group: the users whose membership it changed,
/// for each of `links` to carry to its target ([`crate::vaults`] consumes it). It is on the
/// index of pending follow entries, where the sweep finds one whose work never started.
fn follow_entry(tenant: &Tenant, group_id: &str, users: &[String], links: &BTreeSet<String>) -> Action {
    let id = uuid::Uuid::now_v7().to_string();
    let key = Key::new(keys::follow(&tenant.configuration.subscription, group_id), id.as_str());
    let item = Item::new(key)
        .with("tenant", tenant.id())
        .with("created", now())
        .with("users", AttrValue::Ss(users.iter().cloned().collect()))
        .with("links", AttrValue::Ss(links.clone()))
        .with(GSI1_PK, keys::PENDING_FOLLOWS)
        .with(GSI1_SK, id.as_str());
    Action::Put { item, condition: Some(Condition::NotExists) }
}

/// The attribute of a group item naming the license type it gives its members.
pub(super) const GROUP_LICENSE: &str = "license";

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

/// The members to add for `ids` (with the `display` the client sent for each), with
/// canonical ids; 400 for an id that cannot name a user or a display past
/// [`MAX_MEMBER_DISPLAY_BYTES`].
pub(super) fn members_to_add(
    ids: Vec<String>,
    displays: &HashMap<String, String>,
) -> Result<Vec<MemberToAdd>, ScimError> {
    ids.into_iter()
        .map(|id| {
            let display = displays.get(&id).cloned();
            if display.as_ref().is_some_and(|d| d.len() > MAX_MEMBER_DISPLAY_BYTES) {
                return Err(ScimError::invalid_value(format!(
                    "The display of member {id:?} is longer than {MAX_MEMBER_DISPLAY_BYTES} bytes."
                )));
            }
            Ok(MemberToAdd { id: member_id(&id).ok_or_else(|| not_a_user(&id))?, display })
        })
        .collect()
}

fn not_a_user(id: &str) -> ScimError {
    ScimError::invalid_value(format!("Member {id:?} is not a user of this tenant."))
}

impl Directory {
    /// Starts the work of each link this request recorded membership changes for (once per
    /// link). A start that fails leaves the record pending, where the sweep finds it. (Boxed:
    /// every membership request awaits it, and the nesting of their futures has a limit.)
    pub(super) fn follow<'a>(&'a self, tenant: &'a Tenant, presence: &'a Presence) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let links: BTreeSet<&str> = presence.followed.iter().map(|(_, link)| link.as_str()).collect();
            for link in links {
                let kind = JobKind::LinkFollow { link: link.to_owned() };
                let subscription = &tenant.configuration.subscription;
                if let Err(e) = self.jobs.start(subscription, tenant.id(), kind, tenant.id(), 0).await {
                    tracing::warn!(link, error = %e, "cannot start a link's work now; the sweep starts it");
                }
            }
        })
    }

    /// Reads, in one pass, whether each user of `added` exists and whether the members of
    /// `added` and `removed` are in `group_id` (None: a group not created yet, which has no
    /// members); 400 unless every added id names a user of this tenant. Nothing is written.
    pub(super) async fn read_presence<'a>(
        &self,
        tenant: &Tenant,
        group_id: Option<&str>,
        added: impl Iterator<Item = &'a str>,
        removed: impl Iterator<Item = &'a str>,
    ) -> Result<Presence, ScimError> {
        let t = tenant.id();
        let added: BTreeSet<&str> = added.collect();
        let mut presence = Presence::default();
        let mut wanted: Vec<Key> = added.iter().map(|id| USERS.key(t, id)).collect();
        if let Some(g) = group_id {
            wanted.extend(added.iter().copied().chain(removed).map(|id| keys::member(t, g, id)));
            // The group itself, in the same read: the license type it gives its members.
            wanted.push(GROUPS.key(t, g));
        }
        presence.learn(&*self.table, wanted).await?;
        if let Some(missing) = added.iter().find(|id| !presence.exists(&USERS.key(t, id))) {
            return Err(not_a_user(missing));
        }
        // A user's groups live on its item, which the store bounds (400 KB).
        let is_member = |id: &str| group_id.is_some_and(|g| presence.exists(&keys::member(t, g, id)));
        if let Some(full) = added.iter().find(|id| presence.full.contains(&USERS.key(t, id)) && !is_member(id)) {
            return Err(ScimError::invalid_value(format!(
                "User {full:?} cannot join another group: its attributes and groups fill the {MAX_ITEM_BYTES} bytes a stored user holds."
            )));
        }
        Ok(presence)
    }

    /// Every member item of a group, in user-id order.
    pub(super) async fn member_items(&self, tenant: &Tenant, group_id: &str) -> Result<Vec<Item>, StoreError> {
        let mut query = Query::new(Index::Base, keys::members_partition(tenant.id(), group_id));
        query.limit = 1000;
        query_all(&*self.table, query).await
    }

    /// Adds those of `members` (canonical ids) that are users and not members yet.
    pub(super) async fn add_members(
        &self,
        tenant: &Tenant,
        group_id: &str,
        members: &[MemberToAdd],
        presence: &mut Presence,
    ) -> Result<(), ScimError> {
        let t = tenant.id();
        let unique: BTreeMap<&str, &MemberToAdd> = members.iter().map(|m| (m.id.as_str(), m)).collect();
        let unique: Vec<&MemberToAdd> = unique.into_values().collect();
        let per_transaction = self.members_per_transaction(tenant, group_id, presence).await?;
        for chunk in unique.chunks(per_transaction) {
            // The users are read too: one deleted since it was checked is not added.
            let keys: Vec<Key> =
                chunk.iter().flat_map(|m| [keys::member(t, group_id, &m.id), USERS.key(t, &m.id)]).collect();
            self.write_members(tenant, group_id, &keys, presence, |presence, plan| {
                let joining = chunk.iter().filter(|m| {
                    !presence.exists(&keys::member(t, group_id, &m.id)) && presence.exists(&USERS.key(t, &m.id))
                });
                for member in joining {
                    plan.join(tenant, group_id, member);
                }
            })
            .await?;
        }
        Ok(())
    }

    /// Removes those of `ids` (canonical) that are members.
    pub(super) async fn remove_members(
        &self,
        tenant: &Tenant,
        group_id: &str,
        ids: &[String],
        presence: &mut Presence,
    ) -> Result<(), ScimError> {
        let t = tenant.id();
        // Ids known not to be members cost nothing more (Okta removes members in batches
        // that name many who already left).
        let unique: BTreeSet<&str> =
            ids.iter().map(String::as_str).filter(|id| presence.may_exist(&keys::member(t, group_id, id))).collect();
        let unique: Vec<&str> = unique.into_iter().collect();
        let per_transaction = self.members_per_transaction(tenant, group_id, presence).await?;
        for chunk in unique.chunks(per_transaction) {
            // The users are read too: one deleted meanwhile has no set left to update.
            let keys: Vec<Key> =
                chunk.iter().flat_map(|id| [keys::member(t, group_id, id), USERS.key(t, id)]).collect();
            self.write_members(tenant, group_id, &keys, presence, |presence, plan| {
                for id in chunk.iter().filter(|id| presence.exists(&keys::member(t, group_id, id))) {
                    plan.leave(tenant, group_id, id, presence.exists(&USERS.key(t, id)));
                }
            })
            .await?;
        }
        Ok(())
    }

    /// The license type `group_id` gives its members, read once per request (again after a
    /// write found it changed); 404 when the group is gone.
    async fn group_license(
        &self,
        tenant: &Tenant,
        group_id: &str,
        presence: &mut Presence,
    ) -> Result<Option<LicenseType>, ScimError> {
        if let Some(license) = presence.group_licenses.get(group_id) {
            return Ok(*license);
        }
        let group =
            self.table.get(&GROUPS.key(tenant.id(), group_id)).await?.ok_or_else(|| GROUPS.not_found(group_id))?;
        presence.learn_group(&group);
        Ok(presence.group_licenses.get(group_id).copied().flatten())
    }

    /// How many members one transaction of `group_id` writes.
    async fn members_per_transaction(
        &self,
        tenant: &Tenant,
        group_id: &str,
        presence: &mut Presence,
    ) -> Result<usize, ScimError> {
        Ok(match self.group_license(tenant, group_id, presence).await? {
            Some(_) => LICENSED_MEMBERS_PER_TRANSACTION,
            None => MEMBERS_PER_TRANSACTION,
        })
    }

    /// Learns which of `keys` exist, plans the membership writes with `plan`, and writes them
    /// with the group's update (its member count moved by what the plan counted) in one
    /// transaction; a group that gives a license type moves its joining and leaving members'
    /// seats in it too. A member, user or seat changed by a concurrent request, or the group's
    /// license type, makes it read and plan again.
    async fn write_members(
        &self,
        tenant: &Tenant,
        group_id: &str,
        keys: &[Key],
        presence: &mut Presence,
        plan: impl Fn(&Presence, &mut Plan),
    ) -> Result<(), ScimError> {
        for _ in 0..WRITE_ATTEMPTS {
            let license = self.group_license(tenant, group_id, presence).await?;
            presence.learn(&*self.table, keys.iter().cloned()).await?;
            let mut planned = Plan::default();
            plan(presence, &mut planned);
            if planned.write.is_empty() {
                return Ok(());
            }
            let seating = match license {
                Some(license) => Some(self.seat_members(tenant, group_id, license, &planned).await?),
                None => None,
            };
            let Plan { mut write, delta, members, joined, left } = planned;
            if let Some(seating) = &seating {
                seating.push_into(&mut write, Part::License);
            }
            let links = presence.group_links.get(group_id).cloned().unwrap_or_default();
            write.push(Part::Group, group_update(tenant, group_id, delta, license, &links));
            if !links.is_empty() {
                let users: Vec<String> = joined.into_iter().chain(left).collect();
                write.push(Part::Follow, follow_entry(tenant, group_id, &users, &links));
            }
            match write.commit(&*self.table).await {
                Ok(()) => {
                    for (key, present) in members {
                        presence.set(key, present);
                    }
                    presence.followed.extend(links.into_iter().map(|link| (group_id.to_owned(), link)));
                    if let Some(seating) = &seating {
                        self.settle(seating).await;
                    }
                    return Ok(());
                }
                Err(Failure::Condition(Part::Group)) => {
                    // Gone (404 on the next read), or it gives another license type or has
                    // other links now.
                    presence.group_licenses.remove(group_id);
                }
                Err(Failure::Condition(Part::Member | Part::User | Part::License)) => presence.forget(keys),
                Err(Failure::Condition(Part::Follow)) => {
                    return Err(StoreError::Other("a new follow entry id collided".to_owned()).into())
                }
                Err(Failure::Store(e)) => return Err(e.into()),
            }
        }
        Err(ScimError::unavailable(1))
    }

    /// Plans the seats of the users a chunk adds to or removes from a group that gives
    /// `license`: each gets or loses that group's license type, and its target follows.
    async fn seat_members(
        &self,
        tenant: &Tenant,
        group_id: &str,
        license: LicenseType,
        plan: &Plan,
    ) -> Result<Seating, ScimError> {
        let subscription = &tenant.configuration.subscription;
        let ids = plan.joined.iter().chain(&plan.left).map(String::as_str);
        let (snapshot, holders) =
            futures::join!(self.licenses.snapshot(subscription), self.licenses.holders_by_id(subscription, ids));
        let (snapshot, holders) = (snapshot?, holders?);
        let mut seating = Seating::new(snapshot);
        let reason = Reason { cause: Cause::Membership, actor: tenant.id().to_owned(), explicit: false };
        let changes = plan.joined.iter().map(|id| (id, Some(license))).chain(plan.left.iter().map(|id| (id, None)));
        for (id, given) in changes {
            // A user from before subscription users existed gets one on its next own change.
            let Some(before) = holders.get(id) else { continue };
            let mut after = before.clone();
            after.set_group_license(group_id, given);
            if &after != before {
                seating.seat(Some(before), after, &reason);
            }
        }
        Ok(seating)
    }

    /// Makes the membership exactly `members` (canonical ids): removes the others, adds the
    /// missing.
    pub(super) async fn replace_members(
        &self,
        tenant: &Tenant,
        group_id: &str,
        members: &[MemberToAdd],
        presence: &mut Presence,
    ) -> Result<(), ScimError> {
        let t = tenant.id();
        let wanted: BTreeSet<&str> = members.iter().map(|m| m.id.as_str()).collect();
        let current = self.member_items(tenant, group_id).await?;
        let current_ids: BTreeSet<String> =
            current.iter().filter_map(|m| m.str("user_id").map(str::to_owned)).collect();
        // The query just told which members exist.
        for id in wanted.iter().copied().chain(current_ids.iter().map(String::as_str)) {
            presence.set(keys::member(t, group_id, id), current_ids.contains(id));
        }
        let leaving: Vec<String> = current_ids.iter().filter(|id| !wanted.contains(id.as_str())).cloned().collect();
        let joining: Vec<MemberToAdd> = members.iter().filter(|m| !current_ids.contains(&m.id)).cloned().collect();
        self.remove_members(tenant, group_id, &leaving, presence).await?;
        self.add_members(tenant, group_id, &joining, presence).await
    }
}
