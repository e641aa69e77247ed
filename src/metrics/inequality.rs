//! Inequality measures of a non-negative distribution (wealth, influence,
//! resources held by agents): the Gini coefficient, the Theil T index with its
//! between/within-group decomposition, and top shares.
//!
//! # Methods
//!
//! * **Gini coefficient** (Gini 1912). With the values sorted ascending,
//!   `x_(1) <= ... <= x_(n)`, the sample Gini is
//!   `G = sum_i (2i - n - 1) x_(i) / (n * sum_i x_i)` with `i` from 1
//!   (Dixon, Weiner, Mitchell-Olds & Woodley 1987, eq. 1; equivalent to half
//!   the relative mean absolute difference). It is 0 for perfect equality and
//!   `(n - 1) / n` when one value holds everything.
//! * **Theil T index** (Theil 1967): `T = (1/n) sum_i (x_i/mu) ln(x_i/mu)`
//!   with `0 ln 0 = 0`. It is 0 for perfect equality and `ln n` when one
//!   value holds everything.
//! * **Theil decomposition** (Bourguignon 1979; Shorrocks 1980). For groups
//!   `g` with income shares `s_g = n_g mu_g / (n mu)`,
//!   `T = sum_g s_g T_g + sum_g s_g ln(mu_g / mu)`: the first sum is the
//!   *within*-group part, the second the *between*-group part.
//! * **Top share** (e.g. Atkinson, Piketty & Saez 2011): the share of the
//!   total held by the richest fraction `p` of the population, i.e.
//!   `1 - L(1 - p)` for the piecewise-linear Lorenz curve `L` (Lorenz 1905).
//!
//! # Conventions shared by all functions
//!
//! * Input values that are negative, NaN or infinite are treated as 0: they
//!   carry no well-defined share of a non-negative total.
//! * Degenerate inputs (empty, a single value, or a zero total) are treated
//!   as perfectly equal: Gini and Theil return 0.0 and [`top_share`] returns
//!   the (clamped) fraction itself.
//! * Values are scaled before summing: the Gini by the power of two `2^-e`
//!   that puts the maximum in `[1, 2)` (exact while the scaled values stay
//!   normal, so scaling the input by a power of two gives bit-identical
//!   results; only a maximum of `2^1023` or more, whose scale is subnormal,
//!   rounds the smallest values), and so is [`theil`]; the Theil
//!   decomposition divides by the maximum. The measures are scale
//!   invariant, so this changes
//!   nothing mathematically, but it rules out overflow of the sums for
//!   values near `f64::MAX`. The Gini's weighted sum is taken over
//!   differences from the smallest value, so equal values give exactly 0.
//! * Every sum is accumulated sequentially in `f64`, in an order fixed by
//!   the values alone, so results are deterministic: index order, or sorted
//!   order where the method sorts; [`gini_f32`] of 1024 values or more adds
//!   each value with its rank in the order its radix passes leave them
//!   (the same sum as in sorted order, rounded differently: within about
//!   1e-14 of [`gini`] of the same values as `f64`).
//! * Results are clamped to their mathematical range (`[0, 1]` for Gini and
//!   shares, `>= 0` for Theil) to absorb rounding.
//!
//! # References
//!
//! * Atkinson, A. B., Piketty, T. & Saez, E. (2011). Top incomes in the long
//!   run of history. *Journal of Economic Literature* 49(1), 3–71.
//! * Bourguignon, F. (1979). Decomposable income inequality measures.
//!   *Econometrica* 47(4), 901–920.
//! * Dixon, P. M., Weiner, J., Mitchell-Olds, T. & Woodley, R. (1987).
//!   Bootstrapping the Gini coefficient of inequality. *Ecology* 68(5),
//!   1548–1551.
//! * Gini, C. (1912). *Variabilità e mutabilità*. Bologna: C. Cuppini.
//! * Lorenz, M. O. (1905). Methods of measuring the concentration of wealth.
//!   *Publications of the American Statistical Association* 9(70), 209–219.
//! * Shorrocks, A. F. (1980). The class of additively decomposable
//!   inequality measures. *Econometrica* 48(3), 613–625.
//! * Theil, H. (1967). *Economics and Information Theory*. Amsterdam:
//!   North-Holland.

use serde::Serialize;

// The natural logarithm from IEEE-754 basic operations only (fdlibm's
// method), so that the Theil indices are the same bits on every platform and
// build: the system `ln` may differ in the last bit.
use crate::portable::{all_positive_normal, ln, ln_positive_normal};

