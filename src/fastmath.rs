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

/// `ln(1 + x)` for `x > -1` (the step's uses: resource ratios, sums of engagement or affect).
#[inline]
pub fn ln_1p(x: f32) -> f32 {
    let u = 1.0 + x;
    if u == 1.0 {
        return x;
    }
    // Goldberg's correction for the rounding of 1 + x.
    ln(u) * (x / (u - 1.0))
}

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
    let k = (x * std::f32::consts::LOG2_E).round();
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

    fn rel(a: f32, b: f32) -> f32 {
        if a == b {
            0.0
        } else {
            ((a - b) / b).abs()
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
