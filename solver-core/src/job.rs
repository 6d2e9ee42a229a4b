//! The [`Job`] model: the contract between challenge formats and search kernels.
//!
//! A job describes a message `prefix ‖ nonce ‖ suffix` hashed with one [`HashAlg`]:
//!
//! * the **midstate**, the hash state after every full block before the first nonce byte;
//! * the **tail**, the remaining padded block(s) with the nonce bytes left to fill in;
//! * the [`NonceField`]: where the varying characters sit in the tail, how many there
//!   are and their [`Alphabet`]. Nonce index `i` is written as `width` base-`radix` digits,
//!   most significant first, so consecutive indices change the last characters first;
//! * the [`Predicate`] on the digest with its fast [`Filter`] on the first digest word.
//!
//! Kernels know nothing about formats: they enumerate nonce indices, apply the filter and
//! hand candidates back; [`Job::check`] decides exactly.

use std::fmt;
use std::ops::Range;

use crate::difficulty::{Target, leading_zero_bits};
use crate::error::Error;

/// Size of a SHA-1 / SHA-256 message block in bytes.
pub const BLOCK_LEN: usize = 64;

/// The hash function of a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashAlg {
    /// SHA-256 (FIPS 180-4).
    Sha256,
    /// SHA-1, used by hashcash version-1 stamps.
    Sha1,
}

const SHA256_IV: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];
const SHA1_IV: [u32; 5] = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0];

impl HashAlg {
    /// Lower-case name (`sha256`, `sha1`).
    pub fn name(self) -> &'static str {
        match self {
            HashAlg::Sha256 => "sha256",
            HashAlg::Sha1 => "sha1",
        }
    }

    /// Number of 32-bit state (and digest) words: 8 for SHA-256, 5 for SHA-1.
    pub fn state_words(self) -> usize {
        match self {
            HashAlg::Sha256 => 8,
            HashAlg::Sha1 => 5,
        }
    }

    /// The initial hash state, zero-padded to 8 words.
    pub fn initial_state(self) -> [u32; 8] {
        match self {
            HashAlg::Sha256 => SHA256_IV,
            HashAlg::Sha1 => {
                let mut s = [0; 8];
                s[..5].copy_from_slice(&SHA1_IV);
                s
            }
        }
    }

    /// Runs the compression function over `blocks`, updating `state` (SHA-1 uses the
    /// first 5 words). Uses the RustCrypto `sha2` / `sha1` compression functions, which
    /// pick SHA-NI or the ARMv8 SHA instructions at run time where present.
    pub fn compress(self, state: &mut [u32; 8], blocks: &[[u8; BLOCK_LEN]]) {
        match self {
            HashAlg::Sha256 => sha2::block_api::compress256(state, blocks),
            HashAlg::Sha1 => {
                let mut s: [u32; 5] = [state[0], state[1], state[2], state[3], state[4]];
                sha1::block_api::compress(&mut s, blocks);
                state[..5].copy_from_slice(&s);
            }
        }
    }

    /// Hashes a whole message the ordinary way (no midstate): used to cross-check jobs.
    pub fn digest_message(self, message: &[u8]) -> Digest {
        use sha2::Digest as _;
        match self {
            HashAlg::Sha256 => Digest::from_bytes(self, &sha2::Sha256::digest(message)),
            HashAlg::Sha1 => Digest::from_bytes(self, &sha1::Sha1::digest(message)),
        }
    }
}

impl fmt::Display for HashAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A digest as big-endian 32-bit words, zero-padded to 8 words for SHA-1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Digest {
    alg: HashAlg,
    words: [u32; 8],
}

impl Digest {
    /// A digest from the final hash state.
    pub fn from_state(alg: HashAlg, state: &[u32; 8]) -> Self {
        let mut words = [0; 8];
        let n = alg.state_words();
        words[..n].copy_from_slice(&state[..n]);
        Self { alg, words }
    }

    /// A digest from its bytes (32 for SHA-256, 20 for SHA-1).
    pub fn from_bytes(alg: HashAlg, bytes: &[u8]) -> Self {
        let mut words = [0; 8];
        for (w, c) in words.iter_mut().zip(bytes.chunks_exact(4)) {
            *w = u32::from_be_bytes([c[0], c[1], c[2], c[3]]);
        }
        Self { alg, words }
    }

