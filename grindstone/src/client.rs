//! Client side of PoW gates: solve the challenge of a `402` answer's
//! `WWW-Authenticate: PoW ...` header and build the header to retry with, or solve a
//! payment-required JSON-RPC error and build the `params._meta` entry to retry with
//! ([`solve_rpc_error`]).
//!
//! ```no_run
//! use grindstone::SolveOptions;
//! # let www_authenticate = "PoW challenge=\"...\", difficulty=16, algorithm=\"sha256\"";
//! let value = grindstone::client::solve_www_authenticate(www_authenticate, &SolveOptions::default())?;
//! // Retry the request with `X-PoW-Solution: {value}`.
//! # Ok::<(), grindstone::SolveError>(())
//! ```

use grindstone_core::schemes::gate::{self, GateChallenge};
pub use grindstone_core::schemes::gate::{
    SOLUTION_HEADER, TOKEN_HEADER, TokenInfo, is_payment_error, is_pow_challenge,
    pow_challenge_in_list, scope_of_request, token_info,
};

use crate::{Challenge, SolveError, SolveOptions, Solved, solve};

/// Solves a gate challenge; the returned `nonce` is the nonce (not a header).
pub fn solve_challenge(ch: &GateChallenge, opts: &SolveOptions) -> Result<Solved, SolveError> {
    solve(&Challenge::Sha256Bits(ch.pow()?), opts)
}

/// Solves the challenge in a `WWW-Authenticate: PoW ...` value (with or without the header
/// name) and returns the `X-PoW-Solution` value to retry with.
pub fn solve_www_authenticate(value: &str, opts: &SolveOptions) -> Result<String, SolveError> {
    let ch = gate::parse_www_authenticate(value)?;
    let s = solve_challenge(&ch, opts)?;
    Ok(gate::solution_header(&ch, &s.nonces))
}

/// Solves the challenge of a gate's payment-required JSON-RPC error (code -32042 or
/// -32043: the whole message, its `error` or the error's `data`) and returns the
/// `params._meta` entry to retry the same `tools/call` with:
/// `{"org.paymentauth/credential": {"challenge": {"id": ...}, "payload": {"nonce": ...}}}`.
pub fn solve_rpc_error(
    error: &serde_json::Value,
    opts: &SolveOptions,
) -> Result<serde_json::Value, SolveError> {
    let ch = gate::challenge_of_rpc_error(error)?;
    let s = solve_challenge(&ch, opts)?;
    Ok(gate::MetaCredential::Solution {
        challenge: Box::new(ch),
        nonces: s.nonces,
    }
    .meta_entry())
}

/// Tokens by gate (an origin such as `http://127.0.0.1:8788`) and scope, reused until
/// shortly before they expire: `margin` seconds, or a tenth of the token's lifetime when
/// that is less (so short-lived tokens are reused too).
#[derive(Debug)]
pub struct TokenCache {
    tokens: std::sync::Mutex<std::collections::HashMap<(String, String), (String, i64)>>,
    margin: i64,
}

impl Default for TokenCache {
    fn default() -> Self {
        Self::new(10)
    }
}

impl TokenCache {
    /// An empty cache that drops tokens `margin_secs` before their expiry.
    pub fn new(margin_secs: i64) -> Self {
        Self {
            tokens: Default::default(),
            margin: margin_secs,
        }
    }

    /// A token for `gate` and `scope` still good at `now` (Unix seconds).
    pub fn get(&self, gate: &str, scope: &str, now: i64) -> Option<String> {
        let mut t = self.tokens.lock().unwrap_or_else(|e| e.into_inner());
        let key = (gate.to_string(), scope.to_string());
        match t.get(&key) {
            Some((tok, good_until)) if now < *good_until => Some(tok.clone()),
            Some(_) => {
                t.remove(&key);
                None
            }
            None => None,
        }
    }

    /// Stores a token for `gate` (its scope and expiry read from the token). Returns
    /// `false` when the token cannot be read.
    pub fn put(&self, gate: &str, token: &str) -> bool {
        let Some(info) = token_info(token) else {
            return false;
        };
        self.tokens
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(
                (gate.to_string(), info.scope.clone()),
                (token.to_string(), info.expires_at - self.margin_for(&info)),
            );
        true
    }

    fn margin_for(&self, info: &TokenInfo) -> i64 {
        match info.issued_at {
            Some(iat) if info.expires_at > iat => self.margin.min((info.expires_at - iat) / 10),
            _ => self.margin,
        }
    }

    /// Forgets the token for `gate` and `scope` (after the gate refused it).
    pub fn remove(&self, gate: &str, scope: &str) {
        self.tokens
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&(gate.to_string(), scope.to_string()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    fn fake_token(scope: &str, exp: i64) -> String {
        let b = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!(
            "{}.{}.sig",
            b.encode(r#"{"alg":"HS256","typ":"JWT"}"#),
            b.encode(serde_json::json!({"scope": scope, "exp": exp, "iat": exp - 300}).to_string())
        )
    }

    #[test]
    fn cache_reuses_until_shortly_before_expiry() {
        let c = TokenCache::new(10);
        assert!(c.put("http://g", &fake_token("tool:search", 1000)));
        assert!(!c.put("http://g", "not-a-jwt"));
        assert!(c.get("http://g", "tool:search", 989).is_some());
        assert!(c.get("http://g", "tool:other", 500).is_none());
        assert!(c.get("http://h", "tool:search", 500).is_none());
        assert!(
            c.get("http://g", "tool:search", 990).is_none(),
            "within the margin"
        );
        assert!(
            c.get("http://g", "tool:search", 500).is_none(),
            "dropped once stale"
        );
        // A 3-second token is kept until 0 s before expiry (a tenth of 3 s rounds to 0).
        let b = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let short = format!("h.{}.s", b.encode(r#"{"scope":"s","exp":103,"iat":100}"#));
        assert!(c.put("g", &short));
        assert!(c.get("g", "s", 102).is_some());
        assert!(c.get("g", "s", 103).is_none());
    }
}
