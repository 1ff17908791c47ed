//! RFC 7644 protocol details both IdPs rely on: `attributes` / `excludedAttributes`, the
//! filter grammar (and / or / not, co / sw / ew / pr / ne, value paths, case rules),
//! ETags and `If-Match`, `password` never returned.

mod common;

use std::collections::BTreeSet;

use common::*;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn attributes_and_excluded_attributes() {
    let (_svc, scim) = setup().await;
    let user = scim.create_okta_user("attrs@example.com").await;
    let id = id_of(&user);

    // attributes: the named ones plus those always returned (id, schemas).
    let u = scim.get(&format!("/Users/{id}?attributes=userName,name.givenName")).await.expect(200).json();
    assert_eq!(u["id"], json!(id));
    assert_eq!(u["userName"], "attrs@example.com");
    assert_eq!(u["name"]["givenName"], "Given");
    assert!(u["name"].get("familyName").is_none(), "{u}");
    for absent in ["emails", "displayName", "locale", "active", ENTERPRISE] {
        assert!(u.get(absent).is_none(), "{absent} not asked for: {u}");
    }
    // `schemas` lists what the answer holds: the core schema only, the extension being left out.
    assert_eq!(u["schemas"], json!([USER]), "{u}");

    // Attribute names are case-insensitive; extension attributes by full path.
    let u = scim
        .get(&format!("/Users/{id}?attributes=USERNAME,{}", enc(&format!("{ENTERPRISE}:department"))))
        .await
        .expect(200)
        .json();
    assert_eq!(u["id"], json!(id));
    assert_eq!(u["schemas"], json!([USER, ENTERPRISE]), "{u}");
    assert_eq!(u["userName"], "attrs@example.com");
    assert_eq!(u[ENTERPRISE]["department"], "Engineering");
    assert!(u[ENTERPRISE].get("employeeNumber").is_none(), "{u}");
    assert!(u.get("emails").is_none());

    // excludedAttributes: everything else.
    let u = scim.get(&format!("/Users/{id}?excludedAttributes=emails,name")).await.expect(200).json();
    assert!(u.get("emails").is_none() && u.get("name").is_none(), "{u}");
    assert_eq!(u["userName"], "attrs@example.com");
    assert_eq!(u["displayName"], "Given Family");
    assert_eq!(u[ENTERPRISE], user[ENTERPRISE], "{u}");
    assert_eq!(u["id"], json!(id));
    assert_eq!(u["schemas"], json!([USER, ENTERPRISE]), "{u}");

    // id cannot be excluded (returned: always, RFC 7643 §3.1); userName can (returned: default,
    // RFC 7643 §8.7.1), and the rest stays.
    let u = scim.get(&format!("/Users/{id}?excludedAttributes=id,userName")).await.expect(200).json();
    assert_eq!(u["id"], json!(id));
    assert_eq!(u["schemas"], json!([USER, ENTERPRISE]), "{u}");
    assert!(u.get("userName").is_none(), "{u}");
    assert_eq!(u["displayName"], "Given Family");
    assert_eq!(u["emails"], user["emails"]);

    // On lists too.
    let list =
        scim.list(&format!("/Users?attributes=userName&filter={}", enc("userName eq \"attrs@example.com\""))).await;
    assert_eq!(list["totalResults"], 1, "{list}");
    assert_eq!(list["Resources"], json!([{"schemas": [USER], "id": id, "userName": "attrs@example.com"}]));
    let list = scim.list("/Users?excludedAttributes=emails").await;
    let r = &list["Resources"][0];
    assert!(r.get("emails").is_none(), "{r}");
    assert_eq!(r["id"], json!(id));
    assert_eq!(r["schemas"], json!([USER, ENTERPRISE]), "{r}");
    assert_eq!(r["userName"], "attrs@example.com");
    assert_eq!(r["name"], user["name"]);

    // Asking for the password never returns it (returned: never); the rest of the ask is honoured.
    let u = scim.get(&format!("/Users/{id}?attributes=password,userName")).await.expect(200).json();
    assert_no_password(&u);
    assert_eq!(u, json!({"schemas": [USER], "id": id, "userName": "attrs@example.com"}));

    // On POST and PUT answers too.
    let r = scim.post("/Users?attributes=userName", &okta_user("attrs2@example.com", "A", "B")).await.expect(201);
    let u = r.json();
    let id2 = id_of(&u);
    assert_eq!(u, json!({"schemas": [USER], "id": id2, "userName": "attrs2@example.com"}));
    let put = okta_user("attrs2@example.com", "C", "D");
    let u = scim.put(&format!("/Users/{id2}?excludedAttributes=emails,name"), &put).await.expect(200).json();
    assert_eq!(u["id"], json!(id2));
    assert_eq!(u["displayName"], "C D");
    assert!(u.get("emails").is_none() && u.get("name").is_none(), "{u}");
}

