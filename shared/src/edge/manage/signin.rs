//! The console's sign-in through the OIDC issuer (`MANAGE_ISSUER` with
//! `MANAGE_CONSOLE_CLIENT_ID`): two console paths, both `GET`, served by the manage function
//! beside the console's files (`super::console`).
//!
//! - [`START`] makes a new sign-in ([`Pending`]: state, nonce, PKCE verifier), keeps it in the
//!   cookie [`PENDING_COOKIE`] (`HttpOnly; Secure`, on the console's path, 10 minutes;
//!   `SameSite=Lax`, since the issuer's redirect back is a top-level navigation from another
//!   site, which a `Strict` cookie would not come with) and sends the browser to the issuer.
//! - [`CALLBACK`] is where the issuer sends it back with `code` and `state`: the state must be
//!   the cookie's (so the answer is to this browser's own request), the code is exchanged with
//!   the PKCE verifier for an ID token, which must be checked as any admin token and carry the
//!   cookie's nonce. The token becomes the session cookie exactly as a sign-in link's does
//!   ([`super::session::cookie`], until the token expires), the pending sign-in is cleared
//!   and the browser goes to the console's Home: the code never stays in its history.
//!
//! Any failure sends the browser to the sign-in page with a reason code in the fragment
//! (`#error=state`, …; the page shows its own text for each, never text from the address), and
//! logs the reason: never the code, the token or a cookie.

use lambda_http::{Body, Request, Response};

use super::session;
use super::CONSOLE_ROOT as ROOT;
use crate::admin_issuer::AdminAuthError;
use crate::app::App;
use crate::oidc::Pending;
use crate::public_url::PublicUrl;

/// Where a sign-in starts, after the console's root.
pub const START: &str = "/signin/oidc";
/// Where the issuer sends the browser back, after the console's root.
pub const CALLBACK: &str = "/signin/callback";
/// The cookie of a sign-in on its way.
pub const PENDING_COOKIE: &str = "manage_oidc";
/// How long a sign-in may take at the issuer, in seconds.
pub const PENDING_SECONDS: u64 = 600;

/// Why a sign-in failed, as the sign-in page names it (`#error=<code>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// No sign-in of this browser's is on its way, or the answer is to another one.
    State,
    /// The issuer did not sign the person in (it sent `error=`).
    Denied,
    /// The code or the ID token was refused.
    Refused,
    /// The issuer cannot be reached (discovery or keys).
    Unavailable,
    /// This deployment has no OIDC sign-in.
    Unconfigured,
}

impl Failure {
    pub fn code(self) -> &'static str {
        match self {
            Failure::State => "state",
            Failure::Denied => "denied",
            Failure::Refused => "refused",
            Failure::Unavailable => "unavailable",
            Failure::Unconfigured => "unconfigured",
        }
    }
}

/// The answer to `rest` (the path after `<stage>/manage`) if it is one of the sign-in's paths.
pub async fn route(app: &App, req: &Request, stage: &str, rest: &str) -> Option<Response<Body>> {
    match rest {
        START => Some(start(app, req, stage).await),
        CALLBACK => Some(callback(app, req, stage).await),
        _ => None,
    }
}

/// The issuer sends the browser back here: `<base>/manage/signin/callback`.
fn redirect_uri(app: &App, req: &Request, stage: &str) -> String {
    format!("{}{ROOT}{CALLBACK}", PublicUrl::for_request(app.public_url.as_ref(), req, stage))
}

async fn start(app: &App, req: &Request, stage: &str) -> Response<Body> {
    let root = format!("{stage}{ROOT}");
    let client = match app.admin_tokens.oidc_client().await {
        Ok(client) => client,
        Err(e) => return failed(&root, unavailable(&e), &e.to_string()),
    };
    let pending = Pending::new();
    match client.authorization_url(&redirect_uri(app, req, stage), &pending) {
        Ok(url) => {
            let cookie = format!(
                "{PENDING_COOKIE}={}; Path={root}; Max-Age={PENDING_SECONDS}; Secure; HttpOnly; SameSite=Lax",
                pending.to_cookie()
            );
            see_other(&url, &[cookie])
        }
        Err(e) => failed(&root, Failure::Unavailable, &e),
    }
}