/// The Theil T index split into a between-group and a within-group part,
/// as returned by [`theil_decomposition`].
///
/// `between + within == total` up to floating-point rounding.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TheilParts {
    /// Theil T index of all values that were assigned a valid group,
    /// computed directly (not as the sum of the two parts).
    pub total: f64,
    /// Between-group part `sum_g s_g ln(mu_g / mu)`: the inequality that
    /// would remain if every value were replaced by its group mean.
    pub between: f64,
    /// Within-group part `sum_g s_g T_g`: the income-share-weighted mean of
    /// the groups' own Theil indices.
    pub within: f64,
}

/// Maps a raw value to the non-negative value used by every measure here:
/// negative, NaN and infinite values become 0.
fn clean(x: f64) -> f64 {
    if x.is_finite() && x > 0.0 {
        x
    } else {
        0.0
    }
}

/// Largest cleaned value (0.0 for an empty slice).
fn clean_max<T: Copy + Into<f64>>(values: &[T]) -> f64 {
    values.iter().fold(0.0_f64, |m, &x| m.max(clean(x.into())))
}

/// Whether every value is the same once cleaned: then the Gini coefficient
/// is exactly 0 (the weighted sum of [`GiniSums`] is 0), and no sort is needed — a
/// base nobody's rules change, or a self-weight before any reflected appraisal.
fn all_equal_clean<T: Copy + Into<f64>>(values: &[T]) -> bool {
    let Some(&first) = values.first() else {
        return true;
    };
    let first = clean(first.into());
    values.iter().all(|&x| clean(x.into()) == first)
}

/// Gini coefficient of non-negative values, computed in place.
///
/// The slice is modified: negative, NaN and infinite entries are replaced by
/// 0.0 and the slice is then sorted ascending with [`f64::total_cmp`]. The
/// coefficient is `G = sum_i (2i - n - 1) x_(i) / (n * sum x)` with `i` from 1
/// (see the module docs), accumulated in index order.
///
/// Returns 0.0 for an empty slice, a single value, or a zero total. Otherwise
/// the result lies in `[0, (n - 1) / n]`.
pub fn gini_in_place(values: &mut [f64]) -> f64 {
    for v in values.iter_mut() {
        *v = clean(*v);
    }
    // Exact radix sort: the same order as sort_unstable_by(f64::total_cmp).
    BUFFERS.with(|b| super::sort::sort_f64(values, &mut b.borrow_mut().scratch64));
    gini_of_sorted(values)
}

/// The Gini formula accumulated over cleaned values visited in ascending
/// order: `sum_i (2i - n - 1) (y_(i) - y_(1))` (equal to `sum_i (2i - n - 1)
/// y_(i)`, as the coefficients sum to zero, and exactly 0 when all values
/// are equal) and `sum y`, with `y = x * scale`.
///
/// `scale` is a power of two (so scaling is exact and the result does not
/// depend on it) that keeps the sums finite for any finite input.
struct GiniSums {
    n: f64,
    i: f64,
    scale: f64,
    lowest: f64,
    sum: f64,
    weighted: f64,
}

impl GiniSums {
    fn new(n: usize, max: f64) -> Self {
        GiniSums {
            n: n as f64,
            i: 0.0,
            scale: pow2_near_reciprocal(max),
            lowest: 0.0,
            sum: 0.0,
            weighted: 0.0,
        }
    }

    #[inline]
    fn add(&mut self, v: f64) {
        let y = v * self.scale;
        if self.i == 0.0 {
            self.lowest = y;
        }
        self.i += 1.0;
        self.sum += y;
        self.weighted += (2.0 * self.i - self.n - 1.0) * (y - self.lowest);
    }

    /// Adds the value of 0-based rank `rank` (the values may come in any
    /// order, once each); `lowest` must already be the smallest value
    /// scaled, as [`GiniSums::with_lowest`] sets it.
    #[inline]
    fn add_ranked(&mut self, rank: usize, v: f64) {
        let y = v * self.scale;
        self.sum += y;
        self.weighted += (2.0 * rank as f64 + 1.0 - self.n) * (y - self.lowest);
    }

    /// Sums for [`GiniSums::add_ranked`]: `lowest` is the smallest value.
    fn with_lowest(n: usize, max: f64, lowest: f64) -> Self {
        let mut g = GiniSums::new(n, max);
        g.lowest = lowest * g.scale;
        g
    }

    fn gini(&self) -> f64 {
        if self.n < 2.0 || self.sum <= 0.0 {
            return 0.0;
        }
        (self.weighted / (self.n * self.sum)).clamp(0.0, 1.0)
    }
}

