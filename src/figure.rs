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
    /// A key in the scenario file, with its line.
    Scenario { key: String, line: u64 },
    /// A default pipecalc chose, and why.
    Default(String),
    /// A command-line option.
    Cli(String),
    /// Computed from other figures (shown by the formula).
    Derived,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Scenario { key, line } => write!(f, "scenario `{key}`, line {line}"),
            Source::Default(why) => write!(f, "default: {why}"),
            Source::Cli(option) => write!(f, "command line `{option}`"),
            Source::Derived => f.write_str("derived"),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Fig<Q> {
    pub value: Q,
    /// The figure's name when it is one the reports mention ("T[ingest]").
    symbol: Option<String>,
    /// `None` for inputs; for derived figures the formula with symbols.
    formula: Option<String>,
    /// The formula with the values put in.
    working: String,
    /// Top-level operator of an unnamed derived figure, to parenthesise it
    /// only when it is an operand of a tighter operator.
    loose: bool,
    pub source: Source,
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
}

impl<Q: Quantity> AnyFig for Fig<Q> {
    fn base(&self) -> f64 {
        Fig::base(self)
    }
    fn working(&self) -> Working {
        Fig::working(self)
    }
}

/// A model's figures, listed beside the model that computes them: what
/// `--explain` can show and what the finiteness check walks.
pub trait Explain {
    fn figures(&self) -> Vec<&dyn AnyFig>;
}

impl<Q: Quantity> Fig<Q> {
    /// An input: a value read from the scenario, a default, or an option.
    pub fn input(value: Q, symbol: impl Into<String>, source: Source) -> Self {
        let working = value.human();
        Fig {
            value,
            symbol: Some(symbol.into()),
            formula: None,
            working,
            loose: false,
            source,
        }
    }

    /// An unnamed constant used inside a formula, such as a unit conversion.
    pub fn constant(value: Q) -> Self {
        let working = value.human();
        Fig {
            value,
            symbol: None,
            formula: None,
            working,
            loose: false,
            source: Source::Derived,
        }
    }

    /// Gives a derived figure its name; later formulas refer to it by it.
    pub fn named(mut self, symbol: impl Into<String>) -> Self {
        self.symbol = Some(symbol.into());
        self
    }

    /// The same value under another name, e.g. `rows_out[ingest] = rows_in[ingest]`.
    pub fn alias(&self, symbol: impl Into<String>) -> Self {
        Fig {
            value: self.value.clone(),
            symbol: Some(symbol.into()),
            formula: Some(self.term()),
            working: self.value.human(),
            loose: false,
            source: Source::Derived,
        }
    }

    pub fn base(&self) -> f64 {
        self.value.base()
    }

    pub fn human(&self) -> String {
        self.value.human()
    }

    pub fn symbol(&self) -> &str {
        self.symbol.as_deref().unwrap_or("")
    }

    /// How this figure appears inside another formula.
    fn term(&self) -> String {
        match (&self.symbol, &self.formula) {
            (Some(symbol), _) => symbol.clone(),
            (None, Some(formula)) => formula.clone(),
            (None, None) => self.working.clone(),
        }
    }

    /// How this figure's value appears inside another working.
    fn value_term(&self) -> String {
        match (&self.symbol, &self.formula) {
            (None, Some(_)) => self.working.clone(),
            _ => self.value.human(),
        }
    }

    fn derived<R: Quantity>(value: R, formula: String, working: String, loose: bool) -> Fig<R> {
        Fig {
            value,
            symbol: None,
            formula: Some(formula),
            working,
            loose,
            source: Source::Derived,
        }
    }

    fn binary<R: Quantity, Q2: Quantity>(
        &self,
        op: &str,
        rhs: &Fig<Q2>,
        value: f64,
        loose: bool,
    ) -> Fig<R> {
        // Parenthesise a sum or difference inside a product or quotient,
        // and any compound on the right of a minus.
        let wrap = |term: String, operand_loose: bool| {
            if operand_loose && (!loose || op == "−") {
                format!("({term})")
            } else {
                term
            }
        };
        let lhs_loose = self.symbol.is_none() && self.loose && op != "+" && op != "−";
        let rhs_loose = rhs.symbol.is_none() && rhs.loose;
        Self::derived(
            R::from_base(value),
            format!(
                "{} {op} {}",
                wrap(self.term(), lhs_loose),
                wrap(rhs.term(), rhs_loose)
            ),
            format!(
                "{} {op} {}",
                wrap(self.value_term(), lhs_loose),
                wrap(rhs.value_term(), rhs_loose)
            ),
            loose,
        )
    }

