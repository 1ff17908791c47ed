//! Seating: the writes that move users' licenses by the rules, planned against one read of the
//! subscription's pools, for the caller to put in the transaction of the change that causes
//! them.
//!
//! For each user the plan computes the target license and then either takes a seat of it
//! (releasing the one held), or leaves the user with what it holds and puts it in the queue
//! for the target. A newcomer takes a seat only while nobody waits for that type (`waiting <
//! 1` is part of the pool's condition), so a freed seat can only go to the queue; an admin's
//! override is an explicit decision and takes a free seat even then. The pool counts move by
//! `Add`s whose condition is what the plan relied on, so a plan made on a stale read fails
//! as a whole and is made again.

use std::collections::{BTreeMap, BTreeSet};

use super::{Holder, LicenseType, Pool, Recycling, Subscription, UserCounts};
use crate::audit::{Cause, Entry};
use crate::clock::now;
use crate::keys;
use crate::store::{Action, Condition, Item, Update};

/// The subscription and its pools, as read once (one batch read) for a plan.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub subscription: String,
    /// The subscription's item; None when it is not there (it then reads as `automatic`
    /// recycling with no seats).
    pub found: Option<Subscription>,
    /// Every pooled type's pool.
    pub(super) pools: BTreeMap<LicenseType, Pool>,
}

impl Snapshot {
    pub fn recycling(&self) -> Recycling {
        self.found.as_ref().map(|s| s.recycling).unwrap_or_default()
    }

    /// The pool of `license` (an empty one for a type without a pool).
    pub fn pool(&self, license: LicenseType) -> Pool {
        self.pools.get(&license).copied().unwrap_or(Pool::empty(license))
    }

    /// The pools, in [`LicenseType::POOLED`] order.
    pub fn pools(&self) -> Vec<Pool> {
        LicenseType::POOLED.map(|t| self.pool(t)).to_vec()
    }
}

/// How one pool's counts move in a plan, and what its condition must say.
#[derive(Debug, Default, Clone, Copy)]
struct PoolMove {
    used: i64,
    waiting: i64,
    /// Seats taken (the condition: at least this many free).
    taken: i64,
    /// Whether a newcomer takes a seat (the condition: nobody waits).
    behind_queue: bool,
}

/// Why a user is being seated: the audit trail's cause and actor, and whether the change is
/// an admin's explicit decision (which takes a free seat even while others wait).
#[derive(Debug, Clone)]
pub struct Reason {
    pub cause: Cause,
    pub actor: String,
    pub explicit: bool,
}

/// The planned writes of one or more users' license changes.
#[derive(Debug)]
pub struct Seating {
    snapshot: Snapshot,
    moves: BTreeMap<LicenseType, PoolMove>,
    actions: Vec<Action>,
    /// Seat-limited types whose seats this plan frees or whose queue it joins: after it
    /// commits, their queues may be served ([`super::Licenses::settle`]).
    pub(super) touched: BTreeSet<LicenseType>,
    /// The users as they are once the plan commits.
    pub holders: Vec<Holder>,
    /// How the subscription's users by state move.
    counts: UserCounts,
}

impl Seating {
    pub fn new(snapshot: Snapshot) -> Seating {
        Seating {
            snapshot,
            moves: BTreeMap::new(),
            actions: Vec::new(),
            touched: BTreeSet::new(),
            holders: Vec::new(),
            counts: UserCounts::default(),
        }
    }

    pub fn subscription(&self) -> &str {
        &self.snapshot.subscription
    }

    pub fn recycling(&self) -> Recycling {
        self.snapshot.recycling()
    }

    /// Whether the plan writes nothing.
    pub fn is_empty(&self) -> bool {
        self.actions.is_empty() && self.moves.is_empty()
    }

    /// Free seats of `license` as this plan leaves them.
    fn free(&self, license: LicenseType) -> i64 {
        let moved = self.moves.get(&license).map_or(0, |m| m.used);
        self.snapshot.pool(license).free().saturating_sub(moved)
    }

    fn waiting(&self, license: LicenseType) -> i64 {
        self.snapshot.pool(license).waiting + self.moves.get(&license).map_or(0, |m| m.waiting)
    }

    /// Plans `after` (a user as `before` was, with its identity, state, override, default or
    /// groups changed by the caller; None before: a new user): its target, and the seat it
    /// takes or the queue it joins. Its version moves on, conditional on `before`'s.
    pub fn seat(&mut self, before: Option<&Holder>, mut after: Holder, reason: &Reason) {
        let target = after.target_under(self.recycling());
        after.target = target;
        let held = after.license;
        let queued_for = before.and_then(|b| Some((b.target, b.waiting_since.clone()?)));
        let may_take = |seating: &Seating| {
            !target.is_seat_limited() || (seating.free(target) >= 1 && (reason.explicit || seating.waiting(target) < 1))
        };
        if target == held || may_take(self) {
            if target != held {
                self.take(target, !reason.explicit);
                self.release(held);
                after.license = target;
            }
            self.leave_queue(&after.id, queued_for.as_ref());
            after.waiting_since = None;
        } else if queued_for.as_ref().map(|(t, _)| *t) != Some(target) {
            // It keeps what it holds and waits for the target, behind everyone already waiting.
            self.leave_queue(&after.id, queued_for.as_ref());
            let since = now();
            let item = Item::new(keys::waiting(&self.snapshot.subscription, target.as_str(), &since, &after.id))
                .with("user_id", after.id.as_str());
            self.actions.push(Action::Put { item, condition: Some(Condition::NotExists) });
            self.pool(target).waiting += 1;
            // Only free seats make a queue worth serving after this commits (they were freed
            // while others waited, or by a process that stopped before serving its queue).
            if self.free(target) > 0 {
                self.touched.insert(target);
            }
            after.waiting_since = Some(since);
        }
        self.write_holder(before, after, reason);
    }

