//! `altcha`: ALTCHA v1 challenges (`altcha-lib` 2.x `createChallenge`/`verifySolution`).
//!
//! The server hands out `{algorithm, challenge, maxnumber, salt, signature}`: `challenge`
//! is `hex(H(salt + number))` for a secret number in `0..=maxnumber`, `H` one of SHA-1,
//! SHA-256, SHA-512, and `signature` is `hex(HMAC_H(key, challenge))`. The salt ends with
//! `&` and may carry parameters (`?expires=<unix seconds>&`). The client finds the number
//! (a bounded exact-match search) and sends the base64 of the JSON payload
//! `{algorithm, challenge, number, salt, signature, took}`.
//!
//! ALTCHA v2 (key-derivation challenges) is not implemented.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Rejection, VerifyError};
use crate::job::{HashAlg, Predicate};
use crate::schemes::decimal::DecimalSearch;

/// Scheme name.
pub const NAME: &str = "altcha";
/// Largest `maxnumber` accepted (altcha-lib's default is 1e6).
pub const MAX_NUMBER: u64 = 1 << 40;

/// ALTCHA's hash algorithms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// `SHA-1`.
    Sha1,
    /// `SHA-256`.
    Sha256,
    /// `SHA-512`.
    Sha512,
}

impl Algorithm {
    /// From ALTCHA's name (`SHA-256`, ...).
    pub fn parse(s: &str) -> Result<Self, Error> {
        match s.to_ascii_uppercase().as_str() {
            "SHA-1" => Ok(Self::Sha1),
            "SHA-256" => Ok(Self::Sha256),
            "SHA-512" => Ok(Self::Sha512),
            _ => Err(Error::Unsupported {
                field: "algorithm",
                value: s.to_string(),
                expected: "SHA-1, SHA-256 or SHA-512",
            }),
        }
    }

    /// ALTCHA's name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sha1 => "SHA-1",
            Self::Sha256 => "SHA-256",
            Self::Sha512 => "SHA-512",
        }
    }

    /// The job hash, where the engine's kernels run it (SHA-512 has none).
    pub fn job_alg(self) -> Option<HashAlg> {
        match self {
            Self::Sha1 => Some(HashAlg::Sha1),
            Self::Sha256 => Some(HashAlg::Sha256),
            Self::Sha512 => None,
        }
    }

    /// Hex digest of `msg`.
    pub fn hex(self, msg: &[u8]) -> String {
        use sha2::Digest as _;
        match self {
            Self::Sha1 => hex::encode(sha1::Sha1::digest(msg)),
            Self::Sha256 => hex::encode(sha2::Sha256::digest(msg)),
            Self::Sha512 => hex::encode(sha2::Sha512::digest(msg)),
        }
    }

    /// Hex HMAC of `msg` under `key`.
    pub fn hmac_hex(self, key: &[u8], msg: &[u8]) -> String {
        fn mac<M: Mac + KeyInit>(key: &[u8], msg: &[u8]) -> String {
            let mut m = <M as KeyInit>::new_from_slice(key).expect("HMAC takes any key");
            m.update(msg);
            hex::encode(m.finalize().into_bytes())
        }
        match self {
            Self::Sha1 => mac::<Hmac<sha1::Sha1>>(key, msg),
            Self::Sha256 => mac::<Hmac<sha2::Sha256>>(key, msg),
            Self::Sha512 => mac::<Hmac<sha2::Sha512>>(key, msg),
        }
    }
}

/// An ALTCHA v1 challenge as served.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Challenge {
    /// `SHA-1`, `SHA-256` or `SHA-512`.
    pub algorithm: String,
    /// Hex digest to match.
    pub challenge: String,
    /// Largest number to try.
    #[serde(default = "default_max")]
    pub maxnumber: u64,
    /// Salt (hashed as text).
    pub salt: String,
    /// Hex HMAC of `challenge`.
    pub signature: String,
}

fn default_algorithm() -> String {
    "SHA-256".into()
}

fn default_max() -> u64 {
    1_000_000
}

/// The payload a client sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payload {
    /// As in the challenge (absent: `SHA-256`, altcha-lib's default).
    #[serde(default = "default_algorithm")]
    pub algorithm: String,
    /// As in the challenge.
    pub challenge: String,
    /// The number found.
    pub number: Number,
    /// As in the challenge.
    pub salt: String,
    /// As in the challenge.
    pub signature: String,
    /// Milliseconds taken (informational).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub took: Option<u64>,
}

