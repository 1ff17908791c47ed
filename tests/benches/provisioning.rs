//! Benchmark (not a test): an import into a subscription with fewer seats than users, through
//! SCIM, on the durable embedded store (a SQLite file): 10,000 user creates, 100 groups of 100
//! members, then a license type set on a 10,000-member group (a background job). Prints
//! requests/s, p50/p99 latency and store calls per operation, and the job's members/s and
//! store calls per member; then links from it and to 5 vaults, and a vault's change feed
//! (members/s, store calls per member, [`links`]). Between the two, with thousands of users waiting, it times the
//! admin API reads the console's pages make (home, users pages and filters, user name
//! search, groups, audit), one at a time.
//!
//! ```text
//! cargo bench -p tests --bench provisioning                 # 10,000 users, 6,000 read-only seats
//! cargo bench -p tests --bench provisioning -- 2000         # fewer users (seats: 60%)
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use futures::stream::{self, StreamExt};
use serde_json::{json, Value};
use shared::admin_tokens::Role;
use shared::app::App;
use shared::licenses::LicenseType;
use shared::store::sqlite::SqliteTable;
use shared::store::{Action, Item, Key, Page, Query, StoreError, Table};
use shared::testing::TempDir;
use tests::TestService;

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const CONCURRENCY: usize = 16;

/// The store, counting the calls that reach it.
struct Counting {
    inner: SqliteTable,
    reads: AtomicU64,
    transactions: AtomicU64,
}

#[async_trait]
impl Table for Counting {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.reads.fetch_add(1, Ordering::Relaxed);
        self.inner.get(key).await
    }
    async fn batch_get(&self, keys: &[Key]) -> Result<Vec<Item>, StoreError> {
        self.reads.fetch_add(keys.len().div_ceil(100) as u64, Ordering::Relaxed);
        self.inner.batch_get(keys).await
    }
    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        self.reads.fetch_add(1, Ordering::Relaxed);
        self.inner.query(query).await
    }
    async fn transact(&self, actions: Vec<Action>) -> Result<(), StoreError> {
        self.transactions.fetch_add(1, Ordering::Relaxed);
        self.inner.transact(actions).await
    }
}

impl Counting {
    fn calls(&self) -> (u64, u64) {
        (self.reads.load(Ordering::Relaxed), self.transactions.load(Ordering::Relaxed))
    }
}

/// One kind of request's figures.
fn report(name: &str, mut latencies: Vec<Duration>, elapsed: Duration, calls: (u64, u64)) {
    latencies.sort();
    let n = latencies.len().max(1);
    let at = |q: f64| latencies[((n as f64 * q) as usize).min(n - 1)].as_secs_f64() * 1000.0;
    println!(
        "| {name} | {n} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} |",
        n as f64 / elapsed.as_secs_f64(),
        at(0.5),
        at(0.99),
        calls.0 as f64 / n as f64,
        calls.1 as f64 / n as f64
    );
}

/// Sends `requests` (method, path, body) with [`CONCURRENCY`] in flight; asserts `status`.
async fn run(
    http: &reqwest::Client,
    auth: &str,
    requests: Vec<(reqwest::Method, String, Value)>,
    status: u16,
) -> (Vec<Duration>, Vec<Value>, Duration) {
    let started = Instant::now();
    let answers: Vec<(Duration, Value)> = stream::iter(requests)
        .map(|(method, url, body)| {
            let (http, auth) = (http.clone(), auth.to_owned());
            async move {
                let sent = Instant::now();
                let resp = http
                    .request(method, &url)
                    .header("authorization", auth)
                    .json(&body)
                    .send()
                    .await
                    .expect("an answer");
                let got = resp.status().as_u16();
                let text = resp.text().await.unwrap_or_default();
                assert_eq!(got, status, "{url}: {text}");
                (sent.elapsed(), serde_json::from_str(&text).unwrap_or(Value::Null))
            }
        })
        .buffered(CONCURRENCY)
        .collect()
        .await;
    let elapsed = started.elapsed();
    let (latencies, bodies) = answers.into_iter().unzip();
    (latencies, bodies, elapsed)
}

