//! Challenge formats ("schemes"): each parses its challenge, plans a [`Job`](crate::Job),
//! turns a hit into the scheme's own solution and verifies solutions.

pub mod altcha;
pub mod altcha_v2;
pub mod anubis;
pub mod cap;
pub mod captcha_mcp;
pub mod decimal;
pub mod gate;
pub mod go_away;
pub mod hashcash;
pub mod mcaptcha;
pub mod sha256_bits;

use std::fmt;
use std::str::FromStr;

/// The registry: every scheme grindstone solves and verifies, the one list that `grind
/// schemes`, `--scheme`, the library and the Python package read. A new scheme is a
/// module above plus a variant here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// [`sha256_bits`]: the captcha-mcp and gate challenge.
    Sha256Bits,
    /// [`hashcash`]: version-1 stamps.
    Hashcash,
    /// [`anubis`].
    Anubis,
    /// [`altcha`]: ALTCHA v1.
    Altcha,
    /// [`altcha_v2`]: ALTCHA v2 key derivation.
    AltchaV2,
    /// [`mcaptcha`].
    Mcaptcha,
    /// [`cap`]: Cap v1.
    Cap,
    /// [`go_away`]: go-away's `js-pow-sha256`.
    GoAway,
}

impl Scheme {
    /// Every scheme, in the order `grind schemes` lists them.
    pub const ALL: [Scheme; 8] = [
        Scheme::Sha256Bits,
        Scheme::Hashcash,
        Scheme::Anubis,
        Scheme::Altcha,
        Scheme::AltchaV2,
        Scheme::Mcaptcha,
        Scheme::Cap,
        Scheme::GoAway,
    ];

    /// The name (`--scheme NAME`).
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Sha256Bits => sha256_bits::NAME,
            Scheme::Hashcash => hashcash::NAME,
            Scheme::Anubis => anubis::NAME,
            Scheme::Altcha => altcha::NAME,
            Scheme::AltchaV2 => altcha_v2::NAME,
            Scheme::Mcaptcha => mcaptcha::NAME,
            Scheme::Cap => cap::NAME,
            Scheme::GoAway => go_away::NAME,
        }
    }

    /// One line on what it is.
    pub fn about(self) -> &'static str {
        match self {
            Scheme::Sha256Bits => {
                "SHA-256(salt + nonce) with d leading zero bits (captcha-mcp, grind serve)"
            }
            Scheme::Hashcash => "hashcash v1 stamps, SHA-1 (grind mint / grind check)",
            Scheme::Anubis => {
                "Anubis: SHA-256(randomData + decimal nonce) with d leading zero hex digits"
            }
            Scheme::Altcha => {
                "ALTCHA v1: find n <= maxnumber with H(salt + n) = challenge; HMAC-signed"
            }
            Scheme::AltchaV2 => {
                "ALTCHA v2: a counter whose derived key (SHA-2 rounds, PBKDF2, scrypt, Argon2id) starts with keyPrefix; HMAC-signed"
            }
            Scheme::Mcaptcha => {
                "mCaptcha: u128 score of SHA-256(salt, phrase, nonce) above a target"
            }
            Scheme::Cap => "Cap v1: C sub-challenges, SHA-256(salt_i + n) starts with target_i",
            Scheme::GoAway => {
                "go-away js-pow-sha256: SHA-256(challenge + 8 bytes) with d leading zero bits"
            }
        }
    }

    /// Whether it is another tool's scheme: its challenge and its answer are that tool's
    /// own JSON (the library's `peers` module solves them).
    pub fn is_peer(self) -> bool {
        !matches!(self, Scheme::Sha256Bits | Scheme::Hashcash)
    }

    /// Verifies a peer scheme's answer as the peer's server does, from the JSON that
    /// `grind verify --scheme NAME` reads (each module's `verify_answer` says which);
    /// `secrets` are the server's keys where the peer signs (ALTCHA), `now` the Unix time
    /// in seconds. Answers the verdict as JSON (`{"valid": true, "scheme": ..}` and the
    /// scheme's details). `sha256-bits` and `hashcash` have their own typed verifiers.
    pub fn verify_answer(
        self,
        input: &str,
        secrets: Secrets<'_>,
        now: i64,
    ) -> Result<serde_json::Value, crate::VerifyError> {
        let secret = || {
            secrets.hmac.ok_or_else(|| {
                crate::Error::Json(format!("{self}: --secret (the HMAC key) is required"))
            })
        };
        match self {
            Scheme::Anubis => anubis::verify_answer(input),
            Scheme::Mcaptcha => mcaptcha::verify_answer(input),
            Scheme::Cap => cap::verify_answer(input, now),
            Scheme::GoAway => go_away::verify_answer(input, secrets.hmac),
            Scheme::Altcha => altcha::verify_answer(input, secret()?, now),
            Scheme::AltchaV2 => {
                altcha_v2::verify_answer(input, secret()?, secrets.key_signature, now)
            }
            Scheme::Sha256Bits | Scheme::Hashcash => Err(crate::Error::Unsupported {
                field: "scheme",
                value: self.name().to_string(),
                expected: "a peer scheme (sha256-bits and hashcash have their own verifiers)",
            }
            .into()),
        }
    }
}

