//! The wire format of Grindstone gate challenges (the PoW rule is
//! [`sha256-bits`](super::sha256_bits)): what a client needs to read a challenge, solve it
//! and send the solution back. Checking the signature is the gate's business (it holds
//! the key); this module only parses and formats.
//!
//! A challenge has an `id`, a `salt`, and a `signature` of two base64url parts,
//! `<claims>.<mac>`, where `claims` is compact JSON
//! `{"alg","d","exp","scope","k"?,"kid"?,"iat"?}`
//! and `mac` is an HMAC-SHA256 over [`GateChallenge::signed_bytes`]. So the captcha-mcp `verify`
//! input `{salt, nonce, id, signature}` carries everything the gate checks, and nothing
//! in it can be changed without breaking the MAC.
//!
//! * **Compact form** (one string, for HTTP headers): `<id>.<salt>.<claims>.<mac>`.
//! * **402 challenge header**: `WWW-Authenticate: PoW challenge="<compact>",
//!   difficulty=<d>, algorithm="sha256"`.
//! * **Solution header**: `X-PoW-Solution: challenge=<compact>, nonce=<nonce>`.
//! * **Token**: the answer to an accepted solution carries `X-PoW-Token: <jwt>`; a client
//!   reuses it as `X-PoW-Token` or `Authorization: PoW <jwt>` until it expires
//!   ([`token_info`] reads its scope and expiry).
//! * **Scopes**: a challenge or token is good for one scope, `tool:<name>` for an MCP
//!   tool ([`tool_scope`]), or `*` for any ([`scope_covers`]).
//!
//! This module is the one home of the protocol: the gate, the Rust client and the Python
//! package all read these names and rules from here.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde::{Deserialize, Serialize};
use serde_json::Number;

use crate::difficulty::Difficulty;
use crate::error::Error;
use crate::schemes::captcha_mcp::difficulty_of;
use crate::schemes::sha256_bits::Sha256Bits;

/// The hash algorithm name of gate challenges.
pub const ALGORITHM: &str = "sha256";
/// The authentication scheme name in `WWW-Authenticate` and `Authorization`.
pub const AUTH_SCHEME: &str = "PoW";
/// Longest `id` or `salt`, in bytes.
pub const MAX_ID_LEN: usize = 128;
/// Longest signature, in bytes.
pub const MAX_SIGNATURE_LEN: usize = 1024;
/// Longest scope, in bytes.
pub const MAX_SCOPE_LEN: usize = 200;
/// The request header that carries a solution.
pub const SOLUTION_HEADER: &str = "X-PoW-Solution";
/// The header that carries a token (in requests, and in answers to accepted solutions).
pub const TOKEN_HEADER: &str = "X-PoW-Token";
/// JSON-RPC error code of a gate's payment-required answer: `-32042`, the code of the
/// MCP transport of the HTTP Payment Authentication scheme (MPP,
/// `draft-payment-transport-mcp-00`). (Before, `-32002`: MCP's own "resource not found".)
pub const PAYMENT_REQUIRED_CODE: i64 = -32042;
/// JSON-RPC error code of an answer to a payment offered and refused (MPP's `-32043`);
/// it carries a fresh challenge like [`PAYMENT_REQUIRED_CODE`].
pub const PAYMENT_REFUSED_CODE: i64 = -32043;
/// The `params._meta` key of a payment carried inside a JSON-RPC request (MPP's).
pub const META_CREDENTIAL: &str = "org.paymentauth/credential";
/// The `result._meta` key of the receipt of a payment made inside a JSON-RPC request.
pub const META_RECEIPT: &str = "org.paymentauth/receipt";
/// The payment method name of gate challenges in MPP's `challenges` list.
pub const PAYMENT_METHOD: &str = "pow";
/// Prefix of the scope of an MCP tool: `tool:<name>`.
pub const TOOL_SCOPE_PREFIX: &str = "tool:";
/// The scope good for anything.
pub const ANY_SCOPE: &str = "*";
/// Domain separation prefix of the MAC input.
const MAC_CONTEXT: &str = "grindstone-challenge-v1";

