//! Social networks on which agents interact.
//!
//! Every network is an undirected simple graph on the nodes `0..n`, returned by
//! [`generate`] as a list of edges `(a, b)` with `a < b`, sorted and without
//! duplicates, and turned by [`Csr::from_edges`] into compressed sparse rows for
//! the simulation loop. [`expected_edges`] tells the size in advance so that a
//! caller can check memory before anything is allocated.
//!
//! # Generators
//!
//! * **Complete** — every pair is tied: `n(n-1)/2` edges, capped at
//!   [`MAX_COMPLETE_EDGES`].
//! * **Ring** — the one-dimensional ring lattice of Watts & Strogatz (1998):
//!   node `i` is tied to the `k/2` nodes on each side of it, `nk/2` edges.
//! * **Erdős–Rényi** — the model `G(n, p)` in which each of the `n(n-1)/2`
//!   pairs is tied independently with probability `p` (Gilbert 1959). Erdős &
//!   Rényi (1959) studied the companion model `G(n, M)` with a fixed edge count;
//!   the two are asymptotically equivalent and `G(n, p)` carries their name by
//!   custom. Sampled by geometric skipping (Batagelj & Brandes 2005): instead of
//!   a coin per pair, draw the number of pairs skipped before the next edge,
//!   `floor(ln U / ln(1 - p))` with `U` uniform on `(0, 1]`, and walk the pairs in
//!   row order. The cost is `O(n + m)` for `m` edges, not `O(n²)`.
//! * **Watts–Strogatz** — the small-world model of Watts & Strogatz (1998),
//!   implemented as in that paper: start from the ring lattice; in lap
//!   `j = 1..=k/2`, visit the nodes `u = 0..n` in turn and, with probability
//!   `beta`, move the far end of the edge `{u, u + j mod n}` to a node `w` drawn
//!   uniformly among the nodes that are neither `u` nor already tied to `u`
//!   (so no self-loops and no duplicates; the old neighbour counts as tied
//!   until the move). If `u` is already tied to every other node the edge stays.
//!   The edge count stays `nk/2`. Membership is tested with a bitset over the
//!   lattice edges and one hash set holding only the moved edges, so memory is
//!   `O(n + m)` with a small constant and no per-node sets.
//! * **Barabási–Albert** — preferential attachment (Barabási & Albert 1999):
//!   start from a complete graph on `m + 1` nodes, then add nodes `m+1..n` one
//!   at a time, each tied to `m` distinct existing nodes chosen with probability
//!   proportional to degree. Degree-proportional choice is a uniform draw from
//!   a list in which every node appears once per incident edge (the
//!   "repeated-nodes" list, as in NetworkX); distinctness is checked with a
//!   per-node stamp, so the cost is `O(nm)` expected. Edges:
//!   `m(m+1)/2 + (n-m-1)m`.
//! * **Hierarchy** — an organisation chart: a complete `branching`-ary tree in
//!   breadth-first numbering, node `i > 0` reporting to `(i-1)/branching`.
//!   With `peers`, the children of each node (colleagues with the same manager)
//!   are also tied to each other.
//! * **Block** — the stochastic block model (Holland, Laskey & Leinhardt 1983):
//!   node `i` belongs to block `blocks[i]` (any `u32` labels, in any order);
//!   two nodes are tied with probability `p_within` if they share a block and
//!   `p_between` otherwise, independently. Nodes are ordered by block, after
//!   which every row of the pair matrix splits into one contiguous
//!   within-block segment and one contiguous between-block segment; two
//!   geometric-skipping walks over those segments cost `O(n + m)` in total,
//!   however many blocks there are.
//! * **Edges** — an explicit list, checked and normalised.
//!
//! # Determinism
//!
//! All draws come, in a fixed sequential order, from the single stream
//! [`stream`]`(seed, 0, 0, 0, `[`purpose::NETWORK`]`)`. Integers in a range are
//! drawn with Lemire's (2019) multiply-and-reject method and uniforms as
//! 53-bit fractions, both written out here so they depend only on the PCG
//! output; the logarithm used for geometric skipping is a port of fdlibm's,
//! which uses only IEEE-754 basic operations and so gives the same bits on
//! every platform, unlike the system `ln`. The only parallel step is sorting
//! edge lists whose entries are distinct, which has one possible result. So the
//! same spec, `n`, blocks and seed give the same edges in the same order on any
//! machine and with any number of rayon threads.
//!
//! # References
//!
//! * Barabási, A.-L. & Albert, R. (1999). Emergence of scaling in random
//!   networks. *Science* 286(5439), 509–512.
//! * Batagelj, V. & Brandes, U. (2005). Efficient generation of large random
//!   networks. *Physical Review E* 71(3), 036113.
//! * Erdős, P. & Rényi, A. (1959). On random graphs I. *Publicationes
//!   Mathematicae Debrecen* 6, 290–297.
//! * Gilbert, E. N. (1959). Random graphs. *Annals of Mathematical Statistics*
//!   30(4), 1141–1144.
//! * Goldberg, D. (1991). What every computer scientist should know about
//!   floating-point arithmetic. *ACM Computing Surveys* 23(1), 5–48.
//! * Holland, P. W., Laskey, K. B. & Leinhardt, S. (1983). Stochastic
//!   blockmodels: first steps. *Social Networks* 5(2), 109–137.
//! * Lemire, D. (2019). Fast random integer generation in an interval. *ACM
//!   Transactions on Modeling and Computer Simulation* 29(1), 3.
//! * Watts, D. J. & Strogatz, S. H. (1998). Collective dynamics of
//!   'small-world' networks. *Nature* 393(6684), 440–442.

use std::collections::HashSet;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};

use rand::RngCore;
use rayon::slice::ParallelSliceMut;

use crate::portable::{ln as det_ln, uniform01, uniform_open0};
use crate::rng::{purpose, splitmix64, stream, Rng};

/// The most undirected edges any network may have: a [`Csr`] stores `2m`
/// directed halves indexed by `u32`, so `2m` must not exceed `u32::MAX`.
pub const MAX_EDGES: usize = (u32::MAX / 2) as usize;

/// The most edges [`NetworkSpec::Complete`] may have (`n(n-1)/2`), a guard
/// against asking for a dense graph by accident; it allows up to 10 000 nodes.
pub const MAX_COMPLETE_EDGES: u64 = 50_000_000;

/// Which network to build. See the [module documentation](self) for the
/// models and their sources.
#[derive(Debug, Clone, PartialEq)]
pub enum NetworkSpec {
    /// Every pair of nodes tied; at most [`MAX_COMPLETE_EDGES`] edges.
    Complete,
    /// Ring lattice, each node tied to its `k` nearest neighbours, `k/2` on
    /// each side (`k` even, `2 <= k < n`).
    Ring {
        /// Neighbours per node; even, at least 2, less than `n`.
        k: u32,
    },
    /// `G(n, p)` (Gilbert 1959): each pair tied with probability `p`; sampled
    /// by geometric skipping in `O(n + m)`.
    ErdosRenyi {
        /// Tie probability, in `[0, 1]`.
        p: f64,
    },
    /// Ring lattice with `k` neighbours, each edge rewired with probability
    /// `beta` (Watts & Strogatz 1998); no self-loops or duplicates.
    WattsStrogatz {
        /// Neighbours per node in the starting lattice; even, `2 <= k < n`.
        k: u32,
        /// Rewiring probability, in `[0, 1]`.
        beta: f64,
    },
    /// Preferential attachment (Barabási & Albert 1999): `m` edges per new
    /// node, seeded by a complete graph on `m + 1` nodes; `O(nm)`.
    BarabasiAlbert {
        /// Edges brought by each new node; `1 <= m < n`.
        m: u32,
    },
    /// Organisation tree: node 0 is the root, node `i`'s parent is
    /// `(i-1)/branching` (breadth-first numbering). With `peers`, the children
    /// of each parent are also tied to each other (complete among siblings).
    Hierarchy {
        /// Children per parent; at least 1.
        branching: u32,
        /// Whether siblings are tied to each other.
        peers: bool,
    },
    /// Stochastic block model (Holland, Laskey & Leinhardt 1983): node `i` is
    /// in block `blocks[i]`; pairs in the same block are tied with probability
    /// `p_within`, other pairs with `p_between`. `O(n log n + m)`.
    Block {
        /// Tie probability within a block, in `[0, 1]`.
        p_within: f64,
        /// Tie probability between blocks, in `[0, 1]`.
        p_between: f64,
    },
    /// Explicit undirected edges `(a, b)` by node index, in either
    /// orientation and any order. Self-loops, indices `>= n` and pairs listed
    /// twice (in either direction) are errors.
    Edges(Vec<(u32, u32)>),
}

