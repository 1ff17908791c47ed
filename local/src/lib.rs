//! `local-api`: every function's handler served in one process over the embedded store, on
//! the routes API Gateway uses (`/scim/v2/{tenant}/…`), so what runs on a laptop is what
//! runs on AWS, function for function.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body as AxumBody;
use http_body_util::{BodyExt, Limited};
use lambda_http::{Body, Request, Response};
use shared::directory::{LicenseType, NewConfiguration};
use shared::http::{error_response, App, Endpoint, Route, MAX_BODY_BYTES};
use shared::scim::ScimError;
use shared::store::sqlite::SqliteTable;
use tokio::net::TcpListener;

/// The subscription every local configuration belongs to.
pub const LOCAL_SUBSCRIPTION: &str = "local";

/// The database file inside a data directory.
pub fn database_path(data_dir: &Path) -> PathBuf {
    data_dir.join("scim.sqlite3")
}

/// An app over the durable embedded store in `data_dir`.
pub fn open_app(data_dir: &Path) -> Result<App, String> {
    let table = SqliteTable::open(&database_path(data_dir))
        .map_err(|e| format!("cannot open the store in {}: {e}", data_dir.display()))?;
    Ok(App::embedded(Arc::new(table)))
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
    //! An in-process service on an in-memory store, for the integration tests and the benchmark.

    use super::*;

    /// Credentials of one provisioning configuration (one SCIM tenant).
    #[derive(Debug, Clone)]
    pub struct Tenant {
        /// `http://127.0.0.1:PORT/scim/v2/<tenant id>`: append `/Users`, `/Groups`, …
        pub tenant_url: String,
        pub client_id: String,
        pub client_secret: String,
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
        /// Starts a service on 127.0.0.1 on a free port, on a fresh in-memory store.
        pub async fn start() -> TestService {
            let app = Arc::new(App::embedded(Arc::new(SqliteTable::in_memory())));
            let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port");
            let addr = listener.local_addr().expect("listener address");
            let server = tokio::spawn(serve(listener, app.clone()));
            TestService { base_url: format!("http://{addr}"), addr, app, server }
        }

        /// Creates a provisioning configuration and returns its credentials.
        pub async fn create_tenant(&self, name: &str, default_license: &str) -> Tenant {
            let license = default_license.parse().expect("a license type");
            let created = create_configuration(&self.app, name, license).await.expect("create a configuration");
            Tenant {
                tenant_url: tenant_url(self.addr, &created.configuration.tenant),
                client_id: created.configuration.client_id,
                client_secret: created.client_secret,
            }
        }
    }

    impl Drop for TestService {
        fn drop(&mut self) {
            self.server.abort();
        }
    }
}
