//! The admin API (`/manage/v1`) end to end, over HTTP, on the engine `SCIM_TEST_STORE` names:
//!
//! - the configuration flow: what the admin API creates, rotates, disables, renames and deletes
//!   is what the SCIM side lets in;
//! - errors: always `{"error", "message"}` JSON with the right status, a 400 naming the field;
//! - an app without a token issuer: admin requests are 401 saying what to set, SCIM works;
//! - the role matrix: every path and method of the served OpenAPI document, for every role on
//!   its own subscription, another one and an unknown one, and for every kind of bad token,
//!   against the expectations written below (not read from the service's own route table),
//!   with nothing changed by a refused request;
//! - the log: no token, secret, sign-in code, session cookie or `Authorization` value in it.

mod common;

use std::collections::BTreeSet;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use common::{minimal_user, Auth, Resp, Scim, TestService};
use reqwest::Method;
use serde_json::{json, Value};
use shared::admin_tokens::{DevIssuer, Role};
use shared::jobs::JobKind;
use shared::licenses::Recycling;
use shared::tenants::{Configuration, NewConfiguration};
use shared::testing::TempDir;

/// The subscription every admin token of these tests belongs to.
const OWN: &str = local::LOCAL_SUBSCRIPTION;
/// A subscription id no subscription has.
const UNKNOWN: &str = "0123456789abcdef0123456789abcdef";

/// A client of the admin API with one `Authorization` value (or none).
#[derive(Clone)]
struct Admin {
    http: reqwest::Client,
    base: String,
    authorization: Option<String>,
}

impl Admin {
    fn new(svc: &TestService, authorization: Option<String>) -> Admin {
        let http = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(60)).build().expect("a client");
        Admin { http, base: svc.base_url.clone(), authorization }
    }

    fn bearer(svc: &TestService, token: &str) -> Admin {
        Admin::new(svc, Some(format!("Bearer {token}")))
    }

    /// Sends `method path` (a path from the server's root) with `body` as JSON.
    async fn send(&self, method: Method, path: &str, body: Option<&Value>) -> Resp {
        let bytes = body.map(|b| serde_json::to_vec(b).expect("JSON"));
        self.send_bytes(method, path, bytes).await
    }

    async fn send_bytes(&self, method: Method, path: &str, body: Option<Vec<u8>>) -> Resp {
        let mut req = self.http.request(method.clone(), format!("{}{path}", self.base));
        if let Some(authorization) = &self.authorization {
            req = req.header("Authorization", authorization);
        }
        if let Some(body) = body {
            req = req.header("Content-Type", "application/json").body(body);
        }
        let what = format!("{method} {path}");
        let resp = req.send().await.unwrap_or_else(|e| panic!("{what}: no answer: {e}"));
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap_or_else(|e| panic!("{what}: unreadable body: {e}"));
        Resp { what, status, headers, text }
    }

    async fn get(&self, path: &str) -> Resp {
        self.send(Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: &Value) -> Resp {
        self.send(Method::POST, path, Some(body)).await
    }

    async fn patch(&self, path: &str, body: &Value) -> Resp {
        self.send(Method::PATCH, path, Some(body)).await
    }

    async fn delete(&self, path: &str) -> Resp {
        self.send(Method::DELETE, path, None).await
    }
}

fn configurations(sub: &str) -> String {
    format!("/manage/v1/subscriptions/{sub}/configurations")
}

/// Asserts an admin API error: this status, JSON `{"error": code, "message"}`; the message.
#[track_caller]
fn expect_error(resp: &Resp, status: u16, code: &str) -> String {
    assert_eq!(resp.status, status, "{}: expected {status}, got {} with body {}", resp.what, resp.status, resp.text);
    let content_type = resp.header("content-type").unwrap_or_default();
    assert_eq!(content_type, "application/json", "{}", resp.what);
    let body = resp.json();
    assert_eq!(body["error"], code, "{}: {body}", resp.what);
    let message = body["message"].as_str().unwrap_or_else(|| panic!("{}: no message: {body}", resp.what));
    assert!(!message.is_empty(), "{}", resp.what);
    assert_eq!(body.as_object().map(|o| o.len()), Some(2), "{}: only error and message: {body}", resp.what);
    message.to_owned()
}

/// A service with its own subscription made, and a subscription-admin client of it.
async fn setup() -> (TestService, Admin) {
    let svc = TestService::start().await;
    local::ensure_local_subscription(svc.app()).await.expect("the local subscription");
    let admin = Admin::bearer(&svc, &svc.admin_token(Role::SubscriptionAdmin, Some(OWN)));
    (svc, admin)
}

/// A SCIM client of a configuration as the admin API showed it.
fn scim_of(created: &Value) -> Scim {
    let url = created["tenant_url"].as_str().expect("tenant_url");
    let id = created["client_id"].as_str().expect("client_id").to_owned();
    let secret = created["client_secret"].as_str().expect("client_secret").to_owned();
    Scim::new(url, Auth::Basic { id, secret })
}

