//! The SecretStore port: where client-secret verifiers live (never the secrets themselves).
//!
//! Engines: [`TableSecrets`] keeps them in the embedded store next to the configuration;
//! [`SecretsManagerSecrets`] keeps one AWS Secrets Manager secret per tenant.
//!
//! Requests never read this port directly: [`crate::tenants::Tenants::authenticate`] goes
//! through its in-memory credential cache, so a warm function reads a tenant's verifier at
//! most once per [`crate::tenants::VERIFIER_TTL`] (60 s). That is also the bound on how long a
//! rotated or deleted secret keeps working in another process; the process that rotates
//! forgets its own cache entry at once.

use std::sync::Arc;

use async_trait::async_trait;

mod secrets_manager;

pub use secrets_manager::SecretsManagerSecrets;

use crate::keys;
use crate::store::{Action, Item, Key, StoreError, Table};

#[async_trait]
pub trait SecretStore: Send + Sync + 'static {
    /// Stores (or replaces) the verifier of `tenant`'s client secret.
    async fn put_verifier(&self, tenant: &str, verifier: &str) -> Result<(), StoreError>;
    /// The verifier of `tenant`'s client secret, if the tenant has one.
    async fn verifier(&self, tenant: &str) -> Result<Option<String>, StoreError>;
    /// Deletes the verifier of `tenant`; deleting one that does not exist is not an error.
    async fn delete_verifier(&self, tenant: &str) -> Result<(), StoreError>;
}

/// Verifiers kept as items of the Table: the embedded (laptop) engine.
///
/// A tenant's verifier is the `SECRET` item of the tenant's partition, beside its configuration.
pub struct TableSecrets {
    table: Arc<dyn Table>,
}

impl TableSecrets {
    pub fn new(table: Arc<dyn Table>) -> TableSecrets {
        TableSecrets { table }
    }
}

#[async_trait]
impl SecretStore for TableSecrets {
    async fn put_verifier(&self, tenant: &str, verifier: &str) -> Result<(), StoreError> {
        let item = Item::new(verifier_key(tenant)).with("verifier", verifier);
        self.table.transact(vec![Action::Put { item, condition: None }]).await
    }

    async fn verifier(&self, tenant: &str) -> Result<Option<String>, StoreError> {
        let item = self.table.get(&verifier_key(tenant)).await?;
        Ok(item.and_then(|i| i.str("verifier").map(str::to_owned)))
    }

    async fn delete_verifier(&self, tenant: &str) -> Result<(), StoreError> {
        self.table.transact(vec![Action::Delete { key: verifier_key(tenant), condition: None }]).await
    }
}

/// Where [`TableSecrets`] keeps `tenant`'s verifier.
fn verifier_key(tenant: &str) -> Key {
    Key::new(keys::tenant_partition(tenant), "SECRET")
}

/// What every SecretStore engine must do, checked on a fresh tenant id.
#[cfg(test)]
pub(crate) async fn check_semantics(store: &dyn SecretStore) {
    let tenant = uuid::Uuid::new_v4().simple().to_string();
    assert_eq!(store.verifier(&tenant).await.unwrap(), None, "a missing verifier is None, not an error");
    store.delete_verifier(&tenant).await.expect("deleting a missing verifier succeeds");
    store.put_verifier(&tenant, "v1").await.unwrap();
    assert_eq!(store.verifier(&tenant).await.unwrap().as_deref(), Some("v1"));
    store.put_verifier(&tenant, "v2").await.expect("a second put replaces (rotation)");
    assert_eq!(store.verifier(&tenant).await.unwrap().as_deref(), Some("v2"));
    let other = uuid::Uuid::new_v4().simple().to_string();
    store.put_verifier(&other, "w").await.unwrap();
    store.delete_verifier(&tenant).await.unwrap();
    assert_eq!(store.verifier(&tenant).await.unwrap(), None);
    assert_eq!(store.verifier(&other).await.unwrap().as_deref(), Some("w"), "tenants are apart");
    store.put_verifier(&tenant, "v3").await.expect("a deleted verifier can be put again");
    assert_eq!(store.verifier(&tenant).await.unwrap().as_deref(), Some("v3"));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sqlite::SqliteTable;

    #[tokio::test]
    async fn table_secrets_semantics() {
        check_semantics(&TableSecrets::new(Arc::new(SqliteTable::in_memory()))).await;
    }
}
