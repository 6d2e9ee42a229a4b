//! Round logic shared by the lane-parallel kernels (`scalar`, `avx2`, `avx512`), written
//! once over the [`Lanes`] trait and monomorphised per backend: the trait methods are
//! `#[inline(always)]`, so each backend's kernel compiles to straight-line SIMD code with
//! nothing generic left at run time.
//!
//! # Precomputation
//!
//! The planners put the varying nonce characters at the end of the final block. Within a
//! **chunk** of indices only the last message word that holds nonce characters (word
//! `vw`) changes: the characters in earlier words change only from chunk to chunk. So per
//! chunk (not per candidate) the driver computes:
//!
//! * the state after rounds `0..vw` (every round before the first varying word);
//! * round `vw` itself except for the `+ W[vw]` term, so it costs two additions per lane;
//! * every schedule word that does not depend on `W[vw]`, and the constant parts of those
//!   that do (folded into one addend, or one XOR term for SHA-1);
//! * `K[t] + W[t]` for constant words.
//!
//! The kernels then run the remaining rounds and only compute the first digest word (the
//! predicate's fast filter needs nothing else); dead-code elimination drops the rest.
//! Specialisations: SHA-256 has one for every varying word `VW` in 1..=13 (word 13 is
//! where the `sha256-bits` planner puts it; the decimal planner gets as close as the
//! scheme's largest number allows); SHA-1 has `VW = 13` (the hashcash planner's layout);
//! and `VW = 0` runs any single-block layout (all sixteen words given per lane, no
//! precomputation beyond the midstate).
//!
//! **Two blocks** (SHA-256): where the nonce ends past byte 55 of its block, the padding
//! fills one more block, the same for every candidate. That block's `K[t] + W[t]` are
//! known per chunk, so its 64 rounds need no schedule; after the nonce's block the
//! kernel keeps the whole state, adds the midstate and runs them, and the digest's first
//! word is their `a` plus the `a` they started from. Specialisations: `VW` 14 and 15
//! (where the decimal planner ends the digits) and the general `VW = 0`.

use std::marker::PhantomData;
use std::ops::Range;

use grindstone_core::job::BLOCK_LEN;
use grindstone_core::{Filter, HashAlg, Job};

use super::drive::{Group, Words, drive, layout, words};

/// A vector of `N` 32-bit lanes with the operations SHA-1 and SHA-256 need.
pub(crate) trait Lanes: Copy {
    /// Number of lanes.
    const N: usize;
    /// Every lane `x`.
    fn splat(x: u32) -> Self;
    /// Lanes from the first `N` values of `v`.
    fn load(v: &[u32]) -> Self;
    /// Lane-wise wrapping addition.
    fn add(self, o: Self) -> Self;
    /// Lane-wise XOR.
    fn xor(self, o: Self) -> Self;
    /// `a ^ b ^ c`.
    fn xor3(a: Self, b: Self, c: Self) -> Self;
    /// `(e & f) ^ (!e & g)`.
    fn ch(e: Self, f: Self, g: Self) -> Self;
    /// `(a & b) ^ (a & c) ^ (b & c)`.
    fn maj(a: Self, b: Self, c: Self) -> Self;
    /// SHA-256 `Σ0`: `ror2 ^ ror13 ^ ror22`.
    fn big_sigma0(a: Self) -> Self;
    /// SHA-256 `Σ1`: `ror6 ^ ror11 ^ ror25`.
    fn big_sigma1(e: Self) -> Self;
    /// SHA-256 `σ0`: `ror7 ^ ror18 ^ shr3`.
    fn small_sigma0(x: Self) -> Self;
    /// SHA-256 `σ1`: `ror17 ^ ror19 ^ shr10`.
    fn small_sigma1(x: Self) -> Self;
    /// Rotate left by 1 (SHA-1 schedule).
    fn rol1(x: Self) -> Self;
    /// Rotate left by 5 (SHA-1 rounds).
    fn rol5(x: Self) -> Self;
    /// Rotate left by 30 (SHA-1 rounds).
    fn rol30(x: Self) -> Self;
    /// Bit `l` set when lane `l` passes the filter.
    fn filter_mask(self, f: &Filter) -> u32;
}

