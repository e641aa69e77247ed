//! Resentment: decay, and growth from disadvantageous inequality.
//!
//! Each half of a relationship carries its owner's resentment toward the
//! other. It decays by a share `decay` each step (forgiveness, forgetting)
//! and grows with each interaction in which the owner is worse off than the
//! partner, by the envy term of Fehr & Schmidt (1999):
//!
//! ```text
//! resentment(i,j) += engagement(i,j) * envy * max(0, x_j - x_i) / (x_i + x_j)   on interaction
//! resentment(i,j) <- resentment(i,j) * (1 - decay)                             then, every step
//! ```
//!
//! where `x` are resources; comparison happens inside the relationship, so a
//! withdrawn owner compares less. Coercion adds its own harm (see
//! [`super::coercion`]); consulting relieves resentment faster (see
//! [`super::consult`]). Resentment lowers the owner's compliance (see
//! [`super::tactic`]), invites retaliation, and past a threshold drives
//! withdrawal (see [`super::withdrawal`]).

use crate::scenario::reader::{Ctx, Table};

/// Parameters of the resentment rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// Whether resentment decays and grows from inequality. Default true.
    pub enabled: bool,
    /// Share of resentment that fades each step (per step). Default 0.01.
    pub decay: f64,
    /// Fehr–Schmidt envy weight alpha: resentment per interaction at full relative disadvantage. Default 0.05.
    pub envy: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            enabled: true,
            decay: 0.01,
            envy: 0.05,
        }
    }
}

impl Params {
    /// Reads `[rules.resentment]`.
    pub fn read(t: Option<Table<'_, '_>>, ctx: &mut Ctx<'_>) -> Self {
        let d = Self::default();
        let Some(mut t) = t else { return d };
        let p = Params {
            enabled: t.bool(ctx, "enabled", d.enabled),
            decay: t.f64(ctx, "decay", d.decay, 0.0, 1.0),
            envy: t.f64(ctx, "envy", d.envy, 0.0, 1e6),
        };
        t.finish(ctx);
        p
    }

    /// Resentment after one step of decay.
    #[inline]
    pub fn decayed(&self, r: f32) -> f32 {
        r * self.keep()
    }

    /// The factor resentment keeps in one step of decay (1 when the rule is
    /// off); the apply phase multiplies each half's resentment by it.
    #[inline]
    pub fn keep(&self) -> f32 {
        if self.enabled {
            1.0 - self.decay as f32
        } else {
            1.0
        }
    }

    /// Resentment an interaction adds for an owner holding `own` toward a partner holding `other`.
    #[inline]
    pub fn envy_from(&self, own: f64, other: f64) -> f32 {
        if !self.enabled {
            return 0.0;
        }
        let total = own.max(0.0) + other.max(0.0);
        if total <= 0.0 {
            return 0.0;
        }
        (self.envy * (other - own).max(0.0) / total) as f32
    }

    /// The envy of both sides of an interaction at once, `(envy of a, envy of
    /// b)` for sides holding `a` and `b`: only the poorer side envies, and the
    /// two share one division. Each equals [`Params::envy_from`] up to
    /// rounding.
    #[inline]
    pub fn envy_pair(&self, a: f64, b: f64) -> (f32, f32) {
        if !self.enabled {
            return (0.0, 0.0);
        }
        let total = a.max(0.0) + b.max(0.0);
        if total <= 0.0 {
            return (0.0, 0.0);
        }
        let scale = self.envy / total;
        (
            ((b - a).max(0.0) * scale) as f32,
            ((a - b).max(0.0) * scale) as f32,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resentment_decays_and_only_disadvantage_breeds_envy() {
        let p = Params::default();
        assert!(p.decayed(1.0) < 1.0);
        assert!(p.envy_from(10.0, 90.0) > 0.0);
        assert_eq!(p.envy_from(90.0, 10.0), 0.0);
        assert_eq!(p.envy_from(0.0, 0.0), 0.0);
        assert!((p.envy_from(0.0, 1.0) - 0.05).abs() < 1e-7);
        for (a, b) in [
            (10.0, 90.0),
            (90.0, 10.0),
            (0.0, 0.0),
            (0.0, 1.0),
            (3.5, 3.5),
        ] {
            let (ea, eb) = p.envy_pair(a, b);
            assert!((ea - p.envy_from(a, b)).abs() < 1e-7, "{a} {b}");
            assert!((eb - p.envy_from(b, a)).abs() < 1e-7, "{a} {b}");
        }
    }
}
