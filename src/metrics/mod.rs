//! Metrics of a recorded step: inequality of power, of resources and of each
//! base; relationship health; tactic mix; groups.
//!
//! - `power_gini`, `power_theil`: Gini and Theil T of agents' total power
//!   (the sum of their seven bases).
//! - `resources_gini`; `gini_<base>` for each base.
//! - `dyad_imbalance`: mean over ties of `|P(i over j) - P(j over i)| /
//!   (P(i over j) + P(j over i))` (Emerson 1962).
//! - `cohesion`: mean over ties of the average of the two powers,
//!   `(P(i over j) + P(j over i)) / 2`: Emerson's cohesion is the average
//!   dependence, and each power is the other side's dependence (Molm 1997).
//! - `mean_resentment`, `mean_engagement`, `mean_affect`, `withdrawn_share`:
//!   over directed halves.
//! - `compliance_rate`: complied attempts per influence attempt (acts other
//!   than consult) since the last record; `contest_rate`: contests (resisted
//!   coercions and dominance encounters) per influence attempt or encounter; `tactic_<name>`: share of all acts (consult included) since the
//!   last record.
//! - `mean_resources`, `mean_self_esteem`: over agents.
//! - `opinion_mean`, `opinion_sd`: mean and (population) standard deviation
//!   of opinions on the current issue (Friedkin & Johnsen; see
//!   [`crate::rules::influence`]).
//! - `self_weight_gini`, `self_weight_max`: concentration of self-weights,
//!   which reflected appraisal turns into social power (Jia et al. 2015).
//! - `dominance_cv`: coefficient of variation of dominance (the coercive
//!   base), the despotism measure of DomWorld (Hemelrijk 1999).
//! - For groups of at most `[metrics] hierarchy_max_agents` agents, from the
//!   dominance matrix of wins (see [`hierarchy`]): `landau_h`, `h_prime`,
//!   `steepness`, `steepness_dij`, `triangle_transitivity` (empty when the
//!   network has no complete triad), `directional_consistency`.
//! - With bargaining on (see [`crate::rules::negotiation`]): `exchange_rate`
//!   (exchanges per agent per step since the last record), `exclusion_rate`
//!   (mean over agents of the share of rounds each was excluded, since the
//!   start), `bargain_share_gini` (Gini of the agents' mean shares per
//!   exchange, since the start).
//! - With responses on (see [`crate::rules::response`]): `exit_share`,
//!   `voice_share`, `loyalty_share`, `neglect_share` (share of agent-steps
//!   since the last record in which agents responded so) and `voice_success`
//!   (complaints heard per complaint voiced).
//! - `group_<g>_power`, `group_<g>_resources`: means over the group's members
//!   (undefined, an empty cell, for a group with no members).
//! - `power_theil_between`, `resources_theil_between` (when groups are
//!   declared): the between-cell part of the Theil T index (Theil 1967;
//!   Shorrocks 1980), cells being the distinct combinations of group
//!   memberships, so an intersection is a cell of its own; and
//!   `power_between_share`, `resources_between_share`: that part as a share
//!   of the total Theil index, the share of inequality that lies between
//!   groups rather than within them.
//!
//! Every sum over agents or ties runs over the engine's fixed chunks in
//! index order, in f64, so results do not depend on the number of threads.
//! An agent's total power itself is the f32 sum of its seven f32 bases, in
//! base order ([`crate::model::Agents::total_power`]): the inequality
//! measures of power take those f32 totals (a sum in f64 would differ in
//! about the seventh digit: `power_theil` 5.3075553e-4 against 5.3075480e-4
//! in one review's recomputation).

pub mod hierarchy;
pub mod inequality;
pub mod sort;

use rayon::prelude::*;

use crate::engine::{Counters, DyadBatch, Simulation, BATCH, CHUNK};
use crate::model::{BASE_NAMES, N_BASES, N_TACTICS, TACTIC_NAMES};

/// Names of the metric columns of a simulation, in output order (after `step`).
pub fn column_names(sim: &Simulation) -> Vec<String> {
    columns(
        sim.hierarchy_on(),
        sim.bargaining.is_some(),
        sim.params.response.enabled,
        &sim.world.groups,
    )
}

