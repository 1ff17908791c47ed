//! Bad input: each request gets a 4xx SCIM Error body, nothing changes, and the service
//! keeps answering (no panic, no dropped connection).

mod common;

use std::collections::BTreeSet;

use common::*;
use reqwest::Method;
use serde_json::{json, Value};

/// A tenant with one user and one group (with that user as member), and what it looked like.
struct Fixture {
    svc: TestService,
    scim: Scim,
    uid: String,
    gid: String,
    snapshot: Snapshot,
}

#[derive(Debug, PartialEq)]
struct Snapshot {
    users_total: u64,
    groups_total: u64,
    user: Value,
    group: Value,
}

async fn snapshot(scim: &Scim, uid: &str, gid: &str) -> Snapshot {
    Snapshot {
        users_total: scim.users_total().await,
        groups_total: scim.groups_total().await,
        user: scim.get(&format!("/Users/{uid}")).await.expect(200).json(),
        group: scim.get(&format!("/Groups/{gid}")).await.expect(200).json(),
    }
}

async fn fixture() -> Fixture {
    let (svc, scim) = setup().await;
    let uid = id_of(&scim.create_okta_user("fixture@example.com").await);
    let gid = id_of(&scim.create_group("Fixture Group").await);
    scim.patch(
        &format!("/Groups/{gid}"),
        &patch_op(json!([{"op": "add", "path": "members", "value": [{"value": uid}]}])),
    )
    .await
    .expect(204);
    let snapshot = snapshot(&scim, &uid, &gid).await;
    Fixture { svc, scim, uid, gid, snapshot }
}

impl Fixture {
    /// Asserts nothing changed and the service still answers.
    async fn unchanged(&self, what: &str) {
        let now = snapshot(&self.scim, &self.uid, &self.gid).await;
        assert_eq!(now, self.snapshot, "state changed after {what}");
    }

    fn user_path(&self) -> String {
        format!("/Users/{}", self.uid)
    }

    fn group_path(&self) -> String {
        format!("/Groups/{}", self.gid)
    }
}

#[tokio::test]
async fn malformed_json() {
    let f = fixture().await;
    let bodies: Vec<&[u8]> = vec![
        b"{\"schemas\": [\"urn:ietf:params:scim:schemas:core:2.0:User\"], \"userName\": ",
        b"{",
        b"not json at all",
        b"",
        b"[]",
        b"null",
        b"\"just a string\"",
        b"{\"schemas\": [\"urn:ietf:params:scim:schemas:core:2.0:User\"], \"userName\": \"x@example.com\",}",
        b"\xff\xfe\x00{",
    ];
    for body in bodies {
        let what = String::from_utf8_lossy(body).to_string();
        for (method, path) in
            [(Method::POST, "/Users".to_string()), (Method::PUT, f.user_path()), (Method::PATCH, f.user_path())]
        {
            let r = f.scim.send_bytes(method.clone(), &path, body.to_vec(), OKTA_CONTENT_TYPE).await;
            assert_eq!(r.status, 400, "{method} {path} with {what:?}: {} {}", r.status, r.text);
            r.expect_scim_type(400, "invalidSyntax");
        }
        for (method, path) in [(Method::POST, "/Groups".to_string()), (Method::PATCH, f.group_path())] {
            f.scim
                .send_bytes(method, &path, body.to_vec(), OKTA_CONTENT_TYPE)
                .await
                .expect_scim_type(400, "invalidSyntax");
        }
    }
    f.unchanged("malformed JSON").await;
}

