//! Status giving: deference that becomes legitimate or referent power.
//!
//! Deference that becomes a resource (Blau 1964): the weaker side of an
//! unbalanced relationship gives the stronger what it values — status,
//! deference, recognition — and the stronger comes to hold it as a base of
//! power. This is the consolidating face of status giving: Emerson (1962)
//! counts status giving among the balancing operations because the stronger
//! comes to value, and so depend on, the status it is given; that
//! dependence is not modelled, and here status widens the imbalance
//! (docs/model.md, section 3.19). When a target complies with an order (legitimate) or a request out
//! of liking (referent) from an actor who has more power over it than it has
//! over the actor, the deference accrues to the actor: its legitimate base
//! (for an order) or its referent endowment (for a request) grows by
//! `gain * max(0, 1 - base / ceiling)`, so status saturates at `ceiling`.
//! Power that starts as dependence thus turns, through use, into authority
//! and esteem (Blau 1964; Ridgeway 2001 on status beliefs).

use crate::scenario::reader::{Ctx, Table};

/// Parameters of status giving.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// Whether deference accrues as status. Default false without a `[rules.status]` section.
    pub enabled: bool,
    /// Legitimate or referent base gained per act of deference, at a base of 0 (base units). Default 0.01.
    pub gain: f64,
    /// The base at which status stops growing (base units). Default 3.
    pub ceiling: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            enabled: false,
            gain: 0.01,
            ceiling: 3.0,
        }
    }
}

impl Params {
    /// A base after one act of deference.
    #[inline]
    pub fn after(&self, base: f32) -> f32 {
        base + (self.gain * (1.0 - base as f64 / self.ceiling).max(0.0)) as f32
    }

    /// Reads `[rules.status]`.
    pub fn read(t: Option<Table<'_, '_>>, ctx: &mut Ctx<'_>) -> Self {
        let d = Self::default();
        let Some(mut t) = t else { return d };
        let p = Params {
            enabled: t.bool(ctx, "enabled", true),
            gain: t.f64(ctx, "gain", d.gain, 0.0, 1e3),
            ceiling: t.f64(ctx, "ceiling", d.ceiling, 1e-9, 1e6),
        };
        t.finish(ctx);
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deference_raises_status_until_the_ceiling() {
        let p = Params::default();
        assert!(p.after(0.0) > 0.0);
        assert!(p.after(1.0) - 1.0 < p.after(0.0));
        assert_eq!(p.after(3.0), 3.0);
        let mut b = 0.0;
        for _ in 0..100_000 {
            b = p.after(b);
        }
        assert!(b <= 3.0 && b > 2.9);
    }
}
