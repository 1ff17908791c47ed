//! Property test (proptest) of the request router: generated HTTP requests of every shape go
//! through `local::dispatch` — the route table, then the users, groups or discovery handler, as
//! `local-api` serves them — in-process, on an in-memory embedded store with one tenant, a
//! user and a group.
//!
//! Requests: methods (the five SCIM ones, HEAD, OPTIONS, lower case, made-up ones), paths
//! built from the segments that matter (`scim/v2`, the real tenant or others, `Users`,
//! `Groups`, real and made-up ids, `.search`, `Schemas`, `%2e%2e`, empty segments, stage
//! prefixes), query strings (`filter`, `startIndex`, `count`, `attributes`, …), headers
//! (`Authorization` right, wrong and garbage; `Content-Type`; `If-Match`) with any byte a
//! header may carry, and bodies (resources, PatchOp and SearchRequest messages, any JSON,
//! any bytes, one past the size limit).
//!
//! Properties: no panic (the edge would turn one into a 500); no 5xx at all (the in-memory
//! store is never busy, so not even a 503); a path no route serves gets API Gateway's 404,
//! and every other error is a SCIM Error body whose `status` is the response's; a success
//! with a body carries JSON.
//!
//! Like `shared/tests/properties.rs`, it prints `property: request router: N inputs in T s
//! …` for `scripts/test`'s summary, and never asserts a timing.

use std::cell::RefCell;
use std::sync::Arc;

use base64::Engine;
use lambda_http::{Body, Request, Response};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::string::string_regex;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{json, Value};
use shared::app::App;
use shared::edge::routes;
use shared::edge::MAX_BODY_BYTES;
use shared::licenses::LicenseType;
use shared::scim::schema::{ENTERPRISE_USER, GROUP, USER};
use shared::scim::{ERROR, PATCH_OP};
use shared::store::sqlite::SqliteTable;
use shared::testing::Meter;

/// Inputs run against one app before a fresh one replaces it, so that the resources the
/// generated POSTs create never make later requests slower and slower.
const REQUESTS_PER_APP: u64 = 250;

// ---------------------------------------------------------------------------------------------
// The generated request

#[derive(Debug, Clone)]
enum TenantPart {
    Real,
    /// Well-formed but not a tenant of this app.
    Unknown,
    Text(String),
    Missing,
}

