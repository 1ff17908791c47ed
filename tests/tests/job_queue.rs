//! Background jobs on AWS: the admin API announces a job on the SQS jobs queue (moto's), and
//! the worker function's handler (`worker::handle`, as Lambda calls it) does it from the
//! message, on the table of the engine `SCIM_TEST_STORE` names. No in-process worker runs
//! here: the queue is the only way the job gets done, as on Lambda.
//!
//! The test plays Lambda's SQS poller: it receives messages, hands them to the handler as the
//! event Lambda would send, and deletes those the handler did not report as failed. A worker
//! that crashes is a message received and never deleted: SQS delivers it again after the
//! queue's visibility timeout (1 s here).

use std::time::{Duration, Instant};

use aws_sdk_sqs::types::QueueAttributeName;
use lambda_http::Body;
use serde_json::{json, Value};
use shared::admin_tokens::Role;
use shared::app::App;
use shared::job_queue::{JobMessage, JobQueue};
use shared::jobs::JobState;
use shared::licenses::LicenseType;
use shared::public_url::PublicUrl;
use shared::testing::TempDir;
use worker::{WorkerEvent, TIME_LEFT_FOR_THE_LAST_PAGE};

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

/// An app with a jobs queue on moto, its queue client and URL, and a token minter.
struct Aws {
    app: App,
    sqs: aws_sdk_sqs::Client,
    queue: String,
    issuer: shared::admin_tokens::DevIssuer,
    _keys: TempDir,
}

impl Aws {
    async fn new(members_per_page: usize) -> Aws {
        let endpoint = std::env::var("SCIM_TEST_DYNAMODB_ENDPOINT").unwrap_or_default();
        assert!(
            !endpoint.trim().is_empty(),
            "the jobs queue tests need SCIM_TEST_DYNAMODB_ENDPOINT, the URL of a moto server \
             (`eval \"$(scripts/moto start)\"`, or run scripts/test, which does it)"
        );
        let config = shared::testing::moto_config(endpoint.trim()).await;
        let sqs = aws_sdk_sqs::Client::new(&config);
        let name = format!("scim-jobs-{}", uuid::Uuid::new_v4().simple());
        let created = sqs
            .create_queue()
            .queue_name(&name)
            .attributes(QueueAttributeName::VisibilityTimeout, "1")
            .send()
            .await
            .expect("create a queue on moto");
        let queue = created.queue_url().expect("a queue URL").to_owned();
        let keys = TempDir::new();
        let (issuer, tokens) = local::dev_admin_tokens(keys.path()).expect("a development issuer");
        let mut app = tests::test_app().await;
        app.directory.set_members_per_page(members_per_page);
        let app = app
            .with_job_queue(JobQueue::new(sqs.clone(), &queue))
            .with_admin_tokens(tokens)
            .with_public_url(PublicUrl::parse("http://127.0.0.1:1").expect("a URL"));
        Aws { app, sqs, queue, issuer, _keys: keys }
    }

    /// Sends a request through the route table, as API Gateway would; the status and JSON body.
    async fn call(&self, method: &str, path: &str, authorization: &str, body: Option<Value>) -> (u16, Value) {
        let body = body.map_or(Body::Empty, |b| Body::Text(b.to_string()));
        let request = http::Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", authorization)
            .header("content-type", "application/json")
            .body(body)
            .expect("a request");
        let response = local::dispatch(&self.app, request).await;
        let status = response.status().as_u16();
        let json = match response.body() {
            Body::Text(t) => serde_json::from_str(t).unwrap_or(Value::Null),
            Body::Binary(b) => serde_json::from_slice(b).unwrap_or(Value::Null),
            _ => Value::Null,
        };
        (status, json)
    }

    fn operator(&self) -> String {
        let token = self.issuer.mint(Role::Operator, None, Duration::from_secs(600)).expect("a token");
        format!("Bearer {token}")
    }

