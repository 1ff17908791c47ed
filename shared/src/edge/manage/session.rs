//! The web console's session: who is signed in, signing in with a one-time link, signing out.
//!
//! A session is an admin token in the cookie [`COOKIE`] (`Secure; HttpOnly; SameSite=Strict`,
//! on the console's path only), never in a URL or in the page's storage. The admin API takes
//! it as it takes `Authorization: Bearer` ([`credentials`]); a write made with the cookie
//! must also carry [`CSRF_HEADER`], which a page of another site cannot send without the
//! API's consent (a CORS preflight it never grants): with `SameSite=Strict` that keeps
//! another site from writing through a signed-in browser.
//!
//! Signing in ends with [`cookie`]: a token set as the session cookie. Locally the token is
//! the development issuer's, for a sign-in link ([`crate::sign_in_links`], redeemed by
//! `POST …/session/link`); on AWS it is the ID token of a sign-in through the OIDC issuer
//! (authorization code with PKCE, [`super::signin`]). `GET …/session/methods` tells the
//! sign-in page which of the two this deployment offers.

use std::time::Duration;

use http::HeaderMap;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Call, ErrorBody, ManageError, Reply};
use crate::admin_tokens::{DevIssuer, Principal, Role};
use crate::app::App;
use crate::sign_in_links::{Grant, SignInError};

/// The session cookie's name.
pub const COOKIE: &str = "manage_session";
/// The header a write authenticated by the cookie must carry, with the value [`CSRF_VALUE`].
pub const CSRF_HEADER: &str = "x-requested-by";
pub const CSRF_VALUE: &str = "console";
/// How long a session made by a sign-in link lasts: a working day.
pub const SESSION_TTL: Duration = Duration::from_secs(8 * 3600);

/// Who is signed in.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    /// The token's `sub`: who acts, as the audit trail names them.
    pub sub: String,
    /// `operator`, `subscription-admin` or `access-admin`.
    #[schema(value_type = String)]
    pub role: Role,
    /// The subscription an admin acts in; null for the operator.
    pub subscription: Option<String>,
}

impl From<&Principal> for SessionView {
    fn from(p: &Principal) -> SessionView {
        match p {
            Principal::Operator { sub } => SessionView { sub: sub.clone(), role: Role::Operator, subscription: None },
            Principal::Admin { sub, role, subscription } => {
                SessionView { sub: sub.clone(), role: *role, subscription: Some(subscription.clone()) }
            }
        }
    }
}

/// `POST …/session/link`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedeemLink {
    /// The code of the sign-in link (what follows `#code=`).
    pub code: String,
}

/// How a request is authenticated: its `Authorization` header, else the session cookie (as a
/// bearer token), and whether it was the cookie.
pub fn credentials(headers: &HeaderMap) -> (Option<String>, bool) {
    if let Some(authorization) = headers.get(http::header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        return (Some(authorization.to_owned()), false);
    }
    let token = headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == COOKIE && !value.is_empty())
        .map(|(_, value)| format!("Bearer {value}"));
    let by_cookie = token.is_some();
    (token, by_cookie)
}

/// Whether a request made with the session cookie may do what it asks: reads always; writes
/// only with [`CSRF_HEADER`].
pub fn csrf_guard(method: &http::Method, headers: &HeaderMap) -> Result<(), ManageError> {
    if matches!(*method, http::Method::GET | http::Method::HEAD) {
        return Ok(());
    }
    match headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
        Some(CSRF_VALUE) => Ok(()),
        _ => Err(ManageError::forbidden(format!(
            "a write made with the console's session cookie must carry the header {CSRF_HEADER}: {CSRF_VALUE} \
             (it guards against requests from other sites); programs send Authorization: Bearer instead"
        ))),
    }
}

/// The `Set-Cookie` value of a session of `token` lasting `max_age` seconds (or, with none,
/// of its end), on the console's path `console_path` (`<stage>/manage`).
pub(crate) fn cookie(console_path: &str, token: Option<&str>, max_age: u64) -> String {
    let (value, max_age) = match token {
        Some(token) => (token, max_age),
        None => ("", 0),
    };
    format!("{COOKIE}={value}; Path={console_path}; Max-Age={max_age}; Secure; HttpOnly; SameSite=Strict")
}

/// How the console signs in here: `GET …/session/methods`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignInMethods {
    /// Through the OIDC issuer (`GET /manage/signin/oidc` starts it).
    pub oidc: bool,
    /// With one-time sign-in links (`local-api`).
    pub links: bool,
}

