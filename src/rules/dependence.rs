//! Dyadic power as dependence (Emerson 1962).
//!
//! The power of `j` over `i` is `i`'s dependence on `j`: it rises with what
//! `i` values in what `j` controls and falls with `i`'s alternatives outside
//! the relationship. Leaving costs something (a steady income, a shared home),
//! so exit cost raises dependence:
//!
//! ```text
//! P(j over i) = engagement(i,j) * dep(i,j) * sum_k w_k * base_j[k] * s_k(i,j)
//! dep(i,j)    = (1 + k_x * exit_cost_i) / (1 + k_a * alt(i,j))
//! alt(i,j)    = sum of i's engagement in its other ties + i's outside alternatives
//! ```
//!
//! `s_k(i,j)` is `i`'s susceptibility to base `k`: reward matters more to the
//! poor (`1 / (1 + resources_i / r_ref)`), referent power works only through
//! positive affect (`max(0, affect(i,j))`), legitimate power only as far as `i`
//! accepts `j`'s position; the others count fully. Withdrawal (lower
//! `engagement(i,j)`) is Emerson's first balancing operation: it takes power
//! away from the other side. The imbalance of a relationship is
//! `|P(i over j) - P(j over i)| / (P(i over j) + P(j over i))`, and its
//! cohesion is the mean of the two dependences (Emerson 1962; Molm 1997).

use crate::model::{N_BASES, REFERENT, REWARD};
use crate::scenario::reader::{Ctx, Table};

/// Parameters of dyadic power.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// `k_a`: how much each unit of alternatives lowers dependence (per engaged tie). Default 0.5.
    pub alternatives_weight: f64,
    /// `k_x`: how much exit cost raises dependence (dimensionless). Default 1.0.
    pub exit_cost_weight: f64,
    /// `r_ref` of reward susceptibility: resources at which reward counts half (resource units). Default 100.
    pub resource_scale: f64,
    /// `w_k`: weight of each base in dyadic power, in base order. Default 1 each.
    pub weights: [f64; N_BASES],
}

impl Default for Params {
    fn default() -> Self {
        Params {
            alternatives_weight: 0.5,
            exit_cost_weight: 1.0,
            resource_scale: 100.0,
            weights: [1.0; N_BASES],
        }
    }
}

impl Params {
    /// Reads `[rules.dependence]`.
    pub fn read(t: Option<Table<'_, '_>>, ctx: &mut Ctx<'_>) -> Self {
        let d = Self::default();
        let Some(mut t) = t else { return d };
        let mut p = Params {
            alternatives_weight: t.f64(ctx, "alternatives_weight", d.alternatives_weight, 0.0, 1e6),
            exit_cost_weight: t.f64(ctx, "exit_cost_weight", d.exit_cost_weight, 0.0, 1e6),
            resource_scale: t.f64(ctx, "resource_scale", d.resource_scale, 1e-9, 1e15),
            weights: d.weights,
        };
        if let Some(mut w) = t.table(ctx, "weights") {
            for (k, name) in crate::model::BASE_NAMES.iter().enumerate() {
                p.weights[k] = w.f64(ctx, name, 1.0, 0.0, 1e6);
            }
            w.finish(ctx);
        }
        t.finish(ctx);
        p
    }

    /// The numerator of dependence, `1 + k_x * exit_cost`.
    #[inline]
    pub fn exit_factor(&self, exit_cost: f32) -> f32 {
        1.0 + self.exit_cost_weight as f32 * exit_cost
    }

    /// `dep(i,j)` from `i`'s exit factor and its alternatives to `j`.
    #[inline]
    pub fn dependence(&self, exit_factor: f32, alternatives: f32) -> f32 {
        exit_factor / self.alternatives_divisor(alternatives)
    }

    /// The denominator of `dep(i,j)`, `1 + k_a * alt(i,j)`.
    #[inline]
    pub fn alternatives_divisor(&self, alternatives: f32) -> f32 {
        1.0 + self.alternatives_weight as f32 * alternatives.max(0.0)
    }

    /// Reward susceptibility of an agent with these resources.
    #[inline]
    pub fn reward_susceptibility(&self, resources: f64) -> f32 {
        (1.0 / (1.0 + resources.max(0.0) / self.resource_scale)) as f32
    }

