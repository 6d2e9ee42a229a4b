//! `altcha-v2`: ALTCHA v2 key-derivation challenges (`altcha-lib` 2.x default export).
//!
//! A challenge is `{"parameters": {algorithm, nonce, salt, cost, keyLength, keyPrefix,
//! memoryCost?, parallelism?, expiresAt?, data?, keySignature?}, "signature"}`. The solver
//! looks for a 32-bit counter such that `deriveKey(password = nonce ‖ u32-BE counter,
//! salt)` starts with `keyPrefix` (bytes for an even-length prefix, hex text for an odd
//! one). Key derivations:
//!
//! * `SHA-256`/`SHA-384`/`SHA-512`: `H(salt ‖ password)` then `cost - 1` more rounds of
//!   `H(previous digest)`, truncated to `keyLength`;
//! * `PBKDF2/SHA-256|384|512`: PBKDF2-HMAC with `cost` rounds;
//! * `SCRYPT`: `N = cost`, `r = memoryCost`, `p = parallelism` (default 1);
//! * `ARGON2ID`: `t = cost`, `m = memoryCost` KiB, `p = parallelism` (default 1).
//!
//! The signature is `hex(HMAC(secret, JSON.stringify(parameters with keys sorted)))`
//! (HMAC-SHA-256 unless the server chose otherwise). The client sends the base64 of
//! `{"challenge": <as given>, "solution": {counter, derivedKey, time}}`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Map, Value, json};

use super::constant_eq;
use crate::error::{Error, Rejection, VerifyError};

/// Scheme name.
pub const NAME: &str = "altcha-v2";
/// Largest `cost` accepted for the iterated-hash and PBKDF2 derivations.
pub const MAX_ITERATIONS: u64 = 10_000_000;
/// Largest memory accepted for scrypt and Argon2id, in bytes.
pub const MAX_MEMORY: u64 = 1 << 30;

/// A key derivation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kdf {
    /// Iterated SHA-2 (256, 384 or 512).
    Sha(u16),
    /// PBKDF2-HMAC-SHA-2 (256, 384 or 512).
    Pbkdf2(u16),
    /// scrypt.
    Scrypt,
    /// Argon2id.
    Argon2id,
}

/// The parsed, validated parameters of a challenge.
#[derive(Debug, Clone, PartialEq)]
pub struct Challenge {
    /// The parameters exactly as given (all of them are signed).
    pub parameters: Map<String, Value>,
    /// The signature, when given.
    pub signature: Option<String>,
    /// The derivation.
    pub kdf: Kdf,
    nonce: Vec<u8>,
    salt: Vec<u8>,
    cost: u32,
    key_length: usize,
    key_prefix: String,
    memory_cost: Option<u32>,
    parallelism: u32,
    expires_at: Option<f64>,
}

fn bad(what: impl std::fmt::Display) -> Error {
    Error::Json(format!("altcha-v2: {what}"))
}

fn hex_field(p: &Map<String, Value>, k: &str) -> Result<Vec<u8>, Error> {
    let s = p
        .get(k)
        .and_then(Value::as_str)
        .ok_or_else(|| bad(format!("missing parameters.{k}")))?;
    if s.len() > 1024 {
        return Err(bad(format!("parameters.{k} is too long")));
    }
    hex::decode(s).map_err(|_| bad(format!("parameters.{k} is not even-length hex")))
}

fn uint(p: &Map<String, Value>, k: &str) -> Result<Option<u64>, Error> {
    match p.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .filter(|&x| x >= 1)
            .map(Some)
            .ok_or_else(|| bad(format!("parameters.{k} must be a positive integer"))),
    }
}

impl Challenge {
    /// Parses `{"parameters": {...}, "signature": "..."}` (or a payload's `challenge`).
    pub fn parse(text: &str) -> Result<Self, Error> {
        let v: Value = serde_json::from_str(text).map_err(bad)?;
        Self::from_value(&v)
    }

