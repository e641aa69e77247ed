//! The two-phase synchronous step.
//!
//! A step reads state `t` and writes state `t+1`. Events due at this step
//! ([`crate::events`]) apply first; then:
//!
//! 0. **Influence** (when on): opinions at `t+1` from opinions at `t`
//!    ([`crate::rules::influence`]). It runs in the same pass over the
//!    agents as the decide phase, since both read state `t` and gather the
//!    same far ends of ties.
//! 1. **Decide** (parallel, read-only): a dissatisfied agent draws its
//!    response ([`crate::rules::response`]) — a complaint (voice), idling
//!    (neglect) or its usual act; otherwise each agent picks a partner
//!    (weighted by its engagement), which takes part as far as it is engaged,
//!    and then a dominance encounter ([`crate::rules::contest`]) or a tactic,
//!    and the partner's response is drawn. The result is one [`Effect`] per
//!    agent, carrying every number the two sides need (amounts moved, harm,
//!    contest outcome). Draws come from the agent's own stream keyed by
//!    `(seed, run, step, agent)`. A bargaining round
//!    ([`crate::rules::negotiation`]) then makes this step's deals.
//! 2. **Apply** (parallel, owner computes): each agent updates only its own
//!    columns and its own row of tie halves, from its own effect and from the
//!    effects aimed at it, which it finds by scanning the incoming flags of
//!    its own row (an actor flags its target's half of their tie in the
//!    decide phase, a bit per half set by atomic OR; each flag has exactly
//!    one possible writer). Nobody writes
//!    another agent's state, so the result does not depend on the order
//!    threads run in. In order: the agent's own act (and status from deference); the acts
//!    aimed at it, in row order; isolation and introductions; resentment
//!    decay and withdrawal on each half (scaled by its response); network
//!    extension; self-esteem; income, consumption and its bargaining share;
//!    forgetting of dominance.
//! 3. **Derive**: reward, connection and referent bases are recomputed, and a
//!    compact [`Profile`] of each agent is written for the next decide phase.
//!
//! At the end of an issue, reflected appraisal turns social powers into
//! self-weights and new opinions are drawn.
//!
//! Agents are processed in fixed chunks of [`CHUNK`] agents; counters are
//! integers, and every float reduction (in [`crate::metrics`]) runs over the
//! same fixed chunks in index order, so outputs are byte-identical whatever
//! the thread count.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rand::Rng as _;
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::fastmath::max0;
use crate::metrics::TieSums;
use crate::model::{
    Agents, Cohort, Column, TieState, Ties, World, COERCIVE, CONNECTION, CONSULT, EXPERT,
    INFORMATIONAL, LEGITIMATE, N_BASES, N_TACTICS, REFERENT, REWARD,
};
use crate::network::{self, Csr};
use crate::prefetch;
use crate::rng::{purpose, stream, StepStreams};
use crate::rules::dependence::Offer;
use crate::rules::influence::{self, Dense};
use crate::rules::negotiation;
use crate::rules::response::Response;
use crate::rules::RuleParams;
use crate::scenario::Scenario;

/// Declares `$v3`, a twin of `$name` compiled for x86-64-v3 (AVX2, FMA,
/// BMI): `$name` must be `#[inline(always)]`, so that its body is compiled a
/// second time with the wider instructions (a callee kept out of line, such
/// as `decide_one`, stays baseline code). Results are the same bit for bit —
/// Rust never fuses a multiply and an add on its own, and every lane does
/// scalar IEEE arithmetic — so the step calls the twin whenever the CPU has
/// the features ([`Simulation::wide_vectors`]). (`min`, `max` and `clamp`
/// leave unspecified which zero they return for `+0.0` against `-0.0`; the
/// two lowerings agree, which the tests check rather than assume.) The
/// integration test `determinism::the_wide_vector_twins_write_the_same_bits`
/// runs every bundled scenario both ways, and the engine's
/// `the_wide_vector_twins_give_the_same_bits` the bench population;
/// `.ci/cross-build.sh` compares whole builds (where both take the twins).
macro_rules! v3_twin {
    ($($decl:tt)*) => {
        $crate::engine::twin!(
            "avx2,fma,bmi1,bmi2,lzcnt,popcnt",
            "The CPU must have AVX2, FMA, BMI1, BMI2, LZCNT and POPCNT \
             ([`crate::engine::wide_vectors_available`]).",
            $($decl)*
        );
    };
}

/// The twin declared by [`v3_twin`] and [`v4_twin`]: `$twin` calls `$name`
/// compiled with the target features `$features`; `$needs` says which.
macro_rules! twin {
    ($features:literal, $needs:literal, $twin:ident = $name:ident($($arg:ident: $ty:ty),*) -> $ret:ty) => {
        /// A twin of the function named in its body, compiled with more
        /// instructions.
        ///
        /// # Safety
        #[doc = $needs]
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = $features)]
        #[inline(never)]
        unsafe fn $twin($($arg: $ty),*) -> $ret {
            $name($($arg),*)
        }
    };
}

/// Whether this CPU runs the step's x86-64-v3 twins (AVX2 and the rest of
/// the x86-64-v3 level); false on other architectures.
pub fn wide_vectors_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("avx2")
            && std::is_x86_feature_detected!("fma")
            && std::is_x86_feature_detected!("bmi1")
            && std::is_x86_feature_detected!("bmi2")
            && std::is_x86_feature_detected!("lzcnt")
            && std::is_x86_feature_detected!("popcnt")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Declares `$v4`, a twin of `$name` compiled for x86-64-v4 (AVX-512 on
/// top of x86-64-v3), as [`v3_twin`] does: the same bits, as the tests
/// check on every bundled scenario. Only where it measured faster: the act
/// pass (decide 105–110 -> 97–99 ms per step at 10^6 on a Zen 4) and derive;
/// apply was 2 ms slower with it.
macro_rules! v4_twin {
    ($($decl:tt)*) => {
        $crate::engine::twin!(
            "avx512f,avx512bw,avx512cd,avx512dq,avx512vl,avx2,fma,bmi1,bmi2,lzcnt,popcnt",
            "The CPU must have AVX-512 F, BW, CD, DQ and VL and the x86-64-v3 \
             features ([`crate::engine::avx512_available`]).",
            $($decl)*
        );
    };
}

/// Whether this CPU runs the x86-64-v4 (AVX-512) twins: the x86-64-v3
/// features and AVX-512 F, BW, CD, DQ and VL; false on other architectures.
pub fn avx512_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        wide_vectors_available()
            && std::is_x86_feature_detected!("avx512f")
            && std::is_x86_feature_detected!("avx512bw")
            && std::is_x86_feature_detected!("avx512cd")
            && std::is_x86_feature_detected!("avx512dq")
            && std::is_x86_feature_detected!("avx512vl")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Calls `$v4(args)` when `$avx512`, `$v3(args)` when `$wide` (the CPU has
/// been checked for each) and `$name(args)` otherwise.
macro_rules! dispatch_v4 {
    ($avx512:expr, $wide:expr, $v4:ident, $v3:ident, $name:ident($($arg:expr),*)) => {{
        #[cfg(target_arch = "x86_64")]
        let r = if $avx512 {
            // SAFETY: `$avx512` is only true when `avx512_available()` is.
            unsafe { $v4($($arg),*) }
        } else {
            dispatch!($wide, $v3, $name($($arg),*))
        };
        #[cfg(not(target_arch = "x86_64"))]
        let r = {
            let _ = $avx512;
            dispatch!($wide, $v3, $name($($arg),*))
        };
        r
    }};
}

/// Calls `$v3(args)` when `$wide` (the CPU has been checked) and
/// `$name(args)` otherwise.
macro_rules! dispatch {
    ($wide:expr, $v3:ident, $name:ident($($arg:expr),*)) => {{
        #[cfg(target_arch = "x86_64")]
        let r = if $wide {
            // SAFETY: `$wide` is only true when `wide_vectors_available()` is.
            unsafe { $v3($($arg),*) }
        } else {
            $name($($arg),*)
        };
        #[cfg(not(target_arch = "x86_64"))]
        let r = {
            let _ = $wide;
            $name($($arg),*)
        };
        r
    }};
}

pub(crate) use {dispatch, twin, v3_twin};

/// Agents per parallel work unit. Fixed, so reductions do not depend on threads.
pub const CHUNK: usize = 2048;
/// Index of the referent endowment in [`Agents::endowment`] (reward, connection, referent).
const REFERENT_ENDOWMENT: usize = 2;

/// No target: the agent did nothing this step.
pub const NONE: u32 = u32::MAX;

const COMPLIED: u8 = 1;
const DECISION: u8 = 2;
const ISOLATE: u8 = 4;
const CONTEST: u8 = 8;
const ACTOR_WON: u8 = 16;
const DEFERENCE: u8 = 32;
const SANCTIONED: u8 = 64;

/// The act of voicing a complaint (see [`crate::rules::response`]); not one of the tactics.
pub const VOICE: usize = N_TACTICS + 1;

/// The act of a dominance encounter (a contest with no decision at stake); not one of the tactics.
pub const ENCOUNTER: usize = N_TACTICS;

/// What one agent's act this step does, computed in the decide phase.
#[derive(Debug, Clone, Copy, PartialEq)]
#[repr(C)]
pub struct Effect {
    /// The actor's half of the tie (actor -> target), or [`NONE`] for no act.
    pub tie: u32,
    /// Tactic index (a base, or [`CONSULT`]).
    pub tactic: u8,
    /// Bit flags: complied, decision won, isolate, contest, actor won, deference.
    pub flags: u8,
    /// The actor's response to dissatisfaction this step (see [`Response`]).
    pub response: u8,
    /// Resources moved from target to actor (a decision won).
    pub stake: f32,
    /// Resources paid from actor to target (a reward).
    pub pay: f32,
    /// Resentment added to the target toward the actor (beyond envy).
    pub harm: f32,
    /// Tactic-specific: a contest's change to the actor's coercive base, or the actor's level of the base used.
    pub value: f32,
    /// Envy: only the poorer side envies, so one number carries both sides:
    /// positive, the resentment the target feels toward the actor; negative,
    /// minus the resentment the actor feels toward the target.
    pub envy: f32,
}

impl Effect {
    /// An agent that did nothing.
    pub const IDLE: Effect = Effect {
        tie: NONE,
        tactic: 0,
        flags: 0,
        response: 0,
        stake: 0.0,
        pay: 0.0,
        harm: 0.0,
        value: 0.0,
        envy: 0.0,
    };

    /// Whether the agent acted on a partner.
    pub fn acted(&self) -> bool {
        self.tie != NONE
    }

    /// Envy resentment the target feels toward the actor.
    pub fn envy_target(&self) -> f32 {
        self.envy.max(0.0)
    }

    /// Envy resentment the actor feels toward the target.
    pub fn envy_actor(&self) -> f32 {
        (-self.envy).max(0.0)
    }

    /// Whether the target complied.
    pub fn complied(&self) -> bool {
        self.flags & COMPLIED != 0
    }

    /// Whether the actor got the decision (by compliance or by winning a contest).
    pub fn decision(&self) -> bool {
        self.flags & DECISION != 0
    }
}

/// A compact snapshot of one agent at the end of a step, read by partners in
/// the next decide phase: 32 bytes, aligned so that a partner's profile is
/// one cache-line fetch.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
#[repr(C, align(32))]
pub struct Profile {
    /// What the agent's bases offer those who depend on it (see
    /// [`crate::rules::dependence::Params::offer`]).
    pub offer: Offer,
    /// Resources.
    pub resources: f32,
    /// `1 + k_x * exit_cost`.
    pub exit_factor: f32,
    /// Sum of engagements plus outside alternatives.
    pub alternatives: f32,
    /// Susceptibility to reward.
    pub reward_susceptibility: f32,
    /// Self-esteem.
    pub esteem: f32,
}

/// Integer counts of what happened, summed over steps since the last reset.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Acts by tactic.
    pub tactics: [u64; N_TACTICS],
    /// Influence attempts (acts other than consult).
    pub attempts: u64,
    /// Attempts the target complied with.
    pub complied: u64,
    /// Contests (resisted coercion and dominance encounters).
    pub contests: u64,
    /// Dominance encounters.
    pub encounters: u64,
    /// Agents that completed an exchange (bargaining), summed over steps.
    pub exchanges: u64,
    /// Steps counted.
    pub steps: u64,
    /// Agent-steps by response to dissatisfaction (none, exit, voice, loyalty, neglect).
    pub responses: [u64; 5],
    /// Complaints voiced.
    pub voices: u64,
    /// Complaints heard.
    pub heard: u64,
}

impl Counters {
    fn add(&mut self, o: &Counters) {
        for k in 0..N_TACTICS {
            self.tactics[k] += o.tactics[k];
        }
        self.attempts += o.attempts;
        self.complied += o.complied;
        self.contests += o.contests;
        self.encounters += o.encounters;
        self.exchanges += o.exchanges;
        self.steps += o.steps;
        for k in 0..5 {
            self.responses[k] += o.responses[k];
        }
        self.voices += o.voices;
        self.heard += o.heard;
    }
}

/// Wall time spent in each phase of the step so far (for benchmarks; never
/// part of any output that must be reproducible).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PhaseTimes {
    /// Influence and decide (one pass), and bargaining.
    pub decide: Duration,
    /// Apply phase.
    pub apply: Duration,
    /// Derive phase.
    pub derive: Duration,
    /// Influence and decide in the steps that also took a record's tie sums
    /// (part of `decide`; see [`Simulation::set_fused_tie_sums`]).
    pub fused_decide: Duration,
    /// Steps that took a record's tie sums in their influence and decide pass.
    pub fused_steps: u64,
    /// A record's tie sums taken on their own at the start of a step, before
    /// the step's events change the state they describe (not part of the step's phases).
    pub tie_sums: Duration,
}

