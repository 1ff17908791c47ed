//! The SCIM API on the edge: the tenant comes from the path (`…/scim/v2/{tenant}/…`), a
//! request authenticates with that tenant's client ID and secret (Basic) or secret (Bearer)
//! through [`crate::tenants`], and every error is a SCIM Error body. Each SCIM function's
//! handler is `serve` with its own dispatcher.

mod endpoint;
mod request;
mod response;

use lambda_http::{Body, Request, Response};

pub use endpoint::{Endpoint, ScimPath};
pub(crate) use request::parse_query;
pub use request::ScimRequest;
pub use response::ScimResponse;

use super::Labels;
use crate::app::App;
use crate::directory::Tenant;
use crate::public_url::PublicUrl;
use crate::scim::ScimError;
use crate::tenants::AuthError;

/// Serves one SCIM request: `dispatch` gets it authenticated, for its tenant.
pub async fn serve<F>(app: &App, req: Request, dispatch: F) -> Response<Body>
where
    F: AsyncFnOnce(&App, ScimRequest) -> Result<ScimResponse, ScimError>,
{
    let path = ScimPath::parse(req.uri().path());
    let labels = match &path {
        Some(p) => Labels { route: p.endpoint.template(), tenant: p.tenant.clone() },
        None => Labels { route: "(outside a tenant)", tenant: String::new() },
    };
    super::serve::<ScimError, _>(req, labels, async move |req: Request| {
        let path = path.ok_or_else(|| ScimError::not_found("Not a SCIM endpoint: use /scim/v2/{tenant}/…"))?;
        let authorization = req.headers().get(http::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
        let configuration = app.tenants.authenticate(&path.tenant, authorization).await.map_err(|e| match e {
            AuthError::Unauthorized => ScimError::unauthorized(),
            AuthError::Store(e) => e.into(),
        })?;
        let base = PublicUrl::for_request(app.public_url.as_ref(), &req, &path.stage);
        let tenant = Tenant { configuration, url: base.tenant_url(&path.tenant) };
        let request = ScimRequest::new(req, path.endpoint, tenant);
        Ok(dispatch(app, request).await?.into_response())
    })
    .await
}
