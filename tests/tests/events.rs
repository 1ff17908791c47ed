//! Every API Gateway event in `events/` fed through the handler of its function, as the Lambda
//! runtime would: the event JSON is deserialised by `lambda_http` into a `Request` (with a
//! Lambda `Context` attached), handed to `users::handle`, `groups::handle`,
//! `discovery::handle` or `manage::handle` (the admin API), and the answer is checked against `events/index.json` (status) and
//! against what that request shape must achieve (a few body and state checks per event).
//!
//! Order: each event runs against a fresh in-memory app seeded with the same fixture (the
//! users and the group its placeholders name, see `events/README.md`). No event depends on
//! another having run, so the index order does not matter, a failure points at one event, and
//! each file means the same thing when a developer invokes it alone with `cargo lambda invoke`.
//! Okta's order (lookup, create, get, update…) is covered by `okta.rs`.
//!
//! The test fails when a file in `events/` is not in the index, when the index names a missing
//! file, when an event uses an undeclared placeholder, or when an event has no checks here.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use base64::Engine;
use common::{assert_list_response, assert_no_password, enc, member_set, set, Resp, ENTERPRISE, ERROR, GROUP, USER};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Context, Request, RequestExt, Response};
use serde::Deserialize;
use serde_json::{json, Value};
use shared::admin_tokens::Role;
use shared::app::App;
use shared::edge::routes::{self, Function};
use shared::licenses::LicenseType;
use shared::public_url::PublicUrl;
use shared::settings::Settings;
use shared::store::sqlite::SqliteTable;
use shared::testing::TempDir;

/// The host every event is addressed to.
const HOST: &str = "scim.example.com";

/// The User-Agent Okta sends.
const OKTA_USER_AGENT: &str = "Okta SCIM Client 1.0.0";

/// Users the fixture holds besides `extraUsers`: jane, john, former.employee, adele.
const FIXTURE_USERS: u64 = 4;

/// The externalId Entra gave adele.vance@example.com (`{{entra_user_id}}`).
const ADELE_EXTERNAL_ID: &str = "2819c223-7f76-453a-919d-413861904646";

fn events_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../events")
}

// ---------------------------------------------------------------------------------------------
// The index

/// `events/index.json`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Index {
    /// `{{name}}` → what it stands for.
    placeholders: BTreeMap<String, String>,
    events: Vec<Entry>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Entry {
    file: String,
    function: Function,
    /// The status the handler must answer.
    status: u16,
    /// What the request is, for failure messages.
    description: String,
    /// Users to create besides the fixture before the event runs (import paging).
    #[serde(default)]
    extra_users: usize,
}

fn read_index() -> Index {
    let path = events_dir().join("index.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn read_event(file: &str) -> String {
    let path = events_dir().join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The `{{name}}` placeholders in `text`, braces included.
fn placeholders_in(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start..].find("}}") else { break };
        found.insert(rest[start..start + len + 2].to_owned());
        rest = &rest[start + len + 2..];
    }
    found
}

// ---------------------------------------------------------------------------------------------
// The fixture

/// A fresh in-memory app with one configuration and the resources the placeholders name.
struct World {
    app: App,
    /// Holds the key of the development issuer whose tokens the app's admin API checks.
    _keys: TempDir,
    /// Placeholder (without braces) → value.
    vars: BTreeMap<&'static str, String>,
    /// `meta.version` of `{{user_id}}` once the fixture is built.
    user_version: String,
}

impl World {
    async fn new(extra_users: usize) -> World {
        World::on(App::embedded(std::sync::Arc::new(SqliteTable::in_memory())), extra_users).await
    }

    /// The fixture in `app`'s store.
    async fn on(app: App, extra_users: usize) -> World {
        let keys = TempDir::new();
        let (issuer, admin_tokens) = local::dev_admin_tokens(keys.path()).expect("a development issuer");
        let app = app.with_admin_tokens(admin_tokens);
        let created = local::create_configuration(&app, "events", LicenseType::Named).await.expect("configuration");
        let id = &created.configuration.client_id;
        let secret = &created.client_secret;
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
        let admin = issuer
            .mint(Role::SubscriptionAdmin, Some(local::LOCAL_SUBSCRIPTION), std::time::Duration::from_secs(3600))
            .expect("an admin token");
        let mut world = World { app, _keys: keys, vars: BTreeMap::new(), user_version: String::new() };
        world.vars.insert("tenant", created.configuration.tenant.clone());
        world.vars.insert("authorization_basic", format!("Basic {basic}"));
        world.vars.insert("authorization_bearer", format!("Bearer {secret}"));
        world.vars.insert("subscription", local::LOCAL_SUBSCRIPTION.to_owned());
        world.vars.insert("authorization_admin", format!("Bearer {admin}"));

        let jane = world.create("/Users", fixture_user("jane.doe@example.com", "Jane", "Doe", true)).await;
        let john = world.create("/Users", fixture_user("john.smith@example.com", "John", "Smith", true)).await;
        let former =
            world.create("/Users", fixture_user("former.employee@example.com", "Former", "Employee", false)).await;
        let adele = world
            .create(
                "/Users",
                json!({
                    "schemas": [USER, ENTERPRISE],
                    "externalId": ADELE_EXTERNAL_ID,
                    "userName": "adele.vance@example.com",
                    "active": true,
                    "displayName": "Adele Vance",
                    "name": {"givenName": "Adele", "familyName": "Vance"},
                    ENTERPRISE: {"department": "Retail"}
                }),
            )
            .await;
        let group = world
            .create(
                "/Groups",
                json!({"schemas": [GROUP], "displayName": "Engineering",
                       "members": [{"value": jane}, {"value": john}]}),
            )
            .await;
        for i in 0..extra_users {
            world
                .create("/Users", json!({"schemas": [USER], "userName": format!("import.user.{i:03}@example.com")}))
                .await;
        }
        world.vars.insert("user_id", jane);
        world.vars.insert("member_id", john);
        world.vars.insert("inactive_user_id", former);
        world.vars.insert("entra_user_id", adele);
        world.vars.insert("group_id", group);
        let jane = world.get(&format!("/Users/{}", world.var("user_id"))).await.expect(200).json();
        world.user_version = jane["meta"]["version"].as_str().expect("meta.version").to_owned();
        world
    }

