//! What IdPs do in parallel: racing creates of one userName, racing member PATCHes on one
//! group, many creates at once, racing conditional updates.

mod common;

use std::collections::BTreeSet;

use common::*;
use futures::future::join_all;
use reqwest::Method;
use serde_json::json;

/// 32 POSTs of one userName, each in another case, at once: exactly one 201, 31 × 409
/// uniqueness, and one user found. Repeated with a few names.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_creates_of_one_user_name_in_32_cases() {
    let (_svc, scim) = setup().await;
    for round in 0..4 {
        let base = format!("racer.name{round}@example.com");
        let variants: Vec<String> = (0..32).map(|m| case_variant(&base, m)).collect();
        assert_eq!(variants.iter().collect::<BTreeSet<_>>().len(), 32, "32 distinct spellings");
        let answers = join_all(variants.iter().enumerate().map(|(m, name)| {
            let scim = scim.clone();
            let mut body = okta_user(name, "Race", "Condition");
            body["externalId"] = json!(format!("race-{round}-{m}"));
            tokio::spawn(async move { scim.post("/Users", &body).await })
        }))
        .await;
        let answers: Vec<Resp> = answers.into_iter().map(|j| j.expect("task")).collect();
        let created: Vec<&Resp> = answers.iter().filter(|r| r.status == 201).collect();
        let conflicts: Vec<&Resp> = answers.iter().filter(|r| r.status == 409).collect();
        assert_eq!(
            created.len(),
            1,
            "round {round}: exactly one 201; statuses {:?}",
            answers.iter().map(|r| r.status).collect::<Vec<_>>()
        );
        assert_eq!(conflicts.len(), 31, "round {round}: the rest 409");
        for c in conflicts {
            c.expect_scim_type(409, "uniqueness");
        }
        let winner = created[0].json();
        let found = scim.find_users(&format!("userName eq \"{}\"", base.to_uppercase())).await;
        assert_eq!(found.len(), 1, "round {round}");
        assert_eq!(found[0]["id"], winner["id"]);
        assert_eq!(scim.users_total().await, round + 1);
    }
}

/// Two PATCHes adding different members to one group at once: both members end up there.
/// The race is run 20 times on fresh groups.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_member_adds_on_one_group_keep_both() {
    let (_svc, scim) = setup().await;
    let users = scim.create_users("adder", 40, 8).await;
    for round in 0..20 {
        let gid = id_of(&scim.create_group(&format!("Race Group {round}")).await);
        let (a, b) = (users[2 * round].clone(), users[2 * round + 1].clone());
        let path = format!("/Groups/{gid}");
        let pa = patch_op(json!([{"op": "add", "path": "members", "value": [{"value": a}]}]));
        let pb = patch_op(json!([{"op": "add", "path": "members", "value": [{"value": b}]}]));
        let (sa, sb) = (scim.clone(), scim.clone());
        let (pa_path, pb_path) = (path.clone(), path.clone());
        let ta = tokio::spawn(async move { sa.patch(&pa_path, &pa).await });
        let tb = tokio::spawn(async move { sb.patch(&pb_path, &pb).await });
        ta.await.unwrap().expect(204);
        tb.await.unwrap().expect(204);
        assert_eq!(scim.member_ids(&gid).await, set([a.as_str(), b.as_str()]), "round {round}");
    }
}

/// Several PATCHes on one group at once, mixing adds and removes of different members.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_mixed_member_patches_on_one_group() {
    let (_svc, scim) = setup().await;
    let users = scim.create_users("mixer", 24, 8).await;
    let gid = id_of(&scim.create_group("Mixed").await);
    let path = format!("/Groups/{gid}");
    // Start with the first 12 as members.
    let initial: Vec<_> = users[..12].iter().map(|u| json!({"value": u})).collect();
    scim.patch(&path, &patch_op(json!([{"op": "add", "path": "members", "value": initial}]))).await.expect(204);

    // At once: remove each of the first 12 and add each of the last 12, one PATCH apiece.
    let mut tasks = Vec::new();
    for (i, u) in users.iter().enumerate() {
        let scim = scim.clone();
        let path = path.clone();
        let op = if i < 12 {
            json!([{"op": "remove", "path": format!("members[value eq \"{u}\"]")}])
        } else {
            json!([{"op": "add", "path": "members", "value": [{"value": u}]}])
        };
        tasks.push(tokio::spawn(async move { scim.patch(&path, &patch_op(op)).await }));
    }
    for t in join_all(tasks).await {
        t.unwrap().expect(204);
    }
    let expected: BTreeSet<String> = users[12..].iter().cloned().collect();
    assert_eq!(scim.member_ids(&gid).await, expected);
}