    /// The hash function that produced it.
    pub fn alg(&self) -> HashAlg {
        self.alg
    }

    /// Big-endian words, zero-padded to 8.
    pub fn words(&self) -> &[u32; 8] {
        &self.words
    }

    /// The digest bytes (32 or 20).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.words[..self.alg.state_words()]
            .iter()
            .flat_map(|w| w.to_be_bytes())
            .collect()
    }

    /// Lower-case hex of the digest bytes.
    pub fn to_hex(&self) -> String {
        hex::encode(self.to_bytes())
    }

    /// Leading zero bits of the digest.
    pub fn leading_zero_bits(&self) -> u32 {
        leading_zero_bits(&self.words[..self.alg.state_words()])
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// The characters a nonce digit is written with. Digit value `v` is `symbols()[v]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Alphabet {
    /// `0-9`.
    Decimal,
    /// `0-9a-f`.
    HexLower,
    /// `0-9A-Za-z+/`: the base64 characters in digits-first order (hashcash counters).
    Base64,
    /// `0-9A-Za-z-_`: URL- and header-safe base64 characters in digits-first order.
    Base64Url,
}

const DECIMAL: &[u8] = b"0123456789";
const HEX_LOWER: &[u8] = b"0123456789abcdef";
const BASE64: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz+/";
const BASE64_URL: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_";

const fn successor_table(sym: &[u8]) -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < sym.len() {
        t[sym[i] as usize] = if i + 1 < sym.len() {
            sym[i + 1]
        } else {
            sym[i]
        };
        i += 1;
    }
    t
}

static DECIMAL_NEXT: [u8; 256] = successor_table(DECIMAL);
static HEX_LOWER_NEXT: [u8; 256] = successor_table(HEX_LOWER);
static BASE64_NEXT: [u8; 256] = successor_table(BASE64);
static BASE64_URL_NEXT: [u8; 256] = successor_table(BASE64_URL);

impl Alphabet {
    /// The symbols, indexed by digit value.
    pub fn symbols(self) -> &'static [u8] {
        match self {
            Alphabet::Decimal => DECIMAL,
            Alphabet::HexLower => HEX_LOWER,
            Alphabet::Base64 => BASE64,
            Alphabet::Base64Url => BASE64_URL,
        }
    }

    /// Number of symbols.
    pub fn radix(self) -> u64 {
        self.symbols().len() as u64
    }

    /// For each symbol, the symbol of the next digit value (the last maps to itself);
    /// other bytes map to 0.
    pub fn successors(self) -> &'static [u8; 256] {
        match self {
            Alphabet::Decimal => &DECIMAL_NEXT,
            Alphabet::HexLower => &HEX_LOWER_NEXT,
            Alphabet::Base64 => &BASE64_NEXT,
            Alphabet::Base64Url => &BASE64_URL_NEXT,
        }
    }

    /// The largest width whose index space `radix^width` fits in a `u64`.
    pub fn max_width(self) -> usize {
        let r = self.radix();
        let mut w = 0;
        let mut n: u64 = 1;
        while let Some(m) = n.checked_mul(r) {
            n = m;
            w += 1;
        }
        w
    }
}

/// Where the varying nonce characters sit in a job's tail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NonceField {
    /// Byte offset of the first varying character within the tail.
    pub offset: usize,
    /// Number of varying characters.
    pub width: usize,
    /// Their alphabet.
    pub alphabet: Alphabet,
}

impl NonceField {
    /// Size of the index space, `radix^width`.
    pub fn space(&self) -> u64 {
        self.alphabet.radix().pow(self.width as u32)
    }

    /// Writes the characters of nonce index `index` into `tail` (a flat view of the tail
    /// blocks). `index` must be below [`NonceField::space`].
    pub fn write(&self, index: u64, tail: &mut [u8]) {
        let sym = self.alphabet.symbols();
        let r = self.alphabet.radix();
        let mut v = index;
        for b in tail[self.offset..self.offset + self.width].iter_mut().rev() {
            *b = sym[(v % r) as usize];
            v /= r;
        }
    }