    fn var(&self, name: &str) -> &str {
        self.vars.get(name).unwrap_or_else(|| panic!("no fixture value for {{{{{name}}}}}"))
    }

    /// `text` with every placeholder replaced; panics on one the fixture has no value for.
    fn fill(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for (name, value) in &self.vars {
            out = out.replace(&format!("{{{{{name}}}}}"), value);
        }
        let left = placeholders_in(&out);
        assert!(left.is_empty(), "placeholders without a fixture value: {left:?}");
        out
    }

    /// Sends a request as an API Gateway v2 event, with Bearer auth, to the function its path
    /// is routed to. `target` is relative to the tenant and may carry an encoded query.
    async fn send(&self, method: &str, target: &str, body: Option<Value>) -> Resp {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let raw_path = format!("/scim/v2/{}{path}", self.var("tenant"));
        let mut event = json!({
            "version": "2.0",
            "routeKey": "$default",
            "rawPath": raw_path,
            "rawQueryString": query,
            "headers": {
                "accept": "application/scim+json",
                "authorization": self.var("authorization_bearer"),
                "host": HOST,
                "x-forwarded-proto": "https",
            },
            "requestContext": {
                "http": {"method": method, "path": raw_path, "sourceIp": "192.0.2.1"},
                "requestId": "fixture",
                "domainName": HOST,
                "stage": "$default",
            },
            "isBase64Encoded": false,
        });
        if let Some(body) = body {
            event["headers"]["content-type"] = json!("application/scim+json");
            event["body"] = json!(body.to_string());
        }
        let function = routes::function_for(method, &raw_path).expect("a routed path");
        let response = local::handle(&self.app, function, to_request(&event.to_string())).await;
        read_answer(format!("{method} {target}"), response)
    }

    async fn get(&self, target: &str) -> Resp {
        self.send("GET", target, None).await
    }

    /// POSTs `body`, asserts 201 and returns the new id.
    async fn create(&self, collection: &str, body: Value) -> String {
        let created = self.send("POST", collection, Some(body)).await.expect(201).json();
        created["id"].as_str().expect("id").to_owned()
    }

    /// The users a filter finds.
    async fn find_users(&self, filter: &str) -> Vec<Value> {
        let list = self.get(&format!("/Users?filter={}", enc(filter))).await.expect(200).json();
        assert_list_response(&list);
        list["Resources"].as_array().unwrap().clone()
    }

    async fn users_total(&self) -> u64 {
        self.get("/Users?startIndex=1&count=1").await.expect(200).json()["totalResults"].as_u64().unwrap()
    }

    /// The member ids of `{{group_id}}`.
    async fn members(&self) -> BTreeSet<String> {
        member_set(&self.get(&format!("/Groups/{}", self.var("group_id"))).await.expect(200).json())
    }

    /// The user ids of these placeholders.
    fn ids(&self, names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|n| self.var(n).to_owned()).collect()
    }

    /// The URL of a resource as the answers spell it: under the app's public URL, else under
    /// the domain name API Gateway received the request on.
    fn url(&self, tail: &str) -> String {
        let base = self.app.public_url.as_ref().map_or_else(|| format!("https://{HOST}"), PublicUrl::to_string);
        format!("{base}/scim/v2/{}{tail}", self.var("tenant"))
    }
}

/// The body Okta sends on create (the shared one), with the fixture's externalId and state.
fn fixture_user(user_name: &str, given: &str, family: &str, active: bool) -> Value {
    let mut body = common::okta_user(user_name, given, family);
    body["externalId"] = json!(format!("00u-example-{}", user_name.split('@').next().unwrap().replace('.', "-")));
    body["active"] = json!(active);
    body
}

/// An API Gateway event as the Lambda runtime turns it into a request: `lambda_http`'s
/// deserialisation of the payload, then the invocation's `Context` attached.
fn to_request(event: &str) -> Request {
    let req = lambda_http::request::from_str(event).unwrap_or_else(|e| panic!("not an API Gateway event: {e}"));
    assert!(
        matches!(req.request_context_ref(), Some(RequestContext::ApiGatewayV2(_))),
        "the event must deserialise as an API Gateway HTTP API (v2) event"
    );
    let mut context = Context::default();
    context.request_id = "00000000-0000-4000-8000-000000000000".to_owned();
    context.invoked_function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:events-test".to_owned();
    req.with_lambda_context(context)
}

// ---------------------------------------------------------------------------------------------
// Answers

