//! The console's sign-in on AWS: the manage function as an OpenID Connect client of the admin
//! token issuer (`MANAGE_ISSUER`), with the authorization code flow and PKCE.
//!
//! The browser is sent to the issuer's authorization endpoint with a fresh `state`, `nonce`
//! and PKCE challenge; what is needed to finish ([`Pending`]) waits in a short-lived cookie of
//! the console's own. The issuer sends the browser back with a code, which the function
//! exchanges at the token endpoint (with the PKCE verifier, so a code caught on the way is
//! useless to anyone else) for an ID token. That token, checked like any admin token and
//! bound to the nonce, becomes the console's session. Where the endpoints are comes from the
//! issuer's discovery document, read on the first sign-in (again after a failure).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// The console as a client of the issuer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcClient {
    /// `MANAGE_CONSOLE_CLIENT_ID`: the console's client id at the issuer (a public client:
    /// no secret, PKCE instead).
    pub client_id: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
}

/// The parts of a discovery document the sign-in uses.
#[derive(Debug, Deserialize)]
struct Discovery {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
}

/// The token endpoint's answer, as far as the sign-in reads it.
#[derive(Debug, Deserialize)]
struct Tokens {
    id_token: String,
}

impl OidcClient {
    /// The client `client_id` of `issuer`, whose endpoints its discovery document
    /// (`<issuer>/.well-known/openid-configuration`) names. The document must name the same
    /// issuer (OpenID Connect Discovery's rule: otherwise it could send the browser anywhere).
    pub async fn discover(issuer: &str, client_id: &str) -> Result<OidcClient, String> {
        let url = format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/'));
        let text = fetch(&url).await.map_err(|e| format!("the issuer's discovery document {url}: {e}"))?;
        let found: Discovery =
            serde_json::from_str(&text).map_err(|e| format!("the issuer's discovery document {url}: {e}"))?;
        if found.issuer.trim_end_matches('/') != issuer.trim_end_matches('/') {
            return Err(format!("the discovery document at {url} is of issuer {:?}, not {issuer:?}", found.issuer));
        }
        Ok(OidcClient {
            client_id: client_id.to_owned(),
            authorization_endpoint: found.authorization_endpoint,
            token_endpoint: found.token_endpoint,
        })
    }

    /// Where to send the browser to sign in, coming back to `redirect_uri`.
    pub fn authorization_url(&self, redirect_uri: &str, pending: &Pending) -> Result<String, String> {
        let mut url = reqwest::Url::parse(&self.authorization_endpoint)
            .map_err(|e| format!("the authorization endpoint {:?} is not a URL: {e}", self.authorization_endpoint))?;
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("scope", "openid")
            .append_pair("state", &pending.state)
            .append_pair("nonce", &pending.nonce)
            .append_pair("code_challenge", &pending.challenge())
            .append_pair("code_challenge_method", "S256");
        Ok(url.into())
    }

    /// The ID token the issuer gives for `code` (sent back to `redirect_uri`) and the PKCE
    /// verifier of `pending`.
    pub async fn exchange(&self, code: &str, redirect_uri: &str, pending: &Pending) -> Result<String, String> {
        let client = reqwest::Client::builder()
            .timeout(FETCH_TIMEOUT)
            .build()
            .map_err(|e| format!("cannot build an HTTP client: {e}"))?;
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("client_id", &self.client_id),
            ("code_verifier", &pending.verifier),
        ];
        let response = client
            .post(&self.token_endpoint)
            .form(&form)
            .send()
            .await
            .map_err(|e| format!("the token endpoint did not answer: {e}"))?;
        let status = response.status();
        let text = response.text().await.map_err(|e| format!("the token endpoint's answer: {e}"))?;
        if !status.is_success() {
            // An OAuth error body says why (`invalid_grant`, …) and holds no token.
            return Err(format!(
                "the token endpoint answered {status}: {}",
                text.chars().take(300).collect::<String>()
            ));
        }
        let tokens: Tokens =
            serde_json::from_str(&text).map_err(|_| "the token endpoint's answer holds no id_token".to_owned())?;
        Ok(tokens.id_token)
    }
}

