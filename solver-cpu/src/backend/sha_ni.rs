//! The SHA-NI backend: the x86 SHA extensions (`sha256rnds2`, two SHA-256 rounds per
//! instruction; `sha1rnds4`, four SHA-1 rounds), one candidate per instruction stream,
//! two candidates per evaluation in lockstep so the core overlaps their chains.
//! Per chunk, the rounds before the varying word (rounded down to the instruction's
//! round count) are computed once. Each kernel is specialised for its varying word
//! (`VW`): the rounds it skips and the word's place in the message registers are then
//! known at compile time, which lets the compiler keep the message words in registers
//! (measured against one kernel taking the word at run time: README, "The SHA-NI
//! kernels specialised per varying word"). With it, three or four candidates per
//! evaluation were slower than two (SHA-256) or no faster (SHA-1).

use std::arch::x86_64::*;
use std::ops::Range;

use grindstone_core::job::BLOCK_LEN;
use grindstone_core::{Filter, Job};

use super::drive::{Group, PerWord, Words, drive_per_word, layout, words};
use grindstone_core::sha::{K256, sha1_prefix, sha256_prefix};

/// Whether this CPU can run the backend.
pub fn is_available() -> bool {
    std::is_x86_feature_detected!("sha")
        && std::is_x86_feature_detected!("sse4.1")
        && std::is_x86_feature_detected!("ssse3")
}

/// See the [backend contract](super).
pub fn search(job: &Job, range: Range<u64>) -> Option<u64> {
    if !is_available() {
        return super::portable::search(job, range);
    }
    // SAFETY: `is_available()` just checked SHA, SSE4.1 and SSSE3 (SSE2 is part of
    // x86-64), the features `search_sha_ni` enables.
    unsafe { search_sha_ni(job, range) }
}

#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
fn search_sha_ni(job: &Job, range: Range<u64>) -> Option<u64> {
    let Some(lay) = layout(job) else {
        return super::portable::search(job, range);
    };
    drive_per_word::<ShaNi>(job, &lay, range)
}

/// This backend's kernels, one per hash and varying word.
struct ShaNi;

impl PerWord for ShaNi {
    type Sha256<const VW: usize> = Sha256Ni<VW, false>;
    type Sha256Two<const VW: usize> = Sha256Ni<VW, true>;
    type Sha1<const VW: usize> = Sha1Ni<VW>;
}

/// Candidates per evaluation.
const N: usize = 2;

/// The SHA-256 kernel for message word `VW` varying; with `TWO`, a constant block
/// follows the nonce's. Private to this module and only built or used inside
/// `search_sha_ni` (SHA, SSE4.1 detected), which makes the intrinsics sound.
struct Sha256Ni<const VW: usize, const TWO: bool>;

/// Per-chunk constants of the SHA-256 kernel.
struct Chunk256 {
    abef: __m128i,
    cdgh: __m128i,
    /// Message words 0..16, four per vector, lane 0 first.
    m: [__m128i; 4],
    k: [__m128i; 16],
    /// The midstate's first word (one block).
    h0: u32,
    /// With a second block (`TWO`), its constants.
    two: Option<Two256>,
}

/// Per-chunk constants of the SHA-256 kernel's second, constant block.
struct Two256 {
    /// The midstate as (abef, cdgh), added to the state after the nonce's block.
    mid: (__m128i, __m128i),
    /// `K + W` of the second block, four rounds per vector.
    kw: [__m128i; 16],
}

/// Four words as a vector, `w[0]` in lane 0.
#[inline(always)]
fn quad_of(w: &[u32]) -> __m128i {
    let v = |i: usize| w[i] as i32;
    // SAFETY: only reached inside `search_sha_ni` (SSE2 detected).
    unsafe { _mm_set_epi32(v(3), v(2), v(1), v(0)) }
}

/// Replaces lane `lane` (0..4) of `v` with `x`.
#[inline(always)]
fn insert(v: __m128i, x: u32, lane: usize) -> __m128i {
    let x = x as i32;
    // SAFETY: only reached inside `search_sha_ni` (SSE4.1 detected).
    unsafe {
        match lane {
            0 => _mm_insert_epi32::<0>(v, x),
            1 => _mm_insert_epi32::<1>(v, x),
            2 => _mm_insert_epi32::<2>(v, x),
            _ => _mm_insert_epi32::<3>(v, x),
        }
    }
}