/// The power of two `2^-e` where `2^e <= max < 2^(e+1)` (1 for zero or
/// non-finite `max`): `max * 2^-e` lies in [1, 2).
fn pow2_near_reciprocal(max: f64) -> f64 {
    if !(max.is_finite() && max > 0.0) {
        return 1.0;
    }
    let biased = ((max.to_bits() >> 52) & 0x7ff) as i64;
    // A subnormal maximum (biased exponent 0) is scaled by 2^1022.
    let e = (biased - 1023).max(-1022);
    let field = 1023 - e; // the biased exponent of 2^-e, in 1..=2045 unless e = 1023
    if field >= 1 {
        f64::from_bits((field as u64) << 52)
    } else {
        f64::from_bits(1u64 << 51) // 2^-1023, a subnormal power of two
    }
}

/// Sort buffers kept by each thread between records, so that a record's
/// sorts reuse memory instead of faulting in fresh pages every time (the
/// memory peak of a recording run includes them either way).
#[derive(Default)]
struct Buffers {
    values: Vec<f64>,
    scratch64: Vec<f64>,
    scratch32: Vec<u32>,
}

thread_local! {
    static BUFFERS: std::cell::RefCell<Buffers> = std::cell::RefCell::new(Buffers::default());
}

/// Gini coefficient of `f32` values (the bases), as [`gini`] of the values
/// converted to `f64` (to rounding; see the module docs), without sorting:
/// the formula needs each value's rank, not the sorted sequence, and
/// [`super::sort::fold_ranked_clean_f32_as_f64`] gives the ranks of a radix
/// sort whose last pass counts instead of scattering.
pub fn gini_f32(values: &[f32]) -> f64 {
    use super::sort::{clean_bounds_f32, fold_ranked_clean_f32_as_f64};
    if values.len() < 2 {
        return 0.0;
    }
    // One pass gives the bounds when every value is clean (the usual case);
    // otherwise the cleaned copy's.
    let cleaned: Vec<f32>;
    let (values, (lo, hi)) = match clean_bounds_f32(values) {
        Some(b) => (values, b),
        None => {
            cleaned = values
                .iter()
                .map(|&x| if x.is_finite() && x > 0.0 { x } else { 0.0 })
                .collect();
            let b = clean_bounds_f32(&cleaned).expect("cleaned values are clean");
            (&cleaned[..], b)
        }
    };
    if lo == hi {
        // Every value is the same: the weighted sum is exactly 0, no sort needed.
        return 0.0;
    }
    BUFFERS.with(|b| {
        let b = &mut *b.borrow_mut();
        // The maximum, from which GiniSums takes its scale as gini() does
        // from the sorted values' last, and the minimum.
        let g = GiniSums::with_lowest(values.len(), hi.into(), lo.into());
        // Each value with its rank: the sums in an order of the values alone.
        let add = |mut g: GiniSums, r, v| {
            g.add_ranked(r, v);
            g
        };
        fold_ranked_clean_f32_as_f64(values, (lo, hi), &mut b.scratch32, g, add).gini()
    })
}

/// The Gini formula over cleaned values sorted ascending.
fn gini_of_sorted(values: &[f64]) -> f64 {
    let n = values.len();
    if n < 2 {
        return 0.0;
    }
    let max = values[n - 1];
    if max <= 0.0 {
        return 0.0;
    }
    let mut g = GiniSums::new(n, max);
    for &v in values {
        g.add(v);
    }
    g.gini()
}

/// Gini coefficient of non-negative values, computed on a copy.
///
/// Same conventions as [`gini_in_place`]; `values` is left untouched.
pub fn gini(values: &[f64]) -> f64 {
    if all_equal_clean(values) {
        return 0.0;
    }
    BUFFERS.with(|b| {
        let b = &mut *b.borrow_mut();
        // Positive values (the usual case) sort straight from `values`.
        let (out, scratch, hist) = (&mut b.values, &mut b.scratch64, &mut b.scratch32);
        if super::sort::sort_positive_f64_into(values, out, scratch, hist) {
            return gini_of_sorted(out);
        }
        b.values.clear();
        b.values.extend(values.iter().map(|&x| clean(x)));
        super::sort::sort_f64(&mut b.values, &mut b.scratch64);
        gini_of_sorted(&b.values)
    })
}