#[tokio::test]
async fn a_configuration_made_by_the_admin_api_is_what_scim_lets_in() {
    let (svc, admin) = setup().await;
    let created = admin
        .post(&configurations(OWN), &json!({"name": "Okta", "default_license": "read-only"}))
        .await
        .expect(201)
        .json();
    let id = created["id"].as_str().expect("id").to_owned();
    assert_eq!(created["tenant_url"], svc.public_url.tenant_url(&id), "the SCIM edge's URL rule");
    assert_eq!((&created["name"], &created["default_license"]), (&json!("Okta"), &json!("read-only")));
    assert_eq!(created["status"], "enabled");
    assert!(created["client_secret"].as_str().is_some_and(|s| s.starts_with("scimsk-")), "{created}");
    let fields: BTreeSet<&str> = created.as_object().unwrap().keys().map(String::as_str).collect();
    let view = BTreeSet::from([
        "id",
        "name",
        "default_license",
        "status",
        "tenant_url",
        "client_id",
        "created",
        "last_activity",
    ]);
    assert_eq!(fields, view.iter().copied().chain(["client_secret"]).collect());

    // The credentials work against SCIM, Basic and Bearer.
    let scim = scim_of(&created);
    scim.create_user("ada@example.com").await;
    scim.get("/Users").await.expect(200);
    let bearer = scim.with_auth(Auth::Bearer(created["client_secret"].as_str().unwrap().to_owned()));
    bearer.get("/Users").await.expect(200);

    // Read back: never a secret.
    let one = format!("{}/{id}", configurations(OWN));
    let read = admin.get(&one).await.expect(200).json();
    let fields: BTreeSet<&str> = read.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(fields, view, "{read}");
    assert_eq!(read["client_id"], created["client_id"]);
    let list = admin.get(&configurations(OWN)).await.expect(200).json();
    let items = list["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{list}");
    assert_eq!(items[0], read);

    // Rotation: the old secret stops, the new one works, the client ID stays.
    let rotated = admin.post(&format!("{one}/secret"), &json!({})).await.expect(200).json();
    let new_secret = rotated["client_secret"].as_str().expect("client_secret").to_owned();
    assert_eq!(rotated.as_object().unwrap().len(), 1, "{rotated}");
    scim.get("/Users").await.expect_scim_error(401);
    let scim =
        scim.with_auth(Auth::Basic { id: created["client_id"].as_str().unwrap().to_owned(), secret: new_secret });
    scim.get("/Users").await.expect(200);

    // Disabled: 401 at once; enabled again: in again.
    let disabled = admin.patch(&one, &json!({"status": "disabled"})).await.expect(200).json();
    assert_eq!(disabled["status"], "disabled");
    scim.get("/Users").await.expect_scim_error(401);
    admin.patch(&one, &json!({"status": "enabled"})).await.expect(200);
    scim.get("/Users").await.expect(200);

    // Rename: a taken name (in any case) is a 409 that changes nothing; a free one moves.
    admin.post(&configurations(OWN), &json!({"name": "Entra", "default_license": "named"})).await.expect(201);
    let message =
        expect_error(&admin.patch(&one, &json!({"name": "ENTRA", "status": "disabled"})).await, 409, "conflict");
    assert!(message.contains("ENTRA"), "{message}");
    let unchanged = admin.get(&one).await.expect(200).json();
    assert_eq!((&unchanged["name"], &unchanged["status"]), (&json!("Okta"), &json!("enabled")), "nothing changed");
    scim.get("/Users").await.expect(200);
    let renamed =
        admin.patch(&one, &json!({"name": "Okta production", "default_license": "none"})).await.expect(200).json();
    assert_eq!((&renamed["name"], &renamed["default_license"]), (&json!("Okta production"), &json!("none")));
    admin.post(&configurations(OWN), &json!({"name": "okta", "default_license": "named"})).await.expect(201);
    let names: Vec<Value> = admin.get(&configurations(OWN)).await.expect(200).json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].clone())
        .collect();
    assert_eq!(names, [json!("Entra"), json!("okta"), json!("Okta production")]);

    // Delete: SCIM 401, the configuration 404, and its name is free again.
    admin.delete(&one).await.expect(204);
    scim.get("/Users").await.expect_scim_error(401);
    expect_error(&admin.get(&one).await, 404, "not_found");
    expect_error(&admin.delete(&one).await, 404, "not_found");
    expect_error(&admin.post(&format!("{one}/secret"), &json!({})).await, 404, "not_found");
    admin.post(&configurations(OWN), &json!({"name": "Okta production", "default_license": "named"})).await.expect(201);
}

#[tokio::test]
async fn a_configuration_shows_when_its_scim_client_last_got_in() {
    let (svc, admin) = setup().await;
    let created =
        admin.post(&configurations(OWN), &json!({"name": "Okta", "default_license": "named"})).await.expect(201).json();
    let one = format!("{}/{}", configurations(OWN), created["id"].as_str().unwrap());
    let last_activity = || async {
        let read = admin.get(&one).await.expect(200).json();
        let home = admin.get(&format!("/manage/v1/subscriptions/{OWN}")).await.expect(200).json();
        assert_eq!(home["configurations"][0]["last_activity"], read["last_activity"], "{home}");
        read["last_activity"].clone()
    };
    assert_eq!(last_activity().await, Value::Null, "never used");

    // A client that does not get in is no activity.
    let scim = scim_of(&created);
    scim.with_auth(Auth::Bearer("scimsk-wrong".into())).get("/Users").await.expect_scim_error(401);
    assert_eq!(last_activity().await, Value::Null, "a refused request");

    let before = shared::clock::now();
    scim.get("/Users").await.expect(200);
    let after = shared::clock::now();
    let at = last_activity().await;
    let at = at.as_str().unwrap_or_else(|| panic!("recorded: {at}"));
    assert!(before.as_str() <= at && at <= after.as_str(), "{before} <= {at} <= {after}");
    drop(svc);
}

