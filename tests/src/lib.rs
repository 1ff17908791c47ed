//! Test support for the end-to-end tests and the benchmarks: an in-process service
//! ([`TestService`], `local-api`'s router on a free loopback port) on a fresh store of the
//! engine `SCIM_TEST_STORE` names:
//! - `embedded` (the default): a fresh in-memory SQLite store;
//! - `dynamodb`: a fresh DynamoDB table (random name) and Secrets Manager secrets under a
//!   random prefix, both on the moto server at `SCIM_TEST_DYNAMODB_ENDPOINT` (moto serves
//!   both services on one port). Without that variable the test panics: a suite asked to
//!   run on DynamoDB never quietly runs on something else.
//!
//! The test command (`scripts/test`) runs the tests on both. They live in `tests/tests/`:
//!
//! - `okta.rs`: Okta's requests in Okta's order (Test API Credentials, lookup, create,
//!   duplicate, get, PUT, deactivate / reactivate, import paging, Group Push).
//! - `entra.rs`: Entra's forms (Bearer, lookups, capitalised ops, "True"/"False", member
//!   removal by value list, dotted keys, filtered-path add, DELETE, displayName uniqueness).
//! - `discovery.rs`: /ServiceProviderConfig, /ResourceTypes, /Schemas, SCIM 404s.
//! - `auth.rs`: Basic / Bearer, every other credential a SCIM 401, tenant isolation, rotation.
//! - `protocol.rs`: attributes / excludedAttributes, filters, ETag / If-Match, paging, password.
//! - `concurrency.rs`: racing creates, racing member PATCHes, racing conditional PUTs.
//! - `bad_input.rs`: malformed and hostile requests: a 4xx SCIM error, nothing changed.
//! - `worst_case.rs`: the largest body in the costliest shape for each endpoint ([`worst_case`]).
//! - `search.rs`: `POST /.search` on /Users, /Groups and the tenant root, over HTTP and per handler.
//! - `events.rs`: every API Gateway event of `events/` through its function's handler, and
//!   the URLs a handler writes on Lambda (API Gateway's domain name, or the configured one).
//! - `urls.rs`: the URLs in answers are under the server's own base, whatever `Host` says.
//! - `dynamodb_calls.rs`: DynamoDB calls per SCIM operation, counted on moto.
//! - `properties.rs`: generated requests of every shape through `local::dispatch` (proptest):
//!   never a 5xx, always a well-formed answer.
//! - `manage.rs`: the admin API: the configuration flow against SCIM, its errors, and the role
//!   matrix (every route of its OpenAPI document × every role and bad token).
//! - `job_queue.rs`: background jobs on AWS: the SQS jobs queue (moto's) and the worker
//!   function's handler, a worker that dies mid-job and the sweep included.
//! - `console.rs`: the web console's server side: its files and security headers, sign-in
//!   links and the session cookie (CSRF guard, sign-out), the users list's user name filter.
//! - `common/mod.rs`: the client and assertions they share.
//!
//! This crate is test support only: no function depends on it. `benches/` holds benchmarks,
//! not tests: `cargo bench -p tests --bench okta_lifecycle`.

pub mod worst_case;

use std::sync::Arc;

use local::{create_configuration, public_url, serve};
use shared::admin_tokens::{DevIssuer, Role};
use shared::app::App;
use shared::public_url::PublicUrl;
use shared::store::dynamodb::DynamoTable;
use shared::store::sqlite::SqliteTable;
use shared::tenants::NewConfiguration;
use shared::testing::TempDir;
use tokio::net::TcpListener;

/// Credentials of one provisioning configuration (one SCIM tenant).
#[derive(Debug, Clone)]
pub struct Tenant {
    /// `http://127.0.0.1:PORT/scim/v2/<tenant id>`: append `/Users`, `/Groups`, …
    pub tenant_url: String,
    pub client_id: String,
    pub client_secret: String,
}

/// The engine of the test suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestStore {
    Embedded,
    DynamoDb,
}

impl TestStore {
    /// The engine `SCIM_TEST_STORE` names; panics on anything but `embedded` or `dynamodb`.
    pub fn from_env() -> TestStore {
        match std::env::var("SCIM_TEST_STORE").ok().as_deref().map(str::trim) {
            None | Some("") | Some("embedded") => TestStore::Embedded,
            Some("dynamodb") => TestStore::DynamoDb,
            Some(other) => panic!("SCIM_TEST_STORE={other:?}: use `embedded` (the default) or `dynamodb`"),
        }
    }
}

/// A fresh app on the engine `SCIM_TEST_STORE` names.
pub async fn test_app() -> App {
    test_apps(1).await.remove(0)
}