/// 64 distinct users created at once: all 201, 64 distinct ids, totalResults 64.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_creates_of_64_distinct_users() {
    let (_svc, scim) = setup().await;
    let answers = join_all((0..64).map(|i| {
        let scim = scim.clone();
        tokio::spawn(
            async move { scim.post("/Users", &okta_user(&format!("many{i}@example.com"), "Many", "Users")).await },
        )
    }))
    .await;
    let mut ids = Vec::new();
    for a in answers {
        let r = a.unwrap().expect(201);
        ids.push(id_of(&r.json()));
    }
    assert_unique(&ids);
    assert_eq!(scim.users_total().await, 64);
    let listed = scim.all_user_ids(100).await;
    assert_eq!(listed.iter().cloned().collect::<BTreeSet<_>>(), ids.iter().cloned().collect::<BTreeSet<_>>());
}

/// PUTs racing with the same If-Match: exactly one wins, the others get 412.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_conditional_puts_have_one_winner() {
    let (_svc, scim) = setup().await;
    let user = scim.create_okta_user("optimistic@example.com").await;
    let id = id_of(&user);
    let path = format!("/Users/{id}");
    let r = scim.get(&path).await.expect(200);
    let etag = r.assert_etag_matches_version();
    let current = r.json();
    let tasks = (0..8).map(|i| {
        let scim = scim.clone();
        let path = path.clone();
        let etag = etag.clone();
        let mut body = current.clone();
        body["title"] = json!(format!("writer {i}"));
        tokio::spawn(async move {
            scim.send(Method::PUT, &path, Some(Body::Json(body)), &[("If-Match", etag.as_str())]).await
        })
    });
    let answers: Vec<Resp> = join_all(tasks).await.into_iter().map(|j| j.unwrap()).collect();
    let winners: Vec<&Resp> = answers.iter().filter(|r| r.status == 200).collect();
    assert_eq!(winners.len(), 1, "statuses {:?}", answers.iter().map(|r| r.status).collect::<Vec<_>>());
    for r in answers.iter().filter(|r| r.status != 200) {
        r.expect_scim_error(412);
    }
    let got = scim.get(&path).await.expect(200).json();
    assert_eq!(got["title"], winners[0].json()["title"]);
}

/// Deactivate and reactivate racing with group pushes on the same user leave consistent state.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn user_patches_racing_with_member_patches() {
    let (_svc, scim) = setup().await;
    let users = scim.create_users("busy", 8, 8).await;
    let gid = id_of(&scim.create_group("Busy").await);
    let mut tasks = Vec::new();
    for u in &users {
        let (s1, s2) = (scim.clone(), scim.clone());
        let (u1, u2, g) = (u.clone(), u.clone(), gid.clone());
        tasks.push(tokio::spawn(async move {
            s1.patch(&format!("/Users/{u1}"), &patch_op(json!([{"op": "replace", "value": {"active": false}}]))).await
        }));
        tasks.push(tokio::spawn(async move {
            s2.patch(
                &format!("/Groups/{g}"),
                &patch_op(json!([{"op": "add", "path": "members", "value": [{"value": u2}]}])),
            )
            .await
        }));
    }
    // RFC 7644 §3.5.2 lets a PATCH answer 200 with the resource or 204; this service answers
    // a user PATCH with the user (200) and a group PATCH with 204 (no member list to
    // serialise), however the two race.
    for t in join_all(tasks).await {
        let r = t.unwrap();
        if r.what.starts_with("PATCH /Users/") {
            let u = r.expect(200).json();
            assert_eq!(u["active"], false, "{u}");
        } else {
            let r = r.expect(204);
            assert!(r.text.is_empty(), "{}: 204 with a body: {}", r.what, r.text);
        }
    }
    assert_eq!(scim.member_ids(&gid).await, users.iter().cloned().collect::<BTreeSet<_>>());
    for u in &users {
        assert_eq!(scim.get(&format!("/Users/{u}")).await.expect(200).json()["active"], false);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_group_pushes_each_renaming_and_adding_a_member_all_succeed() {
    // Okta's Group Push: a rename (here each to its own name) then a member add, 8 at once.
    // Member changes move the group's version but not its document, so they must not make
    // the renames retry until they give up.
    let (_svc, scim) = setup().await;
    let users = scim.create_users("pusher", 8 * 5, 8).await;
    for round in 0..5 {
        let gid = id_of(&scim.create_group(&format!("Pushed {round}")).await);
        let path = format!("/Groups/{gid}");
        let pushes = (0..8).map(|i| {
            let (scim, path) = (scim.clone(), path.clone());
            let member = users[round * 8 + i].clone();
            let body = patch_op(json!([
                {"op": "replace", "value": {"id": gid, "displayName": format!("Pushed {round} v{i}")}},
                {"op": "add", "path": "members", "value": [{"value": member}]},
            ]));
            tokio::spawn(async move { scim.patch(&path, &body).await })
        });
        for push in pushes.collect::<Vec<_>>() {
            push.await.unwrap().expect(204);
        }
        let members: BTreeSet<String> = users[round * 8..round * 8 + 8].iter().cloned().collect();
        assert_eq!(scim.member_ids(&gid).await, members, "round {round}");
        let group = scim.get(&format!("{path}?excludedAttributes=members")).await.expect(200).json();
        let name = group["displayName"].as_str().unwrap();
        assert!((0..8).any(|i| name == format!("Pushed {round} v{i}")), "one of the renames won: {name}");
    }
}
