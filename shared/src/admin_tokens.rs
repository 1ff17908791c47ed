//! The admin API's bearer tokens: JWTs from the configured OIDC issuer, verified in-process
//! (the same code on AWS and on a laptop), the role and subscription they carry, and the
//! development issuer `local-api` signs its own tokens with.
//!
//! A token is accepted when its signature checks against a key of the issuer's JWKS (with
//! that key's own algorithm: a token cannot choose `none` or another family), its `iss` and
//! `aud` are the configured ones and `exp` is in the future (60 s of leeway for clocks).
//! `role` is `operator`, `subscription-admin` or `access-admin`; the two admin roles must
//! carry a `subscription` claim and act only within it. Anything else is one answer, 401:
//! the reason goes to the log, never to the client.

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ed25519_dalek::pkcs8::EncodePrivateKey;
use ed25519_dalek::SigningKey;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Runs the service: every subscription.
    Operator,
    /// Manages one subscription: provisioning, pools, users, groups.
    SubscriptionAdmin,
    /// Grants access within one subscription: users' and groups' licenses, reading.
    AccessAdmin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::SubscriptionAdmin => "subscription-admin",
            Role::AccessAdmin => "access-admin",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Role, String> {
        [Role::Operator, Role::SubscriptionAdmin, Role::AccessAdmin]
            .into_iter()
            .find(|role| role.as_str() == s)
            .ok_or_else(|| format!("{s:?} is not a role: use operator, subscription-admin or access-admin"))
    }
}

/// Who a verified token speaks for. An admin is bound to one subscription; the operator to
/// none, so a request can never act for a subscription its token does not name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    Operator { sub: String },
    Admin { sub: String, role: Role, subscription: String },
}

impl Principal {
    pub fn role(&self) -> Role {
        match self {
            Principal::Operator { .. } => Role::Operator,
            Principal::Admin { role, .. } => *role,
        }
    }
}

/// Why a token was refused: the client always gets the same 401; this is for the log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("no bearer token")]
    Missing,
    #[error("the token is refused: {0}")]
    Refused(String),
}

/// The claims this service reads. `iss`, `aud` (a string or, as JWT allows, a list) and
/// `exp` are the validation's to check.
#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    subscription: Option<String>,
}

/// A development token's claims: what the service reads, and what the validation checks.
#[derive(Serialize)]
struct Minted {
    #[serde(flatten)]
    claims: Claims,
    iss: &'static str,
    aud: &'static str,
    exp: u64,
}

/// An ID token's claims (the console's OIDC sign-in): an admin token's, and the `nonce`
/// that binds it to one sign-in, and when it expires (the session's end).
#[derive(Deserialize)]
struct IdClaims {
    #[serde(flatten)]
    claims: Claims,
    #[serde(default)]
    nonce: Option<String>,
    exp: u64,
}

/// What a checked ID token gives the console: who signs in, and until when (Unix seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdToken {
    pub principal: Principal,
    pub expires: u64,
}

/// One key of the issuer's JWKS, ready to check signatures.
struct Key {
    kid: Option<String>,
    key: DecodingKey,
    validation: Validation,
}

/// Verifies admin tokens against one issuer's keys. Built once per process.
pub struct TokenVerifier {
    keys: Vec<Key>,
}