/// A handler's answer, read whole, as the HTTP tests' [`Resp`].
fn read_answer(what: String, response: Response<Body>) -> Resp {
    let (parts, body) = response.into_parts();
    let text = match body {
        Body::Empty => String::new(),
        Body::Text(t) => t,
        Body::Binary(b) => String::from_utf8(b).expect("a UTF-8 body"),
        _ => panic!("{what}: an unexpected body kind"),
    };
    Resp { what, status: parts.status.as_u16(), headers: parts.headers, text }
}

// ---------------------------------------------------------------------------------------------
// The tests

#[test]
fn the_index_covers_every_file_and_names_no_missing_one() {
    let index = read_index();
    let listed: Vec<&str> = index.events.iter().map(|e| e.file.as_str()).collect();
    let unique: BTreeSet<&str> = listed.iter().copied().collect();
    assert_eq!(unique.len(), listed.len(), "a file is listed twice in events/index.json");

    let mut on_disk = BTreeSet::new();
    for entry in std::fs::read_dir(events_dir()).expect("events/") {
        let name = entry.expect("a directory entry").file_name().to_string_lossy().into_owned();
        if name != "index.json" && name != "README.md" {
            on_disk.insert(name);
        }
    }
    let on_disk: BTreeSet<&str> = on_disk.iter().map(String::as_str).collect();
    let unlisted: Vec<_> = on_disk.difference(&unique).collect();
    let missing: Vec<_> = unique.difference(&on_disk).collect();
    assert!(unlisted.is_empty(), "files in events/ that index.json does not list: {unlisted:?}");
    assert!(missing.is_empty(), "index.json lists files that do not exist: {missing:?}");
    assert!(!listed.is_empty());

    // The README's table says the same as the index.
    let readme = std::fs::read_to_string(events_dir().join("README.md")).expect("events/README.md");
    for e in &index.events {
        let function = format!("{:?}", e.function).to_ascii_lowercase();
        let row = format!("| `{}` | {function} | {} |", e.file, e.status);
        assert!(readme.contains(&row), "events/README.md has no row starting {row:?}");
    }
}

#[tokio::test]
async fn placeholders_are_declared_and_no_credential_is_committed() {
    let index = read_index();
    let world = World::new(0).await;
    let known: BTreeSet<String> = world.vars.keys().map(|k| format!("{{{{{k}}}}}")).collect();
    let declared: BTreeSet<String> = index.placeholders.keys().cloned().collect();
    assert_eq!(declared, known, "index.json's placeholders and the fixture's differ");

    let mut used = BTreeSet::new();
    for entry in &index.events {
        let text = read_event(&entry.file);
        let found = placeholders_in(&text);
        let undeclared: Vec<_> = found.difference(&declared).collect();
        assert!(undeclared.is_empty(), "{}: undeclared placeholders {undeclared:?}", entry.file);
        used.extend(found);

        let event: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", entry.file));
        let auth = event["headers"]["authorization"].as_str().unwrap_or_default();
        if entry.status != 401 {
            let allowed: &[&str] = match entry.function {
                Function::Manage => &["{{authorization_admin}}"],
                _ => &["{{authorization_basic}}", "{{authorization_bearer}}"],
            };
            assert!(allowed.contains(&auth), "{}: the authorization must be a placeholder, not {auth:?}", entry.file);
        }
        let raw_path = event["rawPath"].as_str().unwrap_or_default();
        if entry.function == Function::Manage {
            assert!(
                raw_path.starts_with("/manage/v1/subscriptions/{{subscription}}/"),
                "{}: the subscription must be the {{{{subscription}}}} placeholder",
                entry.file
            );
        } else {
            assert!(
                raw_path.starts_with("/scim/v2/{{tenant}}/"),
                "{}: the tenant must be the {{{{tenant}}}} placeholder",
                entry.file
            );
        }
    }
    let unused: Vec<_> = declared.difference(&used).collect();
    assert!(unused.is_empty(), "declared placeholders no event uses: {unused:?}");
}

#[tokio::test]
async fn every_event_answers_as_its_index_says() {
    let index = read_index();
    let mut failures = Vec::new();
    for entry in index.events {
        let file = format!("{} ({})", entry.file, entry.description);
        // A task per event, so one failure is reported with the others instead of stopping them.
        if let Err(e) = tokio::spawn(run(entry)).await {
            let message = match e.try_into_panic() {
                Ok(panic) => panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default(),
                Err(e) => e.to_string(),
            };
            failures.push(format!("{file}: {message}"));
        }
    }
    assert!(failures.is_empty(), "{} event(s) failed:\n{}", failures.len(), failures.join("\n"));
}

/// Runs one event against a fresh world and checks the answer.
async fn run(entry: Entry) {
    let raw = read_event(&entry.file);
    let world = World::new(entry.extra_users).await;
    let text = world.fill(&raw);
    let event: Value = serde_json::from_str(&text).expect("the event is JSON");
    check_shape(&entry, &event);

    let req = to_request(&text);
    assert_eq!(req.method().as_str(), event["requestContext"]["http"]["method"], "method as the runtime sees it");
    assert_eq!(req.uri().path(), event["rawPath"], "path as the runtime sees it");
    let what = format!("{} {}", req.method(), req.uri());
    let answer = read_answer(what, local::handle(&world.app, entry.function, req).await).expect(entry.status);
    check_common(&entry, &answer);
    check_event(&entry.file, &world, &answer).await;
}