    /// From a parsed JSON value.
    pub fn from_value(v: &Value) -> Result<Self, Error> {
        let v = v
            .get("challenge")
            .filter(|c| c.get("parameters").is_some())
            .unwrap_or(v);
        let parameters = v
            .get("parameters")
            .and_then(Value::as_object)
            .ok_or_else(|| bad("missing \"parameters\""))?
            .clone();
        let alg = parameters
            .get("algorithm")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("missing parameters.algorithm"))?;
        let kdf = match alg {
            "SHA-256" => Kdf::Sha(256),
            "SHA-384" => Kdf::Sha(384),
            "SHA-512" => Kdf::Sha(512),
            "PBKDF2/SHA-256" => Kdf::Pbkdf2(256),
            "PBKDF2/SHA-384" => Kdf::Pbkdf2(384),
            "PBKDF2/SHA-512" => Kdf::Pbkdf2(512),
            "SCRYPT" => Kdf::Scrypt,
            "ARGON2ID" => Kdf::Argon2id,
            other => {
                return Err(Error::Unsupported {
                    field: "algorithm",
                    value: other.to_string(),
                    expected: "SHA-256/384/512, PBKDF2/SHA-256/384/512, SCRYPT or ARGON2ID",
                });
            }
        };
        let cost = uint(&parameters, "cost")?.ok_or_else(|| bad("missing parameters.cost"))?;
        let key_length = uint(&parameters, "keyLength")?.unwrap_or(32);
        if key_length > 1024 {
            return Err(bad("keyLength over 1024"));
        }
        let memory_cost = uint(&parameters, "memoryCost")?;
        let parallelism = uint(&parameters, "parallelism")?.unwrap_or(1);
        // Overflow reads as over the limit.
        let memory = match kdf {
            Kdf::Scrypt => 128u64
                .saturating_mul(cost)
                .saturating_mul(memory_cost.unwrap_or(0))
                .saturating_mul(parallelism),
            Kdf::Argon2id => 1024u64.saturating_mul(memory_cost.unwrap_or(0)),
            _ => 0,
        };
        if matches!(kdf, Kdf::Sha(_) | Kdf::Pbkdf2(_)) && cost > MAX_ITERATIONS {
            return Err(bad(format!("cost over {MAX_ITERATIONS}")));
        }
        if matches!(kdf, Kdf::Scrypt | Kdf::Argon2id) && memory_cost.is_none() {
            return Err(bad("SCRYPT and ARGON2ID need parameters.memoryCost"));
        }
        if memory > MAX_MEMORY || cost > u64::from(u32::MAX) || parallelism > 255 {
            return Err(bad("cost, memoryCost or parallelism out of range"));
        }
        if kdf == Kdf::Scrypt && !cost.is_power_of_two() {
            return Err(bad("SCRYPT cost must be a power of two"));
        }
        let key_prefix = parameters
            .get("keyPrefix")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("missing parameters.keyPrefix"))?
            .to_ascii_lowercase();
        if key_prefix.is_empty()
            || key_prefix.len() > 2 * key_length as usize
            || !key_prefix.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return Err(bad(
                "keyPrefix must be non-empty hex, no longer than the key",
            ));
        }
        Ok(Self {
            nonce: hex_field(&parameters, "nonce")?,
            salt: hex_field(&parameters, "salt")?,
            signature: v
                .get("signature")
                .and_then(Value::as_str)
                .map(str::to_string),
            expires_at: parameters.get("expiresAt").and_then(Value::as_f64),
            kdf,
            cost: cost as u32,
            key_length: key_length as usize,
            key_prefix,
            memory_cost: memory_cost.map(|m| m as u32),
            parallelism: parallelism as u32,
            parameters,
        })
    }

    /// The key for `counter`.
    pub fn derive(&self, counter: u32) -> Result<Vec<u8>, Error> {
        let mut password = self.nonce.clone();
        password.extend_from_slice(&counter.to_be_bytes());
        let mut out = vec![0u8; self.key_length];
        match self.kdf {
            Kdf::Sha(bits) => {
                use sha2::Digest as _;
                let h = |data: &[u8]| -> Vec<u8> {
                    match bits {
                        256 => sha2::Sha256::digest(data).to_vec(),
                        384 => sha2::Sha384::digest(data).to_vec(),
                        _ => sha2::Sha512::digest(data).to_vec(),
                    }
                };
                let mut d = h(&[self.salt.as_slice(), &password].concat());
                for _ in 1..self.cost {
                    d = h(&d);
                }
                d.truncate(self.key_length);
                return Ok(d);
            }
            Kdf::Pbkdf2(bits) => match bits {
                256 => {
                    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(&password, &self.salt, self.cost, &mut out)
                }
                384 => {
                    pbkdf2::pbkdf2_hmac::<sha2::Sha384>(&password, &self.salt, self.cost, &mut out)
                }
                _ => {
                    pbkdf2::pbkdf2_hmac::<sha2::Sha512>(&password, &self.salt, self.cost, &mut out)
                }
            },
            Kdf::Scrypt => {
                let log_n = self.cost.trailing_zeros() as u8;
                let p = scrypt::Params::new(log_n, self.memory_cost.unwrap_or(8), self.parallelism)
                    .map_err(|e| bad(format!("scrypt parameters: {e}")))?;
                scrypt::scrypt(&password, &self.salt, &p, &mut out)
                    .map_err(|e| bad(format!("scrypt: {e}")))?;
            }
            Kdf::Argon2id => {
                let p = argon2::Params::new(
                    self.memory_cost.unwrap_or(0),
                    self.cost,
                    self.parallelism,
                    Some(self.key_length),
                )
                .map_err(|e| bad(format!("argon2 parameters: {e}")))?;
                argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, p)
                    .hash_password_into(&password, &self.salt, &mut out)
                    .map_err(|e| bad(format!("argon2: {e}")))?;
            }
        }
        Ok(out)
    }

    /// Whether `key` starts with the key prefix (bytes when the prefix has an even
    /// length, hex text otherwise: the same thing, case-insensitively).
    pub fn prefix_matches(&self, key: &[u8]) -> bool {
        hex::encode(key).starts_with(&self.key_prefix)
    }

    /// Expected derivations to find a solution: `16^len(keyPrefix)`.
    pub fn expected_work(&self) -> f64 {
        16f64.powi(self.key_prefix.len() as i32)
    }

    /// The base64 payload for a solution.
    pub fn payload(&self, counter: u32, key: &[u8], time_ms: f64) -> String {
        let mut challenge = json!({"parameters": self.parameters});
        if let Some(s) = &self.signature {
            challenge["signature"] = json!(s);
        }
        let p = json!({
            "challenge": challenge,
            "solution": {"counter": counter, "derivedKey": hex::encode(key), "time": (time_ms * 10.0).floor() / 10.0},
        });
        B64.encode(p.to_string())
    }
}

