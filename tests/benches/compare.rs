//! Benchmark (not a test): the request kinds of an Okta import and its upkeep, each for a
//! fixed time with a fixed number of connections, against SCIM services named on the command
//! line, one after the other in one run; prints requests/s, p50 and p99 of each, and each
//! service's ratio to the last one named. `scripts/bench-compare` runs it against `local-api`
//! and the reference Python server (scim2-server); see there.
//!
//! ```text
//! cargo bench -p tests --bench compare -- [--seconds N] [--connections N] [--only KIND] \
//!     NAME=BASE_URL[@AUTHORIZATION_FILE] ...
//! ```
//!
//! `--only` runs one request kind (its name as printed, or a word of it: `create`), say under
//! a profiler.
//!
//! BASE_URL is where `/Users` and `/Groups` are (a tenant URL); AUTHORIZATION_FILE, if given,
//! holds the Authorization header's value (kept off the command line). Each service is seeded
//! with 1,000 users and a group of all of them first.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt};
use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::{json, Value};

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const SEEDED: usize = 1000;

/// A SCIM service under test.
struct Service {
    name: String,
    base: String,
    authorization: Option<String>,
}

/// One kind of request, as a connection sends its `n`th one.
#[derive(Clone, Copy)]
enum Kind {
    GetById,
    UserNameLookup,
    PageOf100,
    DeactivateReactivate,
    Create,
    MemberAdd,
}

impl Kind {
    const ALL: [Kind; 6] = [
        Kind::GetById,
        Kind::UserNameLookup,
        Kind::PageOf100,
        Kind::DeactivateReactivate,
        Kind::Create,
        Kind::MemberAdd,
    ];

    fn name(self) -> &'static str {
        match self {
            Kind::GetById => "get by id",
            Kind::UserNameLookup => "userName lookup",
            Kind::PageOf100 => "page of 100",
            Kind::DeactivateReactivate => "deactivate/reactivate PATCH",
            Kind::Create => "create",
            Kind::MemberAdd => "member add to a 1,000-member group",
        }
    }
}

/// What a service holds once seeded, and what the writes go on with.
struct Seeded {
    users: Vec<String>,
    group: String,
    /// Users made by the `create` runs, which `member add` adds to the group.
    created: std::sync::Mutex<Vec<String>>,
    next_added: AtomicUsize,
}

/// The figures of one kind on one service.
struct Figures {
    requests: usize,
    errors: usize,
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
}

fn usage() -> ! {
    eprintln!("usage: compare [--seconds N] [--connections N] [--only KIND] NAME=BASE_URL[@AUTHORIZATION_FILE] ...");
    std::process::exit(2)
}

