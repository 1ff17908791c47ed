//! Benchmark (not a test): Okta's provisioning lifecycle, user by user, with bounded
//! concurrency; prints requests/s and p50/p99 latency per operation and overall.
//!
//! ```text
//! cargo bench -p tests --bench okta_lifecycle                       # in-process service
//! cargo bench -p tests --bench okta_lifecycle -- --users 200 --workers 4
//! cargo bench -p tests --bench okta_lifecycle -- --url http://127.0.0.1:3000/scim/v2/<tenant> \
//!     --client-id <id> --client-secret <secret>                     # a running local-api
//! ```
//!
//! Every option also reads an environment variable: BENCH_USERS (500), BENCH_WORKERS (8),
//! BENCH_MAX_SECONDS (300), BENCH_URL, BENCH_CLIENT_ID, BENCH_CLIENT_SECRET. Traffic only
//! goes to loopback addresses; the run stops after the users are done or the time is up.
//!
//! Per user: lookup, create, get, PUT, deactivate, reactivate; then one group: lookup,
//! create, rename, member add, member remove, delete. 12 requests.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;
use reqwest::Method;
use serde_json::{json, Value};

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

const OPS: [&str; 12] = [
    "user lookup",
    "user create",
    "user get",
    "user put",
    "user deactivate",
    "user reactivate",
    "group lookup",
    "group create",
    "group rename",
    "member add",
    "member remove",
    "group delete",
];

struct Config {
    users: usize,
    workers: usize,
    max_seconds: u64,
    url: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

fn usage() -> ! {
    eprintln!(
        "okta_lifecycle [--users N] [--workers N] [--max-seconds N] \
         [--url TENANT_URL --client-id ID --client-secret SECRET]\n\
         env: BENCH_USERS BENCH_WORKERS BENCH_MAX_SECONDS BENCH_URL BENCH_CLIENT_ID BENCH_CLIENT_SECRET"
    );
    std::process::exit(2)
}

fn parse_config() -> Config {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let num = |k: &str, v: Option<String>, default: u64| -> u64 {
        v.map(|s| s.parse().unwrap_or_else(|_| panic!("{k}: not a number: {s}"))).unwrap_or(default)
    };
    let mut users = env("BENCH_USERS");
    let mut workers = env("BENCH_WORKERS");
    let mut max_seconds = env("BENCH_MAX_SECONDS");
    let mut url = env("BENCH_URL");
    let mut client_id = env("BENCH_CLIENT_ID");
    let mut client_secret = env("BENCH_CLIENT_SECRET");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let (key, inline) = match a.split_once('=') {
            Some((k, v)) => (k.to_string(), Some(v.to_string())),
            None => (a.clone(), None),
        };
        let slot = match key.as_str() {
            "--users" => &mut users,
            "--workers" => &mut workers,
            "--max-seconds" => &mut max_seconds,
            "--url" => &mut url,
            "--client-id" => &mut client_id,
            "--client-secret" => &mut client_secret,
            "--help" | "-h" => usage(),
            // `cargo bench` passes `--bench`; ignore it and anything else unknown.
            _ => continue,
        };
        *slot = Some(inline.or_else(|| args.next()).unwrap_or_else(|| usage()));
    }
    let config = Config {
        users: num("users", users, 500) as usize,
        workers: num("workers", workers, 8).max(1) as usize,
        max_seconds: num("max-seconds", max_seconds, 300),
        url,
        client_id,
        client_secret,
    };
    if config.url.is_some() && config.client_secret.is_none() {
        eprintln!("--url needs --client-secret (and --client-id for Basic auth; without it, Bearer)");
        usage();
    }
    config
}

/// Refuses anything but a loopback address: this benchmark never sends traffic elsewhere.
fn check_loopback(url: &str) {
    let parsed = reqwest::Url::parse(url).unwrap_or_else(|e| panic!("bad --url {url}: {e}"));
    let host = parsed.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']');
    let ok =
        host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if !ok {
        eprintln!("refusing {url}: the benchmark only targets loopback addresses (127.0.0.0/8, ::1, localhost)");
        std::process::exit(2);
    }
}

#[derive(Clone)]
struct Client {
    http: reqwest::Client,
    url: String,
    auth: String,
}

/// One request's outcome: which operation, how long, whether the status was the expected one.
struct Sample {
    op: usize,
    latency: Duration,
    ok: bool,
}