/// Theil T index `T = (1/n) sum_i (x_i/mu) ln(x_i/mu)`, with `0 ln 0 = 0`.
///
/// Negative, NaN and infinite values are treated as 0. Returns 0.0 for an
/// empty slice, a single value, or a zero total. Otherwise the result lies
/// in `[0, ln n]`.
pub fn theil<T: Copy + Into<f64> + Sync>(values: &[T]) -> f64 {
    theil_with(values, theil_terms)
}

/// [`theil`] of `f32` values (the same bits), its logarithms in AVX2 lanes
/// where the CPU has them.
pub fn theil_f32(values: &[f32]) -> f64 {
    theil_f32_with(values, crate::engine::wide_vectors_available())
}

/// [`theil_f32`] with its AVX2 twin only when `wide` (which must imply
/// [`crate::engine::wide_vectors_available`]), as a simulation chooses.
pub(crate) fn theil_f32_with(values: &[f32], wide: bool) -> f64 {
    let wide = wide && crate::engine::wide_vectors_available();
    theil_with(values, |c, scale, mu| {
        crate::engine::dispatch!(wide, theil_terms_f32_v3, theil_terms_f32(c, scale, mu))
    })
}

/// The Theil index with the sum of `r ln r` over a chunk from `terms(chunk,
/// scale, mu)`.
fn theil_with<T: Copy + Into<f64> + Sync>(
    values: &[T],
    terms: impl Fn(&[T], f64, f64) -> f64 + Sync,
) -> f64 {
    use rayon::prelude::*;
    // Sums over fixed chunks, combined in order: the same result whatever
    // the number of threads.
    const PART: usize = 1 << 14;
    let n = values.len();
    let max = clean_max(values);
    if n == 0 || max <= 0.0 {
        return 0.0;
    }
    // Scaled by a power of two near 1 / max: exact, and no division.
    let scale = pow2_near_reciprocal(max);
    let sums: Vec<f64> = values
        .par_chunks(PART)
        .map(|c| c.iter().map(|&x| clean(x.into()) * scale).sum::<f64>())
        .collect();
    let mu = sums.iter().sum::<f64>() / n as f64;
    let parts: Vec<f64> = values
        .par_chunks(PART)
        .map(|c| terms(c, scale, mu))
        .collect();
    (parts.iter().sum::<f64>() / n as f64).max(0.0)
}

/// `sum r ln r` over `c` with `r = clean(x) scale / mu`, added one by one in
/// index order; the logarithms a block at a time, in a loop without
/// branches that the compiler runs in vector lanes, where the block's values
/// are all normal.
#[inline(always)]
fn theil_terms<T: Copy + Into<f64>>(c: &[T], scale: f64, mu: f64) -> f64 {
    const BLOCK: usize = 64;
    let mut acc = 0.0_f64;
    let mut r = [0.0f64; BLOCK];
    let mut lr = [0.0f64; BLOCK];
    for b in c.chunks(BLOCK) {
        let r = &mut r[..b.len()];
        for (r, &x) in r.iter_mut().zip(b) {
            *r = clean(x.into()) * scale / mu;
        }
        if all_positive_normal(r) {
            let lr = &mut lr[..b.len()];
            ln_positive_normal(r, lr);
            for (&r, &l) in r.iter().zip(lr.iter()) {
                acc += r * l;
            }
        } else {
            for &r in r.iter() {
                if r > 0.0 {
                    acc += r * ln(r);
                }
            }
        }
    }
    acc
}

#[inline(always)]
fn theil_terms_f32(c: &[f32], scale: f64, mu: f64) -> f64 {
    theil_terms(c, scale, mu)
}

crate::engine::v3_twin!(theil_terms_f32_v3 = theil_terms_f32(c: &[f32], scale: f64, mu: f64) -> f64);

