//! Benchmark (not a test): the cold start of one function binary, from process start to
//! ready to serve and to its first request served, against a fake Lambda Runtime API.
//!
//! ```text
//! cargo build --release -p users && cargo bench -p tests --bench cold_start
//! cargo bench -p tests --bench cold_start -- --function groups --runs 50
//! cargo bench -p tests --bench cold_start -- --bin target/lambda/users/bootstrap   # any build
//! eval "$(scripts/moto start)" && cargo bench -p tests --bench cold_start -- --store dynamodb
//! ```
//!
//! Options (or environment): `--function users|groups|discovery` (COLD_START_FUNCTION, users),
//! `--bin PATH` (COLD_START_BIN; default: the release build of that function beside this
//! benchmark, `<target>/release/<function>`), `--runs N` (COLD_START_RUNS, 20),
//! `--store embedded|dynamodb` (COLD_START_STORE, embedded).
//!
//! Method. A small HTTP/1.1 server on 127.0.0.1 (a new port per run) plays the Lambda Runtime API
//! (`GET /2018-06-01/runtime/invocation/next`, `POST …/invocation/{id}/response`). Per run the
//! binary is spawned afresh with `AWS_LAMBDA_RUNTIME_API` pointing at it and its store holding
//! one configuration, made before the runs:
//! - `embedded`: SQLite in a temporary `SCIM_DATA_DIR`; no AWS service or moto is involved;
//! - `dynamodb`: a fresh table (random name) and Secrets Manager secrets under a random prefix on
//!   the moto server at `SCIM_TEST_DYNAMODB_ENDPOINT` (required), which the function reaches
//!   through `AWS_ENDPOINT_URL` with test credentials: plain HTTP on loopback, so no TLS
//!   handshake and no network latency, but moto's own response time. The table is left to moto
//!   (in memory; `scripts/moto stop` drops it).
//!
//! The clock starts just before `spawn` and reads:
//! - *ready*: the first `next` poll arrives, i.e. `main` has set up logging, opened the store or
//!   built the AWS clients (`App::from_env`) and started the runtime loop;
//! - *first served*: the response to the first invocation arrives — an authenticated
//!   `GET /Users?count=1` in an API Gateway HTTP API (payload 2.0) event, so it includes the
//!   first credential load and verifier check (on `dynamodb`: the SDK's first requests to moto,
//!   a DynamoDB GetItem, a Secrets Manager GetSecretValue, then the listing's own calls);
//! - *warm*: for comparison, the same request as the process's second invocation.
//!
//! Then the process is killed. One unrecorded run first warms the page cache.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;
use serde_json::{json, Value};
use shared::app::App;
use shared::store::dynamodb::DynamoTable;

const NEXT: &str = "/2018-06-01/runtime/invocation/next";
const LIMIT: Duration = Duration::from_secs(30);

/// The store the function runs on (`SCIM_STORE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StoreKind {
    Embedded,
    DynamoDb,
}

impl StoreKind {
    fn parse(name: &str) -> StoreKind {
        match name {
            "embedded" => StoreKind::Embedded,
            "dynamodb" => StoreKind::DynamoDb,
            _ => usage(),
        }
    }
}

struct Options {
    function: String,
    bin: PathBuf,
    runs: usize,
    store: StoreKind,
}

fn usage() -> ! {
    eprintln!(
        "cold_start [--function users|groups|discovery] [--bin PATH] [--runs N] [--store embedded|dynamodb]\n\
         env: COLD_START_FUNCTION COLD_START_BIN COLD_START_RUNS COLD_START_STORE\n\
         --store dynamodb needs SCIM_TEST_DYNAMODB_ENDPOINT (eval \"$(scripts/moto start)\")"
    );
    std::process::exit(2)
}

fn options() -> Options {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let mut function = env("COLD_START_FUNCTION").unwrap_or_else(|| "users".to_owned());
    let mut bin = env("COLD_START_BIN").map(PathBuf::from);
    let mut runs = env("COLD_START_RUNS").map(|v| v.parse().unwrap_or_else(|_| usage())).unwrap_or(20);
    let mut store = env("COLD_START_STORE").map_or(StoreKind::Embedded, |v| StoreKind::parse(&v));
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let (key, inline) = match arg.split_once('=') {
            Some((k, v)) => (k.to_owned(), Some(v.to_owned())),
            None => (arg.clone(), None),
        };
        let mut value = || inline.clone().or_else(|| args.next()).unwrap_or_else(|| usage());
        match key.as_str() {
            "--function" => function = value(),
            "--bin" => bin = Some(PathBuf::from(value())),
            "--runs" => runs = value().parse().unwrap_or_else(|_| usage()),
            "--store" => store = StoreKind::parse(&value()),
            // `cargo bench` passes --bench to every benchmark binary.
            "--bench" => {}
            _ => usage(),
        }
    }
    if !["users", "groups", "discovery"].contains(&function.as_str()) || runs == 0 {
        usage();
    }
    // This benchmark runs from <target>/release/deps/; the functions are built to <target>/release/.
    let bin = bin.unwrap_or_else(|| {
        let exe = std::env::current_exe().expect("current_exe");
        exe.parent().and_then(Path::parent).expect("<target>/release").join(&function)
    });
    if !bin.is_file() {
        eprintln!("cold_start: no binary at {}: build it first (cargo build --release -p {function})", bin.display());
        std::process::exit(1)
    }
    Options { function, bin, runs, store }
}

