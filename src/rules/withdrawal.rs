//! Withdrawal: resentful or insecure agents lower their engagement, damped by
//! exit cost; withdrawing protects self-esteem and takes power from the other side.
//!
//! Emerson's (1962) first balancing operation: the weaker side of an
//! unbalanced relationship lowers the value it places on it, which lowers the
//! other side's power over it (dyadic power is proportional to engagement, see
//! [`super::dependence`]). The article: the partner without power "may
//! withdraw from the relationship to protect their own self-esteem", and the
//! partner who feels less attractive "may feel insecure and avoid intimacy";
//! but "a person who needs steady income may decide putting up with bullying is
//! preferable" — a high exit cost holds it in place (investment, in
//! Rusbult's 1983 model). With [`super::response`] on, the agent's response
//! to dissatisfaction scales how fast it withdraws (`scale_i`). Each step, for
//! each half `i -> j` (after resentment has decayed):
//!
//! ```text
//! mobility_i = (1 - exit_cost_i)^exit_damping
//! scale_i    = 1 (exit, or no response), 0.5 (neglect), 0 (voice, loyalty)
//! pressure   = max(0, resentment(i,j) - threshold) + insecurity * max(0, esteem_floor - self_esteem_i)
//! if pressure > 0: engagement -= min(engagement, rate * pressure / (1 + pressure) * scale_i * mobility_i)
//! else:            engagement  = min(1, engagement + reengage / (1 + a_i) * (1 - engagement))
//! ```
//!
//! and then, once per agent, with `W` the engagement it withdrew in all its halves:
//!
//! ```text
//! self_esteem_i += esteem_restore * W * (1 - self_esteem_i)
//! self_esteem_i += esteem_recovery * (baseline_i - self_esteem_i)
//! ```
//!
//! An agent with outside alternatives `a_i` (job offers, other partners)
//! re-invests more slowly in a relationship it has withdrawn from: its
//! commitment is lower (Rusbult 1983's investment model, where the quality of
//! alternatives lowers commitment). A half with engagement below
//! `withdrawn_below` counts as withdrawn.

use crate::model::TieState;
use crate::scenario::reader::{Ctx, Table};

/// Parameters of the withdrawal rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// Whether agents withdraw and re-engage. Default true.
    pub enabled: bool,
    /// Resentment above which an agent starts to withdraw (resentment units). Default 1.0.
    pub threshold: f64,
    /// Largest share of engagement withdrawn per step (per step). Default 0.05.
    pub rate: f64,
    /// Share of the gap to full engagement regained per step when there is no pressure. Default 0.01.
    pub reengage: f64,
    /// Self-esteem regained per unit of engagement withdrawn. Default 0.5.
    pub esteem_restore: f64,
    /// Weight of low self-esteem in the pressure to withdraw. Default 1.0.
    pub insecurity: f64,
    /// Self-esteem below which insecurity adds to the pressure. Default 0.3.
    pub esteem_floor: f64,
    /// Exponent of `(1 - exit_cost)` in the withdrawal rate: how sharply a high exit cost holds an agent in place. Default 2.
    pub exit_damping: f64,
    /// Engagement below which a half counts as withdrawn (for `withdrawn_share`). Default 0.25.
    pub withdrawn_below: f64,
    /// Share of the gap to its baseline that self-esteem recovers per step. Default 0.002.
    pub esteem_recovery: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            enabled: true,
            threshold: 1.0,
            rate: 0.05,
            reengage: 0.01,
            esteem_restore: 0.5,
            insecurity: 1.0,
            esteem_floor: 0.3,
            exit_damping: 2.0,
            withdrawn_below: 0.25,
            esteem_recovery: 0.002,
        }
    }
}

impl Params {
    /// Reads `[rules.withdrawal]`.
    pub fn read(t: Option<Table<'_, '_>>, ctx: &mut Ctx<'_>) -> Self {
        let d = Self::default();
        let Some(mut t) = t else { return d };
        let p = Params {
            enabled: t.bool(ctx, "enabled", d.enabled),
            threshold: t.f64(ctx, "threshold", d.threshold, 0.0, 1e6),
            rate: t.f64(ctx, "rate", d.rate, 0.0, 1.0),
            reengage: t.f64(ctx, "reengage", d.reengage, 0.0, 1.0),
            esteem_restore: t.f64(ctx, "esteem_restore", d.esteem_restore, 0.0, 1e3),
            insecurity: t.f64(ctx, "insecurity", d.insecurity, 0.0, 1e6),
            esteem_floor: t.f64(ctx, "esteem_floor", d.esteem_floor, 0.0, 1.0),
            exit_damping: t.f64(ctx, "exit_damping", d.exit_damping, 0.0, 100.0),
            withdrawn_below: t.f64(ctx, "withdrawn_below", d.withdrawn_below, 0.0, 1.0),
            esteem_recovery: t.f64(ctx, "esteem_recovery", d.esteem_recovery, 0.0, 1.0),
        };
        t.finish(ctx);
        p
    }

    /// How freely an agent with this exit cost can withdraw: `(1 - exit_cost)^exit_damping`.
    #[inline]
    pub fn mobility(&self, exit_cost: f32) -> f32 {
        crate::fastmath::pow(1.0 - exit_cost.clamp(0.0, 1.0), self.exit_damping as f32)
    }