#[tokio::main]
async fn main() {
    let (mut seconds, mut connections, mut services) = (5u64, 16usize, Vec::new());
    let mut kinds = Kind::ALL.to_vec();
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--seconds" => seconds = args.next().and_then(|v| v.parse().ok()).unwrap_or_else(|| usage()),
            "--connections" => connections = args.next().and_then(|v| v.parse().ok()).unwrap_or_else(|| usage()),
            "--only" => {
                let only = args.next().unwrap_or_else(|| usage());
                kinds.retain(|k| k.name().contains(only.as_str()));
            }
            spec => {
                let (name, rest) = spec.split_once('=').unwrap_or_else(|| usage());
                let (base, file) = match rest.split_once('@') {
                    Some((base, file)) => (base, Some(file)),
                    None => (rest, None),
                };
                let authorization =
                    file.map(|f| std::fs::read_to_string(f).unwrap_or_else(|e| panic!("{f}: {e}")).trim().to_owned());
                services.push(Service {
                    name: name.to_owned(),
                    base: base.trim_end_matches('/').to_owned(),
                    authorization,
                });
            }
        }
    }
    if services.is_empty() {
        usage();
    }
    let run = Duration::from_secs(seconds);
    println!("{connections} connections, {seconds} s per request kind, {SEEDED} users seeded\n");
    let mut results: Vec<Vec<Figures>> = Vec::new();
    for service in &services {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(connections)
            .timeout(Duration::from_secs(30))
            .build()
            .expect("an HTTP client");
        let seeded = Arc::new(seed(&http, service, connections).await);
        let mut figures = Vec::new();
        for &kind in &kinds {
            figures.push(measure(&http, service, &seeded, kind, connections, run).await);
        }
        results.push(figures);
    }

    let mut header = String::from("| request |");
    let mut rule = String::from("|---|");
    for service in &services {
        header.push_str(&format!(" {0} req/s | {0} p50 ms | {0} p99 ms |", service.name));
        rule.push_str("---|---|---|");
    }
    let reference = services.last().map(|s| s.name.clone()).unwrap_or_default();
    for service in &services[..services.len() - 1] {
        header.push_str(&format!(" {} / {reference} |", service.name));
        rule.push_str("---|");
    }
    println!("{header}\n{rule}");
    for (k, kind) in kinds.iter().enumerate() {
        let mut row = format!("| {} |", kind.name());
        for figures in &results {
            let f = &figures[k];
            let errors = if f.errors > 0 { format!(" ({} errors of {})", f.errors, f.requests) } else { String::new() };
            row.push_str(&format!(" {:.0}{errors} | {:.2} | {:.2} |", f.per_second, f.p50_ms, f.p99_ms));
        }
        let last = &results[results.len() - 1][k];
        for figures in &results[..results.len() - 1] {
            row.push_str(&format!(" {:.1}× |", figures[k].per_second / last.per_second.max(f64::MIN_POSITIVE)));
        }
        println!("{row}");
    }
}

/// What the client reads of an answer. Everything else is skipped unread (no value is built),
/// so the client, on the same cores as the servers, takes as little of them as it can.
#[derive(Deserialize, Default)]
struct Answer {
    id: Option<String>,
    #[serde(rename = "totalResults")]
    total_results: Option<u64>,
    #[serde(rename = "Resources")]
    resources: Option<Vec<IgnoredAny>>,
}

/// Sends one request; its status and answer (0 and nothing when it could not be sent).
async fn send(
    http: &reqwest::Client,
    service: &Service,
    method: reqwest::Method,
    path: &str,
    body: Option<&Value>,
) -> (u16, bytes::Bytes) {
    let mut request = http.request(method, format!("{}{path}", service.base));
    if let Some(authorization) = &service.authorization {
        request = request.header("authorization", authorization);
    }
    if let Some(body) = body {
        request = request.header("content-type", "application/scim+json").body(body.to_string());
    }
    match request.send().await {
        Ok(resp) => (resp.status().as_u16(), resp.bytes().await.unwrap_or_default()),
        Err(_) => (0, bytes::Bytes::new()),
    }
}

fn read(body: &[u8]) -> Answer {
    serde_json::from_slice(body).unwrap_or_default()
}

fn shown(body: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(body)
}

fn user(name: &str) -> Value {
    json!({"schemas": [USER], "userName": name, "name": {"givenName": "Bench", "familyName": "User"},
           "emails": [{"value": name, "type": "work", "primary": true}], "active": true})
}

