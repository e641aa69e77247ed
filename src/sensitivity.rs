//! Designs for sampling parameter spaces, and global sensitivity indices.
//!
//! Everything here is plain `std`, deterministic (the same inputs give
//! bit-identical outputs) and sums in a fixed order.
//!
//! ## Designs
//!
//! - [`sobol`]: the Sobol' low-discrepancy sequence (Sobol' 1967) in up to
//!   [`SOBOL_MAX_DIM`] dimensions, with the direction numbers of Joe & Kuo
//!   (2008), file `new-joe-kuo-6.21201` (its first 21 dimensions, embedded
//!   below), generated in Gray-code order (Antonov & Saleev 1979; Bratley &
//!   Fox 1988) with 32-bit integers. The all-zero first point is **skipped**:
//!   point `i` of the result is point `i + 1` of the unscrambled sequence as
//!   given by e.g. `scipy.stats.qmc.Sobol(d, scramble=False)`, so 2-D starts
//!   (0.5, 0.5), (0.75, 0.25), (0.25, 0.75), (0.375, 0.375), ...
//! - [`latin_hypercube`]: a Latin hypercube sample (McKay, Beckman & Conover
//!   1979): each dimension is cut into `n` equal strata, a random permutation
//!   assigns one stratum to each point, and the point is uniform within it.
//!   Randomness is an inline SplitMix64 (Steele, Lea & Flood 2014) from the seed.
//! - [`saltelli`]: Saltelli's cross-sampling (Saltelli 2002; Saltelli et al.
//!   2010). Row `i` of a `2d`-dimensional Sobol' sequence is split into
//!   `A_i` (its first `d` coordinates) and `B_i` (its last `d`); `AB_i^(j)` is
//!   `A_i` with coordinate `j` taken from `B_i`. The points come in SALib's
//!   order for `calc_second_order=False`: for each row `i`,
//!   `A_i, AB_i^(1), ..., AB_i^(d), B_i` — `n * (d + 2)` points in all, the
//!   rows taken after skipping the first `2^ceil(log2 n)` points of the
//!   sequence (identical to SALib's with `scramble=False,
//!   skip_values=2^ceil(log2 n)`).
//!
//! ## Indices
//!
//! [`sobol_indices`] computes, as SALib's `sobol.analyze` with
//! `calc_second_order=False` does, the first-order index of Saltelli et al.
//! (2010, table 2 (b))
//! `S_j = mean(f(B) (f(AB^(j)) - f(A))) / V`
//! and the total index of Jansen (1999)
//! `T_j = mean((f(A) - f(AB^(j)))^2) / (2 V)`,
//! where `V` is the (population) variance of the `f(A)` and `f(B)` outputs
//! together. Like SALib, the outputs are first standardised by the mean and
//! standard deviation of all of `y`; the indices are scale-free, but the
//! centring changes the finite-sample first-order estimate.
//!
//! ## Sources
//!
//! - Antonov, I. A. & Saleev, V. M. (1979). An economic method of computing
//!   LP_tau-sequences. USSR Comput. Math. Math. Phys. 19(1), 252–256.
//! - Bratley, P. & Fox, B. L. (1988). Algorithm 659: Implementing Sobol's
//!   quasirandom sequence generator. ACM TOMS 14(1), 88–100.
//! - Jansen, M. J. W. (1999). Analysis of variance designs for model output.
//!   Comput. Phys. Commun. 117, 35–43.
//! - Joe, S. & Kuo, F. Y. (2008). Constructing Sobol sequences with better
//!   two-dimensional projections. SIAM J. Sci. Comput. 30(5), 2635–2654.
//! - McKay, M. D., Beckman, R. J. & Conover, W. J. (1979). A comparison of
//!   three methods for selecting values of input variables in the analysis of
//!   output from a computer code. Technometrics 21(2), 239–245.
//! - Saltelli, A. (2002). Making best use of model evaluations to compute
//!   sensitivity indices. Comput. Phys. Commun. 145, 280–297.
//! - Saltelli, A., Annoni, P., Azzini, I., Campolongo, F., Ratto, M. &
//!   Tarantola, S. (2010). Variance based sensitivity analysis of model
//!   output. Comput. Phys. Commun. 181, 259–270.
//! - Herman, J. & Usher, W. (2017). SALib: an open-source Python library for
//!   sensitivity analysis. J. Open Source Softw. 2(9), 97.
//!
//! ```
//! use powerdyn::sensitivity::{saltelli, sobol_indices};
//!
//! // y = x0 + 2 x1 on [0,1)^2: S = T = (0.2, 0.8).
//! let d = 2;
//! let points = saltelli(1024, d).unwrap();
//! let y: Vec<f64> = points.iter().map(|p| p[0] + 2.0 * p[1]).collect();
//! let s = sobol_indices(&y, d).unwrap();
//! assert!((s.first[1] - 0.8).abs() < 0.02 && (s.total[0] - 0.2).abs() < 0.02);
//! ```

