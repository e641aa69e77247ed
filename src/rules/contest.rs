//! Contests: dominance encounters with a winner–loser effect and forgetting.
//!
//! Hemelrijk's DomWorld (Hemelrijk 1999) and Bonabeau, Theraulaz &
//! Deneubourg (1995): when two agents contest, agent `i` wins with the
//! probability its dominance (here its coercive base `C`) gives it,
//!
//! ```text
//! p_i     = C_i / (C_i + C_j)              (1/2 when both are 0)
//! C_i    += intensity * (won_i - p_i)
//! C_j    -= intensity * (won_i - p_i)      (both floored at 0)
//! ```
//!
//! so an expected win changes little and an upset much; and dominance decays
//! toward each agent's starting value (its baseline) between contests,
//! `C_i += forgetting * (baseline_i - C_i)` per step (Bonabeau et al.'s
//! relaxation). High `intensity` makes the hierarchy steep and despotic, low
//! intensity egalitarian (Hemelrijk 1999). Every resisted coercion is a contest
//! (see [`super::coercion`]); with `enabled`, agents also meet in dominance
//! encounters at `rate` per step, as in DomWorld. Each contest adds a win to
//! the winner's half of the tie, from which the dominance matrix and the
//! hierarchy metrics are built.

use crate::scenario::reader::{Ctx, Table};

/// Parameters of contests.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// Whether agents also meet in dominance encounters (besides resisted coercion). Default false.
    pub enabled: bool,
    /// Probability that an agent's act (when its partner takes part) is a dominance encounter. Default 0.2.
    pub rate: f64,
    /// Winner–loser intensity (coercive base units per unit of surprise). Default 0.05.
    pub intensity: f64,
    /// Share of the gap to its baseline that dominance recovers per step (also with encounters off). Default 0.
    pub forgetting: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            enabled: false,
            rate: 0.2,
            intensity: 0.05,
            forgetting: 0.0,
        }
    }
}

impl Params {
    /// Reads `[rules.contests]` (present: enabled unless it says otherwise).
    pub fn read(t: Option<Table<'_, '_>>, ctx: &mut Ctx<'_>) -> Self {
        let d = Self::default();
        let Some(mut t) = t else { return d };
        let p = Params {
            enabled: t.bool(ctx, "enabled", true),
            rate: t.f64(ctx, "rate", d.rate, 0.0, 1.0),
            intensity: t.f64(ctx, "intensity", d.intensity, 0.0, 1e6),
            forgetting: t.f64(ctx, "forgetting", d.forgetting, 0.0, 1.0),
        };
        t.finish(ctx);
        p
    }

    /// A contest between dominance `actor` and `target` from a uniform draw:
    /// whether the actor won, and the change to the actor's dominance (the
    /// target's changes by minus that).
    #[inline]
    pub fn contest(&self, actor: f32, target: f32, u: f32) -> (bool, f32) {
        let total = actor.max(0.0) + target.max(0.0);
        let expected = if total > 0.0 {
            actor.max(0.0) / total
        } else {
            0.5
        };
        let won = u < expected;
        let delta = self.intensity as f32 * (f32::from(u8::from(won)) - expected);
        (won, delta)
    }

    /// Dominance after one step of forgetting toward the baseline.
    #[inline]
    pub fn forget(&self, dominance: f32, baseline: f32) -> f32 {
        dominance + self.forgetting as f32 * (baseline - dominance)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn winning_an_expected_contest_changes_little_and_an_upset_changes_much() {
        let p = Params::default();
        let (won, d) = p.contest(9.0, 1.0, 0.5);
        assert!(won);
        assert!(d > 0.0 && d < 0.1 * p.intensity as f32 + 1e-6);
        let (won, d) = p.contest(9.0, 1.0, 0.95);
        assert!(!won);
        assert!(d < -0.8 * p.intensity as f32);
    }

    #[test]
    fn expected_changes_average_to_zero() {
        // E[won - p] = 0: over a fine grid of draws the mean change vanishes.
        let p = Params::default();
        let n = 100_000;
        let mean: f64 = (0..n)
            .map(|k| p.contest(3.0, 1.0, (k as f32 + 0.5) / n as f32).1 as f64)
            .sum::<f64>()
            / n as f64;
        assert!(mean.abs() < 1e-6, "{mean}");
    }

    #[test]
    fn forgetting_pulls_dominance_back_to_its_baseline() {
        let p = Params {
            forgetting: 0.1,
            ..Params::default()
        };
        assert!((p.forget(2.0, 1.0) - 1.9).abs() < 1e-6);
        assert!((p.forget(0.0, 1.0) - 0.1).abs() < 1e-6);
    }
}