impl Lanes for u32 {
    const N: usize = 1;
    #[inline(always)]
    fn splat(x: u32) -> Self {
        x
    }
    #[inline(always)]
    fn load(v: &[u32]) -> Self {
        v[0]
    }
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        self.wrapping_add(o)
    }
    #[inline(always)]
    fn xor(self, o: Self) -> Self {
        self ^ o
    }
    #[inline(always)]
    fn xor3(a: Self, b: Self, c: Self) -> Self {
        a ^ b ^ c
    }
    #[inline(always)]
    fn ch(e: Self, f: Self, g: Self) -> Self {
        g ^ (e & (f ^ g))
    }
    #[inline(always)]
    fn maj(a: Self, b: Self, c: Self) -> Self {
        (a & b) | (c & (a | b))
    }
    #[inline(always)]
    fn big_sigma0(a: Self) -> Self {
        a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22)
    }
    #[inline(always)]
    fn big_sigma1(e: Self) -> Self {
        e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25)
    }
    #[inline(always)]
    fn small_sigma0(x: Self) -> Self {
        x.rotate_right(7) ^ x.rotate_right(18) ^ (x >> 3)
    }
    #[inline(always)]
    fn small_sigma1(x: Self) -> Self {
        x.rotate_right(17) ^ x.rotate_right(19) ^ (x >> 10)
    }
    #[inline(always)]
    fn rol1(x: Self) -> Self {
        x.rotate_left(1)
    }
    #[inline(always)]
    fn rol5(x: Self) -> Self {
        x.rotate_left(5)
    }
    #[inline(always)]
    fn rol30(x: Self) -> Self {
        x.rotate_left(30)
    }
    #[inline(always)]
    fn filter_mask(self, f: &Filter) -> u32 {
        u32::from(f.passes(self))
    }
}

use grindstone_core::sha::{K256, k1, sha1_prefix, sha256_prefix};

/// Which schedule words depend on the varying word, for a specialisation `vw`
/// (`0`: every word may vary). `taps` are the schedule's back references.
const fn deps<const R: usize>(vw: usize, taps: [usize; 4]) -> [bool; R] {
    let mut d = [false; R];
    let mut t = 0;
    while t < R {
        d[t] = if vw == 0 {
            true
        } else if t < 16 {
            t == vw
        } else {
            d[t - taps[0]] || d[t - taps[1]] || d[t - taps[2]] || d[t - taps[3]]
        };
        t += 1;
    }
    d
}

/// SHA-256 schedule taps: `W[t] = σ1(W[t-2]) + W[t-7] + σ0(W[t-15]) + W[t-16]`.
const TAPS256: [usize; 4] = [2, 7, 15, 16];
/// SHA-1 schedule taps: `W[t] = rol1(W[t-3] ^ W[t-8] ^ W[t-14] ^ W[t-16])`.
const TAPS1: [usize; 4] = [3, 8, 14, 16];

/// Per-chunk constants of a SHA-256 kernel.
pub(crate) struct Pre256 {
    /// State before round `vw` (after rounds `0..vw`), roles a..h.
    st: [u32; 8],
    /// Round `vw` without `W[vw]`: new `a` and new `e` are these plus `W[vw]`.
    a_add: u32,
    e_add: u32,
    /// Constant addends of dependent schedule words.
    c: [u32; 64],
    /// `K[t] + W[t]` for constant words.
    kw: [u32; 64],
    /// First word of the midstate, added to the final `a`.
    h0: u32,
}

/// Per-chunk constants of a SHA-1 kernel.
pub(crate) struct Pre1 {
    st: [u32; 5],
    a_add: u32,
    c: [u32; 80],
    kw: [u32; 80],
    h0: u32,
}