impl TokenVerifier {
    /// A verifier for tokens of `issuer` meant for one of `audiences` (the admin API's, and the
    /// console's client id when it signs in with OIDC), signed by a key of `jwks` (a JWKS
    /// document: `{"keys": [...]}`). Keys of kinds this service cannot use (encryption keys,
    /// symmetric keys, unknown curves) are left out; none left is an error.
    pub fn new(issuer: &str, audiences: &[&str], jwks: &str) -> Result<TokenVerifier, String> {
        let set: JwkSet = serde_json::from_str(jwks).map_err(|e| format!("the JWKS is not a JWKS document: {e}"))?;
        let mut keys = Vec::new();
        for jwk in &set.keys {
            let algorithm = match &jwk.algorithm {
                AlgorithmParameters::RSA(_) => Algorithm::RS256,
                AlgorithmParameters::EllipticCurve(ec) if ec.curve == EllipticCurve::P256 => Algorithm::ES256,
                AlgorithmParameters::EllipticCurve(ec) if ec.curve == EllipticCurve::P384 => Algorithm::ES384,
                AlgorithmParameters::OctetKeyPair(okp) if okp.curve == EllipticCurve::Ed25519 => Algorithm::EdDSA,
                _ => continue,
            };
            let key = DecodingKey::from_jwk(jwk).map_err(|e| format!("a key of the JWKS cannot be used: {e}"))?;
            let mut validation = Validation::new(algorithm);
            validation.set_issuer(&[issuer]);
            validation.set_audience(audiences);
            validation.set_required_spec_claims(&["exp", "iss", "aud"]);
            keys.push(Key { kid: jwk.common.key_id.clone(), key, validation });
        }
        if keys.is_empty() {
            return Err("the JWKS holds no signing key this service can use (RSA, P-256, P-384 or Ed25519)".into());
        }
        Ok(TokenVerifier { keys })
    }

    /// The principal of an `Authorization: Bearer <JWT>` header.
    pub fn verify(&self, authorization: Option<&str>) -> Result<Principal, TokenError> {
        let token = authorization
            .and_then(|h| h.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim())
            .filter(|token| !token.is_empty())
            .ok_or(TokenError::Missing)?;
        principal(self.decode::<Claims>(token)?)
    }

    /// An ID token the issuer gave the console's sign-in: checked as any admin token (key,
    /// `iss`, `aud`, `exp`, role and subscription), and its `nonce` must be `nonce`, the one
    /// this sign-in sent (so a token made for another sign-in cannot be slipped in).
    pub fn verify_id_token(&self, token: &str, nonce: &str) -> Result<IdToken, TokenError> {
        let token = token.trim();
        if token.is_empty() {
            return Err(TokenError::Missing);
        }
        let claims = self.decode::<IdClaims>(token)?;
        let matches = claims
            .nonce
            .as_deref()
            .is_some_and(|found| bool::from(subtle::ConstantTimeEq::ct_eq(found.as_bytes(), nonce.as_bytes())));
        if !matches {
            let why = if claims.nonce.is_some() { "another sign-in's nonce" } else { "no nonce" };
            return Err(TokenError::Refused(format!("the ID token carries {why}")));
        }
        Ok(IdToken { principal: principal(claims.claims)?, expires: claims.exp })
    }

    /// The claims of `token` if a key of the issuer signed it and the validation passes.
    fn decode<T: serde::de::DeserializeOwned>(&self, token: &str) -> Result<T, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|e| TokenError::Refused(e.to_string()))?;
        // A token naming its key is checked with that key only; otherwise with each in turn.
        let candidates = self.keys.iter().filter(|k| header.kid.is_none() || k.kid == header.kid);
        let mut last = TokenError::Refused(format!("no key of the issuer has id {:?}", header.kid));
        for key in candidates {
            match jsonwebtoken::decode::<T>(token, &key.key, &key.validation) {
                Ok(data) => return Ok(data.claims),
                Err(e) => last = TokenError::Refused(e.to_string()),
            }
        }
        Err(last)
    }
}

fn principal(claims: Claims) -> Result<Principal, TokenError> {
    let role: Role = claims.role.parse().map_err(TokenError::Refused)?;
    let sub = claims.sub;
    match (role, claims.subscription) {
        (Role::Operator, _) => Ok(Principal::Operator { sub }),
        (role, Some(subscription)) if !subscription.is_empty() => Ok(Principal::Admin { sub, role, subscription }),
        (role, _) => Err(TokenError::Refused(format!("a {} token needs a subscription claim", role.as_str()))),
    }
}