/// The largest dimension [`sobol`] supports (the embedded direction numbers).
pub const SOBOL_MAX_DIM: usize = 21;

/// Bits of the integer Sobol' state; at most `2^BITS - 1` points.
const BITS: usize = 32;

/// Joe & Kuo (2008), `new-joe-kuo-6.21201`, dimensions 2..=21:
/// `(s, a, m_1..m_s)`: the degree `s` of the primitive polynomial, its inner
/// coefficients `a` as bits, and the initial direction integers. Dimension 1
/// is van der Corput (all `m_k = 1`).
const JOE_KUO: [(usize, u32, &[u32]); SOBOL_MAX_DIM - 1] = [
    (1, 0, &[1]),
    (2, 1, &[1, 3]),
    (3, 1, &[1, 3, 1]),
    (3, 2, &[1, 1, 1]),
    (4, 1, &[1, 1, 3, 3]),
    (4, 4, &[1, 3, 5, 13]),
    (5, 2, &[1, 1, 5, 5, 17]),
    (5, 4, &[1, 1, 5, 5, 5]),
    (5, 7, &[1, 1, 7, 11, 19]),
    (5, 11, &[1, 1, 5, 1, 1]),
    (5, 13, &[1, 1, 1, 3, 11]),
    (5, 14, &[1, 3, 5, 5, 31]),
    (6, 1, &[1, 3, 3, 9, 7, 49]),
    (6, 13, &[1, 1, 1, 15, 21, 21]),
    (6, 16, &[1, 3, 1, 13, 27, 49]),
    (6, 19, &[1, 1, 1, 15, 7, 5]),
    (6, 22, &[1, 3, 1, 15, 13, 25]),
    (6, 25, &[1, 1, 5, 5, 19, 61]),
    (7, 1, &[1, 3, 7, 11, 23, 15, 103]),
    (7, 4, &[1, 3, 7, 13, 13, 15, 69]),
];

/// The direction integers `v_1..v_32` (as `v[0..32]`, scaled by `2^32`) of
/// dimension `dim` (0-based), by the recurrence of Bratley & Fox (1988).
fn directions(dim: usize) -> [u32; BITS] {
    let mut v = [0u32; BITS];
    if dim == 0 {
        for (k, vk) in v.iter_mut().enumerate() {
            *vk = 1u32 << (BITS - 1 - k);
        }
        return v;
    }
    let (s, a, m) = JOE_KUO[dim - 1];
    for k in 0..s {
        v[k] = m[k] << (BITS - 1 - k);
    }
    for k in s..BITS {
        let mut x = v[k - s] ^ (v[k - s] >> s);
        for j in 1..s {
            if (a >> (s - 1 - j)) & 1 == 1 {
                x ^= v[k - j];
            }
        }
        v[k] = x;
    }
    v
}

/// `n` points of the Sobol' sequence in `[0,1)^d`, `1 <= d <=`
/// [`SOBOL_MAX_DIM`], with the Joe & Kuo (2008) direction numbers in
/// Gray-code order. The first point of the sequence, `(0, ..., 0)`, is
/// skipped: the result starts at `(0.5, ..., 0.5)`. Each point's coordinates
/// are exact multiples of `2^-32`.
///
/// Errors if `d` is 0 or above [`SOBOL_MAX_DIM`], or `n >= 2^32`.
pub fn sobol(n: usize, d: usize) -> Result<Vec<Vec<f64>>, String> {
    sobol_from(1, n, d)
}