impl Pre256 {
    fn new<const VW: usize>(mid: &[u32; 8], block: &[u8; BLOCK_LEN]) -> Self {
        let dep: [bool; 64] = deps(VW, TAPS256);
        let m = words(block);
        let mut w = [0u32; 64];
        let mut c = [0u32; 64];
        let mut kw = [0u32; 64];
        for t in 0..64 {
            if t < 16 {
                w[t] = m[t];
            } else {
                let terms = [
                    (t - 2, u32::small_sigma1 as fn(u32) -> u32),
                    (t - 7, |x| x),
                    (t - 15, u32::small_sigma0),
                    (t - 16, |x| x),
                ];
                let mut sum = 0u32;
                for (j, f) in terms {
                    if !dep[j] {
                        sum = sum.wrapping_add(f(w[j]));
                    }
                }
                if dep[t] {
                    c[t] = sum;
                } else {
                    w[t] = sum;
                }
            }
            kw[t] = K256[t].wrapping_add(w[t]);
        }
        // Rounds 0..VW, then round VW without its W term.
        let s = sha256_prefix(mid, &w[..VW]);
        let [a, b, c_, d, e, f, g, h] = s;
        let t1 = h
            .wrapping_add(u32::big_sigma1(e))
            .wrapping_add(u32::ch(e, f, g))
            .wrapping_add(K256[VW % 64]);
        let t2 = u32::big_sigma0(a).wrapping_add(u32::maj(a, b, c_));
        Self {
            st: s,
            a_add: t1.wrapping_add(t2),
            e_add: d.wrapping_add(t1),
            c,
            kw,
            h0: mid[0],
        }
    }
}

impl Pre1 {
    fn new<const VW: usize>(mid: &[u32; 8], block: &[u8; BLOCK_LEN]) -> Self {
        let dep: [bool; 80] = deps(VW, TAPS1);
        let m = words(block);
        let mut w = [0u32; 80];
        let mut c = [0u32; 80];
        let mut kw = [0u32; 80];
        for t in 0..80 {
            if t < 16 {
                w[t] = m[t];
            } else {
                let mut x = 0u32;
                for j in TAPS1.map(|k| t - k) {
                    if !dep[j] {
                        x ^= w[j];
                    }
                }
                if dep[t] {
                    c[t] = x;
                } else {
                    w[t] = x.rotate_left(1);
                }
            }
            kw[t] = k1(t).wrapping_add(w[t]);
        }
        let s = sha1_prefix(mid, &w[..VW]);
        let [a, b, c_, d, e] = s;
        let a_add = a
            .rotate_left(5)
            .wrapping_add(sha1_f(VW, b, c_, d))
            .wrapping_add(e)
            .wrapping_add(k1(VW));
        Self {
            st: s,
            a_add,
            c,
            kw,
            h0: mid[0],
        }
    }
}

#[inline(always)]
fn sha1_f<V: Lanes>(t: usize, b: V, c: V, d: V) -> V {
    match t / 20 {
        0 => V::ch(b, c, d),
        2 => V::maj(b, c, d),
        _ => V::xor3(b, c, d),
    }
}

/// Unrolls `$body` for every `T` in 0..64 (or 0..80) as a const generic.
macro_rules! unroll {
    ($f:ident::<$V:ident, $VW:ident>($a:expr, $b:expr, $c:expr); $($t:literal)*) => {
        $( $f::<$V, $VW, $t>($a, $b, $c); )*
    };
}