/// `JSON.stringify` of the parameters with keys sorted (serde_json's maps are sorted).
pub fn canonical_json(parameters: &Map<String, Value>) -> String {
    Value::Object(parameters.clone()).to_string()
}

fn hmac_hex(alg: &str, key: &[u8], msg: &[u8]) -> Result<String, Error> {
    fn mac<M: Mac + KeyInit>(key: &[u8], msg: &[u8]) -> String {
        let mut m = <M as KeyInit>::new_from_slice(key).expect("HMAC takes any key");
        m.update(msg);
        hex::encode(m.finalize().into_bytes())
    }
    Ok(match alg {
        "SHA-256" => mac::<Hmac<sha2::Sha256>>(key, msg),
        "SHA-384" => mac::<Hmac<sha2::Sha384>>(key, msg),
        "SHA-512" => mac::<Hmac<sha2::Sha512>>(key, msg),
        other => {
            return Err(Error::Unsupported {
                field: "HMAC algorithm",
                value: other.to_string(),
                expected: "SHA-256, SHA-384 or SHA-512",
            });
        }
    })
}

/// The signature of `parameters` under `secret` (`hmac_alg`: `SHA-256` by default).
pub fn sign(
    parameters: &Map<String, Value>,
    secret: &[u8],
    hmac_alg: &str,
) -> Result<String, Error> {
    hmac_hex(hmac_alg, secret, canonical_json(parameters).as_bytes())
}

