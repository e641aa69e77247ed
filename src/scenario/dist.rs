//! Attribute values: a constant or a distribution to draw each agent's value from.
//!
//! Distributions are drawn from the agent's own set-up stream (see
//! [`crate::rng`]), so an agent's attributes depend only on the seed and its
//! index, not on how many threads build the population. The samplers are
//! powerdyn's own ([`crate::portable`]: polar-method normals, Marsaglia–Tsang
//! gammas, fdlibm `exp` and `ln`), so the values are the same bits in every
//! build and on every platform.

use super::reader::{as_number, non_finite_problem, out_of_range_problem, type_name, Ctx, Table};
use crate::portable;
use crate::rng::Rng;

/// How one attribute's values are given.
#[derive(Debug, Clone, PartialEq)]
pub enum Dist {
    /// Every agent gets this value.
    Const(f64),
    /// Uniform on `[low, high]`.
    Uniform {
        /// Lower bound.
        low: f64,
        /// Upper bound.
        high: f64,
    },
    /// Normal, clipped at 0 from below (and at the attribute's upper bound).
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation.
        sd: f64,
    },
    /// Beta(a, b) scaled to `[0, scale]`.
    Beta {
        /// First shape parameter.
        a: f64,
        /// Second shape parameter.
        b: f64,
        /// Upper end of the support.
        scale: f64,
    },
    /// Log-normal: `exp(N(mu, sigma))`.
    LogNormal {
        /// Mean of the logarithm.
        mu: f64,
        /// Standard deviation of the logarithm.
        sigma: f64,
    },
}

impl Dist {
    /// Draws one value, clipped to `[0, upper]`.
    pub fn sample(&self, rng: &mut Rng, upper: f64) -> f64 {
        let x = match *self {
            Dist::Const(c) => c,
            Dist::Uniform { low, high } => {
                if high > low {
                    low + (high - low) * portable::uniform01(rng)
                } else {
                    low
                }
            }
            Dist::Normal { mean, sd } => mean + sd * portable::standard_normal(rng),
            Dist::Beta { a, b, scale } => scale * portable::beta(rng, a, b),
            Dist::LogNormal { mu, sigma } => {
                portable::exp(mu + sigma * portable::standard_normal(rng))
            }
        };
        if x.is_finite() {
            x.clamp(0.0, upper)
        } else {
            upper.clamp(0.0, f64::MAX)
        }
    }

    /// The distribution's mean before clipping (used for estimates and docs).
    pub fn mean(&self) -> f64 {
        match *self {
            Dist::Const(c) => c,
            Dist::Uniform { low, high } => 0.5 * (low + high),
            Dist::Normal { mean, .. } => mean,
            Dist::Beta { a, b, scale } => scale * a / (a + b),
            Dist::LogNormal { mu, sigma } => portable::exp(mu + 0.5 * sigma * sigma),
        }
    }
}

/// Reads an attribute given as a number or as `{ dist = "...", ... }`.
/// Values must lie in `[0, upper]`; distributions are clipped to it.
pub fn read_dist(
    t: &mut Table<'_, '_>,
    ctx: &mut Ctx<'_>,
    key: &'static str,
    default: f64,
    upper: f64,
) -> Dist {
    let Some(v) = t.get(key) else {
        return Dist::Const(default);
    };
    let path = t.field(key);
    if let Some(x) = as_number(v.get_ref()) {
        if !x.is_finite() || x < 0.0 || x > upper {
            let what = if x.is_finite() {
                out_of_range_problem(v.get_ref(), x)
            } else {
                non_finite_problem(v.get_ref(), x)
            };
            ctx.error(
                Some(v.span()),
                &path,
                what,
                format!("use a value between 0 and {upper}"),
            );
            return Dist::Const(default);
        }
        return Dist::Const(x);
    }
    let toml::de::DeValue::Table(table) = v.get_ref() else {
        ctx.error(
            Some(v.span()),
            &path,
            format!(
                "expected a number or a distribution, found {}",
                type_name(v.get_ref())
            ),
            "write a number, or a table such as { dist = \"uniform\", low = 0, high = 1 }",
        );
        return Dist::Const(default);
    };
    let mut d = Table::new(table, v.span(), path.clone());
    const KINDS: [&str; 4] = ["uniform", "normal", "beta", "lognormal"];
    let kind = d.string(ctx, "dist");
    // Without a known `dist`, no parameter can be told unknown.
    if !matches!(
        kind.as_ref().map(|k| k.get_ref().as_str()),
        Some("uniform" | "normal" | "beta" | "lognormal")
    ) {
        d.known(&[
            "low", "high", "mean", "sd", "a", "b", "scale", "mu", "sigma",
        ]);
    }
    let big = 1e12;
    let dist = match kind.as_ref().map(|k| k.get_ref().as_str()) {
        Some("uniform") => {
            let low = d.req_f64(ctx, "low", 0.0, upper);
            let high = d.req_f64(ctx, "high", 0.0, upper);
            match (low, high) {
                (Some(low), Some(high)) if high < low => {
                    ctx.error(
                        Some(v.span()),
                        &path,
                        format!("uniform needs low <= high, found low = {low}, high = {high}"),
                        "swap the two bounds",
                    );
                    None
                }
                (Some(low), Some(high)) => Some(Dist::Uniform { low, high }),
                _ => None,
            }
        }
        Some("normal") => {
            let mean = d.req_f64(ctx, "mean", -big, big);
            let sd = d.req_f64(ctx, "sd", 0.0, big);
            match (mean, sd) {
                (Some(mean), Some(sd)) => Some(Dist::Normal { mean, sd }),
                _ => None,
            }
        }
        Some("beta") => {
            let a = d.req_f64(ctx, "a", 1e-6, 1e6);
            let b = d.req_f64(ctx, "b", 1e-6, 1e6);
            let scale = d.f64(ctx, "scale", 1.0_f64.min(upper), 0.0, upper);
            match (a, b) {
                (Some(a), Some(b)) => Some(Dist::Beta { a, b, scale }),
                _ => None,
            }
        }
        Some("lognormal") => {
            let mu = d.req_f64(ctx, "mu", -50.0, 50.0);
            let sigma = d.req_f64(ctx, "sigma", 0.0, 10.0);
            match (mu, sigma) {
                (Some(mu), Some(sigma)) => Some(Dist::LogNormal { mu, sigma }),
                _ => None,
            }
        }
        Some(other) => {
            let span = kind.as_ref().map(|k| k.span());
            ctx.error(
                span,
                &format!("{path}.dist"),
                format!("unknown distribution `{other}`"),
                super::reader::suggest(other, &KINDS),
            );
            None
        }
        None => {
            if !d.has("dist") {
                ctx.error(
                    Some(v.span()),
                    &path,
                    "a distribution needs a `dist` key",
                    "add dist = \"uniform\", \"normal\", \"beta\" or \"lognormal\"",
                );
            }
            None
        }
    };
    d.finish(ctx);
    dist.unwrap_or(Dist::Const(default))
}