/// The signed claims of a challenge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    /// Hash algorithm, `"sha256"`.
    pub alg: String,
    /// Difficulty in bits.
    pub d: Number,
    /// Expiry, Unix seconds.
    pub exp: i64,
    /// What the challenge is good for (a tool, a resource); `*` for anything.
    pub scope: String,
    /// Solutions asked for (omitted when 1).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub k: u32,
    /// Id of the server key that signed the challenge (omitted by servers without key
    /// rotation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// When the challenge was issued, Unix seconds (omitted by earlier servers). A gate
    /// whose replay store recovered from a machine crash refuses what was issued before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
}

fn one() -> u32 {
    1
}

fn is_one(k: &u32) -> bool {
    *k == 1
}

/// A parsed gate challenge (signature not checked).
#[derive(Debug, Clone, PartialEq)]
pub struct GateChallenge {
    /// Challenge id (spent exactly once).
    pub id: String,
    /// Salt (hashed as text).
    pub salt: String,
    /// The decoded claims.
    pub claims: Claims,
    /// The claims as transmitted (base64url of compact JSON).
    pub claims_b64: String,
    /// The MAC as transmitted (base64url).
    pub mac_b64: String,
}

fn check_token_chars(field: &'static str, s: &str, max: usize) -> Result<(), Error> {
    if s.is_empty() {
        return Err(Error::Empty(field));
    }
    if s.len() > max {
        return Err(Error::TooLong {
            field,
            len: s.len(),
            max,
        });
    }
    let allowed = |b: u8| b.is_ascii_alphanumeric() | (b == b'-') | (b == b'_');
    // Every byte checked without an early exit (the compiler vectorises it: this runs
    // on every verify); the position is looked for only on the error path.
    if !s.bytes().fold(true, |ok, b| ok & allowed(b))
        && let Some(at) = s.bytes().position(|b| !allowed(b))
    {
        return Err(Error::BadChar {
            field,
            found: s[at..]
                .chars()
                .next()
                .expect("the bytes before `at` are ASCII"),
            at,
            allowed: "A-Z a-z 0-9 - _",
        });
    }
    Ok(())
}

impl GateChallenge {
    /// Builds a challenge from its parts; `mac` is filled in by the signer
    /// ([`GateChallenge::signed_bytes`] is what it signs).
    pub fn new(id: &str, salt: &str, claims: Claims, mac: &[u8]) -> Result<Self, Error> {
        check_token_chars("id", id, MAX_ID_LEN)?;
        check_token_chars("salt", salt, MAX_ID_LEN)?;
        if claims.scope.len() > MAX_SCOPE_LEN {
            return Err(Error::TooLong {
                field: "scope",
                len: claims.scope.len(),
                max: MAX_SCOPE_LEN,
            });
        }
        let claims_b64 = B64.encode(serde_json::to_vec(&claims).expect("plain data"));
        Ok(Self {
            id: id.to_string(),
            salt: salt.to_string(),
            claims,
            claims_b64,
            mac_b64: B64.encode(mac),
        })
    }

    /// Parses `id`, `salt` and `signature` as a client returns them.
    pub fn from_parts(id: &str, salt: &str, signature: &str) -> Result<Self, Error> {
        check_token_chars("id", id, MAX_ID_LEN)?;
        check_token_chars("salt", salt, MAX_ID_LEN)?;
        if signature.len() > MAX_SIGNATURE_LEN {
            return Err(Error::TooLong {
                field: "signature",
                len: signature.len(),
                max: MAX_SIGNATURE_LEN,
            });
        }
        let (claims_b64, mac_b64) = signature
            .split_once('.')
            .ok_or_else(|| Error::Json("signature must have the form <claims>.<mac>".into()))?;
        check_token_chars("signature", claims_b64, MAX_SIGNATURE_LEN)?;
        check_token_chars("signature", mac_b64, MAX_SIGNATURE_LEN)?;
        let raw = B64
            .decode(claims_b64)
            .map_err(|_| Error::Json("signature claims are not base64url".into()))?;
        let claims: Claims = serde_json::from_slice(&raw)
            .map_err(|e| Error::Json(format!("signature claims: {e}")))?;
        Ok(Self {
            id: id.to_string(),
            salt: salt.to_string(),
            claims,
            claims_b64: claims_b64.to_string(),
            mac_b64: mac_b64.to_string(),
        })
    }

