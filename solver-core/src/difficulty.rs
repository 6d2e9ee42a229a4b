//! Difficulty and targets.
//!
//! Hashcash semantics: a solution is valid when its digest, read as a big-endian number,
//! has at least `d` leading zero bits. Equivalently the digest is below `2^(N-d)` for an
//! `N`-bit digest. Writing the predicate as a threshold (a [`Target`]) makes fractional
//! difficulty exact: `20.5` bits means `digest < 2^(256-20.5)` (expected work `2^20.5`).
//!
//! Digests shorter than 256 bits (SHA-1) are compared as if padded with zero bits on the
//! right, which preserves leading-zero semantics.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;

/// The largest difficulty accepted, in bits (the width of a SHA-256 digest).
pub const MAX_BITS: u32 = 256;

/// A proof-of-work difficulty in bits, `0.0..=256.0`, possibly fractional.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Difficulty(f64);

impl Difficulty {
    /// An integral difficulty of `bits` leading zero bits.
    pub fn from_bits(bits: u32) -> Result<Self, Error> {
        if bits > MAX_BITS {
            return Err(range_error(bits.to_string()));
        }
        Ok(Self(f64::from(bits)))
    }

    /// A possibly fractional difficulty. Fails on NaN, infinities and values outside
    /// `0..=256`.
    pub fn new(bits: f64) -> Result<Self, Error> {
        if !bits.is_finite() || !(0.0..=f64::from(MAX_BITS)).contains(&bits) {
            return Err(range_error(bits.to_string()));
        }
        Ok(Self(bits))
    }

    /// The difficulty in bits.
    pub fn bits(self) -> f64 {
        self.0
    }

    /// Whether the difficulty is a whole number of bits.
    pub fn is_integral(self) -> bool {
        self.0.fract() == 0.0
    }

    /// Whole bits of leading zeros that every valid digest has: `floor(d)`.
    pub fn whole_bits(self) -> u32 {
        self.0.floor() as u32
    }

    /// The target: a digest is valid when it is at most [`Target::max`].
    pub fn target(self) -> Target {
        Target::for_difficulty(self)
    }

    /// Expected number of hashes to find one solution: `2^d`.
    pub fn expected_hashes(self) -> f64 {
        self.0.exp2()
    }

    /// Probability that one candidate is a solution: `2^-d`.
    pub fn success_probability(self) -> f64 {
        (-self.0).exp2()
    }

    /// Number of hashes `n` such that a search has found a solution within `n` hashes with
    /// probability `p` (`0 < p < 1`): the `p`-quantile of the geometric distribution,
    /// `ln(1-p) / ln(1-2^-d)`. Returns at least 1.
    pub fn hashes_at_percentile(self, p: f64) -> f64 {
        let p = p.clamp(0.0, 1.0 - f64::EPSILON);
        let q = self.success_probability();
        if q >= 1.0 {
            return 1.0;
        }
        ((-p).ln_1p() / (-q).ln_1p()).max(1.0)
    }

    /// Solve time in seconds at percentile `p` for a searcher doing `rate` hashes per
    /// second. `p = 0.5` is the median, `ln 2 * 2^d / rate` for large `d`.
    pub fn seconds_at_percentile(self, p: f64, rate: f64) -> f64 {
        self.hashes_at_percentile(p) / rate
    }

    /// Hashes needed, at percentile `p`, to find `k` solutions each valid at `d - log2 k`
    /// (a multi-solution challenge): the waits add up to an Erlang (gamma) distribution of
    /// shape `k` and mean `2^d`. `k = 1` is [`Difficulty::hashes_at_percentile`].
    pub fn hashes_at_percentile_k(self, p: f64, k: u32) -> f64 {
        if k <= 1 {
            return self.hashes_at_percentile(p);
        }
        erlang_quantile(k, p) * self.expected_hashes() / f64::from(k)
    }
}

/// `P(X <= x)` for `X ~ Erlang(k, 1)`: `1 - e^-x * sum_{i<k} x^i / i!`, summed in log space.
pub fn erlang_cdf(k: u32, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    let mut term = (-x).exp();
    let mut sum = term;
    for i in 1..k {
        term *= x / f64::from(i);
        sum += term;
    }
    (1.0 - sum).clamp(0.0, 1.0)
}

