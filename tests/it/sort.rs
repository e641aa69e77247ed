//! Exactness of the metrics' radix sorts: every output must be bitwise identical to the standard library's
//! `sort_unstable_by(f64::total_cmp)`.

use powerdyn::metrics::sort::{
    clean_bounds_f32, fold_ranked_clean_f32_as_f64, fold_ranked_f32_as_f64, sort_f32_as_f64,
    sort_f64, sort_positive_f64_into, SMALL_N, SMALL_N_F32, WIDE_N,
};

/// SplitMix64 as a small deterministic generator: output `k` is the mixer
/// applied to the counter `k` (powerdyn's own mixer).
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        let z = powerdyn::rng::splitmix64(self.0);
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
    /// Uniform in (0, 1).
    fn unif(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.unif(), self.unif());
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
    fn lognormal(&mut self, mu: f64, sigma: f64) -> f64 {
        (mu + sigma * self.normal()).exp()
    }
    /// Positive, spanning 1e-300 ..= 1e300 log-uniformly.
    fn wide(&mut self) -> f64 {
        10f64.powf(-300.0 + 600.0 * self.unif())
    }
    /// Positive subnormal.
    fn subnormal(&mut self) -> f64 {
        f64::from_bits(1 + self.below((1 << 52) - 1))
    }
    /// Any bit pattern at all (negatives, NaNs with payloads, infinities, ...).
    fn any_bits(&mut self) -> f64 {
        f64::from_bits(self.next_u64())
    }
}

fn std_sorted(v: &[f64]) -> Vec<f64> {
    let mut e = v.to_vec();
    e.sort_unstable_by(f64::total_cmp);
    e
}

fn assert_bits_eq(got: &[f64], expected: &[f64], what: &str) {
    assert_eq!(got.len(), expected.len(), "{what}: length");
    if let Some(i) = (0..got.len()).find(|&i| got[i].to_bits() != expected[i].to_bits()) {
        panic!(
            "{what}: first difference at {i} of {}: got {:e} ({:#018x}), expected {:e} ({:#018x})",
            got.len(),
            got[i],
            got[i].to_bits(),
            expected[i],
            expected[i].to_bits()
        );
    }
}

/// Checks `sort_f64` against the std sort, with a fresh and with a reused (dirty) scratch.
fn check_f64(v: &[f64], what: &str) {
    let expected = std_sorted(v);
    let mut got = v.to_vec();
    sort_f64(&mut got, &mut Vec::new());
    assert_bits_eq(&got, &expected, what);

    let mut scratch = vec![f64::NAN; v.len() + 17];
    let mut got = v.to_vec();
    sort_f64(&mut got, &mut scratch);
    assert_bits_eq(&got, &expected, what);
    check_positive_f64(v, &expected, what);
}

/// Checks `sort_positive_f64_into`: it sorts exactly when every value is positive and finite,
/// with fresh and with dirty, wrongly sized buffers, and declines otherwise.
fn check_positive_f64(v: &[f64], expected: &[f64], what: &str) {
    let positive = v.iter().all(|x| x.is_finite() && *x > 0.0);
    let buffers = [
        (Vec::new(), Vec::new(), Vec::new()),
        (vec![f64::NAN; v.len() + 9], vec![0.5; 3], vec![7; 5]),
    ];
    for (mut out, mut scratch, mut hist) in buffers {
        let done = sort_positive_f64_into(v, &mut out, &mut scratch, &mut hist);
        assert_eq!(
            done, positive,
            "{what}: positive input not sorted, or other sorted"
        );
        if done {
            assert_bits_eq(&out, expected, &format!("{what} (from positive)"));
        }
    }
}

/// Checks `sort_f32_as_f64` against converting and std-sorting, with a fresh and a reused
/// (dirty, too large) `out` and scratch; and that `fold_ranked_f32_as_f64` hands every value
/// exactly the rank at which the sort puts it.
fn check_f32(v: &[f32], what: &str) {
    let expected = std_sorted(&v.iter().map(|&x| f64::from(x)).collect::<Vec<_>>());
    let mut out = Vec::new();
    sort_f32_as_f64(v, &mut out, &mut Vec::new());
    assert_bits_eq(&out, &expected, what);

    let mut out = vec![1.5; v.len() + 3];
    let mut scratch = vec![u32::MAX; 2 * v.len() + 5];
    sort_f32_as_f64(v, &mut out, &mut scratch);
    assert_bits_eq(&out, &expected, what);

    for mut scratch in [Vec::new(), vec![u32::MAX; 2 * v.len() + 5]] {
        let placed = placed_by_rank(v.len(), what, |init, place| {
            fold_ranked_f32_as_f64(v, &mut scratch, init, place)
        });
        assert_bits_eq(&placed, &expected, &format!("{what} (ranked)"));
    }
    check_clean_f32(v, &expected, what);
}