    /// Parses the compact form `<id>.<salt>.<claims>.<mac>`.
    pub fn parse_compact(s: &str) -> Result<Self, Error> {
        let s = s.trim();
        let mut it = s.splitn(3, '.');
        match (it.next(), it.next(), it.next()) {
            (Some(id), Some(salt), Some(sig)) => Self::from_parts(id, salt, sig),
            _ => Err(Error::Json(
                "a compact challenge has the form <id>.<salt>.<claims>.<mac>".into(),
            )),
        }
    }

    /// The `signature` field: `<claims>.<mac>`.
    pub fn signature(&self) -> String {
        format!("{}.{}", self.claims_b64, self.mac_b64)
    }

    /// The compact form.
    pub fn compact(&self) -> String {
        format!("{}.{}.{}", self.id, self.salt, self.signature())
    }

    /// The bytes the MAC covers: a context string, the id, the salt and the transmitted
    /// claims, newline-separated.
    pub fn signed_bytes(&self) -> Vec<u8> {
        [MAC_CONTEXT, &self.id, &self.salt, &self.claims_b64]
            .join("\n")
            .into_bytes()
    }

    /// The MAC bytes, if they are valid base64url.
    pub fn mac(&self) -> Result<Vec<u8>, Error> {
        B64.decode(&self.mac_b64)
            .map_err(|_| Error::Json("signature MAC is not base64url".into()))
    }

    /// The signed difficulty.
    pub fn difficulty(&self) -> Result<Difficulty, Error> {
        difficulty_of(&self.claims.d)
    }

    /// The `sha256-bits` challenge to solve (the salt at the signed difficulty).
    pub fn pow(&self) -> Result<Sha256Bits, Error> {
        if !self.claims.alg.eq_ignore_ascii_case(ALGORITHM) {
            return Err(Error::Unsupported {
                field: "alg",
                value: self.claims.alg.clone(),
                expected: "\"sha256\"",
            });
        }
        Sha256Bits::new(&self.salt, self.difficulty()?)?.with_solutions(self.claims.k)
    }

    /// The `WWW-Authenticate` value of a 402 answer carrying this challenge.
    pub fn www_authenticate(&self) -> String {
        let k = if self.claims.k > 1 {
            format!(", k={}", self.claims.k)
        } else {
            String::new()
        };
        format!(
            "{AUTH_SCHEME} challenge=\"{}\", difficulty={}, algorithm=\"{ALGORITHM}\"{k}",
            self.compact(),
            self.claims.d
        )
    }
}

/// The scope of challenges and tokens for an MCP tool: `tool:<name>`.
pub fn tool_scope(tool: &str) -> String {
    format!("{TOOL_SCOPE_PREFIX}{tool}")
}

/// Whether a challenge or token of scope `granted` pays for a request that needs
/// `needed`: the same scope, or [`ANY_SCOPE`].
pub fn scope_covers(granted: &str, needed: &str) -> bool {
    granted == needed || granted == ANY_SCOPE
}

/// Whether a `WWW-Authenticate` value is a challenge of the `PoW` scheme (the scheme
/// token, compared without case; other schemes such as `Bearer` may sit beside it in
/// separate header values).
pub fn is_pow_challenge(www_authenticate: &str) -> bool {
    let v = www_authenticate.trim_start();
    let scheme = v.split(char::is_whitespace).next().unwrap_or(v);
    scheme.eq_ignore_ascii_case(AUTH_SCHEME)
}

