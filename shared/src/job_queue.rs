//! The SQS queue that hands background jobs ([`crate::jobs`]) to the worker function on AWS.
//!
//! A message only names a job (`{"subscription","job"}`): the job's item holds its kind, cursor
//! and progress, so a message delivered twice, late, or after the job ended costs one read
//! and changes nothing. The worker sends a job's message again when its invocation runs out
//! of time before the job ends; a message lost on the way (a send that failed, a worker that
//! crashed more often than the queue redelivers) is made good by the scheduled sweep, which
//! announces every running job that has not moved for a while ([`crate::worker::sweep`]).
//! Locally no queue exists: `local-api` runs the worker in its own process.

use aws_sdk_sqs::error::DisplayErrorContext;
use serde::{Deserialize, Serialize};

/// What a message on the queue says: which job to work on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobMessage {
    pub subscription: String,
    pub job: String,
}

impl JobMessage {
    /// The message in an SQS body, or why it is not one.
    pub fn parse(body: &str) -> Result<JobMessage, String> {
        serde_json::from_str(body)
            .map_err(|e| format!("not a job message ({e}): expected {{\"subscription\",\"job\"}}"))
    }
}

/// The queue `SCIM_JOBS_QUEUE_URL` names.
pub struct JobQueue {
    client: aws_sdk_sqs::Client,
    url: String,
}

impl JobQueue {
    pub fn new(client: aws_sdk_sqs::Client, url: impl Into<String>) -> JobQueue {
        JobQueue { client, url: url.into() }
    }

    /// Puts a message naming the job on the queue.
    pub async fn announce(&self, message: &JobMessage) -> Result<(), String> {
        let body = serde_json::to_string(message).map_err(|e| e.to_string())?;
        self.client
            .send_message()
            .queue_url(&self.url)
            .message_body(body)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| format!("SQS SendMessage to the jobs queue failed: {}", DisplayErrorContext(&e)))
    }
}
