//! `sha256-bits`: valid when `SHA-256(UTF-8(salt + nonce))` has at least `d` leading
//! zero bits (or, for fractional `d`, is below `2^(256-d)`).
//!
//! This is the rule of the captcha-mcp MCP server (`@powforge/captcha-mcp`): its
//! `challenge` tool hands out `{id, salt, difficulty, algo: "sha256", signature}` and its
//! `verify` tool takes `{salt, nonce, id, signature, algo?, difficulty?}`.
//!
//! * The salt is text, hashed as its bytes: printable ASCII, 1 to [`MAX_SALT_LEN`] bytes.
//! * Verification accepts any nonce of printable ASCII, 1 to [`MAX_NONCE_LEN`] bytes.
//! * The solver emits its own encoding: filler `0`s, then [`VARYING_CHARS`] characters of
//!   `0-9A-Za-z-_`, with the length chosen so that `salt + nonce` ends at byte 55 of a
//!   SHA-256 block (see [`Sha256Bits::plan`]).

use crate::difficulty::Difficulty;
use crate::error::{Error, Rejection, VerifyError};
use crate::job::{Alphabet, Digest, HashAlg, Job, Predicate};
use crate::schemes::{aligned_nonce_len, check_printable};

/// Scheme name as used on the command line.
pub const NAME: &str = "sha256-bits";
/// Longest salt accepted, in bytes.
pub const MAX_SALT_LEN: usize = 512;
/// Longest nonce accepted by verification, in bytes.
pub const MAX_NONCE_LEN: usize = 256;
/// Number of varying characters in solver-made nonces: `64^10 = 2^60` candidates.
pub const VARYING_CHARS: usize = 10;
/// The character solver-made nonces are padded with.
pub const FILLER: u8 = b'0';

/// Most solutions a multi-solution challenge may ask for.
pub const MAX_SOLUTIONS: u32 = 256;

/// A `sha256-bits` challenge: a salt, a difficulty and the number of solutions `k`, all
/// validated.
///
/// With `k > 1` the challenge asks for `k` distinct nonces, each valid at difficulty
/// `d - log2 k`: the expected work is still `2^d` hashes, but the solve time is the sum of
/// `k` independent geometric waits, so its tail shrinks (p99/p50 falls from about 6.6 at
/// `k = 1` to about 1.7 at `k = 16`).
#[derive(Debug, Clone, PartialEq)]
pub struct Sha256Bits {
    salt: String,
    difficulty: Difficulty,
    k: u32,
}

/// The difficulty each of `k` solutions must meet so that `k` of them cost `2^d` hashes on
/// average: `d - log2 k`. Fails for `k` outside `1..=MAX_SOLUTIONS` or when `d < log2 k`.
pub fn per_solution_difficulty(d: Difficulty, k: u32) -> Result<Difficulty, Error> {
    if !(1..=MAX_SOLUTIONS).contains(&k) {
        return Err(Error::Unsupported {
            field: "k",
            value: k.to_string(),
            expected: "1 to 256 solutions",
        });
    }
    let per = d.bits() - f64::from(k).log2();
    if per < 0.0 {
        return Err(Error::Unsupported {
            field: "k",
            value: k.to_string(),
            expected: "at most 2^difficulty solutions",
        });
    }
    Difficulty::new(per)
}

/// A valid solution's evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Proof {
    /// `SHA-256(salt + nonce)`.
    pub digest: Digest,
    /// Its leading zero bits.
    pub zero_bits: u32,
}

/// A planned search: the [`Job`] and the text that precedes its varying characters.
#[derive(Debug, Clone)]
pub struct Plan {
    job: Job,
    nonce_prefix: String,
}

impl Plan {
    /// The job to search.
    pub fn job(&self) -> &Job {
        &self.job
    }

    /// The nonce string for nonce index `index`.
    pub fn nonce(&self, index: u64) -> String {
        let mut s = self.nonce_prefix.clone();
        s.push_str(&self.job.nonce_chars(index));
        s
    }
}

impl Sha256Bits {
    /// A challenge for `salt` at `difficulty`. Fails on an empty, oversized or
    /// non-printable-ASCII salt.
    pub fn new(salt: &str, difficulty: Difficulty) -> Result<Self, Error> {
        check_printable("salt", salt, MAX_SALT_LEN, false)?;
        Ok(Self {
            salt: salt.to_string(),
            difficulty,
            k: 1,
        })
    }

