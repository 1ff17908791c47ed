//! The `local-api` binary as a newcomer uses it: first start prints working credentials, the
//! data survives a restart, `configuration create --json` and `rotate-secret` work beside a
//! running server, the request log is JSON that never holds a secret, the admin token `serve`
//! prints works against its admin API, so does its console sign-in link (once; `signin-link`
//! makes more), with `MANAGE_*` set it takes that issuer's tokens and makes no links (the
//! console signs in through the issuer), and `--store dynamodb` serves from a moto server
//! (`SCIM_TEST_DYNAMODB_ENDPOINT`, which the test command sets).

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use base64::Engine;
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_local-api");

struct Server {
    child: Child,
    /// What the server printed on stdout up to its credentials (or its tenant list), its
    /// admin API's token and its console's sign-in link.
    banner: Vec<String>,
    base_url: String,
}

impl Server {
    fn start(data_dir: &Path) -> Server {
        let mut command = Command::new(BIN);
        command.args(["serve", "--addr", "127.0.0.1:0", "--data-dir"]).arg(data_dir);
        Server::spawn(command)
    }

    fn spawn(mut command: Command) -> Server {
        let mut child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("start local-api");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let mut banner = Vec::new();
        let mut base_url = String::new();
        for line in lines.by_ref() {
            let line = line.expect("read stdout");
            if let Some(rest) = line.strip_prefix("local-api listening on ") {
                base_url = rest.split_whitespace().next().unwrap_or_default().to_owned();
            }
            // The banner ends with the admin API's example: nothing is printed after it.
            let done = line.trim_start().starts_with("e.g. curl");
            banner.push(line);
            if done {
                break;
            }
        }
        assert!(base_url.starts_with("http://127.0.0.1:"), "no address in {banner:?}");
        Server { child, banner, base_url }
    }

    fn field(&self, label: &str) -> String {
        let line = self.banner.iter().find(|l| l.trim_start().starts_with(label)).expect(label);
        line.split_whitespace().last().expect("value").to_owned()
    }

    /// Stops the server and returns what it logged.
    fn stop(mut self) -> String {
        self.child.kill().expect("kill");
        self.child.wait().expect("wait");
        let mut log = String::new();
        self.child.stderr.take().expect("stderr").read_to_string(&mut log).expect("read stderr");
        log
    }
}

fn data_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("local-api-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn basic(id: &str, secret: &str) -> String {
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}")))
}

