//! The AVX-512 backend: 16 candidates per vector, `vprord` rotations and `vpternlogd` for
//! `Ch`, `Maj` and three-way XORs, over the shared lane kernels in [`super::lanes`].

use std::arch::x86_64::*;
use std::ops::Range;

use grindstone_core::{Filter, Job};

use super::lanes::{self, Lanes};

/// Whether this CPU can run the backend.
pub fn is_available() -> bool {
    std::is_x86_feature_detected!("avx512f")
}

/// See the [backend contract](super).
pub fn search(job: &Job, range: Range<u64>) -> Option<u64> {
    if !is_available() {
        return super::portable::search(job, range);
    }
    // SAFETY: `is_available()` just checked that the CPU supports AVX-512F, the only
    // feature `search_avx512` enables.
    unsafe { search_avx512(job, range) }
}

#[target_feature(enable = "avx512f")]
fn search_avx512(job: &Job, range: Range<u64>) -> Option<u64> {
    lanes::search::<V16>(job, range)
}

/// 16 lanes. Private to this module: values exist only inside `search_avx512`, which runs
/// only after AVX-512F was detected, so every intrinsic below runs on a CPU that has it.
#[derive(Clone, Copy)]
struct V16(__m512i);

macro_rules! ror {
    ($x:expr, $r:literal) => {
        // SAFETY: see `V16`: only reached inside `search_avx512` (AVX-512F detected).
        unsafe { _mm512_ror_epi32::<$r>($x) }
    };
}

impl Lanes for V16 {
    const N: usize = 16;
    #[inline(always)]
    fn splat(x: u32) -> Self {
        // SAFETY: see `V16`.
        V16(unsafe { _mm512_set1_epi32(x as i32) })
    }
    #[inline(always)]
    fn load(v: &[u32]) -> Self {
        assert!(v.len() >= 16);
        // SAFETY: see `V16` for the feature; the assert above makes the 64-byte unaligned
        // read stay inside `v`.
        V16(unsafe { _mm512_loadu_si512(v.as_ptr().cast()) })
    }
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        // SAFETY: see `V16`.
        V16(unsafe { _mm512_add_epi32(self.0, o.0) })
    }
    #[inline(always)]
    fn xor(self, o: Self) -> Self {
        // SAFETY: see `V16`.
        V16(unsafe { _mm512_xor_si512(self.0, o.0) })
    }
    #[inline(always)]
    fn xor3(a: Self, b: Self, c: Self) -> Self {
        // SAFETY: see `V16`.
        V16(unsafe { _mm512_ternarylogic_epi32::<0x96>(a.0, b.0, c.0) })
    }
    #[inline(always)]
    fn ch(e: Self, f: Self, g: Self) -> Self {
        // SAFETY: see `V16`.
        V16(unsafe { _mm512_ternarylogic_epi32::<0xCA>(e.0, f.0, g.0) })
    }
    #[inline(always)]
    fn maj(a: Self, b: Self, c: Self) -> Self {
        // SAFETY: see `V16`.
        V16(unsafe { _mm512_ternarylogic_epi32::<0xE8>(a.0, b.0, c.0) })
    }
    #[inline(always)]
    fn big_sigma0(a: Self) -> Self {
        Self::xor3(V16(ror!(a.0, 2)), V16(ror!(a.0, 13)), V16(ror!(a.0, 22)))
    }
    #[inline(always)]
    fn big_sigma1(e: Self) -> Self {
        Self::xor3(V16(ror!(e.0, 6)), V16(ror!(e.0, 11)), V16(ror!(e.0, 25)))
    }
    #[inline(always)]
    fn small_sigma0(x: Self) -> Self {
        // SAFETY: see `V16`.
        let s = V16(unsafe { _mm512_srli_epi32::<3>(x.0) });
        Self::xor3(V16(ror!(x.0, 7)), V16(ror!(x.0, 18)), s)
    }
    #[inline(always)]
    fn small_sigma1(x: Self) -> Self {
        // SAFETY: see `V16`.
        let s = V16(unsafe { _mm512_srli_epi32::<10>(x.0) });
        Self::xor3(V16(ror!(x.0, 17)), V16(ror!(x.0, 19)), s)
    }
    #[inline(always)]
    fn rol1(x: Self) -> Self {
        V16(ror!(x.0, 31))
    }
    #[inline(always)]
    fn rol5(x: Self) -> Self {
        V16(ror!(x.0, 27))
    }
    #[inline(always)]
    fn rol30(x: Self) -> Self {
        V16(ror!(x.0, 2))
    }
    #[inline(always)]
    fn filter_mask(self, f: &Filter) -> u32 {
        let v = self.xor(Self::splat(f.xor));
        // SAFETY: see `V16`.
        unsafe {
            let v = _mm512_and_si512(v.0, _mm512_set1_epi32(f.mask as i32));
            u32::from(_mm512_cmple_epu32_mask(v, _mm512_set1_epi32(f.max as i32)))
        }
    }
}
