//! The SecretStore port: where client-secret verifiers live (never the secrets themselves).
//!
//! Engines: [`TableSecrets`] keeps them in the embedded store next to the configuration.

use std::sync::Arc;

use async_trait::async_trait;

use crate::directory::keys;
use crate::store::{Action, Item, StoreError, Table};

#[async_trait]
pub trait SecretStore: Send + Sync + 'static {
    /// Stores (or replaces) the verifier of `tenant`'s client secret.
    async fn put_verifier(&self, tenant: &str, verifier: &str) -> Result<(), StoreError>;
    /// The verifier of `tenant`'s client secret, if the tenant has one.
    async fn verifier(&self, tenant: &str) -> Result<Option<String>, StoreError>;
    async fn delete_verifier(&self, tenant: &str) -> Result<(), StoreError>;
}

/// Verifiers kept as items of the Table: the embedded (laptop) engine.
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
        let item = Item::new(keys::tenant_secret(tenant)).with("verifier", verifier);
        self.table.transact(vec![Action::Put { item, condition: None }]).await
    }

    async fn verifier(&self, tenant: &str) -> Result<Option<String>, StoreError> {
        let item = self.table.get(&keys::tenant_secret(tenant)).await?;
        Ok(item.and_then(|i| i.str("verifier").map(str::to_owned)))
    }

    async fn delete_verifier(&self, tenant: &str) -> Result<(), StoreError> {
        self.table.transact(vec![Action::Delete { key: keys::tenant_secret(tenant), condition: None }]).await
    }
}
