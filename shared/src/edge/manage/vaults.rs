//! The admin API's vaults, their user groups and users, and the links that fill the groups
//! from provisioned groups ([`crate::vaults`]).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Call, ErrorBody, ManageError, Reply};
use crate::app::App;
use crate::vaults::{
    Link, LinkState, Recorded, Source, Target, Vault, VaultGroup, VaultUser, VaultUserPage, MAX_CHANGES_PAGE,
};

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

/// A user of a vault, or a member of a vault group.
#[derive(Debug, Serialize, ToSchema)]
pub struct VaultUserView {
    pub id: String,
    /// Its subscription user's (null when the subscription has no such user any more).
    pub user_name: Option<String>,
    pub display_name: Option<String>,
    /// Its state in the subscription: `enabled` or `disabled`.
    pub state: Option<String>,
    /// The license it holds in the subscription.
    pub license: Option<String>,
    /// In how many of the vault's groups it is.
    pub groups: i64,
    /// Whether it is a user of the vault: in at least one of its groups.
    pub active: bool,
}

impl From<VaultUser> for VaultUserView {
    fn from(u: VaultUser) -> VaultUserView {
        let user = u.user.as_ref();
        VaultUserView {
            id: u.id,
            user_name: user.map(|h| h.user_name.clone()),
            display_name: user.and_then(|h| h.display_name.clone()),
            state: user.map(|h| h.state().to_owned()),
            license: user.map(|h| h.license.as_str().to_owned()),
            groups: u.groups,
            active: u.groups > 0,
        }
    }
}

/// A page of vault users or members, by user id.
#[derive(Debug, Serialize, ToSchema)]
pub struct VaultUserList {
    pub items: Vec<VaultUserView>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

impl From<VaultUserPage> for VaultUserList {
    fn from(page: VaultUserPage) -> VaultUserList {
        VaultUserList { items: page.items.into_iter().map(VaultUserView::from).collect(), next_cursor: page.next }
    }
}

/// The members of a vault group.
#[utoipa::path(
    get,
    path = "/manage/v1/subscriptions/{sub}/vaults/{v}/groups/{g}/members",
    operation_id = "list_vault_group_members",
    params(
        ("sub" = String, Path, description = "The subscription id"),
        ("v" = String, Path, description = "The vault id"),
        ("g" = String, Path, description = "The group id"),
        ("cursor" = Option<String>, Query, description = "The previous page's next_cursor"),
    ),
    responses(
        (status = 200, description = "A page of members, by user id", body = VaultUserList),
        (status = 404, description = "No such vault or group", body = ErrorBody),
    )
)]
pub async fn members(app: &App, call: Call) -> Result<Reply, ManageError> {
    let (sub, vault, group) = (call.param("sub"), call.param("v"), call.param("g"));
    let page = app.vaults.members(sub, vault, group, call.query("cursor")).await?.ok_or_else(|| {
        ManageError::not_found(format!("no group with id {group:?} in the vault {vault:?}: list the vault's groups"))
    })?;
    Reply::json(200, &VaultUserList::from(page))
}

/// The users of a vault: the members of its groups.
#[utoipa::path(
    get,
    path = "/manage/v1/subscriptions/{sub}/vaults/{v}/users",
    operation_id = "list_vault_users",
    params(
        ("sub" = String, Path, description = "The subscription id"),
        ("v" = String, Path, description = "The vault id"),
        ("cursor" = Option<String>, Query, description = "The previous page's next_cursor"),
    ),
    responses(
        (status = 200, description = "A page of the vault's users, by id (who left every group: active false)", body = VaultUserList),
        (status = 404, description = "No such vault", body = ErrorBody),
    )
)]
pub async fn users(app: &App, call: Call) -> Result<Reply, ManageError> {
    let vault = call.param("v");
    let page =
        app.vaults.users(call.param("sub"), vault, call.query("cursor")).await?.ok_or_else(|| no_vault(vault))?;
    Reply::json(200, &VaultUserList::from(page))
}

