//! The tenants service: provisioning configurations — one per IdP connection, each a separate
//! SCIM tenant with its own client ID and secret — their secrets, and authenticating a request
//! to a tenant.
//!
//! It sits beside the SCIM directory, not inside it: the SCIM edge asks it who a request is
//! from, and the admin API ([`crate::edge::manage`]) manages configurations through it. Verifiers live behind the
//! [`SecretStore`] port and are read through the [`cache`], so a warm process makes no
//! secret-store call per request.

mod cache;
mod configuration;

use std::sync::Arc;

pub use cache::{MISMATCH_RELOAD, VERIFIER_TTL};
pub use configuration::{Changes, Configuration, NewConfiguration};

use crate::auth::{self, Presented};
use crate::casefold::fold;
use crate::clock::now;
use crate::keys;
use crate::licenses::LicenseType;
use crate::names::{self, MAX_NAME_CHARS};
use crate::secrets::SecretStore;
use crate::store::{query_all, Action, Condition, Index, Item, Query, StoreError, Table, Update, GSI1_SK};
use crate::transaction::{Failure, Transaction};
use cache::{CredentialCache, Credentials};

/// How often a change that lost a race to another change of the same configuration is read
/// and tried again before the store is reported busy.
const WRITE_ATTEMPTS: usize = 8;

/// Errors of managing configurations.
#[derive(Debug, thiserror::Error)]
pub enum TenantError {
    #[error("a configuration named {0:?} already exists in this subscription")]
    NameTaken(String),
    #[error("the configuration name must be 1 to {MAX_NAME_CHARS} characters")]
    InvalidName,
    #[error("no configuration has the tenant id {0:?} in this subscription")]
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
    /// The name's uniqueness sentinel, taken: the name is in use.
    Name,
    /// The old name's sentinel, given up: it must still name this tenant.
    Release,
    /// The configuration item, as read: it changed or went meanwhile.
    Configuration,
}