    /// What `j`'s bases offer anyone who depends on it, split by how the
    /// dependent's susceptibility enters: `acceptance` is how far others
    /// accept `j`'s position (the rule's acceptance times `j`'s group's).
    /// The engine computes this once per agent and step, so a dyadic power
    /// costs a few multiplications instead of a loop over seven bases.
    #[inline]
    pub fn offer(&self, bases_j: &[f32; N_BASES], acceptance: f32) -> Offer {
        let w = |k: usize| self.weights[k] as f32;
        let mut fixed = 0.0f32;
        for (k, &b) in bases_j.iter().enumerate() {
            fixed += match k {
                REWARD | REFERENT => 0.0,
                crate::model::LEGITIMATE => w(k) * b * acceptance,
                _ => w(k) * b,
            };
        }
        Offer {
            fixed,
            reward: w(REWARD) * bases_j[REWARD],
            referent: w(REFERENT) * bases_j[REFERENT],
        }
    }

    /// `P(j over i)` from what `j` offers and `i`'s engagement, dependence,
    /// susceptibility to reward and affect toward `j`.
    #[inline]
    pub fn power_from(
        &self,
        engagement: f32,
        dependence: f32,
        offer: Offer,
        reward_susceptibility: f32,
        affect_toward_j: f32,
    ) -> f32 {
        engagement * dependence * offer.pull(reward_susceptibility, affect_toward_j)
    }

    /// `P(j over i)`: `i`'s engagement and dependence, `j`'s bases, and `i`'s
    /// susceptibilities (to reward, through affect toward `j`, and acceptance of `j`'s position).
    #[inline]
    pub fn power_over(
        &self,
        engagement: f32,
        dependence: f32,
        bases_j: &[f32; N_BASES],
        reward_susceptibility: f32,
        affect_toward_j: f32,
        acceptance: f32,
    ) -> f32 {
        self.power_from(
            engagement,
            dependence,
            self.offer(bases_j, acceptance),
            reward_susceptibility,
            affect_toward_j,
        )
    }
}

/// The part of `P(j over i)` that depends on `j` alone (see [`Params::offer`]).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
#[repr(C)]
pub struct Offer {
    /// `sum_k w_k base_j[k]` over the bases every dependent feels fully
    /// (legitimate scaled by acceptance of `j`'s position).
    pub fixed: f32,
    /// `w_reward * base_j[reward]`, felt as far as the dependent needs resources.
    pub reward: f32,
    /// `w_referent * base_j[referent]`, felt through the dependent's affect toward `j`.
    pub referent: f32,
}

impl Offer {
    /// What the offer is worth to a dependent with this susceptibility to
    /// reward and affect toward `j`: `P(j over i)` divided by `i`'s engagement and dependence.
    #[inline]
    pub fn pull(&self, reward_susceptibility: f32, affect_toward_j: f32) -> f32 {
        self.fixed + self.reward * reward_susceptibility + self.referent * affect_toward_j.max(0.0)
    }
}

/// `|a - b| / (a + b)`, 0 when both are 0.
#[inline]
pub fn imbalance(a: f32, b: f32) -> f32 {
    let s = a + b;
    if s > 0.0 {
        (a - b).abs() / s
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alternatives_lower_dependence_and_exit_cost_raises_it() {
        let p = Params::default();
        let f0 = p.exit_factor(0.0);
        let f1 = p.exit_factor(1.0);
        assert!(p.dependence(f0, 2.0) < p.dependence(f0, 0.0));
        assert!(p.dependence(f1, 1.0) > p.dependence(f0, 1.0));
    }

    #[test]
    fn withdrawal_takes_away_the_other_sides_power() {
        let p = Params::default();
        let b = [1.0; N_BASES];
        let engaged = p.power_over(1.0, 1.0, &b, 0.5, 0.5, 1.0);
        let withdrawn = p.power_over(0.2, 1.0, &b, 0.5, 0.5, 1.0);
        assert!(withdrawn < engaged);
        assert!((withdrawn - 0.2 * engaged).abs() < 1e-6);
    }

    #[test]
    fn imbalance_is_zero_for_equal_power_and_one_for_one_sided() {
        assert_eq!(imbalance(2.0, 2.0), 0.0);
        assert_eq!(imbalance(3.0, 0.0), 1.0);
        assert_eq!(imbalance(0.0, 0.0), 0.0);
        assert!((imbalance(3.0, 1.0) - 0.5).abs() < 1e-7);
    }
}
