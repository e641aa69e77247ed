//! Measures of the structure of a dominance hierarchy computed from a
//! dominance (win) matrix: Landau's linearity index `h`, de Vries' improved
//! index `h'` with its randomisation test, David's scores, hierarchical
//! steepness, triangle transitivity and the directional consistency index.
//!
//! # Input
//!
//! Every function takes the win matrix as a **flat, row-major `n × n` slice**
//! `wins` together with `n`: `wins[i * n + j]` is the number of times
//! individual `i` won against individual `j`. Entries may be non-integer
//! (e.g. weighted wins). The diagonal `wins[i * n + i]` is ignored entirely
//! (it is never read, so it may hold anything, even NaN). [`flatten_rows`]
//! converts a nested `&[Vec<f64>]` matrix into this layout.
//!
//! Invalid input is rejected with a [`HierarchyError`], never a panic:
//! `wins.len() != n * n`, an off-diagonal entry that is negative, NaN or
//! infinite, or off-diagonal entries whose sum overflows `f64`.
//!
//! # Dyadic relationships
//!
//! For a dyad `{i, j}` let `a = wins[i][j]`, `b = wins[j][i]` and
//! `n_ij = a + b`. The relationship is
//!
//! * **known**: `i` *dominates* `j` if `a > b` (and vice versa);
//! * **tied**: `a == b > 0`;
//! * **unknown**: `a == b == 0` (the two never interacted).
//!
//! # Measures
//!
//! * **Landau's h** (Landau 1951). With `V_i` the number of individuals that
//!   `i` dominates,
//!   `h = 12 / (n^3 - n) * sum_i (V_i - (n - 1)/2)^2`, in `[0, 1]`, 1 for a
//!   complete linear order. Tied *and* unknown dyads count 1/2 to each
//!   member's `V_i`: this is the `h` that de Vries (1995, p. 1377) computes
//!   on the observed matrix before correcting it for unknown relationships.
//!   See [`landau_h`].
//! * **de Vries' h'** (de Vries 1995, eq. 2):
//!   `h' = h + 6 u / (n^3 - n)`, with `h` as above and `u` the number of
//!   unknown relationships (dyads with no interactions). Tied relationships
//!   keep 1/2 to each side and are *not* counted in `u`. `h'` is the
//!   expectation of `h` when each unknown relationship is resolved by a fair
//!   coin (each such dyad adds variance `1/4` to two `V_i`). See
//!   [`de_vries_h_prime`].
//! * **de Vries' randomisation test** (de Vries 1995, p. 1380). Each of `R`
//!   randomisations draws (i) `h_0`: the `h` of the observed matrix with
//!   every unknown relationship resolved by a fair coin (known dominances
//!   fixed, ties 1/2 each), and (ii) `h_r`: the `h` of a fully random
//!   matrix in which every one of the `n(n-1)/2` dyadic dominances is
//!   decided by a fair coin. The right-tailed `p = #{h_r >= h_0} / R`. When
//!   there are no unknown relationships `h_0` is the observed `h` in every
//!   randomisation, so `p` is the proportion of random matrices with
//!   `h >= h_obs`. This follows the procedure as implemented in the R
//!   package `compete` (`devries`). See [`de_vries_p_value`].
//! * **David's scores** (David 1987; Gammell et al. 2003; de Vries, Stevens
//!   & Vervaecke 2006). From a dyadic dominance index `P_ij` (below),
//!   `w_i = sum_j P_ij`, `w2_i = sum_j P_ij w_j`, `l_i = sum_j P_ji`,
//!   `l2_i = sum_j P_ji l_j` and `DS_i = w_i + w2_i - l_i - l2_i`
//!   (`sum_i DS_i = 0`). The normalised score is
//!   `NormDS_i = (DS_i + n(n-1)/2) / n`, in `[0, n - 1]`
//!   (de Vries et al. 2006, p. 587). Two dyadic indices are offered
//!   ([`DyadicIndex`]):
//!   - proportion of wins `P_ij = a / n_ij`;
//!   - chance-corrected `D_ij = P_ij - (P_ij - 1/2) / (n_ij + 1)
//!     = (a + 1/2) / (n_ij + 1)` (de Vries et al. 2006, eq. 3).
//!
//!   Both are 0 for both members of a dyad with no interactions. See
//!   [`david_scores`], [`normalised_david_scores`].
//! * **Steepness** (de Vries, Stevens & Vervaecke 2006): the absolute value
//!   of the ordinary-least-squares slope of `NormDS` sorted in descending
//!   order against rank `1..n`:
//!   `|sum_k (k - kbar)(y_k - ybar) / sum_k (k - kbar)^2|`. See
//!   [`steepness`].
//! * **Triangle transitivity** (Shizuka & McDonald 2012). In the directed
//!   graph with an edge `i -> j` whenever `i` dominates `j` (tied and unknown
//!   dyads give no edge, so no mutual edges exist), a triad is *complete*
//!   when all three of its dyads carry an edge; it is then either transitive
//!   (`030T`) or cyclic (`030C`). `P_t = transitive / (transitive + cyclic)`
//!   and `t_tri = 4 (P_t - 3/4)`, so 1 means fully transitive, 0 the
//!   expectation of random orientation (`P_t = 3/4`) and -3 all cyclic.
//!   This is the triad census of the R package `compete` (`ttri`), whose
//!   binarised matrix also gives ties no edge. See [`triad_census`],
//!   [`triangle_transitivity`].
//! * **Directional consistency index** (van Hooff & Wensing 1987):
//!   `DCI = (H - L) / (H + L)`, with `H = sum_{i<j} max(a, b)` and
//!   `L = sum_{i<j} min(a, b)`. See [`directional_consistency`].
//!
//! # Degenerate inputs
//!
//! | input | value |
//! |---|---|
//! | `n < 2` (no dyads) | `h = h' = 0`, steepness 0, `DCI = 0`, David's scores all 0 (empty for `n = 0`) |
//! | fewer than 3 individuals or no complete triad | `t_tri = NaN`, `P_t = NaN` (0 would claim chance-level transitivity; [`TriadCensus`] gives the counts) |
//! | no interactions at all | `DCI = 0`; `h = 0`; `h' = 3/(n + 1)`, Landau's expectation for a random tournament |
//! | `randomisations == 0` | `p = NaN` (test not run) |
//! | `n < 2`, `randomisations > 0` | `p = 1` (every `h` is 0) |
//!
//! # Determinism
//!
//! Every sum runs in a fixed index order in `f64` (Landau's and de Vries'
//! statistics are accumulated exactly in integers: they only involve
//! multiples of 1/2). The randomisation test uses an inline SplitMix64
//! generator (Steele, Lea & Flood 2014) seeded by an explicit argument; in
//! each randomisation it first draws one coin per unknown dyad (in
//! row-major order of `i < j`), then one coin per dyad `i < j` of the
//! random matrix. The same input and seed always give the same `p`.
//!
//! # References
//!
//! * David, H. A. (1987). Ranking from unbalanced paired-comparison data.
//!   *Biometrika* 74(2), 432–436.
//! * de Vries, H. (1995). An improved test of linearity in dominance
//!   hierarchies containing unknown or tied relationships. *Animal
//!   Behaviour* 50(5), 1375–1389.
//! * de Vries, H., Stevens, J. M. G. & Vervaecke, H. (2006). Measuring and
//!   testing the steepness of dominance hierarchies. *Animal Behaviour*
//!   71(3), 585–592.
//! * Gammell, M. P., de Vries, H., Jennings, D. J., Carlin, C. M. &
//!   Hayden, T. J. (2003). David's score: a more appropriate dominance
//!   ranking method than Clutton-Brock et al.'s index. *Animal Behaviour*
//!   66(3), 601–605.
//! * Landau, H. G. (1951). On dominance relations and the structure of
//!   animal societies: I. Effect of inherent characteristics. *Bulletin of
//!   Mathematical Biophysics* 13(1), 1–19.
//! * Shizuka, D. & McDonald, D. B. (2012). A social network perspective on
//!   measurements of dominance hierarchies. *Animal Behaviour* 83(4),
//!   925–934.
//! * Steele, G. L., Lea, D. & Flood, C. H. (2014). Fast splittable
//!   pseudorandom number generators. *OOPSLA 2014*, 453–472.
//! * van Hooff, J. A. R. A. M. & Wensing, J. A. B. (1987). Dominance and its
//!   behavioral measures in a captive wolf pack. In H. Frank (Ed.), *Man and
//!   Wolf* (pp. 219–252). Dordrecht: Junk.

