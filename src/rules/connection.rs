//! Connection power: introductions.
//!
//! Connection power is access to other people (the article's agent who
//! introduces an actor to a film producer; Hersey, Blanchard & Natemeyer 1979). Using it,
//! the actor opens the target's way to a third party: the target's least
//! engaged other tie is re-engaged by `introduction * (1 - engagement)`, and
//! the grateful target's affect toward the actor rises by
//! `affect_gain * (1 - affect)`. A complying target gives the actor the
//! decision without moving resources. The base itself is derived from the
//! actor's engaged ties (see [`super::derived`]).

use crate::scenario::reader::{Ctx, Table};

/// Parameters of the connection rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// Whether connection power can be used. Default true.
    pub enabled: bool,
    /// Share of the gap to full engagement restored on the target's weakest other tie. Default 0.2.
    pub introduction: f64,
    /// Gain in the target's affect toward the actor. Default 0.05.
    pub affect_gain: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            enabled: true,
            introduction: 0.2,
            affect_gain: 0.05,
        }
    }
}

impl Params {
    /// Reads `[rules.connection]`.
    pub fn read(t: Option<Table<'_, '_>>, ctx: &mut Ctx<'_>) -> Self {
        let d = Self::default();
        let Some(mut t) = t else { return d };
        let p = Params {
            enabled: t.bool(ctx, "enabled", d.enabled),
            introduction: t.f64(ctx, "introduction", d.introduction, 0.0, 1.0),
            affect_gain: t.f64(ctx, "affect_gain", d.affect_gain, 0.0, 1.0),
        };
        t.finish(ctx);
        p
    }
}
