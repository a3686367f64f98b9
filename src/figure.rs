//! Figures that carry their own working.
//!
//! Every number pipecalc reports is a [`Fig`]: a typed value plus the formula
//! that produced it, written twice (with symbols, and with the values put
//! in), and where its inputs came from. The arithmetic operators on figures
//! compute the value and write the working in the same step, so `--explain`
//! is not a second copy of the arithmetic that could drift from it.

use std::fmt;
use std::ops::{Add, Div, Mul, Sub};

use uom::si::f64::{Frequency, Information, InformationRate, Time};

use crate::units::{Count, Quantity, Ratio, Usd, UsdPerGb, UsdPerGbMonth, UsdPerHour};

/// Where an input figure came from.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    /// A key in the scenario file, with its line. Shared, since a figure
    /// read from the file is cloned into many results.
    Scenario { key: std::sync::Arc<str>, line: u64 },
    /// A default pipecalc chose, and why.
    Default(String),
    /// A command-line option.
    Cli(String),
    /// Computed from other figures (shown by the formula).
    Derived,
    /// A price-catalog entry: its id, price, date and source.
    Catalog(String),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Scenario { key, line } => write!(f, "scenario `{key}`, line {line}"),
            Source::Default(why) => write!(f, "default: {why}"),
            Source::Cli(option) => write!(f, "command line `{option}`"),
            Source::Derived => f.write_str("derived"),
            Source::Catalog(entry) => f.write_str(entry),
        }
    }
}

/// How tightly a figure's formula binds, to parenthesise it only where an
/// operator around it binds tighter: `a + b` inside a product, any compound
/// inside a power, `b − c` or `b ÷ c` on the right of its own operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Precedence {
    Sum,
    Product,
    Power,
    /// A symbol, a value, or a function such as `max(…)`.
    Atom,
}

/// The words of a figure: its name, its formula with symbols, and the same
/// formula with the values put in.
#[derive(Clone, Debug)]
struct Text {
    /// The figure's name when it is one the reports mention ("T[ingest]").
    symbol: Option<String>,
    /// `None` for inputs; for derived figures the formula with symbols.
    formula: Option<String>,
    /// The formula with the values put in; empty for an input or a
    /// constant, whose value is written when it is shown.
    working: String,
    /// How the formula binds, when the figure has no name of its own.
    precedence: Precedence,
}

/// A typed value and how it came about.
///
/// A figure evaluated for a study (a corner of the ranges, a Monte Carlo
/// draw) carries no words: its inputs were stripped of them
/// ([`Fig::strip_working`]), and every figure computed from a figure
/// without words has none either, so a draw costs the arithmetic and not
/// the formatting of working nobody reads.
#[derive(Clone, Debug)]
pub struct Fig<Q> {
    pub value: Q,
    pub source: Source,
    text: Option<Box<Text>>,
}

/// One line of `--explain`, with the types erased.
#[derive(Clone, Debug, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct Working {
    pub symbol: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub formula: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub working: Option<String>,
    pub result: String,
    pub source: String,
}

impl fmt::Display for Working {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(formula) = &self.formula else {
            return write!(f, "{} = {}  ({})", self.symbol, self.result, self.source);
        };
        // symbol = formula = working = result, each step shown once.
        let mut steps = vec![self.symbol.as_str(), formula.as_str()];
        if let Some(working) = &self.working {
            if working != formula && working != &self.result {
                steps.push(working);
            }
        }
        if formula != &self.result {
            steps.push(&self.result);
        }
        f.write_str(&steps.join(" = "))
    }
}

/// A figure with its type erased, so a model can list all of its figures
/// in one place.
pub trait AnyFig {
    fn base(&self) -> f64;
    fn working(&self) -> Working;
    /// An input (read from the scenario, a default or an option), not
    /// computed from other figures.
    fn is_input(&self) -> bool;
    /// The base unit of its value, as JSON keys end: `s`, `bytes`, `usd`.
    fn unit(&self) -> &'static str;
    /// A count or a byte total, written as an integer.
    fn whole(&self) -> bool;
    /// Its value as JSON writes it.
    fn json(&self) -> String;
}

