//! The RFC 7644 §3.4.2.2 filter grammar: parsed once into an AST (with depth and size
//! limits), evaluated against resources as JSON, and inspected by the directory to plan
//! indexed lookups.

use std::borrow::Cow;
use std::cmp::Ordering;

use serde_json::{Number, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::casefold::fold;

use super::path::{check_attr_name, parse_attr_path, AttrPath};
use super::schema::{AttrType, Attribute, ResourceType};
use super::ScimError;

/// Longest filter accepted, in bytes.
pub const MAX_FILTER_LEN: usize = 4096;
/// Deepest nesting of parentheses, `not`, value paths and logical operators accepted.
///
/// Nesting is counted in groups: `(…)`, `not (…)` and `attr[…]` each add a level. A flat
/// `and`/`or` chain is a single level however long; [`MAX_FILTER_LEN`] bounds it.
pub const MAX_FILTER_DEPTH: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// `attrPath op compValue`; the value is a JSON string, number, boolean or null.
    Compare {
        path: AttrPath,
        op: CompareOp,
        value: Value,
    },
    /// `attrPath pr`
    Present(AttrPath),
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    /// `attrPath[valFilter]`: true when one element of the multi-valued (or complex)
    /// attribute matches `filter`, whose paths are relative to the element.
    ValuePath {
        path: AttrPath,
        filter: Box<Filter>,
    },
}

impl CompareOp {
    /// The operator as written in a filter (`eq`, `ne`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "eq",
            CompareOp::Ne => "ne",
            CompareOp::Co => "co",
            CompareOp::Sw => "sw",
            CompareOp::Ew => "ew",
            CompareOp::Gt => "gt",
            CompareOp::Ge => "ge",
            CompareOp::Lt => "lt",
            CompareOp::Le => "le",
        }
    }

    /// The operator named by `word`, in any case.
    fn from_word(word: &str) -> Option<CompareOp> {
        const ALL: [CompareOp; 9] = [
            CompareOp::Eq,
            CompareOp::Ne,
            CompareOp::Co,
            CompareOp::Sw,
            CompareOp::Ew,
            CompareOp::Gt,
            CompareOp::Ge,
            CompareOp::Lt,
            CompareOp::Le,
        ];
        ALL.into_iter().find(|op| op.as_str().eq_ignore_ascii_case(word))
    }
}

impl Filter {
    /// Parses a filter. Errors are 400 `invalidFilter`, never a panic, whatever the input.
    ///
    /// Keywords and operators are case-insensitive; `and` binds tighter than `or`; `not`
    /// requires parentheses. Beyond RFC 7644, Entra's `emails[type eq "work"].value eq "x"`
    /// is accepted and parsed as `emails[type eq "work" and value eq "x"]`.
    pub fn parse(s: &str) -> Result<Filter, ScimError> {
        if s.len() > MAX_FILTER_LEN {
            return Err(ScimError::invalid_filter(format!(
                "The filter is {} bytes long; at most {MAX_FILTER_LEN} are accepted.",
                s.len()
            )));
        }
        let tokens = lex(s).map_err(|e| e.into_scim(s))?;
        Parser { tokens, next: 0, end: s.len() }.parse_all().map_err(|e| e.into_scim(s))
    }

    /// Whether `resource` (a whole SCIM resource as JSON, extension attributes under their
    /// URN) matches. Case-exactness and types come from `rt`.
    ///
    /// Attribute names and URNs match the resource's keys in any case. A comparison holds
    /// when any value of a multi-valued attribute satisfies it; a complex attribute compared
    /// without a sub-attribute is compared through its `value`. Values of mismatched types
    /// never compare (false, not an error). An absent (or null) attribute satisfies only
    /// `ne` with a non-null value, `eq null` and `not (…)`.
    pub fn matches(&self, resource: &Value, rt: &ResourceType) -> bool {
        eval(self, Scope::Resource { resource, rt })
    }

    /// The `attr eq "value"` comparisons on top-level attributes that must all hold for the
    /// filter to match (the conjuncts of a top-level `and` chain), for planning indexed
    /// lookups: `userName eq "x" and active eq true` gives `[(userName, "x"), (active, true)]`.
    ///
    /// Only `and` is descended into (never `or`, `not` or `[…]`), in the filter's order.
    /// `eq null` is left out: it asks for an absent attribute, which no index lookup finds.
    pub fn required_equalities(&self) -> Vec<(&AttrPath, &Value)> {
        let mut found = Vec::new();
        // An explicit stack: `and` chains can be hundreds of nodes deep.
        let mut pending = vec![self];
        while let Some(filter) = pending.pop() {
            match filter {
                Filter::And(a, b) => {
                    pending.push(b);
                    pending.push(a);
                }
                Filter::Compare { path, op: CompareOp::Eq, value } if !value.is_null() => found.push((path, value)),
                _ => {}
            }
        }
        found
    }
}

/// A parse failure at a byte offset of the filter.
struct SyntaxError {
    at: usize,
    why: String,
}

impl SyntaxError {
    fn new(at: usize, why: impl Into<String>) -> Self {
        SyntaxError { at, why: why.into() }
    }

