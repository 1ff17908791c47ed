//! The check: recounts seats, waiting users and users by state from the user items and
//! compares them with the pools, the queues and the user counts. On a healthy subscription it finds nothing; `local-api check` and the
//! admin API run it, and the tests run it after every step.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Holder, LicenseError, LicenseType, Licenses, Recycling, UserCounts};
use crate::keys;
use crate::store::{query_all, Index, Item, Query, StoreError, Table};

/// One pool's counts as stored and as recounted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PoolCount {
    #[serde(rename = "type")]
    pub license: LicenseType,
    pub purchased: i64,
    pub used: i64,
    /// Users holding this type, counted.
    pub counted: i64,
    pub waiting: i64,
    /// Users waiting for this type, counted.
    pub counted_waiting: i64,
}

/// What the check found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub ok: bool,
    pub pools: Vec<PoolCount>,
    pub problems: Vec<String>,
}

/// Every item of a partition.
async fn partition(table: &dyn Table, pk: String) -> Result<Vec<Item>, StoreError> {
    let mut query = Query::new(Index::Base, pk);
    query.limit = 1000;
    query_all(table, query).await
}

impl Licenses {
    /// Every user of the subscription (for the check, and for tests; the admin API pages).
    pub async fn holders(&self, subscription: &str) -> Result<Vec<Holder>, StoreError> {
        let items = partition(&*self.table, keys::subscription_users(subscription)).await?;
        Ok(items.iter().filter_map(Holder::from_item).collect())
    }

    /// Recounts the subscription's seats and queues from its users.
    pub async fn check(&self, subscription: &str) -> Result<Check, LicenseError> {
        let (found, snapshot) = self.existing_snapshot(subscription).await?;
        let mut problems = Vec::new();
        let mut holders = Vec::new();
        for item in partition(&*self.table, keys::subscription_users(subscription)).await? {
            match Holder::from_item(&item) {
                Some(holder) => holders.push(holder),
                None => problems.push(format!("user item {} is malformed", item.key.sk)),
            }
        }
        let mut pools = Vec::new();
        for license in LicenseType::POOLED {
            let pool = snapshot.pool(license);
            let counted = holders.iter().filter(|h| h.license == license).count() as i64;
            let waiters: BTreeMap<String, &Holder> = holders
                .iter()
                .filter(|h| h.is_waiting() && h.target == license)
                .map(|h| (format!("{}#{}", h.waiting_since.as_deref().unwrap_or_default(), h.id), h))
                .collect();
            let queue = partition(&*self.table, keys::waiting_queue(subscription, license.as_str())).await?;
            for entry in &queue {
                if !waiters.contains_key(&entry.key.sk) {
                    problems.push(format!("the {license} queue holds {} with no user waiting so", entry.key.sk));
                }
            }
            let queued: std::collections::BTreeSet<&str> = queue.iter().map(|e| e.key.sk.as_str()).collect();
            for (place, holder) in &waiters {
                if !queued.contains(place.as_str()) {
                    problems.push(format!("user {} waits for {license} but is not in its queue", holder.id));
                }
            }
            let count = PoolCount {
                license,
                purchased: pool.purchased,
                used: pool.used,
                counted,
                waiting: pool.waiting,
                counted_waiting: waiters.len() as i64,
            };
            if count.used != count.counted {
                problems.push(format!("{license}: the pool says {} used, {} users hold it", count.used, count.counted));
            }
            if count.waiting != count.counted_waiting {
                problems.push(format!(
                    "{license}: the pool says {} waiting, {} users wait",
                    count.waiting, count.counted_waiting
                ));
            }
            if license.is_seat_limited() {
                if count.used > count.purchased {
                    problems.push(format!("{license}: {} seats used of {} purchased", count.used, count.purchased));
                }
                if snapshot.recycling() == Recycling::Automatic && count.waiting > 0 && count.used < count.purchased {
                    problems.push(format!(
                        "{license}: {} seats free while {} users wait",
                        count.purchased - count.used,
                        count.waiting
                    ));
                }
            }
            pools.push(count);
        }
        if found.counts_users {
            let kept = self.user_counts(&found).await?;
            let mut counted = UserCounts::default();
            for holder in &holders {
                counted.add(UserCounts::of(Some(holder)), 1);
            }
            if kept != counted {
                problems.push(format!(
                    "the user counts say {} enabled and {} disabled; {} and {} users are",
                    kept.enabled, kept.disabled, counted.enabled, counted.disabled
                ));
            }
        }
        for holder in &holders {
            if holder.target != holder.license && !holder.is_waiting() {
                problems.push(format!(
                    "user {} holds {} short of its target {} without waiting",
                    holder.id, holder.license, holder.target
                ));
            }
        }
        Ok(Check { ok: problems.is_empty(), pools, problems })
    }
}
