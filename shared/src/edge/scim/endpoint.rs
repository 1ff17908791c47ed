//! Which SCIM endpoint a request path names: `…/scim/v2/{tenant}/{endpoint}[/{id}]`.
//!
//! Anything before `/scim/v2/` (an API Gateway stage) is kept, for the tenant URL when no
//! public URL is configured ([`crate::public_url::PublicUrl::for_request`]).

use crate::public_url::TENANTS_PATH;

/// A SCIM endpoint under a tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    Users,
    User(String),
    /// `POST /Users/.search`
    UsersSearch,
    Groups,
    Group(String),
    GroupsSearch,
    /// `POST /.search` across resource types.
    Search,
    ServiceProviderConfig,
    ResourceTypes,
    ResourceType(String),
    Schemas,
    Schema(String),
    /// Anything else under the tenant: a SCIM 404.
    Unknown,
}

impl Endpoint {
    /// The route template for logs: ids never appear in it.
    pub fn template(&self) -> &'static str {
        match self {
            Endpoint::Users => "/Users",
            Endpoint::User(_) => "/Users/{id}",
            Endpoint::UsersSearch => "/Users/.search",
            Endpoint::GroupsSearch => "/Groups/.search",
            Endpoint::Search => "/.search",
            Endpoint::Groups => "/Groups",
            Endpoint::Group(_) => "/Groups/{id}",
            Endpoint::ServiceProviderConfig => "/ServiceProviderConfig",
            Endpoint::ResourceTypes => "/ResourceTypes",
            Endpoint::ResourceType(_) => "/ResourceTypes/{id}",
            Endpoint::Schemas => "/Schemas",
            Endpoint::Schema(_) => "/Schemas/{id}",
            Endpoint::Unknown => "(unknown)",
        }
    }
}

/// A request path split into tenant and endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimPath {
    /// What the path carries before [`TENANTS_PATH`]: an API Gateway stage (`/prod`), or
    /// nothing.
    pub stage: String,
    pub tenant: String,
    pub endpoint: Endpoint,
}

/// Longest tenant id accepted: a UUID in simple form is 32 characters.
const MAX_TENANT_LEN: usize = 64;

impl ScimPath {
    /// None when the path is not under a well-formed tenant.
    pub fn parse(path: &str) -> Option<ScimPath> {
        let at = path
            .match_indices(TENANTS_PATH)
            .map(|(at, _)| at)
            .find(|&at| path[at + TENANTS_PATH.len()..].starts_with('/'))?;
        let rest = &path[at + TENANTS_PATH.len() + 1..];
        let (tenant, tail) = rest.split_once('/').unwrap_or((rest, ""));
        let tenant_ok = !tenant.is_empty()
            && tenant.len() <= MAX_TENANT_LEN
            && tenant.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !tenant_ok {
            return None;
        }
        let tail = tail.strip_suffix('/').unwrap_or(tail);
        let segments: Vec<&str> = if tail.is_empty() { vec![] } else { tail.split('/').collect() };
        let endpoint = match segments.as_slice() {
            ["Users"] => Endpoint::Users,
            ["Users", ".search"] => Endpoint::UsersSearch,
            ["Groups", ".search"] => Endpoint::GroupsSearch,
            [".search"] => Endpoint::Search,
            ["Users", id] => Endpoint::User(decode(id)),
            ["Groups"] => Endpoint::Groups,
            ["Groups", id] => Endpoint::Group(decode(id)),
            ["ServiceProviderConfig"] => Endpoint::ServiceProviderConfig,
            ["ResourceTypes"] => Endpoint::ResourceTypes,
            ["ResourceTypes", id] => Endpoint::ResourceType(decode(id)),
            ["Schemas"] => Endpoint::Schemas,
            ["Schemas", id] => Endpoint::Schema(decode(id)),
            _ => Endpoint::Unknown,
        };
        Some(ScimPath { stage: path[..at].to_owned(), tenant: tenant.to_owned(), endpoint })
    }
}

/// Percent-decodes a path segment; invalid escapes are kept as they are (the id then simply
/// names nothing).
fn decode(segment: &str) -> String {
    percent_decode(segment, false)
}

/// Percent-decodes `s`, and `+` to a space when `plus_is_space` (query strings); invalid
/// escapes are kept as they are.
pub(crate) fn percent_decode(s: &str, plus_is_space: bool) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%' && i + 2 < bytes.len())
            .then(|| std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok()))
            .flatten();
        match (bytes[i], escaped) {
            (_, Some(b)) => {
                out.push(b);
                i += 3;
                continue;
            }
            (b'+', None) if plus_is_space => out.push(b' '),
            (b, None) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_parse_with_and_without_a_stage() {
        let r = ScimPath::parse("/scim/v2/abc123/Users/42").unwrap();
        assert_eq!(r.tenant, "abc123");
        assert_eq!(r.stage, "");
        assert_eq!(r.endpoint, Endpoint::User("42".into()));
        let r = ScimPath::parse("/prod/scim/v2/abc/Groups/").unwrap();
        assert_eq!(r.stage, "/prod");
        assert_eq!(r.tenant, "abc");
        assert_eq!(r.endpoint, Endpoint::Groups);
        let r = ScimPath::parse("/scim/v2x/scim/v2/abc/Users").unwrap();
        assert_eq!((r.stage.as_str(), r.tenant.as_str(), r.endpoint), ("/scim/v2x", "abc", Endpoint::Users));
        assert_eq!(ScimPath::parse("/scim/v2/abc/Schemas/urn%3Ax").unwrap().endpoint, Endpoint::Schema("urn:x".into()));
        assert_eq!(ScimPath::parse("/scim/v2/abc/Users/a/b").unwrap().endpoint, Endpoint::Unknown);
        assert_eq!(ScimPath::parse("/scim/v2/abc/Me").unwrap().endpoint, Endpoint::Unknown);
        assert_eq!(ScimPath::parse("/scim/v2/abc/Users/.search").unwrap().endpoint, Endpoint::UsersSearch);
        assert_eq!(ScimPath::parse("/scim/v2/abc/.search").unwrap().endpoint, Endpoint::Search);
        assert_eq!(ScimPath::parse("/scim/v2/abc").unwrap().endpoint, Endpoint::Unknown);
    }

    #[test]
    fn malformed_tenants_and_paths_are_refused() {
        assert!(ScimPath::parse("/scim/v2/").is_none());
        assert!(ScimPath::parse("/scim/v2/a_b/Users").is_none());
        assert!(ScimPath::parse("/scim/v2/..%2F/Users").is_none());
        assert!(ScimPath::parse("/other").is_none());
        assert_eq!(decode("%2e%2e%2Fetc%zz%"), "../etc%zz%");
    }
}