/// Parses a payload (base64 of JSON, or the JSON): the challenge, the counter and the key.
pub fn parse_payload(text: &str) -> Result<(Challenge, u32, String), Error> {
    let raw = super::altcha::payload_json(NAME, text)?;
    let v: Value = serde_json::from_slice(&raw).map_err(bad)?;
    let ch = Challenge::from_value(
        v.get("challenge")
            .ok_or_else(|| bad("payload has no challenge"))?,
    )?;
    let counter = v
        .pointer("/solution/counter")
        .and_then(Value::as_u64)
        .and_then(|c| u32::try_from(c).ok())
        .ok_or_else(|| bad("solution.counter must be an integer from 0 to 2^32 - 1"))?;
    let key = v
        .pointer("/solution/derivedKey")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("missing solution.derivedKey"))?
        .to_string();
    Ok((ch, counter, key))
}

/// Verifies as `altcha-lib` `verifySolution` does: not expired (`now`, Unix seconds),
/// signed, signature valid (`hmac_alg` over the sorted parameters), the key is lowercase
/// hex; then, when the challenge carries a `keySignature` and `key_secret` is given, the
/// key's HMAC under `key_secret` is that signature (the exact key the server derived; no
/// derivation), else re-deriving the key from the counter gives it and it starts with
/// the prefix.
pub fn verify(
    ch: &Challenge,
    counter: u32,
    derived_key: &str,
    secret: &[u8],
    key_secret: Option<&[u8]>,
    hmac_alg: &str,
    now: f64,
) -> Result<(), VerifyError> {
    if let Some(exp) = ch.expires_at
        && exp < now
    {
        return Err(Rejection::ChallengeExpired(exp as i64).into());
    }
    let sig = ch.signature.as_deref().ok_or(Rejection::BadSignature)?;
    let want = sign(&ch.parameters, secret, hmac_alg)?;
    if !constant_eq(want.as_bytes(), sig.as_bytes()) {
        return Err(Rejection::BadSignature.into());
    }
    if derived_key.is_empty()
        || !derived_key.len().is_multiple_of(2)
        || !derived_key
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(Rejection::WrongDigest {
            expected: "lowercase hex".into(),
            got: derived_key.to_string(),
        }
        .into());
    }
    // altcha-lib takes the key-signature path when `keySignature` is truthy (a
    // non-empty string; any other truthy value can never match) and it holds the secret.
    let key_signature = match ch.parameters.get("keySignature") {
        None | Some(Value::Null | Value::Bool(false)) => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(Value::Number(n)) if n.as_f64() == Some(0.0) => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(_) => Some(""),
    };
    if key_secret.is_some_and(<[u8]>::is_empty) {
        return Err(bad("the key-signature secret is empty").into());
    }
    if let (Some(ks), Some(key_signature)) = (key_secret, key_signature) {
        let key = hex::decode(derived_key).map_err(bad)?;
        if !constant_eq(
            hmac_hex(hmac_alg, ks, &key)?.as_bytes(),
            key_signature.as_bytes(),
        ) {
            return Err(Rejection::WrongDigest {
                expected: "the key the server derived (keySignature)".into(),
                got: derived_key.to_string(),
            }
            .into());
        }
        return Ok(());
    }
    let key = ch.derive(counter)?;
    let hex_key = hex::encode(&key);
    if hex_key != derived_key || !ch.prefix_matches(&key) {
        return Err(Rejection::WrongDigest {
            expected: hex_key,
            got: derived_key.to_string(),
        }
        .into());
    }
    Ok(())
}

/// Verifies an answer as `altcha-lib` does (see [`verify`], HMAC-SHA-256), from a payload
/// or a `{"payload": ...}` wrapper, signed under `secret`; `now` in Unix seconds.
pub fn verify_answer(
    input: &str,
    secret: &[u8],
    key_secret: Option<&[u8]>,
    now: i64,
) -> Result<Value, VerifyError> {
    let (ch, counter, dk) = parse_payload(&super::altcha::unwrap_payload(input))?;
    verify(&ch, counter, &dk, secret, key_secret, "SHA-256", now as f64)?;
    Ok(json!({"valid": true, "scheme": NAME, "counter": counter}))
}