    fn into_scim(self, filter: &str) -> ScimError {
        ScimError::invalid_filter(format!("Invalid filter '{filter}' at offset {}: {}.", self.at, self.why))
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok<'a> {
    Open,
    Close,
    OpenBracket,
    CloseBracket,
    /// A JSON string literal, unescaped.
    Str(String),
    /// A run of anything else: an attribute path, `.subAttr`, a keyword, a number, a literal.
    Word(&'a str),
}

struct Token<'a> {
    tok: Tok<'a>,
    at: usize,
}

/// Splits the filter into tokens; whitespace only separates them.
fn lex(s: &str) -> Result<Vec<Token<'_>>, SyntaxError> {
    let mut tokens = Vec::new();
    let mut at = 0;
    while let Some(c) = s[at..].chars().next() {
        let (tok, len) = match c {
            c if c.is_whitespace() => {
                at += c.len_utf8();
                continue;
            }
            '(' => (Tok::Open, 1),
            ')' => (Tok::Close, 1),
            '[' => (Tok::OpenBracket, 1),
            ']' => (Tok::CloseBracket, 1),
            '"' => {
                let end = string_end(s, at)?;
                let text = serde_json::from_str(&s[at..end])
                    .map_err(|_| SyntaxError::new(at, "the quoted value is not a valid JSON string"))?;
                (Tok::Str(text), end - at)
            }
            _ => {
                let len = s[at..].find(is_delimiter).unwrap_or(s.len() - at);
                (Tok::Word(&s[at..at + len]), len)
            }
        };
        tokens.push(Token { tok, at });
        at += len;
    }
    Ok(tokens)
}

fn is_delimiter(c: char) -> bool {
    c.is_whitespace() || matches!(c, '(' | ')' | '[' | ']' | '"')
}

/// The byte offset just past the closing quote of the string starting at `start`.
fn string_end(s: &str, start: usize) -> Result<usize, SyntaxError> {
    let mut escaped = false;
    for (i, c) in s[start + 1..].char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return Ok(start + 1 + i + 1),
            _ => {}
        }
    }
    Err(SyntaxError::new(start, "the quoted value has no closing '\"'"))
}

/// Recursive descent over the tokens. Recursion only happens when entering a group
/// (parentheses, `not (…)`, `[…]`), and groups are limited to [`MAX_FILTER_DEPTH`], so the
/// stack stays small whatever the input; `and`/`or` chains are built in loops.
struct Parser<'a> {
    tokens: Vec<Token<'a>>,
    next: usize,
    /// The filter's length, the offset reported for errors at its end.
    end: usize,
}

impl<'a> Parser<'a> {
    fn parse_all(mut self) -> Result<Filter, SyntaxError> {
        if self.tokens.is_empty() {
            return Err(SyntaxError::new(0, "the filter is empty"));
        }
        let filter = self.parse_or(0)?;
        match self.peek() {
            None => Ok(filter),
            Some(_) => Err(self.unexpected("'and', 'or' or the end of the filter")),
        }
    }

    fn peek(&self) -> Option<&Tok<'a>> {
        self.tokens.get(self.next).map(|t| &t.tok)
    }

    fn at(&self) -> usize {
        self.tokens.get(self.next).map_or(self.end, |t| t.at)
    }

    fn unexpected(&self, expected: &str) -> SyntaxError {
        let found = match self.peek() {
            None => "the end of the filter".to_string(),
            Some(Tok::Open) => "'('".into(),
            Some(Tok::Close) => "')'".into(),
            Some(Tok::OpenBracket) => "'['".into(),
            Some(Tok::CloseBracket) => "']'".into(),
            Some(Tok::Str(s)) => format!("the value {}", Value::String(s.clone())),
            Some(Tok::Word(w)) => format!("'{w}'"),
        };
        SyntaxError::new(self.at(), format!("expected {expected}, found {found}"))
    }

    fn eat_keyword(&mut self, keyword: &str) -> bool {
        let found = matches!(self.peek(), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(keyword));
        if found {
            self.next += 1;
        }
        found
    }

    fn expect(&mut self, tok: Tok<'static>, what: &str) -> Result<(), SyntaxError> {
        if self.peek() == Some(&tok) {
            self.next += 1;
            Ok(())
        } else {
            Err(self.unexpected(what))
        }
    }

    /// `and_expr *("or" and_expr)`, left-associative.
    fn parse_or(&mut self, depth: usize) -> Result<Filter, SyntaxError> {
        let mut filter = self.parse_and(depth)?;
        while self.eat_keyword("or") {
            filter = Filter::Or(Box::new(filter), Box::new(self.parse_and(depth)?));
        }
        Ok(filter)
    }

    /// `term *("and" term)`, left-associative.
    fn parse_and(&mut self, depth: usize) -> Result<Filter, SyntaxError> {
        let mut filter = self.parse_term(depth)?;
        while self.eat_keyword("and") {
            filter = Filter::And(Box::new(filter), Box::new(self.parse_term(depth)?));
        }
        Ok(filter)
    }

    /// `"(" filter ")"`, `"not" "(" filter ")"`, or an attribute expression.
    fn parse_term(&mut self, depth: usize) -> Result<Filter, SyntaxError> {
        let is_not = matches!(self.peek(), Some(Tok::Word(w)) if w.eq_ignore_ascii_case("not"))
            && matches!(self.tokens.get(self.next + 1), Some(Token { tok: Tok::Open, .. }));
        if is_not {
            self.next += 1;
        }
        match self.peek() {
            Some(Tok::Open) => {
                let inner = self.parse_group(depth, Tok::Close, "')'")?;
                Ok(if is_not { Filter::Not(Box::new(inner)) } else { inner })
            }
            Some(&Tok::Word(word)) => self.parse_attr_expr(word, depth),
            _ => Err(self.unexpected("an attribute, '(' or 'not ('")),
        }
    }

    /// An opening token, a filter one level deeper, and the closing token.
    fn parse_group(&mut self, depth: usize, close: Tok<'static>, close_name: &str) -> Result<Filter, SyntaxError> {
        if depth >= MAX_FILTER_DEPTH {
            return Err(SyntaxError::new(
                self.at(),
                format!("the filter nests parentheses, 'not' and '[…]' more than {MAX_FILTER_DEPTH} levels deep"),
            ));
        }
        self.next += 1;
        let inner = self.parse_or(depth + 1)?;
        self.expect(close, &format!("'and', 'or' or {close_name}"))?;
        Ok(inner)
    }

    /// `attrPath "pr"`, `attrPath op value`, `attrPath "[" filter "]"`, and Entra's
    /// `attrPath "[" filter "]" "." subAttr (op value / "pr")`.
    fn parse_attr_expr(&mut self, word: &str, depth: usize) -> Result<Filter, SyntaxError> {
        let at = self.at();
        self.next += 1;
        let path = parse_attr_path(word).map_err(|why| SyntaxError::new(at, why))?;
        if self.peek() != Some(&Tok::OpenBracket) {
            return self.parse_operation(path);
        }
        if path.sub_attr.is_some() {
            return Err(SyntaxError::new(at, "'[…]' must follow a multi-valued attribute, not a sub-attribute"));
        }
        let mut filter = self.parse_group(depth, Tok::CloseBracket, "']'")?;
        if let Some(Tok::Word(w)) = self.peek() {
            if let Some(sub) = w.strip_prefix('.') {
                let at = self.at();
                check_attr_name(sub).map_err(|why| SyntaxError::new(at + 1, why))?;
                self.next += 1;
                let sub = AttrPath { urn: None, attr: sub.to_string(), sub_attr: None };
                filter = Filter::And(Box::new(filter), Box::new(self.parse_operation(sub)?));
            }
        }
        Ok(Filter::ValuePath { path, filter: Box::new(filter) })
    }

    /// What follows an attribute path: `pr`, or a comparison operator and its value.
    fn parse_operation(&mut self, path: AttrPath) -> Result<Filter, SyntaxError> {
        if self.eat_keyword("pr") {
            return Ok(Filter::Present(path));
        }
        let op = match self.peek() {
            Some(Tok::Word(w)) => CompareOp::from_word(w),
            _ => None,
        };
        let Some(op) = op else {
            return Err(self.unexpected("an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr) or '['"));
        };
        self.next += 1;
        let value = self.parse_value()?;
        Ok(Filter::Compare { path, op, value })
    }

    /// `compValue`: a JSON string or number, `true`, `false` or `null` (any case).
    fn parse_value(&mut self) -> Result<Value, SyntaxError> {
        let literal = match self.peek() {
            Some(Tok::Str(s)) => Some(Value::String(s.clone())),
            Some(Tok::Word(w)) => literal(w),
            _ => None,
        };
        let value = literal.ok_or_else(|| self.unexpected("a quoted string, a number, true, false or null"))?;
        self.next += 1;
        Ok(value)
    }
}