/// The issuer of the tokens `local-api` makes for itself: an Ed25519 key kept in its data
/// directory, made on first use. Never used on AWS, where a real OIDC issuer signs.
#[derive(Clone)]
pub struct DevIssuer {
    key: SigningKey,
}

impl DevIssuer {
    /// The `iss` of development tokens.
    pub const ISSUER: &'static str = "local-api";
    /// The `aud` of development tokens.
    pub const AUDIENCE: &'static str = "manage";
    /// The key's file in the data directory.
    pub const KEY_FILE: &'static str = "admin-signing-key";
    const KEY_ID: &'static str = "local-api-dev";

    /// The issuer whose key is in `data_dir`, making the key (readable by its owner only)
    /// when there is none yet.
    pub fn load_or_create(data_dir: &Path) -> Result<DevIssuer, String> {
        let path = data_dir.join(Self::KEY_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let seed: [u8; 32] =
                    URL_SAFE_NO_PAD.decode(text.trim()).ok().and_then(|bytes| bytes.try_into().ok()).ok_or_else(
                        || format!("{} is not a signing key: delete it to make a new one", path.display()),
                    )?;
                Ok(DevIssuer { key: SigningKey::from_bytes(&seed) })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let seed: [u8; 32] = rand::random();
                write_private(&path, &URL_SAFE_NO_PAD.encode(seed))?;
                Ok(DevIssuer { key: SigningKey::from_bytes(&seed) })
            }
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    }

    /// The `sub` of the tokens this issuer mints for `role`.
    pub fn subject(role: Role) -> String {
        format!("local-{}", role.as_str())
    }

    /// A token for `role` (in `subscription`, which the admin roles need), valid for `ttl`.
    pub fn mint(&self, role: Role, subscription: Option<&str>, ttl: Duration) -> Result<String, String> {
        if role != Role::Operator && subscription.is_none_or(str::is_empty) {
            return Err(format!("a {} token needs --subscription", role.as_str()));
        }
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        let claims = Minted {
            claims: Claims {
                sub: Self::subject(role),
                role: role.as_str().to_owned(),
                subscription: subscription.map(str::to_owned),
            },
            iss: Self::ISSUER,
            aud: Self::AUDIENCE,
            exp: (now + ttl).as_secs(),
        };
        let der = self.key.to_pkcs8_der().map_err(|e| format!("the signing key cannot be encoded: {e}"))?;
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(Self::KEY_ID.to_owned());
        jsonwebtoken::encode(&header, &claims, &EncodingKey::from_ed_der(der.as_bytes()))
            .map_err(|e| format!("cannot sign the token: {e}"))
    }

    /// A token with exactly these claims, signed with this issuer's key: for tests that need a
    /// token the service must refuse (expired, another issuer or audience) yet signed rightly.
    #[cfg(any(test, feature = "testing"))]
    pub fn sign(&self, claims: &serde_json::Value) -> Result<String, String> {
        let der = self.key.to_pkcs8_der().map_err(|e| format!("the signing key cannot be encoded: {e}"))?;
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(Self::KEY_ID.to_owned());
        jsonwebtoken::encode(&header, claims, &EncodingKey::from_ed_der(der.as_bytes()))
            .map_err(|e| format!("cannot sign the token: {e}"))
    }

    /// The JWKS of this issuer (its public key), as `MANAGE_JWKS` would hold it.
    pub fn jwks(&self) -> String {
        let x = URL_SAFE_NO_PAD.encode(self.key.verifying_key().to_bytes());
        serde_json::json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "x": x, "kid": Self::KEY_ID, "alg": "EdDSA", "use": "sig"}]})
            .to_string()
    }

    /// A verifier of this issuer's tokens.
    pub fn verifier(&self) -> Result<TokenVerifier, String> {
        TokenVerifier::new(Self::ISSUER, &[Self::AUDIENCE], &self.jwks())
    }
}