impl<Q: Quantity> AnyFig for Fig<Q> {
    fn base(&self) -> f64 {
        Fig::base(self)
    }
    fn working(&self) -> Working {
        Fig::working(self)
    }
    fn is_input(&self) -> bool {
        self.text.as_ref().is_none_or(|t| t.formula.is_none())
            && !matches!(self.source, Source::Derived)
    }
    fn unit(&self) -> &'static str {
        Q::BASE_UNIT
    }
    fn whole(&self) -> bool {
        Q::WHOLE
    }
    fn json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// An input figure a study may set: its key in the scenario, and its value
/// in base units.
pub trait InputFig {
    /// The scenario key it was read from, when it was read from one.
    fn key(&self) -> Option<&str>;
    fn base(&self) -> f64;
    /// The base unit of its value, as JSON keys end.
    fn unit(&self) -> &'static str;
    /// Its value as JSON writes it.
    fn json(&self) -> String;
    fn set_base(&mut self, value: f64);
    /// Drops its words; see [`Fig::strip_working`].
    fn strip_working(&mut self);
    fn working(&self) -> Working;
}

impl<Q: Quantity> InputFig for Fig<Q> {
    fn key(&self) -> Option<&str> {
        match &self.source {
            Source::Scenario { key, .. } => Some(key),
            _ => None,
        }
    }
    fn base(&self) -> f64 {
        Fig::base(self)
    }
    fn unit(&self) -> &'static str {
        Q::BASE_UNIT
    }
    fn json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
    fn set_base(&mut self, value: f64) {
        self.value = Q::from_base(value);
    }
    fn strip_working(&mut self) {
        Fig::strip_working(self)
    }
    fn working(&self) -> Working {
        Fig::working(self)
    }
}

/// A result's figures, listed once beside the type that computes them:
/// what `--explain` shows, what CSV writes a row for, and what the
/// finiteness check walks.
pub trait Explain {
    fn figures(&self) -> Vec<&dyn AnyFig>;

    /// The working of every figure computed here (its inputs are listed
    /// apart, in the report's inputs).
    fn workings(&self) -> Vec<Working> {
        self.figures()
            .into_iter()
            .filter(|f| !f.is_input())
            .map(|f| f.working())
            .collect()
    }
}

/// A figure serializes as its value in its base unit: a count or a byte
/// total as an integer, anything else as a number to twelve significant
/// digits; its formula is for `--explain`, not for scripts.
impl<Q: Quantity> serde::Serialize for Fig<Q> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if Q::WHOLE {
            crate::units::WholeNumber(self.base()).serialize(serializer)
        } else {
            serializer.serialize_f64(crate::units::clean(self.base()))
        }
    }
}

/// A count or a byte total is an integer in every document, whatever its
/// size (see [`crate::units::WholeNumber`]); any other figure a number.
impl<Q: Quantity> schemars::JsonSchema for Fig<Q> {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        if Q::WHOLE { "Integer" } else { "Number" }.into()
    }
    fn inline_schema() -> bool {
        true
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        if Q::WHOLE {
            schemars::json_schema!({ "type": "integer" })
        } else {
            schemars::json_schema!({ "type": "number" })
        }
    }
}

impl<Q: Quantity> Fig<Q> {
    /// An input: a value read from the scenario, a default, or an option.
    pub fn input(value: Q, symbol: impl fmt::Display, source: Source) -> Self {
        Fig {
            value,
            source,
            // A named figure appears in formulas by its symbol, and its
            // value is written from the value when shown.
            text: Some(Box::new(Text {
                symbol: Some(symbol.to_string()),
                formula: None,
                working: String::new(),
                precedence: Precedence::Atom,
            })),
        }
    }

    /// An unnamed constant used inside a formula, such as a unit conversion.
    /// Its words are its value, written when a formula shows it: a study's
    /// stripped figures combine with constants a million times a run and
    /// never show one.
    pub fn constant(value: Q) -> Self {
        Fig {
            value,
            source: Source::Derived,
            text: Some(Box::new(Text {
                symbol: None,
                formula: None,
                working: String::new(),
                precedence: Precedence::Atom,
            })),
        }
    }

