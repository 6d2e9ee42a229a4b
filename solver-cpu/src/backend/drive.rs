//! The chunk-and-group driver shared by the lane kernels and the SHA-extension kernels
//! (x86 SHA-NI, ARMv8 SHA).
//!
//! Within a **chunk** of nonce indices only the last message word holding nonce
//! characters (word `vw`) changes; a [`Group`] computes its per-chunk constants once and
//! then evaluates `N` consecutive candidates at a time. When the group's candidates
//! differ only in the last few characters of word `vw` (four decimal digits, three hex
//! digits, two base64 characters: a [run](run_table) of 4,096 to 10,000 values), their
//! words are one table load away ([`Words::Run`]); groups that cross a run's end are
//! built one by one ([`Words::Each`]).

use std::ops::Range;
use std::sync::OnceLock;

use grindstone_core::job::BLOCK_LEN;
use grindstone_core::sha::sha256_kw;
use grindstone_core::{Alphabet, Filter, Job};

pub(crate) use grindstone_core::sha::block_words as words;

/// The varying word of a group's candidates.
#[derive(Clone, Copy)]
pub(crate) enum Words<'a> {
    /// Candidate `i` has word `upper + last[i]` (wrapping): only the characters a run
    /// covers differ.
    Run {
        /// The first candidate's word less its run characters' contribution.
        upper: u32,
        /// The run characters' contribution, from this group's first candidate on.
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
    /// `mid`); `kw2` is `K + W` of the constant block after it where the layout has one
    /// ([`LaneLayout::two`]: the SHA-256 kernels built for two blocks run its rounds
    /// after `block`'s), computed once per job by [`drive`]. A kernel that precomputes
    /// is built for its varying word (a const parameter; the lane kernels' general one
    /// precomputes nothing), so the layout's word is not passed here.
    fn chunk(mid: &[u32; 8], block: &[u8; BLOCK_LEN], kw2: Option<&[u32; 64]>) -> Self::Chunk;
    /// Bit `i` set when candidate `i` (word `vw` = `w.get(i)`) passes `filter`.
    fn eval(c: &Self::Chunk, vw: usize, w: Words<'_>, filter: &Filter) -> u32;
}

/// Where the nonce sits, as the group kernels see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LaneLayout {
    /// The last message word holding nonce characters (the one that varies per lane).
    pub vw: usize,
    /// Whether a second, constant block follows the nonce's (SHA-256 only): the nonce
    /// ends past byte 55, where the padding no longer fits in its block.
    pub two: bool,
    /// Bit shifts of the nonce characters inside word `vw`, last character first.
    shifts: [u32; 4],
    /// How many nonce characters word `vw` holds.
    inner: usize,
    /// Indices per chunk: `radix^inner`.
    chunk: u64,
    /// How many of the last characters a run covers (at most `inner`).
    run: usize,
    /// Indices per run: `radix^run`.
    run_len: u64,
}

/// The most characters a run table covers for an alphabet of `radix` symbols: as many as
/// keep the table within 10,000 entries (40 KB), at most 4 (one word).
fn run_chars(radix: u64) -> usize {
    match radix {
        0..=10 => 4,
        11..=21 => 3,
        _ => 2,
    }
}

/// The run table of `alphabet` for a word whose last nonce character sits `shift` bits
/// up: entry `x` is the contribution to the word of the last [`run_chars`] characters
/// when they spell `x` (most significant first), characters shifted past bit 31 dropped.
/// Built once per alphabet and shift, on first use.
fn run_table(alphabet: Alphabet, shift: u32) -> &'static [u32] {
    static TABLES: [[OnceLock<Box<[u32]>>; 4]; 4] = [const { [const { OnceLock::new() }; 4] }; 4];
    let a = match alphabet {
        Alphabet::Decimal => 0,
        Alphabet::HexLower => 1,
        Alphabet::Base64 => 2,
        Alphabet::Base64Url => 3,
    };
    TABLES[a][(shift / 8) as usize].get_or_init(|| {
        let sym = alphabet.symbols();
        let radix = sym.len();
        let chars = run_chars(radix as u64);
        (0..radix.pow(chars as u32))
            .map(|x| {
                let (mut v, mut rest) = (0u64, x);
                for k in 0..chars {
                    v |= u64::from(sym[rest % radix]) << (8 * k);
                    rest /= radix;
                }
                (v << shift) as u32
            })
            .collect()
    })
}

