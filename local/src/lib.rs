//! `local-api`: every function's handler served in one process, dispatched by the service's one
//! route table ([`shared::edge::routes`], which `template.yaml` declares to API Gateway), so what
//! runs on a laptop is what runs on AWS, function for function. The store is the embedded one
//! by default, or DynamoDB and Secrets Manager (e.g. a local moto server through
//! `AWS_ENDPOINT_URL`) — chosen by the same [`Settings`] rules as the functions. The URLs it
//! writes are under its own address, or the `--public-url` / `SCIM_PUBLIC_URL` it is given
//! ([`public_url`]), never under a request's `Host`.

use std::net::SocketAddr;
use std::sync::Arc;

use aws_sdk_dynamodb::error::DisplayErrorContext;
use axum::body::Body as AxumBody;
use http_body_util::{BodyExt, Limited};
use lambda_http::{Body, Request, Response};
use shared::admin_issuer::AdminTokens;
use shared::admin_tokens::DevIssuer;
use shared::app::App;
use shared::edge::routes::{self, Function};
use shared::edge::{OversizedBody, MAX_BODY_BYTES};
use shared::licenses::{LicenseError, LicenseType, Recycling};
use shared::public_url::PublicUrl;
use shared::settings::{Settings, Store};
use shared::store::dynamodb::DynamoTable;
use shared::tenants::NewConfiguration;
use tokio::net::TcpListener;

/// The subscription every local configuration belongs to.
pub const LOCAL_SUBSCRIPTION: &str = "local";

/// The app `settings` describe; with `create_table`, the DynamoDB table is created first
/// unless it exists (moto starts empty; on AWS the SAM template owns the table).
pub async fn open(settings: &Settings, create_table: bool) -> Result<App, String> {
    match &settings.store {
        Store::Embedded { data_dir } => {
            if create_table {
                return Err("--create-table is for --store dynamodb".to_owned());
            }
            App::open_embedded(data_dir)
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

/// The admin token verifier of `local-api`: its development issuer, whose key is kept in
/// `data_dir` (made on first use), the one `local-api token` signs with, and which turns the
/// console's sign-in links into sessions.
pub fn dev_admin_tokens(data_dir: &std::path::Path) -> Result<(DevIssuer, AdminTokens), String> {
    let issuer = DevIssuer::load_or_create(data_dir)?;
    let tokens = AdminTokens::development(issuer.clone())?;
    Ok((issuer, tokens))
}

/// A one-time sign-in link to the console at `public_url` for `role` (in `subscription`), valid
/// for [`shared::sign_in_links::LINK_LIFETIME`]. The code is in the fragment, which browsers
/// never send to a server: the console's script redeems it and takes it out of the address.
pub async fn sign_in_link(
    app: &App,
    public_url: &PublicUrl,
    role: shared::admin_tokens::Role,
    subscription: Option<&str>,
) -> Result<String, String> {
    if role != shared::admin_tokens::Role::Operator && subscription.is_none_or(str::is_empty) {
        return Err(format!("a {} signs in to one subscription: give --subscription", role.as_str()));
    }
    let grant = shared::sign_in_links::Grant { role, subscription: subscription.map(str::to_owned) };
    let code = app.sign_in_links.issue(&grant).await.map_err(|e| format!("cannot make a sign-in link: {e}"))?;
    Ok(format!("{public_url}{}/signin#code={code}", shared::edge::manage::console::ROOT))
}

/// Where `settings` keep the data, for banners.
pub fn describe(settings: &Settings) -> String {
    match &settings.store {
        Store::Embedded { data_dir } => format!("data in {}", data_dir.display()),
        Store::DynamoDb { table, secret_prefix, .. } => {
            let endpoint = std::env::var("AWS_ENDPOINT_URL").unwrap_or_else(|_| "AWS".to_owned());
            format!("DynamoDB table {table}, secrets {secret_prefix}<tenant>, at {endpoint}")
        }
    }
}

/// Creates the local subscription unless it exists.
pub async fn ensure_local_subscription(app: &App) -> Result<(), String> {
    match app.licenses.create_subscription_with_id(LOCAL_SUBSCRIPTION, "Local subscription", Recycling::Automatic).await
    {
        Ok(_) | Err(LicenseError::SubscriptionExists(_)) => Ok(()),
        Err(e) => Err(format!("cannot create the local subscription: {e}")),
    }
}

/// Creates a provisioning configuration in the local subscription (made first if need be).
pub async fn create_configuration(
    app: &App,
    name: &str,
    default_license: LicenseType,
) -> Result<NewConfiguration, String> {
    ensure_local_subscription(app).await?;
    app.tenants
        .create_configuration(LOCAL_SUBSCRIPTION, name, default_license)
        .await
        .map_err(|e| format!("cannot create the configuration: {e}"))
}

/// Where clients reach a server listening at `addr`: the configured URL (`--public-url`,
/// `SCIM_PUBLIC_URL`, for a server behind a proxy), else the address itself.
pub fn public_url(configured: Option<&PublicUrl>, addr: SocketAddr) -> PublicUrl {
    configured.cloned().unwrap_or_else(|| PublicUrl::listening_at(addr))
}

/// Serves every function on `listener` until the task is dropped.
/// The background jobs' worker runs beside the server and resumes what a previous run left
/// unfinished (on AWS the worker function does them from the jobs queue: docs/architecture.md).
pub async fn serve(listener: TcpListener, app: Arc<App>) -> std::io::Result<()> {
    let worker = shared::worker::run(app.clone());
    let router = axum::Router::new().fallback(move |req: axum::extract::Request| {
        let app = app.clone();
        async move { to_axum(route(&app, req).await) }
    });
    tokio::select! {
        served = axum::serve(listener, router) => served,
        () = worker => Ok(()),
    }
}

/// What API Gateway does: read the body (up to the edge's limit), pick the function by the
/// route table and hand it the request. A path no route serves gets API Gateway's own answer.
async fn route(app: &App, req: axum::extract::Request) -> Response<Body> {
    let (mut parts, body) = req.into_parts();
    let body = match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => match collected.to_bytes() {
            bytes if bytes.is_empty() => Body::Empty,
            bytes => Body::Binary(bytes.to_vec()),
        },
        Err(_) => {
            parts.extensions.insert(OversizedBody);
            Body::Empty
        }
    };
    dispatch(app, Request::from_parts(parts, body)).await
}

/// What [`serve`] does with a request once its body is read: the function the route table
/// picks handles it, and a path no route serves gets API Gateway's own answer. (The property
/// tests call this in-process, to send thousands of requests without a socket.)
pub async fn dispatch(app: &App, req: Request) -> Response<Body> {
    match function_for(&req) {
        Some(function) => handle(app, function, req).await,
        None => not_found(),
    }
}

/// Serves `req` with `function`'s handler, as that function's Lambda would.
pub async fn handle(app: &App, function: Function, req: Request) -> Response<Body> {
    match function {
        Function::Users => users::handle(app, req).await,
        Function::Groups => groups::handle(app, req).await,
        Function::Discovery => discovery::handle(app, req).await,
        Function::Manage => manage::handle(app, req).await,
    }
}

/// The function the route table picks for `req`.
pub fn function_for<B>(req: &http::Request<B>) -> Option<Function> {
    routes::function_for(req.method().as_str(), req.uri().path())
}

/// API Gateway's answer for a path no route serves.
fn not_found() -> Response<Body> {
    let mut response = Response::new(Body::Text(r#"{"message":"Not Found"}"#.to_owned()));
    *response.status_mut() = http::StatusCode::NOT_FOUND;
    response.headers_mut().insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static("application/json"));
    response
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