/// Where the tie sums of the last record are (see [`crate::metrics::Recorder`]).
#[derive(Debug, Default)]
pub(crate) enum TieSumsSlot {
    /// None is asked for.
    #[default]
    Idle,
    /// A record of the current state waits for them: the next step takes them.
    Wanted,
    /// Taken from the recorded state.
    Taken(TieSums),
}

/// A running simulation: the world, the rules and the step counter.
pub struct Simulation {
    /// The state.
    pub world: World,
    /// Rule parameters. Columns derived from them when the simulation is
    /// built (the coercive and informational baselines, kept only when
    /// forgetting or renewal is on) are not rebuilt if they change later; a
    /// baseline that was not kept is the current value.
    pub params: RuleParams,
    /// Seed of all random streams.
    pub seed: u64,
    /// Run index (replicate) within a sweep; 0 for a single run.
    pub run: u64,
    /// Steps done so far.
    pub step: u64,
    /// Agent profiles at the end of the last step.
    pub profiles: Vec<Profile>,
    effects: Vec<Effect>,
    /// One flag per tie half: the actor of a tie sets it on its target's
    /// half (the reverse of its own) in the decide phase; the half's owner
    /// reads it in the apply phase, and all are cleared after it. A flag has
    /// exactly one possible writer (the owner of the reverse half), bits are
    /// set by atomic OR and read only after the phase ends, so flags do not
    /// depend on thread order.
    incoming: HalfFlags,
    /// Counts since the last [`Simulation::take_counters`].
    pub counters: Counters,
    /// Scheduled events and interventions.
    pub events: Vec<crate::events::Event>,
    /// Events applied since the last [`Simulation::take_event_log`].
    event_log: Vec<crate::events::Record>,
    /// Time spent per phase.
    pub timings: PhaseTimes,
    /// Metric options of the scenario.
    pub metrics: crate::scenario::MetricsConfig,
    /// Opinions being written (t+1) while the current ones (t) are read.
    opinion_next: Vec<f32>,
    /// Each cohort's attributes, for new opinions at the start of an issue.
    attributes: Vec<crate::scenario::Attributes>,
    /// Current issue (reflected appraisal), from 0.
    pub issue: u64,
    /// Opinions at the start of the current issue (kept for groups of at
    /// most `max_exact` agents, which get closed forms; empty otherwise).
    pub issue_start: Vec<f64>,
    /// Issues ended since the last [`Simulation::take_issues`].
    issues: Vec<IssueRecord>,
    /// Bargaining state (exchange networks), when negotiation is on.
    pub bargaining: Option<negotiation::Bargaining>,
    /// This step's exchanges, one per agent.
    deals: Vec<negotiation::Deal>,
    /// Outside options in points, one per agent (scratch).
    outside: Vec<f32>,
    /// Whether the step runs its x86-64-v3 twins (AVX2): true when the CPU
    /// has them ([`wide_vectors_available`]). Results are the same bit for
    /// bit either way. Private, because the twins are undefined behaviour on
    /// a CPU without the features: [`Simulation::set_wide_vectors`] checks.
    wide_vectors: bool,
    /// Whether the step runs its x86-64-v4 twins (AVX-512) where it has
    /// them: true when the CPU has them ([`avx512_available`]) and the
    /// x86-64-v3 twins run. The same bits either way.
    avx512: bool,
    /// The tie sums of the last record, if it waits for them.
    tie_sums: TieSumsSlot,
    /// Whether a step takes a waiting record's tie sums in its influence and
    /// decide pass (true) or on their own at the record (false).
    fuse_tie_sums: bool,
    /// Each chunk's tie sums in a step that takes them (scratch).
    tie_parts: Vec<TieSums>,
}

/// The end of one issue in reflected appraisal.
#[derive(Debug, Clone, PartialEq)]
pub struct IssueRecord {
    /// The issue that ended, from 0.
    pub issue: u64,
    /// The step at which it ended.
    pub step: u64,
    /// Each agent's social power on the issue, which becomes its self-weight;
    /// None when it is not defined (the influence network has more than one closed class).
    pub social_power: Option<Vec<f64>>,
}

impl Simulation {
    /// Builds the world of a scenario: draws every agent's attributes from its
    /// own set-up stream, generates the network, and derives the bases.
    pub fn new(scenario: &Scenario, seed: u64, run: u64) -> Result<Simulation> {
        let world = build_world(scenario, seed, run)?;
        let n = world.agents.len();
        let halves = world.ties.csr.targets.len();
        let mut sim = Simulation {
            world,
            params: scenario.rules.clone(),
            seed,
            run,
            step: 0,
            profiles: vec![Profile::default(); n],
            effects: vec![Effect::IDLE; n],
            incoming: HalfFlags::new(halves),
            wide_vectors: wide_vectors_available(),
            avx512: avx512_available(),
            tie_sums: TieSumsSlot::Idle,
            fuse_tie_sums: true,
            tie_parts: vec![TieSums::default(); n.div_ceil(CHUNK)],
            counters: Counters::default(),
            events: scenario.events.clone(),
            event_log: Vec::new(),
            timings: PhaseTimes::default(),
            metrics: scenario.metrics.clone(),
            opinion_next: if scenario.rules.influence.enabled {
                vec![0.0; n]
            } else {
                Vec::new()
            },
            attributes: scenario
                .cohorts
                .iter()
                .map(|c| c.attributes.clone())
                .collect(),
            issue: 0,
            issue_start: Vec::new(),
            issues: Vec::new(),
            bargaining: scenario
                .rules
                .negotiation
                .enabled
                .then(|| negotiation::Bargaining::new(n, &scenario.rules.negotiation)),
            // Bargaining columns exist only when bargaining is on.
            deals: if scenario.rules.negotiation.enabled {
                vec![negotiation::Deal::default(); n]
            } else {
                Vec::new()
            },
            outside: if scenario.rules.negotiation.enabled {
                vec![0.0; n]
            } else {
                Vec::new()
            },
        };
        sim.keep_issue_start();
        sim.derive();
        Ok(sim)
    }

    /// Returns the counters since the last call and resets them.
    pub fn take_counters(&mut self) -> Counters {
        std::mem::take(&mut self.counters)
    }

    /// The effects of the last step, one per agent.
    pub fn effects(&self) -> &[Effect] {
        &self.effects
    }

    /// Whether the step runs its x86-64-v3 (AVX2) twins (the act pass and
    /// derive take their x86-64-v4 twins instead when [`Self::avx512`]).
    pub fn wide_vectors(&self) -> bool {
        self.wide_vectors
    }

    /// Runs the step's x86-64-v3 twins or not (`on` is honoured only when
    /// the CPU has them, see [`wide_vectors_available`]), and with them its
    /// x86-64-v4 twins where the CPU has AVX-512 (so it undoes an earlier
    /// [`Self::set_avx512`]). Results are the same bit for bit every way:
    /// this is for comparing them.
    pub fn set_wide_vectors(&mut self, on: bool) {
        self.wide_vectors = on && wide_vectors_available();
        self.avx512 = on && avx512_available();
    }

    /// Whether the step runs its x86-64-v4 (AVX-512) twins where it has them.
    pub fn avx512(&self) -> bool {
        self.avx512
    }

    /// Runs the step's x86-64-v4 twins or not, where it has them (`on` is
    /// honoured only with the x86-64-v3 twins on and a CPU that has
    /// AVX-512, see [`avx512_available`]); the other phases keep their
    /// x86-64-v3 twins. The same bits either way: this is for comparing.
    pub fn set_avx512(&mut self, on: bool) {
        self.avx512 = on && self.wide_vectors && avx512_available();
    }

    /// Whether a step takes a waiting record's tie sums in its influence and
    /// decide pass, which reads the same state (see [`Self::set_fused_tie_sums`]).
    pub fn fuses_tie_sums(&self) -> bool {
        self.fuse_tie_sums
    }

    /// Takes a record's tie sums (the sums over ties behind `dyad_imbalance`,
    /// `cohesion` and the half-level means, see [`crate::metrics`]) in the
    /// next step's influence and decide pass (`on`, the default), which reads
    /// the state they describe and computes both powers of every dyad for
    /// its influence weights anyway, or in a pass of their own at the record.
    /// The sums are the same bit for bit either way: this is for measuring
    /// the difference.
    pub fn set_fused_tie_sums(&mut self, on: bool) {
        self.fuse_tie_sums = on;
    }

    /// Asks the next step for the tie sums of the current state.
    pub(crate) fn want_tie_sums(&mut self) {
        self.tie_sums = TieSumsSlot::Wanted;
    }

    /// The tie sums asked for by [`Self::want_tie_sums`], if a step has taken them.
    pub(crate) fn taken_tie_sums(&mut self) -> Option<TieSums> {
        match std::mem::take(&mut self.tie_sums) {
            TieSumsSlot::Taken(ts) => Some(ts),
            other => {
                self.tie_sums = other;
                None
            }
        }
    }

    /// Forgets tie sums asked for and not taken.
    pub(crate) fn drop_tie_sums(&mut self) {
        self.tie_sums = TieSumsSlot::Idle;
    }

    /// Runs one step: influence, decide, apply, derive (and, at the end of an issue, reflected appraisal).
    pub fn step(&mut self) {
        let events_due = self.events.iter().any(|e| e.due(self.step));
        if matches!(self.tie_sums, TieSumsSlot::Wanted) && (events_due || !self.fuse_tie_sums) {
            // The events change the state the waiting record describes.
            let t = Instant::now();
            self.tie_sums = TieSumsSlot::Taken(crate::metrics::tie_sums(self));
            self.timings.tie_sums += t.elapsed();
        }
        if events_due {
            self.apply_events();
        }
        let fuse = matches!(self.tie_sums, TieSumsSlot::Wanted);
        let t0 = Instant::now();
        self.act(fuse);
        if fuse {
            let mut ts = TieSums::default();
            for part in &self.tie_parts {
                ts.merge(part);
            }
            self.tie_sums = TieSumsSlot::Taken(ts);
        }
        if self.bargaining.is_some() {
            self.negotiate();
        }
        let t1 = Instant::now();
        if fuse {
            self.timings.fused_decide += t1 - t0;
            self.timings.fused_steps += 1;
        }
        self.apply();
        let t2 = Instant::now();
        self.derive();
        let t3 = Instant::now();
        self.timings.decide += t1 - t0;
        self.timings.apply += t2 - t1;
        self.timings.derive += t3 - t2;
        self.step += 1;
        self.counters.steps += 1;
        let len = self.params.influence.issue_length;
        if self.params.influence.enabled && len > 0 && self.step.is_multiple_of(len) {
            self.end_issue();
        }
    }

    /// Whether the group is small enough for hierarchy metrics.
    pub fn hierarchy_on(&self) -> bool {
        self.world.agents.len() <= self.metrics.hierarchy_max_agents
    }

    /// The dominance matrix, row-major: entry `(i, j)` counts the decisions
    /// and contests `i` won over `j` (the `wins` of `i`'s half toward `j`).
    pub fn dominance_matrix(&self) -> Vec<f64> {
        let n = self.world.agents.len();
        let csr = &self.world.ties.csr;
        let mut m = vec![0.0; n * n];
        for i in 0..n {
            for e in csr.row(i) {
                m[i * n + csr.targets[e] as usize] = self.world.ties.wins_of(e) as f64;
            }
        }
        m
    }

    /// The dominance matrix in its sparse form (the wins of each tie's two
    /// halves), from which a record takes its hierarchy columns.
    pub fn dominance_wins(&self) -> crate::metrics::hierarchy::SparseWins {
        let ties = &self.world.ties;
        crate::metrics::hierarchy::SparseWins::from_halves(
            &ties.csr.offsets,
            &ties.csr.targets,
            &ties.csr.reverse,
            &ties.wins,
        )
    }