    /// The same challenge asking for `k` solutions (see [`per_solution_difficulty`]).
    pub fn with_solutions(mut self, k: u32) -> Result<Self, Error> {
        per_solution_difficulty(self.difficulty, k)?;
        self.k = k;
        Ok(self)
    }

    /// Number of solutions asked for.
    pub fn solutions(&self) -> u32 {
        self.k
    }

    /// The difficulty each solution must meet: `d - log2 k`.
    pub fn per_solution_difficulty(&self) -> Difficulty {
        per_solution_difficulty(self.difficulty, self.k).expect("checked in with_solutions")
    }

    /// The salt.
    pub fn salt(&self) -> &str {
        &self.salt
    }

    /// The difficulty.
    pub fn difficulty(&self) -> Difficulty {
        self.difficulty
    }

    /// Plans the search. The nonce is `FILLER * k ‖ VARYING_CHARS chars` with `k` chosen
    /// so that `salt + nonce` is 55 bytes modulo 64: the varying characters then occupy
    /// the last message words of the final block (bytes 46..56), every earlier block is in
    /// the midstate, and the nonce is at most `VARYING_CHARS + 63` bytes.
    pub fn plan(&self) -> Plan {
        let n = aligned_nonce_len(self.salt.len(), VARYING_CHARS);
        let nonce_prefix = String::from_utf8(vec![FILLER; n - VARYING_CHARS]).expect("ASCII");
        let mut prefix = self.salt.clone().into_bytes();
        prefix.extend_from_slice(nonce_prefix.as_bytes());
        let job = Job::new(
            HashAlg::Sha256,
            &prefix,
            VARYING_CHARS,
            Alphabet::Base64Url,
            b"",
            Predicate::AtMost(self.per_solution_difficulty().target()),
        )
        .expect("VARYING_CHARS fits the base64 index space");
        Plan { job, nonce_prefix }
    }

    /// Verifies the `k` solutions of the challenge: exactly `k` distinct nonces, each valid
    /// at the per-solution difficulty. For `k = 1` this is [`Sha256Bits::verify`].
    pub fn verify_all<S: AsRef<str>>(&self, nonces: &[S]) -> Result<Vec<Proof>, VerifyError> {
        if nonces.len() != self.k as usize {
            return Err(Rejection::SolutionCount {
                expected: self.k,
                got: nonces.len(),
            }
            .into());
        }
        let mut seen = std::collections::HashSet::new();
        for n in nonces {
            if !seen.insert(n.as_ref()) {
                return Err(Rejection::DuplicateNonce(n.as_ref().to_string()).into());
            }
        }
        nonces.iter().map(|n| self.verify_one(n.as_ref())).collect()
    }

    /// Verifies `nonce` for a single-solution challenge: bad input (empty, too long,
    /// non-printable) is a [`VerifyError::Malformed`]; too little work is a
    /// [`VerifyError::Rejected`]; a multi-solution challenge needs
    /// [`Sha256Bits::verify_all`].
    pub fn verify(&self, nonce: &str) -> Result<Proof, VerifyError> {
        self.verify_all(&[nonce]).map(|mut v| v.remove(0))
    }

