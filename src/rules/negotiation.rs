//! Negotiation: bargaining over a fixed pool on every tie of an exchange
//! network, where power comes from position (who has alternatives), from
//! outside options and is tempered by fairness.
//!
//! The article: "In some cases, the employee has more bargaining power and may
//! be able to negotiate a higher salary ... if the employee has a unique
//! skillset ... In other cases, the company may have more bargaining power ...
//! where there is a lot of competition for jobs." This rule models that as in
//! network exchange theory (Cook, Emerson, Gillmore & Yamagishi 1983;
//! Markovsky, Willer & Patton 1988; Skvoretz & Willer 1993; Bienenstock &
//! Bonacich 1992), with the aspiration-adjustment agents of that literature's
//! simulations: power is not an attribute but a consequence of who can be
//! excluded.
//!
//! # Mechanism
//!
//! Every usable tie (both halves usable) carries a pool of `P` points ([`Params::pool`], 24 as in
//! the classic experiments). Each round every agent may complete at most one
//! exchange (the *one-exchange rule*). Agent `i` holds an aspiration
//! `a_i ∈ [0, P]`, the share it demands, and receives from the caller an
//! outside option `o_i ≥ 0` (pool units: what it gets elsewhere; computed by
//! the caller from alternatives and connection power).
//!
//! **Reservation (outside option and Fehr–Schmidt envy).** An offer that
//! leaves `i` with `x` while the other keeps `P - x` has Fehr & Schmidt's
//! (1999) utility `U(x) = x - α · max(0, (P - x) - x)`, with `α`
//! ([`Params::envy`]) the envy weight. `i` rejects every offer with
//! `U(x) < o_i`. Since `U` is increasing, that is a threshold, the
//! reservation
//!
//! ```text
//! r_i = (o_i + α P) / (1 + 2α)   if o_i <= P/2   (>= o_i: the fairness floor binds)
//! r_i = o_i                      if o_i >  P/2   (the outside option binds)
//! ```
//!
//! i.e. `r_i = max(o_i, fairness floor)`. With `o = 0`, `α = 0.5` and `P = 24`
//! an agent refuses less than 6 points; with `α = 2`, less than 9.6.
//!
//! **Demand, offers and acceptance.** From state `t` only, each agent's
//! effective demand is `d_i = max(a_i, r_i)`, and it offers every neighbour
//! `j` the rest of the pool: `j` gets `P - d_i`. Agent `i` *accepts* an offer
//! `x` iff `x >= d_i` — it covers both its aspiration and its reservation.
//! Among the offers it accepts (on usable halves only), `i` chooses the
//! largest.
//!
//! **Tie-break.** Ties between equally large acceptable offers are broken
//! uniformly at random by one draw (Lemire's 2019 multiply-and-reject
//! method on the raw PCG output) from `i`'s own stream
//! `StepStreams::new(seed, run, round, purpose::NEGOTIATE).agent(i)`; the
//! stream is consulted only when there is a tie. Random, not lowest-index,
//! tie-breaking keeps symmetric positions symmetric (in a triangle or at the
//! ends of a line, lowest index would always favour the same partner).
//!
//! **Exchange and split.** An exchange happens on tie `{i, j}` iff `i` chose
//! `j` and `j` chose `i` (mutual choice). Mutual acceptance means
//! `P - d_j >= d_i`, i.e. `d_i + d_j <= P`: incompatible demands can never
//! both be accepted. The surplus `P - d_i - d_j >= 0` is split equally:
//!
//! ```text
//! share_i = d_i + (P - d_i - d_j)/2 = (P + d_i - d_j)/2,   share_i + share_j = P
//! ```
//!
//! so each side gets at least its demand, hence at least its reservation.
//!
//! **Aspiration adjustment** (after the exchanges of the round; the step
//! sizes are [`Params::raise`] and [`Params::lower`]):
//!
//! * an agent that exchanged *and turned down at least one other acceptable
//!   offer* (it was in demand) raises its aspiration by `raise`, but not above
//!   the best offer it received: `a_i <- max(a_i, min(a_i + raise, x_best))`;
//! * an agent that had at least one usable tie but no exchange (excluded)
//!   lowers it by `lower`: `a_i <- a_i - lower`;
//! * an agent that exchanged without any alternative keeps `a_i`;
//! * an isolate (no usable tie) does nothing and is not counted;
//!
//! and the aspiration of every agent that took part is then kept in
//! `[min(r_i, P), P]` (floored at the reservation, capped at the pool).
//!
//! This is tâtonnement on demands: demands rise where there is excess
//! demand for an agent and fall where it is excluded. Agents that can be
//! excluded lose, agents that can exclude others gain, which is the mechanism
//! of Markovsky, Willer & Patton (1988) and Skvoretz & Willer (1993).
//!
//! Two refinements of the textbook "raise after every exchange" rule are
//! deliberate. (1) Raising only when an acceptable alternative was turned
//! down: with an unconditional raise, two partners in a dyad who just agreed
//! would both demand more next round, become incompatible, both be excluded,
//! both lower, and agree only every second round; with the conditional raise
//! a dyad agrees every round, and an agreement is stable when neither side
//! has a better acceptable offer elsewhere, as in the core analysis of
//! Bienenstock & Bonacich (1992). (2) Never raising above the best offer just
//! received: the raise cannot make the current partner's offer unacceptable,
//! so a centre whose partners have reached their reservation keeps
//! exchanging every round instead of probing above it and being refused
//! every second round. The floor is the reservation `r_i` (which is the
//! outside option `o_i` when `α = 0` or `o_i >= P/2`): demanding less than one
//! would accept has no effect, since `d_i = max(a_i, r_i)`.
//!
//! # Classic results
//!
//! Mean share per exchange by position (last 1000 of 2000 rounds, 5 seeds,
//! `α = 0`; see the tests): dyad 0.50/0.50; line of 3 ends 0, centre 1.00;
//! line of 4 0.45/0.55/0.54/0.46; line of 5 0/0.99/0.01/0.99/0; stem (A on
//! B of triangle B–C–D) A 0.42, B 0.58, C, D 0.50; triangle 0.50 each at
//! exchange rate 0.60 (at most one exchange per round, and a round with a
//! cycle of choices A→B→C→A has none); star of 4 centre 1.00. With the
//! default `α = 0.5` every agent refuses less than `P/4`, so no position
//! gets more than 0.75 (line of 3, line of 5, star); weak-power results are
//! unchanged.
//!
//! # Tallies
//!
//! Per agent: rounds taken part in (had a usable tie), exchanges, excluded
//! rounds and points earned. Derived ([`Summary`]): mean share per exchange
//! `earned / exchanges / P`, exchange rate `exchanges / rounds`, exclusion
//! rate `excluded / rounds` (0 when the denominator is 0).
//!
//! # Determinism
//!
//! A round has three phases — demands, choices, resolution and update — each
//! a pure function, per agent, of the previous phase's vectors; each runs in
//! parallel over fixed chunks of agents with rayon and writes only its own
//! agents' entries, so results are byte-identical for any thread count.
//!
//! # References
//!
//! * Bienenstock, E. J. & Bonacich, P. (1992). The core as a solution to
//!   exclusionary networks. *Social Networks* 14(3–4), 231–243.
//! * Cook, K. S., Emerson, R. M., Gillmore, M. R. & Yamagishi, T. (1983). The
//!   distribution of power in exchange networks: theory and experimental
//!   results. *American Journal of Sociology* 89(2), 275–305.
//! * Fehr, E. & Schmidt, K. M. (1999). A theory of fairness, competition, and
//!   cooperation. *Quarterly Journal of Economics* 114(3), 817–868.
//! * Lemire, D. (2019). Fast random integer generation in an interval. *ACM
//!   Transactions on Modeling and Computer Simulation* 29(1), 3.
//! * Markovsky, B., Willer, D. & Patton, T. (1988). Power relations in
//!   exchange networks. *American Sociological Review* 53(2), 220–236.
//! * Skvoretz, J. & Willer, D. (1993). Exclusion and power: a test of four
//!   theories of power in exchange networks. *American Sociological Review*
//!   58(6), 801–818.

