//! Microsoft Entra ID's forms (docs/clients.md, "Microsoft Entra ID"): Bearer auth, lookups by
//! externalId and by a value-path filter, groups without members, capitalised PATCH ops,
//! "True"/"False" strings, member removal by value list, dotted keys in a path-less replace,
//! adding through a filtered path with no match, DELETE, displayName uniqueness.

mod common;

use common::*;
use serde_json::{json, Value};

async fn entra() -> (TestService, Scim) {
    let svc = TestService::start().await;
    let tenant = svc.create_tenant("entra", "named").await;
    let scim = Scim::bearer(&tenant);
    (svc, scim)
}

/// The body Entra sends to create a user.
fn entra_user(user_name: &str, external_id: &str, work_email: &str) -> Value {
    json!({
        "schemas": [USER, ENTERPRISE],
        "externalId": external_id,
        "userName": user_name,
        "active": true,
        "displayName": "Entra Person",
        "emails": [{"primary": true, "type": "work", "value": work_email}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "Entra Person", "familyName": "Person", "givenName": "Entra"},
        "roles": [],
        ENTERPRISE: {"department": "Finance", "employeeNumber": "E-1"}
    })
}

async fn create_entra_user(scim: &Scim, user_name: &str, external_id: &str, email: &str) -> String {
    let r = scim.post("/Users", &entra_user(user_name, external_id, email)).await.expect(201);
    r.assert_scim_json();
    id_of(&r.json())
}

#[tokio::test]
async fn bearer_auth_and_lookups_by_external_id_and_work_email() {
    let (_svc, scim) = entra().await;
    let list = scim.list("/Users?startIndex=1&count=100").await;
    assert_eq!(list["totalResults"], 0);

    // Lookups before create find nothing.
    assert!(scim.find_users("externalId eq \"ext-1\"").await.is_empty());
    assert!(scim.find_users("emails[type eq \"work\"].value eq \"a.b+c@contoso.com\"").await.is_empty());

    let id = create_entra_user(&scim, "a.b+c@contoso.com", "ext-1", "a.b+c@contoso.com").await;
    let other = create_entra_user(&scim, "aXb+c@contoso.com", "ext-2", "aXb+c@contoso.com").await;

    let found = scim.find_users("userName eq \"a.b+c@contoso.com\"").await;
    assert_eq!(found.iter().map(id_of).collect::<Vec<_>>(), vec![id.clone()], "'.' and '+' are literal");

    let found = scim.find_users("externalId eq \"ext-1\"").await;
    assert_eq!(found.iter().map(id_of).collect::<Vec<_>>(), vec![id.clone()]);
    let found = scim.find_users("externalId eq \"ext-2\"").await;
    assert_eq!(found.iter().map(id_of).collect::<Vec<_>>(), vec![other.clone()]);

    let found = scim.find_users("emails[type eq \"work\"].value eq \"a.b+c@contoso.com\"").await;
    assert_eq!(found.iter().map(id_of).collect::<Vec<_>>(), vec![id.clone()]);
    assert!(scim.find_users("emails[type eq \"home\"].value eq \"a.b+c@contoso.com\"").await.is_empty());

    // Entra combines with `and`.
    let found = scim.find_users("userName eq \"a.b+c@contoso.com\" and externalId eq \"ext-1\"").await;
    assert_eq!(found.len(), 1);
    assert!(scim.find_users("userName eq \"a.b+c@contoso.com\" and externalId eq \"ext-2\"").await.is_empty());
}

#[tokio::test]
async fn groups_without_members_and_excluded_members() {
    let (_svc, scim) = entra().await;
    let uid = create_entra_user(&scim, "member@contoso.com", "ext-m", "member@contoso.com").await;

    let r = scim
        .post(
            "/Groups",
            &json!({"schemas": [GROUP], "externalId": "grp-ext-1", "displayName": "Sales Team",
                    "meta": {"resourceType": "Group"}}),
        )
        .await
        .expect(201);
    let gid = id_of(&r.json());
    let add = patch_op(json!([{"op": "Add", "path": "members", "value": [{"value": uid}]}]));
    scim.patch(&format!("/Groups/{gid}"), &add).await.expect(204);

    let q = format!("/Groups?excludedAttributes=members&filter={}", enc("displayName eq \"Sales Team\""));
    let list = scim.list(&q).await;
    assert_eq!(list["totalResults"], 1);
    let g = &list["Resources"][0];
    assert_eq!(g["id"], json!(gid));
    assert_eq!(g["schemas"], json!([GROUP]), "{g}");
    assert_eq!(g["displayName"], "Sales Team");
    assert_eq!(g["externalId"], "grp-ext-1");
    assert!(g.get("members").is_none(), "excludedAttributes=members must drop members: {g}");

    let g = scim.get(&format!("/Groups/{gid}?excludedAttributes=members")).await.expect(200).json();
    assert!(g.get("members").is_none(), "{g}");
    assert_eq!(g["id"], json!(gid));
    assert_eq!(g["schemas"], json!([GROUP]), "{g}");
    assert_eq!(g["displayName"], "Sales Team");
    // Without the parameter the member is there.
    assert_eq!(scim.member_ids(&gid).await, set([uid.as_str()]));
}

