//! The licenses service: subscriptions, their seat pools, and the license each subscription
//! user holds, waits for and should have (docs/architecture.md, "Licenses").
//!
//! Seats are taken and released in the same transaction as the user change that causes them:
//! the directory asks this service to plan a user's license into the transaction it runs
//! (`seating`), so a user create with its seat stays one write. Freed seats go to the users
//! who waited longest, in follow-up transactions that no newcomer can overtake, since a
//! newcomer takes a seat only while nobody waits for its type.

mod check;
mod holder;
mod license_type;
mod listing;
mod pool;
mod seating;
mod subscription;
mod user_counts;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

pub use check::{Check, PoolCount};
pub use holder::{Holder, VAULTS};
pub use license_type::LicenseType;
pub use listing::{UserFilter, UserPage, MAX_SCANNED, MAX_USERS_PAGE};
pub use pool::Pool;
pub use seating::{Reason, Seating, Snapshot};
pub use subscription::{Recycling, Subscription};
pub use user_counts::UserCounts;

use crate::audit::Cause;
use crate::clock::now;
use crate::keys;
use crate::names::MAX_NAME_CHARS;
use crate::store::{Action, Condition, Index, Query, StoreError, Table, Update};
use crate::transaction::{Failure, Transaction};

/// Most actions seating one user adds to a transaction: its item, an audit entry, leaving one
/// queue and joining another, and the news for its vaults' change feeds.
pub const ACTIONS_PER_USER: usize = 5;
/// Most actions a plan adds besides its users': one update per pool, and one of the user counts.
pub const ACTIONS_PER_PLAN: usize = LicenseType::POOLED.len() + 1;

/// Users served from a queue per transaction: each costs four actions (its item, its queue
/// entry, an audit entry, the news for its vaults), plus the plan's own.
const SERVED_PER_TRANSACTION: usize = 24;
const _: () = assert!(SERVED_PER_TRANSACTION * 4 + ACTIONS_PER_PLAN <= crate::store::MAX_TRANSACT_ACTIONS);
/// How many times in a row a write that lost a race is planned again before giving up.
const ATTEMPTS: usize = 8;

/// Longest userName of a user an admin creates, in bytes (as for SCIM).
pub const MAX_USER_NAME_BYTES: usize = 1024;

/// Most seats of one type a subscription may buy.
pub const MAX_PURCHASE: i64 = 10_000_000;

/// Errors of the licenses service.
#[derive(Debug, thiserror::Error)]
pub enum LicenseError {
    #[error("no subscription has the id {0:?}")]
    UnknownSubscription(String),
    #[error("the subscription name must be 1 to {MAX_NAME_CHARS} characters")]
    InvalidName,
    #[error("a subscription with the id {0:?} already exists")]
    SubscriptionExists(String),
    #[error("{0} is not a seat-limited license type: only named and read-only seats are purchased")]
    NotPurchasable(LicenseType),
    #[error("{used} {license} seats are in use: release seats before lowering the purchase below that")]
    BelowUsed { license: LicenseType, used: i64 },
    #[error("a purchase is a number of seats from 0 to {MAX_PURCHASE}")]
    InvalidPurchase,
    #[error("the subscription changed while this was applied: try again")]
    Contended,
    #[error("no user with id {0:?} in this subscription")]
    UnknownUser(String),
    #[error("the userName {0:?} is taken in this subscription")]
    UserNameTaken(String),
    #[error("a userName must be 1 to {MAX_USER_NAME_BYTES} bytes")]
    InvalidUserName,
    #[error("the cursor is not one this listing gave: start again without it")]
    InvalidCursor,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What each action of a subscription's transaction stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Subscription,
    Pool,
}

/// The licenses service. One per process, shared by every request.
pub struct Licenses {
    table: Arc<dyn Table>,
}

impl Licenses {
    pub fn new(table: Arc<dyn Table>) -> Licenses {
        Licenses { table }
    }

    /// Creates a subscription with a new id and empty pools.
    pub async fn create_subscription(&self, name: &str, recycling: Recycling) -> Result<Subscription, LicenseError> {
        let id = uuid::Uuid::new_v4().simple().to_string();
        self.create_subscription_with_id(&id, name, recycling).await
    }

