//! The admin API's subscription users: the list (filtered by state, license, waiting,
//! configuration and the start of the user name, a page at a time), one user with its groups, a user an admin creates (no
//! configuration provisions it; a SCIM create of its userName takes it over), the override of a
//! user's license, and the audit trail.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::configurations::{license_schema, Status};
use super::{Call, ErrorBody, ManageError, Reply};
use crate::app::App;
use crate::audit::Entry;
use crate::licenses::{Holder, LicenseType, UserFilter};
use crate::store::Cursor;

/// Users per page unless `limit` says otherwise.
const DEFAULT_LIMIT: usize = 100;

/// A subscription user as the admin API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub id: String,
    pub user_name: String,
    pub display_name: Option<String>,
    pub state: Status,
    /// The license type it holds.
    #[schema(schema_with = license_schema)]
    pub license: LicenseType,
    /// The license type the rules (or the override) give it.
    #[schema(schema_with = license_schema)]
    pub target_license: LicenseType,
    /// An admin's choice, or null.
    #[schema(value_type = Option<String>)]
    pub r#override: Option<LicenseType>,
    /// Whether it waits for a seat of `target_license`.
    pub waiting: bool,
    pub waiting_since: Option<String>,
    /// The configuration (its id) that provisions it, or null.
    pub configuration: Option<String>,
}

impl From<Holder> for UserView {
    fn from(h: Holder) -> UserView {
        UserView {
            waiting: h.is_waiting(),
            id: h.id,
            user_name: h.user_name,
            display_name: h.display_name,
            state: Status::of(h.enabled),
            license: h.license,
            target_license: h.target,
            r#override: h.license_override,
            waiting_since: h.waiting_since,
            configuration: h.configuration,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserList {
    pub items: Vec<UserView>,
    /// Pass as `cursor` for the next page; null at the end.
    pub next_cursor: Option<String>,
}

/// A group a user is in, as its page shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserGroup {
    pub id: String,
    pub display_name: String,
    #[schema(value_type = Option<String>)]
    pub license: Option<LicenseType>,
}

/// One user, with its groups.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserDetail {
    #[serde(flatten)]
    pub user: UserView,
    pub groups: Vec<UserGroup>,
}

/// `POST …/users`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    pub user_name: String,
    pub display_name: Option<String>,
    /// The license it gets by the admin's decision (its override); none when absent.
    #[schema(value_type = Option<String>)]
    pub license: Option<LicenseType>,
}

/// `PUT …/users/{id}/license`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetLicense {
    #[schema(schema_with = license_schema)]
    pub license: LicenseType,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditList {
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<Entry>,
    pub next_cursor: Option<String>,
}

/// `limit`: 1 to `max`, `DEFAULT_LIMIT` when absent.
pub(super) fn limit(call: &Call, max: usize) -> Result<usize, ManageError> {
    match call.query_as::<usize>("limit")? {
        None => Ok(DEFAULT_LIMIT.min(max)),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(_) => Err(ManageError::invalid(format!("limit: from 1 to {max}"))),
    }
}

/// Lists the subscription's users, oldest first, filtered.
#[utoipa::path(
    get,
    path = "/manage/v1/subscriptions/{sub}/users",
    operation_id = "list_users",
    params(
        ("sub" = String, Path, description = "The subscription id"),
        ("state" = Option<String>, Query, description = "enabled or disabled"),
        ("license" = Option<String>, Query, description = "The license type held"),
        ("waiting" = Option<bool>, Query, description = "true: only users waiting for a license"),
        ("configuration" = Option<String>, Query, description = "The id of the configuration that provisions them"),
        ("user_name" = Option<String>, Query, description = "How their user name starts (case-insensitive)"),
        ("cursor" = Option<String>, Query, description = "next_cursor of the previous page"),
        ("limit" = Option<usize>, Query, description = "1 to 500 (default 100)"),
    ),
    responses(
        (status = 200, description = "A page of users", body = UserList),
        (status = 400, description = "A parameter is wrong (the message names it)", body = ErrorBody),
    )
)]
pub async fn list(app: &App, call: Call) -> Result<Reply, ManageError> {
    let enabled = match call.query("state") {
        None => None,
        Some("enabled") => Some(true),
        Some("disabled") => Some(false),
        Some(other) => return Err(ManageError::invalid(format!("state: {other:?} is not enabled or disabled"))),
    };
    let filter = UserFilter {
        enabled,
        license: call.query_as("license")?,
        waiting: call.query_as("waiting")?,
        configuration: call.query("configuration").map(str::to_owned),
        user_name_prefix: None,
    }
    .with_user_name_prefix(call.query("user_name"));
    let limit = limit(&call, crate::licenses::MAX_USERS_PAGE)?;
    let page = app.licenses.list_users(call.param("sub"), &filter, call.query("cursor"), limit).await?;
    Reply::json(200, &UserList { items: page.users.into_iter().map(UserView::from).collect(), next_cursor: page.next })
}