    /// One step over all the halves an agent owns, for an agent with this
    /// self-esteem, mobility (see [`Params::mobility`], already multiplied by
    /// the scale of its response to dissatisfaction: 1 for exit, 0.5 for
    /// neglect, 0 for voice and loyalty, which stay; see [`super::response`])
    /// and outside alternatives: moves each engagement and returns the total
    /// withdrawn. Halves marked in `closed` (cut ties; empty for none) are
    /// left alone.
    pub fn row_step(
        &self,
        row: &mut [TieState],
        esteem: f32,
        mobility: f32,
        alternatives: f32,
        closed: &[bool],
    ) -> f32 {
        let Some(w) = self.prepare(esteem, mobility, alternatives) else {
            return 0.0;
        };
        let mut withdrawn = 0.0;
        for (k, t) in row.iter_mut().enumerate() {
            if closed.get(k) != Some(&true) {
                withdrawn += w.half_step(t);
            }
        }
        withdrawn
    }

    /// What one agent's step needs for each of its halves (None when withdrawal is off).
    #[inline]
    pub fn prepare(&self, esteem: f32, mobility: f32, alternatives: f32) -> Option<RowStep> {
        self.enabled.then(|| RowStep {
            threshold: self.threshold as f32,
            reengage: self.reengage as f32 / (1.0 + alternatives.max(0.0)),
            esteem_pressure: self.insecurity as f32 * (self.esteem_floor as f32 - esteem).max(0.0),
            rate: self.rate as f32 * mobility,
        })
    }

    #[inline]
    pub fn esteem_after(&self, esteem: f32, withdrawn: f32, baseline: f32) -> f32 {
        if !self.enabled {
            return esteem;
        }
        let e = esteem + self.esteem_restore as f32 * withdrawn * (1.0 - esteem);
        (e + self.esteem_recovery as f32 * (baseline - e)).clamp(0.0, 1.0)
    }

    /// Whether a half with this engagement counts as withdrawn.
    #[inline]
    pub fn is_withdrawn(&self, engagement: f32) -> bool {
        engagement < self.withdrawn_below as f32
    }
}

/// One agent's withdrawal step, prepared once for all its halves (see [`Params::prepare`]).
#[derive(Debug, Clone, Copy)]
pub struct RowStep {
    threshold: f32,
    reengage: f32,
    esteem_pressure: f32,
    rate: f32,
}

impl RowStep {
    /// Moves one half's engagement: withdraws under pressure (resentment
    /// above the threshold, or self-esteem below its floor), re-engages
    /// otherwise. Returns the engagement withdrawn.
    #[inline]
    pub fn half_step(&self, t: &mut TieState) -> f32 {
        use crate::fastmath::{max0, min};
        // Both branches computed and one selected, so a row's loop has no
        // unpredictable branch (the cut is 0 when there is no pressure).
        let pressure = max0(t.resentment - self.threshold) + self.esteem_pressure;
        let cut = min(self.rate * pressure / (1.0 + pressure), t.engagement);
        let regained = min(t.engagement + self.reengage * (1.0 - t.engagement), 1.0);
        let under = pressure > 0.0;
        t.engagement = if under { t.engagement - cut } else { regained };
        if under {
            cut
        } else {
            0.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One half, one step: the new engagement and the amount withdrawn.
    fn one(
        p: &Params,
        engagement: f32,
        resentment: f32,
        esteem: f32,
        exit_cost: f32,
    ) -> (f32, f32) {
        let mut row = [TieState {
            engagement,
            resentment,
            affect: 0.0,
        }];
        let cut = p.row_step(&mut row, esteem, p.mobility(exit_cost), 0.0, &[]);
        (row[0].engagement, cut)
    }

    #[test]
    fn resentment_above_threshold_lowers_engagement_and_high_exit_cost_suppresses_it() {
        let p = Params::default();
        let (free, cut_free) = one(&p, 1.0, 3.0, 0.5, 0.0);
        let (stuck, cut_stuck) = one(&p, 1.0, 3.0, 0.5, 0.95);
        assert!(free < 1.0 && cut_free > 0.0);
        assert!(stuck > free && cut_stuck < cut_free / 10.0);
        let (calm, _) = one(&p, 0.5, 0.2, 0.5, 0.0);
        assert!(calm > 0.5);
    }

    #[test]
    fn insecurity_alone_can_drive_withdrawal() {
        let p = Params::default();
        let (e, cut) = one(&p, 1.0, 0.0, 0.05, 0.0);
        assert!(e < 1.0 && cut > 0.0);
    }

    #[test]
    fn a_row_step_moves_each_half_on_its_own_resentment() {
        let p = Params::default();
        let mut row = [
            TieState {
                engagement: 1.0,
                resentment: 3.0,
                affect: 0.0,
            },
            TieState {
                engagement: 0.5,
                resentment: 0.2,
                affect: 0.0,
            },
        ];
        let total = p.row_step(&mut row, 0.5, p.mobility(0.3), 0.0, &[]);
        let (e0, c0) = one(&p, 1.0, 3.0, 0.5, 0.3);
        let (e1, c1) = one(&p, 0.5, 0.2, 0.5, 0.3);
        assert_eq!((row[0].engagement, row[1].engagement), (e0, e1));
        assert_eq!(total, c0 + c1);
        assert!(e0 < 1.0 && e1 > 0.5);
    }

    #[test]
    fn alternatives_slow_reengagement() {
        let p = Params::default();
        let calm = TieState {
            engagement: 0.2,
            resentment: 0.0,
            affect: 0.0,
        };
        let (mut committed, mut free) = ([calm], [calm]);
        p.row_step(&mut committed, 0.6, p.mobility(0.5), 0.0, &[]);
        p.row_step(&mut free, 0.6, p.mobility(0.5), 3.0, &[]);
        assert!(committed[0].engagement > free[0].engagement && free[0].engagement > 0.2);
    }

    #[test]
    fn withdrawing_restores_self_esteem() {
        let p = Params::default();
        assert!(p.esteem_after(0.2, 0.1, 0.2) > 0.2);
    }
}