/// A sign-in on its way: what the callback needs to finish it, kept in the browser (a
/// cookie only the console reads) between the redirect and the callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// Echoed by the issuer: proves the callback answers this browser's request.
    pub state: String,
    /// Put into the ID token by the issuer: proves the token was made for this sign-in.
    pub nonce: String,
    /// The PKCE secret whose hash the authorization request carries.
    pub verifier: String,
}

impl Pending {
    /// A new sign-in: each value 256 random bits.
    pub fn new() -> Pending {
        let random = || URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
        Pending { state: random(), nonce: random(), verifier: random() }
    }

    /// The PKCE challenge (RFC 7636, S256): the verifier's SHA-256, base64url.
    pub fn challenge(&self) -> String {
        URL_SAFE_NO_PAD.encode(Sha256::digest(self.verifier.as_bytes()))
    }

    /// As a cookie value: `state.nonce.verifier` (base64url never holds a `.`).
    pub fn to_cookie(&self) -> String {
        format!("{}.{}.{}", self.state, self.nonce, self.verifier)
    }

    /// The pending sign-in a cookie value holds, if it is one.
    pub fn from_cookie(value: &str) -> Option<Pending> {
        let mut parts = value.split('.');
        let (state, nonce, verifier) = (parts.next()?, parts.next()?, parts.next()?);
        let valid = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if parts.next().is_some() || ![state, nonce, verifier].into_iter().all(valid) {
            return None;
        }
        Some(Pending { state: state.to_owned(), nonce: nonce.to_owned(), verifier: verifier.to_owned() })
    }
}

impl Default for Pending {
    fn default() -> Pending {
        Pending::new()
    }
}

/// How long one call to the issuer (a JWKS, discovery, the code exchange) may take (the
/// function's own timeout is 15 s).
pub(crate) const FETCH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// The document at `url` (a JWKS, a discovery document).
pub(crate) async fn fetch(url: &str) -> Result<String, String> {
    let client = reqwest::Client::builder()
        .timeout(FETCH_TIMEOUT)
        .build()
        .map_err(|e| format!("cannot build an HTTP client: {e}"))?;
    let response = client.get(url).send().await.map_err(|e| format!("no answer: {e}"))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("answered {status}"));
    }
    response.text().await.map_err(|e| format!("the answer could not be read: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_challenge_is_rfc_7636s() {
        // RFC 7636, appendix B.
        let pending = Pending {
            state: "s".into(),
            nonce: "n".into(),
            verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into(),
        };
        assert_eq!(pending.challenge(), "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    }

    #[test]
    fn a_pending_sign_in_survives_its_cookie_and_nothing_else_passes_for_one() {
        let pending = Pending::new();
        assert_ne!(pending.state, Pending::new().state, "random each time");
        assert_eq!(Pending::from_cookie(&pending.to_cookie()), Some(pending));
        for bad in ["", "a.b", "a.b.c.d", "a..c", "a.b.c d", "a.b.c=", "a.b.<script>"] {
            assert_eq!(Pending::from_cookie(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_authorization_url_carries_the_flow_s_parameters() {
        let client = OidcClient {
            client_id: "console".into(),
            authorization_endpoint: "https://login.example.com/oauth2/authorize?tenant=a".into(),
            token_endpoint: "https://login.example.com/oauth2/token".into(),
        };
        let pending = Pending::new();
        let url = client.authorization_url("https://scim.example.com/manage/signin/callback", &pending).unwrap();
        let url = reqwest::Url::parse(&url).unwrap();
        let query: std::collections::BTreeMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(query["tenant"], "a", "the endpoint's own parameters stay");
        assert_eq!(query["response_type"], "code");
        assert_eq!(query["client_id"], "console");
        assert_eq!(query["redirect_uri"], "https://scim.example.com/manage/signin/callback");
        assert_eq!(query["scope"], "openid");
        assert_eq!((&query["state"], &query["nonce"]), (&pending.state, &pending.nonce));
        assert_eq!(query["code_challenge"], pending.challenge());
        assert_eq!(query["code_challenge_method"], "S256");
        assert!(!url.as_str().contains(&pending.verifier), "the verifier never leaves the service");
    }
}
