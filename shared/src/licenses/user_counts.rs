//! A subscription's users by state, kept as counters so the home summary reads
//! [`keys::COUNTER_SHARDS`] items instead of every user. The counts are spread over that
//! many items, each plan adding its change to one picked at random, since DynamoDB refuses
//! concurrent transactions on one item and every user create changes the counts. Seating
//! moves them in the transaction of the user change itself ([`super::Seating`]), so they are
//! exact whenever no request is in flight; the check recounts them.
//!
//! A subscription made before the counters existed has none (its item says so): its counts
//! come from reading every user, as they always did.

use serde::Serialize;

use super::{Holder, Licenses, Subscription};
use crate::keys;
use crate::store::{Action, StoreError, Update};

/// Users by state (or, in a plan, how those numbers move).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct UserCounts {
    pub enabled: i64,
    pub disabled: i64,
}

impl UserCounts {
    /// What one user adds to the counts (nothing for no user).
    pub(super) fn of(holder: Option<&Holder>) -> UserCounts {
        match holder {
            Some(h) if h.enabled => UserCounts { enabled: 1, disabled: 0 },
            Some(_) => UserCounts { enabled: 0, disabled: 1 },
            None => UserCounts::default(),
        }
    }

    pub(super) fn add(&mut self, other: UserCounts, sign: i64) {
        self.enabled += sign * other.enabled;
        self.disabled += sign * other.disabled;
    }

    /// The update that adds these counts to one shard of `subscription`'s, or None if they
    /// are zero.
    pub(super) fn update(&self, subscription: &str) -> Option<Action> {
        if *self == UserCounts::default() {
            return None;
        }
        let shard = rand::random_range(0..keys::COUNTER_SHARDS);
        Some(Action::Update {
            key: keys::user_count_shard(subscription, shard),
            updates: vec![Update::Add("enabled".into(), self.enabled), Update::Add("disabled".into(), self.disabled)],
            condition: None,
        })
    }
}

impl Licenses {
    /// The users of `subscription` by state: its counters (one batch read), or, for a
    /// subscription older than them, a count of every user.
    pub async fn user_counts(&self, subscription: &Subscription) -> Result<UserCounts, StoreError> {
        let mut counts = UserCounts::default();
        if subscription.counts_users {
            for item in self.table.batch_get(&keys::user_count_shards(&subscription.id)).await? {
                counts.enabled += item.i64("enabled").unwrap_or(0);
                counts.disabled += item.i64("disabled").unwrap_or(0);
            }
        } else {
            for holder in self.holders(&subscription.id).await? {
                counts.add(UserCounts::of(Some(&holder)), 1);
            }
        }
        Ok(counts)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::licenses::{LicenseType, Recycling};
    use crate::store::sqlite::SqliteTable;
    use crate::store::Table;

    #[tokio::test]
    async fn the_counts_follow_the_users_and_the_check_sees_them_drift() {
        let table = Arc::new(SqliteTable::in_memory());
        let licenses = Licenses::new(table.clone());
        let made = licenses.create_subscription("Acme", Recycling::Automatic).await.unwrap();
        assert!(made.counts_users);
        for name in ["a@example.com", "b@example.com", "c@example.com"] {
            licenses.create_user(&made.id, name, None, Some(LicenseType::ReadOnly), "admin").await.unwrap();
        }
        let holders = licenses.holders(&made.id).await.unwrap();
        let mut counted = UserCounts::default();
        holders.iter().for_each(|h| counted.add(UserCounts::of(Some(h)), 1));
        assert_eq!(counted.enabled + counted.disabled, 3);
        assert_eq!(licenses.user_counts(&made).await.unwrap(), counted);
        assert!(licenses.check(&made.id).await.unwrap().ok);

        // A shard that says one user more than there is: the check names the difference.
        let drift = UserCounts { enabled: 1, disabled: 0 }.update(&made.id).unwrap();
        table.transact(vec![drift]).await.unwrap();
        let check = licenses.check(&made.id).await.unwrap();
        assert!(!check.ok);
        assert!(check.problems.iter().any(|p| p.starts_with("the user counts say")), "{:?}", check.problems);
    }

    #[tokio::test]
    async fn a_subscription_older_than_the_counts_counts_its_users() {
        let table = Arc::new(SqliteTable::in_memory());
        let licenses = Licenses::new(table.clone());
        let made = licenses.create_subscription("Old", Recycling::Automatic).await.unwrap();
        let old = Subscription { counts_users: false, ..made.clone() };
        table.transact(vec![Action::Put { item: old.to_item(), condition: None }]).await.unwrap();
        licenses.create_user(&made.id, "a@example.com", None, None, "admin").await.unwrap();
        let read = licenses.existing_subscription(&made.id).await.unwrap();
        assert!(!read.counts_users);
        let counts = licenses.user_counts(&read).await.unwrap();
        assert_eq!(counts.enabled + counts.disabled, 1, "counted from the users");
        let shards = keys::user_count_shards(&made.id);
        assert!(table.batch_get(&shards).await.unwrap().is_empty(), "no counters started half-way");
        assert!(licenses.check(&made.id).await.unwrap().ok);
    }
}