#[tokio::test]
async fn errors_are_json_with_a_code_and_a_message_naming_the_field() {
    let (svc, admin) = setup().await;
    let create = configurations(OWN);
    let invalid = |resp: Resp, field: &str| {
        let message = expect_error(&resp, 400, "invalid");
        assert!(message.contains(field), "{}: the message names {field}: {message}", resp.what);
    };
    invalid(admin.send_bytes(Method::POST, &create, Some(b"{\"name\": ".to_vec())).await, "not JSON");
    invalid(admin.send_bytes(Method::POST, &create, None).await, "not JSON");
    invalid(admin.post(&create, &json!({"default_license": "named"})).await, "name");
    invalid(admin.post(&create, &json!({"name": 5, "default_license": "named"})).await, "name");
    invalid(admin.post(&create, &json!({"name": "  ", "default_license": "named"})).await, "name");
    invalid(admin.post(&create, &json!({"name": "x".repeat(201), "default_license": "named"})).await, "name");
    invalid(admin.post(&create, &json!({"name": "A"})).await, "default_license");
    invalid(admin.post(&create, &json!({"name": "A", "default_license": "gold"})).await, "default_license");
    invalid(admin.post(&create, &json!({"name": "A", "default_license": "named", "secret": "x"})).await, "secret");
    invalid(admin.post(&create, &json!(["A"])).await, "body");
    let listed = admin.get(&create).await.expect(200).json();
    assert_eq!(listed["items"], json!([]), "no refused create made anything");

    let made = admin.post(&create, &json!({"name": "A", "default_license": "named"})).await.expect(201).json();
    let one = format!("{create}/{}", made["id"].as_str().unwrap());
    invalid(admin.patch(&one, &json!({"status": "off"})).await, "status");
    invalid(admin.patch(&one, &json!({"name": ""})).await, "name");
    invalid(admin.patch(&one, &json!({"default_license": 3})).await, "default_license");
    invalid(admin.patch(&one, &json!({"enabled": false})).await, "enabled");
    let read = admin.get(&one).await.expect(200).json();
    assert_eq!((&read["name"], &read["status"]), (&json!("A"), &json!("enabled")), "no refused change wrote");
    let unchanged = admin.patch(&one, &json!({})).await.expect(200).json();
    assert_eq!(unchanged, read, "an empty change is the configuration as it is");

    // Unknown routes, wrong methods, unknown ids, oversized bodies.
    for path in [
        "/manage/v1",
        "/manage/v1/",
        "/manage/v1/nothing",
        "/manage/v1/subscriptions/local/nothing",
        "/manage/v1/openapi",
    ] {
        expect_error(&admin.get(path).await, 404, "not_found");
    }
    let resp = admin.send(Method::PUT, &one, Some(&json!({}))).await;
    expect_error(&resp, 405, "method_not_allowed");
    assert_eq!(resp.header("allow").as_deref(), Some("GET, PATCH, DELETE"));
    let resp = admin.delete(&create).await;
    expect_error(&resp, 405, "method_not_allowed");
    assert_eq!(resp.header("allow").as_deref(), Some("GET, POST"));
    expect_error(&admin.get(&format!("{create}/{UNKNOWN}")).await, 404, "not_found");
    expect_error(&admin.get(&format!("{create}/not%20an%20id")).await, 404, "not_found");
    let big = format!("{{\"name\": \"{}\", \"default_license\": \"named\"}}", "x".repeat(1024 * 1024));
    expect_error(&admin.send_bytes(Method::POST, &create, Some(big.into_bytes())).await, 413, "payload_too_large");

    // Another subscription's configuration is not reachable through one's own subscription,
    // even by the operator.
    let other = svc.app().licenses.create_subscription("Other", Recycling::Automatic).await.expect("a subscription");
    let operator = Admin::bearer(&svc, &svc.admin_token(Role::Operator, None));
    let theirs = operator
        .post(&configurations(&other.id), &json!({"name": "Theirs", "default_license": "named"}))
        .await
        .expect(201)
        .json();
    let theirs_through_ours = format!("{create}/{}", theirs["id"].as_str().unwrap());
    for resp in [
        operator.get(&theirs_through_ours).await,
        operator.patch(&theirs_through_ours, &json!({"status": "disabled"})).await,
        operator.delete(&theirs_through_ours).await,
        operator.post(&format!("{theirs_through_ours}/secret"), &json!({})).await,
    ] {
        expect_error(&resp, 404, "not_found");
    }
    let still = operator.get(&format!("{}/{}", configurations(&other.id), theirs["id"].as_str().unwrap())).await;
    assert_eq!(still.expect(200).json()["status"], "enabled");
    scim_of(&theirs).get("/Users").await.expect(200);
}

#[tokio::test]
async fn without_an_issuer_admin_requests_say_what_to_set_and_scim_works() {
    let svc = TestService::start_keeping_admin_tokens(tests::test_app().await).await;
    let tenant = svc.create_tenant("okta", "named").await;
    let admin = Admin::bearer(&svc, &svc.admin_token(Role::Operator, None));
    let message = expect_error(&admin.get(&configurations(OWN)).await, 401, "unauthorized");
    assert!(message.contains("MANAGE_ISSUER") && message.contains("MANAGE_JWKS"), "{message}");
    admin.get("/manage/v1/openapi.json").await.expect(200);
    Scim::basic(&tenant).get("/Users").await.expect(200);
}

// ---------------------------------------------------------------------------------------------
// The role matrix

/// Who may call a route, as this test expects it (written here, not read from the service).
#[derive(Debug, Clone, Copy)]
enum Who {
    /// Anyone, with or without a token (a bad token is not looked at).
    Anyone,
    /// A valid token of one of these roles; admin roles within their own subscription.
    Roles(&'static [&'static str]),
}

/// One route as this test expects it to behave.
struct Expect {
    method: &'static str,
    path: &'static str,
    who: Who,
    /// The status of an allowed call.
    ok: u16,
    /// The body an allowed call sends (given a unique name).
    body: Option<fn(&str) -> Value>,
}

