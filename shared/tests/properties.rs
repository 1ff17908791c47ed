//! Property tests (proptest) of the two parsers a client's text reaches first: the filter
//! grammar (`Filter::parse`, then `Filter::matches` on a generated resource) and the PATCH
//! engine (`patch::parse`, `patch::split_member_changes` for groups, then `patch::apply` to a
//! valid User or Group document).
//!
//! Inputs are arbitrary text and bytes, grammar-shaped text (so generation gets past the
//! first token and into value paths, `not`, URNs, escapes and the nesting and length
//! limits), and grammar-shaped text with bytes mutated. The properties: no panic; every
//! error is a 4xx SCIM error (400 for these parsers), never a 500; a PATCH either fails
//! leaving the document as it was or leaves one that passes `resource::validate`.
//!
//! Each test counts the inputs it ran and prints one line, `property: <target>: N inputs in
//! T s (slowest S ms)`, which `scripts/test` gathers into its summary (it runs these tests as
//! their own suite with `--nocapture`). Timings are printed, never asserted (the project's
//! rule); bounded work is asserted by inputs at the size limits returning at all.
//! `PROPTEST_CASES=N` runs N inputs per target instead of the default counts.

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::Union;
use proptest::string::string_regex;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{json, Map, Number, Value};
use shared::scim::filter::{Filter, MAX_FILTER_DEPTH, MAX_FILTER_LEN};
use shared::scim::patch::{self, MAX_OPERATIONS};
use shared::scim::resource::validate;
use shared::scim::schema::{ResourceType, ENTERPRISE_USER, GROUP, GROUP_TYPE, USER, USER_TYPE};
use shared::scim::{ScimError, ScimType, PATCH_OP};
use shared::testing::Meter;

// ---------------------------------------------------------------------------------------------
// Running and measuring

/// `cases` inputs, or `PROPTEST_CASES` when set (a longer local run); failures are not
/// persisted to files (the minimal failing input is in the test's output).
fn runner(cases: u32) -> TestRunner {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|n| n.trim().parse().ok()).unwrap_or(cases);
    // Shrinking is bounded too: a failure is reported within a minute, not after 40 000 tries.
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 2_000,
        max_shrink_time: 60_000,
        ..Config::default()
    })
}

