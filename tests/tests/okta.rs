//! Okta's provisioning requests replayed in the order Okta sends them (docs/clients.md, "Okta"):
//! Test API Credentials, lookup, create, duplicate, get, update, deactivate, reactivate,
//! import paging, and Group Push (lookup, create, rename, members, delete).

mod common;

use std::collections::BTreeSet;

use common::*;
use serde_json::{json, Value};

#[tokio::test]
async fn test_api_credentials_on_an_empty_tenant() {
    let (_svc, scim) = setup().await;

    let r = scim.get("/Users?startIndex=1&count=2").await.expect(200);
    r.assert_scim_json();
    assert_eq!(
        r.json(),
        json!({"schemas": [LIST_RESPONSE], "totalResults": 0, "startIndex": 1, "itemsPerPage": 0, "Resources": []}),
        "Okta's Test API Credentials wants exactly the empty ListResponse"
    );

    let r = scim.get("/Groups?startIndex=1&count=100").await.expect(200);
    r.assert_scim_json();
    assert_eq!(
        r.json(),
        json!({"schemas": [LIST_RESPONSE], "totalResults": 0, "startIndex": 1, "itemsPerPage": 0, "Resources": []})
    );
}

#[tokio::test]
async fn user_lifecycle_in_okta_order() {
    let (_svc, scim) = setup().await;
    let user_name = "Isabella.Okta@Example.com";

    // Test API Credentials.
    let empty = scim.list("/Users?startIndex=1&count=2").await;
    assert_eq!(empty["totalResults"], 0);

    // Lookup before create: nothing.
    let lookup = format!("/Users?filter={}&startIndex=1&count=100", enc(&format!("userName eq \"{user_name}\"")));
    let found = scim.list(&lookup).await;
    assert_eq!(found["totalResults"], 0);
    assert_eq!(found["Resources"], json!([]));

    // Create with Okta's whole body.
    let body = okta_user(user_name, "Isabella", "Okta");
    let r = scim.post("/Users", &body).await.expect(201);
    r.assert_scim_json();
    let created = r.json();
    let id = id_of(&created);
    assert!(!id.is_empty());
    let location = r.header("location").expect("Location header on 201");
    assert!(location.starts_with("http"), "Location must be absolute: {location}");
    assert!(location.ends_with(&format!("/Users/{id}")), "Location {location} is not the user's URL");
    assert_eq!(created["meta"]["location"], json!(location));
    assert_eq!(created["meta"]["resourceType"], "User");
    assert!(created["meta"]["created"].is_string() && created["meta"]["lastModified"].is_string());
    let etag = r.assert_etag_matches_version();
    assert_no_password(&created);
    let schemas = created["schemas"].as_array().expect("schemas");
    assert!(schemas.contains(&json!(USER)) && schemas.contains(&json!(ENTERPRISE)), "{created}");
    assert_eq!(created["userName"], user_name);
    assert_eq!(created["name"]["givenName"], "Isabella");
    assert_eq!(created["name"]["familyName"], "Okta");
    assert_eq!(created["displayName"], "Isabella Okta");
    assert_eq!(created["locale"], "en-US");
    assert_eq!(created["externalId"], body["externalId"]);
    assert_eq!(created["active"], true);
    assert_eq!(created["emails"][0]["value"], user_name);
    assert_eq!(created["emails"][0]["type"], "work");
    assert_eq!(created["emails"][0]["primary"], true);
    assert_eq!(created[ENTERPRISE]["employeeNumber"], "4242");
    assert_eq!(created[ENTERPRISE]["department"], "Engineering");
    assert_eq!(created[ENTERPRISE]["costCenter"], "CC-17");

    // Lookup again: one, whatever the case of the filter value.
    for probe in [user_name.to_string(), user_name.to_lowercase(), user_name.to_uppercase()] {
        let found = scim.find_users(&format!("userName eq \"{probe}\"")).await;
        assert_eq!(found.len(), 1, "lookup of {probe}");
        assert_eq!(id_of(&found[0]), id);
    }

    // The same userName in another case is a duplicate.
    let mut dup = okta_user(&user_name.to_lowercase(), "Other", "Person");
    dup["externalId"] = json!("00u-other");
    scim.post("/Users", &dup).await.expect_scim_type(409, "uniqueness");
    assert_eq!(scim.users_total().await, 1);

    // Get.
    let r = scim.get(&format!("/Users/{id}")).await.expect(200);
    r.assert_scim_json();
    assert_eq!(r.assert_etag_matches_version(), etag);
    let fetched = r.json();
    assert_no_password(&fetched);
    assert_eq!(fetched["userName"], user_name);
    assert_eq!(fetched["id"], json!(id));

    // Unknown ids: 404 with a SCIM body, also when they are not UUIDs.
    for unknown in ["010101001010101011001010101011", "00000000-0000-4000-8000-000000000000", "x"] {
        scim.get(&format!("/Users/{unknown}")).await.expect_scim_error(404);
    }

    // Update: Okta GETs, merges, and PUTs the whole resource back, read-only and unknown
    // attributes included.
    let mut merged = fetched.clone();
    merged["name"]["familyName"] = json!("Okta-Updated");
    merged["displayName"] = json!("Isabella Okta-Updated");
    merged["password"] = json!("an0ther-R@ndom-one");
    merged["groups"] = json!([]);
    merged["someUnknownAttribute"] = json!("ignored");
    merged[ENTERPRISE]["department"] = json!("Research");
    let r = scim.put(&format!("/Users/{id}"), &merged).await.expect(200);
    r.assert_scim_json();
    let etag2 = r.assert_etag_matches_version();
    assert_ne!(etag2, etag, "the version changes on update");
    let updated = r.json();
    assert_no_password(&updated);
    assert_eq!(updated["id"], json!(id));
    assert_eq!(updated["userName"], user_name);
    assert_eq!(updated["name"]["familyName"], "Okta-Updated");
    assert_eq!(updated["displayName"], "Isabella Okta-Updated");
    assert_eq!(updated[ENTERPRISE]["department"], "Research");
    assert_eq!(updated["meta"]["created"], fetched["meta"]["created"], "meta.created is read-only");
    let fetched = scim.get(&format!("/Users/{id}")).await.expect(200).json();
    assert_eq!(fetched["name"]["familyName"], "Okta-Updated");

    // Deactivate: a path-less replace of active.
    let deactivate = patch_op(json!([{"op": "replace", "value": {"active": false}}]));
    let r = scim.patch(&format!("/Users/{id}"), &deactivate).await.expect(200);
    r.assert_scim_json();
    r.assert_etag_matches_version();
    let deactivated = r.json();
    assert_eq!(deactivated["active"], false);
    assert_eq!(deactivated["id"], json!(id));
    assert_eq!(deactivated["name"]["familyName"], "Okta-Updated", "other attributes untouched");
    assert_no_password(&deactivated);

    // Still readable, by id and by lookup, with active false.
    let got = scim.get(&format!("/Users/{id}")).await.expect(200).json();
    assert_eq!(got["active"], false);
    let found = scim.find_users(&format!("userName eq \"{user_name}\"")).await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["active"], false);
    assert_eq!(scim.users_total().await, 1);

    // Reactivate: the same id.
    let reactivate = patch_op(json!([{"op": "replace", "value": {"active": true}}]));
    let r = scim.patch(&format!("/Users/{id}"), &reactivate).await.expect(200);
    let reactivated = r.json();
    assert_eq!(reactivated["active"], true);
    assert_eq!(reactivated["id"], json!(id));
    let got = scim.get(&format!("/Users/{id}")).await.expect(200).json();
    assert_eq!(got["active"], true);
    assert_eq!(scim.users_total().await, 1);
}