use serde::Serialize;
use std::fmt;

/// Why a win matrix was rejected.
#[derive(Debug, Clone, PartialEq)]
pub enum HierarchyError {
    /// `wins.len()` is not `n * n` (or `n * n` overflows `usize`).
    DimensionMismatch {
        /// Length of the slice received.
        len: usize,
        /// Number of individuals claimed.
        n: usize,
    },
    /// A row of a nested matrix passed to [`flatten_rows`] does not have one
    /// entry per row.
    RaggedRow {
        /// Index of the offending row.
        row: usize,
        /// Its length.
        len: usize,
        /// The number of rows, i.e. the required length.
        expected: usize,
    },
    /// An off-diagonal entry is negative, NaN or infinite.
    InvalidEntry {
        /// Row (winner) index.
        row: usize,
        /// Column (loser) index.
        col: usize,
        /// The offending value.
        value: f64,
    },
    /// The off-diagonal entries are finite but their sum is not.
    TotalOverflow,
}

impl fmt::Display for HierarchyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::DimensionMismatch { len, n } => {
                write!(f, "win matrix has {len} entries, expected {n} x {n}")
            }
            Self::RaggedRow { row, len, expected } => {
                write!(
                    f,
                    "row {row} of the win matrix has {len} entries, expected {expected}"
                )
            }
            Self::InvalidEntry { row, col, value } => write!(
                f,
                "win matrix entry ({row}, {col}) = {value} is not a finite non-negative number"
            ),
            Self::TotalOverflow => write!(f, "sum of the win matrix overflows f64"),
        }
    }
}

impl std::error::Error for HierarchyError {}

/// Converts a nested square matrix (`rows[i][j]` = wins of `i` over `j`)
/// into the flat row-major layout used by this module, returning it with
/// `n = rows.len()`. Entries are not validated here (the measures do that).
///
/// # Errors
/// [`HierarchyError::RaggedRow`] if some row's length differs from the
/// number of rows.
pub fn flatten_rows(rows: &[Vec<f64>]) -> Result<(Vec<f64>, usize), HierarchyError> {
    let n = rows.len();
    let mut flat = Vec::with_capacity(n.saturating_mul(n));
    for (row, r) in rows.iter().enumerate() {
        if r.len() != n {
            return Err(HierarchyError::RaggedRow {
                row,
                len: r.len(),
                expected: n,
            });
        }
        flat.extend_from_slice(r);
    }
    Ok((flat, n))
}

/// The dyadic dominance index from which David's scores are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum DyadicIndex {
    /// Proportion of wins, `P_ij = a / (a + b)` (David 1987).
    Proportion,
    /// Chance-corrected proportion of wins,
    /// `D_ij = P_ij - (P_ij - 1/2) / (n_ij + 1) = (a + 1/2) / (n_ij + 1)`
    /// (de Vries, Stevens & Vervaecke 2006, eq. 3).
    Dij,
}

/// Relationship of a row individual to a column individual.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Relation {
    Dominates,
    Subordinate,
    Tied,
    Unknown,
}

/// A validated view of a win matrix.
struct Matrix<'a> {
    w: &'a [f64],
    n: usize,
}

impl<'a> Matrix<'a> {
    fn new(wins: &'a [f64], n: usize) -> Result<Self, HierarchyError> {
        if n.checked_mul(n) != Some(wins.len()) {
            return Err(HierarchyError::DimensionMismatch { len: wins.len(), n });
        }
        let mut total = 0.0_f64;
        for (k, &value) in wins.iter().enumerate() {
            let (row, col) = (k / n, k % n);
            if row == col {
                continue;
            }
            if !(value.is_finite() && value >= 0.0) {
                return Err(HierarchyError::InvalidEntry { row, col, value });
            }
            total += value;
        }
        if !total.is_finite() {
            return Err(HierarchyError::TotalOverflow);
        }
        Ok(Self { w: wins, n })
    }

    fn get(&self, i: usize, j: usize) -> f64 {
        self.w[i * self.n + j]
    }

    fn relation(&self, i: usize, j: usize) -> Relation {
        let (a, b) = (self.get(i, j), self.get(j, i));
        if a > b {
            Relation::Dominates
        } else if a < b {
            Relation::Subordinate
        } else if a > 0.0 {
            Relation::Tied
        } else {
            Relation::Unknown
        }
    }

    /// Doubled Landau scores `2 V_i` (ties and unknowns count 1 each) and
    /// the number of unknown and tied relationships.
    fn doubled_scores(&self) -> (Vec<i64>, usize, usize) {
        let n = self.n;
        let mut d = vec![0_i64; n];
        let (mut unknown, mut tied) = (0, 0);
        for i in 0..n {
            for j in (i + 1)..n {
                match self.relation(i, j) {
                    Relation::Dominates => d[i] += 2,
                    Relation::Subordinate => d[j] += 2,
                    r => {
                        d[i] += 1;
                        d[j] += 1;
                        if r == Relation::Unknown {
                            unknown += 1;
                        } else {
                            tied += 1;
                        }
                    }
                }
            }
        }
        (d, unknown, tied)
    }
}

/// `sum_i (D_i - (n - 1))^2` for doubled scores `D_i = 2 V_i`; equals
/// `4 sum_i (V_i - (n-1)/2)^2`. Exact integer arithmetic.
fn landau_sum(doubled: &[i64]) -> u128 {
    let centre = doubled.len() as i128 - 1;
    doubled
        .iter()
        .map(|&d| {
            let dev = i128::from(d) - centre;
            (dev * dev) as u128
        })
        .sum()
}

/// `n^3 - n` as `f64` (0 for `n < 2`).
fn cube_minus_n(n: usize) -> f64 {
    let n = n as f64;
    n * n * n - n
}

/// `h = 12/(n^3-n) * S/4 = 3 S / (n^3 - n)` from `S = landau_sum`, 0 for `n < 2`.
fn h_from_sum(sum: u128, n: usize) -> f64 {
    if n < 2 {
        return 0.0;
    }
    3.0 * sum as f64 / cube_minus_n(n)
}

/// Landau's linearity index `h = 12/(n^3 - n) * sum_i (V_i - (n-1)/2)^2`
/// (Landau 1951), where `V_i` counts the individuals `i` dominates and
/// tied or unknown (no interactions) dyads count 1/2 to each member.
///
/// Returns 0 for `n < 2`. See the module documentation for conventions.
///
/// # Errors
/// [`HierarchyError`] if the matrix is not `n × n` or has an invalid entry.
pub fn landau_h(wins: &[f64], n: usize) -> Result<f64, HierarchyError> {
    let m = Matrix::new(wins, n)?;
    let (d, _, _) = m.doubled_scores();
    Ok(h_from_sum(landau_sum(&d), n))
}

/// de Vries' (1995) improved linearity index `h' = h + 6u/(n^3 - n)`, with
/// `h` from [`landau_h`] (tied and unknown dyads 1/2 to each member) and `u`
/// the number of unknown relationships (dyads with no interactions).
///
/// Returns 0 for `n < 2`. With no interactions at all, `h' = 3/(n + 1)`.
///
/// # Errors
/// [`HierarchyError`] if the matrix is not `n × n` or has an invalid entry.
pub fn de_vries_h_prime(wins: &[f64], n: usize) -> Result<f64, HierarchyError> {
    let m = Matrix::new(wins, n)?;
    let (d, unknown, _) = m.doubled_scores();
    Ok(h_prime_from(&d, unknown, n))
}

/// `h' = (3 S + 6 u) / (n^3 - n)`, 0 for `n < 2`.
fn h_prime_from(doubled: &[i64], unknown: usize, n: usize) -> f64 {
    if n < 2 {
        return 0.0;
    }
    let numerator = 3 * landau_sum(doubled) + 6 * unknown as u128;
    numerator as f64 / cube_minus_n(n)
}