/// A client error, as every parser error must be: a 4xx status with a SCIM `scimType`.
fn assert_client_error(e: &ScimError, input: &dyn std::fmt::Debug) -> Result<(), TestCaseError> {
    prop_assert!(
        (400..500).contains(&e.status) && e.scim_type.is_some(),
        "{input:?} answered {} {:?}: {}",
        e.status,
        e.scim_type,
        e.detail
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Grammar pieces

/// Attribute names of both resource types and their sub-attributes, a few unknown ones, and
/// the names PATCH treats specially.
const NAMES: &[&str] = &[
    "userName",
    "displayName",
    "name",
    "emails",
    "phoneNumbers",
    "addresses",
    "ims",
    "photos",
    "entitlements",
    "roles",
    "x509Certificates",
    "title",
    "active",
    "externalId",
    "id",
    "meta",
    "groups",
    "members",
    "password",
    "nickName",
    "profileUrl",
    "userType",
    "locale",
    "timezone",
    "preferredLanguage",
    "schemas",
    "employeeNumber",
    "department",
    "manager",
    "costCenter",
    "organization",
    "division",
    "x-count",
    "User",
    "Group",
];

const SUBS: &[&str] = &[
    "value",
    "type",
    "primary",
    "display",
    "givenName",
    "familyName",
    "formatted",
    "middleName",
    "streetAddress",
    "country",
    "created",
    "lastModified",
    "version",
    "resourceType",
    "location",
    "$ref",
    "displayName",
];

const URNS: &[&str] = &[
    USER,
    ENTERPRISE_USER,
    GROUP,
    PATCH_OP,
    "urn:ietf:params:scim:schemas:core:2.0",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0",
    "urn:x",
    "urn:",
];

const OPERATORS: &[&str] = &["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"];

/// Text matching `pattern`. (A `&str` is a strategy too, but one that compiles its regex again
/// for every input; this compiles it once.)
fn re(pattern: &str) -> BoxedStrategy<String> {
    string_regex(pattern).unwrap_or_else(|e| panic!("{pattern}: {e}")).boxed()
}

/// `word` with each letter's case picked at random.
fn any_case(word: &'static str) -> impl Strategy<Value = String> {
    any::<u64>().prop_map(move |bits| {
        word.chars()
            .enumerate()
            .map(|(i, c)| if bits >> (i % 64) & 1 == 1 { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() })
            .collect()
    })
}

/// One of `words`, mostly as spelled, sometimes in a random case.
fn word_of(words: &'static [&'static str]) -> BoxedStrategy<String> {
    prop_oneof![
        4 => select(words).prop_map(String::from),
        1 => select(words).prop_flat_map(any_case),
    ]
    .boxed()
}

fn name() -> BoxedStrategy<String> {
    prop_oneof![
        40 => word_of(NAMES),
        4 => re("[a-zA-Z][a-zA-Z0-9_$-]{0,10}"),
        1 => re("[a-zA-Z0-9_$:.-]{0,6}"),
        1 => re("\\PC{0,4}"),
    ]
    .boxed()
}

/// `[urn:]name[.sub]`.
fn attr_path() -> BoxedStrategy<String> {
    (option::weighted(0.25, word_of(URNS)), name(), option::weighted(0.3, word_of(SUBS)))
        .prop_map(|(urn, name, sub)| {
            let mut path = urn.map(|u| format!("{u}:")).unwrap_or_default();
            path.push_str(&name);
            if let Some(sub) = sub {
                path.push('.');
                path.push_str(&sub);
            }
            path
        })
        .boxed()
}

/// `[urn:]name`, what may stand before `[…]`.
fn multi_path() -> BoxedStrategy<String> {
    (option::weighted(0.2, word_of(URNS)), name())
        .prop_map(|(urn, name)| urn.map(|u| format!("{u}:{name}")).unwrap_or(name))
        .boxed()
}

/// A comparison value: JSON strings (escaped properly or not), numbers, literals.
fn comp_value() -> BoxedStrategy<String> {
    prop_oneof![
        8 => re("\\PC{0,8}").prop_map(|s| Value::String(s).to_string()),
        4 => select(&["bjensen@example.com", "work", "home", "Babs Jensen", "701984", "2011-05-13T04:42:34Z", ""][..])
            .prop_map(|s| Value::String(s.into()).to_string()),
        1 => re("\"([^\"\\\\]|\\\\[\"\\\\/bfnrt]|\\\\u[0-9a-fA-F]{0,4}|\\\\.){0,6}\"?"),
        4 => any::<i64>().prop_map(|n| n.to_string()),
        1 => any::<f64>().prop_map(|f| f.to_string()),
        1 => re("-?[0-9]{1,3}(\\.[0-9]{0,3})?([eE][+-]?[0-9]{1,4})?"),
        4 => select(&["true", "false", "null"][..]).prop_flat_map(any_case),
        1 => re("[a-z]{1,5}"),
    ]
    .boxed()
}

/// `path op value` or `path pr`.
fn comparison() -> BoxedStrategy<String> {
    prop_oneof![
        4 => (attr_path(), word_of(OPERATORS), comp_value()).prop_map(|(p, op, v)| format!("{p} {op} {v}")),
        1 => (attr_path(), any_case("pr")).prop_map(|(p, pr)| format!("{p} {pr}")),
    ]
    .boxed()
}

/// Filters built by the grammar of RFC 7644 §3.4.2.2, with Entra's `a[…].sub op value`.
fn grammar_filter() -> BoxedStrategy<String> {
    // proptest calls the closure again for every input: its pieces are built once, here.
    let keyword = select(&["and", "or"][..]).prop_flat_map(any_case).boxed();
    let not = any_case("not").boxed();
    let open = select(&[" (", "("][..]);
    let (path, sub, op, value) = (multi_path(), word_of(SUBS), word_of(OPERATORS), comp_value());
    comparison()
        .prop_recursive(6, 40, 3, move |inner| {
            prop_oneof![
                3 => (inner.clone(), keyword.clone(), inner.clone()).prop_map(|(a, kw, b)| format!("{a} {kw} {b}")),
                1 => (not.clone(), open.clone(), inner.clone()).prop_map(|(not, open, f)| format!("{not}{open}{f})")),
                1 => inner.clone().prop_map(|f| format!("({f})")),
                2 => (path.clone(), inner.clone()).prop_map(|(p, f)| format!("{p}[{f}]")),
                1 => (path.clone(), inner, sub.clone(), op.clone(), value.clone())
                    .prop_map(|(p, f, sub, op, v)| format!("{p}[{f}].{sub} {op} {v}")),
            ]
        })
        .boxed()
}

/// Tokens that, inserted anywhere, push a parser down its other branches.
const PIECES: &[&str] =
    &["(", ")", "[", "]", "\"", "\\", " ", "\t", "and", "or", "not", "eq", "pr", ".", ":", "urn:", "é", "\u{0}", "1"];

/// `s` with a few bytes overwritten, removed, inserted (grammar pieces) or cut off.
fn mutated(base: BoxedStrategy<String>) -> BoxedStrategy<String> {
    (base, vec((any::<prop::sample::Index>(), 0..4u8, any::<u8>(), select(PIECES)), 1..6))
        .prop_map(|(s, edits)| {
            let mut bytes = s.into_bytes();
            for (at, kind, byte, piece) in edits {
                let i = at.index(bytes.len() + 1);
                match kind {
                    0 if i < bytes.len() => bytes[i] = byte,
                    1 if i < bytes.len() => {
                        bytes.remove(i);
                    }
                    2 => {
                        bytes.splice(i..i, piece.bytes());
                    }
                    _ => bytes.truncate(i),
                }
            }
            String::from_utf8_lossy(&bytes).into_owned()
        })
        .boxed()
}

/// Groups nested around a comparison up to a few levels past the depth limit.
fn deeply_nested() -> BoxedStrategy<String> {
    (vec(0..3u8, 0..MAX_FILTER_DEPTH + 6), comparison())
        .prop_map(|(levels, leaf)| {
            let (mut open, mut close) = (String::new(), String::new());
            for level in levels {
                let (o, c) = match level {
                    0 => ("(", ")"),
                    1 => ("not (", ")"),
                    _ => ("emails[", "]"),
                };
                open.push_str(o);
                close.insert_str(0, c);
            }
            format!("{open}{leaf}{close}")
        })
        .boxed()
}

/// An `and`/`or` chain padded with spaces to the length limit, or one byte past it.
fn at_the_length_limit() -> BoxedStrategy<String> {
    (comparison(), select(&[" and ", " or "][..]), any::<bool>())
        .prop_map(|(leaf, joiner, past)| {
            let mut s = leaf.clone();
            while s.len() + joiner.len() + leaf.len() <= MAX_FILTER_LEN {
                s.push_str(joiner);
                s.push_str(&leaf);
            }
            let target = MAX_FILTER_LEN + usize::from(past);
            while s.len() < target {
                s.push(' ');
            }
            s
        })
        .boxed()
}

fn filter_text() -> BoxedStrategy<String> {
    prop_oneof![
        8 => grammar_filter(),
        4 => mutated(grammar_filter()),
        2 => any::<String>(),
        1 => vec(any::<u8>(), 0..64).prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        1 => re("[ ()\\[\\]\"a-z.:]{0,40}"),
        1 => deeply_nested(),
        1 => at_the_length_limit(),
    ]
    .boxed()
}

// ---------------------------------------------------------------------------------------------
// JSON values and resources

fn json_string() -> BoxedStrategy<String> {
    prop_oneof![
        3 => re("\\PC{0,10}"),
        2 => select(&["work", "home", "x@example.com", "True", "False", "2011-05-13T04:42:34Z", "", "u1", "u2"][..])
            .prop_map(String::from),
    ]
    .boxed()
}

fn json_leaf() -> BoxedStrategy<Value> {
    prop_oneof![
        1 => Just(Value::Null),
        2 => any::<bool>().prop_map(Value::Bool),
        2 => any::<i64>().prop_map(Value::from),
        1 => any::<f64>().prop_filter_map("finite", Number::from_f64).prop_map(Value::Number),
        4 => json_string().prop_map(Value::String),
    ]
    .boxed()
}

/// Any JSON value, objects keyed mostly by attribute names (in any case) and URNs.
fn json_value() -> BoxedStrategy<Value> {
    let key = prop_oneof![6 => name(), 2 => word_of(SUBS), 1 => word_of(URNS), 1 => attr_path()].boxed();
    json_leaf()
        .prop_recursive(4, 40, 6, move |inner| {
            prop_oneof![
                vec(inner.clone(), 0..4).prop_map(Value::Array),
                vec((key.clone(), inner), 0..6).prop_map(|members| Value::Object(members.into_iter().collect())),
            ]
        })
        .boxed()
}

/// A resource as a filter meets it: mostly a fixed, schema-shaped one (a User with every kind
/// of value, a Group), sometimes with generated values in its attributes and extension.
fn resource() -> BoxedStrategy<Value> {
    let user = json!({
        "id": "2819c223-7f76-453a-919d-413861904646",
        "userName": "Bjensen@Example.com",
        "externalId": "Ext-01",
        "name": {"givenName": "Barbara", "familyName": "Jensen", "middleName": null},
        "active": true,
        "title": "",
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@jensen.org", "type": "home"}
        ],
        "ims": [{}],
        "roles": [{"value": null}],
        "meta": {"created": "2010-01-23T04:56:22Z", "lastModified": "2011-05-13T04:42:34Z"},
        ENTERPRISE_USER: {"employeeNumber": "701984", "manager": {"value": "26118915"}},
        "x-count": 42,
        "x-tags": ["Blue", "green"]
    });
    let group = json!({"displayName": "Tour Guides", "members": [{"value": "u1"}, {"value": "u2", "display": "Two"}]});
    let generated = (select(NAMES), json_value(), json_value()).prop_map({
        let user = user.clone();
        move |(name, value, ext)| {
            let mut doc = user.clone();
            doc[name] = value;
            doc[ENTERPRISE_USER] = ext;
            doc
        }
    });
    prop_oneof![3 => Just(user), 1 => Just(group), 2 => generated].boxed()
}

