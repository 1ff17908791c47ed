//! The worst-case requests: for each endpoint, the largest body the edge accepts (1 MiB) in
//! the shape that costs the service the most (arrays of distinct values, many operations, long
//! filters, many member ids), with the answer each must get. `tests/worst_case.rs` sends them
//! on both engines and checks the answers and that nothing changed; the `worst_case` benchmark
//! sends them and prints how long each took. One list, so the test and the figures never drift.
//!
//! Every case runs against a fresh [`Fixture`]: a user holding [`HELD_EMAILS`] emails (about
//! half of what one resource may keep) and a group with that user as its one member.

use serde_json::{json, Value};
use shared::edge::MAX_BODY_BYTES;

/// How many emails the fixture user holds.
pub const HELD_EMAILS: usize = 4_000;

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const SEARCH: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

/// What a case runs against.
#[derive(Debug, Clone)]
pub struct Fixture {
    pub user_id: String,
    pub group_id: String,
}

/// The body of the fixture user (POST /Users).
pub fn fixture_user(user_name: &str) -> Value {
    let emails: Vec<Value> = (0..HELD_EMAILS).map(|i| json!({"value": held_email(i), "type": "work"})).collect();
    json!({"schemas": [USER], "userName": user_name, "emails": emails})
}

/// The body of the fixture group (POST /Groups), with `member` in it.
pub fn fixture_group(display_name: &str, member: &str) -> Value {
    json!({"schemas": [GROUP], "displayName": display_name, "members": [{"value": member}]})
}

fn held_email(i: usize) -> String {
    format!("held-{i:05}@example.com")
}

/// One request and the answer it must get.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: &'static str,
    /// Under the tenant URL: `/Users`, `/Users/<id>`, …
    pub path: String,
    pub body: Vec<u8>,
    pub status: u16,
    /// The `scimType` of the error, when it is one that has one.
    pub scim_type: Option<&'static str>,
    /// Whether the request changes nothing (every 4xx; some successes change nothing too).
    pub changes_nothing: bool,
}

/// A worst case: its name and how to build its request for a fixture.
pub struct Case {
    pub name: &'static str,
    pub request: fn(&Fixture) -> Request,
}

/// Every worst case.
pub const CASES: &[Case] = &[
    Case { name: "POST /Users: 1 MiB of distinct emails", request: create_with_distinct_emails },
    Case { name: "POST /Users: 1 MiB of one email in every case", request: create_with_one_email_in_every_case },
    Case { name: "PUT /Users/{id}: 1 MiB of distinct emails", request: replace_with_distinct_emails },
    Case { name: "PATCH /Users/{id}: add 1 MiB of distinct emails to 4,000", request: add_distinct_emails },
    Case { name: "PATCH /Users/{id}: remove 1 MiB of emails by value from 4,000", request: remove_emails_by_value },
    Case { name: "PATCH /Users/{id}: 1,000 filtered removes on 4,000 emails", request: filtered_removes },
    Case { name: "PATCH /Users/{id}: one add under 1 MiB of spellings of emails", request: add_under_many_spellings },
    Case { name: "PATCH /Users/{id}: 1 MiB value nested 100,000 deep", request: deeply_nested },
    Case { name: "GET /Users: the longest filter, every operator", request: longest_filter },
    Case { name: "POST /Users/.search: a 1 MiB filter", request: search_with_huge_filter },
    Case { name: "POST /Groups: 1 MiB of member ids", request: create_group_with_many_members },
    Case { name: "PUT /Groups/{id}: 1 MiB of member ids", request: replace_group_with_many_members },
    Case { name: "PATCH /Groups/{id}: add 1 MiB of member ids", request: add_many_members },
    Case { name: "PATCH /Groups/{id}: remove members by 1 MiB of filters", request: remove_members_by_filters },
    Case { name: "PATCH /Groups/{id}: rename to a 1 MiB displayName", request: rename_group_huge },
];

fn request(method: &'static str, path: String, body: Value, status: u16, scim_type: Option<&'static str>) -> Request {
    let body = serde_json::to_vec(&body).expect("a JSON body");
    Request { method, path, body, status, scim_type, changes_nothing: status >= 400 }
}