/// Starts a session for `grant`: a token of the development issuer, set as the cookie.
/// (An OIDC sign-in will set the issuer's token the same way.)
fn start(app: &App, call: &Call, grant: &Grant) -> Result<Reply, ManageError> {
    let issuer = app.admin_tokens.dev_issuer().ok_or_else(no_links)?;
    let token = issuer.mint(grant.role, grant.subscription.as_deref(), SESSION_TTL).map_err(|e| {
        tracing::error!(error = %e, "cannot mint a session token");
        <ManageError as crate::edge::ApiError>::internal()
    })?;
    let view =
        SessionView { sub: DevIssuer::subject(grant.role), role: grant.role, subscription: grant.subscription.clone() };
    let cookie = cookie(&call.console_path(), Some(&token), SESSION_TTL.as_secs());
    Ok(Reply::json(200, &view)?.with_header(http::header::SET_COOKIE, cookie))
}

fn no_links() -> ManageError {
    ManageError::not_found(
        "this deployment makes no sign-in links (local-api does): its admins sign in with its OIDC issuer",
    )
}

/// Who is signed in (with the session cookie, or a bearer token).
#[utoipa::path(
    get,
    path = "/manage/v1/session",
    operation_id = "get_session",
    responses((status = 200, description = "The signed-in admin", body = SessionView))
)]
pub async fn get(_app: &App, call: Call) -> Result<Reply, ManageError> {
    let principal = call.principal.as_ref().ok_or_else(|| ManageError::unauthorized("no session"))?;
    Reply::json(200, &SessionView::from(principal))
}

/// Signs in with a one-time sign-in link's code: sets the session cookie.
#[utoipa::path(
    post,
    path = "/manage/v1/session/link",
    operation_id = "redeem_sign_in_link",
    request_body = RedeemLink,
    responses(
        (status = 200, description = "Signed in: the session cookie is set", body = SessionView),
        (status = 400, description = "The body is wrong", body = ErrorBody),
        (status = 401, description = "The link was used already, never made, or has expired", body = ErrorBody),
        (status = 404, description = "This deployment makes no sign-in links", body = ErrorBody),
    )
)]
pub async fn redeem_link(app: &App, call: Call) -> Result<Reply, ManageError> {
    let body: RedeemLink = call.json()?;
    if app.admin_tokens.dev_issuer().is_none() {
        return Err(no_links());
    }
    let grant = app.sign_in_links.redeem(&body.code).await.map_err(|e| match e {
        SignInError::Store(e) => e.into(),
        refused => ManageError::signed_out(refused.to_string()),
    })?;
    start(app, &call, &grant)
}

/// Signs out: clears the session cookie.
#[utoipa::path(
    delete,
    path = "/manage/v1/session",
    operation_id = "delete_session",
    responses((status = 204, description = "Signed out: the session cookie is cleared"))
)]
pub async fn delete(_app: &App, call: Call) -> Result<Reply, ManageError> {
    Ok(Reply::no_content().with_header(http::header::SET_COOKIE, cookie(&call.console_path(), None, 0)))
}

/// How the console signs in on this deployment (no session needed: the sign-in page asks).
#[utoipa::path(
    get,
    path = "/manage/v1/session/methods",
    operation_id = "get_sign_in_methods",
    responses((status = 200, description = "The ways to sign in that this deployment offers", body = SignInMethods))
)]
pub async fn methods(app: &App, _call: Call) -> Result<Reply, ManageError> {
    let methods = SignInMethods { oidc: app.admin_tokens.has_oidc(), links: app.admin_tokens.dev_issuer().is_some() };
    Reply::json(200, &methods)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(http::HeaderName::from_bytes(name.as_bytes()).unwrap(), value.parse().unwrap());
        }
        map
    }

    #[test]
    fn the_header_wins_and_else_the_cookie_is_a_bearer_token() {
        let both = headers(&[("authorization", "Bearer a"), ("cookie", "manage_session=b")]);
        assert_eq!(credentials(&both), (Some("Bearer a".into()), false));
        let cookie = headers(&[("cookie", "other=1; manage_session=b; x=2")]);
        assert_eq!(credentials(&cookie), (Some("Bearer b".into()), true));
        let split = headers(&[("cookie", "other=1"), ("cookie", "manage_session=c")]);
        assert_eq!(credentials(&split), (Some("Bearer c".into()), true));
        assert_eq!(credentials(&headers(&[("cookie", "manage_session=")])), (None, false));
        assert_eq!(credentials(&headers(&[("cookie", "xmanage_session=d")])), (None, false));
    }

    #[test]
    fn a_cookie_write_needs_the_header() {
        let none = HeaderMap::new();
        assert!(csrf_guard(&http::Method::GET, &none).is_ok());
        assert!(csrf_guard(&http::Method::POST, &none).is_err());
        assert!(csrf_guard(&http::Method::DELETE, &headers(&[("x-requested-by", "other")])).is_err());
        assert!(csrf_guard(&http::Method::PUT, &headers(&[("x-requested-by", "console")])).is_ok());
    }
}