/// A number, boolean or null written without quotes.
fn literal(word: &str) -> Option<Value> {
    match word.to_ascii_lowercase().as_str() {
        "true" => Some(Value::Bool(true)),
        "false" => Some(Value::Bool(false)),
        "null" => Some(Value::Null),
        _ => match serde_json::from_str(word) {
            Ok(n @ Value::Number(_)) => Some(n),
            _ => None,
        },
    }
}

/// Where a filter's paths are resolved: a whole resource, or one element of a multi-valued
/// attribute inside `attr[…]`, where paths are relative to the element (a URN there is ignored).
#[derive(Clone, Copy)]
enum Scope<'a> {
    Resource { resource: &'a Value, rt: &'a ResourceType },
    Element { element: &'a Value, parent: Option<&'static Attribute> },
}

/// Recursion follows the AST, whose depth the parser bounds (groups by
/// [`MAX_FILTER_DEPTH`], `and`/`or` chains by [`MAX_FILTER_LEN`]).
fn eval(filter: &Filter, scope: Scope<'_>) -> bool {
    match filter {
        Filter::And(a, b) => eval(a, scope) && eval(b, scope),
        Filter::Or(a, b) => eval(a, scope) || eval(b, scope),
        Filter::Not(inner) => !eval(inner, scope),
        Filter::Present(path) => resolve(scope, path).values.into_iter().any(is_present),
        Filter::Compare { path, op, value } => eval_compare(scope, path, *op, value),
        Filter::ValuePath { path, filter } => {
            let target = resolve(scope, path);
            target
                .values
                .into_iter()
                .filter(|element| element.is_object())
                .any(|element| eval(filter, Scope::Element { element, parent: target.def }))
        }
    }
}

fn eval_compare(scope: Scope<'_>, path: &AttrPath, op: CompareOp, expected: &Value) -> bool {
    let mut target = resolve(scope, path);
    if path.sub_attr.is_none() {
        target = target.through_value();
    }
    if expected.is_null() {
        // RFC 7644 leaves null comparisons open; `eq null` reads best as "absent".
        let present = target.values.iter().any(|v| is_present(v));
        return match op {
            CompareOp::Eq => !present,
            CompareOp::Ne => present,
            _ => false,
        };
    }
    if target.values.is_empty() {
        // An absent attribute is not equal to anything, and satisfies nothing else.
        return op == CompareOp::Ne;
    }
    target.values.into_iter().any(|actual| compare(actual, op, expected, target.def))
}

/// The values a path designates and the schema definition they follow (None when the schema
/// does not know the attribute).
struct Target<'a> {
    /// Each element of a multi-valued attribute is one value; nulls are dropped.
    values: Vec<&'a Value>,
    def: Option<&'static Attribute>,
}

impl<'a> Target<'a> {
    /// RFC 7644 §3.4.2.2: a complex attribute compared without a sub-attribute (`emails co
    /// "x"`) is compared through its `value` sub-attribute.
    fn through_value(self) -> Target<'a> {
        let values = self
            .values
            .into_iter()
            .flat_map(|v| if v.is_object() { flatten(get_ci(v, "value")) } else { vec![v] })
            .collect();
        let def = match self.def {
            Some(def) if def.kind == AttrType::Complex => def.sub_attribute("value"),
            def => def,
        };
        Target { values, def }
    }
}