/// `n` points of the Sobol' sequence in `[0,1)^d` from point `skip` on
/// (point 0 is the origin): points `skip, ..., skip + n - 1` in Gray-code
/// order, as `scipy.stats.qmc.Sobol(d, scramble=False)` gives them after
/// `fast_forward(skip)`. [`sobol`] is `sobol_from(1, n, d)`.
///
/// Errors as [`sobol`] does, or if `skip + n > 2^32` (the last point is
/// `2^32 - 1`).
pub fn sobol_from(skip: usize, n: usize, d: usize) -> Result<Vec<Vec<f64>>, String> {
    if d == 0 {
        return Err("sobol: dimension must be at least 1".to_string());
    }
    if d > SOBOL_MAX_DIM {
        return Err(format!(
            "sobol: dimension {d} exceeds the supported maximum {SOBOL_MAX_DIM}"
        ));
    }
    let end = skip as u64 + n as u64;
    if end > 1u64 << BITS {
        return Err(format!(
            "sobol: points {skip} to {} exceed 2^{BITS} - 1",
            end.saturating_sub(1)
        ));
    }
    let v: Vec<[u32; BITS]> = (0..d).map(directions).collect();
    let scale = 1.0 / (1u64 << BITS) as f64;
    // Point k is the XOR of the direction numbers of the bits of k's Gray
    // code; point k + 1 differs from point k in the direction of the lowest
    // zero bit of k.
    let first = skip as u64;
    let gray = first ^ (first >> 1);
    let mut x: Vec<u32> = v
        .iter()
        .map(|vj| {
            (0..BITS)
                .filter(|&b| gray >> b & 1 == 1)
                .fold(0, |acc, b| acc ^ vj[b])
        })
        .collect();
    let mut out = Vec::with_capacity(n);
    for i in first..end {
        if i > first {
            let c = (i - 1).trailing_ones() as usize;
            for (xj, vj) in x.iter_mut().zip(&v) {
                *xj ^= vj[c];
            }
        }
        out.push(x.iter().map(|&xj| f64::from(xj) * scale).collect());
    }
    Ok(out)
}

/// SplitMix64 (Steele, Lea & Flood 2014): a tiny, fully specified generator.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)` with 53 random bits.
    fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `0..bound` (`bound >= 1`), by Lemire's multiply-shift with
    /// rejection, so without modulo bias.
    fn below(&mut self, bound: u64) -> u64 {
        let threshold = bound.wrapping_neg() % bound;
        loop {
            let m = u128::from(self.next_u64()) * u128::from(bound);
            if (m as u64) >= threshold {
                return (m >> 64) as u64;
            }
        }
    }
}

/// A Latin hypercube sample (McKay, Beckman & Conover 1979) of `n` points in
/// `[0,1)^d` from `seed`: in every dimension, each of the `n` strata
/// `[k/n, (k+1)/n)` holds exactly one point, placed uniformly within it.
///
/// The draws come from an inline SplitMix64 seeded with `seed`, dimension by
/// dimension: a Fisher–Yates shuffle of the strata, then one jitter per point.
/// The same `(n, d, seed)` always gives the same design.
pub fn latin_hypercube(n: usize, d: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut rng = SplitMix64(seed);
    let mut out = vec![vec![0.0; d]; n];
    let nf = n as f64;
    for j in 0..d {
        let mut perm: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            let k = rng.below(i as u64 + 1) as usize;
            perm.swap(i, k);
        }
        for (row, &k) in out.iter_mut().zip(&perm) {
            let mut x = (k as f64 + rng.next_f64()) / nf;
            // Rounding can push a point onto the upper edge of its stratum.
            while x > 0.0 && (x * nf).floor() as usize > k {
                x = f64::from_bits(x.to_bits() - 1);
            }
            row[j] = x;
        }
    }
    out
}

/// Saltelli (2002; Saltelli et al. 2010) cross-sampling for first-order and
/// total indices: `n * (d + 2)` points in `[0,1)^d`, `1 <= d <= 10`.
///
/// Row `i` of [`sobol_from`]`(m, n, 2 d)`, `m` the least power of two at
/// least `n` and 2 (so the first `m` points of the sequence are skipped, as
/// SALib's documentation advises: `skip_values` a power of two, at least
/// `n`), gives `A_i` = its first `d` coordinates and `B_i` = its last `d`;
/// `AB_i^(j)` is `A_i` with coordinate `j` replaced by `B_i`'s. The order is
/// SALib's (`sobol.sample` with `calc_second_order=False`): for each `i` in
/// turn, `A_i, AB_i^(1), ..., AB_i^(d), B_i`. Feed the model outputs, in the
/// same order, to [`sobol_indices`]. The result equals SALib 1.6's
/// `sobol.sample(problem, n, calc_second_order=False, scramble=False,
/// skip_values=m)` on the unit cube (SALib's default scrambles instead);
/// use `n` a power of two. Skipping only the origin, the first row has
/// `A = B` and coordinates of `A` and `B` coincide often in the early rows
/// (17 of 192 at `n = 64, d = 3`; 12 with the skip), each such `AB` row a
/// repeat of `A`.
///
/// Errors if `d` is 0 or `2 d` exceeds [`SOBOL_MAX_DIM`].
pub fn saltelli(n: usize, d: usize) -> Result<Vec<Vec<f64>>, String> {
    if d == 0 {
        return Err("saltelli: dimension must be at least 1".to_string());
    }
    if 2 * d > SOBOL_MAX_DIM {
        return Err(format!(
            "saltelli: dimension {d} needs a {}-dimensional Sobol' sequence, above the maximum {SOBOL_MAX_DIM}",
            2 * d
        ));
    }
    // (At least 2: after the origin alone, point 1 has A = B.)
    let base = sobol_from(n.next_power_of_two().max(2), n, 2 * d)?;
    let mut out = Vec::with_capacity(n * (d + 2));
    for row in &base {
        let (a, b) = row.split_at(d);
        out.push(a.to_vec());
        for j in 0..d {
            let mut ab = a.to_vec();
            ab[j] = b[j];
            out.push(ab);
        }
        out.push(b.to_vec());
    }
    Ok(out)
}

