//! The admin API's errors: one JSON shape, `{"error": "<code>", "message": "<what to do>"}`,
//! with its status, and the mapping of the services' errors onto it.

use http::StatusCode;
use lambda_http::{Body, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::admin_issuer::AdminAuthError;
use crate::edge::ApiError;
use crate::licenses::LicenseError;
use crate::scim::ScimError;
use crate::store::StoreError;
use crate::tenants::TenantError;
use crate::vaults::VaultError;

/// The body of every error answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong, for programs: `unauthorized`, `forbidden`, `not_found`, `invalid`,
    /// `conflict`, `method_not_allowed`, `payload_too_large`, `internal` or `unavailable`.
    #[schema(example = "not_found")]
    pub error: &'static str,
    /// What went wrong and what to do, for people.
    pub message: String,
}

/// An error answer of the admin API.
#[derive(Debug, Clone)]
pub struct ManageError {
    status: u16,
    body: ErrorBody,
    /// Why, for the log line, when that is more than the client is told (a refused token's
    /// reason). Never a token or a secret.
    reason: Option<String>,
    /// The methods of the path, on a 405.
    allow: Option<String>,
    retry_after: Option<u32>,
}

impl ManageError {
    fn new(status: u16, error: &'static str, message: impl Into<String>) -> ManageError {
        ManageError {
            status,
            body: ErrorBody { error, message: message.into() },
            reason: None,
            allow: None,
            retry_after: None,
        }
    }

    /// 401: no token, or one that is refused; `reason` goes to the log only.
    pub fn unauthorized(reason: impl Into<String>) -> ManageError {
        ManageError {
            reason: Some(reason.into()),
            ..ManageError::new(
                401,
                "unauthorized",
                "send a valid bearer token of the admin API's issuer: Authorization: Bearer <JWT>",
            )
        }
    }

    /// 401 for a sign-in that did not work (a spent or expired link): `message` says why.
    pub fn signed_out(message: impl Into<String>) -> ManageError {
        ManageError::new(401, "unauthorized", message)
    }

    /// 401 when no issuer is configured: the message says what to set.
    pub fn unconfigured(message: impl Into<String>) -> ManageError {
        ManageError::new(401, "unauthorized", message)
    }

    pub fn forbidden(message: impl Into<String>) -> ManageError {
        ManageError::new(403, "forbidden", message)
    }

    pub fn not_found(message: impl Into<String>) -> ManageError {
        ManageError::new(404, "not_found", message)
    }

    /// 400: the request is malformed; `message` names the field.
    pub fn invalid(message: impl Into<String>) -> ManageError {
        ManageError::new(400, "invalid", message)
    }

    pub fn conflict(message: impl Into<String>) -> ManageError {
        ManageError::new(409, "conflict", message)
    }

    /// 405, with the methods the path has.
    pub fn method_not_allowed(allowed: &[&str]) -> ManageError {
        let allow = allowed.join(", ");
        ManageError {
            allow: Some(allow.clone()),
            ..ManageError::new(405, "method_not_allowed", format!("this path supports {allow}"))
        }
    }

    /// 503: try again in a moment.
    pub fn unavailable(message: impl Into<String>) -> ManageError {
        ManageError { retry_after: Some(1), ..ManageError::new(503, "unavailable", message) }
    }

    /// The error code (`not_found`, …).
    pub fn code(&self) -> &'static str {
        self.body.error
    }
}

impl ApiError for ManageError {
    fn status(&self) -> u16 {
        self.status
    }

    fn detail(&self) -> &str {
        self.reason.as_deref().unwrap_or(&self.body.message)
    }

