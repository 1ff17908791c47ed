//! The web console's files, served by the manage function under [`ROOT`] (the admin API it
//! calls is under `/manage/v1`, beside it): a small module app without a build step, every
//! file of `assets/` built into the binary, so it needs nothing from elsewhere and works
//! offline.
//!
//! `/manage/assets/<file>` is one of [`ASSETS`] (or a 404); `/manage/signin/oidc` and
//! `/manage/signin/callback` are the sign-in through the OIDC issuer ([`super::signin`]); any
//! other path under `/manage/` is the app's shell, whose script reads the path and draws the page (`/manage/users`,
//! `/manage/users/<id>`, …); `/manage` itself redirects to `/manage/`. Every answer carries
//! [`CONTENT_SECURITY_POLICY`] and the other headers of [`secure`]: the app runs only its own
//! scripts and styles, talks only to its own origin and cannot be framed.

use http::header::{HeaderName, HeaderValue};
use lambda_http::{Body, Request, Response};

use super::{ManageError, Reply};
use crate::app::App;
use crate::edge::Labels;

pub use super::CONSOLE_ROOT as ROOT;

/// What a console page may load and do: its own scripts, styles, images and API only; no
/// inline script or style, no plugin, no `<base>`, forms only to itself, and no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// One file of the app.
pub struct Asset {
    /// Its path under `/manage/assets/`.
    pub name: &'static str,
    pub content_type: &'static str,
    pub body: &'static str,
}

const JS: &str = "text/javascript; charset=utf-8";

macro_rules! asset {
    ($name:literal, $type:expr) => {
        Asset { name: $name, content_type: $type, body: include_str!(concat!("assets/", $name)) }
    };
}

/// Every file of the app but its shell.
pub const ASSETS: &[Asset] = &[
    asset!("style.css", "text/css; charset=utf-8"),
    asset!("app.js", JS),
    asset!("api.js", JS),
    asset!("dom.js", JS),
    asset!("jobs.js", JS),
    asset!("pages/signin.js", JS),
    asset!("pages/home.js", JS),
    asset!("pages/users.js", JS),
    asset!("pages/user.js", JS),
    asset!("pages/configurations.js", JS),
    asset!("pages/groups.js", JS),
    asset!("pages/links.js", JS),
    asset!("pages/vaults.js", JS),
    asset!("pages/vault.js", JS),
    asset!("pages/vault-group.js", JS),
    asset!("pages/audit.js", JS),
];

/// The page every app path answers with; `%ROOT%` stands for where the console is.
const SHELL: &str = include_str!("assets/index.html");

/// Serves one request for a console path (any path under [`ROOT`] but the admin API's).
pub async fn serve(app: &App, req: Request) -> Response<Body> {
    let labels = Labels { route: "/manage/{proxy+}", tenant: String::new() };
    let mut response = crate::edge::serve::<ManageError, _>(req, labels, async |req: Request| {
        if !matches!(*req.method(), http::Method::GET | http::Method::HEAD) {
            return Err(ManageError::method_not_allowed(&["GET", "HEAD"]));
        }
        let (stage, rest) = split(req.uri().path());
        let root = format!("{stage}{ROOT}");
        if rest.is_empty() {
            return Ok(Reply::redirect(&format!("{root}/")).into_response());
        }
        if let Some(answer) = super::signin::route(app, &req, stage, rest).await {
            return Ok(answer);
        }
        if let Some(name) = rest.strip_prefix("/assets/") {
            let asset = ASSETS
                .iter()
                .find(|a| a.name == name)
                .ok_or_else(|| ManageError::not_found(format!("the console has no file {name:?}")))?;
            return Ok(file(asset.content_type, asset.body.to_owned(), "no-cache"));
        }
        Ok(file("text/html; charset=utf-8", SHELL.replace("%ROOT%", &root), "no-store"))
    })
    .await;
    secure(response.headers_mut());
    response
}

/// A file's answer.
fn file(content_type: &'static str, body: String, cache: &'static str) -> Response<Body> {
    let mut response = Response::new(Body::Text(body));
    let headers = response.headers_mut();
    headers.insert(http::header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(http::header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

/// The headers every console answer carries.
fn secure(headers: &mut http::HeaderMap) {
    let set = [
        (http::header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (http::header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (http::header::REFERRER_POLICY, "no-referrer"),
        (http::header::X_FRAME_OPTIONS, "DENY"),
        (HeaderName::from_static("cross-origin-opener-policy"), "same-origin"),
    ];
    for (name, value) in set {
        headers.insert(name, HeaderValue::from_static(value));
    }
}

/// The path split into the stage before [`ROOT`] and what follows it (empty, or from a `/`).
fn split(path: &str) -> (&str, &str) {
    let at = path
        .match_indices(ROOT)
        .map(|(at, _)| at)
        .find(|&at| path[at + ROOT.len()..].is_empty() || path[at + ROOT.len()..].starts_with('/'));
    match at {
        Some(at) => (&path[..at], &path[at + ROOT.len()..]),
        None => ("", path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app() -> App {
        App::embedded(std::sync::Arc::new(crate::store::sqlite::SqliteTable::in_memory()))
    }

    fn get(path: &str) -> Response<Body> {
        let req = http::Request::builder().uri(path).body(Body::Empty).unwrap();
        futures::executor::block_on(serve(&app(), req))
    }

    fn text(response: &Response<Body>) -> &str {
        match response.body() {
            Body::Text(t) => t,
            _ => "",
        }
    }

    #[test]
    fn paths_are_files_the_shell_or_a_redirect_and_every_answer_is_locked_down() {
        let shell = get("/prod/manage/users/42");
        assert_eq!(shell.status(), 200);
        assert!(text(&shell).contains(r#"src="/prod/manage/assets/app.js""#), "{}", text(&shell));
        assert!(!text(&shell).contains("%ROOT%"));
        let style = get("/manage/assets/style.css");
        assert_eq!(style.status(), 200);
        assert_eq!(style.headers()["content-type"], "text/css; charset=utf-8");
        assert_eq!(get("/manage/assets/pages/home.js").headers()["content-type"], JS);
        let missing = get("/manage/assets/nothing.js");
        assert_eq!(missing.status(), 404);
        let redirect = get("/prod/manage");
        assert_eq!(redirect.status(), 308);
        assert_eq!(redirect.headers()["location"], "/prod/manage/");
        for response in [shell, style, missing, redirect] {
            assert_eq!(response.headers()["content-security-policy"], CONTENT_SECURITY_POLICY);
            assert_eq!(response.headers()["x-content-type-options"], "nosniff");
            assert_eq!(response.headers()["referrer-policy"], "no-referrer");
        }
        let post = http::Request::builder().method("POST").uri("/manage/").body(Body::Empty).unwrap();
        assert_eq!(futures::executor::block_on(serve(&app(), post)).status(), 405);
    }

    #[test]
    fn every_script_the_app_imports_is_served() {
        for asset in ASSETS.iter().filter(|a| a.content_type == JS) {
            for line in asset.body.lines().filter(|l| l.trim_start().starts_with("import ")) {
                let Some(target) = line.split(['"', '\'']).nth(1) else { continue };
                let dir = asset.name.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
                let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
                for part in target.split('/') {
                    match part {
                        "." => {}
                        ".." => drop(parts.pop()),
                        other => parts.push(other),
                    }
                }
                let resolved = parts.join("/");
                assert!(ASSETS.iter().any(|a| a.name == resolved), "{} imports {target}: not served", asset.name);
            }
        }
    }
}