    /// One round of bargaining on state `t`: deals are paid in the apply phase.
    fn negotiate(&mut self) {
        let p = &self.params.negotiation;
        let a = &self.world.agents;
        for (i, o) in self.outside.iter_mut().enumerate() {
            *o = p.outside_option(a.alternatives[i], a.bases[CONNECTION][i]);
        }
        let ties = &self.world.ties;
        let floor = self.params.withdrawal.withdrawn_below as f32;
        if let Some(b) = self.bargaining.as_mut() {
            negotiation::round(
                p,
                &self.world.ties.csr,
                |e| ties.state[e].engagement >= floor && !ties.is_closed(e),
                &self.outside,
                self.seed,
                self.run,
                self.step,
                b,
                &mut self.deals,
            );
        }
    }

    /// Returns the events applied since the last call.
    pub fn take_event_log(&mut self) -> Vec<crate::events::Record> {
        std::mem::take(&mut self.event_log)
    }

    /// Applies the events due at this step, in file order.
    fn apply_events(&mut self) {
        use crate::events::{Kind, Record};
        let step = self.step;
        let due: Vec<crate::events::Event> = self
            .events
            .iter()
            .filter(|e| e.due(step))
            .cloned()
            .collect();
        // Events that draw, counted at this step: each draws from its own
        // streams (the first from the plain event streams).
        let mut drawing = 0u64;
        for ev in due {
            let n = self.world.agents.len();
            let targets: Vec<usize> = (0..n)
                .filter(|&i| ev.targets.contains(&self.world, i))
                .collect();
            let effect = match ev.kind {
                Kind::Counseling {
                    motive_reduction,
                    relief,
                    affect_gain,
                    esteem_gain,
                } => {
                    let w = &mut self.world;
                    for &i in &targets {
                        w.agents.motive.values_mut()[i] *= 1.0 - motive_reduction as f32;
                        let se = &mut w.agents.self_esteem[i];
                        *se += esteem_gain as f32 * (1.0 - *se);
                        for e in w.ties.csr.row(i) {
                            let t = &mut w.ties.state[e];
                            t.resentment *= 1.0 - relief as f32;
                            t.affect += affect_gain as f32 * (1.0 - t.affect);
                        }
                    }
                    format!(
                        "{} agents counseled: motive x{:.2}, resentment x{:.2}",
                        targets.len(),
                        1.0 - motive_reduction,
                        1.0 - relief
                    )
                }
                Kind::Arbitration {
                    ref arbitrator,
                    neutrality,
                    threshold,
                    award,
                    relief,
                } => {
                    let who = arbitrator.as_deref().unwrap_or("an arbitrator");
                    format!(
                        "{who}: {}",
                        self.arbitrate(&targets, neutrality, threshold, award, relief)
                    )
                }
                Kind::Sanctions { detection, penalty } => {
                    self.params.coercion.sanction_detection = detection;
                    self.params.coercion.sanction_penalty = penalty;
                    format!("coercion detected with probability {detection}, penalty {penalty} of resources")
                }
                Kind::JobMarket {
                    exit_cost,
                    alternatives,
                } => {
                    let a = &mut self.world.agents;
                    if let (Some(x), false) = (exit_cost, targets.is_empty()) {
                        let exit = a.exit_cost.values_mut();
                        for &i in &targets {
                            exit[i] = x as f32;
                        }
                        // Stored once again when every agent now holds one value.
                        a.exit_cost = Column::from_values(a.exit_cost.to_vec());
                    }
                    for &i in &targets {
                        if let Some(x) = alternatives {
                            a.alternatives[i] = x as f32;
                        }
                    }
                    format!(
                        "{} agents: exit_cost {}, alternatives {}",
                        targets.len(),
                        exit_cost.map_or("unchanged".into(), |x| x.to_string()),
                        alternatives.map_or("unchanged".into(), |x| x.to_string())
                    )
                }
                Kind::Promotion {
                    amount,
                    probability,
                } => {
                    let mut changed = 0;
                    let tag = match drawing {
                        0 => purpose::EVENT,
                        k => crate::rng::mix(&[purpose::EVENT, k]),
                    };
                    drawing += 1;
                    for &i in &targets {
                        let p = probability * self.world.agents.promotion_of(i) as f64;
                        let mut rng = stream(self.seed, self.run, step, i as u64, tag);
                        if rng.random::<f64>() < p {
                            let b = &mut self.world.agents.bases[LEGITIMATE][i];
                            *b = (*b + amount as f32).max(0.0);
                            changed += 1;
                        }
                    }
                    format!(
                        "{changed} of {} agents: legitimate {amount:+}",
                        targets.len()
                    )
                }
                Kind::Leave | Kind::Join => {
                    let open = matches!(ev.kind, Kind::Join);
                    let w = &mut self.world;
                    let mut count = 0;
                    for &i in &targets {
                        count += w.ties.set_absent(i, !open);
                    }
                    format!(
                        "{} agents {}: {count} ties {}",
                        targets.len(),
                        if open { "joined" } else { "left" },
                        if open { "opened" } else { "closed" }
                    )
                }
                Kind::TieCut { ref pairs } | Kind::TieAdd { ref pairs } => {
                    let open = matches!(ev.kind, Kind::TieAdd { .. });
                    let w = &mut self.world;
                    let mut count = 0;
                    for &(a, b) in pairs {
                        if let Some(e) = w.ties.half(a as usize, b as usize) {
                            count += usize::from(w.ties.set_cut(e, !open));
                        }
                    }
                    format!("{count} ties {}", if open { "added" } else { "cut" })
                }
                Kind::ResourceShock { factor, amount } => {
                    let a = &mut self.world.agents;
                    for &i in &targets {
                        a.resources[i] =
                            crate::rules::resources::bounded(a.resources[i] * factor + amount);
                    }
                    format!("{} agents: resources x{factor} {amount:+}", targets.len())
                }
            };
            self.event_log.push(Record {
                step,
                kind: ev.kind.name(),
                targets: ev.targets.label.clone(),
                effect,
            });
        }
        // Events change the state the next decide phase reads.
        self.derive();
    }

    /// Settles the disputes among `targets` (see [`crate::events`]).
    fn arbitrate(
        &mut self,
        targets: &[usize],
        neutrality: f64,
        threshold: f64,
        award: f64,
        relief: f64,
    ) -> String {
        let w = &mut self.world;
        let (params, profiles) = (&self.params, &self.profiles);
        let mut member = vec![false; w.agents.len()];
        for &i in targets {
            member[i] = true;
        }
        let (mut disputes, mut to_wronged, mut to_powerful) = (0u64, 0.0f64, 0.0f64);
        let side = 2.0 * neutrality - 1.0;
        for &i in targets {
            for e in w.ties.csr.row(i) {
                let j = w.ties.csr.targets[e] as usize;
                if !member[j]
                    || w.ties.is_closed(e)
                    || w.ties.state[e].resentment <= threshold as f32
                {
                    continue;
                }
                disputes += 1;
                if side >= 0.0 {
                    // Damages from the other side to the wronged.
                    let t = side * award * w.agents.resources[j];
                    w.agents.resources[j] -= t;
                    w.agents.resources[i] =
                        crate::rules::resources::bounded(w.agents.resources[i] + t);
                    to_wronged += t;
                    w.ties.state[e].resentment *= (1.0 - relief * side) as f32;
                } else {
                    // Siding with power: the less powerful side of the pair pays the more powerful.
                    let r = w.ties.csr.reverse[e] as usize;
                    let (p_ij, p_ji) = dyad_powers(
                        params,
                        &profiles[i],
                        &profiles[j],
                        &w.ties.state[e],
                        &w.ties.state[r],
                    );
                    let (from, to) = if p_ji >= p_ij { (i, j) } else { (j, i) };
                    let t = -side * award * w.agents.resources[from];
                    w.agents.resources[from] -= t;
                    w.agents.resources[to] =
                        crate::rules::resources::bounded(w.agents.resources[to] + t);
                    to_powerful += t;
                    w.ties.state[e].resentment *= (1.0 - relief * side) as f32;
                }
            }
        }
        format!(
            "{disputes} disputes (neutrality {neutrality}): {to_wronged:.2} to the wronged, {to_powerful:.2} to the more powerful"
        )
    }

    /// Returns the issues ended since the last call.
    pub fn take_issues(&mut self) -> Vec<IssueRecord> {
        std::mem::take(&mut self.issues)
    }

    /// The influence matrix `W` and susceptibilities `lambda` of the current
    /// state, for groups of at most `max_exact` agents.
    pub fn influence_matrix(&self) -> Option<(Dense, Vec<f64>)> {
        let n = self.world.agents.len();
        if n > self.params.influence.max_exact {
            return None;
        }
        let mut w = Dense::zeros(n);
        let mut lambda = vec![0.0; n];
        for (i, l) in lambda.iter_mut().enumerate() {
            let mut row = Vec::new();
            let s = influence_row(
                &self.world,
                &self.profiles,
                &self.params,
                i,
                |j, c| row.push((j, c)),
                None,
            );
            *w.at_mut(i, i) += s;
            for (j, c) in row {
                *w.at_mut(i, j) += c;
            }
            *l = susceptibility(&self.world, &self.params, i, s);
        }
        Some((w, lambda))
    }

    /// Equilibrium opinions and social powers implied by the current
    /// influence network (closed forms; None for groups above `max_exact`
    /// or when the social powers are not unique). The equilibrium alone is
    /// None when opinions never settle (a periodic closed class: the social
    /// powers are still defined, and reflected appraisal uses them).
    pub fn influence_closed_form(&self) -> Option<(Option<Vec<f64>>, Vec<f64>)> {
        let (w, lambda) = self.influence_matrix()?;
        let a = &self.world.agents;
        let prejudice: Vec<f64> = a.prejudice.iter().map(|&u| u as f64).collect();
        let sp = influence::social_power(&w, &lambda)?;
        let eq = influence::equilibrium(&w, &lambda, &self.issue_start, &prejudice);
        Some((eq, sp))
    }

    /// Keeps the opinions at the start of the issue, which the closed forms
    /// need (only for groups small enough for them).
    fn keep_issue_start(&mut self) {
        let a = &self.world.agents;
        if a.len() <= self.params.influence.max_exact {
            self.issue_start.clear();
            self.issue_start.extend(a.opinion.iter().map(|&x| x as f64));
        }
    }

    /// Reflected appraisal: self-weights become social powers, and a new issue starts.
    fn end_issue(&mut self) {
        let power = self
            .influence_matrix()
            .and_then(|(w, lambda)| influence::social_power(&w, &lambda));
        if let Some(c) = &power {
            let weights = c.iter().map(|&p| p.clamp(0.0, 1.0) as f32).collect();
            self.world.agents.self_weight = Column::from_values(weights);
        }
        self.issues.push(IssueRecord {
            issue: self.issue,
            step: self.step,
            social_power: power,
        });
        self.issue += 1;
        let a = &mut self.world.agents;
        for i in 0..a.len() {
            let spec = &self.attributes[a.cohort_of(i)];
            let mut rng = stream(self.seed, self.run, self.issue, i as u64, purpose::ISSUE);
            let (x, u) = draw_opinion(spec, &mut rng);
            a.opinion[i] = x as f32;
            a.prejudice[i] = u as f32;
        }
        self.keep_issue_start();
    }

    /// Influence and decide in one pass over the agents: both read state
    /// `t` and gather the same far ends (partners' profiles and halves), so
    /// each far end is fetched once. Writes opinions `t+1` (when influence is
    /// on) and each agent's effect, and with `fuse` each chunk's tie sums of
    /// the state read, into [`Self::tie_parts`].
    fn act(&mut self, fuse: bool) {
        let world = &self.world;
        let profiles = &self.profiles;
        let params = &self.params;
        let allowed = params.allowed_tactics();
        let streams = StepStreams::new(self.seed, self.run, self.step, purpose::DECIDE);
        let incoming = &self.incoming;
        // The influence weights from dyadic power compute both powers of
        // every dyad: the tie sums take them there.
        let dyadic = params.influence.enabled && !params.influence.fixed();
        let ctx = ActCtx {
            world,
            profiles,
            params,
            allowed: &allowed,
            streams: &streams,
            incoming,
            tie_sums: match (fuse, dyadic) {
                (false, _) => FusedSums::None,
                (true, true) => FusedSums::InInfluence,
                (true, false) => FusedSums::ByAgent,
            },
        };
        let (wide, avx512) = (self.wide_vectors, self.avx512);
        let chunk = |c: usize, effects: &mut [Effect], next: &mut [f32], ts: &mut TieSums| {
            *ts = TieSums::default();
            dispatch_v4!(
                avx512,
                wide,
                act_chunk_v4,
                act_chunk_v3,
                act_chunk(&ctx, c, effects, next, ts)
            )
        };
        let units = self
            .effects
            .par_chunks_mut(CHUNK)
            .zip(self.tie_parts.par_iter_mut())
            .enumerate();
        if params.influence.enabled {
            units
                .zip(self.opinion_next.par_chunks_mut(CHUNK))
                .for_each(|((c, (e, ts)), x)| chunk(c, e, x, ts));
            std::mem::swap(&mut self.world.agents.opinion, &mut self.opinion_next);
        } else {
            units.for_each(|(c, (e, ts))| chunk(c, e, &mut [], ts));
        }
    }