#[tokio::test]
async fn password_is_never_returned() {
    let (_svc, scim) = setup().await;
    let mut body = okta_user("secret.keeper@example.com", "Secret", "Keeper");
    body["password"] = json!("Sup3r-Secret-Value");
    let r = scim.post("/Users", &body).await.expect(201);
    assert!(!r.text.contains("Sup3r-Secret-Value"));
    let u = r.json();
    assert_no_password(&u);
    let id = id_of(&u);
    let mut put = u.clone();
    put["password"] = json!("An0ther-Secret-Value");
    let r = scim.put(&format!("/Users/{id}"), &put).await.expect(200);
    assert!(!r.text.contains("An0ther-Secret-Value"));
    assert_no_password(&r.json());
    let r = scim
        .patch(
            &format!("/Users/{id}"),
            &patch_op(json!([{"op": "replace", "path": "password", "value": "Th1rd-Secret"}])),
        )
        .await
        .expect(200);
    assert!(!r.text.contains("Th1rd-Secret"));
    assert_no_password(&r.json());
    for path in [format!("/Users/{id}"), "/Users".into(), format!("/Users?filter={}", enc("userName pr"))] {
        let r = scim.get(&path).await.expect(200);
        for secret in ["Sup3r-Secret-Value", "An0ther-Secret-Value", "Th1rd-Secret"] {
            assert!(!r.text.contains(secret), "{path}: {}", r.text);
        }
        assert_no_password(&r.json());
    }
}

/// Users with varied attributes for the filter tests; returns userName → id.
async fn filter_fixture(scim: &Scim) -> std::collections::BTreeMap<String, String> {
    let users = [
        json!({"schemas": [USER], "userName": "alice@corp.example", "title": "Engineer", "active": true,
               "name": {"givenName": "Alice", "familyName": "Archer"},
               "emails": [{"type": "work", "value": "alice@corp.example"}, {"type": "home", "value": "alice@home.org"}]}),
        json!({"schemas": [USER], "userName": "bob@corp.example", "active": false,
               "name": {"givenName": "Bob", "familyName": "Baker"},
               "emails": [{"type": "work", "value": "bob@corp.example"}]}),
        json!({"schemas": [USER], "userName": "carol@other.example", "title": "Manager", "active": true,
               "name": {"givenName": "Carol", "familyName": "Archer"}}),
        json!({"schemas": [USER], "userName": "a.b+c@corp.example", "active": true}),
        json!({"schemas": [USER], "userName": "aXb+c@corp.example", "active": true}),
    ];
    let mut ids = std::collections::BTreeMap::new();
    for u in users {
        let created = scim.post("/Users", &u).await.expect(201).json();
        ids.insert(u["userName"].as_str().unwrap().to_string(), id_of(&created));
    }
    ids
}

