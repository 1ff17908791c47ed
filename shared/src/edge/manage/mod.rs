//! The admin API on the edge: JSON over HTTP under [`BASE`], for the operator and the
//! subscriptions' admins, authenticated by bearer JWTs ([`crate::admin_tokens`]).
//!
//! [`ROUTES`] is the one table of its routes and of who may call them: each row is a method, a
//! path template, the roles allowed and the handler, whose `#[utoipa::path]` annotation
//! documents it. [`serve`] picks the row (with API Gateway's matching, [`super::routes`]), then
//! checks, in this order: the token (401), the role (403), the path's `{sub}` against an
//! admin's own subscription and against the subscriptions that exist (404, as if it did not
//! exist), and only then calls the handler. The OpenAPI document ([`openapi`]) is made from
//! the same table, so a route and its security requirement are written once.
//!
//! The web console ([`console`]) is served by the same function under `/manage/`: every path
//! there that is not under [`BASE`]. It is built on this API alone; its session is a token in
//! a cookie, which [`serve`] takes as it takes a bearer token ([`session`]); on AWS it signs
//! in through the OIDC issuer ([`signin`], two console paths).
//!
//! Every error is `{"error", "message"}` JSON ([`ManageError`]); body limit, panic guard,
//! request id and the log line come from [`super::serve`]. No token reaches a log line: the log
//! names the route template and the configuration, and a refused token's reason.

mod configurations;
pub mod console;
mod error;
mod groups;
mod openapi;
pub mod session;
pub mod signin;
mod subscriptions;
mod users;
mod vaults;

use futures::future::BoxFuture;
use lambda_http::{Body, Request, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;

pub use error::{ErrorBody, ManageError};
pub use openapi::document;

use super::routes::matching;
use super::Labels;
use crate::admin_tokens::{Principal, Role};
use crate::app::App;
use crate::public_url::PublicUrl;

/// Where the console is, after API Gateway's stage (the admin API is under it, at [`BASE`]).
pub const CONSOLE_ROOT: &str = "/manage";

/// Where the admin API's paths start.
pub const BASE: &str = "/manage/v1";

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, without a token.
    Public,
    /// A token of one of these roles. The operator acts in every subscription; the admin roles
    /// only in their own (`{sub}` of the path).
    Roles(&'static [Role]),
}

/// The operator and a subscription's own admin: provisioning configurations, and vaults.
const SUBSCRIPTION_ADMINS: Access = Access::Roles(&[Role::Operator, Role::SubscriptionAdmin]);

/// Everyone with a role in the subscription: its home, users, groups, pools, jobs, audit,
/// vaults (to read), vault groups and links, and users' overrides and groups' license types.
const EVERY_ADMIN: Access = Access::Roles(&[Role::Operator, Role::SubscriptionAdmin, Role::AccessAdmin]);

/// The operator alone: subscriptions, purchases, the check.
const OPERATOR: Access = Access::Roles(&[Role::Operator]);

/// A handler: the request, checked, in; the answer or an error out.
pub type Handler = for<'a> fn(&'a App, Call) -> BoxFuture<'a, Result<Reply, ManageError>>;

/// One route of the admin API. A new route is one row of [`ROUTES`] and a handler annotated
/// with `#[utoipa::path]` for the same method and path.
pub struct ManageRoute {
    /// `GET`, `POST`, `PATCH`, `DELETE`, …
    pub method: &'static str,
    /// The path template, as API Gateway writes one (`{name}` is one segment).
    pub path: &'static str,
    pub access: Access,
    pub handler: Handler,
    /// The handler's OpenAPI operation (its `#[utoipa::path]`).
    pub doc: fn() -> Documented,
}

/// What a handler's `#[utoipa::path]` says of it.
pub struct Documented {
    pub path: String,
    pub methods: Vec<utoipa::openapi::HttpMethod>,
    pub operation: utoipa::openapi::path::Operation,
}

/// The documentation of the handler whose `#[utoipa::path]` made `P`.
fn doc<P: utoipa::Path>() -> Documented {
    Documented { path: P::path(), methods: P::methods(), operation: P::operation() }
}

