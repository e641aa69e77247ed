//! Legitimate power: compliance by position.
//!
//! French and Raven (1959): legitimate (formal) power comes from a position
//! the target accepts as entitled to decide (the article's CEO who can fire
//! workers). A complying target gives the actor the decision, and resents it
//! only as far as it does not accept the position:
//! `resentment(j,i) += unaccepted_harm * (1 - acceptance * g_i)`, where `g_i`
//! is the product of the actor's groups' `acceptance` modifiers (1 without
//! groups). Acceptance also scales legitimate power in dyadic power (see
//! [`super::dependence`]). Group modifiers below 1 lower it for some groups
//! (Ridgeway 2001 on status beliefs; the article's qualified deaf employee
//! denied a promotion).

use crate::scenario::reader::{Ctx, Table};

/// Parameters of the legitimate rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// Whether legitimate power can be used. Default true.
    pub enabled: bool,
    /// How far targets accept actors' positions, in [0, 1]. Default 1.0.
    pub acceptance: f64,
    /// Resentment per complied order when the position is not accepted at all. Default 0.3.
    pub unaccepted_harm: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            enabled: true,
            acceptance: 1.0,
            unaccepted_harm: 0.3,
        }
    }
}

impl Params {
    /// Reads `[rules.legitimate]`.
    pub fn read(t: Option<Table<'_, '_>>, ctx: &mut Ctx<'_>) -> Self {
        let d = Self::default();
        let Some(mut t) = t else { return d };
        let p = Params {
            enabled: t.bool(ctx, "enabled", d.enabled),
            acceptance: t.f64(ctx, "acceptance", d.acceptance, 0.0, 1.0),
            unaccepted_harm: t.f64(ctx, "unaccepted_harm", d.unaccepted_harm, 0.0, 1e6),
        };
        t.finish(ctx);
        p
    }

    /// Resentment added by a complied order from an actor whose groups others
    /// accept this far (1 for no group bias).
    #[inline]
    pub fn resentment_from_order(&self, actor_acceptance: f32) -> f32 {
        (self.unaccepted_harm * (1.0 - self.acceptance * actor_acceptance as f64)) as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_positions_breed_no_resentment() {
        assert_eq!(Params::default().resentment_from_order(1.0), 0.0);
        let p = Params {
            acceptance: 0.5,
            ..Params::default()
        };
        assert!(p.resentment_from_order(1.0) > 0.0);
    }
}