/// SplitMix64 (Steele, Lea & Flood 2014): a tiny, high-quality 64-bit
/// generator, used here only for fair coins.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn coin(&mut self) -> bool {
        self.next_u64() >> 63 == 1
    }

    /// The generator seeded with `seed` after `k` draws, without drawing
    /// them: SplitMix64's state after `k` draws is `seed + k * gamma`
    /// (mod 2^64), so a stream can be taken up at any point, in any order
    /// or in parallel, and give the same draws.
    fn at(seed: u64, k: u64) -> Self {
        SplitMix64(seed.wrapping_add(k.wrapping_mul(0x9E37_79B9_7F4A_7C15)))
    }
}

/// Right-tailed p-value of de Vries' (1995) randomisation test of linearity.
///
/// In each of `randomisations` draws: `h_0` is the `h` of the observed
/// matrix with each unknown relationship resolved by a fair coin (known
/// dominances fixed, ties 1/2 each); `h_r` is the `h` of a random matrix in
/// which each of the `n(n-1)/2` dyadic dominances is decided by a fair coin.
/// Returns `#{h_r >= h_0} / randomisations` (without the `+1` correction,
/// as in de Vries 1995), so it can be exactly 0. The comparison is exact
/// (integer statistics).
///
/// Returns NaN when `randomisations == 0` and 1 when `n < 2`.
/// Deterministic given `seed`; cost `O(randomisations * n^2)`, the
/// randomisations shared among threads (see [`SparseWins::de_vries_p_value`]).
///
/// # Errors
/// [`HierarchyError`] if the matrix is not `n × n` or has an invalid entry.
pub fn de_vries_p_value(
    wins: &[f64],
    n: usize,
    seed: u64,
    randomisations: usize,
) -> Result<f64, HierarchyError> {
    Ok(SparseWins::from_dense(wins, n)?.de_vries_p_value(seed, randomisations))
}

/// The dyadic dominance index matrix (flat, row-major `n × n`, diagonal 0):
/// `P_ij = a/(a+b)` or `D_ij = (a + 1/2)/(a + b + 1)`, and 0 for both
/// members of a dyad with no interactions.
///
/// # Errors
/// [`HierarchyError`] if the matrix is not `n × n` or has an invalid entry.
pub fn dyadic_dominance_matrix(
    wins: &[f64],
    n: usize,
    index: DyadicIndex,
) -> Result<Vec<f64>, HierarchyError> {
    let m = Matrix::new(wins, n)?;
    Ok(dyadic_matrix(&m, index))
}

fn dyadic_matrix(m: &Matrix<'_>, index: DyadicIndex) -> Vec<f64> {
    let n = m.n;
    let mut p = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..n {
            if i == j {
                continue;
            }
            let a = m.get(i, j);
            let total = a + m.get(j, i);
            if total > 0.0 {
                p[i * n + j] = match index {
                    DyadicIndex::Proportion => a / total,
                    DyadicIndex::Dij => (a + 0.5) / (total + 1.0),
                };
            }
        }
    }
    p
}

fn david_from_dyadic(p: &[f64], n: usize) -> Vec<f64> {
    let mut w = vec![0.0; n];
    let mut l = vec![0.0; n];
    for i in 0..n {
        for j in 0..n {
            if i != j {
                w[i] += p[i * n + j];
                l[i] += p[j * n + i];
            }
        }
    }
    (0..n)
        .map(|i| {
            let (mut w2, mut l2) = (0.0, 0.0);
            for j in 0..n {
                if i != j {
                    w2 += p[i * n + j] * w[j];
                    l2 += p[j * n + i] * l[j];
                }
            }
            w[i] + w2 - l[i] - l2
        })
        .collect()
}

/// David's scores `DS_i = w_i + w2_i - l_i - l2_i` (David 1987; Gammell et
/// al. 2003) on the chosen dyadic index, in the input order of individuals.
/// They sum to 0; empty for `n = 0`, `[0]` for `n = 1`.
///
/// # Errors
/// [`HierarchyError`] if the matrix is not `n × n` or has an invalid entry.
pub fn david_scores(
    wins: &[f64],
    n: usize,
    index: DyadicIndex,
) -> Result<Vec<f64>, HierarchyError> {
    let m = Matrix::new(wins, n)?;
    Ok(david_from_dyadic(&dyadic_matrix(&m, index), n))
}

/// Normalised David's scores `NormDS_i = (DS_i + n(n-1)/2) / n`, in
/// `[0, n - 1]` (de Vries, Stevens & Vervaecke 2006), in input order.
///
/// # Errors
/// [`HierarchyError`] if the matrix is not `n × n` or has an invalid entry.
pub fn normalised_david_scores(
    wins: &[f64],
    n: usize,
    index: DyadicIndex,
) -> Result<Vec<f64>, HierarchyError> {
    let m = Matrix::new(wins, n)?;
    Ok(normalise(david_from_dyadic(&dyadic_matrix(&m, index), n)))
}

fn normalise(ds: Vec<f64>) -> Vec<f64> {
    let n = ds.len() as f64;
    let offset = n * (n - 1.0) / 2.0;
    ds.into_iter().map(|d| (d + offset) / n).collect()
}

/// Absolute OLS slope of the values sorted descending against rank `1..n`;
/// 0 for fewer than two values.
fn slope_on_rank(mut y: Vec<f64>) -> f64 {
    let n = y.len();
    if n < 2 {
        return 0.0;
    }
    // Descending: the ascending order reversed (equal values are equal bits).
    crate::metrics::sort::sort_total(&mut y);
    y.reverse();
    let nf = n as f64;
    let x_mean = (nf + 1.0) / 2.0;
    let y_mean = y.iter().sum::<f64>() / nf;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (k, &yk) in y.iter().enumerate() {
        let dx = (k + 1) as f64 - x_mean;
        sxy += dx * (yk - y_mean);
        sxx += dx * dx;
    }
    (sxy / sxx).abs()
}

/// Hierarchical steepness (de Vries, Stevens & Vervaecke 2006): the
/// absolute OLS slope of the normalised David's scores, sorted descending,
/// against rank `1..n`. In `[0, 1]`; 0 for `n < 2`.
///
/// # Errors
/// [`HierarchyError`] if the matrix is not `n × n` or has an invalid entry.
pub fn steepness(wins: &[f64], n: usize, index: DyadicIndex) -> Result<f64, HierarchyError> {
    Ok(slope_on_rank(normalised_david_scores(wins, n, index)?))
}

/// Counts of complete triads (all three dyads with a dominance edge) in the
/// dominance graph, as used by [`triangle_transitivity`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct TriadCensus {
    /// Transitive complete triads (`030T`).
    pub transitive: u64,
    /// Cyclic complete triads (`030C`).
    pub cyclic: u64,
}

impl TriadCensus {
    /// Counts the triad `i < j < k` whose dyads `i-j`, `j-k`, `k-i` have the
    /// directions `a`, `b`, `c` (+1 forward, -1 back, 0 no edge), if it is complete.
    fn add(&mut self, a: i8, b: i8, c: i8) {
        if a == 0 || b == 0 || c == 0 {
            return;
        }
        // Cyclic iff i->j->k->i or its reverse.
        if a == b && b == c {
            self.cyclic += 1;
        } else {
            self.transitive += 1;
        }
    }

    /// Number of complete triads, `transitive + cyclic`.
    pub fn complete(&self) -> u64 {
        self.transitive + self.cyclic
    }

    /// `P_t = transitive / complete`; NaN when there is no complete triad.
    pub fn proportion_transitive(&self) -> f64 {
        if self.complete() == 0 {
            f64::NAN
        } else {
            self.transitive as f64 / self.complete() as f64
        }
    }

    /// `t_tri = 4 (P_t - 3/4)` (Shizuka & McDonald 2012); NaN when there is
    /// no complete triad.
    pub fn t_tri(&self) -> f64 {
        4.0 * (self.proportion_transitive() - 0.75)
    }
}

