//! The licenses service: subscriptions, their seat pools, and the license each subscription
//! user holds, waits for and should have (docs/architecture.md, "Licenses").
//!
//! Seats are taken and released in the same transaction as the user change that causes them:
//! the directory asks this service to plan a user's license into the transaction it runs
//! (`seating`), so a user create with its seat stays one write. Freed seats go to the users
//! who waited longest, in follow-up transactions that no newcomer can overtake, since a
//! newcomer takes a seat only while nobody waits for its type.

mod license_type;
mod pool;
mod subscription;

use std::sync::Arc;

pub use license_type::LicenseType;
pub use pool::Pool;
pub use subscription::{Recycling, Subscription};

use crate::clock::now;
use crate::keys;
use crate::store::{Action, Condition, StoreError, Table};
use crate::transaction::{Failure, Transaction};

/// Longest subscription name, in characters.
pub const MAX_SUBSCRIPTION_NAME_CHARS: usize = 200;

/// Errors of the licenses service.
#[derive(Debug, thiserror::Error)]
pub enum LicenseError {
    #[error("no subscription has the id {0:?}")]
    UnknownSubscription(String),
    #[error("the subscription name must be 1 to {MAX_SUBSCRIPTION_NAME_CHARS} characters")]
    InvalidName,
    #[error("a subscription with the id {0:?} already exists")]
    SubscriptionExists(String),
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
        let name = name.trim();
        if name.is_empty() || name.chars().count() > MAX_SUBSCRIPTION_NAME_CHARS {
            return Err(LicenseError::InvalidName);
        }
        let subscription = Subscription { id: id.to_owned(), name: name.to_owned(), recycling, created: now() };
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
        self.existing_subscription(subscription).await?;
        let keys: Vec<_> = LicenseType::POOLED.iter().map(|t| keys::pool(subscription, t.as_str())).collect();
        let items = self.table.batch_get(&keys).await?;
        Ok(LicenseType::POOLED
            .iter()
            .map(|&t| Pool::from_item(t, items.iter().find(|i| i.key == keys::pool(subscription, t.as_str()))))
            .collect())
    }
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
}
