//! Portable elementary functions for the step.
//!
//! The platform's `libm` (`logf`, `expf`, `powf`) is neither specified bit
//! for bit nor the same on every system, and it is slow for what the step
//! needs. These versions use only IEEE-754 addition, multiplication,
//! division and exponent manipulation, which are exactly specified, so a run
//! gives the same bits on any machine; they are accurate to a few units in
//! the last place of an f32 (relative error below 1e-6, tested against std).
//!
//! - `ln(y)`: `y = 2^e * m` with `m` in `[sqrt(1/2), sqrt(2))`, then
//!   `ln m = 2 atanh(s)`, `s = (m - 1)/(m + 1)`, by its odd series to `s^11`
//!   (`|s| < 0.172`, truncation below 1e-9).
//! - `exp(x)`: `x = k ln 2 + r` with `|r| <= ln2 / 2` (Cody–Waite split of
//!   `ln 2`), `e^r` by its Taylor series to `r^8`, then scaled by `2^k`.

const LN2_HI: f32 = 0.693_145_75;
const LN2_LO: f32 = 1.428_606_8e-6;

/// Natural logarithm of `y > 0`; `-inf` at 0, NaN below 0.
#[inline]
pub fn ln(y: f32) -> f32 {
    if y.is_nan() || y < 0.0 {
        return f32::NAN;
    }
    if y == 0.0 {
        return f32::NEG_INFINITY;
    }
    if y.is_infinite() {
        return f32::INFINITY;
    }
    let mut y = y;
    let mut e: i32 = 0;
    if y < f32::MIN_POSITIVE {
        // Subnormal: scale into the normal range first.
        y *= 8_388_608.0; // 2^23
        e -= 23;
    }
    let bits = y.to_bits();
    e += ((bits >> 23) & 0xff) as i32 - 127;
    let mut m = f32::from_bits((bits & 0x007f_ffff) | 0x3f80_0000); // [1, 2)
    if m > std::f32::consts::SQRT_2 {
        m *= 0.5;
        e += 1;
    }
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let series = 1.0
        + s2 * (1.0 / 3.0 + s2 * (0.2 + s2 * (1.0 / 7.0 + s2 * (1.0 / 9.0 + s2 * (1.0 / 11.0)))));
    let ln_m = 2.0 * s * series;
    e as f32 * LN2_HI + (e as f32 * LN2_LO + ln_m)
}

/// `ln(1 + x)` for `x > -1` (the step's uses: resource ratios, sums of
/// engagement or affect, all `>= 0`).
///
/// For `0 <= x < 1/32` the series `x - x^2/2 + ... - x^6/6` (truncation below
/// `x^7/7`, so the relative error stays near one unit in the last place). Above, `1 + x = 2^e m` with `m` in
/// `[1, 2)`, the bin `k` of `m` among 32 (its top five mantissa bits) gives a
/// centre `c_k = 1 + (k + 1/2)/32` with `ln c_k` and `1/c_k` from a table,
/// `r = (m - c_k)/c_k` (the subtraction is exact) and
/// `ln m = ln c_k + ln(1 + r)`, `|r| <= 1/64`, by a fifth-degree series; the
/// rounding of `1 + x` is corrected by `(x - (u - 1)) / u`. No division, so it costs a
/// fraction of [`ln`]. Negative `x` takes the general path through [`ln`].
#[inline(always)]
pub fn ln_1p(x: f32) -> f32 {
    if x == f32::INFINITY {
        return x;
    }
    if x.is_nan() || x < 0.0 {
        return ln_1p_general(x);
    }
    if x < 0.03125 {
        return x * (1.0 - x * (0.5 - x * (1.0 / 3.0 - x * (0.25 - x * (0.2 - x * (1.0 / 6.0))))));
    }
    let u = 1.0 + x;
    let bits = u.to_bits();
    let e = ((bits >> 23) & 0xff) as i32 - 127;
    let m = f32::from_bits((bits & 0x007f_ffff) | 0x3f80_0000);
    let k = ((bits >> 18) & 31) as usize;
    let c = 1.0 + (k as f32 + 0.5) * 0.03125;
    let r = (m - c) * LN_TABLE_INV[k];
    let series = r * (1.0 - r * (0.5 - r * (1.0 / 3.0 - r * (0.25 - r * 0.2))));
    // u = 1 + x rounded: the lost part, divided by u (only matters near 1).
    let lost = if e == 0 {
        (x - (u - 1.0)) * LN_TABLE_INV[k] * (1.0 - r)
    } else {
        0.0
    };
    let ef = e as f32;
    ef * LN2_HI + (ef * LN2_LO + (LN_TABLE_LN[k] + (series + lost)))
}