/// One SHA-256 step `T`: the schedule word (if it depends on the varying word) and the
/// round. The state lives in `s`, role `r` at index `(r - T) mod 8`, so nothing moves.
#[inline(always)]
fn step256<V: Lanes, const VW: usize, const T: usize>(
    s: &mut [V; 8],
    ring: &mut [V; 16],
    pre: &Pre256,
) {
    let dep: [bool; 64] = const { deps(VW, TAPS256) };
    if T <= VW {
        // Rounds before VW are precomputed; round VW is done by the caller.
        return;
    }
    let kw = if dep[T] {
        let w = if T < 16 {
            ring[T]
        } else {
            let all = dep[T - 2] && dep[T - 7] && dep[T - 15] && dep[T - 16];
            let mut x = if all { None } else { Some(V::splat(pre.c[T])) };
            let mut add = |v: V| x = Some(x.map_or(v, |a| a.add(v)));
            if dep[T - 2] {
                add(V::small_sigma1(ring[(T - 2) % 16]));
            }
            if dep[T - 7] {
                add(ring[(T - 7) % 16]);
            }
            if dep[T - 15] {
                add(V::small_sigma0(ring[(T - 15) % 16]));
            }
            if dep[T - 16] {
                add(ring[(T - 16) % 16]);
            }
            let x = x.expect("a dependent word has a dependent tap");
            ring[T % 16] = x;
            x
        };
        w.add(V::splat(K256[T]))
    } else {
        V::splat(pre.kw[T])
    };
    round256::<V, T>(s, kw);
}

/// SHA-256 round `T` with `kw` = `K[T] + W[T]`; role `r` of the state at `(r - T) mod 8`.
#[inline(always)]
fn round256<V: Lanes, const T: usize>(s: &mut [V; 8], kw: V) {
    let i = |r: usize| (r + 8 - T % 8) % 8;
    let (a, b, c, d) = (s[i(0)], s[i(1)], s[i(2)], s[i(3)]);
    let (e, f, g, h) = (s[i(4)], s[i(5)], s[i(6)], s[i(7)]);
    // h + kw does not depend on this round's e: keep it off the critical path.
    let t1 = h.add(kw).add(V::ch(e, f, g)).add(V::big_sigma1(e));
    let t2 = V::big_sigma0(a).add(V::maj(a, b, c));
    // New a goes where h was, new e where d was.
    s[i(7)] = t1.add(t2);
    s[i(3)] = d.add(t1);
}

/// Round `T` of a constant block (every `K[T] + W[T]` known per chunk).
#[inline(always)]
fn const_step256<V: Lanes, const VW: usize, const T: usize>(s: &mut [V; 8], kw: &[u32; 64], _: ()) {
    round256::<V, T>(s, V::splat(kw[T]));
}

/// The first digest word of `N` candidates whose message words are `m` (only the words a
/// specialisation treats as varying are read: word 13 for `VW = 13`, all for `VW = 0`).
#[inline(always)]
pub(crate) fn sha256_h0<V: Lanes, const VW: usize>(pre: &Pre256, m: &[V; 16]) -> V {
    sha256_rounds::<V, VW>(pre, m)[0].add(V::splat(pre.h0))
}

/// The state after the 64 rounds of the block (before the midstate is added), role `r`
/// at index `r`; a caller that reads only role a lets the compiler drop the rest.
#[inline(always)]
fn sha256_rounds<V: Lanes, const VW: usize>(pre: &Pre256, m: &[V; 16]) -> [V; 8] {
    let mut ring = *m;
    // Round VW: role r sits at (r - VW) mod 8; the new a and e are W[VW] + constants.
    let w = ring[VW];
    let i = |r: usize| (r + 8 - VW % 8) % 8;
    let mut s = [V::splat(0); 8];
    for (r, v) in pre.st.iter().enumerate() {
        s[i(r)] = V::splat(*v);
    }
    s[i(7)] = w.add(V::splat(pre.a_add));
    s[i(3)] = w.add(V::splat(pre.e_add));
    unroll!(step256::<V, VW>(&mut s, &mut ring, pre);
        0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31
        32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60
        61 62 63);
    // After 64 rounds every role is back at its own index.
    s
}