/// A payload's `number` as altcha-lib reads it: the server hashes `salt + number` with
/// JavaScript's string concatenation, so a JSON string of digits (`"7"`, `"07"`) counts
/// as its text and an integral JSON number as JavaScript prints it (`7.0` is `7`).
/// Unlike altcha-lib, anything else is malformed: a string with other characters could
/// carry the salt's tail, `expires` included, and keep the hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Number {
    /// A JSON integer.
    Int(u64),
    /// A JSON string of decimal digits, hashed verbatim.
    Text(String),
}

impl Number {
    /// The text hashed after the salt.
    pub fn text(&self) -> String {
        match self {
            Number::Int(n) => n.to_string(),
            Number::Text(t) => t.clone(),
        }
    }
}

impl Serialize for Number {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Number::Int(n) => s.serialize_u64(*n),
            Number::Text(t) => s.serialize_str(t),
        }
    }
}

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        match Value::deserialize(d)? {
            Value::String(t) if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) => {
                Ok(Number::Text(t))
            }
            Value::Number(n) => n
                .as_u64()
                // An integral float JavaScript prints as the integer (`7.0`).
                .or_else(|| {
                    n.as_f64()
                        .filter(|f| f.fract() == 0.0 && (0.0..1e19).contains(f))
                        .map(|f| f as u64)
                })
                .map(Number::Int)
                .ok_or_else(|| D::Error::custom(format!("number {n} is not a whole number"))),
            other => Err(D::Error::custom(format!(
                "number must be an integer or a string of decimal digits, not {other}"
            ))),
        }
    }
}

impl Challenge {
    /// Parses a challenge JSON.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let c: Challenge =
            serde_json::from_str(text).map_err(|e| Error::Json(format!("altcha: {e}")))?;
        let alg = Algorithm::parse(&c.algorithm)?;
        let want = match alg {
            Algorithm::Sha1 => 40,
            Algorithm::Sha256 => 64,
            Algorithm::Sha512 => 128,
        };
        if c.challenge.len() != want || !c.challenge.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::Json(format!(
                "altcha: challenge must be {want} hex digits"
            )));
        }
        if c.maxnumber > MAX_NUMBER {
            return Err(Error::Json(format!("altcha: maxnumber over {MAX_NUMBER}")));
        }
        super::check_printable("salt", &c.salt, 4096, false)?;
        Ok(c)
    }

    /// The algorithm.
    pub fn alg(&self) -> Algorithm {
        Algorithm::parse(&self.algorithm).expect("checked in parse")
    }

    /// The search (SHA-1 and SHA-256; SHA-512 has no job: see [`Challenge::matches`]).
    pub fn search(&self) -> Option<DecimalSearch> {
        Some(DecimalSearch {
            alg: self.alg().job_alg()?,
            prefix: self.salt.clone().into_bytes(),
            suffix: Vec::new(),
            predicate: Predicate::hex_prefix(&self.challenge.to_ascii_lowercase()).expect("hex"),
            min: 0,
            max: self.maxnumber,
        })
    }

    /// Whether `number` is the solution.
    pub fn matches(&self, number: u64) -> bool {
        self.alg().hex(format!("{}{number}", self.salt).as_bytes())
            == self.challenge.to_ascii_lowercase()
    }

    /// The base64 payload for `number`.
    pub fn payload(&self, number: u64, took_ms: u64) -> String {
        let p = Payload {
            algorithm: self.algorithm.clone(),
            challenge: self.challenge.clone(),
            number: Number::Int(number),
            salt: self.salt.clone(),
            signature: self.signature.clone(),
            took: Some(took_ms),
        };
        B64.encode(serde_json::to_vec(&p).expect("plain data"))
    }
}

/// Parses a payload: base64 of JSON, or the JSON itself.
pub fn parse_payload(text: &str) -> Result<Payload, Error> {
    let json = payload_json(NAME, text)?;
    serde_json::from_slice(&json).map_err(|e| Error::Json(format!("altcha payload: {e}")))
}

/// The JSON of an ALTCHA payload (v1 or v2) sent as base64 of JSON or as the JSON.
pub(crate) fn payload_json(scheme: &str, text: &str) -> Result<Vec<u8>, Error> {
    let t = text.trim();
    if t.starts_with('{') {
        Ok(t.as_bytes().to_vec())
    } else {
        B64.decode(t)
            .map_err(|_| Error::Json(format!("{scheme}: payload is neither JSON nor base64")))
    }
}

