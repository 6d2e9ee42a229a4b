//! The ARMv8 SHA backend (aarch64 with the SHA2 extension, which includes SHA-1):
//! `sha256h`/`sha256h2` (four SHA-256 rounds per pair) and `sha1c`/`sha1p`/`sha1m` (four
//! SHA-1 rounds), one candidate per instruction stream, two candidates per evaluation in
//! lockstep so the core overlaps their chains. Per chunk, the rounds before the varying
//! word (rounded down to a multiple of four) are computed once. The same structure as
//! the x86 [`sha_ni`](super) backend, specialised the same way for the varying word
//! (`VW`, known at compile time).

use std::arch::aarch64::*;
use std::ops::Range;

use grindstone_core::job::BLOCK_LEN;
use grindstone_core::sha::{K256, k1, sha1_prefix, sha256_prefix};
use grindstone_core::{Filter, Job};

use super::drive::{Group, PerWord, Words, drive_per_word, layout, words};

/// Whether this CPU can run the backend.
pub fn is_available() -> bool {
    std::arch::is_aarch64_feature_detected!("sha2")
}

/// See the [backend contract](super).
pub fn search(job: &Job, range: Range<u64>) -> Option<u64> {
    if !is_available() {
        return super::portable::search(job, range);
    }
    // SAFETY: `is_available()` just checked the SHA2 extension (NEON is part of the
    // aarch64 baseline), the feature `search_sha2` enables.
    unsafe { search_sha2(job, range) }
}

#[target_feature(enable = "neon,sha2")]
fn search_sha2(job: &Job, range: Range<u64>) -> Option<u64> {
    let Some(lay) = layout(job) else {
        return super::portable::search(job, range);
    };
    drive_per_word::<ArmSha2>(job, &lay, range)
}

/// This backend's kernels, one per hash and varying word.
struct ArmSha2;

impl PerWord for ArmSha2 {
    type Sha256<const VW: usize> = Sha256Arm<VW, false>;
    type Sha256Two<const VW: usize> = Sha256Arm<VW, true>;
    type Sha1<const VW: usize> = Sha1Arm<VW>;
}

/// First round a kernel for varying word `vw` computes per candidate: the word's,
/// rounded down to the instructions' four.
const fn start(vw: usize) -> usize {
    vw & !3
}

/// Candidates per evaluation.
const N: usize = 2;

/// Four message words as a vector, `w[0]` in lane 0.
#[inline(always)]
fn quad_of(w: &[u32]) -> uint32x4_t {
    assert!(w.len() >= 4);
    // SAFETY: only reached inside `search_sha2` (NEON detected); the assert keeps the
    // 16-byte read inside `w`.
    unsafe { vld1q_u32(w.as_ptr()) }
}

/// Replaces lane `lane` (0..4) of `v` with `x`.
#[inline(always)]
fn insert(v: uint32x4_t, x: u32, lane: usize) -> uint32x4_t {
    // SAFETY: only reached inside `search_sha2` (NEON detected).
    unsafe {
        match lane {
            0 => vsetq_lane_u32::<0>(x, v),
            1 => vsetq_lane_u32::<1>(x, v),
            2 => vsetq_lane_u32::<2>(x, v),
            _ => vsetq_lane_u32::<3>(x, v),
        }
    }
}

/// The SHA-256 kernel for message word `VW` varying; with `TWO`, a constant block
/// follows the nonce's. Private to this module and only built or used inside
/// `search_sha2` (SHA2 detected), which makes the intrinsics sound.
struct Sha256Arm<const VW: usize, const TWO: bool>;

/// Per-chunk constants of the SHA-256 kernel.
struct Chunk256 {
    abcd: uint32x4_t,
    efgh: uint32x4_t,
    /// Message words 0..16, four per vector.
    m: [uint32x4_t; 4],
    k: [uint32x4_t; 16],
    /// The midstate's first word (one block).
    h0: u32,
    /// With a second block (`TWO`), its constants.
    two: Option<Two256>,
}

/// Per-chunk constants of the SHA-256 kernel's second, constant block.
struct Two256 {
    /// The midstate as (abcd, efgh), added to the state after the nonce's block.
    mid: (uint32x4_t, uint32x4_t),
    /// `K + W` of the second block, four rounds per vector.
    kw: [uint32x4_t; 16],
}

