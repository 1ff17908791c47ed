//! Credentials, free of I/O and of any domain: client secrets and client IDs, their
//! verifiers, what an `Authorization` header presents, and the constant-time comparison of the
//! two. Who owns a credential (a tenant) and where verifiers live is the business of
//! [`crate::tenants`] and [`crate::secrets`].
//!
//! A secret is 256 random bits behind a fixed prefix (so secret scanners recognise it); only
//! its SHA-256 verifier is stored. With 256 bits of entropy a plain hash cannot be brute-forced,
//! so no slow KDF is needed on the request path.

use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Prefix of every client secret.
pub const SECRET_PREFIX: &str = "scimsk-";

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

    /// Whether these credentials are those of the holder of `client_id` whose stored
    /// verifier is `stored` (Bearer presents the secret alone). Compared in constant time.
    pub fn opens(&self, client_id: &str, stored: &str) -> bool {
        if let Presented::Basic { client_id: presented, .. } = self {
            if !bool::from(presented.as_bytes().ct_eq(client_id.as_bytes())) {
                return false;
            }
        }
        bool::from(verifier(self.secret()).as_bytes().ct_eq(stored.as_bytes()))
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

    #[test]
    fn credentials_open_only_their_own_verifier() {
        let secret = new_secret();
        let stored = verifier(&secret);
        let basic = |id: &str, secret: &str| Presented::Basic { client_id: id.into(), secret: secret.into() };
        assert!(basic("id-1", &secret).opens("id-1", &stored));
        assert!(!basic("id-2", &secret).opens("id-1", &stored), "another client ID");
        assert!(!basic("id-1", "scimsk-wrong").opens("id-1", &stored), "another secret");
        assert!(Presented::Bearer { secret: secret.clone() }.opens("id-1", &stored));
        assert!(!Presented::Bearer { secret: new_secret() }.opens("id-1", &stored));
    }
}