/// The lane layout of `job`, or `None` when the kernels cannot run it: the nonce must lie
/// in one block, which is the last block or (SHA-256) the one before a last block of
/// padding and constant bytes.
pub(crate) fn layout(job: &Job) -> Option<LaneLayout> {
    let nf = job.nonce();
    let end = nf.offset + nf.width;
    let two = match job.tail().len() {
        1 => false,
        2 if end <= BLOCK_LEN && job.alg() == grindstone_core::HashAlg::Sha256 => true,
        _ => return None,
    };
    let vw = (end - 1) / 4;
    let first = nf.offset.max(vw * 4);
    let inner = end - first;
    let mut shifts = [0u32; 4];
    for (k, s) in shifts.iter_mut().enumerate().take(inner) {
        *s = 8 * (3 - ((end - 1 - k) % 4)) as u32;
    }
    let radix = nf.alphabet.radix();
    let run = inner.min(run_chars(radix));
    Some(LaneLayout {
        vw,
        two,
        shifts,
        inner,
        chunk: radix.pow(inner as u32),
        run,
        run_len: radix.pow(run as u32),
    })
}

/// A family of one-candidate-per-instruction-stream kernels (the SHA extensions), one
/// kernel per varying word `VW` (0..14, where [`layout`] puts it; 0..16 with a second
/// block) and hash.
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
pub(crate) trait PerWord {
    /// The SHA-256 kernel for varying word `VW`.
    type Sha256<const VW: usize>: Group;
    /// The SHA-256 kernel for varying word `VW` followed by a constant block
    /// ([`LaneLayout::two`]).
    type Sha256Two<const VW: usize>: Group;
    /// The SHA-1 kernel for varying word `VW`.
    type Sha1<const VW: usize>: Group;
}

/// [`drive`] with the kernel of family `F` built for the job's hash and the layout's
/// varying word.
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
#[inline(always)]
pub(crate) fn drive_per_word<F: PerWord>(
    job: &Job,
    lay: &LaneLayout,
    range: Range<u64>,
) -> Option<u64> {
    use grindstone_core::HashAlg;
    macro_rules! arms {
        ($($vw:literal)*) => {
            match (job.alg(), lay.vw) {
                $(
                    (HashAlg::Sha256, $vw) => drive::<F::Sha256<$vw>>(job, lay, range),
                    (HashAlg::Sha1, $vw) => drive::<F::Sha1<$vw>>(job, lay, range),
                )*
                _ => super::portable::search(job, range),
            }
        };
    }
    macro_rules! two {
        ($($vw:literal)*) => {
            match lay.vw {
                $( $vw => drive::<F::Sha256Two<$vw>>(job, lay, range), )*
                _ => super::portable::search(job, range),
            }
        };
    }
    if lay.two {
        two!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15)
    } else {
        arms!(0 1 2 3 4 5 6 7 8 9 10 11 12 13)
    }
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
    // The constant second block's `K + W`, the same for every chunk.
    let kw2 = lay.two.then(|| sha256_kw(&job.tail()[1]));
    let mut lanes = [0u32; 32];
    debug_assert!(G::N <= lanes.len());
    let shifts = &lay.shifts[..lay.inner];
    let table = run_table(nf.alphabet, shifts[0]);
    let run_len = lay.run_len;
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
        let c = G::chunk(job.midstate(), &block, kw2.as_ref());
        let mut w = words(&block)[lay.vw];
        while cur < chunk_end {
            let n = (G::N as u64).min(chunk_end - cur) as usize;
            let k = (cur % run_len) as usize;
            let mask = if n == G::N && (k + n) as u64 <= run_len {
                // Fast path: only the run's characters differ between lanes.
                let upper = w.wrapping_sub(table[k]);
                let run = Words::Run {
                    upper,
                    last: &table[k..],
                };
                w = if ((k + n) as u64) < run_len {
                    upper.wrapping_add(table[k + n])
                } else {
                    // The run's characters wrap to all-first; carry into the next one.
                    bump(upper.wrapping_add(table[0]), lay.run)
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