use rand::RngCore;
use rayon::prelude::*;

use crate::network::Csr;
use crate::rng::{purpose, Rng, StepStreams};
use crate::scenario::reader::{Ctx, Table};

/// Agents per parallel work unit; fixed, so the partition never depends on
/// the thread count.
const CHUNK: usize = 2048;

/// The `partner` of a [`Deal`] without exchange.
pub const NO_PARTNER: u32 = u32::MAX;

/// Parameters of the negotiation rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// Whether agents bargain; when false [`round`] writes empty deals and
    /// changes nothing. Default false without a `[rules.negotiation]` section,
    /// true with one.
    pub enabled: bool,
    /// Points to split on each tie per round (points; non-finite or negative counts as 0). Default 24.
    pub pool: f64,
    /// Aspiration a new agent starts with (points, clamped to `[0, pool]`). Default 12 (`pool / 2`).
    pub initial: f64,
    /// Aspiration gained after an exchange with an acceptable alternative turned down, at most up to the best offer received (points per round). Default 1.
    pub raise: f64,
    /// Aspiration lost after a round of exclusion (points per round). Default 1.
    pub lower: f64,
    /// Fehr–Schmidt envy weight `α`: utility lost per point the other gets above oneself (per point, negative counts as 0). Default 0.5.
    pub envy: f64,
    /// Outside option per unit of alternatives (outside alternatives plus
    /// weighted connection power), in points. Default 4.
    pub option_value: f64,
    /// Weight of connection power among the alternatives (per base unit). Default 1.
    pub connection_weight: f64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            enabled: false,
            pool: 24.0,
            initial: 12.0,
            raise: 1.0,
            lower: 1.0,
            envy: 0.5,
            option_value: 4.0,
            connection_weight: 1.0,
        }
    }
}