    /// What Lambda's poller does once: receives up to 10 messages, hands them to the handler
    /// as one event, deletes the ones it did not report failed. The bodies it handed over.
    async fn deliver(&self, deadline: Instant) -> Vec<String> {
        let messages = self.receive().await;
        if messages.is_empty() {
            return Vec::new();
        }
        let records: Vec<Value> = messages
            .iter()
            .map(|m| {
                json!({
                    "messageId": m.message_id(), "receiptHandle": m.receipt_handle(), "body": m.body(),
                    "attributes": {}, "messageAttributes": {}, "eventSource": "aws:sqs",
                    "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:scim-jobs", "awsRegion": "us-east-1"
                })
            })
            .collect();
        let event: WorkerEvent = serde_json::from_value(json!({"Records": records})).expect("an SQS event");
        assert!(matches!(event, WorkerEvent::Queue(_)));
        let response = worker::handle(&self.app, event, deadline).await;
        let failed: Vec<&str> = response.batch_item_failures.iter().map(|f| f.item_identifier.as_str()).collect();
        for m in &messages {
            if !failed.contains(&m.message_id().unwrap_or_default()) {
                let handle = m.receipt_handle().expect("a receipt handle");
                self.sqs.delete_message().queue_url(&self.queue).receipt_handle(handle).send().await.expect("delete");
            }
        }
        messages.iter().map(|m| m.body().unwrap_or_default().to_owned()).collect()
    }

    /// The messages visible now (waiting up to 1 s for one).
    async fn receive(&self) -> Vec<aws_sdk_sqs::types::Message> {
        let received = self
            .sqs
            .receive_message()
            .queue_url(&self.queue)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .expect("receive from moto");
        received.messages.unwrap_or_default()
    }
}

/// A deadline that leaves the handler time for every page.
fn plenty_of_time() -> Instant {
    Instant::now() + TIME_LEFT_FOR_THE_LAST_PAGE + Duration::from_secs(120)
}