#[tokio::test]
async fn create_with_plain_application_json_is_accepted() {
    let (_svc, scim) = setup().await;
    let body = serde_json::to_vec(&okta_user("plain.json@example.com", "Plain", "Json")).unwrap();
    let r = scim.send_bytes(reqwest::Method::POST, "/Users", body, "application/json").await.expect(201);
    r.assert_scim_json();
    assert_eq!(r.json()["userName"], "plain.json@example.com");
}

/// Walks the users with `count` per page, asserting each page's paging fields.
async fn walk(scim: &Scim, count: usize, total: usize) -> Vec<String> {
    let mut ids = Vec::new();
    let mut start = 1;
    while start <= total {
        let page = scim.list(&format!("/Users?startIndex={start}&count={count}")).await;
        assert_eq!(page["totalResults"], json!(total), "page at {start}");
        assert_eq!(page["startIndex"], json!(start), "page at {start}");
        let expected = count.min(total - start + 1);
        assert_eq!(page["itemsPerPage"], json!(expected), "page at {start} with count {count}");
        ids.extend(page["Resources"].as_array().unwrap().iter().map(id_of));
        start += count;
    }
    // Past the end: an empty page, same total.
    let page = scim.list(&format!("/Users?startIndex={}&count={count}", total + 1)).await;
    assert_eq!(page["totalResults"], json!(total));
    assert_eq!(page["itemsPerPage"], 0);
    assert_eq!(page["Resources"], json!([]));
    ids
}