/// As many items from `item(i)` as fit `budget` bytes of JSON.
fn fill(budget: usize, item: impl Fn(usize) -> Value) -> Vec<Value> {
    let mut items = Vec::new();
    let mut used = 0;
    for i in 0.. {
        let next = item(i);
        let bytes = next.to_string().len() + 1;
        if used + bytes > budget {
            break;
        }
        used += bytes;
        items.push(next);
    }
    items
}

/// What a body may spend on its one large array: the limit less room for the rest.
const ARRAY_BUDGET: usize = MAX_BODY_BYTES - 1024;

fn distinct_emails() -> Vec<Value> {
    fill(ARRAY_BUDGET, |i| json!({"value": format!("new-{i:06}@example.com"), "type": "home"}))
}

fn create_with_distinct_emails(_: &Fixture) -> Request {
    let body = json!({"schemas": [USER], "userName": "wide@example.com", "emails": distinct_emails()});
    request("POST", "/Users".into(), body, 400, Some("invalidValue"))
}

fn create_with_one_email_in_every_case(_: &Fixture) -> Request {
    let address = "ada.lovelace@example.com";
    let variants = fill(ARRAY_BUDGET, |i| {
        let value: String = address
            .chars()
            .enumerate()
            .map(|(at, c)| if (i >> (at % 20)) & 1 == 1 { c.to_ascii_uppercase() } else { c })
            .collect();
        json!({"value": value})
    });
    let body = json!({"schemas": [USER], "userName": "one-address@example.com", "emails": variants});
    let mut r = request("POST", "/Users".into(), body, 201, None);
    r.changes_nothing = false;
    r
}

fn replace_with_distinct_emails(f: &Fixture) -> Request {
    let body = json!({"schemas": [USER], "userName": "fixture@example.com", "emails": distinct_emails()});
    request("PUT", format!("/Users/{}", f.user_id), body, 400, Some("invalidValue"))
}

fn patch(ops: Value) -> Value {
    json!({"schemas": [PATCH_OP], "Operations": ops})
}

fn add_distinct_emails(f: &Fixture) -> Request {
    let body = patch(json!([{"op": "add", "path": "emails", "value": distinct_emails()}]));
    request("PATCH", format!("/Users/{}", f.user_id), body, 400, Some("invalidValue"))
}

fn remove_emails_by_value(f: &Fixture) -> Request {
    // Every held email (in upper case: the same value) and then addresses nobody has.
    let named = fill(ARRAY_BUDGET, |i| match i < HELD_EMAILS {
        true => json!({"value": held_email(i).to_uppercase()}),
        false => json!({"value": format!("gone-{i:06}@example.com")}),
    });
    let body = patch(json!([{"op": "remove", "path": "emails", "value": named}]));
    let mut r = request("PATCH", format!("/Users/{}", f.user_id), body, 200, None);
    r.changes_nothing = false;
    r
}

fn filtered_removes(f: &Fixture) -> Request {
    let ops: Vec<Value> = (0..shared::scim::patch::MAX_OPERATIONS)
        .map(|i| json!({"op": "remove", "path": format!("emails[value eq \"nobody-{i}@example.com\"]")}))
        .collect();
    request("PATCH", format!("/Users/{}", f.user_id), patch(Value::Array(ops)), 400, Some("tooMany"))
}

fn add_under_many_spellings(f: &Fixture) -> Request {
    // `emails` and `urn:…:User:emails` in every case: each key names the same attribute.
    let key = format!("{USER}:emails");
    let mut value = serde_json::Map::new();
    let mut used = 0;
    for i in 0usize.. {
        let spelled: String = key
            .chars()
            .enumerate()
            .map(|(at, c)| if (i >> at) & 1 == 1 { c.to_ascii_uppercase() } else { c })
            .collect();
        let email = json!([{"value": format!("spelled-{i}@example.com")}]);
        used += spelled.len() + email.to_string().len() + 4;
        if used > ARRAY_BUDGET {
            break;
        }
        value.insert(spelled, email);
    }
    let body = patch(json!([{"op": "add", "value": value}]));
    request("PATCH", format!("/Users/{}", f.user_id), body, 400, Some("tooMany"))
}

