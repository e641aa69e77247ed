//! Events and interventions: things that happen to a group from outside the
//! rules, at a step or on a schedule, aimed at named agents, populations or
//! groups.
//!
//! - **counseling** (the article: couples counseling "can help partners
//!   communicate their concerns and develop healthier behaviors"): each
//!   target's personalized share falls by `motive_reduction` (it learns to
//!   seek its partner's opinion), resentment on its ties falls by `relief`
//!   (concerns are voiced and heard), its affect toward partners rises by
//!   `affect_gain` and its self-esteem by `esteem_gain` ("both partners know
//!   their value").
//! - **arbitration** (the article: "a neutral party's resolution of a
//!   disagreement ... it's important the arbitrator be truly neutral and not
//!   influenced by one party's power over the other"): every dispute among
//!   the targets — a tie whose owner resents the other above `threshold` — is
//!   settled by a binding transfer. With neutrality `v` in [0, 1], a neutral
//!   arbitrator (`v > 1/2`) awards the wronged side `(2v - 1) * award` of the
//!   other side's resources (damages) and relieves its resentment by
//!   `relief * (2v - 1)`; a biased one (`v < 1/2`) sides with the more
//!   powerful of the pair: the less powerful pays `(1 - 2v) * award` of its
//!   own resources to the more powerful, and the complainant's resentment
//!   grows by the factor `1 + relief * (1 - 2v)`.
//! - **sanctions** (the article: bullying "often goes unpunished"; US
//!   Department of Labor on harassment): from the event on, each coercive act
//!   is detected with probability `detection` and the coercer pays `penalty`
//!   of its resources to its target; knowing this, agents coerce less (the
//!   coercion preference is multiplied by `1 - detection`).
//! - **job_market**: targets' `exit_cost` and/or `alternatives` are set (a
//!   tighter or looser labour market).
//! - **promotion** / **demotion**: each target gains (loses) `amount` of
//!   legitimate power with probability `probability` times its groups'
//!   promotion modifier (the article's qualified deaf employee denied a
//!   promotion).
//! - **resource_shock**: targets' resources are multiplied by `factor` and
//!   then raised by `amount`.
//! - **leave** / **join**: targets leave the group (every tie to or from them
//!   is closed: engagement 0, never re-engaged unless they join again), or
//!   join it (present from the start without ties; at the event their ties
//!   to present agents open, unless an event cut them).
//! - **tie_cut** / **tie_add**: the ties between the listed `pairs` are cut
//!   (until a later tie_add), or opened (a tie added at a step must be in the
//!   network; it is closed until then, and opens only between present agents).
//!
//! An event scheduled at step `s` is applied just before the step that takes
//! the state from `s` to `s + 1` (so the record of step `s` shows the state
//! before it), and is logged in `events.csv` with its step and effect. Draws
//! (promotion) come from a stream keyed by the seed, run, step and agent,
//! and for the k-th promotion of a step (from 0) by k as well, so that two
//! at one step draw independently.
//! An event due at the last step would apply after it, so it does not apply.

use crate::model::World;

/// Who an event is aimed at.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Targets {
    /// Every agent (no targets given).
    pub all: bool,
    /// Cohorts (individuals and populations) by index.
    pub cohorts: Vec<usize>,
    /// Groups by index.
    pub groups: Vec<usize>,
    /// How the targets were written, for the log.
    pub label: String,
}

impl Targets {
    /// Whether agent `i` is a target.
    pub fn contains(&self, world: &World, i: usize) -> bool {
        self.all
            || self.cohorts.contains(&world.agents.cohort_of(i))
            || self
                .groups
                .iter()
                .any(|&g| world.agents.groups_of(i) & (1u64 << g) != 0)
    }
}

