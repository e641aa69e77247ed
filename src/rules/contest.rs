//! Contests: dominance encounters with a winner–loser effect and forgetting.
//!
//! Hemelrijk's DomWorld (Hemelrijk 1999) and Bonabeau, Theraulaz &
//! Deneubourg (1995): when two agents contest, agent `i` wins with the
//! probability its dominance (here its coercive base `C`) gives it,
//!
//! ```text
//! p_i     = C_i / (C_i + C_j)              (1/2 when both are 0)
//! d       = intensity * (won_i - p_i)
//! d       = min(d, max(0, C_j - 0.01))     if i won: the loser keeps at least 0.01
//! d       = max(d, -max(0, C_i - 0.01))    if i lost
//! C_i    += d
//! C_j    -= d
//! ```
//!
//! so an expected win changes little and an upset much, and what the winner
//! gains the loser loses: a contest moves dominance, it does not create it.
//! As in DomWorld, dominance stays positive (at least 0.01, Hemelrijk's
//! floor), so a loser can always win again: at 0 its chance would be 0 for
//! good. Contests in the same step are all computed from the dominance at
//! its start; an agent that loses several of them is kept at the floor (this
//! alone can make a step's changes not sum to zero). Dominance decays
//! toward each agent's starting value (its baseline) between contests,
//! `C_i += forgetting * (baseline_i - C_i)` per step: a relaxation in the
//! spirit of Bonabeau et al.'s, but toward each agent's own start rather than
//! toward zero, so inequality the agents start with is kept (DomWorld has no
//! forgetting). High `intensity` makes the hierarchy steep and despotic, low
//! intensity egalitarian (Hemelrijk 1999). Every resisted coercion is a contest
//! (see [`super::coercion`]); with `enabled`, agents also meet in dominance
//! encounters as in DomWorld: an act whose chosen partner takes part is an
//! encounter with probability `rate` (a rate per act, so per step it is
//! lower). Each contest adds a win to
//! the winner's half of the tie, from which the dominance matrix and the
//! hierarchy metrics are built.

use crate::scenario::reader::{Ctx, Table};

/// The least dominance contests leave an agent that had more (DomWorld's
/// floor, which keeps every agent's chance of winning above 0).
pub const DOMINANCE_FLOOR: f32 = 0.01;

/// The floor of an agent's dominance in a step that started at `start`:
/// [`DOMINANCE_FLOOR`], or `start` if that was lower (contests never raise
/// an agent to the floor, nor take it below where it was).
#[inline]
pub fn floor_of(start: f32) -> f32 {
    start.clamp(0.0, DOMINANCE_FLOOR)
}

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
    /// target's changes by minus that), no more than the loser holds above
    /// [`DOMINANCE_FLOOR`].
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
        let room = |c: f32| (c - DOMINANCE_FLOOR).max(0.0);
        let delta = if won {
            delta.min(room(target))
        } else {
            delta.max(-room(actor))
        };
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
    fn a_contest_moves_dominance_without_creating_it_and_keeps_the_loser_above_the_floor() {
        let p = Params {
            intensity: 0.8,
            ..Params::default()
        };
        // A weak loser gives what it has above the floor, no more
        // (uncapped, the changes would be 0.8 / 3 and -0.16).
        let (won, d) = p.contest(0.2, 0.1, 0.0);
        assert!(won);
        assert!((d - (0.1 - DOMINANCE_FLOOR)).abs() < 1e-6, "{d}");
        let (won, d) = p.contest(0.05, 0.2, 0.999);
        assert!(!won);
        assert!((d + (0.05 - DOMINANCE_FLOOR)).abs() < 1e-6, "{d}");
        // A loser at or below the floor loses nothing.
        assert_eq!(p.contest(3.0, 0.01, 0.0), (true, 0.0));
        assert_eq!(p.contest(0.005, 3.0, 0.999), (false, 0.0));
        // Otherwise the change is the winner-loser effect itself.
        let (_, d) = p.contest(1.0, 1.0, 0.0);
        assert!((d - 0.4).abs() < 1e-6);
        assert_eq!(floor_of(0.5), DOMINANCE_FLOOR);
        assert_eq!(floor_of(0.003), 0.003);
        assert_eq!(floor_of(-1.0), 0.0);
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
