//! The SHA-256 kernel's nonce layout, its generated WGSL, and the per-dispatch
//! precomputation on the host.
//!
//! A job's nonce index splits into three parts on the GPU:
//!
//! * the **last character** varies per candidate, inside an invocation's loop;
//! * the `inv` characters before it vary per invocation (digits of `q`, a `u32`);
//! * every character above those is fixed for a dispatch (the "high" part) and written
//!   into the message block by the host.
//!
//! The varying characters lie in at most two message words, `fw` (first varying word)
//! and `vw` (the word holding the last character). Each schedule word is classified as
//! constant, per-invocation or per-candidate; constant words and the constant parts of
//! the others are computed here once per dispatch, and the generated shader computes only
//! what varies.

use grindstone_core::job::BLOCK_LEN;
use grindstone_core::{Alphabet, HashAlg, Job};

/// The shader template (`shaders/sha256_search.wgsl`).
pub const TEMPLATE: &str = include_str!("../../shaders/sha256_search.wgsl");

const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/// How a schedule word varies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    /// The same for the whole dispatch.
    Const = 0,
    /// Per invocation.
    Invocation = 1,
    /// Per candidate.
    Candidate = 2,
}

/// Where the varying nonce characters sit, as the kernel sees it. Jobs with the same
/// layout share one compiled pipeline.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Layout {
    /// The nonce alphabet.
    pub alphabet: Alphabet,
    /// The alphabet's size.
    pub radix: u32,
    /// Message word of the first varying character.
    pub fw: usize,
    /// Message word of the last character.
    pub vw: usize,
    /// Bit shift of the last character inside word `vw`.
    pub last_shift: u32,
    /// `(word, shift)` of the per-invocation characters, least significant digit first.
    pub inv: Vec<(usize, u32)>,
}

fn shift_of(pos: usize) -> (usize, u32) {
    (pos / 4, 8 * (3 - (pos % 4)) as u32)
}

impl Layout {
    /// The layout of `job`, or `None` when the kernel cannot run it: not SHA-256, or the
    /// nonce not in a single final block.
    pub fn of(job: &Job) -> Option<Layout> {
        if job.alg() != HashAlg::Sha256 || job.tail().len() != 1 {
            return None;
        }
        let nf = job.nonce();
        if nf.width == 0 {
            return None;
        }
        let radix = nf.alphabet.radix() as u32;
        let end = nf.offset + nf.width;
        let (vw, last_shift) = shift_of(end - 1);
        if vw >= 14 {
            return None;
        }
        // Per-invocation characters: at most the previous word's, and few enough that
        // radix^inv fits the u32 digit value q.
        let lowest = nf.offset.max(vw.saturating_sub(1) * 4);
        let mut inv = Vec::new();
        let mut span: u64 = 1;
        let mut pos = end - 1;
        while pos > lowest && span * u64::from(radix) <= u64::from(u32::MAX) + 1 {
            pos -= 1;
            inv.push(shift_of(pos));
            span *= u64::from(radix);
        }
        let fw = inv.last().map_or(vw, |&(w, _)| w);
        Some(Layout {
            alphabet: nf.alphabet,
            radix,
            fw,
            vw,
            last_shift,
            inv,
        })
    }

    /// Nonce characters the kernel varies: the invocation ones and the last.
    pub fn low_chars(&self) -> usize {
        self.inv.len() + 1
    }

    /// `radix^low_chars`: indices per high part.
    pub fn low_space(&self) -> u64 {
        u64::from(self.radix).pow(self.low_chars() as u32)
    }

    /// `radix^inv`: invocation digit values per high part.
    pub fn inv_space(&self) -> u64 {
        u64::from(self.radix).pow(self.inv.len() as u32)
    }

    fn levels(&self) -> [Level; 64] {
        let mut l = [Level::Const; 64];
        if self.fw < self.vw {
            l[self.fw] = Level::Invocation;
        }
        l[self.vw] = Level::Candidate;
        for t in 16..64 {
            l[t] = l[t - 2].max(l[t - 7]).max(l[t - 15]).max(l[t - 16]);
        }
        l
    }