/// Triad census of the dominance graph (edge `i -> j` iff `i` dominates
/// `j`; tied and unknown dyads give no edge). `O(n^3)`.
///
/// # Errors
/// [`HierarchyError`] if the matrix is not `n × n` or has an invalid entry.
pub fn triad_census(wins: &[f64], n: usize) -> Result<TriadCensus, HierarchyError> {
    let m = Matrix::new(wins, n)?;
    // dir[i*n+j] = +1 if i -> j, -1 if j -> i, 0 if no edge.
    let mut dir = vec![0_i8; n * n];
    for i in 0..n {
        for j in 0..n {
            if i != j {
                dir[i * n + j] = match m.relation(i, j) {
                    Relation::Dominates => 1,
                    Relation::Subordinate => -1,
                    Relation::Tied | Relation::Unknown => 0,
                };
            }
        }
    }
    let mut census = TriadCensus {
        transitive: 0,
        cyclic: 0,
    };
    for i in 0..n {
        for j in (i + 1)..n {
            let a = dir[i * n + j];
            if a == 0 {
                continue;
            }
            for k in (j + 1)..n {
                census.add(a, dir[j * n + k], dir[k * n + i]);
            }
        }
    }
    Ok(census)
}

/// Triangle transitivity `t_tri = 4 (P_t - 3/4)` (Shizuka & McDonald 2012),
/// `P_t` the proportion of transitive triads among complete triads. In
/// `[-3, 1]`; NaN when there is no complete triad (see [`triad_census`]).
///
/// # Errors
/// [`HierarchyError`] if the matrix is not `n × n` or has an invalid entry.
pub fn triangle_transitivity(wins: &[f64], n: usize) -> Result<f64, HierarchyError> {
    Ok(triad_census(wins, n)?.t_tri())
}

/// Directional consistency index `DCI = (H - L) / (H + L)` (van Hooff &
/// Wensing 1987), with `H` and `L` the sums over dyads of the larger and
/// smaller of the two win counts. In `[0, 1]`; 0 when there are no
/// interactions.
///
/// # Errors
/// [`HierarchyError`] if the matrix is not `n × n` or has an invalid entry.
pub fn directional_consistency(wins: &[f64], n: usize) -> Result<f64, HierarchyError> {
    let m = Matrix::new(wins, n)?;
    let (mut high, mut low) = (0.0_f64, 0.0_f64);
    for i in 0..n {
        for j in (i + 1)..n {
            let (a, b) = (m.get(i, j), m.get(j, i));
            high += a.max(b);
            low += a.min(b);
        }
    }
    let total = high + low;
    Ok(if total > 0.0 {
        (high - low) / total
    } else {
        0.0
    })
}

/// A win matrix given by its dyads with interactions, row by row: the
/// sparse form of a dominance matrix in which only the pairs tied in a
/// network can have met.
///
/// Row `i` lists the individuals `j` that `i` has a dyad with, in ascending
/// order, each with `won` (`wins[i][j]`) and `lost` (`wins[j][i]`); a dyad
/// appears in the rows of both its members. Pairs absent from the rows are
/// unknown relationships (no interactions), as are listed pairs whose two
/// entries are both 0.
///
/// Its measures ([`Self::measures`]) are **bitwise identical** to those of
/// the dense functions on the same matrix ([`landau_h`], [`steepness`],
/// ...): every sum visits the dyads in the same order, and a pair missing
/// from the rows contributes exactly `+0.0` or `0` to each dense sum. They
/// cost about `O(n log n + sum of squared row lengths)` instead of
/// `O(n^2)` and `O(n^3)`: a record of a 100-agent group with degree 8 takes
/// about 15 µs instead of about 270 µs (BENCHMARKS.md, "Recording small
/// groups").
#[derive(Debug, Clone, PartialEq)]
pub struct SparseWins {
    n: usize,
    /// Row starts, `n + 1` entries.
    offsets: Vec<usize>,
    partner: Vec<u32>,
    won: Vec<f64>,
    lost: Vec<f64>,
    /// Where each row's higher-numbered partners start.
    upper: Vec<usize>,
}

/// The six hierarchy columns of a time-series row, from [`SparseWins::measures`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RowMeasures {
    /// [`landau_h`].
    pub landau_h: f64,
    /// [`de_vries_h_prime`].
    pub h_prime: f64,
    /// [`steepness`] on proportions of wins.
    pub steepness_proportions: f64,
    /// [`steepness`] on `D_ij`.
    pub steepness_dij: f64,
    /// [`triangle_transitivity`] (NaN with no complete triad).
    pub triangle_transitivity: f64,
    /// [`directional_consistency`].
    pub directional_consistency: f64,
}

impl SparseWins {
    /// The sparse form of a dense, row-major `n × n` win matrix (the pairs
    /// with a non-zero entry either way).
    ///
    /// # Errors
    /// [`HierarchyError`] as for the dense functions.
    pub fn from_dense(wins: &[f64], n: usize) -> Result<Self, HierarchyError> {
        let m = Matrix::new(wins, n)?;
        let mut s = SparseWins {
            n,
            offsets: Vec::with_capacity(n + 1),
            partner: Vec::new(),
            won: Vec::new(),
            lost: Vec::new(),
            upper: Vec::new(),
        };
        s.offsets.push(0);
        for i in 0..n {
            for j in 0..n {
                let (a, b) = (m.get(i, j), m.get(j, i));
                if i != j && (a > 0.0 || b > 0.0) {
                    s.partner.push(j as u32);
                    s.won.push(a);
                    s.lost.push(b);
                }
            }
            s.offsets.push(s.partner.len());
        }
        s.find_upper();
        Ok(s)
    }

    /// Fills `upper` from the rows.
    fn find_upper(&mut self) {
        self.upper = (0..self.n)
            .map(|i| {
                let row = self.offsets[i]..self.offsets[i + 1];
                row.start + self.partner[row].partition_point(|&j| (j as usize) <= i)
            })
            .collect();
    }

    /// The win matrix of a network: `targets[offsets[i]..offsets[i + 1]]`
    /// are `i`'s partners in ascending order (no self-ties, no repeats),
    /// `reverse[e]` is the position of the half back from `targets[e]`, and
    /// `wins[e]` counts the wins of half `e`'s owner over its target (all 0
    /// when `wins` is empty).
    pub(crate) fn from_halves(
        offsets: &[u32],
        targets: &[u32],
        reverse: &[u32],
        wins: &[u32],
    ) -> Self {
        debug_assert!(
            (0..offsets.len().saturating_sub(1)).all(|i| {
                let row = &targets[offsets[i] as usize..offsets[i + 1] as usize];
                row.windows(2).all(|w| w[0] < w[1]) && !row.contains(&(i as u32))
            }),
            "rows ascending, without repeats or self-ties"
        );
        let of = |e: usize| f64::from(wins.get(e).copied().unwrap_or(0));
        let mut s = SparseWins {
            n: offsets.len().saturating_sub(1),
            offsets: offsets.iter().map(|&o| o as usize).collect(),
            partner: targets.to_vec(),
            won: (0..targets.len()).map(of).collect(),
            lost: reverse.iter().map(|&r| of(r as usize)).collect(),
            upper: Vec::new(),
        };
        s.find_upper();
        s
    }

    /// Number of individuals.
    pub fn n(&self) -> usize {
        self.n
    }

    fn row(&self, i: usize) -> std::ops::Range<usize> {
        self.offsets[i]..self.offsets[i + 1]
    }

    /// The entries of row `i` with a higher-numbered partner (each dyad once).
    fn upper(&self, i: usize) -> std::ops::Range<usize> {
        self.upper[i]..self.offsets[i + 1]
    }

    /// Doubled Landau scores, unknown and tied relationships, as
    /// [`Matrix::doubled_scores`].
    fn doubled_scores(&self) -> (Vec<i64>, usize, usize) {
        let n = self.n;
        let mut d = vec![n as i64 - 1; n];
        let (mut known, mut tied) = (0_usize, 0_usize);
        for i in 0..n {
            for e in self.upper(i) {
                let (a, b, j) = (self.won[e], self.lost[e], self.partner[e] as usize);
                if a > b {
                    d[i] += 1;
                    d[j] -= 1;
                } else if a < b {
                    d[i] -= 1;
                    d[j] += 1;
                } else if a > 0.0 {
                    tied += 1;
                } else {
                    continue;
                }
                known += 1;
            }
        }
        let pairs = n * n.saturating_sub(1) / 2;
        (d, pairs - known, tied)
    }