/// What the fake Runtime API saw, tagged with the run it belongs to.
enum Seen {
    /// A `next` poll; the number of polls so far in this run (1 = ready).
    Next(usize, usize, Instant),
    /// An invocation response with its HTTP status; the invocation's number (1, 2).
    Response(usize, usize, Instant, u16),
    /// An init or invocation error report, or anything unexpected.
    Error(usize, String),
}

/// One run's fake Runtime API. Every run gets its own listener (a new port), so nothing the
/// previous, killed process had in flight can be taken for the new one's.
struct Api {
    run: usize,
    polls: Mutex<usize>,
    event: String,
    done: AtomicBool,
}

/// Starts the run's Runtime API on a free loopback port; returns it and its `host:port`.
fn start_api(run: usize, event: &str, seen: &Sender<Seen>) -> (Arc<Api>, String) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let address = listener.local_addr().unwrap().to_string();
    let api = Arc::new(Api { run, polls: Mutex::new(0), event: event.to_owned(), done: AtomicBool::new(false) });
    let (state, seen) = (api.clone(), seen.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            if state.done.load(Ordering::SeqCst) {
                return;
            }
            let Ok(stream) = stream else { continue };
            let (state, seen) = (state.clone(), seen.clone());
            std::thread::spawn(move || {
                let _ = connection(stream, &state, &seen);
            });
        }
    });
    (api, address)
}

/// Ends a run's Runtime API: its accept loop sees `done` on one last connection.
fn stop_api(api: &Api, address: &str) {
    api.done.store(true, Ordering::SeqCst);
    let _ = TcpStream::connect(address);
}

/// One keep-alive connection from the runtime client.
fn connection(stream: TcpStream, api: &Api, seen: &Sender<Seen>) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    loop {
        let Some((method, path, body)) = read_request(&mut reader)? else { return Ok(()) };
        let now = Instant::now();
        if method == "GET" && path == NEXT {
            let (run, event) = (api.run, &api.event);
            let poll = {
                let mut polls = api.polls.lock().unwrap();
                *polls += 1;
                *polls
            };
            let _ = seen.send(Seen::Next(run, poll, now));
            if poll > 2 {
                // The run is over: leave this poll unanswered until the process is killed.
                return Ok(());
            }
            let deadline = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() + 30_000;
            write!(
                writer,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                 Lambda-Runtime-Aws-Request-Id: run{run}-{poll}\r\n\
                 Lambda-Runtime-Deadline-Ms: {deadline}\r\n\
                 Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:123456789012:function:cold-start\r\n\
                 Lambda-Runtime-Trace-Id: Root=1-00000000-000000000000000000000000;Sampled=0\r\n\
                 Content-Length: {}\r\n\r\n{event}",
                event.len()
            )?;
        } else if method == "POST" && path.ends_with("/response") {
            let invocation = path.rsplit('/').nth(1).and_then(|id| id.rsplit('-').next()?.parse().ok()).unwrap_or(0);
            let run = api.run;
            let status = serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|v| v["statusCode"].as_u64())
                .map_or(0, |s| s as u16);
            let _ = seen.send(Seen::Response(run, invocation, now, status));
            writer.write_all(b"HTTP/1.1 202 Accepted\r\nContent-Length: 16\r\n\r\n{\"status\":\"OK\"}\n")?;
        } else {
            let run = api.run;
            let _ = seen.send(Seen::Error(run, format!("{method} {path}: {}", String::from_utf8_lossy(&body))));
            writer.write_all(b"HTTP/1.1 202 Accepted\r\nContent-Length: 16\r\n\r\n{\"status\":\"OK\"}\n")?;
        }
        writer.flush()?;
    }
}

