//! One-time sign-in links of the web console: what `local-api serve` and `local-api
//! signin-link` print, for a deployment whose admin tokens the development issuer signs.
//!
//! A link carries a random code; only the code's SHA-256 is stored, with the role and
//! subscription it signs in as and when it stops working ([`LINK_LIFETIME`]). Redeeming it
//! deletes that item under the condition that it still exists, so of two racing redemptions
//! exactly one wins, on either store engine; an expired code is deleted and refused. What a
//! redeemed code gives is a [`Grant`]: the console turns it into a session (a token in a
//! cookie), as an OIDC sign-in will.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use rand::RngCore;

use crate::admin_tokens::Role;
use crate::auth::verifier;
use crate::keys;
use crate::store::{Action, Condition, Item, StoreError, Table};

/// How long a sign-in link works after it was made.
pub const LINK_LIFETIME: Duration = Duration::from_secs(15 * 60);

/// Who a redeemed code signs in as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub role: Role,
    /// The subscription an admin role acts in (none for the operator).
    pub subscription: Option<String>,
}

/// Why a code signs nobody in.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("this sign-in link was used already, or never made: ask for a new one (local-api signin-link)")]
    Spent,
    #[error("this sign-in link has expired (links work for 15 minutes): ask for a new one (local-api signin-link)")]
    Expired,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The sign-in codes of one store.
pub struct SignInLinks {
    table: Arc<dyn Table>,
}

fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or_default()
}

impl SignInLinks {
    pub fn new(table: Arc<dyn Table>) -> SignInLinks {
        SignInLinks { table }
    }

    /// A new code that signs in once as `grant`, within [`LINK_LIFETIME`].
    pub async fn issue(&self, grant: &Grant) -> Result<String, StoreError> {
        self.issue_expiring(grant, unix_now() + LINK_LIFETIME.as_secs() as i64).await
    }

    /// A new code that works until `expires` (Unix seconds).
    async fn issue_expiring(&self, grant: &Grant, expires: i64) -> Result<String, StoreError> {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let code = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        let mut item =
            Item::new(keys::sign_in_code(&verifier(&code))).with("role", grant.role.as_str()).with("expires", expires);
        if let Some(subscription) = &grant.subscription {
            item = item.with("subscription", subscription.as_str());
        }
        self.table.transact(vec![Action::Put { item, condition: Some(Condition::NotExists) }]).await?;
        Ok(code)
    }

    /// Who `code` signs in as; it never works again.
    pub async fn redeem(&self, code: &str) -> Result<Grant, SignInError> {
        let key = keys::sign_in_code(&verifier(code.trim()));
        let item = self.table.get(&key).await?.ok_or(SignInError::Spent)?;
        match self.table.transact(vec![Action::Delete { key, condition: Some(Condition::Exists) }]).await {
            Ok(()) => {}
            Err(StoreError::ConditionFailed { .. }) => return Err(SignInError::Spent),
            Err(e) => return Err(e.into()),
        }
        if item.i64("expires").is_none_or(|expires| expires <= unix_now()) {
            return Err(SignInError::Expired);
        }
        let role = item.str("role").and_then(|r| r.parse::<Role>().ok()).ok_or(SignInError::Spent)?;
        Ok(Grant { role, subscription: item.str("subscription").map(str::to_owned) })
    }
}

#[cfg(any(test, feature = "testing"))]
impl SignInLinks {
    /// A code that expired a minute ago (for tests of the refusal).
    pub async fn issue_expired(&self, grant: &Grant) -> Result<String, StoreError> {
        self.issue_expiring(grant, unix_now() - 60).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sqlite::SqliteTable;

    fn admin() -> Grant {
        Grant { role: Role::SubscriptionAdmin, subscription: Some("s1".into()) }
    }

    #[tokio::test]
    async fn a_code_works_once_and_only_its_hash_is_kept() {
        let table = Arc::new(SqliteTable::in_memory());
        let links = SignInLinks::new(table.clone());
        let code = links.issue(&admin()).await.unwrap();
        assert!(code.len() >= 43, "256 random bits");
        assert!(table.get(&keys::sign_in_code(&code)).await.unwrap().is_none(), "the code is not a key");
        assert_eq!(links.redeem(&code).await.unwrap(), admin());
        assert!(matches!(links.redeem(&code).await, Err(SignInError::Spent)));
        assert!(matches!(links.redeem("never-made").await, Err(SignInError::Spent)));
    }

    #[tokio::test]
    async fn an_expired_code_is_refused_and_gone() {
        let links = SignInLinks::new(Arc::new(SqliteTable::in_memory()));
        let code = links.issue_expired(&admin()).await.unwrap();
        assert!(matches!(links.redeem(&code).await, Err(SignInError::Expired)));
        assert!(matches!(links.redeem(&code).await, Err(SignInError::Spent)));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn of_racing_redemptions_exactly_one_wins() {
        let links = Arc::new(SignInLinks::new(Arc::new(SqliteTable::in_memory())));
        let code = links.issue(&Grant { role: Role::Operator, subscription: None }).await.unwrap();
        let tries: Vec<_> = (0..16)
            .map(|_| {
                let (links, code) = (links.clone(), code.clone());
                tokio::spawn(async move { links.redeem(&code).await.is_ok() })
            })
            .collect();
        let mut won = 0;
        for t in tries {
            won += t.await.unwrap() as usize;
        }
        assert_eq!(won, 1);
    }
}
