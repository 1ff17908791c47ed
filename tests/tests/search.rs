//! `POST /Users/.search`, `POST /Groups/.search` and `POST /.search` (RFC 7644 §3.4.3): a
//! SearchRequest body lists as the query string would, through `local-api` over HTTP and
//! through the handler of the function API Gateway routes each path to.

mod common;

use common::*;
use serde_json::{json, Value};
use shared::edge::routes::{self, Function};

const SEARCH_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

fn search(filter: &str) -> Value {
    json!({"schemas": [SEARCH_REQUEST], "filter": filter, "attributes": ["userName", "displayName"], "count": 10})
}

#[tokio::test]
async fn searches_on_users_and_groups_answer_like_their_lists() {
    let (_svc, scim) = setup().await;
    let ada = scim.create_user("ada@example.com").await;
    scim.create_user("grace@example.com").await;
    let group = scim.create_group("Engineering").await;
    scim.create_group("Sales").await;

    let r = scim.post("/Users/.search", &search(r#"userName eq "ADA@example.com""#)).await.expect(200);
    r.assert_scim_json();
    let body = r.json();
    assert_list_response(&body);
    assert_eq!(body["totalResults"], 1, "{body}");
    assert_eq!(body["Resources"][0]["id"], ada["id"], "{body}");
    assert_eq!(body["Resources"][0]["userName"], "ada@example.com", "{body}");
    assert!(body["Resources"][0].get("emails").is_none(), "only the attributes asked for: {body}");

    let body = scim.post("/Groups/.search", &search(r#"displayName eq "Engineering""#)).await.expect(200).json();
    assert_list_response(&body);
    assert_eq!(body["totalResults"], 1, "{body}");
    assert_eq!(body["Resources"][0]["id"], group["id"], "{body}");

    // Both resource types from the tenant root: users first, then groups.
    let all = json!({"schemas": [SEARCH_REQUEST], "attributes": ["id"]});
    let body = scim.post("/.search", &all).await.expect(200).json();
    assert_list_response(&body);
    assert_eq!(body["totalResults"], 4, "{body}");

    // Only POST searches; a body that is no SearchRequest is refused.
    scim.get("/Users/.search").await.expect_scim_error(405);
    scim.get("/Groups/.search").await.expect_scim_error(405);
    scim.post("/Users/.search", &json!({"filter": "userName pr"})).await.expect_scim_type(400, "invalidSyntax");
}

#[tokio::test]
async fn each_search_is_served_by_the_function_api_gateway_routes_it_to() {
    let svc = TestService::start().await;
    let tenant = svc.create_tenant("entra", "named").await;
    Scim::bearer(&tenant).create_user("ada@example.com").await;
    let tenant_path = tenant.tenant_url.trim_start_matches(&svc.base_url).to_owned();
    for (tail, function) in
        [("/Users/.search", Function::Users), ("/Groups/.search", Function::Groups), ("/.search", Function::Discovery)]
    {
        let path = format!("{tenant_path}{tail}");
        assert_eq!(routes::function_for("POST", &path), Some(function), "{path}");
        let req = http::Request::builder()
            .method("POST")
            .uri(&path)
            .header("host", "scim.example.com")
            .header("authorization", format!("Bearer {}", tenant.client_secret))
            .header("content-type", "application/scim+json")
            .body(lambda_http::Body::Text(search("id pr").to_string()))
            .expect("a request");
        let response = local::handle(svc.app(), function, req).await;
        assert_eq!(response.status(), 200, "{path} through the {} handler", function.name());
        let body: Value = match response.body() {
            lambda_http::Body::Text(text) => serde_json::from_str(text).expect("JSON"),
            other => panic!("{path}: a text body, not {other:?}"),
        };
        assert_list_response(&body);
        let users_found = if function == Function::Groups { 0 } else { 1 };
        assert_eq!(body["totalResults"], users_found, "{path}: {body}");
    }
}
