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

use crate::scenario::reader::{Ctx, Table};

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
    fn resources_relax_toward_income_over_consumption() {
        let p = Params::default();
        let mut r = 0.0;
        for _ in 0..20_000 {
            r = p.after(r, 1.0);
        }
        assert!((r - 1.0 / p.consumption).abs() < 1e-6 * r);
    }
}