// ---------------------------------------------------------------------------------------------
// The filter parser

#[test]
fn property_filter_parser() {
    let meter = Meter::new("filter parser");
    let mut runner = runner(12_000);
    let result = runner.run(&(filter_text(), resource()), |(text, resource)| {
        meter.time(
            || text.clone(),
            || -> Result<(), TestCaseError> {
                match Filter::parse(&text) {
                    Ok(filter) => {
                        meter.outcome("parsed");
                        prop_assert!(text.len() <= MAX_FILTER_LEN, "{} bytes parsed", text.len());
                        // Evaluation walks the tree the parser bounded, on any resource.
                        filter.matches(&resource, &USER_TYPE);
                        filter.matches(&resource, &GROUP_TYPE);
                        filter.matches(&Value::Null, &USER_TYPE);
                        filter.required_equalities();
                    }
                    Err(e) => {
                        meter.outcome("invalidFilter");
                        prop_assert_eq!((e.status, e.scim_type), (400, Some(ScimType::InvalidFilter)), "{:?}", text);
                    }
                }
                Ok(())
            },
        )
    });
    meter.report();
    if let Err(e) = result {
        panic!("{e}");
    }
}

// ---------------------------------------------------------------------------------------------
// The PATCH engine

/// A PATCH `path`: attribute paths, value paths with filters, `members` forms, garbage.
fn patch_path() -> BoxedStrategy<Value> {
    let small_filter = prop_oneof![3 => comparison(), 1 => grammar_filter()];
    prop_oneof![
        6 => attr_path().prop_map(Value::String),
        3 => (multi_path(), small_filter, option::weighted(0.4, word_of(SUBS)))
            .prop_map(|(p, f, sub)| Value::String(match sub {
                Some(sub) => format!("{p}[{f}].{sub}"),
                None => format!("{p}[{f}]"),
            })),
        2 => vec(json_string(), 1..4).prop_map(|ids| {
            let chain: Vec<String> = ids.iter().map(|id| format!("value eq {}", Value::String(id.clone()))).collect();
            Value::String(format!("members[{}]", chain.join(" or ")))
        }),
        1 => word_of(URNS).prop_map(Value::String),
        1 => mutated(attr_path()).prop_map(Value::String),
        1 => Just(Value::Null),
        1 => Just(Value::String(String::new())),
        1 => json_leaf(),
    ]
    .boxed()
}

