//! The kernels' nonce layout, their generated WGSL (SHA-256 and SHA-1), and the
//! per-dispatch precomputation on the host.
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
use grindstone_core::sha::{K256, block_words, k1, sha1_prefix, sha256_prefix, ssig0, ssig1};
use grindstone_core::{Alphabet, HashAlg, Job};

/// The search skeleton (`shaders/search.wgsl`), shared by both hashes.
pub const TEMPLATE: &str = include_str!("../../shaders/search.wgsl");
/// SHA-256's round functions (`shaders/sha256.wgsl`).
pub const SHA256_FNS: &str = include_str!("../../shaders/sha256.wgsl");
/// SHA-1's round functions (`shaders/sha1.wgsl`).
pub const SHA1_FNS: &str = include_str!("../../shaders/sha1.wgsl");

/// Schedule words (and rounds) of the largest hash, SHA-1.
pub const MAX_ROUNDS: usize = 80;

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
pub struct ShaderLayout {
    /// The hash.
    pub alg: HashAlg,
    /// The nonce alphabet.
    pub alphabet: Alphabet,
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

impl ShaderLayout {
    /// The layout of `job`, or `None` when the kernel cannot run it: the nonce not in a
    /// single final block.
    pub fn of(job: &Job) -> Option<ShaderLayout> {
        if job.tail().len() != 1 {
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
        Some(ShaderLayout {
            alg: job.alg(),
            alphabet: nf.alphabet,
            fw,
            vw,
            last_shift,
            inv,
        })
    }

    /// The alphabet's size.
    pub fn radix(&self) -> u32 {
        self.alphabet.radix() as u32
    }

    /// Nonce characters the kernel varies: the invocation ones and the last.
    pub fn low_chars(&self) -> usize {
        self.inv.len() + 1
    }

    /// `radix^low_chars`: indices per high part.
    pub fn low_space(&self) -> u64 {
        u64::from(self.radix()).pow(self.low_chars() as u32)
    }

    /// `radix^inv`: invocation digit values per high part.
    pub fn inv_space(&self) -> u64 {
        u64::from(self.radix()).pow(self.inv.len() as u32)
    }

    /// Rounds (and schedule words) of the hash.
    pub fn rounds(&self) -> usize {
        match self.alg {
            HashAlg::Sha256 => 64,
            HashAlg::Sha1 => 80,
        }
    }

    /// How far back the four inputs of schedule word `t` lie.
    fn taps(&self) -> [usize; 4] {
        match self.alg {
            HashAlg::Sha256 => [2, 7, 15, 16],
            HashAlg::Sha1 => [3, 8, 14, 16],
        }
    }

    fn levels(&self) -> [Level; MAX_ROUNDS] {
        let mut l = [Level::Const; MAX_ROUNDS];
        if self.fw < self.vw {
            l[self.fw] = Level::Invocation;
        }
        l[self.vw] = Level::Candidate;
        let taps = self.taps();
        for t in 16..self.rounds() {
            l[t] = taps.iter().map(|&b| l[t - b]).max().expect("four taps");
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
        let taps = self.taps();
        for t in 16..self.rounds() {
            if lv[t] == Level::Const {
                continue;
            }
            let part = if lv[t] == Level::Invocation {
                format!("p.w[{t}]")
            } else {
                inv += &format!("    let pw{t} = p.w[{t}];\n");
                format!("pw{t}")
            };
            let vary = taps
                .iter()
                .map(|&b| t - b)
                .filter(|&s| lv[s] != Level::Const);
            let e = match self.alg {
                HashAlg::Sha256 => {
                    let mut e = part;
                    for (s, f) in vary.map(|s| (s, ["ssig1", "", "ssig0", ""][sha256_tap(t - s)])) {
                        e += &format!(" + {f}(w{s})");
                    }
                    e
                }
                HashAlg::Sha1 => {
                    let x: Vec<String> = vary.map(|s| format!("w{s}")).collect();
                    format!("rotl({part} ^ {}, 1u)", x.join(" ^ "))
                }
            };
            let line = format!("let w{t} = {e};\n");
            if lv[t] == Level::Invocation {
                inv += &format!("    {line}");
            } else {
                cand += &format!("        {line}");
            }
        }
        match self.alg {
            HashAlg::Sha256 => self.sha256_rounds(&lv, &mut inv, &mut cand),
            HashAlg::Sha1 => self.sha1_rounds(&lv, &mut inv, &mut cand),
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
        let fns = match self.alg {
            HashAlg::Sha256 => SHA256_FNS,
            HashAlg::Sha1 => SHA1_FNS,
        };
        TEMPLATE
            .replace("//@HASH\n", fns)
            .replace("return 48u + v; //@SYM", &sym)
            .replace(
                "const RADIX: u32 = 64u; //@RADIX",
                &format!("const RADIX: u32 = {}u;", self.radix()),
            )
            .replace("    q = q; //@INVOCATION\n", &inv)
            .replace("        let digest0 = local; //@CANDIDATE\n", &cand)
    }

    /// `K[t] + W[t]` of round `t`: from the host for constant words (loaded before the
    /// candidate loop when the round is inside it), computed for varying ones.
    fn kw_expr(&self, t: usize, k: u32, lv: &[Level; MAX_ROUNDS], inv: &mut String) -> String {
        if lv[t] != Level::Const {
            format!("(0x{k:08x}u + w{t})")
        } else if t < self.vw {
            format!("p.kw[{t}]")
        } else {
            inv.push_str(&format!("    let kw{t} = p.kw[{t}];\n"));
            format!("kw{t}")
        }
    }

    /// SHA-256 rounds `fw..64`. `a(i)` / `e(i)` are the values of a / e before round i;
    /// b, c, d and f, g, h are earlier a / e values. Names are offset by 4 to stay
    /// non-negative.
    fn sha256_rounds(&self, lv: &[Level; MAX_ROUNDS], inv: &mut String, cand: &mut String) {
        let n = |c: char, i: usize| format!("{c}{}", i + 4);
        let fw = self.fw;
        for k in 0..4 {
            // a(fw - k) = state[k], e(fw - k) = state[4 + k]
            inv.push_str(&format!("    let {} = p.state[{k}];\n", back('a', fw, k)));
            inv.push_str(&format!(
                "    let {} = p.state[{}];\n",
                back('e', fw, k),
                4 + k
            ));
        }
        for (t, &k) in K256.iter().enumerate().skip(fw) {
            let kw = self.kw_expr(t, k, lv, inv);
            let (a, b, c, d) = (n('a', t), back('a', t, 1), back('a', t, 2), back('a', t, 3));
            let (e, f, g, h) = (n('e', t), back('e', t, 1), back('e', t, 2), back('e', t, 3));
            let ind = if t < self.vw { "    " } else { "        " };
            let mut s = format!("{ind}let t{t} = {h} + bsig1({e}) + ch({e}, {f}, {g}) + {kw};\n");
            let new_a = if t < 63 {
                s += &format!("{ind}let {} = {d} + t{t};\n", n('e', t + 1));
                n('a', t + 1)
            } else {
                "digest0".to_string()
            };
            s += &format!("{ind}let {new_a} = t{t} + bsig0({a}) + maj({a}, {b}, {c});\n");
            if t < self.vw { &mut *inv } else { &mut *cand }.push_str(&s);
        }
    }

    /// SHA-1 rounds `fw..80`. Only a is new each round: b is the previous a, and c, d, e
    /// are rotations of earlier ones (`r(i)` = `rotl(a(i), 30)`). Names are offset by 4.
    fn sha1_rounds(&self, lv: &[Level; MAX_ROUNDS], inv: &mut String, cand: &mut String) {
        let n = |c: char, i: usize| format!("{c}{}", i + 4);
        let fw = self.fw;
        // State before round fw: a = a(fw), b = a(fw-1), c = r(fw-2), d = r(fw-3),
        // e = r(fw-4).
        inv.push_str(&format!("    let {} = p.state[0];\n", n('a', fw)));
        inv.push_str(&format!("    let {} = p.state[1];\n", back('a', fw, 1)));
        inv.push_str(&format!(
            "    let {} = rotl({}, 30u);\n",
            back('r', fw, 1),
            back('a', fw, 1)
        ));
        for k in 2..5 {
            inv.push_str(&format!("    let {} = p.state[{k}];\n", back('r', fw, k)));
        }
        for t in fw..80 {
            let kw = self.kw_expr(t, k1(t), lv, inv);
            let f = ["ch", "parity", "maj", "parity"][t / 20];
            let (a, b, c, d, e) = (
                n('a', t),
                back('a', t, 1),
                back('r', t, 2),
                back('r', t, 3),
                back('r', t, 4),
            );
            let ind = if t < self.vw { "    " } else { "        " };
            let new_a = if t < 79 {
                n('a', t + 1)
            } else {
                "digest0".to_string()
            };
            let mut s =
                format!("{ind}let {new_a} = rotl({a}, 5u) + {f}({b}, {c}, {d}) + {e} + {kw};\n");
            if t < 79 {
                s += &format!("{ind}let {} = rotl({a}, 30u);\n", n('r', t));
            }
            if t < self.vw { &mut *inv } else { &mut *cand }.push_str(&s);
        }
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
        let rounds = self.rounds();
        let mut w = [0u32; MAX_ROUNDS];
        w[..16].copy_from_slice(&block_words(&block));
        let taps = self.taps();
        for t in 16..rounds {
            // The constant terms; a constant word has nothing else.
            let consts = taps
                .iter()
                .map(|&b| t - b)
                .filter(|&s| lv[s] == Level::Const);
            w[t] = match self.alg {
                HashAlg::Sha256 => consts.fold(0u32, |acc, s| {
                    acc.wrapping_add(match sha256_tap(t - s) {
                        0 => ssig1(w[s]),
                        2 => ssig0(w[s]),
                        _ => w[s],
                    })
                }),
                HashAlg::Sha1 => {
                    let x = consts.fold(0u32, |acc, s| acc ^ w[s]);
                    if lv[t] == Level::Const {
                        x.rotate_left(1)
                    } else {
                        x
                    }
                }
            };
        }
        let mut kw = [0u32; MAX_ROUNDS];
        for t in 0..rounds {
            if lv[t] == Level::Const {
                let k = match self.alg {
                    HashAlg::Sha256 => K256[t],
                    HashAlg::Sha1 => k1(t),
                };
                kw[t] = k.wrapping_add(w[t]);
            }
        }
        let mid = job.midstate();
        // Rounds before the first varying word (SHA-1 keeps its five words at the front).
        let s = match self.alg {
            HashAlg::Sha256 => sha256_prefix(mid, &w[..self.fw]),
            HashAlg::Sha1 => {
                let mut s = [0u32; 8];
                s[..5].copy_from_slice(&sha1_prefix(mid, &w[..self.fw]));
                s
            }
        };
        Pre {
            state: s,
            w,
            kw,
            h0: mid[0],
        }
    }
}

/// The name of value `which` from `back` rounds before round `t` (offset by 4).
fn back(which: char, t: usize, back: usize) -> String {
    format!("{which}{}", t + 4 - back)
}

/// Which SHA-256 schedule term a tap distance is (0: sigma1, 1: plain, 2: sigma0, 3:
/// plain).
fn sha256_tap(dist: usize) -> usize {
    match dist {
        2 => 0,
        7 => 1,
        15 => 2,
        _ => 3,
    }
}

/// Per-dispatch constants (see [`ShaderLayout::precompute`]).
#[derive(Debug, Clone)]
pub struct Pre {
    /// The state (a..h, or a..e for SHA-1) after the rounds before word `fw`.
    pub state: [u32; 8],
    /// Message words and schedule words or their constant parts.
    pub w: [u32; MAX_ROUNDS],
    /// K + W for the constant words.
    pub kw: [u32; MAX_ROUNDS],
    /// The midstate's first word.
    pub h0: u32,
}
