//! Coalition formation: agents who resent the same agent act as one bloc.
//!
//! Emerson's (1962) fourth balancing operation: the weaker members of a power
//! network balance a powerful member by uniting against it, so that it
//! depends on the coalition as a whole. When an agent voices a complaint
//! against a partner `j` (see [`super::response`]), every agent tied to `j`
//! whose resentment toward `j` exceeds `threshold` stands with it, and `j`
//! faces the bloc as one partner: its alternatives are only what lies outside
//! the bloc, so its dependence on the bloc is larger than on any member. The
//! complaint carries the bloc's power
//!
//! ```text
//! B      = sum over members k of engagement(j,k) * dep_bloc * sum_b w_b base_k[b] s_b(j,k)
//! dep_bloc = (1 + k_x exit_cost_j) / (1 + k_a max(0, alt_j - sum over members of engagement(j,k)))
//! alt_j    = sum of j's engagement in all its ties + j's outside alternatives
//! ```
//!
//! (see [`super::dependence`]) instead of the voicer's own `P(i over j)`; the
//! voicer is always a member.

use crate::scenario::reader::{Ctx, Table};

/// Parameters of coalition formation.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// Whether resentful agents back each other's complaints. Default false without a `[rules.coalition]` section.
    pub enabled: bool,
    /// Resentment toward the common target above which an agent joins the bloc. Default 1.
    pub threshold: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            enabled: false,
            threshold: 1.0,
        }
    }
}

impl Params {
    /// Reads `[rules.coalition]`.
    pub fn read(t: Option<Table<'_, '_>>, ctx: &mut Ctx<'_>) -> Self {
        let d = Self::default();
        let Some(mut t) = t else { return d };
        let p = Params {
            enabled: t.bool(ctx, "enabled", true),
            threshold: t.f64(ctx, "threshold", d.threshold, 0.0, 1e6),
        };
        t.finish(ctx);
        p
    }
}
