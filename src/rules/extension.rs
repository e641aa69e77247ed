//! Network extension: dependent agents seek alternatives.
//!
//! Emerson's (1962) second balancing operation: the weaker side of an
//! unbalanced relationship cultivates alternative sources of what it values,
//! lowering its dependence. An agent that withdrew from some tie this step
//! (see [`super::withdrawal`]) or chose exit (see [`super::response`]), and
//! whose outside alternatives are below `target`, searches: its alternatives grow by `rate * (target - alternatives)` per
//! step. More alternatives lower its dependence on every partner (see
//! [`super::dependence`]), slow its re-engagement, and raise its outside
//! option in bargaining (see [`super::negotiation`]).

use crate::scenario::reader::{Ctx, Table};

/// Parameters of network extension.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// Whether dependent agents seek alternatives. Default false without an `[rules.extension]` section.
    pub enabled: bool,
    /// Alternatives an agent seeks (counted like engaged ties). Default 2.
    pub target: f64,
    /// Share of the gap to `target` closed per step of searching. Default 0.005.
    pub rate: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            enabled: false,
            target: 2.0,
            rate: 0.005,
        }
    }
}

impl Params {
    /// Reads `[rules.extension]`.
    pub fn read(t: Option<Table<'_, '_>>, ctx: &mut Ctx<'_>) -> Self {
        let d = Self::default();
        let Some(mut t) = t else { return d };
        let p = Params {
            enabled: t.bool(ctx, "enabled", true),
            target: t.f64(ctx, "target", d.target, 0.0, 1e6),
            rate: t.f64(ctx, "rate", d.rate, 0.0, 1.0),
        };
        t.finish(ctx);
        p
    }

    /// Alternatives after one step, for an agent that is (or is not) searching.
    #[inline]
    pub fn after(&self, alternatives: f32, searching: bool) -> f32 {
        if self.enabled && searching && (alternatives as f64) < self.target {
            (alternatives as f64 + self.rate * (self.target - alternatives as f64)) as f32
        } else {
            alternatives
        }
    }
}