/// Parameters with every value made finite and in range.
#[derive(Debug, Clone, Copy)]
struct Clean {
    pool: f64,
    initial: f64,
    raise: f64,
    lower: f64,
    envy: f64,
}

fn nonneg(x: f64) -> f64 {
    if x.is_finite() && x > 0.0 {
        x
    } else {
        0.0
    }
}

impl Params {
    /// Reads `[rules.negotiation]`.
    pub fn read(t: Option<Table<'_, '_>>, ctx: &mut Ctx<'_>) -> Self {
        let d = Self::default();
        let Some(mut t) = t else { return d };
        let pool = t.f64(ctx, "pool", d.pool, 0.0, 1e12);
        let p = Params {
            enabled: t.bool(ctx, "enabled", true),
            pool,
            initial: t.f64(ctx, "initial", pool / 2.0, 0.0, 1e12),
            raise: t.f64(ctx, "raise", d.raise, 0.0, 1e12),
            lower: t.f64(ctx, "lower", d.lower, 0.0, 1e12),
            envy: t.f64(ctx, "envy", d.envy, 0.0, 1e6),
            option_value: t.f64(ctx, "option_value", d.option_value, 0.0, 1e12),
            connection_weight: t.f64(ctx, "connection_weight", d.connection_weight, 0.0, 1e6),
        };
        if p.initial > p.pool {
            ctx.error(
                Some(t.span()),
                &t.field("initial"),
                format!(
                    "initial aspiration {} exceeds the pool {}",
                    p.initial, p.pool
                ),
                "use a value between 0 and the pool",
            );
        }
        t.finish(ctx);
        p
    }

    /// An agent's outside option in points, from its outside alternatives and
    /// connection power, capped at the pool.
    #[inline]
    pub fn outside_option(&self, alternatives: f32, connection: f32) -> f32 {
        let units =
            alternatives.max(0.0) as f64 + self.connection_weight * connection.max(0.0) as f64;
        (self.option_value * units).min(nonneg(self.pool)) as f32
    }

    fn clean(&self) -> Clean {
        let pool = nonneg(self.pool);
        let initial = if self.initial.is_finite() {
            self.initial.clamp(0.0, pool)
        } else {
            pool / 2.0
        };
        Clean {
            pool,
            initial,
            raise: nonneg(self.raise),
            lower: nonneg(self.lower),
            envy: nonneg(self.envy),
        }
    }

    /// Fehr–Schmidt (1999) utility of receiving `x` points of the pool while
    /// the other side keeps `pool - x`: `x - envy · max(0, (pool - x) - x)`.
    pub fn utility(&self, x: f64) -> f64 {
        let c = self.clean();
        x - c.envy * (c.pool - 2.0 * x).max(0.0)
    }

    /// The reservation `r`: the smallest share an agent with outside option
    /// `outside` (points; non-finite or negative counts as 0) accepts, i.e.
    /// the least `x` with [`utility`](Self::utility)`(x) >= outside`. May
    /// exceed the pool, in which case the agent accepts nothing.
    pub fn reservation(&self, outside: f64) -> f64 {
        reservation(&self.clean(), outside)
    }
}

fn reservation(c: &Clean, outside: f64) -> f64 {
    let o = nonneg(outside);
    if o <= c.pool / 2.0 {
        ((o + c.envy * c.pool) / (1.0 + 2.0 * c.envy)).max(o)
    } else {
        o
    }
}

/// Bargaining state and tallies, one entry per agent.
#[derive(Debug, Clone, PartialEq)]
pub struct Bargaining {
    /// Aspiration `a_i`: the share of the pool the agent demands (points).
    pub aspiration: Vec<f32>,
    /// Rounds in which the agent had at least one usable tie.
    pub rounds: Vec<u32>,
    /// Rounds in which the agent completed an exchange.
    pub exchanges: Vec<u32>,
    /// Rounds in which the agent had a usable tie but no exchange.
    pub excluded: Vec<u32>,
    /// Points earned in all exchanges.
    pub earned: Vec<f64>,
}

impl Bargaining {
    /// State for `n` agents: every aspiration at [`Params::initial`], tallies zero.
    pub fn new(n: usize, params: &Params) -> Self {
        Bargaining {
            aspiration: vec![params.clean().initial as f32; n],
            rounds: vec![0; n],
            exchanges: vec![0; n],
            excluded: vec![0; n],
            earned: vec![0.0; n],
        }
    }

    /// Number of agents (the shortest of the per-agent vectors).
    pub fn len(&self) -> usize {
        self.aspiration
            .len()
            .min(self.rounds.len())
            .min(self.exchanges.len())
            .min(self.excluded.len())
            .min(self.earned.len())
    }

