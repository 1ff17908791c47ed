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
/// Most tenants kept in each half of the cache (tenants with credentials, and ids without);
/// past it that half is cleared (a cold cache only costs reads).
pub(super) const CACHE_CAPACITY: usize = 10_000;

/// A tenant's configuration and verifier as last read.
#[derive(Clone)]
pub(super) struct Credentials {
    pub configuration: Configuration,
    pub verifier: String,
}

/// Tenants' credentials as last read, bounded in age. Tenants that had none (unknown ids,
/// which anyone can send) are kept apart from those that had, each bounded on its own: a
/// stream of made-up tenant ids clears only the absent entries and never evicts a real
/// tenant's verifier.
#[derive(Default)]
pub(super) struct CredentialCache {
    entries: Mutex<Entries>,
}

#[derive(Default)]
struct Entries {
    known: HashMap<String, (Instant, Credentials)>,
    absent: HashMap<String, Instant>,
}

impl Entries {
    fn get(&self, tenant: &str, age: Duration) -> Option<Option<Credentials>> {
        if let Some((at, credentials)) = self.known.get(tenant) {
            return (at.elapsed() < age).then(|| Some(credentials.clone()));
        }
        self.absent.get(tenant).filter(|at| at.elapsed() < age).map(|_| None)
    }
}

impl CredentialCache {
    /// The cached answer for `tenant` when it is younger than the TTL.
    pub fn get(&self, tenant: &str) -> Option<Option<Credentials>> {
        self.get_younger_than(tenant, VERIFIER_TTL)
    }

    /// The cached answer for `tenant` when it is younger than `age`.
    pub fn get_younger_than(&self, tenant: &str, age: Duration) -> Option<Option<Credentials>> {
        self.lock().get(tenant, age)
    }

    /// Makes `tenant`'s entry look `by` older, so tests need not sleep.
    #[cfg(test)]
    pub fn backdate(&self, tenant: &str, by: Duration) {
        let mut entries = self.lock();
        let back = |at: &mut Instant| *at = at.checked_sub(by).expect("an instant that far back");
        if let Some((at, _)) = entries.known.get_mut(tenant) {
            back(at);
        }
        if let Some(at) = entries.absent.get_mut(tenant) {
            back(at);
        }
    }

    pub fn put(&self, tenant: &str, credentials: Option<Credentials>) {
        let mut entries = self.lock();
        entries.known.remove(tenant);
        entries.absent.remove(tenant);
        match credentials {
            Some(credentials) => {
                if entries.known.len() >= CACHE_CAPACITY {
                    entries.known.clear();
                }
                entries.known.insert(tenant.to_owned(), (Instant::now(), credentials));
            }
            None => {
                if entries.absent.len() >= CACHE_CAPACITY {
                    entries.absent.clear();
                }
                entries.absent.insert(tenant.to_owned(), Instant::now());
            }
        }
    }

    /// Notes in `tenant`'s entry (keeping its age) that its activity was recorded `at`.
    pub fn note_activity(&self, tenant: &str, at: &str) {
        if let Some((_, credentials)) = self.lock().known.get_mut(tenant) {
            credentials.configuration.last_activity = Some(at.to_owned());
        }
    }

    /// Forgets `tenant` (after a rotation or deletion made in this process).
    pub fn forget(&self, tenant: &str) {
        let mut entries = self.lock();
        entries.known.remove(tenant);
        entries.absent.remove(tenant);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}