    /// `sum_{i<j} max` and `min` of the two entries, row-major as
    /// [`directional_consistency`] adds them.
    fn directional_consistency(&self) -> f64 {
        let (mut high, mut low) = (0.0_f64, 0.0_f64);
        for i in 0..self.n {
            for e in self.upper(i) {
                let (a, b) = (self.won[e], self.lost[e]);
                high += a.max(b);
                low += a.min(b);
            }
        }
        let total = high + low;
        if total > 0.0 {
            (high - low) / total
        } else {
            0.0
        }
    }

    /// David's scores on `index`, summed in the order of the dense
    /// `david_from_dyadic` (ascending partner), skipping its zero terms.
    fn david_scores(&self, index: DyadicIndex) -> Vec<f64> {
        let n = self.n;
        let dyadic = |a: f64, b: f64| {
            let total = a + b;
            if total > 0.0 {
                match index {
                    DyadicIndex::Proportion => a / total,
                    DyadicIndex::Dij => (a + 0.5) / (total + 1.0),
                }
            } else {
                0.0
            }
        };
        // p_ij and p_ji of each entry of row i.
        let p: Vec<(f64, f64)> = (0..self.partner.len())
            .map(|e| {
                (
                    dyadic(self.won[e], self.lost[e]),
                    dyadic(self.lost[e], self.won[e]),
                )
            })
            .collect();
        let mut w = vec![0.0; n];
        let mut l = vec![0.0; n];
        for i in 0..n {
            for e in self.row(i) {
                w[i] += p[e].0;
                l[i] += p[e].1;
            }
        }
        (0..n)
            .map(|i| {
                let (mut w2, mut l2) = (0.0, 0.0);
                for e in self.row(i) {
                    let j = self.partner[e] as usize;
                    w2 += p[e].0 * w[j];
                    l2 += p[e].1 * l[j];
                }
                w[i] + w2 - l[i] - l2
            })
            .collect()
    }

    /// The triad census of [`triad_census`]: each complete triad `i < j < k`
    /// found from its lowest member through the rows of `i` and `j`.
    pub fn triad_census(&self) -> TriadCensus {
        let n = self.n;
        // dir(i, x) for the partners x of the current i; 0 elsewhere.
        let mut dir_of_i = vec![0_i8; n];
        let dir = |a: f64, b: f64| -> i8 {
            if a > b {
                1
            } else if a < b {
                -1
            } else {
                0
            }
        };
        let d: Vec<i8> = self
            .won
            .iter()
            .zip(&self.lost)
            .map(|(&a, &b)| dir(a, b))
            .collect();
        let mut census = TriadCensus {
            transitive: 0,
            cyclic: 0,
        };
        for i in 0..n {
            for e in self.row(i) {
                dir_of_i[self.partner[e] as usize] = d[e];
            }
            for e in self.upper(i) {
                let a = d[e];
                if a == 0 {
                    continue;
                }
                let j = self.partner[e] as usize;
                for f in self.upper(j) {
                    // dir(k, i) = -dir(i, k).
                    census.add(a, d[f], -dir_of_i[self.partner[f] as usize]);
                }
            }
            for e in self.row(i) {
                dir_of_i[self.partner[e] as usize] = 0;
            }
        }
        census
    }

    /// Doubled Landau scores with every unknown relationship left out
    /// (known dominances 2 to the winner, ties 1 to each): the fixed part
    /// of de Vries' randomisations.
    fn known_scores(&self) -> Vec<i64> {
        let mut base = vec![0_i64; self.n];
        for i in 0..self.n {
            for e in self.upper(i) {
                let (a, b, j) = (self.won[e], self.lost[e], self.partner[e] as usize);
                if a > b {
                    base[i] += 2;
                } else if a < b {
                    base[j] += 2;
                } else if a > 0.0 {
                    base[i] += 1;
                    base[j] += 1;
                }
            }
        }
        base
    }

    /// The partners `j > i` of a known relationship with `i`, ascending.
    fn known_upper(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        self.upper(i)
            .filter(|&e| self.won[e] > 0.0 || self.lost[e] > 0.0)
            .map(|e| self.partner[e] as usize)
    }

    /// Right-tailed p-value of de Vries' (1995) randomisation test of
    /// linearity: the same value, bit for bit, as [`de_vries_p_value`] has
    /// always given for `seed` (one SplitMix64 stream: in each randomisation
    /// a coin per unknown dyad, row-major, then a coin per dyad of the
    /// random matrix), but each randomisation finds its place in that
    /// stream from its index (`SplitMix64::at`), so the
    /// randomisations run in parallel and the count of hits, an integer,
    /// does not depend on how they are shared. At 5000 agents and 1000
    /// randomisations (25 billion coins) a run's summary took 21 s on two
    /// threads instead of 111 s (BENCHMARKS.md).
    pub fn de_vries_p_value(&self, seed: u64, randomisations: usize) -> f64 {
        use rayon::prelude::*;
        if randomisations == 0 {
            return f64::NAN;
        }
        let n = self.n;
        let base = self.known_scores();
        let pairs = (n * n.saturating_sub(1) / 2) as u64;
        let known: u64 = (0..n).map(|i| self.known_upper(i).count() as u64).sum();
        let unknown = pairs - known;
        // Randomisation r draws unknown + pairs coins from this point.
        let start = |r: u64| r.wrapping_mul(unknown + pairs);
        let observed_sum = |rng: &mut SplitMix64, observed: &mut Vec<i64>| {
            observed.clone_from(&base);
            for i in 0..n {
                let mut known = self.known_upper(i).peekable();
                for j in (i + 1)..n {
                    if known.peek() == Some(&j) {
                        known.next();
                        continue;
                    }
                    let c = i64::from(rng.coin());
                    observed[i] += 2 * c;
                    observed[j] += 2 - 2 * c;
                }
            }
            landau_sum(observed)
        };
        let random_sum = |rng: &mut SplitMix64, random: &mut Vec<i64>| {
            random.clear();
            random.resize(n, 0);
            for i in 0..n {
                let mut wins = 0;
                for r in &mut random[i + 1..] {
                    let c = i64::from(rng.coin());
                    wins += 2 * c;
                    *r += 2 - 2 * c;
                }
                random[i] += wins;
            }
            landau_sum(random)
        };
        let hits: usize = (0..randomisations as u64)
            .into_par_iter()
            .map_init(
                || (Vec::new(), Vec::new()),
                |(observed, random), r| {
                    let mut rng = SplitMix64::at(seed, start(r));
                    let h0 = observed_sum(&mut rng, observed);
                    usize::from(random_sum(&mut rng, random) >= h0)
                },
            )
            .sum();
        hits as f64 / randomisations as f64
    }

    /// Every scalar measure of [`all`], from the sparse form.
    pub fn all(&self, seed: u64, randomisations: usize) -> HierarchyMetrics {
        let n = self.n;
        let (d, unknown, tied) = self.doubled_scores();
        let census = self.triad_census();
        let row = self.measures();
        // Row-major over the entries, as the dense matrix's total.
        // From +0.0, as the dense total (`Sum` of floats starts at -0.0).
        let total_interactions = self.won.iter().fold(0.0, |s, &x| s + x);
        HierarchyMetrics {
            n,
            total_interactions,
            unknown_relationships: unknown,
            tied_relationships: tied,
            landau_h: h_from_sum(landau_sum(&d), n),
            de_vries_h_prime: h_prime_from(&d, unknown, n),
            de_vries_p_value: self.de_vries_p_value(seed, randomisations),
            randomisations,
            steepness_proportions: row.steepness_proportions,
            steepness_dij: row.steepness_dij,
            transitive_triads: census.transitive,
            cyclic_triads: census.cyclic,
            triangle_transitivity: row.triangle_transitivity,
            directional_consistency: row.directional_consistency,
        }
    }

    /// The six hierarchy columns of a time-series row, bitwise equal to
    /// the dense functions' values on the same matrix.
    pub fn measures(&self) -> RowMeasures {
        let n = self.n;
        let (d, unknown, _) = self.doubled_scores();
        let steep = |index| slope_on_rank(normalise(self.david_scores(index)));
        RowMeasures {
            landau_h: h_from_sum(landau_sum(&d), n),
            h_prime: h_prime_from(&d, unknown, n),
            steepness_proportions: steep(DyadicIndex::Proportion),
            steepness_dij: steep(DyadicIndex::Dij),
            triangle_transitivity: self.triad_census().t_tri(),
            directional_consistency: self.directional_consistency(),
        }
    }
}

