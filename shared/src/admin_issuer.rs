//! The admin API's token verifier of one process, and where it comes from: the `MANAGE_*`
//! settings (the issuer's JWKS inline, or fetched from its URL once per cold start), a verifier
//! handed over whole (`local-api`'s development issuer, the tests'), or none at all.
//!
//! It also knows how this process makes the console's sessions: a process whose tokens the
//! development issuer signs (`local-api`, the tests) keeps that issuer
//! ([`AdminTokens::dev_issuer`]), so the console can turn a redeemed sign-in link into a
//! session token; a deployment on a real OIDC issuer with `MANAGE_CONSOLE_CLIENT_ID` signs the
//! console in through that issuer ([`AdminTokens::oidc_client`], discovered on the first
//! sign-in and again after a failure, so an issuer that does not answer never stops a cold
//! start), and the ID tokens it gets, whose `aud` is the console's client id, are admin
//! tokens too.
//!
//! Without one, every admin request is a 401 that says what to set, and the SCIM side works as
//! ever. A JWKS URL that cannot be fetched at cold start does not stop the process either: its
//! admin requests are 503 until a fetch works, tried again at most once per [`RETRY_AFTER`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::admin_tokens::{DevIssuer, IdToken, Principal, TokenError, TokenVerifier};
use crate::oidc::{fetch, OidcClient};
use crate::settings::{JwksSource, ManageIssuer};

/// How long a failed JWKS fetch is remembered before a request tries again.
pub const RETRY_AFTER: Duration = Duration::from_secs(30);

/// Why a request's token could not be checked, or was refused.
#[derive(Debug, thiserror::Error)]
pub enum AdminAuthError {
    /// No issuer is configured: nothing can be verified (or, for [`AdminTokens::oidc_client`],
    /// the console has no client id at the issuer).
    #[error(
        "the admin API has no token issuer configured: set MANAGE_ISSUER, MANAGE_AUDIENCE and \
         MANAGE_JWKS or MANAGE_JWKS_URL (local-api uses its development issuer)"
    )]
    Unconfigured,
    /// The issuer's keys could not be had (a JWKS URL that does not answer).
    #[error("the token issuer's keys are unavailable: {0}")]
    Unavailable(String),
    /// The token itself is missing or refused.
    #[error(transparent)]
    Token(#[from] TokenError),
}

/// A JWKS URL's state: the verifier once fetched, or the last failure.
struct Fetched {
    verifier: Option<Arc<TokenVerifier>>,
    failed: Option<(Instant, String)>,
}

enum Source {
    None,
    Ready(Arc<TokenVerifier>),
    Url { issuer: String, audiences: Vec<String>, url: String, state: tokio::sync::Mutex<Fetched> },
}

/// The console as the issuer's OIDC client.
struct Oidc {
    issuer: String,
    client_id: String,
    state: tokio::sync::Mutex<Discovered>,
}

/// The issuer's discovery: the client once it worked, or the last failure.
struct Discovered {
    client: Option<Arc<OidcClient>>,
    failed: Option<(Instant, String)>,
}

/// The admin token verifier of a process, and how it makes console sessions. Built once,
/// shared by every request.
pub struct AdminTokens {
    source: Source,
    /// The issuer that signs this process's tokens, when it is the development one.
    dev_issuer: Option<DevIssuer>,
    /// The console's sign-in through the issuer, when `MANAGE_CONSOLE_CLIENT_ID` is set.
    oidc: Option<Oidc>,
}

impl AdminTokens {
    /// No issuer: every admin request is refused with what to set.
    pub fn unconfigured() -> AdminTokens {
        AdminTokens { source: Source::None, dev_issuer: None, oidc: None }
    }

    /// Tokens checked by `verifier` (local-api's development issuer, tests).
    pub fn with_verifier(verifier: TokenVerifier) -> AdminTokens {
        AdminTokens { source: Source::Ready(Arc::new(verifier)), dev_issuer: None, oidc: None }
    }

    /// Tokens of the development issuer `issuer`, which this process may also mint with
    /// (`local-api`'s sign-in links).
    pub fn development(issuer: DevIssuer) -> Result<AdminTokens, String> {
        Ok(AdminTokens { dev_issuer: Some(issuer.clone()), ..AdminTokens::with_verifier(issuer.verifier()?) })
    }

    /// The development issuer this process's tokens are signed by, if they are.
    pub fn dev_issuer(&self) -> Option<&DevIssuer> {
        self.dev_issuer.as_ref()
    }

    /// Whether the console signs in through the issuer (OIDC).
    pub fn has_oidc(&self) -> bool {
        self.oidc.is_some()
    }

