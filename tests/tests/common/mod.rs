//! Helpers shared by the end-to-end test files: a small SCIM client over reqwest that
//! authenticates as one tenant, an admin API client with one bearer token, a raw HTTP/1.1 client for requests reqwest would normalise,
//! request-body builders in the shapes Okta and Entra send, and assertions on SCIM answers.
//!
//! Every test file includes this module, and none uses all of it.
#![allow(dead_code)]

use std::collections::{BTreeSet, HashSet};
use std::io::{Read, Write};
use std::time::Duration;

use base64::Engine;
use futures::stream::{self, StreamExt};
use reqwest::header::HeaderMap;
use reqwest::Method;
use serde_json::{json, Value};

pub use tests::{Tenant, TestService};

pub const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
pub const SPC: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
pub const RESOURCE_TYPE: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
pub const SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

/// The `Content-Type` Okta puts on request bodies.
pub const OKTA_CONTENT_TYPE: &str = "application/scim+json; charset=utf-8";

/// A client of the admin API with one bearer token; paths are under its base
/// (`…/manage/v1`, or a subscription's `…/manage/v1/subscriptions/<sub>`).
#[derive(Clone)]
pub struct Admin {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Admin {
    /// A client of `svc` with a token of `role` (in `subscription`, which the admin roles need).
    pub fn new(svc: &TestService, role: shared::admin_tokens::Role, subscription: Option<&str>) -> Admin {
        Admin { http: reqwest::Client::new(), base: svc.manage_url(), token: svc.admin_token(role, subscription) }
    }

    /// This client, its paths under the subscription `sub`.
    pub fn within(self, sub: &str) -> Admin {
        Admin { base: format!("{}/subscriptions/{sub}", self.base), ..self }
    }

    /// The status and JSON body (null when empty) of a call.
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.base)).bearer_auth(&self.token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.expect("a response");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("a body");
        (status, if text.is_empty() { Value::Null } else { serde_json::from_str(&text).expect("JSON") })
    }

    /// The body of a call that must answer `status`.
    pub async fn expect(&self, method: Method, path: &str, body: Option<Value>, status: u16) -> Value {
        let (got, answer) = self.call(method.clone(), path, body).await;
        assert_eq!(got, status, "{method} {path}: {answer}");
        answer
    }

    pub async fn get(&self, path: &str) -> Value {
        self.expect(Method::GET, path, None, 200).await
    }

    pub async fn post(&self, path: &str, body: Value, status: u16) -> Value {
        self.expect(Method::POST, path, Some(body), status).await
    }

    /// Every item of a cursor-paged listing (`items`, `next_cursor`); `path` has a query.
    pub async fn all(&self, path: &str) -> Vec<Value> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let after = cursor.map(|c| format!("&cursor={c}")).unwrap_or_default();
            let page = self.get(&format!("{path}{after}")).await;
            items.extend(page["items"].as_array().expect("items").iter().cloned());
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return items,
            }
        }
    }
}

/// A fresh service with one tenant, and a client of that tenant using Basic auth (Okta's).
pub async fn setup() -> (TestService, Scim) {
    let svc = TestService::start().await;
    let tenant = svc.create_tenant("okta", "named").await;
    let scim = Scim::basic(&tenant);
    (svc, scim)
}

/// How a request authenticates.
#[derive(Clone, Debug)]
pub enum Auth {
    /// `Authorization: Basic base64(id:secret)`.
    Basic { id: String, secret: String },
    /// `Authorization: Bearer <token>`.
    Bearer(String),
    /// The `Authorization` header exactly as given.
    Header(String),
    /// No `Authorization` header.
    None,
}

impl Auth {
    pub fn header_value(&self) -> Option<String> {
        match self {
            Auth::Basic { id, secret } => {
                Some(format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))))
            }
            Auth::Bearer(token) => Some(format!("Bearer {token}")),
            Auth::Header(h) => Some(h.clone()),
            Auth::None => None,
        }
    }
}

/// What a request may carry as its body.
pub enum Body {
    Json(Value),
    /// Bytes sent as they are, with this `Content-Type`.
    Raw(Vec<u8>, &'static str),
}

/// A client of one SCIM tenant.
#[derive(Clone)]
pub struct Scim {
    pub http: reqwest::Client,
    /// The tenant URL, without a trailing slash.
    pub url: String,
    pub auth: Auth,
}

fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .user_agent("Okta SCIM Client 1.0.0")
        .no_proxy()
        .build()
        .expect("reqwest client")
}