async fn names(scim: &Scim, filter: &str) -> BTreeSet<String> {
    scim.find_users(filter).await.iter().map(|u| u["userName"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn filters() {
    let (_svc, scim) = setup().await;
    let ids = filter_fixture(&scim).await;
    let all: BTreeSet<String> = ids.keys().cloned().collect();

    let cases: Vec<(&str, Vec<&str>)> = vec![
        ("userName eq \"alice@corp.example\"", vec!["alice@corp.example"]),
        ("USERNAME EQ \"ALICE@CORP.EXAMPLE\"", vec!["alice@corp.example"]),
        (
            "userName ne \"alice@corp.example\"",
            vec!["bob@corp.example", "carol@other.example", "a.b+c@corp.example", "aXb+c@corp.example"],
        ),
        ("userName sw \"a\"", vec!["alice@corp.example", "a.b+c@corp.example", "aXb+c@corp.example"]),
        ("userName ew \"other.example\"", vec!["carol@other.example"]),
        (
            "userName co \"@corp\"",
            vec!["alice@corp.example", "bob@corp.example", "a.b+c@corp.example", "aXb+c@corp.example"],
        ),
        ("userName co \".b+\"", vec!["a.b+c@corp.example"]),
        ("userName eq \"a.b+c@corp.example\"", vec!["a.b+c@corp.example"]),
        ("title pr", vec!["alice@corp.example", "carol@other.example"]),
        ("not (title pr)", vec!["bob@corp.example", "a.b+c@corp.example", "aXb+c@corp.example"]),
        ("title pr and active eq true", vec!["alice@corp.example", "carol@other.example"]),
        ("active eq false", vec!["bob@corp.example"]),
        ("userName eq \"bob@corp.example\" or title eq \"Manager\"", vec!["bob@corp.example", "carol@other.example"]),
        ("name.familyName eq \"Archer\"", vec!["alice@corp.example", "carol@other.example"]),
        ("name.familyName eq \"Archer\" and not (name.givenName sw \"C\")", vec!["alice@corp.example"]),
        (
            "(userName sw \"a\" or userName sw \"b\") and active eq true",
            vec!["alice@corp.example", "a.b+c@corp.example", "aXb+c@corp.example"],
        ),
        ("emails[type eq \"work\" and value co \"@corp\"]", vec!["alice@corp.example", "bob@corp.example"]),
        ("emails[type eq \"home\"]", vec!["alice@corp.example"]),
        ("emails.value ew \".org\"", vec!["alice@corp.example"]),
        ("emails pr", vec!["alice@corp.example", "bob@corp.example"]),
        ("title eq \"engineer\"", vec!["alice@corp.example"]),
        ("userName eq \"nobody@corp.example\"", vec![]),
    ];
    for (filter, expected) in cases {
        let expected: BTreeSet<String> = expected.into_iter().map(String::from).collect();
        assert_eq!(names(&scim, filter).await, expected, "filter {filter}");
    }

    // id and meta attributes are filterable too.
    let alice = &ids["alice@corp.example"];
    assert_eq!(names(&scim, &format!("id eq \"{alice}\"")).await, set(["alice@corp.example"]));
    assert_eq!(names(&scim, "meta.resourceType eq \"User\"").await, all);

    // Filters on groups.
    scim.create_group("Alpha Team").await;
    scim.create_group("Beta Team").await;
    let groups = scim.find_groups("displayName sw \"Alpha\" or displayName co \"eta\"").await;
    assert_eq!(groups.len(), 2);
    let groups = scim.find_groups("displayName eq \"alpha team\"").await;
    assert_eq!(groups.len(), 1, "displayName is not case-exact");
}

#[tokio::test]
async fn invalid_filters_are_400_invalid_filter() {
    let (_svc, scim) = setup().await;
    scim.create_user("someone@example.com").await;
    for f in [
        "userName eq",
        "userName zz \"x\"",
        "(userName eq \"x\"",
        "userName eq \"x\")",
        "userName eq \"unterminated",
        "and",
        "userName eq \"x\" and",
        "emails[type eq \"work\"",
        "userName pr pr",
    ] {
        let r = scim.get(&format!("/Users?filter={}", enc(f))).await;
        r.expect_scim_type(400, "invalidFilter");
    }
    // Still answering.
    assert_eq!(scim.users_total().await, 1);
}

#[tokio::test]
async fn etag_and_if_match() {
    let (_svc, scim) = setup().await;
    let user = scim.create_okta_user("etag@example.com").await;
    let id = id_of(&user);
    let path = format!("/Users/{id}");
    let r = scim.get(&path).await.expect(200);
    let v1 = r.assert_etag_matches_version();

    // A change moves the version on.
    let r = scim.patch(&path, &patch_op(json!([{"op": "replace", "path": "title", "value": "One"}]))).await.expect(200);
    let v2 = r.assert_etag_matches_version();
    assert_ne!(v1, v2);

    // Stale If-Match: 412, nothing changes.
    let stale = [("If-Match", v1.as_str())];
    let body = patch_op(json!([{"op": "replace", "path": "title", "value": "Two"}]));
    scim.send(Method::PATCH, &path, Some(Body::Json(body.clone())), &stale).await.expect_scim_error(412);
    let mut put = scim.get(&path).await.expect(200).json();
    put["title"] = json!("Three");
    scim.send(Method::PUT, &path, Some(Body::Json(put.clone())), &stale).await.expect_scim_error(412);
    scim.send(Method::DELETE, &path, None, &stale).await.expect_scim_error(412);
    // An If-Match that is not ASCII names no version: 412 too, never "no precondition".
    let foreign = format!("{}é", v2.trim_end_matches('"'));
    let garbled = [("If-Match", foreign.as_str())];
    scim.send(Method::PATCH, &path, Some(Body::Json(body.clone())), &garbled).await.expect_scim_error(412);
    scim.send(Method::DELETE, &path, None, &garbled).await.expect_scim_error(412);
    let r = scim.get(&path).await.expect(200);
    assert_eq!(r.json()["title"], "One");
    assert_eq!(r.assert_etag_matches_version(), v2);

    // Current If-Match: applies.
    let current = [("If-Match", v2.as_str())];
    let r = scim.send(Method::PUT, &path, Some(Body::Json(put)), &current).await.expect(200);
    assert_eq!(r.json()["title"], "Three");
    let v3 = r.assert_etag_matches_version();
    let r = scim.send(Method::PATCH, &path, Some(Body::Json(body)), &[("If-Match", v3.as_str())]).await.expect(200);
    let v4 = r.assert_etag_matches_version();
    scim.send(Method::DELETE, &path, None, &[("If-Match", v4.as_str())]).await.expect(204);
    scim.get(&path).await.expect_scim_error(404);

    // Groups carry ETags as well.
    let r = scim.post("/Groups", &json!({"schemas": [GROUP], "displayName": "Etagged"})).await.expect(201);
    let g1 = r.assert_etag_matches_version();
    let gid = id_of(&r.json());
    let rename = patch_op(json!([{"op": "replace", "path": "displayName", "value": "Etagged 2"}]));
    scim.patch(&format!("/Groups/{gid}"), &rename).await.expect(204);
    let r = scim.get(&format!("/Groups/{gid}")).await.expect(200);
    let g2 = r.assert_etag_matches_version();
    assert_ne!(g1, g2);
    let rename = patch_op(json!([{"op": "replace", "path": "displayName", "value": "Etagged 3"}]));
    scim.send(Method::PATCH, &format!("/Groups/{gid}"), Some(Body::Json(rename)), &[("If-Match", g1.as_str())])
        .await
        .expect_scim_error(412);
    assert_eq!(scim.get(&format!("/Groups/{gid}")).await.expect(200).json()["displayName"], "Etagged 2");
}

#[tokio::test]
async fn list_paging_parameters() {
    let (_svc, scim) = setup().await;
    scim.create_users("pager", 12, 4).await;

    // No parameters: startIndex 1, everything (12 < any sensible default).
    let list = scim.list("/Users").await;
    assert_eq!(list["totalResults"], 12);
    assert_eq!(list["startIndex"], 1);
    assert_eq!(list["itemsPerPage"], 12);

    // count=0: the total only.
    let list = scim.list("/Users?count=0").await;
    assert_eq!(list["totalResults"], 12);
    assert_eq!(list["Resources"], json!([]));

    // startIndex below 1 is 1 (RFC 7644 §3.4.2.4).
    for s in ["0", "-5"] {
        let list = scim.list(&format!("/Users?startIndex={s}&count=5")).await;
        assert_eq!(list["startIndex"], 1, "startIndex={s}");
        assert_eq!(list["itemsPerPage"], 5);
    }
    // A negative count is 0.
    let list = scim.list("/Users?count=-1").await;
    assert_eq!(list["totalResults"], 12);
    assert_eq!(list["itemsPerPage"], 0);
    assert_eq!(list["Resources"], json!([]));

    // A huge count is capped, not an error.
    let list = scim.list("/Users?count=1000000").await;
    assert_eq!(list["itemsPerPage"], 12);

    // The last partial page.
    let list = scim.list("/Users?startIndex=10&count=5").await;
    assert_eq!(list["startIndex"], 10);
    assert_eq!(list["itemsPerPage"], 3);

    let ids: Vec<String> = scim.all_user_ids(5).await;
    assert_eq!(ids.len(), 12);
    assert_unique(&ids);
}

#[tokio::test]
async fn member_ids_name_their_users_in_either_case() {
    // Ids are UUIDs, which compare case-insensitively (RFC 4122): a member named in upper
    // case is that user, added, kept and removed as such.
    let (_svc, scim) = setup().await;
    let ada = id_of(&scim.create_user("ada@example.com").await);
    let grace = id_of(&scim.create_user("grace@example.com").await);
    let created = scim
        .post(
            "/Groups",
            &json!({"schemas": [GROUP], "displayName": "Case", "members": [{"value": ada.to_uppercase()}]}),
        )
        .await
        .expect(201)
        .json();
    let group = id_of(&created);
    assert_eq!(member_set(&created), set([ada.as_str()]), "{created}");

    let add = json!([{"op": "add", "path": "members", "value": [{"value": grace.to_uppercase()}]}]);
    scim.patch(&format!("/Groups/{group}"), &patch_op(add)).await.expect(204);
    assert_eq!(scim.member_ids(&group).await, set([ada.as_str(), grace.as_str()]));

    let replace = json!([{"op": "replace", "path": "members", "value": [{"value": grace.to_uppercase()}]}]);
    scim.patch(&format!("/Groups/{group}"), &patch_op(replace)).await.expect(204);
    assert_eq!(scim.member_ids(&group).await, set([grace.as_str()]), "replace keeps the member named in upper case");

    let remove = json!([{"op": "remove", "path": format!("members[value eq \"{}\"]", grace.to_uppercase())}]);
    scim.patch(&format!("/Groups/{group}"), &patch_op(remove)).await.expect(204);
    assert!(scim.member_ids(&group).await.is_empty());
    let user = scim.get(&format!("/Users/{grace}")).await.expect(200).json();
    let groups = user.get("groups").and_then(|g| g.as_array()).map_or(0, Vec::len);
    assert_eq!(groups, 0, "the user left the group too: {user}");
}

#[tokio::test]
async fn paging_after_a_delete_counts_from_what_is_there_now() {
    // Two warm processes on one store: the one that lists remembers where its pages ended,
    // and must not trust that after a delete, made by itself or by the other.
    let mut apps = tests::test_apps(2).await;
    let deleter = TestService::start_with(apps.pop().expect("a second app")).await;
    let lister = TestService::start_with(apps.pop().expect("a first app")).await;
    let tenant = lister.create_tenant("okta", "named").await;
    let scim = Scim::basic(&tenant);
    let elsewhere = Tenant { tenant_url: tenant.tenant_url.replace(&lister.base_url, &deleter.base_url), ..tenant };
    let other = Scim::basic(&elsewhere);
    let mut ids = Vec::new();
    for i in 0..8 {
        ids.push(id_of(&scim.create_user(&format!("page{i}@example.com")).await));
    }
    let page = |start: usize, count: usize| {
        let scim = &scim;
        async move {
            let body = scim.get(&format!("/Users?startIndex={start}&count={count}")).await.expect(200).json();
            let ids: Vec<String> = body["Resources"].as_array().unwrap().iter().map(id_of).collect();
            (body["totalResults"].as_u64().unwrap(), ids)
        }
    };

    assert_eq!(page(1, 3).await.1, ids[0..3]);
    scim.delete(&format!("/Users/{}", ids[1])).await.expect(204);
    assert_eq!(page(4, 1).await, (7, vec![ids[4].clone()]), "index 4 after this process's delete");

    assert_eq!(page(1, 3).await.1, [ids[0].clone(), ids[2].clone(), ids[3].clone()]);
    other.delete(&format!("/Users/{}", ids[2])).await.expect(204);
    assert_eq!(page(4, 1).await, (6, vec![ids[5].clone()]), "index 4 after another process's delete");
    // Walking on from there in order still serves each remaining user once.
    let (_, rest) = page(5, 10).await;
    assert_eq!(rest, ids[6..8]);
}

#[tokio::test]
async fn members_in_every_spelling_change_members_or_are_a_400() {
    let (_svc, scim) = setup().await;
    let a = id_of(&scim.create_user("spelled-a@example.com").await);
    let b = id_of(&scim.create_user("spelled-b@example.com").await);
    let gid = id_of(&scim.create_group("Spelled").await);
    let path = format!("/Groups/{gid}");
    let send = |ops: serde_json::Value| {
        let (scim, path) = (scim.clone(), path.clone());
        async move { scim.patch(&path, &patch_op(ops)).await }
    };

    // The Group schema URN as the path, members inside its value.
    send(json!([{"op": "add", "path": GROUP, "value": {"members": [{"value": a}]}}])).await.expect(204);
    assert_eq!(scim.member_ids(&gid).await, set([a.as_str()]));
    // A path-less add keyed by the URN-qualified name, beside a rename.
    let key = format!("{GROUP}:members");
    send(json!([{"op": "add", "value": {key: [{"value": b}], "displayName": "Spelled Too"}}])).await.expect(204);
    assert_eq!(scim.member_ids(&gid).await, set([a.as_str(), b.as_str()]));
    let group = scim.get(&format!("{path}?excludedAttributes=members")).await.expect(200).json();
    assert_eq!(group["displayName"], "Spelled Too");
    // A path-less replace nesting members under the Group schema URN.
    send(json!([{"op": "replace", "value": {GROUP: {"members": [{"value": b}]}}}])).await.expect(204);
    assert_eq!(scim.member_ids(&gid).await, set([b.as_str()]));

    // What cannot name members to add or replace: 400, nothing changes.
    let filtered = format!("members[value eq \"{b}\"]");
    let r = send(json!([{"op": "replace", "value": {filtered: {"display": "B"}}}])).await;
    r.expect_scim_type(400, "invalidPath");
    let r = send(json!([{"op": "add", "value": {"members.value": a}}])).await;
    r.expect_scim_type(400, "invalidPath");
    let r =
        send(json!([{"op": "add", "value": {"members": [{"value": a}], GROUP: {"members": [{"value": a}]}}}])).await;
    r.expect_scim_type(400, "invalidValue");
    assert_eq!(scim.member_ids(&gid).await, set([b.as_str()]));
}

/// Case-insensitive matching is Unicode compatibility caseless matching (docs/clients.md):
/// "straße" and "STRASSE", "ασ" and "ΑΣ", a full-width and a plain name are one userName or
/// displayName, and filters find them by any of their spellings.
#[tokio::test]
async fn case_insensitive_names_fold_by_unicode_rules() {
    let (_svc, scim) = setup().await;
    for (first, second) in [
        ("straße@example.com", "STRASSE@EXAMPLE.COM"),
        ("ασ@example.com", "ΑΣ@example.com"),
        ("ＡＤＡ@example.com", "ada@example.com"),
        ("e\u{301}mile@example.com", "ÉMILE@example.com"),
    ] {
        let created = scim.post("/Users", &minimal_user(first)).await.expect(201).json();
        assert_eq!(created["userName"], first, "stored as sent");
        let taken = scim.post("/Users", &minimal_user(second)).await.expect_scim_type(409, "uniqueness");
        assert!(taken["detail"].as_str().unwrap().contains("userName"), "{taken}");
        let found = scim.find_users(&format!("userName eq \"{second}\"")).await;
        assert_eq!(found.iter().map(id_of).collect::<Vec<_>>(), [id_of(&created)], "{second}");
    }
    let found = scim.find_users("userName sw \"STRAS\"").await;
    assert_eq!(found.len(), 1, "sw compares folded forms: {found:?}");

    let group = scim.create_group("Straße").await;
    let mut twin = serde_json::json!({"schemas": [GROUP], "displayName": "STRASSE"});
    scim.post("/Groups", &twin).await.expect_scim_type(409, "uniqueness");
    twin["displayName"] = "Ströme".into();
    scim.post("/Groups", &twin).await.expect(201);
    let found = scim.find_groups("displayName eq \"strasse\"").await;
    assert_eq!(found.iter().map(id_of).collect::<Vec<_>>(), [id_of(&group)]);
}

/// A userName that fits its limit but whose case-folded form makes a key no store takes is a
/// 400 naming the limit, never a 500; and such a value in an `eq` filter matches nothing.
#[tokio::test]
async fn names_too_long_once_folded_are_400() {
    let (_svc, scim) = setup().await;
    // U+FDFA is 3 bytes and folds (NFKC) to 33: 300 of them are 900 bytes, 9,900 folded.
    let name = "\u{FDFA}".repeat(300);
    assert!(name.len() <= shared::directory::MAX_KEY_VALUE_LEN);
    let refused = scim.post("/Users", &minimal_user(&name)).await.expect_scim_type(400, "invalidValue");
    assert!(refused["detail"].as_str().unwrap().contains("1024"), "{refused}");
    assert!(scim.find_users(&format!("userName eq \"{name}\"")).await.is_empty());
    let rename = patch_op(serde_json::json!([{"op": "replace", "value": {"displayName": name}}]));
    let group = scim.create_group("Plain").await;
    scim.patch(&format!("/Groups/{}", id_of(&group)), &rename).await.expect_scim_type(400, "invalidValue");
    assert_eq!(scim.users_total().await, 0);
}

/// A page of a list holds at most `MAX_LIST_PAGE_BYTES` of resources: a page of large users
/// stops short of `count` (`itemsPerPage` says how many came), and walking by `startIndex +
/// itemsPerPage` yields every user once, filtered or not.
#[tokio::test]
async fn list_pages_stop_at_their_byte_bound() {
    let (_svc, scim) = setup().await;
    let users = 20;
    let title = "t".repeat(250 * 1024);
    let mut ids = Vec::new();
    for i in 0..users {
        let mut user = minimal_user(&format!("big-{i:02}@example.com"));
        user["title"] = json!(title);
        ids.push(id_of(&scim.post("/Users", &user).await.expect(201).json()));
    }
    let most = shared::directory::MAX_LIST_PAGE_BYTES / title.len();
    for filter in ["", "&filter=userName%20sw%20%22big%22"] {
        let (mut seen, mut start) = (Vec::new(), 1);
        loop {
            let page = scim.get(&format!("/Users?startIndex={start}&count=100{filter}")).await.expect(200).json();
            assert_eq!(page["totalResults"], users, "{filter}");
            let got = page["Resources"].as_array().unwrap();
            assert_eq!(page["itemsPerPage"], got.len());
            assert!(got.len() <= most, "{filter}: {} users of 250 KB in one page", got.len());
            if got.is_empty() {
                break;
            }
            seen.extend(got.iter().map(id_of));
            start += got.len();
        }
        assert_eq!(seen, ids, "{filter}: every user once, in order");
    }
}