/// Checks `clean_bounds_f32` (the bounds exactly when every value is `+0.0` or positive and
/// finite) and that `fold_ranked_clean_f32_as_f64` with them ranks as the sort does.
fn check_clean_f32(v: &[f32], expected: &[f64], what: &str) {
    let clean = |x: &f32| x.to_bits() == 0 || (x.is_finite() && *x > 0.0);
    let Some((lo, hi)) = clean_bounds_f32(v) else {
        assert!(
            v.is_empty() || !v.iter().all(clean),
            "{what}: clean values reported unclean"
        );
        return;
    };
    assert!(v.iter().all(clean), "{what}: unclean values reported clean");
    assert_eq!(
        f64::from(lo).to_bits(),
        expected[0].to_bits(),
        "{what}: min"
    );
    assert_eq!(
        f64::from(hi).to_bits(),
        expected[v.len() - 1].to_bits(),
        "{what}: max"
    );
    let mut scratch = vec![u32::MAX; 3];
    let placed = placed_by_rank(v.len(), what, |init, place| {
        fold_ranked_clean_f32_as_f64(v, (lo, hi), &mut scratch, init, place)
    });
    assert_bits_eq(&placed, expected, &format!("{what} (ranked, clean)"));
}

type Places = Vec<Option<f64>>;

/// The values a ranked fold hands out, each put at its rank; panics if a rank is given twice
/// or never.
fn placed_by_rank(
    n: usize,
    what: &str,
    fold: impl FnOnce(Places, &mut dyn FnMut(Places, usize, f64) -> Places) -> Places,
) -> Vec<f64> {
    let mut place = |mut p: Places, r: usize, x: f64| {
        assert!(p[r].is_none(), "{what}: rank {r} given twice");
        p[r] = Some(x);
        p
    };
    fold(vec![None; n], &mut place)
        .into_iter()
        .enumerate()
        .map(|(r, x)| x.unwrap_or_else(|| panic!("{what}: rank {r} never given")))
        .collect()
}

/// Sizes around the small-input thresholds and a few larger ones.
const SIZES: &[usize] = &[0, 1, 2, 3, 511, 512, 513, 1023, 1024, 1025, 3000, 100_000];

fn for_sizes(mut gen: impl FnMut(usize) -> Vec<f64>, what: &str) {
    for &n in SIZES {
        let v = gen(n);
        check_f64(&v, &format!("{what} f64 n={n}"));
        let v32: Vec<f32> = v.iter().map(|&x| x as f32).collect();
        check_f32(&v32, &format!("{what} f32 n={n}"));
    }
}

#[test]
fn tiny_inputs() {
    check_f64(&[], "empty");
    check_f64(&[0.5], "one");
    check_f64(&[2.0, 1.0], "two reversed");
    check_f64(&[1.0, 2.0], "two sorted");
    check_f64(&[0.0, -0.0], "two zeros");
    check_f32(&[], "empty");
    check_f32(&[0.5], "one");
    check_f32(&[2.0, 1.0], "two");
    check_f32(&[0.0, -0.0], "two zeros");
}

#[test]
fn all_equal() {
    for_sizes(|n| vec![0.3; n], "all 0.3");
    for_sizes(|n| vec![0.0; n], "all +0");
    for_sizes(|n| vec![-0.0; n], "all -0");
    for_sizes(|n| vec![f64::MIN_POSITIVE / 8.0; n], "all subnormal");
}

#[test]
fn mixed_signed_zeros() {
    let mut r = Rng(1);
    for_sizes(
        |n| {
            (0..n)
                .map(|_| if r.below(2) == 0 { 0.0 } else { -0.0 })
                .collect()
        },
        "±0",
    );
    // Zeros among positives: -0.0 must land before +0.0.
    for_sizes(
        |n| {
            (0..n)
                .map(|_| match r.below(4) {
                    0 => 0.0,
                    1 => -0.0,
                    _ => r.unif(),
                })
                .collect()
        },
        "±0 and uniform",
    );
}

