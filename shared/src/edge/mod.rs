//! The HTTP edge every API shares, from a `lambda_http::Request` to a `Response`.
//!
//! [`serve`] does what every endpoint of every API needs — the body limit, a request id, the
//! panic guard, the mapping of an error to its answer, one JSON log line — and leaves the rest
//! to the API: each API (the SCIM API in [`scim`], the admin API in [`manage`]) picks how a
//! request is authenticated and how its errors look by the handler and the [`ApiError`] type it
//! passes. [`routes`] is the one route table: which function serves which path.

pub mod manage;
pub mod routes;
pub mod scim;

use std::panic::AssertUnwindSafe;
use std::time::Instant;

use futures::FutureExt;
use lambda_http::{Body, Request, RequestExt, Response};

/// Largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// What the edge needs of an API's error type.
pub trait ApiError {
    /// The HTTP status of the answer.
    fn status(&self) -> u16;
    /// What the log line says of the error: what the client is told, or the reason behind it
    /// when the client is told less (a refused token's). Never a secret or a credential.
    fn detail(&self) -> &str;
    /// The answer, in the API's own error format.
    fn to_response(&self) -> Response<Body>;
    /// The answer to a fault of ours (a panic): a 500 that says nothing of the fault.
    fn internal() -> Self;
    /// The answer to a body over [`MAX_BODY_BYTES`].
    fn payload_too_large(limit: usize) -> Self;
}

/// What the log line says a request was for: a route template and the tenant, never an id
/// from the path, a query or a credential.
#[derive(Debug, Clone)]
pub struct Labels {
    pub route: &'static str,
    pub tenant: String,
}

/// A mark a transport puts on a request whose body it stopped reading at [`MAX_BODY_BYTES`]
/// (`local-api` does, as API Gateway has its own limit), so the API answers as for any
/// oversized body.
#[derive(Debug, Clone, Copy)]
pub struct OversizedBody;

/// Serves one request with `handle`, which authenticates it and answers it or fails with the
/// API's error `E`.
pub async fn serve<E, F>(req: Request, labels: Labels, handle: F) -> Response<Body>
where
    E: ApiError,
    F: AsyncFnOnce(Request) -> Result<Response<Body>, E>,
{
    let started = Instant::now();
    let request_id = request_id(&req);
    let method = req.method().clone();

    let answer = if req.extensions().get::<OversizedBody>().is_some() || body_len(req.body()) > MAX_BODY_BYTES {
        Err(E::payload_too_large(MAX_BODY_BYTES))
    } else {
        match AssertUnwindSafe(handle(req)).catch_unwind().await {
            Ok(answer) => answer,
            Err(panic) => {
                let message = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                tracing::error!(request_id, panic = message, "handler panicked");
                Err(E::internal())
            }
        }
    };
    let (response, outcome, detail) = match answer {
        Ok(response) => (response, "ok", None),
        Err(e) => {
            let outcome = if e.status() >= 500 { "error" } else { "rejected" };
            (e.to_response(), outcome, Some(e.detail().to_owned()))
        }
    };
    tracing::info!(
        request_id,
        tenant = labels.tenant,
        method = %method,
        route = labels.route,
        status = response.status().as_u16(),
        latency_ms = started.elapsed().as_secs_f64() * 1000.0,
        outcome,
        detail,
        "request"
    );
    response
}

fn body_len(body: &Body) -> usize {
    match body {
        Body::Text(t) => t.len(),
        Body::Binary(b) => b.len(),
        _ => 0,
    }
}

/// Lambda's request id, else the client's `X-Request-Id` (bounded), else a new one.
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