impl Client {
    async fn call(
        &self,
        samples: &mut Vec<Sample>,
        op: usize,
        method: Method,
        path: &str,
        body: Option<&Value>,
        expect: u16,
    ) -> Option<Value> {
        let mut req = self
            .http
            .request(method, format!("{}{}", self.url, path))
            .header("Authorization", &self.auth)
            .header("Accept", "application/scim+json");
        if let Some(b) = body {
            req =
                req.header("Content-Type", "application/scim+json; charset=utf-8").body(serde_json::to_vec(b).unwrap());
        }
        let start = Instant::now();
        let result = match req.send().await {
            Ok(resp) => {
                let status = resp.status().as_u16();
                let bytes = resp.bytes().await.ok();
                (status, bytes)
            }
            Err(_) => (0, None),
        };
        let latency = start.elapsed();
        let ok = result.0 == expect;
        samples.push(Sample { op, latency, ok });
        if !ok {
            if samples.iter().filter(|s| !s.ok).count() <= 3 {
                let text = result.1.as_ref().map(|b| String::from_utf8_lossy(b).chars().take(300).collect::<String>());
                eprintln!("{}: expected {expect}, got {} {}", OPS[op], result.0, text.unwrap_or_default());
            }
            return None;
        }
        match result.1 {
            Some(b) if !b.is_empty() => serde_json::from_slice(&b).ok().or(Some(Value::Null)),
            _ => Some(Value::Null),
        }
    }
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn patch(ops: Value) -> Value {
    json!({"schemas": [PATCH_OP], "Operations": ops})
}

/// One user's Okta lifecycle and one group push. Stops at the first failed step (the later
/// steps depend on it).
async fn lifecycle(c: &Client, run: &str, i: usize, samples: &mut Vec<Sample>) {
    let user_name = format!("bench.{run}.{i}@example.com");
    let lookup = format!("/Users?filter={}&startIndex=1&count=100", enc(&format!("userName eq \"{user_name}\"")));
    if c.call(samples, 0, Method::GET, &lookup, None, 200).await.is_none() {
        return;
    }
    let body = json!({
        "schemas": [USER, ENTERPRISE],
        "userName": user_name,
        "name": {"givenName": "Bench", "familyName": format!("User{i}")},
        "emails": [{"primary": true, "value": user_name, "type": "work"}],
        "displayName": format!("Bench User{i}"),
        "locale": "en-US",
        "externalId": format!("00u-bench-{run}-{i}"),
        "groups": [],
        "password": "B3nch-R@ndom-Password",
        "active": true,
        ENTERPRISE: {"department": "Benchmarks", "employeeNumber": i.to_string()}
    });
    let Some(created) = c.call(samples, 1, Method::POST, "/Users", Some(&body), 201).await else { return };
    let Some(id) = created["id"].as_str().map(str::to_string) else { return };
    let user_path = format!("/Users/{id}");
    let Some(mut user) = c.call(samples, 2, Method::GET, &user_path, None, 200).await else { return };
    user["name"]["familyName"] = json!(format!("User{i}-updated"));
    user["password"] = json!("An0ther-R@ndom-Password");
    if c.call(samples, 3, Method::PUT, &user_path, Some(&user), 200).await.is_none() {
        return;
    }
    let deactivate = patch(json!([{"op": "replace", "value": {"active": false}}]));
    if c.call(samples, 4, Method::PATCH, &user_path, Some(&deactivate), 200).await.is_none() {
        return;
    }
    let reactivate = patch(json!([{"op": "replace", "value": {"active": true}}]));
    if c.call(samples, 5, Method::PATCH, &user_path, Some(&reactivate), 200).await.is_none() {
        return;
    }

    let group_name = format!("Bench Group {run} {i}");
    let lookup = format!("/Groups?filter={}&startIndex=1&count=100", enc(&format!("displayName eq \"{group_name}\"")));
    if c.call(samples, 6, Method::GET, &lookup, None, 200).await.is_none() {
        return;
    }
    let body = json!({"schemas": [GROUP], "displayName": group_name, "members": []});
    let Some(group) = c.call(samples, 7, Method::POST, "/Groups", Some(&body), 201).await else { return };
    let Some(gid) = group["id"].as_str().map(str::to_string) else { return };
    let group_path = format!("/Groups/{gid}");
    let rename =
        patch(json!([{"op": "replace", "value": {"id": gid, "displayName": format!("{group_name} renamed")}}]));
    if c.call(samples, 8, Method::PATCH, &group_path, Some(&rename), 204).await.is_none() {
        return;
    }
    let add = patch(json!([{"op": "add", "path": "members", "value": [{"value": id, "display": user_name}]}]));
    if c.call(samples, 9, Method::PATCH, &group_path, Some(&add), 204).await.is_none() {
        return;
    }
    let remove = patch(json!([{"op": "remove", "path": format!("members[value eq \"{id}\"]")}]));
    if c.call(samples, 10, Method::PATCH, &group_path, Some(&remove), 204).await.is_none() {
        return;
    }
    c.call(samples, 11, Method::DELETE, &group_path, None, 204).await;
}

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

fn main() {
    let config = parse_config();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime");
    let code = runtime.block_on(run(config));
    std::process::exit(code);
}

async fn run(config: Config) -> i32 {
    // Keep the in-process service alive for the whole run.
    let mut _service = None;
    let (url, auth, target) = match &config.url {
        Some(url) => {
            check_loopback(url);
            let secret = config.client_secret.clone().unwrap();
            let auth = match &config.client_id {
                Some(id) => {
                    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}")))
                }
                None => format!("Bearer {secret}"),
            };
            (url.trim_end_matches('/').to_string(), auth, format!("local-api at {url}"))
        }
        None => {
            let svc = tests::TestService::start().await;
            let tenant = svc.create_tenant("bench", "named").await;
            let auth = format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD
                    .encode(format!("{}:{}", tenant.client_id, tenant.client_secret))
            );
            _service = Some(svc);
            let store = match tests::TestStore::from_env() {
                tests::TestStore::Embedded => "in-memory store",
                tests::TestStore::DynamoDb => "DynamoDB on moto",
            };
            (tenant.tenant_url.clone(), auth, format!("in-process TestService ({store})"))
        }
    };
    check_loopback(&url);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(config.workers)
        .no_proxy()
        .user_agent("Okta SCIM Client 1.0.0")
        .build()
        .expect("http client");
    let client = Client { http, url, auth };
    let run_id = format!("{:x}", SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() % (1 << 40));

    println!(
        "okta_lifecycle: {target}; {} users, {} workers, at most {} s, 12 requests per user",
        config.users, config.workers, config.max_seconds
    );
    let next = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs(config.max_seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..config.workers {
        let (client, next, run_id) = (client.clone(), next.clone(), run_id.clone());
        let users = config.users;
        tasks.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            let mut done = 0usize;
            loop {
                if Instant::now() >= deadline {
                    break;
                }
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= users {
                    break;
                }
                lifecycle(&client, &run_id, i, &mut samples).await;
                done += 1;
            }
            (samples, done)
        }));
    }
    let mut samples = Vec::new();
    let mut users_done = 0;
    for t in tasks {
        let (s, d) = t.await.expect("worker");
        samples.extend(s);
        users_done += d;
    }
    let elapsed = started.elapsed();

    let errors = samples.iter().filter(|s| !s.ok).count();
    println!();
    println!("{:<16} {:>7} {:>7} {:>9} {:>9} {:>9}", "operation", "count", "errors", "p50 ms", "p99 ms", "max ms");
    let mut all: Vec<Duration> = Vec::with_capacity(samples.len());
    for (op, name) in OPS.iter().enumerate() {
        let mut lat: Vec<Duration> = samples.iter().filter(|s| s.op == op).map(|s| s.latency).collect();
        let errs = samples.iter().filter(|s| s.op == op && !s.ok).count();
        lat.sort();
        all.extend(&lat);
        println!(
            "{:<16} {:>7} {:>7} {:>9} {:>9} {:>9}",
            name,
            lat.len(),
            errs,
            ms(percentile(&lat, 0.50)),
            ms(percentile(&lat, 0.99)),
            ms(lat.last().copied().unwrap_or_default())
        );
    }
    all.sort();
    println!(
        "{:<16} {:>7} {:>7} {:>9} {:>9} {:>9}",
        "all",
        all.len(),
        errors,
        ms(percentile(&all, 0.50)),
        ms(percentile(&all, 0.99)),
        ms(all.last().copied().unwrap_or_default())
    );
    println!();
    println!(
        "{} requests for {} of {} users in {:.2} s: {:.1} requests/s, {:.1} users/s",
        all.len(),
        users_done,
        config.users,
        elapsed.as_secs_f64(),
        all.len() as f64 / elapsed.as_secs_f64(),
        users_done as f64 / elapsed.as_secs_f64()
    );
    if errors > 0 {
        eprintln!("{errors} requests got an unexpected answer");
        return 1;
    }
    if users_done < config.users {
        eprintln!("stopped at the time limit after {users_done} of {} users", config.users);
    }
    0
}
