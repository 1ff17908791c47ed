//! The discovery function: `/ServiceProviderConfig`, `/ResourceTypes`, `/Schemas` of every
//! tenant, and the SCIM 404 for any other path under a tenant.

use lambda_http::{Body, Request, Response};
use serde_json::{json, Value};
use shared::app::App;
use shared::directory::MAX_COUNT;
use shared::edge::scim::{serve, Endpoint, ScimRequest, ScimResponse};
use shared::scim::schema::{GROUP_TYPE, RESOURCE_TYPES, SCHEMAS, USER_TYPE};
use shared::scim::ScimError;

/// Serves one API Gateway request.
pub async fn handle(app: &App, req: Request) -> Response<Body> {
    serve(app, req, dispatch).await
}

async fn dispatch(app: &App, req: ScimRequest) -> Result<ScimResponse, ScimError> {
    let base = &req.tenant.url;
    let read_only = || ScimError::method_not_allowed("Discovery endpoints are read-only: use GET.");
    match (&req.endpoint, req.method.as_str()) {
        (Endpoint::ServiceProviderConfig, "GET") => Ok(ScimResponse::json(service_provider_config(base))),
        (Endpoint::ResourceTypes, "GET") => {
            Ok(ScimResponse::list_all(RESOURCE_TYPES.iter().map(|rt| rt.to_json(base)).collect()))
        }
        (Endpoint::ResourceType(id), "GET") => RESOURCE_TYPES
            .iter()
            .find(|rt| rt.id == id)
            .map(|rt| ScimResponse::json(rt.to_json(base)))
            .ok_or_else(|| ScimError::not_found(format!("No resource type {id:?}: this service has User and Group."))),
        (Endpoint::Schemas, "GET") => Ok(ScimResponse::list_all(SCHEMAS.iter().map(|s| s.to_json(base)).collect())),
        (Endpoint::Schema(id), "GET") => SCHEMAS
            .iter()
            .find(|s| s.id == id)
            .map(|s| ScimResponse::json(s.to_json(base)))
            .ok_or_else(|| ScimError::not_found(format!("No schema {id:?}."))),
        (Endpoint::Search, "POST") => search_all(app, &req).await,
        (Endpoint::Search, _) => Err(ScimError::method_not_allowed("/.search supports POST.")),
        (Endpoint::ServiceProviderConfig | Endpoint::ResourceTypes | Endpoint::ResourceType(_), _) => Err(read_only()),
        (Endpoint::Schemas | Endpoint::Schema(_), _) => Err(read_only()),
        _ => Err(ScimError::not_found(
            "No such SCIM endpoint: this service offers /Users, /Groups, /ServiceProviderConfig, /ResourceTypes and /Schemas.",
        )),
    }
}

/// `POST /.search` (RFC 7644 §3.4.3): users, then groups, as one list paged by
/// `startIndex` / `count`.
async fn search_all(app: &App, req: &ScimRequest) -> Result<ScimResponse, ScimError> {
    let directory = &app.directory;
    let (user_params, projection) = req.list_request(&USER_TYPE, "groups")?;
    let (mut group_params, _) = req.list_request(&GROUP_TYPE, "members")?;
    let users = directory.list_users(&req.tenant, &user_params).await?;
    // Groups follow the last user: their page starts where the users ran out.
    group_params.start_index = user_params.start_index.saturating_sub(users.total_results).max(1);
    group_params.count = user_params.count - users.resources.len();
    let groups = directory.list_groups(&req.tenant, &group_params).await?;
    let resources: Vec<Value> = users
        .resources
        .into_iter()
        .map(|u| u.projected(&projection, &USER_TYPE).body)
        .chain(groups.resources.into_iter().map(|g| g.projected(&projection, &GROUP_TYPE).body))
        .collect();
    Ok(ScimResponse::json(json!({
        "schemas": [shared::scim::LIST_RESPONSE],
        "totalResults": users.total_results + groups.total_results,
        "startIndex": user_params.start_index,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })))
}

/// RFC 7643 §5, describing what this service really does.
fn service_provider_config(base: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "documentationUri": "https://datatracker.ietf.org/doc/html/rfc7644",
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": MAX_COUNT},
        "changePassword": {"supported": false},
        "sort": {"supported": false},
        "etag": {"supported": true},
        "authenticationSchemes": [
            {
                "type": "httpbasic",
                "name": "HTTP Basic",
                "description": "The configuration's client ID as username and client secret as password.",
                "specUri": "https://www.rfc-editor.org/info/rfc7617",
                "primary": true,
            },
            {
                "type": "oauthbearertoken",
                "name": "Bearer token",
                "description": "The configuration's client secret as a Bearer token.",
                "specUri": "https://www.rfc-editor.org/info/rfc6750",
            },
        ],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": format!("{base}/ServiceProviderConfig"),
        },
    })
}