#[tokio::test]
async fn wrong_types() {
    let f = fixture().await;
    // Each body, and whether its userName is fine (then a PUT over the fixture user keeps
    // the fixture's userName, so only the bad attribute is at fault). A value of the wrong
    // type, or a required one missing, is invalidValue (RFC 7644 §3.12); `schemas` that is
    // not an array breaks the message structure itself: invalidSyntax.
    let bad_users = [
        (json!({"schemas": [USER], "userName": "t1@example.com", "active": "yes"}), true, "invalidValue"),
        (json!({"schemas": [USER], "userName": 5}), false, "invalidValue"),
        (json!({"schemas": [USER], "userName": null}), false, "invalidValue"),
        (json!({"schemas": [USER], "userName": ["a"]}), false, "invalidValue"),
        (json!({"schemas": [USER], "userName": "t2@example.com", "emails": "x"}), true, "invalidValue"),
        (json!({"schemas": [USER], "userName": "t3@example.com", "emails": [{"value": 5}]}), true, "invalidValue"),
        (json!({"schemas": [USER], "userName": "t4@example.com", "emails": [["nested"]]}), true, "invalidValue"),
        (json!({"schemas": [USER], "userName": "t5@example.com", "name": "x"}), true, "invalidValue"),
        (
            json!({"schemas": [USER], "userName": "t6@example.com", "name": {"givenName": {"deep": true}}}),
            true,
            "invalidValue",
        ),
        (json!({"schemas": [USER], "userName": "t7@example.com", "active": 1}), true, "invalidValue"),
        (json!({"schemas": [USER], "userName": ""}), false, "invalidValue"),
        (json!({"schemas": [USER]}), false, "invalidValue"),
        (json!({"schemas": [USER, ENTERPRISE], "userName": "t8@example.com", ENTERPRISE: "x"}), true, "invalidValue"),
        (
            json!({"schemas": "urn:ietf:params:scim:schemas:core:2.0:User", "userName": "t9@example.com"}),
            true,
            "invalidSyntax",
        ),
    ];
    for (body, user_name_ok, scim_type) in &bad_users {
        let r = f.scim.post("/Users", body).await;
        assert!(r.status == 400, "POST {body}: {} {}", r.status, r.text);
        r.expect_scim_type(400, scim_type);

        // The same as a PUT over the existing user.
        let mut put = body.clone();
        if *user_name_ok {
            put["userName"] = json!("fixture@example.com");
        }
        let r = f.scim.put(&f.user_path(), &put).await;
        assert!(r.status == 400, "PUT {put}: {} {}", r.status, r.text);
        r.expect_scim_type(400, scim_type);
    }
    let bad_groups = [
        json!({"schemas": [GROUP], "displayName": 5}),
        json!({"schemas": [GROUP]}),
        json!({"schemas": [GROUP], "displayName": "G", "members": "x"}),
        json!({"schemas": [GROUP], "displayName": "G", "members": [{"value": 5}]}),
    ];
    for body in &bad_groups {
        f.scim.post("/Groups", body).await.expect_scim_type(400, "invalidValue");
    }
    // Wrong types through PATCH.
    for op in [
        json!([{"op": "replace", "path": "active", "value": "yes"}]),
        json!([{"op": "replace", "path": "userName", "value": 5}]),
        json!([{"op": "replace", "path": "emails", "value": "x"}]),
        json!([{"op": "replace", "value": {"active": "maybe"}}]),
        json!([{"op": "replace", "value": "not an object"}]),
    ] {
        f.scim.patch(&f.user_path(), &patch_op(op)).await.expect_scim_type(400, "invalidValue");
    }
    f.unchanged("wrong types").await;
}

#[tokio::test]
async fn unknown_wrong_or_missing_schemas() {
    let f = fixture().await;
    // `schemas` naming a schema the resource type does not have, or lacking the core one, is
    // a wrong value (invalidValue); no `schemas` at all is a body that is not a SCIM message
    // (invalidSyntax).
    for (body, scim_type) in [
        (
            json!({"schemas": [USER, "urn:example:params:scim:schemas:unknown:1.0:Thing"], "userName": "s1@example.com"}),
            "invalidValue",
        ),
        (
            json!({"schemas": ["urn:example:params:scim:schemas:unknown:1.0:Thing"], "userName": "s2@example.com"}),
            "invalidValue",
        ),
        (json!({"userName": "s3@example.com"}), "invalidSyntax"),
        (json!({"schemas": [], "userName": "s4@example.com"}), "invalidValue"),
        (json!({"schemas": [GROUP], "userName": "s5@example.com"}), "invalidValue"),
    ] {
        let r = f.scim.post("/Users", &body).await;
        assert_eq!(r.status, 400, "POST {body}: {}", r.text);
        r.expect_scim_type(400, scim_type);
    }
    f.scim
        .post("/Groups", &json!({"schemas": [USER], "displayName": "Wrong Schema"}))
        .await
        .expect_scim_type(400, "invalidValue");
    // A PATCH that is not a PatchOp: the message structure is wrong (invalidSyntax).
    for body in [
        json!({"schemas": [USER], "Operations": [{"op": "replace", "path": "title", "value": "x"}]}),
        json!({"Operations": [{"op": "replace", "path": "title", "value": "x"}]}),
        json!({"schemas": [PATCH_OP]}),
        json!({"schemas": [PATCH_OP], "Operations": "x"}),
        json!({"schemas": [PATCH_OP], "Operations": [{"op": "frobnicate", "path": "title", "value": "x"}]}),
        json!({"schemas": [PATCH_OP], "Operations": [{"path": "title", "value": "x"}]}),
    ] {
        f.scim.patch(&f.user_path(), &body).await.expect_scim_type(400, "invalidSyntax");
        f.scim.patch(&f.group_path(), &body).await.expect_scim_type(400, "invalidSyntax");
    }
    f.unchanged("unknown schemas").await;
}

