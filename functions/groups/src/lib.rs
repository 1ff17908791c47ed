//! The groups function: `/Groups` and `/Groups/{id}` of every tenant.

use lambda_http::{Body, Request, Response};
use shared::app::App;
use shared::edge::scim::{serve, Endpoint, ScimRequest, ScimResponse};
use shared::scim::schema::GROUP_TYPE;
use shared::scim::ScimError;

/// Serves one API Gateway request.
pub async fn handle(app: &App, req: Request) -> Response<Body> {
    serve(app, req, dispatch).await
}

async fn dispatch(app: &App, req: ScimRequest) -> Result<ScimResponse, ScimError> {
    let directory = &app.directory;
    let tenant = &req.tenant;
    let projection = req.projection()?;
    let with_members = projection.wants(&GROUP_TYPE, "members");
    match (&req.endpoint, req.method.as_str()) {
        (Endpoint::Groups, "GET") | (Endpoint::GroupsSearch, "POST") => {
            let (params, projection) = req.list_request(&GROUP_TYPE, "members")?;
            let page = directory.list_groups(tenant, &params).await?;
            Ok(ScimResponse::list(page, &projection, &GROUP_TYPE))
        }
        (Endpoint::Groups, "POST") => {
            let group = directory.create_group(tenant, &req.json()?).await?;
            Ok(ScimResponse::created(group.projected(&projection, &GROUP_TYPE)))
        }
        (Endpoint::Group(id), "GET") => {
            let group = directory.get_group(tenant, id, with_members).await?;
            Ok(ScimResponse::resource(group.projected(&projection, &GROUP_TYPE)))
        }
        (Endpoint::Group(id), "PUT") => {
            let group = directory.replace_group(tenant, id, &req.json()?, &req.precondition()).await?;
            Ok(ScimResponse::resource(group.projected(&projection, &GROUP_TYPE)))
        }
        (Endpoint::Group(id), "PATCH") => {
            let id = directory.patch_group(tenant, id, &req.json()?, &req.precondition()).await?;
            // 204 by default: a 100,000-member group is never serialised to acknowledge one
            // added member. A client that asks for attributes gets the group.
            if req.param("attributes").is_some() {
                let group = directory.get_group(tenant, &id, with_members).await?;
                Ok(ScimResponse::resource(group.projected(&projection, &GROUP_TYPE)))
            } else {
                Ok(ScimResponse::no_content())
            }
        }
        (Endpoint::Group(id), "DELETE") => {
            directory.delete_group(tenant, id, &req.precondition()).await?;
            Ok(ScimResponse::no_content())
        }
        (Endpoint::GroupsSearch, _) => Err(ScimError::method_not_allowed("/Groups/.search supports POST.")),
        (Endpoint::Groups, _) => Err(ScimError::method_not_allowed("/Groups supports GET and POST.")),
        (Endpoint::Group(_), _) => {
            Err(ScimError::method_not_allowed("/Groups/{id} supports GET, PUT, PATCH and DELETE."))
        }
        _ => Err(ScimError::not_found("This function serves /Groups only.")),
    }
}
