//! `go-away`: the `js-pow-sha256` challenge of go-away (WeebDataHoarder/go-away,
//! `embed/challenge/js-pow-sha256/runtime/runtime.go` and `static/load.mjs`).
//!
//! The server derives the challenge from its secret key and the difficulty `d`:
//! `c = SHA-256(LE64(d) || key)` (32 bytes), served by `POST {path}/make-challenge` as
//! `{"challenge": hex(c), "target": hex(T), "difficulty": d}` with `T` = `d` zero bits
//! then ones. The browser appends 8 bytes (a little-endian counter) and looks for
//! `SHA-256(c || n) < T`; it then sends `hex(c || n)` as `__goaway_token` to
//! `{path}/verify-challenge`. The server decodes the token, requires the bytes before the
//! last 8 to be exactly `c`, and counts the leading zero bits of `SHA-256(token bytes)`:
//! at least `d` passes. Any 8 bytes are accepted, so grind's nonce is 8 characters of
//! `0-9A-Za-z-_` (2^48 candidates, which the lane kernels search like any other job;
//! enough below about 44 bits, far beyond what a page asks).

use serde_json::{Value, json};
use sha2::Digest as _;

use crate::difficulty::Target;
use crate::error::{Error, Rejection, VerifyError};
use crate::job::{Alphabet, HashAlg, Job, Predicate};

/// Scheme name.
pub const NAME: &str = "go-away";
/// Bytes the client appends to the challenge.
pub const NONCE_LEN: usize = 8;
/// Largest difficulty accepted (bits of a SHA-256 digest).
pub const MAX_DIFFICULTY: u32 = 256;

fn bad(what: impl std::fmt::Display) -> Error {
    Error::Json(format!("go-away: {what}"))
}

/// A go-away `js-pow-sha256` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// The 32 challenge bytes.
    pub challenge: [u8; 32],
    /// Leading zero bits required.
    pub difficulty: u32,
}

/// The browser's target for `difficulty`: `difficulty` zero bits, then ones (hex): the
/// largest digest the job's [`Target`] accepts.
pub fn target_hex(difficulty: u32) -> String {
    let max = Target::leading_zero_bits(difficulty).max();
    hex::encode(
        max.iter()
            .flat_map(|w| w.to_be_bytes())
            .collect::<Vec<u8>>(),
    )
}

fn difficulty_of(v: &Value) -> Result<u32, Error> {
    v.as_u64()
        .filter(|&d| d <= u64::from(MAX_DIFFICULTY))
        .map(|d| d as u32)
        .ok_or_else(|| {
            bad(format!(
                "difficulty must be an integer 0..={MAX_DIFFICULTY}"
            ))
        })
}

fn challenge_bytes(v: &Value) -> Result<[u8; 32], Error> {
    let s = v
        .as_str()
        .ok_or_else(|| bad("challenge must be a hex string"))?;
    let b = hex::decode(s).map_err(|_| bad("challenge is not hex"))?;
    b.try_into()
        .map_err(|_| bad("challenge must be 32 bytes (64 hex digits)"))
}

impl Challenge {
    /// The challenge a server with `key` serves at `difficulty`.
    pub fn from_key(key: &[u8], difficulty: u32) -> Self {
        let mut h = sha2::Sha256::new();
        h.update(u64::from(difficulty).to_le_bytes());
        h.update(key);
        Self {
            challenge: h.finalize().into(),
            difficulty,
        }
    }

    /// Parses the `make-challenge` answer `{"challenge", "target", "difficulty"}`. A
    /// `target` that is not the one `difficulty` gives is refused (the server checks the
    /// difficulty; a page whose two disagree is not go-away's).
    pub fn parse(text: &str) -> Result<Self, Error> {
        let v: Value = serde_json::from_str(text).map_err(bad)?;
        if !v.is_object() {
            return Err(bad("the challenge is a JSON object"));
        }
        let difficulty = difficulty_of(v.get("difficulty").unwrap_or(&Value::Null))?;
        let challenge = challenge_bytes(v.get("challenge").unwrap_or(&Value::Null))?;
        if let Some(t) = v.get("target") {
            let t = t
                .as_str()
                .ok_or_else(|| bad("target must be a hex string"))?;
            if !t.eq_ignore_ascii_case(&target_hex(difficulty)) {
                return Err(bad(format!(
                    "target {t} is not the target of difficulty {difficulty}"
                )));
            }
        }
        Ok(Self {
            challenge,
            difficulty,
        })
    }

    /// The search: 8 nonce characters after the challenge bytes, at least `difficulty`
    /// leading zero bits.
    pub fn job(&self) -> Result<Job, Error> {
        Job::new(
            HashAlg::Sha256,
            &self.challenge,
            NONCE_LEN,
            Alphabet::Base64Url,
            b"",
            Predicate::AtMost(Target::leading_zero_bits(self.difficulty)),
        )
    }