/// Non-negative inputs with zeros take the zero-splitting path; cover its edge cases.
#[test]
fn zeros_split_off() {
    let mut r = Rng(12);
    for &n in &[600usize, 5_000, 200_000] {
        for zero_permille in [1u64, 500, 990, 999] {
            let cases: [&dyn Fn(&mut Rng) -> f64; 4] = [
                &|r| r.unif(),
                &|_| 0.75,
                &|r| f64::from_bits(1f64.to_bits() + r.below(1 << 20)), // dense cluster
                &|r| r.wide(),
            ];
            for (c, gen) in cases.iter().enumerate() {
                let mut v: Vec<f64> = (0..n)
                    .map(|_| {
                        if r.below(1000) < zero_permille {
                            if r.below(3) == 0 {
                                -0.0
                            } else {
                                0.0
                            }
                        } else {
                            gen(&mut r)
                        }
                    })
                    .collect();
                check_f64(
                    &v,
                    &format!("zeros n={n} permille={zero_permille} case={c}"),
                );
                // Only one kind of zero.
                for z in v.iter_mut().filter(|z| **z == 0.0) {
                    *z = 0.0;
                }
                check_f64(
                    &v,
                    &format!("+0 only n={n} permille={zero_permille} case={c}"),
                );
                // Dense cluster with zeros and a far outlier: the fixup fallback runs on the
                // positive part.
                if c == 2 && n > 1 {
                    v[n - 1] = 1e300;
                    check_f64(&v, &format!("zeros+cluster+outlier n={n} {zero_permille}"));
                }
            }
        }
    }
}

#[test]
fn sorted_and_reversed() {
    let mut r = Rng(2);
    for_sizes(
        |n| {
            let mut v: Vec<f64> = (0..n).map(|_| r.lognormal(4.0, 0.5)).collect();
            v.sort_by(f64::total_cmp);
            v
        },
        "sorted",
    );
    for_sizes(
        |n| {
            let mut v: Vec<f64> = (0..n).map(|_| r.unif()).collect();
            v.sort_by(|a, b| b.total_cmp(a));
            v
        },
        "reverse sorted",
    );
}

#[test]
fn distributions() {
    let mut r = Rng(3);
    for_sizes(|n| (0..n).map(|_| r.unif()).collect(), "uniform(0,1)");
    for_sizes(
        |n| (0..n).map(|_| r.lognormal(4.0, 0.5)).collect(),
        "lognormal(4,0.5)",
    );
    for_sizes(|n| (0..n).map(|_| r.wide()).collect(), "1e-300..1e300");
    for_sizes(|n| (0..n).map(|_| r.subnormal()).collect(), "subnormals");
    for_sizes(
        |n| {
            (0..n)
                .map(|_| {
                    if r.below(2) == 0 {
                        r.subnormal()
                    } else {
                        r.unif()
                    }
                })
                .collect()
        },
        "subnormals and normals",
    );
    for_sizes(
        |n| (0..n).map(|_| r.unif() * r.unif()).collect(),
        "beta-like",
    );
}

#[test]
fn many_duplicates() {
    let mut r = Rng(4);
    for k in [2u64, 7, 100, 5000] {
        let pool: Vec<f64> = (0..k).map(|_| r.lognormal(0.0, 3.0)).collect();
        for_sizes(
            |n| (0..n).map(|_| pool[r.below(k) as usize]).collect(),
            "duplicates",
        );
    }
    // Integer-valued counts: many trailing zero mantissa bits, so some radix digits are
    // constant and their passes are skipped.
    for_sizes(
        |n| (0..n).map(|_| r.below(300) as f64).collect(),
        "small integers",
    );
}