/// A member list as clients send it, with the malformed members a generator should try.
fn members_value() -> BoxedStrategy<Value> {
    let member = prop_oneof![
        4 => json_string().prop_map(|id| json!({"value": id, "display": "someone"})),
        1 => json_leaf().prop_map(|v| json!({"value": v})),
        1 => json_value(),
    ]
    .boxed();
    prop_oneof![4 => vec(member.clone(), 0..4).prop_map(Value::Array), 1 => member].boxed()
}

/// A PATCH `value`: attribute values of every type, objects of attributes, members.
fn patch_value() -> BoxedStrategy<Value> {
    let email = (json_string(), select(&["work", "home", "other"][..]), json_leaf())
        .prop_map(|(value, kind, primary)| json!({"value": value, "type": kind, "primary": primary}));
    let attrs_key = prop_oneof![
        6 => attr_path(),
        1 => (multi_path(), comparison(), word_of(SUBS)).prop_map(|(p, f, s)| format!("{p}[{f}].{s}")),
    ];
    let attrs_value = prop_oneof![4 => json_value(), 1 => members_value()];
    prop_oneof![
        4 => json_value(),
        3 => vec((attrs_key, attrs_value), 0..5).prop_map(|kv| Value::Object(kv.into_iter().collect())),
        2 => vec(email, 0..3).prop_map(Value::Array),
        2 => members_value(),
        1 => json_string().prop_map(|s| json!({"members": [{"value": s}], "displayName": "Renamed"})),
        1 => json_string().prop_map(|s| json!({GROUP: {"members": [{"value": s}]}})),
        1 => json_string().prop_map(|s| json!({ENTERPRISE_USER: {"employeeNumber": s}})),
    ]
    .boxed()
}