/// `ln(1 + x)` through [`ln`] with Goldberg's correction for the rounding of `1 + x`.
fn ln_1p_general(x: f32) -> f32 {
    let u = 1.0 + x;
    if u == 1.0 {
        return x;
    }
    ln(u) * (x / (u - 1.0))
}

// `1 / c_k` and `ln c_k` for `c_k = 1 + (k + 1/2)/32`, rounded to f32.
const LN_TABLE_INV: [f32; 32] = [
    0.9846154, 0.95522386, 0.92753625, 0.90140843, 0.8767123, 0.85333335, 0.83116883, 0.8101266,
    0.79012346, 0.7710843, 0.7529412, 0.7356322, 0.71910113, 0.7032967, 0.68817204, 0.67368424,
    0.6597938, 0.64646465, 0.63366336, 0.6213592, 0.60952383, 0.5981308, 0.58715594, 0.5765766,
    0.5663717, 0.5565217, 0.5470086, 0.53781515, 0.5289256, 0.5203252, 0.512, 0.503937,
];
const LN_TABLE_LN: [f32; 32] = [
    0.015504187,
    0.045809537,
    0.07522342,
    0.103796795,
    0.13157636,
    0.15860502,
    0.18492234,
    0.21056476,
    0.23556606,
    0.25995752,
    0.28376818,
    0.30702505,
    0.32975328,
    0.35197642,
    0.3737164,
    0.3949938,
    0.4158279,
    0.43623677,
    0.45623744,
    0.4758459,
    0.49507725,
    0.51394576,
    0.5324648,
    0.55064714,
    0.56850475,
    0.586049,
    0.60329086,
    0.6202404,
    0.63690746,
    0.6533013,
    0.6694307,
    0.685304,
];

/// `e^x`; 0 below -103, `+inf` above 88.7.
#[inline]
pub fn exp(x: f32) -> f32 {
    if x.is_nan() {
        return f32::NAN;
    }
    if x > 88.72 {
        return f32::INFINITY;
    }
    if x < -103.0 {
        return 0.0;
    }
    // Round to the nearest integer by adding and subtracting 1.5 * 2^23
    // (exact IEEE arithmetic; |x * log2 e| < 2^22 here), without a libm call.
    const ROUND: f32 = 12_582_912.0;
    let k = (x * std::f32::consts::LOG2_E + ROUND) - ROUND;
    let r = (x - k * LN2_HI) - k * LN2_LO;
    let p = 1.0
        + r * (1.0
            + r * (0.5
                + r * (1.0 / 6.0
                    + r * (1.0 / 24.0
                        + r * (1.0 / 120.0
                            + r * (1.0 / 720.0 + r * (1.0 / 5040.0 + r * (1.0 / 40320.0))))))));
    // Scale by 2^k in two halves so that k down to -149 stays representable.
    let k = k as i32;
    let half = k / 2;
    p * pow2(half) * pow2(k - half)
}

