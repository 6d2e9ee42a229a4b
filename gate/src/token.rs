//! Tokens: a verified solution buys a short-lived JWT (HS256) so an agent does not solve
//! once per call. Checking a token is stateless.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use grindstone_core::schemes::gate::scope_covers;
use jsonwebtoken::{Algorithm, DecodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::key::{KeyRing, ServerKey};

/// Default token lifetime: 5 minutes.
pub const DEFAULT_TTL_SECS: u64 = 300;
/// Issuer claim.
pub const ISSUER: &str = "grindstone";

/// The claims of a token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenClaims {
    /// `"grindstone"`.
    pub iss: String,
    /// The scope of the challenge that was solved.
    pub scope: String,
    /// The difficulty that was paid, in bits.
    pub d: f64,
    /// Issued at, Unix seconds.
    pub iat: i64,
    /// Expires at, Unix seconds.
    pub exp: i64,
    /// Token id: the id of the challenge that paid for it.
    pub jti: String,
    /// `"pow"`.
    pub method: String,
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TokenError {
    /// Expired.
    #[error("token expired")]
    Expired,
    /// Signature, algorithm or shape wrong.
    #[error("invalid token: {0}")]
    Invalid(String),
    /// For another scope.
    #[error("token is for scope {found:?}, {expected:?} required")]
    WrongScope {
        /// Scope in the token.
        found: String,
        /// Scope required.
        expected: String,
    },
    /// Paid for less than required.
    #[error("token paid for difficulty {paid}, {required} required")]
    TooCheap {
        /// Difficulty paid.
        paid: f64,
        /// Difficulty required.
        required: f64,
    },
}

/// The base64url JWT header of tokens signed by the key `kid`: `{"typ":"JWT","alg":"HS256","kid":...}`
/// as jsonwebtoken writes it.
pub(crate) fn header_b64(kid: &str) -> String {
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(kid.to_string());
    B64.encode(serde_json::to_vec(&header).expect("plain data"))
}

/// Issues a token signed with `key`, whose id goes in the JWT header (`kid`).
///
/// The JWT is assembled here rather than by `jsonwebtoken::encode`, which serialises the
/// header and keys a new HMAC for every token: the key holds its header and a keyed HMAC
/// state ([`ServerKey::sign_token`]). [`check`] reads tokens with jsonwebtoken, and a test
/// holds the two to the same bytes.
pub fn issue(key: &ServerKey, scope: &str, d: f64, jti: &str, now: i64, ttl: u64) -> String {
    let claims = TokenClaims {
        iss: ISSUER.into(),
        scope: scope.into(),
        d,
        iat: now,
        exp: now + ttl as i64,
        jti: jti.into(),
        method: "pow".into(),
    };
    let json = serde_json::to_vec(&claims).expect("plain data");
    let header = key.jwt_header();
    // `<header>.<claims>.<mac>`: base64url of the claims, two dots, and 43 characters of
    // base64url for the 32-byte MAC.
    let mut jwt = String::with_capacity(header.len() + json.len().div_ceil(3) * 4 + 2 + 43);
    jwt.push_str(header);
    jwt.push('.');
    B64.encode_string(&json, &mut jwt);
    let mac = key.sign_token(jwt.as_bytes());
    jwt.push('.');
    B64.encode_string(mac, &mut jwt);
    jwt
}

/// Checks a token's signature (under the key of the ring its `kid` names) and expiry
/// (with `leeway` seconds of clock skew), then optionally its scope (`*` tokens fit any
/// scope) and the difficulty it paid.
pub fn check(
    keys: &KeyRing,
    token: &str,
    scope: Option<&str>,
    min_d: Option<f64>,
    leeway: u64,
) -> Result<TokenClaims, TokenError> {
    if token.len() > 4096 {
        return Err(TokenError::Invalid("too long".into()));
    }
    let header =
        jsonwebtoken::decode_header(token).map_err(|e| TokenError::Invalid(e.to_string()))?;
    let key = keys.get(header.kid.as_deref()).ok_or_else(|| {
        TokenError::Invalid(format!(
            "signed with key {:?}, which this gate no longer holds",
            header.kid.as_deref().unwrap_or("")
        ))
    })?;
    let mut v = Validation::new(Algorithm::HS256);
    v.leeway = leeway;
    v.set_issuer(&[ISSUER]);
    v.set_required_spec_claims(&["exp", "iss"]);
    let data = jsonwebtoken::decode::<TokenClaims>(
        token,
        &DecodingKey::from_secret(key.token_secret()),
        &v,
    )
    .map_err(|e| match e.kind() {
        jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenError::Expired,
        _ => TokenError::Invalid(e.to_string()),
    })?;
    let c = data.claims;
    if let Some(s) = scope
        && !scope_covers(&c.scope, s)
    {
        return Err(TokenError::WrongScope {
            found: c.scope,
            expected: s.into(),
        });
    }
    if let Some(d) = min_d
        && c.d < d
    {
        return Err(TokenError::TooCheap {
            paid: c.d,
            required: d,
        });
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_and_check() {
        let k = ServerKey::from_secret(b"0123456789abcdef0123").unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let t = issue(&k, "tool:search", 16.0, "cid", now, 300);
        let ring = KeyRing::single(k.clone());
        let c = check(&ring, &t, Some("tool:search"), Some(16.0), 0).unwrap();
        assert_eq!(c.jti, "cid");
        assert!(matches!(
            check(&ring, &t, Some("tool:other"), None, 0),
            Err(TokenError::WrongScope { .. })
        ));
        assert!(matches!(
            check(&ring, &t, None, Some(20.0), 0),
            Err(TokenError::TooCheap { .. })
        ));
        let other = ServerKey::from_secret(b"0123456789abcdef0124").unwrap();
        assert!(matches!(
            check(&KeyRing::single(other.clone()), &t, None, None, 0),
            Err(TokenError::Invalid(_))
        ));
        // Rotation: a ring holding the old key still accepts its tokens.
        let both =
            KeyRing::from_secrets("t", ["0123456789abcdef0124", "0123456789abcdef0123"]).unwrap();
        assert_eq!(both.current().kid(), other.kid());
        assert!(check(&both, &t, None, None, 0).is_ok());
        let old = issue(&k, "x", 1.0, "c", now - 1000, 300);
        assert_eq!(check(&ring, &old, None, None, 0), Err(TokenError::Expired));
        let mut tampered = t.clone();
        tampered.insert(t.len() / 2, 'A');
        assert!(check(&ring, &tampered, None, None, 0).is_err());
        assert!(check(&ring, "garbage", None, None, 0).is_err());
    }

    #[test]
    fn issue_writes_what_jsonwebtoken_writes() {
        let k = ServerKey::from_secret(b"0123456789abcdef0123").unwrap();
        for (scope, d) in [("tool:search", 16.0), ("*", 20.5), ("a\"b\u{e9}", 0.25)] {
            let mut header = Header::new(Algorithm::HS256);
            header.kid = Some(k.kid().to_string());
            let claims = TokenClaims {
                iss: ISSUER.into(),
                scope: scope.into(),
                d,
                iat: 1_800_000_000,
                exp: 1_800_000_300,
                jti: "cid".into(),
                method: "pow".into(),
            };
            let expected = jsonwebtoken::encode(
                &header,
                &claims,
                &jsonwebtoken::EncodingKey::from_secret(k.token_secret()),
            )
            .unwrap();
            assert_eq!(issue(&k, scope, d, "cid", 1_800_000_000, 300), expected);
        }
    }
}