#[tokio::main]
async fn main() {
    let users: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let seats = (users * 6 / 10) as i64;
    let dir = TempDir::new();
    let table = Arc::new(Counting {
        inner: SqliteTable::open(&dir.path().join("bench.sqlite3")).expect("a store"),
        reads: AtomicU64::new(0),
        transactions: AtomicU64::new(0),
    });
    let svc = TestService::start_with(App::embedded(table.clone())).await;
    let tenant = svc.create_tenant("okta", "read-only").await;
    svc.app().licenses.set_purchased(local::LOCAL_SUBSCRIPTION, LicenseType::ReadOnly, seats).await.expect("seats");
    let auth = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("{}:{}", tenant.client_id, tenant.client_secret)
        )
    );
    let http = reqwest::Client::new();
    let url = |path: &str| format!("{}{path}", tenant.tenant_url);
    println!("{users} users (default read-only), {seats} read-only seats, {CONCURRENCY} requests in flight, durable SQLite\n");
    println!("| operation | requests | requests/s | p50 ms | p99 ms | store reads / op | transactions / op |");
    println!("|---|---|---|---|---|---|---|");

    let creates = (0..users)
        .map(|i| {
            let body = json!({"schemas": [USER], "userName": format!("u{i}@bench.example"), "active": true,
                              "name": {"givenName": "U", "familyName": format!("{i}")}});
            (reqwest::Method::POST, url("/Users"), body)
        })
        .collect();
    let before = table.calls();
    let (latencies, bodies, elapsed) = run(&http, &auth, creates, 201).await;
    let after = table.calls();
    report("user create (with its seat or queue entry)", latencies, elapsed, (after.0 - before.0, after.1 - before.1));
    let ids: Vec<String> = bodies.iter().map(|b| b["id"].as_str().expect("an id").to_owned()).collect();

    let groups = (0..100)
        .map(|g| {
            (
                reqwest::Method::POST,
                url("/Groups"),
                json!({"schemas": [GROUP], "displayName": format!("g{g}"), "members": []}),
            )
        })
        .collect();
    let before = table.calls();
    let (latencies, bodies, elapsed) = run(&http, &auth, groups, 201).await;
    let after = table.calls();
    report("group create", latencies, elapsed, (after.0 - before.0, after.1 - before.1));
    let group_ids: Vec<String> = bodies.iter().map(|b| b["id"].as_str().expect("an id").to_owned()).collect();
    let adds = group_ids
        .iter()
        .enumerate()
        .map(|(g, id)| {
            let members: Vec<Value> = ids.iter().skip(g * 100).take(100).map(|m| json!({"value": m})).collect();
            let body =
                json!({"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "members", "value": members}]});
            (reqwest::Method::PATCH, url(&format!("/Groups/{id}")), body)
        })
        .collect();
    let before = table.calls();
    let (latencies, _, elapsed) = run(&http, &auth, adds, 204).await;
    let after = table.calls();
    report("add 100 members (one PATCH)", latencies, elapsed, (after.0 - before.0, after.1 - before.1));

    // The console's reads, as a page makes them: one at a time.
    let token = svc.admin_token(Role::SubscriptionAdmin, Some(local::LOCAL_SUBSCRIPTION));
    let sub = format!("{}/subscriptions/{}", svc.manage_url(), local::LOCAL_SUBSCRIPTION);
    println!(
        "
The console's reads, {users} users, one request at a time (20 each):
"
    );
    println!("| console read | requests | requests/s | p50 ms | p99 ms | store reads / op | transactions / op |");
    println!("|---|---|---|---|---|---|---|");
    let first_page = http.get(format!("{sub}/users?limit=50")).bearer_auth(&token).send().await.expect("an answer");
    let first_page: Value = first_page.json().await.expect("JSON");
    let cursor = first_page["next_cursor"].as_str().expect("more than a page").to_owned();
    let reads = [
        ("home summary", sub.to_string()),
        ("users, first page of 50", format!("{sub}/users?limit=50")),
        ("users, next page of 50 (cursor)", format!("{sub}/users?limit=50&cursor={cursor}")),
        ("users waiting, page of 50", format!("{sub}/users?waiting=true&limit=50")),
        ("users holding read-only, page of 50", format!("{sub}/users?license=read-only&limit=50")),
        ("user name search (a prefix of one user)", format!("{sub}/users?user_name=u{}%40&limit=50", users - 1)),
        ("groups", format!("{sub}/groups")),
        ("audit, newest 50", format!("{sub}/audit?limit=50")),
    ];
    for (name, url) in reads {
        let before = table.calls();
        let started = Instant::now();
        let mut latencies = Vec::new();
        for _ in 0..20 {
            let sent = Instant::now();
            let answer = http.get(&url).bearer_auth(&token).send().await.expect("an answer");
            assert_eq!(answer.status().as_u16(), 200, "{name}");
            answer.bytes().await.expect("a body");
            latencies.push(sent.elapsed());
        }
        let after = table.calls();
        report(name, latencies, started.elapsed(), (after.0 - before.0, after.1 - before.1));
    }

    // One group of every user, then a license type for it: a background job.
    let everyone = run(
        &http,
        &auth,
        vec![(reqwest::Method::POST, url("/Groups"), json!({"schemas": [GROUP], "displayName": "everyone"}))],
        201,
    )
    .await;
    let everyone = everyone.1[0]["id"].as_str().expect("an id").to_owned();
    let fills = ids
        .chunks(256)
        .map(|chunk| {
            let members: Vec<Value> = chunk.iter().map(|m| json!({"value": m})).collect();
            let body =
                json!({"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "members", "value": members}]});
            (reqwest::Method::PATCH, url(&format!("/Groups/{everyone}")), body)
        })
        .collect();
    run(&http, &auth, fills, 204).await;
    // Every user gets named through the group: read-only seats are released, nobody waits.
    svc.app().licenses.set_purchased(local::LOCAL_SUBSCRIPTION, LicenseType::Named, users as i64).await.expect("seats");
    let token = svc.admin_token(Role::Operator, None);
    let manage = svc.manage_url();
    let before = table.calls();
    let started = Instant::now();
    let answer = http
        .put(format!("{manage}/subscriptions/local/groups/{everyone}/license"))
        .bearer_auth(&token)
        .json(&json!({"license": "named"}))
        .send()
        .await
        .expect("an answer");
    let status = answer.status().as_u16();
    let job: Value = answer.json().await.expect("JSON");
    if status == 202 {
        until_done(
            &http,
            &token,
            &format!("{manage}/subscriptions/local/jobs/{}", job["job"].as_str().expect("a job")),
        )
        .await;
    }
    let elapsed = started.elapsed();
    let after = table.calls();
    let per_member = |n: u64| n as f64 / users as f64;
    println!(
        "\ngroup license on a {users}-member group ({}): {:.1} s, {:.0} members/s, {:.3} store reads and {:.3} transactions per member",
        if status == 202 { "a background job" } else { "in the request" },
        elapsed.as_secs_f64(),
        users as f64 / elapsed.as_secs_f64(),
        per_member(after.0 - before.0),
        per_member(after.1 - before.1)
    );
    links(&svc, &table, &http, (&tenant.tenant_url, &auth), &everyone, &ids).await;

    let check = svc.app().licenses.check(local::LOCAL_SUBSCRIPTION).await.expect("a check");
    for pool in &check.pools {
        println!("{}: purchased {}, used {}, waiting {}", pool.license, pool.purchased, pool.used, pool.waiting);
    }
    println!("check: ok = {}", check.ok);
    assert!(check.ok, "{:?}", check.problems);
}

/// Reads the job at `progress` until it is done.
async fn until_done(http: &reqwest::Client, token: &str, progress: &str) {
    loop {
        let now: Value =
            http.get(progress).bearer_auth(token).send().await.expect("an answer").json().await.expect("JSON");
        if now["state"] == "done" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Links: one from the group of every user to a new vault group (its replacement, a job);
/// then one SCIM PATCH adding 256 members to a group linked to 5 vaults (the request, then
/// the links' following); then the first vault's change feed read from the start.
async fn links(
    svc: &TestService,
    table: &Counting,
    http: &reqwest::Client,
    (tenant_url, auth): (&str, &str),
    everyone: &str,
    ids: &[String],
) {
    let token = svc.admin_token(Role::Operator, None);
    let manage = format!("{}/subscriptions/local", svc.manage_url());
    let post = |path: String, body: Value| {
        let request = http.post(format!("{manage}{path}")).bearer_auth(&token).json(&body);
        async move { request.send().await.expect("an answer").json::<Value>().await.expect("JSON") }
    };
    let mut vaults = Vec::new();
    for i in 0..5 {
        vaults.push(
            post("/vaults".into(), json!({"name": format!("vault {i}")})).await["id"]
                .as_str()
                .expect("an id")
                .to_owned(),
        );
    }
    let before = table.calls();
    let started = Instant::now();
    let link =
        post("/links".into(), json!({"source_group": everyone, "vault": vaults[0], "new_target_group": "everyone"}))
            .await;
    until_done(http, &token, &format!("{manage}/jobs/{}", link["job"].as_str().expect("a job"))).await;
    let elapsed = started.elapsed();
    let after = table.calls();
    let members = ids.len() as f64;
    println!(
        "\na link from a {}-member group (a background job): {:.1} s, {:.0} members/s, {:.3} store reads and {:.3} transactions per member",
        ids.len(),
        elapsed.as_secs_f64(),
        members / elapsed.as_secs_f64(),
        (after.0 - before.0) as f64 / members,
        (after.1 - before.1) as f64 / members
    );

    let url = |path: &str| format!("{tenant_url}{path}");
    let (_, made, _) = run(
        http,
        auth,
        vec![(reqwest::Method::POST, url("/Groups"), json!({"schemas": [GROUP], "displayName": "team"}))],
        201,
    )
    .await;
    let team = made[0]["id"].as_str().expect("an id").to_owned();
    for vault in &vaults {
        let link =
            post("/links".into(), json!({"source_group": team, "vault": vault, "new_target_group": "team"})).await;
        until_done(http, &token, &format!("{manage}/jobs/{}", link["job"].as_str().expect("a job"))).await;
    }
    let added: Vec<Value> = ids[..256.min(ids.len())].iter().map(|m| json!({"value": m})).collect();
    let body = json!({"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "members", "value": added}]});
    let before = table.calls();
    let started = Instant::now();
    let (latencies, _, _) =
        run(http, auth, vec![(reqwest::Method::PATCH, url(&format!("/Groups/{team}")), body)], 204).await;
    let in_request = table.calls();
    while !svc.app().jobs.running().await.expect("running jobs").is_empty() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let elapsed = started.elapsed();
    let after = table.calls();
    let carried = (added.len() * vaults.len()) as f64;
    println!(
        "one PATCH adding {} members to a group linked to {} vaults: the request {:.1} ms ({} store reads, {} transactions); \
         the links' following done {:.2} s after it was sent, {:.0} memberships/s, {:.3} store reads and {:.3} transactions per membership",
        added.len(),
        vaults.len(),
        latencies[0].as_secs_f64() * 1000.0,
        in_request.0 - before.0,
        in_request.1 - before.1,
        elapsed.as_secs_f64(),
        carried / elapsed.as_secs_f64(),
        (after.0 - in_request.0) as f64 / carried,
        (after.1 - in_request.1) as f64 / carried
    );

    let started = Instant::now();
    let (mut read, mut cursor) = (0usize, String::new());
    loop {
        let page: Value = http
            .get(format!("{manage}/vaults/{}/changes?limit=1000{cursor}", vaults[0]))
            .bearer_auth(&token)
            .send()
            .await
            .expect("an answer")
            .json()
            .await
            .expect("JSON");
        read += page["changes"].as_array().map_or(0, Vec::len);
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    let elapsed = started.elapsed();
    println!(
        "the first vault's change feed read from the start, 1,000 a page: {read} changes in {:.2} s, {:.0} changes/s",
        elapsed.as_secs_f64(),
        read as f64 / elapsed.as_secs_f64()
    );
}