    /// Creates the subscription `id` (local-api's own, whose id is fixed) with empty pools.
    pub async fn create_subscription_with_id(
        &self,
        id: &str,
        name: &str,
        recycling: Recycling,
    ) -> Result<Subscription, LicenseError> {
        let name = crate::names::trimmed(name).ok_or(LicenseError::InvalidName)?;
        let subscription =
            Subscription { id: id.to_owned(), name: name.to_owned(), recycling, created: now(), counts_users: true };
        let mut write = Transaction::new();
        let item = subscription.to_item();
        write.push(Part::Subscription, Action::Put { item, condition: Some(Condition::NotExists) });
        for license in LicenseType::POOLED {
            let item = Pool::empty(license).to_item(id);
            write.push(Part::Pool, Action::Put { item, condition: Some(Condition::NotExists) });
        }
        match write.commit(&*self.table).await {
            Ok(()) => Ok(subscription),
            Err(Failure::Condition(_)) => Err(LicenseError::SubscriptionExists(id.to_owned())),
            Err(Failure::Store(e)) => Err(e.into()),
        }
    }

    /// The subscription `id`, if it exists.
    pub async fn subscription(&self, id: &str) -> Result<Option<Subscription>, StoreError> {
        let item = self.table.get(&keys::subscription(id)).await?;
        Ok(item.as_ref().and_then(|item| Subscription::from_item(id, item)))
    }

    /// The subscription `id`, or [`LicenseError::UnknownSubscription`].
    pub async fn existing_subscription(&self, id: &str) -> Result<Subscription, LicenseError> {
        self.subscription(id).await?.ok_or_else(|| LicenseError::UnknownSubscription(id.to_owned()))
    }

    /// The pools of a subscription, in [`LicenseType::POOLED`] order.
    pub async fn pools(&self, subscription: &str) -> Result<Vec<Pool>, LicenseError> {
        Ok(self.existing_snapshot(subscription).await?.1.pools())
    }

    /// A subscription that exists and its snapshot (one batch read), or
    /// [`LicenseError::UnknownSubscription`].
    pub async fn existing_snapshot(&self, subscription: &str) -> Result<(Subscription, Snapshot), LicenseError> {
        let snapshot = self.snapshot(subscription).await?;
        match snapshot.found.clone() {
            Some(found) => Ok((found, snapshot)),
            None => Err(LicenseError::UnknownSubscription(subscription.to_owned())),
        }
    }
}

impl Licenses {
    /// The subscription and its pools, read at once (one batch read). A subscription that is
    /// not there reads as `automatic` with no seats.
    pub async fn snapshot(&self, subscription: &str) -> Result<Snapshot, StoreError> {
        Ok(self.read_snapshot(subscription, None).await?.0)
    }

    /// The snapshot and the subscription user `id` (if there is one), read at once: what
    /// planning a user's change of seat needs, in one batch read rather than two.
    pub async fn snapshot_with_holder(
        &self,
        subscription: &str,
        id: &str,
    ) -> Result<(Snapshot, Option<Holder>), StoreError> {
        self.read_snapshot(subscription, Some(id)).await
    }

    async fn read_snapshot(
        &self,
        subscription: &str,
        holder: Option<&str>,
    ) -> Result<(Snapshot, Option<Holder>), StoreError> {
        let meta = keys::subscription(subscription);
        let pool_keys: Vec<_> = LicenseType::POOLED.iter().map(|t| keys::pool(subscription, t.as_str())).collect();
        let holder_key = holder.map(|id| keys::subscription_user(subscription, id));
        let mut wanted = pool_keys.clone();
        wanted.push(meta.clone());
        wanted.extend(holder_key.clone());
        let items = self.table.batch_get(&wanted).await?;
        let find = |key: &crate::store::Key| items.iter().find(|i| &i.key == key);
        let found = find(&meta).and_then(|item| Subscription::from_item(subscription, item));
        let pools =
            LicenseType::POOLED.iter().zip(&pool_keys).map(|(&t, k)| (t, Pool::from_item(t, find(k)))).collect();
        let holder = holder_key.as_ref().and_then(find).and_then(Holder::from_item);
        Ok((Snapshot { subscription: subscription.to_owned(), found, pools }, holder))
    }