    /// Whether there are no agents.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sets the tallies (not the aspirations) to zero, e.g. after a burn-in.
    pub fn reset_tallies(&mut self) {
        self.rounds.iter_mut().for_each(|x| *x = 0);
        self.exchanges.iter_mut().for_each(|x| *x = 0);
        self.excluded.iter_mut().for_each(|x| *x = 0);
        self.earned.iter_mut().for_each(|x| *x = 0.0);
    }
}

/// One agent's outcome of a round, for the caller to add to its resources.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Deal {
    /// The exchange partner, or [`NO_PARTNER`] (`u32::MAX`) if none.
    pub partner: u32,
    /// Points received from the pool (0 without exchange).
    pub share: f32,
}

impl Default for Deal {
    fn default() -> Self {
        Deal {
            partner: NO_PARTNER,
            share: 0.0,
        }
    }
}

/// One agent's choice in a round.
#[derive(Debug, Clone, Copy)]
struct Choice {
    /// Chosen partner or [`NO_PARTNER`].
    partner: u32,
    /// Number of acceptable offers received.
    acceptable: u32,
    /// Whether the agent had at least one usable tie.
    usable: bool,
    /// Largest acceptable offer (meaningless if `acceptable == 0`).
    best: f64,
}

/// Uniform integer in `[0, m)`, `m >= 1`, by Lemire's (2019) method on the
/// raw 64-bit output, so it depends only on the PCG stream.
fn below(rng: &mut Rng, m: u64) -> u64 {
    let mut p = u128::from(rng.next_u64()) * u128::from(m);
    let mut low = p as u64;
    if low < m {
        let t = m.wrapping_neg() % m;
        while low < t {
            p = u128::from(rng.next_u64()) * u128::from(m);
            low = p as u64;
        }
    }
    (p >> 64) as u64
}

/// Agent `i`'s choice given everyone's demands.
fn choose(
    c: &Clean,
    csr: &Csr,
    engaged: &(impl Fn(usize) -> bool + Sync),
    demand: &[f64],
    streams: &StepStreams,
    i: usize,
) -> Choice {
    let n = demand.len();
    let d_i = demand[i];
    // A tie is usable when both its halves are: a partner who has
    // withdrawn is no one to bargain with (nor to be excluded by).
    let usable_half = |e: usize| -> Option<usize> {
        let j = csr.targets[e] as usize;
        (j < n && j != i && engaged(e) && engaged(csr.reverse[e] as usize)).then_some(j)
    };
    let mut usable = false;
    let mut acceptable = 0u32;
    let mut best = f64::NEG_INFINITY;
    let mut ties = 0u64;
    let mut pick = NO_PARTNER;
    for e in csr.row(i) {
        let Some(j) = usable_half(e) else { continue };
        usable = true;
        let x = c.pool - demand[j];
        if x < d_i {
            continue;
        }
        acceptable += 1;
        if x > best {
            best = x;
            ties = 1;
            pick = j as u32;
        } else if x == best {
            ties += 1;
        }
    }
    if ties > 1 {
        let mut k = below(&mut streams.agent(i as u64), ties);
        for e in csr.row(i) {
            let Some(j) = usable_half(e) else { continue };
            if c.pool - demand[j] == best {
                if k == 0 {
                    pick = j as u32;
                    break;
                }
                k -= 1;
            }
        }
    }
    Choice {
        partner: pick,
        acceptable,
        usable,
        best,
    }
}