impl Scim {
    pub fn new(url: &str, auth: Auth) -> Scim {
        Scim { http: http_client(), url: url.trim_end_matches('/').to_string(), auth }
    }

    /// Okta's way: Basic with the client id and secret.
    pub fn basic(t: &Tenant) -> Scim {
        Scim::new(&t.tenant_url, Auth::Basic { id: t.client_id.clone(), secret: t.client_secret.clone() })
    }

    /// Entra's way: the secret as a bearer token.
    pub fn bearer(t: &Tenant) -> Scim {
        Scim::new(&t.tenant_url, Auth::Bearer(t.client_secret.clone()))
    }

    /// The same tenant URL with other credentials.
    pub fn with_auth(&self, auth: Auth) -> Scim {
        Scim { http: self.http.clone(), url: self.url.clone(), auth }
    }

    /// The same credentials against another URL.
    pub fn at(&self, url: &str) -> Scim {
        Scim { http: self.http.clone(), url: url.trim_end_matches('/').to_string(), auth: self.auth.clone() }
    }

    /// Sends `method` to the tenant URL + `path` (which starts with `/` and may carry an
    /// already encoded query string).
    pub async fn send(&self, method: Method, path: &str, body: Option<Body>, headers: &[(&str, &str)]) -> Resp {
        let url = format!("{}{}", self.url, path);
        let mut req = self.http.request(method.clone(), &url).header("Accept", "application/scim+json");
        if let Some(auth) = self.auth.header_value() {
            req = req.header("Authorization", auth);
        }
        match body {
            Some(Body::Json(v)) => {
                req = req.header("Content-Type", OKTA_CONTENT_TYPE).body(serde_json::to_vec(&v).unwrap());
            }
            Some(Body::Raw(bytes, ct)) => {
                req = req.header("Content-Type", ct).body(bytes);
            }
            None => {}
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let what = format!("{method} {path}");
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => panic!("{what}: no HTTP answer: {e:?}"),
        };
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = match resp.text().await {
            Ok(t) => t,
            Err(e) => panic!("{what}: answer {status} with an unreadable body: {e:?}"),
        };
        Resp { what, status, headers, text }
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.send(Method::GET, path, None, &[]).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Resp {
        self.send(Method::POST, path, Some(Body::Json(body.clone())), &[]).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Resp {
        self.send(Method::PUT, path, Some(Body::Json(body.clone())), &[]).await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> Resp {
        self.send(Method::PATCH, path, Some(Body::Json(body.clone())), &[]).await
    }

    pub async fn delete(&self, path: &str) -> Resp {
        self.send(Method::DELETE, path, None, &[]).await
    }

    /// Sends bytes as they are (malformed JSON, oversized bodies, other content types).
    pub async fn send_bytes(&self, method: Method, path: &str, bytes: Vec<u8>, content_type: &'static str) -> Resp {
        self.send(method, path, Some(Body::Raw(bytes, content_type)), &[]).await
    }

    /// POST /Users with a minimal valid body; asserts 201 and returns the user.
    pub async fn create_user(&self, user_name: &str) -> Value {
        self.post("/Users", &minimal_user(user_name)).await.expect(201).json()
    }

    /// POST /Users with Okta's full body; asserts 201 and returns the user.
    pub async fn create_okta_user(&self, user_name: &str) -> Value {
        self.post("/Users", &okta_user(user_name, "Given", "Family")).await.expect(201).json()
    }

    /// POST /Groups as Okta's Group Push does; asserts 201 and returns the group.
    pub async fn create_group(&self, display_name: &str) -> Value {
        self.post("/Groups", &json!({"schemas": [GROUP], "displayName": display_name, "members": []}))
            .await
            .expect(201)
            .json()
    }

    /// Creates `n` users named `{prefix}{i}@example.com` (i = 0..n), `parallel` at a time;
    /// returns their ids in the order of i.
    pub async fn create_users(&self, prefix: &str, n: usize, parallel: usize) -> Vec<String> {
        let results: Vec<(usize, String)> = stream::iter(0..n)
            .map(|i| {
                let scim = self.clone();
                let name = format!("{prefix}{i}@example.com");
                async move { (i, id_of(&scim.create_okta_user(&name).await)) }
            })
            .buffer_unordered(parallel)
            .collect()
            .await;
        let mut results = results;
        results.sort_by_key(|(i, _)| *i);
        results.into_iter().map(|(_, id)| id).collect()
    }

    /// GET `path` (a collection with an encoded query) as a ListResponse; asserts 200 and
    /// the ListResponse shape.
    pub async fn list(&self, path: &str) -> Value {
        let body = self.get(path).await.expect(200).json();
        assert_list_response(&body);
        body
    }

    /// The users a filter finds (first page of 100).
    pub async fn find_users(&self, filter: &str) -> Vec<Value> {
        let body = self.list(&format!("/Users?filter={}&startIndex=1&count=100", enc(filter))).await;
        body["Resources"].as_array().unwrap().clone()
    }

    pub async fn find_groups(&self, filter: &str) -> Vec<Value> {
        let body = self.list(&format!("/Groups?filter={}&startIndex=1&count=100", enc(filter))).await;
        body["Resources"].as_array().unwrap().clone()
    }

    pub async fn users_total(&self) -> u64 {
        self.list("/Users?startIndex=1&count=1").await["totalResults"].as_u64().unwrap()
    }

    pub async fn groups_total(&self) -> u64 {
        self.list("/Groups?startIndex=1&count=1").await["totalResults"].as_u64().unwrap()
    }

    /// Every user id, walking the pages with `count`.
    pub async fn all_user_ids(&self, count: usize) -> Vec<String> {
        let mut ids = Vec::new();
        let mut start = 1;
        loop {
            let page = self.list(&format!("/Users?startIndex={start}&count={count}")).await;
            let got = page["Resources"].as_array().unwrap();
            ids.extend(got.iter().map(id_of));
            let total = page["totalResults"].as_u64().unwrap() as usize;
            if got.is_empty() || start + got.len() > total {
                return ids;
            }
            start += got.len();
        }
    }

    /// The member ids of a group, read with GET /Groups/{id}.
    pub async fn member_ids(&self, group_id: &str) -> BTreeSet<String> {
        let g = self.get(&format!("/Groups/{group_id}")).await.expect(200).json();
        member_set(&g)
    }

    /// Sends a request over a plain socket with the path exactly as given (no normalisation
    /// of `..` or percent escapes), with this client's credentials. `path` is relative to the
    /// tenant URL.
    pub async fn raw(&self, method: &str, path: &str) -> Resp {
        let body = if method == "GET" || method == "DELETE" { None } else { Some(b"{}".to_vec()) };
        self.raw_with_body(method, path, body).await
    }

    /// As [`Scim::raw`], with a body (sent as `application/scim+json`). The answer is read
    /// while the body is still being written, so a server that answers early (413 on a large
    /// body) is heard even if it stops reading.
    pub async fn raw_with_body(&self, method: &str, path: &str, body: Option<Vec<u8>>) -> Resp {
        let url = reqwest::Url::parse(&self.url).expect("tenant url");
        let host = url.host_str().expect("host").to_string();
        let port = url.port_or_known_default().expect("port");
        let full_path = format!("{}{}", url.path().trim_end_matches('/'), path);
        let auth = self.auth.header_value();
        let method = method.to_string();
        tokio::task::spawn_blocking(move || raw_request(&host, port, &method, &full_path, auth.as_deref(), body))
            .await
            .expect("raw request task")
    }
}

fn raw_request(host: &str, port: u16, method: &str, path: &str, auth: Option<&str>, body: Option<Vec<u8>>) -> Resp {
    let what = format!("{method} {path} (raw)");
    let mut stream = std::net::TcpStream::connect((host, port)).unwrap_or_else(|e| panic!("{what}: connect: {e}"));
    stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: application/scim+json\r\nConnection: close\r\n"
    );
    if let Some(a) = auth {
        req.push_str(&format!("Authorization: {a}\r\n"));
    }
    let body = body.unwrap_or_default();
    if !body.is_empty() {
        req.push_str(&format!("Content-Type: application/scim+json\r\nContent-Length: {}\r\n", body.len()));
    }
    req.push_str("\r\n");
    let mut bytes = req.into_bytes();
    bytes.extend_from_slice(&body);
    // Write on another thread; a server that answers and closes early may make the write fail,
    // which is fine as long as its answer arrives.
    let mut writer = stream.try_clone().expect("clone socket");
    let write = std::thread::spawn(move || writer.write_all(&bytes));
    let mut raw = Vec::new();
    let read = stream.read_to_end(&mut raw);
    let _ = write.join();
    if let Err(e) = read {
        if raw.is_empty() {
            panic!("{what}: no HTTP answer: {e}");
        }
    }
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or_else(|| panic!("{what}: no header end"));
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut body = raw[split + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{what}: bad status line {status_line:?}"));
    let mut headers = HeaderMap::new();
    for line in lines {
        if let Some((k, v)) = line.split_once(':') {
            if let (Ok(k), Ok(v)) = (
                reqwest::header::HeaderName::from_bytes(k.trim().as_bytes()),
                reqwest::header::HeaderValue::from_str(v.trim()),
            ) {
                headers.append(k, v);
            }
        }
    }
    let chunked = headers
        .get("transfer-encoding")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"));
    if chunked {
        body = dechunk(&body);
    }
    Resp { what, status, headers, text: String::from_utf8_lossy(&body).to_string() }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = data.windows(2).position(|w| w == b"\r\n") else { return out };
        let size_text = String::from_utf8_lossy(&data[..eol]).to_string();
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("0").trim(), 16).unwrap_or(0);
        if size == 0 {
            return out;
        }
        let start = eol + 2;
        let end = (start + size).min(data.len());
        out.extend_from_slice(&data[start..end]);
        data = &data[(end + 2).min(data.len())..];
    }
}

/// An HTTP answer, read whole.
#[derive(Debug)]
pub struct Resp {
    /// `METHOD path`, for failure messages.
    pub what: String,
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
}

impl Resp {
    /// Asserts the status; on a mismatch the panic shows the body.
    #[track_caller]
    pub fn expect(self, status: u16) -> Resp {
        assert_eq!(
            self.status, status,
            "{}: expected {status}, got {} with body {}",
            self.what, self.status, self.text
        );
        self
    }