const CONFIGURATION_ADMINS: Who = Who::Roles(&["operator", "subscription-admin"]);
const EVERY_ADMIN: Who = Who::Roles(&["operator", "subscription-admin", "access-admin"]);
const OPERATOR: Who = Who::Roles(&["operator"]);

/// Every route of the admin API and who may call it. A route the OpenAPI document lists and
/// this table lacks fails the test: add its row here when adding the route. `{id}` is made
/// for each call, of the kind the path names (a configuration, user, group, job or link), and
/// so are `{v}` (a vault), `{g}` (a group of that vault) and, in a body, `{src}` (a
/// provisioned group).
const EXPECTED: &[Expect] = &[
    Expect { method: "GET", path: "/manage/v1/openapi.json", who: Who::Anyone, ok: 200, body: None },
    Expect { method: "GET", path: "/manage/v1/session", who: EVERY_ADMIN, ok: 200, body: None },
    // Signing out needs no session (it clears the cookie, whatever it held).
    Expect { method: "DELETE", path: "/manage/v1/session", who: Who::Anyone, ok: 204, body: None },
    // The sign-in page asks how to sign in before anyone is.
    Expect { method: "GET", path: "/manage/v1/session/methods", who: Who::Anyone, ok: 200, body: None },
    // A code no link carries signs nobody in, whoever sends it.
    Expect {
        method: "POST",
        path: "/manage/v1/session/link",
        who: Who::Anyone,
        ok: 401,
        body: Some(|name| json!({"code": name})),
    },
    Expect {
        method: "POST",
        path: "/manage/v1/subscriptions",
        who: OPERATOR,
        ok: 201,
        body: Some(|name| json!({"name": name})),
    },
    Expect { method: "GET", path: "/manage/v1/subscriptions/{sub}", who: EVERY_ADMIN, ok: 200, body: None },
    Expect {
        method: "PATCH",
        path: "/manage/v1/subscriptions/{sub}",
        who: CONFIGURATION_ADMINS,
        ok: 200,
        body: Some(|_| json!({"recycling": "manual"})),
    },
    Expect { method: "GET", path: "/manage/v1/subscriptions/{sub}/pools", who: EVERY_ADMIN, ok: 200, body: None },
    Expect {
        method: "PUT",
        path: "/manage/v1/subscriptions/{sub}/pools/{type}",
        who: OPERATOR,
        ok: 200,
        body: Some(|_| json!({"purchased": 5})),
    },
    Expect { method: "POST", path: "/manage/v1/subscriptions/{sub}/check", who: OPERATOR, ok: 200, body: None },
    Expect { method: "GET", path: "/manage/v1/subscriptions/{sub}/users", who: EVERY_ADMIN, ok: 200, body: None },
    Expect {
        method: "POST",
        path: "/manage/v1/subscriptions/{sub}/users",
        who: CONFIGURATION_ADMINS,
        ok: 201,
        body: Some(|name| json!({"user_name": name})),
    },
    Expect { method: "GET", path: "/manage/v1/subscriptions/{sub}/users/{id}", who: EVERY_ADMIN, ok: 200, body: None },
    Expect {
        method: "PUT",
        path: "/manage/v1/subscriptions/{sub}/users/{id}/license",
        who: EVERY_ADMIN,
        ok: 200,
        body: Some(|_| json!({"license": "named"})),
    },
    Expect {
        method: "DELETE",
        path: "/manage/v1/subscriptions/{sub}/users/{id}/license",
        who: EVERY_ADMIN,
        ok: 200,
        body: None,
    },
    Expect { method: "GET", path: "/manage/v1/subscriptions/{sub}/groups", who: EVERY_ADMIN, ok: 200, body: None },
    Expect {
        method: "PUT",
        path: "/manage/v1/subscriptions/{sub}/groups/{id}/license",
        who: EVERY_ADMIN,
        ok: 200,
        body: Some(|_| json!({"license": "read-only"})),
    },
    Expect { method: "GET", path: "/manage/v1/subscriptions/{sub}/jobs/{id}", who: EVERY_ADMIN, ok: 200, body: None },
    Expect { method: "GET", path: "/manage/v1/subscriptions/{sub}/audit", who: EVERY_ADMIN, ok: 200, body: None },
    Expect {
        method: "GET",
        path: "/manage/v1/subscriptions/{sub}/configurations",
        who: CONFIGURATION_ADMINS,
        ok: 200,
        body: None,
    },
    Expect {
        method: "POST",
        path: "/manage/v1/subscriptions/{sub}/configurations",
        who: CONFIGURATION_ADMINS,
        ok: 201,
        body: Some(|name| json!({"name": name, "default_license": "named"})),
    },
    Expect {
        method: "GET",
        path: "/manage/v1/subscriptions/{sub}/configurations/{id}",
        who: CONFIGURATION_ADMINS,
        ok: 200,
        body: None,
    },
    Expect {
        method: "PATCH",
        path: "/manage/v1/subscriptions/{sub}/configurations/{id}",
        who: CONFIGURATION_ADMINS,
        ok: 200,
        body: Some(|name| json!({"name": name, "status": "disabled", "default_license": "none"})),
    },
    Expect {
        method: "DELETE",
        path: "/manage/v1/subscriptions/{sub}/configurations/{id}",
        who: CONFIGURATION_ADMINS,
        ok: 204,
        body: None,
    },
    Expect {
        method: "POST",
        path: "/manage/v1/subscriptions/{sub}/configurations/{id}/secret",
        who: CONFIGURATION_ADMINS,
        ok: 200,
        body: None,
    },
    Expect { method: "GET", path: "/manage/v1/subscriptions/{sub}/vaults", who: EVERY_ADMIN, ok: 200, body: None },
    Expect {
        method: "POST",
        path: "/manage/v1/subscriptions/{sub}/vaults",
        who: CONFIGURATION_ADMINS,
        ok: 201,
        body: Some(|name| json!({"name": name})),
    },
    Expect { method: "GET", path: "/manage/v1/subscriptions/{sub}/vaults/{v}", who: EVERY_ADMIN, ok: 200, body: None },
    Expect {
        method: "GET",
        path: "/manage/v1/subscriptions/{sub}/vaults/{v}/groups",
        who: EVERY_ADMIN,
        ok: 200,
        body: None,
    },
    Expect {
        method: "POST",
        path: "/manage/v1/subscriptions/{sub}/vaults/{v}/groups",
        who: EVERY_ADMIN,
        ok: 201,
        body: Some(|name| json!({"name": name})),
    },
    Expect {
        method: "GET",
        path: "/manage/v1/subscriptions/{sub}/vaults/{v}/groups/{g}",
        who: EVERY_ADMIN,
        ok: 200,
        body: None,
    },
    Expect {
        method: "GET",
        path: "/manage/v1/subscriptions/{sub}/vaults/{v}/groups/{g}/members",
        who: EVERY_ADMIN,
        ok: 200,
        body: None,
    },
    Expect {
        method: "GET",
        path: "/manage/v1/subscriptions/{sub}/vaults/{v}/users",
        who: EVERY_ADMIN,
        ok: 200,
        body: None,
    },
    Expect {
        method: "GET",
        path: "/manage/v1/subscriptions/{sub}/vaults/{v}/changes",
        who: EVERY_ADMIN,
        ok: 200,
        body: None,
    },
    Expect { method: "GET", path: "/manage/v1/subscriptions/{sub}/links", who: EVERY_ADMIN, ok: 200, body: None },
    Expect {
        method: "POST",
        path: "/manage/v1/subscriptions/{sub}/links",
        who: EVERY_ADMIN,
        ok: 202,
        body: Some(|_| json!({"source_group": "{src}", "vault": "{v}", "target_group": "{g}"})),
    },
    Expect { method: "GET", path: "/manage/v1/subscriptions/{sub}/links/{id}", who: EVERY_ADMIN, ok: 200, body: None },
    Expect {
        method: "DELETE",
        path: "/manage/v1/subscriptions/{sub}/links/{id}",
        who: EVERY_ADMIN,
        ok: 200,
        body: None,
    },
];

