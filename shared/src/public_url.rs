//! The public base URL: where clients reach the service, and so the base of every URL it
//! writes (`Location`, `meta.location`, `$ref`). It comes from configuration
//! (`SCIM_PUBLIC_URL`, `local-api serve --public-url`) or from the platform (the domain name
//! API Gateway records for a request), never from a request's `Host` or `X-Forwarded-Proto`:
//! a client can send any value there, and a URL built from them would point whoever follows
//! it — an IdP storing `meta.location`, with its credentials — at another host.

use std::fmt;
use std::net::SocketAddr;

use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};

/// Where the tenants' SCIM endpoints are under the base: `{base}/scim/v2/{tenant}/…`.
pub const TENANTS_PATH: &str = "/scim/v2";

/// The base when neither configuration nor the platform names one (a handler called without
/// API Gateway's request context, as tests do). Fixed, so it is never the client's choice.
pub const FALLBACK: &str = "http://localhost";

/// An absolute `http` or `https` URL with a host and no query, fragment, credentials or
/// trailing slash: the part of every URL the service writes before `/scim/v2/…`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl(String);

impl PublicUrl {
    /// `text` as a public URL; the error says what is wrong with it, for an operator.
    pub fn parse(text: &str) -> Result<PublicUrl, String> {
        let example = "e.g. https://scim.example.com, or https://abc123.execute-api.eu-west-1.amazonaws.com/prod";
        if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!("{text:?} contains white space: give one absolute URL ({example})"));
        }
        if text.contains(['?', '#']) {
            return Err(format!("{text:?} has a query or fragment: give the base URL only ({example})"));
        }
        let uri: http::Uri =
            text.parse().map_err(|e| format!("{text:?} is not a URL ({e}): give an absolute URL ({example})"))?;
        let scheme = uri.scheme_str().map(str::to_ascii_lowercase);
        if !matches!(scheme.as_deref(), Some("http" | "https")) {
            return Err(format!("{text:?} is not an http or https URL ({example})"));
        }
        let authority = uri.authority().filter(|a| !a.host().is_empty());
        let Some(authority) = authority else {
            return Err(format!("{text:?} names no host ({example})"));
        };
        if authority.as_str().contains('@') {
            return Err(format!("{text:?} carries credentials: every URL the service writes would repeat them"));
        }
        let has_port = authority.as_str().len() > authority.host().len();
        if has_port && authority.port_u16().is_none() {
            return Err(format!("{text:?} has a port that is not a number from 0 to 65535 ({example})"));
        }
        let path = uri.path().trim_end_matches('/');
        if path.ends_with(TENANTS_PATH) {
            return Err(format!(
                "{text:?} ends in {TENANTS_PATH}: give the base the tenant paths are under ({example})"
            ));
        }
        Ok(PublicUrl(format!("{}://{authority}{path}", scheme.unwrap_or_default())))
    }

    /// The URL of a server listening at `addr` to clients that reach it there.
    pub fn listening_at(addr: SocketAddr) -> PublicUrl {
        PublicUrl(format!("http://{addr}"))
    }

    /// The base of the URLs in the answer to `req`: `configured` when there is one; else, on
    /// API Gateway, `https://` and the domain name API Gateway received the request on (its own
    /// record of it, not a header), followed by `stage`, what the request path carries before
    /// the tenant paths (a named stage: API Gateway routes nothing else there); else
    /// [`FALLBACK`] followed by `stage`.
    pub fn for_request(configured: Option<&PublicUrl>, req: &Request, stage: &str) -> PublicUrl {
        if let Some(url) = configured {
            return url.clone();
        }
        let domain = match req.request_context_ref() {
            Some(RequestContext::ApiGatewayV2(context)) => context.domain_name.as_deref(),
            _ => None,
        };
        let origin = domain.map(|domain| format!("https://{domain}")).unwrap_or_else(|| FALLBACK.to_owned());
        // A stage or domain that makes no URL (never on API Gateway) leaves the origin alone or
        // the fallback, rather than an answer with a broken URL in it.
        PublicUrl::parse(&format!("{origin}{stage}"))
            .or_else(|_| PublicUrl::parse(&origin))
            .unwrap_or_else(|_| PublicUrl(FALLBACK.to_owned()))
    }

    /// The URL of `tenant`'s SCIM endpoints: `{self}/scim/v2/{tenant}`.
    pub fn tenant_url(&self, tenant: &str) -> String {
        format!("{}{TENANTS_PATH}/{tenant}", self.0)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PublicUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_http_urls_are_accepted_and_normalised() {
        let url = |text: &str| PublicUrl::parse(text).map(|u| u.to_string());
        assert_eq!(url("https://scim.example.com").unwrap(), "https://scim.example.com");
        assert_eq!(url("https://scim.example.com/").unwrap(), "https://scim.example.com");
        assert_eq!(url("HTTPS://scim.example.com/prod/").unwrap(), "https://scim.example.com/prod");
        assert_eq!(url("http://127.0.0.1:3000").unwrap(), "http://127.0.0.1:3000");
        assert_eq!(url("http://[::1]:3000/a/b").unwrap(), "http://[::1]:3000/a/b");
        assert_eq!(url("http://[::1]").unwrap(), "http://[::1]");
        assert_eq!(
            PublicUrl::parse("https://x.example/prod").unwrap().tenant_url("t1"),
            "https://x.example/prod/scim/v2/t1"
        );
    }

    #[test]
    fn anything_but_a_base_url_is_refused_with_the_reason() {
        let refused = |text: &str, reason: &str| {
            let e = PublicUrl::parse(text).unwrap_err();
            assert!(e.contains(reason), "{text:?}: {e}");
        };
        refused("scim.example.com", "not an http or https URL");
        refused("/prod", "not an http or https URL");
        refused("ftp://scim.example.com", "not an http or https URL");
        refused("gopher://evil.example", "not an http or https URL");
        refused("https://", "not a URL");
        refused("https://:443/x", "names no host");
        refused("https://scim.example.com/?a=b", "query or fragment");
        refused("https://scim.example.com/#top", "query or fragment");
        refused("https://user:pw@scim.example.com", "credentials");
        refused("https://scim.example.com /x", "white space");
        refused("https://scim.example.com/scim/v2", "ends in /scim/v2");
        refused("https://scim.example.com/prod/scim/v2/", "ends in /scim/v2");
        refused("", "not a URL");
        refused("https://scim.example.com:99999", "port");
        refused("https://scim.example.com:https", "port");
    }

    fn request(event_context: Option<serde_json::Value>, host: &str) -> Request {
        let mut event = serde_json::json!({
            "version": "2.0",
            "routeKey": "$default",
            "rawPath": "/scim/v2/t1/Users",
            "rawQueryString": "",
            "headers": {"host": host, "x-forwarded-proto": "gopher"},
            "requestContext": {"http": {"method": "GET", "path": "/scim/v2/t1/Users"}, "stage": "$default"},
            "isBase64Encoded": false,
        });
        if let Some(context) = event_context {
            event["requestContext"]["domainName"] = context;
        }
        lambda_http::request::from_str(&event.to_string()).expect("an API Gateway v2 event")
    }

    #[test]
    fn a_request_is_answered_under_the_configured_url_else_api_gateways_domain_else_the_fallback() {
        let configured = PublicUrl::parse("https://scim.example.com/v").unwrap();
        let on_lambda = request(Some("abc.execute-api.eu-west-1.amazonaws.com".into()), "evil.example");
        assert_eq!(PublicUrl::for_request(Some(&configured), &on_lambda, "/prod"), configured);
        assert_eq!(
            PublicUrl::for_request(None, &on_lambda, "/prod").as_str(),
            "https://abc.execute-api.eu-west-1.amazonaws.com/prod"
        );
        assert_eq!(
            PublicUrl::for_request(None, &on_lambda, "").as_str(),
            "https://abc.execute-api.eu-west-1.amazonaws.com"
        );
        // No domain name from API Gateway: the fixed fallback, never the Host header.
        let without_domain = request(None, "evil.example");
        assert_eq!(PublicUrl::for_request(None, &without_domain, "").as_str(), FALLBACK);
        let mut plain = Request::default();
        plain.headers_mut().insert(http::header::HOST, http::HeaderValue::from_static("evil.example"));
        assert_eq!(PublicUrl::for_request(None, &plain, "/stage").as_str(), "http://localhost/stage");
        // A stage that makes no URL is dropped, and a domain that makes none falls back.
        assert_eq!(PublicUrl::for_request(None, &plain, "/a b").as_str(), FALLBACK);
        let odd_domain = request(Some("evil.example/x?".into()), "evil.example");
        assert_eq!(PublicUrl::for_request(None, &odd_domain, "").as_str(), FALLBACK);
    }
}