    fn to_response(&self) -> Response<Body> {
        let mut builder = Response::builder()
            .status(StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
            .header(http::header::CONTENT_TYPE, "application/json");
        if self.status == 401 {
            builder = builder.header(http::header::WWW_AUTHENTICATE, "Bearer realm=\"manage\"");
        }
        if let Some(allow) = &self.allow {
            builder = builder.header(http::header::ALLOW, allow);
        }
        if let Some(seconds) = self.retry_after {
            builder = builder.header(http::header::RETRY_AFTER, seconds.to_string());
        }
        let body = serde_json::to_string(&self.body).unwrap_or_default();
        builder.body(Body::Text(body)).unwrap_or_else(|_| {
            let mut response = Response::new(Body::Text(r#"{"error":"internal","message":""}"#.to_owned()));
            *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            response
        })
    }

    fn internal() -> ManageError {
        ManageError::new(500, "internal", "the service failed; try again later, and report it if it persists")
    }

    fn payload_too_large(limit: usize) -> ManageError {
        ManageError::new(413, "payload_too_large", format!("the body is over {limit} bytes"))
    }
}

/// Store failures the client cannot fix: busy means retry later; anything else is our bug.
impl From<StoreError> for ManageError {
    fn from(e: StoreError) -> ManageError {
        match e {
            StoreError::Busy(_) => ManageError::unavailable("the store is busy: try again in a moment"),
            other => {
                tracing::error!(error = %other, "store failure");
                ManageError::internal()
            }
        }
    }
}

/// The directory's errors (SCIM errors) in the admin API's terms.
impl From<ScimError> for ManageError {
    fn from(e: ScimError) -> ManageError {
        match e.status {
            400 => ManageError::invalid(e.detail),
            404 => ManageError::not_found(e.detail),
            409 => ManageError::conflict(e.detail),
            503 => ManageError::unavailable(e.detail),
            _ => ManageError::internal(),
        }
    }
}

impl From<TenantError> for ManageError {
    fn from(e: TenantError) -> ManageError {
        match e {
            TenantError::NameTaken(_) => {
                ManageError::conflict(format!("{e}: choose another name, or rename or delete that one"))
            }
            TenantError::InvalidName => ManageError::invalid(format!("name: {e}")),
            TenantError::UnknownTenant(_) => {
                ManageError::not_found(format!("{e}: list the subscription's configurations for their ids"))
            }
            TenantError::Store(e) => e.into(),
        }
    }
}

impl From<LicenseError> for ManageError {
    fn from(e: LicenseError) -> ManageError {
        match e {
            LicenseError::UnknownSubscription(_) | LicenseError::UnknownUser(_) => {
                ManageError::not_found(e.to_string())
            }
            LicenseError::InvalidName => ManageError::invalid(format!("name: {e}")),
            LicenseError::InvalidUserName => ManageError::invalid(format!("user_name: {e}")),
            LicenseError::InvalidPurchase | LicenseError::NotPurchasable(_) => {
                ManageError::invalid(format!("purchased: {e}"))
            }
            LicenseError::InvalidCursor => ManageError::invalid(format!("cursor: {e}")),
            LicenseError::SubscriptionExists(_) | LicenseError::UserNameTaken(_) | LicenseError::BelowUsed { .. } => {
                ManageError::conflict(e.to_string())
            }
            LicenseError::Contended => ManageError::unavailable(e.to_string()),
            LicenseError::Store(e) => e.into(),
        }
    }
}

impl From<VaultError> for ManageError {
    fn from(e: VaultError) -> ManageError {
        match e {
            VaultError::UnknownVault(_) => {
                ManageError::not_found(format!("{e}: list the subscription's vaults for their ids"))
            }
            VaultError::UnknownGroup(_) => {
                ManageError::not_found(format!("{e}: list the vault's groups for their ids"))
            }
            VaultError::UnknownSourceGroup(_) => {
                ManageError::not_found(format!("{e}: list the subscription's groups for their ids"))
            }
            VaultError::UnknownLink(_) => ManageError::not_found(format!("{e}: list the subscription's links")),
            VaultError::InvalidName => ManageError::invalid(format!("name: {e}")),
            VaultError::InvalidCursor => ManageError::invalid(format!("cursor: {e}")),
            VaultError::VaultNameTaken(_) | VaultError::GroupNameTaken(_) => {
                ManageError::conflict(format!("{e}: choose another name"))
            }
            VaultError::TargetLinked(_) => {
                ManageError::conflict(format!("{e}: delete that link first, or link to another group"))
            }
            VaultError::TooManyLinks => ManageError::conflict(format!("{e}: delete one of them first")),
            VaultError::Store(e) => e.into(),
        }
    }
}

impl From<AdminAuthError> for ManageError {
    fn from(e: AdminAuthError) -> ManageError {
        match e {
            AdminAuthError::Unconfigured => ManageError::unconfigured(e.to_string()),
            AdminAuthError::Unavailable(reason) => {
                tracing::error!(reason, "admin tokens cannot be verified");
                ManageError::unavailable("the admin API cannot verify tokens right now: try again in a moment")
            }
            AdminAuthError::Token(e) => ManageError::unauthorized(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(e: &ManageError) -> serde_json::Value {
        match e.to_response().into_body() {
            Body::Text(t) => serde_json::from_str(&t).unwrap(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_error_is_its_code_and_a_message() {
        let e = ManageError::method_not_allowed(&["GET", "POST"]);
        let response = e.to_response();
        assert_eq!(response.status(), 405);
        assert_eq!(response.headers()["allow"], "GET, POST");
        assert_eq!(response.headers()["content-type"], "application/json");
        assert_eq!(
            body(&e),
            serde_json::json!({"error": "method_not_allowed", "message": "this path supports GET, POST"})
        );

        let e = ManageError::unauthorized("ExpiredSignature");
        assert_eq!(e.detail(), "ExpiredSignature", "the reason is for the log");
        assert!(!body(&e)["message"].as_str().unwrap().contains("Expired"), "and never for the client");
        assert!(e.to_response().headers().contains_key("www-authenticate"));

        let e: ManageError = StoreError::Busy("x".into()).into();
        assert_eq!((e.status(), e.code()), (503, "unavailable"));
        assert_eq!(e.to_response().headers()["retry-after"], "1");
        let e: ManageError = StoreError::Other("disk on fire".into()).into();
        assert_eq!((e.status(), e.code()), (500, "internal"));
        assert!(!body(&e)["message"].as_str().unwrap().contains("disk"), "a fault of ours says nothing of it");
        let e: ManageError = TenantError::NameTaken("A".into()).into();
        assert_eq!((e.status(), e.code()), (409, "conflict"));
        let e: ManageError = TenantError::InvalidName.into();
        assert_eq!((e.status(), e.code()), (400, "invalid"));
        assert!(body(&e)["message"].as_str().unwrap().starts_with("name: "));
        let e: ManageError = LicenseError::UnknownSubscription("s".into()).into();
        assert_eq!((e.status(), e.code()), (404, "not_found"));
        let e: ManageError = AdminAuthError::Unconfigured.into();
        assert_eq!(e.status(), 401);
        assert!(body(&e)["message"].as_str().unwrap().contains("MANAGE_JWKS"));
    }
}