    fn apply(&mut self) {
        let wide = self.wide_vectors;
        let n = self.world.agents.len();
        let csr = &self.world.ties.csr;
        let bounds: Vec<usize> = (0..n.div_ceil(CHUNK) + 1)
            .map(|c| (c * CHUNK).min(n))
            .collect();
        let tie_bounds: Vec<usize> = bounds.iter().map(|&a| csr.offsets[a] as usize).collect();
        let a = &mut self.world.agents;
        let [coercive, _, legitimate, _, _, info, expert] = &mut a.bases;
        // The referent endowment changes one agent at a time only under status giving.
        let referent_endowment: &mut [f32] = if self.params.status.enabled {
            a.endowment[REFERENT_ENDOWMENT].values_mut()
        } else {
            &mut []
        };
        let mut units: Vec<ApplyUnit<'_>> = Vec::with_capacity(bounds.len());
        {
            let mut state = split(&mut self.world.ties.state, &tie_bounds).into_iter();
            let mut wins = if self.world.ties.wins.is_empty() {
                Vec::new()
            } else {
                split(&mut self.world.ties.wins, &tie_bounds)
            }
            .into_iter();
            let mut res = split(&mut a.resources, &bounds).into_iter();
            let mut est = split(&mut a.self_esteem, &bounds).into_iter();
            let mut coe = split(coercive, &bounds).into_iter();
            let mut inf = split(info, &bounds).into_iter();
            let mut exp = split(expert, &bounds).into_iter();
            let mut leg = split(legitimate, &bounds).into_iter();
            let mut rfe = if referent_endowment.is_empty() {
                Vec::new()
            } else {
                split(referent_endowment, &bounds)
            }
            .into_iter();
            let mut alt = split(&mut a.alternatives, &bounds).into_iter();
            let mut rsp = split(&mut a.response, &bounds).into_iter();
            for w in bounds.windows(2) {
                units.push(ApplyUnit {
                    start: w[0],
                    state: state.next().unwrap_or_default(),
                    wins: wins.next().unwrap_or_default(),
                    resources: res.next().unwrap_or_default(),
                    esteem: est.next().unwrap_or_default(),
                    coercive: coe.next().unwrap_or_default(),
                    info: inf.next().unwrap_or_default(),
                    expert: exp.next().unwrap_or_default(),
                    legitimate: leg.next().unwrap_or_default(),
                    referent_endowment: rfe.next().unwrap_or_default(),
                    alternatives: alt.next().unwrap_or_default(),
                    response: rsp.next().unwrap_or_default(),
                });
            }
        }
        let ctx = ApplyCtx {
            csr,
            effects: &self.effects,
            incoming: &self.incoming,
            closed: &self.world.ties.closed,
            deals: &self.deals,
            params: &self.params,
            income: &a.income,
            baseline: &a.esteem_baseline,
            exit_cost: &a.exit_cost,
            motive: &a.motive,
            coercive_baseline: &a.coercive_baseline,
            info_baseline: &a.info_baseline,
        };
        let counts: Vec<Counters> = units
            .into_par_iter()
            .map(|u| dispatch!(wide, apply_unit_v3, apply_unit_base(&ctx, u)))
            .collect();
        for c in &counts {
            self.counters.add(c);
        }
        self.incoming.clear();
    }

    /// Recomputes derived bases and profiles from the current state.
    pub fn derive(&mut self) {
        // The three derived columns are taken out while the rest of the world is read.
        let bases = &mut self.world.agents.bases;
        let mut reward = std::mem::take(&mut bases[REWARD]);
        let mut connection = std::mem::take(&mut bases[CONNECTION]);
        let mut referent = std::mem::take(&mut bases[REFERENT]);
        let world = &self.world;
        let params = &self.params;
        let (wide, avx512) = (self.wide_vectors, self.avx512);
        self.profiles
            .par_chunks_mut(CHUNK)
            .zip(reward.par_chunks_mut(CHUNK))
            .zip(connection.par_chunks_mut(CHUNK))
            .zip(referent.par_chunks_mut(CHUNK))
            .enumerate()
            .for_each(|(c, (((p, rw), cn), rf))| {
                let out = DeriveOut { p, rw, cn, rf };
                dispatch_v4!(
                    avx512,
                    wide,
                    derive_chunk_v4,
                    derive_chunk_v3,
                    derive_chunk(world, params, c, out)
                )
            });
        let bases = &mut self.world.agents.bases;
        bases[REWARD] = reward;
        bases[CONNECTION] = connection;
        bases[REFERENT] = referent;
    }
}

/// One chunk's outputs of the derive phase: profiles and the three derived
/// bases.
struct DeriveOut<'a> {
    p: &'a mut [Profile],
    rw: &'a mut [f32],
    cn: &'a mut [f32],
    rf: &'a mut [f32],
}

/// The derive phase for chunk `c` (see [`Simulation::derive`]).
#[inline(always)]
fn derive_chunk(world: &World, params: &RuleParams, c: usize, out: DeriveOut<'_>) {
    for o in 0..out.p.len() {
        let i = c * CHUNK + o;
        prefetch_reverse_halves(&world.ties, i + prefetch::AHEAD);
        let (profile, derived) = derive_one(world, params, i);
        out.p[o] = profile;
        [out.rw[o], out.cn[o], out.rf[o]] = derived;
    }
}

/// Announces the far halves of agent `i`'s ties (no-op past the last agent).
#[inline(always)]
fn prefetch_reverse_halves(ties: &Ties, i: usize) {
    if i < ties.csr.n() {
        for &r in &ties.csr.reverse[ties.csr.row(i)] {
            prefetch::element(&ties.state, r as usize);
        }
    }
}

fn split<'a, T>(mut v: &'a mut [T], bounds: &[usize]) -> Vec<&'a mut [T]> {
    let mut out = Vec::with_capacity(bounds.len());
    let mut at = bounds.first().copied().unwrap_or(0);
    for &b in &bounds[1..] {
        let (head, tail) = std::mem::take(&mut v).split_at_mut(b - at);
        out.push(head);
        v = tail;
        at = b;
    }
    out
}

/// Agent `i`'s profile and its derived reward, connection and referent bases
/// (the derived columns of `world` are not read: they are being rewritten).
#[inline(always)]
fn derive_one(world: &World, params: &RuleParams, i: usize) -> (Profile, [f32; 3]) {
    let a = &world.agents;
    let ties = &world.ties;
    let mut engaged = 0.0f32;
    let mut liked = 0.0f32;
    let row = ties.csr.row(i);
    for (t, &r) in ties.state[row.clone()].iter().zip(&ties.csr.reverse[row]) {
        engaged += t.engagement;
        liked += ties.state[r as usize].affect.max(0.0);
    }
    let d = &params.derived;
    let mut bases = [0.0f32; N_BASES];
    for k in [COERCIVE, LEGITIMATE, INFORMATIONAL, EXPERT] {
        bases[k] = a.bases[k][i];
    }
    bases[REWARD] = d.reward(a.endowment[0].get(i), a.resources[i]);
    bases[CONNECTION] = d.connection(a.endowment[1].get(i), engaged);
    bases[REFERENT] = d.referent(a.endowment[REFERENT_ENDOWMENT].get(i), liked);
    let acceptance = params.legitimate.acceptance as f32 * a.acceptance_of(i);
    let profile = Profile {
        offer: params.dependence.offer(&bases, acceptance),
        resources: a.resources[i] as f32,
        exit_factor: params.dependence.exit_factor(a.exit_cost.get(i)),
        alternatives: engaged + a.alternatives[i],
        reward_susceptibility: params.dependence.reward_susceptibility(a.resources[i]),
        esteem: a.self_esteem[i],
    };
    (profile, [bases[REWARD], bases[CONNECTION], bases[REFERENT]])
}

/// `P(j over i)` from `i`'s profile and half (i -> j) and `j`'s profile.
#[inline]
pub fn power_over(params: &RuleParams, pi: &Profile, pj: &Profile, ti: &TieState) -> f32 {
    let dp = &params.dependence;
    let dep_i = dp.dependence(pi.exit_factor, pi.alternatives - ti.engagement);
    dp.power_from(
        ti.engagement,
        dep_i,
        pj.offer,
        pi.reward_susceptibility,
        ti.affect,
    )
}

/// `P(i over j)` and `P(j over i)` for the half `e` (i -> j) from profiles and tie states.
#[inline]
pub fn dyad_powers(
    params: &RuleParams,
    pi: &Profile,
    pj: &Profile,
    ti: &TieState,
    tj: &TieState,
) -> (f32, f32) {
    (
        power_over(params, pj, pi, tj),
        power_over(params, pi, pj, ti),
    )
}

/// Halves processed together by [`DyadBatch`].
pub(crate) const BATCH: usize = 8;

/// The two powers of up to [`BATCH`] consecutive halves of agent `i`'s row,
/// scaled so that ratios take one division: with `P(i over j) = n_ij / d_j`
/// and `P(j over i) = n_ji / d_i`, where `n` is engagement times exit factor
/// times the partner's offer as the dependent feels it
/// ([`crate::rules::dependence::Offer::pull`]) and `d` is the divisor of
/// dependence (the same arithmetic as [`power_over`]), `a = n_ji d_j` and
/// `b = n_ij d_i` are the two powers times `d_i d_j`. The far ends are gathered first, then every lane
/// is computed in straight-line code that the compiler turns into SIMD; each
/// lane does the scalar IEEE arithmetic, so results do not depend on it.
/// Lanes past the row's end hold zeros.
pub(crate) struct DyadBatch {
    /// `P(j over i) * d_i * d_j`.
    pub a: [f32; BATCH],
    /// `P(i over j) * d_i * d_j`.
    pub b: [f32; BATCH],
    /// `1 + k_a alt(i, j)`.
    pub d_i: [f32; BATCH],
    /// `1 + k_a alt(j, i)`.
    pub d_j: [f32; BATCH],
    /// `i`'s engagement in each tie.
    pub engagement: [f32; BATCH],
}

impl DyadBatch {
    #[inline(always)]
    pub(crate) fn new(
        params: &RuleParams,
        ties: &Ties,
        profiles: &[Profile],
        pi: &Profile,
        targets: &[u32],
        reverse: &[u32],
        state: &[TieState],
    ) -> DyadBatch {
        let aw = params.dependence.alternatives_weight as f32;
        let mut eng = [0.0f32; BATCH];
        let mut aff = [0.0f32; BATCH];
        let mut eng_r = [0.0f32; BATCH];
        let mut aff_r = [0.0f32; BATCH];
        let mut fixed = [0.0f32; BATCH];
        let mut reward = [0.0f32; BATCH];
        let mut referent = [0.0f32; BATCH];
        let mut exit_factor = [0.0f32; BATCH];
        let mut alternatives = [0.0f32; BATCH];
        let mut susceptibility = [0.0f32; BATCH];
        for (k, ((&j, &r), t)) in targets.iter().zip(reverse).zip(state).enumerate() {
            eng[k] = t.engagement;
            aff[k] = t.affect;
            let tr = &ties.state[r as usize];
            eng_r[k] = tr.engagement;
            aff_r[k] = tr.affect;
            let pj = &profiles[j as usize];
            fixed[k] = pj.offer.fixed;
            reward[k] = pj.offer.reward;
            referent[k] = pj.offer.referent;
            exit_factor[k] = pj.exit_factor;
            alternatives[k] = pj.alternatives;
            susceptibility[k] = pj.reward_susceptibility;
        }
        let mut d = DyadBatch {
            a: [0.0; BATCH],
            b: [0.0; BATCH],
            d_i: [0.0; BATCH],
            d_j: [0.0; BATCH],
            engagement: eng,
        };
        for k in 0..BATCH {
            let n_ji = eng[k]
                * pi.exit_factor
                * (fixed[k] + reward[k] * pi.reward_susceptibility + referent[k] * max0(aff[k]));
            let d_i = 1.0 + aw * max0(pi.alternatives - eng[k]);
            let n_ij = eng_r[k]
                * exit_factor[k]
                * (pi.offer.fixed
                    + pi.offer.reward * susceptibility[k]
                    + pi.offer.referent * max0(aff_r[k]));
            let d_j = 1.0 + aw * max0(alternatives[k] - eng_r[k]);
            d.a[k] = n_ji * d_j;
            d.b[k] = n_ij * d_i;
            d.d_i[k] = d_i;
            d.d_j[k] = d_j;
        }
        d
    }
}