/// A subscription with `seats` named seats, a configuration (default license: none) and a
/// group of `members` new users; (subscription, tenant, Basic authorization, group id).
async fn provisioned_group(aws: &Aws, seats: usize, members: usize) -> (String, String, String, String) {
    let operator = aws.operator();
    let (status, sub) = aws.call("POST", "/manage/v1/subscriptions", &operator, Some(json!({"name": "Queue"}))).await;
    assert_eq!(status, 201, "{sub}");
    let sub = sub["id"].as_str().expect("an id").to_owned();
    let pool = format!("/manage/v1/subscriptions/{sub}/pools/named");
    assert_eq!(aws.call("PUT", &pool, &operator, Some(json!({"purchased": seats}))).await.0, 200);
    let body = json!({"name": "Okta", "default_license": "none"});
    let (status, okta) =
        aws.call("POST", &format!("/manage/v1/subscriptions/{sub}/configurations"), &operator, Some(body)).await;
    assert_eq!(status, 201, "{okta}");
    let tenant = okta["id"].as_str().expect("an id").to_owned();
    let credentials = format!("{}:{}", okta["client_id"].as_str().unwrap(), okta["client_secret"].as_str().unwrap());
    let basic = format!("Basic {}", base64::Engine::encode(&base64::engine::general_purpose::STANDARD, credentials));
    let base = format!("/scim/v2/{tenant}");
    let mut ids = Vec::new();
    for i in 0..members {
        let user = json!({"schemas": [USER], "userName": format!("member{i}@example.com"), "active": true});
        let (status, created) = aws.call("POST", &format!("{base}/Users"), &basic, Some(user)).await;
        assert_eq!(status, 201, "{created}");
        ids.push(json!({"value": created["id"]}));
    }
    let group = json!({"schemas": [GROUP], "displayName": "Everyone", "members": ids});
    let (status, group) = aws.call("POST", &format!("{base}/Groups"), &basic, Some(group)).await;
    assert_eq!(status, 201, "{group}");
    (sub, tenant, basic, group["id"].as_str().expect("an id").to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_runs_from_the_queue_across_invocations_and_a_crash_moto() {
    let aws = Aws::new(10).await;
    let (sub, _, _, group) = provisioned_group(&aws, 30, 30).await;

    // 30 members in pages of 10: the admin API hands the change to a job and announces it.
    let license = format!("/manage/v1/subscriptions/{sub}/groups/{group}/license");
    let (status, started) = aws.call("PUT", &license, &aws.operator(), Some(json!({"license": "named"}))).await;
    assert_eq!(status, 202, "{started}");
    let job = started["job"].as_str().expect("a job id").to_owned();
    let announced = JobMessage { subscription: sub.clone(), job: job.clone() };

    // An invocation with no time for a page: it hands the job on in a new message.
    let no_time = Instant::now() + TIME_LEFT_FOR_THE_LAST_PAGE;
    let bodies = aws.deliver(no_time).await;
    assert_eq!(bodies.len(), 1, "the start announced the job once: {bodies:?}");
    assert_eq!(JobMessage::parse(&bodies[0]).unwrap(), announced);
    assert_eq!(aws.app.jobs.get(&sub, &job).await.unwrap().unwrap().done, 0);

    // A worker takes the new message, does one page and dies before the message is deleted.
    let handed_on = aws.receive().await;
    assert_eq!(handed_on.len(), 1, "the unfinished job is announced again");
    assert_eq!(JobMessage::parse(handed_on[0].body().unwrap()).unwrap(), announced);
    let running = aws.app.jobs.get(&sub, &job).await.unwrap().unwrap();
    shared::worker::step(&aws.app, &running).await.expect("a page");
    assert_eq!(aws.app.jobs.get(&sub, &job).await.unwrap().unwrap().done, 10);

    // SQS delivers the message again after the visibility timeout; the next worker finishes.
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let bodies = aws.deliver(plenty_of_time()).await;
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    let done = aws.app.jobs.get(&sub, &job).await.unwrap().unwrap();
    assert_eq!((done.state, done.done), (JobState::Done, 30));

    // Every member holds its group's license, the check is clean, and nothing is left queued.
    let holders = aws.app.licenses.holders(&sub).await.unwrap();
    assert_eq!(holders.len(), 30);
    assert!(holders.iter().all(|h| h.license == LicenseType::Named), "{holders:?}");
    let check = aws.app.licenses.check(&sub).await.unwrap();
    assert!(check.ok, "{:?}", check.problems);
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    assert!(aws.receive().await.is_empty(), "a done job leaves no message behind");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sweep_announces_a_job_whose_message_was_lost_moto() {
    let aws = Aws::new(10).await;
    let (sub, tenant, _, _) = provisioned_group(&aws, 30, 12).await;

    // A configuration's new default is a job; its message is lost.
    let configuration = format!("/manage/v1/subscriptions/{sub}/configurations/{tenant}");
    let (status, body) =
        aws.call("PATCH", &configuration, &aws.operator(), Some(json!({"default_license": "named"}))).await;
    assert_eq!(status, 200, "{body}");
    let lost = aws.receive().await;
    assert_eq!(lost.len(), 1, "the change started a job");
    let job = JobMessage::parse(lost[0].body().unwrap()).unwrap().job;
    aws.sqs.purge_queue().queue_url(&aws.queue).send().await.expect("purge");

    // The scheduled sweep leaves a job that moved recently alone…
    let schedule: WorkerEvent =
        serde_json::from_str(include_str!("../../functions/worker/events/schedule.json")).expect("a schedule event");
    assert!(matches!(schedule, WorkerEvent::Schedule(_)));
    let response = worker::handle(&aws.app, schedule, plenty_of_time()).await;
    assert!(response.batch_item_failures.is_empty());
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    assert!(aws.receive().await.is_empty(), "a job that just started is not stalled");

    // …and announces one that has not moved for the stall time (zero here), once.
    let swept = shared::worker::sweep(&aws.app, Duration::ZERO).await.expect("a sweep");
    assert_eq!(swept.announced, vec![job.clone()]);
    let bodies = aws.deliver(plenty_of_time()).await;
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    let done = aws.app.jobs.get(&sub, &job).await.unwrap().unwrap();
    assert_eq!((done.state, done.done), (JobState::Done, 12));
    let holders = aws.app.licenses.holders(&sub).await.unwrap();
    assert!(holders.iter().all(|h| h.license == LicenseType::Named), "{holders:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_that_names_no_job_is_dropped_not_retried_moto() {
    let aws = Aws::new(10).await;
    for body in ["hello", r#"{"subscription":"s"}"#, r#"{"subscription":"s","job":"j"}"#] {
        aws.sqs.send_message().queue_url(&aws.queue).message_body(body).send().await.expect("send");
    }
    let mut handed = Vec::new();
    for _ in 0..3 {
        handed.extend(aws.deliver(plenty_of_time()).await);
    }
    assert_eq!(handed.len(), 3, "{handed:?}");
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    assert!(aws.receive().await.is_empty(), "none of them comes back");

    // The example event of `sam local invoke` parses as a queue event and names a job.
    let example: WorkerEvent =
        serde_json::from_str(include_str!("../../functions/worker/events/sqs-job.json")).expect("an SQS event");
    let WorkerEvent::Queue(event) = example else { panic!("the example is a queue event") };
    assert!(JobMessage::parse(event.records[0].body.as_deref().unwrap()).is_ok());
}