/// Per-chunk constants of a SHA-256 kernel over two blocks: the nonce's block, then a
/// constant one (the padding that did not fit).
pub(crate) struct Pre256Two {
    first: Pre256,
    /// The midstate, added to the state after the first block.
    mid: [u32; 8],
    /// `K[t] + W[t]` of the second block.
    kw: [u32; 64],
}

/// The first digest word of `N` candidates over two blocks (see [`sha256_h0`]): the
/// nonce's block, the midstate added, then the constant block.
#[inline(always)]
fn sha256_two_h0<V: Lanes, const VW: usize>(pre: &Pre256Two, m: &[V; 16]) -> V {
    let after = sha256_rounds::<V, VW>(&pre.first, m);
    let mut s: [V; 8] = std::array::from_fn(|r| after[r].add(V::splat(pre.mid[r])));
    let a = s[0];
    unroll!(const_step256::<V, VW>(&mut s, &pre.kw, ());
        0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31
        32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60
        61 62 63);
    s[0].add(a)
}

/// One SHA-1 step `T` (see [`step256`]); role `r` at `(r - T) mod 5`.
#[inline(always)]
fn step1<V: Lanes, const VW: usize, const T: usize>(
    s: &mut [V; 5],
    ring: &mut [V; 16],
    pre: &Pre1,
) {
    let dep: [bool; 80] = const { deps(VW, TAPS1) };
    if T <= VW {
        return;
    }
    let kw = if dep[T] {
        let w = if T < 16 {
            ring[T]
        } else {
            let all = TAPS1.iter().all(|&k| dep[T - k]);
            let mut x = if all { None } else { Some(V::splat(pre.c[T])) };
            for k in TAPS1 {
                if dep[T - k] {
                    let v = ring[(T - k) % 16];
                    x = Some(x.map_or(v, |a| a.xor(v)));
                }
            }
            let x = x.expect("a dependent word has a dependent tap");
            let x = V::rol1(x);
            ring[T % 16] = x;
            x
        };
        w.add(V::splat(k1(T)))
    } else {
        V::splat(pre.kw[T])
    };
    let i = |r: usize| (r + 5 - T % 5) % 5;
    let (a, b, c, d, e) = (s[i(0)], s[i(1)], s[i(2)], s[i(3)], s[i(4)]);
    let tmp = e.add(kw).add(sha1_f(T, b, c, d)).add(V::rol5(a));
    // New a goes where e was; b becomes rol30(b) in place.
    s[i(4)] = tmp;
    s[i(1)] = V::rol30(b);
}

/// The first SHA-1 digest word of `N` candidates (see [`sha256_h0`]).
#[inline(always)]
pub(crate) fn sha1_h0<V: Lanes, const VW: usize>(pre: &Pre1, m: &[V; 16]) -> V {
    let mut ring = *m;
    // Round VW: role r sits at (r - VW) mod 5; the new a is W[VW] + a constant.
    let w = ring[VW];
    let i = |r: usize| (r + 5 - VW % 5) % 5;
    let mut s = [V::splat(0); 5];
    for (r, v) in pre.st.iter().enumerate() {
        s[i(r)] = V::splat(*v);
    }
    s[i(4)] = w.add(V::splat(pre.a_add));
    s[i(1)] = V::splat(pre.st[1].rotate_left(30));
    unroll!(step1::<V, VW>(&mut s, &mut ring, pre);
        0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31
        32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60
        61 62 63 64 65 66 67 68 69 70 71 72 73 74 75 76 77 78 79);
    // After 80 rounds role a is back at index 0.
    s[0].add(V::splat(pre.h0))
}

/// A hash's kernel over the shared round logic.
pub(crate) trait Kernel {
    /// Per-chunk constants.
    type Pre;
    /// Computes the constants for specialisation `VW` from the midstate, the block of
    /// the chunk's first candidate and `K + W` of the constant block after it, if any.
    fn pre<const VW: usize>(
        mid: &[u32; 8],
        block: &[u8; BLOCK_LEN],
        kw2: Option<&[u32; 64]>,
    ) -> Self::Pre;
    /// First digest word of `V::N` candidates.
    fn h0<V: Lanes, const VW: usize>(pre: &Self::Pre, m: &[V; 16]) -> V;
}

