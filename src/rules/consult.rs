//! Consult: listen and talk instead of pushing.
//!
//! The article's balanced relationship: partners "listen to each other and
//! make changes based on the feelings and interests of the other" and "talk
//! to each other, especially when issues develop". Consulting is not an
//! influence attempt, so it wins no decision. It relieves both sides'
//! resentment by a share `relief` and raises both sides' affect by
//! `affect_gain * (1 - affect)`. Its propensity comes from the actor's
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

    /// One side's resentment and affect after a consultation.
    #[inline]
    pub fn after(&self, resentment: f32, affect: f32) -> (f32, f32) {
        (
            resentment * (1.0 - self.relief as f32),
            (affect + self.affect_gain as f32 * (1.0 - affect)).clamp(-1.0, 1.0),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consulting_relieves_resentment_and_raises_affect() {
        let (r, a) = Params::default().after(1.0, 0.0);
        assert!(r < 1.0 && a > 0.0);
    }
}
