//! The one route table: which function serves which request path. `template.yaml` declares the
//! same routes to API Gateway (a test in `local/tests/routes.rs` compares the two, and
//! `scripts/check-template` checks the SAM output against `local-api routes --json`), and
//! `local-api` dispatches by [`function_for`], so a request reaches the same function on a
//! laptop as on AWS. Adding a function's routes is adding entries here and to the template.
//!
//! The matching itself ([`matching`]) is API Gateway's, and an API's own route table (the admin
//! API's, in [`super::manage`]) uses it too, so a path means the same at both levels.

/// A Lambda function of the service; in text, its [`Function::name`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Function {
    Users,
    Groups,
    Discovery,
    Manage,
}

impl Function {
    pub const ALL: [Function; 4] = [Function::Users, Function::Groups, Function::Discovery, Function::Manage];

    /// The function's Cargo package and binary name (`functions/<name>`).
    pub fn name(self) -> &'static str {
        match self {
            Function::Users => "users",
            Function::Groups => "groups",
            Function::Discovery => "discovery",
            Function::Manage => "manage",
        }
    }

    /// The function's logical id in `template.yaml`.
    pub fn logical_id(self) -> &'static str {
        match self {
            Function::Users => "UsersFunction",
            Function::Groups => "GroupsFunction",
            Function::Discovery => "DiscoveryFunction",
            Function::Manage => "ManageFunction",
        }
    }
}

/// One route, as API Gateway's HTTP API writes it: a method (`ANY` for all) and a path
/// template whose segments are literals, `{name}` (one segment) or a final `{name+}` (greedy:
/// one or more segments).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub function: Function,
}

/// Every route of the service.
pub const ROUTES: &[Route] = &[
    Route { method: "ANY", path: "/scim/v2/{tenant}/Users", function: Function::Users },
    // Also `/Users/.search` (RFC 7644 §3.4.3): `.search` fills `{id}`.
    Route { method: "ANY", path: "/scim/v2/{tenant}/Users/{id}", function: Function::Users },
    Route { method: "ANY", path: "/scim/v2/{tenant}/Groups", function: Function::Groups },
    Route { method: "ANY", path: "/scim/v2/{tenant}/Groups/{id}", function: Function::Groups },
    // Discovery, `/.search` across types, and a SCIM 404 for anything else under a tenant.
    Route { method: "ANY", path: "/scim/v2/{tenant}", function: Function::Discovery },
    Route { method: "ANY", path: "/scim/v2/{tenant}/{proxy+}", function: Function::Discovery },
    // The admin API: its own route table (`edge::manage`) picks the handler, and answers a JSON
    // 404 or 405 for anything else under its base.
    Route { method: "ANY", path: "/manage/v1", function: Function::Manage },
    Route { method: "ANY", path: "/manage/v1/{proxy+}", function: Function::Manage },
    // The web console, served by the same function: every other path under /manage (the more
    // specific /manage/v1 routes win).
    Route { method: "ANY", path: "/manage", function: Function::Manage },
    Route { method: "ANY", path: "/manage/{proxy+}", function: Function::Manage },
];

/// How specifically a route matched a path: API Gateway prefers, segment by segment from the
/// left, a literal to a `{param}`, and any route without a greedy variable to one with it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Specificity {
    not_greedy: bool,
    literals: Vec<bool>,
}

/// The segments of a path: a trailing slash is dropped (the SCIM handlers read `/Users/` as
/// `/Users`), and empty segments never fill a variable.
fn segments(path: &str) -> Vec<&str> {
    let path = path.strip_suffix('/').unwrap_or(path);
    path.strip_prefix('/').unwrap_or(path).split('/').collect()
}

/// How `route` matches `path`, if it does, and the values of its variables (by name, without
/// braces; a greedy variable's value is the rest of the path, slashes included).
fn matches(route: &str, path: &[&str]) -> Option<(Specificity, Vec<(String, String)>)> {
    let pattern = segments(route);
    let mut literals = Vec::with_capacity(pattern.len());
    let mut params = Vec::new();
    for (i, part) in pattern.iter().enumerate() {
        if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix("+}")) {
            let rest = path.get(i..).filter(|rest| !rest.is_empty() && rest.iter().all(|s| !s.is_empty()))?;
            literals.extend(rest.iter().map(|_| false));
            params.push((name.to_owned(), rest.join("/")));
            return Some((Specificity { not_greedy: false, literals }, params));
        }
        let segment = path.get(i).filter(|s| !s.is_empty())?;
        if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            literals.push(false);
            params.push((name.to_owned(), (*segment).to_owned()));
        } else if part == segment {
            literals.push(true);
        } else {
            return None;
        }
    }
    (pattern.len() == path.len()).then_some((Specificity { not_greedy: true, literals }, params))
}

/// One entry of a route table that matched a path: the entry and the values of its template's
/// variables.
#[derive(Debug)]
pub struct Matched<'r, R> {
    pub route: &'r R,
    pub params: Vec<(String, String)>,
}

