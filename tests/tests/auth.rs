//! Authentication (Basic and Bearer, everything else a SCIM 401) and tenant isolation: two
//! configurations are two tenants, and nothing of one is visible through the other.

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn basic_and_bearer_both_work() {
    let svc = TestService::start().await;
    let t = svc.create_tenant("both", "named").await;
    Scim::basic(&t).list("/Users?startIndex=1&count=2").await;
    Scim::bearer(&t).list("/Users?startIndex=1&count=2").await;
    Scim::bearer(&t).get("/ServiceProviderConfig").await.expect(200);
    Scim::basic(&t).get("/Groups?startIndex=1&count=100").await.expect(200);
}

#[tokio::test]
async fn everything_else_is_a_scim_401() {
    let svc = TestService::start().await;
    let t = svc.create_tenant("mine", "named").await;
    let other = svc.create_tenant("theirs", "named").await;
    let ok = Scim::basic(&t);
    let user = ok.create_okta_user("guarded@example.com").await;
    let uid = id_of(&user);
    let b64 = |s: &str| {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(s)
    };

    let bad_auths = vec![
        Auth::None,
        Auth::Basic { id: t.client_id.clone(), secret: format!("{}x", t.client_secret) },
        Auth::Basic { id: t.client_id.clone(), secret: String::new() },
        Auth::Basic { id: "someone-else".into(), secret: t.client_secret.clone() },
        Auth::Basic { id: other.client_id.clone(), secret: t.client_secret.clone() },
        Auth::Basic { id: other.client_id.clone(), secret: other.client_secret.clone() },
        Auth::Bearer(format!("{}x", t.client_secret)),
        Auth::Bearer(t.client_id.clone()),
        Auth::Bearer(other.client_secret.clone()),
        Auth::Bearer(String::new()),
        Auth::Header(format!("Token {}", t.client_secret)),
        Auth::Header(t.client_secret.clone()),
        Auth::Header("Basic !!!not-base64!!!".into()),
        Auth::Header(format!("Basic {}", b64(&t.client_id))),
        Auth::Header(format!("Basic {}", b64(&format!("{}:{}:", t.client_id, t.client_secret)))),
        Auth::Header("Bearer".into()),
        Auth::Header("Basic".into()),
    ];
    for auth in bad_auths {
        let scim = ok.with_auth(auth.clone());
        for path in ["/Users?startIndex=1&count=2".to_string(), format!("/Users/{uid}"), "/Groups".to_string()] {
            let r = scim.get(&path).await;
            assert_eq!(r.status, 401, "{auth:?} on {path}: {} {}", r.status, r.text);
            r.expect_scim_error(401);
        }
        scim.post("/Users", &minimal_user("intruder@example.com")).await.expect_scim_error(401);
        scim.delete(&format!("/Users/{uid}")).await.expect_scim_error(401);
        scim.patch(&format!("/Users/{uid}"), &patch_op(json!([{"op": "replace", "value": {"active": false}}])))
            .await
            .expect_scim_error(401);
    }

    // Nothing changed.
    assert_eq!(ok.users_total().await, 1);
    assert_eq!(ok.get(&format!("/Users/{uid}")).await.expect(200).json()["active"], true);
}

#[tokio::test]
async fn credentials_only_open_their_own_tenant_url() {
    let svc = TestService::start().await;
    let a = svc.create_tenant("tenant-a", "named").await;
    let b = svc.create_tenant("tenant-b", "named").await;
    assert_ne!(a.tenant_url, b.tenant_url);
    assert!(!a.tenant_url.contains('_'), "Okta refuses URLs with '_': {}", a.tenant_url);

    // A's credentials against B's URL, with either scheme.
    for scim in [Scim::basic(&a).at(&b.tenant_url), Scim::bearer(&a).at(&b.tenant_url)] {
        scim.get("/Users?startIndex=1&count=2").await.expect_scim_error(401);
        scim.post("/Users", &minimal_user("x@example.com")).await.expect_scim_error(401);
    }
    // An unknown tenant answers like a wrong secret.
    let unknown = format!("{}/scim/v2/no-such-tenant", svc.base_url);
    Scim::basic(&a).at(&unknown).get("/Users").await.expect_scim_error(401);
    assert_eq!(Scim::basic(&b).users_total().await, 0);
}