impl NetworkSpec {
    /// Short name used in error messages.
    fn name(&self) -> &'static str {
        match self {
            NetworkSpec::Complete => "complete",
            NetworkSpec::Ring { .. } => "ring",
            NetworkSpec::ErdosRenyi { .. } => "erdos_renyi",
            NetworkSpec::WattsStrogatz { .. } => "watts_strogatz",
            NetworkSpec::BarabasiAlbert { .. } => "barabasi_albert",
            NetworkSpec::Hierarchy { .. } => "hierarchy",
            NetworkSpec::Block { .. } => "block",
            NetworkSpec::Edges(_) => "edges",
        }
    }
}

/// Why a network could not be built; the message says what to change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkError(pub String);

impl fmt::Display for NetworkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NetworkError {}

fn err<T>(msg: String) -> Result<T, NetworkError> {
    Err(NetworkError(msg))
}

/// Builds the network `spec` on the nodes `0..n`.
///
/// `blocks` gives each node's block and is read only by
/// [`NetworkSpec::Block`] (pass `&[]` otherwise). Random generators draw from
/// `stream(seed, 0, 0, 0, purpose::NETWORK)`, so the result is a pure function
/// of `(spec, n, blocks, seed)`.
///
/// Returns the undirected simple graph as edges `(a, b)` with `a < b < n`,
/// sorted ascending, without duplicates.
///
/// # Errors
///
/// A [`NetworkError`] saying what to change if `n < 2`; a probability is NaN
/// or outside `[0, 1]`; a ring or Watts–Strogatz `k` is odd, 0 or `>= n`;
/// Barabási–Albert `m` is 0 or `>= n`; `branching` is 0; `blocks.len() != n`
/// for a block model; an explicit edge is a self-loop, names a node `>= n` or
/// repeats a pair; a complete graph would exceed [`MAX_COMPLETE_EDGES`]; or
/// any network would exceed [`MAX_EDGES`] (for random models: in expectation,
/// or in the draw itself).
pub fn generate(
    spec: &NetworkSpec,
    n: u32,
    blocks: &[u32],
    seed: u64,
) -> Result<Vec<(u32, u32)>, NetworkError> {
    validate(spec, n, blocks)?;
    let expected = expected_edges(spec, n, blocks);
    if expected > MAX_EDGES as f64 {
        return err(format!(
            "{}: this network would have about {expected:.3e} edges, more than the \
             {MAX_EDGES} a Csr can index; use fewer nodes or a sparser network",
            spec.name()
        ));
    }
    let mut rng = stream(seed, 0, 0, 0, purpose::NETWORK);
    let edges = match spec {
        NetworkSpec::Complete => complete(n),
        NetworkSpec::Ring { k } => ring(n, *k),
        NetworkSpec::ErdosRenyi { p } => erdos_renyi(n, *p, &mut rng)?,
        NetworkSpec::WattsStrogatz { k, beta } => watts_strogatz(n, *k, *beta, &mut rng),
        NetworkSpec::BarabasiAlbert { m } => barabasi_albert(n, *m, &mut rng),
        NetworkSpec::Hierarchy { branching, peers } => hierarchy(n, *branching, *peers),
        NetworkSpec::Block {
            p_within,
            p_between,
        } => block_model(n, blocks, *p_within, *p_between, &mut rng)?,
        NetworkSpec::Edges(list) => explicit(n, list)?,
    };
    Ok(sorted(edges))
}

/// Number of undirected edges `spec` gives on `n` nodes, computed without
/// generating: exact for complete, ring, Watts–Strogatz (rewiring keeps the
/// count), Barabási–Albert, hierarchy and explicit edges (the list length);
/// the expected value for Erdős–Rényi and block models.
///
/// Use it to check memory before calling [`generate`]: the edge list takes
/// 8 bytes per edge and a [`Csr`] 16 more. It does not validate: where the
/// parameters leave the count undefined (a probability NaN or outside
/// `[0, 1]`, Barabási–Albert `m >= n`, `branching` 0, `blocks.len() != n`)
/// it returns NaN; other inputs that [`generate`] rejects still get their
/// formula's value.
pub fn expected_edges(spec: &NetworkSpec, n: u32, blocks: &[u32]) -> f64 {
    let nf = n as f64;
    let all_pairs = pairs(n as u64) as f64;
    match spec {
        NetworkSpec::Complete => all_pairs,
        NetworkSpec::Ring { k } => nf * (*k as f64) / 2.0,
        NetworkSpec::WattsStrogatz { k, beta } => {
            if is_probability(*beta) {
                nf * (*k as f64) / 2.0
            } else {
                f64::NAN
            }
        }
        NetworkSpec::ErdosRenyi { p } => {
            if is_probability(*p) {
                p * all_pairs
            } else {
                f64::NAN
            }
        }
        NetworkSpec::BarabasiAlbert { m } => {
            if *m >= n {
                return f64::NAN;
            }
            let m = *m as u64;
            (pairs(m + 1) + (n as u64 - m - 1) * m) as f64
        }
        NetworkSpec::Hierarchy { branching, peers } => {
            if *branching == 0 {
                return f64::NAN;
            }
            let below_root = (n as u64).saturating_sub(1);
            let mut count = below_root as u128;
            if *peers {
                let b = *branching as u64;
                let full = below_root / b;
                let rest = below_root % b;
                count += full as u128 * pairs(b) as u128 + pairs(rest) as u128;
            }
            count as f64
        }
        NetworkSpec::Block {
            p_within,
            p_between,
        } => {
            if blocks.len() != n as usize
                || !is_probability(*p_within)
                || !is_probability(*p_between)
            {
                return f64::NAN;
            }
            let within = within_block_pairs(blocks) as f64;
            p_within * within + p_between * (all_pairs - within)
        }
        NetworkSpec::Edges(list) => list.len() as f64,
    }
}

/// Compressed sparse rows of the directed halves of an undirected graph.
///
/// Each undirected edge `{a, b}` gives two halves, `a -> b` and `b -> a`. Row
/// `i` holds the halves leaving `i`, at positions `offsets[i]..offsets[i+1]`
/// of `targets`, with targets sorted ascending. `reverse[e]` is the position
/// of the opposite half, so per-edge state stored by half can be reached from
/// either end in `O(1)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Csr {
    /// Row starts, `n + 1` entries, non-decreasing, from 0 to `2m`.
    pub offsets: Vec<u32>,
    /// Target of each half, `2m` entries; ascending within each row.
    pub targets: Vec<u32>,
    /// `reverse[e]` is the position of the half `targets[e] -> i` when `e` is
    /// in row `i`; `reverse[reverse[e]] == e`.
    pub reverse: Vec<u32>,
}