/// The `PoW` challenge in a `WWW-Authenticate` value that may list several challenges
/// (`Bearer resource_metadata="...", PoW challenge="...", difficulty=16`), as HTTP
/// clients that join repeated headers with commas see it (the Fetch API's
/// `Headers.get`). Splits at commas outside quoted strings; an element whose first token
/// is followed by a space rather than `=` starts a new challenge. `None` without one.
pub fn pow_challenge_in_list(value: &str) -> Option<String> {
    let mut elements = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in value.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ',' if !quoted => {
                elements.push(value[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    elements.push(value[start..].trim());
    let starts_challenge = |e: &str| {
        let token_end = e
            .find(|c: char| c.is_whitespace() || c == '=')
            .unwrap_or(e.len());
        token_end > 0 && !e[token_end..].trim_start().starts_with('=')
    };
    let first = elements
        .iter()
        .position(|e| starts_challenge(e) && is_pow_challenge(e))?;
    let len = elements[first + 1..]
        .iter()
        .position(|e| starts_challenge(e))
        .unwrap_or(elements.len() - first - 1);
    Some(elements[first..=first + len].join(", "))
}

/// The scope a request will need at a gate, read from its body: `tool:NAME` for an MCP
/// `tools/call` of tool NAME (also inside a JSON-RPC batch, first call wins). For
/// clients choosing a cached token; the gate itself reads bodies strictly.
pub fn scope_of_request(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let msgs = match v {
        serde_json::Value::Array(a) => a,
        v => vec![v],
    };
    msgs.iter()
        .find(|m| m.get("method").and_then(|x| x.as_str()) == Some("tools/call"))
        .and_then(|m| m.pointer("/params/name")?.as_str().map(tool_scope))
}

/// What a client can read from a token without the key: its scope and expiry. The gate
/// checks the signature; the client only needs to know when to stop reusing it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    /// The scope it was paid for.
    pub scope: String,
    /// Expiry, Unix seconds.
    pub expires_at: i64,
    /// Issue time, Unix seconds, when the token says.
    pub issued_at: Option<i64>,
}

/// Reads the (unverified) claims of a gate token (a JWT).
pub fn token_info(token: &str) -> Option<TokenInfo> {
    let claims = token.split('.').nth(1)?;
    let raw = B64.decode(claims.trim_end_matches('=')).ok()?;
    let v: serde_json::Value = serde_json::from_slice(&raw).ok()?;
    Some(TokenInfo {
        scope: v.get("scope")?.as_str()?.to_string(),
        expires_at: v.get("exp")?.as_i64()?,
        issued_at: v.get("iat").and_then(|x| x.as_i64()),
    })
}

/// A payment carried inside a JSON-RPC request, in `params._meta` under
/// [`META_CREDENTIAL`]: `{"challenge": {"id": "<compact>", ...}, "payload": {"nonce":
/// "<nonce>"}}` (`"nonces": [...]` when the challenge asks for k > 1; the challenge object
/// is the one of the payment-required error's `data.challenges`, echoed whole or in
/// part: only its `id` is read), or `{"payload": {"token": "<token>"}}` for a token of an
/// earlier receipt.
#[derive(Debug, Clone, PartialEq)]
pub enum MetaCredential {
    /// A solved challenge.
    Solution {
        /// The challenge (boxed: it is most of the credential's size).
        challenge: Box<GateChallenge>,
        /// Its nonces (one per solution asked for).
        nonces: Vec<String>,
    },
    /// A token.
    Token(String),
}

impl MetaCredential {
    /// Reads a credential strictly: unknown `payload` fields, a missing or doubled
    /// answer, or values of the wrong type are errors.
    pub fn parse(v: &serde_json::Value) -> Result<Self, Error> {
        use serde_json::Value;
        let bad = |m: &str| Error::Json(format!("{META_CREDENTIAL}: {m}"));
        let o = v.as_object().ok_or_else(|| bad("must be an object"))?;
        let payload = o
            .get("payload")
            .and_then(Value::as_object)
            .ok_or_else(|| bad("needs a \"payload\" object"))?;
        if let Some(k) = payload
            .keys()
            .find(|k| !matches!(k.as_str(), "nonce" | "nonces" | "token"))
        {
            return Err(bad(&format!("unknown payload field {k:?}")));
        }
        let text = |v: &Value, what: &str| {
            v.as_str()
                .map(str::to_string)
                .ok_or_else(|| bad(&format!("{what} must be a string")))
        };
        match (
            payload.get("nonce"),
            payload.get("nonces"),
            payload.get("token"),
        ) {
            (None, None, Some(t)) => {
                if o.contains_key("challenge") {
                    return Err(bad("a token answers no challenge"));
                }
                Ok(Self::Token(text(t, "payload.token")?))
            }
            (n, ns, None) if n.is_some() != ns.is_some() => {
                let nonces = match (n, ns) {
                    (Some(n), _) => vec![text(n, "payload.nonce")?],
                    (_, Some(Value::Array(a))) if !a.is_empty() && a.len() <= 64 => a
                        .iter()
                        .map(|n| text(n, "payload.nonces[]"))
                        .collect::<Result<_, _>>()?,
                    _ => return Err(bad("payload.nonces must be an array of 1 to 64 strings")),
                };
                let id = o
                    .get("challenge")
                    .and_then(|c| c.get("id"))
                    .and_then(Value::as_str)
                    .ok_or_else(|| bad("needs \"challenge\": {\"id\": \"<compact challenge>\"}"))?;
                Ok(Self::Solution {
                    challenge: Box::new(GateChallenge::parse_compact(id)?),
                    nonces,
                })
            }
            _ => Err(bad("payload needs exactly one of nonce, nonces and token")),
        }
    }

    /// The `params._meta` entry that carries it: `{"org.paymentauth/credential": ...}`.
    pub fn meta_entry(&self) -> serde_json::Value {
        serde_json::json!({ META_CREDENTIAL: self.to_json() })
    }

    /// The JSON form (what a client puts in `params._meta` under [`META_CREDENTIAL`]).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Self::Solution { challenge, nonces } => {
                let payload = match nonces.as_slice() {
                    [n] => serde_json::json!({"nonce": n}),
                    ns => serde_json::json!({"nonces": ns}),
                };
                serde_json::json!({"challenge": {"id": challenge.compact(), "method": PAYMENT_METHOD},
                                   "payload": payload})
            }
            Self::Token(t) => serde_json::json!({"payload": {"token": t}}),
        }
    }
}

