//! Referent power: compliance because the target likes the actor.
//!
//! French and Raven (1959): referent power rests on identification and
//! liking (the article's popular student who starts a fashion). It works only
//! through positive affect (see [`super::dependence`]), carries the strongest
//! pull on compliance of the bases (`bias_referent`, see [`super::tactic`]),
//! wins the decision when the target complies, and breeds no resentment of
//! its own (the envy of the worse-off side, see [`super::resentment`], comes
//! with every interaction but consult). The
//! base itself is derived from the liking others hold (see [`super::derived`]).

use crate::scenario::reader::{Ctx, Table};

/// Parameters of the referent rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// Whether referent power can be used. Default true.
    pub enabled: bool,
}

impl Default for Params {
    fn default() -> Self {
        Params { enabled: true }
    }
}

impl Params {
    /// Reads `[rules.referent]`.
    pub fn read(t: Option<Table<'_, '_>>, ctx: &mut Ctx<'_>) -> Self {
        let d = Self::default();
        let Some(mut t) = t else { return d };
        let p = Params {
            enabled: t.bool(ctx, "enabled", d.enabled),
        };
        t.finish(ctx);
        p
    }
}