#[tokio::test]
async fn tenants_are_isolated() {
    let svc = TestService::start().await;
    let a = Scim::basic(&svc.create_tenant("iso-a", "named").await);
    let b = Scim::basic(&svc.create_tenant("iso-b", "named").await);

    let ua = a.create_okta_user("shared.name@example.com").await;
    let ua_id = id_of(&ua);
    let ga = a.create_group("Shared Group").await;
    let ga_id = id_of(&ga);
    a.patch(
        &format!("/Groups/{ga_id}"),
        &patch_op(json!([{"op": "add", "path": "members", "value": [{"value": ua_id}]}])),
    )
    .await
    .expect(204);

    // B sees none of it: lists, gets, filters.
    assert_eq!(b.users_total().await, 0);
    assert_eq!(b.groups_total().await, 0);
    b.get(&format!("/Users/{ua_id}")).await.expect_scim_error(404);
    b.get(&format!("/Groups/{ga_id}")).await.expect_scim_error(404);
    assert!(b.find_users("userName eq \"shared.name@example.com\"").await.is_empty());
    assert!(b.find_users(&format!("id eq \"{ua_id}\"")).await.is_empty());
    assert!(b.find_users("userName pr").await.is_empty());
    assert!(b.find_groups("displayName eq \"Shared Group\"").await.is_empty());

    // B cannot change A's resources through their ids.
    b.put(&format!("/Users/{ua_id}"), &okta_user("shared.name@example.com", "Hacked", "Hacked"))
        .await
        .expect_scim_error(404);
    b.patch(&format!("/Users/{ua_id}"), &patch_op(json!([{"op": "replace", "value": {"active": false}}])))
        .await
        .expect_scim_error(404);
    b.delete(&format!("/Users/{ua_id}")).await.expect_scim_error(404);
    b.patch(&format!("/Groups/{ga_id}"), &patch_op(json!([{"op": "replace", "path": "members", "value": []}])))
        .await
        .expect_scim_error(404);
    b.delete(&format!("/Groups/{ga_id}")).await.expect_scim_error(404);

    // A userName names one user in the whole subscription: B is told which configuration has
    // it (and learns nothing else). Group names are B's own; A's member can't join a B group.
    let taken = b.post("/Users", &okta_user("Shared.Name@example.com", "B", "B")).await;
    let detail = taken.expect_scim_type(409, "uniqueness")["detail"].as_str().unwrap_or_default().to_owned();
    assert!(detail.contains("\"iso-a\""), "{detail}");
    let ub = b.create_okta_user("other.name@example.com").await;
    assert_ne!(id_of(&ub), ua_id);
    let gb = id_of(&b.create_group("Shared Group").await);
    let r = b
        .patch(
            &format!("/Groups/{gb}"),
            &patch_op(json!([{"op": "add", "path": "members", "value": [{"value": ua_id}]}])),
        )
        .await;
    // The id names no user of B: 400 invalidValue, the answer for an id that names no user at
    // all (a 404 would say the group is missing; a 204 would have made the member).
    r.expect_scim_type(400, "invalidValue");
    assert!(!b.member_ids(&gb).await.contains(&ua_id), "another tenant's user became a member");

    // A is untouched.
    let got = a.get(&format!("/Users/{ua_id}")).await.expect(200).json();
    assert_eq!(got["name"]["givenName"], "Given");
    assert_eq!(got["active"], true);
    assert_eq!(a.member_ids(&ga_id).await, set([ua_id.as_str()]));
    assert_eq!(a.users_total().await, 1);
    assert_eq!(b.users_total().await, 1);
    assert_eq!(a.find_users("userName eq \"shared.name@example.com\"").await.len(), 1);
}

/// A rotated secret: the new one works at once, the old one is a 401 at once in the process
/// that rotated (other processes: within the credential cache's 60 s bound), and the
/// tenant's data and client ID stay.
#[tokio::test]
async fn a_rotated_secret_replaces_the_old_one() {
    let svc = TestService::start().await;
    let old = svc.create_tenant("rotating", "named").await;
    let user = id_of(&Scim::basic(&old).create_okta_user("rotated@example.com").await);
    let new = svc.rotate_secret(&old).await;
    assert_ne!(new.client_secret, old.client_secret);
    assert_eq!((new.client_id.as_str(), new.tenant_url.as_str()), (old.client_id.as_str(), old.tenant_url.as_str()));
    Scim::basic(&old).get(&format!("/Users/{user}")).await.expect_scim_error(401);
    Scim::bearer(&old).get("/Users").await.expect_scim_error(401);
    Scim::basic(&new).get(&format!("/Users/{user}")).await.expect(200);
    Scim::bearer(&new).get("/Users").await.expect(200);
}
