//! `anubis`: Anubis's proof-of-work challenge (`fast`/`slow` algorithms, TecharoHQ/anubis
//! `lib/challenge/proofofwork`).
//!
//! Valid when `SHA-256(randomData + nonce)`, as lower-case hex, starts with `difficulty`
//! zeros (`4 * difficulty` leading zero bits). The client sends the decimal nonce (Go
//! `strconv.Atoi`) and the digest hex as `response`; the server recomputes the digest of
//! the nonce text it received and compares.
//!
//! The challenge is the JSON of the page's `<script id="anubis_challenge">`:
//! `{"rules": {"algorithm": "fast", "difficulty": 4, ...}, "challenge": {"id": "...",
//! "randomData": "..."}}` (older versions: `"challenge": "<randomData>"`); the whole HTML
//! page is accepted too.

use serde_json::{Value, json};

use crate::difficulty::Target;
use crate::error::{Error, Rejection, VerifyError};
use crate::job::{HashAlg, Predicate};
use crate::schemes::decimal::DecimalSearch;

/// Scheme name.
pub const NAME: &str = "anubis";
/// Largest difficulty accepted, in hex digits (64 = the whole digest).
pub const MAX_DIFFICULTY: u32 = 64;
/// Longest `randomData`, in bytes.
pub const MAX_RANDOM_DATA: usize = 4096;

/// An Anubis challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// Challenge id (returned in the pass-challenge request), when given.
    pub id: Option<String>,
    /// The random data hashed before the nonce.
    pub random_data: String,
    /// Leading zero hex digits required.
    pub difficulty: u32,
}

/// Extracts the JSON of `<script id="anubis_challenge" ...>...</script>` from a page.
fn from_html(text: &str) -> Option<&str> {
    let at = text.find("id=\"anubis_challenge\"")?;
    let open = at + text[at..].find('>')? + 1;
    let close = open + text[open..].find("</script>")?;
    Some(text[open..close].trim())
}

fn bad(what: &str) -> Error {
    Error::Json(format!("anubis challenge: {what}"))
}

impl Challenge {
    /// Parses the challenge JSON (or the challenge page).
    pub fn parse(text: &str) -> Result<Self, Error> {
        let json = if text.trim_start().starts_with('<') {
            from_html(text).ok_or_else(|| bad("no <script id=\"anubis_challenge\"> in the page"))?
        } else {
            text
        };
        let v: Value = serde_json::from_str(json).map_err(|e| bad(&e.to_string()))?;
        let rules = v.get("rules");
        if let Some(alg) = rules
            .and_then(|r| r.get("algorithm"))
            .and_then(Value::as_str)
            && !matches!(alg, "fast" | "slow")
        {
            return Err(Error::Unsupported {
                field: "algorithm",
                value: alg.to_string(),
                expected: "\"fast\" or \"slow\" (the proof-of-work algorithms)",
            });
        }
        let difficulty = rules
            .and_then(|r| r.get("difficulty"))
            .or_else(|| v.get("difficulty"))
            .or_else(|| v.pointer("/challenge/difficulty"))
            .ok_or_else(|| bad("no difficulty"))?
            .as_u64()
            .filter(|&d| d <= u64::from(MAX_DIFFICULTY))
            .ok_or_else(|| bad("difficulty must be an integer from 0 to 64"))?
            as u32;
        let (id, random_data) = match v.get("challenge") {
            Some(Value::String(s)) => (None, s.clone()),
            Some(c @ Value::Object(_)) => (
                c.get("id").and_then(Value::as_str).map(str::to_string),
                c.get("randomData")
                    .and_then(Value::as_str)
                    .ok_or_else(|| bad("no challenge.randomData"))?
                    .to_string(),
            ),
            _ => match v.get("randomData").and_then(Value::as_str) {
                Some(s) => (
                    v.get("id").and_then(Value::as_str).map(str::to_string),
                    s.to_string(),
                ),
                None => return Err(bad("no challenge")),
            },
        };
        super::check_printable("randomData", &random_data, MAX_RANDOM_DATA, true)?;
        Ok(Self {
            id,
            random_data,
            difficulty,
        })
    }

    /// The search: `randomData ‖ decimal nonce` from 0, digest with `4 * difficulty`
    /// leading zero bits.
    pub fn search(&self) -> DecimalSearch {
        DecimalSearch {
            alg: HashAlg::Sha256,
            prefix: self.random_data.clone().into_bytes(),
            suffix: Vec::new(),
            predicate: Predicate::AtMost(Target::leading_zero_bits(4 * self.difficulty)),
            min: 0,
            max: i64::MAX as u64,
        }
    }

