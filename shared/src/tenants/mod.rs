//! The tenants service: provisioning configurations — one per IdP connection, each a separate
//! SCIM tenant with its own client ID and secret — their secrets, and authenticating a request
//! to a tenant.
//!
//! It sits beside the SCIM directory, not inside it: the SCIM edge asks it who a request is
//! from, and the admin side will manage configurations through it. Verifiers live behind the
//! [`SecretStore`] port and are read through the [`cache`], so a warm process makes no
//! secret-store call per request.

mod cache;
mod configuration;

use std::sync::Arc;

pub use cache::{MISMATCH_RELOAD, VERIFIER_TTL};
pub use configuration::{Configuration, NewConfiguration};

use crate::auth::{self, Presented};
use crate::clock::now;
use crate::keys;
use crate::licenses::LicenseType;
use crate::secrets::SecretStore;
use crate::store::{Action, Condition, Index, Item, Query, StoreError, Table};
use crate::transaction::{Failure, Transaction};
use cache::{CredentialCache, Credentials};

/// Longest configuration name, in characters.
pub const MAX_NAME_CHARS: usize = 200;

/// Errors of managing configurations.
#[derive(Debug, thiserror::Error)]
pub enum TenantError {
    #[error("a configuration named {0:?} already exists in this subscription")]
    NameTaken(String),
    #[error("the configuration name must be 1 to {MAX_NAME_CHARS} characters")]
    InvalidName,
    #[error("no configuration has the tenant id {0:?}")]
    UnknownTenant(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a request was not let in.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Unknown tenant, disabled tenant, wrong or missing credentials: one answer for all, so
    /// a caller learns nothing about which.
    #[error("the credentials do not open this tenant")]
    Unauthorized,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What each action of a configuration's transaction stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Name,
    Configuration,
}

/// The tenants service. One per process, shared by every request.
pub struct Tenants {
    table: Arc<dyn Table>,
    secrets: Arc<dyn SecretStore>,
    credentials: CredentialCache,
}

impl Tenants {
    pub fn new(table: Arc<dyn Table>, secrets: Arc<dyn SecretStore>) -> Tenants {
        Tenants { table, secrets, credentials: CredentialCache::default() }
    }

