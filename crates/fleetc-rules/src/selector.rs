//! Kubernetes label selectors: parse, validate, match and print them.
//!
//! A fleet inventory picks clusters and apps with label selectors, written
//! either in the string syntax of `kubectl -l` (`env=prod,tier in (web,api)`)
//! or as a `metav1.LabelSelector` (`matchLabels` / `matchExpressions`). The
//! same selectors end up in Argo CD objects, where Kubernetes evaluates them.
//! If fleetc read them even slightly differently, the plan it prints would not
//! be what the cluster does; so this module reproduces k8s.io/apimachinery
//! (`pkg/labels/selector.go`, `pkg/apis/meta/v1/helpers.go` and the
//! `ValidateLabelSelector` rules) exactly:
//!
//! * the lexer and parser accept and reject the same strings, with the same
//!   quirks (`in`/`notin` are ordinary words where a value is expected,
//!   `x in ()` means "x is present with the empty value", `x=` means
//!   "x is the empty string", whitespace is space, tab, CR and LF only);
//! * requirements are sorted by key (stably), values sorted and deduplicated;
//! * `!=` and `notin` match when the key is absent, `>`/`<` need a label value
//!   that parses as a 64-bit integer;
//! * [`Display`](fmt::Display) gives Kubernetes' canonical `String()` form.
//!
//! Where this differs from upstream, on purpose:
//!
//! * upstream's lexer treats a NUL byte as the end of the input (so
//!   `"\0env=prod"` parses as "everything"). Such a string is rejected here,
//!   because silently selecting the whole fleet is the worst possible reading
//!   of a typo;
//! * [`Requirement::new`] always deduplicates values, so a `matchExpressions`
//!   entry with `values: [a, a]` prints as `k in (a)` where upstream prints
//!   `k in (a,a)` (it matches the same labels either way);
//! * the "nothing" selector prints as `<nothing>` rather than the empty
//!   string, which would read as "everything".
//!
//! Errors say what is wrong and, where the fix is obvious, how to fix it.
//! [`Selector::matches`] is allocation-free: it runs for every cluster and app
//! of the fleet against every policy.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

use crate::k8s;

/// A set of labels, as found on a cluster or app.
pub type Labels = BTreeMap<String, String>;

/// The relation a [`Requirement`] states between a label and its values
/// (`k8s.io/apimachinery/pkg/selection`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Operator {
    /// `key=value`: the label is present and equal to the value.
    Equals,
    /// `key==value`: same as [`Operator::Equals`], printed as `==`.
    DoubleEquals,
    /// `key!=value`: the label is absent or has another value.
    NotEquals,
    /// `key in (a,b)`: the label is present with one of the values.
    In,
    /// `key notin (a,b)`: the label is absent or has none of the values.
    NotIn,
    /// `key`: the label is present.
    Exists,
    /// `!key`: the label is absent.
    DoesNotExist,
    /// `key>n`: the label is present, an integer, and greater than `n`.
    GreaterThan,
    /// `key<n`: the label is present, an integer, and less than `n`.
    LessThan,
}

impl Operator {
    /// The name used in messages (the metav1 name for the four operators a
    /// `LabelSelector` allows).
    fn name(self) -> &'static str {
        match self {
            Operator::Equals => "Equals",
            Operator::DoubleEquals => "DoubleEquals",
            Operator::NotEquals => "NotEquals",
            Operator::In => "In",
            Operator::NotIn => "NotIn",
            Operator::Exists => "Exists",
            Operator::DoesNotExist => "DoesNotExist",
            Operator::GreaterThan => "GreaterThan",
            Operator::LessThan => "LessThan",
        }
    }

    /// The operator as written in the string syntax (for messages).
    fn syntax(self) -> &'static str {
        match self {
            Operator::Equals => "=",
            Operator::DoubleEquals => "==",
            Operator::NotEquals => "!=",
            Operator::In => "in",
            Operator::NotIn => "notin",
            Operator::Exists => "key",
            Operator::DoesNotExist => "!key",
            Operator::GreaterThan => ">",
            Operator::LessThan => "<",
        }
    }
}

/// A selector error: a message for a human, saying what is wrong and how to
/// fix it where that is obvious.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SelectorError {
    /// What is wrong, and the fix where it is obvious.
    pub message: String,
}

impl SelectorError {
    fn new(message: impl Into<String>) -> Self {
        SelectorError {
            message: message.into(),
        }
    }
}

/// One condition on one label key. Built only through [`Requirement::new`]
/// (or by parsing), so every `Requirement` is valid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requirement {
    key: String,
    operator: Operator,
    /// Sorted and deduplicated.
    values: Vec<String>,
    /// For `GreaterThan`/`LessThan`: the single value, parsed once here so
    /// that matching does not parse it again. Zero for other operators.
    bound: i64,
}

impl Requirement {
    /// Builds a requirement with `NewRequirement`'s rules:
    ///
    /// * the key is a valid label key;
    /// * `In`/`NotIn` need at least one value;
    /// * `Equals`/`DoubleEquals`/`NotEquals` need exactly one value;
    /// * `Exists`/`DoesNotExist` take no values;
    /// * `GreaterThan`/`LessThan` need exactly one value, a 64-bit integer;
    /// * every value is a valid label value (the empty string is one).
    ///
    /// The values are stored sorted and deduplicated (the value count rules
    /// apply to the list as given). Every problem found is reported.
    pub fn new(key: &str, operator: Operator, values: Vec<String>) -> Result<Self, SelectorError> {
        let mut problems = Vec::new();
        if let Err(msg) = k8s::label_key(key) {
            problems.push(format!("invalid label key `{key}`: {msg}"));
        }
        let mut bound = 0;
        let name = operator.name();
        let syntax = operator.syntax();
        match operator {
            Operator::In | Operator::NotIn => {
                if values.is_empty() {
                    problems.push(format!(
                        "values for operator `{name}` must not be empty: list at least one \
                         value (use `Exists` to only require that `{key}` is present)"
                    ));
                }
            }
            Operator::Equals | Operator::DoubleEquals | Operator::NotEquals => {
                if values.len() != 1 {
                    problems.push(format!(
                        "operator `{name}` (`{syntax}`) needs exactly one value, got {}: \
                         use `In`/`NotIn` for a set of values",
                        values.len()
                    ));
                }
            }
            Operator::Exists | Operator::DoesNotExist => {
                if !values.is_empty() {
                    problems.push(format!(
                        "values for operator `{name}` must be empty, got {}: remove them \
                         (use `In` or `NotIn` to test particular values)",
                        values.len()
                    ));
                }
            }
            Operator::GreaterThan | Operator::LessThan => {
                if values.len() != 1 {
                    problems.push(format!(
                        "operator `{name}` (`{syntax}`) needs exactly one integer value, got {}",
                        values.len()
                    ));
                }
                for value in &values {
                    match value.parse::<i64>() {
                        Ok(n) => bound = n,
                        Err(_) => problems.push(format!(
                            "value `{value}` for operator `{name}` (`{syntax}`) must be an \
                             integer, like `{key}{syntax}5`"
                        )),
                    }
                }
            }
        }
        for value in &values {
            if let Err(msg) = k8s::label_value(value) {
                problems.push(format!(
                    "invalid label value `{value}` for key `{key}`: {msg}"
                ));
            }
        }
        if !problems.is_empty() {
            return Err(SelectorError::new(problems.join("; ")));
        }
        let mut values = values;
        values.sort();
        values.dedup();
        Ok(Requirement {
            key: key.to_string(),
            operator,
            values,
            bound,
        })
    }

