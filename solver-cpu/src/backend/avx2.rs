//! The AVX2 backend: 8 candidates per vector over the shared lane kernels in
//! [`super::lanes`]. AVX2 has no rotate: each rotation is two shifts and an OR.

use std::arch::x86_64::*;
use std::ops::Range;

use grindstone_core::{Filter, Job};

use super::lanes::{self, Lanes};

/// Whether this CPU can run the backend.
pub fn is_available() -> bool {
    std::is_x86_feature_detected!("avx2")
}

/// See the [backend contract](super).
pub fn search(job: &Job, range: Range<u64>) -> Option<u64> {
    if !is_available() {
        return super::portable::search(job, range);
    }
    // SAFETY: `is_available()` just checked that the CPU supports AVX2, the only feature
    // `search_avx2` enables.
    unsafe { search_avx2(job, range) }
}

#[target_feature(enable = "avx2")]
fn search_avx2(job: &Job, range: Range<u64>) -> Option<u64> {
    lanes::search::<lanes::Pair<V8>>(job, range)
}

/// 8 lanes. Private to this module: values exist only inside `search_avx2`, which runs
/// only after AVX2 was detected, so every intrinsic below runs on a CPU that has it.
#[derive(Clone, Copy)]
struct V8(__m256i);

macro_rules! ror {
    ($x:expr, $r:literal) => {
        // SAFETY: see `V8`: only reached inside `search_avx2` (AVX2 detected).
        unsafe {
            _mm256_or_si256(
                _mm256_srli_epi32::<$r>($x),
                _mm256_slli_epi32::<{ 32 - $r }>($x),
            )
        }
    };
}

impl Lanes for V8 {
    const N: usize = 8;
    #[inline(always)]
    fn splat(x: u32) -> Self {
        // SAFETY: see `V8`.
        V8(unsafe { _mm256_set1_epi32(x as i32) })
    }
    #[inline(always)]
    fn load(v: &[u32]) -> Self {
        assert!(v.len() >= 8);
        // SAFETY: see `V8` for the feature; the assert above makes the 32-byte unaligned
        // read stay inside `v`.
        V8(unsafe { _mm256_loadu_si256(v.as_ptr().cast()) })
    }
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        // SAFETY: see `V8`.
        V8(unsafe { _mm256_add_epi32(self.0, o.0) })
    }
    #[inline(always)]
    fn xor(self, o: Self) -> Self {
        // SAFETY: see `V8`.
        V8(unsafe { _mm256_xor_si256(self.0, o.0) })
    }
    #[inline(always)]
    fn xor3(a: Self, b: Self, c: Self) -> Self {
        a.xor(b).xor(c)
    }
    #[inline(always)]
    fn ch(e: Self, f: Self, g: Self) -> Self {
        // g ^ (e & (f ^ g))
        // SAFETY: see `V8`.
        V8(unsafe { _mm256_and_si256(e.0, f.xor(g).0) }).xor(g)
    }
    #[inline(always)]
    fn maj(a: Self, b: Self, c: Self) -> Self {
        // (a & b) | (c & (a | b))
        // SAFETY: see `V8`.
        V8(unsafe {
            _mm256_or_si256(
                _mm256_and_si256(a.0, b.0),
                _mm256_and_si256(c.0, _mm256_or_si256(a.0, b.0)),
            )
        })
    }
    #[inline(always)]
    fn big_sigma0(a: Self) -> Self {
        Self::xor3(V8(ror!(a.0, 2)), V8(ror!(a.0, 13)), V8(ror!(a.0, 22)))
    }
    #[inline(always)]
    fn big_sigma1(e: Self) -> Self {
        Self::xor3(V8(ror!(e.0, 6)), V8(ror!(e.0, 11)), V8(ror!(e.0, 25)))
    }
    #[inline(always)]
    fn small_sigma0(x: Self) -> Self {
        // SAFETY: see `V8`.
        let s = V8(unsafe { _mm256_srli_epi32::<3>(x.0) });
        Self::xor3(V8(ror!(x.0, 7)), V8(ror!(x.0, 18)), s)
    }
    #[inline(always)]
    fn small_sigma1(x: Self) -> Self {
        // SAFETY: see `V8`.
        let s = V8(unsafe { _mm256_srli_epi32::<10>(x.0) });
        Self::xor3(V8(ror!(x.0, 17)), V8(ror!(x.0, 19)), s)
    }
    #[inline(always)]
    fn rol1(x: Self) -> Self {
        V8(ror!(x.0, 31))
    }
    #[inline(always)]
    fn rol5(x: Self) -> Self {
        V8(ror!(x.0, 27))
    }
    #[inline(always)]
    fn rol30(x: Self) -> Self {
        V8(ror!(x.0, 2))
    }
    #[inline(always)]
    fn filter_mask(self, f: &Filter) -> u32 {
        // Unsigned v <= max  <=>  min(v, max) == v.
        // SAFETY: see `V8`.
        unsafe {
            let v = _mm256_and_si256(
                self.xor(Self::splat(f.xor)).0,
                _mm256_set1_epi32(f.mask as i32),
            );
            let le = _mm256_cmpeq_epi32(_mm256_min_epu32(v, _mm256_set1_epi32(f.max as i32)), v);
            _mm256_movemask_ps(_mm256_castsi256_ps(le)) as u32
        }
    }
}