/// Values with no such restriction: negatives, infinities, NaNs with sign and payload.
#[test]
fn any_bit_patterns() {
    let mut r = Rng(5);
    for_sizes(|n| (0..n).map(|_| r.any_bits()).collect(), "random bits");
    let specials = [
        f64::NAN,
        -f64::NAN,
        f64::from_bits(0x7FF0_0000_0000_0001), // signalling NaN
        f64::from_bits(0xFFF0_0000_0000_0001),
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::MAX,
        f64::MIN,
        -1.0,
        -0.0,
        0.0,
        f64::MIN_POSITIVE,
        -f64::MIN_POSITIVE,
        f64::from_bits(1),
        -f64::from_bits(1),
    ];
    for_sizes(
        |n| {
            (0..n)
                .map(|_| match r.below(3) {
                    0 => specials[r.below(specials.len() as u64) as usize],
                    1 => -r.lognormal(0.0, 2.0),
                    _ => r.lognormal(0.0, 2.0),
                })
                .collect()
        },
        "specials",
    );
    // A single NaN among non-negative values takes the general key path.
    for_sizes(
        |n| {
            let mut v: Vec<f64> = (0..n).map(|_| r.unif()).collect();
            if n > 0 {
                v[n / 2] = f64::NAN;
            }
            v
        },
        "one NaN",
    );
}

/// Short inputs whose values all have a clear sign bit (where the standard library sort
/// compares bit patterns): NaN payloads, infinity, zero and subnormals among ordinary values.
#[test]
fn short_inputs_without_sign_bits() {
    let mut r = Rng(11);
    let specials = [
        f64::NAN,
        f64::from_bits(0x7FF0_0000_0000_0001), // signalling NaN
        f64::from_bits(0x7FF8_0000_0000_00FF),
        f64::INFINITY,
        f64::MAX,
        0.0,
        f64::MIN_POSITIVE,
        f64::from_bits(1),
    ];
    for n in [2, 3, 17, 100, 511] {
        for case in 0..20 {
            let v: Vec<f64> = (0..n)
                .map(|_| match r.below(4) {
                    0 => specials[r.below(specials.len() as u64) as usize],
                    _ => r.lognormal(0.0, 2.0),
                })
                .collect();
            check_f64(&v, &format!("sign-clear n={n} case {case}"));
            let v32: Vec<f32> = v.iter().map(|&x| x as f32).collect();
            check_f32(&v32, &format!("sign-clear f32 n={n} case {case}"));
        }
    }
}

/// Dense clusters that share their top 30 narrowed-key bits, stretched by far outliers: the
/// insertion fixup exceeds its budget and groups are sorted recursively.
#[test]
fn clusters_force_group_fallback() {
    let mut r = Rng(6);
    for &n in &[2_000usize, 50_000] {
        // One cluster of values 1 + tiny, one huge outlier.
        let mut v: Vec<f64> = (0..n)
            .map(|_| f64::from_bits(1f64.to_bits() + r.below(1 << 20)))
            .collect();
        v[0] = 1e300;
        check_f64(&v, &format!("cluster+outlier n={n}"));
        // Many mid-sized groups (sizes around the small-input threshold), general key path.
        let centres: Vec<f64> = (0..40).map(|_| r.wide()).collect();
        let v: Vec<f64> = (0..n)
            .map(|_| {
                let c = centres[r.below(40) as usize];
                let x = f64::from_bits(c.to_bits() + r.below(1 << 16));
                if r.below(10) == 0 {
                    -x
                } else {
                    x
                }
            })
            .collect();
        check_f64(&v, &format!("clustered groups n={n}"));
    }
}

/// Shapes of the narrowed key that select each pass-count / data-placement path.
#[test]
fn pass_structure_paths() {
    let mut r = Rng(7);
    let base = 1f64.to_bits();
    let from_nk = |nk: u64| f64::from_bits(base + nk);
    for &n in &[5_000usize, 60_000] {
        for sig in [1u32, 5, 10, 11, 20, 21, 30, 31, 40, 50] {
            // Narrowed keys in [0, 2^sig) with both ends present.
            let mut v: Vec<f64> = (0..n).map(|_| from_nk(r.below(1 << sig))).collect();
            v[1] = from_nk(0);
            v[2] = from_nk((1 << sig) - 1);
            check_f64(&v, &format!("sig={sig} n={n}"));
        }
        // sig = 50, low = 20: the middle radix digit (bits 30..40) is constant, so only two
        // passes run, the data ends in place and the in-place fixup runs (with collisions
        // from the random low 20 bits).
        let mut v: Vec<f64> = (0..n)
            .map(|_| from_nk((r.below(1 << 10) << 40) | (r.below(1 << 5) << 20) | r.below(1 << 20)))
            .collect();
        v[1] = from_nk(0);
        v[2] = from_nk(((1 << 10) - 1) << 40);
        check_f64(&v, &format!("two passes + in-place fixup n={n}"));
    }
    // f32: single pass (span < 2^10), skipped middle pass, and 11-bit digits (span > 2^30).
    let base32 = 1f32.to_bits();
    for &n in &[5_000usize, 60_000] {
        let v: Vec<f32> = (0..n)
            .map(|_| f32::from_bits(base32 + r.below(1000) as u32))
            .collect();
        check_f32(&v, "f32 one pass");
        let v: Vec<f32> = (0..n)
            .map(|_| {
                f32::from_bits(base32 + ((r.below(1 << 3) as u32) << 20) + r.below(1 << 10) as u32)
            })
            .collect();
        check_f32(&v, "f32 skipped middle pass");
        let v: Vec<f32> = (0..n).map(|_| (r.wide() as f32).max(1e-38)).collect();
        check_f32(&v, "f32 wide");
    }
}

