//! `cap`: Cap (`@cap.js/server` v1) challenges.
//!
//! The server hands out `{"challenge": {"c": C, "s": S, "d": D}, "token": T, "expires": ms}`.
//! For `i = 1..=C`, sub-challenge `i` has `salt = prng(T + i, S)` and
//! `target = prng(T + i + "d", D)`; its solution is the lowest decimal `n` (from 0) such that
//! `hex(SHA-256(salt + n))` starts with `target`. The client redeems `{"token": T,
//! "solutions": [n_1, ..., n_C]}`.
//!
//! `prng` seeds a xorshift32 generator with an FNV-1a-style hash of the seed text and emits
//! 8 hex digits per step; JavaScript's 32-bit wrap-around is reproduced with wrapping `u32`
//! arithmetic (every JS step is exact modulo 2^32).

use serde_json::{Value, json};

use crate::error::{Error, Rejection, VerifyError};
use crate::job::{HashAlg, Predicate};
use crate::schemes::decimal::{DecimalSearch, MAX_SAFE_INTEGER};

/// Scheme name.
pub const NAME: &str = "cap";
/// Most sub-challenges accepted.
pub const MAX_C: u32 = 10_000;

/// Cap's deterministic hex generator.
pub fn prng(seed: &str, len: usize) -> String {
    let mut h: u32 = 2166136261;
    for unit in seed.encode_utf16() {
        h ^= u32::from(unit);
        h = h
            .wrapping_add(h << 1)
            .wrapping_add(h << 4)
            .wrapping_add(h << 7)
            .wrapping_add(h << 8)
            .wrapping_add(h << 24);
    }
    let mut out = String::with_capacity(len + 8);
    while out.len() < len {
        h ^= h << 13;
        h ^= h >> 17;
        h ^= h << 5;
        out.push_str(&format!("{h:08x}"));
    }
    out.truncate(len);
    out
}

/// A Cap challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// The token.
    pub token: String,
    /// Number of sub-challenges.
    pub c: u32,
    /// Salt length (hex digits).
    pub s: u32,
    /// Target length (hex digits).
    pub d: u32,
    /// Expiry, Unix milliseconds, when given.
    pub expires: Option<i64>,
}

impl Challenge {
    /// Parses the server's challenge response.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let v: Value = serde_json::from_str(text).map_err(|e| Error::Json(format!("cap: {e}")))?;
        let num = |k: &str, max: u64| -> Result<u32, Error> {
            v.pointer(&format!("/challenge/{k}"))
                .and_then(Value::as_u64)
                .filter(|&x| (1..=max).contains(&x))
                .map(|x| x as u32)
                .ok_or_else(|| {
                    Error::Json(format!(
                        "cap: challenge.{k} must be an integer from 1 to {max}"
                    ))
                })
        };
        let token = v
            .get("token")
            .and_then(Value::as_str)
            .ok_or_else(|| Error::Json("cap: missing \"token\"".into()))?
            .to_string();
        super::check_printable("token", &token, 1024, false)?;
        Ok(Self {
            c: num("c", u64::from(MAX_C))?,
            s: num("s", 1024)?,
            d: num("d", 64)?,
            token,
            expires: v.get("expires").and_then(Value::as_i64),
        })
    }

    /// Salt and target of sub-challenge `i` (1-based).
    pub fn sub(&self, i: u32) -> (String, String) {
        (
            prng(&format!("{}{i}", self.token), self.s as usize),
            prng(&format!("{}{i}d", self.token), self.d as usize),
        )
    }

    /// The search of sub-challenge `i`.
    pub fn search(&self, i: u32) -> DecimalSearch {
        let (salt, target) = self.sub(i);
        DecimalSearch {
            alg: HashAlg::Sha256,
            prefix: salt.into_bytes(),
            suffix: Vec::new(),
            predicate: Predicate::hex_prefix(&target).expect("prng emits hex"),
            min: 0,
            // The server reads solutions as JavaScript numbers: larger ones are rounded.
            max: MAX_SAFE_INTEGER,
        }
    }

    /// The redeem body.
    pub fn redeem(&self, solutions: &[u64]) -> Value {
        json!({"token": self.token, "solutions": solutions})
    }

    /// Checks solutions as the server does (its token bookkeeping aside): one per
    /// sub-challenge, each hashing to its target prefix; not expired when `now_ms` is given.
    pub fn verify(&self, solutions: &[u64], now_ms: Option<i64>) -> Result<(), VerifyError> {
        if let (Some(exp), Some(now)) = (self.expires, now_ms)
            && now > exp
        {
            return Err(Rejection::ChallengeExpired(exp / 1000).into());
        }
        if solutions.len() != self.c as usize {
            return Err(Rejection::SolutionCount {
                expected: self.c,
                got: solutions.len(),
            }
            .into());
        }
        for (i, &n) in (1..=self.c).zip(solutions) {
            let (salt, target) = self.sub(i);
            let hex = HashAlg::Sha256
                .digest_message(format!("{salt}{n}").as_bytes())
                .to_hex();
            if !hex.starts_with(&target) {
                return Err(Rejection::WrongDigest {
                    expected: format!("{target}..."),
                    got: hex,
                }
                .into());
            }
        }
        Ok(())
    }
}

/// Verifies an answer as Cap's server does, from the challenge's fields with the
/// `solutions` (unsigned integers); `now` is the Unix time in seconds.
pub fn verify_answer(input: &str, now: i64) -> Result<Value, VerifyError> {
    let v = super::parse_json(NAME, input)?;
    let ch = Challenge::parse(input)?;
    let sols: Vec<u64> = v
        .get("solutions")
        .and_then(Value::as_array)
        .ok_or_else(|| Error::Json("cap: missing \"solutions\"".into()))?
        .iter()
        .map(|x| {
            x.as_u64()
                .filter(|&n| n <= MAX_SAFE_INTEGER)
                .ok_or_else(|| {
                    Error::Json(
                    "cap: solutions must be unsigned integers up to 2^53-1 (exact in JavaScript)"
                        .into(),
                )
                })
        })
        .collect::<Result<_, _>>()?;
    ch.verify(&sols, Some(now * 1000))?;
    Ok(json!({"valid": true, "scheme": NAME}))
}