/// The shape of an API Gateway HTTP API payload 2.0, and its agreement with the index.
fn check_shape(entry: &Entry, event: &Value) {
    let ctx = &event["requestContext"];
    assert_eq!(event["version"], "2.0");
    assert_eq!(event["isBase64Encoded"], false);
    assert_eq!(ctx["stage"], "$default");
    assert_eq!(ctx["domainName"], HOST, "requestContext.domainName: the URLs in answers are under it");
    assert_eq!(event["routeKey"], ctx["routeKey"]);
    assert!(ctx["requestId"].as_str().is_some_and(|s| !s.is_empty()), "requestContext.requestId");
    assert!(ctx["http"]["sourceIp"].is_string(), "requestContext.http.sourceIp");
    let raw_path = event["rawPath"].as_str().expect("rawPath");
    assert_eq!(ctx["http"]["path"], raw_path, "requestContext.http.path is the rawPath");

    // The route key names the route template, and the path parameters fill it.
    let route_key = event["routeKey"].as_str().expect("routeKey");
    let (_, template) = route_key.split_once(' ').expect("routeKey is `METHOD /path`");
    let params = event["pathParameters"].as_object().expect("pathParameters");
    let mut filled = template.to_owned();
    for (name, value) in params {
        let value = value.as_str().expect("a string parameter");
        filled = filled.replace(&format!("{{{name}}}"), value).replace(&format!("{{{name}+}}"), value);
    }
    assert_eq!(filled, raw_path, "routeKey {route_key} with pathParameters {params:?}");
    let method = ctx["http"]["method"].as_str().expect("requestContext.http.method");
    let route = routes::route_for(routes::ROUTES, method, raw_path).expect("a route serves the path");
    assert_eq!(route.path, template, "routeKey names the route the route table picks for {method} {raw_path}");

    // Query parameters: the decoded twin of rawQueryString.
    let raw_query = event["rawQueryString"].as_str().expect("rawQueryString");
    let decoded: BTreeMap<String, Value> = raw_query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), json!(percent_decode(v)))
        })
        .collect();
    let given: BTreeMap<String, Value> =
        event["queryStringParameters"].as_object().map(|m| m.clone().into_iter().collect()).unwrap_or_default();
    assert_eq!(given, decoded, "queryStringParameters vs rawQueryString");

    let headers = event["headers"].as_object().expect("headers");
    for name in headers.keys() {
        assert_eq!(name, &name.to_ascii_lowercase(), "API Gateway v2 lower-cases header names");
    }
    for name in ["host", "accept", "authorization", "x-forwarded-proto"] {
        assert!(headers.contains_key(name), "header {name}");
    }
    assert_eq!(headers["x-forwarded-proto"], "https");
    assert_eq!(headers["host"], HOST);
    let body = event.get("body").and_then(Value::as_str);
    assert_eq!(headers.contains_key("content-type"), body.is_some(), "content-type exactly on bodies");
    if let Some(body) = body {
        serde_json::from_str::<Value>(body).unwrap_or_else(|e| panic!("the body is not JSON: {e}"));
    }
    let okta = entry.file.starts_with("okta-");
    assert_eq!(headers.get("user-agent").and_then(Value::as_str) == Some(OKTA_USER_AGENT), okta, "Okta's User-Agent");

    // Named by client, and routed to the function the index names.
    let prefix_ok = ["okta-", "entra-", "discovery-", "manage-"].iter().any(|p| entry.file.starts_with(p));
    assert!(prefix_ok && entry.file.ends_with(".json"), "name the file okta-*, entra-*, discovery-* or manage-*");
    assert_eq!(entry.file.starts_with("discovery-"), entry.function == Function::Discovery, "discovery-* files");
    assert_eq!(entry.file.starts_with("manage-"), entry.function == Function::Manage, "manage-* files");
    assert_eq!(route.function, entry.function, "the index names the function the path is routed to");
}

/// What every answer must satisfy: SCIM media type on bodies, no body on 204, a SCIM Error
/// on errors, a Location on 201, never a password; the admin API's answers are JSON, and its
/// errors `{"error", "message"}`.
fn check_common(entry: &Entry, answer: &Resp) {
    if answer.status == 204 {
        assert!(answer.text.is_empty(), "204 has no body: {}", answer.text);
        return;
    }
    if entry.function == Function::Manage {
        assert_eq!(answer.header("content-type").as_deref(), Some("application/json"));
        let body = answer.json();
        if answer.status >= 400 {
            assert!(body["error"].is_string() && body["message"].is_string(), "an admin API error: {body}");
        }
        return;
    }
    let content_type = answer.header("content-type").unwrap_or_default();
    assert!(content_type.starts_with("application/scim+json"), "Content-Type {content_type:?}");
    let body = answer.json();
    assert_no_password(&body);
    if answer.status >= 400 {
        assert_eq!(body["schemas"], json!([ERROR]), "a SCIM Error: {body}");
        assert_eq!(body["status"], json!(answer.status.to_string()), "{body}");
        assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()), "{body}");
    }
    if answer.status == 201 {
        assert_eq!(
            answer.header("location").as_deref(),
            body["meta"]["location"].as_str(),
            "Location is meta.location"
        );
    }
}

/// A ListResponse's body, checked for its shape.
fn list(answer: &Resp) -> Value {
    let body = answer.json();
    assert_list_response(&body);
    body
}

fn ids_of(list: &Value) -> Vec<String> {
    list["Resources"].as_array().unwrap().iter().map(|r| r["id"].as_str().expect("id").to_owned()).collect()
}