    /// The response Anubis takes (the parameters of its `pass-challenge` request).
    pub fn response(&self, nonce: u64, elapsed_ms: u64) -> Value {
        let hash = HashAlg::Sha256
            .digest_message(format!("{}{nonce}", self.random_data).as_bytes())
            .to_hex();
        let id = self.id.clone().unwrap_or_default();
        json!({
            "id": id,
            "response": hash,
            "nonce": nonce,
            "elapsedTime": elapsed_ms,
            "pass_challenge": format!(
                "/.within.website/x/cmd/anubis/api/pass-challenge?id={id}&response={hash}&nonce={nonce}&redir=%2F&elapsedTime={elapsed_ms}"
            ),
        })
    }
}

/// Go's `strconv.Atoi` on 64-bit platforms: optional sign, decimal digits, int64 range.
fn go_atoi(s: &str) -> bool {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) && s.parse::<i64>().is_ok()
}

/// Verifies a response as Anubis does: the nonce parses as an integer, `response` is the
/// hex SHA-256 of `randomData + nonce` (the nonce text as sent), and it starts with
/// `difficulty` zeros.
pub fn verify(
    random_data: &str,
    difficulty: u32,
    nonce: &str,
    response: &str,
) -> Result<(), VerifyError> {
    if !go_atoi(nonce) {
        return Err(Error::Json(format!("nonce {nonce:?} is not an integer")).into());
    }
    let calculated = HashAlg::Sha256
        .digest_message(format!("{random_data}{nonce}").as_bytes())
        .to_hex();
    if calculated != response {
        return Err(Rejection::WrongDigest {
            expected: calculated,
            got: response.to_string(),
        }
        .into());
    }
    let zeros = response.bytes().take_while(|&b| b == b'0').count();
    if zeros < difficulty as usize {
        return Err(Rejection::InsufficientWork {
            zero_bits: 4 * zeros as u32,
            required: f64::from(4 * difficulty),
        }
        .into());
    }
    Ok(())
}

/// Verifies an answer as Anubis does, from `{"randomData" (or "challenge"),
/// "difficulty", "nonce" (number or string), "response"}`.
pub fn verify_answer(input: &str) -> Result<Value, VerifyError> {
    let v = super::parse_json(NAME, input)?;
    let data = v
        .get("randomData")
        .or_else(|| v.get("challenge"))
        .and_then(Value::as_str)
        .ok_or_else(|| Error::Json("anubis: missing \"randomData\"".into()))?;
    let d = v
        .get("difficulty")
        .and_then(Value::as_u64)
        .filter(|&d| d <= 64)
        .ok_or_else(|| Error::Json("anubis: difficulty must be an integer 0..=64".into()))?;
    let nonce = super::num_or_str(NAME, &v, "nonce")?;
    let resp = v
        .get("response")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::Json("anubis: missing \"response\"".into()))?;
    verify(data, d as u32, &nonce, resp)?;
    Ok(json!({"valid": true, "scheme": NAME}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_shapes_anubis_serves() {
        let j = r#"{"rules":{"algorithm":"fast","difficulty":4,"report_as":4},"challenge":{"id":"0195-uuid","randomData":"abcd","spent":false}}"#;
        let c = Challenge::parse(j).unwrap();
        assert_eq!(
            (c.id.as_deref(), c.random_data.as_str(), c.difficulty),
            (Some("0195-uuid"), "abcd", 4)
        );
        let page = format!(
            "<html><script id=\"anubis_challenge\" type=\"application/json\">{j}</script></html>"
        );
        assert_eq!(Challenge::parse(&page).unwrap(), c);
        let old = r#"{"rules":{"algorithm":"slow","difficulty":2},"challenge":"ffee"}"#;
        assert_eq!(Challenge::parse(old).unwrap().random_data, "ffee");
        for bad in [
            "",
            "{}",
            r#"{"rules":{"algorithm":"metarefresh","difficulty":1},"challenge":"x"}"#,
            r#"{"rules":{"difficulty":65},"challenge":"x"}"#,
            r#"{"rules":{"difficulty":-1},"challenge":"x"}"#,
            r#"{"rules":{"difficulty":1},"challenge":{"id":"x"}}"#,
            "<html>no challenge</html>",
        ] {
            assert!(Challenge::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn go_atoi_rules() {
        for ok in ["0", "21585", "+7", "-3", "9223372036854775807"] {
            assert!(go_atoi(ok), "{ok}");
        }
        for bad in ["", "+", "1.5", "0x10", " 1", "9223372036854775808", "١"] {
            assert!(!go_atoi(bad), "{bad}");
        }
    }
}