impl Csr {
    /// Builds the rows of the graph on `0..n` with the given edges in
    /// `O(n + m)`.
    ///
    /// `edges` must be as [`generate`] returns them: `a < b < n`, sorted
    /// ascending, no duplicates (run an arbitrary list through
    /// `generate(&NetworkSpec::Edges(list), ..)` to normalise it).
    ///
    /// # Errors
    ///
    /// If `2 * edges.len()` exceeds `u32::MAX`, or an edge breaks the
    /// requirements above (the message names the first such edge).
    pub fn from_edges(n: u32, edges: &[(u32, u32)]) -> Result<Csr, NetworkError> {
        check_halves(edges.len())?;
        let mut prev: Option<(u32, u32)> = None;
        for (i, &(a, b)) in edges.iter().enumerate() {
            if a >= b || b >= n {
                return err(format!(
                    "csr: edge #{i} is ({a}, {b}), but edges must have a < b < n = {n}; \
                     normalise the list with generate(&NetworkSpec::Edges(..))"
                ));
            }
            if let Some(p) = prev {
                if p >= (a, b) {
                    return err(format!(
                        "csr: edge #{i} ({a}, {b}) does not come after ({}, {}); edges must be \
                         sorted and unique, normalise them with generate(&NetworkSpec::Edges(..))",
                        p.0, p.1
                    ));
                }
            }
            prev = Some((a, b));
        }
        let n = n as usize;
        let mut offsets = vec![0u32; n + 1];
        for &(a, b) in edges {
            offsets[a as usize + 1] += 1;
            offsets[b as usize + 1] += 1;
        }
        for i in 0..n {
            offsets[i + 1] += offsets[i];
        }
        let halves = 2 * edges.len();
        let mut targets = vec![0u32; halves];
        let mut reverse = vec![0u32; halves];
        let mut next: Vec<u32> = offsets[..n].to_vec();
        // Sorted input fills each row in ascending order: row i first receives
        // the halves i -> a of edges (a, i), a < i, in order of a, then the
        // halves i -> b of edges (i, b) in order of b.
        for &(a, b) in edges {
            let e = next[a as usize];
            next[a as usize] += 1;
            let f = next[b as usize];
            next[b as usize] += 1;
            targets[e as usize] = b;
            targets[f as usize] = a;
            reverse[e as usize] = f;
            reverse[f as usize] = e;
        }
        Ok(Csr {
            offsets,
            targets,
            reverse,
        })
    }

