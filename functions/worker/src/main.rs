//! Lambda entry point of the worker function: build the app once (with the jobs queue of
//! `SCIM_JOBS_QUEUE_URL`), then handle queue messages and scheduled sweeps.

use std::sync::Arc;

use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use worker::WorkerEvent;

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::edge::init_logging();
    let app = Arc::new(shared::app::App::from_env().await?);
    run(service_fn(move |event: LambdaEvent<WorkerEvent>| {
        let app = app.clone();
        async move {
            let deadline = worker::deadline_of(event.context.deadline());
            Ok::<_, Error>(worker::handle(&app, event.payload, deadline).await)
        }
    }))
    .await
}
