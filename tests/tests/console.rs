//! The web console's server side, end to end over HTTP, on the engine `SCIM_TEST_STORE` names
//! (the browser suite, `scripts/browser-tests`, drives its pages):
//!
//! - its files and pages: the shell for any page path, each file, 404 for a missing one, and
//!   the security headers (CSP with `frame-ancestors 'none'`, nosniff, no referrer) on all;
//! - sign-in links: a code signs in once (also when redeemed in parallel), an expired or
//!   spent one is a 401 saying so, a deployment without a development issuer says it makes
//!   none; the session cookie's attributes; the cookie authenticates like a bearer token; a
//!   write made with it needs the CSRF header; signing out clears it;
//! - a malformed redemption is a 400 naming what is wrong;
//! - the sign-in through the OIDC issuer: which ways in a deployment offers, and every way it
//!   fails short of the issuer's own answer (no or another sign-in's state, the issuer's
//!   error, no code, an issuer that does not answer, no such sign-in configured) going back
//!   to the sign-in page with its reason and no session (the whole sign-in, against a real
//!   local OIDC provider, is the browser suite's; the ID token's checks, nonce included, are
//!   `shared`'s unit tests);
//! - the users list's user name filter (how a name starts, in any case).

mod common;

use std::time::Duration;

use common::{Auth, Scim, TestService};
use reqwest::header::{HeaderMap, HeaderValue, COOKIE};
use reqwest::Method;
use serde_json::{json, Value};
use shared::admin_tokens::Role;
use shared::edge::manage::console::CONTENT_SECURITY_POLICY;
use shared::sign_in_links::Grant;

const OWN: &str = local::LOCAL_SUBSCRIPTION;

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .expect("a client")
}

async fn started() -> TestService {
    let svc = TestService::start().await;
    local::ensure_local_subscription(svc.app()).await.expect("the local subscription");
    svc
}

/// A sign-in code for the subscription admin of [`OWN`].
async fn code(svc: &TestService) -> String {
    let grant = Grant { role: Role::SubscriptionAdmin, subscription: Some(OWN.into()) };
    svc.app().sign_in_links.issue(&grant).await.expect("a code")
}

/// `POST /manage/v1/session/link` with `code`: the status, the `Set-Cookie` value and the body.
async fn redeem(svc: &TestService, code: &str) -> (u16, Option<String>, Value) {
    let resp = client()
        .post(format!("{}/session/link", svc.manage_url()))
        .json(&json!({"code": code}))
        .send()
        .await
        .expect("an answer");
    let status = resp.status().as_u16();
    let cookie = resp.headers().get("set-cookie").map(|v| v.to_str().expect("ASCII").to_owned());
    (status, cookie, resp.json().await.unwrap_or(Value::Null))
}

/// `name=value` of a `Set-Cookie` value.
fn pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().expect("a pair").trim().to_owned()
}