    /// The label key.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The operator.
    pub fn operator(&self) -> Operator {
        self.operator
    }

    /// The values, sorted and deduplicated (empty for `Exists`/`DoesNotExist`).
    pub fn values(&self) -> &[String] {
        &self.values
    }

    fn has_value(&self, value: &str) -> bool {
        self.values
            .binary_search_by(|v| v.as_str().cmp(value))
            .is_ok()
    }

    /// Whether `labels` satisfy this requirement (`Requirement.Matches`).
    /// Does not allocate.
    pub fn matches(&self, labels: &Labels) -> bool {
        let found = labels.get(self.key.as_str());
        match self.operator {
            Operator::In | Operator::Equals | Operator::DoubleEquals => {
                found.is_some_and(|v| self.has_value(v))
            }
            Operator::NotIn | Operator::NotEquals => found.is_none_or(|v| !self.has_value(v)),
            Operator::Exists => found.is_some(),
            Operator::DoesNotExist => found.is_none(),
            Operator::GreaterThan | Operator::LessThan => {
                let Some(Ok(actual)) = found.map(|v| v.parse::<i64>()) else {
                    return false;
                };
                let wanted = if self.operator == Operator::GreaterThan {
                    Ordering::Greater
                } else {
                    Ordering::Less
                };
                actual.cmp(&self.bound) == wanted
            }
        }
    }
}

impl fmt::Display for Requirement {
    /// `Requirement.String()`: `x in (a,b)`, `x notin (a)`, `x`, `!x`,
    /// `x=a`, `x==a`, `x!=a`, `x>1`, `x<1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.operator == Operator::DoesNotExist {
            f.write_str("!")?;
        }
        f.write_str(&self.key)?;
        let (open, close) = match self.operator {
            Operator::Exists | Operator::DoesNotExist => return Ok(()),
            Operator::Equals => ("=", ""),
            Operator::DoubleEquals => ("==", ""),
            Operator::NotEquals => ("!=", ""),
            Operator::In => (" in (", ")"),
            Operator::NotIn => (" notin (", ")"),
            Operator::GreaterThan => (">", ""),
            Operator::LessThan => ("<", ""),
        };
        f.write_str(open)?;
        for (i, value) in self.values.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(value)?;
        }
        f.write_str(close)
    }
}

/// A label selector: the AND of its requirements, or "nothing".
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selector {
    /// Matches no labels at all (what a null `LabelSelector` means).
    Nothing,
    /// Matches labels that satisfy every requirement; no requirements means
    /// "everything". Kept sorted by key, as Kubernetes does.
    Requirements(Vec<Requirement>),
}

impl Selector {
    /// The selector that matches every label set.
    pub fn everything() -> Self {
        Selector::Requirements(Vec::new())
    }

    /// The selector that matches no label set.
    pub fn nothing() -> Self {
        Selector::Nothing
    }

    /// Parses the string syntax of `kubectl -l` (`labels.Parse`):
    ///
    /// ```text
    /// selector    ::= "" | requirement ("," requirement)*
    /// requirement ::= "!" KEY | KEY | KEY ("=" | "==" | "!=") VALUE?
    ///               | KEY (">" | "<") INTEGER | KEY ("in" | "notin") "(" values ")"
    /// values      ::= VALUE? ("," VALUE?)*
    /// ```
    ///
    /// Requirements are ANDed and sorted by key; the empty string selects
    /// everything.
    pub fn parse(s: &str) -> Result<Self, SelectorError> {
        Selector::parse_as(s, false)
    }

    /// [`Selector::parse`], except that an empty value list (`x in ()`,
    /// `x notin ( )`) is refused. Kubernetes reads `()` as the one empty
    /// value, so `environment notin ()` selects every object whose
    /// `environment` is not empty, absent ones included: nearly always a
    /// list left unfinished, and one that selects the whole fleet. This is
    /// what inventories and the command line use; the empty value is still
    /// `x=`, `x!=` or `x in (a,)`.
    pub fn parse_strict(s: &str) -> Result<Self, SelectorError> {
        Selector::parse_as(s, true)
    }

    fn parse_as(s: &str, strict: bool) -> Result<Self, SelectorError> {
        if let Some(pos) = s.bytes().position(|b| b == 0) {
            return Err(SelectorError::new(format!(
                "label selector {:?} contains a NUL character at column {}: remove it",
                s,
                column(s, pos)
            )));
        }
        let tokens = lex(s);
        let mut parser = Parser {
            src: s,
            tokens: &tokens,
            pos: 0,
            strict,
        };
        match parser.parse() {
            Ok(mut requirements) => {
                requirements.sort_by(|a, b| a.key.cmp(&b.key));
                Ok(Selector::Requirements(requirements))
            }
            Err(message) => Err(SelectorError::new(with_or_hint(s, message))),
        }
    }