/// Names of the metric columns a run of `scenario` writes (the same as
/// [`column_names`] of its simulation), known before the world is built.
pub fn columns_of(scenario: &crate::scenario::Scenario) -> Vec<String> {
    columns(
        scenario.n_agents() <= scenario.metrics.hierarchy_max_agents as u64,
        scenario.rules.negotiation.enabled,
        scenario.rules.response.enabled,
        &scenario.groups,
    )
}

fn columns(hierarchy: bool, negotiation: bool, response: bool, groups: &[String]) -> Vec<String> {
    let mut c: Vec<String> = [
        "power_gini",
        "power_theil",
        "resources_gini",
        "dyad_imbalance",
        "cohesion",
        "mean_resentment",
        "mean_engagement",
        "mean_affect",
        "withdrawn_share",
        "compliance_rate",
        "contest_rate",
        "mean_resources",
        "mean_self_esteem",
        "opinion_mean",
        "opinion_sd",
        "self_weight_gini",
        "self_weight_max",
        "dominance_cv",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    if hierarchy {
        c.extend(HIERARCHY.iter().map(|s| s.to_string()));
    }
    if negotiation {
        c.extend(NEGOTIATION.iter().map(|s| s.to_string()));
    }
    if response {
        c.extend(RESPONSE.iter().map(|s| s.to_string()));
    }
    c.extend(BASE_NAMES.iter().map(|b| format!("gini_{b}")));
    c.extend(TACTIC_NAMES.iter().map(|t| format!("tactic_{t}")));
    for g in groups {
        c.push(format!("group_{g}_power"));
        c.push(format!("group_{g}_resources"));
    }
    if !groups.is_empty() {
        c.push("power_theil_between".to_string());
        c.push("resources_theil_between".to_string());
        c.push("power_between_share".to_string());
        c.push("resources_between_share".to_string());
    }
    c
}

/// Hierarchy columns, for groups of at most `[metrics] hierarchy_max_agents`.
pub const HIERARCHY: [&str; 6] = [
    "landau_h",
    "h_prime",
    "steepness",
    "steepness_dij",
    "triangle_transitivity",
    "directional_consistency",
];

/// Bargaining columns, when `[rules.negotiation]` is on.
pub const NEGOTIATION: [&str; 3] = ["exchange_rate", "exclusion_rate", "bargain_share_gini"];

/// Response columns, when `[rules.response]` is on.
pub const RESPONSE: [&str; 5] = [
    "exit_share",
    "voice_share",
    "loyalty_share",
    "neglect_share",
    "voice_success",
];

/// The metrics that get a verdict (settle or grow) in `summary.json`.
pub const HEADLINE: [&str; 6] = [
    "power_gini",
    "resources_gini",
    "dyad_imbalance",
    "mean_resentment",
    "mean_engagement",
    "withdrawn_share",
];

/// The sums over ties behind `dyad_imbalance`, `cohesion` and the
/// half-level means, accumulated agent by agent: an agent's halves, then its
/// dyads with higher-numbered partners (each dyad once).
///
/// Taken either in a pass of their own ([`tie_sums`]) or, for a record
/// waiting in a [`Recorder`], by the next step's influence and decide pass,
/// which reads the same state ([`TieSums::add_batch`] from the dyadic powers
/// of the influence weights, or [`TieSums::add_agent`]): the same values
/// added in the same order, so the same bits.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct TieSums {
    imbalance: f64,
    cohesion: f64,
    dyads: u64,
    resentment: f64,
    engagement: f64,
    affect: f64,
    withdrawn: u64,
    halves: u64,
}

impl TieSums {
    /// Adds a run of halves.
    #[inline(always)]
    fn add_halves(&mut self, p: &crate::rules::RuleParams, halves: &[crate::model::TieState]) {
        for t in halves {
            self.resentment += t.resentment as f64;
            self.engagement += t.engagement as f64;
            self.affect += t.affect as f64;
            self.withdrawn += u64::from(p.withdrawal.is_withdrawn(t.engagement));
            self.halves += 1;
        }
    }