/// An operation with any `op`, `path` and `value`: mostly garbage to the engine.
fn loose_operation() -> BoxedStrategy<Value> {
    let op = prop_oneof![
        8 => select(&["add", "remove", "replace"][..]).prop_flat_map(any_case).prop_map(Value::String),
        1 => json_leaf(),
    ];
    let key = |word: &'static str| prop_oneof![4 => Just(word.to_owned()), 1 => any_case(word)];
    (
        (key("op"), op),
        option::weighted(0.85, (key("path"), patch_path())),
        option::weighted(0.8, (key("value"), patch_value())),
    )
        .prop_map(|((op_key, op), path, value)| {
            let mut obj = Map::new();
            obj.insert(op_key, op);
            obj.extend(path);
            obj.extend(value);
            Value::Object(obj)
        })
        .boxed()
}

/// The kind of value an attribute path takes, for [`typed_value`].
#[derive(Debug, Clone, Copy)]
enum Kind {
    Str,
    Bool,
    Name,
    Emails,
    Email,
    Phones,
    Manager,
    Enterprise,
    GroupAttrs,
    Members,
}

/// Paths clients send, with the kind of value each takes: both resource types' attributes,
/// value paths, URN-qualified and schema-URN forms, read-only and write-only ones.
fn known_paths(rt: &ResourceType) -> Vec<(String, Kind)> {
    use Kind::*;
    if rt.schema.id == GROUP {
        let mut paths: Vec<(String, Kind)> = [
            ("displayName", Str),
            ("externalId", Str),
            ("members", Members),
            ("members[value eq \"u1\"]", Members),
            ("members[value eq \"u1\" or value eq \"u2\"]", Members),
            ("members[display eq \"u1\"]", Members),
            ("members.value", Str),
            ("members[value eq \"u1\"].display", Str),
            ("id", Str),
            ("meta.created", Str),
            ("userName", Str),
        ]
        .into_iter()
        .map(|(p, k)| (p.to_owned(), k))
        .collect();
        for (attr, kind) in [("displayName", Str), ("members", Members), ("externalId", Str)] {
            paths.push((format!("{GROUP}:{attr}"), kind));
        }
        paths.push((GROUP.to_owned(), GroupAttrs));
        return paths;
    }
    let mut paths: Vec<(String, Kind)> = [
        ("userName", Str),
        ("displayName", Str),
        ("title", Str),
        ("nickName", Str),
        ("externalId", Str),
        ("locale", Str),
        ("password", Str),
        ("id", Str),
        ("active", Bool),
        ("name", Name),
        ("name.givenName", Str),
        ("name.familyName", Str),
        ("emails", Emails),
        ("emails[type eq \"work\"]", Email),
        ("emails[type eq \"work\"].value", Str),
        ("emails[primary eq true].type", Str),
        ("emails[value co \"@\" and not (type eq \"home\")].primary", Bool),
        ("emails.value", Str),
        ("phoneNumbers", Phones),
        ("phoneNumbers[type eq \"mobile\"].value", Str),
        ("addresses[type eq \"work\"].streetAddress", Str),
        ("roles", Emails),
        ("meta.lastModified", Str),
        ("groups", Members),
        ("members", Members),
        ("members[value eq \"u1\"]", Members),
        ("members[value eq \"u1\" or value eq \"u2\"]", Members),
        ("members.value", Str),
    ]
    .into_iter()
    .map(|(p, k)| (p.to_owned(), k))
    .collect();
    for (attr, kind) in [("employeeNumber", Str), ("department", Str), ("manager", Manager), ("manager.value", Str)] {
        paths.push((format!("{ENTERPRISE_USER}:{attr}"), kind));
    }
    paths.push((ENTERPRISE_USER.to_owned(), Enterprise));
    for (attr, kind) in [("userName", Str), ("active", Bool), ("name.givenName", Str), ("emails", Emails)] {
        paths.push((format!("{USER}:{attr}"), kind));
    }
    paths.push((format!("{GROUP}:displayName"), Str));
    paths
}