    /// The selector for a plain `key: value` map, every pair required
    /// (`ValidatedSelectorFromSet`). Keys and values are validated; an empty
    /// map selects everything.
    pub fn from_set(set: &Labels) -> Result<Self, SelectorError> {
        let mut requirements = Vec::with_capacity(set.len());
        let mut problems = Vec::new();
        for (key, value) in set {
            match Requirement::new(key, Operator::Equals, vec![value.clone()]) {
                Ok(r) => requirements.push(r),
                Err(e) => problems.push(e.message),
            }
        }
        if !problems.is_empty() {
            return Err(SelectorError::new(problems.join("; ")));
        }
        Ok(Selector::Requirements(requirements))
    }

    /// Converts a `metav1.LabelSelector` (`LabelSelectorAsSelector`), with
    /// the checks of `ValidateLabelSelector`: `In`/`NotIn` need values,
    /// `Exists`/`DoesNotExist` forbid them, other operators are invalid, and
    /// keys and values must be valid labels. Every problem is reported.
    ///
    /// An empty `LabelSelector` selects everything. (A *null* one selects
    /// nothing: represent it with [`Selector::nothing`].)
    pub fn from_label_selector(ls: &LabelSelector) -> Result<Self, SelectorError> {
        let mut requirements =
            Vec::with_capacity(ls.match_labels.len() + ls.match_expressions.len());
        let mut problems = Vec::new();
        for (key, value) in &ls.match_labels {
            match Requirement::new(key, Operator::Equals, vec![value.clone()]) {
                Ok(r) => requirements.push(r),
                Err(e) => problems.push(format!("matchLabels: {e}")),
            }
        }
        for (i, expr) in ls.match_expressions.iter().enumerate() {
            let at = format!("matchExpressions[{i}] (key `{}`)", expr.key);
            let operator = match expr.operator.as_str() {
                "In" => Operator::In,
                "NotIn" => Operator::NotIn,
                "Exists" => Operator::Exists,
                "DoesNotExist" => Operator::DoesNotExist,
                other => {
                    problems.push(format!(
                        "{at}: `{other}` is not a valid selector operator: use `In`, `NotIn`, \
                         `Exists` or `DoesNotExist`{}",
                        operator_hint(other)
                    ));
                    // Still report what is wrong with the key and values.
                    if let Err(msg) = k8s::label_key(&expr.key) {
                        problems.push(format!("{at}: invalid label key `{}`: {msg}", expr.key));
                    }
                    for value in &expr.values {
                        if let Err(msg) = k8s::label_value(value) {
                            problems.push(format!(
                                "{at}: invalid label value `{value}` for key `{}`: {msg}",
                                expr.key
                            ));
                        }
                    }
                    continue;
                }
            };
            match Requirement::new(&expr.key, operator, expr.values.clone()) {
                Ok(r) => requirements.push(r),
                Err(e) => problems.push(format!("{at}: {e}")),
            }
        }
        if !problems.is_empty() {
            return Err(SelectorError::new(problems.join("; ")));
        }
        // Stable: a matchLabels entry stays before an expression on the same
        // key, and expressions keep their order.
        requirements.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(Selector::Requirements(requirements))
    }

    /// Whether `labels` satisfy the selector. Does not allocate.
    pub fn matches(&self, labels: &Labels) -> bool {
        match self {
            Selector::Nothing => false,
            Selector::Requirements(requirements) => requirements.iter().all(|r| r.matches(labels)),
        }
    }

    /// The requirements, sorted by key; empty for [`Selector::Nothing`] (and
    /// for "everything").
    pub fn requirements(&self) -> &[Requirement] {
        match self {
            Selector::Nothing => &[],
            Selector::Requirements(requirements) => requirements,
        }
    }

    /// Whether this selector matches every label set (no requirements).
    pub fn is_everything(&self) -> bool {
        matches!(self, Selector::Requirements(r) if r.is_empty())
    }

    /// Whether this is the selector that matches nothing.
    pub fn is_nothing(&self) -> bool {
        matches!(self, Selector::Nothing)
    }
}

impl fmt::Display for Selector {
    /// Kubernetes' `String()`: the requirements joined with `,` (the empty
    /// string for "everything"). [`Selector::Nothing`] has no string form in
    /// Kubernetes; it is shown as `<nothing>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Selector::Nothing => f.write_str("<nothing>"),
            Selector::Requirements(requirements) => {
                for (i, r) in requirements.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    fmt::Display::fmt(r, f)?;
                }
                Ok(())
            }
        }
    }
}

/// A `metav1.LabelSelector`, as written in YAML/JSON.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LabelSelector {
    /// Labels that must have exactly these values.
    #[serde(default)]
    pub match_labels: Labels,
    /// Requirements that must all hold.
    #[serde(default)]
    pub match_expressions: Vec<LabelSelectorRequirement>,
}

/// One `matchExpressions` entry of a [`LabelSelector`].
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct LabelSelectorRequirement {
    /// The label key the requirement is about.
    pub key: String,
    /// `In`, `NotIn`, `Exists` or `DoesNotExist`.
    pub operator: String,
    /// The values of `In` and `NotIn` (empty for the others).
    #[serde(default)]
    pub values: Vec<String>,
}

/// A hint for a `matchExpressions` operator Kubernetes does not know.
fn operator_hint(op: &str) -> String {
    for known in ["In", "NotIn", "Exists", "DoesNotExist"] {
        if op.eq_ignore_ascii_case(known) {
            return format!(" (operators are case-sensitive: did you mean `{known}`?)");
        }
    }
    match op {
        "=" | "==" | "Equals" | "equals" => {
            " (for equality put the key and value in `matchLabels`)".to_string()
        }
        "!=" | "NotEquals" => " (use `NotIn` with a single value)".to_string(),
        ">" | "<" | "Gt" | "Lt" | "GreaterThan" | "LessThan" => {
            " (`Gt`/`Lt` are not allowed in a LabelSelector)".to_string()
        }
        _ => String::new(),
    }
}

// ---------------------------------------------------------------------------
// Lexer

/// Token kinds of `selector.go`'s lexer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tok {
    End,
    OpenPar,
    ClosePar,
    Comma,
    /// `!`
    Not,
    /// `=`
    Eq,
    /// `==`
    DoubleEq,
    /// `!=`
    NotEq,
    /// `>`
    Gt,
    /// `<`
    Lt,
    /// The word `in`.
    In,
    /// The word `notin`.
    NotIn,
    Ident,
}

