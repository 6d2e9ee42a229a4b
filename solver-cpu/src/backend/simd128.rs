//! The WebAssembly SIMD backend: 4 lanes per `v128` over the shared lane kernels in
//! [`super::lanes`]. One vector, not a pair: x86-64 engines map `v128` to the 16 XMM
//! registers, and a pair spills (measured in Node 20: 11.4 M/s for a pair, 17.4 M/s for
//! one vector). Built only when the
//! module is compiled with `-C target-feature=+simd128` (WebAssembly has no run-time
//! feature detection: a host without SIMD refuses the module, and the npm package loads
//! its scalar build instead). simd128 has no rotate: each rotation is two shifts and an OR.

use std::arch::wasm32::*;
use std::ops::Range;

use grindstone_core::{Filter, Job};

use super::lanes::{self, Lanes};

/// Whether this build can run the backend (decided at compile time).
pub fn is_available() -> bool {
    true
}

/// See the [backend contract](super).
pub fn search(job: &Job, range: Range<u64>) -> Option<u64> {
    lanes::search::<V4>(job, range)
}

/// 4 lanes.
#[derive(Clone, Copy)]
struct V4(v128);

macro_rules! ror {
    ($x:expr, $r:literal) => {
        v128_or(u32x4_shr($x, $r), u32x4_shl($x, 32 - $r))
    };
}

impl Lanes for V4 {
    const N: usize = 4;
    #[inline(always)]
    fn splat(x: u32) -> Self {
        V4(u32x4_splat(x))
    }
    #[inline(always)]
    fn load(v: &[u32]) -> Self {
        V4(u32x4(v[0], v[1], v[2], v[3]))
    }
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        V4(u32x4_add(self.0, o.0))
    }
    #[inline(always)]
    fn xor(self, o: Self) -> Self {
        V4(v128_xor(self.0, o.0))
    }
    #[inline(always)]
    fn xor3(a: Self, b: Self, c: Self) -> Self {
        a.xor(b).xor(c)
    }
    #[inline(always)]
    fn ch(e: Self, f: Self, g: Self) -> Self {
        // (e & f) | (!e & g): one bitselect with e as the mask.
        V4(v128_bitselect(f.0, g.0, e.0))
    }
    #[inline(always)]
    fn maj(a: Self, b: Self, c: Self) -> Self {
        // Where a and b differ the majority is c; elsewhere it is a (no NOT: engines
        // lower it to two instructions).
        V4(v128_bitselect(c.0, a.0, v128_xor(a.0, b.0)))
    }
    #[inline(always)]
    fn big_sigma0(a: Self) -> Self {
        Self::xor3(V4(ror!(a.0, 2)), V4(ror!(a.0, 13)), V4(ror!(a.0, 22)))
    }
    #[inline(always)]
    fn big_sigma1(e: Self) -> Self {
        Self::xor3(V4(ror!(e.0, 6)), V4(ror!(e.0, 11)), V4(ror!(e.0, 25)))
    }
    #[inline(always)]
    fn small_sigma0(x: Self) -> Self {
        Self::xor3(V4(ror!(x.0, 7)), V4(ror!(x.0, 18)), V4(u32x4_shr(x.0, 3)))
    }
    #[inline(always)]
    fn small_sigma1(x: Self) -> Self {
        Self::xor3(V4(ror!(x.0, 17)), V4(ror!(x.0, 19)), V4(u32x4_shr(x.0, 10)))
    }
    #[inline(always)]
    fn rol1(x: Self) -> Self {
        V4(ror!(x.0, 31))
    }
    #[inline(always)]
    fn rol5(x: Self) -> Self {
        V4(ror!(x.0, 27))
    }
    #[inline(always)]
    fn rol30(x: Self) -> Self {
        V4(ror!(x.0, 2))
    }
    #[inline(always)]
    fn filter_mask(self, f: &Filter) -> u32 {
        // Unsigned v <= max, lane-wise.
        let v = v128_and(self.xor(Self::splat(f.xor)).0, u32x4_splat(f.mask));
        u32::from(i32x4_bitmask(u32x4_le(v, u32x4_splat(f.max))))
    }
}