#[derive(Debug, Clone)]
enum Segment {
    Literal(&'static str),
    UserId,
    GroupId,
    /// Percent-encoded as needed.
    Text(String),
}

#[derive(Debug, Clone)]
enum Auth {
    Basic,
    Bearer,
    WrongSecret,
    /// The right secret, in Basic with a client ID that is not the tenant's.
    WrongClientId,
    Raw(Vec<u8>),
    Missing,
}

#[derive(Debug, Clone)]
enum RequestBody {
    Empty,
    Json(Value),
    Bytes(Vec<u8>),
    /// One byte over the edge's limit.
    Oversized,
}

#[derive(Debug, Clone)]
struct Spec {
    method: String,
    stage: Option<&'static str>,
    tenant: TenantPart,
    segments: Vec<Segment>,
    trailing_slash: bool,
    /// Used instead of the built path now and then: whatever a client may send.
    raw_path: Option<String>,
    query: Vec<(String, String)>,
    auth: Auth,
    content_type: Option<Vec<u8>>,
    if_match: Option<Vec<u8>>,
    body: RequestBody,
}

fn re(pattern: &str) -> BoxedStrategy<String> {
    string_regex(pattern).unwrap_or_else(|e| panic!("{pattern}: {e}")).boxed()
}

/// Bytes a header value may hold (visible ASCII, space, tab and obs-text).
fn header_bytes() -> BoxedStrategy<Vec<u8>> {
    vec(prop_oneof![8 => 0x20u8..0x7f, 1 => 0x80u8..=0xff, 1 => Just(b'\t')], 0..48).boxed()
}

fn method() -> BoxedStrategy<String> {
    prop_oneof![
        12 => select(&["GET", "POST", "PUT", "PATCH", "DELETE"][..]).prop_map(String::from),
        2 => select(&["HEAD", "OPTIONS", "get", "post", "Patch", "TRACE", "CONNECT"][..]).prop_map(String::from),
        1 => re("[A-Za-z!#$%&'*+.^_`|~-]{1,10}"),
    ]
    .boxed()
}

fn segment() -> BoxedStrategy<Segment> {
    let literals = &[
        "Users",
        "Groups",
        ".search",
        "Schemas",
        "ResourceTypes",
        "ServiceProviderConfig",
        "User",
        "users",
        "Me",
        "Bulk",
        "%2e%2e",
        "..",
        ".",
        "",
        "%2F",
        "urn:ietf:params:scim:schemas:core:2.0:User",
        "00000000-0000-4000-8000-000000000000",
    ][..];
    prop_oneof![
        10 => select(literals).prop_map(Segment::Literal),
        2 => Just(Segment::UserId),
        2 => Just(Segment::GroupId),
        3 => any::<String>().prop_map(|s| Segment::Text(encode(&s))),
    ]
    .boxed()
}

/// What follows the tenant: mostly an endpoint's shape (with the fixture's ids, made-up ones
/// and the other type's), sometimes any sequence of segments.
fn endpoint() -> BoxedStrategy<Vec<Segment>> {
    use Segment::*;
    let shapes = vec![
        vec![Literal("Users")],
        vec![Literal("Users"), UserId],
        vec![Literal("Users"), GroupId],
        vec![Literal("Users"), Literal(".search")],
        vec![Literal("Groups")],
        vec![Literal("Groups"), GroupId],
        vec![Literal("Groups"), UserId],
        vec![Literal("Groups"), Literal(".search")],
        vec![Literal(".search")],
        vec![Literal("Schemas")],
        vec![Literal("Schemas"), Literal("urn:ietf:params:scim:schemas:core:2.0:User")],
        vec![Literal("Schemas"), Literal("urn%3Aietf%3Aparams%3Ascim%3Aschemas%3Acore%3A2.0%3AGroup")],
        vec![Literal("ResourceTypes")],
        vec![Literal("ResourceTypes"), Literal("User")],
        vec![Literal("ServiceProviderConfig")],
        vec![],
    ];
    let made_up_id = any::<String>().prop_map(|s| Segment::Text(encode(&s)));
    prop_oneof![
        12 => select(shapes),
        2 => (select(&["Users", "Groups", "Schemas", "ResourceTypes"][..]), made_up_id)
            .prop_map(|(collection, id)| vec![Literal(collection), id]),
        3 => vec(segment(), 0..5),
    ]
    .boxed()
}

/// The query parameters SCIM reads, with values good, bad and strange.
fn query() -> BoxedStrategy<Vec<(String, String)>> {
    let filters = select(
        &[
            "userName eq \"bjensen@example.com\"",
            "userName sw \"b\" and active eq true",
            "emails[type eq \"work\" and value co \"@\"]",
            "displayName eq \"Engineering\"",
            "members[value eq \"x\"]",
            "meta.lastModified gt \"2011-05-13T04:42:34Z\"",
            "not (userName pr)",
            "userName eq",
            "((((",
            "",
        ][..],
    )
    .prop_map(String::from);
    let name = select(
        &[
            "filter",
            "startIndex",
            "count",
            "attributes",
            "excludedAttributes",
            "sortBy",
            "cursor",
            "FILTER",
            "startindex",
        ][..],
    )
    .prop_map(String::from);
    let value = prop_oneof![
        3 => filters,
        2 => any::<i64>().prop_map(|n| n.to_string()),
        1 => Just("99999999999999999999999".to_owned()),
        2 => select(&["userName", "emails.value,name.givenName", "members", "groups", "urn:x:y", "id,"][..])
            .prop_map(String::from),
        2 => any::<String>(),
        1 => re("[a-zA-Z \"()\\[\\].:]{0,30}"),
    ];
    vec((prop_oneof![6 => name, 1 => re("[a-z]{0,5}")], value), 0..4).boxed()
}

fn user_body() -> BoxedStrategy<Value> {
    (re("[a-z]{1,8}"), any::<bool>())
        .prop_map(|(name, active)| {
            json!({
                "schemas": [USER, ENTERPRISE_USER],
                "userName": format!("{name}@example.com"),
                "active": active,
                "name": {"givenName": name, "familyName": "Fuzz"},
                "emails": [{"value": format!("{name}@example.com"), "type": "work", "primary": true}],
                ENTERPRISE_USER: {"department": "QA"}
            })
        })
        .boxed()
}

/// Any JSON value, small.
fn json_value() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<String>().prop_map(Value::String),
        select(&["userName", "members", "value", "schemas", "Operations", "op", "path"][..]).prop_map(Value::from),
    ];
    let key = prop_oneof![
        3 => select(&["schemas", "userName", "displayName", "members", "Operations", "value", "op", "path", "id", "filter"][..])
            .prop_map(String::from),
        1 => any::<String>(),
    ]
    .boxed();
    leaf.prop_recursive(3, 24, 5, move |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            vec((key.clone(), inner), 0..5).prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
    .boxed()
}