    /// Creates a configuration: a new tenant with a client ID and a secret returned once.
    pub async fn create_configuration(
        &self,
        subscription: &str,
        name: &str,
        default_license: LicenseType,
    ) -> Result<NewConfiguration, TenantError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
            return Err(TenantError::InvalidName);
        }
        let configuration = Configuration {
            // Simple (hyphen-free) UUIDs: URL-safe and without `_`, which Okta refuses in URLs.
            tenant: uuid::Uuid::new_v4().simple().to_string(),
            subscription: subscription.to_owned(),
            name: name.to_owned(),
            default_license,
            client_id: auth::new_client_id(),
            enabled: true,
            created: now(),
        };
        let client_secret = auth::new_secret();
        let sentinel =
            Item::new(keys::configuration_name(subscription, name)).with("tenant", configuration.tenant.as_str());
        // The verifier is stored before the configuration exists, so a tenant is never
        // reachable without one.
        self.secrets.put_verifier(&configuration.tenant, &auth::verifier(&client_secret)).await?;
        let mut write = Transaction::new();
        write.push(Part::Name, Action::Put { item: sentinel, condition: Some(Condition::NotExists) });
        let item = configuration.to_item();
        write.push(Part::Configuration, Action::Put { item, condition: Some(Condition::NotExists) });
        match write.commit(&*self.table).await {
            Ok(()) => Ok(NewConfiguration { configuration, client_secret }),
            Err(failure) => {
                self.secrets.delete_verifier(&configuration.tenant).await?;
                match failure {
                    Failure::Condition(Part::Name) => Err(TenantError::NameTaken(name.to_owned())),
                    Failure::Condition(Part::Configuration) => {
                        Err(StoreError::Other("a new tenant id collided".to_owned()).into())
                    }
                    Failure::Store(e) => Err(e.into()),
                }
            }
        }
    }

    /// The configuration of `tenant`, if there is one.
    pub async fn configuration(&self, tenant: &str) -> Result<Option<Configuration>, StoreError> {
        let item = self.table.get(&keys::tenant(tenant)).await?;
        Ok(item.as_ref().and_then(Configuration::from_item))
    }

    /// Gives `tenant` a new client secret, returned this once. The old one stops working at
    /// once in this process, and within [`VERIFIER_TTL`] in every other (their cached
    /// verifiers expire); the client ID stays.
    pub async fn rotate_secret(&self, tenant: &str) -> Result<NewConfiguration, TenantError> {
        let configuration =
            self.configuration(tenant).await?.ok_or_else(|| TenantError::UnknownTenant(tenant.to_owned()))?;
        let client_secret = auth::new_secret();
        self.secrets.put_verifier(tenant, &auth::verifier(&client_secret)).await?;
        self.credentials.forget(tenant);
        Ok(NewConfiguration { configuration, client_secret })
    }

    /// The configurations of a subscription, by name.
    pub async fn configurations(&self, subscription: &str) -> Result<Vec<Configuration>, StoreError> {
        let mut query = Query::new(Index::Gsi1, keys::configurations_index(subscription));
        let mut found = Vec::new();
        loop {
            let page = self.table.query(&query).await?;
            found.extend(page.items.iter().filter_map(Configuration::from_item));
            match page.next {
                Some(next) => query.after = Some(next),
                None => return Ok(found),
            }
        }
    }

    /// The configuration of `tenant` if the `Authorization` header opens it. Unknown tenants,
    /// disabled ones, and wrong or missing credentials all give [`AuthError::Unauthorized`].
    pub async fn authenticate(&self, tenant: &str, authorization: Option<&str>) -> Result<Configuration, AuthError> {
        let presented = authorization.and_then(Presented::parse).ok_or(AuthError::Unauthorized)?;
        let opened = |credentials: &Option<Credentials>| match credentials {
            Some(c) if c.configuration.enabled && presented.opens(&c.configuration.client_id, &c.verifier) => {
                Some(c.configuration.clone())
            }
            _ => None,
        };
        if let Some(cached) = self.credentials.get(tenant) {
            if let Some(configuration) = opened(&cached) {
                return Ok(configuration);
            }
            // The secret may be one rotated in another process since this entry was read:
            // read again, unless the entry is too young to be worth it (wrong secrets must not
            // cost a secret-store call each). Unknown tenants stay cached as absent.
            if cached.is_none() || self.credentials.get_younger_than(tenant, MISMATCH_RELOAD).is_some() {
                return Err(AuthError::Unauthorized);
            }
        }
        let loaded = self.load_credentials(tenant).await?;
        self.credentials.put(tenant, loaded.clone());
        opened(&loaded).ok_or(AuthError::Unauthorized)
    }

    async fn load_credentials(&self, tenant: &str) -> Result<Option<Credentials>, StoreError> {
        let Some(item) = self.table.get(&keys::tenant(tenant)).await? else {
            return Ok(None);
        };
        let Some(configuration) = Configuration::from_item(&item) else {
            return Err(StoreError::Other(format!("configuration item of tenant {tenant} is malformed")));
        };
        let verifier = self.secrets.verifier(tenant).await?;
        Ok(verifier.map(|verifier| Credentials { configuration, verifier }))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use async_trait::async_trait;

    use super::*;
    use crate::secrets::{SecretStore, TableSecrets};
    use crate::store::sqlite::SqliteTable;

    /// A SecretStore that counts the reads reaching it (what would be Secrets Manager calls).
    struct CountingSecrets {
        inner: TableSecrets,
        reads: AtomicUsize,
    }

    #[async_trait]
    impl SecretStore for CountingSecrets {
        async fn put_verifier(&self, tenant: &str, verifier: &str) -> Result<(), StoreError> {
            self.inner.put_verifier(tenant, verifier).await
        }
        async fn verifier(&self, tenant: &str) -> Result<Option<String>, StoreError> {
            self.reads.fetch_add(1, Ordering::SeqCst);
            self.inner.verifier(tenant).await
        }
        async fn delete_verifier(&self, tenant: &str) -> Result<(), StoreError> {
            self.inner.delete_verifier(tenant).await
        }
    }

    fn tenants() -> (Tenants, Arc<CountingSecrets>) {
        let table: Arc<dyn crate::store::Table> = Arc::new(SqliteTable::in_memory());
        let secrets = Arc::new(CountingSecrets { inner: TableSecrets::new(table.clone()), reads: AtomicUsize::new(0) });
        (Tenants::new(table, secrets.clone()), secrets)
    }

    fn bearer(secret: &str) -> String {
        format!("Bearer {secret}")
    }

    #[tokio::test]
    async fn a_warm_process_reads_each_verifier_once_per_ttl() {
        let (tenants, secrets) = tenants();
        let a = tenants.create_configuration("sub", "A", LicenseType::Named).await.unwrap();
        let b = tenants.create_configuration("sub", "B", LicenseType::Named).await.unwrap();
        for _ in 0..100 {
            tenants.authenticate(&a.configuration.tenant, Some(&bearer(&a.client_secret))).await.unwrap();
            tenants.authenticate(&b.configuration.tenant, Some(&bearer(&b.client_secret))).await.unwrap();
            // Wrong secrets and unknown tenants are answered from the cache too.
            assert!(matches!(
                tenants.authenticate(&a.configuration.tenant, Some(&bearer("wrong"))).await,
                Err(AuthError::Unauthorized)
            ));
            assert!(matches!(
                tenants.authenticate("no-such-tenant", Some(&bearer("x"))).await,
                Err(AuthError::Unauthorized)
            ));
        }
        // One read per tenant; the unknown tenant never reaches the secret store.
        assert_eq!(secrets.reads.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn made_up_tenant_ids_never_evict_a_real_tenant() {
        let (tenants, secrets) = tenants();
        let a = tenants.create_configuration("sub", "A", LicenseType::Named).await.unwrap();
        let bearer_a = bearer(&a.client_secret);
        tenants.authenticate(&a.configuration.tenant, Some(&bearer_a)).await.unwrap();
        assert_eq!(secrets.reads.load(Ordering::SeqCst), 1);
        for i in 0..cache::CACHE_CAPACITY + 10 {
            let stranger = format!("{i:032x}");
            assert!(matches!(tenants.authenticate(&stranger, Some(&bearer("x"))).await, Err(AuthError::Unauthorized)));
        }
        tenants.authenticate(&a.configuration.tenant, Some(&bearer_a)).await.unwrap();
        assert_eq!(secrets.reads.load(Ordering::SeqCst), 1, "the real tenant's verifier stayed cached");
    }

    #[tokio::test]
    async fn rotation_replaces_the_secret_at_once_in_this_process() {
        let (tenants, secrets) = tenants();
        let created = tenants.create_configuration("sub", "A", LicenseType::Named).await.unwrap();
        let tenant = created.configuration.tenant.clone();
        tenants.authenticate(&tenant, Some(&bearer(&created.client_secret))).await.unwrap();

        let rotated = tenants.rotate_secret(&tenant).await.unwrap();
        assert_ne!(rotated.client_secret, created.client_secret);
        assert_eq!(rotated.configuration, created.configuration, "the client ID stays");
        assert!(matches!(
            tenants.authenticate(&tenant, Some(&bearer(&created.client_secret))).await,
            Err(AuthError::Unauthorized)
        ));
        tenants.authenticate(&tenant, Some(&bearer(&rotated.client_secret))).await.unwrap();
        assert_eq!(secrets.reads.load(Ordering::SeqCst), 2, "one read before and one after the rotation");

        assert!(matches!(
            tenants.rotate_secret("no-such-tenant").await,
            Err(TenantError::UnknownTenant(t)) if t == "no-such-tenant"
        ));
    }

    #[tokio::test]
    async fn another_process_keeps_the_old_verifier_until_its_cache_expires() {
        // Two services on one store: a Lambda instance and the CLI that rotates.
        let table: Arc<dyn crate::store::Table> = Arc::new(SqliteTable::in_memory());
        let serving = Tenants::new(table.clone(), Arc::new(TableSecrets::new(table.clone())));
        let admin = Tenants::new(table.clone(), Arc::new(TableSecrets::new(table.clone())));
        let created = admin.create_configuration("sub", "A", LicenseType::Named).await.unwrap();
        let tenant = created.configuration.tenant.clone();
        serving.authenticate(&tenant, Some(&bearer(&created.client_secret))).await.unwrap();
        let rotated = admin.rotate_secret(&tenant).await.unwrap();
        // Within VERIFIER_TTL the warm process still accepts the old secret (the stated bound)…
        serving.authenticate(&tenant, Some(&bearer(&created.client_secret))).await.unwrap();
        // …and once its entry expires (backdated here instead of waiting 60 s) only the new one.
        serving.credentials.backdate(&tenant, VERIFIER_TTL);
        assert!(matches!(
            serving.authenticate(&tenant, Some(&bearer(&created.client_secret))).await,
            Err(AuthError::Unauthorized)
        ));
        serving.authenticate(&tenant, Some(&bearer(&rotated.client_secret))).await.unwrap();
    }

    #[tokio::test]
    async fn a_secret_rotated_elsewhere_works_once_the_cached_verifier_is_old_enough_to_reread() {
        let table: Arc<dyn crate::store::Table> = Arc::new(SqliteTable::in_memory());
        let secrets = Arc::new(CountingSecrets { inner: TableSecrets::new(table.clone()), reads: AtomicUsize::new(0) });
        let serving = Tenants::new(table.clone(), secrets.clone());
        let admin = Tenants::new(table.clone(), Arc::new(TableSecrets::new(table.clone())));
        let created = admin.create_configuration("sub", "A", LicenseType::Named).await.unwrap();
        let tenant = created.configuration.tenant.clone();
        serving.authenticate(&tenant, Some(&bearer(&created.client_secret))).await.unwrap();
        let rotated = admin.rotate_secret(&tenant).await.unwrap();

        // A fresh entry is trusted: the new secret is refused without a read…
        assert!(matches!(
            serving.authenticate(&tenant, Some(&bearer(&rotated.client_secret))).await,
            Err(AuthError::Unauthorized)
        ));
        assert_eq!(secrets.reads.load(Ordering::SeqCst), 1);
        // …once it is MISMATCH_RELOAD old, a mismatch reads again: the new secret works, the
        // old one stops, and wrong secrets are refused from the new entry without more reads.
        serving.credentials.backdate(&tenant, MISMATCH_RELOAD);
        serving.authenticate(&tenant, Some(&bearer(&rotated.client_secret))).await.unwrap();
        assert!(matches!(
            serving.authenticate(&tenant, Some(&bearer(&created.client_secret))).await,
            Err(AuthError::Unauthorized)
        ));
        for _ in 0..50 {
            assert!(matches!(
                serving.authenticate(&tenant, Some(&bearer("wrong"))).await,
                Err(AuthError::Unauthorized)
            ));
        }
        assert_eq!(secrets.reads.load(Ordering::SeqCst), 2);
    }
}