/// Every route of the admin API, and who may call it.
pub const ROUTES: &[ManageRoute] = &[
    ManageRoute {
        method: "GET",
        path: "/manage/v1/openapi.json",
        access: Access::Public,
        handler: |app, call| Box::pin(openapi::get(app, call)),
        doc: doc::<openapi::__path_get>,
    },
    ManageRoute {
        method: "GET",
        path: "/manage/v1/session",
        access: EVERY_ADMIN,
        handler: |app, call| Box::pin(session::get(app, call)),
        doc: doc::<session::__path_get>,
    },
    ManageRoute {
        method: "DELETE",
        path: "/manage/v1/session",
        access: Access::Public,
        handler: |app, call| Box::pin(session::delete(app, call)),
        doc: doc::<session::__path_delete>,
    },
    ManageRoute {
        method: "GET",
        path: "/manage/v1/session/methods",
        access: Access::Public,
        handler: |app, call| Box::pin(session::methods(app, call)),
        doc: doc::<session::__path_methods>,
    },
    ManageRoute {
        method: "POST",
        path: "/manage/v1/session/link",
        access: Access::Public,
        handler: |app, call| Box::pin(session::redeem_link(app, call)),
        doc: doc::<session::__path_redeem_link>,
    },
    ManageRoute {
        method: "POST",
        path: "/manage/v1/subscriptions",
        access: OPERATOR,
        handler: |app, call| Box::pin(subscriptions::create(app, call)),
        doc: doc::<subscriptions::__path_create>,
    },
    ManageRoute {
        method: "GET",
        path: "/manage/v1/subscriptions/{sub}",
        access: EVERY_ADMIN,
        handler: |app, call| Box::pin(subscriptions::home(app, call)),
        doc: doc::<subscriptions::__path_home>,
    },
    ManageRoute {
        method: "PATCH",
        path: "/manage/v1/subscriptions/{sub}",
        access: SUBSCRIPTION_ADMINS,
        handler: |app, call| Box::pin(subscriptions::update(app, call)),
        doc: doc::<subscriptions::__path_update>,
    },
    ManageRoute {
        method: "GET",
        path: "/manage/v1/subscriptions/{sub}/pools",
        access: EVERY_ADMIN,
        handler: |app, call| Box::pin(subscriptions::pools(app, call)),
        doc: doc::<subscriptions::__path_pools>,
    },
    ManageRoute {
        method: "PUT",
        path: "/manage/v1/subscriptions/{sub}/pools/{type}",
        access: OPERATOR,
        handler: |app, call| Box::pin(subscriptions::set_purchase(app, call)),
        doc: doc::<subscriptions::__path_set_purchase>,
    },
    ManageRoute {
        method: "POST",
        path: "/manage/v1/subscriptions/{sub}/check",
        access: OPERATOR,
        handler: |app, call| Box::pin(subscriptions::check(app, call)),
        doc: doc::<subscriptions::__path_check>,
    },
    ManageRoute {
        method: "GET",
        path: "/manage/v1/subscriptions/{sub}/users",
        access: EVERY_ADMIN,
        handler: |app, call| Box::pin(users::list(app, call)),
        doc: doc::<users::__path_list>,
    },
    ManageRoute {
        method: "POST",
        path: "/manage/v1/subscriptions/{sub}/users",
        access: SUBSCRIPTION_ADMINS,
        handler: |app, call| Box::pin(users::create(app, call)),
        doc: doc::<users::__path_create>,
    },
    ManageRoute {
        method: "GET",
        path: "/manage/v1/subscriptions/{sub}/users/{id}",
        access: EVERY_ADMIN,
        handler: |app, call| Box::pin(users::get(app, call)),
        doc: doc::<users::__path_get>,
    },
    ManageRoute {
        method: "PUT",
        path: "/manage/v1/subscriptions/{sub}/users/{id}/license",
        access: EVERY_ADMIN,
        handler: |app, call| Box::pin(users::set_license(app, call)),
        doc: doc::<users::__path_set_license>,
    },
    ManageRoute {
        method: "DELETE",
        path: "/manage/v1/subscriptions/{sub}/users/{id}/license",
        access: EVERY_ADMIN,
        handler: |app, call| Box::pin(users::clear_license(app, call)),
        doc: doc::<users::__path_clear_license>,
    },
    ManageRoute {
        method: "GET",
        path: "/manage/v1/subscriptions/{sub}/groups",
        access: EVERY_ADMIN,
        handler: |app, call| Box::pin(groups::list(app, call)),
        doc: doc::<groups::__path_list>,
    },
    ManageRoute {
        method: "PUT",
        path: "/manage/v1/subscriptions/{sub}/groups/{id}/license",
        access: EVERY_ADMIN,
        handler: |app, call| Box::pin(groups::set_license(app, call)),
        doc: doc::<groups::__path_set_license>,
    },
    ManageRoute {
        method: "GET",
        path: "/manage/v1/subscriptions/{sub}/jobs/{id}",
        access: EVERY_ADMIN,
        handler: |app, call| Box::pin(groups::job(app, call)),
        doc: doc::<groups::__path_job>,
    },
    ManageRoute {
        method: "GET",
        path: "/manage/v1/subscriptions/{sub}/audit",
        access: EVERY_ADMIN,
        handler: |app, call| Box::pin(users::audit(app, call)),
        doc: doc::<users::__path_audit>,
    },
    ManageRoute {
        method: "GET",
        path: "/manage/v1/subscriptions/{sub}/configurations",
        access: SUBSCRIPTION_ADMINS,
        handler: |app, call| Box::pin(configurations::list(app, call)),
        doc: doc::<configurations::__path_list>,
    },
    ManageRoute {
        method: "POST",
        path: "/manage/v1/subscriptions/{sub}/configurations",
        access: SUBSCRIPTION_ADMINS,
        handler: |app, call| Box::pin(configurations::create(app, call)),
        doc: doc::<configurations::__path_create>,
    },
    ManageRoute {
        method: "GET",
        path: "/manage/v1/subscriptions/{sub}/configurations/{id}",
        access: SUBSCRIPTION_ADMINS,
        handler: |app, call| Box::pin(configurations::get(app, call)),
        doc: doc::<configurations::__path_get>,
    },
    ManageRoute {
        method: "PATCH",
        path: "/manage/v1/subscriptions/{sub}/configurations/{id}",
        access: SUBSCRIPTION_ADMINS,
        handler: |app, call| Box::pin(configurations::update(app, call)),
        doc: doc::<configurations::__path_update>,
    },
    ManageRoute {
        method: "DELETE",
        path: "/manage/v1/subscriptions/{sub}/configurations/{id}",
        access: SUBSCRIPTION_ADMINS,
        handler: |app, call| Box::pin(configurations::delete(app, call)),
        doc: doc::<configurations::__path_delete>,
    },
    ManageRoute {
        method: "POST",
        path: "/manage/v1/subscriptions/{sub}/configurations/{id}/secret",
        access: SUBSCRIPTION_ADMINS,
        handler: |app, call| Box::pin(configurations::rotate_secret(app, call)),
        doc: doc::<configurations::__path_rotate_secret>,
    },
    ManageRoute {
        method: "GET",
        path: "/manage/v1/subscriptions/{sub}/vaults",
        access: EVERY_ADMIN,
        handler: |app, call| Box::pin(vaults::list(app, call)),
        doc: doc::<vaults::__path_list>,
    },
    ManageRoute {
        method: "POST",
        path: "/manage/v1/subscriptions/{sub}/vaults",
        access: SUBSCRIPTION_ADMINS,
        handler: |app, call| Box::pin(vaults::create(app, call)),
        doc: doc::<vaults::__path_create>,
    },
    ManageRoute {
        method: "GET",
        path: "/manage/v1/subscriptions/{sub}/vaults/{v}",
        access: EVERY_ADMIN,
        handler: |app, call| Box::pin(vaults::get(app, call)),
        doc: doc::<vaults::__path_get>,
    },
    ManageRoute {
        method: "GET",
        path: "/manage/v1/subscriptions/{sub}/vaults/{v}/groups",
        access: EVERY_ADMIN,
        handler: |app, call| Box::pin(vaults::list_groups(app, call)),
        doc: doc::<vaults::__path_list_groups>,
    },
    ManageRoute {
        method: "POST",
        path: "/manage/v1/subscriptions/{sub}/vaults/{v}/groups",
        access: EVERY_ADMIN,
        handler: |app, call| Box::pin(vaults::create_group(app, call)),
        doc: doc::<vaults::__path_create_group>,
    },
    ManageRoute {
        method: "GET",
        path: "/manage/v1/subscriptions/{sub}/vaults/{v}/groups/{g}",
        access: EVERY_ADMIN,
        handler: |app, call| Box::pin(vaults::get_group(app, call)),
        doc: doc::<vaults::__path_get_group>,
    },
    ManageRoute {
        method: "GET",
        path: "/manage/v1/subscriptions/{sub}/vaults/{v}/groups/{g}/members",
        access: EVERY_ADMIN,
        handler: |app, call| Box::pin(vaults::members(app, call)),
        doc: doc::<vaults::__path_members>,
    },
    ManageRoute {
        method: "GET",
        path: "/manage/v1/subscriptions/{sub}/vaults/{v}/users",
        access: EVERY_ADMIN,
        handler: |app, call| Box::pin(vaults::users(app, call)),
        doc: doc::<vaults::__path_users>,
    },
    ManageRoute {
        method: "GET",
        path: "/manage/v1/subscriptions/{sub}/vaults/{v}/changes",
        access: EVERY_ADMIN,
        handler: |app, call| Box::pin(vaults::changes(app, call)),
        doc: doc::<vaults::__path_changes>,
    },
    ManageRoute {
        method: "GET",
        path: "/manage/v1/subscriptions/{sub}/links",
        access: EVERY_ADMIN,
        handler: |app, call| Box::pin(vaults::list_links(app, call)),
        doc: doc::<vaults::__path_list_links>,
    },
    ManageRoute {
        method: "POST",
        path: "/manage/v1/subscriptions/{sub}/links",
        access: EVERY_ADMIN,
        handler: |app, call| Box::pin(vaults::create_link(app, call)),
        doc: doc::<vaults::__path_create_link>,
    },
    ManageRoute {
        method: "GET",
        path: "/manage/v1/subscriptions/{sub}/links/{id}",
        access: EVERY_ADMIN,
        handler: |app, call| Box::pin(vaults::get_link(app, call)),
        doc: doc::<vaults::__path_get_link>,
    },
    ManageRoute {
        method: "DELETE",
        path: "/manage/v1/subscriptions/{sub}/links/{id}",
        access: EVERY_ADMIN,
        handler: |app, call| Box::pin(vaults::delete_link(app, call)),
        doc: doc::<vaults::__path_delete_link>,
    },
];