/// Sobol' sensitivity indices, one entry per parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct Indices {
    /// First-order (main-effect) indices `S_j`.
    pub first: Vec<f64>,
    /// Total-effect indices `T_j`.
    pub total: Vec<f64>,
}

/// First-order (Saltelli et al. 2010 estimator) and total (Jansen 1999
/// estimator) indices from model outputs `y` evaluated, in order, on the
/// points of [`saltelli`]`(n, d)` (so `y.len() == n * (d + 2)`), as SALib's
/// `sobol.analyze` with `calc_second_order=False` computes them (without its
/// bootstrap confidence intervals).
///
/// Errors if `d` is 0, `y` is empty or its length is not a multiple of
/// `d + 2`, any output is not finite, or the outputs have zero variance
/// (or a spread below 10^-12 of their largest magnitude: rounding).
pub fn sobol_indices(y: &[f64], d: usize) -> Result<Indices, String> {
    if d == 0 {
        return Err("sobol_indices: dimension must be at least 1".to_string());
    }
    let step = d + 2;
    if y.is_empty() || !y.len().is_multiple_of(step) {
        return Err(format!(
            "sobol_indices: {} outputs is not a positive multiple of d + 2 = {step}",
            y.len()
        ));
    }
    if let Some(i) = y.iter().position(|v| !v.is_finite()) {
        return Err(format!("sobol_indices: output {i} is not finite"));
    }
    let z = standardised(y)?;
    let n = y.len() / step;
    let rows: Vec<usize> = (0..n).collect();
    indices_over(&z, d, &rows)
}

/// `y` standardised as SALib does, `(y - mean) / sd` over all outputs, or
/// an error when the outputs have no variance beyond rounding.
fn standardised(y: &[f64]) -> Result<Vec<f64>, String> {
    let len = y.len() as f64;
    let mean = y.iter().sum::<f64>() / len;
    let sd = (y.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / len).sqrt();
    // Outputs that differ by rounding only (a metric that is constant but
    // for the last bits of its sums) have no variance to apportion:
    // standardising them would blow the rounding up into made-up indices.
    let size = y.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if sd <= 1e-12 * size || !sd.is_finite() {
        return Err("sobol_indices: the outputs have zero variance".to_string());
    }
    Ok(y.iter().map(|v| (v - mean) / sd).collect())
}

/// The indices from the standardised outputs `z` of the base samples
/// `rows` (each row `A_i, AB_i^(1..d), B_i`; a row may come more than once,
/// as in a bootstrap resample).
fn indices_over(z: &[f64], d: usize, rows: &[usize]) -> Result<Indices, String> {
    let step = d + 2;
    let nf = rows.len() as f64;
    let a = |i: usize| z[i * step];
    let b = |i: usize| z[i * step + d + 1];
    let ab = |i: usize, j: usize| z[i * step + 1 + j];

    // Population variance of the A and B outputs together.
    let ab_mean = rows.iter().map(|&i| a(i) + b(i)).sum::<f64>() / (2.0 * nf);
    let var = rows
        .iter()
        .map(|&i| (a(i) - ab_mean).powi(2) + (b(i) - ab_mean).powi(2))
        .sum::<f64>()
        / (2.0 * nf);
    // The outputs are standardised, so `var` is a share of the whole
    // design's variance: A and B rows that (but for rounding) all agree,
    // while some AB rows differ, leave nothing to divide by (a sample too
    // small for the indices), not indices of 10^30.
    if var <= 1e-10 || !var.is_finite() {
        return Err("sobol_indices: the A and B outputs have zero variance".to_string());
    }

    let mut first = Vec::with_capacity(d);
    let mut total = Vec::with_capacity(d);
    for j in 0..d {
        let s = rows.iter().map(|&i| b(i) * (ab(i, j) - a(i))).sum::<f64>() / nf;
        let t = rows.iter().map(|&i| (a(i) - ab(i, j)).powi(2)).sum::<f64>() / nf;
        first.push(s / var);
        total.push(0.5 * t / var);
    }
    Ok(Indices { first, total })
}

