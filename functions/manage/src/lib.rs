//! The manage function: the admin API under `/manage/v1` (its routes and who may call them are
//! the table in `shared::edge::manage`).

use lambda_http::{Body, Request, Response};
use shared::app::App;

/// Serves one API Gateway request.
pub async fn handle(app: &App, req: Request) -> Response<Body> {
    shared::edge::manage::serve(app, req).await
}