/// A page of a vault's change feed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeList {
    /// The changes after the cursor, oldest first.
    pub changes: Vec<Recorded>,
    /// Where to read on from now, while there is more to read; null once the feed is read to
    /// its end.
    pub next_cursor: Option<String>,
    /// Where to read on from later, for the changes made after this page (also at the end).
    pub resume_cursor: String,
}

/// A vault's changes after a cursor, in the order they were made: groups made, users added,
/// removed, disabled and enabled, licenses changed, memberships added and removed. Reading on
/// from each page's cursor never skips or repeats a change.
#[utoipa::path(
    get,
    path = "/manage/v1/subscriptions/{sub}/vaults/{v}/changes",
    operation_id = "list_vault_changes",
    params(
        ("sub" = String, Path, description = "The subscription id"),
        ("v" = String, Path, description = "The vault id"),
        ("cursor" = Option<String>, Query, description = "A page's next_cursor or resume_cursor; none: from the first change"),
        ("limit" = Option<usize>, Query, description = "1 to 1000 (default 100)"),
    ),
    responses(
        (status = 200, description = "A page of the feed", body = ChangeList),
        (status = 400, description = "A cursor this feed did not give, or a limit out of range", body = ErrorBody),
        (status = 404, description = "No such vault", body = ErrorBody),
    )
)]
pub async fn changes(app: &App, call: Call) -> Result<Reply, ManageError> {
    let vault = call.param("v");
    let after = match call.query("cursor") {
        None => 0,
        Some(cursor) => cursor.parse::<u64>().map_err(|_| {
            ManageError::invalid("cursor: not one this feed gave: pass a page's next_cursor or resume_cursor, or none")
        })?,
    };
    let limit = super::users::limit(&call, MAX_CHANGES_PAGE)?;
    let page = app.vaults.changes(call.param("sub"), vault, after, limit).await?.ok_or_else(|| no_vault(vault))?;
    let resume_cursor = page.next.to_string();
    let next_cursor = page.more.then(|| resume_cursor.clone());
    Reply::json(200, &ChangeList { changes: page.changes, next_cursor, resume_cursor })
}

/// `POST …/links`: a provisioned group to a vault group, existing or made with the link.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateLink {
    /// The provisioned group's id.
    pub source_group: String,
    /// The vault's id.
    pub vault: String,
    /// A group of the vault (its id): its members are replaced by the source's.
    #[schema(nullable = false)]
    pub target_group: Option<String>,
    /// Or the name of a group to make in the vault for the link.
    #[schema(nullable = false)]
    pub new_target_group: Option<String>,
}

/// A link.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkView {
    pub id: String,
    /// The provisioned group's id.
    pub source_group: String,
    /// The configuration that provisions it.
    pub source_configuration: String,
    pub vault: String,
    pub target_group: String,
    /// `pending` (its first replacement is under way), `active` (the target follows the
    /// source) or `removed`.
    #[schema(value_type = String)]
    pub state: LinkState,
    /// The job of its first replacement: `GET …/jobs/{job}` shows its progress.
    pub job: String,
    pub created: String,
    /// When it was removed, or null.
    pub removed: Option<String>,
    /// Why: `admin` or `source-deleted`; null while it is not removed.
    pub removed_cause: Option<String>,
}

impl From<Link> for LinkView {
    fn from(l: Link) -> LinkView {
        let (removed, removed_cause) = l.removed.map_or((None, None), |(when, cause)| (Some(when), Some(cause)));
        LinkView {
            id: l.id,
            source_group: l.source_group,
            source_configuration: l.source_tenant,
            vault: l.vault,
            target_group: l.target_group,
            state: l.state,
            job: l.job,
            created: l.created,
            removed,
            removed_cause,
        }
    }
}

