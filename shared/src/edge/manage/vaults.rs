//! The admin API's vaults and their user groups ([`crate::vaults`]).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Call, ErrorBody, ManageError, Reply};
use crate::app::App;
use crate::vaults::{Vault, VaultGroup};

/// `POST …/vaults` and `POST …/vaults/{v}/groups`: a name.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateNamed {
    /// 1 to 200 characters; a vault's unique in the subscription, a group's in its vault
    /// (whatever the case).
    #[schema(example = "Sales")]
    pub name: String,
}

/// A vault.
#[derive(Debug, Serialize, ToSchema)]
pub struct VaultView {
    pub id: String,
    pub name: String,
    /// When it was made (RFC 3339).
    pub created: String,
}

impl From<Vault> for VaultView {
    fn from(v: Vault) -> VaultView {
        VaultView { id: v.id, name: v.name, created: v.created }
    }
}

/// The vaults of a subscription, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct VaultList {
    pub items: Vec<VaultView>,
}

/// A user group of a vault.
#[derive(Debug, Serialize, ToSchema)]
pub struct VaultGroupView {
    pub id: String,
    /// Its vault's id.
    pub vault: String,
    pub name: String,
    pub member_count: i64,
    /// The link (its id) that fills it from a provisioned group, or null.
    pub link: Option<String>,
    pub created: String,
}

impl From<VaultGroup> for VaultGroupView {
    fn from(g: VaultGroup) -> VaultGroupView {
        VaultGroupView {
            id: g.id,
            vault: g.vault,
            name: g.name,
            member_count: g.members,
            link: g.link,
            created: g.created,
        }
    }
}

/// The user groups of a vault, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct VaultGroupList {
    pub items: Vec<VaultGroupView>,
}

fn no_vault(id: &str) -> ManageError {
    ManageError::not_found(format!("no vault with id {id:?} in this subscription: list the subscription's vaults"))
}

/// Makes a vault.
#[utoipa::path(
    post,
    path = "/manage/v1/subscriptions/{sub}/vaults",
    operation_id = "create_vault",
    params(("sub" = String, Path, description = "The subscription id")),
    request_body = CreateNamed,
    responses(
        (status = 201, description = "The vault", body = VaultView),
        (status = 400, description = "No usable name", body = ErrorBody),
        (status = 409, description = "The name is taken in this subscription", body = ErrorBody),
    )
)]
pub async fn create(app: &App, call: Call) -> Result<Reply, ManageError> {
    let body: CreateNamed = call.json()?;
    let vault = app.vaults.create_vault(call.param("sub"), &body.name).await?;
    Reply::json(201, &VaultView::from(vault))
}

/// Lists the vaults of a subscription.
#[utoipa::path(
    get,
    path = "/manage/v1/subscriptions/{sub}/vaults",
    operation_id = "list_vaults",
    params(("sub" = String, Path, description = "The subscription id")),
    responses((status = 200, description = "The vaults, oldest first", body = VaultList))
)]
pub async fn list(app: &App, call: Call) -> Result<Reply, ManageError> {
    let vaults = app.vaults.vaults(call.param("sub")).await?;
    Reply::json(200, &VaultList { items: vaults.into_iter().map(VaultView::from).collect() })
}

/// Reads one vault.
#[utoipa::path(
    get,
    path = "/manage/v1/subscriptions/{sub}/vaults/{v}",
    operation_id = "get_vault",
    params(("sub" = String, Path, description = "The subscription id"), ("v" = String, Path, description = "The vault id")),
    responses(
        (status = 200, description = "The vault", body = VaultView),
        (status = 404, description = "No such vault in this subscription", body = ErrorBody),
    )
)]
pub async fn get(app: &App, call: Call) -> Result<Reply, ManageError> {
    let id = call.param("v");
    let vault = app.vaults.vault(call.param("sub"), id).await?.ok_or_else(|| no_vault(id))?;
    Reply::json(200, &VaultView::from(vault))
}

/// Makes a user group in a vault.
#[utoipa::path(
    post,
    path = "/manage/v1/subscriptions/{sub}/vaults/{v}/groups",
    operation_id = "create_vault_group",
    params(("sub" = String, Path, description = "The subscription id"), ("v" = String, Path, description = "The vault id")),
    request_body = CreateNamed,
    responses(
        (status = 201, description = "The group, without members", body = VaultGroupView),
        (status = 400, description = "No usable name", body = ErrorBody),
        (status = 404, description = "No such vault in this subscription", body = ErrorBody),
        (status = 409, description = "The name is taken in this vault", body = ErrorBody),
    )
)]
pub async fn create_group(app: &App, call: Call) -> Result<Reply, ManageError> {
    let body: CreateNamed = call.json()?;
    let group = app.vaults.create_group(call.param("sub"), call.param("v"), &body.name).await?;
    Reply::json(201, &VaultGroupView::from(group))
}

/// Lists the user groups of a vault.
#[utoipa::path(
    get,
    path = "/manage/v1/subscriptions/{sub}/vaults/{v}/groups",
    operation_id = "list_vault_groups",
    params(("sub" = String, Path, description = "The subscription id"), ("v" = String, Path, description = "The vault id")),
    responses(
        (status = 200, description = "The vault's groups, oldest first", body = VaultGroupList),
        (status = 404, description = "No such vault in this subscription", body = ErrorBody),
    )
)]
pub async fn list_groups(app: &App, call: Call) -> Result<Reply, ManageError> {
    let id = call.param("v");
    let groups = app.vaults.groups(call.param("sub"), id).await?.ok_or_else(|| no_vault(id))?;
    Reply::json(200, &VaultGroupList { items: groups.into_iter().map(VaultGroupView::from).collect() })
}

/// Reads one user group of a vault.
#[utoipa::path(
    get,
    path = "/manage/v1/subscriptions/{sub}/vaults/{v}/groups/{g}",
    operation_id = "get_vault_group",
    params(
        ("sub" = String, Path, description = "The subscription id"),
        ("v" = String, Path, description = "The vault id"),
        ("g" = String, Path, description = "The group id"),
    ),
    responses(
        (status = 200, description = "The group", body = VaultGroupView),
        (status = 404, description = "No such vault or group", body = ErrorBody),
    )
)]
pub async fn get_group(app: &App, call: Call) -> Result<Reply, ManageError> {
    let (sub, vault, id) = (call.param("sub"), call.param("v"), call.param("g"));
    let group = app.vaults.group(sub, vault, id).await?.ok_or_else(|| {
        ManageError::not_found(format!("no group with id {id:?} in the vault {vault:?}: list the vault's groups"))
    })?;
    Reply::json(200, &VaultGroupView::from(group))
}