/// A single resource's body, with `ETag` = `meta.version` and `meta.location` = `url`.
fn resource(answer: &Resp, url: &str) -> Value {
    let body = answer.json();
    assert_eq!(answer.header("etag").as_deref(), body["meta"]["version"].as_str(), "ETag is meta.version: {body}");
    assert_eq!(body["meta"]["location"], url, "{body}");
    body
}

/// What each event must achieve, beyond its status.
async fn check_event(file: &str, w: &World, a: &Resp) {
    let user_id = w.var("user_id");
    let group_id = w.var("group_id");
    let entra_user_id = w.var("entra_user_id");
    let group_url = w.url(&format!("/Groups/{group_id}"));
    match file {
        // ----- Okta: users -----
        "okta-test-credentials-list-users.json" => {
            let l = list(a);
            assert_eq!((l["totalResults"].as_u64(), l["startIndex"].as_u64()), (Some(FIXTURE_USERS), Some(1)), "{l}");
            assert_eq!(l["itemsPerPage"], 2, "count=2 is honoured: {l}");
            for u in l["Resources"].as_array().unwrap() {
                assert!(u["userName"].is_string() && u["schemas"].as_array().unwrap().contains(&json!(USER)), "{u}");
            }
        }
        "okta-lookup-user-before-create.json" => {
            let expected = json!({"schemas": [common::LIST_RESPONSE], "totalResults": 0, "startIndex": 1,
                                  "itemsPerPage": 0, "Resources": []});
            assert_eq!(a.json(), expected);
        }
        "okta-lookup-user-by-username.json" => {
            let l = list(a);
            assert_eq!(ids_of(&l), vec![user_id.to_owned()], "one user, whatever the case: {l}");
            assert_eq!(l["Resources"][0]["userName"], "jane.doe@example.com", "stored as sent");
        }
        "okta-create-user.json" => {
            let u = a.json();
            let id = u["id"].as_str().expect("id");
            assert_eq!(resource(a, &w.url(&format!("/Users/{id}")))["userName"], "new.hire@example.com");
            assert_eq!((&u["name"]["givenName"], &u["name"]["familyName"]), (&json!("New"), &json!("Hire")));
            assert_eq!(u["active"], true);
            assert_eq!(u["externalId"], "00u-example-new-hire");
            assert_eq!(u["emails"][0]["value"], "new.hire@example.com");
            assert_eq!(u[ENTERPRISE]["department"], "Engineering");
            let found = w.find_users("userName eq \"new.hire@example.com\"").await;
            assert_eq!(found.len(), 1);
            assert_eq!(found[0]["id"], id);
            assert_eq!(w.users_total().await, FIXTURE_USERS + 1);
        }
        "okta-create-user-existing-username.json" => {
            assert_eq!(a.json()["scimType"], "uniqueness");
            assert_eq!(w.users_total().await, FIXTURE_USERS, "no user was made");
        }
        "okta-get-user.json" => {
            let u = resource(a, &w.url(&format!("/Users/{user_id}")));
            assert_eq!((u["id"].as_str(), u["userName"].as_str()), (Some(user_id), Some("jane.doe@example.com")));
            assert_eq!(u["meta"]["resourceType"], "User");
            let groups: Vec<&Value> = u["groups"].as_array().expect("groups").iter().map(|g| &g["value"]).collect();
            assert_eq!(groups, vec![&json!(group_id)], "the user's groups: {u}");
        }
        "okta-get-user-unknown-id.json" => {
            assert!(a.json().get("scimType").is_none_or(|t| t != "invalidValue"), "a 404, not a rejected id");
        }
        "okta-update-user-put.json" => {
            let u = resource(a, &w.url(&format!("/Users/{user_id}")));
            assert_eq!(u["id"], user_id);
            assert_eq!(u["name"]["familyName"], "Doe-Smith");
            assert_eq!(u["displayName"], "Jane Doe-Smith");
            assert_eq!(u["title"], "Staff Engineer");
            assert_eq!(u[ENTERPRISE]["department"], "Research");
            assert_ne!(u["meta"]["version"], w.user_version.as_str(), "the version changes on update: {u}");
            assert_ne!(u["meta"]["created"], "2025-11-01T09:00:00Z", "meta in the body is read-only");
            assert!(u.get("oktaProfileExtra").is_none(), "unknown attributes are ignored: {u}");
            let got = w.get(&format!("/Users/{user_id}")).await.expect(200).json();
            assert_eq!(got["name"]["familyName"], "Doe-Smith");
            assert!(w.members().await.contains(user_id), "groups: [] in a PUT leaves memberships alone");
        }
        "okta-deactivate-user.json" => {
            let u = resource(a, &w.url(&format!("/Users/{user_id}")));
            assert_eq!((u["id"].as_str(), &u["active"]), (Some(user_id), &json!(false)));
            assert_eq!(u["name"]["familyName"], "Doe", "other attributes untouched");
            assert_eq!(w.get(&format!("/Users/{user_id}")).await.expect(200).json()["active"], false);
            let found = w.find_users("userName eq \"jane.doe@example.com\"").await;
            assert_eq!(found.len(), 1, "a deactivated user is still found");
        }
        "okta-reactivate-user.json" => {
            let id = w.var("inactive_user_id");
            let u = resource(a, &w.url(&format!("/Users/{id}")));
            assert_eq!((u["id"].as_str(), &u["active"]), (Some(id), &json!(true)), "same id, active again");
            assert_eq!(w.get(&format!("/Users/{id}")).await.expect(200).json()["active"], true);
        }
        "okta-import-users-page-1.json" => {
            let l = list(a);
            assert_eq!(l["totalResults"].as_u64(), Some(FIXTURE_USERS + 150));
            assert_eq!((l["startIndex"].as_u64(), l["itemsPerPage"].as_u64()), (Some(1), Some(100)));
        }
        "okta-import-users-page-2.json" => {
            let l = list(a);
            let total = FIXTURE_USERS + 150;
            assert_eq!(l["totalResults"].as_u64(), Some(total));
            assert_eq!((l["startIndex"].as_u64(), l["itemsPerPage"].as_u64()), (Some(101), Some(total - 100)));
            let first = list(&w.get("/Users?startIndex=1&count=100").await.expect(200));
            let all: BTreeSet<String> = ids_of(&first).into_iter().chain(ids_of(&l)).collect();
            assert_eq!(all.len() as u64, total, "the two pages neither skip nor repeat a user");
        }
        // ----- Okta: groups -----
        "okta-test-credentials-list-groups.json" => {
            let l = list(a);
            assert_eq!(ids_of(&l), vec![group_id.to_owned()]);
            assert_eq!(l["Resources"][0]["displayName"], "Engineering");
        }
        "okta-lookup-group.json" => {
            let l = list(a);
            assert_eq!(ids_of(&l), vec![group_id.to_owned()]);
            assert_eq!(member_set(&l["Resources"][0]), w.ids(&["user_id", "member_id"]));
        }
        "okta-create-group.json" => {
            let g = a.json();
            let id = g["id"].as_str().expect("id");
            assert_eq!(resource(a, &w.url(&format!("/Groups/{id}")))["displayName"], "Sales");
            assert!(member_set(&g).is_empty(), "{g}");
            let l = list(&w.get(&format!("/Groups?filter={}", enc("displayName eq \"Sales\""))).await.expect(200));
            assert_eq!(ids_of(&l), vec![id.to_owned()]);
        }
        "okta-rename-group.json" | "entra-rename-group.json" => {
            let g = w.get(&format!("/Groups/{group_id}")).await.expect(200);
            let g = resource(&g, &group_url);
            assert_eq!(g["displayName"], "Engineering Team");
            assert_eq!(member_set(&g), w.ids(&["user_id", "member_id"]), "members untouched");
        }
        "okta-group-members-add-remove.json" => {
            assert_eq!(w.members().await, w.ids(&["user_id", "inactive_user_id"]));
        }
        "okta-group-members-replace.json" => {
            assert_eq!(w.members().await, w.ids(&["member_id"]));
        }
        "okta-delete-group.json" | "entra-delete-group.json" => {
            w.get(&format!("/Groups/{group_id}")).await.expect(404);
            w.get(&format!("/Users/{}", w.var("member_id"))).await.expect(200);
            let l = list(&w.get("/Groups?startIndex=1&count=100").await.expect(200));
            assert_eq!(l["totalResults"], 0);
        }
        "okta-bad-credentials.json" => {
            assert!(a.header("www-authenticate").is_some(), "401 names the schemes");
            assert!(!a.text.contains("wrong-secret"), "the secret is not echoed");
        }
        // ----- Entra: users -----
        "entra-lookup-user-by-external-id.json" => {
            let l = list(a);
            assert_eq!(ids_of(&l), vec![entra_user_id.to_owned()]);
            assert_eq!(l["Resources"][0]["externalId"], ADELE_EXTERNAL_ID);
        }
        "entra-lookup-user-by-username.json" => {
            assert_eq!(ids_of(&list(a)), vec![entra_user_id.to_owned()]);
        }
        "entra-lookup-user-by-work-email.json" => {
            assert_eq!(ids_of(&list(a)), vec![user_id.to_owned()]);
        }
        "entra-create-user.json" => {
            let u = a.json();
            let id = u["id"].as_str().expect("id");
            assert_eq!(resource(a, &w.url(&format!("/Users/{id}")))["userName"], "alex.wilber@example.com");
            assert_eq!(u["externalId"], "5c2d1d1e-8f6b-4e47-9a58-0d6f3c1b7a90");
            assert_eq!(u["active"], true);
            assert_eq!(u[ENTERPRISE]["employeeNumber"], "E-2001");
            let found = w.find_users("externalId eq \"5c2d1d1e-8f6b-4e47-9a58-0d6f3c1b7a90\"").await;
            assert_eq!(found.len(), 1);
        }
        "entra-patch-user-capitalised-ops.json" => {
            let u = resource(a, &w.url(&format!("/Users/{entra_user_id}")));
            assert_eq!(u["active"], json!(false), "\"False\" is the boolean false: {u}");
            assert_eq!((&u["name"]["givenName"], &u["name"]["familyName"]), (&json!("Adele"), &json!("Vance-Smith")));
            assert_eq!(u["title"], "Product Manager");
            let got = w.get(&format!("/Users/{entra_user_id}")).await.expect(200).json();
            assert_eq!(got["active"], false, "a disabled user is still returned");
        }
        "entra-patch-user-dotted-keys.json" => {
            let u = resource(a, &w.url(&format!("/Users/{entra_user_id}")));
            assert_eq!((&u["name"]["givenName"], &u["name"]["familyName"]), (&json!("Adele"), &json!("Vance")));
            assert_eq!(u["displayName"], "Adele Vance (Marketing)");
            assert_eq!(u[ENTERPRISE]["department"], "Marketing");
            assert_eq!(u[ENTERPRISE]["employeeNumber"], "E-1042");
            let keys: Vec<&String> = u.as_object().unwrap().keys().collect();
            let is_path = |k: &str| k.starts_with("name.") || k.starts_with(&format!("{ENTERPRISE}:"));
            assert!(keys.iter().all(|k| !is_path(k)), "dotted keys are paths, not attributes: {keys:?}");
        }
        "entra-patch-user-add-work-email.json" => {
            let u = resource(a, &w.url(&format!("/Users/{entra_user_id}")));
            let emails = u["emails"].as_array().expect("emails");
            assert!(emails.iter().any(|e| e["type"] == "work" && e["value"] == "adele.vance@example.com"), "{u}");
            let found = w.find_users("emails[type eq \"work\"].value eq \"adele.vance@example.com\"").await;
            assert_eq!(found.len(), 1);
            assert_eq!(found[0]["id"], entra_user_id);
        }
        "entra-delete-user.json" => {
            w.get(&format!("/Users/{entra_user_id}")).await.expect(404);
            assert!(w.find_users(&format!("externalId eq \"{ADELE_EXTERNAL_ID}\"")).await.is_empty());
            assert_eq!(w.users_total().await, FIXTURE_USERS - 1);
        }
        // ----- Entra: groups -----
        "entra-lookup-group-excluding-members.json" => {
            let l = list(a);
            assert_eq!(ids_of(&l), vec![group_id.to_owned()]);
            assert!(l["Resources"][0].get("members").is_none(), "excludedAttributes=members: {l}");
        }
        "entra-create-group.json" => {
            let g = a.json();
            let id = g["id"].as_str().expect("id");
            assert_eq!(resource(a, &w.url(&format!("/Groups/{id}")))["displayName"], "Marketing");
            assert_eq!(g["externalId"], "8f3c9a1e-2b4d-4c6e-9f70-1a2b3c4d5e6f");
            assert!(member_set(&g).is_empty());
        }
        "entra-group-members-add.json" => {
            assert_eq!(w.members().await, w.ids(&["user_id", "member_id", "entra_user_id"]));
        }
        "entra-group-members-remove.json" => {
            assert_eq!(w.members().await, set([user_id]), "only the listed member leaves");
        }
        // ----- Admin API -----
        "manage-list-configurations.json" => {
            let items = a.json()["items"].as_array().expect("items").clone();
            assert_eq!(items.len(), 1, "the fixture's configuration: {items:?}");
            assert_eq!(items[0]["id"], w.var("tenant"));
            assert_eq!(items[0]["name"], "events");
            assert_eq!(items[0]["tenant_url"], w.url(""), "under API Gateway's domain name, as SCIM's URLs");
            assert!(items[0].get("client_secret").is_none(), "never a secret in a list");
        }
        "manage-create-configuration.json" => {
            let made = a.json();
            let (id, secret) = (made["id"].as_str().expect("id"), made["client_secret"].as_str().expect("secret"));
            assert_eq!((&made["name"], &made["default_license"]), (&json!("Entra ID"), &json!("read-only")));
            assert_eq!(made["tenant_url"], format!("https://{HOST}/scim/v2/{id}"));
            let opened = w.app.tenants.authenticate(id, Some(&format!("Bearer {secret}"))).await;
            assert!(opened.is_ok(), "the new configuration's secret opens its tenant");
        }
        // ----- Discovery -----
        "discovery-service-provider-config.json" => {
            let c = a.json();
            assert_eq!((&c["patch"]["supported"], &c["bulk"]["supported"]), (&json!(true), &json!(false)));
            assert_eq!((&c["filter"]["supported"], &c["etag"]["supported"]), (&json!(true), &json!(true)));
            let schemes: Vec<&str> =
                c["authenticationSchemes"].as_array().unwrap().iter().filter_map(|s| s["type"].as_str()).collect();
            assert!(schemes.contains(&"httpbasic") && schemes.contains(&"oauthbearertoken"), "{c}");
            assert_eq!(c["meta"]["location"], w.url("/ServiceProviderConfig"));
        }
        "discovery-schemas.json" => {
            let ids: BTreeSet<String> = ids_of(&list(a)).into_iter().collect();
            assert!(ids.is_superset(&set([USER, GROUP, ENTERPRISE])), "{ids:?}");
        }
        "discovery-resource-types.json" => {
            let l = list(a);
            let types: BTreeMap<&str, (&Value, &Value)> = l["Resources"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| (r["id"].as_str().unwrap(), (&r["endpoint"], &r["schema"])))
                .collect();
            assert_eq!(types.get("User"), Some(&(&json!("/Users"), &json!(USER))), "{l}");
            assert_eq!(types.get("Group"), Some(&(&json!("/Groups"), &json!(GROUP))), "{l}");
        }
        _ => panic!("no checks for this event: add an arm to check_event in tests/tests/events.rs"),
    }
}