    /// The verifier `MANAGE_*` describe. An inline JWKS that is no usable key set is a
    /// start-up error naming `MANAGE_JWKS`; a URL is fetched now, and a failure is logged and
    /// tried again on a later request. With `MANAGE_CONSOLE_CLIENT_ID`, tokens for the console
    /// are accepted too and the console signs in through the issuer (discovered on first use).
    pub async fn from_settings(settings: Option<&ManageIssuer>) -> Result<AdminTokens, String> {
        let Some(settings) = settings else {
            return Ok(AdminTokens::unconfigured());
        };
        let mut audiences = vec![settings.audience.clone()];
        audiences.extend(settings.console_client_id.iter().cloned());
        let oidc = settings.console_client_id.as_ref().map(|client_id| Oidc {
            issuer: settings.issuer.clone(),
            client_id: client_id.clone(),
            state: tokio::sync::Mutex::new(Discovered { client: None, failed: None }),
        });
        match &settings.keys {
            JwksSource::Inline(jwks) => {
                let audiences: Vec<&str> = audiences.iter().map(String::as_str).collect();
                let verifier =
                    TokenVerifier::new(&settings.issuer, &audiences, jwks).map_err(|e| format!("MANAGE_JWKS: {e}"))?;
                Ok(AdminTokens { oidc, ..AdminTokens::with_verifier(verifier) })
            }
            JwksSource::Url(url) => {
                let tokens = AdminTokens {
                    source: Source::Url {
                        issuer: settings.issuer.clone(),
                        audiences,
                        url: url.clone(),
                        state: tokio::sync::Mutex::new(Fetched { verifier: None, failed: None }),
                    },
                    dev_issuer: None,
                    oidc,
                };
                if let Err(e) = tokens.verifier().await {
                    tracing::error!(error = %e, "cannot fetch the admin token issuer's keys");
                }
                Ok(tokens)
            }
        }
    }

    /// The console as the issuer's OIDC client: discovered on first use, kept once that
    /// worked; a failure is remembered for [`RETRY_AFTER`], then tried again.
    pub async fn oidc_client(&self) -> Result<Arc<OidcClient>, AdminAuthError> {
        let oidc = self.oidc.as_ref().ok_or(AdminAuthError::Unconfigured)?;
        let mut state = oidc.state.lock().await;
        if let Some(client) = &state.client {
            return Ok(client.clone());
        }
        if let Some((at, reason)) = &state.failed {
            if at.elapsed() < RETRY_AFTER {
                return Err(AdminAuthError::Unavailable(reason.clone()));
            }
        }
        match OidcClient::discover(&oidc.issuer, &oidc.client_id).await {
            Ok(client) => {
                let client = Arc::new(client);
                *state = Discovered { client: Some(client.clone()), failed: None };
                Ok(client)
            }
            Err(e) => {
                let reason = format!("MANAGE_ISSUER: {e} (tried again within {} s)", RETRY_AFTER.as_secs());
                state.failed = Some((Instant::now(), reason.clone()));
                Err(AdminAuthError::Unavailable(reason))
            }
        }
    }

    /// The ID token of a console sign-in whose nonce is `nonce`, checked
    /// ([`TokenVerifier::verify_id_token`]).
    pub async fn verify_id_token(&self, token: &str, nonce: &str) -> Result<IdToken, AdminAuthError> {
        Ok(self.verifier().await?.verify_id_token(token, nonce)?)
    }

    /// The principal of an `Authorization: Bearer <JWT>` header.
    pub async fn verify(&self, authorization: Option<&str>) -> Result<Principal, AdminAuthError> {
        Ok(self.verifier().await?.verify(authorization)?)
    }