    /// Adds the dyad of lane `k` of a batch, seen from its lower end.
    #[inline(always)]
    fn add_dyad(&mut self, d: &DyadBatch, k: usize) {
        let (a, b) = (d.b[k], d.a[k]);
        self.imbalance += crate::rules::dependence::imbalance(a, b) as f64;
        self.cohesion += ((a + b) / (2.0 * d.d_i[k] * d.d_j[k])) as f64;
        self.dyads += 1;
    }

    /// Adds the halves of a batch of agent `i`'s row (`targets`, `halves`,
    /// their powers `d`) and the dyads among them with higher-numbered
    /// partners: batch by batch, in row order, the sums of [`Self::add_agent`].
    #[inline(always)]
    pub(crate) fn add_batch(
        &mut self,
        p: &crate::rules::RuleParams,
        i: usize,
        targets: &[u32],
        halves: &[crate::model::TieState],
        d: &DyadBatch,
    ) {
        self.add_halves(p, halves);
        for (k, &j) in targets.iter().enumerate() {
            if j as usize > i {
                self.add_dyad(d, k);
            }
        }
    }

    /// Adds agent `i`'s halves and its dyads with higher-numbered partners.
    #[inline(always)]
    pub(crate) fn add_agent(
        &mut self,
        p: &crate::rules::RuleParams,
        ties: &crate::model::Ties,
        profiles: &[crate::engine::Profile],
        i: usize,
    ) {
        let csr = &ties.csr;
        let row = csr.row(i);
        let pi = &profiles[i];
        self.add_halves(p, &ties.state[row]);
        // Each dyad once, from its lower end; the powers come scaled by
        // d_i d_j, so imbalance and cohesion take one division each.
        let upper = upper_halves(csr, i);
        let targets = &csr.targets[upper.clone()];
        let reverse = &csr.reverse[upper.clone()];
        let state = &ties.state[upper];
        for ((tb, rb), sb) in targets
            .chunks(BATCH)
            .zip(reverse.chunks(BATCH))
            .zip(state.chunks(BATCH))
        {
            let d = DyadBatch::new(p, ties, profiles, pi, tb, rb, sb);
            for k in 0..tb.len() {
                self.add_dyad(&d, k);
            }
        }
    }

    /// Adds the sums of a later run of agents.
    pub(crate) fn merge(&mut self, s: &TieSums) {
        self.imbalance += s.imbalance;
        self.cohesion += s.cohesion;
        self.dyads += s.dyads;
        self.resentment += s.resentment;
        self.engagement += s.engagement;
        self.affect += s.affect;
        self.withdrawn += s.withdrawn;
        self.halves += s.halves;
    }
}

/// The halves of agent `i`'s row whose partners are numbered above `i`: the
/// row's tail, as rows are sorted, found by counting rather than by a binary
/// search that mispredicts its branches.
#[inline]
fn upper_halves(csr: &crate::network::Csr, i: usize) -> std::ops::Range<usize> {
    let row = csr.row(i);
    let below = csr.targets[row.clone()]
        .iter()
        .filter(|&&j| (j as usize) < i)
        .count();
    row.start + below..row.end
}

/// The tie sums of the current state: fixed chunks of [`CHUNK`] agents,
/// combined in order (the same result whatever the number of threads).
pub(crate) fn tie_sums(sim: &Simulation) -> TieSums {
    let w = &sim.world;
    let n = w.agents.len();
    let csr = &w.ties.csr;
    let profiles = &sim.profiles;
    let parts: Vec<TieSums> = (0..n.div_ceil(CHUNK))
        .into_par_iter()
        .map(|c| {
            let mut s = TieSums::default();
            for i in c * CHUNK..((c + 1) * CHUNK).min(n) {
                // Announce the far ends of the dyads a few agents ahead.
                let ahead = i + crate::prefetch::AHEAD;
                if ahead < n {
                    // The upper ones only: the pass reads no other far
                    // end (prefetching a long-range lower one is a wasted
                    // miss).
                    for e in upper_halves(csr, ahead) {
                        crate::prefetch::element(profiles, csr.targets[e] as usize);
                        crate::prefetch::element(&w.ties.state, csr.reverse[e] as usize);
                    }
                }
                s.add_agent(&sim.params, &w.ties, profiles, i);
            }
            s
        })
        .collect();
    let mut ts = TieSums::default();
    for s in &parts {
        ts.merge(s);
    }
    ts
}