// ---------------------------------------------------------------------------------------------
// URLs on Lambda

/// `file`'s event with `Host` and `X-Forwarded-Proto` forged, through its function's handler.
async fn forged(world: &World, file: &str) -> Resp {
    forged_on_stage(world, file, None).await
}

/// As [`forged`], on the named API Gateway `stage` when there is one (its name then leads the
/// request path, as API Gateway sends it).
async fn forged_on_stage(world: &World, file: &str, stage: Option<&str>) -> Resp {
    let entry = read_index().events.into_iter().find(|e| e.file == file).expect("an indexed event");
    let mut event: Value = serde_json::from_str(&world.fill(&read_event(file))).expect("the event is JSON");
    event["headers"]["host"] = json!("evil.example");
    event["headers"]["x-forwarded-proto"] = json!("gopher");
    if let Some(stage) = stage {
        let path = format!("/{stage}{}", event["rawPath"].as_str().expect("rawPath"));
        event["rawPath"] = json!(path);
        event["requestContext"]["http"]["path"] = json!(path);
        event["requestContext"]["stage"] = json!(stage);
    }
    let req = to_request(&event.to_string());
    read_answer(format!("{file} (forged Host)"), local::handle(&world.app, entry.function, req).await)
        .expect(entry.status)
}

/// `meta.location`, and the `$ref` of each member and group, of a user or group.
fn urls_in(resource: &Value) -> Vec<&str> {
    let refs = ["members", "groups"]
        .into_iter()
        .flat_map(|attribute| resource[attribute].as_array().into_iter().flatten())
        .map(|item| item["$ref"].as_str().unwrap_or_default());
    resource["meta"]["location"].as_str().into_iter().chain(refs).collect()
}

