//! The worker of background jobs ([`crate::jobs`]): does a job a page at a time, recording
//! progress after each page.
//!
//! - `local-api` (and the tests' service) run [`run`] beside the server: it looks for running
//!   jobs when it starts (so a job resumes when the process starts again after a crash) and
//!   whenever a job starts in this process, and otherwise costs nothing.
//! - On AWS the worker function (`functions/worker`) calls [`work_on`] for each job its queue
//!   names ([`crate::job_queue`]), until the job ends or the invocation's time runs short,
//!   and [`sweep`] on a schedule.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::app::App;
use crate::directory::Tenant;
use crate::jobs::{Job, JobKind, JobState};

/// The worker function's Cargo package and binary (`functions/worker`).
pub const FUNCTION_NAME: &str = "worker";
/// The worker function's logical id in `template.yaml`.
pub const LOGICAL_ID: &str = "WorkerFunction";

/// Runs jobs until the task is dropped. First it serves the waiting queues a predecessor may
/// have left with free seats.
pub async fn run(app: Arc<App>) {
    if let Err(e) = app.licenses.serve_every_queue().await {
        tracing::warn!(error = %e, "cannot serve the waiting queues at start; the next seat change serves them");
    }
    // Links' changes recorded before this process started have no worker but this one.
    if let Err(e) = app.vaults.restart_follows(&crate::clock::now()).await {
        tracing::warn!(error = %e, "cannot restart the links' pending work at start");
    }
    loop {
        // Until none is left running (the index may show a job just started a moment late,
        // so an empty read right after a start is read once more).
        let mut empty_reads = 0;
        while empty_reads < 2 {
            match app.jobs.running().await {
                Ok(jobs) if jobs.is_empty() => {
                    empty_reads += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                Ok(jobs) => {
                    empty_reads = 0;
                    for job in &jobs {
                        if let Err(e) = step(&app, job).await {
                            tracing::warn!(job = job.id, error = e, "a job page failed; it is tried again");
                            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the running jobs; trying again");
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                }
            }
        }
        app.jobs.started().await;
    }
}

/// Does one page of `job` and records it.
pub async fn step(app: &App, job: &Job) -> Result<(), String> {
    let configuration = app.tenants.configuration(&job.tenant).await.map_err(|e| e.to_string())?;
    let (members, next) = match (&job.kind, configuration) {
        (JobKind::GroupLicense { group }, Some(configuration)) => {
            let tenant = Tenant { configuration, url: String::new() };
            let page = app
                .directory
                .license_members(&tenant, group, job.after(), &job.actor)
                .await
                .map_err(|e| e.detail.clone())?;
            (page.members, page.next)
        }
        // The configuration went, and its groups with it: nothing is left to carry.
        (JobKind::GroupLicense { .. }, None) => (0, None),
        (JobKind::LinkReplace { link }, _) => {
            let page =
                app.vaults.replace_page(&job.subscription, link, job.after()).await.map_err(|e| e.to_string())?;
            (page.users, page.next)
        }
        (JobKind::LinkFollow { link }, _) => {
            let page = app.vaults.follow_page(&job.subscription, link, job.after()).await.map_err(|e| e.to_string())?;
            (page.users, page.next)
        }
        (JobKind::ConfigurationUsers, configuration) => {
            let default = configuration.as_ref().map(|c| c.default_license);
            app.licenses
                .reseat_configuration_users(&job.subscription, &job.tenant, default, job.after(), &job.actor)
                .await
                .map_err(|e| e.to_string())?
        }
    };
    app.jobs.advance(job, members, next).await.map_err(|e| e.to_string())?;
    Ok(())
}

/// How far [`work_on`] got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Worked {
    /// The job is done (now or before).
    Done,
    /// Time ran out with work left: the job as it stands.
    Unfinished(Job),
    /// No such job.
    Missing,
}

/// Does job `id` of `subscription` page after page until it is done or `until` has passed
/// (checked before each page; a page takes about a second). Another worker on the same job
/// costs pages done twice, never a wrong result: each page is idempotent and the job's cursor
/// moves only from where it was read.
pub async fn work_on(app: &App, subscription: &str, id: &str, until: Instant) -> Result<Worked, String> {
    loop {
        let Some(job) = app.jobs.get(subscription, id).await.map_err(|e| e.to_string())? else {
            return Ok(Worked::Missing);
        };
        if job.state == JobState::Done {
            return Ok(Worked::Done);
        }
        if Instant::now() >= until {
            return Ok(Worked::Unfinished(job));
        }
        step(app, &job).await?;
    }
}

/// What a [`sweep`] did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Swept {
    /// Running jobs announced again, as none had moved for `stalled_after`.
    pub announced: Vec<String>,
    /// Running jobs left alone: they moved recently.
    pub moving: usize,
}

/// The scheduled safety net on AWS: serves the waiting queues a crash may have left with
/// free seats, starts the links' work on membership changes recorded `stalled_after` ago and
/// not carried yet, and announces again every running job that has not moved for
/// `stalled_after` (its message was lost, or the queue gave up on it).
pub async fn sweep(app: &App, stalled_after: Duration) -> Result<Swept, String> {
    app.licenses.serve_every_queue().await.map_err(|e| e.to_string())?;
    let stalled_before = crate::clock::format(std::time::SystemTime::now() - stalled_after);
    app.vaults.restart_follows(&stalled_before).await.map_err(|e| e.to_string())?;
    let mut swept = Swept::default();
    for job in app.jobs.running().await.map_err(|e| e.to_string())? {
        if job.updated < stalled_before {
            app.jobs.announce(&job).await?;
            swept.announced.push(job.id);
        } else {
            swept.moving += 1;
        }
    }
    Ok(swept)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::directory::Tenant;
    use crate::keys;
    use crate::licenses::{LicenseType, Recycling};
    use crate::store::sqlite::SqliteTable;
    use crate::store::{Action, AttrValue, Item, Key, Table};
    use crate::store::{GSI1_PK, GSI1_SK};
    use crate::vaults::{Source, Target};
    use serde_json::json;

    /// Runs every running job to its end, as a worker would.
    async fn work(app: &App) {
        loop {
            let running = app.jobs.running().await.unwrap();
            if running.is_empty() {
                return;
            }
            for job in running {
                step(app, &job).await.unwrap();
            }
        }
    }

    /// The user ids of a vault group's first page of members.
    async fn members(app: &App, vault: &str, group: &str) -> Vec<String> {
        let page = app.vaults.members("s", vault, group, None).await.unwrap().unwrap();
        page.items.into_iter().map(|m| m.id).collect()
    }

    /// A membership change recorded by a request that died before it started the link's
    /// work: the sweep (or `local-api` at start) finds the entry and starts that work.
    #[tokio::test]
    async fn a_recorded_change_whose_work_never_started_is_carried_by_the_sweep() {
        let table: Arc<dyn Table> = Arc::new(SqliteTable::in_memory());
        let app = App::embedded(table.clone());
        app.licenses.create_subscription_with_id("s", "S", Recycling::Automatic).await.unwrap();
        let made = app.tenants.create_configuration("s", "okta", LicenseType::None).await.unwrap();
        let tenant = Tenant { configuration: made.configuration.clone(), url: String::new() };
        let user = |name: &str| json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": name});
        let ann = app.directory.create_user(&tenant, &user("ann")).await.unwrap().id;
        let bob = app.directory.create_user(&tenant, &user("bob")).await.unwrap().id;
        let body = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "G",
                          "members": [{"value": ann}]});
        let group = app.directory.create_group(&tenant, &body).await.unwrap().id;
        let vault = app.vaults.create_vault("s", "V").await.unwrap();
        let source = Source { tenant: tenant.id().to_owned(), group: group.clone(), members: 1 };
        let link = app.vaults.create_link("s", &source, &vault.id, Target::New("T".into()), "test").await.unwrap();
        work(&app).await;
        assert_eq!(members(&app, &vault.id, &link.target_group).await, vec![ann.clone()]);

        // Bob joins, and the request records it for the link, then dies: no job starts.
        let entry = Item::new(Key::new(keys::follow("s", &group), "01a00000-0000-7000-8000-000000000000"))
            .with("tenant", tenant.id())
            .with("created", "2000-01-01T00:00:00.000Z")
            .with("users", AttrValue::Ss(BTreeSet::from([bob.clone()])))
            .with("links", AttrValue::Ss(BTreeSet::from([link.id.clone()])))
            .with(GSI1_PK, keys::PENDING_FOLLOWS)
            .with(GSI1_SK, "01a00000-0000-7000-8000-000000000000");
        let member = Item::new(keys::member(tenant.id(), &group, &bob)).with("user_id", bob.as_str());
        let puts = [entry, member].map(|item| Action::Put { item, condition: None });
        table.transact(puts.to_vec()).await.unwrap();
        work(&app).await;
        assert_eq!(members(&app, &vault.id, &link.target_group).await, vec![ann.clone()], "nothing carries it yet");

        // A sweep that counts it stalled starts the link's work; the entry is then gone.
        assert_eq!(app.vaults.restart_follows("2000-01-02T00:00:00.000Z").await.unwrap(), 1);
        work(&app).await;
        assert_eq!(members(&app, &vault.id, &link.target_group).await, vec![ann.clone(), bob.clone()]);
        assert_eq!(app.vaults.restart_follows("2100-01-01T00:00:00.000Z").await.unwrap(), 0, "consumed");
    }
}
