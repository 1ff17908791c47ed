//! Background jobs: work too large for one request — a group's license type carried to
//! 50,000 members — kept as an item with a cursor and progress, and done a page at a time by
//! a worker ([`crate::worker`]). Each page's work is idempotent and the cursor moves only after
//! it, so a worker that stops (a crash, a timeout) leaves the job where the next one resumes it.
//! A running job is also on the index partition of running jobs, which is how workers find it.
//! A job that starts is announced to the workers: in this process (`local-api` runs its worker
//! beside the server) and, on AWS, on the jobs queue ([`crate::job_queue`]).

use std::sync::Arc;

use serde::Serialize;

use crate::clock::now;
use crate::job_queue::{JobMessage, JobQueue};
use crate::keys;
use crate::store::{Action, Condition, Cursor, Index, Item, Key, Query, StoreError, Table, Update, GSI1_PK, GSI1_SK};
use crate::transaction::{Failure, Transaction};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JobState {
    Running,
    Done,
}

/// What a job does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobKind {
    /// Carries the license type of this group (of the job's tenant) to its members.
    GroupLicense { group: String },
    /// Carries the job's configuration to the users it provisions: its default license, or,
    /// once it is deleted, that nothing provisions them any more.
    ConfigurationUsers,
    /// Makes a link's target group's members its source group's, then marks the link active.
    LinkReplace { link: String },
    /// Carries to a link's target the membership changes its source recorded for it.
    LinkFollow { link: String },
}

/// A job of one tenant (configuration) of a subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: String,
    pub subscription: String,
    pub tenant: String,
    pub kind: JobKind,
    /// Who asked (for the audit trail).
    pub actor: String,
    pub state: JobState,
    pub done: i64,
    pub total: i64,
    /// Where the next page starts (encoded), None before the first page and at the end.
    pub cursor: Option<String>,
    /// When the job last moved (RFC 3339): the sweep announces a running job again when
    /// this is old ([`crate::worker::sweep`]).
    pub updated: String,
}

impl Job {
    /// A new running job of `kind` over about `total` users, not stored yet: [`Jobs::start`]
    /// stores and announces one; a service that must make a job in the same transaction as
    /// its own change pushes [`Job::create`] into it and announces the job after the commit.
    pub fn new(subscription: &str, tenant: &str, kind: JobKind, actor: &str, total: i64) -> Job {
        Job {
            id: uuid::Uuid::now_v7().to_string(),
            subscription: subscription.to_owned(),
            tenant: tenant.to_owned(),
            kind,
            actor: actor.to_owned(),
            state: JobState::Running,
            done: 0,
            total,
            cursor: None,
            updated: now(),
        }
    }

    /// The write that records this job (its id is new: the condition is that none has it).
    pub fn create(&self) -> Action {
        Action::Put { item: self.to_item(), condition: Some(Condition::NotExists) }
    }

    fn key(&self) -> Key {
        Key::new(keys::jobs(&self.subscription), self.id.as_str())
    }

    fn to_item(&self) -> Item {
        let mut item = Item::new(self.key())
            .with("tenant", self.tenant.as_str())
            .with("actor", self.actor.as_str())
            .with("state", if self.state == JobState::Running { "running" } else { "done" })
            .with("done", self.done)
            .with("total", self.total)
            .with("updated", self.updated.as_str());
        item = match &self.kind {
            JobKind::GroupLicense { group } => item.with("kind", "group-license").with("group", group.as_str()),
            JobKind::ConfigurationUsers => item.with("kind", "configuration-users"),
            JobKind::LinkReplace { link } => item.with("kind", "link-replace").with("link", link.as_str()),
            JobKind::LinkFollow { link } => item.with("kind", "link-follow").with("link", link.as_str()),
        };
        if self.state == JobState::Running {
            item = item.with(GSI1_PK, keys::RUNNING_JOBS).with(GSI1_SK, self.id.as_str());
        }
        if let Some(cursor) = &self.cursor {
            item = item.with("cursor", cursor.as_str());
        }
        item
    }

    fn from_item(item: &Item) -> Option<Job> {
        Some(Job {
            id: item.key.sk.clone(),
            subscription: keys::jobs_subscription(&item.key.pk)?.to_owned(),
            tenant: item.str("tenant")?.to_owned(),
            kind: match item.str("kind")? {
                "group-license" => JobKind::GroupLicense { group: item.str("group")?.to_owned() },
                "link-replace" => JobKind::LinkReplace { link: item.str("link")?.to_owned() },
                "link-follow" => JobKind::LinkFollow { link: item.str("link")?.to_owned() },
                _ => JobKind::ConfigurationUsers,
            },
            actor: item.str("actor")?.to_owned(),
            state: if item.str("state")? == "running" { JobState::Running } else { JobState::Done },
            done: item.i64("done")?,
            total: item.i64("total")?,
            cursor: item.str("cursor").map(str::to_owned),
            updated: item.str("updated")?.to_owned(),
        })
    }