/// Rounds `4Q..4Q+4` (and, from `Q = 4`, the schedule of their message words), from
/// the varying word `VW`'s round on, rounded down to a pair (the rounds before it are
/// the chunk's).
#[inline(always)]
fn quad256<const Q: usize, const VW: usize>(
    sts: &mut [(__m128i, __m128i); N],
    ms: &mut [[__m128i; 4]; N],
    c: &Chunk256,
) {
    let start = start256(VW);
    for (st, m) in sts.iter_mut().zip(ms.iter_mut()) {
        // SAFETY: only reached inside `search_sha_ni` (SHA, SSE4.1 detected).
        unsafe {
            if Q >= 4 {
                let t = _mm_sha256msg1_epu32(m[Q % 4], m[(Q + 1) % 4]);
                let t = _mm_add_epi32(t, _mm_alignr_epi8::<4>(m[(Q + 3) % 4], m[(Q + 2) % 4]));
                m[Q % 4] = _mm_sha256msg2_epu32(t, m[(Q + 3) % 4]);
            }
            if 4 * Q + 4 <= start {
                continue;
            }
            let wk = _mm_add_epi32(m[Q % 4], c.k[Q]);
            let (abef, cdgh) = st;
            if 4 * Q >= start {
                *cdgh = _mm_sha256rnds2_epu32(*cdgh, *abef, wk);
            }
            *abef = _mm_sha256rnds2_epu32(*abef, *cdgh, _mm_shuffle_epi32::<0x0E>(wk));
        }
    }
}

/// First round computed per candidate for varying word `vw`: the word's, rounded down to
/// a pair.
const fn start256(vw: usize) -> usize {
    vw & !1
}

/// A state as the SHA-NI registers hold it: (abef, cdgh), `a` in lane 3.
#[inline(always)]
fn abef_cdgh(s: &[u32; 8]) -> (__m128i, __m128i) {
    let [a, b, c, d, e, f, g, h] = s.map(|x| x as i32);
    // SAFETY: only reached inside `search_sha_ni` (SSE2 detected).
    unsafe { (_mm_set_epi32(a, b, e, f), _mm_set_epi32(c, d, g, h)) }
}

impl<const VW: usize, const TWO: bool> Group for Sha256Ni<VW, TWO> {
    const N: usize = N;
    type Chunk = Chunk256;

    #[inline(always)]
    fn chunk(mid: &[u32; 8], block: &[u8; BLOCK_LEN], kw2: Option<&[u32; 64]>) -> Chunk256 {
        let w = words(block);
        let start = start256(VW);
        let (abef, cdgh) = abef_cdgh(&sha256_prefix(mid, &w[..start]));
        // Mid-quad, the first `sha256rnds2` of the pair has just swapped the roles of
        // the two registers.
        let (abef, cdgh) = if start % 4 == 2 {
            (cdgh, abef)
        } else {
            (abef, cdgh)
        };
        Chunk256 {
            abef,
            cdgh,
            m: [0, 4, 8, 12].map(|j| quad_of(&w[j..])),
            k: std::array::from_fn(|q| quad_of(&K256[4 * q..])),
            h0: mid[0],
            // `drive` passes the constants exactly where the layout has a second block,
            // which is where it runs these kernels.
            two: TWO
                .then(|| kw2.expect("a two-block layout has its second block's K + W"))
                .map(|kw| Two256 {
                    mid: abef_cdgh(mid),
                    kw: std::array::from_fn(|q| quad_of(&kw[4 * q..])),
                }),
        }
    }

    #[inline(always)]
    fn eval(c: &Chunk256, _vw: usize, w: Words<'_>, filter: &Filter) -> u32 {
        // The N candidates advance in lockstep, quad by quad, so that their independent
        // instruction chains sit next to each other.
        let mut m = [c.m; N];
        for (i, mi) in m.iter_mut().enumerate() {
            mi[VW / 4] = insert(mi[VW / 4], w.get(i), VW % 4);
        }
        let mut st = [(c.abef, c.cdgh); N];
        macro_rules! quads {
            ($($q:literal)*) => { $( quad256::<$q, VW>(&mut st, &mut m, c); )* };
        }
        quads!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15);
        let mut mask = 0;
        if let (true, Some(two)) = (TWO, &c.two) {
            // The midstate added, then the 64 rounds of the constant block; the digest's
            // first word is their `a` plus the `a` they started from.
            let mut a1 = [0u32; N];
            // SAFETY: only reached inside `search_sha_ni` (SHA, SSE4.1 detected).
            unsafe {
                for (s, a) in st.iter_mut().zip(a1.iter_mut()) {
                    *s = (_mm_add_epi32(s.0, two.mid.0), _mm_add_epi32(s.1, two.mid.1));
                    *a = _mm_extract_epi32::<3>(s.0) as u32;
                }
                for wk in &two.kw {
                    for (abef, cdgh) in st.iter_mut() {
                        *cdgh = _mm_sha256rnds2_epu32(*cdgh, *abef, *wk);
                        *abef = _mm_sha256rnds2_epu32(*abef, *cdgh, _mm_shuffle_epi32::<0x0E>(*wk));
                    }
                }
            }
            for (i, (s, a)) in st.iter().zip(a1).enumerate() {
                // SAFETY: only reached inside `search_sha_ni` (SSE4.1 detected).
                let h = unsafe { _mm_extract_epi32::<3>(s.0) } as u32;
                mask |= u32::from(filter.passes(h.wrapping_add(a))) << i;
            }
            return mask;
        }
        for (i, s) in st.iter().enumerate() {
            // SAFETY: only reached inside `search_sha_ni` (SSE4.1 detected).
            let a = unsafe { _mm_extract_epi32::<3>(s.0) } as u32;
            mask |= u32::from(filter.passes(a.wrapping_add(c.h0))) << i;
        }
        mask
    }
}

