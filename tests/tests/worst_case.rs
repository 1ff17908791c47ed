//! The worst-case requests of `tests::worst_case` (the largest body in the costliest shape for
//! each endpoint), each against a fresh fixture: the answer it must get, nothing changed when
//! it is refused, and the service still answering. How long each takes is the `worst_case`
//! benchmark's to print (tests never assert times); here a quadratic path would show as a
//! suite that takes minutes, and a limit not checked at the edge as a 500.

mod common;

use common::*;
use reqwest::Method;
use serde_json::Value;
use tests::worst_case::{fixture_group, fixture_user, Fixture, CASES, HELD_EMAILS};

/// A fresh fixture in a fresh tenant: its user holds [`HELD_EMAILS`] emails and is the one
/// member of its group.
async fn fixture(scim: &Scim) -> Fixture {
    let user = scim.post("/Users", &fixture_user("fixture@example.com")).await.expect(201).json();
    assert_eq!(user["emails"].as_array().map(Vec::len), Some(HELD_EMAILS));
    let user_id = id_of(&user);
    let group = scim.post("/Groups", &fixture_group("Fixture Group", &user_id)).await.expect(201).json();
    Fixture { user_id, group_id: id_of(&group) }
}

async fn state(scim: &Scim, f: &Fixture) -> (Value, Value, u64, u64) {
    let user = scim.get(&format!("/Users/{}", f.user_id)).await.expect(200).json();
    let group = scim.get(&format!("/Groups/{}", f.group_id)).await.expect(200).json();
    (user, group, scim.users_total().await, scim.groups_total().await)
}

#[tokio::test]
async fn every_worst_case_gets_its_answer_and_refusals_change_nothing() {
    let (_svc, scim) = setup().await;
    for case in CASES {
        let f = fixture(&scim).await;
        let before = state(&scim, &f).await;
        let request = (case.request)(&f);
        assert!(
            request.body.len() <= shared::edge::MAX_BODY_BYTES,
            "{}: a body of {} bytes is over the edge's limit",
            case.name,
            request.body.len()
        );
        let method = Method::from_bytes(request.method.as_bytes()).unwrap();
        let body = (!request.body.is_empty()).then(|| Body::Raw(request.body.clone(), OKTA_CONTENT_TYPE));
        let r = scim.send(method, &request.path, body, &[]).await;
        match request.scim_type {
            Some(scim_type) => {
                let error = r.expect_scim_type(request.status, scim_type);
                assert!(!error["detail"].as_str().unwrap_or_default().is_empty(), "{}: {error}", case.name);
            }
            None => {
                r.expect(request.status);
            }
        }
        if request.changes_nothing {
            assert_eq!(state(&scim, &f).await, before, "{}: the refused request changed something", case.name);
        }
        // Clean up, so the next case's fixture can take the same names.
        scim.delete(&format!("/Groups/{}", f.group_id)).await.expect(204);
        scim.delete(&format!("/Users/{}", f.user_id)).await.expect(204);
        for extra in scim.find_users("userName pr").await {
            scim.delete(&format!("/Users/{}", id_of(&extra))).await.expect(204);
        }
    }
}

/// Case 1 of issue 7: values the same but for case are one value, in a body and in a PATCH,
/// and de-duplicating many values is done in one pass (the 1 MiB bodies above).
#[tokio::test]
async fn values_equal_but_for_case_are_one_value() {
    let (_svc, scim) = setup().await;
    let mut body = minimal_user("dup@example.com");
    body["emails"] = serde_json::json!([
        {"value": "Ada@Example.com", "type": "work"},
        {"value": "ada@example.COM", "type": "WORK"},
        {"value": "ada@example.com", "type": "home"},
    ]);
    let user = scim.post("/Users", &body).await.expect(201).json();
    let emails: Vec<(&str, &str)> = user["emails"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["value"].as_str().unwrap(), e["type"].as_str().unwrap()))
        .collect();
    assert_eq!(emails, [("Ada@Example.com", "work"), ("ada@example.com", "home")]);

    let add = patch_op(serde_json::json!([
        {"op": "add", "path": "emails", "value": [{"value": "ADA@EXAMPLE.COM", "type": "Work"}, {"value": "b@x.org"}]}
    ]));
    let user = scim.patch(&format!("/Users/{}", id_of(&user)), &add).await.expect(200).json();
    assert_eq!(user["emails"].as_array().unwrap().len(), 3, "{user}");

    let remove = patch_op(serde_json::json!([
        {"op": "remove", "path": "emails", "value": [{"value": "ADA@example.com"}, {"value": "B@X.ORG"}]}
    ]));
    let user = scim.patch(&format!("/Users/{}", id_of(&user)), &remove).await.expect(200).json();
    assert_eq!(user.get("emails"), None, "every email named (in any case) is gone: {user}");
}