/// From 2^17 keys on, `f32` keys of more than 20 significant bits take two
/// passes of up to 16-bit digits: every span, odd and even, a digit constant
/// for all keys but one, and signed values.
#[test]
fn f32_two_wide_passes() {
    let mut r = Rng(21);
    let base32 = 0x0100_0000u32;
    for &n in &[1usize << 17, 300_000] {
        for sig in [21u32, 22, 25, 30, 31, 32] {
            let span = if sig == 32 {
                u32::MAX
            } else {
                (1u32 << sig) - 1
            };
            // Keys from the bottom of the positive range; non-negative
            // values of any exponent (sig 31); or spread over all bit
            // patterns (sig 32: negatives and NaN-free mixtures).
            let v: Vec<f32> = (0..n)
                .map(|_| {
                    if sig == 31 {
                        let x = f32::from_bits(r.next_u64() as u32 & 0x7FFF_FFFF);
                        if x.is_finite() {
                            x
                        } else {
                            f32::MAX
                        }
                    } else if sig == 32 {
                        let x = f32::from_bits(r.next_u64() as u32);
                        if x.is_nan() {
                            -1.5
                        } else {
                            x
                        }
                    } else {
                        f32::from_bits(base32 + (r.next_u64() as u32 & span))
                    }
                })
                .collect();
            check_f32(&v, &format!("wide sig={sig} n={n}"));
        }
        let bits = 13u32; // sig 26: two 13-bit digits
        for (digit, odd) in [(0u32, 0usize), (0, n - 1), (1, 5), (1, n / 2)] {
            let shift = bits * digit;
            let keep = ((1u32 << 26) - 1) & !(((1u32 << bits) - 1) << shift);
            let mut nk: Vec<u32> = (0..n).map(|_| r.next_u64() as u32 & keep).collect();
            nk[2] = 0;
            nk[3] = keep; // both ends present, so the span keeps 26 bits
                          // The odd key's digit is non-zero, and its top bit is set so
                          // that the span keeps 26 bits when the odd digit is the high one.
            nk[odd] |= ((1 << (bits - 1)) | r.below(1 << (bits - 1)) as u32) << shift;
            let v: Vec<f32> = nk.iter().map(|&k| f32::from_bits(base32 + k)).collect();
            check_f32(&v, &format!("wide digit={digit} odd={odd} n={n}"));
        }
    }
}

/// From `WIDE_N` keys on, the ranks of keys of up to 16 significant bits
/// come from one counting pass, and of 17 to 20 bits from one scatter and
/// one count (the sort itself takes two 10-bit passes there).
#[test]
fn f32_ranked_narrow_spans_at_wide_sizes() {
    let mut r = Rng(22);
    let base32 = 0x3F80_0000u32; // 1.0
    for &n in &[WIDE_N, WIDE_N + 3, 250_000] {
        for sig in [1u32, 9, 15, 16, 17, 20] {
            let span = (1u32 << sig) - 1;
            let mut v: Vec<f32> = (0..n)
                .map(|_| f32::from_bits(base32 + (r.next_u64() as u32 & span)))
                .collect();
            v[7] = f32::from_bits(base32 + span); // the span is `sig` bits
            v[9] = 1.0;
            check_f32(&v, &format!("ranked sig={sig} n={n}"));
        }
        // 18 significant bits in two 9-bit digits, the low one 0 for every
        // key: the scatter is skipped and the count reads the input.
        let mut v: Vec<f32> = (0..n)
            .map(|_| f32::from_bits(base32 + ((r.next_u64() as u32 & 0x1FF) << 9)))
            .collect();
        v[5] = f32::from_bits(base32 + (0x1FF << 9));
        v[6] = 1.0;
        check_f32(&v, &format!("ranked low digit constant n={n}"));
        // All -0.0: the key range over-estimates the maximum.
        check_f32(&vec![-0.0f32; n], &format!("ranked all -0.0 n={n}"));
    }
}