/// Resamples of the base samples for [`sobol_intervals`] (SALib's default
/// `num_resamples`).
pub const RESAMPLES: usize = 100;

/// Fewest base samples [`sobol_intervals`] resamples.
pub const MIN_BOOTSTRAP_SAMPLES: usize = 8;

/// Half-widths of 95% bootstrap intervals of [`sobol_indices`], as SALib's
/// `S1_conf` and `ST_conf`: the base samples are drawn with replacement
/// `resamples` times (a SplitMix64 stream from `seed`, so the same inputs
/// give the same bits), the indices computed from each resample of the
/// outputs standardised once, and each interval is `1.96` times the
/// standard deviation (`n - 1`) of its index over the resamples. A resample
/// whose A and B outputs have no variance is left out; the half-widths are
/// NaN with fewer than [`MIN_BOOTSTRAP_SAMPLES`] base samples, when more
/// than 5% of the resamples are left out, or with fewer than two left.
///
/// Errors as [`sobol_indices`] does.
pub fn sobol_intervals(
    y: &[f64],
    d: usize,
    resamples: usize,
    seed: u64,
) -> Result<Indices, String> {
    sobol_indices(y, d)?;
    let z = standardised(y)?;
    let n = y.len() / (d + 2);
    let mut rng = SplitMix64(seed);
    let mut draws: Vec<Indices> = Vec::with_capacity(resamples);
    let mut rows = vec![0usize; n];
    for _ in 0..resamples {
        for r in rows.iter_mut() {
            *r = (rng.next_u64() % n as u64) as usize;
        }
        if let Ok(ix) = indices_over(&z, d, &rows) {
            draws.push(ix);
        }
    }
    // norm.ppf(0.975), as SALib's conf_level = 0.95.
    const Z95: f64 = 1.959963984540054;
    // Too few base samples to resample (at 2, three resamples in four are
    // one row twice or both rows once), or too many resamples in which A
    // and B do not vary (SALib counts those as an index of 0, which
    // narrows the interval): no interval rather than a falsely narrow one.
    let usable = n >= MIN_BOOTSTRAP_SAMPLES && draws.len() * 20 >= resamples * 19;
    let half = |pick: &dyn Fn(&Indices) -> f64| {
        if draws.len() < 2 || !usable {
            return f64::NAN;
        }
        let k = draws.len() as f64;
        let mean = draws.iter().map(pick).sum::<f64>() / k;
        let ss = draws.iter().map(|x| (pick(x) - mean).powi(2)).sum::<f64>();
        Z95 * (ss / (k - 1.0)).sqrt()
    };
    Ok(Indices {
        first: (0..d).map(|j| half(&|x: &Indices| x.first[j])).collect(),
        total: (0..d).map(|j| half(&|x: &Indices| x.total[j])).collect(),
    })
}