/// Theil T index decomposed into between-group and within-group parts.
///
/// `group_of[i]` is the group of `values[i]`; groups are `0..n_groups`.
/// Values are processed in index order, pairing `values[i]` with
/// `group_of[i]` up to the shorter of the two slices. A value whose group
/// index is `>= n_groups`, or which has no group entry, is left out of every
/// part, including `total`. Negative, NaN and infinite values are treated as
/// 0, as in [`theil`].
///
/// `total` is the Theil index of the values used, computed directly;
/// `between + within == total` up to rounding. All three parts are 0.0 when
/// no value is used or their total is zero. Groups that receive no value,
/// or only zeros, contribute nothing. Memory is proportional to the largest
/// group index actually used, not to `n_groups`.
pub fn theil_decomposition<T: Copy + Into<f64>>(
    values: &[T],
    group_of: &[usize],
    n_groups: usize,
) -> TheilParts {
    let zero = TheilParts {
        total: 0.0,
        between: 0.0,
        within: 0.0,
    };
    let len = values.len().min(group_of.len());
    let used = || (0..len).filter(|&i| group_of[i] < n_groups);

    // Pass 1: the largest value (for scaling) and the number of groups used.
    let mut max = 0.0_f64;
    let mut n_used_groups = 0_usize;
    let mut n = 0_usize;
    for i in used() {
        max = max.max(clean(values[i].into()));
        n_used_groups = n_used_groups.max(group_of[i] + 1);
        n += 1;
    }
    if n == 0 || max <= 0.0 {
        return zero;
    }

    // Pass 2: group counts and sums (scaled by the maximum).
    let mut count = vec![0_usize; n_used_groups];
    let mut gsum = vec![0.0_f64; n_used_groups];
    let mut sum = 0.0_f64;
    for i in used() {
        let g = group_of[i];
        let y = clean(values[i].into()) / max;
        count[g] += 1;
        gsum[g] += y;
        sum += y;
    }
    let mu = sum / n as f64;

    // Pass 3: the overall index and each group's sum of r ln r.
    let mut total_acc = 0.0_f64;
    let mut gacc = vec![0.0_f64; n_used_groups];
    for i in used() {
        let g = group_of[i];
        let y = clean(values[i].into()) / max;
        let r = y / mu;
        if r > 0.0 {
            total_acc += r * ln(r);
        }
        let mu_g = gsum[g] / count[g] as f64;
        let r_g = y / mu_g;
        if r_g > 0.0 {
            gacc[g] += r_g * ln(r_g);
        }
    }
    let total = (total_acc / n as f64).max(0.0);

    let mut between = 0.0_f64;
    let mut within = 0.0_f64;
    for g in 0..n_used_groups {
        if count[g] == 0 || gsum[g] <= 0.0 {
            continue;
        }
        let share = gsum[g] / sum;
        let mu_g = gsum[g] / count[g] as f64;
        let t_g = gacc[g] / count[g] as f64;
        within += share * t_g;
        between += share * ln(mu_g / mu);
    }
    TheilParts {
        total,
        between,
        within,
    }
}