pub(crate) struct Sha256K;
pub(crate) struct Sha256TwoK;
pub(crate) struct Sha1K;

impl Kernel for Sha256K {
    type Pre = Pre256;
    #[inline(always)]
    fn pre<const VW: usize>(
        mid: &[u32; 8],
        block: &[u8; BLOCK_LEN],
        _: Option<&[u32; 64]>,
    ) -> Pre256 {
        Pre256::new::<VW>(mid, block)
    }
    #[inline(always)]
    fn h0<V: Lanes, const VW: usize>(pre: &Pre256, m: &[V; 16]) -> V {
        sha256_h0::<V, VW>(pre, m)
    }
}

impl Kernel for Sha256TwoK {
    type Pre = Pre256Two;
    #[inline(always)]
    fn pre<const VW: usize>(
        mid: &[u32; 8],
        block: &[u8; BLOCK_LEN],
        kw2: Option<&[u32; 64]>,
    ) -> Pre256Two {
        Pre256Two {
            first: Pre256::new::<VW>(mid, block),
            mid: *mid,
            kw: *kw2.expect("a two-block layout has a second block"),
        }
    }
    #[inline(always)]
    fn h0<V: Lanes, const VW: usize>(pre: &Pre256Two, m: &[V; 16]) -> V {
        sha256_two_h0::<V, VW>(pre, m)
    }
}

impl Kernel for Sha1K {
    type Pre = Pre1;
    #[inline(always)]
    fn pre<const VW: usize>(
        mid: &[u32; 8],
        block: &[u8; BLOCK_LEN],
        _: Option<&[u32; 64]>,
    ) -> Pre1 {
        Pre1::new::<VW>(mid, block)
    }
    #[inline(always)]
    fn h0<V: Lanes, const VW: usize>(pre: &Pre1, m: &[V; 16]) -> V {
        sha1_h0::<V, VW>(pre, m)
    }
}

/// The lane kernels as a [`Group`]: `V::N` candidates per evaluation, specialisation
/// `VW` of hash kernel `K`.
pub(crate) struct LaneGroup<V, K, const VW: usize>(PhantomData<(V, K)>);

impl<V: Lanes, K: Kernel, const VW: usize> Group for LaneGroup<V, K, VW> {
    const N: usize = V::N;
    type Chunk = (K::Pre, [V; 16]);

    #[inline(always)]
    fn chunk(mid: &[u32; 8], block: &[u8; BLOCK_LEN], kw2: Option<&[u32; 64]>) -> Self::Chunk {
        (K::pre::<VW>(mid, block, kw2), words(block).map(V::splat))
    }

    #[inline(always)]
    fn eval(c: &Self::Chunk, vw: usize, w: Words<'_>, filter: &Filter) -> u32 {
        let mut m = c.1;
        m[vw] = match w {
            Words::Run { upper, last } => V::splat(upper).add(V::load(last)),
            Words::Each(lanes) => V::load(lanes),
        };
        K::h0::<V, VW>(&c.0, &m).filter_mask(filter)
    }
}