#[tokio::test]
async fn import_paging_over_260_users_skips_and_repeats_none() {
    let (_svc, scim) = setup().await;
    let n = 260;
    let created = scim.create_users("import.user", n, 8).await;
    let created_set: BTreeSet<String> = created.iter().cloned().collect();
    assert_eq!(created_set.len(), n);

    // Okta's import: startIndex 1, 101, 201 with count=100.
    let by_100 = walk(&scim, 100, n).await;
    assert_eq!(by_100.len(), n);
    assert_unique(&by_100);
    assert_eq!(by_100.iter().cloned().collect::<BTreeSet<_>>(), created_set);

    // An odd page size gives the same users in the same order.
    let by_7 = walk(&scim, 7, n).await;
    assert_unique(&by_7);
    assert_eq!(by_7, by_100, "the order must be stable across walks and page sizes");

    // Pages of 1 at a few places agree with the walk.
    for start in [1usize, 100, 101, 199, 260] {
        let page = scim.list(&format!("/Users?startIndex={start}&count=1")).await;
        assert_eq!(id_of(&page["Resources"][0]), by_100[start - 1], "single page at {start}");
    }
}

#[tokio::test]
async fn import_order_is_stable_while_users_are_updated() {
    let (_svc, scim) = setup().await;
    let n = 250;
    scim.create_users("moving.user", n, 8).await;
    let before = scim.all_user_ids(100).await;
    assert_eq!(before.len(), n);

    // Page 1, then updates to users on later pages (as a concurrent push would), then the rest.
    let mut walked = Vec::new();
    let page = scim.list("/Users?startIndex=1&count=100").await;
    walked.extend(page["Resources"].as_array().unwrap().iter().map(id_of));
    for id in before.iter().skip(90).step_by(13) {
        let deactivate = patch_op(json!([{"op": "replace", "value": {"active": false}}]));
        scim.patch(&format!("/Users/{id}"), &deactivate).await.expect(200);
        let rename = patch_op(json!([{"op": "replace", "path": "displayName", "value": "AAA first"}]));
        scim.patch(&format!("/Users/{id}"), &rename).await.expect(200);
    }
    for start in [101, 201] {
        let page = scim.list(&format!("/Users?startIndex={start}&count=100")).await;
        walked.extend(page["Resources"].as_array().unwrap().iter().map(id_of));
    }
    assert_unique(&walked);
    assert_eq!(walked, before, "updates must not move users between pages");
}