/// The `p`-quantile of `Erlang(k, 1)`, by bisection (to 1e-12 relative).
pub fn erlang_quantile(k: u32, p: f64) -> f64 {
    let p = p.clamp(1e-12, 1.0 - 1e-12);
    let kf = f64::from(k.max(1));
    let (mut lo, mut hi) = (0.0, kf + 40.0 * kf.sqrt() + 60.0);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if erlang_cdf(k.max(1), mid) < p {
            lo = mid;
        } else {
            hi = mid;
        }
        if hi - lo <= 1e-12 * hi {
            break;
        }
    }
    0.5 * (lo + hi)
}

impl Difficulty {
    /// The tail ratio p99 / p50 of solve times for `k` solutions (independent of `d` and of
    /// the hash rate): about 6.64 for `k = 1`, 2.7 for 4, 1.7 for 16, 1.3 for 64.
    pub fn tail_ratio(k: u32) -> f64 {
        if k <= 1 {
            return 100f64.ln() / 2f64.ln();
        }
        erlang_quantile(k, 0.99) / erlang_quantile(k, 0.5)
    }
}

fn range_error(value: String) -> Error {
    Error::DifficultyRange {
        value,
        min: 0,
        max: MAX_BITS,
    }
}

impl FromStr for Difficulty {
    type Err = Error;

    /// Parses `"20"` or `"20.5"`.
    fn from_str(s: &str) -> Result<Self, Error> {
        let t = s.trim();
        let v: f64 = t
            .parse()
            .map_err(|_| Error::DifficultySyntax(s.to_string()))?;
        if !v.is_finite() {
            return Err(Error::DifficultySyntax(s.to_string()));
        }
        if !(0.0..=f64::from(MAX_BITS)).contains(&v) {
            return Err(range_error(t.to_string()));
        }
        Self::new(v)
    }
}

impl fmt::Display for Difficulty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_integral() {
            write!(f, "{}", self.0 as u32)
        } else {
            write!(f, "{}", self.0)
        }
    }
}

/// A 256-bit threshold: a digest (big-endian, zero-padded to 256 bits) is valid when it
/// is at most `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Target {
    max: [u32; 8],
}

impl Target {
    /// The target whose valid digests have at least `bits` leading zero bits.
    pub fn leading_zero_bits(bits: u32) -> Self {
        let mut max = [u32::MAX; 8];
        let bits = bits.min(MAX_BITS);
        for (i, w) in max.iter_mut().enumerate() {
            let lo = 32 * i as u32;
            if bits >= lo + 32 {
                *w = 0;
            } else if bits > lo {
                *w = u32::MAX >> (bits - lo);
            }
        }
        Self { max }
    }

    /// The target for a (possibly fractional) difficulty: valid digests are below
    /// `2^(256-d)` (`max = floor(2^(256-d)) - 1`), so a uniformly random digest is valid
    /// with probability `2^-d` (to 53 bits of precision).
    pub fn for_difficulty(d: Difficulty) -> Self {
        if d.is_integral() {
            return Self::leading_zero_bits(d.whole_bits());
        }
        // 2^(256-d) = 2^e * 2^f with e integral, f in (0, 1).
        let x = f64::from(MAX_BITS) - d.bits();
        let e = x.floor() as i32;
        let f = x - f64::from(e);
        // Mantissa in [2^63, 2^64): 2^f scaled by 2^63.
        let m = (f.exp2() * 9_223_372_036_854_775_808.0) as u64;
        // T = m * 2^(e-63), then max = T - 1.
        let mut words = [0u32; 8];
        let shift = e - 63;
        let (m, shift) = if shift >= 0 {
            (m, shift as u32)
        } else {
            (m >> (-shift) as u32, 0)
        };
        for j in 0..64u32 {
            if (m >> j) & 1 == 1 {
                let pos = shift + j;
                if pos < 256 {
                    words[7 - (pos / 32) as usize] |= 1 << (pos % 32);
                }
            }
        }
        // Subtract one with borrow (T >= 1 because d <= 256).
        for w in words.iter_mut().rev() {
            let (v, borrow) = w.overflowing_sub(1);
            *w = v;
            if !borrow {
                break;
            }
        }
        Self { max: words }
    }