/// Writes `text` to a new file at `path` that only its owner can read.
fn write_private(path: &Path, text: &str) -> Result<(), String> {
    use std::io::Write;
    let dir: PathBuf = path.parent().map(Path::to_path_buf).unwrap_or_default();
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    file.write_all(text.as_bytes()).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    use crate::testing::TempDir;

    const HOUR: Duration = Duration::from_secs(3600);

    fn issuer() -> (TempDir, DevIssuer) {
        let dir = TempDir::new();
        let issuer = DevIssuer::load_or_create(dir.path()).unwrap();
        (dir, issuer)
    }

    fn bearer(token: &str) -> String {
        format!("Bearer {token}")
    }

    /// A token with these claims, signed by `issuer`'s key.
    fn signed(issuer: &DevIssuer, claims: serde_json::Value) -> String {
        let der = issuer.key.to_pkcs8_der().unwrap();
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(DevIssuer::KEY_ID.to_owned());
        jsonwebtoken::encode(&header, &claims, &EncodingKey::from_ed_der(der.as_bytes())).unwrap()
    }

    fn in_an_hour() -> u64 {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() + 3600
    }

    #[test]
    fn minted_tokens_verify_with_their_role_and_subscription() {
        let (_dir, issuer) = issuer();
        let verifier = issuer.verifier().unwrap();
        let listed = json!({"sub": "a", "role": "operator", "iss": "local-api", "aud": ["other", "manage"], "exp": in_an_hour()});
        assert_eq!(
            verifier.verify(Some(&bearer(&signed(&issuer, listed)))),
            Ok(Principal::Operator { sub: "a".into() })
        );
        let operator = issuer.mint(Role::Operator, None, HOUR).unwrap();
        assert_eq!(verifier.verify(Some(&bearer(&operator))), Ok(Principal::Operator { sub: "local-operator".into() }));
        for role in [Role::SubscriptionAdmin, Role::AccessAdmin] {
            let token = issuer.mint(role, Some("s1"), HOUR).unwrap();
            let principal = verifier.verify(Some(&format!("bearer  {token} "))).unwrap();
            assert_eq!(principal.role(), role);
            assert_eq!(
                principal,
                Principal::Admin { sub: format!("local-{}", role.as_str()), role, subscription: "s1".into() }
            );
            assert!(issuer.mint(role, None, HOUR).is_err(), "{role:?} without a subscription");
        }
    }

    #[test]
    fn every_other_token_is_refused() {
        let (_dir, issuer) = issuer();
        let verifier = issuer.verifier().unwrap();
        let (_other_dir, other) = self::issuer();
        let exp = in_an_hour();
        let claims = |f: &dyn Fn(&mut serde_json::Value)| {
            let mut c =
                serde_json::json!({"sub": "a", "role": "operator", "iss": "local-api", "aud": "manage", "exp": exp});
            f(&mut c);
            c
        };
        let unsigned = {
            let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
            let payload = URL_SAFE_NO_PAD.encode(claims(&|_| {}).to_string());
            format!("{header}.{payload}.")
        };
        let hs256 = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims(&|_| {}),
            &EncodingKey::from_secret(issuer.jwks().as_bytes()).unwrap(),
        )
        .unwrap();
        let cases: Vec<(&str, Option<String>)> = vec![
            ("no header", None),
            ("empty bearer", Some("Bearer ".into())),
            ("basic scheme", Some(format!("Basic {}", issuer.mint(Role::Operator, None, HOUR).unwrap()))),
            ("not a JWT", Some(bearer("not.a.jwt"))),
            ("alg none", Some(bearer(&unsigned))),
            ("HS256 keyed with the public key", Some(bearer(&hs256))),
            ("another key", Some(bearer(&other.mint(Role::Operator, None, HOUR).unwrap()))),
            ("expired", Some(bearer(&signed(&issuer, claims(&|c| c["exp"] = 1_000_000.into()))))),
            ("no exp", Some(bearer(&signed(&issuer, claims(&|c| drop(c.as_object_mut().unwrap().remove("exp"))))))),
            ("wrong issuer", Some(bearer(&signed(&issuer, claims(&|c| c["iss"] = "evil".into()))))),
            ("wrong audience", Some(bearer(&signed(&issuer, claims(&|c| c["aud"] = "scim".into()))))),
            ("unknown role", Some(bearer(&signed(&issuer, claims(&|c| c["role"] = "root".into()))))),
            (
                "admin without subscription",
                Some(bearer(&signed(&issuer, claims(&|c| c["role"] = "subscription-admin".into())))),
            ),
        ];
        for (what, header) in cases {
            let result = verifier.verify(header.as_deref());
            assert!(result.is_err(), "{what}: {result:?}");
        }
        // A signature cut short is no signature.
        let token = issuer.mint(Role::Operator, None, HOUR).unwrap();
        assert!(verifier.verify(Some(&bearer(&token[..token.len() - 4]))).is_err());
    }

    #[test]
    fn the_key_is_kept_private_and_reused() {
        let (dir, issuer) = issuer();
        let again = DevIssuer::load_or_create(dir.path()).unwrap();
        assert_eq!(issuer.jwks(), again.jwks(), "the same key after a restart");
        let token = issuer.mint(Role::Operator, None, HOUR).unwrap();
        assert!(again.verifier().unwrap().verify(Some(&bearer(&token))).is_ok());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(DevIssuer::KEY_FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(dir.path().join(DevIssuer::KEY_FILE), "garbage").unwrap();
        assert!(DevIssuer::load_or_create(dir.path()).is_err());
    }

    #[test]
    fn an_id_token_needs_this_sign_ins_nonce_and_may_be_for_the_console() {
        let (_dir, issuer) = issuer();
        let verifier =
            TokenVerifier::new(DevIssuer::ISSUER, &[DevIssuer::AUDIENCE, "console"], &issuer.jwks()).unwrap();
        let exp = in_an_hour();
        let token = |aud: &str, nonce: Option<&str>| {
            let mut c = json!({"sub": "ann", "role": "access-admin", "subscription": "s1", "iss": "local-api", "aud": aud, "exp": exp});
            if let Some(nonce) = nonce {
                c["nonce"] = nonce.into();
            }
            signed(&issuer, c)
        };
        let good = verifier.verify_id_token(&token("console", Some("n1")), "n1").unwrap();
        assert_eq!(good.expires, exp);
        assert_eq!(
            good.principal,
            Principal::Admin { sub: "ann".into(), role: Role::AccessAdmin, subscription: "s1".into() }
        );
        assert!(verifier.verify_id_token(&token("manage", Some("n1")), "n1").is_ok(), "the API's audience too");
        // The console's audience is an admin token's too.
        assert!(verifier.verify(Some(&bearer(&token("console", None)))).is_ok());
        for (what, t) in [
            ("another nonce", token("console", Some("n2"))),
            ("no nonce", token("console", None)),
            ("another audience", token("scim", Some("n1"))),
            ("empty", String::new()),
        ] {
            assert!(verifier.verify_id_token(&t, "n1").is_err(), "{what}");
        }
        let prefix = token("console", Some("n1x"));
        assert!(verifier.verify_id_token(&prefix, "n1").is_err(), "a nonce that only starts the same");
    }

    #[test]
    fn a_jwks_without_usable_keys_is_refused() {
        assert!(TokenVerifier::new("i", &["a"], "not json").is_err());
        assert!(TokenVerifier::new("i", &["a"], r#"{"keys": []}"#).is_err());
        assert!(TokenVerifier::new("i", &["a"], r#"{"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}"#).is_err());
    }
}