    /// The characters of nonce index `index`.
    pub fn chars(&self, index: u64) -> String {
        let mut buf = vec![0u8; self.offset + self.width];
        self.write(index, &mut buf);
        String::from_utf8(buf.split_off(self.offset)).expect("alphabets are ASCII")
    }

    /// Advances the characters in `tail` to the next index, like an odometer; returns
    /// `false` when it wrapped around past the last index. One table lookup per
    /// character touched (one on average per call).
    #[inline]
    pub fn increment(&self, tail: &mut [u8]) -> bool {
        let sym = self.alphabet.symbols();
        let next = self.alphabet.successors();
        let last = sym[sym.len() - 1];
        for b in tail[self.offset..self.offset + self.width].iter_mut().rev() {
            if *b == last {
                *b = sym[0];
            } else {
                *b = next[*b as usize];
                return true;
            }
        }
        false
    }
}

/// A fast test on the first digest word: a candidate passes when
/// `((w0 ^ xor) & mask) <= max`. Every predicate maps to this form (leading zeros and
/// thresholds: `xor = 0, mask = !0`; "at least" thresholds: `xor = !0`; prefixes:
/// `max = 0`). It never rejects a valid digest; it may pass invalid ones, which
/// [`Predicate::check`] then refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Filter {
    /// XOR applied to the first word.
    pub xor: u32,
    /// Mask applied after the XOR.
    pub mask: u32,
    /// Largest passing value.
    pub max: u32,
}

impl Filter {
    /// Whether the first digest word passes.
    #[inline(always)]
    pub fn passes(&self, w0: u32) -> bool {
        ((w0 ^ self.xor) & self.mask) <= self.max
    }
}

/// The exact test on a digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Predicate {
    /// The digest (big-endian, zero-padded to 256 bits) is at most the target
    /// (leading zero bits, hex-digit difficulty, fractional difficulty).
    AtMost(Target),
    /// The digest (big-endian, zero-padded) is at least `min` (thresholds from above,
    /// as mCaptcha's score).
    AtLeast([u32; 8]),
    /// The digest's bits under `mask` equal `value`'s (a hex prefix, as Cap's targets;
    /// with a full mask, an exact digest, as ALTCHA v1's).
    Masked {
        /// Expected bits.
        value: [u32; 8],
        /// Which bits are compared.
        mask: [u32; 8],
    },
}

impl Predicate {
    /// A prefix of `hex` (0-64 lower- or upper-case hex digits) on the digest's hex form.
    pub fn hex_prefix(hex: &str) -> Result<Self, crate::Error> {
        if hex.len() > 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(crate::Error::Unsupported {
                field: "hex prefix",
                value: hex.to_string(),
                expected: "up to 64 hex digits",
            });
        }
        let mut value = [0u32; 8];
        let mut mask = [0u32; 8];
        for (i, c) in hex.bytes().enumerate() {
            let nib = (c as char).to_digit(16).expect("checked");
            let shift = 28 - 4 * (i % 8) as u32;
            value[i / 8] |= nib << shift;
            mask[i / 8] |= 0xf << shift;
        }
        Ok(Predicate::Masked { value, mask })
    }

    /// The fast filter on the first digest word.
    pub fn filter(&self) -> Filter {
        match self {
            Predicate::AtMost(t) => Filter {
                xor: 0,
                mask: u32::MAX,
                max: t.max()[0],
            },
            Predicate::AtLeast(min) => Filter {
                xor: u32::MAX,
                mask: u32::MAX,
                max: !min[0],
            },
            Predicate::Masked { value, mask } => Filter {
                xor: value[0],
                mask: mask[0],
                max: 0,
            },
        }
    }

    /// The exact test.
    pub fn check(&self, digest: &Digest) -> bool {
        let w = digest.words();
        match self {
            Predicate::AtMost(t) => t.is_met(w),
            Predicate::AtLeast(min) => w >= min,
            Predicate::Masked { value, mask } => (0..8).all(|i| (w[i] ^ value[i]) & mask[i] == 0),
        }
    }
}