fn resolve<'a>(scope: Scope<'a>, path: &AttrPath) -> Target<'a> {
    let (value, def) = match scope {
        Scope::Resource { resource, rt } => {
            let def = rt.attribute(path.urn.as_deref(), &path.attr).map(|(_, def)| def);
            // Extension attributes live under their URN; the core URN names the top level.
            let container = match &path.urn {
                Some(urn) if !urn.eq_ignore_ascii_case(rt.schema.id) => get_ci(resource, urn),
                _ => Some(resource),
            };
            (container.and_then(|c| get_ci(c, &path.attr)), def)
        }
        Scope::Element { element, parent } => {
            (get_ci(element, &path.attr), parent.and_then(|p| p.sub_attribute(&path.attr)))
        }
    };
    let mut target = Target { values: flatten(value), def };
    if let Some(sub) = &path.sub_attr {
        target.values = target.values.into_iter().flat_map(|v| flatten(get_ci(v, sub))).collect();
        target.def = target.def.and_then(|def| def.sub_attribute(sub));
    }
    target
}

/// A value as a list: an array's non-null elements, nothing for null or absent.
fn flatten(value: Option<&Value>) -> Vec<&Value> {
    match value {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.iter().filter(|v| !v.is_null()).collect(),
        Some(v) => vec![v],
    }
}

/// The member `key` of an object, whatever the case of either.
fn get_ci<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    let object = value.as_object()?;
    object.get(key).or_else(|| object.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v))
}

/// `pr`: present and not null, an empty string, or an array or object with nothing present.
fn is_present(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(items) => items.iter().any(is_present),
        Value::Object(members) => members.values().any(is_present),
        Value::Bool(_) | Value::Number(_) => true,
    }
}

fn compare(actual: &Value, op: CompareOp, expected: &Value, def: Option<&Attribute>) -> bool {
    match (actual, expected) {
        (Value::String(a), Value::String(b)) => compare_strings(a, op, b, def),
        (Value::Number(a), Value::Number(b)) => compare_numbers(a, b).is_some_and(|ord| ordering_holds(op, ord)),
        (Value::Bool(a), Value::Bool(b)) => match op {
            CompareOp::Eq => a == b,
            CompareOp::Ne => a != b,
            _ => false,
        },
        _ => false,
    }
}

/// Whether `actual.cmp(expected) == ord` satisfies an ordering operator; the substring
/// operators never hold here.
fn ordering_holds(op: CompareOp, ord: Ordering) -> bool {
    match op {
        CompareOp::Eq => ord == Ordering::Equal,
        CompareOp::Ne => ord != Ordering::Equal,
        CompareOp::Gt => ord == Ordering::Greater,
        CompareOp::Ge => ord != Ordering::Less,
        CompareOp::Lt => ord == Ordering::Less,
        CompareOp::Le => ord != Ordering::Greater,
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}

/// Plain substring and ordering operations: filter values are never turned into patterns.
fn compare_strings(actual: &str, op: CompareOp, expected: &str, def: Option<&Attribute>) -> bool {
    let is_substring_op = matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew);
    if def.is_some_and(|d| d.kind == AttrType::DateTime) && !is_substring_op {
        // Instants, so that `…T04:42:34Z` equals `…T06:42:34.000+02:00`.
        if let (Some(a), Some(b)) = (parse_date_time(actual), parse_date_time(expected)) {
            return ordering_holds(op, a.cmp(&b));
        }
    }
    let (actual, expected) = if def.is_some_and(|d| d.case_exact) {
        (Cow::Borrowed(actual), Cow::Borrowed(expected))
    } else {
        (Cow::Owned(fold(actual)), Cow::Owned(fold(expected)))
    };
    match op {
        CompareOp::Co => actual.contains(&*expected),
        CompareOp::Sw => actual.starts_with(&*expected),
        CompareOp::Ew => actual.ends_with(&*expected),
        _ => ordering_holds(op, actual.cmp(&expected)),
    }
}

fn parse_date_time(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).ok()
}