#[tokio::test]
async fn group_push_in_okta_order() {
    let (_svc, scim) = setup().await;
    let users = scim.create_users("member", 4, 4).await;
    let (u0, u1, u2, u3) = (&users[0], &users[1], &users[2], &users[3]);

    // Lookup: none yet.
    let lookup = format!("/Groups?filter={}&startIndex=1&count=100", enc("displayName eq \"Engineering\""));
    let found = scim.list(&lookup).await;
    assert_eq!(found["totalResults"], 0);

    // Create with no members.
    let r = scim
        .post("/Groups", &json!({"schemas": [GROUP], "displayName": "Engineering", "members": []}))
        .await
        .expect(201);
    r.assert_scim_json();
    let group = r.json();
    let gid = id_of(&group);
    let location = r.header("location").expect("Location on 201");
    assert!(location.ends_with(&format!("/Groups/{gid}")), "Location {location}");
    r.assert_etag_matches_version();
    assert_eq!(group["displayName"], "Engineering");
    assert_eq!(group["meta"]["resourceType"], "Group");
    assert!(member_set(&group).is_empty());

    // Lookup finds it.
    let found = scim.list(&lookup).await;
    assert_eq!(found["totalResults"], 1);
    assert_eq!(id_of(&found["Resources"][0]), gid);

    // Rename: path-less replace carrying id and displayName; 204, no body.
    let rename = patch_op(json!([{"op": "replace", "value": {"id": gid, "displayName": "Engineering EU"}}]));
    let r = scim.patch(&format!("/Groups/{gid}"), &rename).await.expect(204);
    assert!(r.text.is_empty(), "204 has no body: {:?}", r.text);
    let got = scim.get(&format!("/Groups/{gid}")).await.expect(200);
    got.assert_etag_matches_version();
    assert_eq!(got.json()["displayName"], "Engineering EU");
    assert_eq!(scim.find_groups("displayName eq \"Engineering EU\"").await.len(), 1);
    assert_eq!(scim.find_groups("displayName eq \"Engineering\"").await.len(), 0);

    // Okta sends the (usually unchanged) rename before every membership push.
    scim.patch(&format!("/Groups/{gid}"), &rename).await.expect(204);

    // Add two members.
    let add = patch_op(json!([{"op": "add", "path": "members", "value": [
        {"value": u0, "display": "member0@example.com"},
        {"value": u1, "display": "member1@example.com"}
    ]}]));
    scim.patch(&format!("/Groups/{gid}"), &add).await.expect(204);
    assert_eq!(scim.member_ids(&gid).await, set([u0.as_str(), u1.as_str()]));

    // One PATCH mixing a filtered remove and an add.
    let mixed = patch_op(json!([
        {"op": "remove", "path": format!("members[value eq \"{u0}\"]")},
        {"op": "add", "path": "members", "value": [
            {"value": u2, "display": "member2@example.com"},
            {"value": u3, "display": "member3@example.com"}
        ]}
    ]));
    scim.patch(&format!("/Groups/{gid}"), &mixed).await.expect(204);
    assert_eq!(scim.member_ids(&gid).await, set([u1.as_str(), u2.as_str(), u3.as_str()]));

    // Adding a member twice keeps one.
    let again = patch_op(json!([{"op": "add", "path": "members", "value": [{"value": u1}]}]));
    scim.patch(&format!("/Groups/{gid}"), &again).await.expect(204);
    assert_eq!(scim.member_ids(&gid).await, set([u1.as_str(), u2.as_str(), u3.as_str()]));

    // Full push: replace members.
    let replace = patch_op(json!([{"op": "replace", "path": "members", "value": [
        {"value": u0, "display": "member0@example.com"},
        {"value": u3, "display": "member3@example.com"}
    ]}]));
    scim.patch(&format!("/Groups/{gid}"), &replace).await.expect(204);
    let got = scim.get(&format!("/Groups/{gid}")).await.expect(200).json();
    assert_eq!(member_set(&got), set([u0.as_str(), u3.as_str()]));
    assert_eq!(got["displayName"], "Engineering EU", "member pushes leave the name alone");

    // Members are not deleted with memberships: the users are still there.
    for u in &users {
        scim.get(&format!("/Users/{u}")).await.expect(200);
    }

    // Delete: 204 with no body, then 404 and gone from lookups.
    let r = scim.delete(&format!("/Groups/{gid}")).await.expect(204);
    assert!(r.text.is_empty(), "204 has no body: {:?}", r.text);
    scim.get(&format!("/Groups/{gid}")).await.expect_scim_error(404);
    assert_eq!(scim.find_groups("displayName eq \"Engineering EU\"").await.len(), 0);
    assert_eq!(scim.groups_total().await, 0);
    scim.delete(&format!("/Groups/{gid}")).await.expect_scim_error(404);
    assert_eq!(scim.users_total().await, 4);
}