/// Rounds `4Q..4Q+4` (and, from `Q = 4`, the schedule of their message words), from
/// [`start`]`(VW)` on. Callers need the SHA2 extension (only `search_sha2` reaches this).
#[inline]
#[target_feature(enable = "neon,sha2")]
fn quad256<const Q: usize, const VW: usize>(
    sts: &mut [(uint32x4_t, uint32x4_t); N],
    ms: &mut [[uint32x4_t; 4]; N],
    c: &Chunk256,
) {
    for (st, m) in sts.iter_mut().zip(ms.iter_mut()) {
        if Q >= 4 {
            let t = vsha256su0q_u32(m[Q % 4], m[(Q + 1) % 4]);
            m[Q % 4] = vsha256su1q_u32(t, m[(Q + 2) % 4], m[(Q + 3) % 4]);
        }
        if 4 * Q < start(VW) {
            continue;
        }
        let wk = vaddq_u32(m[Q % 4], c.k[Q]);
        let (abcd, efgh) = st;
        let before = *abcd;
        *abcd = vsha256hq_u32(*abcd, *efgh, wk);
        *efgh = vsha256h2q_u32(*efgh, before, wk);
    }
}

/// The 64 rounds of the constant second block from the states `sts` (the midstate already
/// added). Callers need the SHA2 extension (only `search_sha2` reaches this).
#[inline]
#[target_feature(enable = "neon,sha2")]
fn tail256(sts: &mut [(uint32x4_t, uint32x4_t); N], two: &Two256) {
    for wk in &two.kw {
        for (abcd, efgh) in sts.iter_mut() {
            let before = *abcd;
            *abcd = vsha256hq_u32(*abcd, *efgh, *wk);
            *efgh = vsha256h2q_u32(*efgh, before, *wk);
        }
    }
}

impl<const VW: usize, const TWO: bool> Group for Sha256Arm<VW, TWO> {
    const N: usize = N;
    type Chunk = Chunk256;

    #[inline(always)]
    fn chunk(mid: &[u32; 8], block: &[u8; BLOCK_LEN], kw2: Option<&[u32; 64]>) -> Chunk256 {
        let w = words(block);
        let s = sha256_prefix(mid, &w[..start(VW)]);
        Chunk256 {
            abcd: quad_of(&s[..4]),
            efgh: quad_of(&s[4..]),
            m: [0, 4, 8, 12].map(|j| quad_of(&w[j..])),
            k: std::array::from_fn(|q| quad_of(&K256[4 * q..])),
            h0: mid[0],
            // `drive` passes the constants exactly where the layout has a second block,
            // which is where it runs these kernels.
            two: TWO
                .then(|| kw2.expect("a two-block layout has its second block's K + W"))
                .map(|kw| Two256 {
                    mid: (quad_of(&mid[..4]), quad_of(&mid[4..])),
                    kw: std::array::from_fn(|q| quad_of(&kw[4 * q..])),
                }),
        }
    }

    #[inline(always)]
    fn eval(c: &Chunk256, _vw: usize, w: Words<'_>, filter: &Filter) -> u32 {
        let mut m = [c.m; N];
        for (i, mi) in m.iter_mut().enumerate() {
            mi[VW / 4] = insert(mi[VW / 4], w.get(i), VW % 4);
        }
        let mut st = [(c.abcd, c.efgh); N];
        macro_rules! quads {
            // SAFETY: only reached inside `search_sha2` (SHA2 detected).
            ($($q:literal)*) => { $( unsafe { quad256::<$q, VW>(&mut st, &mut m, c) }; )* };
        }
        quads!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15);
        let mut mask = 0;
        if let (true, Some(two)) = (TWO, &c.two) {
            // The midstate added, then the constant block; the digest's first word is
            // its `a` plus the `a` it started from.
            let mut a1 = [0u32; N];
            for (s, a) in st.iter_mut().zip(a1.iter_mut()) {
                // SAFETY: only reached inside `search_sha2` (NEON detected).
                unsafe {
                    *s = (vaddq_u32(s.0, two.mid.0), vaddq_u32(s.1, two.mid.1));
                    *a = vgetq_lane_u32::<0>(s.0);
                }
            }
            // SAFETY: only reached inside `search_sha2` (SHA2 detected).
            unsafe { tail256(&mut st, two) };
            for (i, (s, a)) in st.iter().zip(a1).enumerate() {
                // SAFETY: only reached inside `search_sha2` (NEON detected).
                let h = unsafe { vgetq_lane_u32::<0>(s.0) };
                mask |= u32::from(filter.passes(h.wrapping_add(a))) << i;
            }
            return mask;
        }
        for (i, s) in st.iter().enumerate() {
            // SAFETY: only reached inside `search_sha2` (NEON detected).
            let a = unsafe { vgetq_lane_u32::<0>(s.0) };
            mask |= u32::from(filter.passes(a.wrapping_add(c.h0))) << i;
        }
        mask
    }
}