    /// Sum of several figures of one kind; `None` when there are none.
    pub fn sum<'a>(parts: impl IntoIterator<Item = &'a Fig<Q>>) -> Option<Fig<Q>>
    where
        Q: 'a,
    {
        let parts: Vec<&Fig<Q>> = parts.into_iter().collect();
        if parts.is_empty() {
            return None;
        }
        if parts.len() == 1 {
            return Some(parts[0].clone());
        }
        let total: f64 = parts.iter().map(|p| p.base()).sum();
        let formula = parts
            .iter()
            .map(|p| p.term())
            .collect::<Vec<_>>()
            .join(" + ");
        let working = parts
            .iter()
            .map(|p| p.value_term())
            .collect::<Vec<_>>()
            .join(" + ");
        Some(Self::derived(Q::from_base(total), formula, working, true))
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
        let formula = format!(
            "{name}({})",
            parts
                .iter()
                .map(|p| p.term())
                .collect::<Vec<_>>()
                .join(", ")
        );
        let working = format!(
            "{name}({})",
            parts
                .iter()
                .map(|p| p.value_term())
                .collect::<Vec<_>>()
                .join(", ")
        );
        Some((
            best,
            Self::derived(chosen.value.clone(), formula, working, false),
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

    /// `self` rounded up to a whole number of `step`s, as per-hour billing does.
    pub fn ceil_to(&self, step: &Fig<Q>) -> Fig<Q> {
        let steps = (self.base() / step.base() - 1e-9).ceil().max(1.0);
        Self::derived(
            Q::from_base(steps * step.base()),
            format!("ceil({} ÷ {}) × {}", self.term(), step.term(), step.term()),
            format!(
                "ceil({} ÷ {}) × {}",
                self.value_term(),
                step.value_term(),
                step.value_term()
            ),
            false,
        )
    }

    pub fn working(&self) -> Working {
        Working {
            symbol: self.symbol().to_string(),
            formula: self.formula.clone(),
            working: self.formula.as_ref().map(|_| self.working.clone()),
            result: self.value.human(),
            source: self.source.to_string(),
        }
    }
}

impl Fig<Ratio> {
    /// `self` to the power `exponent`, e.g. a volume factor ^ a growth exponent.
    pub fn pow(&self, exponent: &Fig<Ratio>) -> Fig<Ratio> {
        self.binary("^", exponent, self.base().powf(exponent.base()), false)
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
        let n = draws.base();
        let keys = catalogue.base().round().max(1.0) as u64;
        let s = skew.base();
        let weights: Vec<f64> = (1..=keys).map(|k| (k as f64).powf(-s)).collect();
        let total: f64 = weights.iter().sum();
        // 1 − (1 − p)ⁿ as −expm1(n · ln1p(−p)), exact for tiny p and huge n.
        let expected: f64 = weights
            .iter()
            .map(|w| -(n * (-(w / total)).ln_1p()).exp_m1())
            .sum();
        let text = |d: String, k: String, s: String| format!("distinct(n = {d}, K = {k}, s = {s})");
        Fig {
            value: Count(expected),
            symbol: None,
            formula: Some(text(draws.term(), catalogue.term(), skew.term())),
            working: text(
                draws.value_term(),
                catalogue.value_term(),
                skew.value_term(),
            ),
            loose: false,
            source: Source::Derived,
        }
    }

    /// The count as a pure number, for formulas such as a speed-up.
    pub fn as_ratio(&self) -> Fig<Ratio> {
        Fig {
            value: Ratio(self.value.0),
            symbol: self.symbol.clone(),
            formula: self.formula.clone(),
            working: self.working.clone(),
            loose: self.loose,
            source: self.source.clone(),
        }
    }
}

impl<Q: Quantity> Add for &Fig<Q> {
    type Output = Fig<Q>;
    fn add(self, rhs: &Fig<Q>) -> Fig<Q> {
        self.binary("+", rhs, self.base() + rhs.base(), true)
    }
}

impl<Q: Quantity> Sub for &Fig<Q> {
    type Output = Fig<Q>;
    fn sub(self, rhs: &Fig<Q>) -> Fig<Q> {
        self.binary("−", rhs, self.base() - rhs.base(), true)
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
                self.binary("×", rhs, self.base() * rhs.base(), false)
            }
        }
    };
    ($lhs:ty, /, $rhs:ty => $out:ty) => {
        impl Div<&Fig<$rhs>> for &Fig<$lhs> {
            type Output = Fig<$out>;
            fn div(self, rhs: &Fig<$rhs>) -> Fig<$out> {
                self.binary("÷", rhs, self.base() / rhs.base(), false)
            }
        }
    };
}

relation!(Count, *, Information => Information);
relation!(Count, *, Ratio => Count);
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