#[tokio::test]
async fn oversized_bodies() {
    let f = fixture().await;
    // 2 MB: 413. Sent over a raw socket that reads the answer while still writing, so an
    // early 413 is heard whatever the server does with the rest of the body.
    let padding = "x".repeat(2 * 1024 * 1024);
    let mut big = okta_user("huge@example.com", "Huge", "Body");
    big["displayName"] = json!(padding);
    let big = serde_json::to_vec(&big).unwrap();
    let big_patch =
        serde_json::to_vec(&patch_op(json!([{"op": "replace", "path": "displayName", "value": padding}]))).unwrap();
    let mut junk = vec![b'{'; 2 * 1024 * 1024];
    junk[0] = b'[';
    let cases = [
        ("POST", "/Users".to_string(), big.clone()),
        ("PUT", f.user_path(), big),
        ("PATCH", f.user_path(), big_patch.clone()),
        ("PATCH", f.group_path(), big_patch),
        // Invalid JSON over the limit is still 413 (the size is checked first).
        ("POST", "/Users".to_string(), junk),
    ];
    for (method, path, body) in cases {
        f.scim.raw_with_body(method, &path, Some(body)).await.expect_scim_error(413);
    }

    // Just under 1 MB and otherwise invalid: judged on its content (400), not its size.
    let mut under = json!({"schemas": [USER], "userName": 5, "title": ""});
    under["title"] = json!("y".repeat(1_000_000 - 100));
    let bytes = serde_json::to_vec(&under).unwrap();
    assert!(bytes.len() < 1_048_576);
    f.scim.send_bytes(Method::POST, "/Users", bytes, OKTA_CONTENT_TYPE).await.expect_scim_type(400, "invalidValue");
    f.unchanged("oversized bodies").await;
}

#[tokio::test]
async fn values_past_the_store_limits_are_400_or_name_nothing() {
    let f = fixture().await;
    // A document whose item would not fit the store (400 KB): 400 naming the limit.
    let title = "t".repeat(500 * 1024);
    let mut user = okta_user("wide@example.com", "Wide", "Title");
    user["title"] = json!(title);
    let r = f.scim.post("/Users", &user).await;
    let body = r.expect_scim_type(400, "invalidValue");
    assert!(body["detail"].as_str().unwrap().contains("262144"), "{body}");
    let mut put = f.snapshot.user.clone();
    put["title"] = json!(title);
    f.scim.put(&f.user_path(), &put).await.expect_scim_type(400, "invalidValue");
    let replace = patch_op(json!([{"op": "replace", "path": "title", "value": title}]));
    f.scim.patch(&f.user_path(), &replace).await.expect_scim_type(400, "invalidValue");
    let rename = patch_op(json!([{"op": "replace", "path": "displayName", "value": title}]));
    f.scim.patch(&f.group_path(), &rename).await.expect_scim_type(400, "invalidValue");

    // Filter values longer than any key: no resource has them.
    let long = "l".repeat(3000);
    for (path, attr) in [("/Users", "userName"), ("/Users", "externalId"), ("/Users", "id"), ("/Groups", "displayName")]
    {
        let filter = format!("{attr} eq \"{long}\"");
        let list = f.scim.get(&format!("{path}?filter={}", enc(&filter))).await.expect(200).json();
        assert_eq!(list["totalResults"], 0, "{attr}: {list}");
    }
    // A member to remove by an id no user can have names no member.
    let remove = patch_op(json!([{"op": "remove", "path": format!("members[value eq \"{long}\"]")}]));
    f.scim.patch(&f.group_path(), &remove).await.expect(204);
    f.unchanged("values past the store limits").await;
}