/// A token and where it is: `src[start..end]`.
#[derive(Clone, Copy, Debug)]
struct Token<'a> {
    tok: Tok,
    text: &'a str,
    start: usize,
    end: usize,
}

fn is_whitespace(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_special(b: u8) -> bool {
    matches!(b, b'=' | b'!' | b'(' | b')' | b',' | b'>' | b'<')
}

/// Splits a selector into tokens, ending with [`Tok::End`]. Identifiers are
/// maximal runs of bytes that are neither whitespace nor special; operators
/// are `==` and `!=` where possible, otherwise one special byte. The caller
/// has rejected NUL bytes.
fn lex(s: &str) -> Vec<Token<'_>> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        while i < b.len() && is_whitespace(b[i]) {
            i += 1;
        }
        let Some(&c) = b.get(i) else {
            out.push(Token {
                tok: Tok::End,
                text: "",
                start: b.len(),
                end: b.len(),
            });
            return out;
        };
        let start = i;
        let tok = if is_special(c) {
            let next = b.get(i + 1).copied();
            let (tok, len) = match (c, next) {
                (b'=', Some(b'=')) => (Tok::DoubleEq, 2),
                (b'!', Some(b'=')) => (Tok::NotEq, 2),
                (b'=', _) => (Tok::Eq, 1),
                (b'!', _) => (Tok::Not, 1),
                (b'(', _) => (Tok::OpenPar, 1),
                (b')', _) => (Tok::ClosePar, 1),
                (b',', _) => (Tok::Comma, 1),
                (b'>', _) => (Tok::Gt, 1),
                _ => (Tok::Lt, 1),
            };
            i += len;
            tok
        } else {
            while i < b.len() && !is_special(b[i]) && !is_whitespace(b[i]) {
                i += 1;
            }
            Tok::Ident
        };
        // Token boundaries are ASCII bytes or the ends, so this never fails.
        let text = s.get(start..i).unwrap_or_default();
        let tok = match (tok, text) {
            (Tok::Ident, "in") => Tok::In,
            (Tok::Ident, "notin") => Tok::NotIn,
            (tok, _) => tok,
        };
        out.push(Token {
            tok,
            text,
            start,
            end: i,
        });
    }
}

// ---------------------------------------------------------------------------
// Parser

/// The recursive-descent parser of `selector.go`, token for token. Where a
/// value or key is expected (upstream's "Values" context) the words `in` and
/// `notin` are plain identifiers; only right after a key are they operators.
struct Parser<'s, 't> {
    src: &'s str,
    tokens: &'t [Token<'s>],
    pos: usize,
    /// Refuse an empty value list ([`Selector::parse_strict`]).
    strict: bool,
}

