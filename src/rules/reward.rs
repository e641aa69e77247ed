//! Reward: the actor pays, the target's liking rises, and compliance gives
//! the actor the decision.
//!
//! French and Raven (1959): reward power rests on the ability to give what
//! the other values (the article's parent with a cookie). Each reward act
//! pays `pay * resources_i` from the actor to the target, raising the
//! target's affect toward the actor by `affect_gain * (1 - affect)`. If the
//! target complies, the decision goes the actor's way and moves the stake
//! (see [`super::tactic::Params::stake`]) of the target's resources to the
//! actor. Paying spends resources and so lowers the actor's reward power
//! (derived from resources, see [`super::derived`]): reward power is used up
//! by use, unlike referent or expert power.

use crate::scenario::reader::{Ctx, Table};

/// Parameters of the reward rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// Whether reward can be used. Default true.
    pub enabled: bool,
    /// Share of the actor's resources paid per reward act (per act). Default 0.02.
    pub pay: f64,
    /// Gain in the target's affect per reward, as a share of the room left to 1. Default 0.1.
    pub affect_gain: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            enabled: true,
            pay: 0.02,
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
            pay: t.f64(ctx, "pay", d.pay, 0.0, 1.0),
            affect_gain: t.f64(ctx, "affect_gain", d.affect_gain, 0.0, 1.0),
        };
        t.finish(ctx);
        p
    }

    /// What one reward act pays from an actor holding `resources`.
    #[inline]
    pub fn payment(&self, resources: f64) -> f64 {
        self.pay * resources.max(0.0)
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
        assert!((p.payment(100.0) - 2.0).abs() < 1e-12);
        assert_eq!(p.payment(-5.0), 0.0);
        let a = p.affect_after(0.0);
        assert!(a > 0.0 && a <= 1.0);
        assert!(p.affect_after(1.0) <= 1.0);
    }
}
