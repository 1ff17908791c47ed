//! The discovery endpoints (RFC 7644 §4): /ServiceProviderConfig, /ResourceTypes, /Schemas,
//! and SCIM 404s for anything else under a tenant.

mod common;

use common::*;
use serde_json::{json, Value};

#[tokio::test]
async fn service_provider_config() {
    let (_svc, scim) = setup().await;
    let r = scim.get("/ServiceProviderConfig").await.expect(200);
    r.assert_scim_json();
    let c = r.json();
    assert!(c["schemas"].as_array().unwrap().contains(&json!(SPC)), "{c}");
    assert_eq!(c["patch"]["supported"], true, "{c}");
    assert_eq!(c["filter"]["supported"], true, "{c}");
    assert!(c["filter"]["maxResults"].as_u64().is_some_and(|n| n > 0), "filter.maxResults: {c}");
    assert_eq!(c["bulk"]["supported"], false, "{c}");
    assert_eq!(c["etag"]["supported"], true, "{c}");
    assert!(c["changePassword"]["supported"].is_boolean(), "{c}");
    assert!(c["sort"]["supported"].is_boolean(), "{c}");
    let schemes = c["authenticationSchemes"].as_array().expect("authenticationSchemes");
    let types: Vec<&str> = schemes.iter().filter_map(|s| s["type"].as_str()).collect();
    assert!(types.contains(&"httpbasic"), "{c}");
    assert!(types.contains(&"oauthbearertoken"), "{c}");
    for s in schemes {
        assert!(s["name"].is_string() && s["description"].is_string(), "scheme without name/description: {s}");
    }
}

fn find<'a>(list: &'a Value, id: &str) -> &'a Value {
    list["Resources"].as_array().unwrap().iter().find(|r| r["id"] == id).unwrap_or_else(|| panic!("no {id} in {list}"))
}

#[tokio::test]
async fn resource_types() {
    let (_svc, scim) = setup().await;
    let r = scim.get("/ResourceTypes").await.expect(200);
    r.assert_scim_json();
    let list = r.json();
    assert_list_response(&list);
    assert_eq!(list["totalResults"], 2, "{list}");

    let user = find(&list, "User");
    assert_eq!(user["name"], "User");
    assert_eq!(user["endpoint"], "/Users");
    assert_eq!(user["schema"], USER);
    let ext = user["schemaExtensions"].as_array().expect("User schemaExtensions");
    assert!(ext.iter().any(|e| e["schema"] == ENTERPRISE && e["required"] == false), "{user}");
    assert!(user["schemas"].as_array().unwrap().contains(&json!(RESOURCE_TYPE)));

    let group = find(&list, "Group");
    assert_eq!(group["name"], "Group");
    assert_eq!(group["endpoint"], "/Groups");
    assert_eq!(group["schema"], GROUP);

    let r = scim.get("/ResourceTypes/User").await.expect(200);
    r.assert_scim_json();
    assert_eq!(r.json()["endpoint"], "/Users");
    let r = scim.get("/ResourceTypes/Group").await.expect(200);
    assert_eq!(r.json()["endpoint"], "/Groups");
    scim.get("/ResourceTypes/Nope").await.expect_scim_error(404);
}

fn attribute<'a>(schema: &'a Value, name: &str) -> &'a Value {
    schema["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"].as_str().is_some_and(|n| n.eq_ignore_ascii_case(name)))
        .unwrap_or_else(|| panic!("no attribute {name} in {}", schema["id"]))
}

#[tokio::test]
async fn schemas() {
    let (_svc, scim) = setup().await;
    let r = scim.get("/Schemas").await.expect(200);
    r.assert_scim_json();
    let list = r.json();
    assert_list_response(&list);
    for urn in [USER, GROUP, ENTERPRISE] {
        let s = find(&list, urn);
        assert!(s["attributes"].as_array().is_some_and(|a| !a.is_empty()), "{urn}");
    }

    let r = scim.get(&format!("/Schemas/{USER}")).await.expect(200);
    r.assert_scim_json();
    let user = r.json();
    assert_eq!(user["id"], USER);
    assert!(user["schemas"].as_array().unwrap().contains(&json!(SCHEMA)));
    let user_name = attribute(&user, "userName");
    assert_eq!(user_name["uniqueness"], "server");
    assert_eq!(user_name["required"], true);
    assert_eq!(user_name["caseExact"], false);
    let password = attribute(&user, "password");
    assert_eq!(password["mutability"], "writeOnly");
    assert_eq!(password["returned"], "never");
    let emails = attribute(&user, "emails");
    assert_eq!(emails["multiValued"], true);
    assert_eq!(emails["type"], "complex");
    assert!(emails["subAttributes"].as_array().is_some_and(|s| !s.is_empty()));
    let groups = attribute(&user, "groups");
    assert_eq!(groups["mutability"], "readOnly");

    let group = scim.get(&format!("/Schemas/{GROUP}")).await.expect(200).json();
    assert_eq!(group["id"], GROUP);
    attribute(&group, "displayName");
    let members = attribute(&group, "members");
    assert_eq!(members["multiValued"], true);

    let ext = scim.get(&format!("/Schemas/{ENTERPRISE}")).await.expect(200).json();
    assert_eq!(ext["id"], ENTERPRISE);
    attribute(&ext, "employeeNumber");
    attribute(&ext, "department");
    attribute(&ext, "manager");

    scim.get("/Schemas/urn:example:nope").await.expect_scim_error(404);
}

#[tokio::test]
async fn anything_else_under_a_tenant_is_a_scim_404() {
    let (_svc, scim) = setup().await;
    for path in ["/Nope", "/Userz", "/Users/x/y", "/Groups/x/members", "/Schemas/a/b", "/"] {
        scim.get(path).await.expect_scim_error(404);
    }
}

#[tokio::test]
async fn root_search_answers_a_list_response() {
    // scim2-tester POSTs `{tenant}/.search`: a server without it answers 501 (then the check is
    // skipped). This one has it (RFC 7644 §3.4.3): a ListResponse of every resource type.
    let (_svc, scim) = setup().await;
    let uid = id_of(&scim.create_user("searched@example.com").await);
    let r = scim
        .post(
            "/.search",
            &json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "attributes": ["userName"]}),
        )
        .await
        .expect(200);
    r.assert_scim_json();
    let list = r.json();
    assert_list_response(&list);
    assert_eq!(list["totalResults"], 1, "{list}");
    assert_eq!(
        list["Resources"],
        json!([{"schemas": [USER], "id": uid, "userName": "searched@example.com"}]),
        "the user, with what `attributes` asks for and what is always returned"
    );
}