/// A request a handler gets: checked against its route's access, with its path's variables.
pub struct Call {
    params: Vec<(String, String)>,
    query: Vec<(String, String)>,
    body: Vec<u8>,
    /// Who is calling (none on a public route).
    pub principal: Option<Principal>,
    /// The base of the URLs the answer carries (the SCIM edge's rule: configured, else API
    /// Gateway's domain name and stage).
    pub base: PublicUrl,
    /// The path before [`BASE`]: API Gateway's stage (`/prod`), or nothing.
    stage: String,
}

impl Call {
    /// The value of the path variable `name` (`sub`, `id`); every variable of the route's
    /// template has one.
    pub fn param(&self, name: &str) -> &str {
        self.params.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str()).unwrap_or_default()
    }

    /// The last value of the query parameter `name`, if any.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The query parameter `name` parsed as a `T` (None when absent); a 400 naming it when it
    /// is not one.
    pub fn query_as<T: std::str::FromStr>(&self, name: &str) -> Result<Option<T>, ManageError>
    where
        T::Err: std::fmt::Display,
    {
        self.query(name).map(|v| v.parse::<T>().map_err(|e| ManageError::invalid(format!("{name}: {e}")))).transpose()
    }

    /// The path of the console (and of its session cookie) as the caller reaches it.
    pub fn console_path(&self) -> String {
        format!("{}{CONSOLE_ROOT}", self.stage)
    }

    /// Who is calling, for the audit trail: the token's `sub`.
    pub fn actor(&self) -> String {
        match &self.principal {
            Some(Principal::Operator { sub }) | Some(Principal::Admin { sub, .. }) => sub.clone(),
            None => "anonymous".to_owned(),
        }
    }

    /// The body as a `T`; a 400 naming the field that is wrong, when it is not one.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ManageError> {
        let value: serde_json::Value = serde_json::from_slice(&self.body)
            .map_err(|e| ManageError::invalid(format!("the body is not JSON: {e}")))?;
        serde_path_to_error::deserialize(value).map_err(|e| {
            let path = e.path().to_string();
            match path.as_str() {
                "." => ManageError::invalid(format!("the body: {}", e.into_inner())),
                _ => ManageError::invalid(format!("{path}: {}", e.into_inner())),
            }
        })
    }
}