/// The SHA-1 kernel (see [`Sha256Arm`], also for soundness).
struct Sha1Arm<const VW: usize>;

/// Per-chunk constants of the SHA-1 kernel.
struct Chunk1 {
    abcd: uint32x4_t,
    e: u32,
    /// Message words 0..16, four per vector.
    m: [uint32x4_t; 4],
    h0: u32,
}

/// Rounds `4Q..4Q+4` (and, from `Q = 4`, the schedule of their message words), from
/// [`start`]`(VW)` on. `st` is (abcd, e). Callers need the SHA2 extension (only
/// `search_sha2` reaches this).
#[inline]
#[target_feature(enable = "neon,sha2")]
fn quad1<const Q: usize, const VW: usize>(
    sts: &mut [(uint32x4_t, u32); N],
    ms: &mut [[uint32x4_t; 4]; N],
) {
    for (st, m) in sts.iter_mut().zip(ms.iter_mut()) {
        if Q >= 4 {
            let t = vsha1su0q_u32(m[Q % 4], m[(Q + 1) % 4], m[(Q + 2) % 4]);
            m[Q % 4] = vsha1su1q_u32(t, m[(Q + 3) % 4]);
        }
        if 4 * Q < start(VW) {
            continue;
        }
        let wk = vaddq_u32(m[Q % 4], vdupq_n_u32(k1(4 * Q)));
        let (abcd, e) = st;
        let next_e = vsha1h_u32(vgetq_lane_u32::<0>(*abcd));
        *abcd = match Q / 5 {
            0 => vsha1cq_u32(*abcd, *e, wk),
            2 => vsha1mq_u32(*abcd, *e, wk),
            _ => vsha1pq_u32(*abcd, *e, wk),
        };
        *e = next_e;
    }
}

impl<const VW: usize> Group for Sha1Arm<VW> {
    const N: usize = N;
    type Chunk = Chunk1;

    #[inline(always)]
    fn chunk(mid: &[u32; 8], block: &[u8; BLOCK_LEN], _: Option<&[u32; 64]>) -> Chunk1 {
        let w = words(block);
        let s = sha1_prefix(mid, &w[..start(VW)]);
        Chunk1 {
            abcd: quad_of(&s[..4]),
            e: s[4],
            m: [0, 4, 8, 12].map(|j| quad_of(&w[j..])),
            h0: mid[0],
        }
    }

    #[inline(always)]
    fn eval(c: &Chunk1, _vw: usize, w: Words<'_>, filter: &Filter) -> u32 {
        let mut m = [c.m; N];
        for (i, mi) in m.iter_mut().enumerate() {
            mi[VW / 4] = insert(mi[VW / 4], w.get(i), VW % 4);
        }
        let mut st = [(c.abcd, c.e); N];
        macro_rules! quads {
            // SAFETY: only reached inside `search_sha2` (SHA2 detected).
            ($($q:literal)*) => { $( unsafe { quad1::<$q, VW>(&mut st, &mut m) }; )* };
        }
        quads!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19);
        let mut mask = 0;
        for (i, s) in st.iter().enumerate() {
            // SAFETY: only reached inside `search_sha2` (NEON detected).
            let a = unsafe { vgetq_lane_u32::<0>(s.0) };
            mask |= u32::from(filter.passes(a.wrapping_add(c.h0))) << i;
        }
        mask
    }
}