/// Who calls: a valid token of a role (admins of [`OWN`]), or a bad token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    Valid(Role),
    Missing,
    Expired,
    AlgNone,
    AnotherKey,
    WrongIssuer,
    WrongAudience,
}

const CALLERS: [Caller; 9] = [
    Caller::Valid(Role::Operator),
    Caller::Valid(Role::SubscriptionAdmin),
    Caller::Valid(Role::AccessAdmin),
    Caller::Missing,
    Caller::Expired,
    Caller::AlgNone,
    Caller::AnotherKey,
    Caller::WrongIssuer,
    Caller::WrongAudience,
];

/// Which subscription the path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Own,
    Other,
    Unknown,
}

/// The status `caller` must get from `route` on `target`.
fn expected(route: &Expect, caller: Caller, target: Target) -> u16 {
    let Who::Roles(roles) = route.who else {
        return route.ok;
    };
    let Caller::Valid(role) = caller else {
        return 401;
    };
    if !roles.contains(&role.as_str()) {
        return 403;
    }
    match (role, target) {
        (_, Target::Unknown) => 404,
        (Role::Operator, _) | (_, Target::Own) => route.ok,
        (_, Target::Other) => 404,
    }
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// The `Authorization` value of `caller`, or none.
fn authorization(svc: &TestService, another_issuer: &DevIssuer, caller: Caller) -> Option<String> {
    let claims = |f: &dyn Fn(&mut Value)| {
        let mut claims =
            json!({"sub": "test", "role": "operator", "iss": "local-api", "aud": "manage", "exp": now() + 3600});
        f(&mut claims);
        claims
    };
    let signed = |claims: Value| svc.admin_issuer().sign(&claims).expect("a signed token");
    let token = match caller {
        Caller::Valid(Role::Operator) => svc.admin_token(Role::Operator, None),
        Caller::Valid(role) => svc.admin_token(role, Some(OWN)),
        Caller::Missing => return None,
        Caller::Expired => signed(claims(&|c| c["exp"] = json!(now() - 3600))),
        Caller::AlgNone => {
            let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
            format!("{header}.{}.", URL_SAFE_NO_PAD.encode(claims(&|_| {}).to_string()))
        }
        Caller::AnotherKey => another_issuer.mint(Role::Operator, None, Duration::from_secs(3600)).expect("a token"),
        Caller::WrongIssuer => signed(claims(&|c| c["iss"] = json!("someone-else"))),
        Caller::WrongAudience => signed(claims(&|c| c["aud"] = json!("scim"))),
    };
    Some(format!("Bearer {token}"))
}

/// What a refused request must leave as it was: both subscriptions, their configurations,
/// pools and users, and the subscriptions there are.
async fn snapshot(svc: &TestService, subscriptions: &[&str]) -> Vec<String> {
    let app = svc.app();
    let mut all = Vec::new();
    for sub in subscriptions {
        let configurations: Vec<Configuration> = app.tenants.configurations(sub).await.expect("configurations");
        all.push(format!("{:?}", app.licenses.subscription(sub).await.expect("a subscription")));
        all.push(format!("{configurations:?}"));
        all.push(format!("{:?}", app.licenses.pools(sub).await.expect("pools")));
        all.push(format!("{:?}", app.licenses.holders(sub).await.expect("users")));
        all.push(format!("{:?}", app.directory.subscription_groups(sub).await.expect("groups")));
        all.push(format!("{:?}", app.vaults.links(sub).await.expect("links")));
        for vault in app.vaults.vaults(sub).await.expect("vaults") {
            all.push(format!("{vault:?} {:?}", app.vaults.groups(sub, &vault.id).await.expect("vault groups")));
        }
    }
    all
}

/// Waits until no background job runs, for up to 30 s.
async fn quiet(svc: &TestService) {
    for _ in 0..600 {
        if svc.app().jobs.running().await.expect("running jobs").is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("background jobs still run after 30 s");
}

/// What a call's path and body name, made for it.
#[derive(Default)]
struct Made {
    /// Each placeholder of the path or body (`{id}`, `{v}`, `{g}`, `{src}`) and its value.
    ids: Vec<(&'static str, String)>,
    /// The configuration made for it, whose secret a refused call must leave working.
    configuration: Option<NewConfiguration>,
}

impl Made {
    fn fill(&self, template: &str) -> String {
        self.ids.iter().fold(template.to_owned(), |text, (placeholder, id)| text.replace(placeholder, id))
    }
}

/// A configuration of `home` with a provisioned group named `name`: (configuration, group id).
async fn provisioned_group(svc: &TestService, home: &str, name: &str) -> (NewConfiguration, String) {
    let app = svc.app();
    let license = "named".parse().expect("a license type");
    let made = app.tenants.create_configuration(home, name, license).await.expect("a configuration");
    let tenant = shared::directory::Tenant { configuration: made.configuration.clone(), url: String::new() };
    let body = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": name});
    let group = app.directory.create_group(&tenant, &body).await.expect("a group");
    (made, group.id)
}

/// Makes, in subscription `home`, what the placeholders of `path` (and of its body) name.
async fn make(svc: &TestService, path: &str, home: &str, name: &str) -> Made {
    let app = svc.app();
    if path.contains("/links") {
        let (configuration, source) = provisioned_group(svc, home, name).await;
        let vault = app.vaults.create_vault(home, name).await.expect("a vault");
        let target = app.vaults.create_group(home, &vault.id, name).await.expect("a vault group");
        let mut made = Made { ids: vec![], configuration: Some(configuration) };
        if path.contains("{id}") {
            let tenant = made.configuration.as_ref().map(|c| c.configuration.tenant.clone()).unwrap_or_default();
            let group = shared::vaults::Source { tenant, group: source.clone(), members: 0 };
            let link = shared::vaults::Target::Existing(target.id.clone());
            let link = app.vaults.create_link(home, &group, &vault.id, link, "test").await.expect("a link");
            made.ids.push(("{id}", link.id));
        }
        made.ids.extend([("{src}", source), ("{v}", vault.id), ("{g}", target.id)]);
        return made;
    }
    if path.contains("/vaults/{v}") {
        let vault = app.vaults.create_vault(home, name).await.expect("a vault");
        let mut made = Made::default();
        if path.contains("{g}") {
            let group = app.vaults.create_group(home, &vault.id, name).await.expect("a vault group");
            made.ids.push(("{g}", group.id));
        }
        made.ids.push(("{v}", vault.id));
        return made;
    }
    let license = "named".parse().expect("a license type");
    if path.contains("/configurations/{id}") {
        let made = app.tenants.create_configuration(home, name, license).await.expect("a configuration");
        return Made { ids: vec![("{id}", made.configuration.tenant.clone())], configuration: Some(made) };
    }
    if path.contains("/users/{id}") {
        let user = app.licenses.create_user(home, name, None, None, "test").await.expect("a user");
        return Made { ids: vec![("{id}", user.id)], configuration: None };
    }
    if path.contains("/groups/{id}") {
        let (configuration, group) = provisioned_group(svc, home, name).await;
        return Made { ids: vec![("{id}", group)], configuration: Some(configuration) };
    }
    if path.contains("/jobs/{id}") {
        let job = app
            .jobs
            .start(home, "no-such-tenant", JobKind::GroupLicense { group: "no-such-group".into() }, "test", 0)
            .await
            .expect("a job");
        return Made { ids: vec![("{id}", job.id)], configuration: None };
    }
    Made::default()
}

#[tokio::test]
async fn every_route_of_the_openapi_document_answers_every_caller_as_expected() {
    let (svc, _) = setup().await;
    let other = svc.app().licenses.create_subscription("Other", Recycling::Automatic).await.expect("a subscription");
    let keys = TempDir::new();
    let another_issuer = DevIssuer::load_or_create(keys.path()).expect("another issuer");

    let document = Admin::new(&svc, None).get("/manage/v1/openapi.json").await.expect(200).json();
    assert_eq!(document["openapi"], "3.1.0");
    let mut listed = BTreeSet::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("a path item") {
            let method = method.to_ascii_uppercase();
            let route = EXPECTED.iter().find(|e| e.method == method && e.path == path).unwrap_or_else(|| {
                panic!("{method} {path} is in the OpenAPI document but not in this test's EXPECTED table: add it")
            });
            // The document's security requirement says the same as this table.
            let security = operation["security"].as_array().unwrap_or_else(|| panic!("{method} {path}: no security"));
            match route.who {
                Who::Anyone => assert!(security.is_empty(), "{method} {path}: {security:?}"),
                Who::Roles(roles) => assert_eq!(security, &vec![json!({"adminToken": roles})], "{method} {path}"),
            }
            listed.insert((method, path.clone()));
        }
    }
    let expected_routes: BTreeSet<(String, String)> =
        EXPECTED.iter().map(|e| (e.method.to_owned(), e.path.to_owned())).collect();
    assert_eq!(listed, expected_routes, "the OpenAPI document's routes and this test's EXPECTED table");

    // Who is refused, and which subscriptions a token reaches, is the edge's decision before
    // any store is read: the whole matrix runs on the embedded store. On DynamoDB/moto (whose
    // every write copies the table, so the matrix's thousands of writes take many minutes)
    // every route runs for each role in its own subscription: what the handlers do there.
    let (callers, targets_in_subscription): (&[Caller], &[Target]) = match tests::TestStore::from_env() {
        tests::TestStore::Embedded => (&CALLERS, &[Target::Own, Target::Other, Target::Unknown]),
        tests::TestStore::DynamoDb => (&CALLERS[..3], &[Target::Own]),
    };
    let mut checked = 0;
    let mut failures = Vec::new();
    for route in EXPECTED {
        let targets: &[Target] = if route.path.contains("{sub}") { targets_in_subscription } else { &[Target::Own] };
        for &caller in callers {
            let client = Admin::new(&svc, authorization(&svc, &another_issuer, caller));
            for &target in targets {
                checked += 1;
                let sub = match target {
                    Target::Own => OWN,
                    Target::Other => other.id.as_str(),
                    Target::Unknown => UNKNOWN,
                };
                // What `{id}` names, made for each call, so that what one call deletes or
                // disables is no other's business.
                let name = format!("matrix {checked}");
                let home = if target == Target::Unknown { OWN } else { sub };
                let made = make(&svc, route.path, home, &name).await;
                let path = made.fill(&route.path.replace("{sub}", sub).replace("{type}", "named"));
                let body = route.body.map(|body| {
                    let body = body(&format!("{name} renamed")).to_string();
                    serde_json::from_str::<Value>(&made.fill(&body)).expect("a body")
                });
                let method = Method::from_bytes(route.method.as_bytes()).expect("a method");

                // Background work an earlier call started (a link's) is done before the snapshot.
                quiet(&svc).await;
                let before = snapshot(&svc, &[OWN, &other.id]).await;
                let resp = client.send(method, &path, body.as_ref()).await;
                let want = expected(route, caller, target);
                let what = format!("{caller:?} on {target:?}: {} {}", route.method, route.path);
                if resp.status != want {
                    failures.push(format!("{what}: expected {want}, got {} {}", resp.status, resp.text));
                    continue;
                }
                if want >= 400 {
                    let code = match want {
                        401 => "unauthorized",
                        403 => "forbidden",
                        _ => "not_found",
                    };
                    expect_error(&resp, want, code);
                    assert_eq!(
                        snapshot(&svc, &[OWN, &other.id]).await,
                        before,
                        "{what}: a refused call changed something"
                    );
                    if let Some(made) = &made.configuration {
                        let secret = format!("Bearer {}", made.client_secret);
                        let still = svc.app().tenants.authenticate(&made.configuration.tenant, Some(&secret)).await;
                        assert!(still.is_ok(), "{what}: a refused call changed the configuration's secret or state");
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} of {checked} calls answered otherwise:\n{}", failures.len(), failures.join("\n"));
    let (open, in_subscription) = EXPECTED.iter().partition::<Vec<_>, _>(|e| !e.path.contains("{sub}"));
    let calls_in_subscription = callers.len() * targets_in_subscription.len();
    assert_eq!(checked, open.len() * callers.len() + in_subscription.len() * calls_in_subscription);
}

// ---------------------------------------------------------------------------------------------
// The log

/// Every log line of this test binary, as written.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn no_token_secret_or_authorization_reaches_the_log() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        // Everything the service writes (as on AWS, at info), and all its own crates' lines;
        // not the test client's (reqwest, in the same process) debug lines.
        .with_env_filter(tracing_subscriber::EnvFilter::new("info,shared=trace,local=trace"))
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).expect("the only subscriber of this test binary");

    let (svc, admin) = setup().await;
    let operator_token = svc.admin_token(Role::Operator, None);
    let operator = Admin::bearer(&svc, &operator_token);
    let admin_token = admin.authorization.clone().unwrap_or_default();
    let keys = TempDir::new();
    let another_issuer = DevIssuer::load_or_create(keys.path()).expect("another issuer");
    let mut shown = vec![operator_token.clone(), admin_token.trim_start_matches("Bearer ").to_owned()];

    let created = admin.post(&configurations(OWN), &json!({"name": "Okta", "default_license": "named"})).await;
    let created = created.expect(201).json();
    shown.push(created["client_secret"].as_str().unwrap().to_owned());
    let one = format!("{}/{}", configurations(OWN), created["id"].as_str().unwrap());
    let rotated = operator.post(&format!("{one}/secret"), &json!({})).await.expect(200).json();
    shown.push(rotated["client_secret"].as_str().unwrap().to_owned());
    let mut scim = scim_of(&created);
    scim.get("/Users").await.expect_scim_error(401);
    scim = scim.with_auth(Auth::Bearer(rotated["client_secret"].as_str().unwrap().to_owned()));
    scim.post("/Users", &minimal_user("ada@example.com")).await.expect(201);
    for caller in CALLERS {
        if let Some(header) = authorization(&svc, &another_issuer, caller) {
            shown.push(header.trim_start_matches("Bearer ").to_owned());
            let resp = Admin::new(&svc, Some(header)).get(&configurations(OWN)).await;
            assert!(resp.status == 200 || resp.status == 401 || resp.status == 403, "{caller:?}: {}", resp.status);
        }
    }
    operator.delete(&one).await.expect(204);

    // The console's session: a sign-in code redeemed, its cookie used for a read and a write.
    let grant = shared::sign_in_links::Grant { role: Role::SubscriptionAdmin, subscription: Some(OWN.into()) };
    let code = svc.app().sign_in_links.issue(&grant).await.expect("a sign-in code");
    shown.push(code.clone());
    let redeemed = Admin::new(&svc, None).post("/manage/v1/session/link", &json!({"code": code})).await.expect(200);
    let cookie = redeemed.header("set-cookie").expect("a session cookie");
    let session = cookie.split(';').next().expect("name=value").to_owned();
    shown.push(session.trim_start_matches("manage_session=").to_owned());
    let http = reqwest::Client::builder().no_proxy().build().expect("a client");
    let home = http.get(format!("{}/manage/v1/subscriptions/{OWN}", svc.base_url)).header("Cookie", &session);
    assert_eq!(home.send().await.expect("an answer").status(), 200);
    let write = http
        .put(format!("{}/manage/v1/subscriptions/{OWN}/users/{}/license", svc.base_url, "nobody"))
        .header("Cookie", &session)
        .header("X-Requested-By", "console")
        .json(&json!({"license": "none"}));
    assert_eq!(write.send().await.expect("an answer").status(), 404);

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).expect("UTF-8 log");
    assert!(log.matches("\"message\":\"request\"").count() >= 10, "the requests were logged:\n{log}");
    assert!(log.contains("\"route\":\"/manage/v1/subscriptions/{sub}/configurations\""), "{log}");
    for secret in &shown {
        // Each token's signature is the part that makes it a credential.
        let tail = secret.rsplit('.').next().unwrap_or(secret);
        let needle = if tail.len() >= 16 { tail } else { secret.as_str() };
        assert!(!log.contains(needle), "a token or secret reached the log:\n{log}");
    }
    assert!(!log.to_ascii_lowercase().contains("bearer ey"), "an Authorization value reached the log");
}

// ---------------------------------------------------------------------------------------------
// Vaults

#[tokio::test]
async fn vaults_and_their_groups_are_made_named_once_and_listed_oldest_first() {
    let (svc, admin) = setup().await;
    let vaults = format!("/manage/v1/subscriptions/{OWN}/vaults");
    assert_eq!(admin.get(&vaults).await.expect(200).json()["items"], json!([]));

    let sales = admin.post(&vaults, &json!({"name": "  Sales "})).await.expect(201).json();
    assert_eq!(sales["name"], "Sales", "the name is stored trimmed");
    let id = sales["id"].as_str().expect("an id").to_owned();
    let message = expect_error(&admin.post(&vaults, &json!({"name": "SALES"})).await, 409, "conflict");
    assert!(message.contains("Sales") || message.contains("SALES"), "{message}");
    for bad in [json!({"name": " "}), json!({"name": "x".repeat(201)}), json!({}), json!({"name": "A", "x": 1})] {
        expect_error(&admin.post(&vaults, &bad).await, 400, "invalid");
    }
    let hr = admin.post(&vaults, &json!({"name": "HR"})).await.expect(201).json();
    let listed = admin.get(&vaults).await.expect(200).json();
    assert_eq!(listed["items"], json!([sales, hr]), "every vault once, oldest first, nothing refused");
    assert_eq!(admin.get(&format!("{vaults}/{id}")).await.expect(200).json(), sales);
    expect_error(&admin.get(&format!("{vaults}/no-such-vault")).await, 404, "not_found");
    expect_error(&admin.get(&format!("{vaults}/{}", "v".repeat(3000))).await, 404, "not_found");

    let groups = format!("{vaults}/{id}/groups");
    let managers = admin.post(&groups, &json!({"name": "Managers"})).await.expect(201).json();
    assert_eq!(
        (&managers["member_count"], &managers["link"], &managers["vault"]),
        (&json!(0), &Value::Null, &json!(id))
    );
    expect_error(&admin.post(&groups, &json!({"name": "managers"})).await, 409, "conflict");
    expect_error(&admin.post(&groups, &json!({"name": ""})).await, 400, "invalid");
    // The same name in another vault is another group.
    let hr_groups = format!("{vaults}/{}/groups", hr["id"].as_str().unwrap());
    let hr_managers = admin.post(&hr_groups, &json!({"name": "Managers"})).await.expect(201).json();
    assert_ne!(hr_managers["id"], managers["id"]);
    let everyone = admin.post(&groups, &json!({"name": "Everyone"})).await.expect(201).json();
    assert_eq!(admin.get(&groups).await.expect(200).json()["items"], json!([managers, everyone]));
    let one = format!("{groups}/{}", managers["id"].as_str().unwrap());
    assert_eq!(admin.get(&one).await.expect(200).json(), managers);
    // A group is read through its own vault only.
    expect_error(&admin.get(&format!("{hr_groups}/{}", managers["id"].as_str().unwrap())).await, 404, "not_found");

    let nowhere = format!("{vaults}/no-such-vault/groups");
    expect_error(&admin.post(&nowhere, &json!({"name": "Managers"})).await, 404, "not_found");
    expect_error(&admin.get(&nowhere).await, 404, "not_found");
    let app = svc.app();
    assert_eq!(app.vaults.vaults(OWN).await.expect("vaults").len(), 2, "a refused group made no vault");

    // An access admin manages vault groups but makes no vault.
    let access = Admin::bearer(&svc, &svc.admin_token(Role::AccessAdmin, Some(OWN)));
    expect_error(&access.post(&vaults, &json!({"name": "Legal"})).await, 403, "forbidden");
    access.post(&groups, &json!({"name": "Readers"})).await.expect(201);
}