    /// A target from its big-endian words: valid digests are `<= max`.
    pub fn from_max(max: [u32; 8]) -> Self {
        Self { max }
    }

    /// The largest valid digest value, as big-endian 32-bit words.
    pub fn max(&self) -> [u32; 8] {
        self.max
    }

    /// Whether `digest` (big-endian words, zero-padded) meets the target.
    pub fn is_met(&self, digest: &[u32; 8]) -> bool {
        digest <= &self.max
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for w in &self.max {
            write!(f, "{w:08x}")?;
        }
        Ok(())
    }
}

/// Leading zero bits of a big-endian word sequence.
pub fn leading_zero_bits(words: &[u32]) -> u32 {
    let mut n = 0;
    for &w in words {
        if w == 0 {
            n += 32;
        } else {
            return n + w.leading_zeros();
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integral_targets() {
        assert_eq!(Target::leading_zero_bits(0).max(), [u32::MAX; 8]);
        assert_eq!(Target::leading_zero_bits(256).max(), [0; 8]);
        let t = Target::leading_zero_bits(20).max();
        assert_eq!(t[0], 0x0000_0fff);
        assert_eq!(&t[1..], &[u32::MAX; 7]);
        let t = Target::leading_zero_bits(40).max();
        assert_eq!(t[0], 0);
        assert_eq!(t[1], 0x00ff_ffff);
        let t = Target::leading_zero_bits(32).max();
        assert_eq!(t[0], 0);
        assert_eq!(t[1], u32::MAX);
    }

    #[test]
    fn integral_target_matches_zero_bit_count() {
        for d in 0..=256u32 {
            let t = Target::leading_zero_bits(d);
            // The largest valid digest has exactly d leading zeros (or is 0 at d=256).
            assert_eq!(leading_zero_bits(&t.max()), d);
            // One more than max would have fewer than d leading zeros.
            if d > 0 {
                let mut above = t.max();
                for w in above.iter_mut().rev() {
                    let (v, c) = w.overflowing_add(1);
                    *w = v;
                    if !c {
                        break;
                    }
                }
                assert_eq!(leading_zero_bits(&above), d - 1, "d = {d}");
                assert!(!t.is_met(&above));
            }
        }
    }

    #[test]
    fn fractional_target_sits_between_neighbours() {
        let t20 = Target::leading_zero_bits(20).max();
        let t21 = Target::leading_zero_bits(21).max();
        let t = Target::for_difficulty(Difficulty::new(20.5).unwrap()).max();
        assert!(t21 < t && t < t20);
        // 2^235.5 = 2^235 * sqrt(2): top word is (sqrt 2 * 2^(235-224)) - tiny.
        let expect = (std::f64::consts::SQRT_2 * 2048.0) as u32;
        assert_eq!(t[0], expect);
        // Fractional difficulty just above an integer is just below the integer's target.
        let t = Target::for_difficulty(Difficulty::new(8.000001).unwrap()).max();
        assert!(t < Target::leading_zero_bits(8).max());
        assert!(t > Target::leading_zero_bits(9).max());
        // Tiny and huge fractional difficulties.
        let t = Target::for_difficulty(Difficulty::new(0.5).unwrap()).max();
        assert_eq!(
            t[0],
            (std::f64::consts::FRAC_1_SQRT_2 * 4294967296.0) as u32
        );
        let t = Target::for_difficulty(Difficulty::new(255.5).unwrap()).max();
        assert_eq!(t, [0, 0, 0, 0, 0, 0, 0, 0]);
        let t = Target::for_difficulty(Difficulty::new(254.5).unwrap()).max();
        assert_eq!(t, [0, 0, 0, 0, 0, 0, 0, 1]);
    }

    #[test]
    fn erlang_quantiles_and_tail_ratios() {
        // k = 1: the exponential, quantile -ln(1 - p).
        assert!((erlang_quantile(1, 0.5) - std::f64::consts::LN_2).abs() < 1e-9);
        assert!((erlang_quantile(1, 0.99) - 100f64.ln()).abs() < 1e-9);
        // k = 2: CDF 1 - e^-x (1 + x); the median solves that = 0.5: x = 1.678346990...
        assert!((erlang_quantile(2, 0.5) - 1.678_346_990_016_661).abs() < 1e-9);
        assert!((erlang_cdf(2, 1.678_346_990_016_661) - 0.5).abs() < 1e-12);
        // The ratios the issue quotes.
        let r = |k| Difficulty::tail_ratio(k);
        assert!((r(1) - 6.644).abs() < 0.01);
        assert!((r(4) - 2.72).abs() < 0.05, "{}", r(4));
        assert!((r(16) - 1.70).abs() < 0.05, "{}", r(16));
        assert!((r(64) - 1.32).abs() < 0.05, "{}", r(64));
        // Mean is preserved: the p50 of k solutions moves towards 2^d as k grows.
        let d = Difficulty::from_bits(20).unwrap();
        let n = d.expected_hashes();
        assert!((d.hashes_at_percentile_k(0.5, 256) / n - 1.0).abs() < 0.01);
        assert_eq!(
            d.hashes_at_percentile_k(0.5, 1),
            d.hashes_at_percentile(0.5)
        );
    }

    #[test]
    fn parse_and_range() {
        assert_eq!("20".parse::<Difficulty>().unwrap().bits(), 20.0);
        assert_eq!(" 20.5 ".parse::<Difficulty>().unwrap().bits(), 20.5);
        assert!(matches!(
            "257".parse::<Difficulty>(),
            Err(Error::DifficultyRange { .. })
        ));
        assert!(matches!(
            "-1".parse::<Difficulty>(),
            Err(Error::DifficultyRange { .. })
        ));
        assert!(matches!(
            "abc".parse::<Difficulty>(),
            Err(Error::DifficultySyntax(_))
        ));
        assert!(matches!(
            "NaN".parse::<Difficulty>(),
            Err(Error::DifficultySyntax(_))
        ));
        assert!(matches!(
            "inf".parse::<Difficulty>(),
            Err(Error::DifficultySyntax(_))
        ));
        assert!(Difficulty::from_bits(257).is_err());
        assert_eq!(Difficulty::new(20.5).unwrap().to_string(), "20.5");
        assert_eq!(Difficulty::from_bits(7).unwrap().to_string(), "7");
    }

    #[test]
    fn percentiles_match_closed_form() {
        let d = Difficulty::from_bits(20).unwrap();
        let n = 2f64.powi(20);
        assert_eq!(d.expected_hashes(), n);
        // For large d the geometric quantile approaches -ln(1-p) * 2^d.
        for (p, k) in [
            (0.5, std::f64::consts::LN_2),
            (0.9, 10f64.ln()),
            (0.99, 100f64.ln()),
        ] {
            let got = d.hashes_at_percentile(p);
            assert!((got / (k * n) - 1.0).abs() < 1e-5, "p={p}: {got}");
        }
        // p99 / p50 = ln 100 / ln 2 ~= 6.64.
        let ratio = d.seconds_at_percentile(0.99, 1e6) / d.seconds_at_percentile(0.5, 1e6);
        assert!((ratio - 6.6439).abs() < 1e-3);
        // Exact small case: d = 1 (p = 1/2 per try): median is 1 try.
        let d1 = Difficulty::from_bits(1).unwrap();
        assert!((d1.hashes_at_percentile(0.5) - 1.0).abs() < 1e-12);
        assert!((d1.hashes_at_percentile(0.75) - 2.0).abs() < 1e-12);
        assert_eq!(
            Difficulty::from_bits(0).unwrap().hashes_at_percentile(0.99),
            1.0
        );
        // Fractional difficulty interpolates geometrically.
        let d = Difficulty::new(20.5).unwrap();
        assert!((d.expected_hashes() / (n * std::f64::consts::SQRT_2) - 1.0).abs() < 1e-12);
    }
}
