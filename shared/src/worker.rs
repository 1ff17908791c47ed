//! The worker of background jobs ([`crate::jobs`]): finds running jobs and does them a page at
//! a time, recording progress after each page. `local-api` (and the tests' service) run it
//! beside the server: it looks for running jobs when it starts (so a job resumes when the
//! process starts again after a crash) and whenever a job starts in this process, and
//! otherwise costs nothing.

use std::sync::Arc;

use crate::app::App;
use crate::directory::Tenant;
use crate::jobs::{Job, JobKind};

/// Runs jobs until the task is dropped. First it serves the waiting queues a predecessor may
/// have left with free seats.
pub async fn run(app: Arc<App>) {
    if let Err(e) = app.licenses.serve_every_queue().await {
        tracing::warn!(error = %e, "cannot serve the waiting queues at start; the next seat change serves them");
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