/// A radix digit that is the same for all keys but one must not be skipped.
#[test]
fn digit_constant_but_for_one_key() {
    let mut r = Rng(13);
    let n = 4_000;
    for (low, bits) in [(0u32, 30u32), (20, 50)] {
        for digit in 0..3 {
            let shift = low + 10 * digit;
            let mask = !(0x3FFu64 << shift) & ((1 << bits) - 1);
            for odd in [0, 1, n / 2, n - 1] {
                let mut nk: Vec<u64> = (0..n).map(|_| r.below(1 << bits) & mask).collect();
                nk[2] = 0; // the minimum, so narrowing does not shift the digits
                nk[odd] |= (1 + r.below(1023)) << shift;
                let v: Vec<f64> = nk
                    .iter()
                    .map(|&k| f64::from_bits(1f64.to_bits() + k))
                    .collect();
                check_f64(&v, &format!("f64 low={low} digit={digit} odd={odd}"));
                if bits <= 30 {
                    let v32: Vec<f32> = nk
                        .iter()
                        .map(|&k| f32::from_bits(0x0100_0000 + k as u32))
                        .collect();
                    check_f32(&v32, &format!("f32 digit={digit} odd={odd}"));
                }
            }
        }
    }
}

#[test]
fn f32_specific() {
    let mut r = Rng(8);
    let sub32 = |r: &mut Rng| f32::from_bits(1 + r.below((1 << 23) - 1) as u32);
    for &n in SIZES {
        let v: Vec<f32> = (0..n).map(|_| sub32(&mut r)).collect();
        check_f32(&v, &format!("f32 subnormals n={n}"));
        let v: Vec<f32> = (0..n)
            .map(|_| f32::from_bits(r.next_u64() as u32))
            .collect();
        check_f32(&v, &format!("f32 random bits n={n}"));
        let v: Vec<f32> = (0..n)
            .map(|_| match r.below(5) {
                0 => 0.0,
                1 => -0.0,
                2 => sub32(&mut r),
                3 => f32::MAX,
                _ => r.unif() as f32,
            })
            .collect();
        check_f32(&v, &format!("f32 mixed n={n}"));
    }
}

#[test]
fn large_inputs() {
    let mut r = Rng(9);
    let n = 1_000_000;
    let v: Vec<f64> = (0..n).map(|_| r.unif()).collect();
    check_f64(&v, "uniform 1e6");
    let v: Vec<f64> = (0..n).map(|_| r.lognormal(4.0, 0.5)).collect();
    check_f64(&v, "lognormal 1e6");
    let v: Vec<f64> = (0..n)
        .map(|_| {
            if r.below(10) == 0 {
                0.0
            } else {
                r.lognormal(4.0, 0.5)
            }
        })
        .collect();
    check_f64(&v, "lognormal with 10% zeros 1e6");
    let v32: Vec<f32> = (0..n).map(|_| (r.unif() * r.unif()) as f32).collect();
    check_f32(&v32, "beta-like f32 1e6");
    let v: Vec<f64> = v32.iter().map(|&x| f64::from(x)).collect();
    check_f64(&v, "beta-like from f32 1e6");
}

/// Random sizes, mixtures and special values.
#[test]
fn random_cases() {
    let mut r = Rng(10);
    for case in 0..300 {
        let n = match r.below(4) {
            0 => r.below(64) as usize,
            1 => r.below(2 * SMALL_N_F32 as u64) as usize,
            2 => SMALL_N - 2 + r.below(4) as usize,
            _ => r.below(20_000) as usize,
        };
        let kind = r.below(6);
        let pool: Vec<f64> = (0..1 + r.below(50)).map(|_| r.wide()).collect();
        let v: Vec<f64> = (0..n)
            .map(|_| match (kind, r.below(20)) {
                (_, 0) => 0.0,
                (_, 1) => -0.0,
                (_, 2) => r.subnormal(),
                (0, _) => r.unif(),
                (1, _) => r.lognormal(4.0, 0.5),
                (2, _) => r.wide(),
                (3, _) => pool[r.below(pool.len() as u64) as usize],
                (4, _) => r.any_bits(),
                _ => (r.below(1000) as f64) * 0.125,
            })
            .collect();
        check_f64(&v, &format!("random case {case} kind {kind} n={n}"));
        let v32: Vec<f32> = v.iter().map(|&x| x as f32).collect();
        check_f32(&v32, &format!("random f32 case {case} kind {kind} n={n}"));
    }
}