#[tokio::test]
async fn group_push_of_256_members_in_one_patch() {
    let (_svc, scim) = setup().await;
    let users = scim.create_users("big.member", 256, 8).await;
    let gid = id_of(&scim.create_group("Everyone").await);
    let values: Vec<Value> = users
        .iter()
        .enumerate()
        .map(|(i, u)| json!({"value": u, "display": format!("big.member{i}@example.com")}))
        .collect();
    let rename = patch_op(json!([{"op": "replace", "value": {"id": gid, "displayName": "Everyone"}}]));
    scim.patch(&format!("/Groups/{gid}"), &rename).await.expect(204);
    scim.patch(&format!("/Groups/{gid}"), &patch_op(json!([{"op": "add", "path": "members", "value": values}])))
        .await
        .expect(204);
    assert_eq!(scim.member_ids(&gid).await, users.iter().cloned().collect::<BTreeSet<_>>());

    // Remove half of them in one PATCH of filtered removes.
    let removes: Vec<Value> = users
        .iter()
        .step_by(2)
        .map(|u| json!({"op": "remove", "path": format!("members[value eq \"{u}\"]")}))
        .collect();
    scim.patch(&format!("/Groups/{gid}"), &patch_op(Value::Array(removes))).await.expect(204);
    let expected: BTreeSet<String> = users.iter().skip(1).step_by(2).cloned().collect();
    assert_eq!(scim.member_ids(&gid).await, expected);
}

#[tokio::test]
async fn user_patch_answers_200_with_the_user_and_group_patch_204() {
    let (_svc, scim) = setup().await;
    let user = scim.create_okta_user("patch.shape@example.com").await;
    let id = id_of(&user);
    let r = scim
        .patch(&format!("/Users/{id}"), &patch_op(json!([{"op": "replace", "path": "title", "value": "Boss"}])))
        .await
        .expect(200);
    r.assert_scim_json();
    r.assert_etag_matches_version();
    assert_eq!(r.json()["title"], "Boss");
    assert_eq!(r.json()["userName"], "patch.shape@example.com");

    let gid = id_of(&scim.create_group("Shapes").await);
    let op = patch_op(json!([{"op": "add", "path": "members", "value": [{"value": id}]}]));
    let r = scim.patch(&format!("/Groups/{gid}"), &op).await.expect(204);
    assert!(r.text.is_empty());

    // With `attributes` the group comes back, 200.
    let op = patch_op(json!([{"op": "replace", "path": "displayName", "value": "Shapes 2"}]));
    let r = scim.patch(&format!("/Groups/{gid}?attributes=displayName"), &op).await.expect(200);
    r.assert_scim_json();
    let body = r.json();
    assert_eq!(body["displayName"], "Shapes 2");
    assert_eq!(body["id"], json!(gid));
}
