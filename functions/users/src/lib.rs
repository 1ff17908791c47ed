//! The users function: `/Users` and `/Users/{id}` of every tenant.

use lambda_http::{Body, Request, Response};
use shared::app::App;
use shared::edge::scim::{serve, Endpoint, ScimRequest, ScimResponse};
use shared::scim::schema::USER_TYPE;
use shared::scim::ScimError;

/// Serves one API Gateway request.
pub async fn handle(app: &App, req: Request) -> Response<Body> {
    serve(app, req, dispatch).await
}

async fn dispatch(app: &App, req: ScimRequest) -> Result<ScimResponse, ScimError> {
    let directory = &app.directory;
    let tenant = &req.tenant;
    let projection = req.projection()?;
    let with_groups = projection.wants(&USER_TYPE, "groups");
    match (&req.endpoint, req.method.as_str()) {
        (Endpoint::Users, "GET") | (Endpoint::UsersSearch, "POST") => {
            let (params, projection) = req.list_request(&USER_TYPE, "groups")?;
            let page = directory.list_users(tenant, &params).await?;
            Ok(ScimResponse::list(page, &projection, &USER_TYPE))
        }
        (Endpoint::Users, "POST") => {
            let user = directory.create_user(tenant, &req.json()?).await?;
            Ok(ScimResponse::created(user.projected(&projection, &USER_TYPE)))
        }
        (Endpoint::User(id), "GET") => {
            let user = directory.get_user(tenant, id, with_groups).await?;
            Ok(ScimResponse::resource(user.projected(&projection, &USER_TYPE)))
        }
        (Endpoint::User(id), "PUT") => {
            let user = directory.replace_user(tenant, id, &req.json()?, &req.precondition()).await?;
            Ok(ScimResponse::resource(user.projected(&projection, &USER_TYPE)))
        }
        (Endpoint::User(id), "PATCH") => {
            let user = directory.patch_user(tenant, id, &req.json()?, &req.precondition()).await?;
            Ok(ScimResponse::resource(user.projected(&projection, &USER_TYPE)))
        }
        (Endpoint::User(id), "DELETE") => {
            directory.delete_user(tenant, id, &req.precondition()).await?;
            Ok(ScimResponse::no_content())
        }
        (Endpoint::UsersSearch, _) => Err(ScimError::method_not_allowed("/Users/.search supports POST.")),
        (Endpoint::Users, _) => Err(ScimError::method_not_allowed("/Users supports GET and POST.")),
        (Endpoint::User(_), _) => {
            Err(ScimError::method_not_allowed("/Users/{id} supports GET, PUT, PATCH and DELETE."))
        }
        _ => Err(ScimError::not_found("This function serves /Users only.")),
    }
}