/// The row positions the tie sums fill (see [`column_names`]).
const TIE_COLUMNS: std::ops::Range<usize> = 3..9;

/// Fills the tie columns of a row from [`begin`] with the tie sums of the
/// same state: the complete row, in [`column_names`] order.
fn finish(mut row: Vec<f64>, ts: &TieSums) -> Vec<f64> {
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
    let halves = ts.halves as f64;
    row[TIE_COLUMNS].copy_from_slice(&[
        ratio(ts.imbalance, ts.dyads as f64),
        ratio(ts.cohesion, ts.dyads as f64),
        ratio(ts.resentment, halves),
        ratio(ts.engagement, halves),
        ratio(ts.affect, halves),
        ratio(ts.withdrawn as f64, halves),
    ]);
    row
}

/// Computes one row of metrics (in [`column_names`] order) from the simulation
/// state and the counters since the last record: everything but the tie sums,
/// and the tie pass, side by side (the sorts and the gathers of the tie pass
/// load the machine differently).
pub fn compute(sim: &Simulation, counters: &Counters) -> Vec<f64> {
    let (row, ts) = rayon::join(|| begin(sim, counters), || tie_sums(sim));
    finish(row, &ts)
}

/// A recorded step and its row of metrics (in [`column_names`] order).
pub type Row = (u64, Vec<f64>);

/// Records rows of metrics as a run goes, each row's tie sums taken by the
/// step after it.
///
/// A row's tie columns (`dyad_imbalance`, `cohesion`, the half-level means)
/// are sums over every tie of the recorded state, and the next step's
/// influence and decide pass reads exactly that state, computing both powers
/// of every dyad for its influence weights: the step takes the sums there
/// (see [`Simulation::set_fused_tie_sums`]) instead of a pass of their own,
/// the same values in the same order. So a row is finished one step late:
/// call [`Recorder::after_step`] after every step and [`Recorder::finish`]
/// at the end, and write the rows [`Recorder::drain`] gives, in order.
/// When events are due at the next step, the step takes the sums on their
/// own before the events change the state.
#[derive(Debug, Default)]
pub struct Recorder {
    /// The row waiting for its tie sums.
    pending: Option<Row>,
    /// Finished rows, oldest first.
    ready: std::collections::VecDeque<Row>,
}

impl Recorder {
    /// A recorder with no rows.
    pub fn new() -> Recorder {
        Recorder::default()
    }

    /// Records the current state with the counters since the last record:
    /// everything but the tie sums now, and the tie sums by the next step
    /// (or at once, when [`Simulation::fuses_tie_sums`] is false).
    pub fn record(&mut self, sim: &mut Simulation, counters: &Counters) {
        // A row still waiting describes this same state (no step since).
        self.finish(sim);
        if sim.fuses_tie_sums() {
            self.pending = Some((sim.step, begin(sim, counters)));
            sim.want_tie_sums();
        } else {
            self.ready.push_back((sim.step, compute(sim, counters)));
        }
    }

    /// After a step: finishes the row recorded before it with the tie sums
    /// the step took.
    pub fn after_step(&mut self, sim: &mut Simulation) {
        if self.pending.is_some() {
            if let Some(ts) = sim.taken_tie_sums() {
                let (step, row) = self.pending.take().expect("a pending row");
                self.ready.push_back((step, finish(row, &ts)));
            }
        }
    }

    /// Finishes the row still waiting (at the end of a run), with tie sums
    /// taken now if no step has taken them.
    pub fn finish(&mut self, sim: &mut Simulation) {
        if let Some((step, row)) = self.pending.take() {
            let ts = match sim.taken_tie_sums() {
                Some(ts) => ts,
                None => {
                    sim.drop_tie_sums();
                    tie_sums(sim)
                }
            };
            self.ready.push_back((step, finish(row, &ts)));
        }
    }