/// One round of bargaining on state `t`.
///
/// Reads the aspirations in `state`, the network `csr`, which halves are
/// usable (`engaged(e)` for the position `e` of a half in `csr.targets`; pass
/// `|_| true` if all are) and each agent's outside option `outside[i]`
/// (points; missing entries count as 0). Writes one [`Deal`] per agent into
/// `deals`, updates aspirations and adds to the tallies, as described in the
/// [module documentation](self). An exchange on `{i, j}` needs both halves
/// usable. Ties are broken with the streams
/// `StepStreams::new(seed, run, round_index, purpose::NEGOTIATE)`.
///
/// Agents are `0..n` with `n` the smallest of `csr.n()`, `state.len()` and
/// `deals.len()`; neighbours outside that range are ignored and extra deals
/// are cleared. Parallel over fixed chunks of agents; the result does not
/// depend on the number of rayon threads. With `params.enabled` false, all
/// deals are cleared and the state is left as it is.
#[allow(clippy::too_many_arguments)]
pub fn round(
    params: &Params,
    csr: &Csr,
    engaged: impl Fn(usize) -> bool + Sync,
    outside: &[f32],
    seed: u64,
    run: u64,
    round_index: u64,
    state: &mut Bargaining,
    deals: &mut [Deal],
) {
    let n = csr.n().min(state.len()).min(deals.len());
    for d in deals.iter_mut().skip(n) {
        *d = Deal::default();
    }
    if !params.enabled {
        deals.iter_mut().for_each(|d| *d = Deal::default());
        return;
    }
    let c = params.clean();
    let outside_of = |i: usize| f64::from(outside.get(i).copied().unwrap_or(0.0));

    // Phase 1: reservations and effective demands d_i = max(a_i, r_i).
    let mut reserve = vec![0.0f64; n];
    let mut demand = vec![0.0f64; n];
    reserve
        .par_chunks_mut(CHUNK)
        .zip(demand.par_chunks_mut(CHUNK))
        .enumerate()
        .for_each(|(k, (rs, ds))| {
            for (o, (r, d)) in rs.iter_mut().zip(ds.iter_mut()).enumerate() {
                let i = k * CHUNK + o;
                let a = f64::from(state.aspiration[i]);
                let a = if a.is_finite() {
                    a.clamp(0.0, c.pool)
                } else {
                    c.initial
                };
                *r = reservation(&c, outside_of(i));
                *d = a.max(*r);
            }
        });

    // Phase 2: each agent chooses the best offer it accepts.
    let streams = StepStreams::new(seed, run, round_index, purpose::NEGOTIATE);
    let mut choices = vec![
        Choice {
            partner: NO_PARTNER,
            acceptable: 0,
            usable: false,
            best: 0.0,
        };
        n
    ];
    choices
        .par_chunks_mut(CHUNK)
        .enumerate()
        .for_each(|(k, chunk)| {
            for (o, ch) in chunk.iter_mut().enumerate() {
                *ch = choose(&c, csr, &engaged, &demand, &streams, k * CHUNK + o);
            }
        });

    // Phase 3: mutual choices exchange; tallies and aspirations are updated.
    let st = state;
    deals[..n]
        .par_chunks_mut(CHUNK)
        .zip(st.aspiration[..n].par_chunks_mut(CHUNK))
        .zip(st.rounds[..n].par_chunks_mut(CHUNK))
        .zip(st.exchanges[..n].par_chunks_mut(CHUNK))
        .zip(st.excluded[..n].par_chunks_mut(CHUNK))
        .zip(st.earned[..n].par_chunks_mut(CHUNK))
        .enumerate()
        .for_each(|(k, (((((dl, asp), rounds), exch), excl), earned))| {
            for o in 0..dl.len() {
                let i = k * CHUNK + o;
                let ch = choices[i];
                let j = ch.partner as usize;
                let mutual = ch.partner != NO_PARTNER && choices[j].partner == i as u32;
                if !ch.usable {
                    dl[o] = Deal::default();
                    continue;
                }
                rounds[o] = rounds[o].saturating_add(1);
                let d_i = demand[i];
                let floor = reserve[i].min(c.pool);
                let a = f64::from(asp[o]);
                let a = if a.is_finite() { a } else { c.initial };
                let a = if mutual {
                    let share = ((c.pool + d_i - demand[j]) / 2.0).clamp(0.0, c.pool);
                    dl[o] = Deal {
                        partner: ch.partner,
                        share: share as f32,
                    };
                    exch[o] = exch[o].saturating_add(1);
                    earned[o] += share;
                    if ch.acceptable >= 2 {
                        a.max((a + c.raise).min(ch.best))
                    } else {
                        a
                    }
                } else {
                    dl[o] = Deal::default();
                    excl[o] = excl[o].saturating_add(1);
                    a - c.lower
                };
                asp[o] = a.min(c.pool).max(floor) as f32;
            }
        });
}

/// Per-agent results of a stretch of rounds.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Mean share of the pool per exchange, `earned / exchanges / pool` (0 without exchanges or with pool 0).
    pub mean_share: Vec<f64>,
    /// Exchanges per round taken part in, `exchanges / rounds` (0 if no rounds).
    pub exchange_rate: Vec<f64>,
    /// Excluded rounds per round taken part in, `excluded / rounds` (0 if no rounds).
    pub exclusion_rate: Vec<f64>,
    /// Aspirations at the end (points).
    pub aspiration: Vec<f32>,
}

impl Summary {
    /// Derives the rates from the tallies in `state`.
    pub fn from_state(state: &Bargaining, params: &Params) -> Self {
        let pool = params.clean().pool;
        let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };
        let n = state.len();
        Summary {
            mean_share: (0..n)
                .map(|i| ratio(state.earned[i], f64::from(state.exchanges[i]) * pool))
                .collect(),
            exchange_rate: (0..n)
                .map(|i| ratio(f64::from(state.exchanges[i]), f64::from(state.rounds[i])))
                .collect(),
            exclusion_rate: (0..n)
                .map(|i| ratio(f64::from(state.excluded[i]), f64::from(state.rounds[i])))
                .collect(),
            aspiration: state.aspiration[..n].to_vec(),
        }
    }
}