/// Reads one HTTP/1.1 request (Content-Length or chunked body); None at the end of the stream.
fn read_request(reader: &mut impl BufRead) -> std::io::Result<Option<(String, String, Vec<u8>)>> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next().unwrap_or("").to_owned(), parts.next().unwrap_or("").to_owned());
    let (mut length, mut chunked) = (0usize, false);
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 {
            return Ok(None);
        }
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            let (name, value) = (name.trim().to_ascii_lowercase(), value.trim());
            if name == "content-length" {
                length = value.parse().unwrap_or(0);
            } else if name == "transfer-encoding" && value.eq_ignore_ascii_case("chunked") {
                chunked = true;
            }
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size)?;
            let size = usize::from_str_radix(size.trim().split(';').next().unwrap_or("0"), 16).unwrap_or(0);
            let mut chunk = vec![0; size + 2]; // the data and its CRLF
            reader.read_exact(&mut chunk)?;
            if size == 0 {
                break; // no trailers are sent
            }
            body.extend_from_slice(&chunk[..size]);
        }
    } else {
        body.resize(length, 0);
        reader.read_exact(&mut body)?;
    }
    Ok(Some((method, path, body)))
}

/// An API Gateway HTTP API (payload 2.0) event: an authenticated `GET` of `path` on stage prod.
fn event(path: &str, query: &str, authorization: &str) -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    json!({
        "version": "2.0",
        "routeKey": "ANY /scim/v2/{tenant}/Users",
        "rawPath": format!("/prod{path}"),
        "rawQueryString": query,
        "headers": {
            "accept": "application/scim+json",
            "authorization": authorization,
            "host": "abcdef1234.execute-api.us-east-1.amazonaws.com",
            "user-agent": "Okta SCIM Client 1.0.0",
            "x-forwarded-proto": "https",
        },
        "queryStringParameters": {"count": "1"},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abcdef1234",
            "domainName": "abcdef1234.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "abcdef1234",
            "http": {
                "method": "GET",
                "path": format!("/prod{path}"),
                "protocol": "HTTP/1.1",
                "sourceIp": "192.0.2.1",
                "userAgent": "Okta SCIM Client 1.0.0",
            },
            "requestId": "cold-start",
            "routeKey": "ANY /scim/v2/{tenant}/Users",
            "stage": "prod",
            "time": "01/Jan/2026:00:00:00 +0000",
            "timeEpoch": now.as_millis() as u64,
        },
        "isBase64Encoded": false,
    })
    .to_string()
}

/// The function's store for the runs: the variables that select it, laid over the Lambda ones
/// in every run, and a temporary directory to remove afterwards.
struct Store {
    description: String,
    env: Vec<(&'static str, OsString)>,
    temporary: Option<PathBuf>,
}

/// Makes the store `options` name with one configuration in it; returns it and the event of an
/// authenticated request to the function's resource.
fn prepare(options: &Options) -> (Store, String) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (store, made) = runtime.block_on(async {
        let (store, app) = match options.store {
            StoreKind::Embedded => embedded(),
            StoreKind::DynamoDb => dynamodb().await,
        };
        let made = local::create_configuration(&app, "cold-start", shared::licenses::LicenseType::Named)
            .await
            .expect("create a configuration");
        (store, made)
    });
    let resource = match options.function.as_str() {
        "groups" => "Groups",
        "discovery" => "ServiceProviderConfig",
        _ => "Users",
    };
    let tenant = &made.configuration.tenant;
    let basic = base64::engine::general_purpose::STANDARD
        .encode(format!("{}:{}", made.configuration.client_id, made.client_secret));
    (store, event(&format!("/scim/v2/{tenant}/{resource}"), "count=1", &format!("Basic {basic}")))
}

/// SQLite in a new temporary data directory.
fn embedded() -> (Store, App) {
    let data_dir = std::env::temp_dir().join(format!("scim-cold-start-{}", std::process::id()));
    std::fs::create_dir_all(&data_dir).expect("temporary data dir");
    let app = App::open_embedded(&data_dir).expect("open the embedded store");
    let store = Store {
        description: format!("embedded store in {}", data_dir.display()),
        env: vec![("SCIM_STORE", "embedded".into()), ("SCIM_DATA_DIR", data_dir.clone().into())],
        temporary: Some(data_dir),
    };
    (store, app)
}

