//! Benchmark (not a test): how long the worst-case requests take — for each endpoint the
//! largest body the edge accepts in its costliest shape (`tests::worst_case`, the list the
//! `worst_case` test checks the answers of). Prints each case's body size, answer and time
//! (median and slowest of its runs), then the slowest request of all. Goal: under 100 ms.
//!
//! ```text
//! cargo bench -p tests --bench worst_case                 # in-process, in-memory SQLite
//! cargo bench -p tests --bench worst_case -- --runs 10
//! SCIM_TEST_STORE=dynamodb SCIM_TEST_DYNAMODB_ENDPOINT=http://127.0.0.1:PORT cargo bench -p tests --bench worst_case
//! ```
//!
//! Each run of a case gets a fresh fixture (a user holding 4,000 emails, a group); only the
//! worst-case request itself is timed, from sending it to having read the whole answer.
//! Last, the longest filter is timed over as many users as a filter may examine (10,000):
//! the scan's worst case, too slow to set up in the test suite on moto.

use std::time::{Duration, Instant};

use base64::Engine;
use reqwest::Method;
use serde_json::Value;
use tests::worst_case::{fixture_group, fixture_user, longest_filter_text, Fixture, CASES};
use tests::{TestService, TestStore};

struct Client {
    http: reqwest::Client,
    base: String,
    authorization: String,
}

impl Client {
    async fn send(&self, method: &str, path: &str, body: Vec<u8>) -> (u16, Vec<u8>, Duration) {
        let method = Method::from_bytes(method.as_bytes()).expect("a method");
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header("Authorization", &self.authorization)
            .header("Accept", "application/scim+json");
        if !body.is_empty() {
            request = request.header("Content-Type", "application/scim+json").body(body);
        }
        let started = Instant::now();
        let response = request.send().await.expect("an answer");
        let status = response.status().as_u16();
        let body = response.bytes().await.expect("the whole answer").to_vec();
        (status, body, started.elapsed())
    }

    async fn post(&self, path: &str, body: &Value) -> Value {
        let (status, answer, _) = self.send("POST", path, serde_json::to_vec(body).expect("JSON")).await;
        assert_eq!(status, 201, "{path}: {}", String::from_utf8_lossy(&answer));
        serde_json::from_slice(&answer).expect("a JSON answer")
    }

    async fn delete(&self, path: &str) {
        let (status, answer, _) = self.send("DELETE", path, Vec::new()).await;
        assert_eq!(status, 204, "{path}: {}", String::from_utf8_lossy(&answer));
    }
}

fn id(resource: &Value) -> String {
    resource["id"].as_str().expect("an id").to_owned()
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn runs_from_args() -> usize {
    let mut args = std::env::args().skip(1);
    let mut runs = 5;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--runs" => runs = args.next().and_then(|n| n.parse().ok()).expect("--runs N"),
            // cargo bench passes --bench to every benchmark binary.
            "--bench" => {}
            other => panic!("worst_case [--runs N]: unknown argument {other}"),
        }
    }
    runs.max(1)
}

#[tokio::main]
async fn main() {
    let runs = runs_from_args();
    let svc = TestService::start().await;
    let tenant = svc.create_tenant("bench", "named").await;
    let credentials = format!("{}:{}", tenant.client_id, tenant.client_secret);
    let client = Client {
        http: reqwest::Client::new(),
        base: tenant.tenant_url.clone(),
        authorization: format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(credentials)),
    };
    let store = match TestStore::from_env() {
        TestStore::Embedded => "embedded (in-memory SQLite)",
        TestStore::DynamoDb => "DynamoDB (moto)",
    };
    println!("worst-case requests, {runs} runs each, in-process service on {store}, release build");
    println!("{:<68} {:>9} {:>6} {:>10} {:>10}", "case", "body B", "status", "median ms", "max ms");

    let mut slowest = (Duration::ZERO, "");
    for case in CASES {
        let mut times = Vec::with_capacity(runs);
        let mut last = (0, 0);
        for _ in 0..runs {
            let user = client.post("/Users", &fixture_user("fixture@example.com")).await;
            let group = client.post("/Groups", &fixture_group("Fixture Group", &id(&user))).await;
            let fixture = Fixture { user_id: id(&user), group_id: id(&group) };
            let request = (case.request)(&fixture);
            let (status, _, took) = client.send(request.method, &request.path, request.body.clone()).await;
            assert_eq!(status, request.status, "{}: answered {status}", case.name);
            last = (request.body.len(), status);
            times.push(took);
            client.delete(&format!("/Groups/{}", fixture.group_id)).await;
            client.delete(&format!("/Users/{}", fixture.user_id)).await;
            let (_, others, _) = client.send("GET", "/Users?count=1000", Vec::new()).await;
            let others: Value = serde_json::from_slice(&others).expect("a list");
            for other in others["Resources"].as_array().into_iter().flatten() {
                client.delete(&format!("/Users/{}", id(other))).await;
            }
        }
        times.sort();
        let (median, max) = (times[times.len() / 2], times[times.len() - 1]);
        if max > slowest.0 {
            slowest = (max, case.name);
        }
        println!("{:<68} {:>9} {:>6} {:>10.1} {:>10.1}", case.name, last.0, last.1, millis(median), millis(max));
    }

    let scan = "GET /Users: the longest filter over 10,000 users (every one examined)";
    let users = shared::directory::MAX_FILTER_SCAN;
    let created = std::sync::atomic::AtomicUsize::new(0);
    let workers = (0..8).map(|_| async {
        loop {
            let i = created.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            if i >= users {
                break;
            }
            let body = serde_json::json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": format!("scan-{i:05}@example.com"),
                "name": {"givenName": "Scan", "familyName": format!("User {i}")},
                "emails": [{"value": format!("scan-{i:05}@example.com"), "type": "work", "primary": true}],
            });
            client.post("/Users", &body).await;
        }
    });
    futures::future::join_all(workers).await;
    let query: String = longest_filter_text().bytes().map(|b| format!("%{b:02X}")).collect();
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let (status, answer, took) = client.send("GET", &format!("/Users?filter={query}&count=1000"), Vec::new()).await;
        assert_eq!(status, 200, "{scan}: {}", String::from_utf8_lossy(&answer));
        times.push(took);
    }
    times.sort();
    let (median, max) = (times[times.len() / 2], times[times.len() - 1]);
    if max > slowest.0 {
        slowest = (max, scan);
    }
    println!("{:<68} {:>9} {:>6} {:>10.1} {:>10.1}", scan, 0, 200, millis(median), millis(max));
    println!("slowest request: {:.1} ms ({})", millis(slowest.0), slowest.1);
}