/// A value of `kind`, now and then of another type.
fn typed_value(kind: Kind) -> BoxedStrategy<Value> {
    let string = json_string().prop_map(Value::String).boxed();
    let email = (json_string(), select(&["work", "home", "other"][..]), any::<bool>())
        .prop_map(|(value, kind, primary)| json!({"value": value, "type": kind, "primary": primary}))
        .boxed();
    let right = match kind {
        Kind::Str => string,
        Kind::Bool => prop_oneof![
            3 => any::<bool>().prop_map(Value::Bool),
            1 => select(&["True", "False", "true"][..]).prop_map(Value::from),
        ]
        .boxed(),
        Kind::Name => (json_string(), json_string())
            .prop_map(|(given, family)| json!({"givenName": given, "familyName": family}))
            .boxed(),
        Kind::Emails => vec(email.clone(), 0..3).prop_map(Value::Array).boxed(),
        Kind::Email => email,
        Kind::Phones => json_string().prop_map(|v| json!([{"value": v, "type": "mobile"}])).boxed(),
        Kind::Manager => json_string().prop_map(|v| json!({"value": v})).boxed(),
        Kind::Enterprise => {
            (json_string(), json_string()).prop_map(|(n, d)| json!({"employeeNumber": n, "department": d})).boxed()
        }
        Kind::GroupAttrs => (json_string(), members_value())
            .prop_map(|(name, members)| json!({"displayName": name, "members": members}))
            .boxed(),
        Kind::Members => members_value(),
    };
    prop_oneof![12 => right, 1 => json_leaf(), 1 => json_value()].boxed()
}

