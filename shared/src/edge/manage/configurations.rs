//! The admin API's provisioning configurations of a subscription: create (the client secret is
//! shown in that answer and in a rotation's only), list, read, change (name, default license,
//! enabled or disabled), rotate the secret, delete. Each configuration is one SCIM tenant; its
//! `id` is the tenant id, and its `tenant_url` the SCIM base URL an IdP is given.

use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::ToSchema;

use super::{Call, ErrorBody, ManageError, Reply};
use crate::app::App;
use crate::jobs::JobKind;
use crate::licenses::LicenseType;
use crate::public_url::PublicUrl;
use crate::tenants::{Changes, Configuration, NewConfiguration};

/// The schema of a license type: its names, from [`LicenseType::ALL`].
pub(super) fn license_schema() -> utoipa::openapi::Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(LicenseType::ALL.iter().map(|t| t.as_str())))
        .description(Some("A license type, highest rank first: named, concurrent, read-only, none."))
        .build()
}

/// Whether a configuration's SCIM tenant lets its IdP in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Enabled,
    Disabled,
}

impl Status {
    pub(super) fn of(enabled: bool) -> Status {
        if enabled {
            Status::Enabled
        } else {
            Status::Disabled
        }
    }
}

/// `POST …/configurations`: a new configuration.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateConfiguration {
    /// 1 to 200 characters, unique in the subscription (whatever the case).
    #[schema(example = "Okta")]
    pub name: String,
    /// The license a user provisioned through this configuration starts with.
    #[schema(schema_with = license_schema)]
    pub default_license: LicenseType,
}

/// `PATCH …/configurations/{id}`: the fields to change; the others stay.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateConfiguration {
    /// A new name, unique in the subscription (409 when taken).
    #[schema(nullable = false)]
    pub name: Option<String>,
    /// The license of users provisioned from now on (users already provisioned keep theirs).
    #[schema(schema_with = license_schema, required = false)]
    pub default_license: Option<LicenseType>,
    /// `disabled`: the tenant's SCIM requests are refused (401) until it is `enabled` again.
    #[schema(nullable = false)]
    pub status: Option<Status>,
}

/// A configuration, as every answer shows it: never its secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConfigurationView {
    /// The tenant id: the last segment of `tenant_url`.
    pub id: String,
    pub name: String,
    #[schema(schema_with = license_schema)]
    pub default_license: LicenseType,
    pub status: Status,
    /// The SCIM base URL to give the IdP: `…/scim/v2/<id>`.
    pub tenant_url: String,
    /// The client ID (Basic auth's user name).
    pub client_id: String,
    /// When it was created (RFC 3339).
    pub created: String,
    /// When its SCIM client last got in (RFC 3339, to about a minute); null before the first time.
    pub last_activity: Option<String>,
}

impl ConfigurationView {
    fn new(c: Configuration, base: &PublicUrl) -> ConfigurationView {
        ConfigurationView {
            tenant_url: base.tenant_url(&c.tenant),
            id: c.tenant,
            name: c.name,
            default_license: c.default_license,
            status: Status::of(c.enabled),
            client_id: c.client_id,
            created: c.created,
            last_activity: c.last_activity,
        }
    }
}

/// A configuration just created, with its client secret: shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedConfiguration {
    #[serde(flatten)]
    pub configuration: ConfigurationView,
    /// The client secret (Basic auth's password, or the bearer token). Only a verifier of it
    /// is kept: it cannot be shown again, only rotated.
    pub client_secret: String,
}

impl CreatedConfiguration {
    fn new(made: NewConfiguration, base: &PublicUrl) -> CreatedConfiguration {
        CreatedConfiguration {
            configuration: ConfigurationView::new(made.configuration, base),
            client_secret: made.client_secret,
        }
    }
}

/// The configurations of a subscription, by name.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConfigurationList {
    pub items: Vec<ConfigurationView>,
}

/// A new client secret: shown this once; the old one stops working.
#[derive(Debug, Serialize, ToSchema)]
pub struct RotatedSecret {
    pub client_secret: String,
}

/// Creates a provisioning configuration: a new SCIM tenant, its client ID and client secret.
#[utoipa::path(
    post,
    path = "/manage/v1/subscriptions/{sub}/configurations",
    operation_id = "create_configuration",
    params(("sub" = String, Path, description = "The subscription id")),
    request_body = CreateConfiguration,
    responses(
        (status = 201, description = "Created; the client secret is in this answer only", body = CreatedConfiguration),
        (status = 400, description = "A field is missing or wrong (the message names it)", body = ErrorBody),
        (status = 409, description = "The name is taken in this subscription", body = ErrorBody),
    )
)]
pub async fn create(app: &App, call: Call) -> Result<Reply, ManageError> {
    let body: CreateConfiguration = call.json()?;
    let made = app.tenants.create_configuration(call.param("sub"), &body.name, body.default_license).await?;
    Reply::json(201, &CreatedConfiguration::new(made, &call.base))
}