/// All scalar measures of one win matrix, as returned by [`all`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HierarchyMetrics {
    /// Number of individuals.
    pub n: usize,
    /// Sum of all off-diagonal entries.
    pub total_interactions: f64,
    /// Dyads with no interactions (`u` of de Vries 1995).
    pub unknown_relationships: usize,
    /// Dyads with equal, non-zero win counts.
    pub tied_relationships: usize,
    /// Landau's `h` (ties and unknowns 1/2 each), [`landau_h`].
    pub landau_h: f64,
    /// de Vries' `h'`, [`de_vries_h_prime`].
    pub de_vries_h_prime: f64,
    /// p-value of de Vries' randomisation test (NaN if not run), [`de_vries_p_value`].
    pub de_vries_p_value: f64,
    /// Number of randomisations behind `de_vries_p_value`.
    pub randomisations: usize,
    /// Steepness on proportions of wins `P_ij`, [`steepness`].
    pub steepness_proportions: f64,
    /// Steepness on chance-corrected `D_ij`, [`steepness`].
    pub steepness_dij: f64,
    /// Transitive complete triads, [`triad_census`].
    pub transitive_triads: u64,
    /// Cyclic complete triads, [`triad_census`].
    pub cyclic_triads: u64,
    /// Triangle transitivity `t_tri` (NaN with no complete triad), [`triangle_transitivity`].
    pub triangle_transitivity: f64,
    /// Directional consistency index, [`directional_consistency`].
    pub directional_consistency: f64,
}

