//! The worker function: does the background jobs ([`shared::jobs`]) that the jobs queue
//! names, and on a schedule sweeps for the ones whose message was lost
//! ([`shared::worker::sweep`]).
//!
//! One SQS message names one job. The function works on it until the job ends or the
//! invocation's time runs short ([`TIME_LEFT_FOR_THE_LAST_PAGE`] before its deadline); then it
//! puts a new message for the rest on the queue and reports this one done. A job page that
//! fails leaves its message to SQS, which delivers it again after the visibility timeout
//! (and, after the queue's `maxReceiveCount`, moves it to the dead-letter queue; the sweep
//! still announces the job while it runs, and the log says why each attempt failed).

use std::time::{Duration, Instant, SystemTime};

use aws_lambda_events::event::cloudwatch_events::CloudWatchEvent;
use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use serde::Deserialize;
use shared::app::App;
use shared::job_queue::JobMessage;
use shared::worker::{self, Worked};

/// How long before the invocation's deadline no new page starts: a page of 1,000 members is a
/// few hundred DynamoDB calls, a few seconds.
pub const TIME_LEFT_FOR_THE_LAST_PAGE: Duration = Duration::from_secs(30);

/// A running job that has not moved for this long is announced again by the sweep: longer
/// than the queue's visibility timeout, so a message SQS still holds is not doubled.
pub const STALLED_AFTER: Duration = Duration::from_secs(15 * 60);

/// What invokes the function: the jobs queue, or the schedule of the sweep.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum WorkerEvent {
    Queue(SqsEvent),
    Schedule(Box<CloudWatchEvent>),
}

/// The instant of an invocation's deadline (Lambda gives wall-clock time).
pub fn deadline_of(deadline: SystemTime) -> Instant {
    let left = deadline.duration_since(SystemTime::now()).unwrap_or_default();
    Instant::now() + left
}

/// Handles one invocation that must end by `deadline`. For the queue, the messages to deliver
/// again (SQS's partial batch response); for the schedule, none.
pub async fn handle(app: &App, event: WorkerEvent, deadline: Instant) -> SqsBatchResponse {
    let until = deadline.checked_sub(TIME_LEFT_FOR_THE_LAST_PAGE).unwrap_or_else(Instant::now);
    let mut response = SqsBatchResponse::default();
    match event {
        WorkerEvent::Queue(event) => {
            for record in event.records {
                let id = record.message_id.unwrap_or_default();
                if let Err(e) = work(app, record.body.as_deref().unwrap_or_default(), until).await {
                    tracing::warn!(message_id = id, error = e, "a job message failed; SQS delivers it again");
                    let mut failure = BatchItemFailure::default();
                    failure.item_identifier = id;
                    response.batch_item_failures.push(failure);
                }
            }
        }
        WorkerEvent::Schedule(_) => match worker::sweep(app, STALLED_AFTER).await {
            Ok(swept) => tracing::info!(announced = ?swept.announced, moving = swept.moving, "sweep"),
            Err(e) => tracing::warn!(error = e, "the sweep failed; the next one tries again"),
        },
    }
    response
}

/// Works on the job `body` names until it ends or `until`; announces the rest.
async fn work(app: &App, body: &str, until: Instant) -> Result<(), String> {
    let message = match JobMessage::parse(body) {
        Ok(message) => message,
        Err(e) => {
            // Delivering it again cannot make it a job message: drop it, loudly.
            tracing::error!(error = e, "dropped a message that names no job");
            return Ok(());
        }
    };
    match worker::work_on(app, &message.subscription, &message.job, until).await? {
        Worked::Done => tracing::info!(job = message.job, "job done"),
        Worked::Missing => tracing::warn!(job = message.job, "a message named a job that does not exist"),
        Worked::Unfinished(job) => {
            app.jobs.announce(&job).await?;
            tracing::info!(job = job.id, done = job.done, total = job.total, "job continues in a new message");
        }
    }
    Ok(())
}