/// Quotes a CSV field if it holds a comma, quote or line break (RFC 4180).
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The text of a CSV file of a design: a header line of the parameter
/// `names`, then one line per point, comma-separated, each line ending in
/// `\n`. Values are written in Rust's shortest round-trip form, so parsing
/// them back gives the same `f64`s. Each point should have `names.len()`
/// values (rows are written as given). SALib reads it with
/// `np.loadtxt(path, delimiter=",", skiprows=1)`; the header names the
/// columns in the order of the SALib `problem["names"]`.
pub fn design_csv(names: &[String], points: &[Vec<f64>]) -> String {
    let mut out = String::new();
    let header: Vec<String> = names.iter().map(|s| csv_field(s)).collect();
    out.push_str(&header.join(","));
    out.push('\n');
    for p in points {
        let row: Vec<String> = p.iter().map(|v| v.to_string()).collect();
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    #[test]
    fn the_first_two_dimensional_sobol_points_match_the_published_sequence() {
        // scipy.stats.qmc.Sobol(2, scramble=False) after its zero point.
        let expect = [
            [0.5, 0.5],
            [0.75, 0.25],
            [0.25, 0.75],
            [0.375, 0.375],
            [0.875, 0.875],
            [0.625, 0.125],
            [0.125, 0.625],
        ];
        let got = sobol(7, 2).unwrap();
        for (g, e) in got.iter().zip(&expect) {
            assert_eq!(g.as_slice(), e.as_slice());
        }
    }

    #[test]
    fn sobol_points_in_all_21_dimensions_match_scipy() {
        // scipy.stats.qmc.Sobol(21, scramble=False).random(4096), which uses
        // the same Joe & Kuo table, rows 1000 and 4095 (ours are one lower).
        let p = sobol(4095, SOBOL_MAX_DIM).unwrap();
        let row1000 = [
            0.2197265625,
            0.0966796875,
            0.5185546875,
            0.6767578125,
            0.2802734375,
            0.9072265625,
            0.0458984375,
            0.8994140625,
            0.5009765625,
            0.0693359375,
            0.0849609375,
            0.2548828125,
            0.1611328125,
            0.3837890625,
            0.1435546875,
            0.3701171875,
            0.7197265625,
            0.3447265625,
            0.9912109375,
            0.7255859375,
            0.5224609375,
        ];
        let row4095 = [
            0.000244140625,
            0.941162109375,
            0.334228515625,
            0.901611328125,
            0.940185546875,
            0.078857421875,
            0.949462890625,
            0.390869140625,
            0.191650390625,
            0.246337890625,
            0.569580078125,
            0.321533203125,
            0.368896484375,
            0.519775390625,
            0.551025390625,
            0.416748046875,
            0.062255859375,
            0.609130859375,
            0.813232421875,
            0.521240234375,
            0.225830078125,
        ];
        assert_eq!(p[999].as_slice(), row1000.as_slice());
        assert_eq!(p[4094].as_slice(), row4095.as_slice());
    }

    #[test]
    fn sobol_points_lie_in_the_unit_cube_and_stratify_every_dimension() {
        let k = 10;
        let m = 1usize << k;
        let p = sobol(2 * m - 1, SOBOL_MAX_DIM).unwrap();
        assert!(p.iter().flatten().all(|&x| (0.0..1.0).contains(&x)));
        for j in 0..SOBOL_MAX_DIM {
            // The skipped origin plus the first 2^k - 1 points: exactly the grid.
            let mut cells: Vec<f64> = p[..m - 1].iter().map(|q| q[j] * m as f64).collect();
            cells.push(0.0);
            cells.sort_by(f64::total_cmp);
            let grid: Vec<f64> = (0..m).map(|c| c as f64).collect();
            assert_eq!(cells, grid, "dimension {j}");
            // The next aligned block of 2^k points: one per stratum.
            let mut seen = vec![0u32; m];
            for q in &p[m - 1..] {
                seen[(q[j] * m as f64).floor() as usize] += 1;
            }
            assert!(seen.iter().all(|&c| c == 1), "dimension {j}");
        }
    }

    #[test]
    fn sobol_rejects_zero_and_too_many_dimensions() {
        assert!(sobol(4, 0).is_err());
        assert!(sobol(4, SOBOL_MAX_DIM + 1).is_err());
        assert_eq!(sobol(0, 3).unwrap().len(), 0);
    }

    #[test]
    fn a_latin_hypercube_has_one_point_per_stratum_and_repeats_by_seed() {
        let (n, d) = (97, 5);
        let p = latin_hypercube(n, d, 42);
        assert_eq!(p.len(), n);
        for j in 0..d {
            let mut seen = vec![0u32; n];
            for q in &p {
                assert!((0.0..1.0).contains(&q[j]));
                seen[(q[j] * n as f64).floor() as usize] += 1;
            }
            assert!(seen.iter().all(|&c| c == 1), "dimension {j}");
        }
        assert_eq!(p, latin_hypercube(n, d, 42));
        assert_ne!(p, latin_hypercube(n, d, 43));
    }

    #[test]
    fn the_sequence_from_any_point_continues_it() {
        let all = sobol(40, 5).unwrap();
        for skip in [1, 2, 7, 8, 16, 31] {
            let from = sobol_from(skip, 40 - skip + 1, 5).unwrap();
            assert_eq!(from[..], all[skip - 1..], "from point {skip}");
        }
        // Point 0 is the origin.
        assert_eq!(sobol_from(0, 1, 3).unwrap()[0], [0.0; 3]);
        assert!(sobol_from((1 << 32) - 1, 2, 2).is_err());
    }

    #[test]
    fn no_saltelli_row_has_a_equal_to_b() {
        for (n, d) in [(1, 3), (2, 1), (8, 2), (16, 3), (64, 3), (256, 5), (100, 4)] {
            let s = saltelli(n, d).unwrap();
            for i in 0..n {
                assert_ne!(
                    s[i * (d + 2)],
                    s[i * (d + 2) + d + 1],
                    "n {n}, d {d}, row {i}"
                );
            }
        }
    }

    #[test]
    fn bootstrap_intervals_are_as_wide_as_salibs_and_narrow_with_more_samples() {
        let ishigami = |n: usize| -> Vec<f64> {
            saltelli(n, 3)
                .unwrap()
                .iter()
                .map(|p| {
                    let x: Vec<f64> = p.iter().map(|u| -PI + 2.0 * PI * u).collect();
                    x[0].sin() + 7.0 * x[1].sin().powi(2) + 0.1 * x[2].powi(4) * x[0].sin()
                })
                .collect()
        };
        // SALib 1.6 on the same points (`sobol.analyze(..., seed=1)`):
        // S1_conf at n = 256: 0.1395, 0.0971, 0.0883; at n = 1024: 0.0586,
        // 0.0468, 0.0557 (its resamples are its own, so only the size
        // compares).
        let salib = [[0.1395, 0.0971, 0.0883], [0.0586, 0.0468, 0.0557]];
        for (k, n) in [256, 1024].into_iter().enumerate() {
            let y = ishigami(n);
            let c = sobol_intervals(&y, 3, RESAMPLES, 7).unwrap();
            assert_eq!(
                c,
                sobol_intervals(&y, 3, RESAMPLES, 7).unwrap(),
                "the same bits"
            );
            assert_ne!(c, sobol_intervals(&y, 3, RESAMPLES, 8).unwrap());
            for (j, theirs) in salib[k].iter().enumerate() {
                let ratio = c.first[j] / theirs;
                assert!(
                    (0.6..1.6).contains(&ratio),
                    "n {n}, S{j}: {} against SALib's {}",
                    c.first[j],
                    salib[k][j]
                );
            }
            // The analytic first-order indices lie within about two half-widths.
            let s = sobol_indices(&y, 3).unwrap();
            for (j, truth) in [0.3139, 0.4424, 0.0].into_iter().enumerate() {
                assert!((s.first[j] - truth).abs() < 2.0 * c.first[j], "n {n}, S{j}");
            }
        }
        let (wide, narrow) = (
            sobol_intervals(&ishigami(256), 3, RESAMPLES, 7).unwrap(),
            sobol_intervals(&ishigami(4096), 3, RESAMPLES, 7).unwrap(),
        );
        for j in 0..3 {
            // 16 times the samples: about a quarter of the width.
            let r = narrow.total[j] / wide.total[j];
            assert!((0.12..0.45).contains(&r), "T{j}: {r}");
        }
        // Too few resamples to spread, or too few base samples to resample:
        // undefined, not 0 or falsely narrow.
        let one = sobol_intervals(&ishigami(64), 3, 1, 7).unwrap();
        assert!(one.first.iter().all(|x| x.is_nan()));
        let few = sobol_intervals(&ishigami(4), 3, RESAMPLES, 7).unwrap();
        assert!(few.first.iter().chain(&few.total).all(|x| x.is_nan()));
        assert!(sobol_intervals(&ishigami(8), 3, RESAMPLES, 7)
            .unwrap()
            .first[0]
            .is_finite());
        // A and B that agree in many resamples (one A/B row differs from
        // the others): no interval.
        let mut y = vec![1.0; 5 * 16];
        y[0] = 0.0;
        y[5 * 3 + 2] = 0.5;
        let c = sobol_intervals(&y, 3, RESAMPLES, 7).unwrap();
        assert!(c.first.iter().all(|x| x.is_nan()), "{c:?}");
    }

    #[test]
    fn saltelli_points_come_in_salib_order() {
        let (n, d) = (8, 3);
        let base = sobol_from(8, n, 2 * d).unwrap();
        let s = saltelli(n, d).unwrap();
        assert_eq!(s.len(), n * (d + 2));
        for (i, row) in base.iter().enumerate() {
            let block = &s[i * (d + 2)..(i + 1) * (d + 2)];
            assert_eq!(block[0], row[..d]);
            assert_eq!(block[d + 1], row[d..]);
            for j in 0..d {
                for k in 0..d {
                    let want = if k == j { row[d + k] } else { row[k] };
                    assert_eq!(block[1 + j][k], want);
                }
            }
        }
        assert!(saltelli(n, 0).is_err());
        assert!(saltelli(n, 11).is_err());
        assert!(saltelli(n, 10).is_ok());
    }

    #[test]
    fn ishigami_indices_are_close_to_the_analytic_values() {
        let (a, b) = (7.0, 0.1);
        let d = 3;
        let points = saltelli(1 << 13, d).unwrap();
        let y: Vec<f64> = points
            .iter()
            .map(|p| {
                let x: Vec<f64> = p.iter().map(|u| -PI + 2.0 * PI * u).collect();
                x[0].sin() + a * x[1].sin().powi(2) + b * x[2].powi(4) * x[0].sin()
            })
            .collect();
        let s = sobol_indices(&y, d).unwrap();
        let first = [0.3139, 0.4424, 0.0];
        let total = [0.5576, 0.4424, 0.2437];
        for j in 0..d {
            assert!(
                (s.first[j] - first[j]).abs() < 0.03,
                "S{j} = {}",
                s.first[j]
            );
            assert!(
                (s.total[j] - total[j]).abs() < 0.03,
                "T{j} = {}",
                s.total[j]
            );
        }
        // SALib 1.6 on the same points, `sobol.sample(problem, 2**13,
        // calc_second_order=False, scramble=False, skip_values=2**13)` then
        // `sobol.analyze(problem, Y, calc_second_order=False)`.
        let salib_first = [0.31585691247704795, 0.442419442031123, 0.002085062835974595];
        let salib_total = [0.558021558051423, 0.44242634821488697, 0.24385691001137555];
        for j in 0..d {
            assert!(
                (s.first[j] - salib_first[j]).abs() < 1e-9,
                "S{j} = {}",
                s.first[j]
            );
            assert!(
                (s.total[j] - salib_total[j]).abs() < 1e-9,
                "T{j} = {}",
                s.total[j]
            );
        }
        assert_eq!(s, sobol_indices(&y, d).unwrap());
    }

    #[test]
    fn a_linear_model_has_equal_first_and_total_indices() {
        let c = [1.0, 2.0, 3.0, 0.5];
        let d = c.len();
        let sum_sq: f64 = c.iter().map(|v| v * v).sum();
        let points = saltelli(1 << 12, d).unwrap();
        let y: Vec<f64> = points
            .iter()
            .map(|p| p.iter().zip(&c).map(|(x, ci)| x * ci).sum())
            .collect();
        let s = sobol_indices(&y, d).unwrap();
        for (j, cj) in c.iter().enumerate() {
            let want = cj * cj / sum_sq;
            assert!((s.first[j] - want).abs() < 0.02, "S{j} = {}", s.first[j]);
            assert!((s.total[j] - want).abs() < 0.02, "T{j} = {}", s.total[j]);
        }
    }

    #[test]
    fn sobol_indices_reject_bad_input() {
        let y = vec![1.0, 2.0, 3.0, 4.0, 5.0];
        assert!(sobol_indices(&y, 0).is_err());
        assert!(sobol_indices(&y, 2).is_err()); // 5 is not a multiple of 4
        assert!(sobol_indices(&[], 2).is_err());
        assert!(sobol_indices(&[2.0; 8], 2).is_err()); // zero variance
                                                       // A and B rows all 1, one AB row 0: the design varies, A and B do
                                                       // not (bully-sobol's landau_h gave indices of 3.6e32).
        let mut y = vec![1.0; 5 * 16];
        y[5 * 3 + 2] = 0.0;
        assert!(sobol_indices(&y, 3).is_err());
        // A constant but for the last bits of its sums: no variance either
        // (standardised, the rounding gave first-order indices of 0.5).
        let rounding: Vec<f64> = (0..8)
            .map(|k| 400.0 + [0.0, 5.7e-14, -5.7e-14, 1.1e-13][k % 4])
            .collect();
        assert!(sobol_indices(&rounding, 2).is_err());
        // A real spread, however small against the level, is kept.
        let small: Vec<f64> = (0..8).map(|k| 400.0 + 1e-6 * k as f64).collect();
        assert!(sobol_indices(&small, 2).is_ok());
        assert!(sobol_indices(&[1.0, 2.0, f64::NAN, 4.0], 2).is_err());
        assert!(sobol_indices(&[1.0, 2.0, 3.0, 4.0], 2).is_ok());
    }

    #[test]
    fn a_design_csv_has_a_header_and_round_trips_values() {
        let names = vec!["alpha".to_string(), "b,c".to_string()];
        let pts = vec![vec![0.1, 1.0 / 3.0], vec![0.5, 0.0]];
        let text = design_csv(&names, &pts);
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("alpha,\"b,c\""));
        let row: Vec<f64> = lines
            .next()
            .unwrap()
            .split(',')
            .map(|s| s.parse().unwrap())
            .collect();
        assert_eq!(row, pts[0]);
        assert_eq!(lines.next(), Some("0.5,0"));
        assert_eq!(lines.next(), None);
    }
}