/// The text `{{user}}` in a generated body stands for the fixture user's id.
const USER_ID: &str = "{{user}}";

/// PatchOp messages: operations clients send (with the fixture user as a member) and ones with
/// any value.
fn patch_body() -> BoxedStrategy<Value> {
    let known = select(vec![
        json!({"op": "replace", "path": "active", "value": false}),
        json!({"op": "Replace", "value": {"active": "True", "displayName": "Renamed"}}),
        json!({"op": "add", "path": "members", "value": [{"value": USER_ID}]}),
        json!({"op": "remove", "path": format!("members[value eq \"{USER_ID}\"]")}),
        json!({"op": "remove", "path": "members"}),
        json!({"op": "replace", "path": "displayName", "value": "Renamed"}),
        json!({"op": "add", "path": "emails[type eq \"work\"].value", "value": "x@example.com"}),
        json!({"op": "replace", "path": "userName", "value": "renamed@example.com"}),
        json!({"op": "remove", "path": "title"}),
    ]);
    let paths = &[
        "displayName",
        "active",
        "members",
        "members[value eq \"x\"]",
        "emails[type eq \"work\"].value",
        "userName",
        "title",
        "",
    ][..];
    let any_value = (select(&["add", "replace", "remove", "Add"][..]), select(paths), json_value())
        .prop_map(|(op, path, value)| json!({"op": op, "path": path, "value": value}));
    vec(prop_oneof![2 => known, 1 => any_value], 1..4)
        .prop_map(|ops| json!({"schemas": [PATCH_OP], "Operations": ops}))
        .boxed()
}

fn group_body() -> BoxedStrategy<Value> {
    let member = prop_oneof![2 => Just(USER_ID.to_owned()), 1 => re("[a-f0-9-]{0,36}")];
    (re("[a-z]{1,8}"), vec(member, 0..3))
        .prop_map(|(name, members)| {
            let members: Vec<Value> = members.into_iter().map(|m| json!({"value": m})).collect();
            json!({"schemas": [GROUP], "displayName": name, "members": members})
        })
        .boxed()
}

fn search_body() -> BoxedStrategy<Value> {
    let filter = prop_oneof![
        2 => select(&["userName pr", "displayName eq \"Engineering\"", "emails[type eq \"work\"]", "(("][..])
            .prop_map(Value::from),
        1 => json_value(),
    ];
    (filter, any::<i16>(), option::of(select(&["userName", "members", "id"][..])))
        .prop_map(|(filter, count, attributes)| {
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": filter,
                   "count": count, "attributes": attributes})
        })
        .boxed()
}