#[tokio::test]
async fn hostile_filters() {
    let f = fixture().await;
    let deep_parens = format!("{}userName eq \"x\"{}", "(".repeat(10_000), ")".repeat(10_000));
    // `+` is a space in a query string; it keeps the 10,000-deep `not (` under the URI limit.
    let deep_not_query = format!("{}userName+eq+%22x%22{}", "not+(".repeat(10_000), ")".repeat(10_000));
    let deep_brackets = format!("emails[{}type eq \"work\"{}]", "(".repeat(10_000), ")".repeat(10_000));
    let unbalanced = "(".repeat(10_000);
    let long_value = format!("userName eq \"{}\"", "a".repeat(40_000));
    let long_or = vec!["userName eq \"a\""; 1_500].join(" or ");
    let long_and = vec!["userName pr"; 2_000].join(" and ");
    let moderately_deep = format!("{}userName eq \"x\"{}", "(".repeat(200), ")".repeat(200));
    let moderately_deep_not = format!("{}userName eq \"x\"{}", "not (".repeat(200), ")".repeat(200));

    let mut queries: Vec<String> = [
        &deep_parens,
        &deep_brackets,
        &unbalanced,
        &long_value,
        &long_or,
        &long_and,
        &moderately_deep,
        &moderately_deep_not,
    ]
    .iter()
    .map(|f| enc(f))
    .collect();
    queries.push(deep_not_query);
    for q in &queries {
        for collection in ["/Users", "/Groups"] {
            let r = f.scim.get(&format!("{collection}?filter={q}")).await;
            assert!(
                r.status == 400,
                "{collection} with a {}-byte hostile filter: {} {}",
                q.len(),
                r.status,
                &r.text[..r.text.len().min(300)]
            );
            // Too long or too deep is a filter the service will not parse: invalidFilter.
            // (tooMany is about the results a filter yields, not about its text.)
            r.expect_scim_type(400, "invalidFilter");
        }
    }
    // A hostile filter in a PATCH path: the path (valuePath included, RFC 7644 Figure 7) is
    // malformed, invalidPath.
    let path = format!("members[{}value eq \"x\"{}]", "(".repeat(10_000), ")".repeat(10_000));
    f.scim
        .patch(&f.group_path(), &patch_op(json!([{"op": "remove", "path": path}])))
        .await
        .expect_scim_type(400, "invalidPath");
    f.unchanged("hostile filters").await;
}

#[tokio::test]
async fn path_traversal_and_odd_ids() {
    let f = fixture().await;
    let ids = [
        "..%2F..%2Fetc%2Fpasswd",
        "..%2F..%2Fetc",
        "%2e%2e",
        "%2E%2E%2F%2E%2E",
        "..",
        "..%5C..%5Cwindows",
        "%00",
        "010101001010101011001010101011",
        "00000000-0000-0000-0000-000000000000",
        "U%23x",
        "%27%20OR%20%271%27%3D%271",
        "*",
    ];
    // Bodies a PUT or PATCH of an existing resource would take, so the id is all that is wrong.
    let put_user = serde_json::to_vec(&okta_user("odd.id@example.com", "Odd", "Id")).unwrap();
    let put_group = serde_json::to_vec(&json!({"schemas": [GROUP], "displayName": "Odd Id"})).unwrap();
    let patch =
        serde_json::to_vec(&patch_op(json!([{"op": "replace", "path": "displayName", "value": "Odd"}]))).unwrap();
    for id in ids {
        for (collection, put) in [("/Users", &put_user), ("/Groups", &put_group)] {
            let path = format!("{collection}/{id}");
            // The id names no resource of this tenant: 404 (RFC 7644 §3.12), whatever the method.
            for (method, body) in [("GET", None), ("DELETE", None), ("PUT", Some(put)), ("PATCH", Some(&patch))] {
                f.scim.raw_with_body(method, &path, body.cloned()).await.expect_scim_error(404);
            }
            // A body that is no SCIM message at all (`{}`) is refused as such before the id is
            // looked up: 400 invalidSyntax, as on an existing resource.
            for method in ["PUT", "PATCH"] {
                f.scim.raw(method, &path).await.expect_scim_type(400, "invalidSyntax");
            }
        }
    }
    // A long id.
    let long = "a".repeat(5_000);
    f.scim.get(&format!("/Users/{long}")).await.expect_scim_error(404);
    f.unchanged("odd ids").await;
}