    /// Drops the figure's words, keeping its value and its source: a study
    /// evaluates thousands of scenarios and reads only their values.
    pub fn strip_working(&mut self) {
        self.text = None;
    }

    /// Gives a derived figure its name; later formulas refer to it by it.
    /// The name is written only when the figure has words, so a study pays
    /// nothing for it (pass `format_args!`, not `format!`).
    pub fn named(mut self, symbol: impl fmt::Display) -> Self {
        // An input (a sum of one, a count read as a ratio) keeps its own
        // name and source: renamed, it would lose both, and the new name
        // would have no working line.
        if AnyFig::is_input(&self) {
            return self.alias(symbol);
        }
        if let Some(text) = &mut self.text {
            text.symbol = Some(symbol.to_string());
        }
        self
    }

    /// The same value under another name, e.g. `rows_out[ingest] = rows_in[ingest]`.
    pub fn alias(&self, symbol: impl fmt::Display) -> Self {
        Fig {
            value: self.value.clone(),
            source: Source::Derived,
            text: self.text.as_ref().map(|_| {
                Box::new(Text {
                    symbol: Some(symbol.to_string()),
                    formula: Some(self.term()),
                    working: self.value.precise(),
                    precedence: Precedence::Atom,
                })
            }),
        }
    }

    pub fn base(&self) -> f64 {
        self.value.base()
    }

    pub fn human(&self) -> String {
        self.value.human()
    }

    pub fn symbol(&self) -> &str {
        self.text
            .as_ref()
            .and_then(|t| t.symbol.as_deref())
            .unwrap_or("")
    }

    fn precedence(&self) -> Precedence {
        match &self.text {
            Some(text) if text.symbol.is_none() => text.precedence,
            _ => Precedence::Atom,
        }
    }

    /// How this figure appears inside another formula.
    fn term(&self) -> String {
        match self.text.as_deref() {
            Some(Text {
                symbol: Some(symbol),
                ..
            }) => symbol.clone(),
            Some(Text {
                formula: Some(formula),
                ..
            }) => formula.clone(),
            // A constant's words are its value, written now.
            Some(text) if text.working.is_empty() => self.value.human(),
            Some(text) => text.working.clone(),
            None => self.value.precise(),
        }
    }

    /// How this figure's value appears inside another working: with enough
    /// digits for the arithmetic to check (`$0.01467 × 30`, not `$0.01 × 30`).
    fn value_term(&self) -> String {
        match self.text.as_deref() {
            Some(Text {
                symbol: None,
                formula: Some(_),
                working,
                ..
            }) => working.clone(),
            _ => self.value.precise(),
        }
    }

    /// A figure computed from `parts`, with words only when every part has
    /// them; `write` builds the formula from each part's term and the
    /// working from each part's value.
    fn derived<R: Quantity>(
        value: R,
        parts: &[&dyn Term],
        precedence: Precedence,
        write: impl Fn(&[String]) -> String,
    ) -> Fig<R> {
        let text = parts.iter().all(|p| p.has_text()).then(|| {
            let terms: Vec<String> = parts.iter().map(|p| p.term()).collect();
            let values: Vec<String> = parts.iter().map(|p| p.value_term()).collect();
            Box::new(Text {
                symbol: None,
                formula: Some(write(&terms)),
                working: write(&values),
                precedence,
            })
        });
        Fig {
            value,
            source: Source::Derived,
            text,
        }
    }

    fn binary<R: Quantity, Q2: Quantity>(&self, op: Operator, rhs: &Fig<Q2>, value: f64) -> Fig<R> {
        let (lhs_wrap, rhs_wrap) = op.parenthesise(self.precedence(), rhs.precedence());
        let wrap = |term: &str, wrap: bool| {
            if wrap {
                format!("({term})")
            } else {
                term.to_string()
            }
        };
        Self::derived(R::from_base(value), &[self, rhs], op.precedence(), |t| {
            format!(
                "{} {} {}",
                wrap(&t[0], lhs_wrap),
                op.sign(),
                wrap(&t[1], rhs_wrap)
            )
        })
    }