fn body() -> BoxedStrategy<RequestBody> {
    prop_oneof![
        8 => Just(RequestBody::Empty),
        6 => user_body().prop_map(RequestBody::Json),
        4 => group_body().prop_map(RequestBody::Json),
        8 => patch_body().prop_map(RequestBody::Json),
        3 => search_body().prop_map(RequestBody::Json),
        6 => json_value().prop_map(RequestBody::Json),
        4 => vec(any::<u8>(), 0..64).prop_map(RequestBody::Bytes),
        // Rare: a megabyte to allocate.
        1 => Just(RequestBody::Oversized),
    ]
    .boxed()
}

/// Method, endpoint and body that belong together (a PATCH of the fixture user with a PatchOp
/// message…), so that many requests get past validation into the directory and the store.
fn coherent() -> BoxedStrategy<(String, Vec<Segment>, RequestBody)> {
    use Segment::*;
    let json = |b: BoxedStrategy<Value>| b.prop_map(RequestBody::Json).boxed();
    let request = |method: &'static str, segments: Vec<Segment>, body: BoxedStrategy<RequestBody>| {
        (Just(method.to_owned()), Just(segments), body).boxed()
    };
    let empty = || Just(RequestBody::Empty).boxed();
    prop_oneof![
        request("POST", vec![Literal("Users")], json(user_body())),
        request("PUT", vec![Literal("Users"), UserId], json(user_body())),
        request("PATCH", vec![Literal("Users"), UserId], json(patch_body())),
        request("GET", vec![Literal("Users"), UserId], empty()),
        request("GET", vec![Literal("Users")], empty()),
        request("DELETE", vec![Literal("Users"), UserId], empty()),
        request("POST", vec![Literal("Groups")], json(group_body())),
        request("PUT", vec![Literal("Groups"), GroupId], json(group_body())),
        request("PATCH", vec![Literal("Groups"), GroupId], json(patch_body())),
        request("GET", vec![Literal("Groups")], empty()),
        request("POST", vec![Literal("Users"), Literal(".search")], json(search_body())),
        request("POST", vec![Literal(".search")], json(search_body())),
        request("GET", vec![Literal("Schemas")], empty()),
        request("DELETE", vec![Literal("Groups"), GroupId], empty()),
    ]
    .boxed()
}

fn spec() -> BoxedStrategy<Spec> {
    let tenant = prop_oneof![
        24 => Just(TenantPart::Real),
        2 => Just(TenantPart::Unknown),
        2 => any::<String>().prop_map(|s| TenantPart::Text(encode(&s))),
        1 => Just(TenantPart::Missing),
    ];
    let auth = prop_oneof![
        12 => Just(Auth::Basic),
        8 => Just(Auth::Bearer),
        1 => Just(Auth::WrongSecret),
        1 => Just(Auth::WrongClientId),
        1 => header_bytes().prop_map(Auth::Raw),
        1 => Just(Auth::Missing),
    ];
    let content_type = option::weighted(
        0.7,
        prop_oneof![
            6 => select(&["application/scim+json", "application/json; charset=utf-8", "APPLICATION/SCIM+JSON;x=y", "text/plain", ""][..])
                .prop_map(|s| s.as_bytes().to_vec()),
            1 => header_bytes(),
        ],
    );
    let if_match = option::weighted(
        0.2,
        prop_oneof![
            3 => select(&["*", "W/\"1\"", "\"x\"", "W/\"\", *"][..]).prop_map(|s| s.as_bytes().to_vec()),
            1 => header_bytes(),
        ],
    );
    let raw_path = option::weighted(0.05, any::<String>().prop_map(|s| format!("/{}", encode(&s))));
    let request = prop_oneof![1 => coherent(), 1 => (method(), endpoint(), body())];
    (
        (request, option::weighted(0.05, select(&["/prod", "/$default", "/x/scim/v2"][..])), tenant),
        (prop::bool::weighted(0.1), raw_path, query()),
        (auth, content_type, if_match),
    )
        .prop_map(
            |(
                ((method, segments, body), stage, tenant),
                (trailing_slash, raw_path, query),
                (auth, content_type, if_match),
            )| {
                Spec {
                    method,
                    stage,
                    tenant,
                    segments,
                    trailing_slash,
                    raw_path,
                    query,
                    auth,
                    content_type,
                    if_match,
                    body,
                }
            },
        )
        .boxed()
}

