//! `mcaptcha`: mCaptcha's proof of work (`mcaptcha_pow_sha256`).
//!
//! The hash input is `salt ‖ u64-LE len(phrase) ‖ phrase ‖ decimal nonce` (the phrase
//! serialised as bincode serialises a `String`); the score is the first 16 digest bytes
//! as a big-endian `u128`, and a proof is sufficient when
//! `score >= u128::MAX - u128::MAX / difficulty_factor` (high bits, not leading zeros).
//! Verifiers check both that the client's `result` is the recomputed score and that it
//! meets the target.
//!
//! Challenge: mCaptcha's PoW config `{"string": phrase, "difficulty_factor": N, "salt": S}`
//! (an optional `"key"`, the site key, is carried into the answer). Answer: mCaptcha's
//! work submission `{"string", "nonce", "result", "key"}`.

use serde_json::{Value, json};

use crate::error::{Error, Rejection, VerifyError};
use crate::job::{HashAlg, Predicate};
use crate::schemes::decimal::DecimalSearch;

/// Scheme name.
pub const NAME: &str = "mcaptcha";
/// Longest salt or phrase, in bytes.
pub const MAX_FIELD: usize = 4096;

/// An mCaptcha PoW config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The phrase (`string`).
    pub phrase: String,
    /// The salt.
    pub salt: String,
    /// The difficulty factor (expected work).
    pub difficulty_factor: u32,
    /// The site key, when given.
    pub key: Option<String>,
}

fn field<'a>(v: &'a Value, k: &str) -> Result<&'a str, Error> {
    v.get(k)
        .and_then(Value::as_str)
        .ok_or_else(|| Error::Json(format!("mcaptcha: missing string \"{k}\"")))
}

impl Config {
    /// Parses the config JSON.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let v: Value =
            serde_json::from_str(text).map_err(|e| Error::Json(format!("mcaptcha: {e}")))?;
        let phrase = field(&v, "string")?.to_string();
        let salt = field(&v, "salt")?.to_string();
        for (name, s) in [("string", &phrase), ("salt", &salt)] {
            if s.len() > MAX_FIELD {
                return Err(Error::TooLong {
                    field: if name == "salt" { "salt" } else { "string" },
                    len: s.len(),
                    max: MAX_FIELD,
                });
            }
        }
        let difficulty_factor = v
            .get("difficulty_factor")
            .and_then(Value::as_u64)
            .and_then(|d| u32::try_from(d).ok())
            .filter(|&d| d >= 1)
            .ok_or_else(|| {
                Error::Json("mcaptcha: difficulty_factor must be an integer >= 1".into())
            })?;
        Ok(Self {
            phrase,
            salt,
            difficulty_factor,
            key: v.get("key").and_then(Value::as_str).map(str::to_string),
        })
    }

    /// `salt ‖ u64-LE len(phrase) ‖ phrase`.
    pub fn prefix(&self) -> Vec<u8> {
        let mut p = self.salt.clone().into_bytes();
        p.extend_from_slice(&(self.phrase.len() as u64).to_le_bytes());
        p.extend_from_slice(self.phrase.as_bytes());
        p
    }

    /// `u128::MAX - u128::MAX / difficulty_factor`.
    pub fn target(&self) -> u128 {
        u128::MAX - u128::MAX / u128::from(self.difficulty_factor)
    }

    /// The search: nonces from 1, score at least the target.
    pub fn search(&self) -> DecimalSearch {
        let t = self.target();
        let min = [
            (t >> 96) as u32,
            (t >> 64) as u32,
            (t >> 32) as u32,
            t as u32,
            0,
            0,
            0,
            0,
        ];
        DecimalSearch {
            alg: HashAlg::Sha256,
            prefix: self.prefix(),
            suffix: Vec::new(),
            predicate: Predicate::AtLeast(min),
            min: 1,
            max: u64::MAX,
        }
    }

    /// The score of `nonce`.
    pub fn score(&self, nonce: u64) -> u128 {
        let mut m = self.prefix();
        m.extend_from_slice(nonce.to_string().as_bytes());
        let d = HashAlg::Sha256.digest_message(&m).to_bytes();
        u128::from_be_bytes(d[..16].try_into().expect("32-byte digest"))
    }

    /// mCaptcha's work submission for `nonce`.
    pub fn work(&self, nonce: u64) -> Value {
        let mut w = json!({
            "string": self.phrase,
            "nonce": nonce,
            "result": self.score(nonce).to_string(),
        });
        if let Some(k) = &self.key {
            w["key"] = json!(k);
        }
        w
    }

    /// Verifies a submission as mCaptcha does: `result` is the recomputed score, and the
    /// score meets the target.
    pub fn verify(&self, nonce: u64, result: &str) -> Result<u128, VerifyError> {
        let score = self.score(nonce);
        if result != score.to_string() {
            return Err(Rejection::WrongDigest {
                expected: score.to_string(),
                got: result.to_string(),
            }
            .into());
        }
        if score < self.target() {
            return Err(Rejection::InsufficientWork {
                zero_bits: 0,
                required: f64::from(self.difficulty_factor).log2(),
            }
            .into());
        }
        Ok(score)
    }
}

/// Verifies an answer as mCaptcha does, from the challenge's fields (`salt`, `string`,
/// `difficulty_factor`) with the work's `nonce` (an unsigned integer) and `result` (the
/// score, number or string). Answers the score.
pub fn verify_answer(input: &str) -> Result<Value, VerifyError> {
    let v = super::parse_json(NAME, input)?;
    let cfg = Config::parse(input)?;
    let nonce = v
        .get("nonce")
        .and_then(Value::as_u64)
        .ok_or_else(|| Error::Json("mcaptcha: nonce must be an unsigned integer".into()))?;
    let result = super::num_or_str(NAME, &v, "result")?;
    let score = cfg.verify(nonce, &result)?;
    Ok(json!({"valid": true, "scheme": NAME, "score": score.to_string()}))
}