#[tokio::test]
async fn the_printed_admin_token_creates_a_configuration_whose_credentials_work() {
    let dir = data_dir("admin");
    let server = Server::start(&dir);
    let token = server.field("Admin token:");
    let line = server.banner.iter().find(|l| l.starts_with("Admin API:")).expect("the admin API's line");
    let base = line.split_whitespace().nth(2).expect("the admin API's URL").to_owned();
    assert_eq!(base, format!("{}/manage/v1", server.base_url));
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let created: Value = http
        .post(format!("{base}/subscriptions/local/configurations"))
        .bearer_auth(&token)
        .json(&json!({"name": "Okta", "default_license": "named"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (tenant_url, secret) = (created["tenant_url"].as_str().unwrap(), created["client_secret"].as_str().unwrap());
    assert!(tenant_url.starts_with(&server.base_url), "{created}");
    let users = http.get(format!("{tenant_url}/Users")).bearer_auth(secret).send().await.unwrap();
    assert_eq!(users.status(), 200);
    let unsigned = http.get(format!("{base}/subscriptions/local/configurations")).send().await.unwrap();
    assert_eq!(unsigned.status(), 401);
    let log = server.stop();
    assert!(!log.contains(&token) && !log.contains(secret), "a credential reached the log");
    let _ = std::fs::remove_dir_all(&dir);
}

/// What `local-api ARGS` prints, trimmed.
fn cli(args: &[&str]) -> String {
    let out = Command::new(BIN).args(args).output().expect("run local-api");
    assert!(out.status.success(), "local-api {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("UTF-8").trim().to_owned()
}

#[tokio::test]
async fn with_manage_settings_serve_takes_that_issuers_tokens_and_makes_no_sign_in_links() {
    let dir = data_dir("manage-issuer");
    let keys = data_dir("manage-issuer-keys");
    let keys_arg = keys.to_str().expect("a UTF-8 path");
    // Another issuer: a development key of another directory, given inline.
    let jwks = cli(&["jwks", "--data-dir", keys_arg]);
    let mut command = Command::new(BIN);
    command
        .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
        .arg(&dir)
        .env("MANAGE_ISSUER", "local-api")
        .env("MANAGE_AUDIENCE", "manage")
        .env("MANAGE_JWKS", &jwks)
        .env("MANAGE_CONSOLE_CLIENT_ID", "console");
    let server = Server::spawn(command);
    let base = server.base_url.clone();
    assert_eq!(server.field("Web console:"), format!("{base}/manage/"));
    let banner = server.banner.join("\n");
    assert!(banner.contains("signs in through the identity provider local-api"), "{banner}");
    assert!(!banner.contains("#code=") && !banner.contains("Admin token:"), "{banner}");

    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let methods: Value =
        http.get(format!("{base}/manage/v1/session/methods")).send().await.unwrap().json().await.unwrap();
    assert_eq!(methods, json!({"oidc": true, "links": false}));
    let home = |token: String| {
        http.get(format!("{base}/manage/v1/subscriptions/local"))
            .header("Authorization", format!("Bearer {token}"))
            .send()
    };
    let theirs = cli(&["token", "--role", "operator", "--data-dir", keys_arg]);
    assert_eq!(home(theirs).await.unwrap().status(), 200, "the configured issuer's token");
    let own = cli(&["token", "--role", "operator", "--data-dir", dir.to_str().expect("a UTF-8 path")]);
    assert_eq!(home(own).await.unwrap().status(), 401, "not its own development key's");
    let link = http.post(format!("{base}/manage/v1/session/link")).json(&json!({"code": "x"})).send().await.unwrap();
    assert_eq!(link.status(), 404, "no sign-in links");
    server.stop();
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&keys);
}

/// `POST /manage/v1/session/link` with the code of `link`: the status and the session's JSON.
async fn redeem(base_url: &str, link: &str) -> (u16, Value) {
    let (_, code) = link.split_once("#code=").expect("a code in the link's fragment");
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let resp =
        http.post(format!("{base_url}/manage/v1/session/link")).json(&json!({"code": code})).send().await.unwrap();
    let status = resp.status().as_u16();
    if status == 200 {
        let cookie = resp.headers()["set-cookie"].to_str().unwrap().to_owned();
        assert!(cookie.starts_with("manage_session=") && cookie.contains("HttpOnly"), "{cookie}");
    }
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_printed_sign_in_link_works_once_and_signin_link_makes_more() {
    let dir = data_dir("signin");
    let server = Server::start(&dir);
    let link = server.field("Web console:");
    assert!(link.starts_with(&format!("{}/manage/signin#code=", server.base_url)), "{link}");
    let (status, session) = redeem(&server.base_url, &link).await;
    assert_eq!(status, 200);
    assert_eq!(
        session,
        json!({"sub": "local-subscription-admin", "role": "subscription-admin", "subscription": "local"})
    );
    assert_eq!(redeem(&server.base_url, &link).await.0, 401, "a link works once");

    let mut codes = vec![link.clone()];
    for (role, subscription) in [("access-admin", json!("local")), ("operator", Value::Null)] {
        let out = Command::new(BIN)
            .args(["signin-link", "--role", role, "--base-url", &server.base_url, "--data-dir"])
            .arg(&dir)
            .output()
            .expect("run signin-link");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let more = String::from_utf8(out.stdout).unwrap().trim().to_owned();
        let (status, session) = redeem(&server.base_url, &more).await;
        assert_eq!((status, &session["role"], &session["subscription"]), (200, &json!(role), &subscription), "{more}");
        codes.push(more);
    }
    let log = server.stop();
    for link in codes {
        let code = link.split_once("#code=").unwrap().1;
        assert!(!log.contains(code), "a sign-in code reached the log");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn first_start_credentials_work_and_survive_a_restart_and_never_reach_the_log() {
    let dir = data_dir("restart");
    let server = Server::start(&dir);
    let (tenant_url, id, secret) =
        (server.field("SCIM tenant URL:"), server.field("Client ID:"), server.field("Client secret:"));
    assert!(tenant_url.starts_with(&server.base_url));
    let http = reqwest::Client::new();
    let created = http
        .post(format!("{tenant_url}/Users"))
        .header("Authorization", basic(&id, &secret))
        .json(&json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "kept@example.com"}))
        .send()
        .await
        .expect("POST");
    assert_eq!(created.status(), 201);
    let user: Value = created.json().await.expect("json");
    let bearer = http.get(format!("{tenant_url}/Users")).bearer_auth(&secret).send().await.expect("GET");
    assert_eq!(bearer.status(), 200);
    let log = server.stop();

    // Every request is one JSON line with the agreed fields, and no secret anywhere.
    let lines: Vec<Value> = log.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let requests: Vec<&Value> = lines.iter().filter(|l| l["message"] == "request").collect();
    assert_eq!(requests.len(), 2, "one line per request in {log}");
    for field in ["request_id", "tenant", "method", "route", "status", "latency_ms", "outcome"] {
        assert!(requests.iter().all(|r| r.get(field).is_some()), "{field} missing in {log}");
    }
    assert_eq!(requests[0]["route"], "/Users");
    assert!(!log.contains(&secret), "the secret reached the log");
    assert!(!log.contains(&basic(&id, &secret)[6..]), "the Authorization header reached the log");

    // Restart on the same data: no new configuration, the old credentials and user still work.
    let server = Server::start(&dir);
    assert!(server.banner.iter().any(|l| l.contains(&tenant_url[tenant_url.rfind('/').unwrap() + 1..])));
    assert!(!server.banner.iter().any(|l| l.contains("Client secret")), "a second configuration was created");
    let tenant_url = tenant_url.replace(&tenant_url[..tenant_url.find("/scim").unwrap()], &server.base_url);
    let read = http
        .get(format!("{tenant_url}/Users/{}", user["id"].as_str().unwrap()))
        .header("Authorization", basic(&id, &secret))
        .send()
        .await
        .expect("GET");
    assert_eq!(read.status(), 200);
    let read: Value = read.json().await.expect("json");
    assert_eq!(read["userName"], "kept@example.com");
    server.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn configuration_create_works_beside_a_running_server() {
    let dir = data_dir("beside");
    let server = Server::start(&dir);
    let output = Command::new(BIN)
        .args(["configuration", "create", "--name", "Entra", "--default-license", "read-only", "--json"])
        .args(["--base-url", &server.base_url, "--data-dir"])
        .arg(&dir)
        .output()
        .expect("run configuration create");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let created: Value = serde_json::from_slice(&output.stdout).expect("one JSON object");
    let tenant_url = created["tenant_url"].as_str().expect("tenant_url");
    let secret = created["client_secret"].as_str().expect("client_secret");
    assert!(created["client_id"].is_string());
    // The running server serves the new tenant at once, and only with its own secret.
    let http = reqwest::Client::new();
    let ok = http.get(format!("{tenant_url}/Users")).bearer_auth(secret).send().await.expect("GET");
    assert_eq!(ok.status(), 200);
    let other = http.get(format!("{tenant_url}/Users")).bearer_auth(server.field("Client secret:")).send().await;
    assert_eq!(other.expect("GET").status(), 401);

    // A user provisioned through it waits for a read-only seat (none bought), and
    // `local-api check` beside the server recounts that from the store and finds it sound.
    let user =
        serde_json::json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "w@example.com"});
    let created_user = http.post(format!("{tenant_url}/Users")).bearer_auth(secret).json(&user).send().await;
    assert_eq!(created_user.expect("POST").status(), 201);
    let check = cli_json(&["check", "--data-dir", dir.to_str().expect("a UTF-8 path")], |_| {});
    assert_eq!(check["ok"], true, "{check}");
    let read_only = check["pools"].as_array().expect("pools").iter().find(|p| p["type"] == "read-only").cloned();
    let read_only = read_only.expect("a read-only pool");
    assert_eq!((read_only["waiting"].as_i64(), read_only["counted_waiting"].as_i64()), (Some(1), Some(1)), "{check}");

    // The same name again is refused with a message, and nothing is printed on stdout.
    let again = Command::new(BIN)
        .args(["configuration", "create", "--name", "entra", "--default-license", "named", "--json", "--data-dir"])
        .arg(&dir)
        .output()
        .expect("run configuration create");
    assert!(!again.status.success());
    assert!(again.stdout.is_empty());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    // Another subscription must exist first.
    let elsewhere = Command::new(BIN)
        .args([
            "configuration",
            "create",
            "--name",
            "X",
            "--default-license",
            "named",
            "--subscription",
            "nope",
            "--data-dir",
        ])
        .arg(&dir)
        .output()
        .expect("run configuration create");
    assert!(!elsewhere.status.success());
    assert!(String::from_utf8_lossy(&elsewhere.stderr).contains("POST /manage/v1/subscriptions"));
    server.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn behind_a_proxy_the_banner_and_the_answers_use_the_public_url_never_the_host_header() {
    let dir = data_dir("public-url");
    let mut command = Command::new(BIN);
    command.args(["serve", "--addr", "127.0.0.1:0", "--public-url", "https://scim.example.com/stage/", "--data-dir"]);
    command.arg(&dir);
    let server = Server::spawn(command);
    let (tenant_url, secret) = (server.field("SCIM tenant URL:"), server.field("Client secret:"));
    assert!(tenant_url.starts_with("https://scim.example.com/stage/scim/v2/"), "{:?}", server.banner);
    // The test stands where the proxy would: it reaches the server at its address.
    let direct = tenant_url.replace("https://scim.example.com/stage", &server.base_url);
    let created = reqwest::Client::new()
        .post(format!("{direct}/Users"))
        .bearer_auth(&secret)
        .header("Host", "evil.example")
        .header("X-Forwarded-Proto", "gopher")
        .json(&json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "proxied@example.com"}))
        .send()
        .await
        .expect("POST");
    assert_eq!(created.status(), 201);
    let location = created.headers()["location"].to_str().expect("a Location").to_owned();
    assert!(location.starts_with(&format!("{tenant_url}/Users/")), "{location}");
    server.stop();

    // SCIM_PUBLIC_URL does the same, and a bad one stops the server with a message naming it.
    let mut command = Command::new(BIN);
    command.args(["serve", "--addr", "127.0.0.1:0", "--data-dir"]).arg(&dir);
    command.env("SCIM_PUBLIC_URL", "https://scim.example.com");
    let server = Server::spawn(command);
    assert!(server.banner.iter().any(|l| l.contains("https://scim.example.com/scim/v2/")), "{:?}", server.banner);
    server.stop();
    let bad = Command::new(BIN)
        .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
        .arg(&dir)
        .env("SCIM_PUBLIC_URL", "scim.example.com")
        .output()
        .expect("run local-api");
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("SCIM_PUBLIC_URL"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `local-api` with these arguments; its JSON answer, or a panic with stderr.
fn cli_json(args: &[&str], configure: impl FnOnce(&mut Command)) -> Value {
    let mut command = Command::new(BIN);
    command.args(args);
    configure(&mut command);
    let output = command.output().expect("run local-api");
    assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("one JSON object")
}

async fn status(url: &str, secret: &str) -> u16 {
    let response = reqwest::Client::new().get(url).bearer_auth(secret).send().await.expect("GET");
    response.status().as_u16()
}

#[tokio::test]
async fn rotate_secret_beside_a_running_server() {
    let dir = data_dir("rotate");
    let server = Server::start(&dir);
    let (tenant_url, old) = (server.field("SCIM tenant URL:"), server.field("Client secret:"));
    let users = format!("{tenant_url}/Users");
    assert_eq!(status(&users, &old).await, 200, "the server now caches the old verifier");
    let tenant = tenant_url.rsplit('/').next().unwrap();
    let dir_arg = dir.display().to_string();
    let rotated =
        cli_json(&["configuration", "rotate-secret", "--tenant", tenant, "--json", "--data-dir", &dir_arg], |_| {});
    let new = rotated["client_secret"].as_str().expect("client_secret").to_owned();
    assert_ne!(new, old);
    assert_eq!(rotated["client_id"].as_str(), Some(server.field("Client ID:").as_str()), "the client ID stays");
    // Once the cached verifier is old enough to be read again on a mismatch, the new secret
    // works and the old one is refused: well within the 60 s bound.
    tokio::time::sleep(shared::tenants::MISMATCH_RELOAD + std::time::Duration::from_millis(200)).await;
    assert_eq!(status(&users, &new).await, 200);
    assert_eq!(status(&users, &old).await, 401);

    let unknown = Command::new(BIN)
        .args(["configuration", "rotate-secret", "--tenant", "no-such-tenant", "--data-dir", &dir_arg])
        .output()
        .expect("run rotate-secret");
    assert!(!unknown.status.success() && unknown.stdout.is_empty());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no configuration has the tenant id"));
    let log = server.stop();
    assert!(!log.contains(&old) && !log.contains(&new), "a secret reached the log");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `serve --store dynamodb --create-table` against the moto server of the test command:
/// the first start makes the table and a tenant, and the CLI works beside it on the same table.
#[tokio::test]
async fn serve_on_dynamodb_through_moto() {
    let endpoint = std::env::var("SCIM_TEST_DYNAMODB_ENDPOINT").ok().filter(|e| !e.trim().is_empty());
    let endpoint = endpoint.unwrap_or_else(|| {
        panic!(
            "SCIM_TEST_DYNAMODB_ENDPOINT is not set, so local-api --store dynamodb cannot be tested: \
             eval \"$(scripts/moto start)\" exports it, or run scripts/test"
        )
    });
    let table = format!("scim-cli-{}", std::process::id());
    let prefix = format!("scim-cli/{}/", std::process::id());
    let aws = |command: &mut Command| {
        command
            .env("AWS_ENDPOINT_URL", &endpoint)
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ACCESS_KEY_ID", "test")
            .env("AWS_SECRET_ACCESS_KEY", "test")
            .env_remove("AWS_PROFILE");
    };
    let mut command = Command::new(BIN);
    // The data directory holds only the admin API's development key here.
    let keys = data_dir("dynamodb-keys");
    command.args(["serve", "--addr", "127.0.0.1:0", "--store", "dynamodb", "--create-table", "--data-dir"]).arg(&keys);
    command.args(["--table", &table, "--secret-prefix", &prefix]);
    aws(&mut command);
    let server = Server::spawn(command);
    assert!(server.banner[0].contains(&format!("DynamoDB table {table}")), "{:?}", server.banner);
    let (tenant_url, secret) = (server.field("SCIM tenant URL:"), server.field("Client secret:"));
    let http = reqwest::Client::new();
    let created = http
        .post(format!("{tenant_url}/Users"))
        .bearer_auth(&secret)
        .json(&json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "moto@example.com"}))
        .send()
        .await
        .expect("POST");
    assert_eq!(created.status(), 201);

    let store = ["--store", "dynamodb", "--table", &table, "--secret-prefix", &prefix];
    let mut args = vec!["configuration", "create", "--name", "Entra", "--default-license", "named", "--json"];
    args.extend(["--base-url", &server.base_url]);
    args.extend(store);
    let made = cli_json(&args, aws);
    let second = made["tenant_url"].as_str().expect("tenant_url");
    assert_eq!(status(&format!("{second}/Users"), made["client_secret"].as_str().unwrap()).await, 200);
    assert_eq!(status(&format!("{second}/Users"), &secret).await, 401, "one tenant's secret opens only its own");
    server.stop();
    let _ = std::fs::remove_dir_all(&keys);
}

/// `local-api token` prints a token of the data directory's development issuer: it verifies
/// with that issuer's keys (`local-api jwks` prints them) and carries the role and subscription
/// asked for; an admin role
/// without a subscription, or an unknown role, prints nothing and says what to pass.
#[test]
fn token_prints_a_verifiable_admin_token() {
    use shared::admin_tokens::{DevIssuer, Principal, Role};
    let dir = data_dir("token");
    let token = |args: &[&str]| Command::new(BIN).arg("token").args(args).arg("--data-dir").arg(&dir).output().unwrap();

    let made = token(&["--role", "access-admin", "--subscription", "s-1", "--ttl", "60"]);
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let printed = String::from_utf8(made.stdout).unwrap();
    let verifier = DevIssuer::load_or_create(&dir).unwrap().verifier().unwrap();
    let principal = verifier.verify(Some(&format!("Bearer {}", printed.trim()))).unwrap();
    assert_eq!(
        principal,
        Principal::Admin { sub: "local-access-admin".into(), role: Role::AccessAdmin, subscription: "s-1".into() }
    );
    let operator = token(&["--role", "operator"]);
    let printed = String::from_utf8(operator.stdout).unwrap();
    assert_eq!(verifier.verify(Some(&format!("Bearer {}", printed.trim()))).unwrap().role(), Role::Operator);
    // `local-api jwks` prints the keys a function outside local-api verifies them with.
    let jwks = Command::new(BIN).args(["jwks", "--data-dir"]).arg(&dir).output().unwrap();
    let jwks = String::from_utf8(jwks.stdout).unwrap();
    let outside =
        shared::admin_tokens::TokenVerifier::new(DevIssuer::ISSUER, &[DevIssuer::AUDIENCE], jwks.trim()).unwrap();
    assert_eq!(outside.verify(Some(&format!("Bearer {}", printed.trim()))).unwrap().role(), Role::Operator);

    for (args, says) in
        [(&["--role", "subscription-admin"][..], "needs --subscription"), (&["--role", "root"][..], "is not a role")]
    {
        let refused = token(args);
        assert!(!refused.status.success() && refused.stdout.is_empty(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&refused.stderr).contains(says),
            "{args:?}: {}",
            String::from_utf8_lossy(&refused.stderr)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `kill -9` of the real binary in the middle of 200 parallel creates against 50 seats: after
/// a restart every create that got a 201 is there, and the check recounts seats and queues
/// from the store and finds nothing wrong.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_kill_9_in_the_middle_of_200_creates_loses_nothing_acknowledged() {
    let dir = data_dir("kill9");
    let server = Server::start(&dir);
    let tenant_url = server.field("SCIM tenant URL:");
    let auth = basic(&server.field("Client ID:"), &server.field("Client secret:"));
    let output =
        Command::new(BIN).args(["token", "--role", "operator", "--data-dir"]).arg(&dir).output().expect("token");
    let operator = String::from_utf8(output.stdout).expect("UTF-8").trim().to_owned();
    let http = reqwest::Client::new();
    let pool = format!("{}/manage/v1/subscriptions/local/pools/named", server.base_url);
    let bought = http.put(&pool).bearer_auth(&operator).json(&json!({"purchased": 50})).send().await.expect("PUT");
    assert_eq!(bought.status(), 200);

    let (answered, mut answers) = tokio::sync::mpsc::unbounded_channel();
    for i in 0..200 {
        let (http, url, auth, answered) = (http.clone(), format!("{tenant_url}/Users"), auth.clone(), answered.clone());
        tokio::spawn(async move {
            let user = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": format!("k{i}@example.com")});
            let sent = http.post(url).header("authorization", auth).json(&user).send().await;
            let created = match sent {
                Ok(r) if r.status() == 201 => {
                    r.json::<Value>().await.ok().and_then(|v| v["id"].as_str().map(str::to_owned))
                }
                _ => None,
            };
            let _ = answered.send(created);
        });
    }
    drop(answered);
    let pid = server.child.id().to_string();
    let old_base = server.base_url.clone();
    let mut created = Vec::new();
    let mut seen = 0;
    while let Some(answer) = answers.recv().await {
        seen += 1;
        created.extend(answer);
        if seen == 60 {
            let killed = Command::new("kill").args(["-9", &pid]).status().expect("kill -9");
            assert!(killed.success());
        }
    }
    server.stop();
    assert!(created.len() >= 60 && created.len() < 200, "killed mid-way: {} of 200 created", created.len());

    let restarted = Server::start(&dir);
    // It listens on another port: the tenant's path is the same.
    let tenant_url = tenant_url.replacen(&old_base, &restarted.base_url, 1);
    for id in &created {
        let got =
            http.get(format!("{tenant_url}/Users/{id}")).header("authorization", &auth).send().await.expect("GET");
        assert_eq!(got.status(), 200, "user {id} got a 201 before the kill");
    }
    let check = cli_json(&["check", "--data-dir", dir.to_str().expect("a UTF-8 path")], |_| {});
    assert_eq!(check["ok"], true, "{check}");
    let named =
        check["pools"].as_array().expect("pools").iter().find(|p| p["type"] == "named").cloned().expect("named");
    assert!(named["used"].as_i64() <= Some(50), "{check}");
    restarted.stop();
    let _ = std::fs::remove_dir_all(&dir);
}
