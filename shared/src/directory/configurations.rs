//! Provisioning configurations: one per IdP connection, each a separate SCIM tenant with its
//! own client ID and secret.

use serde::{Deserialize, Serialize};

use super::{keys, now, Directory};
use crate::auth::{self, Credentials, Presented};
use crate::scim::ScimError;
use crate::store::{Action, Condition, Index, Item, Query, StoreError, GSI1_PK, GSI1_SK};

/// License types, highest rank first (PRODUCT.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LicenseType {
    Named,
    Concurrent,
    ReadOnly,
    None,
}

impl LicenseType {
    pub fn as_str(self) -> &'static str {
        match self {
            LicenseType::Named => "named",
            LicenseType::Concurrent => "concurrent",
            LicenseType::ReadOnly => "read-only",
            LicenseType::None => "none",
        }
    }
}

impl std::str::FromStr for LicenseType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "named" => Ok(LicenseType::Named),
            "concurrent" => Ok(LicenseType::Concurrent),
            "read-only" => Ok(LicenseType::ReadOnly),
            "none" => Ok(LicenseType::None),
            other => Err(format!("unknown license type {other:?}: use named, concurrent, read-only or none")),
        }
    }
}

/// A provisioning configuration. Its `tenant` id names the SCIM tenant in URLs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Configuration {
    pub tenant: String,
    pub subscription: String,
    pub name: String,
    pub default_license: LicenseType,
    pub client_id: String,
    pub enabled: bool,
    pub created: String,
}

/// A configuration with a client secret just made (created or rotated): shown this once.
#[derive(Debug)]
pub struct NewConfiguration {
    pub configuration: Configuration,
    pub client_secret: String,
}

impl Configuration {
    fn to_item(&self) -> Item {
        Item::new(keys::tenant(&self.tenant))
            .with("subscription", self.subscription.as_str())
            .with("name", self.name.as_str())
            .with("default_license", self.default_license.as_str())
            .with("client_id", self.client_id.as_str())
            .with("enabled", self.enabled)
            .with("created", self.created.as_str())
            .with(GSI1_PK, keys::configurations_index(&self.subscription))
            .with(GSI1_SK, keys::fold(&self.name))
    }

    fn from_item(item: &Item) -> Option<Configuration> {
        let tenant = item.key.pk.strip_prefix("TENANT#")?;
        Some(Configuration {
            tenant: tenant.to_owned(),
            subscription: item.str("subscription")?.to_owned(),
            name: item.str("name")?.to_owned(),
            default_license: item.str("default_license")?.parse().ok()?,
            client_id: item.str("client_id")?.to_owned(),
            enabled: item.bool("enabled")?,
            created: item.str("created")?.to_owned(),
        })
    }
}