    /// The finished rows not yet given, oldest first.
    pub fn drain(&mut self) -> impl Iterator<Item = Row> + '_ {
        self.ready.drain(..)
    }
}

#[derive(Clone)]
struct AgentSums {
    power: f64,
    resources: f64,
    esteem: f64,
    group_power: Vec<f64>,
    group_resources: Vec<f64>,
    group_count: Vec<u64>,
}

/// A row of metrics from the state and counters of a recorded step, but for
/// its tie columns ([`TIE_COLUMNS`], left 0 for [`finish`]).
fn begin(sim: &Simulation, counters: &Counters) -> Vec<f64> {
    let w = &sim.world;
    let a = &w.agents;
    let n = a.len();
    let p = &sim.params;
    let groups = w.groups.len();

    // Per-agent values for the inequality measures (order-preserving collects).
    // Total power is an f32 sum of f32 bases: kept in f32, it sorts on
    // 32-bit keys, and every measure converts it to f64 exactly.
    let mut power = vec![0.0f32; n];
    // In pieces of 8 chunks (the values do not depend on the pieces).
    power
        .par_chunks_mut(8 * CHUNK)
        .enumerate()
        .for_each(|(c, out)| a.total_power_into(c * 8 * CHUNK, out));
    // The Ginis: each an exact sort, one column per task.
    let ginis = || -> Vec<f64> {
        (0..N_BASES + 2)
            .into_par_iter()
            .map(|k| match k {
                0 => inequality::gini_f32(&power),
                1 => inequality::gini(&a.resources),
                _ => inequality::gini_f32(&a.bases[k - 2]),
            })
            .collect()
    };
    let chunks = n.div_ceil(CHUNK);
    let agent_sums = || -> Vec<AgentSums> {
        (0..chunks)
            .into_par_iter()
            .map(|c| {
                let mut s = AgentSums {
                    power: 0.0,
                    resources: 0.0,
                    esteem: 0.0,
                    group_power: vec![0.0; groups],
                    group_resources: vec![0.0; groups],
                    group_count: vec![0; groups],
                };
                let range = c * CHUNK..((c + 1) * CHUNK).min(n);
                for (i, &pw) in range.clone().zip(&power[range]) {
                    let pw = pw as f64;
                    s.power += pw;
                    s.resources += a.resources[i];
                    s.esteem += a.self_esteem[i] as f64;
                    let mut bits = a.groups_of(i);
                    while bits != 0 {
                        let g = bits.trailing_zeros() as usize;
                        bits &= bits - 1;
                        s.group_power[g] += pw;
                        s.group_resources[g] += a.resources[i];
                        s.group_count[g] += 1;
                    }
                }
                s
            })
            .collect()
    };
    // Everything else that reads the agents, beside the Ginis (each part
    // parallel in itself: a thread done with its sorts takes what is left).
    let others = || {
        let power_theil = inequality::theil_f32_with(&power, sim.wide_vectors());
        let agent_parts = agent_sums();
        let opinion = mean_sd(&a.opinion);
        // Self-weights shared by every agent (no reflected appraisal yet) are equal: Gini 0.
        let self_weight = match a.self_weight.as_slice() {
            Some(w) => (
                inequality::gini_f32(w),
                w.iter().copied().fold(0.0, f32::max) as f64,
            ),
            None if a.self_weight.is_empty() => (0.0, 0.0),
            None => (0.0, 0.0f32.max(a.self_weight.get(0)) as f64),
        };
        let coercive = mean_sd(&a.bases[crate::model::COERCIVE]);
        (power_theil, agent_parts, opinion, self_weight, coercive)
    };
    let (ginis, others) = rayon::join(ginis, others);
    let (power_theil, agent_parts, (opinion_mean, opinion_sd), self_weight, (c_mean, c_sd)) =
        others;
    let (self_weight_gini, self_weight_max) = self_weight;
    let (power_gini, resources_gini) = (ginis[0], ginis[1]);
    let mut base_gini = [0.0; N_BASES];
    base_gini.copy_from_slice(&ginis[2..]);
    let mut gp = vec![0.0; groups];
    let mut gr = vec![0.0; groups];
    let mut gc = vec![0u64; groups];
    let (mut res_sum, mut esteem_sum) = (0.0, 0.0);
    for s in &agent_parts {
        res_sum += s.resources;
        esteem_sum += s.esteem;
        for g in 0..groups {
            gp[g] += s.group_power[g];
            gr[g] += s.group_resources[g];
            gc[g] += s.group_count[g];
        }
    }

    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
    let dominance_cv = ratio(c_sd, c_mean);
    let acts: u64 = counters.tactics.iter().sum();
    // The tie columns (TIE_COLUMNS) are filled by `finish`.
    let mut row = vec![
        power_gini,
        power_theil,
        resources_gini,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        0.0,
        ratio(counters.complied as f64, counters.attempts as f64),
        ratio(
            counters.contests as f64,
            (counters.attempts + counters.encounters) as f64,
        ),
        ratio(res_sum, n as f64),
        ratio(esteem_sum, n as f64),
        opinion_mean,
        opinion_sd,
        self_weight_gini,
        self_weight_max,
        dominance_cv,
    ];
    if sim.hierarchy_on() {
        let h = sim.dominance_wins().measures();
        row.extend([
            h.landau_h,
            h.h_prime,
            h.steepness_proportions,
            h.steepness_dij,
            h.triangle_transitivity,
            h.directional_consistency,
        ]);
    }
    if let Some(b) = &sim.bargaining {
        let s = crate::rules::negotiation::Summary::from_state(b, &p.negotiation);
        row.push(ratio(
            counters.exchanges as f64,
            (n as u64 * counters.steps) as f64,
        ));
        row.push(s.exclusion_rate.iter().sum::<f64>() / n.max(1) as f64);
        row.push(inequality::gini(&s.mean_share));
    }
    if p.response.enabled {
        let agent_steps = (n as u64 * counters.steps) as f64;
        for k in 1..5 {
            row.push(ratio(counters.responses[k] as f64, agent_steps));
        }
        row.push(ratio(counters.heard as f64, counters.voices as f64));
    }
    row.extend(base_gini);
    for k in 0..N_TACTICS {
        row.push(ratio(counters.tactics[k] as f64, acts as f64));
    }
    for g in 0..groups {
        // A group with no members has no mean: an empty cell, not 0.
        let mean = |x: f64| {
            if gc[g] > 0 {
                x / gc[g] as f64
            } else {
                f64::NAN
            }
        };
        row.push(mean(gp[g]));
        row.push(mean(gr[g]));
    }
    if groups > 0 {
        // Cells: the distinct combinations of group memberships.
        let mut masks: Vec<u64> = a.groups.clone();
        masks.sort_unstable();
        masks.dedup();
        let cell: Vec<usize> = a
            .groups
            .iter()
            .map(|m| masks.binary_search(m).unwrap_or(0))
            .collect();
        let p = inequality::theil_decomposition(&power, &cell, masks.len());
        let r = inequality::theil_decomposition(&a.resources, &cell, masks.len());
        row.push(p.between);
        row.push(r.between);
        row.push(ratio(p.between, p.total).clamp(0.0, 1.0));
        row.push(ratio(r.between, r.total).clamp(0.0, 1.0));
    }
    debug_assert_eq!(
        row.len(),
        column_names(sim).len(),
        "columns and values agree"
    );
    row
}

/// Mean and population standard deviation, summed over fixed chunks in order
/// (two passes, so the deviation does not suffer from cancellation).
pub fn mean_sd<T: Copy + Into<f64> + Sync>(x: &[T]) -> (f64, f64) {
    let n = x.len();
    if n == 0 {
        return (0.0, 0.0);
    }
    let sums: Vec<f64> = x
        .par_chunks(CHUNK)
        .map(|c| c.iter().map(|&v| v.into()).sum::<f64>())
        .collect();
    let mean = sums.iter().sum::<f64>() / n as f64;
    let sq: Vec<f64> = x
        .par_chunks(CHUNK)
        .map(|c| {
            c.iter()
                .map(|&v| {
                    let d = v.into() - mean;
                    d * d
                })
                .sum::<f64>()
        })
        .collect();
    (mean, (sq.iter().sum::<f64>() / n as f64).sqrt())
}