    /// The WGSL source of this layout's kernel.
    pub fn shader(&self) -> String {
        let lv = self.levels();
        let mut inv = String::new();
        let mut cand = String::new();
        // Digits of q, least significant first.
        for (k, _) in self.inv.iter().enumerate() {
            inv += &format!("    let d{k} = q % RADIX;\n    q = q / RADIX;\n");
        }
        let word_expr = |w: usize| -> String {
            let mut e = format!("p.w[{w}]");
            for (k, &(iw, sh)) in self.inv.iter().enumerate() {
                if iw == w {
                    e += &format!(" | (sym(d{k}) << {sh}u)");
                }
            }
            e
        };
        if self.fw < self.vw {
            inv += &format!("    let w{} = {};\n", self.fw, word_expr(self.fw));
        }
        inv += &format!("    let wv = {};\n", word_expr(self.vw));
        cand += &format!(
            "        let w{} = wv | (sym(j) << {}u);\n",
            self.vw, self.last_shift
        );
        // Schedule words that vary: constant part from the host plus the varying terms.
        for t in 16..64 {
            if lv[t] == Level::Const {
                continue;
            }
            let mut e = if lv[t] == Level::Invocation {
                format!("p.w[{t}]")
            } else {
                inv += &format!("    let pw{t} = p.w[{t}];\n");
                format!("pw{t}")
            };
            let terms = [
                (t - 2, "ssig1("),
                (t - 7, "("),
                (t - 15, "ssig0("),
                (t - 16, "("),
            ];
            for (s, f) in terms {
                if lv[s] != Level::Const {
                    e += &format!(" + {f}w{s})");
                }
            }
            let line = format!("let w{t} = {e};\n");
            if lv[t] == Level::Invocation {
                inv += &format!("    {line}");
            } else {
                cand += &format!("        {line}");
            }
        }
        // Rounds. a(i) / e(i) are the values of a / e before round i; b, c, d and f, g, h
        // are earlier a / e values. Names are offset by 4 to stay non-negative.
        let a = |i: usize| format!("a{}", i + 4);
        let e = |i: usize| format!("e{}", i + 4);
        let fw = self.fw;
        for k in 0..4 {
            // a(fw - k) = state[k], e(fw - k) = state[4 + k]
            inv += &format!("    let a{} = p.state[{}];\n", fw + 4 - k, k);
            inv += &format!("    let e{} = p.state[{}];\n", fw + 4 - k, 4 + k);
        }
        for t in fw..64 {
            let kw = if lv[t] == Level::Const && t < self.vw {
                format!("p.kw[{t}]")
            } else if lv[t] == Level::Const {
                inv += &format!("    let kw{t} = p.kw[{t}];\n");
                format!("kw{t}")
            } else {
                format!("(0x{:08x}u + w{t})", K[t])
            };
            let (ai, bi, ci, di) = (
                a(t),
                name_back(t, 1, 'a'),
                name_back(t, 2, 'a'),
                name_back(t, 3, 'a'),
            );
            let (ei, fi, gi, hi) = (
                e(t),
                name_back(t, 1, 'e'),
                name_back(t, 2, 'e'),
                name_back(t, 3, 'e'),
            );
            let ind = if t < self.vw { "    " } else { "        " };
            let mut s =
                format!("{ind}let t{t} = {hi} + bsig1({ei}) + ch({ei}, {fi}, {gi}) + {kw};\n");
            if t < 63 {
                s += &format!("{ind}let {} = {di} + t{t};\n", e(t + 1));
                s += &format!(
                    "{ind}let {} = t{t} + bsig0({ai}) + maj({ai}, {bi}, {ci});\n",
                    a(t + 1)
                );
            } else {
                s += &format!("{ind}let digest0 = t{t} + bsig0({ai}) + maj({ai}, {bi}, {ci});\n");
            }
            if t < self.vw {
                inv += &s;
            } else {
                cand += &s;
            }
        }
        // The alphabet as runs of consecutive characters.
        let syms = self.alphabet.symbols();
        let mut sym = format!("var c = {}u + v;\n", syms[0]);
        for d in 1..syms.len() {
            if syms[d] != syms[d - 1] + 1 {
                sym += &format!("    c = select(c, {}u + (v - {d}u), v >= {d}u);\n", syms[d]);
            }
        }
        sym += "    return c;";
        TEMPLATE
            .replace("return 48u + v; //@SYM", &sym)
            .replace(
                "const RADIX: u32 = 64u; //@RADIX",
                &format!("const RADIX: u32 = {}u;", self.radix),
            )
            .replace("    q = q; //@INVOCATION\n", &inv)
            .replace("        let digest0 = local; //@CANDIDATE\n", &cand)
    }

