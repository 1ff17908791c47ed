//! SCIM authentication: client secrets, their verifiers, and checking a request's
//! `Authorization` header against the tenant named in the URL.
//!
//! A secret is 256 random bits behind a fixed prefix (so secret scanners recognise it); only
//! its SHA-256 verifier is stored. With 256 bits of entropy a plain hash cannot be brute-forced,
//! so no slow KDF is needed on the request path. Verifiers are cached in memory for
//! [`VERIFIER_TTL`]: a rotated or deleted secret stops working within that bound, and a warm
//! process makes no secret-store (Secrets Manager) call per request. A secret the cached
//! verifier does not open may be one rotated by another process, so the verifier is read
//! again then — at most once per [`MISMATCH_RELOAD`] per tenant, so wrong secrets cannot
//! drive a read per request — and a new secret works at once.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::directory::Configuration;

/// Prefix of every client secret.
pub const SECRET_PREFIX: &str = "scimsk-";
/// How long a verifier (or a tenant's absence) is trusted from the cache.
pub const VERIFIER_TTL: Duration = Duration::from_secs(60);
/// How old a cached verifier must be before a secret it does not open makes it read again.
pub const MISMATCH_RELOAD: Duration = Duration::from_secs(2);
/// Most tenants kept in the cache; past it the cache is cleared (a cold cache only costs reads).
const CACHE_CAPACITY: usize = 10_000;

/// A new client secret: shown once, never stored.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{SECRET_PREFIX}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// A new client ID: random, URL-safe, no `:` (it is the Basic username).
pub fn new_client_id() -> String {
    let mut bytes = [0u8; 12];
    rand::rng().fill_bytes(&mut bytes);
    format!("scim-{}", hex(&bytes))
}

/// The verifier stored for `secret`.
pub fn verifier(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What an `Authorization` header presents.
#[derive(PartialEq, Eq)]
pub enum Presented {
    Basic { client_id: String, secret: String },
    Bearer { secret: String },
}

// Never print a secret, not even in a debug log.
impl std::fmt::Debug for Presented {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Presented::Basic { client_id, .. } => write!(f, "Basic({client_id}, <redacted>)"),
            Presented::Bearer { .. } => write!(f, "Bearer(<redacted>)"),
        }
    }
}

impl Presented {
    /// Parses an `Authorization` header value; None when it is neither Basic nor Bearer.
    pub fn parse(header: &str) -> Option<Presented> {
        let (scheme, rest) = header.trim().split_once(' ')?;
        let rest = rest.trim();
        if scheme.eq_ignore_ascii_case("basic") {
            let decoded = base64::engine::general_purpose::STANDARD.decode(rest).ok()?;
            let decoded = String::from_utf8(decoded).ok()?;
            let (client_id, secret) = decoded.split_once(':')?;
            Some(Presented::Basic { client_id: client_id.to_owned(), secret: secret.to_owned() })
        } else if scheme.eq_ignore_ascii_case("bearer") && !rest.is_empty() {
            Some(Presented::Bearer { secret: rest.to_owned() })
        } else {
            None
        }
    }

    fn secret(&self) -> &str {
        match self {
            Presented::Basic { secret, .. } | Presented::Bearer { secret } => secret,
        }
    }

    /// Whether these credentials open `configuration`, whose stored verifier is `stored`.
    pub fn opens(&self, configuration: &Configuration, stored: &str) -> bool {
        if let Presented::Basic { client_id, .. } = self {
            if !bool::from(client_id.as_bytes().ct_eq(configuration.client_id.as_bytes())) {
                return false;
            }
        }
        bool::from(verifier(self.secret()).as_bytes().ct_eq(stored.as_bytes()))
    }
}

/// A tenant's configuration and verifier as last read, or the fact that it had none.
#[derive(Clone)]
pub struct Credentials {
    pub configuration: Configuration,
    pub verifier: String,
}

/// Cache of tenants' credentials, bounded in age by [`VERIFIER_TTL`].
#[derive(Default)]
pub struct CredentialCache {
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
    pub(crate) fn backdate(&self, tenant: &str, by: Duration) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_and_bearer_parse_and_nothing_else_does() {
        let b64 = base64::engine::general_purpose::STANDARD.encode("id:sec:ret");
        assert_eq!(
            Presented::parse(&format!("Basic {b64}")),
            Some(Presented::Basic { client_id: "id".into(), secret: "sec:ret".into() })
        );
        assert_eq!(Presented::parse("bearer abc"), Some(Presented::Bearer { secret: "abc".into() }));
        assert_eq!(Presented::parse("Bearer "), None);
        assert_eq!(Presented::parse("Digest abc"), None);
        assert_eq!(Presented::parse("Basic !!!"), None);
    }

    #[test]
    fn secrets_are_long_random_and_prefixed_and_debug_hides_them() {
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(a, b);
        assert!(a.starts_with(SECRET_PREFIX) && a.len() > 40);
        let shown = format!("{:?}", Presented::Bearer { secret: a.clone() });
        assert!(!shown.contains(&a));
    }
}