/// A new table, and secrets under a new prefix, on the moto server at SCIM_TEST_DYNAMODB_ENDPOINT.
async fn dynamodb() -> (Store, App) {
    let endpoint = std::env::var("SCIM_TEST_DYNAMODB_ENDPOINT").unwrap_or_default().trim().to_owned();
    assert!(
        !endpoint.is_empty(),
        "--store dynamodb needs SCIM_TEST_DYNAMODB_ENDPOINT, the URL of a moto server \
         (eval \"$(scripts/moto start)\")"
    );
    let run = uuid::Uuid::new_v4().simple().to_string();
    let (table, secret_prefix) = (format!("scim-cold-start-{run}"), format!("scim-cold-start/{run}/"));
    // The same endpoint, region and test credentials the function gets below.
    let config = shared::testing::moto_config(&endpoint).await;
    DynamoTable::create_table(&aws_sdk_dynamodb::Client::new(&config), &table)
        .await
        .unwrap_or_else(|e| panic!("cannot create the table {table} on moto at {endpoint}: {e}"));
    // What `App::from_env` builds for SCIM_STORE=dynamodb.
    let app = App::on_aws(&config, &table, &secret_prefix);
    let store = Store {
        description: format!("DynamoDB table {table} on moto at {endpoint}"),
        env: vec![
            ("SCIM_STORE", "dynamodb".into()),
            ("SCIM_TABLE_NAME", table.into()),
            ("SCIM_SECRET_PREFIX", secret_prefix.into()),
            ("AWS_ENDPOINT_URL", endpoint.into()),
            ("AWS_ACCESS_KEY_ID", "test".into()),
            ("AWS_SECRET_ACCESS_KEY", "test".into()),
        ],
        temporary: None,
    };
    (store, app)
}

struct Sample {
    ready: Duration,
    served: Duration,
    warm: Duration,
}

fn one_run(bin: &Path, store: &Store, event: &str, seen: (&Sender<Seen>, &Receiver<Seen>), run: usize) -> Sample {
    let (api, address) = start_api(run, event, seen.0);
    let seen = seen.1;
    let started = Instant::now();
    let mut child = Command::new(bin)
        .env_clear()
        .env("AWS_LAMBDA_RUNTIME_API", &address)
        .env("AWS_LAMBDA_FUNCTION_NAME", "cold-start")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_REGION", "us-east-1")
        .env("LOG_LEVEL", "info")
        .envs(store.env.iter().map(|(name, value)| (name, value)))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
    let (mut ready, mut served, mut warm) = (None, None, None);
    let outcome = loop {
        let left = LIMIT.saturating_sub(started.elapsed());
        match seen.recv_timeout(left) {
            Ok(Seen::Next(r, 1, at)) if r == run => ready = Some(at - started),
            Ok(Seen::Next(..)) => {}
            Ok(Seen::Response(r, invocation, at, status)) if r == run => {
                if status != 200 {
                    break Err(format!("invocation {invocation} answered HTTP {status}, expected 200"));
                }
                match invocation {
                    1 => served = Some(at),
                    _ => {
                        warm = served.map(|s| at - s);
                        break Ok(());
                    }
                }
            }
            Ok(Seen::Response(..)) => {}
            Ok(Seen::Error(r, e)) if r == run => break Err(format!("the function reported an error: {e}")),
            Ok(Seen::Error(..)) => {}
            Err(RecvTimeoutError::Timeout) => break Err(format!("no answer within {LIMIT:?}")),
            Err(RecvTimeoutError::Disconnected) => break Err("the fake Runtime API stopped".to_owned()),
        }
    };
    stop(&mut child);
    stop_api(&api, &address);
    if let Err(e) = outcome {
        eprintln!("cold_start: run {run} failed: {e}");
        std::process::exit(1)
    }
    // The warm figure ends at the second response; it starts when the first was received,
    // so it also holds the process's turn-around to its second poll.
    Sample { ready: ready.expect("ready"), served: served.expect("served") - started, warm: warm.expect("warm") }
}

fn stop(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn summary(name: &str, mut values: Vec<Duration>) {
    values.sort();
    let median = if values.len() % 2 == 1 {
        ms(values[values.len() / 2])
    } else {
        (ms(values[values.len() / 2 - 1]) + ms(values[values.len() / 2])) / 2.0
    };
    println!(
        "{name:<42} min {:>7.2} ms   median {:>7.2} ms   max {:>7.2} ms",
        ms(values[0]),
        median,
        ms(*values.last().unwrap())
    );
}

fn main() {
    let options = options();
    let (store, event) = prepare(&options);

    let (sender, receiver) = channel();
    let seen = (&sender, &receiver);

    println!(
        "cold start of {} ({}), {} runs against a fake Runtime API on 127.0.0.1; {}",
        options.function,
        options.bin.display(),
        options.runs,
        store.description
    );
    one_run(&options.bin, &store, &event, seen, 0); // warms the page cache; not counted
    let samples: Vec<Sample> = (1..=options.runs).map(|run| one_run(&options.bin, &store, &event, seen, run)).collect();
    if let Some(temporary) = &store.temporary {
        let _ = std::fs::remove_dir_all(temporary);
    }

    summary("ready (spawn -> first `next` poll)", samples.iter().map(|s| s.ready).collect());
    summary("first request served (spawn -> response)", samples.iter().map(|s| s.served).collect());
    summary("first request alone (served - ready)", samples.iter().map(|s| s.served - s.ready).collect());
    summary("warm request (second invocation)", samples.iter().map(|s| s.warm).collect());
}