    /// The per-dispatch constants for the indices `high * low_space() ..`: the block with
    /// the varying characters zeroed, the constant schedule words and parts, and the
    /// state after the rounds before word `fw`.
    pub fn precompute(&self, job: &Job, high: u64) -> Pre {
        let nf = job.nonce();
        let mut block: [u8; BLOCK_LEN] = job.tail()[0];
        nf.write(high * self.low_space(), &mut block);
        let end = nf.offset + nf.width;
        for b in &mut block[end - self.low_chars()..end] {
            *b = 0;
        }
        let lv = self.levels();
        let mut w = [0u32; 64];
        for (i, c) in block.chunks_exact(4).enumerate() {
            w[i] = u32::from_be_bytes([c[0], c[1], c[2], c[3]]);
        }
        let mut kw = [0u32; 64];
        for t in 16..64 {
            let terms = [
                (t - 2, ssig1 as fn(u32) -> u32),
                (t - 7, id),
                (t - 15, ssig0),
                (t - 16, id),
            ];
            w[t] = terms
                .iter()
                .filter(|(s, _)| lv[*s] == Level::Const)
                .fold(0u32, |acc, (s, f)| acc.wrapping_add(f(w[*s])));
        }
        for t in 0..64 {
            if lv[t] == Level::Const {
                kw[t] = K[t].wrapping_add(w[t]);
            }
        }
        let mid = job.midstate();
        let mut s = *mid;
        for &k in &kw[..self.fw] {
            round(&mut s, k);
        }
        Pre {
            state: s,
            w,
            kw,
            h0: mid[0],
        }
    }
}

fn name_back(t: usize, back: usize, which: char) -> String {
    format!("{which}{}", t + 4 - back)
}

fn id(x: u32) -> u32 {
    x
}

fn ssig0(x: u32) -> u32 {
    x.rotate_right(7) ^ x.rotate_right(18) ^ (x >> 3)
}

fn ssig1(x: u32) -> u32 {
    x.rotate_right(17) ^ x.rotate_right(19) ^ (x >> 10)
}

/// One SHA-256 round with `kw` = K[t] + W[t].
fn round(s: &mut [u32; 8], kw: u32) {
    let [a, b, c, d, e, f, g, h] = *s;
    let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
    let ch = g ^ (e & (f ^ g));
    let t1 = h.wrapping_add(s1).wrapping_add(ch).wrapping_add(kw);
    let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
    let maj = (a & b) | (c & (a | b));
    let t2 = s0.wrapping_add(maj);
    *s = [t1.wrapping_add(t2), a, b, c, d.wrapping_add(t1), e, f, g];
}

/// Per-dispatch constants (see [`Layout::precompute`]).
#[derive(Debug, Clone)]
pub struct Pre {
    /// a..h after the rounds before word `fw`.
    pub state: [u32; 8],
    /// Message words and schedule words or their constant parts.
    pub w: [u32; 64],
    /// K + W for the constant words.
    pub kw: [u32; 64],
    /// The midstate's first word.
    pub h0: u32,
}
