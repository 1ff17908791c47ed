//! `local-api` dispatches every request to the function API Gateway would: the routes
//! `template.yaml` declares are the route table's (`shared::edge::routes`), and every SCIM and
//! admin API path with every method reaches the same function through `local-api`'s dispatch as
//! through the template's routes.

use std::collections::BTreeSet;

use serde_yaml::Value;
use shared::edge::routes::{self, Function, Route, ROUTES};

/// The template's HttpApi routes: (method, path, function logical id).
fn template_routes() -> BTreeSet<(String, String, String)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let template: Value = serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    let resources = template["Resources"].as_mapping().expect("Resources");
    let mut found = BTreeSet::new();
    for (id, resource) in resources {
        if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let events = resource["Properties"]["Events"].as_mapping().into_iter().flatten();
        for (_, event) in events.filter(|(_, e)| e["Type"].as_str() == Some("HttpApi")) {
            let properties = &event["Properties"];
            let method = properties["Method"].as_str().expect("an HttpApi event's Method").to_ascii_uppercase();
            let path = properties["Path"].as_str().expect("an HttpApi event's Path").to_owned();
            found.insert((method, path, id.as_str().expect("a logical id").to_owned()));
        }
    }
    found
}

#[test]
fn the_template_declares_exactly_the_route_table() {
    let table: BTreeSet<(String, String, String)> =
        ROUTES.iter().map(|r| (r.method.to_owned(), r.path.to_owned(), r.function.logical_id().to_owned())).collect();
    assert_eq!(template_routes(), table, "template.yaml's HttpApi events and shared::edge::routes::ROUTES");
}

#[test]
fn every_scim_path_and_method_reaches_the_same_function_as_on_api_gateway() {
    let logical = |id: &str| Function::ALL.into_iter().find(|f| f.logical_id() == id).expect("a known function");
    let owned: Vec<(String, String, Function)> =
        template_routes().into_iter().map(|(method, path, id)| (method, path, logical(&id))).collect();
    // A `Route` holds `&'static str`s, as the table is a constant: the template's few routes
    // live for the rest of the test.
    let template: Vec<Route> = owned
        .iter()
        .map(|(method, path, function)| Route {
            method: method.clone().leak(),
            path: path.clone().leak(),
            function: *function,
        })
        .collect();
    let t = "/scim/v2/0123456789abcdef0123456789abcdef";
    let id = "018f2d6e-8b1c-7a00-9c1e-2f3a4b5c6d7e";
    let paths = [
        t.to_owned(),
        format!("{t}/"),
        format!("{t}/Users"),
        format!("{t}/Users/"),
        format!("{t}/Users/{id}"),
        format!("{t}/Users/.search"),
        format!("{t}/Users/{id}/x"),
        format!("{t}/Groups"),
        format!("{t}/Groups/{id}"),
        format!("{t}/Groups/.search"),
        format!("{t}/.search"),
        format!("{t}/ServiceProviderConfig"),
        format!("{t}/ResourceTypes"),
        format!("{t}/ResourceTypes/User"),
        format!("{t}/Schemas"),
        format!("{t}/Schemas/urn:ietf:params:scim:schemas:core:2.0:User"),
        format!("{t}/Me"),
        format!("{t}/Bulk"),
        format!("{t}/users"),
        "/scim/v2".to_owned(),
        "/".to_owned(),
        "/elsewhere".to_owned(),
        "/manage/v1".to_owned(),
        "/manage/v1/".to_owned(),
        "/manage/v1/openapi.json".to_owned(),
        "/manage/v1/subscriptions/local/configurations".to_owned(),
        format!("/manage/v1/subscriptions/local/configurations/{id}/secret"),
        "/manage".to_owned(),
        "/manage/".to_owned(),
        "/manage/assets/app.js".to_owned(),
        "/manage/users/42".to_owned(),
        "/managed".to_owned(),
    ];
    let expected = [
        ("/Users", Some(Function::Users)),
        ("/Users/.search", Some(Function::Users)),
        ("/Groups/.search", Some(Function::Groups)),
        ("/.search", Some(Function::Discovery)),
        ("/manage/v1", Some(Function::Manage)),
        ("/openapi.json", Some(Function::Manage)),
        ("/configurations", Some(Function::Manage)),
        ("/secret", Some(Function::Manage)),
        ("/manage", Some(Function::Manage)),
        ("/manage/", Some(Function::Manage)),
        ("/app.js", Some(Function::Manage)),
        ("/users/42", Some(Function::Manage)),
        ("/managed", None),
    ];
    for path in &paths {
        for method in ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] {
            let req = http::Request::builder().method(method).uri(path.as_str()).body(()).expect("a request");
            let dispatched = local::function_for(&req);
            let on_api_gateway = routes::route_for(&template, method, path).map(|r| r.function);
            assert_eq!(dispatched, on_api_gateway, "{method} {path}: local-api vs template.yaml");
            if let Some((_, function)) = expected.iter().find(|(tail, _)| path.ends_with(tail)) {
                assert_eq!(dispatched, *function, "{method} {path}");
            }
        }
    }
}
