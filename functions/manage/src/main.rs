//! Lambda entry point of the manage function: build the app once (with the admin token
//! verifier of `MANAGE_*`), then serve requests.

use std::sync::Arc;

use lambda_http::{run, service_fn, Error, Request};

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::edge::init_logging();
    let app = Arc::new(shared::app::App::from_env().await?);
    run(service_fn(move |req: Request| {
        let app = app.clone();
        async move { Ok::<_, Error>(manage::handle(&app, req).await) }
    }))
    .await
}