#[tokio::test]
async fn capitalised_ops_and_boolean_strings() {
    let (_svc, scim) = entra().await;
    let id = create_entra_user(&scim, "bool@contoso.com", "ext-b", "bool@contoso.com").await;

    let r = scim
        .patch(&format!("/Users/{id}"), &patch_op(json!([{"op": "Replace", "path": "active", "value": "False"}])))
        .await
        .expect(200);
    assert_eq!(r.json()["active"], json!(false), "\"False\" becomes the boolean false");
    let got = scim.get(&format!("/Users/{id}")).await.expect(200).json();
    assert_eq!(got["active"], json!(false));

    let r = scim
        .patch(&format!("/Users/{id}"), &patch_op(json!([{"op": "Replace", "path": "active", "value": "True"}])))
        .await
        .expect(200);
    assert_eq!(r.json()["active"], json!(true));

    let r = scim
        .patch(
            &format!("/Users/{id}"),
            &patch_op(json!([
                {"op": "Replace", "path": "name.familyName", "value": "Updated"},
                {"op": "Add", "path": "title", "value": "Analyst"}
            ])),
        )
        .await
        .expect(200);
    let u = r.json();
    assert_eq!(u["name"]["familyName"], "Updated");
    assert_eq!(u["name"]["givenName"], "Entra");
    assert_eq!(u["title"], "Analyst");

    let r =
        scim.patch(&format!("/Users/{id}"), &patch_op(json!([{"op": "Remove", "path": "title"}]))).await.expect(200);
    assert!(r.json().get("title").is_none());

    // A path-less Replace with a string boolean.
    let r = scim
        .patch(&format!("/Users/{id}"), &patch_op(json!([{"op": "Replace", "value": {"active": "False"}}])))
        .await
        .expect(200);
    assert_eq!(r.json()["active"], json!(false));
}

#[tokio::test]
async fn member_remove_with_a_value_list_removes_only_those() {
    let (_svc, scim) = entra().await;
    let mut ids = Vec::new();
    for i in 0..4 {
        ids.push(
            create_entra_user(&scim, &format!("m{i}@contoso.com"), &format!("x{i}"), &format!("m{i}@contoso.com"))
                .await,
        );
    }
    let gid = id_of(&scim.create_group("Remove Test").await);
    let add = patch_op(json!([{"op": "Add", "path": "members",
        "value": ids.iter().map(|u| json!({"value": u})).collect::<Vec<_>>()}]));
    scim.patch(&format!("/Groups/{gid}"), &add).await.expect(204);
    assert_eq!(scim.member_ids(&gid).await.len(), 4);

    let remove = patch_op(json!([{"op": "Remove", "path": "members",
        "value": [{"value": ids[0]}, {"value": ids[2]}]}]));
    let r = scim.patch(&format!("/Groups/{gid}"), &remove).await.expect(204);
    assert!(r.text.is_empty());
    assert_eq!(scim.member_ids(&gid).await, set([ids[1].as_str(), ids[3].as_str()]));
}

#[tokio::test]
async fn member_add_with_null_ref() {
    // Entra sends `"$ref": null` next to each member value.
    let (_svc, scim) = entra().await;
    let uid = create_entra_user(&scim, "ref@contoso.com", "x-ref", "ref@contoso.com").await;
    let gid = id_of(&scim.create_group("Null Ref").await);
    let add = patch_op(json!([{"op": "Add", "path": "members", "value": [{"$ref": null, "value": uid}]}]));
    scim.patch(&format!("/Groups/{gid}"), &add).await.expect(204);
    assert_eq!(scim.member_ids(&gid).await, set([uid.as_str()]));
}

