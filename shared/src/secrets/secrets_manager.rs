//! The Secrets Manager engine of the SecretStore port: one secret per tenant, named
//! `{prefix}{tenant}`, whose value is the tenant's client-secret verifier (a SHA-256 hash)
//! and nothing else — never the client secret, which is shown once and never stored.
//!
//! - Created with the configuration (`CreateSecret`; when the name already exists,
//!   `PutSecretValue`), replaced on rotation (`PutSecretValue`, which makes the new value
//!   `AWSCURRENT`), deleted with the configuration.
//! - Deleted with `ForceDeleteWithoutRecovery`, not a recovery window: there is nothing worth
//!   recovering — a verifier is useless without its client secret, which exists only with the
//!   customer, so a restored configuration would need a new secret anyway — and a deleted
//!   tenant's credentials must not be able to come back. Names are never reused (tenant ids
//!   are random), so the immediate delete cannot collide with a later create either.
//! - Reads go through the tenants service's credential cache, so a warm function makes at
//!   most one `GetSecretValue` per tenant per [`crate::tenants::VERIFIER_TTL`] (60 s);
//!   a rotated or deleted secret keeps working for at most that long in other processes.
//!
//! Errors carry the SDK's error chain, which never contains a secret value.

use async_trait::async_trait;
use aws_sdk_secretsmanager::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_secretsmanager::Client;

use super::SecretStore;
use crate::store::StoreError;

/// Verifiers in AWS Secrets Manager, one secret per tenant under a name prefix.
pub struct SecretsManagerSecrets {
    client: Client,
    prefix: String,
}

impl SecretsManagerSecrets {
    /// Secrets named `{prefix}{tenant}`; the prefix (e.g. `scim/`) is what IAM policies scope to.
    pub fn new(client: Client, prefix: impl Into<String>) -> SecretsManagerSecrets {
        SecretsManagerSecrets { client, prefix: prefix.into() }
    }

    /// The name of `tenant`'s secret.
    pub fn secret_name(&self, tenant: &str) -> String {
        format!("{}{tenant}", self.prefix)
    }

    async fn put_value(&self, name: &str, verifier: &str) -> Result<(), StoreError> {
        self.client
            .put_secret_value()
            .secret_id(name)
            .secret_string(verifier)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| store_error("PutSecretValue", name, e))
    }
}

#[async_trait]
impl SecretStore for SecretsManagerSecrets {
    async fn put_verifier(&self, tenant: &str, verifier: &str) -> Result<(), StoreError> {
        let name = self.secret_name(tenant);
        // Creation is the common case (a new configuration), so it is tried first; an
        // existing secret (a rotation, or a create retried after a timeout) gets a new value.
        let created = self
            .client
            .create_secret()
            .name(&name)
            .description(format!("SCIM client-secret verifier (SHA-256) of tenant {tenant}"))
            .secret_string(verifier)
            .send()
            .await;
        match created {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_resource_exists_exception()) => {
                self.put_value(&name, verifier).await
            }
            Err(e) => Err(store_error("CreateSecret", &name, e)),
        }
    }

    async fn verifier(&self, tenant: &str) -> Result<Option<String>, StoreError> {
        let name = self.secret_name(tenant);
        match self.client.get_secret_value().secret_id(&name).send().await {
            Ok(out) => Ok(out.secret_string().map(str::to_owned)),
            // A secret that is gone, or still being deleted (InvalidRequest: "marked for
            // deletion"), opens nothing: the tenant answers 401 like an unknown one.
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception() || e.is_invalid_request_exception()) =>
            {
                Ok(None)
            }
            Err(e) => Err(store_error("GetSecretValue", &name, e)),
        }
    }

    async fn delete_verifier(&self, tenant: &str) -> Result<(), StoreError> {
        let name = self.secret_name(tenant);
        let deleted = self.client.delete_secret().secret_id(&name).force_delete_without_recovery(true).send().await;
        match deleted {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_resource_not_found_exception()) => Ok(()),
            Err(e) => Err(store_error("DeleteSecret", &name, e)),
        }
    }
}

/// Throttling (after the SDK's own retries) and timeouts are `Busy` — the client gets a 503
/// and retries; anything else is a failure worth an operator's look.
fn store_error<E, R>(operation: &str, name: &str, e: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let throttled = matches!(e.code(), Some("ThrottlingException" | "Throttling" | "TooManyRequestsException"));
    let timed_out = matches!(e, SdkError::TimeoutError(_));
    let message = format!("Secrets Manager {operation} on {name}: {}", DisplayErrorContext(&e));
    if throttled || timed_out {
        StoreError::Busy(message)
    } else {
        StoreError::Other(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The moto server of the test command (`scripts/test` sets the variable). Without it the
    /// test fails: a suite that cannot run must never look like one that passed.
    async fn moto_client() -> Client {
        let endpoint = std::env::var("SCIM_TEST_DYNAMODB_ENDPOINT").ok().filter(|e| !e.trim().is_empty());
        let endpoint = endpoint.unwrap_or_else(|| {
            panic!(
                "SCIM_TEST_DYNAMODB_ENDPOINT is not set, so the Secrets Manager adapter cannot be tested: \
                 eval \"$(scripts/moto start)\" exports it, or run scripts/test"
            )
        });
        Client::new(&crate::testing::moto_config(&endpoint).await)
    }

    #[tokio::test]
    async fn secrets_manager_semantics_on_moto() {
        let client = moto_client().await;
        let prefix = format!("scim-test-{}/", uuid::Uuid::new_v4().simple());
        super::super::check_semantics(&SecretsManagerSecrets::new(client, prefix)).await;
    }

    #[tokio::test]
    async fn one_secret_per_tenant_holding_only_the_verifier() {
        let client = moto_client().await;
        let prefix = format!("scim-test-{}/", uuid::Uuid::new_v4().simple());
        let store = SecretsManagerSecrets::new(client.clone(), prefix.clone());
        store.put_verifier("tenant1", "0123abcd").await.unwrap();
        let got = client.get_secret_value().secret_id(format!("{prefix}tenant1")).send().await.unwrap();
        assert_eq!(got.secret_string(), Some("0123abcd"));
        store.put_verifier("tenant1", "4567ef").await.unwrap();
        let got = client.get_secret_value().secret_id(format!("{prefix}tenant1")).send().await.unwrap();
        assert_eq!(got.secret_string(), Some("4567ef"), "rotation makes the new value current");
        store.delete_verifier("tenant1").await.unwrap();
        let gone = client.describe_secret().secret_id(format!("{prefix}tenant1")).send().await;
        assert!(gone.is_err(), "deleted without a recovery window: {gone:?}");
    }
}
