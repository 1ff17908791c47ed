//! The URLs the service writes (`Location`, `meta.location`, `members[].$ref`,
//! `groups[].$ref`) are under the base the server is configured with, whatever `Host` and
//! `X-Forwarded-Proto` a client sends: those headers are the client's to forge, and a URL
//! built from them would send the client's next requests, credentials included, elsewhere.

mod common;

use common::*;
use reqwest::Method;
use serde_json::{json, Value};
use shared::public_url::PublicUrl;

/// Headers a client forges to make the service name another host and scheme.
const FORGED: &[(&str, &str)] = &[("Host", "evil.example"), ("X-Forwarded-Proto", "gopher")];

/// Every URL in a user or group: its `meta.location` and the `$ref` of each member and group.
fn urls_in(resource: &Value) -> Vec<String> {
    let refs = ["members", "groups"]
        .iter()
        .flat_map(|attribute| resource[attribute].as_array().cloned().unwrap_or_default())
        .map(|item| item["$ref"].as_str().unwrap_or_default().to_owned());
    resource["meta"]["location"].as_str().map(str::to_owned).into_iter().chain(refs).collect()
}

fn assert_under(base: &str, urls: &[String], what: &str) {
    assert!(!urls.is_empty(), "{what}: no URLs");
    for url in urls {
        assert!(url.starts_with(&format!("{base}/scim/v2/")), "{what}: {url:?} is not under {base}");
    }
}

#[tokio::test]
async fn forged_host_and_forwarded_proto_never_reach_the_urls() {
    let (svc, scim) = setup().await;
    let base = svc.base_url.clone();

    let created = scim.send(Method::POST, "/Users", Some(Body::Json(minimal_user("forged@example.com"))), FORGED).await;
    let created = created.expect(201);
    let user = created.json();
    let location = created.header("location").expect("Location");
    assert_eq!(Some(location.as_str()), user["meta"]["location"].as_str(), "Location is meta.location");
    assert_under(&base, &urls_in(&user), "created user");
    let user_id = id_of(&user);

    let group = json!({"schemas": [GROUP], "displayName": "Forged", "members": [{"value": user_id}]});
    let created = scim.send(Method::POST, "/Groups", Some(Body::Json(group)), FORGED).await.expect(201);
    let group = created.json();
    assert_eq!(created.header("location").as_deref(), group["meta"]["location"].as_str(), "Location is meta.location");
    let urls = urls_in(&group);
    assert_eq!(urls.len(), 2, "meta.location and the member's $ref: {group}");
    assert_under(&base, &urls, "created group");
    assert_eq!(urls[1], format!("{}/Users/{user_id}", scim.url), "the member's $ref names the user");

    let user = scim.send(Method::GET, &format!("/Users/{user_id}"), None, FORGED).await.expect(200).json();
    let urls = urls_in(&user);
    assert_eq!(urls.len(), 2, "meta.location and the group's $ref: {user}");
    assert_under(&base, &urls, "read user");
    assert_eq!(urls[1], group["meta"]["location"], "the group's $ref names the group");

    let list = scim.send(Method::GET, "/Groups", None, FORGED).await.expect(200).json();
    assert_under(&base, &urls_in(&list["Resources"][0]), "listed group");
    let config = scim.send(Method::GET, "/ServiceProviderConfig", None, FORGED).await.expect(200).json();
    assert_under(&base, &urls_in(&config), "ServiceProviderConfig");
}

#[tokio::test]
async fn behind_a_proxy_the_urls_are_under_the_configured_public_url() {
    // As `local-api serve --public-url`: clients reach the server through a proxy at that URL.
    let public_url = PublicUrl::parse("https://scim.example.com/proxied").expect("a public URL");
    let svc = TestService::start_with(tests::test_app().await.with_public_url(public_url)).await;
    let tenant = svc.create_tenant("okta", "named").await;
    assert!(tenant.tenant_url.starts_with("https://scim.example.com/proxied/scim/v2/"), "{}", tenant.tenant_url);
    // The test reaches the server directly, where the proxy would.
    let direct = tenant.tenant_url.replace("https://scim.example.com/proxied", &svc.base_url);
    let scim = Scim::basic(&tenant).at(&direct);

    let created =
        scim.send(Method::POST, "/Users", Some(Body::Json(minimal_user("proxied@example.com"))), FORGED).await;
    let created = created.expect(201);
    let user = created.json();
    assert_eq!(created.header("location").as_deref(), user["meta"]["location"].as_str(), "Location is meta.location");
    assert_eq!(user["meta"]["location"], format!("{}/Users/{}", tenant.tenant_url, id_of(&user)));
}