/// `s` percent-encoded but for unreserved characters, so that it fits in a URI.
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The app under test

/// One app on a fresh in-memory store, with a tenant, a user and a group in it.
struct World {
    app: App,
    tenant: String,
    client_id: String,
    secret: String,
    user_id: String,
    group_id: String,
}

impl World {
    async fn new() -> World {
        let app = App::embedded(Arc::new(SqliteTable::in_memory()));
        let made = local::create_configuration(&app, "fuzz", LicenseType::Named).await.expect("configuration");
        let mut world = World {
            app,
            tenant: made.configuration.tenant.clone(),
            client_id: made.configuration.client_id.clone(),
            secret: made.client_secret.clone(),
            user_id: String::new(),
            group_id: String::new(),
        };
        let user = json!({"schemas": [USER], "userName": "bjensen@example.com", "active": true,
                          "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true}]});
        world.user_id = world.create("Users", user).await;
        let group = json!({"schemas": [GROUP], "displayName": "Engineering", "members": [{"value": world.user_id}]});
        world.group_id = world.create("Groups", group).await;
        world
    }

    async fn create(&self, collection: &str, body: Value) -> String {
        let req = http::Request::builder()
            .method("POST")
            .uri(format!("/scim/v2/{}/{collection}", self.tenant))
            .header("authorization", format!("Bearer {}", self.secret))
            .header("content-type", "application/scim+json")
            .body(Body::Text(body.to_string()))
            .expect("a request");
        let (status, _, text) = read(local::dispatch(&self.app, req).await);
        assert_eq!(status, 201, "creating the fixture: {text}");
        let created: Value = serde_json::from_str(&text).expect("JSON");
        created["id"].as_str().expect("an id").to_owned()
    }

    /// The request `spec` describes, or None when it is no HTTP request at all (the `http`
    /// crate, like any server, refuses it before a handler could see it).
    fn request(&self, spec: &Spec) -> Option<Request> {
        let mut path = match &spec.raw_path {
            Some(raw) => raw.clone(),
            None => {
                let mut path = spec.stage.unwrap_or("").to_owned();
                path.push_str("/scim/v2");
                match &spec.tenant {
                    TenantPart::Real => path = format!("{path}/{}", self.tenant),
                    TenantPart::Unknown => path.push_str("/0123456789abcdef0123456789abcdef"),
                    TenantPart::Text(t) => path = format!("{path}/{t}"),
                    TenantPart::Missing => {}
                }
                for segment in &spec.segments {
                    path.push('/');
                    match segment {
                        Segment::Literal(s) => path.push_str(s),
                        Segment::UserId => path.push_str(&self.user_id),
                        Segment::GroupId => path.push_str(&self.group_id),
                        Segment::Text(s) => path.push_str(s),
                    }
                }
                if spec.trailing_slash {
                    path.push('/');
                }
                path
            }
        };
        if !spec.query.is_empty() {
            let pairs: Vec<String> = spec.query.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect();
            path = format!("{path}?{}", pairs.join("&"));
        }
        let basic = |id: &str, secret: &str| {
            let pair = format!("{id}:{secret}");
            format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(pair)).into_bytes()
        };
        let authorization = match &spec.auth {
            Auth::Basic => Some(basic(&self.client_id, &self.secret)),
            Auth::Bearer => Some(format!("Bearer {}", self.secret).into_bytes()),
            Auth::WrongSecret => Some(basic(&self.client_id, "not-the-secret")),
            Auth::WrongClientId => Some(basic("someone-else", &self.secret)),
            Auth::Raw(bytes) => Some(bytes.clone()),
            Auth::Missing => None,
        };
        let body = match &spec.body {
            RequestBody::Empty => Body::Empty,
            RequestBody::Json(v) => Body::Text(v.to_string().replace(USER_ID, &self.user_id)),
            RequestBody::Bytes(b) => Body::Binary(b.clone()),
            RequestBody::Oversized => Body::Binary(vec![b' '; MAX_BODY_BYTES + 1]),
        };
        let mut builder = http::Request::builder()
            .method(http::Method::from_bytes(spec.method.as_bytes()).ok()?)
            .uri(path)
            .header("host", "scim.example.com");
        for (name, value) in [
            ("authorization", authorization),
            ("content-type", spec.content_type.clone()),
            ("if-match", spec.if_match.clone()),
        ] {
            if let Some(value) = value {
                builder = builder.header(name, http::HeaderValue::from_bytes(&value).ok()?);
            }
        }
        builder.body(body).ok()
    }
}

/// Status, content type and body text of an answer.
fn read(response: Response<Body>) -> (u16, Option<String>, String) {
    let (parts, body) = response.into_parts();
    let content_type = parts.headers.get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let text = match body {
        Body::Empty => String::new(),
        Body::Text(t) => t,
        Body::Binary(b) => String::from_utf8_lossy(&b).into_owned(),
        _ => String::new(),
    };
    (parts.status.as_u16(), content_type, text)
}

/// The properties of one answer; returns how it ended, for the outcome counts.
fn check(method: &str, path: &str, response: Response<Body>) -> Result<String, TestCaseError> {
    let (status, content_type, text) = read(response);
    prop_assert!((200..500).contains(&status), "{method} {path} answered {status}: {text}");
    if routes::function_for(method, path).is_none() {
        prop_assert_eq!(status, 404, "{} {} is routed nowhere: {}", method, path, text);
        prop_assert_eq!(text.as_str(), r#"{"message":"Not Found"}"#);
        return Ok("404 unrouted".to_owned());
    }
    if status == 204 {
        prop_assert!(text.is_empty(), "{method} {path}: 204 with a body");
        return Ok("204".to_owned());
    }
    let body: Value = match serde_json::from_str(&text) {
        Ok(body) => body,
        Err(e) => {
            return Err(TestCaseError::fail(format!("{method} {path} answered {status}, not JSON ({e}): {text}")))
        }
    };
    let media = content_type.unwrap_or_default();
    prop_assert!(media.starts_with("application/scim+json"), "{method} {path}: Content-Type {media:?}");
    if status >= 400 {
        prop_assert_eq!(&body["schemas"], &json!([ERROR]), "{} {}: {}", method, path, text);
        prop_assert_eq!(&body["status"], &json!(status.to_string()), "{} {}: {}", method, path, text);
        prop_assert!(body["detail"].is_string(), "{method} {path}: {text}");
        let scim_type = body["scimType"].as_str().unwrap_or("-");
        return Ok(format!("{status} {scim_type}"));
    }
    prop_assert!(body.is_object(), "{method} {path}: {text}");
    Ok(status.to_string())
}

// ---------------------------------------------------------------------------------------------
// The property

#[test]
fn property_request_router() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    let world = RefCell::new(runtime.block_on(World::new()));
    let meter = Meter::new("request router");
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|n| n.trim().parse().ok()).unwrap_or(8_000);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 1_000,
        max_shrink_time: 60_000,
        ..Config::default()
    });
    let result = runner.run(&spec(), |spec| {
        if meter.inputs() > 0 && meter.inputs().is_multiple_of(REQUESTS_PER_APP) {
            world.replace(runtime.block_on(World::new()));
        }
        let world = world.borrow();
        let Some(req) = world.request(&spec) else {
            meter.outcome("not HTTP");
            return Ok(());
        };
        let (method, path) = (req.method().to_string(), req.uri().path().to_owned());
        // Described before `req` moves into the dispatch, in case it is the slowest.
        let what = format!("{method} {} ({:?}, {:?})", req.uri(), spec.auth, spec.body);
        let response = meter.time(|| what, || runtime.block_on(local::dispatch(&world.app, req)));
        meter.outcome(check(&method, &path, response)?);
        Ok(())
    });
    meter.report();
    if let Err(e) = result {
        panic!("{e}");
    }
}