/// Agent `i`'s influence row: calls `visit(j, W_ij)` for each tie with
/// weight and returns the self-weight `W_ii = 1 - sum_j W_ij`.
///
/// With explicit weights, `W_ij = (1 - s_i) C_ij`. From dyadic power, agent
/// `i` spreads its openness `1 - s_i` evenly over its ties and listens to each
/// partner fully when the partner is at least as powerful over it as it is
/// over the partner, and in proportion otherwise:
/// `W_ij = (1 - s_i) / deg_i * min(1, 2 P(j over i) / (P(j over i) + P(i over j)))`.
#[inline(always)]
fn influence_row(
    world: &World,
    profiles: &[Profile],
    params: &RuleParams,
    i: usize,
    mut visit: impl FnMut(usize, f64),
    mut tie_sums: Option<&mut TieSums>,
) -> f64 {
    let ties = &world.ties;
    let csr = &ties.csr;
    let row = csr.row(i);
    let open = 1.0 - world.agents.self_weight.get(i) as f64;
    let mut given = 0.0;
    if params.influence.fixed() {
        debug_assert!(tie_sums.is_none(), "fixed weights compute no dyadic powers");
        // A closed tie (a partner gone, a tie cut) carries no weight: the
        // open ones share `1 - s_i` (all of it goes to i when none is open).
        let weight = |e: usize| {
            if ties.is_closed(e) {
                0.0
            } else {
                ties.relative[e]
            }
        };
        let total: f64 = row.clone().map(weight).sum();
        if total <= 0.0 {
            return 1.0;
        }
        for e in row {
            let c = weight(e);
            if c > 0.0 {
                let w = open * c / total;
                visit(csr.targets[e] as usize, w);
                given += w;
            }
        }
    } else {
        // The share 2 P(j over i) / (P(i over j) + P(j over i)) takes one
        // division (see `DyadBatch`); weights are accumulated in row order.
        let pi = &profiles[i];
        let per_tie = open / row.len().max(1) as f64;
        let targets = &csr.targets[row.clone()];
        let reverse = &csr.reverse[row.clone()];
        let state = &ties.state[row];
        for ((tb, rb), sb) in targets
            .chunks(BATCH)
            .zip(reverse.chunks(BATCH))
            .zip(state.chunks(BATCH))
        {
            let d = DyadBatch::new(params, ties, profiles, pi, tb, rb, sb);
            if let Some(ts) = tie_sums.as_deref_mut() {
                ts.add_batch(params, i, tb, sb, &d);
            }
            let mut share = [0.0f32; BATCH];
            for (k, out) in share.iter_mut().enumerate() {
                let (a, b) = (d.a[k], d.b[k]);
                let q = 2.0 * a / (a + b);
                let q = if q < 1.0 { q } else { 1.0 };
                let positive = if a + b > 0.0 { q } else { 1.0 };
                *out = if d.engagement[k] > 0.0 { positive } else { 0.0 };
            }
            for (k, &j) in tb.iter().enumerate() {
                let w = per_tie * share[k] as f64;
                if w > 0.0 {
                    visit(j as usize, w);
                    given += w;
                }
            }
        }
    }
    (1.0 - given).max(0.0)
}

/// Agent `i`'s susceptibility `lambda_i` given its self-weight.
fn susceptibility(world: &World, params: &RuleParams, i: usize, self_weight: f64) -> f64 {
    if params.influence.coupled {
        1.0 - self_weight
    } else {
        world.agents.susceptibility.get(i) as f64
    }
}

