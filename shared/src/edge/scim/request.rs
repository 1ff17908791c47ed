//! An authenticated SCIM request: endpoint, tenant, query parameters and body, with the
//! parsing every endpoint shares (JSON bodies, list parameters, `If-Match`).

use std::num::IntErrorKind;

use http::{HeaderMap, Method};
use lambda_http::{Body, Request};
use serde_json::Value;

use super::endpoint::{percent_decode, Endpoint};
use crate::directory::{ListParams, Precondition, Tenant, MAX_COUNT};
use crate::scim::filter::Filter;
use crate::scim::resource::Projection;
use crate::scim::schema::ResourceType;
use crate::scim::ScimError;

/// `count` when the client sends none.
const DEFAULT_COUNT: usize = 100;

pub struct ScimRequest {
    pub method: Method,
    pub endpoint: Endpoint,
    pub tenant: Tenant,
    pub headers: HeaderMap,
    query: Vec<(String, String)>,
    body: Vec<u8>,
}

impl ScimRequest {
    /// The request for `tenant`'s `endpoint`; its body is within the edge's limit.
    pub(super) fn new(req: Request, endpoint: Endpoint, tenant: Tenant) -> ScimRequest {
        let query = req.uri().query().map(parse_query).unwrap_or_default();
        let (parts, body) = req.into_parts();
        let body = match body {
            Body::Empty => Vec::new(),
            Body::Text(t) => t.into_bytes(),
            Body::Binary(b) => b,
            _ => Vec::new(),
        };
        ScimRequest { method: parts.method, endpoint, tenant, headers: parts.headers, query, body }
    }

    /// The last value of a query parameter (names compared case-insensitively, as clients
    /// differ: `startIndex`, `startindex`).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query.iter().rev().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The body as JSON. Accepts `application/scim+json` and `application/json` (Okta's tools
    /// send either) or no content type.
    pub fn json(&self) -> Result<Value, ScimError> {
        if let Some(ct) = self.headers.get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) {
            let mime = ct.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
            if mime != "application/scim+json" && mime != "application/json" {
                return Err(ScimError::unsupported_media_type(format!(
                    "Content-Type {mime:?} is not supported: send application/scim+json."
                )));
            }
        }
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Err(ScimError::invalid_syntax("The request needs a JSON body."));
        }
        serde_json::from_slice(&self.body)
            .map_err(|e| ScimError::invalid_syntax(format!("The body is not valid JSON: {e}.")))
    }

    /// The `If-Match` precondition, every `If-Match` line taken together (RFC 9110 §5.3). A
    /// value that is not ASCII names no entity tag this service made, so it matches nothing
    /// (412) rather than counting as no precondition.
    pub fn precondition(&self) -> Precondition {
        let values: Vec<String> = self
            .headers
            .get_all(http::header::IF_MATCH)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect();
        Precondition((!values.is_empty()).then(|| values.join(",")))
    }

    /// What a list asks for: from the query string of a GET on a collection, or from the
    /// SearchRequest body of a POST to its `/.search` (RFC 7644 §3.4.3). `related` is the
    /// attribute that costs extra reads (`groups`, `members`), loaded only when wanted.
    pub fn list_request(&self, rt: &ResourceType, related: &str) -> Result<(ListParams, Projection), ScimError> {
        let fields = if self.method == Method::POST { search_fields(&self.json()?)? } else { self.query.clone() };
        let get = |name: &str| fields.iter().rev().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone());
        let projection = Projection::parse(get("attributes").as_deref(), get("excludedAttributes").as_deref())?;
        let filter = get("filter").as_deref().map(Filter::parse).transpose()?;
        let start_index = integer_param(get("startIndex").as_deref(), "startIndex")?.unwrap_or(1).max(1) as usize;
        let count = integer_param(get("count").as_deref(), "count")?
            .map(|c| c.clamp(0, MAX_COUNT as i64) as usize)
            .unwrap_or(DEFAULT_COUNT);
        if get("cursor").is_some() {
            return Err(ScimError::invalid_value("Cursor paging is not offered: page with startIndex and count."));
        }
        let with_related = projection.wants(rt, related);
        Ok((ListParams { filter, start_index, count, with_related }, projection))
    }

    /// `attributes` / `excludedAttributes` of a request on a single resource.
    pub fn projection(&self) -> Result<Projection, ScimError> {
        Projection::parse(self.param("attributes"), self.param("excludedAttributes"))
    }
}

/// URN of the SearchRequest message.
const SEARCH_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

/// A SearchRequest body as the query-string pairs it stands for: arrays of attribute names
/// joined with commas, numbers as digits.
fn search_fields(body: &Value) -> Result<Vec<(String, String)>, ScimError> {
    let is_search = body
        .get("schemas")
        .and_then(Value::as_array)
        .is_some_and(|s| s.iter().any(|u| u.as_str() == Some(SEARCH_REQUEST)));
    if !is_search {
        return Err(ScimError::invalid_syntax(format!("A search body's `schemas` must contain \"{SEARCH_REQUEST}\".")));
    }
    let fields = body.as_object().into_iter().flatten().filter_map(|(name, value)| {
        let value = match value {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Array(items) => items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(","),
            _ => return None,
        };
        Some((name.clone(), value))
    });
    Ok(fields.collect())
}

/// An integer query parameter. One past what an `i64` holds is still an integer (RFC 7644
/// §3.4.2.4 bounds neither `startIndex` nor `count`): it is taken as the largest (smallest).
fn integer_param(value: Option<&str>, name: &str) -> Result<Option<i64>, ScimError> {
    value
        .map(|v| match v.trim().parse::<i64>() {
            Ok(n) => Ok(n),
            Err(e) if *e.kind() == IntErrorKind::PosOverflow => Ok(i64::MAX),
            Err(e) if *e.kind() == IntErrorKind::NegOverflow => Ok(i64::MIN),
            Err(_) => Err(ScimError::invalid_value(format!("{name} must be an integer, not {v:?}."))),
        })
        .transpose()
}

/// `application/x-www-form-urlencoded` query pairs.
pub(crate) fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (form_decode(k), form_decode(v))
        })
        .collect()
}

fn form_decode(s: &str) -> String {
    percent_decode(s, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_decode_like_forms() {
        let q = parse_query("filter=userName+eq+%22a%2Bb%40x.com%22&startIndex=1&bad=%zz&&flag");
        assert_eq!(q[0], ("filter".into(), "userName eq \"a+b@x.com\"".into()));
        assert_eq!(q[1], ("startIndex".into(), "1".into()));
        assert_eq!(q[2], ("bad".into(), "%zz".into()));
        assert_eq!(q[3], ("flag".into(), "".into()));
        assert_eq!(form_decode("%4"), "%4");
    }

    #[test]
    fn integers_past_i64_saturate_and_non_integers_are_invalid_value() {
        assert_eq!(integer_param(Some(" 42 "), "count").unwrap(), Some(42));
        assert_eq!(integer_param(None, "count").unwrap(), None);
        assert_eq!(integer_param(Some("99999999999999999999"), "count").unwrap(), Some(i64::MAX));
        assert_eq!(integer_param(Some("-99999999999999999999"), "count").unwrap(), Some(i64::MIN));
        for bad in ["abc", "1.5", "1e3", "", "\0"] {
            let e = integer_param(Some(bad), "count").unwrap_err();
            assert_eq!((e.status, e.scim_type), (400, Some(crate::scim::ScimType::InvalidValue)), "{bad:?}");
        }
    }
}