/// Computes every scalar measure of the module for one win matrix; the
/// randomisation test uses `seed` and `randomisations` (0 skips it, giving
/// a NaN p-value). Identical to calling each function separately (all but
/// the test come from the matrix's [`SparseWins`]).
///
/// # Errors
/// [`HierarchyError`] if the matrix is not `n × n` or has an invalid entry.
pub fn all(
    wins: &[f64],
    n: usize,
    seed: u64,
    randomisations: usize,
) -> Result<HierarchyMetrics, HierarchyError> {
    Ok(SparseWins::from_dense(wins, n)?.all(seed, randomisations))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example matrix of de Vries, Stevens & Vervaecke (2006).
    fn de_vries_2006() -> (Vec<f64>, usize) {
        flatten_rows(&[
            vec![0.0, 6.0, 9.0, 8.0, 5.0],
            vec![0.0, 0.0, 4.0, 6.0, 0.0],
            vec![0.0, 2.0, 0.0, 4.0, 7.0],
            vec![1.0, 0.0, 5.0, 0.0, 3.0],
            vec![0.0, 0.0, 2.0, 3.0, 0.0],
        ])
        .unwrap()
    }

    /// `count` wins of i over j for every i < j.
    fn linear(n: usize, count: f64) -> Vec<f64> {
        let mut w = vec![0.0; n * n];
        for i in 0..n {
            for j in (i + 1)..n {
                w[i * n + j] = count;
            }
        }
        w
    }

    fn round_to(x: f64, decimals: i32) -> f64 {
        let s = 10_f64.powi(decimals);
        (x * s).round() / s
    }

    fn assert_close(actual: f64, expected: f64, tol: f64) {
        assert!(
            (actual - expected).abs() <= tol,
            "expected {expected} ± {tol}, got {actual}"
        );
    }

    #[test]
    fn the_de_vries_2006_example_has_steepness_0_6056_on_proportions() {
        let (w, n) = de_vries_2006();
        let s = steepness(&w, n, DyadicIndex::Proportion).unwrap();
        assert_eq!(round_to(s, 4), 0.6056, "got {s}");
    }

    #[test]
    fn the_de_vries_2006_example_has_steepness_0_5262_on_dij() {
        let (w, n) = de_vries_2006();
        let s = steepness(&w, n, DyadicIndex::Dij).unwrap();
        assert_eq!(round_to(s, 4), 0.5262, "got {s}");
    }

    #[test]
    fn the_de_vries_2006_example_has_the_published_normalised_david_scores() {
        let (w, n) = de_vries_2006();
        let ds = normalised_david_scores(&w, n, DyadicIndex::Proportion).unwrap();
        let rounded: Vec<f64> = ds.iter().map(|&x| round_to(x, 3)).collect();
        assert_eq!(
            rounded,
            vec![3.689, 2.322, 1.533, 1.267, 1.189],
            "got {ds:?}"
        );
    }

    #[test]
    fn the_de_vries_2006_example_has_hand_computed_h_0_65_and_h_prime_0_70() {
        // V = (4, 2.5, 1, 1.5, 1): B-E unknown, D-E tied (3:3), D beats C 5:4.
        // sum (V - 2)^2 = 6.5, h = 12/120 * 6.5 = 0.65; u = 1 adds 6/120.
        let (w, n) = de_vries_2006();
        assert_close(landau_h(&w, n).unwrap(), 0.65, 1e-12);
        assert_close(de_vries_h_prime(&w, n).unwrap(), 0.70, 1e-12);
        let metrics = all(&w, n, 1, 0).unwrap();
        assert_eq!(metrics.unknown_relationships, 1);
        assert_eq!(metrics.tied_relationships, 1);
        assert_eq!(metrics.total_interactions, 65.0);
    }

    #[test]
    fn the_de_vries_2006_example_has_five_transitive_triads_and_dci_41_over_65() {
        // H = 53 and L = 12 over the ten dyads.
        let (w, n) = de_vries_2006();
        let census = triad_census(&w, n).unwrap();
        assert_eq!(
            census,
            TriadCensus {
                transitive: 5,
                cyclic: 0
            }
        );
        assert_eq!(triangle_transitivity(&w, n).unwrap(), 1.0);
        assert_close(directional_consistency(&w, n).unwrap(), 41.0 / 65.0, 1e-15);
    }

    #[test]
    fn dij_of_a_single_win_is_three_quarters_and_of_a_single_loss_one_quarter() {
        let w = [0.0, 1.0, 0.0, 0.0];
        let d = dyadic_dominance_matrix(&w, 2, DyadicIndex::Dij).unwrap();
        assert_eq!(d, vec![0.0, 0.75, 0.25, 0.0]);
        let p = dyadic_dominance_matrix(&w, 2, DyadicIndex::Proportion).unwrap();
        assert_eq!(p, vec![0.0, 1.0, 0.0, 0.0]);
    }

    #[test]
    fn david_scores_sum_to_zero_and_normalised_scores_to_n_choose_2() {
        let (w, n) = de_vries_2006();
        for index in [DyadicIndex::Proportion, DyadicIndex::Dij] {
            let ds = david_scores(&w, n, index).unwrap();
            assert_close(ds.iter().sum::<f64>(), 0.0, 1e-12);
            let norm = normalised_david_scores(&w, n, index).unwrap();
            assert_close(norm.iter().sum::<f64>(), 10.0, 1e-12);
        }
    }

    #[test]
    fn linear_hierarchies_of_five_and_ten_are_perfectly_linear_transitive_and_consistent() {
        for n in [5, 10] {
            let w = linear(n, 2.0);
            let m = all(&w, n, 7, 100).unwrap();
            assert_eq!(m.landau_h, 1.0, "n = {n}");
            assert_eq!(m.de_vries_h_prime, 1.0, "n = {n}");
            assert_eq!(m.triangle_transitivity, 1.0, "n = {n}");
            assert_eq!(m.directional_consistency, 1.0, "n = {n}");
            let triads = (n * (n - 1) * (n - 2) / 6) as u64;
            assert_eq!((m.transitive_triads, m.cyclic_triads), (triads, 0));
        }
    }

    #[test]
    fn a_linear_hierarchy_on_proportions_has_steepness_one() {
        // P in {0, 1}: NormDS are n-1, n-2, ..., 0, a slope of exactly 1.
        let w = linear(6, 3.0);
        assert_close(
            steepness(&w, 6, DyadicIndex::Proportion).unwrap(),
            1.0,
            1e-12,
        );
        // D_ij = 3.5/4 shrinks the scores towards the middle.
        assert!(steepness(&w, 6, DyadicIndex::Dij).unwrap() < 0.9);
    }

    #[test]
    fn a_matrix_of_equal_wins_has_zero_dci_and_zero_h() {
        // Every dyad tied 3:3, so V_i = (n - 1)/2 for all i and h = 0; no
        // dyad is unknown so h' = h. Every David's score is 0: steepness 0.
        let n = 6;
        let mut w = vec![3.0; n * n];
        for i in 0..n {
            w[i * n + i] = 0.0;
        }
        let m = all(&w, n, 3, 200).unwrap();
        assert_eq!(m.directional_consistency, 0.0);
        assert_eq!(m.landau_h, 0.0);
        assert_eq!(m.de_vries_h_prime, 0.0);
        assert_eq!(m.tied_relationships, 15);
        assert_eq!(m.steepness_proportions, 0.0);
        assert!(m.triangle_transitivity.is_nan());
    }

    #[test]
    fn a_cyclic_triad_has_no_transitive_triads_and_t_tri_minus_three() {
        // a beats b, b beats c, c beats a.
        let w = [0.0, 1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0];
        let census = triad_census(&w, 3).unwrap();
        assert_eq!(
            census,
            TriadCensus {
                transitive: 0,
                cyclic: 1
            }
        );
        assert_eq!(census.proportion_transitive(), 0.0);
        assert_eq!(triangle_transitivity(&w, 3).unwrap(), -3.0);
        assert_eq!(landau_h(&w, 3).unwrap(), 0.0);
    }

    #[test]
    fn an_unknown_dyad_adds_six_u_over_n_cubed_minus_n_to_h() {
        // Linear order of 4 with dyad {0, 1} never observed:
        // V = (2.5, 2.5, 1, 0), sum (V - 1.5)^2 = 4.5, h = 12/60 * 4.5 = 0.9,
        // h' = 0.9 + 6 * 1 / 60 = 1.0 (either resolution is linear).
        let mut w = linear(4, 1.0);
        w[1] = 0.0;
        assert_close(landau_h(&w, 4).unwrap(), 0.9, 1e-15);
        assert_close(de_vries_h_prime(&w, 4).unwrap(), 1.0, 1e-15);
    }

    #[test]
    fn a_matrix_without_interactions_has_h_prime_equal_to_the_random_expectation() {
        // u = n(n-1)/2 gives h' = 3/(n+1), Landau's E[h] for random orientation.
        for n in 2..9 {
            let w = vec![0.0; n * n];
            assert_eq!(landau_h(&w, n).unwrap(), 0.0);
            assert_close(
                de_vries_h_prime(&w, n).unwrap(),
                3.0 / (n as f64 + 1.0),
                1e-15,
            );
        }
    }

    /// The randomisation test as first written: one sequential stream, a
    /// coin per unknown dyad and then per dyad of the random matrix.
    fn sequential_p_value(wins: &[f64], n: usize, seed: u64, randomisations: usize) -> f64 {
        let m = Matrix::new(wins, n).unwrap();
        let mut base = vec![0_i64; n];
        let mut unknown = Vec::new();
        for i in 0..n {
            for j in (i + 1)..n {
                match m.relation(i, j) {
                    Relation::Dominates => base[i] += 2,
                    Relation::Subordinate => base[j] += 2,
                    Relation::Tied => {
                        base[i] += 1;
                        base[j] += 1;
                    }
                    Relation::Unknown => unknown.push((i, j)),
                }
            }
        }
        let mut rng = SplitMix64(seed);
        let mut hits = 0_usize;
        for _ in 0..randomisations {
            let mut observed = base.clone();
            for &(i, j) in &unknown {
                if rng.coin() {
                    observed[i] += 2;
                } else {
                    observed[j] += 2;
                }
            }
            let mut random = vec![0_i64; n];
            for i in 0..n {
                for j in (i + 1)..n {
                    if rng.coin() {
                        random[i] += 2;
                    } else {
                        random[j] += 2;
                    }
                }
            }
            if landau_sum(&random) >= landau_sum(&observed) {
                hits += 1;
            }
        }
        hits as f64 / randomisations as f64
    }

    #[test]
    fn the_parallel_p_value_is_the_sequential_streams_bit_for_bit() {
        let mut rng = SplitMix64(99);
        for case in 0..60 {
            let n = [2, 3, 5, 9, 16][case % 5];
            let w = random_sparse(&mut rng, n, [0.1, 0.5, 1.0][case % 3], case % 2 == 0);
            let seed = rng.next_u64();
            let r = [1, 7, 200][case % 3];
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(2)
                .build()
                .unwrap();
            let parallel = pool.install(|| de_vries_p_value(&w, n, seed, r).unwrap());
            assert_eq!(
                parallel.to_bits(),
                sequential_p_value(&w, n, seed, r).to_bits(),
                "case {case}"
            );
        }
        // A p-value strictly between 0 and 1 (not one every stream would give).
        let (w, n) = de_vries_2006();
        let p = de_vries_p_value(&w, n, 2024, 3000).unwrap();
        assert_eq!(p.to_bits(), sequential_p_value(&w, n, 2024, 3000).to_bits());
        assert!(p > 0.0 && p < 1.0);
    }

    #[test]
    fn the_p_value_of_a_linear_hierarchy_of_eight_is_below_0_05() {
        // P(random tournament of 8 is linear) = 8!/2^28 ≈ 1.5e-4.
        let p = de_vries_p_value(&linear(8, 1.0), 8, 42, 2000).unwrap();
        assert!(p < 0.05, "p = {p}");
    }

    #[test]
    fn the_p_value_of_a_linear_triad_is_the_share_of_transitive_random_triads() {
        // A random triad is linear with probability 6/8, so p → 0.75.
        let p = de_vries_p_value(&linear(3, 1.0), 3, 9, 20_000).unwrap();
        assert_close(p, 0.75, 0.015);
    }

    #[test]
    fn the_p_value_of_an_all_ties_matrix_is_one() {
        let n = 5;
        let mut w = vec![2.0; n * n];
        for i in 0..n {
            w[i * n + i] = 0.0;
        }
        assert_eq!(de_vries_p_value(&w, n, 11, 500).unwrap(), 1.0);
    }

    #[test]
    fn the_same_seed_gives_the_same_p_value() {
        let (w, n) = de_vries_2006();
        let p1 = de_vries_p_value(&w, n, 2024, 3000).unwrap();
        let p2 = de_vries_p_value(&w, n, 2024, 3000).unwrap();
        assert_eq!(p1.to_bits(), p2.to_bits());
        // h' = 0.70 for n = 5; P(random h >= 0.7) is well above 0.05.
        assert!(p1 > 0.05 && p1 < 0.6, "p = {p1}");
        assert_eq!(all(&w, n, 2024, 3000).unwrap().de_vries_p_value, p1);
    }

    #[test]
    fn zero_randomisations_give_a_nan_p_value() {
        let (w, n) = de_vries_2006();
        assert!(de_vries_p_value(&w, n, 1, 0).unwrap().is_nan());
    }

    #[test]
    fn empty_and_single_individual_matrices_give_neutral_values() {
        for n in [0, 1] {
            let w = vec![0.0; n * n];
            let m = all(&w, n, 5, 10).unwrap();
            assert_eq!(m.landau_h, 0.0);
            assert_eq!(m.de_vries_h_prime, 0.0);
            assert_eq!(m.de_vries_p_value, 1.0);
            assert_eq!(m.steepness_proportions, 0.0);
            assert_eq!(m.steepness_dij, 0.0);
            assert!(m.triangle_transitivity.is_nan());
            assert_eq!(m.directional_consistency, 0.0);
            assert_eq!(david_scores(&w, n, DyadicIndex::Dij).unwrap(), vec![0.0; n]);
        }
    }

    #[test]
    fn two_individuals_follow_the_formulas() {
        // One win: h = 12/6 * (0.25 + 0.25) = 1; NormDS (1, 0) -> steepness 1.
        let won = [0.0, 4.0, 0.0, 0.0];
        let m = all(&won, 2, 5, 10).unwrap();
        assert_eq!((m.landau_h, m.de_vries_h_prime), (1.0, 1.0));
        assert_eq!(m.steepness_proportions, 1.0);
        assert_close(m.steepness_dij, 2.0 * 4.5 / 5.0 - 1.0, 1e-15);
        assert_eq!(m.directional_consistency, 1.0);
        // No interaction: h = 0 and the unknown dyad gives h' = 6/6 = 1.
        let none = [0.0; 4];
        let m = all(&none, 2, 5, 10).unwrap();
        assert_eq!((m.landau_h, m.de_vries_h_prime), (0.0, 1.0));
        assert_eq!(m.steepness_proportions, 0.0);
        assert_eq!(m.directional_consistency, 0.0);
    }

    #[test]
    fn an_all_zero_matrix_gives_defined_values() {
        let n = 5;
        let w = vec![0.0; n * n];
        let m = all(&w, n, 5, 100).unwrap();
        assert_eq!(m.landau_h, 0.0);
        assert_close(m.de_vries_h_prime, 0.5, 1e-15);
        assert_eq!(m.unknown_relationships, 10);
        assert_eq!(m.steepness_proportions, 0.0);
        assert_eq!(m.steepness_dij, 0.0);
        assert_eq!(m.directional_consistency, 0.0);
        assert!(m.triangle_transitivity.is_nan());
        // Identical observed and random distributions: p is about 1/2 or more.
        assert!(m.de_vries_p_value > 0.4 && m.de_vries_p_value <= 1.0);
        let norm = normalised_david_scores(&w, n, DyadicIndex::Proportion).unwrap();
        assert_eq!(norm, vec![2.0; n]);
    }

    #[test]
    fn non_square_and_invalid_matrices_are_errors() {
        let err = landau_h(&[0.0; 5], 2).unwrap_err();
        assert_eq!(err, HierarchyError::DimensionMismatch { len: 5, n: 2 });
        assert!(all(&[0.0; 4], usize::MAX, 0, 0).is_err());
        let bad = [0.0, -1.0, 0.0, 0.0];
        assert!(matches!(
            steepness(&bad, 2, DyadicIndex::Dij),
            Err(HierarchyError::InvalidEntry { row: 0, col: 1, .. })
        ));
        assert!(directional_consistency(&[0.0, f64::NAN, 0.0, 0.0], 2).is_err());
        assert!(triad_census(&[0.0, f64::INFINITY, 0.0, 0.0], 2).is_err());
        let huge = [0.0, f64::MAX, f64::MAX, 0.0];
        assert_eq!(all(&huge, 2, 0, 1), Err(HierarchyError::TotalOverflow));
        let ragged = flatten_rows(&[vec![0.0, 1.0], vec![0.0]]);
        assert!(matches!(
            ragged,
            Err(HierarchyError::RaggedRow { row: 1, .. })
        ));
        assert!(!err.to_string().is_empty());
    }

    #[test]
    fn the_diagonal_is_ignored() {
        let (mut w, n) = de_vries_2006();
        let before = all(&w, n, 3, 50).unwrap();
        for i in 0..n {
            w[i * n + i] = if i % 2 == 0 { f64::NAN } else { 1e9 };
        }
        assert_eq!(all(&w, n, 3, 50).unwrap(), before);
    }

    #[test]
    fn relabelling_individuals_leaves_every_scalar_measure_unchanged() {
        let (w, n) = de_vries_2006();
        let perm = [3, 0, 4, 1, 2];
        let mut p = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                p[perm[i] * n + perm[j]] = w[i * n + j];
            }
        }
        let (a, b) = (all(&w, n, 1, 0).unwrap(), all(&p, n, 1, 0).unwrap());
        assert_eq!(a.landau_h, b.landau_h);
        assert_eq!(a.de_vries_h_prime, b.de_vries_h_prime);
        assert_close(a.steepness_proportions, b.steepness_proportions, 1e-12);
        assert_close(a.steepness_dij, b.steepness_dij, 1e-12);
        assert_eq!(a.triangle_transitivity, b.triangle_transitivity);
        assert_close(a.directional_consistency, b.directional_consistency, 1e-15);
    }

    /// A random sparse win matrix: each pair met with probability
    /// `density`; wins are small integers or, with `fractional`, any
    /// non-negative values, with some ties and some pairs that met but
    /// where nobody won (both 0).
    fn random_sparse(rng: &mut SplitMix64, n: usize, density: f64, fractional: bool) -> Vec<f64> {
        let mut w = vec![0.0; n * n];
        let draw = |rng: &mut SplitMix64| {
            let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
            if fractional {
                u * 7.0
            } else {
                (u * 5.0).floor()
            }
        };
        for i in 0..n {
            for j in (i + 1)..n {
                let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
                if u < density {
                    let a = draw(rng);
                    let b = if rng.next_u64().is_multiple_of(5) {
                        a
                    } else {
                        draw(rng)
                    };
                    w[i * n + j] = a;
                    w[j * n + i] = b;
                }
            }
        }
        w
    }

    #[test]
    fn the_sparse_measures_are_the_dense_functions_bit_for_bit() {
        let mut rng = SplitMix64(7);
        let bits = |x: f64| x.to_bits();
        for case in 0..300 {
            let n = [0, 1, 2, 3, 5, 12, 40][case % 7];
            let density = [0.05, 0.2, 0.6, 1.0][case % 4];
            let w = random_sparse(&mut rng, n, density, case % 3 == 0);
            let s = SparseWins::from_dense(&w, n).unwrap();
            assert_eq!(s.n(), n);
            let m = s.measures();
            let same = |sparse: f64, dense: f64, what: &str| {
                assert!(
                    bits(sparse) == bits(dense) || (sparse.is_nan() && dense.is_nan()),
                    "case {case} (n {n}): {what}: sparse {sparse}, dense {dense}"
                )
            };
            same(m.landau_h, landau_h(&w, n).unwrap(), "landau_h");
            same(m.h_prime, de_vries_h_prime(&w, n).unwrap(), "h'");
            same(
                m.steepness_proportions,
                steepness(&w, n, DyadicIndex::Proportion).unwrap(),
                "steepness",
            );
            same(
                m.steepness_dij,
                steepness(&w, n, DyadicIndex::Dij).unwrap(),
                "steepness dij",
            );
            same(
                m.triangle_transitivity,
                triangle_transitivity(&w, n).unwrap(),
                "t_tri",
            );
            same(
                m.directional_consistency,
                directional_consistency(&w, n).unwrap(),
                "dci",
            );
            assert_eq!(
                s.triad_census(),
                triad_census(&w, n).unwrap(),
                "case {case}"
            );
            let dense = Matrix::new(&w, n).unwrap().doubled_scores();
            assert_eq!(s.doubled_scores(), dense, "case {case}");
        }
    }

    #[test]
    fn the_sparse_form_of_a_network_reads_each_half_and_its_reverse() {
        // A path 0 - 1 - 2: 0 beat 1 three times, 1 beat 0 once, 2 beat 1 twice.
        let offsets = [0, 1, 3, 4];
        let targets = [1, 0, 2, 1];
        let reverse = [1, 0, 3, 2];
        let wins = [3, 1, 0, 2];
        let s = SparseWins::from_halves(&offsets, &targets, &reverse, &wins);
        let dense = [0.0, 3.0, 0.0, 1.0, 0.0, 0.0, 0.0, 2.0, 0.0];
        assert_eq!(s, SparseWins::from_dense(&dense, 3).unwrap());
        // Without kept wins every dyad is unknown.
        let none = SparseWins::from_halves(&offsets, &targets, &reverse, &[]);
        assert_eq!(none.measures().landau_h, landau_h(&[0.0; 9], 3).unwrap());
    }

    #[test]
    fn a_group_without_interactions_has_a_total_of_plus_zero() {
        for n in [0, 1, 2, 4] {
            let m = all(&vec![0.0; n * n], n, 1, 0).unwrap();
            assert_eq!(m.total_interactions.to_bits(), 0.0f64.to_bits(), "n = {n}");
        }
    }

    #[test]
    fn hierarchy_metrics_is_serializable() {
        fn assert_serialize<T: Serialize>(_: &T) {}
        let (w, n) = de_vries_2006();
        assert_serialize(&all(&w, n, 1, 10).unwrap());
    }
}
