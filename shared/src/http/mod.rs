//! The HTTP edge every function shares: from a `lambda_http::Request` to a SCIM answer.
//!
//! [`serve`] does what every endpoint needs — route, body limit, authentication, panic and
//! error mapping, one JSON log line — and hands a [`ScimRequest`] to the function's own
//! dispatcher, which returns a [`ScimResponse`] or a [`ScimError`].

mod request;
mod response;
pub mod route;

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Instant;

use futures::FutureExt;
use lambda_http::{Body, Request, RequestExt, Response};

pub use request::ScimRequest;
pub use response::{error as error_response, ScimResponse};
pub use route::{Endpoint, Route};

use crate::directory::{Directory, Tenant};
use crate::scim::ScimError;
use crate::secrets::{SecretStore, SecretsManagerSecrets, TableSecrets};
use crate::settings::{Settings, Store};
use crate::store::dynamodb::DynamoTable;
use crate::store::Table;

/// Largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Everything a function builds once per cold start and shares across requests.
pub struct App {
    pub directory: Directory,
}

impl App {
    pub fn new(table: Arc<dyn Table>, secrets: Arc<dyn SecretStore>) -> App {
        App { directory: Directory::new(table, secrets) }
    }

    /// The app a function builds at cold start, from its environment ([`Settings`]): the
    /// embedded store in `SCIM_DATA_DIR`, or DynamoDB and Secrets Manager when
    /// `SCIM_TABLE_NAME` is set. The error tells the operator what to set.
    pub async fn from_env() -> Result<App, String> {
        App::from_settings(&Settings::from_env()?).await
    }

    /// The app `settings` describe; AWS clients are built here, once, from the SDK's own
    /// environment (region, credentials, `AWS_ENDPOINT_URL`).
    pub async fn from_settings(settings: &Settings) -> Result<App, String> {
        match &settings.store {
            Store::Embedded { data_dir } => App::open_embedded(data_dir),
            Store::DynamoDb { table, secret_prefix } => {
                Ok(App::on_aws(&crate::settings::aws_config().await?, table, secret_prefix))
            }
        }
    }

    /// An app on the durable embedded store in `data_dir` (its SQLite file is `scim.sqlite3`).
    pub fn open_embedded(data_dir: &std::path::Path) -> Result<App, String> {
        let path = data_dir.join("scim.sqlite3");
        let table = crate::store::sqlite::SqliteTable::open(&path)
            .map_err(|e| format!("cannot open the embedded store at {}: {e}", path.display()))?;
        Ok(App::embedded(Arc::new(table)))
    }

    /// An app whose secrets live in the same embedded table.
    pub fn embedded(table: Arc<dyn Table>) -> App {
        let secrets = Arc::new(TableSecrets::new(table.clone()));
        App::new(table, secrets)
    }

    /// An app on the DynamoDB table `table`, with verifiers in Secrets Manager under `secret_prefix`.
    pub fn on_aws(config: &aws_config::SdkConfig, table: &str, secret_prefix: &str) -> App {
        let table = DynamoTable::new(aws_sdk_dynamodb::Client::new(config), table);
        let secrets = SecretsManagerSecrets::new(aws_sdk_secretsmanager::Client::new(config), secret_prefix);
        App::new(Arc::new(table), Arc::new(secrets))
    }
}

/// Serves one request: `dispatch` gets an authenticated request for its tenant.
pub async fn serve<F>(app: &App, req: Request, dispatch: F) -> Response<Body>
where
    F: AsyncFnOnce(&App, ScimRequest) -> Result<ScimResponse, ScimError>,
{
    let started = Instant::now();
    let request_id = request_id(&req);
    let method = req.method().clone();
    let route = Route::parse(req.uri().path());
    let (tenant_id, template) = match &route {
        Some(r) => (r.tenant.clone(), r.endpoint.template()),
        None => (String::new(), "(outside a tenant)"),
    };

    let answer = AssertUnwindSafe(handle(app, req, route, dispatch)).catch_unwind().await;
    let answer = match answer {
        Ok(answer) => answer,
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            tracing::error!(request_id, panic = message, "handler panicked");
            Err(ScimError::internal())
        }
    };
    let (response, outcome, detail) = match answer {
        Ok(ok) => (ok.into_response(), "ok", None),
        Err(e) => {
            let outcome = if e.status >= 500 { "error" } else { "rejected" };
            let detail = e.detail.clone();
            (response::error(&e), outcome, Some(detail))
        }
    };
    tracing::info!(
        request_id,
        tenant = tenant_id,
        method = %method,
        route = template,
        status = response.status().as_u16(),
        latency_ms = started.elapsed().as_secs_f64() * 1000.0,
        outcome,
        detail,
        "request"
    );
    response
}

async fn handle<F>(app: &App, req: Request, route: Option<Route>, dispatch: F) -> Result<ScimResponse, ScimError>
where
    F: AsyncFnOnce(&App, ScimRequest) -> Result<ScimResponse, ScimError>,
{
    let route = route.ok_or_else(|| ScimError::not_found("Not a SCIM endpoint: use /scim/v2/{tenant}/…"))?;
    let authorization = req.headers().get(http::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let configuration = app.directory.authenticate(&route.tenant, authorization).await?;
    let url = format!("{}{}", origin(&req), route.tenant_path);
    let tenant = Tenant { configuration, url };
    let request = ScimRequest::new(req, route.endpoint, tenant)?;
    dispatch(app, request).await
}

/// `scheme://host` as the client addressed us (API Gateway sets X-Forwarded-Proto).
fn origin(req: &Request) -> String {
    let headers = req.headers();
    let host = headers.get(http::header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("localhost");
    let scheme = headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()).unwrap_or("http");
    format!("{scheme}://{host}")
}

fn request_id(req: &Request) -> String {
    if let Some(context) = req.lambda_context_ref() {
        return context.request_id.clone();
    }
    req.headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.len() <= 128)
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}

/// JSON log lines on stderr (CloudWatch takes them as they are), filtered by `LOG_LEVEL`
/// (default `info`). Call once at start-up.
pub fn init_logging() {
    let filter = std::env::var("LOG_LEVEL").unwrap_or_else(|_| "info".to_owned());
    let _ = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_target(false)
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .try_init();
}