async fn user(app: &App, call: &Call) -> Result<Holder, ManageError> {
    let id = call.param("id");
    app.licenses
        .holder(call.param("sub"), id)
        .await?
        .ok_or_else(|| ManageError::not_found(format!("no user with id {id:?} in this subscription")))
}

/// One user, with the groups it is in.
#[utoipa::path(
    get,
    path = "/manage/v1/subscriptions/{sub}/users/{id}",
    operation_id = "get_user",
    params(("sub" = String, Path, description = "The subscription id"), ("id" = String, Path, description = "The user id")),
    responses(
        (status = 200, description = "The user", body = UserDetail),
        (status = 404, description = "No such user in this subscription", body = ErrorBody),
    )
)]
pub async fn get(app: &App, call: Call) -> Result<Reply, ManageError> {
    let holder = user(app, &call).await?;
    let groups = match &holder.configuration {
        Some(tenant) => app.directory.user_groups(tenant, &holder.id).await?,
        None => Vec::new(),
    };
    let groups =
        groups.into_iter().map(|g| UserGroup { id: g.id, display_name: g.display_name, license: g.license }).collect();
    Reply::json(200, &UserDetail { user: holder.into(), groups })
}

/// Creates a user no configuration provisions (a SCIM create of its userName takes it over).
#[utoipa::path(
    post,
    path = "/manage/v1/subscriptions/{sub}/users",
    operation_id = "create_user",
    params(("sub" = String, Path, description = "The subscription id")),
    request_body = CreateUser,
    responses(
        (status = 201, description = "Created", body = UserView),
        (status = 400, description = "A field is wrong", body = ErrorBody),
        (status = 409, description = "The userName is taken in this subscription", body = ErrorBody),
    )
)]
pub async fn create(app: &App, call: Call) -> Result<Reply, ManageError> {
    let body: CreateUser = call.json()?;
    let made = app
        .licenses
        .create_user(call.param("sub"), &body.user_name, body.display_name.as_deref(), body.license, &call.actor())
        .await?;
    Reply::json(201, &UserView::from(made))
}

/// Sets the override: the user gets this license by the admin's decision, taking a free seat
/// even while others wait (with none free, it waits).
#[utoipa::path(
    put,
    path = "/manage/v1/subscriptions/{sub}/users/{id}/license",
    operation_id = "set_user_license",
    params(("sub" = String, Path, description = "The subscription id"), ("id" = String, Path, description = "The user id")),
    request_body = SetLicense,
    responses(
        (status = 200, description = "The user as it is now", body = UserView),
        (status = 404, description = "No such user in this subscription", body = ErrorBody),
    )
)]
pub async fn set_license(app: &App, call: Call) -> Result<Reply, ManageError> {
    let body: SetLicense = call.json()?;
    let changed =
        app.licenses.set_override(call.param("sub"), call.param("id"), Some(body.license), &call.actor()).await?;
    Reply::json(200, &UserView::from(changed))
}

/// Clears the override: the rules decide the user's license again.
#[utoipa::path(
    delete,
    path = "/manage/v1/subscriptions/{sub}/users/{id}/license",
    operation_id = "clear_user_license",
    params(("sub" = String, Path, description = "The subscription id"), ("id" = String, Path, description = "The user id")),
    responses(
        (status = 200, description = "The user as it is now", body = UserView),
        (status = 404, description = "No such user in this subscription", body = ErrorBody),
    )
)]
pub async fn clear_license(app: &App, call: Call) -> Result<Reply, ManageError> {
    let changed = app.licenses.set_override(call.param("sub"), call.param("id"), None, &call.actor()).await?;
    Reply::json(200, &UserView::from(changed))
}

/// The audit trail, newest first (of one user with `user`).
#[utoipa::path(
    get,
    path = "/manage/v1/subscriptions/{sub}/audit",
    operation_id = "list_audit",
    params(
        ("sub" = String, Path, description = "The subscription id"),
        ("user" = Option<String>, Query, description = "Only this user's entries"),
        ("cursor" = Option<String>, Query, description = "next_cursor of the previous page"),
        ("limit" = Option<usize>, Query, description = "1 to 500 (default 100)"),
    ),
    responses(
        (status = 200, description = "A page of entries", body = AuditList),
        (status = 400, description = "A parameter is wrong", body = ErrorBody),
    )
)]
pub async fn audit(app: &App, call: Call) -> Result<Reply, ManageError> {
    let sub = call.param("sub");
    let user = call.query("user");
    let after = match call.query("cursor") {
        None => None,
        Some(text) => {
            // Every entry lives in the trail's partition; a user's trail pages by the index.
            let trail = crate::keys::audit_trail(sub);
            let cursor = Cursor::decode(text).filter(|c| c.key.pk == trail && c.index_sk.is_some() == user.is_some());
            Some(
                cursor
                    .ok_or_else(|| ManageError::invalid("cursor: not one this listing gave; start again without it"))?,
            )
        }
    };
    let limit = limit(&call, 500)?;
    let page = app.audit.trail(sub, user, after, limit).await?;
    Reply::json(200, &AuditList { items: page.entries, next_cursor: page.next.map(|c| c.encode()) })
}