v3_twin!(act_chunk_v3 = act_chunk(ctx: &ActCtx<'_>, c: usize, effects: &mut [Effect], next: &mut [f32], tie_sums: &mut TieSums) -> ());
v3_twin!(derive_chunk_v3 = derive_chunk(world: &World, params: &RuleParams, c: usize, out: DeriveOut<'_>) -> ());
v3_twin!(apply_unit_v3 = apply_unit(ctx: &ApplyCtx<'_>, u: ApplyUnit<'_>) -> Counters);
v4_twin!(act_chunk_v4 = act_chunk(ctx: &ActCtx<'_>, c: usize, effects: &mut [Effect], next: &mut [f32], tie_sums: &mut TieSums) -> ());
v4_twin!(derive_chunk_v4 = derive_chunk(world: &World, params: &RuleParams, c: usize, out: DeriveOut<'_>) -> ());

/// [`apply_unit`] kept out of line on the baseline path.
#[inline(never)]
fn apply_unit_base(ctx: &ApplyCtx<'_>, u: ApplyUnit<'_>) -> Counters {
    apply_unit(ctx, u)
}

/// What the act phase reads.
struct ActCtx<'a> {
    world: &'a World,
    profiles: &'a [Profile],
    params: &'a RuleParams,
    allowed: &'a [bool; N_TACTICS],
    streams: &'a StepStreams,
    incoming: &'a HalfFlags,
    tie_sums: FusedSums,
}

/// Whether and where the act phase takes a record's tie sums (as a number,
/// the const parameter of [`act_agents`]).
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum FusedSums {
    /// It does not.
    None,
    /// In the influence pass, from the dyadic powers of its weights.
    InInfluence,
    /// Agent by agent, beside the decision (influence off or fixed weights).
    ByAgent,
}

/// Influence and decide for chunk `c`: its effects, its next opinions
/// when `next` is not empty, and its tie sums when asked (see [`Simulation::act`]).
#[inline(always)]
fn act_chunk(
    ctx: &ActCtx<'_>,
    c: usize,
    effects: &mut [Effect],
    next: &mut [f32],
    tie_sums: &mut TieSums,
) {
    // One copy of the loop for each way (the test is made once a chunk).
    const NONE: u8 = FusedSums::None as u8;
    const IN_INFLUENCE: u8 = FusedSums::InInfluence as u8;
    const BY_AGENT: u8 = FusedSums::ByAgent as u8;
    match ctx.tie_sums {
        FusedSums::None => act_agents::<NONE>(ctx, c, effects, next, tie_sums),
        FusedSums::InInfluence => act_agents::<IN_INFLUENCE>(ctx, c, effects, next, tie_sums),
        FusedSums::ByAgent => act_agents::<BY_AGENT>(ctx, c, effects, next, tie_sums),
    }
}

/// [`act_chunk`]'s loop over the agents, taking the tie sums as `SUMS` says
/// (a [`FusedSums`] as a number).
#[inline(always)]
fn act_agents<const SUMS: u8>(
    ctx: &ActCtx<'_>,
    c: usize,
    effects: &mut [Effect],
    next: &mut [f32],
    tie_sums: &mut TieSums,
) {
    let ActCtx {
        world,
        profiles,
        params,
        ..
    } = *ctx;
    for (o, slot) in effects.iter_mut().enumerate() {
        let i = c * CHUNK + o;
        let ahead = i + prefetch::AHEAD;
        if ahead < profiles.len() {
            let csr = &world.ties.csr;
            let row = csr.row(ahead);
            let ties = csr.targets[row.clone()].iter().zip(&csr.reverse[row]);
            let state = &world.ties.state;
            // What decide reads of the partner besides its profile and half.
            let coercive = &world.agents.bases[COERCIVE];
            let response = &world.agents.response;
            let partner = |j: usize, r: usize| {
                prefetch::element(profiles, j);
                prefetch::element(state, r);
                prefetch::element(coercive, j);
                prefetch::element(response, j);
            };
            if next.is_empty() {
                for (&j, &r) in ties {
                    partner(j as usize, r as usize);
                }
            } else {
                let x = &world.agents.opinion;
                for (&j, &r) in ties {
                    partner(j as usize, r as usize);
                    prefetch::element(x, j as usize);
                }
            }
        }
        if let Some(x) = next.get_mut(o) {
            // A constant in each copy of the loop.
            let sums = (SUMS == FusedSums::InInfluence as u8).then_some(&mut *tie_sums);
            *x = influence_one(world, profiles, params, i, sums) as f32;
        }
        if SUMS == FusedSums::ByAgent as u8 {
            tie_sums.add_agent(params, &world.ties, profiles, i);
        }
        let eff = decide_one(world, profiles, params, ctx.allowed, ctx.streams, i);
        if eff.acted() {
            let r = world.ties.csr.reverse[eff.tie as usize] as usize;
            ctx.incoming.set(r);
        }
        *slot = eff;
    }
}

/// Agent `i`'s opinion at `t+1` (Friedkin–Johnsen; see [`crate::rules::influence`]).
/// With `tie_sums`, adds `i`'s halves and upper dyads to them (weights from
/// dyadic power only).
#[inline(always)]
fn influence_one(
    world: &World,
    profiles: &[Profile],
    params: &RuleParams,
    i: usize,
    tie_sums: Option<&mut TieSums>,
) -> f64 {
    let x = &world.agents.opinion;
    let mut social = 0.0;
    let s = influence_row(
        world,
        profiles,
        params,
        i,
        |j, w| social += w * x[j] as f64,
        tie_sums,
    );
    let lambda = susceptibility(world, params, i, s);
    let (xi, ui) = (x[i] as f64, world.agents.prejudice[i] as f64);
    (lambda * (s * xi + social) + (1.0 - lambda) * ui).clamp(0.0, 1.0)
}

#[inline(never)]
fn decide_one(
    world: &World,
    profiles: &[Profile],
    params: &RuleParams,
    allowed: &[bool; N_TACTICS],
    streams: &StepStreams,
    i: usize,
) -> Effect {
    let csr = &world.ties.csr;
    let row = csr.row(i);
    if row.is_empty() {
        return Effect::IDLE;
    }
    let mut rng = streams.agent(i as u64);
    // Dissatisfaction: the most resented partner, and the response to it.
    let mut response = Response::None;
    let mut resented = None;
    if params.response.enabled {
        let state = &world.ties.state;
        // A closed tie (a partner gone, a tie cut) is no one to complain to.
        let e = row
            .clone()
            .filter(|&f| !world.ties.is_closed(f))
            .max_by(|&a, &b| state[a].resentment.total_cmp(&state[b].resentment));
        if let Some(e) = e.filter(|&e| state[e].resentment > params.withdrawal.threshold as f32) {
            let a = &world.agents;
            response = params.response.choose(
                state[e].affect,
                a.exit_cost.get(i),
                a.alternatives[i],
                rng.random::<f32>(),
            );
            resented = Some(e);
        }
    }
    let mut eff = match (response, resented) {
        (Response::Neglect, _) => Effect::IDLE,
        (Response::Voice, Some(e)) => voice(world, profiles, params, i, e, &mut rng),
        _ => decide_act(world, profiles, params, allowed, i, &mut rng),
    };
    eff.response = response as u8;
    eff
}

/// A complaint by `i` to the partner at the far end of half `e` (see
/// [`crate::rules::response`] and [`crate::rules::coalition`]).
fn voice(
    world: &World,
    profiles: &[Profile],
    params: &RuleParams,
    i: usize,
    e: usize,
    rng: &mut crate::rng::Rng,
) -> Effect {
    let csr = &world.ties.csr;
    let state = &world.ties.state;
    let j = csr.targets[e] as usize;
    let r = csr.reverse[e] as usize;
    let (pi, pj) = (&profiles[i], &profiles[j]);
    let (p_ij, p_ji) = dyad_powers(params, pi, pj, &state[e], &state[r]);
    let bloc = if params.coalition.enabled {
        // Everyone tied to j who resents it stands with the voicer, and j
        // faces them as one partner: its alternatives are what lies outside the bloc.
        let threshold = params.coalition.threshold as f32;
        let member = |f: usize| {
            csr.targets[f] as usize == i || state[csr.reverse[f] as usize].resentment > threshold
        };
        let joint: f32 = csr
            .row(j)
            .filter(|&f| member(f))
            .map(|f| state[f].engagement)
            .sum();
        let dp = &params.dependence;
        let dep = dp.dependence(pj.exit_factor, pj.alternatives - joint);
        csr.row(j)
            .filter(|&f| member(f))
            .map(|f| {
                let t = &state[f];
                let pk = &profiles[csr.targets[f] as usize];
                dp.power_from(
                    t.engagement,
                    dep,
                    pk.offer,
                    pj.reward_susceptibility,
                    t.affect,
                )
            })
            .sum()
    } else {
        p_ij
    };
    let logit =
        params.tactics.sensitivity as f32 * (bloc - p_ji) + params.response.voice_bias as f32;
    let heard = rng.random::<f32>() < crate::fastmath::sigmoid(logit);
    let mut eff = Effect {
        tie: e as u32,
        tactic: VOICE as u8,
        value: bloc,
        ..Effect::IDLE
    };
    if heard {
        eff.flags |= COMPLIED | DECISION;
        let deg = csr.degree(j).max(1) as f64;
        eff.stake = (params.tactics.stake * pj.resources.max(0.0) as f64 / deg) as f32;
    }
    eff
}

#[inline]
fn decide_act(
    world: &World,
    profiles: &[Profile],
    params: &RuleParams,
    allowed: &[bool; N_TACTICS],
    i: usize,
    rng: &mut crate::rng::Rng,
) -> Effect {
    let csr = &world.ties.csr;
    let state = &world.ties.state;
    let row = csr.row(i);
    // Partner, weighted by the actor's engagement.
    let total: f32 = state[row.clone()].iter().map(|t| t.engagement).sum();
    if total <= 0.0 {
        return Effect::IDLE;
    }
    let mut x = rng.random::<f32>() * total;
    let mut e = row.end - 1;
    for f in row.clone() {
        let w = state[f].engagement;
        if w > 0.0 {
            if x < w {
                e = f;
                break;
            }
            x -= w;
            e = f;
        }
    }
    let j = csr.targets[e] as usize;
    let r = csr.reverse[e] as usize;
    let (pi, pj) = (&profiles[i], &profiles[j]);
    let (ti, tj) = (&state[e], &state[r]);
    // It takes two to interact: the partner takes part as far as it is engaged.
    if rng.random::<f32>() >= tj.engagement {
        return Effect::IDLE;
    }
    let contests = &params.contests;
    if contests.enabled && rng.random::<f32>() < contests.rate as f32 {
        // A dominance encounter (DomWorld): a contest, no decision at stake.
        let coercive = &world.agents.bases[COERCIVE];
        let (won, delta) = contests.contest(coercive[i], coercive[j], rng.random::<f32>());
        return Effect {
            tie: e as u32,
            tactic: ENCOUNTER as u8,
            flags: CONTEST | if won { ACTOR_WON } else { 0 },
            value: delta,
            ..Effect::IDLE
        };
    }
    let a = &world.agents;
    let bases_i: [f32; N_BASES] = std::array::from_fn(|k| a.bases[k][i]);
    let props = params.tactics.propensities(
        &bases_i,
        a.motive.get(i),
        ti.resentment,
        a.bases[COERCIVE][j],
        allowed,
    );
    let mut props = props;
    props[COERCIVE] *= 1.0 - params.coercion.sanction_detection as f32;
    let Some(k) = crate::rules::tactic::choose(&props, rng.random::<f32>()) else {
        return Effect::IDLE;
    };
    let mut eff = Effect {
        tie: e as u32,
        tactic: k as u8,
        ..Effect::IDLE
    };
    if k == CONSULT {
        return eff;
    }
    let (p_ij, p_ji) = dyad_powers(params, pi, pj, ti, tj);
    let mut p_comply = params
        .tactics
        .comply_probability(k, p_ij, p_ji, pj.esteem, tj.resentment);
    if world.agents.response.get(j) == Some(&(Response::Neglect as u8)) {
        p_comply *= 1.0 - params.response.neglect_compliance as f32;
    }
    let complied = rng.random::<f32>() < p_comply;
    let mut decision = complied;
    if complied {
        eff.flags |= COMPLIED;
        if p_ij > p_ji {
            eff.flags |= DEFERENCE;
        }
    }
    let rs = &params.resentment;
    let (envy_actor, envy_target) = rs.envy_pair(pi.resources as f64, pj.resources as f64);
    // At most one of the two is positive (only the poorer side envies), so
    // the difference keeps both exactly.
    eff.envy = tj.engagement * envy_target - ti.engagement * envy_actor;
    // Two draws for every influence attempt, used or not, so that the
    // streams of later draws do not depend on the act.
    let u_contest = rng.random::<f32>();
    let u_isolate = rng.random::<f32>();
    match k {
        COERCIVE => {
            let c = &params.coercion;
            eff.harm = c.harm_to(tj.engagement, bases_i[LEGITIMATE]);
            if !complied {
                let (won, delta) =
                    params
                        .contests
                        .contest(bases_i[COERCIVE], a.bases[COERCIVE][j], u_contest);
                eff.flags |= CONTEST | if won { ACTOR_WON } else { 0 };
                eff.value = delta;
                decision = won;
            }
            if c.isolates(world.agents.motive.get(i), u_isolate) {
                eff.flags |= ISOLATE;
            }
            if c.sanction_detection > 0.0 && rng.random::<f32>() < c.sanction_detection as f32 {
                eff.flags |= SANCTIONED;
                eff.pay = (c.sanction_penalty * pi.resources.max(0.0) as f64) as f32;
            }
        }
        LEGITIMATE if complied => {
            eff.harm = params.legitimate.resentment_from_order(a.acceptance_of(i))
        }
        INFORMATIONAL | EXPERT => eff.value = bases_i[k],
        _ => {}
    }
    if decision {
        eff.flags |= DECISION;
        if matches!(k, COERCIVE | REWARD | LEGITIMATE | REFERENT) {
            let deg = csr.degree(j).max(1) as f64;
            let stake = params.tactics.stake * pj.resources.max(0.0) as f64 / deg;
            if k == REWARD {
                // A reward buys the decision: the actor pays a share of what
                // the decision is worth and takes nothing from the target,
                // so reward power is spent by use.
                eff.pay = params.reward.payment(stake, pi.resources as f64, row.len()) as f32;
            } else {
                eff.stake = stake as f32;
            }
        }
    }
    eff
}

/// One flag per tie half, set when the half's partner acts on it this step:
/// a bit each (one byte per agent at degree 8). Set in the decide phase by
/// the actor (an atomic OR, so the bits do not depend on the order threads
/// run in), read by the half's owner in the apply phase, cleared after it.
struct HalfFlags {
    words: Vec<AtomicU64>,
}

impl HalfFlags {
    fn new(halves: usize) -> Self {
        HalfFlags {
            words: (0..halves.div_ceil(64))
                .map(|_| AtomicU64::new(0))
                .collect(),
        }
    }

    /// Flags half `e`.
    #[inline]
    fn set(&self, e: usize) {
        self.words[e >> 6].fetch_or(1 << (e & 63), Ordering::Relaxed);
    }

    /// The flagged halves of `row`, ascending, as positions within the row.
    #[inline]
    fn flagged(&self, row: std::ops::Range<usize>) -> impl Iterator<Item = usize> + '_ {
        let (start, end) = (row.start, row.end);
        (start >> 6..end.div_ceil(64)).flat_map(move |w| {
            let base = w << 6;
            let mut bits = self.words[w].load(Ordering::Relaxed);
            if base < start {
                bits &= u64::MAX << (start - base);
            }
            if end - base < 64 {
                bits &= (1u64 << (end - base)) - 1;
            }
            std::iter::from_fn(move || {
                (bits != 0).then(|| {
                    let b = bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    base + b - start
                })
            })
        })
    }

    /// Clears every flag.
    fn clear(&mut self) {
        for w in &mut self.words {
            *w.get_mut() = 0;
        }
    }
}

struct ApplyCtx<'a> {
    csr: &'a Csr,
    effects: &'a [Effect],
    incoming: &'a HalfFlags,
    closed: &'a [bool],
    deals: &'a [negotiation::Deal],
    params: &'a RuleParams,
    income: &'a Column,
    baseline: &'a Column,
    exit_cost: &'a Column,
    motive: &'a Column,
    coercive_baseline: &'a Column,
    info_baseline: &'a Column,
}

#[derive(Default)]
struct ApplyUnit<'a> {
    start: usize,
    state: &'a mut [TieState],
    /// This unit's wins (empty when wins are not kept).
    wins: &'a mut [u32],
    resources: &'a mut [f64],
    esteem: &'a mut [f32],
    coercive: &'a mut [f32],
    info: &'a mut [f32],
    expert: &'a mut [f32],
    legitimate: &'a mut [f32],
    referent_endowment: &'a mut [f32],
    alternatives: &'a mut [f32],
    response: &'a mut [u8],
}

/// Counts a win on the agent's half `l` (when wins are kept).
#[inline]
fn win(wins: &mut [u32], l: usize) {
    if let Some(w) = wins.get_mut(l) {
        *w = w.saturating_add(1);
    }
}

#[inline(always)]
fn apply_unit(ctx: &ApplyCtx<'_>, u: ApplyUnit<'_>) -> Counters {
    let mut counts = Counters::default();
    let p = ctx.params;
    let tie_base = ctx.csr.offsets[u.start] as usize;
    for o in 0..u.resources.len() {
        let i = u.start + o;
        // Announce the acts aimed at an agent a few places ahead.
        let near = i + prefetch::AHEAD;
        if near < ctx.csr.n() {
            let row = ctx.csr.row(near);
            let targets = &ctx.csr.targets[row.clone()];
            for l in ctx.incoming.flagged(row) {
                prefetch::read(&ctx.effects[targets[l] as usize]);
            }
        }
        let row = ctx.csr.row(i);
        let local = row.start - tie_base..row.end - tie_base;
        let state = &mut u.state[local.clone()];
        let wins: &mut [u32] = if u.wins.is_empty() {
            &mut []
        } else {
            &mut u.wins[local.clone()]
        };
        let mut resources = u.resources[o];
        let mut esteem = u.esteem[o];
        let mut coercive = u.coercive[o];
        // Contests never take dominance below the floor (see `contest`).
        let floor = crate::rules::contest::floor_of(coercive);

        // The agent's own act.
        let own = ctx.effects[i];
        if own.acted() {
            let k = own.tactic as usize;
            let l = own.tie as usize - row.start;
            let t = &mut state[l];
            if k == VOICE {
                counts.voices += 1;
                if own.decision() {
                    counts.heard += 1;
                    win(wins, l);
                    resources += own.stake as f64;
                    t.resentment *= 1.0 - p.response.relief as f32;
                }
            } else if k == ENCOUNTER {
                counts.contests += 1;
                counts.encounters += 1;
                coercive = (coercive + own.value).max(floor);
                if own.flags & ACTOR_WON != 0 {
                    win(wins, l);
                }
            } else if k == CONSULT {
                counts.tactics[k] += 1;
                let (r, a) = p.consult.after(
                    t.resentment,
                    t.affect,
                    ctx.motive.get(ctx.csr.targets[own.tie as usize] as usize),
                );
                t.resentment = r;
                t.affect = a;
            } else {
                counts.tactics[k] += 1;
                counts.attempts += 1;
                counts.complied += u64::from(own.complied());
                t.resentment += own.envy_actor();
                if own.decision() {
                    win(wins, l);
                    resources += own.stake as f64;
                }
                resources -= own.pay as f64;
                if own.flags & CONTEST != 0 {
                    counts.contests += 1;
                    coercive = (coercive + own.value).max(floor);
                }
                if k == INFORMATIONAL {
                    u.info[o] *= 1.0 - p.knowledge.spending as f32;
                }
                // Status giving: deference to a stronger actor accrues to it.
                if p.status.enabled && own.complied() && own.flags & DEFERENCE != 0 {
                    match k {
                        LEGITIMATE => u.legitimate[o] = p.status.after(u.legitimate[o]),
                        REFERENT => {
                            u.referent_endowment[o] = p.status.after(u.referent_endowment[o])
                        }
                        _ => {}
                    }
                }
            }
        }

        // Acts aimed at the agent, found through its own row.
        let mut isolate_keep: Option<usize> = None;
        let mut isolations = 0u32;
        let mut introduced_by: Option<usize> = None;
        let targets = &ctx.csr.targets[row.clone()];
        for l in ctx.incoming.flagged(row.clone()) {
            let j = targets[l] as usize;
            let f = ctx.effects[j];
            let t = &mut state[l];
            let k = f.tactic as usize;
            if f.flags & CONTEST != 0 {
                coercive = (coercive - f.value).max(floor);
                if f.flags & ACTOR_WON == 0 {
                    win(wins, l);
                }
            }
            if k == ENCOUNTER {
                continue;
            }
            if k == CONSULT {
                let (r, a) = p.consult.after(t.resentment, t.affect, ctx.motive.get(j));
                t.resentment = r;
                t.affect = a;
                continue;
            }
            t.resentment += f.envy_target() + f.harm;
            if f.decision() {
                resources -= f.stake as f64;
            }
            match k {
                COERCIVE => {
                    let c = &p.coercion;
                    t.affect = (t.affect - c.affect_loss as f32 * t.engagement).max(-1.0);
                    esteem -= c.esteem_loss as f32 * t.engagement * esteem;
                    if f.flags & SANCTIONED != 0 {
                        resources += f.pay as f64;
                    }
                    if f.flags & ISOLATE != 0 {
                        isolations += 1;
                        isolate_keep = Some(l);
                    }
                }
                REWARD if f.complied() => {
                    resources += f.pay as f64;
                    t.affect = p.reward.affect_after(t.affect);
                }
                CONNECTION => {
                    t.affect =
                        (t.affect + p.connection.affect_gain as f32 * (1.0 - t.affect)).min(1.0);
                    introduced_by = Some(l);
                }
                INFORMATIONAL if f.complied() => {
                    u.info[o] = p.knowledge.learned(u.info[o], f.value);
                }
                EXPERT if f.complied() => {
                    u.expert[o] = p.knowledge.learned(u.expert[o], f.value);
                }
                _ => {}
            }
        }
        if isolations > 0 {
            // Isolation by a coercer: every other tie loses engagement.
            let keep = isolate_keep.unwrap_or(usize::MAX);
            let factor = crate::fastmath::powi(1.0 - p.coercion.isolation_cut as f32, isolations);
            for (l, t) in state.iter_mut().enumerate() {
                if l != keep {
                    t.engagement *= factor;
                }
            }
        }
        if let Some(by) = introduced_by {
            // An introduction re-engages the target's weakest other tie.
            let weakest = state
                .iter()
                .enumerate()
                .filter(|&(l, _)| {
                    l != by && !ctx.closed.get(row.start + l).copied().unwrap_or(false)
                })
                .min_by(|a, b| a.1.engagement.total_cmp(&b.1.engagement))
                .map(|(l, _)| l);
            if let Some(w) = weakest {
                let t = &mut state[w];
                t.engagement += p.connection.introduction as f32 * (1.0 - t.engagement);
            }
        }

        // Decay and withdrawal on every half the agent owns (one pass).
        let response = Response::from_u8(own.response);
        u.response[o] = own.response;
        counts.responses[own.response as usize] += 1;
        let scale = match response {
            Response::Voice | Response::Loyalty => 0.0,
            Response::Neglect => 0.5,
            Response::Exit | Response::None => 1.0,
        };
        let alternatives = u.alternatives[o];
        // Mobility (1 - exit cost)^damping, computed here rather than stored.
        let mobility = if scale > 0.0 {
            p.withdrawal.mobility(ctx.exit_cost.get(i))
        } else {
            0.0
        };
        let step = p.withdrawal.prepare(esteem, scale * mobility, alternatives);
        let mut withdrawn = 0.0;
        let keep = p.resentment.keep();
        match (&step, ctx.closed.is_empty()) {
            (Some(w), true) => {
                for t in state.iter_mut() {
                    t.resentment = max0(t.resentment * keep);
                    withdrawn += w.half_step(t);
                }
            }
            (None, _) => {
                for t in state.iter_mut() {
                    t.resentment = max0(t.resentment * keep);
                }
            }
            (Some(w), false) => {
                for (t, &closed) in state.iter_mut().zip(&ctx.closed[row.clone()]) {
                    t.resentment = max0(t.resentment * keep);
                    if !closed {
                        withdrawn += w.half_step(t);
                    }
                }
            }
        }
        u.alternatives[o] = p
            .extension
            .after(alternatives, withdrawn > 0.0 || response == Response::Exit);
        esteem = p
            .withdrawal
            .esteem_after(esteem.clamp(0.0, 1.0), withdrawn, ctx.baseline.get(i));
        resources = p.resources.after(resources, ctx.income.get(i));

        // The agent's share of this round's exchange, if it made one.
        let deal = ctx.deals.get(i).copied().unwrap_or_default();
        if deal.partner != negotiation::NO_PARTNER {
            resources += deal.share as f64;
            counts.exchanges += 1;
        }
        if p.knowledge.renewal > 0.0 {
            let info = &mut u.info[o];
            let base = ctx.info_baseline.get_or(i, *info);
            *info += p.knowledge.renewal as f32 * (base - *info);
        }
        if p.contests.forgetting > 0.0 {
            let base = ctx.coercive_baseline.get_or(i, coercive);
            coercive = p.contests.forget(coercive, base);
        }
        u.resources[o] = crate::rules::resources::bounded(resources);
        u.esteem[o] = esteem.clamp(0.0, 1.0);
        u.coercive[o] = coercive;
    }
    counts
}

/// Draws an agent's starting opinion and prejudice (equal unless the prejudice has its own distribution).
fn draw_opinion(spec: &crate::scenario::Attributes, rng: &mut crate::rng::Rng) -> (f64, f64) {
    let opinion = spec.opinion.sample(rng, 1.0);
    let prejudice = match &spec.prejudice {
        Some(d) => d.sample(rng, 1.0),
        None => opinion,
    };
    (opinion, prejudice)
}

/// Places explicit influence weights on the ties: row-normalises each
/// agent's weights (self-weight included), stores the relative weights of
/// its ties and sets its self-weight. An agent whose row has no diagonal
/// entry keeps its `self_weight` attribute; one with no weights at all keeps
/// only itself (self-weight 1).
///
/// A weight on a pair the network does not tie is a problem at the place
/// the weight was written; every such problem is returned at once.
fn explicit_weights(
    scenario: &Scenario,
    csr: &Csr,
    entries: &[(u32, u32, f64)],
    self_weight: &mut [f32],
) -> std::result::Result<Vec<f64>, Vec<crate::error::Diagnostic>> {
    let n = csr.n();
    let mut relative = vec![0.0; csr.targets.len()];
    let mut own = vec![0.0; n];
    let mut has_own = vec![false; n];
    let mut problems = Vec::new();
    let places = &scenario.rules.influence.explicit_places;
    for (k, &(i, j, w)) in entries.iter().enumerate() {
        let (i, j) = (i as usize, j as usize);
        if i == j {
            own[i] += w;
            has_own[i] = true;
            continue;
        }
        let row = csr.row(i);
        match csr.targets[row.clone()].binary_search(&(j as u32)) {
            Ok(k) => relative[row.start + k] += w,
            Err(_) => {
                let place = places
                    .get(k)
                    .cloned()
                    .unwrap_or_else(|| crate::error::Place {
                        file: scenario.source.clone(),
                        line_col: None,
                        path: "rules.influence".to_string(),
                    });
                problems.push(place.diagnostic(
                    format!(
                        "`{}` gives weight to `{}`, but they are not tied in the network",
                        scenario.agent_label(i as u64),
                        scenario.agent_label(j as u64)
                    ),
                    "add the pair to network.edges, or use a network that contains it",
                ));
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    for i in 0..n {
        let row = csr.row(i);
        let others: f64 = relative[row.clone()].iter().sum();
        let total = own[i] + others;
        if total <= 0.0 {
            self_weight[i] = 1.0;
            continue;
        }
        // Without a diagonal entry the agent keeps its self_weight attribute.
        if has_own[i] {
            self_weight[i] = (own[i] / total) as f32;
        }
        if others > 0.0 {
            for c in &mut relative[row] {
                *c /= others;
            }
        }
    }
    Ok(relative)
}

/// Closes, before the run, the ties of agents who join later and the ties
/// added later; allocates the closed flags if any event needs them.
///
/// A cut or added tie the network does not have is a problem at the place
/// its pair was written; every such problem is returned at once.
fn close_initially(
    scenario: &Scenario,
    cohort_of: &[u32],
    ties: &mut Ties,
) -> std::result::Result<(), Vec<crate::error::Diagnostic>> {
    use crate::events::Kind;
    let structural = scenario.events.iter().any(|e| {
        matches!(
            e.kind,
            Kind::Leave | Kind::Join | Kind::TieCut { .. } | Kind::TieAdd { .. }
        )
    });
    if !structural {
        return Ok(());
    }
    ties.allow_closing();
    let mut problems = Vec::new();
    // Whether an agent is there at step 0, and whether a tie is, is decided
    // by the first event that changes it (by step, then file order): an
    // agent who joins first is absent until then, one who leaves first (and
    // may join again later) is present; likewise a tie added first, or cut
    // first.
    let mut order: Vec<usize> = (0..scenario.events.len()).collect();
    order.sort_by_key(|&k| (scenario.events[k].from, k));
    let mut agent_decided = vec![false; cohort_of.len()];
    let mut tie_decided = vec![false; ties.state.len()];
    for index in order {
        let ev = &scenario.events[index];
        match &ev.kind {
            Kind::Join | Kind::Leave => {
                for (i, &c) in cohort_of.iter().enumerate() {
                    let member = ev.targets.all
                        || ev.targets.cohorts.contains(&(c as usize))
                        || ev
                            .targets
                            .groups
                            .iter()
                            .any(|g| scenario.cohorts[c as usize].groups.contains(g));
                    if member && !agent_decided[i] {
                        agent_decided[i] = true;
                        if matches!(ev.kind, Kind::Join) {
                            ties.set_absent(i, true);
                        }
                    }
                }
            }
            Kind::TieAdd { pairs } | Kind::TieCut { pairs } => {
                for (k, &(a, b)) in pairs.iter().enumerate() {
                    let Some(e) = ties.half(a as usize, b as usize) else {
                        let place =
                            ev.pair_places
                                .get(k)
                                .cloned()
                                .unwrap_or_else(|| crate::error::Place {
                                    file: scenario.source.clone(),
                                    line_col: None,
                                    path: format!("events[{index}]"),
                                });
                        problems.push(place.diagnostic(
                            format!(
                                "{}: `{}` and `{}` are not tied in the network",
                                ev.kind.name(),
                                scenario.agent_label(a as u64),
                                scenario.agent_label(b as u64)
                            ),
                            "ties cut or added by events must be in the network (an added tie stays closed until its event)",
                        ));
                        continue;
                    };
                    let r = ties.csr.reverse[e] as usize;
                    if !tie_decided[e] {
                        tie_decided[e] = true;
                        tie_decided[r] = true;
                        if matches!(ev.kind, Kind::TieAdd { .. }) {
                            ties.set_cut(e, true);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// Builds the world of a scenario (agents, network, tie states) for a seed and run.
pub fn build_world(scenario: &Scenario, seed: u64, run: u64) -> Result<World> {
    let n = scenario.n_agents();
    if n > u32::MAX as u64 - 1 {
        return Err(Error::Run(format!(
            "{n} agents exceed the engine's index range"
        )));
    }
    let n = n as usize;
    let mut cohorts = Vec::with_capacity(scenario.cohorts.len());
    let mut cohort_of = Vec::with_capacity(n);
    let mut start = 0;
    for (c, spec) in scenario.cohorts.iter().enumerate() {
        cohorts.push(Cohort {
            name: spec.name.clone(),
            named: spec.named,
            start,
            count: spec.count as usize,
            groups: spec.groups.clone(),
        });
        cohort_of.extend(std::iter::repeat_n(c as u32, spec.count as usize));
        start += spec.count as usize;
    }
    // Draw attributes agent by agent from the agent's own set-up stream.
    struct Drawn {
        bases: [f32; N_BASES],
        resources: f64,
        income: f32,
        esteem: f32,
        motive: f32,
        exit_cost: f32,
        alternatives: f32,
        opinion: f64,
        prejudice: f64,
        self_weight: f64,
        susceptibility: f64,
    }
    // Group and intersection modifiers, once per cohort.
    let modifiers: Vec<crate::scenario::Modifiers> = scenario
        .cohorts
        .iter()
        .map(|c| scenario.modifiers_for(&c.groups))
        .collect();
    let drawn: Vec<Drawn> = (0..n)
        .into_par_iter()
        .map(|i| {
            let spec = &scenario.cohorts[cohort_of[i] as usize].attributes;
            let m = &modifiers[cohort_of[i] as usize];
            let mut rng = stream(seed, run, 0, i as u64, purpose::SETUP);
            let (opinion, prejudice) = draw_opinion(spec, &mut rng);
            let mut bases = [0.0f32; N_BASES];
            for (k, b) in bases.iter_mut().enumerate() {
                *b = (spec.bases[k].sample(&mut rng, 1e6) * m.bases[k]) as f32;
            }
            Drawn {
                bases,
                resources: spec.resources.sample(&mut rng, 1e12) * m.resources,
                income: (spec.income.sample(&mut rng, 1e12) * m.pay) as f32,
                motive: spec.motive.sample(&mut rng, 1.0) as f32,
                exit_cost: spec.exit_cost.sample(&mut rng, 1.0) as f32,
                esteem: spec.self_esteem.sample(&mut rng, 1.0) as f32,
                alternatives: (spec.alternatives.sample(&mut rng, 1e6) * m.alternatives) as f32,
                opinion,
                prejudice,
                self_weight: spec.self_weight.sample(&mut rng, 1.0),
                susceptibility: spec.susceptibility.sample(&mut rng, 1.0),
            }
        })
        .collect();
    let mut agents = Agents::default();
    for k in 0..N_BASES {
        agents.bases[k] = drawn.iter().map(|d| d.bases[k]).collect();
    }
    if scenario.rules.contests.forgetting > 0.0 {
        agents.coercive_baseline = Column::from_values(agents.bases[COERCIVE].clone());
    }
    if scenario.rules.knowledge.renewal > 0.0 {
        agents.info_baseline = Column::from_values(agents.bases[INFORMATIONAL].clone());
    }
    agents.endowment = [
        Column::from_values(agents.bases[REWARD].clone()),
        Column::from_values(agents.bases[CONNECTION].clone()),
        Column::from_values(agents.bases[REFERENT].clone()),
    ];
    agents.resources = drawn.iter().map(|d| d.resources).collect();
    agents.income = Column::from_values(drawn.iter().map(|d| d.income).collect());
    agents.self_esteem = drawn.iter().map(|d| d.esteem).collect();
    agents.esteem_baseline = Column::from_values(agents.self_esteem.clone());
    agents.motive = Column::from_values(drawn.iter().map(|d| d.motive).collect());
    agents.exit_cost = Column::from_values(drawn.iter().map(|d| d.exit_cost).collect());
    agents.alternatives = drawn.iter().map(|d| d.alternatives).collect();
    agents.opinion = drawn.iter().map(|d| d.opinion as f32).collect();
    agents.prejudice = drawn.iter().map(|d| d.prejudice as f32).collect();
    agents.self_weight = Column::from_values(drawn.iter().map(|d| d.self_weight as f32).collect());
    agents.susceptibility =
        Column::from_values(drawn.iter().map(|d| d.susceptibility as f32).collect());
    agents.response = vec![Response::None as u8; n];
    agents.cohort_acceptance = modifiers.iter().map(|m| m.acceptance as f32).collect();
    agents.cohort_promotion = modifiers.iter().map(|m| m.promotion as f32).collect();
    drop(drawn);
    if !scenario.groups.is_empty() {
        agents.groups = cohort_of
            .iter()
            .map(|&c| {
                cohorts[c as usize]
                    .groups
                    .iter()
                    .fold(0u64, |m, &g| m | (1u64 << g))
            })
            .collect();
    }
    agents.cohort_starts = cohorts.iter().map(|c| c.start as u32).collect();

    let net_err = |e: network::NetworkError| {
        Error::input(
            &scenario.source,
            format!("network: {e}"),
            Some("change the [network] section"),
        )
    };
    let blocks: Vec<u32> = if matches!(scenario.network, network::NetworkSpec::Block { .. }) {
        cohort_of.clone()
    } else {
        Vec::new()
    };
    let edges = network::generate(
        &scenario.network,
        n as u32,
        &blocks,
        crate::rng::mix(&[seed, run]),
    )
    .map_err(net_err)?;
    if edges.is_empty() {
        return Err(Error::input(
            &scenario.source,
            format!("network: the network drawn at seed {seed} has no ties"),
            Some("raise the network's density (p, mean_degree, p_within or p_between)"),
        ));
    }
    let csr = Csr::from_edges(n as u32, &edges).map_err(net_err)?;
    drop(edges);
    let state = vec![TieState::default(); csr.targets.len()];
    // Problems only the network shows, every one at once.
    let mut problems = Vec::new();
    let relative = match &scenario.rules.influence.explicit {
        Some(entries) => {
            match explicit_weights(scenario, &csr, entries, agents.self_weight.values_mut()) {
                Ok(r) => r,
                Err(d) => {
                    problems.extend(d);
                    Vec::new()
                }
            }
        }
        None => Vec::new(),
    };
    // Wins are shown by the hierarchy metrics and ties.csv only.
    let wins = if n <= scenario.metrics.hierarchy_max_agents
        || csr.targets.len() <= crate::run::MAX_TIE_SNAPSHOT_HALVES
    {
        vec![0; csr.targets.len()]
    } else {
        Vec::new()
    };
    let mut ties = Ties {
        csr,
        state,
        wins,
        relative,
        closed: Vec::new(),
        cut: Vec::new(),
        absent: Vec::new(),
    };
    if let Err(d) = close_initially(scenario, &cohort_of, &mut ties) {
        problems.extend(d);
    }
    if !problems.is_empty() {
        // The scenario's own problems top to bottom, then its bases' as found.
        problems.sort_by_key(|d| {
            let own = d.file == scenario.source;
            (!own, if own { d.line_col } else { None })
        });
        return Err(Error::Input(crate::error::InputErrors(problems)));
    }
    Ok(World {
        agents,
        ties,
        cohorts,
        groups: scenario.groups.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::{Effect, HalfFlags, Simulation};

    #[test]
    fn attributes_every_agent_shares_are_stored_once() {
        let s = crate::scenario::synthetic_population(500, 8).unwrap();
        let mut sim = Simulation::new(&s, 1, 0).unwrap();
        for _ in 0..3 {
            sim.step();
        }
        let a = &sim.world.agents;
        let shared = [
            ("income", &a.income),
            ("esteem baseline", &a.esteem_baseline),
            ("reward endowment", &a.endowment[0]),
            ("connection endowment", &a.endowment[1]),
            ("referent endowment", &a.endowment[2]),
            ("informational baseline", &a.info_baseline),
            ("susceptibility", &a.susceptibility),
            ("self-weight", &a.self_weight),
        ];
        for (name, c) in shared {
            assert!(c.is_uniform() && c.len() == 500, "{name}");
        }
        assert_eq!(a.income.get(499), 1.0);
        // Drawn from distributions: one value per agent.
        assert!(!a.motive.is_uniform() && !a.exit_cost.is_uniform());
        assert_eq!(a.motive.len(), 500);
    }

    #[test]
    fn a_records_hierarchy_columns_are_the_dense_measures_of_the_dominance_matrix() {
        use crate::metrics::hierarchy as h;
        // 100 agents (the hierarchy's default limit), degree 8, every core rule.
        let s = crate::scenario::synthetic_population(100, 8).unwrap();
        let mut sim = Simulation::new(&s, 3, 0).unwrap();
        assert!(sim.hierarchy_on());
        for _ in 0..30 {
            sim.step();
        }
        let (m, n) = (sim.dominance_matrix(), 100);
        assert!(m.iter().sum::<f64>() > 0.0, "someone has won something");
        let r = sim.dominance_wins().measures();
        let dense = [
            h::landau_h(&m, n).unwrap(),
            h::de_vries_h_prime(&m, n).unwrap(),
            h::steepness(&m, n, h::DyadicIndex::Proportion).unwrap(),
            h::steepness(&m, n, h::DyadicIndex::Dij).unwrap(),
            h::triangle_transitivity(&m, n).unwrap(),
            h::directional_consistency(&m, n).unwrap(),
        ];
        let sparse = [
            r.landau_h,
            r.h_prime,
            r.steepness_proportions,
            r.steepness_dij,
            r.triangle_transitivity,
            r.directional_consistency,
        ];
        for (k, (a, b)) in sparse.iter().zip(&dense).enumerate() {
            assert!(
                a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
                "{k}: {a} {b}"
            );
        }
    }

    #[test]
    fn the_wide_vector_twins_give_the_same_bits() {
        // The bench population (every core rule and influence from dyadic
        // power) over several chunks, stepped with the x86-64-v3 twins and
        // without them: every column, tie and metric the same, bit for bit.
        // (On a CPU without AVX2 both runs take the baseline path.) First
        // with the x86-64-v4 twins where the step has them (on a CPU with
        // AVX-512), then with the x86-64-v3 twins alone.
        let s = crate::bench::scenario(3 * super::CHUNK as u64 + 77, 8, 0.1).unwrap();
        for avx512 in [true, false] {
            let mut wide = Simulation::new(&s, 5, 0).unwrap();
            let mut base = Simulation::new(&s, 5, 0).unwrap();
            wide.set_wide_vectors(true);
            wide.set_avx512(avx512);
            base.set_wide_vectors(false);
            assert!(!base.wide_vectors() && !base.avx512());
            assert_eq!(wide.wide_vectors(), super::wide_vectors_available());
            assert_eq!(wide.avx512(), avx512 && super::avx512_available());
            for _ in 0..12 {
                wide.step();
                base.step();
                let (a, b) = (&wide.world.agents, &base.world.agents);
                let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                for k in 0..crate::model::N_BASES {
                    assert_eq!(bits(&a.bases[k]), bits(&b.bases[k]), "base {k}");
                }
                assert_eq!(bits(&a.opinion), bits(&b.opinion));
                assert_eq!(bits(&a.self_esteem), bits(&b.self_esteem));
                let res = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                assert_eq!(res(&a.resources), res(&b.resources));
                let ties = |t: &[crate::model::TieState]| {
                    t.iter()
                        .map(|t| [t.engagement, t.resentment, t.affect].map(f32::to_bits))
                        .collect::<Vec<_>>()
                };
                assert_eq!(ties(&wide.world.ties.state), ties(&base.world.ties.state));
                assert_eq!(wide.counters, base.counters);
            }
            let (ca, cb) = (wide.take_counters(), base.take_counters());
            let rows = |sim: &Simulation, c| {
                crate::metrics::compute(sim, &c)
                    .iter()
                    .map(|x| x.to_bits())
                    .collect::<Vec<_>>()
            };
            assert_eq!(rows(&wide, ca), rows(&base, cb));
        }
    }

    #[test]
    fn sharing_an_attribute_never_changes_a_result() {
        // Status giving raises the referent endowment of those deferred to,
        // one agent at a time: the shared value must spread into a column
        // and end exactly where per-agent columns from the start end.
        let mut s = crate::scenario::synthetic_population(400, 8).unwrap();
        s.rules.status.enabled = true;
        s.rules.status.gain = 0.2;
        let mut shared = Simulation::new(&s, 7, 0).unwrap();
        let mut spread = Simulation::new(&s, 7, 0).unwrap();
        assert!(shared.world.agents.endowment[2].is_uniform());
        let start = shared.world.agents.endowment[2].get(0);
        {
            let a = &mut spread.world.agents;
            for c in [
                &mut a.income,
                &mut a.esteem_baseline,
                &mut a.info_baseline,
                &mut a.susceptibility,
                &mut a.self_weight,
            ]
            .into_iter()
            .chain(a.endowment.iter_mut())
            {
                c.values_mut();
                assert!(!c.is_uniform());
            }
        }
        for _ in 0..40 {
            shared.step();
            spread.step();
        }
        let (a, b) = (&shared.world.agents, &spread.world.agents);
        assert!(
            !a.endowment[2].is_uniform() && a.endowment[2].to_vec().iter().any(|&x| x > start),
            "status giving raised someone's referent endowment"
        );
        let bits = |v: Vec<f32>| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(a.endowment[2].to_vec()), bits(b.endowment[2].to_vec()));
        for k in 0..crate::model::N_BASES {
            assert_eq!(
                bits(a.bases[k].clone()),
                bits(b.bases[k].clone()),
                "base {k}"
            );
        }
        assert_eq!(bits(a.self_esteem.clone()), bits(b.self_esteem.clone()));
        let r = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(r(&a.resources), r(&b.resources));
    }

    #[test]
    fn one_signed_envy_keeps_both_sides_exactly() {
        let rs = crate::rules::resentment::Params::default();
        for (a, b, eng_i, eng_j) in [
            (10.0, 90.0, 0.7f32, 0.3f32),
            (90.0, 10.0, 1.0, 0.25),
            (5.0, 5.0, 1.0, 1.0),
        ] {
            let (envy_actor, envy_target) = rs.envy_pair(a, b);
            assert!(
                a == b || envy_actor + envy_target > 0.0,
                "envy is on by default"
            );
            let eff = Effect {
                envy: eng_j * envy_target - eng_i * envy_actor,
                ..Effect::IDLE
            };
            assert_eq!(eff.envy_actor().to_bits(), (eng_i * envy_actor).to_bits());
            assert_eq!(eff.envy_target().to_bits(), (eng_j * envy_target).to_bits());
        }
        assert!(!Effect::IDLE.acted());
    }

    #[test]
    fn flagged_halves_are_those_set_within_the_row_in_order() {
        let mut f = HalfFlags::new(300);
        let set = [0, 5, 63, 64, 70, 127, 128, 200, 299];
        for &e in &set {
            f.set(e);
        }
        f.set(5); // setting twice changes nothing
        for (start, end) in [
            (0, 8),
            (60, 72),
            (63, 130),
            (0, 300),
            (6, 63),
            (128, 129),
            (299, 300),
            (10, 10),
        ] {
            let got: Vec<usize> = f.flagged(start..end).collect();
            let want: Vec<usize> = set
                .iter()
                .filter(|&&e| e >= start && e < end)
                .map(|&e| e - start)
                .collect();
            assert_eq!(got, want, "row {start}..{end}");
        }
        f.clear();
        assert_eq!(f.flagged(0..300).count(), 0);
    }
}