/// Errors of the configuration commands (admin side, not SCIM).
#[derive(Debug, thiserror::Error)]
pub enum ConfigurationError {
    #[error("a configuration named {0:?} already exists in this subscription")]
    NameTaken(String),
    #[error("the configuration name must be 1 to 200 characters")]
    InvalidName,
    #[error("no configuration has the tenant id {0:?}")]
    UnknownTenant(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Directory {
    /// Creates a configuration: a new tenant with a client ID and a secret returned once.
    pub async fn create_configuration(
        &self,
        subscription: &str,
        name: &str,
        default_license: LicenseType,
    ) -> Result<NewConfiguration, ConfigurationError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(ConfigurationError::InvalidName);
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
        let written = self
            .table
            .transact(vec![
                Action::Put { item: sentinel, condition: Some(Condition::NotExists) },
                Action::Put { item: configuration.to_item(), condition: Some(Condition::NotExists) },
            ])
            .await;
        match written {
            Ok(()) => Ok(NewConfiguration { configuration, client_secret }),
            Err(e) => {
                self.secrets.delete_verifier(&configuration.tenant).await?;
                match e {
                    StoreError::ConditionFailed { index: 0 } => Err(ConfigurationError::NameTaken(name.to_owned())),
                    other => Err(other.into()),
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
    /// once in this process, and within [`auth::VERIFIER_TTL`] in every other (their cached
    /// verifiers expire); the client ID stays.
    pub async fn rotate_secret(&self, tenant: &str) -> Result<NewConfiguration, ConfigurationError> {
        let configuration =
            self.configuration(tenant).await?.ok_or_else(|| ConfigurationError::UnknownTenant(tenant.to_owned()))?;
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
    /// disabled ones, and wrong or missing credentials all give the same 401.
    pub async fn authenticate(&self, tenant: &str, authorization: Option<&str>) -> Result<Configuration, ScimError> {
        let presented = authorization.and_then(Presented::parse).ok_or_else(ScimError::unauthorized)?;
        let opened = |credentials: &Option<Credentials>| match credentials {
            Some(c) if c.configuration.enabled && presented.opens(&c.configuration, &c.verifier) => {
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
            if cached.is_none() || self.credentials.get_younger_than(tenant, auth::MISMATCH_RELOAD).is_some() {
                return Err(ScimError::unauthorized());
            }
        }
        let loaded = self.load_credentials(tenant).await?;
        self.credentials.put(tenant, loaded.clone());
        opened(&loaded).ok_or_else(ScimError::unauthorized)
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

    fn directory() -> (Directory, Arc<CountingSecrets>) {
        let table: Arc<dyn crate::store::Table> = Arc::new(SqliteTable::in_memory());
        let secrets = Arc::new(CountingSecrets { inner: TableSecrets::new(table.clone()), reads: AtomicUsize::new(0) });
        (Directory::new(table, secrets.clone()), secrets)
    }

    fn bearer(secret: &str) -> String {
        format!("Bearer {secret}")
    }

    /// A refused credential is a 401 (RFC 7644 §3.12), never another error.
    #[track_caller]
    fn assert_refused(r: Result<Configuration, ScimError>) {
        match r {
            Err(e) => assert_eq!((e.status, e.scim_type), (401, None), "{}", e.detail),
            Ok(c) => panic!("accepted: {c:?}"),
        }
    }

    #[tokio::test]
    async fn a_warm_process_reads_each_verifier_once_per_ttl() {
        let (directory, secrets) = directory();
        let a = directory.create_configuration("sub", "A", LicenseType::Named).await.unwrap();
        let b = directory.create_configuration("sub", "B", LicenseType::Named).await.unwrap();
        for _ in 0..100 {
            directory.authenticate(&a.configuration.tenant, Some(&bearer(&a.client_secret))).await.unwrap();
            directory.authenticate(&b.configuration.tenant, Some(&bearer(&b.client_secret))).await.unwrap();
            // Wrong secrets and unknown tenants are answered from the cache too.
            assert_refused(directory.authenticate(&a.configuration.tenant, Some(&bearer("wrong"))).await);
            assert_refused(directory.authenticate("no-such-tenant", Some(&bearer("x"))).await);
        }
        // One read per tenant; the unknown tenant never reaches the secret store.
        assert_eq!(secrets.reads.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn rotation_replaces_the_secret_at_once_in_this_process() {
        let (directory, secrets) = directory();
        let created = directory.create_configuration("sub", "A", LicenseType::Named).await.unwrap();
        let tenant = created.configuration.tenant.clone();
        directory.authenticate(&tenant, Some(&bearer(&created.client_secret))).await.unwrap();

        let rotated = directory.rotate_secret(&tenant).await.unwrap();
        assert_ne!(rotated.client_secret, created.client_secret);
        assert_eq!(rotated.configuration, created.configuration, "the client ID stays");
        assert_refused(directory.authenticate(&tenant, Some(&bearer(&created.client_secret))).await);
        directory.authenticate(&tenant, Some(&bearer(&rotated.client_secret))).await.unwrap();
        assert_eq!(secrets.reads.load(Ordering::SeqCst), 2, "one read before and one after the rotation");

        assert!(matches!(
            directory.rotate_secret("no-such-tenant").await,
            Err(ConfigurationError::UnknownTenant(t)) if t == "no-such-tenant"
        ));
    }

    #[tokio::test]
    async fn another_process_keeps_the_old_verifier_until_its_cache_expires() {
        // Two directories on one store: a Lambda instance and the CLI that rotates.
        let table: Arc<dyn crate::store::Table> = Arc::new(SqliteTable::in_memory());
        let serving = Directory::new(table.clone(), Arc::new(TableSecrets::new(table.clone())));
        let admin = Directory::new(table.clone(), Arc::new(TableSecrets::new(table.clone())));
        let created = admin.create_configuration("sub", "A", LicenseType::Named).await.unwrap();
        let tenant = created.configuration.tenant.clone();
        serving.authenticate(&tenant, Some(&bearer(&created.client_secret))).await.unwrap();
        let rotated = admin.rotate_secret(&tenant).await.unwrap();
        // Within VERIFIER_TTL the warm process still accepts the old secret (the stated bound)…
        serving.authenticate(&tenant, Some(&bearer(&created.client_secret))).await.unwrap();
        // …and once its entry expires (backdated here instead of waiting 60 s) only the new one.
        serving.credentials.backdate(&tenant, auth::VERIFIER_TTL);
        assert_refused(serving.authenticate(&tenant, Some(&bearer(&created.client_secret))).await);
        serving.authenticate(&tenant, Some(&bearer(&rotated.client_secret))).await.unwrap();
    }

    #[tokio::test]
    async fn a_secret_rotated_elsewhere_works_once_the_cached_verifier_is_old_enough_to_reread() {
        let table: Arc<dyn crate::store::Table> = Arc::new(SqliteTable::in_memory());
        let secrets = Arc::new(CountingSecrets { inner: TableSecrets::new(table.clone()), reads: AtomicUsize::new(0) });
        let serving = Directory::new(table.clone(), secrets.clone());
        let admin = Directory::new(table.clone(), Arc::new(TableSecrets::new(table.clone())));
        let created = admin.create_configuration("sub", "A", LicenseType::Named).await.unwrap();
        let tenant = created.configuration.tenant.clone();
        serving.authenticate(&tenant, Some(&bearer(&created.client_secret))).await.unwrap();
        let rotated = admin.rotate_secret(&tenant).await.unwrap();

        // A fresh entry is trusted: the new secret is refused without a read…
        assert_refused(serving.authenticate(&tenant, Some(&bearer(&rotated.client_secret))).await);
        assert_eq!(secrets.reads.load(Ordering::SeqCst), 1);
        // …once it is MISMATCH_RELOAD old, a mismatch reads again: the new secret works, the
        // old one stops, and wrong secrets are refused from the new entry without more reads.
        serving.credentials.backdate(&tenant, auth::MISMATCH_RELOAD);
        serving.authenticate(&tenant, Some(&bearer(&rotated.client_secret))).await.unwrap();
        assert_refused(serving.authenticate(&tenant, Some(&bearer(&created.client_secret))).await);
        for _ in 0..50 {
            assert_refused(serving.authenticate(&tenant, Some(&bearer("wrong"))).await);
        }
        assert_eq!(secrets.reads.load(Ordering::SeqCst), 2);
    }
}