    /// The subscription user `id`, if there is one.
    pub async fn holder(&self, subscription: &str, id: &str) -> Result<Option<Holder>, StoreError> {
        let item = self.table.get(&keys::subscription_user(subscription, id)).await?;
        Ok(item.as_ref().and_then(Holder::from_item))
    }

    /// The subscription users of `ids` that exist, by id (one batch read).
    pub async fn holders_by_id(
        &self,
        subscription: &str,
        ids: impl IntoIterator<Item = &str>,
    ) -> Result<BTreeMap<String, Holder>, StoreError> {
        Holder::read_by_id(&*self.table, subscription, ids).await
    }

    /// After a plan committed: in `automatic` recycling, the queues of the types whose seats
    /// it freed or whose queue it joined are served while seats are free, oldest first.
    pub async fn settle(&self, seating: &Seating) -> Result<(), StoreError> {
        if seating.recycling() != Recycling::Automatic {
            return Ok(());
        }
        self.serve_queues(seating.subscription(), seating.touched.clone(), Cause::Recycle).await
    }

    /// Serves every queue of every subscription that recycles automatically and has free
    /// seats: what a process does when it starts, for a predecessor that stopped between a
    /// seat's release and serving its queue.
    pub async fn serve_every_queue(&self) -> Result<(), StoreError> {
        let mut query = Query::new(Index::Gsi1, keys::SUBSCRIPTIONS_INDEX);
        loop {
            let page = self.table.query(&query).await?;
            for item in &page.items {
                let Some(id) = keys::subscription_of(&item.key.pk) else { continue };
                if Subscription::from_item(id, item).is_some_and(|s| s.recycling == Recycling::Automatic) {
                    let limited = LicenseType::POOLED.into_iter().filter(|t| t.is_seat_limited()).collect();
                    self.serve_queues(id, limited, Cause::Recycle).await?;
                }
            }
            match page.next {
                Some(next) => query.after = Some(next),
                None => return Ok(()),
            }
        }
    }

    /// Serves the queues of `pending` (and of the types the users served release), each
    /// while it has free seats and waiting users.
    async fn serve_queues(
        &self,
        subscription: &str,
        mut pending: BTreeSet<LicenseType>,
        cause: Cause,
    ) -> Result<(), StoreError> {
        while let Some(license) = pending.pop_first() {
            pending.extend(self.serve_queue(subscription, license, cause).await?);
        }
        Ok(())
    }

    /// Gives the free seats of `license` to the users waiting longest for it.
    /// Returns the types the served users released.
    async fn serve_queue(
        &self,
        subscription: &str,
        license: LicenseType,
        cause: Cause,
    ) -> Result<BTreeSet<LicenseType>, StoreError> {
        let reason = Reason { cause, actor: "recycling".to_owned(), explicit: false };
        let mut released = BTreeSet::new();
        let mut lost = 0;
        while lost < ATTEMPTS {
            let snapshot = self.snapshot(subscription).await?;
            let pool = snapshot.pool(license);
            let n = pool.free().min(pool.waiting).min(SERVED_PER_TRANSACTION as i64);
            if n <= 0 {
                break;
            }
            let mut query = Query::new(Index::Base, keys::waiting_queue(subscription, license.as_str()));
            query.limit = n as usize;
            let page = self.table.query(&query).await?;
            let holders = self.holders_by_id(subscription, page.items.iter().filter_map(|i| i.str("user_id"))).await?;
            let mut seating = Seating::new(snapshot);
            for entry in &page.items {
                let holder = entry.str("user_id").and_then(|id| holders.get(id));
                match holder {
                    Some(h)
                        if h.target == license
                            && h.waiting_since.as_deref().is_some_and(|s| entry.key.sk.starts_with(s)) =>
                    {
                        seating.serve(h, &reason)
                    }
                    _ => {
                        tracing::warn!(subscription, license = %license, entry = entry.key.sk, "queue entry without its waiting user")
                    }
                }
            }
            if seating.is_empty() {
                break;
            }
            let touched = seating.touched.clone();
            match self.commit(&seating).await {
                Ok(true) => {
                    released.extend(touched.into_iter().filter(|t| *t != license));
                    lost = 0;
                }
                Ok(false) => lost += 1,
                Err(e) => return Err(e),
            }
        }
        Ok(released)
    }

