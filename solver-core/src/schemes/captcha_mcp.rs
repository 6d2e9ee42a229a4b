//! The JSON shapes of the captcha-mcp MCP server (`@powforge/captcha-mcp`), whose rule is
//! [`sha256-bits`](super::sha256_bits).
//!
//! * Its `challenge` tool returns `{id, salt, difficulty, algo: "sha256", signature,
//!   instructions}`, as JSON text in `content[0].text` of the tool result.
//! * Its `verify` tool takes `{salt, nonce, id, signature, algo?, difficulty?}`.
//!
//! [`ChallengeMsg::parse`] accepts the bare challenge object, a tool result
//! (`{content: [{type: "text", text: "..."}]}` or `structuredContent`), or a whole JSON-RPC
//! response around one (`{result: ...}`), so an agent can pipe whatever it received.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value};

use crate::difficulty::Difficulty;
use crate::error::Error;
use crate::schemes::sha256_bits::Sha256Bits;

/// Longest `id` or `signature` accepted, in bytes.
pub const MAX_FIELD_LEN: usize = 1024;
/// The only `algo` value of this rule.
pub const ALGO: &str = "sha256";

/// A captcha-mcp challenge.
#[derive(Debug, Clone, PartialEq)]
pub struct ChallengeMsg {
    /// Challenge id (passed back to `verify`).
    pub id: Option<String>,
    /// The salt.
    pub salt: String,
    /// The difficulty as it appeared in the JSON (echoed back unchanged).
    pub difficulty: Number,
    /// The signature (passed back to `verify`).
    pub signature: Option<String>,
    /// Solutions asked for (`k`, a Grindstone extension; absent means 1).
    pub k: u32,
}

/// The input of captcha-mcp's `verify` tool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerifyMsg {
    /// The challenge's salt.
    pub salt: String,
    /// The nonce found.
    pub nonce: String,
    /// The challenge's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The challenge's signature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    /// `"sha256"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub algo: Option<String>,
    /// The challenge's difficulty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub difficulty: Option<Number>,
    /// All `k` nonces of a multi-solution challenge (a Grindstone extension; `nonce` then
    /// repeats the first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonces: Option<Vec<String>>,
}

impl VerifyMsg {
    /// The nonces to check: `nonces` when given, else `[nonce]`.
    pub fn all_nonces(&self) -> Vec<&str> {
        match &self.nonces {
            Some(v) => v.iter().map(String::as_str).collect(),
            None => vec![self.nonce.as_str()],
        }
    }
}

fn json_err(e: impl std::fmt::Display) -> Error {
    Error::Json(e.to_string())
}

/// Unwraps a JSON-RPC response and an MCP tool result down to the payload object.
fn payload(v: Value) -> Result<Map<String, Value>, Error> {
    let mut v = v;
    for _ in 0..4 {
        let Value::Object(mut obj) = v else {
            return Err(Error::Json("expected a JSON object".into()));
        };
        if obj.contains_key("salt") {
            return Ok(obj);
        }
        if let Some(r) = obj.remove("result") {
            v = r;
            continue;
        }
        if let Some(Value::Object(s)) = obj.remove("structuredContent") {
            v = Value::Object(s);
            continue;
        }
        if let Some(Value::Array(items)) = obj.remove("content") {
            let text = items
                .iter()
                .find(|i| i.get("type").and_then(Value::as_str) == Some("text"))
                .and_then(|i| i.get("text"))
                .and_then(Value::as_str)
                .ok_or_else(|| Error::Json("tool result has no text content".into()))?;
            v = serde_json::from_str(text).map_err(json_err)?;
            continue;
        }
        return Err(Error::Json("no \"salt\" field".into()));
    }
    Err(Error::Json("too deeply wrapped".into()))
}

fn opt_string(obj: &Map<String, Value>, key: &'static str) -> Result<Option<String>, Error> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.len() <= MAX_FIELD_LEN => Ok(Some(s.clone())),
        Some(Value::String(s)) => Err(Error::TooLong {
            field: key,
            len: s.len(),
            max: MAX_FIELD_LEN,
        }),
        Some(_) => Err(Error::Json(format!("\"{key}\" must be a string"))),
    }
}

/// Checks an optional `algo` field.
fn check_algo(algo: Option<&str>) -> Result<(), Error> {
    match algo {
        None => Ok(()),
        Some(a) if a.eq_ignore_ascii_case(ALGO) => Ok(()),
        Some(a) => Err(Error::Unsupported {
            field: "algo",
            value: a.to_string(),
            expected: "\"sha256\"",
        }),
    }
}

/// Parses a difficulty given as a JSON number.
pub fn difficulty_of(n: &Number) -> Result<Difficulty, Error> {
    let v = n
        .as_f64()
        .ok_or_else(|| Error::DifficultySyntax(n.to_string()))?;
    Difficulty::new(v).map_err(|_| Error::DifficultyRange {
        value: n.to_string(),
        min: 0,
        max: crate::difficulty::MAX_BITS,
    })
}