#[test]
fn scratch_is_reused_without_reallocation() {
    let mut r = Rng(11);
    let v: Vec<f64> = (0..10_000).map(|_| r.unif()).collect();
    let mut scratch = Vec::new();
    let mut a = v.clone();
    sort_f64(&mut a, &mut scratch);
    assert!(scratch.len() >= v.len());
    let (ptr, cap) = (scratch.as_ptr(), scratch.capacity());
    for _ in 0..3 {
        let mut a = v.clone();
        sort_f64(&mut a, &mut scratch);
        let mut b = v[..5000].to_vec();
        sort_f64(&mut b, &mut scratch);
        assert_eq!((scratch.as_ptr(), scratch.capacity()), (ptr, cap));
    }

    let v32: Vec<f32> = v.iter().map(|&x| x as f32).collect();
    let (mut out, mut s32) = (Vec::new(), Vec::new());
    sort_f32_as_f64(&v32, &mut out, &mut s32);
    let ptrs = (out.as_ptr(), out.capacity(), s32.as_ptr(), s32.capacity());
    for _ in 0..3 {
        sort_f32_as_f64(&v32, &mut out, &mut s32);
        sort_f32_as_f64(&v32[..3000], &mut out, &mut s32);
        assert_eq!(out.len(), 3000);
        assert_eq!(
            (out.as_ptr(), out.capacity(), s32.as_ptr(), s32.capacity()),
            ptrs
        );
    }

    // Ranks of a wide input: keys and histograms live in the scratch.
    let wide: Vec<f32> = (0..WIDE_N + 100).map(|_| r.unif() as f32).collect();
    let mut s32 = Vec::new();
    let count =
        |s32: &mut Vec<u32>, v: &[f32]| fold_ranked_f32_as_f64(v, s32, 0usize, |c, _, _| c + 1);
    assert_eq!(count(&mut s32, &wide), wide.len());
    let at = (s32.as_ptr(), s32.capacity());
    for _ in 0..3 {
        assert_eq!(count(&mut s32, &wide), wide.len());
        assert_eq!(count(&mut s32, &wide[..3000]), 3000);
        assert_eq!((s32.as_ptr(), s32.capacity()), at);
    }
}

#[test]
fn f64_positive_wide_passes() {
    let mut rng = Rng(43);
    let n = WIDE_N + 1234;
    // Both digits live (log-normal, as resources are).
    let v: Vec<f64> = (0..n).map(|_| rng.lognormal(4.0, 0.5)).collect();
    check_f64(&v, "lognormal wide");
    // Only the high digit varies: powers of two (zero mantissas).
    let v: Vec<f64> = (0..n)
        .map(|_| 2f64.powi(rng.below(16) as i32 - 8))
        .collect();
    check_f64(&v, "powers of two wide");
    // Keys of at most 15 significant bits: two digits of 8 bits, no fix-up.
    let v: Vec<f64> = (0..n)
        .map(|_| f64::from_bits(1.5f64.to_bits() + rng.below(1 << 15)))
        .collect();
    check_f64(&v, "narrow span wide");
    // Only the low digit varies: two adjacent values (one significant key bit).
    let v: Vec<f64> = (0..n)
        .map(|_| f64::from_bits(1.5f64.to_bits() + rng.below(2)))
        .collect();
    check_f64(&v, "two adjacent values wide");
    // A dense cluster beside an outlier: most values share their top 30 key bits, so the
    // fix-up gives up and the groups are sorted on their own.
    let mut v: Vec<f64> = (0..n).map(|_| 1.0 + rng.unif() * 1e-12).collect();
    v[77] = 1e300;
    check_f64(&v, "cluster and outlier wide");
    // Declined: a zero, a negative value, an infinity.
    for bad in [0.0, -1.0, f64::INFINITY] {
        let mut w = v.clone();
        w[5] = bad;
        check_f64(&w, &format!("wide with {bad}"));
    }
}