    /// Commits a plan on its own; `Ok(false)` when a condition failed (plan again).
    async fn commit(&self, seating: &Seating) -> Result<bool, StoreError> {
        let mut write = Transaction::new();
        seating.push_into(&mut write, ());
        match write.commit(&*self.table).await {
            Ok(()) => Ok(true),
            Err(Failure::Condition(())) => Ok(false),
            Err(Failure::Store(e)) => Err(e),
        }
    }

    /// Sets how many seats of `license` the subscription bought. Growth hands the free seats
    /// to the users waiting longest (in either recycling mode); lowering it below the seats in
    /// use is refused.
    pub async fn set_purchased(
        &self,
        subscription: &str,
        license: LicenseType,
        purchased: i64,
    ) -> Result<Pool, LicenseError> {
        if !license.is_seat_limited() {
            return Err(LicenseError::NotPurchasable(license));
        }
        if !(0..=MAX_PURCHASE).contains(&purchased) {
            return Err(LicenseError::InvalidPurchase);
        }
        let recycling = self.existing_subscription(subscription).await?.recycling;
        let key = keys::pool(subscription, license.as_str());
        for _ in 0..ATTEMPTS {
            let pool = Pool::from_item(license, self.table.get(&key).await?.as_ref());
            if purchased < pool.used {
                return Err(LicenseError::BelowUsed { license, used: pool.used });
            }
            let delta = purchased - pool.purchased;
            let updates = vec![Update::Add("purchased".into(), delta), Update::Add("free".into(), delta)];
            // Neither a purchase nor a seat taken meanwhile: the read is still the truth.
            let condition = Condition::And(vec![
                Condition::AttrEq("purchased".into(), pool.purchased.into()),
                Condition::AttrEq("used".into(), pool.used.into()),
            ]);
            let mut write = Transaction::new();
            write.push((), Action::Update { key: key.clone(), updates, condition: Some(condition) });
            match write.commit(&*self.table).await {
                Ok(()) => {
                    if delta > 0 {
                        // Every free seat, in manual recycling too: a seat freed earlier stayed
                        // free for the admin to decide, and buying more is that decision.
                        let released = self.serve_queue(subscription, license, Cause::Purchase).await?;
                        if recycling == Recycling::Automatic {
                            self.serve_queues(subscription, released, Cause::Recycle).await?;
                        }
                    }
                    return Ok(Pool::from_item(license, self.table.get(&key).await?.as_ref()));
                }
                Err(Failure::Condition(())) => continue,
                Err(Failure::Store(e)) => return Err(e.into()),
            }
        }
        Err(LicenseError::Contended)
    }

    /// Sets the subscription's recycling mode. Turning `automatic` on serves every queue
    /// that has free seats.
    pub async fn set_recycling(&self, subscription: &str, recycling: Recycling) -> Result<Subscription, LicenseError> {
        let mut current = self.existing_subscription(subscription).await?;
        let mut write = Transaction::new();
        let updates = vec![Update::Set("recycling".into(), recycling.as_str().into())];
        write.push(
            (),
            Action::Update { key: keys::subscription(subscription), updates, condition: Some(Condition::Exists) },
        );
        match write.commit(&*self.table).await {
            Ok(()) => {}
            Err(Failure::Condition(())) => return Err(LicenseError::UnknownSubscription(subscription.to_owned())),
            Err(Failure::Store(e)) => return Err(e.into()),
        }
        if recycling == Recycling::Automatic {
            let limited = LicenseType::POOLED.into_iter().filter(|t| t.is_seat_limited()).collect();
            self.serve_queues(subscription, limited, Cause::Recycle).await?;
        }
        current.recycling = recycling;
        Ok(current)
    }
}