#[tokio::test]
async fn the_console_is_its_shell_and_files_each_behind_a_strict_policy() {
    let svc = started().await;
    let http = client();
    for path in ["/manage/", "/manage/users/42", "/manage/provisioning/configurations", "/manage/signin"] {
        let resp = http.get(format!("{}{path}", svc.base_url)).send().await.expect("an answer");
        assert_eq!(resp.status(), 200, "{path}");
        let headers = resp.headers().clone();
        assert_eq!(headers["content-type"], "text/html; charset=utf-8", "{path}");
        assert_eq!(headers["content-security-policy"], CONTENT_SECURITY_POLICY, "{path}");
        let text = resp.text().await.expect("a body");
        assert!(text.contains(r#"<script type="module" src="/manage/assets/app.js">"#), "{path}: {text}");
    }
    assert!(CONTENT_SECURITY_POLICY.contains("frame-ancestors 'none'") && !CONTENT_SECURITY_POLICY.contains("unsafe"));
    for (path, status) in [
        ("/manage/assets/app.js", 200),
        ("/manage/assets/pages/users.js", 200),
        ("/manage/assets/style.css", 200),
        ("/manage/assets/missing.js", 404),
        ("/manage", 308),
    ] {
        let resp = http.get(format!("{}{path}", svc.base_url)).send().await.expect("an answer");
        assert_eq!(resp.status().as_u16(), status, "{path}");
        let headers = resp.headers();
        assert_eq!(headers["content-security-policy"], CONTENT_SECURITY_POLICY, "{path}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{path}");
    }
    let resp = http.post(format!("{}/manage/", svc.base_url)).send().await.expect("an answer");
    assert_eq!(resp.status(), 405);
}

#[tokio::test]
async fn a_sign_in_link_signs_in_once_and_the_cookie_is_a_session() {
    let svc = started().await;
    let code = code(&svc).await;
    let (status, cookie, body) = redeem(&svc, &code).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({"sub": "local-subscription-admin", "role": "subscription-admin", "subscription": OWN}));
    let cookie = cookie.expect("a session cookie");
    for attribute in ["Path=/manage", "Secure", "HttpOnly", "SameSite=Strict", "Max-Age=28800"] {
        assert!(cookie.split("; ").any(|a| a == attribute), "{attribute} in {cookie}");
    }
    let session = pair(&cookie);
    assert!(session.starts_with("manage_session=ey"), "a token: {session}");

    // Spent: a 401 that says so, and no cookie.
    let (status, again, body) = redeem(&svc, &code).await;
    assert_eq!((status, again), (401, None));
    assert!(body["message"].as_str().unwrap_or_default().contains("used already"), "{body}");

    // The cookie authenticates as a bearer token does.
    let http = client();
    let mut headers = HeaderMap::new();
    headers.insert(COOKIE, HeaderValue::from_str(&format!("other=1; {session}")).expect("a header"));
    let me = http.get(format!("{}/session", svc.manage_url())).headers(headers.clone()).send().await.expect("answer");
    assert_eq!(me.status(), 200);
    assert_eq!(me.json::<Value>().await.expect("JSON")["role"], "subscription-admin");
    let configurations = format!("{}/subscriptions/{OWN}/configurations", svc.manage_url());
    let list = http.get(&configurations).headers(headers.clone()).send().await.expect("answer");
    assert_eq!(list.status(), 200);

    // A write with the cookie alone is refused, and changes nothing; with the header it works.
    let body = json!({"name": "Okta", "default_license": "named"});
    let refused = http.post(&configurations).headers(headers.clone()).json(&body).send().await.expect("answer");
    assert_eq!(refused.status(), 403);
    let refused: Value = refused.json().await.expect("JSON");
    assert_eq!(refused["error"], "forbidden");
    assert!(refused["message"].as_str().unwrap_or_default().contains("x-requested-by"), "{refused}");
    assert!(svc.app().tenants.configurations(OWN).await.expect("configurations").is_empty(), "nothing made");
    let made = http
        .post(&configurations)
        .headers(headers.clone())
        .header("X-Requested-By", "console")
        .json(&body)
        .send()
        .await
        .expect("answer");
    assert_eq!(made.status(), 201);
    // A program's bearer token needs no such header.
    let bearer = format!("Bearer {}", svc.admin_token(Role::SubscriptionAdmin, Some(OWN)));
    let by_program = http
        .post(&configurations)
        .header("Authorization", bearer)
        .json(&json!({"name": "Entra", "default_license": "named"}))
        .send()
        .await
        .expect("answer");
    assert_eq!(by_program.status(), 201);

    // Signing out clears the cookie.
    let out = http
        .request(Method::DELETE, format!("{}/session", svc.manage_url()))
        .headers(headers)
        .send()
        .await
        .expect("answer");
    assert_eq!(out.status(), 204);
    let cleared = out.headers()["set-cookie"].to_str().expect("ASCII").to_owned();
    assert!(cleared.starts_with("manage_session=;") && cleared.contains("Max-Age=0"), "{cleared}");
    assert!(cleared.contains("Path=/manage"), "{cleared}");
    let signed_out = http.get(format!("{}/session", svc.manage_url())).send().await.expect("answer");
    assert_eq!(signed_out.status(), 401);
}

#[tokio::test]
async fn an_expired_link_says_so_and_racing_redemptions_sign_in_once() {
    let svc = started().await;
    let grant = Grant { role: Role::AccessAdmin, subscription: Some(OWN.into()) };
    let expired = svc.app().sign_in_links.issue_expired(&grant).await.expect("a code");
    let (status, cookie, body) = redeem(&svc, &expired).await;
    assert_eq!((status, cookie), (401, None));
    assert!(body["message"].as_str().unwrap_or_default().contains("expired"), "{body}");

    let code = code(&svc).await;
    let svc = std::sync::Arc::new(svc);
    let tries: Vec<_> = (0..8)
        .map(|_| {
            let (svc, code) = (svc.clone(), code.clone());
            tokio::spawn(async move { redeem(&svc, &code).await.0 })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tries {
        statuses.push(t.await.expect("a try"));
    }
    statuses.sort();
    assert_eq!(statuses, [200, 401, 401, 401, 401, 401, 401, 401]);
}

#[tokio::test]
async fn a_malformed_redemption_is_a_400_naming_what_is_wrong() {
    let svc = started().await;
    let url = format!("{}/session/link", svc.manage_url());
    for (body, names) in
        [("{}", "code"), (r#"{"code": 7}"#, "code"), (r#"{"code": "x", "role": "operator"}"#, "role"), ("nope", "JSON")]
    {
        let resp =
            client().post(&url).header("Content-Type", "application/json").body(body).send().await.expect("answer");
        assert_eq!(resp.status(), 400, "{body}");
        assert!(resp.headers().get("set-cookie").is_none(), "{body}");
        let error: Value = resp.json().await.expect("JSON");
        assert_eq!(error["error"], "invalid", "{body}");
        assert!(error["message"].as_str().unwrap_or_default().contains(names), "{body}: {error}");
    }
}

#[tokio::test]
async fn without_a_development_issuer_links_are_refused_saying_why() {
    let svc = TestService::start_keeping_admin_tokens(tests::test_app().await).await;
    local::ensure_local_subscription(svc.app()).await.expect("the local subscription");
    let code = code(&svc).await;
    let (status, cookie, body) = redeem(&svc, &code).await;
    assert_eq!((status, cookie), (404, None));
    assert!(body["message"].as_str().unwrap_or_default().contains("no sign-in links"), "{body}");
}

#[tokio::test]
async fn users_are_found_by_how_their_user_name_starts_in_any_case() {
    let svc = started().await;
    let tenant = svc.create_tenant("Okta", "named").await;
    let scim = Scim::new(&tenant.tenant_url, Auth::Basic { id: tenant.client_id, secret: tenant.client_secret });
    for name in ["ada@example.com", "Adam@example.com", "bob@example.com", "ADELE@example.com"] {
        scim.create_user(name).await;
    }
    let token = svc.admin_token(Role::AccessAdmin, Some(OWN));
    let names = |query: &'static str| {
        let (svc, token) = (&svc, &token);
        async move {
            let resp = client()
                .get(format!("{}/subscriptions/{OWN}/users?{query}", svc.manage_url()))
                .bearer_auth(token)
                .send()
                .await
                .expect("answer");
            assert_eq!(resp.status(), 200, "{query}");
            let body: Value = resp.json().await.expect("JSON");
            body["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|u| u["user_name"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(names("user_name=ad").await, ["ada@example.com", "Adam@example.com", "ADELE@example.com"]);
    assert_eq!(names("user_name=ADA").await, ["ada@example.com", "Adam@example.com"]);
    assert_eq!(names("user_name=ada%40").await, ["ada@example.com"]);
    assert!(names("user_name=zed").await.is_empty());
    assert_eq!(names("user_name=a&limit=1").await, ["ada@example.com"]);
    assert_eq!(names("user_name=").await.len(), 4, "an empty prefix filters nothing");
}

/// A service whose console signs in through an OIDC issuer that does not answer (a closed
/// loopback port): its tokens' keys are the development issuer's, given inline.
async fn with_unreachable_oidc_issuer() -> (TestService, String) {
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let issuer_url = format!("http://{}", closed.local_addr().expect("an address"));
    drop(closed);
    let keys = shared::testing::TempDir::new();
    let jwks = shared::admin_tokens::DevIssuer::load_or_create(keys.path()).expect("a key").jwks();
    let settings = shared::settings::ManageIssuer {
        issuer: issuer_url.clone(),
        audience: "manage".into(),
        keys: shared::settings::JwksSource::Inline(jwks),
        console_client_id: Some("console".into()),
    };
    let tokens = shared::admin_issuer::AdminTokens::from_settings(Some(&settings)).await.expect("no fetch at start");
    let svc = TestService::start_keeping_admin_tokens(tests::test_app().await.with_admin_tokens(tokens)).await;
    local::ensure_local_subscription(svc.app()).await.expect("the local subscription");
    (svc, issuer_url)
}

/// `GET path` (under the service) with `cookie`: the status, `Location` and the `Set-Cookie` values.
async fn visit(svc: &TestService, path: &str, cookie: Option<&str>) -> (u16, String, Vec<String>) {
    let mut request = client().get(format!("{}{path}", svc.base_url));
    if let Some(cookie) = cookie {
        request = request.header(COOKIE, cookie);
    }
    let resp = request.send().await.expect("an answer");
    assert_eq!(resp.headers()["content-security-policy"], CONTENT_SECURITY_POLICY, "{path}");
    let location = resp.headers().get("location").map(|v| v.to_str().expect("ASCII").to_owned()).unwrap_or_default();
    let cookies = resp.headers().get_all("set-cookie").iter().map(|v| v.to_str().expect("ASCII").to_owned()).collect();
    (resp.status().as_u16(), location, cookies)
}

#[tokio::test]
async fn the_sign_in_page_learns_which_ways_in_a_deployment_offers() {
    let links = started().await;
    let methods = client().get(format!("{}/session/methods", links.manage_url())).send().await.expect("an answer");
    assert_eq!(methods.status(), 200);
    assert_eq!(methods.json::<Value>().await.expect("JSON"), json!({"oidc": false, "links": true}));
    let (oidc, _) = with_unreachable_oidc_issuer().await;
    let methods = client().get(format!("{}/session/methods", oidc.manage_url())).send().await.expect("an answer");
    assert_eq!(methods.json::<Value>().await.expect("JSON"), json!({"oidc": true, "links": false}));
}

#[tokio::test]
async fn a_failed_oidc_sign_in_goes_back_to_the_sign_in_page_with_its_reason_and_no_session() {
    // Without an OIDC client id: there is no such sign-in.
    let links = started().await;
    let (status, location, _) = visit(&links, "/manage/signin/oidc", None).await;
    assert_eq!((status, location.as_str()), (303, "/manage/signin#error=unconfigured"));

    let (svc, _) = with_unreachable_oidc_issuer().await;
    // The issuer does not answer its discovery: no sign-in starts, and no pending cookie stays.
    let (status, location, cookies) = visit(&svc, "/manage/signin/oidc", None).await;
    assert_eq!((status, location.as_str()), (303, "/manage/signin#error=unavailable"));
    assert!(cookies.iter().all(|c| c.starts_with("manage_oidc=;") && c.contains("Max-Age=0")), "{cookies:?}");

    let pending = shared::oidc::Pending::new();
    let cookie = format!("manage_oidc={}", pending.to_cookie());
    let callback = |query: String| format!("/manage/signin/callback?{query}");
    let cases = [
        ("no pending sign-in", callback(format!("code=c&state={}", pending.state)), None, "state"),
        (
            "a malformed pending cookie",
            callback(format!("code=c&state={}", pending.state)),
            Some("manage_oidc=x.y".to_owned()),
            "state",
        ),
        ("another sign-in's state", callback("code=c&state=other".into()), Some(cookie.clone()), "state"),
        ("no state", callback("code=c".into()), Some(cookie.clone()), "state"),
        (
            "the issuer's error",
            callback(format!("error=access_denied&state={}", pending.state)),
            Some(cookie.clone()),
            "denied",
        ),
        ("no code", callback(format!("state={}", pending.state)), Some(cookie.clone()), "refused"),
        // The state matches, so the code would be exchanged: the issuer does not answer.
        (
            "an issuer that does not answer",
            callback(format!("code=c&state={}", pending.state)),
            Some(cookie.clone()),
            "unavailable",
        ),
    ];
    for (what, path, cookie, reason) in cases {
        let (status, location, cookies) = visit(&svc, &path, cookie.as_deref()).await;
        assert_eq!(status, 303, "{what}");
        assert_eq!(location, format!("/manage/signin#error={reason}"), "{what}");
        assert!(!cookies.iter().any(|c| c.starts_with("manage_session=")), "{what}: no session: {cookies:?}");
        assert!(
            cookies.iter().any(|c| c.starts_with("manage_oidc=;") && c.contains("Max-Age=0")),
            "{what}: {cookies:?}"
        );
    }
    // Only GET: the callback is a navigation.
    let post = client().post(format!("{}/manage/signin/callback", svc.base_url)).send().await.expect("an answer");
    assert_eq!(post.status(), 405);
}