impl<'s> Parser<'s, '_> {
    /// The current token, in the raw (operator) context.
    fn peek_raw(&self) -> Token<'s> {
        let last = Token {
            tok: Tok::End,
            text: "",
            start: self.src.len(),
            end: self.src.len(),
        };
        self.tokens
            .get(self.pos)
            .or(self.tokens.last())
            .copied()
            .unwrap_or(last)
    }

    /// The current token, with `in`/`notin` read as identifiers.
    fn peek(&self) -> Token<'s> {
        let mut t = self.peek_raw();
        if matches!(t.tok, Tok::In | Tok::NotIn) {
            t.tok = Tok::Ident;
        }
        t
    }

    fn next_raw(&mut self) -> Token<'s> {
        let t = self.peek_raw();
        if self.pos < self.tokens.len() {
            self.pos += 1;
        }
        t
    }

    fn next(&mut self) -> Token<'s> {
        let t = self.peek();
        if self.pos < self.tokens.len() {
            self.pos += 1;
        }
        t
    }

    fn sel(&self) -> &'s str {
        self.src
    }

    fn col(&self, t: &Token<'_>) -> usize {
        column(self.src, t.start)
    }

    /// The input without trailing selector whitespace.
    fn trimmed(&self) -> &'s str {
        self.src.trim_end_matches([' ', '\t', '\r', '\n'])
    }

    fn parse(&mut self) -> Result<Vec<Requirement>, String> {
        let mut requirements = Vec::new();
        let first = self.peek();
        match first.tok {
            Tok::End => return Ok(requirements),
            Tok::Ident | Tok::Not => {}
            Tok::Comma => {
                return Err(format!(
                    "`{}` starts with `,` (column {}): remove it",
                    self.sel(),
                    self.col(&first)
                ))
            }
            _ => {
                return Err(format!(
                    "`{}` has {} at column {} where a label key was expected: {}",
                    self.sel(),
                    describe(&first),
                    self.col(&first),
                    REQUIREMENT_SHAPES
                ))
            }
        }
        loop {
            let r = self.parse_requirement()?;
            // Raw context: only `,` and the end are accepted here, and the
            // raw token lets the message recognise a misplaced `in`/`notin`.
            let after = self.next_raw();
            match after.tok {
                Tok::End => {
                    requirements.push(r);
                    return Ok(requirements);
                }
                Tok::Comma => {
                    let t = self.peek();
                    match t.tok {
                        Tok::Ident | Tok::Not => {}
                        Tok::End => {
                            return Err(format!(
                                "`{}` ends with `,`: remove the trailing comma or add a \
                                 requirement after it",
                                self.sel()
                            ))
                        }
                        Tok::Comma => {
                            return Err(format!(
                                "`{}` has an empty requirement at column {}: remove the extra `,`",
                                self.sel(),
                                self.col(&t)
                            ))
                        }
                        _ => {
                            return Err(format!(
                                "`{}` has {} after `,` at column {} where a label key was \
                                 expected: {}",
                                self.sel(),
                                describe(&t),
                                self.col(&t),
                                REQUIREMENT_SHAPES
                            ))
                        }
                    }
                }
                _ => return Err(self.after_requirement_error(&r, &after)),
            }
            requirements.push(r);
        }
    }

    /// The message for a token that follows a complete requirement but is
    /// neither `,` nor the end.
    fn after_requirement_error(&self, r: &Requirement, t: &Token<'_>) -> String {
        let (sel, col, tok) = (self.sel(), self.col(t), describe(t));
        let key = r.key();
        if r.operator() == Operator::DoesNotExist
            && matches!(
                t.tok,
                Tok::Eq | Tok::DoubleEq | Tok::NotEq | Tok::Gt | Tok::Lt | Tok::In | Tok::NotIn
            )
        {
            return format!(
                "`{sel}`: `!{key}` cannot be followed by {tok} (column {col}): write \
                 `{key}!=value` to exclude one value, or `!{key}` alone to require that \
                 `{key}` is absent"
            );
        }
        match t.tok {
            Tok::ClosePar => format!("`{sel}` has an unmatched `)` at column {col}: remove it"),
            Tok::Eq | Tok::DoubleEq | Tok::NotEq | Tok::Gt | Tok::Lt | Tok::Not => format!(
                "`{sel}` has a second operator {tok} at column {col}: a requirement has one \
                 operator and at most one value; separate requirements with `,`"
            ),
            Tok::OpenPar => format!(
                "`{sel}` has {tok} at column {col} where `,` or the end was expected: only \
                 `in` and `notin` take a parenthesised list"
            ),
            _ => format!(
                "`{sel}` has {tok} at column {col} where `,` or the end was expected: separate \
                 requirements with `,`"
            ),
        }
    }

    fn parse_requirement(&mut self) -> Result<Requirement, String> {
        let mut t = self.next();
        let negated = t.tok == Tok::Not;
        if negated {
            t = self.next();
        }
        if t.tok != Tok::Ident {
            let (sel, col) = (self.sel(), self.col(&t));
            return Err(if t.tok == Tok::End {
                format!(
                    "`{sel}` has `!` without a label key after it: write `!key` to require \
                     that `key` is absent"
                )
            } else {
                format!(
                    "`{sel}` has {} after `!` at column {col}: write `!key` to require that a \
                     label is absent",
                    describe(&t)
                )
            });
        }
        let key = t.text;
        if let Err(msg) = k8s::label_key(key) {
            return Err(format!(
                "in `{}`: invalid label key `{key}`: {msg}",
                self.sel()
            ));
        }
        let after_key = self.peek().tok;
        if negated {
            return self.requirement(key, Operator::DoesNotExist, Vec::new());
        }
        if matches!(after_key, Tok::End | Tok::Comma) {
            return self.requirement(key, Operator::Exists, Vec::new());
        }
        let op_token = self.next_raw();
        let operator = match op_token.tok {
            Tok::In => Operator::In,
            Tok::NotIn => Operator::NotIn,
            Tok::Eq => Operator::Equals,
            Tok::DoubleEq => Operator::DoubleEquals,
            Tok::NotEq => Operator::NotEquals,
            Tok::Gt => Operator::GreaterThan,
            Tok::Lt => Operator::LessThan,
            _ => return Err(self.operator_error(key, &op_token)),
        };
        let values = match operator {
            Operator::In | Operator::NotIn => self.parse_values(key, &op_token)?,
            _ => self.parse_exact_value(key, &op_token)?,
        };
        self.requirement(key, operator, values)
    }

    fn requirement(
        &self,
        key: &str,
        operator: Operator,
        values: Vec<String>,
    ) -> Result<Requirement, String> {
        Requirement::new(key, operator, values).map_err(|e| format!("in `{}`: {e}", self.sel()))
    }

    fn operator_error(&self, key: &str, t: &Token<'_>) -> String {
        let (sel, col) = (self.sel(), self.col(t));
        match t.tok {
            Tok::OpenPar => format!(
                "`{sel}` has `(` right after key `{key}` (column {col}): a value list needs an \
                 operator, write `{key} in (...)` or `{key} notin (...)`"
            ),
            Tok::Not => format!(
                "`{sel}` has `!` after key `{key}` (column {col}): write `{key}!=value` to \
                 exclude a value, or `!{key}` to require that `{key}` is absent"
            ),
            _ => format!(
                "`{sel}` has {} after key `{key}` at column {col} where an operator was \
                 expected: use `=`, `==`, `!=`, `in`, `notin`, `>` or `<`, or write the key \
                 alone to require that it exists (keys cannot contain spaces)",
                describe(t)
            ),
        }
    }

    /// `( values )` after `in` / `notin`.
    fn parse_values(&mut self, key: &str, op: &Token<'_>) -> Result<Vec<String>, String> {
        let open = self.next();
        let (sel, opname) = (self.sel(), op.text);
        if open.tok != Tok::OpenPar {
            let col = self.col(&open);
            return Err(match open.tok {
                Tok::End => format!(
                    "`{sel}` ends after `{opname}`: give the values in parentheses, like \
                     `{key} {opname} (v1,v2)`"
                ),
                Tok::Ident => format!(
                    "`{sel}` needs parentheses around the values of `{opname}` (column {col}): \
                     write `{key} {opname} ({})`",
                    open.text
                ),
                _ => format!(
                    "`{sel}` has {} after `{opname}` at column {col} where `(` was expected: \
                     write `{key} {opname} (v1,v2)`",
                    describe(&open)
                ),
            });
        }
        let first = self.peek();
        match first.tok {
            Tok::Ident | Tok::Comma => {
                let values = self.parse_identifiers_list(key, opname)?;
                // parse_identifiers_list only succeeds in front of `)`.
                self.next();
                Ok(values)
            }
            Tok::ClosePar if self.strict => {
                let what = if op.tok == Tok::NotIn {
                    "every object whose"
                } else {
                    "only objects whose"
                };
                let means = if op.tok == Tok::NotIn {
                    "is not empty (or absent)"
                } else {
                    "is the empty string"
                };
                Err(format!(
                    "`{sel}` has an empty value list after `{opname}` (column {}): Kubernetes \
                     reads `()` as the one empty value, so this selects {what} `{key}` {means}; \
                     list the values, like `{key} {opname} (v1,v2)`, or write `{key}{}` if the \
                     empty value is meant",
                    self.col(&first),
                    if op.tok == Tok::NotIn { "!=" } else { "=" }
                ))
            }
            Tok::ClosePar => {
                self.next();
                Ok(vec![String::new()])
            }
            Tok::End => Err(format!(
                "`{sel}` is missing a closing parenthesis: list the values and close it, like \
                 `{}v1,v2)`",
                self.trimmed()
            )),
            _ => Err(format!(
                "`{sel}` has {} inside the value list at column {}: values are label values \
                 separated by `,`, like `{key} {opname} (v1,v2)`",
                describe(&first),
                self.col(&first)
            )),
        }
    }

    /// A possibly empty list of possibly empty values separated by commas,
    /// up to (not including) `)`. `(,` `,,` and `,)` add the empty value.
    fn parse_identifiers_list(&mut self, key: &str, opname: &str) -> Result<Vec<String>, String> {
        let mut values: Vec<String> = Vec::new();
        loop {
            let t = self.next();
            match t.tok {
                Tok::Ident => {
                    values.push(t.text.to_string());
                    let after = self.peek();
                    match after.tok {
                        Tok::Comma => {}
                        Tok::ClosePar => return Ok(values),
                        Tok::End => return Err(self.missing_paren()),
                        Tok::Ident => {
                            let sel = self.sel();
                            let fixed = format!(
                                "{},{}",
                                sel.get(..t.end).unwrap_or_default(),
                                sel.get(after.start..).unwrap_or_default()
                            );
                            return Err(format!(
                                "`{sel}` has values separated by whitespace (column {}): \
                                 separate them with `,`, write `{fixed}`",
                                self.col(&after)
                            ));
                        }
                        _ => {
                            return Err(format!(
                                "`{}` has {} at column {} inside the value list where `,` or \
                                 `)` was expected",
                                self.sel(),
                                describe(&after),
                                self.col(&after)
                            ))
                        }
                    }
                }
                Tok::Comma => {
                    if values.is_empty() {
                        values.push(String::new());
                    }
                    match self.peek().tok {
                        Tok::ClosePar => {
                            values.push(String::new());
                            return Ok(values);
                        }
                        Tok::Comma => values.push(String::new()),
                        _ => {}
                    }
                }
                Tok::End => return Err(self.missing_paren()),
                _ => {
                    return Err(format!(
                        "`{}` has {} inside the value list at column {}: values are label \
                         values separated by `,`, like `{key} {opname} (v1,v2)`",
                        self.sel(),
                        describe(&t),
                        self.col(&t)
                    ))
                }
            }
        }
    }

    fn missing_paren(&self) -> String {
        let fixed = self
            .trimmed()
            .trim_end_matches([',', ' ', '\t', '\r', '\n']);
        format!(
            "`{}` is missing a closing parenthesis: write `{fixed})`",
            self.sel()
        )
    }

    /// The single value after `=`, `==`, `!=`, `>` or `<`; nothing before
    /// `,` or the end means the empty value.
    fn parse_exact_value(&mut self, key: &str, op: &Token<'_>) -> Result<Vec<String>, String> {
        if matches!(self.peek().tok, Tok::End | Tok::Comma) {
            return Ok(vec![String::new()]);
        }
        let t = self.next();
        if t.tok == Tok::Ident {
            return Ok(vec![t.text.to_string()]);
        }
        let hint = if t.tok == Tok::OpenPar {
            format!("; for a set of values write `{key} in (v1,v2)`")
        } else {
            String::new()
        };
        Err(format!(
            "`{}` has {} after `{}` at column {} where a value was expected: write a single \
             label value, like `{key}{}value`{hint}",
            self.sel(),
            describe(&t),
            op.text,
            self.col(&t),
            op.text
        ))
    }
}

