//! Expert and informational power: influence through knowledge, and its
//! spread.
//!
//! French and Raven (1959) name expert power (exceptional skill: the
//! article's carpenter); Raven (1965) adds informational power (knowing
//! something others do not: the spy). Both persuade rather than command: a
//! complying target takes the actor's view (the decision is the actor's, but
//! no resources move) and learns, its own base growing by
//! `learning * max(0, base_i - base_j)`. Sharing information spends it: once
//! told, it is no longer exclusive, so the actor's informational base falls by
//! the share `spending` per act; new information keeps arriving, so between
//! acts the informational base recovers toward the agent's starting value by
//! the share `renewal` per step. Expertise is not spent by use.

use crate::scenario::reader::{Ctx, Table};

/// Parameters of the expert and informational rules.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// Whether expert power can be used (`[rules.expert] enabled`). Default true.
    pub expert_enabled: bool,
    /// Whether informational power can be used (`[rules.informational] enabled`). Default true.
    pub informational_enabled: bool,
    /// Share of the actor's lead that a complying target learns, per act. Default 0.02.
    pub learning: f64,
    /// Share of informational power spent per informational act. Default 0.02.
    pub spending: f64,
    /// Share of the gap to its starting value that informational power recovers per step. Default 0.005.
    pub renewal: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            expert_enabled: true,
            informational_enabled: true,
            learning: 0.02,
            spending: 0.02,
            renewal: 0.005,
        }
    }
}

impl Params {
    /// Reads `[rules.expert]` and `[rules.informational]`.
    pub fn read(
        expert: Option<Table<'_, '_>>,
        info: Option<Table<'_, '_>>,
        ctx: &mut Ctx<'_>,
    ) -> Self {
        let d = Self::default();
        let mut p = d.clone();
        if let Some(mut t) = expert {
            p.expert_enabled = t.bool(ctx, "enabled", d.expert_enabled);
            p.learning = t.f64(ctx, "learning", d.learning, 0.0, 1.0);
            t.finish(ctx);
        }
        if let Some(mut t) = info {
            p.informational_enabled = t.bool(ctx, "enabled", d.informational_enabled);
            p.spending = t.f64(ctx, "spending", d.spending, 0.0, 1.0);
            p.renewal = t.f64(ctx, "renewal", d.renewal, 0.0, 1.0);
            t.finish(ctx);
        }
        p
    }

    /// The learner's base after learning from a teacher.
    #[inline]
    pub fn learned(&self, learner: f32, teacher: f32) -> f32 {
        learner + self.learning as f32 * (teacher - learner).max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_learn_from_those_who_know_more_only() {
        let p = Params::default();
        assert!(p.learned(0.1, 1.0) > 0.1);
        assert_eq!(p.learned(1.0, 0.1), 1.0);
    }
}