/// Lists the configurations of a subscription, by name.
#[utoipa::path(
    get,
    path = "/manage/v1/subscriptions/{sub}/configurations",
    operation_id = "list_configurations",
    params(("sub" = String, Path, description = "The subscription id")),
    responses((status = 200, description = "The configurations, without secrets", body = ConfigurationList))
)]
pub async fn list(app: &App, call: Call) -> Result<Reply, ManageError> {
    let found = app.tenants.configurations(call.param("sub")).await?;
    let items = found.into_iter().map(|c| ConfigurationView::new(c, &call.base)).collect();
    Reply::json(200, &ConfigurationList { items })
}

/// Reads one configuration.
#[utoipa::path(
    get,
    path = "/manage/v1/subscriptions/{sub}/configurations/{id}",
    operation_id = "get_configuration",
    params(
        ("sub" = String, Path, description = "The subscription id"),
        ("id" = String, Path, description = "The configuration's id (its tenant id)"),
    ),
    responses(
        (status = 200, description = "The configuration, without its secret", body = ConfigurationView),
        (status = 404, description = "No such configuration in this subscription", body = ErrorBody),
    )
)]
pub async fn get(app: &App, call: Call) -> Result<Reply, ManageError> {
    let found = app.tenants.configuration_in(call.param("sub"), call.param("id")).await?;
    Reply::json(200, &ConfigurationView::new(found, &call.base))
}

/// Changes a configuration's name, default license or status. Disabling refuses its SCIM
/// requests (401); a new default license applies to users provisioned from now on.
#[utoipa::path(
    patch,
    path = "/manage/v1/subscriptions/{sub}/configurations/{id}",
    operation_id = "update_configuration",
    params(
        ("sub" = String, Path, description = "The subscription id"),
        ("id" = String, Path, description = "The configuration's id (its tenant id)"),
    ),
    request_body = UpdateConfiguration,
    responses(
        (status = 200, description = "The configuration as changed", body = ConfigurationView),
        (status = 400, description = "A field is wrong (the message names it)", body = ErrorBody),
        (status = 404, description = "No such configuration in this subscription", body = ErrorBody),
        (status = 409, description = "The new name is taken in this subscription", body = ErrorBody),
    )
)]
pub async fn update(app: &App, call: Call) -> Result<Reply, ManageError> {
    let body: UpdateConfiguration = call.json()?;
    let changes = Changes {
        name: body.name,
        default_license: body.default_license,
        enabled: body.status.map(|s| s == Status::Enabled),
    };
    let (sub, id) = (call.param("sub"), call.param("id"));
    let before = app.tenants.configuration_in(sub, id).await?;
    let changed = app.tenants.update_configuration(sub, id, &changes).await?;
    if changed.default_license != before.default_license {
        // The users it provisions get the new default, in the background.
        app.jobs.start(sub, id, JobKind::ConfigurationUsers, &call.actor(), 0).await?;
    }
    Reply::json(200, &ConfigurationView::new(changed, &call.base))
}

/// Deletes a configuration: its SCIM tenant stops answering its IdP (401).
#[utoipa::path(
    delete,
    path = "/manage/v1/subscriptions/{sub}/configurations/{id}",
    operation_id = "delete_configuration",
    params(
        ("sub" = String, Path, description = "The subscription id"),
        ("id" = String, Path, description = "The configuration's id (its tenant id)"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such configuration in this subscription", body = ErrorBody),
    )
)]
pub async fn delete(app: &App, call: Call) -> Result<Reply, ManageError> {
    remove_configuration(app, call.param("sub"), call.param("id"), &call.actor()).await?;
    Ok(Reply::no_content())
}

/// What deleting a configuration does: its item, its name and its verifier go
/// ([`crate::tenants::Tenants::delete_configuration`]), and a background job leaves the users
/// it provisioned in the subscription, disabled, provisioned by nothing (adoptable by another
/// configuration), their seats released. Its SCIM resources stay in the store, reachable
/// through no tenant.
async fn remove_configuration(app: &App, subscription: &str, tenant: &str, actor: &str) -> Result<(), ManageError> {
    app.tenants.delete_configuration(subscription, tenant).await?;
    app.jobs.start(subscription, tenant, JobKind::ConfigurationUsers, actor, 0).await?;
    Ok(())
}

/// Gives a configuration a new client secret; the old one stops working (at once in this
/// process, within a minute in the SCIM functions).
#[utoipa::path(
    post,
    path = "/manage/v1/subscriptions/{sub}/configurations/{id}/secret",
    operation_id = "rotate_configuration_secret",
    params(
        ("sub" = String, Path, description = "The subscription id"),
        ("id" = String, Path, description = "The configuration's id (its tenant id)"),
    ),
    responses(
        (status = 200, description = "The new secret, shown this once", body = RotatedSecret),
        (status = 404, description = "No such configuration in this subscription", body = ErrorBody),
    )
)]
pub async fn rotate_secret(app: &App, call: Call) -> Result<Reply, ManageError> {
    let configuration = app.tenants.configuration_in(call.param("sub"), call.param("id")).await?;
    let rotated = app.tenants.rotate_secret(&configuration.tenant).await?;
    Reply::json(200, &RotatedSecret { client_secret: rotated.client_secret })
}