    /// Checks one nonce at the per-solution difficulty.
    fn verify_one(&self, nonce: &str) -> Result<Proof, VerifyError> {
        check_printable("nonce", nonce, MAX_NONCE_LEN, false)?;
        let mut msg = Vec::with_capacity(self.salt.len() + nonce.len());
        msg.extend_from_slice(self.salt.as_bytes());
        msg.extend_from_slice(nonce.as_bytes());
        let digest = HashAlg::Sha256.digest_message(&msg);
        let zero_bits = digest.leading_zero_bits();
        let d = self.per_solution_difficulty();
        if Predicate::AtMost(d.target()).check(&digest) {
            Ok(Proof { digest, zero_bits })
        } else {
            Err(Rejection::InsufficientWork {
                zero_bits,
                required: d.bits(),
            }
            .into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference;

    fn ch(salt: &str, d: f64) -> Sha256Bits {
        Sha256Bits::new(salt, Difficulty::new(d).unwrap()).unwrap()
    }

    #[test]
    fn plan_layout() {
        for len in [1usize, 32, 45, 46, 47, 55, 56, 63, 64, 100, 512] {
            let salt = "s".repeat(len);
            let plan = ch(&salt, 1.0).plan();
            let nonce = plan.nonce(0);
            assert!(nonce.len() >= VARYING_CHARS && nonce.len() < VARYING_CHARS + 64);
            assert!(nonce.len() <= MAX_NONCE_LEN);
            assert_eq!((len + nonce.len()) % 64, 55);
            assert!(plan.job().nonce_in_last_block());
            assert_eq!(plan.job().nonce().offset + VARYING_CHARS, 55);
        }
    }

    #[test]
    fn solve_then_verify() {
        for (salt, d) in [("hello", 8.0), ("a".repeat(60).as_str(), 10.0), ("x", 6.5)] {
            let c = ch(salt, d);
            let plan = c.plan();
            let i = reference::search(plan.job(), plan.job().range()).unwrap();
            let nonce = plan.nonce(i);
            let proof = c.verify(&nonce).unwrap();
            assert_eq!(proof.digest, plan.job().digest_at(i));
        }
    }

    #[test]
    fn rejects_bad_input() {
        let d = Difficulty::from_bits(1).unwrap();
        assert!(matches!(Sha256Bits::new("", d), Err(Error::Empty("salt"))));
        assert!(matches!(
            Sha256Bits::new("héllo", d),
            Err(Error::BadChar { at: 1, .. })
        ));
        assert!(matches!(
            Sha256Bits::new(&"a".repeat(513), d),
            Err(Error::TooLong { .. })
        ));
        let c = ch("salt", 1.0);
        assert!(matches!(c.verify(""), Err(VerifyError::Malformed(_))));
        assert!(matches!(c.verify("a\nb"), Err(VerifyError::Malformed(_))));
        assert!(matches!(
            c.verify(&"a".repeat(257)),
            Err(VerifyError::Malformed(_))
        ));
    }

    #[test]
    fn multi_solution_needs_k_distinct_valid_nonces() {
        let c = ch("multi", 12.0).with_solutions(4).unwrap();
        assert_eq!(c.per_solution_difficulty().bits(), 10.0);
        let plan = c.plan();
        let job = plan.job();
        let mut hits = Vec::new();
        let mut cur = 0;
        while hits.len() < 5 {
            let i = reference::search(job, cur..job.range().end).unwrap();
            hits.push(plan.nonce(i));
            cur = i + 1;
        }
        assert_eq!(c.verify_all(&hits[..4]).unwrap().len(), 4);
        assert!(matches!(
            c.verify_all(&hits[..3]),
            Err(VerifyError::Rejected(Rejection::SolutionCount {
                expected: 4,
                got: 3
            }))
        ));
        assert!(matches!(
            c.verify_all(&hits[..5]),
            Err(VerifyError::Rejected(Rejection::SolutionCount { .. }))
        ));
        let dup = [&hits[0], &hits[1], &hits[2], &hits[0]];
        assert!(matches!(
            c.verify_all(&dup),
            Err(VerifyError::Rejected(Rejection::DuplicateNonce(_)))
        ));
        let mut bad = hits[..4].to_vec();
        bad[3].push('x');
        assert!(c.verify_all(&bad).is_err());
        // A single-solution verify of a k=4 challenge is a count error.
        assert!(c.verify(&hits[0]).is_err());
        // k must fit the difficulty and the limit.
        assert!(ch("x", 3.0).with_solutions(16).is_err());
        assert!(ch("x", 20.0).with_solutions(0).is_err());
        assert!(ch("x", 20.0).with_solutions(257).is_err());
        assert!(ch("x", 4.0).with_solutions(16).is_ok());
    }

    #[test]
    fn rejects_insufficient_work() {
        // Difficulty 256 can only be met by an all-zero digest.
        let c = ch("salt", 256.0);
        assert!(matches!(
            c.verify("0"),
            Err(VerifyError::Rejected(Rejection::InsufficientWork { .. }))
        ));
        // Difficulty 0 accepts anything.
        assert!(ch("salt", 0.0).verify("anything at all").is_ok());
    }
}
