//! `local-api`: every function's handler served in one process, on the routes API Gateway
//! uses (`/scim/v2/{tenant}/…`), so what runs on a laptop is what runs on AWS, function for
//! function. The store is the embedded one by default, or DynamoDB and Secrets Manager
//! (e.g. a local moto server through `AWS_ENDPOINT_URL`) — chosen by the same
//! [`Settings`] rules as the functions.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use aws_sdk_dynamodb::error::DisplayErrorContext;
use axum::body::Body as AxumBody;
use http_body_util::{BodyExt, Limited};
use lambda_http::{Body, Request, Response};
use shared::directory::{LicenseType, NewConfiguration};
use shared::http::{error_response, App, Endpoint, Route, MAX_BODY_BYTES};
use shared::scim::ScimError;
use shared::settings::{Settings, Store};
use shared::store::dynamodb::DynamoTable;
use shared::store::sqlite::SqliteTable;
use tokio::net::TcpListener;

/// The subscription every local configuration belongs to.
pub const LOCAL_SUBSCRIPTION: &str = "local";

/// An app over the durable embedded store in `data_dir`.
pub fn open_app(data_dir: &Path) -> Result<App, String> {
    App::open_embedded(data_dir)
}

/// The app `settings` describe; with `create_table`, the DynamoDB table is created first
/// unless it exists (moto starts empty; on AWS the SAM template owns the table).
pub async fn open(settings: &Settings, create_table: bool) -> Result<App, String> {
    match &settings.store {
        Store::Embedded { data_dir } => {
            if create_table {
                return Err("--create-table is for --store dynamodb".to_owned());
            }
            open_app(data_dir)
        }
        Store::DynamoDb { table, .. } => {
            if create_table {
                ensure_table(&aws_sdk_dynamodb::Client::new(&shared::settings::aws_config().await?), table).await?;
            }
            App::from_settings(settings).await
        }
    }
}

/// Creates the DynamoDB table `table` unless it already exists.
pub async fn ensure_table(client: &aws_sdk_dynamodb::Client, table: &str) -> Result<(), String> {
    match client.describe_table().table_name(table).send().await {
        Ok(_) => return Ok(()),
        Err(e) if e.as_service_error().is_some_and(|e| e.is_resource_not_found_exception()) => {}
        Err(e) => return Err(format!("cannot describe the DynamoDB table {table}: {}", DisplayErrorContext(&e))),
    }
    DynamoTable::create_table(client, table).await.map_err(|e| format!("cannot create the DynamoDB table {table}: {e}"))
}

/// Where `settings` keep the data, for banners.
pub fn describe(settings: &Settings) -> String {
    match &settings.store {
        Store::Embedded { data_dir } => format!("data in {}", data_dir.display()),
        Store::DynamoDb { table, secret_prefix } => {
            let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap_or_else(|_| "AWS".to_owned());
            format!("DynamoDB table {table}, secrets {secret_prefix}<tenant>, at {endpoint}")
        }
    }
}

/// Creates a provisioning configuration in the local subscription.
pub async fn create_configuration(
    app: &App,
    name: &str,
    default_license: LicenseType,
) -> Result<NewConfiguration, String> {
    app.directory
        .create_configuration(LOCAL_SUBSCRIPTION, name, default_license)
        .await
        .map_err(|e| format!("cannot create the configuration: {e}"))
}

/// The URL of a tenant on a server listening at `addr`.
pub fn tenant_url(addr: SocketAddr, tenant: &str) -> String {
    format!("http://{addr}/scim/v2/{tenant}")
}

/// Serves every function on `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, app: Arc<App>) -> std::io::Result<()> {
    let router = axum::Router::new().fallback(move |req: axum::extract::Request| {
        let app = app.clone();
        async move { to_axum(route(&app, req).await) }
    });
    axum::serve(listener, router).await
}

