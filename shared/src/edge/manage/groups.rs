//! The admin API's provisioned groups: the list, and the license type a group gives its
//! members. A change on a group of up to a page of members is done in the request (200);
//! a larger one is a background job (202 with its id), whose progress `GET …/jobs/{id}` reads.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::configurations::license_schema;
use super::{Call, ErrorBody, ManageError, Reply};
use crate::app::App;
use crate::directory::{SubscriptionGroup, Tenant};
use crate::jobs::{Job, JobKind, JobState};
use crate::licenses::LicenseType;

/// A provisioned group as the admin API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct GroupView {
    pub id: String,
    pub display_name: String,
    /// The configuration (its id) that provisions it.
    pub configuration: String,
    /// The license type it gives its members, or null.
    #[schema(value_type = Option<String>)]
    pub license: Option<LicenseType>,
    pub member_count: i64,
}

impl From<SubscriptionGroup> for GroupView {
    fn from(g: SubscriptionGroup) -> GroupView {
        GroupView {
            id: g.id,
            display_name: g.display_name,
            configuration: g.tenant,
            license: g.license,
            member_count: g.members,
        }
    }
}

/// `PUT …/groups/{id}/license`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetGroupLicense {
    /// `none`: the group gives no license.
    #[schema(schema_with = license_schema)]
    pub license: LicenseType,
}

/// A change handed to a background job.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobStarted {
    pub job: String,
}

/// A background job's progress.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobView {
    pub id: String,
    #[schema(value_type = String)]
    pub state: JobState,
    pub done: i64,
    pub total: i64,
}

impl From<Job> for JobView {
    fn from(j: Job) -> JobView {
        JobView { id: j.id, state: j.state, done: j.done, total: j.total }
    }
}

/// The provisioned groups of the subscription, in every configuration.
#[utoipa::path(
    get,
    path = "/manage/v1/subscriptions/{sub}/groups",
    operation_id = "list_groups",
    params(("sub" = String, Path, description = "The subscription id")),
    responses((status = 200, description = "The groups", body = Vec<GroupView>))
)]
pub async fn list(app: &App, call: Call) -> Result<Reply, ManageError> {
    let groups = app.directory.subscription_groups(call.param("sub")).await?;
    Reply::json(200, &groups.into_iter().map(GroupView::from).collect::<Vec<_>>())
}

/// Sets the license type a group gives its members; their seats follow.
#[utoipa::path(
    put,
    path = "/manage/v1/subscriptions/{sub}/groups/{id}/license",
    operation_id = "set_group_license",
    params(("sub" = String, Path, description = "The subscription id"), ("id" = String, Path, description = "The group id")),
    request_body = SetGroupLicense,
    responses(
        (status = 200, description = "Done: every member's seat moved", body = GroupView),
        (status = 202, description = "Handed to a background job", body = JobStarted),
        (status = 404, description = "No such group in this subscription", body = ErrorBody),
    )
)]
pub async fn set_license(app: &App, call: Call) -> Result<Reply, ManageError> {
    let body: SetGroupLicense = call.json()?;
    let (sub, id) = (call.param("sub"), call.param("id"));
    let not_found = || ManageError::not_found(format!("no provisioned group with id {id:?} in this subscription"));
    let group = app.directory.subscription_group(sub, id).await?.ok_or_else(not_found)?;
    let configuration = app.tenants.configuration(&group.tenant).await?.ok_or_else(not_found)?;
    let tenant = Tenant { configuration, url: String::new() };
    let license = Some(body.license).filter(|l| *l != LicenseType::None);
    app.directory.set_group_license(&tenant, &group.id, license).await?;
    if group.members as usize <= app.directory.members_per_page() {
        let page = app.directory.license_members(&tenant, &group.id, None, &call.actor()).await?;
        // More than a page only when members joined since the count was read: a job then.
        if page.next.is_none() {
            return Reply::json(200, &GroupView::from(SubscriptionGroup { license, ..group }));
        }
    }
    let kind = JobKind::GroupLicense { group: group.id.clone() };
    let job = app.jobs.start(sub, &group.tenant, kind, &call.actor(), group.members).await?;
    Reply::json(202, &JobStarted { job: job.id })
}

/// A background job's progress.
#[utoipa::path(
    get,
    path = "/manage/v1/subscriptions/{sub}/jobs/{id}",
    operation_id = "get_job",
    params(("sub" = String, Path, description = "The subscription id"), ("id" = String, Path, description = "The job id")),
    responses(
        (status = 200, description = "Its state and progress", body = JobView),
        (status = 404, description = "No such job in this subscription", body = ErrorBody),
    )
)]
pub async fn job(app: &App, call: Call) -> Result<Reply, ManageError> {
    let id = call.param("id");
    let job = app.jobs.get(call.param("sub"), id).await?;
    let job = job.ok_or_else(|| ManageError::not_found(format!("no job with id {id:?} in this subscription")))?;
    Reply::json(200, &JobView::from(job))
}