    /// Gives the user at the head of `license`'s queue (as `holder` was read) a seat of it.
    pub(super) fn serve(&mut self, holder: &Holder, reason: &Reason) {
        let mut after = holder.clone();
        self.take(holder.target, false);
        self.release(holder.license);
        after.license = holder.target;
        after.waiting_since = None;
        let queued = holder.waiting_since.clone().map(|since| (holder.target, since));
        self.leave_queue(&holder.id, queued.as_ref());
        self.write_holder(Some(holder), after, reason);
    }

    fn pool(&mut self, license: LicenseType) -> &mut PoolMove {
        self.moves.entry(license).or_default()
    }

    fn take(&mut self, license: LicenseType, behind_queue: bool) {
        if license == LicenseType::None {
            return;
        }
        let seat_limited = license.is_seat_limited();
        let pool = self.pool(license);
        pool.used += 1;
        if seat_limited {
            pool.taken += 1;
            pool.behind_queue |= behind_queue;
        }
    }

    fn release(&mut self, license: LicenseType) {
        if license == LicenseType::None {
            return;
        }
        self.pool(license).used -= 1;
        if license.is_seat_limited() {
            self.touched.insert(license);
        }
    }

    /// Takes the user `id` out of the queue it is in (`queued`: its type and place), if any.
    fn leave_queue(&mut self, id: &str, queued: Option<&(LicenseType, String)>) {
        let Some((license, since)) = queued else { return };
        let key = keys::waiting(&self.snapshot.subscription, license.as_str(), since, id);
        self.actions.push(Action::Delete { key, condition: Some(Condition::Exists) });
        self.pool(*license).waiting -= 1;
    }

    fn write_holder(&mut self, before: Option<&Holder>, mut after: Holder, reason: &Reason) {
        let condition = match before {
            None => Condition::NotExists,
            Some(before) => Condition::AttrEq("version".into(), before.version.into()),
        };
        after.version = before.map_or(1, |b| b.version + 1);
        let subscription = &self.snapshot.subscription;
        let old_state = before.map(Holder::license_state).unwrap_or_default();
        let new_state = after.license_state();
        if old_state != new_state {
            let entry = Entry::new(&after.id, reason.cause, &reason.actor, old_state, new_state);
            self.actions.push(Action::Put { item: entry.to_item(subscription), condition: None });
        }
        if before.is_some_and(|before| !after.vaults.is_empty() && after.vault_view_differs(before)) {
            // A fresh token each time: whoever carries the news to the vaults removes the
            // entry only if nothing newer was noted meanwhile (crate::vaults).
            let noted = uuid::Uuid::now_v7().simple().to_string();
            let entry = Item::new(keys::vault_user_change(subscription, &after.id)).with("noted", noted);
            self.actions.push(Action::Put { item: entry, condition: None });
        }
        self.actions.push(Action::Put { item: after.to_item(subscription), condition: Some(condition) });
        self.counts.add(UserCounts::of(before), -1);
        self.counts.add(UserCounts::of(Some(&after)), 1);
        self.holders.push(after);
    }

    /// Adds the plan's actions to `write`, each labelled `label`: any of their conditions
    /// failing means the pools or a user changed since the plan read them.
    pub fn push_into<L: Clone>(&self, write: &mut crate::transaction::Transaction<L>, label: L) {
        for action in self.actions() {
            write.push(label.clone(), action);
        }
    }

    /// The plan's actions: the users', queue entries and audit entries, the users' counts by
    /// state if they move, then one update per pool whose counts move, conditional on the
    /// seats it takes being free (and, for a newcomer, on nobody waiting).
    pub fn actions(&self) -> Vec<Action> {
        let mut actions = self.actions.clone();
        if self.snapshot.found.as_ref().is_some_and(|s| s.counts_users) {
            actions.extend(self.counts.update(&self.snapshot.subscription));
        }
        for (license, moved) in &self.moves {
            if moved.used == 0 && moved.waiting == 0 {
                continue;
            }
            let mut updates =
                vec![Update::Add("used".into(), moved.used), Update::Add("waiting".into(), moved.waiting)];
            if license.is_seat_limited() {
                updates.push(Update::Add("free".into(), -moved.used));
            }
            let mut conditions = Vec::new();
            if moved.taken > 0 {
                conditions.push(Condition::AttrAtLeast("free".into(), moved.taken));
            }
            if moved.behind_queue {
                conditions.push(Condition::AttrLessThan("waiting".into(), 1));
            }
            let condition = match conditions.len() {
                0 => None,
                1 => conditions.pop(),
                _ => Some(Condition::And(conditions)),
            };
            let key = keys::pool(&self.snapshot.subscription, license.as_str());
            actions.push(Action::Update { key, updates, condition });
        }
        actions
    }
}