/// A handler's answer: a status and a JSON body, or none.
pub struct Reply {
    status: u16,
    body: Option<String>,
    headers: Vec<(http::HeaderName, String)>,
}

impl Reply {
    /// `status` with `body` as JSON.
    pub fn json(status: u16, body: &impl Serialize) -> Result<Reply, ManageError> {
        let text = serde_json::to_string(body).map_err(|e| {
            tracing::error!(error = %e, "an answer could not be written as JSON");
            <ManageError as super::ApiError>::internal()
        })?;
        Ok(Reply { status, body: Some(text), headers: Vec::new() })
    }

    /// 204.
    pub fn no_content() -> Reply {
        Reply { status: 204, body: None, headers: Vec::new() }
    }

    /// 308 to `location`.
    pub fn redirect(location: &str) -> Reply {
        Reply { status: 308, body: None, headers: vec![(http::header::LOCATION, location.to_owned())] }
    }

    /// This answer with the header `name: value` too.
    pub fn with_header(mut self, name: http::HeaderName, value: String) -> Reply {
        self.headers.push((name, value));
        self
    }

    fn into_response(self) -> Response<Body> {
        let mut builder = Response::builder().status(self.status);
        for (name, value) in self.headers {
            builder = builder.header(name, value);
        }
        let response = match self.body {
            Some(text) => builder.header(http::header::CONTENT_TYPE, "application/json").body(Body::Text(text)),
            None => builder.body(Body::Empty),
        };
        response.unwrap_or_else(|_| super::ApiError::to_response(&<ManageError as super::ApiError>::internal()))
    }
}