#[tokio::test]
async fn another_tenants_ids_are_404_and_my_credentials_elsewhere_401() {
    let f = fixture().await;
    let other = f.svc.create_tenant("other-tenant", "named").await;
    let theirs = Scim::basic(&other);
    let their_user = theirs.create_okta_user("their.user@example.com").await;
    let their_uid = id_of(&their_user);
    let their_gid = id_of(&theirs.create_group("Their Group").await);
    let their_before = theirs.get(&format!("/Users/{their_uid}")).await.expect(200).json();

    let mine = &f.scim;
    mine.get(&format!("/Users/{their_uid}")).await.expect_scim_error(404);
    mine.put(&format!("/Users/{their_uid}"), &okta_user("their.user@example.com", "X", "Y"))
        .await
        .expect_scim_error(404);
    mine.patch(&format!("/Users/{their_uid}"), &patch_op(json!([{"op": "replace", "value": {"active": false}}])))
        .await
        .expect_scim_error(404);
    mine.delete(&format!("/Users/{their_uid}")).await.expect_scim_error(404);
    mine.get(&format!("/Groups/{their_gid}")).await.expect_scim_error(404);
    mine.delete(&format!("/Groups/{their_gid}")).await.expect_scim_error(404);

    // My credentials against their URL: 401.
    let at_theirs = mine.at(&other.tenant_url);
    at_theirs.get(&format!("/Users/{their_uid}")).await.expect_scim_error(401);
    at_theirs.delete(&format!("/Users/{their_uid}")).await.expect_scim_error(401);

    assert_eq!(theirs.get(&format!("/Users/{their_uid}")).await.expect(200).json(), their_before);
    assert_eq!(theirs.users_total().await, 1);
    assert_eq!(theirs.groups_total().await, 1);
    f.unchanged("cross-tenant ids").await;
}

#[tokio::test]
async fn patch_path_errors() {
    let f = fixture().await;
    let up = f.user_path();
    let gp = f.group_path();

    // Unknown attribute paths: invalidPath.
    for path in ["nonexistentAttribute", "name.nonexistent", "emails[type eq \"work\"].bogus", "urn:example:nope:attr"]
    {
        f.scim
            .patch(&up, &patch_op(json!([{"op": "replace", "path": path, "value": "x"}])))
            .await
            .expect_scim_type(400, "invalidPath");
    }
    f.scim
        .patch(&gp, &patch_op(json!([{"op": "add", "path": "owners", "value": [{"value": "x"}]}])))
        .await
        .expect_scim_type(400, "invalidPath");
    // Malformed paths, the value filter of a valuePath included (RFC 7644 Figure 7): invalidPath.
    for path in ["emails[type eq", "name..givenName", "emails[]", "]"] {
        f.scim
            .patch(&up, &patch_op(json!([{"op": "replace", "path": path, "value": "x"}])))
            .await
            .expect_scim_type(400, "invalidPath");
    }
    // Remove without a path: noTarget.
    f.scim.patch(&up, &patch_op(json!([{"op": "remove"}]))).await.expect_scim_type(400, "noTarget");
    f.scim
        .patch(&gp, &patch_op(json!([{"op": "remove", "value": {"displayName": "x"}}])))
        .await
        .expect_scim_type(400, "noTarget");
    // Read-only attributes: mutability.
    for (path, value) in [("id", json!("new-id")), ("meta.created", json!("2020-01-01T00:00:00Z"))] {
        f.scim
            .patch(&up, &patch_op(json!([{"op": "replace", "path": path, "value": value}])))
            .await
            .expect_scim_type(400, "mutability");
    }
    f.scim
        .patch(&gp, &patch_op(json!([{"op": "replace", "path": "id", "value": "new-id"}])))
        .await
        .expect_scim_type(400, "mutability");
    // A failing operation after a good one: the whole PATCH is refused (atomic).
    f.scim
        .patch(
            &up,
            &patch_op(json!([
                {"op": "replace", "path": "title", "value": "should not stick"},
                {"op": "replace", "path": "nonexistentAttribute", "value": "x"}
            ])),
        )
        .await
        .expect_scim_type(400, "invalidPath");
    f.scim
        .patch(
            &gp,
            &patch_op(json!([
                {"op": "replace", "path": "displayName", "value": "should not stick"},
                {"op": "remove"}
            ])),
        )
        .await
        .expect_scim_type(400, "noTarget");
    // userName taken through PATCH and PUT: 409.
    let other = id_of(&f.scim.create_user("other.fixture@example.com").await);
    f.scim
        .patch(&up, &patch_op(json!([{"op": "replace", "path": "userName", "value": "OTHER.fixture@example.com"}])))
        .await
        .expect_scim_type(409, "uniqueness");
    f.scim
        .put(&up, &okta_user("Other.Fixture@example.com", "Given", "Family"))
        .await
        .expect_scim_type(409, "uniqueness");
    f.scim.delete(&format!("/Users/{other}")).await.expect(204);
    f.unchanged("PATCH path errors").await;
}