/// A search job: see the [module documentation](self).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    alg: HashAlg,
    midstate: [u32; 8],
    tail: Vec<[u8; BLOCK_LEN]>,
    nonce: NonceField,
    range: Range<u64>,
    predicate: Predicate,
}

impl Job {
    /// A job hashing `prefix ‖ nonce ‖ suffix`, where the nonce is `width` characters of
    /// `alphabet`. The index range is the whole space `0..radix^width`; narrow it with
    /// [`Job::with_range`].
    pub fn new(
        alg: HashAlg,
        prefix: &[u8],
        width: usize,
        alphabet: Alphabet,
        suffix: &[u8],
        predicate: Predicate,
    ) -> Result<Self, Error> {
        if width == 0 || width > alphabet.max_width() {
            return Err(Error::Layout(format!(
                "nonce width {width} must be 1..={} for a radix-{} alphabet",
                alphabet.max_width(),
                alphabet.radix()
            )));
        }
        let total = prefix.len() + width + suffix.len();
        // Full blocks before the first nonce byte are folded into the midstate.
        let first = prefix.len() / BLOCK_LEN * BLOCK_LEN;
        let mut state = alg.initial_state();
        let head: Vec<[u8; BLOCK_LEN]> = prefix[..first]
            .chunks_exact(BLOCK_LEN)
            .map(|c| c.try_into().expect("exact chunk"))
            .collect();
        alg.compress(&mut state, &head);

        // Tail: the rest of the message, the nonce (zeros for now), 0x80, zeros, and the
        // 64-bit big-endian bit length, padded to a whole number of blocks.
        let mut bytes = Vec::with_capacity(3 * BLOCK_LEN);
        bytes.extend_from_slice(&prefix[first..]);
        bytes.resize(bytes.len() + width, 0);
        bytes.extend_from_slice(suffix);
        bytes.push(0x80);
        while bytes.len() % BLOCK_LEN != BLOCK_LEN - 8 {
            bytes.push(0);
        }
        bytes.extend_from_slice(&((total as u64) * 8).to_be_bytes());
        let tail = bytes
            .chunks_exact(BLOCK_LEN)
            .map(|c| c.try_into().expect("exact chunk"))
            .collect();
        let nonce = NonceField {
            offset: prefix.len() - first,
            width,
            alphabet,
        };
        let range = 0..nonce.space();
        Ok(Self {
            alg,
            midstate: state,
            tail,
            nonce,
            range,
            predicate,
        })
    }

    /// Restricts the job to nonce indices in `range` (which must lie within the space).
    pub fn with_range(mut self, range: Range<u64>) -> Result<Self, Error> {
        if range.start > range.end || range.end > self.nonce.space() {
            return Err(Error::Layout(format!(
                "range {range:?} is outside the index space 0..{}",
                self.nonce.space()
            )));
        }
        self.range = range;
        Ok(self)
    }

    /// The hash function.
    pub fn alg(&self) -> HashAlg {
        self.alg
    }

    /// The hash state after every block before the first nonce byte.
    pub fn midstate(&self) -> &[u32; 8] {
        &self.midstate
    }

    /// The tail blocks, with the nonce characters not yet written (zero bytes).
    pub fn tail(&self) -> &[[u8; BLOCK_LEN]] {
        &self.tail
    }

    /// The varying nonce characters.
    pub fn nonce(&self) -> &NonceField {
        &self.nonce
    }

    /// The nonce indices this job covers.
    pub fn range(&self) -> Range<u64> {
        self.range.clone()
    }

    /// `range` clamped to the job's index range (empty when they do not overlap).
    pub fn clamp(&self, range: Range<u64>) -> Range<u64> {
        range.start.max(self.range.start)..range.end.min(self.range.end)
    }

    /// The digest predicate.
    pub fn predicate(&self) -> &Predicate {
        &self.predicate
    }

    /// The fast filter of the predicate.
    pub fn filter(&self) -> Filter {
        self.predicate.filter()
    }

    /// Whether every varying character lies in the last tail block (the layout the
    /// planners produce and the fast kernels rely on).
    pub fn nonce_in_last_block(&self) -> bool {
        self.tail.len() == 1
    }

