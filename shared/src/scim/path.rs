//! Attribute paths (RFC 7644 §3.10), the grammar every other path builds on (filters, and
//! PATCH paths in [`super::patch`]).
//!
//! Names keep the case the client sent; every comparison against the schema is
//! case-insensitive.

use super::ScimError;

/// `[urn:…:]attr[.subAttr]`: `userName`, `name.givenName`,
/// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`.
#[derive(Debug, Clone, PartialEq)]
pub struct AttrPath {
    /// The schema URN when the path names one.
    pub urn: Option<String>,
    pub attr: String,
    pub sub_attr: Option<String>,
}

impl AttrPath {
    /// Parses an attribute path as used in `attributes`, `excludedAttributes`, `sortBy`
    /// and on the left of a filter comparison.
    ///
    /// Surrounding whitespace is ignored. Errors are 400 `invalidValue` (the query parameter
    /// holding the path is what is wrong); the filter and PATCH parsers report the same
    /// mistakes as `invalidFilter` and `invalidPath`.
    pub fn parse(s: &str) -> Result<AttrPath, ScimError> {
        parse_attr_path(s.trim())
            .map_err(|why| ScimError::invalid_value(format!("Invalid attribute path '{}': {why}.", s.trim())))
    }
}

impl std::fmt::Display for AttrPath {
    /// The path as a client would write it: `urn:…:attr.subAttr`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(urn) = &self.urn {
            write!(f, "{urn}:")?;
        }
        f.write_str(&self.attr)?;
        if let Some(sub) = &self.sub_attr {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

/// The grammar shared by every kind of path; the error is a sentence fragment that callers wrap
/// in the error kind of their context.
pub(crate) fn parse_attr_path(s: &str) -> Result<AttrPath, String> {
    if s.is_empty() {
        return Err("the path is empty".into());
    }
    let (urn, rest) = split_urn(s)?;
    let (attr, sub_attr) = match rest.split_once('.') {
        Some((attr, sub)) => (attr, Some(sub)),
        None => (rest, None),
    };
    check_attr_name(attr)?;
    if let Some(sub) = sub_attr {
        if sub.contains('.') {
            return Err("a path names at most one sub-attribute ('attr.subAttr')".into());
        }
        check_attr_name(sub)?;
    }
    Ok(AttrPath { urn: urn.map(str::to_string), attr: attr.to_string(), sub_attr: sub_attr.map(str::to_string) })
}

/// Splits `urn:…:attr.sub` after the URN's last ':' (the URN itself contains ':' and '.',
/// e.g. `…:enterprise:2.0:User`, the attribute part contains no ':').
fn split_urn(s: &str) -> Result<(Option<&str>, &str), String> {
    let has_urn = s.len() >= 4 && s.as_bytes()[..4].eq_ignore_ascii_case(b"urn:");
    if !has_urn {
        return Ok((None, s));
    }
    let last = s.rfind(':').unwrap_or(3);
    let (urn, rest) = (&s[..last], &s[last + 1..]);
    // `urn:NID:NSS` at least, with no empty part.
    let parts = urn.split(':');
    if parts.clone().count() < 3 || parts.clone().any(str::is_empty) || !urn.chars().all(is_urn_char) {
        return Err(format!("'{urn}' is not a valid schema URN"));
    }
    if rest.is_empty() {
        return Err("name an attribute after the schema URN ('urn:…:User:userName')".into());
    }
    Ok((Some(urn), rest))
}

/// RFC 2141 URN characters, minus the brackets, quotes and parentheses that delimit paths
/// and filters.
fn is_urn_char(c: char) -> bool {
    c.is_ascii_graphic() && !matches!(c, '[' | ']' | '(' | ')' | '"')
}

/// RFC 7643 §2.1 ATTRNAME (`ALPHA *(ALPHA / DIGIT / "-" / "_")`), plus `$ref`.
pub(crate) fn check_attr_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let valid = name.eq_ignore_ascii_case("$ref")
        || (chars.next().is_some_and(|c| c.is_ascii_alphabetic())
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    if valid {
        Ok(())
    } else if name.is_empty() {
        Err("an attribute name is missing".into())
    } else {
        Err(format!("'{name}' is not an attribute name (a letter, then letters, digits, '-' or '_'; or '$ref')"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::schema::{ENTERPRISE_USER, USER};
    use crate::scim::ScimType;

    fn path(urn: Option<&str>, attr: &str, sub: Option<&str>) -> AttrPath {
        AttrPath { urn: urn.map(Into::into), attr: attr.into(), sub_attr: sub.map(Into::into) }
    }

    #[test]
    fn simple_and_dotted_paths() {
        assert_eq!(AttrPath::parse("userName").unwrap(), path(None, "userName", None));
        assert_eq!(AttrPath::parse("name.givenName").unwrap(), path(None, "name", Some("givenName")));
        assert_eq!(AttrPath::parse(" emails.value ").unwrap(), path(None, "emails", Some("value")));
        assert_eq!(AttrPath::parse("members.$ref").unwrap(), path(None, "members", Some("$ref")));
        assert_eq!(AttrPath::parse("x509Certificates").unwrap(), path(None, "x509Certificates", None));
        assert_eq!(AttrPath::parse("a-b_c").unwrap(), path(None, "a-b_c", None));
    }

    #[test]
    fn urn_prefixed_paths() {
        let p = AttrPath::parse(&format!("{ENTERPRISE_USER}:manager.value")).unwrap();
        assert_eq!(p, path(Some(ENTERPRISE_USER), "manager", Some("value")));
        let p = AttrPath::parse(&format!("{USER}:userName")).unwrap();
        assert_eq!(p, path(Some(USER), "userName", None));
        let p = AttrPath::parse("URN:IETF:params:scim:schemas:core:2.0:User:name.familyName").unwrap();
        assert_eq!(p, path(Some("URN:IETF:params:scim:schemas:core:2.0:User"), "name", Some("familyName")));
    }

    #[test]
    fn display_round_trips() {
        for s in
            ["userName", "name.givenName", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value"]
        {
            assert_eq!(AttrPath::parse(s).unwrap().to_string(), s);
        }
    }

    #[test]
    fn invalid_attribute_paths_are_invalid_value() {
        for s in [
            "",
            " ",
            "1abc",
            "user name",
            "a.b.c",
            "a.",
            ".a",
            "a..b",
            "urn:",
            "urn:x:",
            "urn::a",
            "urn:a",
            "ur:n:a",
            "a:b",
            "émail",
            "$refs",
            "a[b]",
            "a\"",
            "name.given-Name.x",
        ] {
            let e = AttrPath::parse(s).map(|p| p.to_string()).unwrap_err();
            assert_eq!((e.status, e.scim_type), (400, Some(ScimType::InvalidValue)), "{s:?}");
        }
        let e = AttrPath::parse("urn:a:b").unwrap_err();
        assert_eq!(
            (e.status, e.scim_type),
            (400, Some(ScimType::InvalidValue)),
            "'urn:a' lacks a namespace-specific part"
        );
        assert_eq!(AttrPath::parse("urn:a:b:c").unwrap(), path(Some("urn:a:b"), "c", None));
    }
}