/// `e^-x` for `x >= 0` (and for `x` NaN or negative, as for 0: 1), a
/// shorter path than [`exp`] for a factor that only damps: `2^y` with
/// `y = -x log2 e` split into a whole `n` and `f` in `[-1/2, 1/2]`, `2^f` by
/// Cephes' degree-6 polynomial (relative error about 2e-7, plus the f32
/// rounding of `y`, below `1e-7 x`) evaluated by
/// Estrin's scheme, so its chain of dependent operations is a third of
/// Horner's; 0 once `e^-x` is below the smallest normal `f32`.
#[inline]
pub fn exp_neg(x: f32) -> f32 {
    // NaN and negative x fail the test and give 1.
    let x = if x > 0.0 { x } else { 0.0 };
    let y = -x * std::f32::consts::LOG2_E;
    if y < -126.0 {
        return 0.0;
    }
    // Round to the nearest integer by adding and subtracting 1.5 * 2^23.
    const ROUND: f32 = 12_582_912.0;
    let n = (y + ROUND) - ROUND;
    let f = y - n;
    let f2 = f * f;
    let f4 = f2 * f2;
    let a = 1.0 + std::f32::consts::LN_2 * f;
    let b = 0.240_226_48 + 0.055_503_324 * f;
    let c = 0.009_618_437 + 0.001_339_887_5 * f;
    let p = a + f2 * b + f4 * (c + f2 * 1.535_336_2e-4);
    p * pow2(n as i32)
}

/// `x^n` for a whole `n` by binary powering, in a fixed order of
/// multiplications (that of compiler-rt's `__powisf2`): `f32::powi` leaves the
/// order unspecified, so its last bit may differ between builds.
#[inline]
pub fn powi(mut x: f32, mut n: u32) -> f32 {
    let mut r = 1.0f32;
    loop {
        if n & 1 == 1 {
            r *= x;
        }
        n /= 2;
        if n == 0 {
            return r;
        }
        x *= x;
    }
}

/// `x^y` for `x >= 0`.
#[inline]
pub fn pow(x: f32, y: f32) -> f32 {
    if y == 0.0 {
        return 1.0;
    }
    if x == 0.0 {
        return if y > 0.0 { 0.0 } else { f32::INFINITY };
    }
    if y == 1.0 {
        return x;
    }
    if y == 2.0 {
        return x * x;
    }
    exp(y * ln(x))
}

/// `max(x, 0)` as a comparison and a select, which vectorises (the same
/// value as `x.max(0.0)` for every number; 0 for NaN).
#[inline(always)]
pub fn max0(x: f32) -> f32 {
    if x > 0.0 {
        x
    } else {
        0.0
    }
}

/// `min(x, y)` as a comparison and a select, which vectorises (the same value
/// as `x.min(y)` when neither is NaN).
#[inline(always)]
pub fn min(x: f32, y: f32) -> f32 {
    if x < y {
        x
    } else {
        y
    }
}

/// The logistic function `1 / (1 + e^-x)`.
#[inline]
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + exp(-x))
}