impl Licenses {
    /// Creates a subscription user no configuration provisions (a SCIM create of its userName
    /// takes it over), holding `license` by an admin's decision (its override) if given.
    pub async fn create_user(
        &self,
        subscription: &str,
        user_name: &str,
        display_name: Option<&str>,
        license: Option<LicenseType>,
        actor: &str,
    ) -> Result<Holder, LicenseError> {
        let user_name = user_name.trim();
        let sentinel = keys::user_name(subscription, user_name);
        if user_name.is_empty() || user_name.len() > MAX_USER_NAME_BYTES || !sentinel.fits() {
            return Err(LicenseError::InvalidUserName);
        }
        self.existing_subscription(subscription).await?;
        let id = uuid::Uuid::now_v7().to_string();
        let mut holder = Holder::new(&id, user_name, &now());
        holder.display_name = display_name.map(str::to_owned);
        holder.license_override = license;
        let reason = Reason { cause: Cause::AdminCreate, actor: actor.to_owned(), explicit: true };
        for _ in 0..ATTEMPTS {
            let mut seating = Seating::new(self.snapshot(subscription).await?);
            seating.seat(None, holder.clone(), &reason);
            let mut write = Transaction::new();
            let item = crate::store::Item::new(sentinel.clone()).with("id", id.as_str());
            write.push(UserPart::Name, Action::Put { item, condition: Some(Condition::NotExists) });
            seating.push_into(&mut write, UserPart::Seat);
            match write.commit(&*self.table).await {
                Ok(()) => {
                    self.settle(&seating).await?;
                    return Ok(seating.holders.pop().unwrap_or(holder));
                }
                Err(Failure::Condition(UserPart::Name)) => {
                    return Err(LicenseError::UserNameTaken(user_name.to_owned()))
                }
                Err(Failure::Condition(UserPart::Seat)) => {}
                Err(Failure::Store(e)) => return Err(e.into()),
            }
        }
        Err(LicenseError::Contended)
    }

    /// Sets (Some) or clears (None) the admin's override of user `id`'s license. Setting it is
    /// an explicit decision: it takes a free seat even while others wait, and with none free
    /// the user waits. Clearing it gives the user back to the rules.
    pub async fn set_override(
        &self,
        subscription: &str,
        id: &str,
        license: Option<LicenseType>,
        actor: &str,
    ) -> Result<Holder, LicenseError> {
        let reason = Reason { cause: Cause::Override, actor: actor.to_owned(), explicit: license.is_some() };
        for _ in 0..ATTEMPTS {
            let (snapshot, before) = self.snapshot_with_holder(subscription, id).await?;
            let before = before.ok_or_else(|| LicenseError::UnknownUser(id.to_owned()))?;
            let after = Holder { license_override: license, ..before.clone() };
            let mut seating = Seating::new(snapshot);
            seating.seat(Some(&before), after, &reason);
            if self.commit(&seating).await? {
                self.settle(&seating).await?;
                return Ok(seating.holders.pop().unwrap_or(before));
            }
        }
        Err(LicenseError::Contended)
    }
}

impl Licenses {
    /// Carries a configuration to one page of the subscription's users (from `after`) that
    /// it provisions: its `default` license, or (None: it was deleted) that nothing
    /// provisions them any more, so they are disabled and their seats released. Returns the
    /// users read and where the next page starts. Idempotent.
    pub async fn reseat_configuration_users(
        &self,
        subscription: &str,
        tenant: &str,
        default: Option<LicenseType>,
        after: Option<crate::store::Cursor>,
        actor: &str,
    ) -> Result<(usize, Option<crate::store::Cursor>), LicenseError> {
        let mut query = Query::new(Index::Base, keys::subscription_users(subscription));
        query.limit = 1000;
        query.after = after;
        let page = self.table.query(&query).await?;
        let provisioned: Vec<String> = page
            .items
            .iter()
            .filter_map(Holder::from_item)
            .filter(|h| h.configuration.as_deref() == Some(tenant))
            .map(|h| h.id)
            .collect();
        let reason = Reason { cause: Cause::Configuration, actor: actor.to_owned(), explicit: false };
        let per_transaction = (crate::store::MAX_TRANSACT_ACTIONS - ACTIONS_PER_PLAN) / ACTIONS_PER_USER;
        for chunk in provisioned.chunks(per_transaction) {
            let mut done = false;
            for _ in 0..ATTEMPTS {
                let (snapshot, holders) = futures::join!(
                    self.snapshot(subscription),
                    self.holders_by_id(subscription, chunk.iter().map(String::as_str))
                );
                let mut seating = Seating::new(snapshot?);
                for before in holders?.values().filter(|h| h.configuration.as_deref() == Some(tenant)) {
                    let after = match default {
                        Some(default) => Holder { default_license: default, ..before.clone() },
                        None => Holder { configuration: None, enabled: false, ..before.clone() },
                    };
                    if &after != before {
                        seating.seat(Some(before), after, &reason);
                    }
                }
                if seating.is_empty() || self.commit(&seating).await? {
                    self.settle(&seating).await?;
                    done = true;
                    break;
                }
            }
            if !done {
                return Err(LicenseError::Contended);
            }
        }
        Ok((page.items.len(), page.next))
    }
}