#[tokio::test]
async fn unsupported_methods() {
    let f = fixture().await;
    let body = patch_op(json!([{"op": "replace", "value": {"active": false}}]));
    let cases = [
        (Method::PATCH, "/Users".to_string()),
        (Method::PUT, "/Users".to_string()),
        (Method::DELETE, "/Users".to_string()),
        (Method::PATCH, "/Groups".to_string()),
        (Method::DELETE, "/Groups".to_string()),
        (Method::POST, f.user_path()),
        (Method::POST, f.group_path()),
        (Method::PUT, "/ResourceTypes/User".to_string()),
    ];
    // Each path is an endpoint the service has, the method one it does not support there:
    // 405 (RFC 9110 §15.5.6), not 404 (which says the endpoint does not exist).
    for (method, path) in cases {
        f.scim.send(method, &path, Some(Body::Json(body.clone())), &[]).await.expect_scim_error(405);
    }
    // The discovery endpoints answer only GET: anything else is 405 (scim2-tester checks it).
    for path in ["/ServiceProviderConfig", "/ResourceTypes", "/Schemas"] {
        for method in [Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
            f.scim.send(method, path, Some(Body::Json(body.clone())), &[]).await.expect_scim_error(405);
        }
    }
    f.unchanged("unsupported methods").await;
}

#[tokio::test]
async fn bad_paging_parameters() {
    let f = fixture().await;
    for q in ["startIndex=abc", "count=abc", "startIndex=1.5", "count=1e3", "startIndex=%00"] {
        for collection in ["/Users", "/Groups"] {
            f.scim.get(&format!("{collection}?{q}")).await.expect_scim_type(400, "invalidValue");
        }
    }
    // RFC 7644 §3.4.2.4: startIndex < 1 is 1, a negative count is 0.
    let list = f.scim.list("/Users?startIndex=-3&count=10").await;
    assert_eq!(list["startIndex"], 1);
    assert_eq!(list["totalResults"], 1);
    assert_eq!(list["itemsPerPage"], 1);
    let list = f.scim.list("/Users?count=-1").await;
    assert_eq!(list["itemsPerPage"], 0);
    assert_eq!(list["Resources"], json!([]));
    // Numbers past any integer type are still integers (RFC 7644 §3.4.2.4 bounds neither):
    // a start past the end is an empty page, a count past the cap is the cap (as
    // count=1000000 is), and the negative ones are 1 and 0 as above.
    let list = f.scim.list("/Users?startIndex=99999999999999999999&count=99999999999999999999").await;
    assert_eq!(list["totalResults"], 1);
    assert_eq!(list["Resources"], json!([]));
    let list = f.scim.list("/Users?count=99999999999999999999").await;
    assert_eq!(list["itemsPerPage"], 1, "{list}");
    let list = f.scim.list("/Users?startIndex=-99999999999999999999&count=-99999999999999999999").await;
    assert_eq!(list["startIndex"], 1);
    assert_eq!(list["itemsPerPage"], 0);
    f.unchanged("bad paging parameters").await;
}

#[tokio::test]
async fn both_attributes_and_excluded_attributes() {
    let f = fixture().await;
    // RFC 7644 §3.4.2.5 has a client use one of the two; sent both, the service answers with
    // `attributes` and ignores `excludedAttributes`: the client gets what it asked for, and
    // `id` and `schemas`, which are always returned (RFC 7643 §7, §3).
    let r = f.scim.get(&format!("{}?attributes=userName&excludedAttributes=emails", f.user_path())).await.expect(200);
    let u = r.json();
    assert_eq!(u["id"], json!(f.uid), "{u}");
    assert_eq!(u["schemas"], json!([USER]), "{u}");
    assert_eq!(u["userName"], "fixture@example.com", "{u}");
    let keys: BTreeSet<&str> = u.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        BTreeSet::from(["id", "schemas", "userName"]),
        "what was asked for and what is always returned: {u}"
    );
    // `attributes` wins even over an exclusion of what it names.
    let u = f
        .scim
        .get(&format!("{}?attributes=userName,emails&excludedAttributes=emails", f.user_path()))
        .await
        .expect(200)
        .json();
    assert_eq!(u["emails"], f.snapshot.user["emails"], "{u}");
    assert_eq!(u["userName"], "fixture@example.com", "{u}");
    assert!(u.get("name").is_none(), "{u}");
    f.unchanged("attributes and excludedAttributes").await;
}