    /// Sum of several figures of one kind; `None` when there are none.
    pub fn sum<'a>(parts: impl IntoIterator<Item = &'a Fig<Q>>) -> Option<Fig<Q>>
    where
        Q: 'a,
    {
        let parts: Vec<&Fig<Q>> = parts.into_iter().collect();
        match parts.as_slice() {
            [] => None,
            [one] => Some((*one).clone()),
            _ => {
                let total: f64 = parts.iter().map(|p| p.base()).sum();
                let terms: Vec<&dyn Term> = parts.iter().map(|p| *p as &dyn Term).collect();
                Some(Self::derived(
                    Q::from_base(total),
                    &terms,
                    Precedence::Sum,
                    |t| t.join(" + "),
                ))
            }
        }
    }

    fn pick(
        name: &str,
        parts: &[&Fig<Q>],
        better: impl Fn(f64, f64) -> bool,
    ) -> Option<(usize, Fig<Q>)> {
        let mut best = 0;
        for (index, part) in parts.iter().enumerate() {
            if better(part.base(), parts[best].base()) {
                best = index;
            }
        }
        let chosen = parts.get(best)?;
        if parts.len() == 1 {
            return Some((0, (*chosen).clone()));
        }
        let terms: Vec<&dyn Term> = parts.iter().map(|p| *p as &dyn Term).collect();
        Some((
            best,
            Self::derived(chosen.value.clone(), &terms, Precedence::Atom, |t| {
                format!("{name}({})", t.join(", "))
            }),
        ))
    }

    /// The largest figure and its index (the first on a tie).
    pub fn max_of<'a>(parts: impl IntoIterator<Item = &'a Fig<Q>>) -> Option<(usize, Fig<Q>)>
    where
        Q: 'a,
    {
        let parts: Vec<&Fig<Q>> = parts.into_iter().collect();
        Self::pick("max", &parts, |a, b| a > b)
    }

    /// The smallest figure and its index (the first on a tie).
    pub fn min_of<'a>(parts: impl IntoIterator<Item = &'a Fig<Q>>) -> Option<(usize, Fig<Q>)>
    where
        Q: 'a,
    {
        let parts: Vec<&Fig<Q>> = parts.into_iter().collect();
        Self::pick("min", &parts, |a, b| a < b)
    }

    /// `self` rounded up to a whole number of `step`s, as per-hour billing
    /// does; nothing (zero) stays zero, since no time is billed for no work.
    pub fn ceil_to(&self, step: &Fig<Q>) -> Fig<Q> {
        let steps = if self.base() <= 0.0 {
            0.0
        } else {
            (self.base() / step.base() - 1e-9).ceil().max(1.0)
        };
        Self::derived(
            Q::from_base(steps * step.base()),
            &[self, step],
            Precedence::Product,
            |t| format!("ceil({} ÷ {}) × {}", t[0], t[1], t[1]),
        )
    }

    pub fn working(&self) -> Working {
        let text = self.text.as_deref();
        Working {
            symbol: self.symbol().to_string(),
            formula: text.and_then(|t| t.formula.clone()),
            working: text.and_then(|t| t.formula.as_ref().map(|_| t.working.clone())),
            result: self.value.human(),
            source: self.source.to_string(),
        }
    }
}

/// An operand of a formula, whatever its kind.
trait Term {
    fn has_text(&self) -> bool;
    fn term(&self) -> String;
    fn value_term(&self) -> String;
}

