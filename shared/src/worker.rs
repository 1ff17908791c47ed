//! The worker of background jobs ([`crate::jobs`]): finds running jobs and does them a page at
//! a time, recording progress after each page. `local-api` (and the tests' service) run it
//! beside the server, so a job resumes when the process starts again after a crash.

use std::sync::Arc;
use std::time::Duration;

use crate::app::App;
use crate::directory::Tenant;
use crate::jobs::{Job, JobKind};

/// How long the worker waits when no job is running.
const IDLE: Duration = Duration::from_millis(200);

/// Runs jobs until the task is dropped.
pub async fn run(app: Arc<App>) {
    loop {
        let busy = match app.jobs.running().await {
            Ok(jobs) => {
                for job in &jobs {
                    if let Err(e) = step(&app, job).await {
                        tracing::warn!(job = job.id, error = e, "a job page failed; it is tried again");
                    }
                }
                !jobs.is_empty()
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the running jobs");
                false
            }
        };
        if !busy {
            tokio::time::sleep(IDLE).await;
        }
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