#[inline]
fn pow2(k: i32) -> f32 {
    // k in [-126, 127] here.
    f32::from_bits(((k + 127).clamp(1, 254) as u32) << 23)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_neg_is_close_to_exp_and_never_rises() {
        assert_eq!(exp_neg(0.0), 1.0);
        assert_eq!(exp_neg(-3.0), 1.0);
        assert_eq!(exp_neg(f32::NAN), 1.0);
        assert_eq!(exp_neg(200.0), 0.0);
        let mut last = 1.0f32;
        for k in 0..=870_000 {
            let x = k as f32 * 1e-4;
            let e = exp_neg(x);
            let want = (-(x as f64)).exp();
            // The f32 rounding of y = -x log2 e (half an ulp of y) makes the
            // result's relative error grow with x: below 1e-7 x.
            assert!(
                ((e as f64 - want) / want).abs() < 4e-7 + 1e-7 * x as f64,
                "x {x}: {e} against {want}"
            );
            assert!(e <= last, "rises at {x}");
            last = e;
        }
    }

    fn rel(a: f32, b: f32) -> f32 {
        if a == b {
            0.0
        } else {
            ((a - b) / b).abs()
        }
    }

    #[test]
    fn whole_powers_multiply_in_binary_order() {
        assert_eq!(powi(0.7, 0), 1.0);
        assert_eq!(powi(0.7, 1), 0.7);
        assert_eq!(powi(0.7, 2), 0.7 * 0.7);
        let a2 = 0.7f32 * 0.7;
        assert_eq!(powi(0.7, 5), 0.7 * (a2 * a2));
        for n in 0..40 {
            let want = 0.9f64.powi(n as i32);
            assert!((powi(0.9, n) as f64 / want - 1.0).abs() < 1e-5, "0.9^{n}");
        }
    }

    #[test]
    fn ln_matches_std_to_a_millionth_over_a_wide_range() {
        let mut y = 1e-30f32;
        while y < 1e30 {
            for f in [1.0f32, 1.37, 2.9, 7.77] {
                let v = y * f;
                let (a, b) = (ln(v), v.ln());
                assert!(
                    (a - b).abs() <= 1e-6 * b.abs().max(1.0),
                    "ln({v}) = {a}, std {b}"
                );
            }
            y *= 10.0;
        }
        assert_eq!(ln(1.0), 0.0);
        assert!(ln(0.0).is_infinite() && ln(-1.0).is_nan());
    }

    #[test]
    fn ln_1p_matches_f64_to_a_millionth_across_every_table_bin() {
        // Dense over [0, 4) (every bin, both sides of each bin edge), then
        // geometric up to 1e30; compared with ln_1p in f64.
        let mut x = 0.0f32;
        while x < 4.0 {
            let want = (x as f64).ln_1p();
            let got = ln_1p(x) as f64;
            assert!(
                (got - want).abs() <= 1e-6 * want.abs() + 1e-30,
                "ln_1p({x}) = {got}, f64 {want}"
            );
            x = x * 1.0001 + 1e-7;
        }
        let mut x = 4.0f32;
        while x < 1e30 {
            let want = (x as f64).ln_1p();
            assert!((ln_1p(x) as f64 - want).abs() <= 1e-6 * want, "ln_1p({x})");
            x *= 1.013;
        }
        assert_eq!(ln_1p(0.0), 0.0);
        assert!(ln_1p(f32::NAN).is_nan());
        assert_eq!(ln_1p(f32::INFINITY), f32::INFINITY);
        assert!((ln_1p(-0.5) - (-0.5f32).ln_1p()).abs() < 1e-6);
    }

    #[test]
    fn ln_1p_matches_std_including_tiny_arguments() {
        for x in [0.0f32, 1e-9, 1e-5, 3e-4, 0.01, 0.5, 1.0, 3.0, 1e3, 1e7] {
            assert!(rel(ln_1p(x), x.ln_1p()) < 1e-6, "ln_1p({x})");
        }
    }

    #[test]
    fn exp_matches_std_to_a_millionth() {
        let mut x = -100.0f32;
        while x < 88.0 {
            assert!(
                rel(exp(x), x.exp()) < 2e-6,
                "exp({x}) = {} vs {}",
                exp(x),
                x.exp()
            );
            x += 0.173;
        }
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(200.0), f32::INFINITY);
        assert_eq!(exp(-200.0), 0.0);
    }

    #[test]
    fn pow_and_sigmoid_behave() {
        for (x, y) in [(0.3f32, 2.0f32), (0.05, 2.5), (0.9, 0.5), (2.0, 10.0)] {
            assert!(rel(pow(x, y), x.powf(y)) < 2e-6, "pow({x}, {y})");
        }
        assert_eq!(pow(0.0, 2.0), 0.0);
        assert_eq!(sigmoid(0.0), 0.5);
        assert!(sigmoid(50.0) <= 1.0 && sigmoid(-50.0) >= 0.0);
    }
}