fn deeply_nested(f: &Fixture) -> Request {
    let depth = 100_000;
    let mut body = br#"{"schemas":[""#.to_vec();
    body.extend_from_slice(PATCH_OP.as_bytes());
    body.extend_from_slice(br#""],"Operations":[{"op":"add","path":"title","value":"#);
    body.extend(std::iter::repeat_n(b'[', depth));
    body.extend(std::iter::repeat_n(b']', depth));
    body.extend_from_slice(b"}]}");
    Request {
        method: "PATCH",
        path: format!("/Users/{}", f.user_id),
        body,
        status: 400,
        scim_type: Some("invalidSyntax"),
        changes_nothing: true,
    }
}

/// The longest filter the service accepts ([`shared::scim::filter::MAX_FILTER_LEN`]), each
/// term a different operator on a different attribute.
pub fn longest_filter_text() -> String {
    let terms = [
        r#"emails co "example""#,
        r#"userName sw "fix""#,
        r#"name.familyName ew "x""#,
        r#"emails[type eq "work" and value co "held"]"#,
        r#"meta.lastModified gt "2020-01-01T00:00:00Z""#,
        r#"not (title pr)"#,
    ];
    let mut filter = String::new();
    for term in terms.iter().cycle() {
        let next = if filter.is_empty() { (*term).to_owned() } else { format!(" or {term}") };
        if filter.len() + next.len() > shared::scim::filter::MAX_FILTER_LEN {
            break;
        }
        filter.push_str(&next);
    }
    filter
}

fn longest_filter(_: &Fixture) -> Request {
    let query = longest_filter_text().bytes().map(|b| format!("%{b:02X}")).collect::<String>();
    Request {
        method: "GET",
        path: format!("/Users?filter={query}&count=1000"),
        body: Vec::new(),
        status: 200,
        scim_type: None,
        changes_nothing: true,
    }
}

fn search_with_huge_filter(_: &Fixture) -> Request {
    // 22 bytes of JSON a term: 16 of the term, 4 of " or ", 2 of escaped quotes.
    let filter = vec![r#"userName eq "x""#; ARRAY_BUDGET / 22].join(" or ");
    let body = json!({"schemas": [SEARCH], "filter": filter});
    request("POST", "/Users/.search".into(), body, 400, Some("invalidFilter"))
}

/// Member objects of ids no user has, filling the array budget.
fn unknown_members() -> Vec<Value> {
    fill(ARRAY_BUDGET, |i| json!({"value": format!("00000000-0000-4000-8000-{i:012}")}))
}

fn create_group_with_many_members(_: &Fixture) -> Request {
    let body = json!({"schemas": [GROUP], "displayName": "Crowd", "members": unknown_members()});
    request("POST", "/Groups".into(), body, 400, Some("invalidValue"))
}

fn replace_group_with_many_members(f: &Fixture) -> Request {
    let body = json!({"schemas": [GROUP], "displayName": "Fixture Group", "members": unknown_members()});
    request("PUT", format!("/Groups/{}", f.group_id), body, 400, Some("invalidValue"))
}

fn add_many_members(f: &Fixture) -> Request {
    let body = patch(json!([{"op": "add", "path": "members", "value": unknown_members()}]));
    request("PATCH", format!("/Groups/{}", f.group_id), body, 400, Some("invalidValue"))
}

fn remove_members_by_filters(f: &Fixture) -> Request {
    // Okta's form, each filter as long as a filter may be: ids nobody has, so nothing goes.
    let per_filter = shared::scim::filter::MAX_FILTER_LEN / 70;
    let ops = fill(ARRAY_BUDGET, |op| {
        let ids: Vec<String> = (0..per_filter)
            .map(|i| format!("value eq \"00000000-0000-4000-8000-{:012}\"", op * per_filter + i))
            .collect();
        json!({"op": "remove", "path": format!("members[{}]", ids.join(" or "))})
    });
    let ops: Vec<Value> = ops.into_iter().take(shared::scim::patch::MAX_OPERATIONS).collect();
    let mut r = request("PATCH", format!("/Groups/{}", f.group_id), patch(Value::Array(ops)), 204, None);
    r.changes_nothing = true;
    r
}

fn rename_group_huge(f: &Fixture) -> Request {
    let name = "n".repeat(ARRAY_BUDGET);
    let body = patch(json!([{"op": "replace", "value": {"displayName": name}}]));
    request("PATCH", format!("/Groups/{}", f.group_id), body, 400, Some("invalidValue"))
}