    /// The body as JSON (panics with the text when it is not JSON).
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("{}: body is not JSON ({e}): {:?}", self.what, self.text))
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).map(|v| v.to_str().unwrap_or_default().to_string())
    }

    /// Asserts `Content-Type: application/scim+json` (parameters allowed).
    #[track_caller]
    pub fn assert_scim_json(&self) {
        let ct = self.header("content-type").unwrap_or_default();
        assert!(
            ct.to_ascii_lowercase().starts_with("application/scim+json"),
            "{}: Content-Type is {ct:?}, expected application/scim+json",
            self.what
        );
    }

    /// Asserts a SCIM Error answer with this status: Error schema, `status` as a string,
    /// a `detail`, the SCIM content type. Returns the body.
    #[track_caller]
    pub fn expect_scim_error(&self, status: u16) -> Value {
        assert_eq!(
            self.status, status,
            "{}: expected {status}, got {} with body {}",
            self.what, self.status, self.text
        );
        self.assert_scim_json();
        let body = self.json();
        assert_eq!(body["schemas"], json!([ERROR]), "{}: error schemas: {body}", self.what);
        assert_eq!(body["status"], json!(status.to_string()), "{}: error status must be a string: {body}", self.what);
        assert!(body.get("detail").is_some_and(Value::is_string), "{}: error without a detail: {body}", self.what);
        body
    }

    /// As [`Resp::expect_scim_error`], and `scimType` is exactly `scim_type` (RFC 7644 §3.12).
    #[track_caller]
    pub fn expect_scim_type(&self, status: u16, scim_type: &str) -> Value {
        let body = self.expect_scim_error(status);
        assert_eq!(body["scimType"], json!(scim_type), "{}: scimType: {body}", self.what);
        body
    }

    /// Asserts the ETag header is a weak etag equal to the body's `meta.version`.
    #[track_caller]
    pub fn assert_etag_matches_version(&self) -> String {
        let etag = self.header("etag").unwrap_or_else(|| panic!("{}: no ETag header", self.what));
        assert!(etag.starts_with("W/\""), "{}: ETag {etag:?} is not a weak etag", self.what);
        let body = self.json();
        assert_eq!(body["meta"]["version"], json!(etag), "{}: ETag differs from meta.version", self.what);
        etag
    }
}