/// The links of a subscription, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct LinkList {
    pub items: Vec<LinkView>,
}

/// Links a provisioned group to a vault group: the target's members are replaced by the
/// source's (a background job), and from then on follow them.
#[utoipa::path(
    post,
    path = "/manage/v1/subscriptions/{sub}/links",
    operation_id = "create_link",
    params(("sub" = String, Path, description = "The subscription id")),
    request_body = CreateLink,
    responses(
        (status = 202, description = "The link, pending until its job has replaced the target's members", body = LinkView),
        (status = 400, description = "Not exactly one of target_group and new_target_group, or no usable name", body = ErrorBody),
        (status = 404, description = "No such provisioned group, vault or vault group", body = ErrorBody),
        (status = 409, description = "The target has a link already, or the new group's name is taken", body = ErrorBody),
    )
)]
pub async fn create_link(app: &App, call: Call) -> Result<Reply, ManageError> {
    let body: CreateLink = call.json()?;
    let target =
        match (body.target_group, body.new_target_group) {
            (Some(group), None) => Target::Existing(group),
            (None, Some(name)) => Target::New(name),
            _ => return Err(ManageError::invalid(
                "target_group: give either target_group (a group of the vault) or new_target_group (a name), not both",
            )),
        };
    let sub = call.param("sub");
    let source = app.directory.subscription_group(sub, &body.source_group).await?.ok_or_else(|| {
        let id = &body.source_group;
        ManageError::not_found(format!(
            "source_group: no provisioned group with id {id:?} in this subscription: list the subscription's groups"
        ))
    })?;
    let source = Source { tenant: source.tenant, group: source.id, members: source.members };
    let link = app.vaults.create_link(sub, &source, &body.vault, target, &call.actor()).await?;
    Reply::json(202, &LinkView::from(link))
}

/// Lists the links of a subscription (removed ones too).
#[utoipa::path(
    get,
    path = "/manage/v1/subscriptions/{sub}/links",
    operation_id = "list_links",
    params(("sub" = String, Path, description = "The subscription id")),
    responses((status = 200, description = "The links, oldest first", body = LinkList))
)]
pub async fn list_links(app: &App, call: Call) -> Result<Reply, ManageError> {
    let links = app.vaults.links(call.param("sub")).await?;
    Reply::json(200, &LinkList { items: links.into_iter().map(LinkView::from).collect() })
}

fn no_link(id: &str) -> ManageError {
    ManageError::not_found(format!("no link with id {id:?} in this subscription: list the subscription's links"))
}

/// Reads one link: its state.
#[utoipa::path(
    get,
    path = "/manage/v1/subscriptions/{sub}/links/{id}",
    operation_id = "get_link",
    params(("sub" = String, Path, description = "The subscription id"), ("id" = String, Path, description = "The link id")),
    responses(
        (status = 200, description = "The link", body = LinkView),
        (status = 404, description = "No such link in this subscription", body = ErrorBody),
    )
)]
pub async fn get_link(app: &App, call: Call) -> Result<Reply, ManageError> {
    let id = call.param("id");
    let link = app.vaults.link(call.param("sub"), id).await?.ok_or_else(|| no_link(id))?;
    Reply::json(200, &LinkView::from(link))
}

/// Deletes a link: the target keeps its members and follows the source no more.
#[utoipa::path(
    delete,
    path = "/manage/v1/subscriptions/{sub}/links/{id}",
    operation_id = "delete_link",
    params(("sub" = String, Path, description = "The subscription id"), ("id" = String, Path, description = "The link id")),
    responses(
        (status = 200, description = "The link, removed", body = LinkView),
        (status = 404, description = "No such link in this subscription", body = ErrorBody),
    )
)]
pub async fn delete_link(app: &App, call: Call) -> Result<Reply, ManageError> {
    let link = app.vaults.delete_link(call.param("sub"), call.param("id")).await?;
    Reply::json(200, &LinkView::from(link))
}