/// What an event does.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// Counseling for the targets.
    Counseling {
        /// Share of the personalized motive removed.
        motive_reduction: f64,
        /// Share of resentment relieved.
        relief: f64,
        /// Gain in affect toward partners, as a share of the room to 1.
        affect_gain: f64,
        /// Gain in self-esteem, as a share of the room to 1.
        esteem_gain: f64,
    },
    /// Arbitration of disputes among the targets.
    Arbitration {
        /// The arbitrator, an individual of the scenario (for the log), if named.
        arbitrator: Option<String>,
        /// 1 neutral, 0.5 indifferent, 0 sides with the more powerful.
        neutrality: f64,
        /// Resentment above which a tie is a dispute.
        threshold: f64,
        /// Share of resources moved by a fully neutral or fully biased ruling.
        award: f64,
        /// Share of resentment a fully neutral ruling relieves.
        relief: f64,
    },
    /// Sanctions for coercion, from the event on.
    Sanctions {
        /// Probability a coercive act is detected.
        detection: f64,
        /// Share of the coercer's resources paid to its target when detected.
        penalty: f64,
    },
    /// A shift in the job market.
    JobMarket {
        /// New exit cost, if given.
        exit_cost: Option<f64>,
        /// New outside alternatives, if given.
        alternatives: Option<f64>,
    },
    /// Promotion (positive amount) or demotion (negative).
    Promotion {
        /// Change in the legitimate base.
        amount: f64,
        /// Probability per target (times its groups' promotion modifier).
        probability: f64,
    },
    /// A resource shock.
    ResourceShock {
        /// Multiplier of resources.
        factor: f64,
        /// Amount added after the multiplier.
        amount: f64,
    },
    /// Targets leave: every tie to or from them is closed (until they join again).
    Leave,
    /// Targets join: absent until the event (when their first membership
    /// event is a join), which opens their ties to present agents that no
    /// event has cut.
    Join,
    /// Ties between the listed pairs (agent indices) are cut (until a tie_add names them).
    TieCut {
        /// Pairs of agents.
        pairs: Vec<(u32, u32)>,
    },
    /// Ties between the listed pairs, closed until the event, are opened.
    TieAdd {
        /// Pairs of agents.
        pairs: Vec<(u32, u32)>,
    },
}

impl Kind {
    /// The kind's name as written in scenario files and events.csv.
    pub fn name(&self) -> &'static str {
        match self {
            Kind::Counseling { .. } => "counseling",
            Kind::Arbitration { .. } => "arbitration",
            Kind::Sanctions { .. } => "sanctions",
            Kind::JobMarket { .. } => "job_market",
            Kind::Promotion { amount, .. } if *amount < 0.0 => "demotion",
            Kind::Promotion { .. } => "promotion",
            Kind::ResourceShock { .. } => "resource_shock",
            Kind::Leave => "leave",
            Kind::Join => "join",
            Kind::TieCut { .. } => "tie_cut",
            Kind::TieAdd { .. } => "tie_add",
        }
    }
}

/// One scheduled event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Its `name` in the scenario, if it has one (what a variant or a sweep
    /// calls it by).
    pub name: Option<String>,
    /// What it does.
    pub kind: Kind,
    /// First step.
    pub from: u64,
    /// Repeat every this many steps (0: once).
    pub every: u64,
    /// Last step (inclusive) for repeated events.
    pub until: u64,
    /// Who it is aimed at.
    pub targets: Targets,
    /// Where each of its `pairs` was written (tie events; for the problems
    /// only the generated network shows: a pair it does not tie).
    pub pair_places: Vec<crate::error::Place>,
}

impl Event {
    /// Whether the event happens at `step`.
    pub fn due(&self, step: u64) -> bool {
        if step < self.from || step > self.until {
            return false;
        }
        if self.every == 0 {
            step == self.from
        } else {
            (step - self.from).is_multiple_of(self.every)
        }
    }
}

/// One applied event, for events.csv.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// Step at which it was applied.
    pub step: u64,
    /// Kind name.
    pub kind: &'static str,
    /// Targets as written.
    pub targets: String,
    /// What it did, in words and numbers.
    pub effect: String,
}