/// The SHA-1 kernel (see [`Sha256Ni`], also for soundness).
struct Sha1Ni<const VW: usize>;

/// Per-chunk constants of the SHA-1 kernel.
struct Chunk1 {
    abcd: __m128i,
    e: u32,
    /// Message words 0..16, four per vector, lane 3 first (the SHA-1 NI order).
    m: [__m128i; 4],
    h0: u32,
}

/// Rounds `4Q..4Q+4` (and, from `Q = 4`, the schedule of their message words), from
/// the varying word `VW`'s round on, rounded down to a quad. `st` is (abcd, abcd before
/// the previous quad).
#[inline(always)]
fn quad1<const Q: usize, const VW: usize>(
    sts: &mut [(__m128i, __m128i); N],
    ms: &mut [[__m128i; 4]; N],
    c: &Chunk1,
) {
    let start = Sha1Ni::<VW>::START;
    for (st, m) in sts.iter_mut().zip(ms.iter_mut()) {
        // SAFETY: only reached inside `search_sha_ni` (SHA, SSE4.1 detected).
        unsafe {
            if Q >= 4 {
                let x = _mm_sha1msg1_epu32(m[Q % 4], m[(Q + 1) % 4]);
                let x = _mm_xor_si128(x, m[(Q + 2) % 4]);
                m[Q % 4] = _mm_sha1msg2_epu32(x, m[(Q + 3) % 4]);
            }
            if 4 * Q < start {
                continue;
            }
            let (abcd, prev) = st;
            let e = if 4 * Q == start {
                _mm_add_epi32(_mm_set_epi32(c.e as i32, 0, 0, 0), m[Q % 4])
            } else {
                _mm_sha1nexte_epu32(*prev, m[Q % 4])
            };
            *prev = *abcd;
            *abcd = match Q / 5 {
                0 => _mm_sha1rnds4_epu32::<0>(*abcd, e),
                1 => _mm_sha1rnds4_epu32::<1>(*abcd, e),
                2 => _mm_sha1rnds4_epu32::<2>(*abcd, e),
                _ => _mm_sha1rnds4_epu32::<3>(*abcd, e),
            };
        }
    }
}

impl<const VW: usize> Sha1Ni<VW> {
    /// First round computed per candidate: the varying word's, rounded down to a quad.
    const START: usize = VW & !3;
}

impl<const VW: usize> Group for Sha1Ni<VW> {
    const N: usize = N;
    type Chunk = Chunk1;

    #[inline(always)]
    fn chunk(mid: &[u32; 8], block: &[u8; BLOCK_LEN], _: Option<&[u32; 64]>) -> Chunk1 {
        let w = words(block);
        let s = sha1_prefix(mid, &w[..Self::START]);
        let v = |i: usize| w[i] as i32;
        // SAFETY: only reached inside `search_sha_ni` (SSE2 detected).
        unsafe {
            Chunk1 {
                abcd: _mm_set_epi32(s[0] as i32, s[1] as i32, s[2] as i32, s[3] as i32),
                e: s[4],
                m: [0, 4, 8, 12].map(|j| _mm_set_epi32(v(j), v(j + 1), v(j + 2), v(j + 3))),
                h0: mid[0],
            }
        }
    }

    #[inline(always)]
    fn eval(c: &Chunk1, _vw: usize, w: Words<'_>, filter: &Filter) -> u32 {
        let mut m = [c.m; N];
        for (i, mi) in m.iter_mut().enumerate() {
            mi[VW / 4] = insert(mi[VW / 4], w.get(i), 3 - VW % 4);
        }
        let mut st = [(c.abcd, c.abcd); N];
        macro_rules! quads {
            ($($q:literal)*) => { $( quad1::<$q, VW>(&mut st, &mut m, c); )* };
        }
        quads!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19);
        let mut mask = 0;
        for (i, s) in st.iter().enumerate() {
            // SAFETY: only reached inside `search_sha_ni` (SSE4.1 detected).
            let a = unsafe { _mm_extract_epi32::<3>(s.0) } as u32;
            mask |= u32::from(filter.passes(a.wrapping_add(c.h0))) << i;
        }
        mask
    }
}