    async fn verifier(&self) -> Result<Arc<TokenVerifier>, AdminAuthError> {
        match &self.source {
            Source::None => Err(AdminAuthError::Unconfigured),
            Source::Ready(verifier) => Ok(verifier.clone()),
            Source::Url { issuer, audiences, url, state } => {
                let mut state = state.lock().await;
                if let Some(verifier) = &state.verifier {
                    return Ok(verifier.clone());
                }
                if let Some((at, reason)) = &state.failed {
                    if at.elapsed() < RETRY_AFTER {
                        return Err(AdminAuthError::Unavailable(reason.clone()));
                    }
                }
                let audiences: Vec<&str> = audiences.iter().map(String::as_str).collect();
                let fetched = fetch(url).await.and_then(|jwks| TokenVerifier::new(issuer, &audiences, &jwks));
                match fetched {
                    Ok(verifier) => {
                        let verifier = Arc::new(verifier);
                        state.verifier = Some(verifier.clone());
                        state.failed = None;
                        Ok(verifier)
                    }
                    Err(e) => {
                        let reason =
                            format!("MANAGE_JWKS_URL {url}: {e} (tried again within {} s)", RETRY_AFTER.as_secs());
                        state.failed = Some((Instant::now(), reason.clone()));
                        Err(AdminAuthError::Unavailable(reason))
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admin_tokens::{DevIssuer, Role};
    use crate::testing::TempDir;

    const HOUR: Duration = Duration::from_secs(3600);

    fn issuer() -> (TempDir, DevIssuer) {
        let dir = TempDir::new();
        let issuer = DevIssuer::load_or_create(dir.path()).unwrap();
        (dir, issuer)
    }

    fn settings(keys: JwksSource) -> ManageIssuer {
        ManageIssuer {
            issuer: DevIssuer::ISSUER.into(),
            audience: DevIssuer::AUDIENCE.into(),
            keys,
            console_client_id: None,
        }
    }

    #[tokio::test]
    async fn without_an_issuer_every_token_is_refused_with_what_to_set() {
        let tokens = AdminTokens::from_settings(None).await.unwrap();
        let (_dir, issuer) = issuer();
        let token = format!("Bearer {}", issuer.mint(Role::Operator, None, HOUR).unwrap());
        let e = tokens.verify(Some(&token)).await.unwrap_err();
        assert!(matches!(e, AdminAuthError::Unconfigured));
        assert!(e.to_string().contains("MANAGE_ISSUER"), "{e}");
    }

    #[tokio::test]
    async fn an_inline_jwks_verifies_and_a_bad_one_is_a_start_up_error() {
        let (_dir, issuer) = issuer();
        let tokens = AdminTokens::from_settings(Some(&settings(JwksSource::Inline(issuer.jwks())))).await.unwrap();
        let token = format!("Bearer {}", issuer.mint(Role::Operator, None, HOUR).unwrap());
        assert_eq!(tokens.verify(Some(&token)).await.unwrap().role(), Role::Operator);
        assert!(matches!(tokens.verify(None).await, Err(AdminAuthError::Token(TokenError::Missing))));

        let e = AdminTokens::from_settings(Some(&settings(JwksSource::Inline("{}".into())))).await.err().unwrap();
        assert!(e.starts_with("MANAGE_JWKS: "), "{e}");
    }

    #[tokio::test]
    async fn a_console_client_id_adds_an_audience_and_an_issuer_that_does_not_answer_is_unavailable() {
        let (_dir, issuer) = issuer();
        let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let at = format!("http://{}", closed.local_addr().unwrap());
        drop(closed);
        let settings = ManageIssuer {
            issuer: at.clone(),
            console_client_id: Some("console".into()),
            ..settings(JwksSource::Inline(issuer.jwks()))
        };
        let tokens = AdminTokens::from_settings(Some(&settings)).await.expect("no fetch at start-up");
        assert!(tokens.has_oidc() && tokens.dev_issuer().is_none());
        for _ in 0..2 {
            match tokens.oidc_client().await {
                Err(AdminAuthError::Unavailable(reason)) => assert!(reason.contains(&at), "{reason}"),
                other => panic!("{other:?}"),
            }
        }
        let exp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() + 600;
        let claims = |aud: &str| serde_json::json!({"sub": "ann", "role": "operator", "iss": at, "aud": aud, "exp": exp, "nonce": "n"});
        let console = issuer.sign(&claims("console")).unwrap();
        assert_eq!(tokens.verify_id_token(&console, "n").await.unwrap().expires, exp);
        assert!(tokens.verify(Some(&format!("Bearer {console}"))).await.is_ok());
        assert!(tokens.verify_id_token(&console, "m").await.is_err());
        assert!(tokens.verify_id_token(&issuer.sign(&claims("other")).unwrap(), "n").await.is_err());
        assert!(matches!(AdminTokens::unconfigured().oidc_client().await, Err(AdminAuthError::Unconfigured)));
    }

    #[tokio::test]
    async fn a_jwks_url_is_fetched_once_and_an_unreachable_one_is_unavailable() {
        let (_dir, issuer) = issuer();
        // A one-shot HTTP server: the first request gets the JWKS, and then it is gone.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/jwks", listener.local_addr().unwrap());
        let jwks = issuer.jwks();
        let server = tokio::spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut buffer = [0u8; 4096];
            let _ = socket.read(&mut buffer).await.unwrap();
            let answer = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{jwks}",
                jwks.len()
            );
            socket.write_all(answer.as_bytes()).await.unwrap();
        });
        let tokens = AdminTokens::from_settings(Some(&settings(JwksSource::Url(url)))).await.unwrap();
        server.await.unwrap();
        let token = format!("Bearer {}", issuer.mint(Role::Operator, None, HOUR).unwrap());
        for _ in 0..3 {
            assert_eq!(tokens.verify(Some(&token)).await.unwrap().role(), Role::Operator, "no fetch after the first");
        }

        // A port nothing listens on: the fetch fails, and is not tried again at once.
        let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/jwks", closed.local_addr().unwrap());
        drop(closed);
        let tokens = AdminTokens::from_settings(Some(&settings(JwksSource::Url(url.clone())))).await.unwrap();
        match tokens.verify(Some(&token)).await {
            Err(AdminAuthError::Unavailable(reason)) => assert!(reason.contains(&url), "{reason}"),
            other => panic!("{other:?}"),
        }
    }
}