    /// The tail blocks with the characters of nonce index `index` written in.
    pub fn tail_for(&self, index: u64) -> Vec<[u8; BLOCK_LEN]> {
        let mut tail = self.tail.clone();
        self.nonce.write(index, tail.as_flattened_mut());
        tail
    }

    /// The digest of the message with nonce index `index`: the reference computation
    /// (midstate, then the compression function over the filled tail).
    pub fn digest_at(&self, index: u64) -> Digest {
        let tail = self.tail_for(index);
        let mut state = self.midstate;
        self.alg.compress(&mut state, &tail);
        Digest::from_state(self.alg, &state)
    }

    /// The exact check of nonce index `index`: `Some(digest)` when it satisfies the
    /// predicate. Every candidate a kernel reports goes through here.
    pub fn check(&self, index: u64) -> Option<Digest> {
        if !self.range.contains(&index) {
            return None;
        }
        let d = self.digest_at(index);
        self.predicate.check(&d).then_some(d)
    }

    /// The varying characters of nonce index `index`.
    pub fn nonce_chars(&self, index: u64) -> String {
        self.nonce.chars(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zero_target() -> Predicate {
        Predicate::AtMost(Target::leading_zero_bits(0))
    }

    #[test]
    fn digest_at_matches_plain_hash_across_block_edges() {
        for alg in [HashAlg::Sha256, HashAlg::Sha1] {
            for plen in [
                0usize, 1, 31, 45, 46, 54, 55, 56, 57, 63, 64, 65, 119, 120, 128, 200,
            ] {
                for (width, alpha) in [
                    (1, Alphabet::Decimal),
                    (10, Alphabet::Base64Url),
                    (19, Alphabet::Decimal),
                    (7, Alphabet::HexLower),
                ] {
                    for slen in [0usize, 3, 9] {
                        let prefix: Vec<u8> = (0..plen).map(|i| b'a' + (i % 26) as u8).collect();
                        let suffix: Vec<u8> = (0..slen).map(|i| b'K' + (i % 7) as u8).collect();
                        let job =
                            Job::new(alg, &prefix, width, alpha, &suffix, zero_target()).unwrap();
                        for index in [0, 1, 9, 10, 99, 1234567, job.nonce().space() - 1] {
                            let mut msg = prefix.clone();
                            msg.extend_from_slice(job.nonce_chars(index).as_bytes());
                            msg.extend_from_slice(&suffix);
                            assert_eq!(
                                job.digest_at(index),
                                alg.digest_message(&msg),
                                "{alg} plen={plen} width={width} slen={slen} index={index}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn clamp_keeps_ranges_inside_the_job() {
        let job = Job::new(
            HashAlg::Sha256,
            b"p",
            2,
            Alphabet::Decimal,
            b"",
            zero_target(),
        )
        .unwrap()
        .with_range(10..50)
        .unwrap();
        assert_eq!(job.clamp(0..100), 10..50);
        assert_eq!(job.clamp(20..30), 20..30);
        assert_eq!(job.clamp(40..u64::MAX), 40..50);
        assert!(job.clamp(60..70).is_empty());
        assert!(job.clamp(0..5).is_empty());
    }

    #[test]
    fn nonce_chars_and_increment_agree() {
        for (alpha, width) in [
            (Alphabet::Decimal, 4),
            (Alphabet::Base64, 3),
            (Alphabet::HexLower, 3),
        ] {
            let f = NonceField {
                offset: 2,
                width,
                alphabet: alpha,
            };
            let mut buf = vec![b'#'; 2 + width + 1];
            f.write(0, &mut buf);
            for i in 1..f.space() {
                assert!(f.increment(&mut buf));
                let mut fresh = vec![b'#'; 2 + width + 1];
                f.write(i, &mut fresh);
                assert_eq!(buf, fresh, "{alpha:?} i={i}");
            }
            assert!(!f.increment(&mut buf), "wraps at the end of the space");
            assert_eq!(
                &buf[2..2 + width],
                vec![alpha.symbols()[0]; width].as_slice()
            );
        }
        let f = NonceField {
            offset: 0,
            width: 3,
            alphabet: Alphabet::Decimal,
        };
        assert_eq!(f.chars(0), "000");
        assert_eq!(f.chars(999), "999");
        assert_eq!(f.chars(42), "042");
    }

    #[test]
    fn alphabets() {
        assert_eq!(Alphabet::Decimal.max_width(), 19);
        assert_eq!(Alphabet::Base64.max_width(), 10);
        assert_eq!(Alphabet::HexLower.max_width(), 15);
        for a in [
            Alphabet::Decimal,
            Alphabet::HexLower,
            Alphabet::Base64,
            Alphabet::Base64Url,
        ] {
            let s = a.symbols();
            let mut sorted = s.to_vec();
            sorted.sort();
            sorted.dedup();
            assert_eq!(sorted.len(), s.len(), "{a:?} symbols are distinct");
            assert!(s.iter().all(|c| c.is_ascii_graphic()));
        }
    }

    #[test]
    fn layout_errors() {
        assert!(
            Job::new(
                HashAlg::Sha256,
                b"x",
                0,
                Alphabet::Decimal,
                b"",
                zero_target()
            )
            .is_err()
        );
        assert!(
            Job::new(
                HashAlg::Sha256,
                b"x",
                20,
                Alphabet::Decimal,
                b"",
                zero_target()
            )
            .is_err()
        );
        let job = Job::new(
            HashAlg::Sha256,
            b"x",
            2,
            Alphabet::Decimal,
            b"",
            zero_target(),
        )
        .unwrap();
        assert!(job.clone().with_range(10..100).is_ok());
        assert!(job.clone().with_range(10..101).is_err());
        #[allow(clippy::reversed_empty_ranges)]
        let bad = 5..4;
        assert!(job.with_range(bad).is_err());
    }

    #[test]
    fn other_predicates_and_their_filters() {
        let d = Digest::from_bytes(
            HashAlg::Sha256,
            &hex::decode("ff396fe3215b85b5975675ee4dc93acefb78715119870dbbb29111767ee87bf6")
                .unwrap(),
        );
        let p = Predicate::hex_prefix("ff39").unwrap();
        assert!(p.check(&d) && p.filter().passes(d.words()[0]));
        let p = Predicate::hex_prefix("FF396FE3215").unwrap();
        assert!(p.check(&d) && p.filter().passes(d.words()[0]));
        let p = Predicate::hex_prefix("ff38").unwrap();
        assert!(!p.check(&d) && !p.filter().passes(d.words()[0]));
        let p = Predicate::hex_prefix("ff396fe3215b").unwrap();
        assert!(p.check(&d));
        let p = Predicate::hex_prefix("ff396fe3215c").unwrap();
        assert!(
            !p.check(&d) && p.filter().passes(d.words()[0]),
            "word 1 differs: a false positive of the filter"
        );
        assert!(Predicate::hex_prefix("xyz").is_err());
        let full = Predicate::hex_prefix(&d.to_hex()).unwrap();
        assert!(full.check(&d));
        let mut min = *d.words();
        assert!(Predicate::AtLeast(min).check(&d));
        min[7] += 1;
        assert!(!Predicate::AtLeast(min).check(&d));
        assert!(Predicate::AtLeast(min).filter().passes(d.words()[0]));
        min[0] += 1;
        assert!(!Predicate::AtLeast(min).filter().passes(d.words()[0]));
    }

    #[test]
    fn filter_never_rejects_a_valid_digest() {
        for bits in [0u32, 1, 8, 20, 31, 32, 33, 64, 200] {
            let p = Predicate::AtMost(Target::leading_zero_bits(bits));
            let f = p.filter();
            for w0 in [0u32, 1, 0x0fff, 0x1000, 0x7fff_ffff, u32::MAX] {
                let mut words = [u32::MAX; 8];
                words[0] = w0;
                let d = Digest::from_state(HashAlg::Sha256, &words);
                let mut low = [0u32; 8];
                low[0] = w0;
                let dl = Digest::from_state(HashAlg::Sha256, &low);
                if p.check(&d) || p.check(&dl) {
                    assert!(f.passes(w0), "bits={bits} w0={w0:#x}");
                }
            }
        }
    }
}