/// An operation on the attributes clients really change, with values mostly of the right type,
/// so that generation reaches `apply` and its checks instead of stopping at `parse`.
fn schema_operation(rt: &ResourceType) -> BoxedStrategy<Value> {
    // One strategy per path, built once (a flat_map would build them again for every input).
    let path_and_value = Union::new(known_paths(rt).into_iter().map(|(path, kind)| {
        let spelled = prop_oneof![6 => Just(path.clone()), 1 => Just(path.to_ascii_uppercase())];
        (spelled, typed_value(kind)).boxed()
    }))
    .boxed();
    let op = select(&["add", "replace", "remove", "Add", "Replace", "Remove"][..]);
    let with_path = (op.clone(), path_and_value.clone(), any::<bool>()).prop_map(|(op, (path, value), keep_value)| {
        if op.eq_ignore_ascii_case("remove") && !keep_value {
            json!({"op": op, "path": path})
        } else {
            json!({"op": op, "path": path, "value": value})
        }
    });
    // Path-less: the keys of the value name the attributes (dotted, URN-qualified, value paths).
    let path_less = (select(&["add", "replace", "Replace"][..]), vec(path_and_value, 1..4))
        .prop_map(|(op, entries)| json!({"op": op, "value": Value::Object(entries.into_iter().collect())}));
    prop_oneof![3 => with_path, 1 => path_less].boxed()
}

fn operation(rt: &ResourceType) -> BoxedStrategy<Value> {
    prop_oneof![3 => schema_operation(rt), 1 => loose_operation()].boxed()
}

/// A PatchOp body for a resource of type `rt`, usually well-formed around generated operations.
fn patch_body(rt: &ResourceType) -> BoxedStrategy<Value> {
    let schemas = prop_oneof![
        30 => any_case(PATCH_OP).prop_map(|urn| json!([urn])),
        1 => Just(json!([USER])),
        1 => json_value(),
    ];
    let operations = prop_oneof![
        60 => vec(prop_oneof![40 => operation(rt), 1 => json_value()], 1..5).prop_map(Value::Array),
        3 => json_value(),
        // The most operations accepted, and one more: all are parsed and applied, or refused.
        1 => (operation(rt), any::<bool>())
            .prop_map(|(op, past)| Value::Array(vec![op; MAX_OPERATIONS + usize::from(past)])),
    ];
    prop_oneof![
        30 => (option::weighted(0.98, schemas), select(&["Operations", "operations", "OPERATIONS"][..]), operations)
            .prop_map(|(schemas, key, ops)| {
                let mut body = Map::new();
                if let Some(schemas) = schemas {
                    body.insert("schemas".into(), schemas);
                }
                body.insert(key.into(), ops);
                Value::Object(body)
            }),
        1 => json_value(),
    ]
    .boxed()
}