#[tokio::test]
async fn pathless_replace_with_dotted_and_extension_keys() {
    let (_svc, scim) = entra().await;
    let id = create_entra_user(&scim, "dotted@contoso.com", "x-d", "dotted@contoso.com").await;
    let op = patch_op(json!([{"op": "Replace", "value": {
        "name.givenName": "Newgiven",
        "name.familyName": "Newfamily",
        "displayName": "New Display",
        format!("{ENTERPRISE}:department"): "Marketing",
        format!("{ENTERPRISE}:employeeNumber"): "E-99"
    }}]));
    let r = scim.patch(&format!("/Users/{id}"), &op).await.expect(200);
    let u = r.json();
    assert_eq!(u["name"]["givenName"], "Newgiven");
    assert_eq!(u["name"]["familyName"], "Newfamily");
    assert_eq!(u["displayName"], "New Display");
    assert_eq!(u[ENTERPRISE]["department"], "Marketing");
    assert_eq!(u[ENTERPRISE]["employeeNumber"], "E-99");
    assert!(u.get("name.givenName").is_none(), "dotted keys are paths, not attribute names: {u}");
    assert!(u.get(format!("{ENTERPRISE}:department")).is_none(), "{u}");

    // The extension as an object under its URN works too.
    let op = patch_op(json!([{"op": "Replace", "value": {ENTERPRISE: {"costCenter": "CC-9"}}}]));
    let u = scim.patch(&format!("/Users/{id}"), &op).await.expect(200).json();
    assert_eq!(u[ENTERPRISE]["costCenter"], "CC-9");

    // And a path naming an extension attribute.
    let op = patch_op(json!([{"op": "Replace", "path": format!("{ENTERPRISE}:department"), "value": "Legal"}]));
    let u = scim.patch(&format!("/Users/{id}"), &op).await.expect(200).json();
    assert_eq!(u[ENTERPRISE]["department"], "Legal");

    let got = scim.get(&format!("/Users/{id}")).await.expect(200).json();
    assert_eq!(got[ENTERPRISE]["department"], "Legal");
    assert_eq!(got["name"]["givenName"], "Newgiven");
}

#[tokio::test]
async fn add_through_a_filtered_path_with_no_match_adds_the_element() {
    let (_svc, scim) = entra().await;
    let r = scim
        .post(
            "/Users",
            &json!({"schemas": [USER], "userName": "nowork@contoso.com", "externalId": "x-nw",
                    "emails": [{"type": "home", "value": "home@example.org"}]}),
        )
        .await
        .expect(201);
    let id = id_of(&r.json());

    let op = patch_op(json!([{"op": "Add", "path": "emails[type eq \"work\"].value", "value": "work@contoso.com"}]));
    let u = scim.patch(&format!("/Users/{id}"), &op).await.expect(200).json();
    let emails = u["emails"].as_array().expect("emails");
    assert!(
        emails.iter().any(|e| e["type"] == "work" && e["value"] == "work@contoso.com"),
        "a work email is added: {u}"
    );
    assert!(emails.iter().any(|e| e["type"] == "home" && e["value"] == "home@example.org"), "home email kept: {u}");

    // Now that it exists, a Replace through the same path changes it in place.
    let op = patch_op(json!([{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "new@contoso.com"}]));
    let u = scim.patch(&format!("/Users/{id}"), &op).await.expect(200).json();
    let emails = u["emails"].as_array().unwrap();
    let work: Vec<&Value> = emails.iter().filter(|e| e["type"] == "work").collect();
    assert_eq!(work.len(), 1, "{u}");
    assert_eq!(work[0]["value"], "new@contoso.com");
    assert_eq!(emails.len(), 2, "{u}");

    let found = scim.find_users("emails[type eq \"work\"].value eq \"new@contoso.com\"").await;
    assert_eq!(found.len(), 1);
}

#[tokio::test]
async fn delete_user_answers_204_and_removes_it_from_the_scim_view() {
    let (_svc, scim) = entra().await;
    let id = create_entra_user(&scim, "gone@contoso.com", "x-gone", "gone@contoso.com").await;
    let keep = create_entra_user(&scim, "kept@contoso.com", "x-kept", "kept@contoso.com").await;
    assert_eq!(scim.users_total().await, 2);

    let r = scim.delete(&format!("/Users/{id}")).await.expect(204);
    assert!(r.text.is_empty(), "204 has no body: {:?}", r.text);
    scim.get(&format!("/Users/{id}")).await.expect_scim_error(404);
    assert!(scim.find_users("userName eq \"gone@contoso.com\"").await.is_empty());
    assert!(scim.find_users("externalId eq \"x-gone\"").await.is_empty());
    assert_eq!(scim.users_total().await, 1);
    assert_eq!(scim.all_user_ids(100).await, vec![keep]);
    scim.delete(&format!("/Users/{id}")).await.expect_scim_error(404);
    scim.patch(&format!("/Users/{id}"), &patch_op(json!([{"op": "Replace", "path": "active", "value": "True"}])))
        .await
        .expect_scim_error(404);
}

