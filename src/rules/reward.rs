//! Reward: the actor pays, the target's liking rises, and compliance gives
//! the actor the decision.
//!
//! French and Raven (1959): reward power rests on the ability to give what
//! the other values (the article's parent who gives a cookie in exchange for
//! chores). A reward is an exchange: if the target complies, the decision
//! goes the actor's way, bought rather than taken: no stake moves from the
//! target, and the actor pays `pay * s` (`s` the decision's worth, see
//! [`super::tactic::Params::stake`]; at most half the actor's own resources
//! per tie) to the target, whose affect toward the actor rises by
//! `affect_gain * (1 - affect)`. Paying spends resources and so lowers the
//! actor's reward power (derived from resources, see [`super::derived`]):
//! reward power is used up by use, unlike referent or expert power. Reward
//! susceptibility falls with the target's own resources (see
//! [`super::dependence`]), so rewards buy more compliance from the poor.

use crate::scenario::reader::{Ctx, Table};

/// Parameters of the reward rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// Whether reward can be used. Default true.
    pub enabled: bool,
    /// What a complied reward pays, as a share of the decision's stake (dimensionless). Default 0.5.
    pub pay: f64,
    /// Gain in the target's affect per reward, as a share of the room left to 1. Default 0.1.
    pub affect_gain: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            enabled: true,
            pay: 0.5,
            affect_gain: 0.1,
        }
    }
}

impl Params {
    /// Reads `[rules.reward]`.
    pub fn read(t: Option<Table<'_, '_>>, ctx: &mut Ctx<'_>) -> Self {
        let d = Self::default();
        let Some(mut t) = t else { return d };
        let p = Params {
            enabled: t.bool(ctx, "enabled", d.enabled),
            pay: t.f64(ctx, "pay", d.pay, 0.0, 10.0),
            affect_gain: t.f64(ctx, "affect_gain", d.affect_gain, 0.0, 1.0),
        };
        t.finish(ctx);
        p
    }

    /// What a complied reward pays for a decision worth `stake`, from an actor
    /// holding `resources` spread over `degree` ties.
    #[inline]
    pub fn payment(&self, stake: f64, resources: f64, degree: usize) -> f64 {
        (self.pay * stake.max(0.0)).min(0.5 * resources.max(0.0) / degree.max(1) as f64)
    }

    /// The target's affect toward the actor after a reward.
    #[inline]
    pub fn affect_after(&self, affect: f32) -> f32 {
        (affect + self.affect_gain as f32 * (1.0 - affect)).clamp(-1.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reward_pays_a_share_and_raises_affect_toward_one() {
        let p = Params::default();
        assert!((p.payment(4.0, 100.0, 1) - 2.0).abs() < 1e-12);
        assert_eq!(p.payment(-5.0, 100.0, 1), 0.0);
        assert!(
            (p.payment(400.0, 100.0, 2) - 25.0).abs() < 1e-12,
            "capped at half the actor's share"
        );
        let a = p.affect_after(0.0);
        assert!(a > 0.0 && a <= 1.0);
        assert!(p.affect_after(1.0) <= 1.0);
    }
}