/// Valid documents to patch, as `validate` makes them from bodies clients send.
fn documents() -> Vec<(&'static ResourceType, Value)> {
    let bodies = [
        (
            &USER_TYPE,
            json!({
                "schemas": [USER, ENTERPRISE_USER],
                "userName": "bjensen@example.com",
                "externalId": "00u1",
                "name": {"givenName": "Barbara", "familyName": "Jensen", "formatted": "Ms. Barbara J Jensen"},
                "displayName": "Babs Jensen",
                "active": true,
                "emails": [
                    {"value": "bjensen@example.com", "type": "work", "primary": true},
                    {"value": "babs@jensen.org", "type": "home"}
                ],
                "phoneNumbers": [{"value": "555-555-8377", "type": "work"}],
                "addresses": [{"streetAddress": "100 Universal City Plaza", "type": "work", "country": "USA"}],
                "roles": [{"value": "admin"}],
                ENTERPRISE_USER: {"employeeNumber": "701984", "department": "Tour Operations",
                                   "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d"}}
            }),
        ),
        (&USER_TYPE, json!({"schemas": [USER], "userName": "min@example.com"})),
        (&GROUP_TYPE, json!({"schemas": [GROUP], "displayName": "Tour Guides", "externalId": "g1"})),
        (&GROUP_TYPE, json!({"schemas": [GROUP], "displayName": "Empty"})),
    ];
    bodies
        .into_iter()
        .map(|(rt, body)| {
            let doc = validate(&body, rt).unwrap_or_else(|e| panic!("fixture {body}: {}", e.detail));
            (rt, doc)
        })
        .collect()
}

/// The document as a POST body again: its schemas, and its attributes.
fn as_body(doc: &Value, rt: &ResourceType) -> Value {
    let mut body = doc.as_object().cloned().unwrap_or_default();
    let mut schemas = vec![Value::from(rt.schema.id)];
    schemas.extend(rt.schema_urns().filter(|urn| *urn != rt.schema.id && body.contains_key(*urn)).map(Value::from));
    body.insert("schemas".into(), Value::Array(schemas));
    Value::Object(body)
}

/// One PATCH as the directory runs it: parse, split the members out of a group's operations,
/// apply the rest. Errors must be the client's; a success must leave a valid document.
/// Returns how it ended (the step and the error's `scimType`, or `applied`).
fn patch_once(rt: &ResourceType, doc: &Value, body: &Value) -> Result<String, TestCaseError> {
    let refused = |step: &str, e: &ScimError| -> Result<String, TestCaseError> {
        assert_client_error(e, body)?;
        Ok(format!("{step} {}", e.scim_type.map_or("-", ScimType::as_str)))
    };
    let mut ops = match patch::parse(body) {
        Ok(ops) => ops,
        Err(e) => return refused("parse", &e),
    };
    prop_assert!(ops.len() <= MAX_OPERATIONS);
    if rt.schema.id == GROUP {
        if let Err(e) = patch::split_member_changes(&mut ops) {
            return refused("split", &e);
        }
    }
    let mut patched = doc.clone();
    match patch::apply(&mut patched, &ops, rt) {
        Err(e) => {
            prop_assert_eq!(&patched, doc, "a failed PATCH changed the document: {}", body);
            refused("apply", &e)
        }
        Ok(()) => match validate(&as_body(&patched, rt), rt) {
            // A PATCH and a body agree on every value: what a PATCH leaves, a body would keep
            // as it is (no value twice in a multi-valued attribute, among others).
            Ok(again) => {
                prop_assert_eq!(&again, &patched, "validate rewrites what {} left", body);
                Ok("applied".to_owned())
            }
            Err(e) => {
                Err(TestCaseError::fail(format!("{body} left a document validate refuses ({}): {patched}", e.detail)))
            }
        },
    }
}

#[test]
fn property_patch_parse_and_apply() {
    let meter = Meter::new("PATCH parse and apply");
    let documents = documents();
    let mut runner = runner(8_000);
    // Users' documents come first, then groups' (see `documents`).
    let strategy = prop_oneof![(0..2usize, patch_body(&USER_TYPE)), (2..4usize, patch_body(&GROUP_TYPE))];
    let result = runner.run(&strategy, |(which, body)| {
        let (rt, doc) = &documents[which];
        let outcome = meter.time(|| format!("{} {body}", rt.name), || patch_once(rt, doc, &body))?;
        meter.outcome(format!("{} {outcome}", rt.name));
        Ok(())
    });
    meter.report();
    if let Err(e) = result {
        panic!("{e}");
    }
}
