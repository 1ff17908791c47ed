//! The worker of background jobs ([`crate::jobs`]): finds running jobs and does them a page at
//! a time, recording progress after each page. `local-api` (and the tests' service) run it
//! beside the server, so a job resumes when the process starts again after a crash.

use std::sync::Arc;
use std::time::Duration;

use crate::app::App;
use crate::directory::Tenant;
use crate::jobs::Job;

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
    let Some(configuration) = configuration else {
        // The configuration went: its groups with it; nothing is left to carry.
        app.jobs.advance(job, 0, None).await.map_err(|e| e.to_string())?;
        return Ok(());
    };
    let tenant = Tenant { configuration, url: String::new() };
    let page = app
        .directory
        .license_members(&tenant, &job.group, job.after(), &job.actor)
        .await
        .map_err(|e| e.detail.clone())?;
    app.jobs.advance(job, page.members, page.next).await.map_err(|e| e.to_string())?;
    Ok(())
}