/// Integers exactly, anything else as f64.
fn compare_numbers(a: &Number, b: &Number) -> Option<Ordering> {
    if let (Some(a), Some(b)) = (a.as_i64(), b.as_i64()) {
        return Some(a.cmp(&b));
    }
    if let (Some(a), Some(b)) = (a.as_u64(), b.as_u64()) {
        return Some(a.cmp(&b));
    }
    a.as_f64()?.partial_cmp(&b.as_f64()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::ScimType;
    use serde_json::json;

    fn p(s: &str) -> AttrPath {
        parse_attr_path(s).unwrap()
    }

    fn cmp(path: &str, op: CompareOp, value: Value) -> Filter {
        Filter::Compare { path: p(path), op, value }
    }

    fn and(a: Filter, b: Filter) -> Filter {
        Filter::And(Box::new(a), Box::new(b))
    }

    fn or(a: Filter, b: Filter) -> Filter {
        Filter::Or(Box::new(a), Box::new(b))
    }

    fn not(a: Filter) -> Filter {
        Filter::Not(Box::new(a))
    }

    fn value_path(path: &str, filter: Filter) -> Filter {
        Filter::ValuePath { path: p(path), filter: Box::new(filter) }
    }

    fn parse(s: &str) -> Filter {
        Filter::parse(s).unwrap_or_else(|e| panic!("{s:?}: {}", e.detail))
    }

    fn assert_invalid(s: &str) {
        match Filter::parse(s) {
            Ok(f) => panic!("{s:?} parsed as {f:?}"),
            Err(e) => assert_eq!((e.status, e.scim_type), (400, Some(ScimType::InvalidFilter)), "{s:?}"),
        }
    }

    #[test]
    fn parses_every_operator_in_any_case() {
        use CompareOp::*;
        for (word, op) in
            [("eq", Eq), ("NE", Ne), ("Co", Co), ("sW", Sw), ("ew", Ew), ("GT", Gt), ("ge", Ge), ("lt", Lt), ("Le", Le)]
        {
            assert_eq!(parse(&format!("title {word} \"x\"")), cmp("title", op, json!("x")));
        }
        assert_eq!(parse("title pr"), Filter::Present(p("title")));
        assert_eq!(parse("title PR"), Filter::Present(p("title")));
    }

    #[test]
    fn parses_every_kind_of_value() {
        assert_eq!(parse("a eq 1"), cmp("a", CompareOp::Eq, json!(1)));
        assert_eq!(parse("a eq -1.5"), cmp("a", CompareOp::Eq, json!(-1.5)));
        assert_eq!(parse("a eq 2e3"), cmp("a", CompareOp::Eq, json!(2000.0)));
        assert_eq!(parse("a eq true"), cmp("a", CompareOp::Eq, json!(true)));
        assert_eq!(parse("a eq False"), cmp("a", CompareOp::Eq, json!(false)));
        assert_eq!(parse("a eq NULL"), cmp("a", CompareOp::Eq, Value::Null));
        assert_eq!(
            parse(r#"a eq "say \"hi\" \\ \u00e9\ud83d\ude00""#),
            cmp("a", CompareOp::Eq, json!("say \"hi\" \\ é😀"))
        );
        assert_eq!(parse(r#"a eq "(not) [a] and or""#), cmp("a", CompareOp::Eq, json!("(not) [a] and or")));
        assert_eq!(parse(r#"a eq """#), cmp("a", CompareOp::Eq, json!("")));
    }

    #[test]
    fn and_binds_tighter_than_or() {
        let (a, b, c) =
            (cmp("a", CompareOp::Eq, json!(1)), cmp("b", CompareOp::Eq, json!(2)), cmp("c", CompareOp::Eq, json!(3)));
        assert_eq!(parse("a eq 1 or b eq 2 and c eq 3"), or(a.clone(), and(b.clone(), c.clone())));
        assert_eq!(parse("a eq 1 and b eq 2 or c eq 3"), or(and(a.clone(), b.clone()), c.clone()));
        assert_eq!(parse("(a eq 1 or b eq 2) and c eq 3"), and(or(a.clone(), b.clone()), c.clone()));
        assert_eq!(parse("a eq 1 AND b eq 2 And c eq 3"), and(and(a.clone(), b.clone()), c.clone()));
        assert_eq!(parse("a eq 1 OR b eq 2 or c eq 3"), or(or(a.clone(), b.clone()), c.clone()));
        assert_eq!(parse("not (a eq 1) and b eq 2"), and(not(a.clone()), b.clone()));
        assert_eq!(parse("NOT(a eq 1 or b eq 2)"), not(or(a.clone(), b.clone())));
        assert_eq!(parse("((a eq 1))"), a);
    }

    #[test]
    fn tolerates_whitespace() {
        assert_eq!(parse("  userName   eq\t\"x\"  "), cmp("userName", CompareOp::Eq, json!("x")));
        assert_eq!(parse("( a pr )and(b pr)"), and(Filter::Present(p("a")), Filter::Present(p("b"))));
    }

    #[test]
    fn parses_value_paths_and_urn_paths() {
        assert_eq!(
            parse(r#"emails[type eq "work" and value co "@example.com"]"#),
            value_path(
                "emails",
                and(cmp("type", CompareOp::Eq, json!("work")), cmp("value", CompareOp::Co, json!("@example.com")))
            )
        );
        assert_eq!(
            parse(r#"emails[not (type eq "work")] or userName pr"#),
            or(value_path("emails", not(cmp("type", CompareOp::Eq, json!("work")))), Filter::Present(p("userName")))
        );
        let urn = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
        assert_eq!(
            parse(&format!("{urn}:manager.value eq \"1\"")),
            cmp(&format!("{urn}:manager.value"), CompareOp::Eq, json!("1"))
        );
        assert_eq!(
            parse(r#"urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq "work"]"#),
            value_path("urn:ietf:params:scim:schemas:core:2.0:User:emails", cmp("type", CompareOp::Eq, json!("work")))
        );
        assert_eq!(
            parse("meta.lastModified gt \"2011-05-13T04:42:34Z\""),
            cmp("meta.lastModified", CompareOp::Gt, json!("2011-05-13T04:42:34Z"))
        );
    }

    #[test]
    fn parses_the_entra_value_path_with_a_sub_attribute() {
        let expected = value_path(
            "emails",
            and(cmp("type", CompareOp::Eq, json!("work")), cmp("value", CompareOp::Eq, json!("x@example.com"))),
        );
        assert_eq!(parse(r#"emails[type eq "work"].value eq "x@example.com""#), expected);
        assert_eq!(
            parse(r#"emails[type eq "work"].value pr"#),
            value_path("emails", and(cmp("type", CompareOp::Eq, json!("work")), Filter::Present(p("value"))))
        );
    }

    #[test]
    fn parses_the_filters_okta_and_entra_send() {
        assert_eq!(parse(r#"userName eq "x""#), cmp("userName", CompareOp::Eq, json!("x")));
        assert_eq!(parse(r#"externalId eq "x""#), cmp("externalId", CompareOp::Eq, json!("x")));
        assert_eq!(parse(r#"displayName eq "x""#), cmp("displayName", CompareOp::Eq, json!("x")));
        assert_eq!(
            parse(r#"userName eq "x" and externalId eq "y""#),
            and(cmp("userName", CompareOp::Eq, json!("x")), cmp("externalId", CompareOp::Eq, json!("y")))
        );
    }

    #[test]
    fn rejects_malformed_filters() {
        for s in [
            "",
            "   ",
            "userName",
            "userName eq",
            "userName eq x",
            "userName \"x\"",
            "eq \"x\"",
            "userName xx \"x\"",
            "userName eq \"x",
            "userName eq \"\\q\"",
            "a eq 1 and",
            "a eq 1 or or b pr",
            "and a pr",
            "(a pr",
            "a pr)",
            "not a pr",
            "not (a pr",
            "()",
            "a[]",
            "a[b pr",
            "a[b pr]]",
            "a.b[c pr]",
            "a[b pr].",
            "a[b pr].c",
            "a[b pr].c eq",
            "a[b pr].1 eq 1",
            "a eq 01",
            "a eq 1 b eq 2",
            "a eq {}",
            "a eq [1]",
            "1a pr",
            "a.b.c pr",
            "urn:x: pr",
            "a eq \"x\" \"y\"",
            "a pr pr",
            "\"x\" eq a",
            "a eq tru",
            "a eq 1x",
        ] {
            assert_invalid(s);
        }
    }

    #[test]
    fn errors_say_where_and_what() {
        let e = Filter::parse("userName eq \"x\" and title xx 1").unwrap_err();
        assert!(e.detail.contains("offset 26"), "{}", e.detail);
        assert!(e.detail.contains("expected an operator"), "{}", e.detail);
    }

    #[test]
    fn limits_length_and_depth_without_recursing() {
        let started = std::time::Instant::now();
        assert_invalid(&"a".repeat(MAX_FILTER_LEN + 1));
        assert_invalid(&format!("{}a pr{}", "(".repeat(10_000), ")".repeat(10_000)));
        assert_invalid(&"(".repeat(10_000));
        assert_invalid(&"not (".repeat(10_000));
        assert_invalid(&"a[".repeat(10_000));
        assert_invalid(&vec!["a eq 1"; 10_000].join(" and "));
        // Under the length limit, the depth limit stops the recursion.
        assert_invalid(&format!("{}a pr{}", "(".repeat(1_000), ")".repeat(1_000)));
        assert_invalid(&format!("{}a pr{}", "not (".repeat(600), ")".repeat(600)));
        assert_invalid(&format!("{}b pr{}", "a[".repeat(1_000), "]".repeat(1_000)));
        assert!(started.elapsed() < std::time::Duration::from_secs(2));

        let nested = |n: usize| format!("{}a pr{}", "(".repeat(n), ")".repeat(n));
        assert!(Filter::parse(&nested(MAX_FILTER_DEPTH)).is_ok());
        assert_invalid(&nested(MAX_FILTER_DEPTH + 1));
        // A long flat chain is not nesting: only the length limits it.
        let chain = vec!["a pr"; 400].join(" and ");
        assert!(chain.len() <= MAX_FILTER_LEN);
        assert!(Filter::parse(&chain).is_ok());
    }

    /// A tiny xorshift generator: reproducible without a dependency.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    #[test]
    fn garbage_never_panics() {
        let seeds = [
            r#"emails[type eq "work" and value co "@example.com"].value eq "x" or not (userName sw "a\"b")"#,
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "1" and meta.lastModified gt "2011-05-13T04:42:34Z""#,
            "((a eq 1) or (b ne -2.5e3)) and c pr and d eq null and e eq true",
        ];
        let pieces = [
            "(", ")", "[", "]", "\"", "\\", " ", "and", "or", "not", "eq", "pr", ".", ":", "urn:", "é", "\u{0}", "1",
            "a",
        ];
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for round in 0..20_000 {
            let mut bytes = seeds[round % seeds.len()].as_bytes().to_vec();
            for _ in 0..1 + rng.below(6) {
                let i = rng.below(bytes.len() + 1);
                match rng.below(4) {
                    0 if i < bytes.len() => bytes[i] = rng.next() as u8,
                    1 if i < bytes.len() => {
                        bytes.remove(i);
                    }
                    2 => bytes.splice(i..i, pieces[rng.below(pieces.len())].bytes()).for_each(drop),
                    _ => bytes.truncate(i),
                }
            }
            let s = String::from_utf8_lossy(&bytes);
            if let Err(e) = Filter::parse(&s) {
                assert_eq!((e.status, e.scim_type), (400, Some(ScimType::InvalidFilter)), "{s:?}");
            }
        }
        for _ in 0..5_000 {
            let s: String = (0..rng.below(40)).map(|_| pieces[rng.below(pieces.len())]).collect::<Vec<_>>().join(" ");
            let _ = Filter::parse(&s);
        }
    }

    use crate::scim::schema::{ENTERPRISE_USER, GROUP_TYPE, USER_TYPE};

    fn user() -> Value {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE_USER],
            "id": "2819c223-7f76-453a-919d-413861904646",
            "externalId": "Ext-01",
            "UserName": "Bjensen@Example.com",
            "name": {"givenName": "Barbara", "familyName": "Jensen", "middleName": null},
            "displayName": "Babs Jensen",
            "title": "",
            "nickName": null,
            "active": true,
            "emails": [
                {"value": "bjensen@example.com", "type": "work", "primary": true},
                {"value": "babs@jensen.org", "type": "home"}
            ],
            "phoneNumbers": [],
            "ims": [{}],
            "roles": [{"value": null}],
            "meta": {
                "resourceType": "User",
                "created": "2010-01-23T04:56:22Z",
                "lastModified": "2011-05-13T04:42:34Z",
                "version": "W/\"3694e05e9dff590\""
            },
            "URN:IETF:params:scim:schemas:extension:enterprise:2.0:User": {
                "EmployeeNumber": "701984",
                "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d", "displayName": "John Smith"}
            },
            "x-count": 42,
            "x-ratio": 0.5,
            "x-tags": ["Blue", "green"]
        })
    }

    fn user_matches(filter: &str) -> bool {
        parse(filter).matches(&user(), &USER_TYPE)
    }

    fn assert_user_matches(filters: &[&str], expected: bool) {
        for f in filters {
            assert_eq!(user_matches(f), expected, "{f}");
        }
    }

    #[test]
    fn string_operators() {
        assert_user_matches(
            &[
                r#"displayName eq "babs jensen""#,
                r#"displayName ne "Barbara""#,
                r#"displayName co "S JEN""#,
                r#"displayName sw "babs""#,
                r#"displayName ew "SEN""#,
                r#"displayName gt "Babs""#,
                r#"displayName ge "babs jensen""#,
                r#"displayName lt "c""#,
                r#"displayName le "BABS JENSEN""#,
                r#"displayName co """#,
                r#"name.givenName eq "barbara""#,
            ],
            true,
        );
        assert_user_matches(
            &[
                r#"displayName eq "Babs""#,
                r#"displayName ne "babs jensen""#,
                r#"displayName co "x""#,
                r#"displayName sw "jensen""#,
                r#"displayName ew "babs""#,
                r#"displayName gt "c""#,
                r#"displayName lt "babs jensen""#,
                r#"displayName le "a""#,
            ],
            false,
        );
    }

    #[test]
    fn substring_operators_take_values_literally() {
        assert_user_matches(&[r#"userName co ".""#, r#"emails.value ew "@example.com""#], true);
        assert_user_matches(&[r#"userName co ".*""#, r#"userName sw "b.*""#, r#"emails.value co "e+""#], false);
    }

    #[test]
    fn number_and_boolean_operators() {
        assert_user_matches(
            &[
                "x-count eq 42",
                "x-count eq 42.0",
                "x-count ne 41",
                "x-count gt 41.5",
                "x-count ge 42",
                "x-count lt 100",
            ],
            true,
        );
        assert_user_matches(
            &["x-count le -1", "x-ratio gt 0.5", "x-ratio lt 0.25", "x-count co 4", "x-count sw 4"],
            false,
        );
        assert_user_matches(&["x-ratio ge 0.5", "x-ratio le 1"], true);
        assert_user_matches(&["active eq true", "active ne false", "ACTIVE eq TRUE"], true);
        assert_user_matches(&["active eq false", "active gt false", "active co true"], false);
    }

    #[test]
    fn mismatched_types_never_compare() {
        assert_user_matches(
            &[
                r#"active eq "true""#,
                r#"x-count eq "42""#,
                "displayName eq 1",
                "displayName eq true",
                r#"x-count gt "1""#,
            ],
            false,
        );
    }

    #[test]
    fn id_and_external_id_are_case_exact_user_name_is_not() {
        assert_user_matches(
            &[
                r#"userName eq "bjensen@example.com""#,
                r#"USERNAME eq "BJENSEN@EXAMPLE.COM""#,
                r#"externalId eq "Ext-01""#,
                r#"id eq "2819c223-7f76-453a-919d-413861904646""#,
                r#"externalId sw "Ext""#,
            ],
            true,
        );
        assert_user_matches(
            &[
                r#"externalId eq "ext-01""#,
                r#"id eq "2819C223-7F76-453A-919D-413861904646""#,
                r#"externalId sw "ext""#,
                r#"meta.resourceType eq "user""#,
            ],
            false,
        );
        // Unknown attributes compare case-insensitively.
        assert_user_matches(&[r#"x-tags eq "blue""#, r#"X-TAGS eq "GREEN""#], true);
    }

    #[test]
    fn multi_valued_attributes_match_when_any_value_does() {
        assert_user_matches(
            &[
                r#"emails.type eq "home""#,
                r#"emails.type ne "work""#,
                r#"emails co "jensen.org""#,
                r#"emails eq "BJENSEN@example.com""#,
                r#"emails.primary eq true"#,
                r#"x-tags sw "gr""#,
            ],
            true,
        );
        assert_user_matches(&[r#"emails.type eq "other""#, r#"emails co "work""#, "emails.primary eq false"], false);
    }

    #[test]
    fn presence() {
        assert_user_matches(
            &["userName pr", "name pr", "emails pr", "emails.primary pr", "meta.created pr", "x-count pr"],
            true,
        );
        assert_user_matches(
            &[
                "title pr",
                "nickName pr",
                "phoneNumbers pr",
                "ims pr",
                "roles pr",
                "name.middleName pr",
                "emails.display pr",
                "unknown pr",
            ],
            false,
        );
    }

    #[test]
    fn null_means_absent() {
        assert_user_matches(&["nickName eq null", "title eq null", "unknown eq null", "userName ne null"], true);
        assert_user_matches(&["userName eq null", "nickName ne null", "nickName gt null", "userName co null"], false);
        // An absent attribute is not equal to anything, and satisfies nothing else.
        assert_user_matches(&[r#"nickName ne "x""#], true);
        assert_user_matches(&[r#"nickName eq "x""#, r#"nickName co """#, r#"nickName lt "z""#], false);
    }

    #[test]
    fn logic_not_and_precedence() {
        assert_user_matches(
            &[
                r#"not (userName eq "x")"#,
                r#"userName eq "x" or active eq true"#,
                r#"userName eq "x" or active eq true and x-count eq 42"#,
                r#"active eq true or userName eq "x" and x-count eq 0"#,
                r#"not (not (active eq true))"#,
            ],
            true,
        );
        assert_user_matches(
            &[
                r#"not (active eq true)"#,
                r#"userName eq "x" and active eq true"#,
                r#"(userName eq "x" or active eq true) and x-count eq 0"#,
                r#"userName eq "x" or active eq false and x-count eq 42"#,
            ],
            false,
        );
    }

    #[test]
    fn value_paths_evaluate_against_each_element() {
        assert_user_matches(
            &[
                r#"emails[type eq "work" and primary eq true]"#,
                r#"emails[type eq "home" and value co "jensen.org"]"#,
                r#"EMAILS[TYPE eq "WORK"]"#,
                r#"emails[not (primary pr)]"#,
                r#"name[givenName sw "bar"]"#,
            ],
            true,
        );
        // Both conditions must hold on the same element.
        assert_user_matches(
            &[
                r#"emails[type eq "home" and primary eq true]"#,
                r#"emails[type eq "work" and value co "jensen.org"]"#,
                r#"phoneNumbers[type pr]"#,
                r#"x-tags[value pr]"#,
                r#"unknown[value pr]"#,
            ],
            false,
        );
    }

    #[test]
    fn entra_value_path_with_a_sub_attribute() {
        assert_user_matches(
            &[r#"emails[type eq "work"].value eq "BJensen@example.com""#, r#"emails[type eq "home"].value ew ".org""#],
            true,
        );
        assert_user_matches(
            &[r#"emails[type eq "work"].value eq "babs@jensen.org""#, r#"emails[type eq "other"].value pr"#],
            false,
        );
    }

    #[test]
    fn urn_paths_and_extension_attributes() {
        assert_user_matches(
            &[
                &format!(r#"{ENTERPRISE_USER}:employeeNumber eq "701984""#),
                &format!(r#"{}:EMPLOYEENUMBER eq "701984""#, ENTERPRISE_USER.to_lowercase()),
                &format!(r#"{ENTERPRISE_USER}:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d""#),
                &format!(r#"{ENTERPRISE_USER}:manager eq "26118915-6090-4610-87e4-49d8ca9f808d""#),
                &format!(r#"{ENTERPRISE_USER}:manager.displayName co "smith""#),
                r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "bjensen@example.com""#,
                r#"urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq "work"]"#,
                r#"urn:ietf:params:scim:schemas:core:2.0:User:id pr"#,
            ],
            true,
        );
        assert_user_matches(
            &[
                r#"employeeNumber eq "701984""#,
                &format!(r#"{ENTERPRISE_USER}:userName pr"#),
                r#"urn:example:other:schema:userName pr"#,
            ],
            false,
        );
    }

    #[test]
    fn date_times_compare_as_instants() {
        assert_user_matches(
            &[
                r#"meta.lastModified gt "2011-05-13T04:42:33Z""#,
                r#"meta.lastModified ge "2011-05-13T04:42:34Z""#,
                r#"meta.lastModified eq "2011-05-13T06:42:34.000+02:00""#,
                r#"meta.lastModified lt "2011-05-13T04:42:34.5Z""#,
                r#"meta.created le "2010-01-23T04:56:22Z""#,
                r#"meta.lastModified sw "2011-05""#,
            ],
            true,
        );
        assert_user_matches(
            &[
                r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
                r#"meta.lastModified lt "2011-05-13T06:42:34+02:00""#,
                r#"meta.created gt "2011-01-01T00:00:00Z""#,
            ],
            false,
        );
    }

    #[test]
    fn the_filters_okta_and_entra_send() {
        assert_user_matches(
            &[
                r#"userName eq "bjensen@example.com""#,
                r#"externalId eq "Ext-01""#,
                r#"displayName eq "Babs Jensen""#,
                r#"emails[type eq "work"].value eq "bjensen@example.com""#,
                r#"userName eq "bjensen@example.com" and externalId eq "Ext-01""#,
            ],
            true,
        );
        assert_user_matches(&[r#"userName eq "bjensen@example.com" and externalId eq "ext-01""#], false);

        let group = json!({
            "id": "e9e30dba-f08f-4109-8486-d5c6a331660a",
            "displayName": "Tour Guides",
            "members": [{"value": "00u1abcd", "display": "Babs"}, {"value": "00u2efgh"}]
        });
        for (filter, expected) in [
            (r#"displayName eq "tour guides""#, true),
            (r#"members[value eq "00u1abcd"]"#, true),
            (r#"members[value eq "00u3"]"#, false),
            (r#"members.value eq "00u2efgh""#, true),
            (r#"userName pr"#, false),
        ] {
            assert_eq!(parse(filter).matches(&group, &GROUP_TYPE), expected, "{filter}");
        }
    }

    #[test]
    fn matching_non_objects_is_false_not_a_panic() {
        for resource in [json!(null), json!("x"), json!([1, 2]), json!({"emails": "x", "name": [1, [2]]})] {
            for f in [r#"userName eq "x""#, "emails[type pr]", "name.givenName pr", "not (name pr)"] {
                let _ = parse(f).matches(&resource, &USER_TYPE);
            }
        }
    }

    #[test]
    fn the_longest_chains_evaluate_on_a_small_stack() {
        // The deepest trees the limits allow: ~455 `and`/`or` nodes, on a quarter of the
        // stack a Tokio worker has (debug builds have the biggest frames).
        let terms = (MAX_FILTER_LEN + 5) / "a pr and ".len();
        let ands = vec!["a pr"; terms].join(" and ");
        let ors = vec!["a pr"; terms].join(" or ");
        let equalities = vec!["a eq 1"; terms * 9 / 11].join(" and ");
        assert!(ands.len() <= MAX_FILTER_LEN && equalities.len() <= MAX_FILTER_LEN);
        let run = move || {
            let resource = json!({"b": 1});
            let ands = parse(&ands);
            assert!(!ands.matches(&resource, &USER_TYPE));
            assert!(!parse(&ors).matches(&resource, &USER_TYPE));
            assert_eq!(parse(&equalities).required_equalities().len(), terms * 9 / 11);
            assert_eq!(ands.clone(), ands);
        };
        std::thread::Builder::new().stack_size(512 * 1024).spawn(run).unwrap().join().unwrap();
    }

    #[test]
    fn required_equalities_follow_top_level_ands_only() {
        let f = parse(r#"userName eq "x" and (active eq true and externalId eq "y") and title co "z""#);
        let found: Vec<(String, Value)> =
            f.required_equalities().into_iter().map(|(p, v)| (p.to_string(), v.clone())).collect();
        assert_eq!(
            found,
            vec![("userName".into(), json!("x")), ("active".into(), json!(true)), ("externalId".into(), json!("y"))]
        );
        for f in [
            r#"userName eq "x" or externalId eq "y""#,
            r#"not (userName eq "x")"#,
            r#"emails[type eq "work"].value eq "x""#,
            r#"userName ne "x""#,
            r#"userName eq null"#,
            "userName pr",
        ] {
            assert!(parse(f).required_equalities().is_empty(), "{f}");
        }
        let f = parse(r#"emails[value eq "a"] and displayName eq "g" and (userName eq "x" or userName eq "y")"#);
        let found: Vec<String> = f.required_equalities().into_iter().map(|(p, _)| p.to_string()).collect();
        assert_eq!(found, vec!["displayName"]);
    }
}