    /// Where the next page starts.
    pub fn after(&self) -> Option<Cursor> {
        self.cursor.as_deref().and_then(Cursor::decode)
    }
}

/// The jobs service. One per process.
pub struct Jobs {
    table: Arc<dyn Table>,
    /// Wakes this process's worker when a job starts here.
    started: tokio::sync::Notify,
    /// Where jobs are announced to the worker function (AWS), if anywhere beyond this process.
    queue: std::sync::OnceLock<JobQueue>,
}

impl Jobs {
    pub fn new(table: Arc<dyn Table>) -> Jobs {
        Jobs { table, started: tokio::sync::Notify::new(), queue: std::sync::OnceLock::new() }
    }

    /// Announces jobs on `queue` too from now on (set once, when the app is built; the
    /// directory shares these jobs to start the links' work).
    pub fn set_queue(&self, queue: JobQueue) {
        if self.queue.set(queue).is_err() {
            tracing::warn!("the jobs queue was set already; the first one stays");
        }
    }

    /// Records a new running job of `kind` over about `total` users.
    pub async fn start(
        &self,
        subscription: &str,
        tenant: &str,
        kind: JobKind,
        actor: &str,
        total: i64,
    ) -> Result<Job, StoreError> {
        let job = Job::new(subscription, tenant, kind, actor, total);
        self.table.transact(vec![job.create()]).await?;
        self.announce_recorded(&job).await;
        Ok(job)
    }

    /// Announces a job just recorded. A failed announcement delays it (until the sweep
    /// finds it) but loses nothing, so it is logged, not returned.
    pub async fn announce_recorded(&self, job: &Job) {
        if let Err(e) = self.announce(job).await {
            tracing::warn!(
                job = job.id,
                error = e,
                "the job is recorded but not announced; the next sweep announces it"
            );
        }
    }

    /// Tells the workers that `job` has work left: this process's worker, and the queue's.
    pub async fn announce(&self, job: &Job) -> Result<(), String> {
        self.started.notify_one();
        match self.queue.get() {
            Some(queue) => {
                queue.announce(&JobMessage { subscription: job.subscription.clone(), job: job.id.clone() }).await
            }
            None => Ok(()),
        }
    }

    /// Returns once a job was started in this process since the last call.
    pub async fn started(&self) {
        self.started.notified().await
    }

    /// The job `id` of a subscription, if there is one.
    pub async fn get(&self, subscription: &str, id: &str) -> Result<Option<Job>, StoreError> {
        let item = self.table.get(&Key::new(keys::jobs(subscription), id)).await?;
        Ok(item.as_ref().and_then(Job::from_item))
    }

    /// Jobs still running, in every subscription (the index is eventually consistent: a job
    /// just started may show a moment later).
    pub async fn running(&self) -> Result<Vec<Job>, StoreError> {
        let mut query = Query::new(Index::Gsi1, keys::RUNNING_JOBS);
        query.limit = 100;
        let page = self.table.query(&query).await?;
        // Read each again: the index may be behind the item.
        let keys: Vec<Key> = page.items.iter().map(|i| i.key.clone()).collect();
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let items = self.table.batch_get(&keys).await?;
        Ok(items.iter().filter_map(Job::from_item).filter(|j| j.state == JobState::Running).collect())
    }

    /// Records that a page of `members` was done and the next starts at `next` (None: the
    /// job is done), provided no other worker moved the job meanwhile (else `Ok(false)`).
    pub async fn advance(&self, job: &Job, members: usize, next: Option<Cursor>) -> Result<bool, StoreError> {
        let mut updates = vec![Update::Add("done".into(), members as i64), Update::Set("updated".into(), now().into())];
        match &next {
            Some(cursor) => updates.push(Update::Set("cursor".into(), cursor.encode().into())),
            None => updates.extend([
                Update::Remove("cursor".into()),
                Update::Set("state".into(), "done".into()),
                Update::Remove(GSI1_PK.into()),
                Update::Remove(GSI1_SK.into()),
            ]),
        }
        let condition = match &job.cursor {
            Some(cursor) => Condition::AttrEq("cursor".into(), cursor.as_str().into()),
            None => Condition::AttrEq("done".into(), job.done.into()),
        };
        let mut write = Transaction::new();
        write.push((), Action::Update { key: job.key(), updates, condition: Some(condition) });
        match write.commit(&*self.table).await {
            Ok(()) => Ok(true),
            Err(Failure::Condition(())) => Ok(false),
            Err(Failure::Store(e)) => Err(e),
        }
    }
}