/// The entries of `routes` whose path template (`template` of an entry) matches `path` most
/// specifically, by API Gateway's precedence, whatever their methods: those of one template
/// (or of equally specific ones). Empty when no template matches. An API picks among them by
/// method, and answers 405 when none has the request's.
pub fn matching<'r, R>(routes: &'r [R], template: impl Fn(&R) -> &str, path: &str) -> Vec<Matched<'r, R>> {
    let path = segments(path);
    let found: Vec<(Specificity, Matched<'r, R>)> = routes
        .iter()
        .filter_map(|route| matches(template(route), &path).map(|(s, params)| (s, Matched { route, params })))
        .collect();
    let Some(best) = found.iter().map(|(s, _)| s).max().cloned() else {
        return Vec::new();
    };
    found.into_iter().filter(|(s, _)| *s == best).map(|(_, m)| m).collect()
}

/// The route of `routes` that API Gateway picks for `method path` (a path without stage or
/// query), if any: the most specific match whose method is `ANY` or `method`, and of two
/// equally specific paths the one for `method` rather than `ANY`.
pub fn route_for<'r>(routes: &'r [Route], method: &str, path: &str) -> Option<&'r Route> {
    let path = segments(path);
    routes
        .iter()
        .filter(|r| r.method == "ANY" || r.method.eq_ignore_ascii_case(method))
        .filter_map(|r| matches(r.path, &path).map(|(specificity, _)| ((specificity, r.method != "ANY"), r)))
        .max_by(|(a, _), (b, _)| a.cmp(b))
        .map(|(_, r)| r)
}

/// The function that serves `method path`, by [`ROUTES`].
pub fn function_for(method: &str, path: &str) -> Option<Function> {
    route_for(ROUTES, method, path).map(|r| r.function)
}

#[cfg(test)]
mod tests {
    use super::Function::*;
    use super::*;

    #[test]
    fn the_most_specific_route_wins_as_on_api_gateway() {
        let f = |path| function_for("GET", path);
        assert_eq!(f("/scim/v2/t/Users"), Some(Users));
        assert_eq!(f("/scim/v2/t/Users/"), Some(Users));
        assert_eq!(f("/scim/v2/t/Users/42"), Some(Users));
        assert_eq!(f("/scim/v2/t/Users/.search"), Some(Users), "{{id}} beats {{proxy+}}");
        assert_eq!(f("/scim/v2/t/Groups/.search"), Some(Groups));
        assert_eq!(f("/scim/v2/t/Users/42/x"), Some(Discovery), "only the greedy route takes three segments");
        assert_eq!(f("/scim/v2/t/.search"), Some(Discovery));
        assert_eq!(f("/scim/v2/t/Schemas/urn:x"), Some(Discovery));
        assert_eq!(f("/scim/v2/t"), Some(Discovery));
        assert_eq!(f("/scim/v2/t/"), Some(Discovery));
        assert_eq!(f("/scim/v2//Users"), None, "an empty segment fills no variable");
        assert_eq!(f("/scim/v2"), None);
        assert_eq!(f("/"), None);
        assert_eq!(f("/other/v2/t/Users"), None);
        assert_eq!(f("/scim/v2/t/users"), Some(Discovery), "literals are case-sensitive");
        assert_eq!(f("/manage/v1"), Some(Manage));
        assert_eq!(f("/manage/v1/openapi.json"), Some(Manage));
        assert_eq!(f("/manage/v1/subscriptions/s/configurations/c/secret"), Some(Manage));
        assert_eq!(f("/manage/v2/openapi.json"), Some(Manage), "the console's");
        assert_eq!(f("/manage"), Some(Manage));
        assert_eq!(f("/manage/users/42"), Some(Manage));
        assert_eq!(f("/managed"), None);
    }

    #[test]
    fn matching_gives_the_most_specific_templates_and_their_variables() {
        let table = ["/a/{x}", "/a/{x}/b", "/a/{x}/{y}", "/a/{rest+}", "/a/lit/b"];
        let found = |path| {
            matching(&table, |t| t, path)
                .into_iter()
                .map(|m| (*m.route, m.params))
                .collect::<Vec<(&str, Vec<(String, String)>)>>()
        };
        let p = |pairs: &[(&str, &str)]| pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<Vec<_>>();
        assert_eq!(found("/a/1"), vec![("/a/{x}", p(&[("x", "1")]))]);
        assert_eq!(found("/a/1/b/"), vec![("/a/{x}/b", p(&[("x", "1")]))]);
        assert_eq!(found("/a/lit/b"), vec![("/a/lit/b", p(&[]))]);
        assert_eq!(found("/a/1/c"), vec![("/a/{x}/{y}", p(&[("x", "1"), ("y", "c")]))]);
        assert_eq!(found("/a/1/c/d"), vec![("/a/{rest+}", p(&[("rest", "1/c/d")]))]);
        assert!(found("/b").is_empty());
    }

    #[test]
    fn a_route_for_one_method_leaves_the_others_to_any() {
        let routes = [
            Route { method: "POST", path: "/a/{x}", function: Users },
            Route { method: "ANY", path: "/a/{x}", function: Discovery },
        ];
        assert_eq!(route_for(&routes, "post", "/a/1").map(|r| r.function), Some(Users));
        assert_eq!(route_for(&routes, "GET", "/a/1").map(|r| r.function), Some(Discovery));
    }
}
