//! Resources: income and consumption.
//!
//! Agents earn an income each step (a salary; given per agent in the
//! scenario) and consume a share of what they hold:
//!
//! ```text
//! resources <- resources * (1 - consumption) + income
//! ```
//!
//! so, without transfers, an agent's resources relax toward `income /
//! consumption` with a time constant of `1 / consumption` steps. Transfers
//! (decisions won, rewards paid) move resources between agents on top of
//! this. Consumption keeps a run stationary: without it every agent's
//! resources, and so its reward power, would grow without bound.
//!
//! Resources stay within `[0, MAX_RESOURCES]` (10^30 units): a scenario that
//! multiplies them step after step (a `resource_shock` with a large factor)
//! reaches the ceiling instead of overflowing to infinity, so every value
//! and metric stays finite.

use crate::scenario::reader::{Ctx, Table};

/// The most resources an agent can hold (resource units).
pub const MAX_RESOURCES: f64 = 1e30;

/// `x` kept within `[0, MAX_RESOURCES]` (NaN, which no rule produces from
/// finite input, becomes 0).
#[inline]
#[allow(clippy::manual_clamp)] // clamp would keep NaN; max/min map it to 0 as before
pub fn bounded(x: f64) -> f64 {
    x.max(0.0).min(MAX_RESOURCES)
}

/// Parameters of income and consumption.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// Share of resources consumed per step (per step). Default 0.005.
    pub consumption: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params { consumption: 0.005 }
    }
}

impl Params {
    /// Reads `[rules.resources]`.
    pub fn read(t: Option<Table<'_, '_>>, ctx: &mut Ctx<'_>) -> Self {
        let d = Self::default();
        let Some(mut t) = t else { return d };
        let p = Params {
            consumption: t.f64(ctx, "consumption", d.consumption, 0.0, 1.0),
        };
        t.finish(ctx);
        p
    }

    /// Resources after one step of consumption and income.
    #[inline]
    pub fn after(&self, resources: f64, income: f32) -> f64 {
        resources * (1.0 - self.consumption) + income as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_stay_within_zero_and_the_ceiling() {
        assert_eq!(bounded(5.5), 5.5);
        assert_eq!(bounded(-1.0), 0.0);
        assert_eq!(bounded(f64::NAN), 0.0);
        assert_eq!(bounded(1e40), MAX_RESOURCES);
        assert_eq!(bounded(f64::INFINITY), MAX_RESOURCES);
    }

    #[test]
    fn resources_relax_toward_income_over_consumption() {
        let p = Params::default();
        let mut r = 0.0;
        for _ in 0..20_000 {
            r = p.after(r, 1.0);
        }
        assert!((r - 1.0 / p.consumption).abs() < 1e-6 * r);
    }
}