impl<Q: Quantity> Term for Fig<Q> {
    fn has_text(&self) -> bool {
        self.text.is_some()
    }
    fn term(&self) -> String {
        Fig::term(self)
    }
    fn value_term(&self) -> String {
        Fig::value_term(self)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Operator {
    Plus,
    Minus,
    Times,
    Divide,
    Power,
}

impl Operator {
    fn sign(self) -> &'static str {
        match self {
            Operator::Plus => "+",
            Operator::Minus => "−",
            Operator::Times => "×",
            Operator::Divide => "÷",
            Operator::Power => "^",
        }
    }

    fn precedence(self) -> Precedence {
        match self {
            Operator::Plus | Operator::Minus => Precedence::Sum,
            Operator::Times | Operator::Divide => Precedence::Product,
            Operator::Power => Precedence::Power,
        }
    }

    /// Whether the left and the right operand need brackets to be read as
    /// this operator's operands.
    fn parenthesise(self, lhs: Precedence, rhs: Precedence) -> (bool, bool) {
        let own = self.precedence();
        let lhs_wrap = lhs < own || (self == Operator::Power && lhs == own);
        // `a − (b + c)`, `a ÷ (b × c)`, `a ^ (b ^ c)`: the same binding on
        // the right changes the meaning unless the operator associates.
        let rhs_wrap = rhs < own
            || (rhs == own && matches!(self, Operator::Minus | Operator::Divide | Operator::Power));
        (lhs_wrap, rhs_wrap)
    }
}

impl Fig<Ratio> {
    /// `self` to the power `exponent`, e.g. a volume factor ^ a growth exponent.
    pub fn pow(&self, exponent: &Fig<Ratio>) -> Fig<Ratio> {
        self.binary(Operator::Power, exponent, self.base().powf(exponent.base()))
    }
}

impl Fig<Count> {
    /// Expected distinct keys among `draws` rows whose keys come from a
    /// catalogue of `catalogue` keys with Zipf popularity `skew` (0: all
    /// equally popular): Σₖ 1 − (1 − pₖ)ⁿ, pₖ ∝ 1 ÷ kˢ.
    pub fn distinct_draws(
        draws: &Fig<Count>,
        catalogue: &Fig<Count>,
        skew: &Fig<Ratio>,
    ) -> Fig<Count> {
        let keys = catalogue.base().round().max(1.0) as u64;
        let expected = distinct_keys(draws.base(), keys, skew.base());
        Self::derived(
            Count(expected),
            &[draws, catalogue, skew],
            Precedence::Atom,
            |t| format!("distinct(n = {}, K = {}, s = {})", t[0], t[1], t[2]),
        )
    }