/// Asserts the ListResponse shape: schema, integer paging fields, `Resources` an array whose
/// length is `itemsPerPage`.
#[track_caller]
pub fn assert_list_response(body: &Value) {
    assert_eq!(body["schemas"], json!([LIST_RESPONSE]), "ListResponse schemas: {body}");
    for k in ["totalResults", "startIndex", "itemsPerPage"] {
        assert!(body[k].is_u64(), "{k} must be a non-negative integer: {body}");
    }
    let resources = body["Resources"].as_array().unwrap_or_else(|| panic!("Resources must be an array: {body}"));
    assert_eq!(body["itemsPerPage"].as_u64().unwrap() as usize, resources.len(), "itemsPerPage: {body}");
    assert!(
        resources.len() as u64 <= body["totalResults"].as_u64().unwrap(),
        "more Resources than totalResults: {body}"
    );
    for r in resources {
        assert_no_password(r);
    }
}

/// Asserts no key named `password` (any case) anywhere in `v`.
#[track_caller]
pub fn assert_no_password(v: &Value) {
    fn walk(v: &Value) -> bool {
        match v {
            Value::Object(m) => m.iter().any(|(k, v)| k.eq_ignore_ascii_case("password") || walk(v)),
            Value::Array(a) => a.iter().any(walk),
            _ => false,
        }
    }
    assert!(!walk(v), "password returned: {v}");
}