/// The payload of an answer: the `payload` string of a `{"payload": ...}` wrapper (what
/// `grind solve` prints for ALTCHA v1 and v2), or the text itself.
pub fn unwrap_payload(text: &str) -> String {
    let t = text.trim();
    match serde_json::from_str::<Value>(t) {
        Ok(Value::Object(o)) if o.contains_key("payload") => {
            o["payload"].as_str().unwrap_or_default().to_string()
        }
        _ => t.to_string(),
    }
}

/// Verifies an answer as `altcha-lib` does (see [`verify`]), from a payload or a
/// `{"payload": ...}` wrapper, signed under `key`; `now` in Unix seconds.
pub fn verify_answer(input: &str, key: &[u8], now: i64) -> Result<Value, VerifyError> {
    let p = parse_payload(&unwrap_payload(input))?;
    verify(&p, key, Some(now))?;
    Ok(serde_json::json!({"valid": true, "scheme": NAME, "number": p.number}))
}

/// The `expires` parameter of a salt `...?expires=N&...` as altcha-lib reads it: the
/// query after the first `?`, form-decoded, the last of repeated names, `expires` or else
/// `expire` (when `expires` is absent or empty), as JavaScript's `parseInt`. `None`: no
/// such parameter; `Some(None)`: present but not a number (altcha-lib refuses those).
pub fn salt_expires(salt: &str) -> Option<Option<i64>> {
    let q = salt.split('?').nth(1).unwrap_or("");
    let mut expires = None;
    let mut expire = None;
    for (k, v) in form_urlencoded::parse(q.as_bytes()) {
        match &*k {
            "expires" => expires = Some(v.into_owned()),
            "expire" => expire = Some(v.into_owned()),
            _ => {}
        }
    }
    let v = expires.filter(|v| !v.is_empty()).or(expire)?;
    if v.is_empty() {
        return None;
    }
    Some(parse_int_js(&v))
}

/// JavaScript's `parseInt(s, 10)` where it is a whole number of seconds that a `Date`
/// can hold (|ms| <= 8.64e15), else `None`: leading white space, an optional sign, the
/// digits up to the first other character.
fn parse_int_js(s: &str) -> Option<i64> {
    let t = s.trim_start();
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let digits = &t[..t.bytes().take_while(u8::is_ascii_digit).count()];
    if digits.is_empty() {
        return None;
    }
    let n: i64 = digits
        .parse()
        .ok()
        .filter(|&n: &i64| n <= 8_640_000_000_000)?;
    Some(if neg { -n } else { n })
}

/// Verifies a payload as `altcha-lib` `verifySolution` does: not expired (when the salt
/// says so and `now` is given, Unix seconds), the challenge is the hash of
/// `salt + number`, and the signature is the HMAC of the challenge under `key`.
pub fn verify(p: &Payload, key: &[u8], now: Option<i64>) -> Result<(), VerifyError> {
    let alg = Algorithm::parse(&p.algorithm)?;
    if let (Some(exp), Some(now)) = (salt_expires(&p.salt), now) {
        // altcha-lib: expired when `expires * 1000 < Date.now()`; unreadable counts too.
        match exp {
            Some(exp) if exp >= now => {}
            Some(exp) => return Err(Rejection::ChallengeExpired(exp).into()),
            None => return Err(Rejection::ChallengeExpired(0).into()),
        }
    }
    // altcha-lib recreates the challenge from the salt, which it makes end with '&'.
    let salt = if p.salt.ends_with('&') {
        p.salt.clone()
    } else {
        format!("{}&", p.salt)
    };
    let challenge = alg.hex(format!("{salt}{}", p.number.text()).as_bytes());
    // altcha-lib compares with `===`: the lower-case hex it computes.
    if challenge != p.challenge {
        return Err(Rejection::WrongDigest {
            expected: challenge,
            got: p.challenge.clone(),
        }
        .into());
    }
    let sig = alg.hmac_hex(key, challenge.as_bytes());
    if !super::constant_eq(sig.as_bytes(), p.signature.as_bytes()) {
        return Err(Rejection::BadSignature.into());
    }
    Ok(())
}

/// Reads `{"challenge": {...}}` wrappers some servers use.
pub fn unwrap_challenge(v: &Value) -> &Value {
    v.get("challenge").filter(|c| c.is_object()).unwrap_or(v)
}