#[tokio::test]
async fn on_lambda_urls_are_under_api_gateways_domain_name_not_the_host_header() {
    let w = World::new(0).await;
    let created = forged(&w, "okta-create-user.json").await;
    let id = created.json()["id"].as_str().expect("id").to_owned();
    assert_eq!(created.header("location"), Some(w.url(&format!("/Users/{id}"))), "Location");
    resource(&created, &w.url(&format!("/Users/{id}")));

    let user = forged(&w, "okta-get-user.json").await.json();
    let group_url = w.url(&format!("/Groups/{}", w.var("group_id")));
    assert_eq!(urls_in(&user), [w.url(&format!("/Users/{}", w.var("user_id"))), group_url.clone()], "{user}");

    let groups = forged(&w, "okta-lookup-group.json").await.json();
    let group = &groups["Resources"][0];
    let members = [w.url(&format!("/Users/{}", w.var("user_id"))), w.url(&format!("/Users/{}", w.var("member_id")))];
    let urls: BTreeSet<&str> = urls_in(group).into_iter().collect();
    let expected: BTreeSet<&str> = members.iter().map(String::as_str).chain([group_url.as_str()]).collect();
    assert_eq!(urls, expected, "{group}");
}

#[tokio::test]
async fn on_a_named_stage_the_stage_stays_in_the_urls() {
    let w = World::new(0).await;
    let created = forged_on_stage(&w, "okta-create-user.json", Some("prod")).await;
    let location = created.header("location").expect("Location");
    let tenant_url = format!("https://{HOST}/prod/scim/v2/{}/Users/", w.var("tenant"));
    assert!(location.starts_with(&tenant_url), "{location}");
}