async fn callback(app: &App, req: &Request, stage: &str) -> Response<Body> {
    let root = format!("{stage}{ROOT}");
    match finish(app, req, stage).await {
        Ok((token, max_age)) => {
            let cookies = [session::cookie(&root, Some(&token), max_age), clear_pending(&root)];
            see_other(&format!("{root}/"), &cookies)
        }
        Err((failure, reason)) => failed(&root, failure, &reason),
    }
}

/// The session token and how long it lasts (seconds), or why not.
async fn finish(app: &App, req: &Request, stage: &str) -> Result<(String, u64), (Failure, String)> {
    let query = req.uri().query().map(crate::edge::scim::parse_query).unwrap_or_default();
    let param = |name: &str| query.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
    if let Some(error) = param("error") {
        // An OAuth error code (`access_denied`, …): a word, shown in the log as such.
        let error: String = error.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').take(64).collect();
        return Err((Failure::Denied, format!("the issuer answered error={error}")));
    }
    let pending = pending(req).ok_or((Failure::State, "no sign-in of this browser is on its way".to_owned()))?;
    let state = param("state").ok_or((Failure::State, "the callback has no state".to_owned()))?;
    if !bool::from(subtle::ConstantTimeEq::ct_eq(state.as_bytes(), pending.state.as_bytes())) {
        return Err((Failure::State, "the callback's state is not this browser's sign-in's".to_owned()));
    }
    let code =
        param("code").filter(|c| !c.is_empty()).ok_or((Failure::Refused, "the callback has no code".to_owned()))?;
    let client = app.admin_tokens.oidc_client().await.map_err(|e| (unavailable(&e), e.to_string()))?;
    let token = client
        .exchange(code, &redirect_uri(app, req, stage), &pending)
        .await
        // (The token endpoint's error answer is logged; should it echo the code, not that.)
        .map_err(|e| (Failure::Refused, format!("the code exchange failed: {}", e.replace(code, "<code>"))))?;
    let checked = app.admin_tokens.verify_id_token(&token, &pending.nonce).await.map_err(|e| match e {
        AdminAuthError::Token(e) => (Failure::Refused, format!("the ID token: {e}")),
        other => (unavailable(&other), other.to_string()),
    })?;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_secs();
    let max_age = checked.expires.saturating_sub(now);
    if max_age == 0 {
        return Err((Failure::Refused, "the ID token has expired".to_owned()));
    }
    tracing::info!(role = checked.principal.role().as_str(), "console signed in through the OIDC issuer");
    Ok((token, max_age))
}

/// The pending sign-in of the request's cookie, if it holds one.
fn pending(req: &Request) -> Option<Pending> {
    req.headers()
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == PENDING_COOKIE)
        .and_then(|(_, value)| Pending::from_cookie(value))
}

fn unavailable(e: &AdminAuthError) -> Failure {
    match e {
        AdminAuthError::Unconfigured => Failure::Unconfigured,
        _ => Failure::Unavailable,
    }
}

fn clear_pending(root: &str) -> String {
    format!("{PENDING_COOKIE}=; Path={root}; Max-Age=0; Secure; HttpOnly; SameSite=Lax")
}

/// To the sign-in page with `failure`'s code, the pending sign-in cleared; `reason` (which
/// never holds a code, token or cookie) to the log.
fn failed(root: &str, failure: Failure, reason: &str) -> Response<Body> {
    tracing::warn!(failure = failure.code(), reason, "console sign-in through the OIDC issuer failed");
    see_other(&format!("{root}/signin#error={}", failure.code()), &[clear_pending(root)])
}

fn see_other(location: &str, cookies: &[String]) -> Response<Body> {
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = http::StatusCode::SEE_OTHER;
    let headers = response.headers_mut();
    if let Ok(value) = http::HeaderValue::from_str(location) {
        headers.insert(http::header::LOCATION, value);
    }
    headers.insert(http::header::CACHE_CONTROL, http::HeaderValue::from_static("no-store"));
    for cookie in cookies {
        if let Ok(value) = http::HeaderValue::from_str(cookie) {
            headers.append(http::header::SET_COOKIE, value);
        }
    }
    response
}