/// What each action of an admin's user create stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UserPart {
    Name,
    Seat,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sqlite::SqliteTable;

    #[tokio::test]
    async fn a_subscription_starts_with_empty_pools_and_its_id_is_taken_once() {
        let licenses = Licenses::new(Arc::new(SqliteTable::in_memory()));
        let made = licenses.create_subscription("Acme", Recycling::Automatic).await.unwrap();
        assert_eq!(licenses.subscription(&made.id).await.unwrap(), Some(made.clone()));
        let pools = licenses.pools(&made.id).await.unwrap();
        assert_eq!(pools, LicenseType::POOLED.map(Pool::empty).to_vec());
        assert!(matches!(
            licenses.create_subscription_with_id(&made.id, "Again", Recycling::Manual).await,
            Err(LicenseError::SubscriptionExists(_))
        ));
        assert!(matches!(licenses.create_subscription(" ", Recycling::Manual).await, Err(LicenseError::InvalidName)));
        assert!(matches!(licenses.pools("nope").await, Err(LicenseError::UnknownSubscription(_))));
    }

    /// An override is an admin's decision: it takes a free seat even while others wait;
    /// cleared, the user is back under the rules. Users an admin creates are listed and
    /// filtered like the others, a page at a time.
    #[tokio::test]
    async fn overrides_and_admin_created_users() {
        let licenses = Licenses::new(Arc::new(SqliteTable::in_memory()));
        let sub = licenses.create_subscription("Acme", Recycling::Manual).await.unwrap().id;
        let first =
            licenses.create_user(&sub, "first@example.com", None, Some(LicenseType::Named), "admin").await.unwrap();
        assert!(first.is_waiting(), "no named seat bought");
        licenses.set_purchased(&sub, LicenseType::Named, 1).await.unwrap();
        assert_eq!(licenses.holder(&sub, &first.id).await.unwrap().unwrap().license, LicenseType::Named);
        // Manual recycling: the seat freed by clearing the override stays free, and a
        // newcomer's override takes it although nobody's rules would.
        let second = licenses.create_user(&sub, "second@example.com", Some("Second"), None, "admin").await.unwrap();
        assert_eq!((second.license, second.target), (LicenseType::None, LicenseType::None));
        let cleared = licenses.set_override(&sub, &first.id, None, "admin").await.unwrap();
        assert_eq!(cleared.license, LicenseType::None);
        let chosen = licenses.set_override(&sub, &second.id, Some(LicenseType::Named), "admin").await.unwrap();
        assert_eq!(chosen.license, LicenseType::Named);
        assert!(licenses.check(&sub).await.unwrap().ok);
        assert!(matches!(
            licenses.create_user(&sub, "FIRST@example.com", None, None, "admin").await,
            Err(LicenseError::UserNameTaken(_))
        ));
        assert!(matches!(
            licenses.set_override(&sub, "nobody", None, "admin").await,
            Err(LicenseError::UnknownUser(_))
        ));

        let named = UserFilter { license: Some(LicenseType::Named), ..UserFilter::default() };
        let page = licenses.list_users(&sub, &named, None, 10).await.unwrap();
        assert_eq!(page.users.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(), vec![second.id.as_str()]);
        let one = licenses.list_users(&sub, &UserFilter::default(), None, 1).await.unwrap();
        assert_eq!(one.users[0].id, first.id);
        let rest = licenses.list_users(&sub, &UserFilter::default(), one.next.as_deref(), 10).await.unwrap();
        assert_eq!((rest.users.len(), rest.next), (1, None));
        assert!(matches!(
            licenses.list_users(&sub, &UserFilter::default(), Some("forged"), 10).await,
            Err(LicenseError::InvalidCursor)
        ));
    }
}