/// A configuration name as stored (trimmed), or [`TenantError::InvalidName`].
fn valid_name(name: &str) -> Result<&str, TenantError> {
    names::trimmed(name).ok_or(TenantError::InvalidName)
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
        let name = valid_name(name)?;
        let configuration = Configuration {
            // Simple (hyphen-free) UUIDs: URL-safe and without `_`, which Okta refuses in URLs.
            tenant: uuid::Uuid::new_v4().simple().to_string(),
            subscription: subscription.to_owned(),
            name: name.to_owned(),
            default_license,
            client_id: auth::new_client_id(),
            enabled: true,
            created: now(),
            last_activity: None,
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
                    Failure::Condition(Part::Configuration | Part::Release) => {
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

    /// The configuration of `tenant` if it belongs to `subscription`: another subscription's
    /// is as unknown as a made-up id.
    pub async fn configuration_in(&self, subscription: &str, tenant: &str) -> Result<Configuration, TenantError> {
        self.configuration(tenant)
            .await?
            .filter(|c| c.subscription == subscription)
            .ok_or_else(|| TenantError::UnknownTenant(tenant.to_owned()))
    }

    /// Changes the name, default license or state of `tenant` (a configuration of
    /// `subscription`) and returns it as changed. A rename moves the name's uniqueness
    /// sentinel in the same transaction ([`TenantError::NameTaken`] if the new name is in use);
    /// a disabled tenant's requests are refused at once in this process and within
    /// [`VERIFIER_TTL`] in every other. A change of the default license only applies to users
    /// created from now on.
    pub async fn update_configuration(
        &self,
        subscription: &str,
        tenant: &str,
        changes: &Changes,
    ) -> Result<Configuration, TenantError> {
        let name = changes.name.as_deref().map(valid_name).transpose()?;
        for _ in 0..WRITE_ATTEMPTS {
            let current = self.configuration_in(subscription, tenant).await?;
            let mut next = current.clone();
            if let Some(name) = name {
                next.name = name.to_owned();
            }
            next.default_license = changes.default_license.unwrap_or(current.default_license);
            next.enabled = changes.enabled.unwrap_or(current.enabled);
            if next == current {
                return Ok(current);
            }
            let mut updates = Vec::new();
            let mut sentinels = Vec::new();
            if next.name != current.name {
                updates.push(Update::Set("name".into(), next.name.as_str().into()));
                updates.push(Update::Set(GSI1_SK.into(), fold(&next.name).into()));
                let (old, new) = (
                    keys::configuration_name(subscription, &current.name),
                    keys::configuration_name(subscription, &next.name),
                );
                // A change of case only keeps the same sentinel.
                if old != new {
                    let sentinel = Item::new(new).with("tenant", tenant);
                    sentinels.push((Part::Name, Action::Put { item: sentinel, condition: Some(Condition::NotExists) }));
                    let still_ours = Condition::AttrEq("tenant".into(), tenant.into());
                    sentinels.push((Part::Release, Action::Delete { key: old, condition: Some(still_ours) }));
                }
            }
            if next.default_license != current.default_license {
                updates.push(Update::Set("default_license".into(), next.default_license.as_str().into()));
            }
            if next.enabled != current.enabled {
                updates.push(Update::Set("enabled".into(), next.enabled.into()));
            }
            // The configuration first: when it changed meanwhile, that is the failure reported.
            let as_read = Condition::And(vec![
                Condition::AttrEq("subscription".into(), subscription.into()),
                Condition::AttrEq("name".into(), current.name.as_str().into()),
            ]);
            let mut write = Transaction::new();
            let key = keys::tenant(tenant);
            write.push(Part::Configuration, Action::Update { key, updates, condition: Some(as_read) });
            for (part, action) in sentinels {
                write.push(part, action);
            }
            let result = write.commit(&*self.table).await;
            self.credentials.forget(tenant);
            match result {
                Ok(()) => return Ok(next),
                Err(Failure::Condition(Part::Name)) => {
                    return Err(TenantError::NameTaken(next.name));
                }
                // Renamed or deleted meanwhile: read it again.
                Err(Failure::Condition(Part::Configuration)) => continue,
                Err(Failure::Condition(Part::Release)) => {
                    return Err(StoreError::Other(format!(
                        "the name sentinel of configuration {tenant} names another tenant"
                    ))
                    .into());
                }
                Err(Failure::Store(e)) => return Err(e.into()),
            }
        }
        Err(StoreError::Busy(format!("configuration {tenant} kept changing while it was updated")).into())
    }

    /// Deletes `tenant` (a configuration of `subscription`): its item and its name's sentinel
    /// in one transaction, then its verifier. Its SCIM requests are refused at once in this
    /// process and within [`VERIFIER_TTL`] in every other. The users and groups it provisioned
    /// are not touched here.
    pub async fn delete_configuration(&self, subscription: &str, tenant: &str) -> Result<(), TenantError> {
        for _ in 0..WRITE_ATTEMPTS {
            let current = self.configuration_in(subscription, tenant).await?;
            let mut write = Transaction::new();
            let as_read = Condition::And(vec![
                Condition::AttrEq("subscription".into(), subscription.into()),
                Condition::AttrEq("name".into(), current.name.as_str().into()),
            ]);
            write.push(Part::Configuration, Action::Delete { key: keys::tenant(tenant), condition: Some(as_read) });
            let still_ours = Condition::AttrEq("tenant".into(), tenant.into());
            let sentinel = keys::configuration_name(subscription, &current.name);
            write.push(Part::Release, Action::Delete { key: sentinel, condition: Some(still_ours) });
            let result = write.commit(&*self.table).await;
            self.credentials.forget(tenant);
            match result {
                Ok(()) => {
                    // The tenant is gone with its item; a verifier left behind opens nothing,
                    // so failing to delete it does not undo the deletion.
                    if let Err(e) = self.secrets.delete_verifier(tenant).await {
                        tracing::warn!(tenant, error = %e, "the verifier of a deleted configuration was left behind");
                    }
                    return Ok(());
                }
                Err(Failure::Condition(Part::Configuration)) => continue,
                Err(Failure::Condition(Part::Name | Part::Release)) => {
                    return Err(StoreError::Other(format!(
                        "the name sentinel of configuration {tenant} names another tenant"
                    ))
                    .into());
                }
                Err(Failure::Store(e)) => return Err(e.into()),
            }
        }
        Err(StoreError::Busy(format!("configuration {tenant} kept changing while it was deleted")).into())
    }

    /// The configurations of a subscription, by name.
    pub async fn configurations(&self, subscription: &str) -> Result<Vec<Configuration>, StoreError> {
        let items = query_all(&*self.table, Query::new(Index::Gsi1, keys::configurations_index(subscription))).await?;
        Ok(items.iter().filter_map(Configuration::from_item).collect())
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
                return Ok(self.active(configuration).await);
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
        let configuration = opened(&loaded).ok_or(AuthError::Unauthorized)?;
        Ok(self.active(configuration).await)
    }

    /// `configuration`, whose client just got in, with that activity recorded: written to its
    /// item unless the item (as cached) says it was within the last [`VERIFIER_TTL`]. So the
    /// configurations' last activity is exact to about a minute, for at most one write a
    /// minute per tenant and process. The request goes on if the write fails.
    async fn active(&self, mut configuration: Configuration) -> Configuration {
        let recent = crate::clock::format(std::time::SystemTime::now() - VERIFIER_TTL);
        if configuration.last_activity.as_deref().is_some_and(|at| at >= recent.as_str()) {
            return configuration;
        }
        let at = now();
        let update = Action::Update {
            key: keys::tenant(&configuration.tenant),
            updates: vec![Update::Set("last_activity".into(), at.as_str().into())],
            // Never brings a configuration deleted meanwhile back as a fragment.
            condition: Some(Condition::Exists),
        };
        if let Err(e) = self.table.transact(vec![update]).await {
            // Noted in the cache all the same, so a failing store is not asked again per request.
            tracing::warn!(tenant = configuration.tenant, error = %e, "cannot record the configuration's last activity");
        }
        self.credentials.note_activity(&configuration.tenant, &at);
        configuration.last_activity = Some(at);
        configuration
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
        let recorded = rotated.configuration.last_activity.clone();
        assert!(recorded.is_some(), "the authentication above was recorded");
        assert_eq!(rotated.configuration, Configuration { last_activity: recorded, ..created.configuration.clone() });
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

    fn rename(name: &str) -> Changes {
        Changes { name: Some(name.to_owned()), ..Changes::default() }
    }

    #[tokio::test]
    async fn a_rename_moves_the_name_and_a_taken_name_changes_nothing() {
        let (tenants, _) = tenants();
        let a = tenants.create_configuration("sub", "A", LicenseType::Named).await.unwrap().configuration;
        let b = tenants.create_configuration("sub", "B", LicenseType::Named).await.unwrap().configuration;
        tenants.create_configuration("other", "C", LicenseType::Named).await.unwrap();

        let renamed = tenants.update_configuration("sub", &a.tenant, &rename("  C ")).await.unwrap();
        assert_eq!(renamed, Configuration { name: "C".into(), ..a.clone() }, "another subscription's names are apart");
        assert_eq!(tenants.configuration(&a.tenant).await.unwrap(), Some(renamed.clone()));
        // The old name is free again, the new one is taken, in any case.
        let again = tenants.create_configuration("sub", "a", LicenseType::Named).await.unwrap().configuration;
        assert!(matches!(
            tenants.update_configuration("sub", &b.tenant, &rename("c")).await,
            Err(TenantError::NameTaken(n)) if n == "c"
        ));
        assert_eq!(tenants.configuration(&b.tenant).await.unwrap(), Some(b.clone()), "a refused rename wrote nothing");
        // A change of case keeps the sentinel, and the listing follows the name.
        let cased = tenants.update_configuration("sub", &a.tenant, &rename("c")).await.unwrap();
        assert_eq!(cased.name, "c");
        let names: Vec<String> = tenants.configurations("sub").await.unwrap().into_iter().map(|c| c.name).collect();
        assert_eq!(names, ["a", "B", "c"]);
        assert!(matches!(
            tenants.create_configuration("sub", "C", LicenseType::Named).await,
            Err(TenantError::NameTaken(_))
        ));
        assert!(matches!(
            tenants.update_configuration("sub", &again.tenant, &rename(" ")).await,
            Err(TenantError::InvalidName)
        ));
    }

    #[tokio::test]
    async fn disabling_refuses_the_tenant_at_once_and_enabling_lets_it_in_again() {
        let (tenants, _) = tenants();
        let made = tenants.create_configuration("sub", "A", LicenseType::Named).await.unwrap();
        let tenant = made.configuration.tenant.clone();
        let secret = bearer(&made.client_secret);
        tenants.authenticate(&tenant, Some(&secret)).await.unwrap();

        let off = Changes { enabled: Some(false), default_license: Some(LicenseType::ReadOnly), ..Changes::default() };
        let changed = tenants.update_configuration("sub", &tenant, &off).await.unwrap();
        assert!(!changed.enabled);
        assert_eq!(changed.default_license, LicenseType::ReadOnly);
        assert!(matches!(tenants.authenticate(&tenant, Some(&secret)).await, Err(AuthError::Unauthorized)));
        let on = Changes { enabled: Some(true), ..Changes::default() };
        tenants.update_configuration("sub", &tenant, &on).await.unwrap();
        tenants.authenticate(&tenant, Some(&secret)).await.unwrap();
        // Nothing to change is no write, and the answer is the configuration as it is.
        let same = tenants.update_configuration("sub", &tenant, &Changes::default()).await.unwrap();
        assert_eq!(same, tenants.configuration(&tenant).await.unwrap().unwrap());
    }

    #[tokio::test]
    async fn another_subscriptions_configuration_is_unknown() {
        let (tenants, _) = tenants();
        let a = tenants.create_configuration("sub", "A", LicenseType::Named).await.unwrap().configuration;
        let off = Changes { enabled: Some(false), ..Changes::default() };
        assert!(matches!(
            tenants.update_configuration("other", &a.tenant, &off).await,
            Err(TenantError::UnknownTenant(_))
        ));
        assert!(matches!(tenants.delete_configuration("other", &a.tenant).await, Err(TenantError::UnknownTenant(_))));
        assert!(matches!(tenants.configuration_in("other", &a.tenant).await, Err(TenantError::UnknownTenant(_))));
        assert_eq!(tenants.configuration(&a.tenant).await.unwrap(), Some(a));
    }

    #[tokio::test]
    async fn a_deleted_configuration_takes_its_name_and_verifier_with_it() {
        let (tenants, secrets) = tenants();
        let made = tenants.create_configuration("sub", "A", LicenseType::Named).await.unwrap();
        let tenant = made.configuration.tenant.clone();
        let secret = bearer(&made.client_secret);
        tenants.authenticate(&tenant, Some(&secret)).await.unwrap();

        tenants.delete_configuration("sub", &tenant).await.unwrap();
        assert!(matches!(tenants.authenticate(&tenant, Some(&secret)).await, Err(AuthError::Unauthorized)));
        assert_eq!(tenants.configuration(&tenant).await.unwrap(), None);
        assert_eq!(secrets.inner.verifier(&tenant).await.unwrap(), None, "the verifier went");
        assert!(tenants.configurations("sub").await.unwrap().is_empty());
        assert!(matches!(tenants.delete_configuration("sub", &tenant).await, Err(TenantError::UnknownTenant(_))));
        // The name is free again.
        tenants.create_configuration("sub", "a", LicenseType::Named).await.unwrap();
    }
}