#[tokio::test]
async fn a_configured_public_url_wins_over_api_gateways_domain_name() {
    let configured = PublicUrl::parse("https://scim.corp.example/provisioning").expect("a public URL");
    let w =
        World::on(App::embedded(std::sync::Arc::new(SqliteTable::in_memory())).with_public_url(configured), 0).await;
    assert!(w.url("").starts_with("https://scim.corp.example/provisioning/scim/v2/"));
    let created = forged(&w, "okta-create-user.json").await;
    let id = created.json()["id"].as_str().expect("id").to_owned();
    assert_eq!(created.header("location"), Some(w.url(&format!("/Users/{id}"))), "Location");
    let user = forged(&w, "okta-get-user.json").await.json();
    let expected = [w.url(&format!("/Users/{}", w.var("user_id"))), w.url(&format!("/Groups/{}", w.var("group_id")))];
    assert_eq!(urls_in(&user), expected, "{user}");
    // On a named stage too: the configured URL is the whole base.
    let user = forged_on_stage(&w, "okta-get-user.json", Some("prod")).await.json();
    assert_eq!(urls_in(&user), expected, "{user}");
}

#[tokio::test]
async fn scim_public_url_reaches_the_handlers_through_the_settings() {
    let data_dir = std::env::temp_dir().join(format!("events-public-url-{}", uuid::Uuid::new_v4().simple()));
    let vars =
        [("SCIM_DATA_DIR", data_dir.display().to_string()), ("SCIM_PUBLIC_URL", "https://scim.corp.example/".into())];
    let settings =
        Settings::from_vars(|name| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone())).expect("settings");
    let app = App::from_settings(&settings).await.expect("an app");
    let w = World::on(app, 0).await;
    let created = forged(&w, "okta-create-user.json").await;
    let location = created.header("location").expect("Location");
    let tenant_url = format!("https://scim.corp.example/scim/v2/{}/Users/", w.var("tenant"));
    assert!(location.starts_with(&tenant_url), "{location}");
    drop(w);
    let _ = std::fs::remove_dir_all(&data_dir);
}

/// Percent-decodes a query component (`+` is a space).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = s.get(i + 1..i + 3).expect("a whole percent escape");
                out.push(u8::from_str_radix(hex, 16).expect("a percent escape"));
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).expect("UTF-8")
}
