//! The chunk-and-group driver shared by the lane kernels and the SHA-NI kernels.
//!
//! Within a **chunk** of nonce indices only the last message word holding nonce
//! characters (word `vw`) changes; a [`Group`] computes its per-chunk constants once and
//! then evaluates `N` consecutive candidates at a time. When the last characters of a
//! group's candidates do not wrap (the common case with 64-character alphabets and
//! aligned groups), the group's words are one table lookup away ([`Words::Run`]);
//! otherwise they are built one by one ([`Words::Each`]).

use std::ops::Range;

use grindstone_core::job::BLOCK_LEN;
use grindstone_core::{Filter, Job};

pub(crate) use grindstone_core::sha::block_words as words;

/// The varying word of a group's candidates.
#[derive(Clone, Copy)]
pub(crate) enum Words<'a> {
    /// Candidate `i` has word `upper + last[i]` (only its last character differs).
    Run {
        /// The word with the last character's byte zeroed.
        upper: u32,
        /// The last character's contribution, from this group's first candidate on.
        last: &'a [u32],
    },
    /// Candidate `i` has word `each[i]`.
    Each(&'a [u32]),
}

impl Words<'_> {
    /// Word of candidate `i` (the two-candidate SHA kernels read words one by one).
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    #[inline(always)]
    pub(crate) fn get(self, i: usize) -> u32 {
        match self {
            Words::Run { upper, last } => upper.wrapping_add(last[i]),
            Words::Each(w) => w[i],
        }
    }
}

/// A kernel that evaluates `N` candidates at a time.
pub(crate) trait Group {
    /// Candidates per evaluation (at most 32).
    const N: usize;
    /// Per-chunk constants.
    type Chunk;
    /// Constants for the chunk whose first candidate fills `block` (one block after
    /// `mid`); word `vw` is the one that varies.
    fn chunk(mid: &[u32; 8], block: &[u8; BLOCK_LEN], vw: usize) -> Self::Chunk;
    /// Bit `i` set when candidate `i` (word `vw` = `w.get(i)`) passes `filter`.
    fn eval(c: &Self::Chunk, vw: usize, w: Words<'_>, filter: &Filter) -> u32;
}

/// Where the nonce sits, as the group kernels see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LaneLayout {
    /// The last message word holding nonce characters (the one that varies per lane).
    pub vw: usize,
    /// Bit shifts of the nonce characters inside word `vw`, last character first.
    shifts: [u32; 4],
    /// How many nonce characters word `vw` holds.
    inner: usize,
    /// Indices per chunk: `radix^inner`.
    chunk: u64,
}

/// The lane layout of `job`, or `None` when the lane kernels cannot run it (the nonce is
/// not in a single final block).
pub(crate) fn layout(job: &Job) -> Option<LaneLayout> {
    if job.tail().len() != 1 {
        return None;
    }
    let nf = job.nonce();
    let end = nf.offset + nf.width;
    let vw = (end - 1) / 4;
    if vw >= 14 {
        return None;
    }
    let first = nf.offset.max(vw * 4);
    let inner = end - first;
    let mut shifts = [0u32; 4];
    for (k, s) in shifts.iter_mut().enumerate().take(inner) {
        *s = 8 * (3 - ((end - 1 - k) % 4)) as u32;
    }
    Some(LaneLayout {
        vw,
        shifts,
        inner,
        chunk: nf.alphabet.radix().pow(inner as u32),
    })
}

/// Chunks, then groups of `G::N` consecutive indices; returns the first index passing the
/// filter.
#[inline(always)]
pub(crate) fn drive<G: Group>(job: &Job, lay: &LaneLayout, range: Range<u64>) -> Option<u64> {
    let nf = job.nonce();
    let Range {
        start: mut cur,
        end,
    } = job.clamp(range);
    let filter = job.filter();
    let sym = nf.alphabet.symbols();
    let next = nf.alphabet.successors();
    let (first, last) = (u32::from(sym[0]), u32::from(sym[sym.len() - 1]));
    let mut block = job.tail()[0];
    let mut lanes = [0u32; 32];
    debug_assert!(G::N <= lanes.len());
    let radix = sym.len();
    let shifts = &lay.shifts[..lay.inner];
    let sh0 = shifts[0];
    // The last character's contribution to word `vw`, by digit value: lanes of a group
    // whose last characters do not wrap are one load from here.
    let mut last_char = [0u32; 64];
    for (t, &c) in last_char.iter_mut().zip(sym) {
        *t = u32::from(c) << sh0;
    }
    // Increments the characters of word `w` from inner character `from` upwards (0 is the
    // last character), like an odometer; carries out of the word happen only at a chunk's
    // end, where the word is rebuilt.
    let bump = |mut w: u32, from: usize| -> u32 {
        for &sh in &shifts[from..] {
            let c = (w >> sh) & 0xff;
            let cleared = w & !(0xff << sh);
            if c != last {
                return cleared | (u32::from(next[c as usize]) << sh);
            }
            w = cleared | (first << sh);
        }
        w
    };
    while cur < end {
        let chunk_end = (cur - cur % lay.chunk).saturating_add(lay.chunk).min(end);
        nf.write(cur, &mut block);
        let c = G::chunk(job.midstate(), &block, lay.vw);
        let mut w = words(&block)[lay.vw];
        while cur < chunk_end {
            let n = (G::N as u64).min(chunk_end - cur) as usize;
            let k = (cur % radix as u64) as usize;
            let mask = if n == G::N && k + n <= radix {
                // Fast path: only the last character differs between lanes.
                let upper = w & !(0xff << sh0);
                let run = Words::Run {
                    upper,
                    last: &last_char[k..],
                };
                w = if k + n < radix {
                    upper | last_char[k + n]
                } else if shifts.len() > 1 {
                    bump(upper | last_char[0], 1)
                } else {
                    upper | last_char[0]
                };
                G::eval(&c, lay.vw, run, &filter)
            } else {
                for lane in lanes.iter_mut().take(n) {
                    *lane = w;
                    w = bump(w, 0);
                }
                G::eval(&c, lay.vw, Words::Each(&lanes), &filter)
            } & (u32::MAX >> (32 - n));
            if mask != 0 {
                return Some(cur + u64::from(mask.trailing_zeros()));
            }
            cur += n as u64;
        }
    }
    None
}