/// Serves one request to the admin API.
pub async fn serve(app: &App, req: Request) -> Response<Body> {
    let (stage, path) = split_stage(req.uri().path());
    if !is_api(&path) {
        return console::serve(app, req).await;
    }
    let found = find(req.method().as_str(), &path);
    let labels = match &found {
        Found::Route(route, params) => Labels {
            route: route.path,
            tenant: params
                .iter()
                .find(|(n, v)| n == "id" && well_formed(v))
                .map(|(_, v)| v.clone())
                .unwrap_or_default(),
        },
        Found::MethodNotAllowed(template, _) => Labels { route: template, tenant: String::new() },
        Found::Nothing => Labels { route: "(unknown)", tenant: String::new() },
    };
    super::serve::<ManageError, _>(req, labels, async move |req: Request| {
        let (route, params) = match found {
            Found::Route(route, params) => (route, params),
            Found::MethodNotAllowed(_, allowed) => return Err(ManageError::method_not_allowed(&allowed)),
            Found::Nothing => {
                return Err(ManageError::not_found(format!(
                    "no route of the admin API has this path: its routes are listed in {BASE}/openapi.json"
                )))
            }
        };
        let (authorization, by_cookie) = session::credentials(req.headers());
        let principal = authorize(app, route, &params, authorization.as_deref()).await?;
        if by_cookie && principal.is_some() {
            session::csrf_guard(req.method(), req.headers())?;
        }
        let base = PublicUrl::for_request(app.public_url.as_ref(), &req, &stage);
        let query = req.uri().query().map(super::scim::parse_query).unwrap_or_default();
        let body = match req.into_body() {
            Body::Text(text) => text.into_bytes(),
            Body::Binary(bytes) => bytes,
            _ => Vec::new(),
        };
        let call = Call { params, query, body, principal, base, stage };
        Ok((route.handler)(app, call).await?.into_response())
    })
    .await
}