/// Runs `rounds` rounds (run 0, rounds `0..rounds`, all halves usable) on
/// `csr` from [`Bargaining::new`] and summarises the last half: the tallies
/// are reset after the first `rounds / 2` rounds (burn-in).
pub fn simulate(params: &Params, csr: &Csr, outside: &[f32], seed: u64, rounds: u64) -> Summary {
    let n = csr.n();
    let mut state = Bargaining::new(n, params);
    let mut deals = vec![Deal::default(); n];
    let burn_in = rounds / 2;
    for t in 0..rounds {
        if t == burn_in {
            state.reset_tallies();
        }
        round(
            params,
            csr,
            |_| true,
            outside,
            seed,
            0,
            t,
            &mut state,
            &mut deals,
        );
    }
    Summary::from_state(&state, params)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The default parameters with the rule switched on.
    fn on() -> Params {
        Params {
            enabled: true,
            ..Params::default()
        }
    }
    use crate::network::{generate, NetworkSpec};

    const ROUNDS: u64 = 2000;
    const SEEDS: [u64; 5] = [1, 2, 3, 4, 5];

    fn net(n: u32, edges: &[(u32, u32)]) -> Csr {
        let e = generate(&NetworkSpec::Edges(edges.to_vec()), n, &[], 0).unwrap();
        Csr::from_edges(n, &e).unwrap()
    }

    fn pure() -> Params {
        Params { envy: 0.0, ..on() }
    }

    /// Mean over seeds of each agent's share, exchange rate and exclusion rate.
    fn mean_over_seeds(p: &Params, csr: &Csr, outside: &[f32]) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let n = csr.n();
        let (mut s, mut x, mut e) = (vec![0.0; n], vec![0.0; n], vec![0.0; n]);
        for seed in SEEDS {
            let sum = simulate(p, csr, outside, seed, ROUNDS);
            for i in 0..n {
                s[i] += sum.mean_share[i] / SEEDS.len() as f64;
                x[i] += sum.exchange_rate[i] / SEEDS.len() as f64;
                e[i] += sum.exclusion_rate[i] / SEEDS.len() as f64;
            }
        }
        (s, x, e)
    }

    fn line(n: u32) -> Csr {
        let e: Vec<(u32, u32)> = (0..n - 1).map(|i| (i, i + 1)).collect();
        net(n, &e)
    }

    #[test]
    fn reservation_is_the_fehr_schmidt_threshold() {
        let p = on();
        assert_eq!(p.reservation(0.0), 6.0);
        assert_eq!(p.reservation(20.0), 20.0);
        let strict = Params {
            envy: 2.0,
            ..p.clone()
        };
        assert!((strict.reservation(0.0) - 9.6).abs() < 1e-12);
        for o in [0.0, 3.0, 8.0, 12.0, 15.0] {
            let r = p.reservation(o);
            assert!(r >= o);
            assert!((p.utility(r) - o).abs() < 1e-9, "U(r) = o at o = {o}");
            assert!(p.utility(r - 0.01) < o);
        }
        assert_eq!(pure().reservation(5.0), 5.0);
    }

    #[test]
    fn dyad_splits_evenly_and_exchanges_every_round() {
        let (s, x, _) = mean_over_seeds(&on(), &line(2), &[]);
        for i in 0..2 {
            assert!((0.45..=0.55).contains(&s[i]), "share {s:?}");
            assert!(x[i] > 0.9, "rate {x:?}");
        }
    }

    #[test]
    fn line3_centre_takes_nearly_all_and_ends_are_excluded_half_the_time() {
        let (s, _, e) = mean_over_seeds(&pure(), &line(3), &[]);
        assert!(s[1] > 0.85, "{s:?}");
        for end in [0, 2] {
            assert!((0.4..=0.65).contains(&e[end]), "exclusion {e:?}");
        }
        // With the default envy 0.5 the ends refuse less than 6 of 24, so the
        // centre keeps at most 0.75, but still exchanges every round.
        let (s, x, e) = mean_over_seeds(&on(), &line(3), &[]);
        assert!((0.7..=0.75 + 1e-9).contains(&s[1]), "{s:?}");
        assert!(x[1] > 0.95, "{x:?}");
        for end in [0, 2] {
            assert!((0.4..=0.65).contains(&e[end]), "exclusion {e:?}");
        }
    }

    #[test]
    fn line4_inner_positions_have_weak_power() {
        for p in [pure(), on()] {
            let (s, _, _) = mean_over_seeds(&p, &line(4), &[]);
            for inner in [1, 2] {
                for end in [0, 3] {
                    assert!(s[inner] > 0.5 && 0.5 > s[end], "{s:?}");
                }
            }
        }
    }

    #[test]
    fn line5_b_and_d_are_high_power() {
        let (s, _, _) = mean_over_seeds(&pure(), &line(5), &[]);
        assert!(s[1] > 0.5 && s[3] > 0.5, "{s:?}");
        for low in [0, 2, 4] {
            assert!(s[low] < 0.5, "{s:?}");
        }
        assert!(s[2] < s[1] && s[2] < s[3], "{s:?}");
    }

    #[test]
    fn stem_b_earns_most() {
        // A = 0, B = 1, C = 2, D = 3: triangle B–C–D with A attached to B.
        let csr = net(4, &[(0, 1), (1, 2), (1, 3), (2, 3)]);
        for p in [pure(), on()] {
            let (s, _, _) = mean_over_seeds(&p, &csr, &[]);
            for other in [0, 2, 3] {
                assert!(s[1] > s[other], "{s:?}");
            }
        }
    }

    #[test]
    fn triangle_is_even() {
        let csr = net(3, &[(0, 1), (0, 2), (1, 2)]);
        for p in [pure(), on()] {
            let (s, x, _) = mean_over_seeds(&p, &csr, &[]);
            let (lo, hi) = s
                .iter()
                .fold((1.0f64, 0.0f64), |(l, h), &v| (l.min(v), h.max(v)));
            assert!(hi - lo < 0.1, "{s:?}");
            for r in x {
                assert!((0.55..=0.7).contains(&r), "rate {r}");
            }
        }
    }

    fn star(leaves: u32) -> Csr {
        let e: Vec<(u32, u32)> = (1..=leaves).map(|l| (0, l)).collect();
        net(leaves + 1, &e)
    }

    #[test]
    fn star_centre_takes_nearly_all() {
        let (s, _, e) = mean_over_seeds(&pure(), &star(4), &[]);
        assert!(s[0] > 0.85, "{s:?}");
        for leaf in 1..5 {
            assert!(e[leaf] > 0.7, "{e:?}");
        }
    }

    #[test]
    fn outside_option_raises_dyad_share() {
        for p in [pure(), on()] {
            let (base, _, _) = mean_over_seeds(&p, &line(2), &[0.0, 0.0]);
            let (skilled, _, _) = mean_over_seeds(&p, &line(2), &[16.0, 0.0]);
            assert!(skilled[0] > base[0] + 0.1, "{base:?} -> {skilled:?}");
        }
    }

    #[test]
    fn leaves_outside_options_lower_the_centre_share() {
        for p in [pure(), on()] {
            let (base, _, _) = mean_over_seeds(&p, &star(4), &[]);
            assert!(base[0] > 0.7, "the company wins: {base:?}");
            let (alt, _, _) = mean_over_seeds(&p, &star(4), &[0.0, 10.0, 10.0, 10.0, 10.0]);
            assert!(alt[0] < base[0] - 0.1, "{base:?} -> {alt:?}");
        }
    }

    #[test]
    fn envy_lowers_the_centre_share_in_line3() {
        let greedy = mean_over_seeds(&pure(), &line(3), &[]).0[1];
        let envious = Params { envy: 2.0, ..on() };
        let fair = mean_over_seeds(&envious, &line(3), &[]).0[1];
        assert!(fair < greedy - 0.2, "{greedy} -> {fair}");
        // Ends refuse less than 9.6 of 24, so the centre keeps at most 14.4.
        assert!(fair <= 14.4 / 24.0 + 1e-9, "{fair}");
    }

    #[test]
    fn deals_are_mutual_and_split_the_pool() {
        let e = generate(&NetworkSpec::ErdosRenyi { p: 0.01 }, 500, &[], 7).unwrap();
        let csr = Csr::from_edges(500, &e).unwrap();
        let p = on();
        let outside: Vec<f32> = (0..500).map(|i| (i % 7) as f32).collect();
        let mut st = Bargaining::new(500, &p);
        let mut deals = vec![Deal::default(); 500];
        for t in 0..50 {
            round(&p, &csr, |_| true, &outside, 3, 0, t, &mut st, &mut deals);
            for (i, d) in deals.iter().enumerate() {
                if d.partner == NO_PARTNER {
                    assert_eq!(d.share, 0.0);
                    continue;
                }
                let back = deals[d.partner as usize];
                assert_eq!(back.partner as usize, i);
                assert!((d.share + back.share - 24.0).abs() < 1e-4);
                assert!(f64::from(d.share) >= p.reservation(f64::from(outside[i])) - 1e-4);
            }
            for &a in &st.aspiration {
                assert!((0.0..=24.0).contains(&a));
            }
        }
    }

    #[test]
    fn disengaged_halves_block_exchange() {
        let csr = line(2);
        let p = on();
        let mut st = Bargaining::new(2, &p);
        let mut deals = vec![Deal::default(); 2];
        // Only the half 0 -> 1 is usable: the tie is not (1 has withdrawn
        // from 0), so 0 neither bargains nor counts as excluded.
        round(&p, &csr, |e| e == 0, &[], 1, 0, 0, &mut st, &mut deals);
        assert_eq!(st.exchanges, vec![0, 0]);
        assert_eq!(st.rounds, vec![0, 0]);
        assert_eq!(st.excluded, vec![0, 0]);
        assert_eq!(deals[0].partner, NO_PARTNER);
        // Both halves usable: they exchange.
        round(&p, &csr, |_| true, &[], 1, 0, 1, &mut st, &mut deals);
        assert_eq!(st.exchanges, vec![1, 1]);
        assert_eq!(deals[0].partner, 1);
    }

    #[test]
    fn degenerate_inputs_do_not_panic() {
        let p = on();
        let no_rows = Csr {
            offsets: Vec::new(),
            targets: Vec::new(),
            reverse: Vec::new(),
        };
        for csr in [
            Csr::from_edges(0, &[]).unwrap(),
            Csr::from_edges(1, &[]).unwrap(),
            no_rows,
        ] {
            let s = simulate(&p, &csr, &[], 1, 10);
            assert!(s.mean_share.iter().all(|&v| v == 0.0));
        }
        let zero = Params { pool: 0.0, ..on() };
        let s = simulate(&zero, &line(3), &[], 1, 10);
        assert!(s.mean_share.iter().all(|v| v.is_finite()));
        let weird = Params {
            pool: f64::NAN,
            initial: f64::INFINITY,
            raise: -1.0,
            lower: f64::NAN,
            envy: -3.0,
            ..on()
        };
        let s = simulate(&weird, &line(3), &[f32::NAN, -5.0, 1e30], 1, 10);
        assert!(s.aspiration.iter().all(|v| v.is_finite()));
        // Mismatched lengths: fewer deals and outside options than agents.
        let mut st = Bargaining::new(3, &p);
        let mut deals = vec![Deal::default(); 2];
        round(&p, &line(3), |_| true, &[], 1, 0, 0, &mut st, &mut deals);
        let off = Params {
            enabled: false,
            ..on()
        };
        let before = st.clone();
        round(&off, &line(3), |_| true, &[], 1, 0, 1, &mut st, &mut deals);
        assert_eq!(st, before);
    }

    fn run_big(threads: usize, seed: u64) -> Bargaining {
        let n = 6000u32;
        let e = generate(&NetworkSpec::ErdosRenyi { p: 0.001 }, n, &[], 11).unwrap();
        let csr = Csr::from_edges(n, &e).unwrap();
        let outside: Vec<f32> = (0..n).map(|i| (i % 5) as f32).collect();
        let p = on();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let mut st = Bargaining::new(n as usize, &p);
            let mut deals = vec![Deal::default(); n as usize];
            for t in 0..40 {
                round(
                    &p,
                    &csr,
                    |e| e % 11 != 0,
                    &outside,
                    seed,
                    2,
                    t,
                    &mut st,
                    &mut deals,
                );
            }
            st
        })
    }

    fn bytes(s: &Bargaining) -> Vec<u8> {
        let mut b = Vec::new();
        s.aspiration.iter().for_each(|x| b.extend(x.to_le_bytes()));
        s.rounds.iter().for_each(|x| b.extend(x.to_le_bytes()));
        s.exchanges.iter().for_each(|x| b.extend(x.to_le_bytes()));
        s.excluded.iter().for_each(|x| b.extend(x.to_le_bytes()));
        s.earned.iter().for_each(|x| b.extend(x.to_le_bytes()));
        b
    }

    #[test]
    fn deterministic_across_thread_counts_and_repeats() {
        let one = bytes(&run_big(1, 9));
        let two = bytes(&run_big(2, 9));
        let again = bytes(&run_big(2, 9));
        assert_eq!(one, two);
        assert_eq!(two, again);
        assert_ne!(one, bytes(&run_big(1, 10)), "the seed matters");
    }

    /// Prints the per-position table (run with `--ignored --nocapture`).
    #[test]
    #[ignore]
    fn print_table() {
        let nets: Vec<(&str, Csr)> = vec![
            ("dyad", line(2)),
            ("line3", line(3)),
            ("line4", line(4)),
            ("line5", line(5)),
            ("stem", net(4, &[(0, 1), (1, 2), (1, 3), (2, 3)])),
            ("triangle", net(3, &[(0, 1), (0, 2), (1, 2)])),
            ("star4", star(4)),
        ];
        let strict = Params { envy: 2.0, ..on() };
        println!(
            "envy 2   line3 centre {:.2}",
            mean_over_seeds(&strict, &line(3), &[]).0[1]
        );
        for (label, p) in [("envy 0", pure()), ("envy 0.5", on())] {
            for (name, csr) in &nets {
                let (s, x, e) = mean_over_seeds(&p, csr, &[]);
                let f = |v: &[f64]| {
                    v.iter()
                        .map(|x| format!("{x:.2}"))
                        .collect::<Vec<_>>()
                        .join(" ")
                };
                println!(
                    "{label:8} {name:8} share [{}] rate [{}] excl [{}]",
                    f(&s),
                    f(&x),
                    f(&e)
                );
            }
            let (s, _, _) = mean_over_seeds(&p, &line(2), &[16.0, 0.0]);
            println!(
                "{label:8} dyad, outside 16 for 0: share [{:.2} {:.2}]",
                s[0], s[1]
            );
            let (s, _, _) = mean_over_seeds(&p, &star(4), &[0.0, 10.0, 10.0, 10.0, 10.0]);
            println!(
                "{label:8} star4, leaves' outside 10: centre {:.2}, leaf {:.2}",
                s[0], s[1]
            );
        }
    }
}