/// `n` apps on one fresh store of the engine `SCIM_TEST_STORE` names: what `n` warm
/// processes (Lambda instances, a CLI) share, each with its own caches and bookmarks.
pub async fn test_apps(n: usize) -> Vec<App> {
    match TestStore::from_env() {
        TestStore::Embedded => {
            let table: Arc<dyn shared::store::Table> = Arc::new(SqliteTable::in_memory());
            (0..n).map(|_| App::embedded(table.clone())).collect()
        }
        TestStore::DynamoDb => {
            let endpoint = std::env::var("SCIM_TEST_DYNAMODB_ENDPOINT").unwrap_or_default();
            assert!(
                !endpoint.trim().is_empty(),
                "SCIM_TEST_STORE=dynamodb needs SCIM_TEST_DYNAMODB_ENDPOINT, the URL of a moto server \
                 (`eval \"$(scripts/moto start)\"`, or run scripts/test, which does it)"
            );
            let config = shared::testing::moto_config(endpoint.trim()).await;
            let run = uuid::Uuid::new_v4().simple().to_string();
            let table = format!("scim-test-{run}");
            let client = aws_sdk_dynamodb::Client::new(&config);
            DynamoTable::create_table(&client, &table)
                .await
                .unwrap_or_else(|e| panic!("cannot create the table {table} on moto at {endpoint}: {e}"));
            (0..n).map(|_| App::on_aws(&config, &table, &format!("scim-test/{run}/"))).collect()
        }
    }
}

/// A running service; it stops when dropped.
pub struct TestService {
    /// `http://127.0.0.1:PORT`: where the service listens.
    pub base_url: String,
    /// The base of the URLs the service writes: `base_url`, unless the app came with its own.
    pub public_url: PublicUrl,
    app: Arc<App>,
    /// Signs the admin API's tokens: a development issuer whose key is in `_keys`, and whose
    /// verifier the app checks tokens with.
    issuer: DevIssuer,
    _keys: TempDir,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl TestService {
    /// Starts a service on 127.0.0.1 on a free port, on a fresh store of the engine
    /// `SCIM_TEST_STORE` names ([`test_app`]).
    pub async fn start() -> TestService {
        TestService::start_with(test_app().await).await
    }

    /// Starts a service on 127.0.0.1 on a free port, serving `app`, whose URLs are under its
    /// public URL if it has one (as `local-api serve --public-url`), else under the address.
    /// Its admin API checks tokens of a development issuer of its own ([`TestService::admin_token`]).
    pub async fn start_with(app: App) -> TestService {
        let keys = TempDir::new();
        let (issuer, admin_tokens) = local::dev_admin_tokens(keys.path()).expect("a development issuer");
        TestService::listen(app.with_admin_tokens(admin_tokens), issuer, keys).await
    }

    /// As [`TestService::start_with`], keeping the app's own admin token verifier (or its
    /// lack of one): tokens minted here are then anyone's.
    pub async fn start_keeping_admin_tokens(app: App) -> TestService {
        let keys = TempDir::new();
        let issuer = DevIssuer::load_or_create(keys.path()).expect("a development issuer");
        TestService::listen(app, issuer, keys).await
    }

    async fn listen(app: App, issuer: DevIssuer, keys: TempDir) -> TestService {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port");
        let addr = listener.local_addr().expect("listener address");
        let public_url = public_url(app.public_url.as_ref(), addr);
        let app = Arc::new(app.with_public_url(public_url.clone()));
        let server = tokio::spawn(serve(listener, app.clone()));
        TestService { base_url: format!("http://{addr}"), public_url, app, issuer, _keys: keys, server }
    }

    /// A valid admin token of `role` (in `subscription`, which the admin roles need), for an hour.
    pub fn admin_token(&self, role: Role, subscription: Option<&str>) -> String {
        self.issuer.mint(role, subscription, std::time::Duration::from_secs(3600)).expect("mint an admin token")
    }

    /// The issuer the admin API trusts: to sign tokens with any claims (expired, another
    /// audience) that only its key can make.
    pub fn admin_issuer(&self) -> &DevIssuer {
        &self.issuer
    }

    /// The admin API's base URL: `http://127.0.0.1:PORT/manage/v1`.
    pub fn manage_url(&self) -> String {
        format!("{}{}", self.base_url, shared::edge::manage::BASE)
    }

    /// The app this service serves.
    pub fn app(&self) -> &Arc<App> {
        &self.app
    }

    /// Creates a provisioning configuration and returns its credentials.
    pub async fn create_tenant(&self, name: &str, default_license: &str) -> Tenant {
        let license = default_license.parse().expect("a license type");
        let created = create_configuration(&self.app, name, license).await.expect("create a configuration");
        self.tenant(created)
    }

    /// Gives `tenant` a new client secret (the old one stops working at once here).
    pub async fn rotate_secret(&self, tenant: &Tenant) -> Tenant {
        let id = tenant.tenant_url.rsplit('/').next().expect("a tenant URL");
        self.tenant(self.app.tenants.rotate_secret(id).await.expect("rotate the secret"))
    }

    fn tenant(&self, made: NewConfiguration) -> Tenant {
        Tenant {
            tenant_url: self.public_url.tenant_url(&made.configuration.tenant),
            client_id: made.configuration.client_id,
            client_secret: made.client_secret,
        }
    }
}

impl Drop for TestService {
    fn drop(&mut self) {
        self.server.abort();
    }
}
