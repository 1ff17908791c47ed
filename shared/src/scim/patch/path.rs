//! PATCH paths (RFC 7644 §3.5.2): an attribute path, or a `valuePath` with a value filter
//! (`emails[type eq "work"].value`, `members[value eq "2819c223"]`).

use crate::scim::filter::Filter;
use crate::scim::path::{check_attr_name, parse_attr_path, AttrPath};
use crate::scim::ScimError;

/// A PATCH `path`: `attrPath`, or `valuePath[.subAttr]` such as
/// `emails[type eq "work"].value` or `members[value eq "2819c223"]`.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchPath {
    /// The attribute (with its URN), without the sub-attribute.
    pub attr: AttrPath,
    /// The value filter between brackets, evaluated against each element of `attr`.
    pub filter: Option<Filter>,
    /// The sub-attribute after the brackets (or after the dot when there is no filter).
    pub sub_attr: Option<String>,
}

impl PatchPath {
    /// Parses a PATCH operation's `path`. Errors are 400 `invalidPath`.
    ///
    /// Surrounding whitespace is ignored. The value filter is parsed by [`Filter::parse`];
    /// its paths are relative to an element of `attr`.
    pub fn parse(s: &str) -> Result<PatchPath, ScimError> {
        let s = s.trim();
        parse_patch_path(s).map_err(|why| ScimError::invalid_path(format!("Invalid PATCH path '{s}': {why}.")))
    }
}

fn parse_patch_path(s: &str) -> Result<PatchPath, String> {
    let Some(open) = s.find('[') else {
        // `name.givenName`: the sub-attribute moves out of `attr`, as after a filter.
        let mut attr = parse_attr_path(s)?;
        let sub_attr = attr.sub_attr.take();
        return Ok(PatchPath { attr, filter: None, sub_attr });
    };
    let attr = parse_attr_path(&s[..open])?;
    if attr.sub_attr.is_some() {
        return Err("a value filter '[…]' must follow a multi-valued attribute, not a sub-attribute".into());
    }
    // Only `.subAttr` may follow the filter and it cannot hold ']', so the last ']' closes the
    // filter even when a quoted value inside it contains brackets.
    let close = s.rfind(']').filter(|&c| c > open).ok_or("the value filter has no closing ']'")?;
    let filter = Filter::parse(&s[open + 1..close]).map_err(|e| e.detail.trim_end_matches('.').to_string())?;
    let sub_attr = match &s[close + 1..] {
        "" => None,
        rest => {
            let sub = rest.strip_prefix('.').ok_or("only '.subAttribute' may follow the value filter")?;
            check_attr_name(sub)?;
            Some(sub.to_string())
        }
    };
    Ok(PatchPath { attr, filter: Some(filter), sub_attr })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::schema::{ENTERPRISE_USER, USER};
    use crate::scim::ScimType;

    fn path(urn: Option<&str>, attr: &str, sub: Option<&str>) -> AttrPath {
        AttrPath { urn: urn.map(str::to_string), attr: attr.to_string(), sub_attr: sub.map(str::to_string) }
    }

    #[test]
    fn patch_path_without_filter_moves_the_sub_attribute_out() {
        let p = PatchPath::parse("name.givenName").unwrap();
        assert_eq!(p, PatchPath { attr: path(None, "name", None), filter: None, sub_attr: Some("givenName".into()) });
        let p = PatchPath::parse("members").unwrap();
        assert_eq!(p, PatchPath { attr: path(None, "members", None), filter: None, sub_attr: None });
        let p = PatchPath::parse(&format!("{ENTERPRISE_USER}:employeeNumber")).unwrap();
        assert_eq!(p.attr, path(Some(ENTERPRISE_USER), "employeeNumber", None));
    }

    #[test]
    fn patch_paths_with_value_filters() {
        let p = PatchPath::parse(r#"members[value eq "00u1abcd"]"#).unwrap();
        assert_eq!(p.attr, path(None, "members", None));
        assert_eq!(p.filter, Some(Filter::parse(r#"value eq "00u1abcd""#).unwrap()));
        assert_eq!(p.sub_attr, None);

        let p = PatchPath::parse(r#"emails[type eq "work"].value"#).unwrap();
        assert_eq!(p.attr, path(None, "emails", None));
        assert_eq!(p.filter, Some(Filter::parse(r#"type eq "work""#).unwrap()));
        assert_eq!(p.sub_attr.as_deref(), Some("value"));

        let p = PatchPath::parse(&format!(r#"{USER}:emails[type eq "work" and value co "]."].display"#)).unwrap();
        assert_eq!(p.attr, path(Some(USER), "emails", None));
        assert_eq!(p.filter, Some(Filter::parse(r#"type eq "work" and value co "].""#).unwrap()));
        assert_eq!(p.sub_attr.as_deref(), Some("display"));
    }

    #[test]
    fn invalid_patch_paths_are_invalid_path() {
        for s in [
            "",
            "1x",
            "a.b.c",
            "urn:x:",
            "members[",
            "members]",
            "a b",
            "members[]",
            "members[value]",
            "members[value eq]",
            "name.givenName[value pr]",
            r#"emails[type eq "work"]value"#,
            r#"emails[type eq "work"].value.x"#,
            r#"emails[type eq "work"]."#,
            r#"emails[type eq "work"].1"#,
            r#"emails[type eq "work""#,
        ] {
            let e = PatchPath::parse(s).unwrap_err();
            assert_eq!((e.status, e.scim_type), (400, Some(ScimType::InvalidPath)), "{s:?}");
        }
    }
}