/// The keys a peer's server verifies answers with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Secrets<'a> {
    /// The HMAC key the server signs challenges with (ALTCHA v1 and v2).
    pub hmac: Option<&'a [u8]>,
    /// ALTCHA v2's separate key-signature secret: when given and the challenge carries a
    /// `keySignature`, only the exact key the server derived is accepted (altcha-lib's
    /// `hmacKeySignatureSecret`), checked without deriving anything.
    pub key_signature: Option<&'a [u8]>,
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A scheme name not in the registry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scheme {0:?} (known: {known}; `grind schemes` lists them)", known = known_names())]
pub struct UnknownScheme(pub String);

fn known_names() -> String {
    Scheme::ALL.map(Scheme::name).join(", ")
}

impl FromStr for Scheme {
    type Err = UnknownScheme;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scheme::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| UnknownScheme(s.to_string()))
    }
}

/// Whether `a` equals `b`, in time that depends on their lengths only (signatures,
/// challenge bytes).
pub(crate) fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    subtle::ConstantTimeEq::ct_eq(a, b).into()
}

/// `text` as JSON, or a parse error naming `scheme`.
pub(crate) fn parse_json(scheme: &str, text: &str) -> Result<serde_json::Value, crate::Error> {
    serde_json::from_str(text).map_err(|e| crate::Error::Json(format!("{scheme}: {e}")))
}

/// Field `k` of `v` as text, whether the peer sent it as a JSON string or a number.
pub(crate) fn num_or_str(
    scheme: &str,
    v: &serde_json::Value,
    k: &str,
) -> Result<String, crate::Error> {
    match v.get(k) {
        Some(serde_json::Value::String(s)) => Ok(s.clone()),
        Some(serde_json::Value::Number(n)) => Ok(n.to_string()),
        _ => Err(crate::Error::Json(format!("{scheme}: missing \"{k}\""))),
    }
}

/// Characters allowed in text fields that are hashed as ASCII: printable ASCII,
/// space included.
pub(crate) fn check_printable(
    field: &'static str,
    s: &str,
    max: usize,
    allow_empty: bool,
) -> Result<(), crate::Error> {
    if s.is_empty() && !allow_empty {
        return Err(crate::Error::Empty(field));
    }
    if s.len() > max {
        return Err(crate::Error::TooLong {
            field,
            len: s.len(),
            max,
        });
    }
    if let Some((at, found)) = s.char_indices().find(|&(_, c)| !(' '..='~').contains(&c)) {
        return Err(crate::Error::BadChar {
            field,
            found,
            at,
            allowed: "printable ASCII (0x20-0x7e)",
        });
    }
    Ok(())
}

/// Length of the nonce (or counter) text that makes `prefix_len + nonce_len` end at byte
/// 55 of a block, the last byte before SHA padding can no longer share the block: then the
/// varying characters fill the last message words of the final block, and every round
/// before them can be computed once per batch. At least `min` long.
pub(crate) fn aligned_nonce_len(prefix_len: usize, min: usize) -> usize {
    const END: usize = crate::job::BLOCK_LEN - 9;
    let mut n =
        (END + crate::job::BLOCK_LEN - prefix_len % crate::job::BLOCK_LEN) % crate::job::BLOCK_LEN;
    while n < min {
        n += crate::job::BLOCK_LEN;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_names_parse_back_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for k in Scheme::ALL {
            assert_eq!(k.name().parse::<Scheme>(), Ok(k));
            assert!(seen.insert(k.name()), "{k} twice");
            assert!(!k.about().is_empty());
        }
        let e = "sha256".parse::<Scheme>().unwrap_err().to_string();
        assert!(
            e.contains("altcha-v2") && e.contains("grind schemes"),
            "{e}"
        );
    }

    #[test]
    fn aligned_lengths_end_at_byte_55() {
        for p in 0..300 {
            for min in [1, 10, 20] {
                let n = aligned_nonce_len(p, min);
                assert!(n >= min && n < min + 64);
                assert_eq!((p + n) % 64, 55, "p={p} min={min}");
            }
        }
    }
}