/// Whether a JSON-RPC answer (one message or a batch) is a gate's payment-required
/// error ([`PAYMENT_REQUIRED_CODE`] or [`PAYMENT_REFUSED_CODE`]): how a client tells a
/// gate's `200` that asks for payment (`payment_required_status = 200`) from a `200`
/// that answered the call.
pub fn is_payment_error(body: &[u8]) -> bool {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) else {
        return false;
    };
    let is = |m: &serde_json::Value| {
        m.pointer("/error/code")
            .and_then(|c| c.as_i64())
            .is_some_and(|c| c == PAYMENT_REQUIRED_CODE || c == PAYMENT_REFUSED_CODE)
    };
    match &v {
        serde_json::Value::Array(a) => a.iter().any(is),
        m => is(m),
    }
}

/// The challenge of a gate's payment-required JSON-RPC answer: the whole message, its
/// `error`, or the error's `data` (the first `pow` entry of `challenges`, else `compact`).
pub fn challenge_of_rpc_error(v: &serde_json::Value) -> Result<GateChallenge, Error> {
    let data = v
        .pointer("/error/data")
        .or_else(|| v.get("data"))
        .unwrap_or(v);
    let from_list = data
        .get("challenges")
        .and_then(|c| c.as_array())
        .and_then(|a| {
            a.iter()
                .find(|c| c.get("method").and_then(|m| m.as_str()) == Some(PAYMENT_METHOD))
        })
        .and_then(|c| c.get("id"))
        .and_then(|id| id.as_str());
    let compact = from_list
        .or_else(|| data.get("compact").and_then(|c| c.as_str()))
        .ok_or_else(|| {
            Error::Json("no gate challenge (error.data.challenges[].id or compact)".into())
        })?;
    GateChallenge::parse_compact(compact)
}

/// Splits `key=value, key="quoted value"` auth-params (RFC 9110 section 11.2).
fn auth_params(s: &str) -> Result<Vec<(String, String)>, Error> {
    let mut out = Vec::new();
    let mut rest = s.trim();
    while !rest.is_empty() {
        let eq = rest
            .find('=')
            .ok_or_else(|| Error::Json(format!("expected key=value in {s:?}")))?;
        let key = rest[..eq].trim().to_ascii_lowercase();
        rest = rest[eq + 1..].trim_start();
        let value;
        if let Some(q) = rest.strip_prefix('"') {
            let mut v = String::new();
            let mut chars = q.char_indices();
            let mut end = None;
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, n)) = chars.next() {
                            v.push(n);
                        }
                    }
                    '"' => {
                        end = Some(i);
                        break;
                    }
                    c => v.push(c),
                }
            }
            let end = end.ok_or_else(|| Error::Json(format!("unterminated quote in {s:?}")))?;
            value = v;
            rest = q[end + 1..].trim_start();
        } else {
            let end = rest.find(',').unwrap_or(rest.len());
            value = rest[..end].trim().to_string();
            rest = &rest[end..];
        }
        if key.is_empty()
            || !key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(Error::Json(format!("bad parameter name in {s:?}")));
        }
        out.push((key, value));
        rest = rest.trim_start();
        if let Some(r) = rest.strip_prefix(',') {
            rest = r.trim_start();
        } else if !rest.is_empty() {
            return Err(Error::Json(format!("expected ',' in {s:?}")));
        }
    }
    Ok(out)
}