/// Share of the total held by the top `fraction` of values (e.g. 0.1 for
/// the top 10 %).
///
/// With the values sorted descending, the top `k = fraction * n` values are
/// summed; when `k` is not an integer, the next value counts with weight
/// `k - floor(k)`. This is `1 - L(1 - fraction)` for the piecewise-linear
/// Lorenz curve `L`, so the share is continuous and non-decreasing in
/// `fraction`.
///
/// `fraction` is clamped to `[0, 1]`; a NaN fraction is treated as 0.
/// Negative, NaN and infinite values are treated as 0. For an empty slice or
/// a zero total the distribution is treated as perfectly equal and the
/// (clamped) fraction itself is returned. The result lies in `[0, 1]`.
pub fn top_share(values: &[f64], fraction: f64) -> f64 {
    let p = if fraction.is_nan() {
        0.0
    } else {
        fraction.clamp(0.0, 1.0)
    };
    let n = values.len();
    let max = clean_max(values);
    if n == 0 || max <= 0.0 {
        return p;
    }
    let mut sorted: Vec<f64> = values.iter().map(|&x| clean(x) / max).collect();
    sorted.sort_unstable_by(|a, b| b.total_cmp(a));
    let mut sum = 0.0_f64;
    for &y in &sorted {
        sum += y;
    }
    let take = p * n as f64;
    let whole = (take.floor() as usize).min(n);
    let mut top = 0.0_f64;
    for &y in &sorted[..whole] {
        top += y;
    }
    if whole < n {
        top += (take - whole as f64) * sorted[whole];
    }
    (top / sum).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EPS: f64 = 1e-12;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    /// SplitMix64 (Steele, Lea & Flood 2014): a tiny deterministic generator.
    struct SplitMix(u64);
    impl SplitMix {
        fn next_u64(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }
        fn uniform(&mut self) -> f64 {
            (self.next_u64() >> 11) as f64 / (1_u64 << 53) as f64
        }
    }

    #[test]
    fn gini_of_equal_values_is_zero() {
        assert_eq!(gini(&[1.0, 1.0, 1.0, 1.0]), 0.0);
        assert_eq!(gini(&[0.1; 7]), 0.0);
        // Equal once cleaned (negative and NaN count as 0), in both widths,
        // and the same 0 the sorted sums give.
        assert_eq!(gini(&[0.0, -1.0, f64::NAN]), 0.0);
        assert_eq!(gini_f32(&[0.3; 1000]), 0.0);
        assert_eq!(gini_f32(&[0.0, -0.0, f32::NAN]), 0.0);
        let mut v = vec![0.3f64; 1000];
        assert_eq!(gini_in_place(&mut v), 0.0);
        // One differing value at the end still sorts.
        let mut w = vec![0.3f32; 999];
        w.push(0.6);
        assert!(gini_f32(&w) > 0.0);
    }

    #[test]
    fn gini_when_one_of_four_holds_everything_is_three_quarters() {
        assert!(close(gini(&[0.0, 0.0, 0.0, 1.0]), 0.75, EPS));
        assert!(close(gini(&[0.0, 5.0, 0.0, 0.0]), 0.75, EPS));
    }

    #[test]
    fn gini_of_one_two_three_four_is_one_quarter() {
        // sum (2i - n - 1) x_i = -3*1 - 1*2 + 1*3 + 3*4 = 10; n * sum = 40.
        assert!(close(gini(&[1.0, 2.0, 3.0, 4.0]), 0.25, EPS));
        assert!(close(gini(&[4.0, 1.0, 3.0, 2.0]), 0.25, EPS));
    }

    #[test]
    fn gini_matches_the_mean_absolute_difference_definition() {
        let mut rng = SplitMix(7);
        let x: Vec<f64> = (0..50).map(|_| rng.uniform() * 10.0).collect();
        let n = x.len() as f64;
        let mean = x.iter().sum::<f64>() / n;
        let mut mad = 0.0;
        for a in &x {
            for b in &x {
                mad += (a - b).abs();
            }
        }
        let expected = mad / (2.0 * n * n * mean);
        assert!(
            close(gini(&x), expected, 1e-12),
            "{} vs {expected}",
            gini(&x)
        );
    }

    #[test]
    fn gini_is_scale_invariant() {
        let mut rng = SplitMix(11);
        let x: Vec<f64> = (0..100).map(|_| rng.uniform()).collect();
        let doubled: Vec<f64> = x.iter().map(|v| 2.0 * v).collect();
        assert_eq!(gini(&doubled), gini(&x));
        let tripled: Vec<f64> = x.iter().map(|v| 3.0 * v).collect();
        assert!(close(gini(&tripled), gini(&x), 1e-14));
    }

    #[test]
    fn gini_f32_agrees_with_gini_of_the_values_as_f64() {
        // Below SMALL_N_F32 both sum in sorted order: the same bits. From it
        // on, gini_f32 sums each value with its rank in the order of its
        // radix passes: the same sum, rounded differently.
        for n in [500usize, 5000, 300_000] {
            let mut x = 0.3f32;
            let v: Vec<f32> = (0..n)
                .map(|k| {
                    x = (x * 3.7 + 0.11) % 1.0;
                    match k % 97 {
                        0 => 0.0,
                        1 => -0.0,
                        2 => -1.5,
                        3 => f32::NAN,
                        4 => f32::INFINITY,
                        _ => x * (1.0 + (k % 13) as f32),
                    }
                })
                .collect();
            let clean: Vec<f32> = v
                .iter()
                .map(|&x| if x > 0.0 && x.is_finite() { x } else { 0.0 })
                .collect();
            for v in [v, clean] {
                let as64: Vec<f64> = v.iter().map(|&x| x as f64).collect();
                let (g32, g64) = (gini_f32(&v), gini(&as64));
                assert!(g64 > 0.1, "n={n}: {g64}");
                if n < crate::metrics::sort::SMALL_N_F32 {
                    assert_eq!(g32.to_bits(), g64.to_bits(), "n={n}");
                } else {
                    assert!(close(g32, g64, 1e-13 * g64), "n={n}: {g32} {g64}");
                }
                assert_eq!(gini_f32(&v).to_bits(), g32.to_bits(), "n={n}: repeatable");
            }
        }
    }

    #[test]
    fn gini_in_place_sorts_and_zeroes_negatives() {
        let mut x = [3.0, -2.0, f64::NAN, 1.0];
        let g = gini_in_place(&mut x);
        assert_eq!(x, [0.0, 0.0, 1.0, 3.0]);
        assert!(close(g, gini(&[0.0, 0.0, 1.0, 3.0]), EPS));
    }

    #[test]
    fn gini_of_degenerate_inputs_is_zero() {
        assert_eq!(gini(&[]), 0.0);
        assert_eq!(gini(&[5.0]), 0.0);
        assert_eq!(gini(&[0.0, 0.0, 0.0]), 0.0);
        assert_eq!(gini(&[-1.0, -3.0]), 0.0);
        assert_eq!(gini(&[f64::NAN, f64::INFINITY]), 0.0);
    }

    #[test]
    fn gini_does_not_overflow_near_f64_max() {
        let g = gini(&[f64::MAX, f64::MAX, 0.0, 0.0]);
        assert!(close(g, 0.5, EPS), "{g}");
    }

    #[test]
    fn theil_of_equal_values_is_zero() {
        assert_eq!(theil(&[1.0, 1.0, 1.0, 1.0]), 0.0);
    }

    #[test]
    fn theil_when_one_of_four_holds_everything_is_ln_four() {
        assert!(close(theil(&[0.0, 0.0, 0.0, 1.0]), 4.0_f64.ln(), EPS));
    }

    #[test]
    fn theil_of_one_and_three_matches_the_hand_computation() {
        // mu = 2; T = (1/2) * (0.5 ln 0.5 + 1.5 ln 1.5) = 0.130812035941137
        let by_hand = 0.5 * (0.5 * 0.5_f64.ln() + 1.5 * 1.5_f64.ln());
        assert!(close(theil(&[1.0, 3.0]), by_hand, EPS));
        assert!(close(theil(&[1.0, 3.0]), 0.130_812_035_941_137, 1e-15));
    }

    #[test]
    fn theil_of_degenerate_inputs_is_zero() {
        assert_eq!(theil::<f64>(&[]), 0.0);
        assert_eq!(theil(&[2.0]), 0.0);
        assert_eq!(theil(&[0.0, 0.0]), 0.0);
        assert_eq!(theil(&[f64::NAN, -1.0]), 0.0);
    }

    /// The Theil index as one part: every `r ln r` added in index order with
    /// the scalar logarithm.
    fn scalar_theil<T: Copy + Into<f64>>(v: &[T]) -> f64 {
        let n = v.len() as f64;
        let scale = pow2_near_reciprocal(clean_max(v));
        let mu = v.iter().map(|&x| clean(x.into()) * scale).sum::<f64>() / n;
        let mut acc = 0.0;
        for &x in v {
            let r = clean(x.into()) * scale / mu;
            if r > 0.0 {
                acc += r * ln(r);
            }
        }
        (acc / n).max(0.0)
    }

    #[test]
    fn theil_f32_is_theil_whatever_the_lanes() {
        // Values that are all normal, and blocks with zeros and NaNs (the
        // scalar path), at sizes around the block and the parallel parts.
        // (A subnormal f32 is a normal f64: the f64 case below reaches
        // subnormal ratios.)
        for n in [0usize, 1, 3, 64, 65, 1000, 20_000, 70_000] {
            let mut x = 0.37f32;
            let v: Vec<f32> = (0..n)
                .map(|k| {
                    x = (x * 3.7 + 0.11) % 1.0;
                    match k % 1013 {
                        500 => 0.0,
                        501 => f32::NAN,
                        502 => 1e-40,
                        _ => x * (1.0 + (k % 7) as f32),
                    }
                })
                .collect();
            let want = theil(&v);
            assert_eq!(theil_f32(&v).to_bits(), want.to_bits(), "n={n}");
            if (1..=1 << 14).contains(&n) {
                // One part: the plain scalar sum in index order.
                assert_eq!(want.to_bits(), scalar_theil(&v).to_bits(), "n={n}");
            }
            #[cfg(target_arch = "x86_64")]
            if crate::engine::wide_vectors_available() {
                let (scale, mu) = (0.25, 0.7);
                for c in v.chunks(1 << 14) {
                    // SAFETY: the CPU has the twin's features (checked above).
                    let twin = unsafe { theil_terms_f32_v3(c, scale, mu) };
                    assert_eq!(twin.to_bits(), theil_terms_f32(c, scale, mu).to_bits());
                }
            }
            if n >= 1000 {
                assert!(want > 0.0, "n={n}");
            }
        }
        // Subnormal ratios take the scalar logarithm.
        let v: Vec<f64> = (0..300)
            .map(|k| {
                if k % 50 == 7 {
                    1e-310
                } else {
                    1.0 + (k % 7) as f64
                }
            })
            .collect();
        let scale = pow2_near_reciprocal(clean_max(&v));
        let mu = v.iter().map(|&x| clean(x) * scale).sum::<f64>() / v.len() as f64;
        assert!((1e-310 * scale / mu).is_subnormal());
        assert_eq!(theil(&v).to_bits(), scalar_theil(&v).to_bits());
    }

    #[test]
    fn theil_is_scale_invariant() {
        let mut rng = SplitMix(3);
        let x: Vec<f64> = (0..100).map(|_| rng.uniform()).collect();
        let scaled: Vec<f64> = x.iter().map(|v| 1000.0 * v).collect();
        assert!(close(theil(&scaled), theil(&x), 1e-13));
        // Scaling by a power of two is exact: the same bits.
        let doubled: Vec<f64> = x.iter().map(|v| 2.0 * v).collect();
        assert_eq!(theil(&doubled).to_bits(), theil(&x).to_bits());
        let tiny: Vec<f64> = x.iter().map(|v| v * 2f64.powi(-1000)).collect();
        assert_eq!(theil(&tiny).to_bits(), theil(&x).to_bits());
    }

    #[test]
    fn theil_decomposition_sums_to_the_total() {
        let mut rng = SplitMix(42);
        let x: Vec<f64> = (0..300).map(|_| rng.uniform().powi(3) * 100.0).collect();
        let g: Vec<usize> = (0..300).map(|_| (rng.next_u64() % 5) as usize).collect();
        let parts = theil_decomposition(&x, &g, 5);
        assert!(close(parts.total, theil(&x), 1e-14));
        assert!(close(parts.between + parts.within, parts.total, 1e-12));
        assert!(parts.between > 0.0 && parts.within > 0.0);
    }

    #[test]
    fn theil_between_part_vanishes_when_group_means_are_equal() {
        let x = [1.0, 3.0, 2.0, 2.0];
        let parts = theil_decomposition(&x, &[0, 0, 1, 1], 2);
        assert!(close(parts.between, 0.0, EPS));
        // Group 0 is [1, 3] (T = 0.1308...) with half of the income.
        let t0 = 0.5 * (0.5 * 0.5_f64.ln() + 1.5 * 1.5_f64.ln());
        assert!(close(parts.within, 0.5 * t0, EPS));
    }

    #[test]
    fn theil_within_part_vanishes_when_groups_are_internally_equal() {
        let x = [1.0, 1.0, 3.0, 3.0];
        let parts = theil_decomposition(&x, &[0, 0, 1, 1], 2);
        assert!(close(parts.within, 0.0, EPS));
        assert!(close(parts.between, theil(&[1.0, 3.0]), EPS));
    }

    #[test]
    fn theil_decomposition_drops_values_with_invalid_groups() {
        let parts = theil_decomposition(&[1.0, 3.0, 100.0], &[0, 1, 7], 2);
        assert!(close(parts.total, theil(&[1.0, 3.0]), EPS));
        let short = theil_decomposition(&[1.0, 3.0, 100.0], &[0, 1], usize::MAX);
        assert!(close(short.total, theil(&[1.0, 3.0]), EPS));
        let none = theil_decomposition::<f64>(&[], &[], 0);
        assert_eq!((none.total, none.between, none.within), (0.0, 0.0, 0.0));
    }

    #[test]
    fn top_share_of_one_two_three_four() {
        let x = [1.0, 2.0, 3.0, 4.0];
        assert!(close(top_share(&x, 0.25), 0.4, EPS));
        assert!(close(top_share(&x, 0.5), 0.7, EPS));
        // Half of the top value: 0.5 * 4 / 10.
        assert!(close(top_share(&x, 0.125), 0.2, EPS));
        assert_eq!(top_share(&x, 1.0), 1.0);
        assert_eq!(top_share(&x, 0.0), 0.0);
    }

    #[test]
    fn top_share_clamps_the_fraction_and_handles_degenerate_inputs() {
        let x = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(top_share(&x, 7.0), 1.0);
        assert_eq!(top_share(&x, -1.0), 0.0);
        assert_eq!(top_share(&x, f64::NAN), 0.0);
        assert_eq!(top_share(&[], 0.1), 0.1);
        assert_eq!(top_share(&[0.0, 0.0], 0.1), 0.1);
        assert!(close(top_share(&[0.0, 0.0, 0.0, 1.0], 0.1), 0.4, EPS));
    }

    #[test]
    fn top_share_of_equal_values_equals_the_fraction() {
        let x = [2.5; 40];
        for p in [0.01, 0.1, 0.33, 0.9] {
            assert!(close(top_share(&x, p), p, 1e-14));
        }
    }
}
