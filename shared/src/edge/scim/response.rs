//! SCIM answers: status, JSON body, `ETag`, `Location`, and error bodies.

use http::StatusCode;
use lambda_http::{Body, Response};
use serde_json::{json, Value};

use crate::directory::{ListPage, Resource};
use crate::edge::ApiError;
use crate::scim::resource::Projection;
use crate::scim::schema::ResourceType;
use crate::scim::ScimError;

/// Media type of every SCIM body.
pub const SCIM_JSON: &str = "application/scim+json";

#[derive(Debug)]
pub struct ScimResponse {
    pub status: u16,
    pub body: Option<Value>,
    pub etag: Option<String>,
    pub location: Option<String>,
}

impl ScimResponse {
    /// 200 with a JSON body.
    pub fn json(body: Value) -> ScimResponse {
        ScimResponse { status: 200, body: Some(body), etag: None, location: None }
    }

    /// 200 with a single resource and its `ETag`.
    pub fn resource(resource: Resource) -> ScimResponse {
        ScimResponse { etag: Some(resource.etag()), ..ScimResponse::json(resource.body) }
    }

    /// 201 with the new resource, its `ETag` and `Location`.
    pub fn created(resource: Resource) -> ScimResponse {
        let location = resource.body.pointer("/meta/location").and_then(Value::as_str).map(str::to_owned);
        ScimResponse { status: 201, location, ..ScimResponse::resource(resource) }
    }

    /// 200 with a ListResponse of `page`, each resource projected.
    pub fn list(page: ListPage, projection: &Projection, rt: &ResourceType) -> ScimResponse {
        let resources: Vec<Value> = page.resources.into_iter().map(|r| projection.apply(r.body, rt)).collect();
        ScimResponse::list_response(page.total_results, page.start_index, resources)
    }

    /// 200 with a ListResponse of every resource (discovery endpoints: no paging needed).
    pub fn list_all(resources: Vec<Value>) -> ScimResponse {
        ScimResponse::list_response(resources.len(), 1, resources)
    }

    /// The resources are moved in, not copied: `json!` would serialise them into a new value,
    /// which for a page of 100 users cost as much as writing the response.
    fn list_response(total_results: usize, start_index: usize, resources: Vec<Value>) -> ScimResponse {
        let mut body = serde_json::Map::new();
        body.insert("schemas".into(), json!([crate::scim::LIST_RESPONSE]));
        body.insert("totalResults".into(), total_results.into());
        body.insert("startIndex".into(), start_index.into());
        body.insert("itemsPerPage".into(), resources.len().into());
        body.insert("Resources".into(), Value::Array(resources));
        ScimResponse::json(Value::Object(body))
    }

    pub fn no_content() -> ScimResponse {
        ScimResponse { status: 204, body: None, etag: None, location: None }
    }

    pub fn into_response(self) -> Response<Body> {
        let mut builder = Response::builder().status(self.status);
        if let Some(etag) = &self.etag {
            builder = builder.header(http::header::ETAG, etag);
        }
        if let Some(location) = &self.location {
            builder = builder.header(http::header::LOCATION, location);
        }
        let response = match self.body.map(|body| json_text(&body)) {
            Some(text) => builder.header(http::header::CONTENT_TYPE, SCIM_JSON).body(Body::Text(text)),
            None => builder.body(Body::Empty),
        };
        response.unwrap_or_else(|_| fallback())
    }
}

/// SCIM errors on the edge: a SCIM Error body, `Retry-After` when there is one, and the
/// schemes on a 401.
impl ApiError for ScimError {
    fn status(&self) -> u16 {
        self.status
    }

    fn detail(&self) -> &str {
        &self.detail
    }

    fn to_response(&self) -> Response<Body> {
        error(self)
    }

    fn internal() -> ScimError {
        ScimError::internal()
    }

    fn payload_too_large(limit: usize) -> ScimError {
        ScimError::payload_too_large(limit)
    }
}

fn error(e: &ScimError) -> Response<Body> {
    let mut builder = Response::builder()
        .status(StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header(http::header::CONTENT_TYPE, SCIM_JSON);
    if let Some(seconds) = e.retry_after {
        builder = builder.header(http::header::RETRY_AFTER, seconds.to_string());
    }
    if e.status == 401 {
        builder = builder.header(http::header::WWW_AUTHENTICATE, "Basic realm=\"SCIM\", Bearer realm=\"SCIM\"");
    }
    builder.body(Body::Text(json_text(&e.to_body()))).unwrap_or_else(|_| fallback())
}

/// A body's JSON text. `serde_json::to_string` writes into a byte buffer; `Value`'s `Display`
/// goes through the formatter for every token, which for a page of 100 users took 2.5 times as
/// long. Writing a `Value` cannot fail (its keys are strings).
fn json_text(body: &Value) -> String {
    serde_json::to_string(body).unwrap_or_default()
}

fn fallback() -> Response<Body> {
    let mut response = Response::new(Body::Text(json_text(&ScimError::internal().to_body())));
    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    response
}