/// 1,000 users and a group of all of them.
async fn seed(http: &reqwest::Client, service: &Service, connections: usize) -> Seeded {
    let users: Vec<String> = stream::iter(0..SEEDED)
        .map(|i| async move {
            let (status, body) =
                send(http, service, reqwest::Method::POST, "/Users", Some(&user(&format!("seed{i}@example.com"))))
                    .await;
            assert_eq!(status, 201, "{}: seeding user {i}: {}", service.name, shown(&body));
            read(&body).id.expect("an id")
        })
        .buffered(connections)
        .collect()
        .await;
    let (status, body) = send(
        http,
        service,
        reqwest::Method::POST,
        "/Groups",
        Some(&json!({"schemas": [GROUP], "displayName": "everyone"})),
    )
    .await;
    assert_eq!(status, 201, "{}: the group: {}", service.name, shown(&body));
    let group = read(&body).id.expect("a group id");
    for chunk in users.chunks(100) {
        let members: Vec<Value> = chunk.iter().map(|id| json!({"value": id})).collect();
        let patch = json!({"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "members", "value": members}]});
        let (status, body) =
            send(http, service, reqwest::Method::PATCH, &format!("/Groups/{group}"), Some(&patch)).await;
        assert!(matches!(status, 200 | 204), "{}: filling the group: {status} {}", service.name, shown(&body));
    }
    Seeded { users, group, created: std::sync::Mutex::new(Vec::new()), next_added: AtomicUsize::new(0) }
}

/// Runs `kind` on `connections` connections for `run`.
async fn measure(
    http: &reqwest::Client,
    service: &Service,
    seeded: &Arc<Seeded>,
    kind: Kind,
    connections: usize,
    run: Duration,
) -> Figures {
    let started = Instant::now();
    let per_connection = futures::future::join_all((0..connections).map(|c| async move {
        let (mut latencies, mut errors, mut n) = (Vec::new(), 0usize, 0usize);
        while started.elapsed() < run {
            let sent = Instant::now();
            let ok = one(http, service, seeded, kind, c, connections, n).await;
            latencies.push(sent.elapsed());
            errors += usize::from(!ok);
            n += 1;
        }
        (latencies, errors)
    }))
    .await;
    let elapsed = started.elapsed();
    let errors = per_connection.iter().map(|(_, e)| e).sum();
    let mut latencies: Vec<Duration> = per_connection.into_iter().flat_map(|(l, _)| l).collect();
    latencies.sort();
    let at = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    Figures {
        requests: latencies.len(),
        errors,
        per_second: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50_ms: at(0.5),
        p99_ms: at(0.99),
    }
}

/// Connection `c`'s `n`th request of `kind`; whether it got the answer it should.
async fn one(
    http: &reqwest::Client,
    service: &Service,
    seeded: &Seeded,
    kind: Kind,
    c: usize,
    connections: usize,
    n: usize,
) -> bool {
    // Each connection works on its own users, so that no two writes race on one resource.
    let mine = |n: usize| (c + n * connections) % SEEDED;
    let (status, body) = match kind {
        Kind::GetById => {
            send(http, service, reqwest::Method::GET, &format!("/Users/{}", seeded.users[mine(n)]), None).await
        }
        Kind::UserNameLookup => {
            let path = format!("/Users?filter=userName%20eq%20%22seed{}%40example.com%22", mine(n));
            let (status, body) = send(http, service, reqwest::Method::GET, &path, None).await;
            return status == 200 && read(&body).total_results == Some(1);
        }
        Kind::PageOf100 => {
            let path = format!("/Users?startIndex={}&count=100", 1 + (mine(n) % 9) * 100);
            let (status, body) = send(http, service, reqwest::Method::GET, &path, None).await;
            return status == 200 && read(&body).resources.is_some_and(|r| r.len() == 100);
        }
        Kind::DeactivateReactivate => {
            // A user's deactivation, then its reactivation: n and n + 1 name the same user.
            let id = &seeded.users[mine(n / 2)];
            let patch =
                json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": n % 2 == 1}}]});
            send(http, service, reqwest::Method::PATCH, &format!("/Users/{id}"), Some(&patch)).await
        }
        Kind::Create => {
            let (status, body) =
                send(http, service, reqwest::Method::POST, "/Users", Some(&user(&format!("new-{c}-{n}@example.com"))))
                    .await;
            if let Some(id) = read(&body).id {
                seeded.created.lock().unwrap_or_else(|p| p.into_inner()).push(id);
            }
            return status == 201;
        }
        Kind::MemberAdd => {
            let next = seeded.next_added.fetch_add(1, Ordering::Relaxed);
            let created = seeded.created.lock().unwrap_or_else(|p| p.into_inner()).get(next).cloned();
            // Past the users the creates made, an add of a member already in (answered the same).
            let id = created.unwrap_or_else(|| seeded.users[mine(n)].clone());
            let patch = json!({"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "members", "value": [{"value": id}]}]});
            send(http, service, reqwest::Method::PATCH, &format!("/Groups/{}", seeded.group), Some(&patch)).await
        }
    };
    let _ = body;
    (200..300).contains(&status)
}
