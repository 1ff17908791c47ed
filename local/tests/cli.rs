//! The `local-api` binary as a newcomer uses it: first start prints working credentials, the
//! data survives a restart, `configuration create --json` works beside a running server, and
//! the request log is JSON that never holds a secret.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use base64::Engine;
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_local-api");

struct Server {
    child: Child,
    /// What the server printed on stdout up to its credentials (or its tenant list).
    banner: Vec<String>,
    base_url: String,
}

impl Server {
    fn start(data_dir: &Path) -> Server {
        let mut child = Command::new(BIN)
            .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start local-api");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let mut banner = Vec::new();
        let mut base_url = String::new();
        for line in lines.by_ref() {
            let line = line.expect("read stdout");
            if let Some(rest) = line.strip_prefix("local-api listening on ") {
                base_url = rest.split_whitespace().next().unwrap_or_default().to_owned();
            }
            let done = line.starts_with("Authenticate with");
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

    // The same name again is refused with a message, and nothing is printed on stdout.
    let again = Command::new(BIN)
        .args(["configuration", "create", "--name", "entra", "--default-license", "named", "--json", "--data-dir"])
        .arg(&dir)
        .output()
        .expect("run configuration create");
    assert!(!again.status.success());
    assert!(again.stdout.is_empty());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    server.stop();
    let _ = std::fs::remove_dir_all(&dir);
}