impl ChallengeMsg {
    /// Parses a challenge (see the [module documentation](self) for accepted wrappers).
    pub fn parse(text: &str) -> Result<Self, Error> {
        let v: Value = serde_json::from_str(text).map_err(json_err)?;
        let obj = payload(v)?;
        let salt = match obj.get("salt") {
            Some(Value::String(s)) => s.clone(),
            _ => return Err(Error::Json("\"salt\" must be a string".into())),
        };
        let difficulty = match obj.get("difficulty") {
            Some(Value::Number(n)) => n.clone(),
            None => return Err(Error::Json("missing \"difficulty\"".into())),
            Some(_) => return Err(Error::Json("\"difficulty\" must be a number".into())),
        };
        check_algo(opt_string(&obj, "algo")?.as_deref())?;
        let k = match obj.get("k") {
            None | Some(Value::Null) => 1,
            Some(v) => v
                .as_u64()
                .and_then(|k| u32::try_from(k).ok())
                .ok_or_else(|| Error::Json("\"k\" must be a positive integer".into()))?,
        };
        let msg = Self {
            id: opt_string(&obj, "id")?,
            salt,
            difficulty,
            signature: opt_string(&obj, "signature")?,
            k,
        };
        msg.challenge()?;
        Ok(msg)
    }

    /// The validated challenge.
    pub fn challenge(&self) -> Result<Sha256Bits, Error> {
        Sha256Bits::new(&self.salt, difficulty_of(&self.difficulty)?)?.with_solutions(self.k)
    }

    /// The `verify` tool input for the solution(s) (one nonce, or `k`).
    pub fn verify_msg<S: AsRef<str>>(&self, nonces: &[S]) -> VerifyMsg {
        VerifyMsg {
            salt: self.salt.clone(),
            nonce: nonces
                .first()
                .map(|n| n.as_ref().to_string())
                .unwrap_or_default(),
            nonces: (nonces.len() > 1)
                .then(|| nonces.iter().map(|n| n.as_ref().to_string()).collect()),
            id: self.id.clone(),
            signature: self.signature.clone(),
            algo: Some(ALGO.to_string()),
            difficulty: Some(self.difficulty.clone()),
        }
    }
}

impl VerifyMsg {
    /// Parses a `verify` tool input.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let msg: VerifyMsg = serde_json::from_str(text).map_err(json_err)?;
        check_algo(msg.algo.as_deref())?;
        for (name, v) in [("id", &msg.id), ("signature", &msg.signature)] {
            if let Some(s) = v
                && s.len() > MAX_FIELD_LEN
            {
                return Err(Error::TooLong {
                    field: name,
                    len: s.len(),
                    max: MAX_FIELD_LEN,
                });
            }
        }
        Ok(msg)
    }

    /// Compact JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("plain data serializes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CH: &str = r#"{"id":"c1","salt":"65a8a91e6196581379205256b77a0c02","difficulty":8,"algo":"sha256","signature":"sig","instructions":"..."}"#;

    #[test]
    fn parses_bare_and_wrapped() {
        let bare = ChallengeMsg::parse(CH).unwrap();
        assert_eq!(bare.id.as_deref(), Some("c1"));
        assert_eq!(bare.difficulty.to_string(), "8");
        let tool = serde_json::json!({"content":[{"type":"text","text":CH}]}).to_string();
        assert_eq!(ChallengeMsg::parse(&tool).unwrap(), bare);
        let rpc = serde_json::json!({"jsonrpc":"2.0","id":3,"result":{"content":[{"type":"text","text":CH}]}}).to_string();
        assert_eq!(ChallengeMsg::parse(&rpc).unwrap(), bare);
        let v = bare.verify_msg(&["14"]);
        assert_eq!(
            v.to_json(),
            r#"{"salt":"65a8a91e6196581379205256b77a0c02","nonce":"14","id":"c1","signature":"sig","algo":"sha256","difficulty":8}"#
        );
        assert_eq!(VerifyMsg::parse(&v.to_json()).unwrap(), v);
    }

    #[test]
    fn refuses_bad_challenges() {
        for bad in [
            "",
            "[]",
            "{",
            r#"{"salt":"x"}"#,
            r#"{"salt":1,"difficulty":8}"#,
            r#"{"salt":"x","difficulty":"8"}"#,
            r#"{"salt":"x","difficulty":300}"#,
            r#"{"salt":"x","difficulty":-1}"#,
            r#"{"salt":"","difficulty":8}"#,
            r#"{"salt":"x","difficulty":8,"algo":"sha1"}"#,
            r#"{"salt":"x","difficulty":8,"id":5}"#,
            r#"{"content":[]}"#,
        ] {
            assert!(ChallengeMsg::parse(bad).is_err(), "{bad}");
        }
        assert!(VerifyMsg::parse(r#"{"salt":"x"}"#).is_err());
        assert!(VerifyMsg::parse(r#"{"salt":"x","nonce":"y","algo":"md5"}"#).is_err());
    }
}