    /// The count as a pure number, for formulas such as a speed-up.
    pub fn as_ratio(&self) -> Fig<Ratio> {
        Fig {
            value: Ratio(self.value.0),
            source: self.source.clone(),
            text: self.text.clone(),
        }
    }
}

impl Fig<Ratio> {
    /// The share of rows the most popular of `keys` keys holds when their
    /// popularity is Zipf with exponent `skew`: 1 ÷ H(K, s), H the
    /// generalised harmonic number.
    pub fn top_key_share(keys: &Fig<Count>, skew: &Fig<Ratio>) -> Fig<Ratio> {
        let count = keys.base().round().max(1.0) as u64;
        let share = 1.0 / harmonic(count, skew.base());
        Self::derived(Ratio(share), &[keys, skew], Precedence::Atom, |t| {
            format!("1 ÷ H(K = {}, s = {})", t[0], t[1])
        })
    }
}

/// H(K, s) = Σ_{k=1..K} k^−s: the first 1,000 terms one by one, the rest
/// by the Euler–Maclaurin formula, which past k = 1,000 is exact to far
/// better than a part in a billion and keeps a catalogue of a billion keys
/// as cheap as one of a thousand.
pub fn harmonic(keys: u64, skew: f64) -> f64 {
    const EXACT: u64 = 1_000;
    let head: f64 = (1..=keys.min(EXACT)).map(|k| (k as f64).powf(-skew)).sum();
    if keys <= EXACT {
        return head;
    }
    // Σ_{k=a..K} f(k) ≈ ∫_a^K f + (f(a) + f(K)) ÷ 2 + (f′(K) − f′(a)) ÷ 12.
    let a = (EXACT + 1) as f64;
    let k = keys as f64;
    let f = |x: f64| x.powf(-skew);
    let derivative = |x: f64| -skew * x.powf(-skew - 1.0);
    let integral = if (skew - 1.0).abs() < 1e-12 {
        (k / a).ln()
    } else {
        (k.powf(1.0 - skew) - a.powf(1.0 - skew)) / (1.0 - skew)
    };
    head + integral + (f(a) + f(k)) / 2.0 + (derivative(k) - derivative(a)) / 12.0
}

/// The distinct keys expected among `draws` draws from a catalogue of
/// `keys` keys whose popularity is Zipf with exponent `skew`: Σₖ 1 − (1 −
/// pₖ)ⁿ, pₖ = k^−s ÷ Σ j^−s.
pub fn distinct_keys(draws: f64, keys: u64, skew: f64) -> f64 {
    distinct_keys_at(&[draws], keys, skew)[0]
}

/// [`distinct_keys`] at several numbers of draws from one catalogue. The
/// first 500 keys are summed one by one; past them consecutive keys are
/// summed in runs 0.4% wide, each at its middle key, which moves the
/// answer by less than a part in a million (the terms change smoothly
/// there) and bounds the work at a few thousand terms whatever the
/// catalogue, so a fit can try many catalogues.
pub fn distinct_keys_at(draws: &[f64], keys: u64, skew: f64) -> Vec<f64> {
    let mut runs: Vec<(f64, f64)> = Vec::new();
    let mut from = 1u64;
    while from <= keys {
        let width = ((from as f64 * 0.004) as u64).max(1);
        let to = (from + width).min(keys + 1);
        let middle = (from + to - 1) as f64 / 2.0;
        runs.push((middle.powf(-skew), (to - from) as f64));
        from = to;
    }
    let total: f64 = runs.iter().map(|(weight, count)| weight * count).sum();
    draws
        .iter()
        .map(|&n| {
            // 1 − (1 − p)ⁿ as −expm1(n · ln1p(−p)), exact for tiny p and huge n.
            runs.iter()
                .map(|(weight, count)| -count * (n * (-(weight / total)).ln_1p()).exp_m1())
                .sum()
        })
        .collect()
}

impl<Q: Quantity> Add for &Fig<Q> {
    type Output = Fig<Q>;
    fn add(self, rhs: &Fig<Q>) -> Fig<Q> {
        self.binary(Operator::Plus, rhs, self.base() + rhs.base())
    }
}

impl<Q: Quantity> Sub for &Fig<Q> {
    type Output = Fig<Q>;
    fn sub(self, rhs: &Fig<Q>) -> Fig<Q> {
        self.binary(Operator::Minus, rhs, self.base() - rhs.base())
    }
}

/// Declares which products and quotients of quantities make sense, and what
/// they give. Values are combined in base units (bytes, seconds, USD), which
/// are coherent, so the declared result type is the only thing to get right.
macro_rules! relation {
    ($lhs:ty, *, $rhs:ty => $out:ty) => {
        impl Mul<&Fig<$rhs>> for &Fig<$lhs> {
            type Output = Fig<$out>;
            fn mul(self, rhs: &Fig<$rhs>) -> Fig<$out> {
                self.binary(Operator::Times, rhs, self.base() * rhs.base())
            }
        }
    };
    ($lhs:ty, /, $rhs:ty => $out:ty) => {
        impl Div<&Fig<$rhs>> for &Fig<$lhs> {
            type Output = Fig<$out>;
            fn div(self, rhs: &Fig<$rhs>) -> Fig<$out> {
                self.binary(Operator::Divide, rhs, self.base() / rhs.base())
            }
        }
    };
}

relation!(Count, *, Information => Information);
relation!(Count, *, Ratio => Count);
relation!(Count, /, Ratio => Count);
relation!(Count, /, Frequency => Time);
relation!(Count, /, Count => Ratio);
relation!(Information, *, Ratio => Information);
relation!(Information, /, Ratio => Information);
relation!(Information, /, Count => Information);
relation!(Information, *, Count => Information);
relation!(Information, /, InformationRate => Time);
relation!(Information, /, Time => InformationRate);
relation!(Information, /, Information => Ratio);
relation!(Information, *, UsdPerGb => Usd);
relation!(Information, *, UsdPerGbMonth => Usd);
relation!(Information, /, Frequency => Information);
relation!(Time, *, Ratio => Time);
relation!(Time, /, Ratio => Time);
relation!(Time, /, Count => Time);
relation!(Time, *, Count => Time);
relation!(Time, /, Time => Ratio);
relation!(Time, *, UsdPerHour => Usd);
relation!(Time, *, InformationRate => Information);
relation!(Time, *, Frequency => Count);
relation!(Usd, *, Ratio => Usd);
relation!(Usd, /, Ratio => Usd);
relation!(Usd, /, Usd => Ratio);
relation!(Ratio, *, Ratio => Ratio);
relation!(Ratio, /, Ratio => Ratio);
relation!(InformationRate, *, Ratio => InformationRate);
relation!(InformationRate, *, Count => InformationRate);
relation!(InformationRate, /, InformationRate => Ratio);
relation!(Frequency, *, Count => Frequency);
relation!(Frequency, *, Ratio => Frequency);
relation!(Frequency, *, Information => InformationRate);
relation!(Frequency, *, Time => Count);
relation!(Count, /, Time => Frequency);
relation!(Frequency, /, Frequency => Ratio);
relation!(Ratio, *, Time => Time);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::{bytes, bytes_per_second, seconds};