#[track_caller]
pub fn id_of(v: &Value) -> String {
    v["id"].as_str().unwrap_or_else(|| panic!("no id in {v}")).to_string()
}

/// The `value`s of a group's `members` (empty when absent).
pub fn member_set(group: &Value) -> BTreeSet<String> {
    group["members"]
        .as_array()
        .map(|a| a.iter().map(|m| m["value"].as_str().expect("member value").to_string()).collect())
        .unwrap_or_default()
}

pub fn set<I: IntoIterator<Item = S>, S: Into<String>>(items: I) -> BTreeSet<String> {
    items.into_iter().map(Into::into).collect()
}

/// Asserts that `ids` has no repeat.
#[track_caller]
pub fn assert_unique(ids: &[String]) {
    let mut seen = HashSet::new();
    for id in ids {
        assert!(seen.insert(id), "id {id} repeated");
    }
}

/// Percent-encodes a query-parameter value (everything but RFC 3986 unreserved characters
/// and parentheses).
pub fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'(' | b')' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A PatchOp message.
pub fn patch_op(ops: Value) -> Value {
    json!({"schemas": [PATCH_OP], "Operations": ops})
}

/// The smallest valid user.
pub fn minimal_user(user_name: &str) -> Value {
    json!({"schemas": [USER], "userName": user_name})
}

/// The body Okta sends on create: every mapped attribute, a random password, `groups: []`,
/// enterprise-extension attributes.
pub fn okta_user(user_name: &str, given: &str, family: &str) -> Value {
    json!({
        "schemas": [USER, ENTERPRISE],
        "userName": user_name,
        "name": {"givenName": given, "familyName": family},
        "emails": [{"primary": true, "value": user_name, "type": "work"}],
        "displayName": format!("{given} {family}"),
        "locale": "en-US",
        "externalId": format!("00u-{user_name}"),
        "groups": [],
        "password": "tH1s-is-R@ndom-9f8e7d",
        "active": true,
        ENTERPRISE: {
            "employeeNumber": "4242",
            "department": "Engineering",
            "costCenter": "CC-17",
            "organization": "Acme",
            "division": "R&D"
        }
    })
}

/// The case variants of `s` given by the bits of `mask` over its ASCII letters.
pub fn case_variant(s: &str, mask: u32) -> String {
    let mut bit = 0;
    s.chars()
        .map(|c| {
            if c.is_ascii_alphabetic() && bit < 32 {
                let up = mask & (1 << bit) != 0;
                bit += 1;
                if up {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                }
            } else {
                c
            }
        })
        .collect()
}