/// The backend contract (see [`super`]) for any [`Lanes`] type: dispatches on the hash and
/// the layout once per call, then runs the specialised driver.
#[inline(always)]
pub(crate) fn search<V: Lanes>(job: &Job, range: Range<u64>) -> Option<u64> {
    let Some(lay) = layout(job) else {
        return super::portable::search(job, range);
    };
    // SHA-256 has a specialisation for every varying word (the decimal planner puts it
    // where the challenge's prefix and the scheme's largest number allow); SHA-1 (hashcash,
    // whose planner always chooses word 13) has word 13 and the general case.
    macro_rules! sha256 {
        ($($vw:literal)*) => {
            match lay.vw {
                $($vw => drive::<LaneGroup<V, Sha256K, $vw>>(job, &lay, range),)*
                _ => drive::<LaneGroup<V, Sha256K, 0>>(job, &lay, range),
            }
        };
    }
    // With a second block (the nonce ends in bytes 56..64 of its block): the words the
    // decimal planner chooses there, and the general case.
    if lay.two {
        return match lay.vw {
            14 => drive::<LaneGroup<V, Sha256TwoK, 14>>(job, &lay, range),
            15 => drive::<LaneGroup<V, Sha256TwoK, 15>>(job, &lay, range),
            _ => drive::<LaneGroup<V, Sha256TwoK, 0>>(job, &lay, range),
        };
    }
    match (job.alg(), lay.vw) {
        (HashAlg::Sha256, _) => sha256!(1 2 3 4 5 6 7 8 9 10 11 12 13),
        (HashAlg::Sha1, 13) => drive::<LaneGroup<V, Sha1K, 13>>(job, &lay, range),
        (HashAlg::Sha1, _) => drive::<LaneGroup<V, Sha1K, 0>>(job, &lay, range),
    }
}

/// Two vectors processed side by side: twice the lanes, two independent dependency
/// chains for the out-of-order core to overlap.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
pub(crate) struct Pair<V>(V, V);

#[cfg(target_arch = "x86_64")]
impl<V: Lanes> Lanes for Pair<V> {
    const N: usize = 2 * V::N;
    #[inline(always)]
    fn splat(x: u32) -> Self {
        let v = V::splat(x);
        Pair(v, v)
    }
    #[inline(always)]
    fn load(v: &[u32]) -> Self {
        Pair(V::load(v), V::load(&v[V::N..]))
    }
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        Pair(self.0.add(o.0), self.1.add(o.1))
    }
    #[inline(always)]
    fn xor(self, o: Self) -> Self {
        Pair(self.0.xor(o.0), self.1.xor(o.1))
    }
    #[inline(always)]
    fn xor3(a: Self, b: Self, c: Self) -> Self {
        Pair(V::xor3(a.0, b.0, c.0), V::xor3(a.1, b.1, c.1))
    }
    #[inline(always)]
    fn ch(e: Self, f: Self, g: Self) -> Self {
        Pair(V::ch(e.0, f.0, g.0), V::ch(e.1, f.1, g.1))
    }
    #[inline(always)]
    fn maj(a: Self, b: Self, c: Self) -> Self {
        Pair(V::maj(a.0, b.0, c.0), V::maj(a.1, b.1, c.1))
    }
    #[inline(always)]
    fn big_sigma0(a: Self) -> Self {
        Pair(V::big_sigma0(a.0), V::big_sigma0(a.1))
    }
    #[inline(always)]
    fn big_sigma1(e: Self) -> Self {
        Pair(V::big_sigma1(e.0), V::big_sigma1(e.1))
    }
    #[inline(always)]
    fn small_sigma0(x: Self) -> Self {
        Pair(V::small_sigma0(x.0), V::small_sigma0(x.1))
    }
    #[inline(always)]
    fn small_sigma1(x: Self) -> Self {
        Pair(V::small_sigma1(x.0), V::small_sigma1(x.1))
    }
    #[inline(always)]
    fn rol1(x: Self) -> Self {
        Pair(V::rol1(x.0), V::rol1(x.1))
    }
    #[inline(always)]
    fn rol5(x: Self) -> Self {
        Pair(V::rol5(x.0), V::rol5(x.1))
    }
    #[inline(always)]
    fn rol30(x: Self) -> Self {
        Pair(V::rol30(x.0), V::rol30(x.1))
    }
    #[inline(always)]
    fn filter_mask(self, f: &Filter) -> u32 {
        self.0.filter_mask(f) | (self.1.filter_mask(f) << V::N)
    }
}