    fn scenario(key: &str) -> Source {
        Source::Scenario {
            key: key.into(),
            line: 1,
        }
    }

    #[test]
    fn the_harmonic_number_matches_its_sum_past_the_exact_terms() {
        // Summed one by one for a catalogue past the 1,000 exact terms.
        for (keys, skew) in [(50_000u64, 1.0), (20_000, 0.7), (5_000, 1.3), (1_001, 2.0)] {
            let direct: f64 = (1..=keys).map(|k| (k as f64).powf(-skew)).sum();
            let fast = harmonic(keys, skew);
            assert!(
                (fast - direct).abs() / direct < 1e-9,
                "{keys} {skew}: {fast} vs {direct}"
            );
        }
        // The cluster notes' check: s = 1 over 50K keys, the top key holds
        // 8.8% of the rows (ln 50,000 + γ = 11.397).
        let top = Fig::top_key_share(&Fig::constant(Count(50_000.0)), &Fig::constant(Ratio(1.0)));
        assert!(
            (top.base() - 1.0 / 11.397_003).abs() < 1e-6,
            "{}",
            top.base()
        );
    }

    #[test]
    fn working_is_written_by_the_same_operation_that_computes() {
        let raw = Fig::input(bytes(5e9), "raw_bytes", scenario("volume"));
        let link = Fig::input(bytes_per_second(125e6), "link", scenario("network"));
        let time = (&raw / &link).named("t_transfer");
        assert_eq!(time.base(), 40.0);
        let line = time.working();
        assert_eq!(line.formula.as_deref(), Some("raw_bytes ÷ link"));
        assert_eq!(line.working.as_deref(), Some("5 GB ÷ 125 MB/s"));
        assert_eq!(
            line.to_string(),
            "t_transfer = raw_bytes ÷ link = 5 GB ÷ 125 MB/s = 40 s"
        );
    }

    #[test]
    fn sums_and_maxima_show_every_part() {
        let parts: Vec<Fig<Time>> = [600.0, 1200.0, 600.0, 300.0]
            .iter()
            .enumerate()
            .map(|(i, s)| Fig::input(seconds(*s), format!("T{i}"), Source::Derived))
            .collect();
        let total = Fig::sum(&parts).unwrap().named("T_total");
        assert_eq!(
            total.working().to_string(),
            "T_total = T0 + T1 + T2 + T3 = 10 min + 20 min + 10 min + 5 min = 45 min"
        );
        let (index, max) = Fig::max_of(&parts).unwrap();
        assert_eq!(index, 1);
        assert_eq!(max.base(), 1200.0);
        let workers = Fig::input(Count(10.0), "N", Source::Cli("--workers".into()));
        let parallel = (&total / &workers).named("T_parallel");
        assert_eq!(parallel.base(), 270.0);
        // An unnamed sum inside a quotient is parenthesised.
        let inline = &Fig::sum(&parts).unwrap() / &workers;
        assert_eq!(
            inline.working().working.as_deref(),
            Some("(10 min + 20 min + 10 min + 5 min) ÷ 10")
        );
    }

    #[test]
    fn billing_rounds_up_to_whole_steps() {
        let run = Fig::input(seconds(2700.0), "T", Source::Derived);
        let hour = Fig::input(seconds(3600.0), "increment", Source::Derived);
        assert_eq!(run.ceil_to(&hour).base(), 3600.0);
        let exact = Fig::input(seconds(7200.0), "T", Source::Derived);
        assert_eq!(exact.ceil_to(&hour).base(), 7200.0);
    }
}