    /// The token (`__goaway_token`) for nonce bytes `nonce`: `hex(challenge || nonce)`.
    pub fn token(&self, nonce: &[u8]) -> String {
        let mut b = self.challenge.to_vec();
        b.extend_from_slice(nonce);
        hex::encode(b)
    }

    /// The answer for a found nonce: the token, and the query of `verify-challenge`
    /// without the page-specific fields (`__goaway_challenge`, `__goaway_redirect`,
    /// `__goaway_id`).
    pub fn answer(&self, nonce: &[u8], elapsed_ms: u64) -> Value {
        let token = self.token(nonce);
        json!({
            "token": token,
            "difficulty": self.difficulty,
            "query": {"__goaway_token": token, "__goaway_elapsedTime": elapsed_ms},
        })
    }

    /// Verifies a token as the server's `VerifyChallenge` does: hex, longer than 8 bytes,
    /// exactly the challenge before the last 8 bytes, at least `difficulty` leading zero
    /// bits of its SHA-256. Answers the zero bits.
    pub fn verify(&self, token: &str) -> Result<u32, VerifyError> {
        let b = hex::decode(token).map_err(|_| bad("token is not hex"))?;
        if b.len() < NONCE_LEN {
            return Err(bad("token shorter than 8 bytes").into());
        }
        let (c, _) = b.split_at(b.len() - NONCE_LEN);
        // Constant time, like the runtime's `subtle.ConstantTimeCompare`.
        if !super::constant_eq(c, &self.challenge) {
            return Err(Rejection::WrongDigest {
                expected: hex::encode(self.challenge),
                got: hex::encode(c),
            }
            .into());
        }
        let zero_bits = HashAlg::Sha256.digest_message(&b).leading_zero_bits();
        if zero_bits < self.difficulty {
            return Err(Rejection::InsufficientWork {
                zero_bits,
                required: f64::from(self.difficulty),
            }
            .into());
        }
        Ok(zero_bits)
    }
}

/// The runtime's difficulty when the rule sets none.
pub const DEFAULT_DIFFICULTY: u32 = 20;

/// Verifies an answer `{"token", "difficulty"?, "challenge"?}` (what `grind solve --scheme
/// go-away` prints, plus the challenge; `difficulty` defaults to the runtime's 20): with
/// `key_b64` (the runtime's challenge key in base64: the per-request `Key` go-away
/// derives in `lib/challenge/key.go` from the client's network prefix, headers, expiry
/// and its private key) the challenge is derived as the runtime does; without it the
/// answer's `challenge` is taken as given.
pub fn verify_answer(input: &str, key_b64: Option<&[u8]>) -> Result<Value, VerifyError> {
    let v: Value = serde_json::from_str(input).map_err(bad)?;
    let difficulty = match v.get("difficulty") {
        None => DEFAULT_DIFFICULTY,
        Some(d) => difficulty_of(d)?,
    };
    let token = v
        .get("token")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("answer has no token"))?;
    let ch = match key_b64 {
        Some(k) => {
            use base64::Engine as _;
            let key = base64::engine::general_purpose::STANDARD
                .decode(k)
                .map_err(|_| bad("--secret must be the challenge key in base64"))?;
            Challenge::from_key(&key, difficulty)
        }
        None => Challenge {
            challenge: challenge_bytes(v.get("challenge").unwrap_or(&Value::Null))?,
            difficulty,
        },
    };
    let zero_bits = ch.verify(token)?;
    Ok(json!({"valid": true, "scheme": NAME, "zero_bits": zero_bits}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        assert_eq!(&target_hex(20)[..8], "00000fff");
        assert_eq!(target_hex(0), "f".repeat(64));
        assert_eq!(target_hex(256), "0".repeat(64));
        assert_eq!(&target_hex(9)[..4], "007f");
    }

    #[test]
    fn token_round_trip_and_tampering() {
        let ch = Challenge::from_key(b"k", 8);
        let job = ch.job().unwrap();
        let i = crate::reference::search(&job, job.range()).unwrap();
        let nonce = job.nonce().chars(i);
        let token = ch.token(nonce.as_bytes());
        assert!(ch.verify(&token).unwrap() >= 8);
        assert!(
            ch.verify(&token.to_uppercase()).is_ok(),
            "Go's decoder takes both cases"
        );
        let mut other = ch.clone();
        other.challenge[0] ^= 1;
        assert!(matches!(
            other.verify(&token),
            Err(VerifyError::Rejected(_))
        ));
        assert!(matches!(ch.verify("zz"), Err(VerifyError::Malformed(_))));
        assert!(matches!(ch.verify("00"), Err(VerifyError::Malformed(_))));
        // Longer or shorter than challenge + 8 bytes: not the challenge before the nonce.
        assert!(ch.verify(&format!("{token}00")).is_err());
        assert!(ch.verify(&token[2..]).is_err());
    }
}