/// Parses a `WWW-Authenticate` value (with or without the header name) of the `PoW`
/// scheme into the challenge it carries.
pub fn parse_www_authenticate(value: &str) -> Result<GateChallenge, Error> {
    let mut v = value.trim();
    if let Some((name, rest)) = v.split_once(':')
        && name.trim().eq_ignore_ascii_case("www-authenticate")
    {
        v = rest.trim();
    }
    let (scheme, params) = v.split_once(char::is_whitespace).unwrap_or((v, ""));
    if !scheme.eq_ignore_ascii_case(AUTH_SCHEME) {
        return Err(Error::Unsupported {
            field: "authentication scheme",
            value: scheme.to_string(),
            expected: "PoW",
        });
    }
    let params = auth_params(params)?;
    let compact = params
        .iter()
        .find(|(k, _)| k == "challenge")
        .map(|(_, v)| v.as_str())
        .ok_or_else(|| Error::Json("WWW-Authenticate: PoW has no challenge parameter".into()))?;
    if let Some((_, alg)) = params.iter().find(|(k, _)| k == "algorithm")
        && !alg.eq_ignore_ascii_case(ALGORITHM)
    {
        return Err(Error::Unsupported {
            field: "algorithm",
            value: alg.clone(),
            expected: "\"sha256\"",
        });
    }
    GateChallenge::parse_compact(compact)
}

