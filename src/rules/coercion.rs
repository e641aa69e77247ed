//! Coercion: threats that win decisions and breed resentment; isolation; and
//! contests when the target resists.
//!
//! French and Raven (1959): coercive power rests on the ability to punish
//! (the article's cop). A coerced target that complies gives the actor the
//! decision. Either way the target is harmed in proportion to its exposure,
//! its engagement in the relationship:
//!
//! ```text
//! resentment(j,i) += harm * engagement(j,i) * (1 - damping * L_i / (1 + L_i))
//! affect(j,i)     -= affect_loss * engagement(j,i)
//! self_esteem_j   -= esteem_loss * engagement(j,i) * self_esteem_j
//! ```
//!
//! Coercion from a legitimate authority (`L_i`, the actor's legitimate base)
//! breeds less resentment (Molm, Quist & Wisely 1994). A personalized coercer
//! (motive `m`) also isolates the target with probability `isolation * m`:
//! the target's engagement in every other tie is multiplied by
//! `1 - isolation_cut` (by `(1 - isolation_cut)^n` when `n` coercers isolate
//! it in the same step; the tie to the last of them in row order is spared),
//! lowering its connection power and alternatives (the article: "limit their
//! partner's power through isolation and threats").
//!
//! A target that resists turns the threat into a contest (see
//! [`super::contest`]), won by the actor with probability
//! `p = C_i / (C_i + C_j)`; the winner–loser effect of Hemelrijk's DomWorld
//! then updates both coercive bases by the surprise of the outcome, and the
//! actor gets the decision only if it wins.
//!
//! Sanctions (see [`crate::events`]): each coercive act is detected with
//! probability `sanction_detection`, and a detected coercer pays
//! `sanction_penalty` of its resources to its target; agents who know it
//! coerce less (the coercion propensity is multiplied by
//! `1 - sanction_detection`).

use crate::scenario::reader::{Ctx, Table};

/// Parameters of the coercion rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// Whether coercion can be used. Default true.
    pub enabled: bool,
    /// Resentment added to a fully engaged target per coercive act (resentment units). Default 0.3.
    pub harm: f64,
    /// How much a legitimate coercer's harm is damped, in [0, 1]. Default 0.5.
    pub legitimacy_damping: f64,
    /// Affect lost by a fully engaged target per act. Default 0.1.
    pub affect_loss: f64,
    /// Share of self-esteem lost by a fully engaged target per act. Default 0.05.
    pub esteem_loss: f64,
    /// Probability per act, times the coercer's personalized share, of isolating the target. Default 0.5.
    pub isolation: f64,
    /// Share of engagement the isolated target loses in each of its other ties. Default 0.1.
    pub isolation_cut: f64,
    /// Probability a coercive act is detected and sanctioned (a sanctions
    /// event sets it from its step on). Default 0.
    pub sanction_detection: f64,
    /// Share of its resources a sanctioned coercer pays its target, at most
    /// 0.5 (with the stakes others may take in the same step, at most half,
    /// an agent can never pay out more than it has). Default 0.
    pub sanction_penalty: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            enabled: true,
            harm: 0.3,
            legitimacy_damping: 0.5,
            affect_loss: 0.1,
            esteem_loss: 0.05,
            isolation: 0.5,
            isolation_cut: 0.1,
            sanction_detection: 0.0,
            sanction_penalty: 0.0,
        }
    }
}

impl Params {
    /// Reads `[rules.coercion]`.
    pub fn read(t: Option<Table<'_, '_>>, ctx: &mut Ctx<'_>) -> Self {
        let d = Self::default();
        let Some(mut t) = t else { return d };
        let p = Params {
            enabled: t.bool(ctx, "enabled", d.enabled),
            harm: t.f64(ctx, "harm", d.harm, 0.0, 1e6),
            legitimacy_damping: t.f64(ctx, "legitimacy_damping", d.legitimacy_damping, 0.0, 1.0),
            affect_loss: t.f64(ctx, "affect_loss", d.affect_loss, 0.0, 2.0),
            esteem_loss: t.f64(ctx, "esteem_loss", d.esteem_loss, 0.0, 1.0),
            isolation: t.f64(ctx, "isolation", d.isolation, 0.0, 1.0),
            isolation_cut: t.f64(ctx, "isolation_cut", d.isolation_cut, 0.0, 1.0),
            sanction_detection: t.f64(ctx, "sanction_detection", d.sanction_detection, 0.0, 1.0),
            sanction_penalty: t.f64(ctx, "sanction_penalty", d.sanction_penalty, 0.0, 0.5),
        };
        t.finish(ctx);
        p
    }

    /// Resentment added to a target with this engagement by a coercer with this legitimate base.
    #[inline]
    pub fn harm_to(&self, target_engagement: f32, coercer_legitimate: f32) -> f32 {
        let l = coercer_legitimate.max(0.0);
        self.harm as f32
            * target_engagement
            * (1.0 - self.legitimacy_damping as f32 * l / (1.0 + l))
    }

    /// Whether a coercer with this personalized share also isolates the target, from a uniform draw.
    #[inline]
    pub fn isolates(&self, motive: f32, u: f32) -> bool {
        u < self.isolation as f32 * motive
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legitimate_coercion_breeds_less_resentment_and_withdrawn_targets_are_less_exposed() {
        let p = Params::default();
        assert!(p.harm_to(1.0, 2.0) < p.harm_to(1.0, 0.0));
        assert!(p.harm_to(0.1, 0.0) < p.harm_to(1.0, 0.0));
    }
}