/// The route a request is for, or why there is none.
enum Found {
    Route(&'static ManageRoute, Vec<(String, String)>),
    /// The path is a route's (this template), not for this method: these are its methods.
    MethodNotAllowed(&'static str, Vec<&'static str>),
    /// No route has this path.
    Nothing,
}

fn find(method: &str, path: &str) -> Found {
    let candidates = matching(ROUTES, |r| r.path, path);
    let allowed: Vec<&'static str> = candidates.iter().map(|m| m.route.method).collect();
    let template = candidates.first().map(|m| m.route.path);
    match (candidates.into_iter().find(|m| m.route.method.eq_ignore_ascii_case(method)), template) {
        (Some(m), _) => Found::Route(m.route, m.params),
        (None, Some(template)) => Found::MethodNotAllowed(template, allowed),
        (None, None) => Found::Nothing,
    }
}

/// The path split into what comes before [`BASE`] (an API Gateway stage, or nothing) and the
/// rest, [`BASE`] included.
fn split_stage(path: &str) -> (String, String) {
    let at = path
        .match_indices(BASE)
        .map(|(at, _)| at)
        .find(|&at| path[at + BASE.len()..].is_empty() || path[at + BASE.len()..].starts_with('/'));
    match at {
        Some(at) => (path[..at].to_owned(), path[at..].to_owned()),
        None => (String::new(), path.to_owned()),
    }
}

/// Whether a path (its stage split off) is the admin API's: [`BASE`] or under it.
fn is_api(path: &str) -> bool {
    path.strip_prefix(BASE).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// Whether a path variable can name something: ids are 1 to 64 of `A-Z a-z 0-9 - _`.
fn well_formed(value: &str) -> bool {
    (1..=64).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Who calls `route`, if they may: 401 without a valid token, 403 for a role the route does
/// not allow, 404 for a subscription that is not the admin's own or does not exist.
async fn authorize(
    app: &App,
    route: &ManageRoute,
    params: &[(String, String)],
    authorization: Option<&str>,
) -> Result<Option<Principal>, ManageError> {
    let roles = match route.access {
        Access::Public => return Ok(None),
        Access::Roles(roles) => roles,
    };
    let principal = app.admin_tokens.verify(authorization).await?;
    if !roles.contains(&principal.role()) {
        let allowed: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        return Err(ManageError::forbidden(format!(
            "a {} token may not call this route: it needs {}",
            principal.role().as_str(),
            allowed.join(" or ")
        )));
    }
    if params.iter().any(|(_, value)| !well_formed(value)) {
        return Err(ManageError::not_found(
            "no such subscription or configuration: ids are 1 to 64 of A-Z a-z 0-9 - _",
        ));
    }
    if let Some((_, sub)) = params.iter().find(|(name, _)| name == "sub") {
        let own = match &principal {
            Principal::Operator { .. } => true,
            Principal::Admin { subscription, .. } => subscription == sub,
        };
        if !own || app.licenses.subscription(sub).await?.is_none() {
            return Err(ManageError::not_found(format!("no subscription has the id {sub:?}")));
        }
    }
    Ok(Some(principal))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_route_is_documented_by_its_own_handler() {
        for route in ROUTES {
            let documented = (route.doc)();
            assert_eq!(documented.path, route.path, "the #[utoipa::path] of {} {}", route.method, route.path);
            let methods: Vec<String> = documented
                .methods
                .iter()
                .map(|m| serde_json::json!(m).as_str().unwrap().to_ascii_uppercase())
                .collect();
            assert_eq!(methods, [route.method], "the #[utoipa::path] of {} {}", route.method, route.path);
            assert!(route.path.starts_with(BASE), "{}", route.path);
        }
    }

    #[test]
    fn a_path_finds_its_route_or_says_why_not() {
        let route = |method, path| match find(method, path) {
            Found::Route(r, params) => format!("{} {} {params:?}", r.method, r.path),
            Found::MethodNotAllowed(_, allowed) => format!("405 {allowed:?}"),
            Found::Nothing => "404".to_owned(),
        };
        assert_eq!(
            route("GET", "/manage/v1/subscriptions/s1/configurations/c1/"),
            r#"GET /manage/v1/subscriptions/{sub}/configurations/{id} [("sub", "s1"), ("id", "c1")]"#
        );
        assert_eq!(route("PUT", "/manage/v1/subscriptions/s1/configurations/c1"), r#"405 ["GET", "PATCH", "DELETE"]"#);
        assert_eq!(route("GET", "/manage/v1/subscriptions/s1/configurations/c1/secret"), r#"405 ["POST"]"#);
        assert_eq!(route("GET", "/manage/v1/subscriptions/s1/nothing"), "404");
        assert_eq!(route("GET", "/manage/v1"), "404");
        assert_eq!(split_stage("/prod/manage/v1/openapi.json"), ("/prod".into(), "/manage/v1/openapi.json".into()));
        assert_eq!(split_stage("/manage/v1"), ("".into(), "/manage/v1".into()));
        assert_eq!(split_stage("/manage/v10"), ("".into(), "/manage/v10".into()));
        assert!(well_formed("0123456789abcdef0123456789abcdef") && well_formed("local"));
        assert!(!well_formed("") && !well_formed("a%2Fb") && !well_formed(&"a".repeat(65)));
    }
}