/// A deleted user stays in the subscription, unprovisioned; creating its userName again is a
/// 201 that takes it back, with its id (docs/clients.md, "delete user").
#[tokio::test]
async fn recreate_after_delete_takes_the_subscription_user_back() {
    let (_svc, scim) = entra().await;
    let id = create_entra_user(&scim, "again@contoso.com", "x-again", "again@contoso.com").await;
    scim.delete(&format!("/Users/{id}")).await.expect(204);
    scim.get(&format!("/Users/{id}")).await.expect_scim_error(404);
    let id2 = create_entra_user(&scim, "again@contoso.com", "x-again", "again@contoso.com").await;
    assert_eq!(id, id2);
    scim.get(&format!("/Users/{id}")).await.expect(200);
    assert_eq!(scim.find_users("userName eq \"again@contoso.com\"").await.len(), 1);
    assert_eq!(scim.users_total().await, 1);
}

#[tokio::test]
async fn deleted_user_leaves_its_groups() {
    let (_svc, scim) = entra().await;
    let a = create_entra_user(&scim, "a@contoso.com", "x-a", "a@contoso.com").await;
    let b = create_entra_user(&scim, "b@contoso.com", "x-b", "b@contoso.com").await;
    let gid = id_of(&scim.create_group("Leavers").await);
    let add = patch_op(json!([{"op": "Add", "path": "members", "value": [{"value": a}, {"value": b}]}]));
    scim.patch(&format!("/Groups/{gid}"), &add).await.expect(204);
    scim.delete(&format!("/Users/{a}")).await.expect(204);
    assert_eq!(scim.member_ids(&gid).await, set([b.as_str()]));
}

#[tokio::test]
async fn delete_group_answers_204() {
    let (_svc, scim) = entra().await;
    let gid = id_of(&scim.create_group("Temporary").await);
    let r = scim.delete(&format!("/Groups/{gid}")).await.expect(204);
    assert!(r.text.is_empty());
    scim.get(&format!("/Groups/{gid}")).await.expect_scim_error(404);
}

#[tokio::test]
async fn group_display_name_is_unique() {
    let (_svc, scim) = entra().await;
    let gid = id_of(&scim.create_group("Unique Name").await);
    scim.post("/Groups", &json!({"schemas": [GROUP], "displayName": "Unique Name"}))
        .await
        .expect_scim_type(409, "uniqueness");
    assert_eq!(scim.groups_total().await, 1);

    // Renaming another group onto the name is refused too.
    let other = id_of(&scim.create_group("Other Name").await);
    let op = patch_op(json!([{"op": "Replace", "path": "displayName", "value": "Unique Name"}]));
    scim.patch(&format!("/Groups/{other}"), &op).await.expect_scim_type(409, "uniqueness");
    let g = scim.get(&format!("/Groups/{other}")).await.expect(200).json();
    assert_eq!(g["displayName"], "Other Name");
    let g = scim.get(&format!("/Groups/{gid}")).await.expect(200).json();
    assert_eq!(g["displayName"], "Unique Name");

    // Once the first is deleted, the name is free.
    scim.delete(&format!("/Groups/{gid}")).await.expect(204);
    scim.create_group("Unique Name").await;
}

#[tokio::test]
async fn disabled_user_is_still_returned() {
    let (_svc, scim) = entra().await;
    let mut body = entra_user("disabled@contoso.com", "x-dis", "disabled@contoso.com");
    body["active"] = json!(false);
    let r = scim.post("/Users", &body).await.expect(201);
    let id = id_of(&r.json());
    assert_eq!(r.json()["active"], false);

    let got = scim.get(&format!("/Users/{id}")).await.expect(200).json();
    assert_eq!(got["active"], false);
    let found = scim.find_users("userName eq \"disabled@contoso.com\"").await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["active"], false);
    let found = scim.find_users("externalId eq \"x-dis\"").await;
    assert_eq!(found.len(), 1);
    assert_eq!(scim.all_user_ids(100).await, vec![id]);
}

#[tokio::test]
async fn group_patch_with_capitalised_replace_of_display_name() {
    let (_svc, scim) = entra().await;
    let gid = id_of(&scim.create_group("Before").await);
    let op = patch_op(json!([{"op": "Replace", "path": "displayName", "value": "After"}]));
    let r = scim.patch(&format!("/Groups/{gid}"), &op).await.expect(204);
    assert!(r.text.is_empty());
    let g = scim.get(&format!("/Groups/{gid}")).await.expect(200).json();
    assert_eq!(g["displayName"], "After");
}
