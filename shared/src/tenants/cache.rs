//! The in-memory cache of tenants' credentials (configuration and verifier).
//!
//! A warm process trusts an entry for [`VERIFIER_TTL`], so it makes no secret-store (Secrets
//! Manager) call per request, and a rotated or deleted secret stops working in other processes
//! within that bound. A secret the cached verifier does not open may be one rotated by another
//! process, so [`super::Tenants::authenticate`] reads the verifier again then — at most once
//! per [`MISMATCH_RELOAD`] per tenant, so wrong secrets cannot drive a read per request — and
//! a new secret works at once.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::Configuration;

/// How long a verifier (or a tenant's absence) is trusted from the cache.
pub const VERIFIER_TTL: Duration = Duration::from_secs(60);
/// How old a cached verifier must be before a secret it does not open makes it read again.
pub const MISMATCH_RELOAD: Duration = Duration::from_secs(2);
/// Most tenants kept in the cache; past it the cache is cleared (a cold cache only costs reads).
const CACHE_CAPACITY: usize = 10_000;

/// A tenant's configuration and verifier as last read.
#[derive(Clone)]
pub(super) struct Credentials {
    pub configuration: Configuration,
    pub verifier: String,
}

/// Tenants' credentials as last read (`None`: the tenant had none), bounded in age.
#[derive(Default)]
pub(super) struct CredentialCache {
    entries: Mutex<HashMap<String, (Instant, Option<Credentials>)>>,
}

impl CredentialCache {
    /// The cached answer for `tenant` when it is younger than the TTL.
    pub fn get(&self, tenant: &str) -> Option<Option<Credentials>> {
        self.get_younger_than(tenant, VERIFIER_TTL)
    }

    /// The cached answer for `tenant` when it is younger than `age`.
    pub fn get_younger_than(&self, tenant: &str, age: Duration) -> Option<Option<Credentials>> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.get(tenant).filter(|(at, _)| at.elapsed() < age).map(|(_, c)| c.clone())
    }

    /// Makes `tenant`'s entry look `by` older, so tests need not sleep.
    #[cfg(test)]
    pub fn backdate(&self, tenant: &str, by: Duration) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((at, _)) = entries.get_mut(tenant) {
            *at = at.checked_sub(by).expect("an instant that far back");
        }
    }

    pub fn put(&self, tenant: &str, credentials: Option<Credentials>) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= CACHE_CAPACITY {
            entries.clear();
        }
        entries.insert(tenant.to_owned(), (Instant::now(), credentials));
    }

    /// Forgets `tenant` (after a rotation or deletion made in this process).
    pub fn forget(&self, tenant: &str) {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).remove(tenant);
    }
}