/// What API Gateway does: pick the function by path and hand it the request.
async fn route(app: &App, req: axum::extract::Request) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let bytes = match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return error_response(&ScimError::payload_too_large(MAX_BODY_BYTES)),
    };
    let body = if bytes.is_empty() { Body::Empty } else { Body::Binary(bytes.to_vec()) };
    let req = Request::from_parts(parts, body);
    match Route::parse(req.uri().path()).map(|r| r.endpoint) {
        Some(Endpoint::Users | Endpoint::User(_)) => users::handle(app, req).await,
        Some(Endpoint::Groups | Endpoint::Group(_)) => groups::handle(app, req).await,
        _ => discovery::handle(app, req).await,
    }
}

fn to_axum(response: Response<Body>) -> axum::response::Response {
    let (parts, body) = response.into_parts();
    let body = match body {
        Body::Empty => AxumBody::empty(),
        Body::Text(t) => AxumBody::from(t),
        Body::Binary(b) => AxumBody::from(b),
        _ => AxumBody::empty(),
    };
    axum::response::Response::from_parts(parts, body)
}

pub mod testing {
    //! An in-process service for the integration tests and the benchmark, on the engine
    //! `SCIM_TEST_STORE` names:
    //! - `embedded` (the default): a fresh in-memory SQLite store;
    //! - `dynamodb`: a fresh DynamoDB table (random name) and Secrets Manager secrets under a
    //!   random prefix, both on the moto server at `SCIM_TEST_DYNAMODB_ENDPOINT` (moto serves
    //!   both services on one port). Without that variable the test panics: a suite asked to
    //!   run on DynamoDB never quietly runs on something else.

    use super::*;

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
    pub async fn test_app() -> Arc<App> {
        match TestStore::from_env() {
            TestStore::Embedded => Arc::new(App::embedded(Arc::new(SqliteTable::in_memory()))),
            TestStore::DynamoDb => {
                let endpoint = std::env::var("SCIM_TEST_DYNAMODB_ENDPOINT").unwrap_or_default();
                assert!(
                    !endpoint.trim().is_empty(),
                    "SCIM_TEST_STORE=dynamodb needs SCIM_TEST_DYNAMODB_ENDPOINT, the URL of a moto server \
                     (`eval \"$(scripts/moto start)\"`, or run scripts/test, which does it)"
                );
                let config = shared::settings::moto_config(endpoint.trim()).await;
                let run = uuid::Uuid::new_v4().simple().to_string();
                let table = format!("scim-test-{run}");
                let client = aws_sdk_dynamodb::Client::new(&config);
                DynamoTable::create_table(&client, &table)
                    .await
                    .unwrap_or_else(|e| panic!("cannot create the table {table} on moto at {endpoint}: {e}"));
                Arc::new(App::on_aws(&config, &table, &format!("scim-test/{run}/")))
            }
        }
    }

    /// A running service; it stops when dropped.
    pub struct TestService {
        /// `http://127.0.0.1:PORT`
        pub base_url: String,
        addr: SocketAddr,
        app: Arc<App>,
        server: tokio::task::JoinHandle<std::io::Result<()>>,
    }

    impl TestService {
        /// Starts a service on 127.0.0.1 on a free port, on a fresh store of the engine
        /// `SCIM_TEST_STORE` names ([`test_app`]).
        pub async fn start() -> TestService {
            TestService::start_with(test_app().await).await
        }

        /// Starts a service on 127.0.0.1 on a free port, serving `app`.
        pub async fn start_with(app: Arc<App>) -> TestService {
            let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port");
            let addr = listener.local_addr().expect("listener address");
            let server = tokio::spawn(serve(listener, app.clone()));
            TestService { base_url: format!("http://{addr}"), addr, app, server }
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
            self.tenant(self.app.directory.rotate_secret(id).await.expect("rotate the secret"))
        }

        fn tenant(&self, made: NewConfiguration) -> Tenant {
            Tenant {
                tenant_url: tenant_url(self.addr, &made.configuration.tenant),
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
}