/// A nonce as an auth-param value: bare when it is a token, quoted otherwise.
fn param_value(v: &str) -> String {
    if !v.is_empty()
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
    {
        v.to_string()
    } else {
        format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

/// The `X-PoW-Solution` value for a solved challenge: one `nonce=` parameter per solution.
pub fn solution_header<S: AsRef<str>>(challenge: &GateChallenge, nonces: &[S]) -> String {
    let mut s = format!("challenge={}", challenge.compact());
    for n in nonces {
        s.push_str(", nonce=");
        s.push_str(&param_value(n.as_ref()));
    }
    s
}

/// Parses an `X-PoW-Solution` value into the challenge and its nonce(s).
pub fn parse_solution_header(value: &str) -> Result<(GateChallenge, Vec<String>), Error> {
    let params = auth_params(value)?;
    let get = |k: &str| {
        params
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| Error::Json(format!("X-PoW-Solution has no {k} parameter")))
    };
    let ch = GateChallenge::parse_compact(&get("challenge")?)?;
    let nonces: Vec<String> = params
        .iter()
        .filter(|(n, _)| n == "nonce")
        .map(|(_, v)| v.clone())
        .collect();
    if nonces.is_empty() {
        return Err(Error::Json("X-PoW-Solution has no nonce parameter".into()));
    }
    Ok((ch, nonces))
}

#[cfg(test)]
mod tests {
    #[test]
    fn payment_errors_are_told_from_answers() {
        use super::is_payment_error;
        assert!(is_payment_error(
            br#"{"jsonrpc":"2.0","id":1,"error":{"code":-32042}}"#
        ));
        assert!(is_payment_error(
            br#"[{"id":2,"result":{}},{"id":1,"error":{"code":-32043}}]"#
        ));
        assert!(!is_payment_error(
            br#"{"jsonrpc":"2.0","id":1,"result":{"error":{"code":-32042}}}"#
        ));
        assert!(!is_payment_error(
            br#"{"jsonrpc":"2.0","id":1,"error":{"code":-32602}}"#
        ));
        assert!(!is_payment_error(b"event: message\ndata: {}"));
    }

    #[test]
    fn the_pow_challenge_of_a_joined_list() {
        let pow = r#"PoW challenge="a.b.c", difficulty=16, algorithm="sha256""#;
        assert_eq!(super::pow_challenge_in_list(pow).as_deref(), Some(pow));
        let joined = format!(
            r#"Bearer resource_metadata="https://x/.well-known/oauth-protected-resource", scope="a,b", {pow}, Basic realm="r""#
        );
        assert_eq!(super::pow_challenge_in_list(&joined).as_deref(), Some(pow));
        let after = format!(r#"{pow}, Bearer realm="x, \"y\"""#);
        assert_eq!(super::pow_challenge_in_list(&after).as_deref(), Some(pow));
        assert_eq!(
            super::pow_challenge_in_list(r#"Bearer realm="PoW x""#),
            None
        );
        assert_eq!(super::pow_challenge_in_list(""), None);
        assert!(
            super::parse_www_authenticate(&super::pow_challenge_in_list(&joined).unwrap()).is_err(),
            "a.b.c is no real challenge"
        );
    }

    use super::*;

    fn sample() -> GateChallenge {
        let claims = Claims {
            alg: "sha256".into(),
            d: Number::from(12),
            exp: 1_800_000_000,
            scope: "tool:search".into(),
            k: 1,
            kid: None,
            iat: None,
        };
        GateChallenge::new("0123abcd", "feedbeef", claims, &[7u8; 32]).unwrap()
    }

    #[test]
    fn meta_credentials_parse_strictly() {
        let c = sample();
        let sol = MetaCredential::Solution {
            challenge: Box::new(c.clone()),
            nonces: vec!["42".into()],
        };
        assert_eq!(MetaCredential::parse(&sol.to_json()).unwrap(), sol);
        let k2 = MetaCredential::Solution {
            challenge: Box::new(c.clone()),
            nonces: vec!["1".into(), "2".into()],
        };
        assert_eq!(MetaCredential::parse(&k2.to_json()).unwrap(), k2);
        let tok = MetaCredential::Token("t.o.k".into());
        assert_eq!(MetaCredential::parse(&tok.to_json()).unwrap(), tok);
        let id = c.compact();
        for bad in [
            serde_json::json!("x"),
            serde_json::json!({}),
            serde_json::json!({"payload": {}}),
            serde_json::json!({"payload": {"nonce": 1}, "challenge": {"id": id}}),
            serde_json::json!({"payload": {"nonce": "1", "token": "t"}, "challenge": {"id": id}}),
            serde_json::json!({"payload": {"nonce": "1", "nonces": ["1"]}, "challenge": {"id": id}}),
            serde_json::json!({"payload": {"nonces": []}, "challenge": {"id": id}}),
            serde_json::json!({"payload": {"nonce": "1", "extra": 1}, "challenge": {"id": id}}),
            serde_json::json!({"payload": {"nonce": "1"}}),
            serde_json::json!({"payload": {"nonce": "1"}, "challenge": {"id": "a.b"}}),
            serde_json::json!({"payload": {"token": "t"}, "challenge": {"id": id}}),
        ] {
            assert!(MetaCredential::parse(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn challenges_are_read_from_rpc_errors() {
        let c = sample();
        let err = serde_json::json!({"jsonrpc": "2.0", "id": 1, "error": {"code": PAYMENT_REQUIRED_CODE,
            "data": {"challenges": [{"id": "other", "method": "card"}, {"id": c.compact(), "method": "pow"}]}}});
        assert_eq!(challenge_of_rpc_error(&err).unwrap(), c);
        assert_eq!(challenge_of_rpc_error(&err["error"]).unwrap(), c);
        let old = serde_json::json!({"compact": c.compact()});
        assert_eq!(challenge_of_rpc_error(&old).unwrap(), c);
        assert!(challenge_of_rpc_error(&serde_json::json!({"error": {}})).is_err());
    }

    #[test]
    fn round_trips() {
        let c = sample();
        assert_eq!(GateChallenge::parse_compact(&c.compact()).unwrap(), c);
        assert_eq!(
            GateChallenge::from_parts(&c.id, &c.salt, &c.signature()).unwrap(),
            c
        );
        let h = c.www_authenticate();
        assert!(h.starts_with("PoW challenge=\""));
        assert!(h.contains("difficulty=12, algorithm=\"sha256\""));
        assert_eq!(parse_www_authenticate(&h).unwrap(), c);
        assert_eq!(
            parse_www_authenticate(&format!("WWW-Authenticate: {h}")).unwrap(),
            c
        );
        let s = solution_header(&c, &["00abc-_"]);
        let (c2, n) = parse_solution_header(&s).unwrap();
        assert_eq!((c2, n), (c.clone(), vec!["00abc-_".to_string()]));
        let odd = ["a b", "q\"uote", "x,y", "plain"];
        let (_, n) = parse_solution_header(&solution_header(&c, &odd)).unwrap();
        assert_eq!(n, odd);
        assert_eq!(c.pow().unwrap().difficulty().bits(), 12.0);
        assert_eq!(c.mac().unwrap(), vec![7u8; 32]);
    }

    #[test]
    fn refuses_malformed() {
        let c = sample();
        for bad in [
            "",
            "a.b",
            "a.b.c",
            "a.b.!!.d",
            "a b.c.d.e",
            &format!("{}.{}.{}=", c.id, c.salt, c.signature()),
        ] {
            assert!(GateChallenge::parse_compact(bad).is_err(), "{bad}");
        }
        assert!(GateChallenge::from_parts(&"a".repeat(200), "b", &c.signature()).is_err());
        assert!(parse_www_authenticate("Bearer realm=\"x\"").is_err());
        assert!(parse_www_authenticate("PoW difficulty=3").is_err());
        assert!(is_pow_challenge("pow challenge=\"x\""));
        assert!(is_pow_challenge("  PoW"));
        assert!(!is_pow_challenge("Bearer resource_metadata=\"x\""));
        assert!(!is_pow_challenge("PoWer x=1"));
        assert!(parse_www_authenticate("PoW challenge=\"unterminated").is_err());
        assert!(parse_solution_header("nonce=1").is_err());
        assert!(parse_solution_header(&format!("challenge={}", c.compact())).is_err());
        // k travels in the claims and in the header.
        let mut claims = c.claims.clone();
        claims.k = 4;
        let c4 = GateChallenge::new("0123abcd", "feedbeef", claims, &[7u8; 32]).unwrap();
        assert!(c4.www_authenticate().ends_with(", k=4"));
        assert_eq!(
            parse_www_authenticate(&c4.www_authenticate())
                .unwrap()
                .claims
                .k,
            4
        );
        assert_eq!(c4.pow().unwrap().solutions(), 4);
        assert_eq!(c.pow().unwrap().solutions(), 1);
    }

    #[test]
    fn scopes_and_tokens() {
        assert_eq!(tool_scope("search"), "tool:search");
        assert!(scope_covers("tool:a", "tool:a"));
        assert!(scope_covers(ANY_SCOPE, "tool:a"));
        assert!(!scope_covers("tool:a", "tool:b"));
        assert!(!scope_covers("tool:a", ANY_SCOPE));
        let call = br#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search"}}"#;
        assert_eq!(scope_of_request(call).as_deref(), Some("tool:search"));
        let batch = br#"[{"jsonrpc":"2.0","method":"notifications/x"},{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"a"}}]"#;
        assert_eq!(scope_of_request(batch).as_deref(), Some("tool:a"));
        assert_eq!(scope_of_request(br#"{"method":"tools/list"}"#), None);
        assert_eq!(scope_of_request(b"nope"), None);
        let jwt = format!("h.{}.s", B64.encode(r#"{"scope":"s","exp":103,"iat":100}"#));
        let info = token_info(&jwt).unwrap();
        assert_eq!(
            (info.scope.as_str(), info.expires_at, info.issued_at),
            ("s", 103, Some(100))
        );
        assert!(token_info("not-a-jwt").is_none());
    }

    proptest::proptest! {
        /// The branch-free check accepts exactly the token alphabet and reports the first
        /// byte outside it, as the plain definition does.
        #[test]
        fn token_chars_match_their_definition(
            s in "[A-Za-z0-9_\\-]{0,40}([^A-Za-z0-9_\\-][A-Za-z0-9_\\-]{0,40})?"
        ) {
            let first_bad = s
                .char_indices()
                .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'));
            // At most 81 characters of up to 4 bytes: never over the 400-byte bound.
            match (super::check_token_chars("id", &s, 400), first_bad) {
                (Err(crate::Error::Empty(_)), _) => proptest::prop_assert!(s.is_empty()),
                (Ok(()), None) => proptest::prop_assert!(!s.is_empty()),
                (Err(crate::Error::BadChar { at, found, .. }), Some((i, c))) => {
                    proptest::prop_assert_eq!((at, found), (i, c));
                }
                (r, b) => proptest::prop_assert!(false, "{s:?}: {r:?} against {b:?}"),
            }
        }
    }
}
