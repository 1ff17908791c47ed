//! The admin API's OpenAPI 3.1 document, made from [`super::ROUTES`]: each row's path and
//! method, its handler's `#[utoipa::path]` operation, and the security requirement and error
//! answers its access implies (a bearer token of the roles listed, or none). Served, without a
//! token, at `GET /manage/v1/openapi.json`.

use utoipa::openapi::path::{Operation, PathItem, PathsBuilder};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, HttpMethod, Ref, RefOr, ResponseBuilder};
use utoipa::OpenApi;

use super::configurations::{
    ConfigurationList, ConfigurationView, CreateConfiguration, CreatedConfiguration, RotatedSecret, Status,
    UpdateConfiguration,
};
use super::groups::{GroupView, JobStarted, JobView, SetGroupLicense};
use super::session::{RedeemLink, SessionView, SignInMethods};
use super::subscriptions::{
    CreateSubscription, Home, HomeConfiguration, PoolView, SetPurchase, SubscriptionView, UpdateSubscription,
    UserCounts,
};
use super::users::{AuditList, CreateUser, SetLicense, UserDetail, UserGroup, UserList, UserView};
use super::vaults::{
    ChangeList, CreateLink, CreateNamed, LinkList, LinkView, VaultGroupList, VaultGroupView, VaultList, VaultUserList,
    VaultUserView, VaultView,
};
use super::{Access, Call, ErrorBody, ManageError, Reply, ROUTES};
use crate::app::App;
use crate::vaults::{Change, Recorded};

/// The name of the bearer-token security scheme.
pub const SCHEME: &str = "adminToken";

/// What the document says besides its paths: title, the schemas the paths refer to.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "SCIM provisioning: admin API",
        version = "1",
        description = "Subscriptions, their seats, users, groups, provisioning configurations and vaults, for the \
                       operator and the subscriptions' admins. Every error is {\"error\": code, \"message\": what to do}."
    ),
    components(schemas(
        ErrorBody,
        CreateNamed,
        VaultView,
        VaultList,
        VaultGroupView,
        VaultGroupList,
        VaultUserView,
        VaultUserList,
        ChangeList,
        Recorded,
        Change,
        CreateLink,
        LinkView,
        LinkList,
        Status,
        CreateConfiguration,
        UpdateConfiguration,
        ConfigurationView,
        CreatedConfiguration,
        ConfigurationList,
        RotatedSecret,
        CreateSubscription,
        UpdateSubscription,
        SubscriptionView,
        Home,
        HomeConfiguration,
        UserCounts,
        PoolView,
        SetPurchase,
        UserView,
        UserList,
        UserDetail,
        UserGroup,
        CreateUser,
        SetLicense,
        AuditList,
        GroupView,
        SetGroupLicense,
        JobStarted,
        JobView,
        SessionView,
        RedeemLink,
        SignInMethods
    ))
)]
struct Document;

/// The OpenAPI document of every route of [`ROUTES`].
pub fn document() -> utoipa::openapi::OpenApi {
    let mut document = Document::openapi();
    let mut scheme = Http::new(HttpAuthScheme::Bearer);
    scheme.bearer_format = Some("JWT".to_owned());
    scheme.description = Some(
        "A JWT of the configured issuer (MANAGE_ISSUER, MANAGE_AUDIENCE) whose `role` claim is operator, \
         subscription-admin or access-admin; the admin roles carry a `subscription` claim and act only in it. \
         A requirement's list names the roles that may call the operation. The web console sends the same \
         token in its session cookie (manage_session) instead, and its writes carry X-Requested-By: console; \
         with MANAGE_CONSOLE_CLIENT_ID it is the issuer's ID token for that client (its aud), which is accepted too."
            .to_owned(),
    );
    document.components.get_or_insert_with(Default::default).add_security_scheme(SCHEME, SecurityScheme::Http(scheme));
    let mut paths = PathsBuilder::new();
    for route in ROUTES {
        let mut operation = (route.doc)().operation;
        secure(&mut operation, route.access, route.path.contains("{sub}"));
        paths = paths.path(route.path, PathItem::new(method(route.method), operation));
    }
    document.paths = paths.build();
    document
}

/// The operation's security requirement and the answers its access implies.
fn secure(operation: &mut Operation, access: Access, in_subscription: bool) {
    let Access::Roles(roles) = access else {
        operation.security = Some(Vec::new());
        return;
    };
    operation.security = Some(vec![SecurityRequirement::new(SCHEME, roles.iter().map(|r| r.as_str()))]);
    let mut answers = vec![
        ("401", "No valid bearer token (missing, expired, wrongly signed, another issuer or audience)"),
        ("403", "The token's role may not call this operation"),
    ];
    if in_subscription {
        answers.push(("404", "No such subscription, or not the admin's own (the same answer)"));
    }
    for (status, description) in answers {
        let error = ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build();
        let response = ResponseBuilder::new().description(description).content("application/json", error).build();
        operation.responses.responses.entry(status.to_owned()).or_insert(RefOr::T(response));
    }
}

fn method(name: &str) -> HttpMethod {
    match name {
        "POST" => HttpMethod::Post,
        "PUT" => HttpMethod::Put,
        "PATCH" => HttpMethod::Patch,
        "DELETE" => HttpMethod::Delete,
        _ => HttpMethod::Get,
    }
}

/// This document.
#[utoipa::path(
    get,
    path = "/manage/v1/openapi.json",
    operation_id = "get_openapi",
    responses((status = 200, description = "This API's OpenAPI 3.1 document", content_type = "application/json"))
)]
pub async fn get(_app: &App, _call: Call) -> Result<Reply, ManageError> {
    Reply::json(200, &document())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::Value;

    use super::*;

    #[test]
    fn the_document_lists_every_route_with_its_security_and_every_reference_resolves() {
        let document = serde_json::to_value(document()).unwrap();
        assert_eq!(document["openapi"], "3.1.0");
        let mut listed = BTreeSet::new();
        let mut operation_ids = BTreeSet::new();
        for (path, item) in document["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                listed.insert((method.to_ascii_uppercase(), path.clone()));
                let id = operation["operationId"].as_str().unwrap_or_default();
                assert!(operation_ids.insert(id.to_owned()), "{method} {path}: operationId {id:?} is not unique");
                let security = operation["security"].as_array().unwrap_or_else(|| panic!("{method} {path}: security"));
                let route = ROUTES.iter().find(|r| r.path == path && r.method.eq_ignore_ascii_case(method)).unwrap();
                match route.access {
                    Access::Public => assert!(security.is_empty(), "{method} {path}"),
                    Access::Roles(roles) => {
                        let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
                        assert_eq!(security[0][SCHEME], serde_json::json!(names), "{method} {path}");
                        assert!(operation["responses"]["401"].is_object(), "{method} {path}: 401 documented");
                    }
                }
            }
        }
        let routes: BTreeSet<(String, String)> =
            ROUTES.iter().map(|r| (r.method.to_owned(), r.path.to_owned())).collect();
        assert_eq!(listed, routes);

        let mut refs = Vec::new();
        collect_refs(&document, &mut refs);
        assert!(!refs.is_empty());
        for r in refs {
            let name = r.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("{r}"));
            assert!(document["components"]["schemas"][name].is_object(), "{r} is not in the components");
        }
    }

    fn collect_refs(value: &Value, refs: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(r)) = map.get("$ref") {
                    refs.push(r.clone());
                }
                map.values().for_each(|v| collect_refs(v, refs));
            }
            Value::Array(items) => items.iter().for_each(|v| collect_refs(v, refs)),
            _ => {}
        }
    }
}
