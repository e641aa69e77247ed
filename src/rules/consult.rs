//! Consult: listen and talk instead of pushing.
//!
//! The article's balanced relationship: partners "listen to each other and
//! make changes based on the feelings and interests of the other" and "talk
//! to each other, especially when issues develop". Consulting is not an
//! influence attempt, so it wins no decision. Talking helps only as far as
//! the other side listens: with `m_other` the personalized share of the
//! partner's motive, each side's resentment falls by the share
//! `relief * (1 - m_other)` and its affect rises by
//! `affect_gain * (1 - m_other) * (1 - affect)`. Talking to a bully who does
//! not listen relieves little. Its propensity comes from the actor's
//! socialized motive (see [`super::tactic`]; Magee & Langner 2008), and
//! counseling (a later intervention) raises it.

use crate::scenario::reader::{Ctx, Table};

/// Parameters of the consult rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// Whether agents consult. Default true.
    pub enabled: bool,
    /// Share of both sides' resentment relieved per consultation. Default 0.2.
    pub relief: f64,
    /// Gain in both sides' affect, as a share of the room left to 1. Default 0.05.
    pub affect_gain: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            enabled: true,
            relief: 0.2,
            affect_gain: 0.05,
        }
    }
}

impl Params {
    /// Reads `[rules.consult]`.
    pub fn read(t: Option<Table<'_, '_>>, ctx: &mut Ctx<'_>) -> Self {
        let d = Self::default();
        let Some(mut t) = t else { return d };
        let p = Params {
            enabled: t.bool(ctx, "enabled", d.enabled),
            relief: t.f64(ctx, "relief", d.relief, 0.0, 1.0),
            affect_gain: t.f64(ctx, "affect_gain", d.affect_gain, 0.0, 1.0),
        };
        t.finish(ctx);
        p
    }

    /// One side's resentment and affect after a consultation with a partner
    /// whose motive has personalized share `other_motive`.
    #[inline]
    pub fn after(&self, resentment: f32, affect: f32, other_motive: f32) -> (f32, f32) {
        let listening = 1.0 - other_motive.clamp(0.0, 1.0);
        (
            resentment * (1.0 - self.relief as f32 * listening),
            (affect + self.affect_gain as f32 * listening * (1.0 - affect)).clamp(-1.0, 1.0),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consulting_relieves_resentment_and_raises_affect() {
        let (r, a) = Params::default().after(1.0, 0.0, 0.0);
        assert!(r < 1.0 && a > 0.0);
        let (r_bully, _) = Params::default().after(1.0, 0.0, 0.9);
        assert!(r_bully > r, "a partner who does not listen relieves less");
    }
}