    /// Number of nodes.
    pub fn n(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// Number of directed halves, twice the number of undirected edges.
    pub fn halves(&self) -> usize {
        self.targets.len()
    }

    /// Positions in `targets` (and `reverse`) of node `i`'s halves.
    ///
    /// # Panics
    ///
    /// If `i >= self.n()`, like slice indexing.
    pub fn row(&self, i: usize) -> std::ops::Range<usize> {
        self.offsets[i] as usize..self.offsets[i + 1] as usize
    }

    /// Number of neighbours of node `i`.
    ///
    /// # Panics
    ///
    /// If `i >= self.n()`, like slice indexing.
    #[inline]
    pub fn degree(&self, i: usize) -> usize {
        self.row(i).len()
    }
}

fn check_halves(edges: usize) -> Result<(), NetworkError> {
    if edges > MAX_EDGES {
        return err(format!(
            "csr: {edges} edges give {} directed halves, more than u32::MAX; \
             use fewer nodes or a sparser network",
            edges as u128 * 2
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Validation

fn is_probability(p: f64) -> bool {
    (0.0..=1.0).contains(&p)
}

fn check_probability(model: &str, what: &str, p: f64) -> Result<(), NetworkError> {
    if is_probability(p) {
        Ok(())
    } else {
        err(format!(
            "{model}: {what} = {p} is not a probability; give a number from 0 to 1"
        ))
    }
}

fn check_lattice_k(model: &str, n: u32, k: u32) -> Result<(), NetworkError> {
    let largest = (n - 1) & !1;
    if largest < 2 {
        return err(format!(
            "{model}: a ring lattice needs an even k with 2 <= k < n, and n = {n} admits none; \
             use at least 3 nodes"
        ));
    }
    if k == 0 || k % 2 == 1 {
        return err(format!(
            "{model}: k = {k} must be even and at least 2 (k/2 neighbours on each side); \
             use an even k from 2 to {largest}"
        ));
    }
    if k >= n {
        return err(format!(
            "{model}: k = {k} must be less than n = {n}; use an even k from 2 to {largest}"
        ));
    }
    Ok(())
}

fn validate(spec: &NetworkSpec, n: u32, blocks: &[u32]) -> Result<(), NetworkError> {
    let name = spec.name();
    if n < 2 {
        return err(format!(
            "{name}: a network needs at least 2 nodes, but n = {n}; use 2 or more agents"
        ));
    }
    match spec {
        NetworkSpec::Complete => {
            let count = pairs(n as u64);
            if count > MAX_COMPLETE_EDGES {
                return err(format!(
                    "complete: {n} nodes would have {count} edges, more than the limit of \
                     {MAX_COMPLETE_EDGES}; use erdos_renyi or a sparser network"
                ));
            }
        }
        NetworkSpec::Ring { k } => check_lattice_k(name, n, *k)?,
        NetworkSpec::ErdosRenyi { p } => check_probability(name, "p", *p)?,
        NetworkSpec::WattsStrogatz { k, beta } => {
            check_lattice_k(name, n, *k)?;
            check_probability(name, "beta", *beta)?;
        }
        NetworkSpec::BarabasiAlbert { m } => {
            if *m == 0 {
                return err(
                    "barabasi_albert: m = 0, but each new node must bring at least one edge; \
                     use m >= 1"
                        .to_string(),
                );
            }
            if *m >= n {
                return err(format!(
                    "barabasi_albert: m = {m} must be less than n = {n} (the seed is a complete \
                     graph on m + 1 nodes); use m from 1 to {}",
                    n - 1
                ));
            }
        }
        NetworkSpec::Hierarchy { branching, .. } => {
            if *branching == 0 {
                return err(
                    "hierarchy: branching = 0, but each parent needs at least one child; \
                     use branching >= 1"
                        .to_string(),
                );
            }
        }
        NetworkSpec::Block {
            p_within,
            p_between,
        } => {
            check_probability(name, "p_within", *p_within)?;
            check_probability(name, "p_between", *p_between)?;
            if blocks.len() != n as usize {
                return err(format!(
                    "block: blocks has {} entries but n = {n}; give exactly one block label \
                     per node",
                    blocks.len()
                ));
            }
        }
        NetworkSpec::Edges(list) => check_halves(list.len())?,
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Deterministic sampling primitives

/// Uniform integer in `0..s` for `s >= 1` (Lemire 2019), unbiased.
#[inline]
fn below(rng: &mut Rng, s: u64) -> u64 {
    if s == 0 {
        return 0;
    }
    let mut m = rng.next_u64() as u128 * s as u128;
    if (m as u64) < s {
        let threshold = s.wrapping_neg() % s;
        while (m as u64) < threshold {
            m = rng.next_u64() as u128 * s as u128;
        }
    }
    (m >> 64) as u64
}

/// `ln(1 - p)` for `0 < p < 1`, accurate for tiny `p` (Goldberg 1991, thm 4).
fn ln_one_minus(p: f64) -> f64 {
    let u = 1.0 - p;
    if u == 1.0 {
        -p
    } else {
        det_ln(u) * -p / (u - 1.0)
    }
}

/// Walks, row by row, the pairs `(row, col)` with `lo(row) <= col < hi(row)`
/// for `row` in `0..rows`, keeping each independently with probability `p`
/// by geometric skipping (Batagelj & Brandes 2005). `O(rows + kept)`.
fn geometric_walk(
    rng: &mut Rng,
    p: f64,
    rows: u32,
    bounds: impl Fn(u32) -> (u32, u32),
    mut keep: impl FnMut(u32, u32) -> Result<(), NetworkError>,
) -> Result<(), NetworkError> {
    if p <= 0.0 || rows == 0 {
        return Ok(());
    }
    if p >= 1.0 {
        for row in 0..rows {
            let (lo, hi) = bounds(row);
            for col in lo..hi {
                keep(row, col)?;
            }
        }
        return Ok(());
    }
    let ln_q = ln_one_minus(p);
    let mut row = 0u32;
    let (mut lo, mut hi) = bounds(0);
    // Offset within the current row of the next candidate pair.
    let mut next: u64 = 0;
    loop {
        // Failures before the next success; `as` saturates on huge values.
        let skip = (det_ln(uniform_open0(rng)) / ln_q).floor() as u64;
        next = next.saturating_add(skip);
        while next >= u64::from(hi.saturating_sub(lo)) {
            next -= u64::from(hi.saturating_sub(lo));
            row += 1;
            if row >= rows {
                return Ok(());
            }
            (lo, hi) = bounds(row);
        }
        keep(row, lo + next as u32)?;
        next += 1;
    }
}

// ---------------------------------------------------------------------------
// Generators

fn pairs(n: u64) -> u64 {
    n * n.saturating_sub(1) / 2
}

fn too_many(model: &str) -> NetworkError {
    NetworkError(format!(
        "{model}: the draw produced more than {MAX_EDGES} edges, the most a Csr can index; \
         use fewer nodes or a lower probability"
    ))
}

fn complete(n: u32) -> Vec<(u32, u32)> {
    let mut edges = Vec::with_capacity(pairs(n as u64) as usize);
    for a in 0..n {
        for b in a + 1..n {
            edges.push((a, b));
        }
    }
    edges
}

fn ring(n: u32, k: u32) -> Vec<(u32, u32)> {
    let h = k / 2;
    let mut edges = Vec::with_capacity(n as usize * h as usize);
    for a in 0..n {
        // Clockwise neighbours without wrapping, then those reached by
        // wrapping past n - 1 (only for a < h); since 2h < n these are
        // disjoint and the second lot is larger.
        let last = (a as u64 + h as u64).min(n as u64 - 1) as u32;
        for b in a + 1..=last {
            edges.push((a, b));
        }
        if a < h {
            for b in n - h + a..n {
                edges.push((a, b));
            }
        }
    }
    edges
}

fn erdos_renyi(n: u32, p: f64, rng: &mut Rng) -> Result<Vec<(u32, u32)>, NetworkError> {
    let expected = p * pairs(n as u64) as f64;
    let mut edges = Vec::with_capacity(reserve_for(expected));
    geometric_walk(
        rng,
        p,
        n,
        |a| (a + 1, n),
        |a, b| {
            if edges.len() >= MAX_EDGES {
                return Err(too_many("erdos_renyi"));
            }
            edges.push((a, b));
            Ok(())
        },
    )?;
    Ok(edges)
}

/// Capacity for an edge list of random size with mean `expected`: the mean
/// plus four standard deviations (of a Poisson count), capped at MAX_EDGES.
fn reserve_for(expected: f64) -> usize {
    let want = expected + 4.0 * expected.sqrt() + 16.0;
    want.min(MAX_EDGES as f64) as usize
}

/// Hasher for 64-bit edge keys: one SplitMix64 round, which mixes every input
/// bit into the high bits that the table uses. Fixed, so runs are repeatable.
#[derive(Default)]
struct EdgeKeyHasher(u64);

impl Hasher for EdgeKeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = splitmix64(self.0 ^ u64::from(b));
        }
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = splitmix64(self.0 ^ x);
    }
}

type EdgeSet = HashSet<u64, BuildHasherDefault<EdgeKeyHasher>>;

#[inline]
fn edge_key(a: u64, b: u64) -> u64 {
    (a.min(b) << 32) | a.max(b)
}

/// State of a Watts–Strogatz rewiring: which lattice edges are gone, which
/// edges were added, and the current degrees.
struct Rewiring {
    n: u64,
    h: u64,
    removed: Vec<u64>,
    added: EdgeSet,
    degree: Vec<u32>,
}

impl Rewiring {
    /// Index `u*h + (j-1)` of the lattice edge `{u, u+j mod n}` joining `a`
    /// and `b`, if they are at ring distance `1..=h`.
    #[inline]
    fn lattice_index(&self, a: u64, b: u64) -> Option<usize> {
        let d = (b + self.n - a) % self.n;
        if (1..=self.h).contains(&d) {
            return Some((a * self.h + d - 1) as usize);
        }
        let d = self.n - d;
        if (1..=self.h).contains(&d) {
            return Some((b * self.h + d - 1) as usize);
        }
        None
    }

    #[inline]
    fn is_removed(&self, idx: usize) -> bool {
        self.removed[idx / 64] >> (idx % 64) & 1 == 1
    }

    #[inline]
    fn tied(&self, a: u64, b: u64) -> bool {
        match self.lattice_index(a, b) {
            Some(idx) if !self.is_removed(idx) => true,
            _ => self.added.contains(&edge_key(a, b)),
        }
    }
}

fn watts_strogatz(n: u32, k: u32, beta: f64, rng: &mut Rng) -> Vec<(u32, u32)> {
    if beta <= 0.0 {
        return ring(n, k);
    }
    let h = (k / 2) as u64;
    let n64 = n as u64;
    let m = (n64 * h) as usize;
    let rewired_guess = reserve_for(beta * m as f64).min(m);
    let mut state = Rewiring {
        n: n64,
        h,
        removed: vec![0u64; m.div_ceil(64)],
        added: EdgeSet::with_capacity_and_hasher(rewired_guess, Default::default()),
        degree: vec![k; n as usize],
    };
    for j in 1..=h {
        for u in 0..n64 {
            if uniform01(rng) >= beta {
                continue;
            }
            if u64::from(state.degree[u as usize]) >= n64 - 1 {
                continue; // tied to everyone: nowhere to move the edge
            }
            // A free partner exists, so this loop ends (expected
            // (n-1)/(n-1-degree) draws).
            let w = loop {
                let w = below(rng, n64);
                if w != u && !state.tied(u, w) {
                    break w;
                }
            };
            let v = (u + j) % n64;
            let idx = (u * h + j - 1) as usize;
            state.removed[idx / 64] |= 1 << (idx % 64);
            state.degree[v as usize] -= 1;
            state.degree[w as usize] += 1;
            state.added.insert(edge_key(u, w));
        }
    }
    let mut edges = Vec::with_capacity(m);
    for u in 0..n64 {
        for j in 1..=h {
            if !state.is_removed((u * h + j - 1) as usize) {
                let v = (u + j) % n64;
                edges.push((u.min(v) as u32, u.max(v) as u32));
            }
        }
    }
    edges.extend(
        state
            .added
            .iter()
            .map(|&key| ((key >> 32) as u32, key as u32)),
    );
    edges
}

fn barabasi_albert(n: u32, m: u32, rng: &mut Rng) -> Vec<(u32, u32)> {
    let total = (pairs(m as u64 + 1) + (n as u64 - m as u64 - 1) * m as u64) as usize;
    let mut edges = complete(m + 1);
    edges.reserve(total - edges.len());
    // Each node appears once per incident edge.
    let mut repeated: Vec<u32> = Vec::with_capacity(2 * total);
    for a in 0..=m {
        repeated.extend(std::iter::repeat_n(a, m as usize));
    }
    // stamp[t] == v marks t as already chosen by the new node v.
    let mut stamp = vec![u32::MAX; n as usize];
    let mut chosen: Vec<u32> = Vec::with_capacity(m as usize);
    for v in m + 1..n {
        chosen.clear();
        while chosen.len() < m as usize {
            let t = repeated[below(rng, repeated.len() as u64) as usize];
            if stamp[t as usize] != v {
                stamp[t as usize] = v;
                chosen.push(t);
            }
        }
        for &t in &chosen {
            edges.push((t, v));
        }
        repeated.extend_from_slice(&chosen);
        repeated.extend(std::iter::repeat_n(v, m as usize));
    }
    edges
}

fn hierarchy(n: u32, branching: u32, peers: bool) -> Vec<(u32, u32)> {
    let b = branching as u64;
    let n64 = n as u64;
    let mut edges = Vec::new();
    for a in 0..n64 {
        if peers && a > 0 {
            // Later siblings: same parent, larger index.
            let last_sibling = (((a - 1) / b) * b + b).min(n64 - 1);
            for s in a + 1..=last_sibling {
                edges.push((a as u32, s as u32));
            }
        }
        let first_child = a * b + 1;
        let last_child = (a * b + b).min(n64 - 1);
        for c in first_child..=last_child {
            edges.push((a as u32, c as u32));
        }
    }
    edges
}

/// Number of unordered pairs of nodes that share a block.
fn within_block_pairs(blocks: &[u32]) -> u64 {
    let mut sorted_blocks = blocks.to_vec();
    sorted_blocks.sort_unstable();
    let mut total = 0u64;
    for run in sorted_blocks.chunk_by(|x, y| x == y) {
        total += pairs(run.len() as u64);
    }
    total
}

fn block_model(
    n: u32,
    blocks: &[u32],
    p_within: f64,
    p_between: f64,
    rng: &mut Rng,
) -> Result<Vec<(u32, u32)>, NetworkError> {
    // Positions 0..n list the nodes by block (ties by index); end[x] is one
    // past the last position of x's block.
    let mut order: Vec<u32> = (0..n).collect();
    order.sort_by_key(|&i| blocks[i as usize]);
    let mut end = vec![0u32; n as usize];
    let mut start = 0usize;
    while start < n as usize {
        let label = blocks[order[start] as usize];
        let mut stop = start + 1;
        while stop < n as usize && blocks[order[stop] as usize] == label {
            stop += 1;
        }
        end[start..stop].fill(stop as u32);
        start = stop;
    }
    let expected = expected_edges(
        &NetworkSpec::Block {
            p_within,
            p_between,
        },
        n,
        blocks,
    );
    let mut edges = Vec::with_capacity(reserve_for(expected));
    let mut keep = |x: u32, y: u32| {
        if edges.len() >= MAX_EDGES {
            return Err(too_many("block"));
        }
        let (a, b) = (order[x as usize], order[y as usize]);
        edges.push((a.min(b), a.max(b)));
        Ok(())
    };
    geometric_walk(rng, p_within, n, |x| (x + 1, end[x as usize]), &mut keep)?;
    geometric_walk(rng, p_between, n, |x| (end[x as usize], n), &mut keep)?;
    Ok(edges)
}

fn explicit(n: u32, list: &[(u32, u32)]) -> Result<Vec<(u32, u32)>, NetworkError> {
    for (i, &(a, b)) in list.iter().enumerate() {
        if a >= n || b >= n {
            return err(format!(
                "edges: edge #{i} ({a}, {b}) names node {}, but the nodes are 0..={}; \
                 use indices below n = {n} or raise n",
                a.max(b),
                n - 1
            ));
        }
        if a == b {
            return err(format!(
                "edges: edge #{i} ({a}, {b}) is a self-loop; remove it"
            ));
        }
    }
    // Sort (edge, position) so duplicates sit side by side with their
    // positions at hand for the message.
    let mut keyed: Vec<(u64, usize)> = list
        .iter()
        .enumerate()
        .map(|(i, &(a, b))| (edge_key(a as u64, b as u64), i))
        .collect();
    keyed.par_sort_unstable();
    for pair in keyed.windows(2) {
        if pair[0].0 == pair[1].0 {
            let (i, j) = (pair[0].1, pair[1].1);
            return err(format!(
                "edges: the pair {{{}, {}}} is listed twice, as edge #{i} {:?} and edge #{j} \
                 {:?}; remove one",
                pair[0].0 >> 32,
                pair[0].0 & 0xffff_ffff,
                list[i],
                list[j]
            ));
        }
    }
    Ok(keyed
        .into_iter()
        .map(|(key, _)| ((key >> 32) as u32, key as u32))
        .collect())
}

/// Sorts a list of distinct edges unless it already is sorted. Distinct keys
/// have one sorted order, so the parallel sort cannot depend on threads.
fn sorted(mut edges: Vec<(u32, u32)>) -> Vec<(u32, u32)> {
    if !edges.windows(2).all(|w| w[0] < w[1]) {
        edges.par_sort_unstable();
        debug_assert!(edges.windows(2).all(|w| w[0] < w[1]));
    }
    edges
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn gen(spec: &NetworkSpec, n: u32, seed: u64) -> Vec<(u32, u32)> {
        generate(spec, n, &[], seed).unwrap()
    }

    fn assert_simple(edges: &[(u32, u32)], n: u32) {
        for &(a, b) in edges {
            assert!(a < b, "edge ({a}, {b}) is not normalised or is a self-loop");
            assert!(b < n, "edge ({a}, {b}) is out of range for n = {n}");
        }
        for w in edges.windows(2) {
            assert!(
                w[0] < w[1],
                "edges {:?} and {:?} are out of order or repeated",
                w[0],
                w[1]
            );
        }
    }

    fn degrees(n: u32, edges: &[(u32, u32)]) -> Vec<u32> {
        let mut d = vec![0u32; n as usize];
        for &(a, b) in edges {
            d[a as usize] += 1;
            d[b as usize] += 1;
        }
        d
    }

    fn all_specs() -> Vec<NetworkSpec> {
        vec![
            NetworkSpec::Complete,
            NetworkSpec::Ring { k: 4 },
            NetworkSpec::ErdosRenyi { p: 0.05 },
            NetworkSpec::WattsStrogatz { k: 6, beta: 0.3 },
            NetworkSpec::WattsStrogatz { k: 4, beta: 1.0 },
            NetworkSpec::BarabasiAlbert { m: 3 },
            NetworkSpec::Hierarchy {
                branching: 3,
                peers: true,
            },
            NetworkSpec::Hierarchy {
                branching: 2,
                peers: false,
            },
            NetworkSpec::Block {
                p_within: 0.3,
                p_between: 0.02,
            },
            NetworkSpec::Edges(vec![(5, 1), (0, 2), (3, 4), (1, 0)]),
        ]
    }

    fn blocks_for(spec: &NetworkSpec, n: u32) -> Vec<u32> {
        match spec {
            NetworkSpec::Block { .. } => (0..n).map(|i| [7, 2, 100][i as usize % 3]).collect(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn every_generator_gives_sorted_unique_edges_without_self_loops() {
        for spec in all_specs() {
            for n in [2u32, 3, 5, 7, 40, 301] {
                let blocks = blocks_for(&spec, n);
                let res = generate(&spec, n, &blocks, 11);
                let Ok(edges) = res else {
                    // Only parameter/size mismatches may fail here.
                    let small = n <= 6;
                    assert!(small, "{spec:?} failed at n = {n}: {res:?}");
                    continue;
                };
                assert_simple(&edges, n);
                let expected = expected_edges(&spec, n, &blocks);
                let exact = !matches!(
                    spec,
                    NetworkSpec::ErdosRenyi { .. } | NetworkSpec::Block { .. }
                );
                if exact {
                    assert_eq!(edges.len() as f64, expected, "{spec:?} at n = {n}");
                }
            }
        }
    }

    #[test]
    fn complete_has_all_pairs() {
        let edges = gen(&NetworkSpec::Complete, 50, 0);
        assert_eq!(edges.len(), 50 * 49 / 2);
        assert_simple(&edges, 50);
    }

    #[test]
    fn ring_has_nk_over_2_edges_and_each_node_degree_k() {
        for (n, k) in [(10u32, 2u32), (10, 4), (11, 10), (1000, 8)] {
            let edges = gen(&NetworkSpec::Ring { k }, n, 0);
            assert_eq!(edges.len(), (n * k / 2) as usize);
            assert!(degrees(n, &edges).iter().all(|&d| d == k));
            // Every tie joins nodes at ring distance at most k/2.
            for &(a, b) in &edges {
                let d = (b - a).min(n - (b - a));
                assert!(d >= 1 && d <= k / 2, "({a}, {b}) at distance {d}");
            }
        }
    }

    #[test]
    fn hierarchy_edges_hand_counted_for_branching_3_n_13() {
        // Tree: 12 edges. Sibling cliques: {1,2,3}, {4,5,6}, {7,8,9}, {10,11,12},
        // 3 edges each, 12 in all.
        let spec = NetworkSpec::Hierarchy {
            branching: 3,
            peers: true,
        };
        let edges = gen(&spec, 13, 0);
        assert_eq!(edges.len(), 24);
        assert_eq!(expected_edges(&spec, 13, &[]), 24.0);
        assert!(edges.contains(&(0, 3)) && edges.contains(&(3, 12)));
        assert!(edges.contains(&(1, 3)) && edges.contains(&(10, 12)));
        assert!(!edges.contains(&(3, 4)), "3 and 4 have different parents");
        let tree = gen(
            &NetworkSpec::Hierarchy {
                branching: 3,
                peers: false,
            },
            13,
            0,
        );
        assert_eq!(tree.len(), 12);
        for i in 1..13u32 {
            assert!(
                tree.contains(&((i - 1) / 3, i)),
                "node {i} lacks its parent"
            );
        }
        // Partial last family: n = 12 leaves node 3 with children 10, 11 only.
        assert_eq!(gen(&spec, 12, 0).len(), 11 + 3 * 3 + 1);
        // Branching 1 is a path.
        let path = NetworkSpec::Hierarchy {
            branching: 1,
            peers: true,
        };
        assert_eq!(gen(&path, 5, 0), vec![(0, 1), (1, 2), (2, 3), (3, 4)]);
    }

    #[test]
    fn barabasi_albert_edge_count_and_heavy_tail() {
        for (n, m) in [(10u32, 1u32), (50, 4), (5, 4), (20_000, 3)] {
            let edges = gen(&NetworkSpec::BarabasiAlbert { m }, n, 3);
            let want = m * (m + 1) / 2 + (n - m - 1) * m;
            assert_eq!(edges.len(), want as usize, "n = {n}, m = {m}");
            assert_simple(&edges, n);
        }
        let n = 20_000;
        let edges = gen(&NetworkSpec::BarabasiAlbert { m: 3 }, n, 3);
        let d = degrees(n, &edges);
        let mean = 2.0 * edges.len() as f64 / n as f64;
        let max = *d.iter().max().unwrap() as f64;
        // Scale-free: the hub grows like m sqrt(n) (about 400 here); a
        // Poisson graph of the same mean would top out near 20.
        assert!(max > 20.0 * mean, "max degree {max} vs mean {mean}");
        assert!(d.iter().all(|&x| x >= 3), "every node has at least m ties");
        let er = gen(
            &NetworkSpec::ErdosRenyi {
                p: mean / (n - 1) as f64,
            },
            n,
            3,
        );
        let er_max = *degrees(n, &er).iter().max().unwrap() as f64;
        assert!(max > 5.0 * er_max, "BA max {max} vs ER max {er_max}");
    }

    #[test]
    fn erdos_renyi_mean_degree_within_three_standard_errors() {
        let (n, p) = (20_000u32, 0.0004);
        let pairs = n as f64 * (n - 1) as f64 / 2.0;
        let se = 2.0 * (pairs * p * (1.0 - p)).sqrt() / n as f64;
        for seed in 0..5 {
            let edges = gen(&NetworkSpec::ErdosRenyi { p }, n, seed);
            assert_simple(&edges, n);
            let mean = 2.0 * edges.len() as f64 / n as f64;
            let want = p * (n - 1) as f64;
            assert!(
                (mean - want).abs() < 3.0 * se,
                "seed {seed}: mean {mean}, want {want} ± {se}"
            );
        }
    }

    #[test]
    fn erdos_renyi_pairs_are_uniform_over_rows() {
        // Ties in the first and second half of the row order should be equally
        // frequent; a skipping bug at row boundaries would skew this.
        let n = 2000u32;
        let edges = gen(&NetworkSpec::ErdosRenyi { p: 0.01 }, n, 9);
        let d = degrees(n, &edges);
        let first: u64 = d[..1000].iter().map(|&x| x as u64).sum();
        let second: u64 = d[1000..].iter().map(|&x| x as u64).sum();
        let diff = (first as f64 - second as f64).abs();
        assert!(
            diff < 4.0 * ((first + second) as f64).sqrt(),
            "{first} vs {second}"
        );
    }

    #[test]
    fn erdos_renyi_extremes() {
        assert!(gen(&NetworkSpec::ErdosRenyi { p: 0.0 }, 100, 1).is_empty());
        assert_eq!(
            gen(&NetworkSpec::ErdosRenyi { p: 1.0 }, 100, 1),
            gen(&NetworkSpec::Complete, 100, 1)
        );
        // A p so small that the skip overflows every counter.
        assert!(gen(&NetworkSpec::ErdosRenyi { p: 1e-300 }, 1000, 1).is_empty());
        assert!(gen(
            &NetworkSpec::ErdosRenyi {
                p: f64::MIN_POSITIVE / 8.0
            },
            1000,
            1
        )
        .is_empty());
    }

    #[test]
    fn watts_strogatz_beta_zero_is_the_ring_and_rewiring_keeps_counts() {
        for (n, k) in [(10u32, 2u32), (101, 6), (1000, 8)] {
            let ring = gen(&NetworkSpec::Ring { k }, n, 0);
            let ws0 = gen(&NetworkSpec::WattsStrogatz { k, beta: 0.0 }, n, 5);
            assert_eq!(ws0, ring);
            for beta in [0.1, 0.5, 1.0] {
                let ws = gen(&NetworkSpec::WattsStrogatz { k, beta }, n, 5);
                assert_simple(&ws, n);
                assert_eq!(ws.len(), ring.len(), "n = {n}, k = {k}, beta = {beta}");
                // Each node keeps at least the k/2 edges it owned.
                assert!(degrees(n, &ws).iter().all(|&d| d >= k / 2));
            }
        }
        // About a fraction beta of the lattice is gone.
        let (n, k, beta) = (10_000u32, 8u32, 0.2);
        let ring: HashSet<(u32, u32)> = gen(&NetworkSpec::Ring { k }, n, 0).into_iter().collect();
        let ws = gen(&NetworkSpec::WattsStrogatz { k, beta }, n, 5);
        let moved = ws.iter().filter(|e| !ring.contains(e)).count() as f64;
        let m = (n * k / 2) as f64;
        let sd = (m * beta * (1.0 - beta)).sqrt();
        assert!(
            (moved - beta * m).abs() < 4.0 * sd + 0.01 * m,
            "moved {moved} of {m}"
        );
    }

    #[test]
    fn watts_strogatz_terminates_when_nodes_are_saturated() {
        // k = n - 1: the ring is complete and no edge can move.
        let ws = gen(&NetworkSpec::WattsStrogatz { k: 10, beta: 1.0 }, 11, 1);
        assert_eq!(ws, gen(&NetworkSpec::Complete, 11, 1));
        // Nearly complete: must still end, stay simple and keep the count.
        for seed in 0..50 {
            let ws = gen(&NetworkSpec::WattsStrogatz { k: 4, beta: 1.0 }, 6, seed);
            assert_simple(&ws, 6);
            assert_eq!(ws.len(), 12);
        }
    }

    #[test]
    fn block_model_densities_match_p_within_and_p_between() {
        let n = 3000u32;
        let labels = [7u32, 2, 100];
        let blocks: Vec<u32> = (0..n).map(|i| labels[i as usize % 3]).collect();
        let (pw, pb) = (0.05, 0.005);
        let spec = NetworkSpec::Block {
            p_within: pw,
            p_between: pb,
        };
        let edges = generate(&spec, n, &blocks, 4).unwrap();
        assert_simple(&edges, n);
        let within = edges
            .iter()
            .filter(|&&(a, b)| blocks[a as usize] == blocks[b as usize])
            .count() as f64;
        let between = edges.len() as f64 - within;
        let wp = 3.0 * 1000.0 * 999.0 / 2.0;
        let bp = 3000.0 * 2999.0 / 2.0 - wp;
        let (dw, db) = (within / wp, between / bp);
        let se_w = (pw * (1.0 - pw) / wp).sqrt();
        let se_b = (pb * (1.0 - pb) / bp).sqrt();
        assert!(
            (dw - pw).abs() < 4.0 * se_w,
            "within density {dw}, want {pw}"
        );
        assert!(
            (db - pb).abs() < 4.0 * se_b,
            "between density {db}, want {pb}"
        );
        let expected = expected_edges(&spec, n, &blocks);
        assert!((expected - (pw * wp + pb * bp)).abs() < 1e-6);
    }

    #[test]
    fn block_model_extremes_give_exact_structure() {
        let blocks = [0u32, 1, 0, 1, 2, 0];
        let cliques = generate(
            &NetworkSpec::Block {
                p_within: 1.0,
                p_between: 0.0,
            },
            6,
            &blocks,
            0,
        )
        .unwrap();
        assert_eq!(cliques, vec![(0, 2), (0, 5), (1, 3), (2, 5)]);
        let multipartite = generate(
            &NetworkSpec::Block {
                p_within: 0.0,
                p_between: 1.0,
            },
            6,
            &blocks,
            0,
        )
        .unwrap();
        assert_eq!(multipartite.len(), 15 - 4);
        assert!(multipartite
            .iter()
            .all(|&(a, b)| blocks[a as usize] != blocks[b as usize]));
        // One block per node: every pair is a between pair, and this stays
        // fast (no loop over block pairs).
        let n = 50_000u32;
        let own: Vec<u32> = (0..n).rev().collect();
        let spec = NetworkSpec::Block {
            p_within: 0.9,
            p_between: 8.0 / n as f64,
        };
        let edges = generate(&spec, n, &own, 2).unwrap();
        assert_simple(&edges, n);
        let mean = 2.0 * edges.len() as f64 / n as f64;
        assert!((mean - 8.0).abs() < 0.1, "mean degree {mean}");
    }

    #[test]
    fn explicit_edges_are_normalised() {
        let spec = NetworkSpec::Edges(vec![(3, 1), (0, 2), (2, 1)]);
        assert_eq!(gen(&spec, 4, 0), vec![(0, 2), (1, 2), (1, 3)]);
        assert_eq!(expected_edges(&spec, 4, &[]), 3.0);
    }

    #[test]
    fn same_seed_same_edges_different_seed_different_edges() {
        let n = 500;
        for spec in all_specs() {
            let random = matches!(
                spec,
                NetworkSpec::ErdosRenyi { .. }
                    | NetworkSpec::WattsStrogatz { .. }
                    | NetworkSpec::BarabasiAlbert { .. }
                    | NetworkSpec::Block { .. }
            );
            let blocks = blocks_for(&spec, n);
            let a = generate(&spec, n, &blocks, 42).unwrap();
            let b = generate(&spec, n, &blocks, 42).unwrap();
            let c = generate(&spec, n, &blocks, 43).unwrap();
            assert_eq!(a, b, "{spec:?} is not repeatable");
            if random {
                assert_ne!(a, c, "{spec:?} ignores the seed");
            } else {
                assert_eq!(a, c, "{spec:?} is deterministic and should ignore the seed");
            }
        }
    }

    #[test]
    fn output_is_pinned() {
        // If these change, every published network changes with them: the
        // draws depend only on the PCG stream, Lemire's method and det_ln.
        assert_eq!(
            gen(&NetworkSpec::ErdosRenyi { p: 0.3 }, 8, 7),
            vec![
                (0, 1),
                (0, 4),
                (1, 5),
                (1, 7),
                (2, 4),
                (2, 7),
                (3, 7),
                (4, 6),
                (4, 7)
            ]
        );
        assert_eq!(
            gen(&NetworkSpec::WattsStrogatz { k: 2, beta: 0.5 }, 8, 7),
            vec![
                (0, 1),
                (0, 7),
                (1, 4),
                (1, 5),
                (2, 3),
                (3, 5),
                (3, 7),
                (6, 7)
            ]
        );
        assert_eq!(
            gen(&NetworkSpec::BarabasiAlbert { m: 1 }, 6, 7),
            vec![(0, 1), (0, 4), (1, 2), (1, 3), (3, 5)]
        );
    }

    fn csr_invariants(n: u32, edges: &[(u32, u32)], csr: &Csr) {
        assert_eq!(csr.n(), n as usize);
        assert_eq!(csr.offsets.len(), n as usize + 1);
        assert_eq!(csr.halves(), 2 * edges.len());
        assert_eq!(csr.reverse.len(), csr.halves());
        let degree_sum: usize = (0..csr.n()).map(|i| csr.degree(i)).sum();
        assert_eq!(degree_sum, 2 * edges.len());
        for i in 0..csr.n() {
            let row = &csr.targets[csr.row(i)];
            assert!(
                row.windows(2).all(|w| w[0] < w[1]),
                "row {i} not sorted: {row:?}"
            );
            for e in csr.row(i) {
                let r = csr.reverse[e] as usize;
                assert_eq!(
                    csr.reverse[r] as usize, e,
                    "reverse is not an involution at {e}"
                );
                assert_eq!(
                    csr.targets[r] as usize, i,
                    "targets[reverse[e]] is not the row owner"
                );
                assert!(csr.row(csr.targets[e] as usize).contains(&r));
            }
        }
        let d = degrees(n, edges);
        assert!((0..csr.n()).all(|i| csr.degree(i) == d[i] as usize));
    }

    #[test]
    fn csr_reverse_is_an_involution_and_rows_are_sorted() {
        for spec in all_specs() {
            let n = 301;
            let blocks = blocks_for(&spec, n);
            let edges = generate(&spec, n, &blocks, 8).unwrap();
            let csr = Csr::from_edges(n, &edges).unwrap();
            csr_invariants(n, &edges, &csr);
        }
        let empty = Csr::from_edges(3, &[]).unwrap();
        assert_eq!(empty.offsets, vec![0, 0, 0, 0]);
        assert_eq!(empty.degree(1), 0);
    }

    #[test]
    fn csr_rejects_bad_edge_lists() {
        assert!(Csr::from_edges(3, &[(0, 3)])
            .unwrap_err()
            .0
            .contains("a < b < n"));
        assert!(Csr::from_edges(3, &[(1, 0)]).is_err());
        assert!(Csr::from_edges(3, &[(1, 1)]).is_err());
        assert!(Csr::from_edges(3, &[(1, 2), (0, 1)])
            .unwrap_err()
            .0
            .contains("sorted"));
        assert!(Csr::from_edges(3, &[(0, 1), (0, 1)]).is_err());
        assert!(check_halves(MAX_EDGES).is_ok());
        assert!(check_halves(MAX_EDGES + 1)
            .unwrap_err()
            .0
            .contains("u32::MAX"));
    }

    #[test]
    fn identical_output_with_1_and_8_rayon_threads() {
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                let n = 200_000u32;
                let specs = [
                    NetworkSpec::ErdosRenyi { p: 8.0 / n as f64 },
                    NetworkSpec::WattsStrogatz { k: 8, beta: 0.3 },
                    NetworkSpec::BarabasiAlbert { m: 4 },
                    NetworkSpec::Block {
                        p_within: 0.001,
                        p_between: 0.00001,
                    },
                ];
                specs
                    .iter()
                    .map(|spec| {
                        let blocks: Vec<u32> = (0..n).map(|i| i % 97).collect();
                        let blocks = if matches!(spec, NetworkSpec::Block { .. }) {
                            blocks
                        } else {
                            vec![]
                        };
                        let edges = generate(spec, n, &blocks, 123).unwrap();
                        let csr = Csr::from_edges(n, &edges).unwrap();
                        (edges, csr)
                    })
                    .collect::<Vec<_>>()
            })
        };
        assert!(run(1) == run(8));
    }

    #[test]
    fn errors_say_what_to_change() {
        let e = |spec: NetworkSpec, n: u32, blocks: &[u32]| {
            generate(&spec, n, blocks, 0).unwrap_err().0
        };
        for bad in [-0.1, 1.5, f64::NAN, f64::INFINITY] {
            assert!(e(NetworkSpec::ErdosRenyi { p: bad }, 10, &[]).contains("from 0 to 1"));
            assert!(e(NetworkSpec::WattsStrogatz { k: 2, beta: bad }, 10, &[]).contains("beta"));
            let b = [0u32; 10];
            assert!(e(
                NetworkSpec::Block {
                    p_within: bad,
                    p_between: 0.1
                },
                10,
                &b
            )
            .contains("p_within"));
            assert!(e(
                NetworkSpec::Block {
                    p_within: 0.1,
                    p_between: bad
                },
                10,
                &b
            )
            .contains("p_between"));
            assert!(expected_edges(&NetworkSpec::ErdosRenyi { p: bad }, 10, &[]).is_nan());
        }
        for spec in [
            NetworkSpec::Ring { k: 3 },
            NetworkSpec::WattsStrogatz { k: 3, beta: 0.1 },
        ] {
            assert!(e(spec, 10, &[]).contains("even"));
        }
        for spec in [
            NetworkSpec::Ring { k: 0 },
            NetworkSpec::WattsStrogatz { k: 0, beta: 0.1 },
        ] {
            assert!(e(spec, 10, &[]).contains("at least 2"));
        }
        for k in [10, 12] {
            assert!(e(NetworkSpec::Ring { k }, 10, &[]).contains("less than n = 10"));
            assert!(e(NetworkSpec::WattsStrogatz { k, beta: 0.0 }, 10, &[]).contains("from 2 to 8"));
        }
        assert!(e(NetworkSpec::Ring { k: 2 }, 2, &[]).contains("at least 3 nodes"));
        assert!(e(NetworkSpec::BarabasiAlbert { m: 0 }, 10, &[]).contains("m >= 1"));
        assert!(e(NetworkSpec::BarabasiAlbert { m: 10 }, 10, &[]).contains("from 1 to 9"));
        assert!(e(
            NetworkSpec::Hierarchy {
                branching: 0,
                peers: true
            },
            10,
            &[]
        )
        .contains("branching >= 1"));
        let p = NetworkSpec::Block {
            p_within: 0.1,
            p_between: 0.1,
        };
        assert!(e(p.clone(), 10, &[0; 9]).contains("one block label per node"));
        assert!(expected_edges(&p, 10, &[0; 9]).is_nan());
        for spec in all_specs() {
            assert!(e(spec.clone(), 1, &[0]).contains("at least 2 nodes"));
            assert!(e(spec, 0, &[]).contains("at least 2 nodes"));
        }
        assert!(e(NetworkSpec::Complete, 10_001, &[]).contains("use erdos_renyi"));
        assert!(generate(&NetworkSpec::Complete, 10_000, &[], 0).is_ok());
        assert!(e(NetworkSpec::Edges(vec![(0, 1), (1, 10)]), 10, &[]).contains("edge #1 (1, 10)"));
        assert!(e(NetworkSpec::Edges(vec![(0, 1), (4, 4)]), 10, &[]).contains("self-loop"));
        let dup = e(
            NetworkSpec::Edges(vec![(0, 1), (2, 5), (3, 4), (5, 2)]),
            10,
            &[],
        );
        assert!(
            dup.contains("{2, 5}") && dup.contains("#1") && dup.contains("#3"),
            "{dup}"
        );
        // Too big for a Csr, rejected before allocating.
        assert!(e(NetworkSpec::ErdosRenyi { p: 1.0 }, 100_000, &[]).contains("Csr"));
        assert!(e(NetworkSpec::BarabasiAlbert { m: 99_999 }, 100_000, &[]).contains("Csr"));
        assert!(e(
            NetworkSpec::Hierarchy {
                branching: 100_000,
                peers: true
            },
            100_000,
            &[]
        )
        .contains("Csr"));
        assert!(e(NetworkSpec::Ring { k: 99_998 }, 100_000, &[]).contains("Csr"));
        // Errors are displayable std errors.
        let boxed: Box<dyn std::error::Error> = Box::new(NetworkError("x".into()));
        assert_eq!(boxed.to_string(), "x");
    }

    #[test]
    fn ln_one_minus_is_accurate_for_tiny_p() {
        let p = 1e-12;
        assert!((ln_one_minus(p) / (-p) - 1.0).abs() < 1e-10);
        assert!((ln_one_minus(0.5) - 0.5f64.ln()).abs() < 1e-16);
    }

    #[test]
    fn bounded_draws_are_in_range_and_unbiased() {
        let mut rng = stream(1, 0, 0, 0, 0);
        let mut counts = [0u32; 3];
        for _ in 0..300_000 {
            counts[below(&mut rng, 3) as usize] += 1;
        }
        assert!(
            counts
                .iter()
                .all(|&c| (c as f64 - 100_000.0).abs() < 1500.0),
            "{counts:?}"
        );
        assert_eq!(below(&mut rng, 1), 0);
        assert_eq!(below(&mut rng, 0), 0);
        for _ in 0..1000 {
            let u = uniform_open0(&mut rng);
            assert!(u > 0.0 && u <= 1.0);
        }
    }

    fn time_scale(n: u32) {
        let k = 8;
        let p = k as f64 / (n - 1) as f64;
        for (name, spec) in [
            (
                "watts_strogatz beta=0.1",
                NetworkSpec::WattsStrogatz { k, beta: 0.1 },
            ),
            (
                "watts_strogatz beta=1",
                NetworkSpec::WattsStrogatz { k, beta: 1.0 },
            ),
            ("erdos_renyi", NetworkSpec::ErdosRenyi { p }),
            ("barabasi_albert m=4", NetworkSpec::BarabasiAlbert { m: 4 }),
        ] {
            let t = Instant::now();
            let edges = generate(&spec, n, &[], 1).unwrap();
            let t_gen = t.elapsed();
            let t = Instant::now();
            let csr = Csr::from_edges(n, &edges).unwrap();
            let t_csr = t.elapsed();
            println!(
                "n = {n}: {name}: {} edges, generate {:.3} s, Csr {:.3} s",
                edges.len(),
                t_gen.as_secs_f64(),
                t_csr.as_secs_f64()
            );
            assert_eq!(csr.halves(), 2 * edges.len());
        }
    }

    #[test]
    #[ignore = "scale test; run with cargo test --release -- --ignored --nocapture"]
    fn scale_one_million_nodes_mean_degree_8() {
        time_scale(1_000_000);
    }

    #[test]
    #[ignore = "scale test; run with cargo test --release -- --ignored --nocapture"]
    fn scale_ten_million_nodes_mean_degree_8() {
        time_scale(10_000_000);
    }
}