/// The accepted shapes of a requirement, for messages.
const REQUIREMENT_SHAPES: &str =
    "a requirement looks like `key`, `!key`, `key=value`, `key!=value` or `key in (v1,v2)`";

/// A token as it should appear in a message.
fn describe(t: &Token<'_>) -> String {
    if t.tok == Tok::End {
        "the end of the selector".to_string()
    } else {
        format!("`{}`", t.text)
    }
}

/// The 1-based character column of byte offset `pos` in `s`.
fn column(s: &str, pos: usize) -> usize {
    s.get(..pos).map_or(pos, |p| p.chars().count()) + 1
}

/// Adds a note for people who expect `||` or `&&` to work.
fn with_or_hint(s: &str, message: String) -> String {
    if s.contains("||") || s.contains("&&") {
        format!(
            "{message} (label selectors have no `||` or `&&`: all requirements separated by \
             `,` must hold)"
        )
    } else {
        message
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn err(s: &str) -> String {
        Selector::parse(s).unwrap_err().message
    }

    #[test]
    fn missing_paren_message_suggests_the_fix() {
        assert_eq!(
            err("region in (east"),
            "`region in (east` is missing a closing parenthesis: write `region in (east)`"
        );
        assert_eq!(
            err("region in (east,west, "),
            "`region in (east,west, ` is missing a closing parenthesis: write \
             `region in (east,west)`"
        );
        assert!(err("a notin(").contains("missing a closing parenthesis"));
    }

    #[test]
    fn error_messages_say_what_and_how() {
        assert!(err("a in (xyz abc)").contains("write `a in (xyz,abc)`"));
        assert!(err("x in y").contains("write `x in (y)`"));
        assert!(err("x nott in (y)").contains("`nott` after key `x`"));
        assert!(err("!x=a").contains("write `x!=value`"));
        assert!(err("!x in (a)").contains("`!x` cannot be followed by `in`"));
        assert!(err("x=a in (b)").contains("has `in` at column 5 where `,` or the end"));
        assert!(err("a in (xyz),").contains("ends with `,`"));
        assert!(err("x,,y").contains("empty requirement at column 3"));
        assert!(err(",x").contains("starts with `,`"));
        assert!(err("x=a)").contains("unmatched `)`"));
        assert!(err("x=(a)").contains("x in (v1,v2)"));
        assert!(err("x<a").contains("must be an integer"));
        assert!(err("x=a||y=b").contains("no `||`"));
        assert!(err("-key=a")
            .starts_with("in `-key=a`: invalid label key `-key`: name part must consist of"));
        assert!(err("x=a$").contains("invalid label value `a$` for key `x`"));
        assert!(err("!").contains("`!` without a label key"));
        assert!(err("é=a").contains("invalid label key `é`"));
    }

    #[test]
    fn columns_count_characters() {
        assert!(
            err("x in (é é)").contains("column 9"),
            "{}",
            err("x in (é é)")
        );
    }

    #[test]
    fn nul_bytes_are_rejected_not_end_of_input() {
        // Upstream would read "\0env=prod" as the empty selector.
        assert!(err("\0env=prod").contains("NUL"));
        assert!(err("env=prod\0").contains("NUL"));
    }

    #[test]
    fn only_go_whitespace_separates_tokens() {
        assert!(Selector::parse("x\u{0b}=a").is_err());
        assert!(Selector::parse("x\u{a0}").is_err());
        assert!(Selector::parse(" \t\r\nx \t\r\n= \t\r\na \t\r\n").is_ok());
    }

    #[test]
    fn keywords_are_plain_words_in_key_and_value_positions() {
        let s = Selector::parse("in in (in,notin),notin notin (in),x=in,!in2").unwrap();
        assert_eq!(s.to_string(), "in in (in,notin),!in2,notin notin (in),x=in");
        assert!(Selector::parse("x in in").is_err());
        assert!(Selector::parse("x in").is_err());
        assert!(Selector::parse("in")
            .unwrap()
            .matches(&labels(&[("in", "")])));
    }

    #[test]
    fn operators_lex_greedily_only_for_two_char_tokens() {
        assert!(Selector::parse("x<=5").is_err());
        assert!(Selector::parse("x===a").is_err());
        assert!(Selector::parse("x=!a").is_err());
        let s = Selector::parse("x==a,y!=b").unwrap();
        assert_eq!(s.requirements()[0].operator(), Operator::DoubleEquals);
        assert_eq!(s.requirements()[1].operator(), Operator::NotEquals);
    }

    #[test]
    fn greater_and_less_than() {
        let gt = Selector::parse("x>5").unwrap();
        assert!(gt.matches(&labels(&[("x", "6")])));
        assert!(!gt.matches(&labels(&[("x", "5")])));
        assert!(gt.matches(&labels(&[("x", "+6")])));
        assert!(gt.matches(&labels(&[("x", "0006")])));
        assert!(!gt.matches(&labels(&[("x", "6.0")])));
        assert!(!gt.matches(&labels(&[("x", "")])));
        assert!(!gt.matches(&labels(&[("x", "99999999999999999999")])));
        assert!(!gt.matches(&labels(&[])));
        let lt = Selector::parse("x<0").unwrap();
        assert!(lt.matches(&labels(&[("x", "-1")])));
        assert!(lt.matches(&labels(&[("x", "-9223372036854775808")])));
        assert!(Selector::parse("x>9223372036854775807").is_ok());
        assert!(Selector::parse("x>9223372036854775808").is_err());
        // Negative numbers parse but are not valid label values.
        assert!(Selector::parse("x>-1").is_err());
        assert!(Selector::parse("x>").is_err());
        assert_eq!(Selector::parse("x>007").unwrap().to_string(), "x>007");
    }

    #[test]
    fn requirement_constructor_rules() {
        let v = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let r = Requirement::new("k", Operator::In, v(&["b", "a", "b", ""])).unwrap();
        assert_eq!(r.values(), &v(&["", "a", "b"])[..]);
        assert_eq!(r.to_string(), "k in (,a,b)");
        // The count rules apply before deduplication, as upstream.
        assert!(Requirement::new("k", Operator::Equals, v(&["a", "a"])).is_err());
        assert!(Requirement::new("k", Operator::GreaterThan, v(&["1", "1"])).is_err());
        assert!(Requirement::new("k", Operator::NotEquals, v(&[""])).is_ok());
        let e = Requirement::new("k", Operator::Exists, v(&["a"])).unwrap_err();
        assert!(e
            .message
            .starts_with("values for operator `Exists` must be empty"));
        // Every problem is reported.
        let e = Requirement::new("-k", Operator::In, vec![]).unwrap_err();
        assert!(e.message.contains("invalid label key `-k`"));
        assert!(e.message.contains("must not be empty"));
        for op in [Operator::Exists, Operator::In, Operator::Equals] {
            assert!(Requirement::new("", op, vec![]).is_err());
        }
    }

    #[test]
    fn requirement_display_matches_upstream() {
        let v = |xs: &[&str]| xs.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let cases = [
            (Operator::Equals, v(&["a"]), "k=a"),
            (Operator::DoubleEquals, v(&["a"]), "k==a"),
            (Operator::NotEquals, v(&[""]), "k!="),
            (Operator::In, v(&[""]), "k in ()"),
            (Operator::NotIn, v(&["b", "a"]), "k notin (a,b)"),
            (Operator::Exists, vec![], "k"),
            (Operator::DoesNotExist, vec![], "!k"),
            (Operator::GreaterThan, v(&["1"]), "k>1"),
            (Operator::LessThan, v(&["1"]), "k<1"),
        ];
        for (op, values, want) in cases {
            let r = Requirement::new("k", op, values).unwrap();
            assert_eq!(r.to_string(), want);
            let reparsed = Selector::parse(want).unwrap();
            assert_eq!(reparsed.requirements(), std::slice::from_ref(&r));
        }
    }

    #[test]
    fn nothing_and_everything() {
        let any = labels(&[("a", "b")]);
        assert!(!Selector::nothing().matches(&any));
        assert!(!Selector::nothing().matches(&Labels::new()));
        assert!(Selector::everything().matches(&Labels::new()));
        assert!(Selector::nothing().is_nothing());
        assert!(!Selector::nothing().is_everything());
        assert!(Selector::everything().is_everything());
        assert_eq!(Selector::nothing().to_string(), "<nothing>");
        assert_eq!(Selector::everything().to_string(), "");
        assert!(Selector::nothing().requirements().is_empty());
        assert_eq!(Selector::parse("").unwrap(), Selector::everything());
        assert_eq!(Selector::parse(" \t ").unwrap(), Selector::everything());
        assert!(Selector::from_set(&Labels::new()).unwrap().is_everything());
        let empty = LabelSelector::default();
        assert!(Selector::from_label_selector(&empty)
            .unwrap()
            .is_everything());
    }

    #[test]
    fn sorting_by_key_is_stable() {
        let s = Selector::parse("b,a!=x,a,!a").unwrap();
        assert_eq!(s.to_string(), "a!=x,a,!a,b");
        let ls: LabelSelector = serde_json::from_value(serde_json::json!({
            "matchLabels": {"a": "1"},
            "matchExpressions": [
                {"key": "b", "operator": "Exists"},
                {"key": "a", "operator": "NotIn", "values": ["2"]},
            ]
        }))
        .unwrap();
        let s = Selector::from_label_selector(&ls).unwrap();
        assert_eq!(s.to_string(), "a=1,a notin (2),b");
    }

    #[test]
    fn label_selector_errors_are_collected_and_located() {
        let ls: LabelSelector = serde_json::from_value(serde_json::json!({
            "matchLabels": {"ok": "fine", "bad": "-x"},
            "matchExpressions": [
                {"key": "a", "operator": "In"},
                {"key": "b", "operator": "Exists", "values": ["v"]},
                {"key": "c", "operator": "in", "values": ["v"]},
                {"key": "d", "operator": "Equals", "values": ["v"]},
            ]
        }))
        .unwrap();
        let e = Selector::from_label_selector(&ls).unwrap_err().message;
        assert!(
            e.contains("matchLabels: invalid label value `-x` for key `bad`"),
            "{e}"
        );
        assert!(
            e.contains("matchExpressions[0] (key `a`): values for operator `In` must not be empty"),
            "{e}"
        );
        assert!(
            e.contains("matchExpressions[1] (key `b`): values for operator `Exists` must be empty"),
            "{e}"
        );
        assert!(e.contains("`in` is not a valid selector operator"), "{e}");
        assert!(e.contains("did you mean `In`?"), "{e}");
        assert!(e.contains("put the key and value in `matchLabels`"), "{e}");
    }

    #[test]
    fn label_selector_serde_is_strict() {
        let bad = serde_json::json!({"matchLabel": {"a": "b"}});
        assert!(serde_json::from_value::<LabelSelector>(bad).is_err());
        let ok: LabelSelector =
            serde_json::from_value(serde_json::json!({"matchLabels": {"a": "b"}})).unwrap();
        assert_eq!(ok.match_labels.len(), 1);
        assert!(ok.match_expressions.is_empty());
    }

    // ---- property tests ---------------------------------------------------

    /// A label key: sometimes prefixed, sometimes one of the keywords.
    fn key_strategy() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => "[a-c]",
            2 => "[a-z][-a-z0-9_.]{0,6}[a-z0-9]",
            1 => "[a-z]{1,4}\\.(io|com)/[A-Za-z][-A-Za-z0-9_.]{0,5}[A-Za-z0-9]",
            1 => Just("in".to_string()),
            1 => Just("notin".to_string()),
        ]
    }

    fn value_strategy() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => "[xyz]",
            1 => Just(String::new()),
            2 => "[A-Za-z0-9][-A-Za-z0-9_.]{0,6}[A-Za-z0-9]",
            1 => Just("in".to_string()),
            1 => Just("notin".to_string()),
            1 => "[0-9]{1,3}",
        ]
    }

    fn requirement_strategy() -> impl Strategy<Value = Requirement> {
        let values = prop::collection::vec(value_strategy(), 1..4);
        let int = prop_oneof![
            (0i64..20).prop_map(|n| n.to_string()),
            Just(i64::MAX.to_string())
        ];
        (key_strategy(), 0usize..9, values, int).prop_map(|(key, op, values, int)| {
            let (operator, values) = match op {
                0 => (Operator::Equals, vec![values[0].clone()]),
                1 => (Operator::DoubleEquals, vec![values[0].clone()]),
                2 => (Operator::NotEquals, vec![values[0].clone()]),
                3 => (Operator::In, values),
                4 => (Operator::NotIn, values),
                5 => (Operator::Exists, vec![]),
                6 => (Operator::DoesNotExist, vec![]),
                7 => (Operator::GreaterThan, vec![int]),
                _ => (Operator::LessThan, vec![int]),
            };
            Requirement::new(&key, operator, values).expect("generated requirement is valid")
        })
    }

    fn selector_strategy() -> impl Strategy<Value = Selector> {
        prop::collection::vec(requirement_strategy(), 0..5).prop_map(|mut reqs| {
            reqs.sort_by(|a, b| a.key().cmp(b.key()));
            Selector::Requirements(reqs)
        })
    }

    fn labels_strategy() -> impl Strategy<Value = Labels> {
        prop::collection::btree_map(
            prop_oneof![key_strategy(), "[a-c]"],
            prop_oneof![value_strategy(), "-?[0-9]{1,2}", Just("abc".to_string())],
            0..5,
        )
    }

    /// The matching rules restated from the documentation, independently of
    /// `Requirement::matches`.
    fn reference_matches(r: &Requirement, labels: &Labels) -> bool {
        let value = labels.get(r.key());
        let in_set = |v: &String| r.values().contains(v);
        match r.operator() {
            Operator::Equals | Operator::DoubleEquals | Operator::In => {
                matches!(value, Some(v) if in_set(v))
            }
            Operator::NotEquals | Operator::NotIn => match value {
                None => true,
                Some(v) => !in_set(v),
            },
            Operator::Exists => value.is_some(),
            Operator::DoesNotExist => value.is_none(),
            Operator::GreaterThan | Operator::LessThan => {
                let (Some(v), [bound]) = (value, r.values()) else {
                    return false;
                };
                match (v.parse::<i128>(), bound.parse::<i128>()) {
                    (Ok(v), Ok(b)) if v >= i64::MIN as i128 && v <= i64::MAX as i128 => {
                        if r.operator() == Operator::GreaterThan {
                            v > b
                        } else {
                            v < b
                        }
                    }
                    _ => false,
                }
            }
        }
    }

    proptest! {
        #[test]
        fn display_round_trips_through_parse(sel in selector_strategy()) {
            let text = sel.to_string();
            let reparsed = Selector::parse(&text);
            prop_assert_eq!(reparsed.as_ref(), Ok(&sel), "text: {:?}", text);
            prop_assert_eq!(reparsed.unwrap().to_string(), text);
        }

        #[test]
        fn matches_agrees_with_reference(sel in selector_strategy(), ls in labels_strategy()) {
            let want = sel.requirements().iter().all(|r| reference_matches(r, &ls));
            prop_assert_eq!(sel.matches(&ls), want);
        }

        #[test]
        fn parse_never_panics(s in "[ a-c!=<>(),in0-9\t\\-._/]{0,24}") {
            if let Ok(sel) = Selector::parse(&s) {
                // Whatever parses has a canonical form that parses to itself.
                let text = sel.to_string();
                prop_assert_eq!(Selector::parse(&text), Ok(sel));
            }
        }

        #[test]
        fn parse_never_panics_on_any_string(s in "\\PC{0,16}") {
            let _ = Selector::parse(&s);
        }
    }
}
