//! The server key: from `GRIND_GATE_KEY`, a key file, or (with a warning) random.
//! Two sub-keys are derived from it, one for challenge MACs and one for tokens, so the two
//! can never be confused for each other.

use std::path::Path;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Shortest accepted secret, in bytes.
pub const MIN_SECRET_LEN: usize = 16;

/// Why a key could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The secret is too short.
    #[error(
        "the gate key is {0} bytes; at least {MIN_SECRET_LEN} are needed (try `openssl rand -hex 32`)"
    )]
    TooShort(usize),
    /// The key file cannot be read.
    #[error("cannot read key file {path}: {source}")]
    File {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

/// The derived keys.
#[derive(Clone)]
pub struct ServerKey {
    /// HMAC keyed once (the inner and outer pads hashed): cloned per use.
    challenge: HmacSha256,
    token: [u8; 32],
    ephemeral: bool,
}

impl std::fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerKey")
            .field("ephemeral", &self.ephemeral)
            .finish_non_exhaustive()
    }
}

fn derive(secret: &[u8], label: &str) -> [u8; 32] {
    let mut m = HmacSha256::new_from_slice(secret).expect("HMAC takes any key length");
    m.update(label.as_bytes());
    m.finalize().into_bytes().into()
}

impl ServerKey {
    /// Keys derived from a secret of at least [`MIN_SECRET_LEN`] bytes.
    pub fn from_secret(secret: &[u8]) -> Result<Self, KeyError> {
        if secret.len() < MIN_SECRET_LEN {
            return Err(KeyError::TooShort(secret.len()));
        }
        Ok(Self {
            challenge: HmacSha256::new_from_slice(&derive(secret, "grindstone challenge mac v1"))
                .expect("HMAC takes any key length"),
            token: derive(secret, "grindstone token hs256 v1"),
            ephemeral: false,
        })
    }

    /// A random key (challenges and tokens do not survive a restart).
    pub fn random() -> Self {
        let mut s = [0u8; 32];
        getrandom::fill(&mut s).expect("the OS random source is available");
        let mut k = Self::from_secret(&s).expect("32 bytes");
        k.ephemeral = true;
        k
    }

    /// The key from the environment value (`GRIND_GATE_KEY`), else the key file, else a
    /// random one. Surrounding whitespace is ignored.
    pub fn load(env: Option<&str>, file: Option<&Path>) -> Result<Self, KeyError> {
        if let Some(v) = env.filter(|v| !v.trim().is_empty()) {
            return Self::from_secret(v.trim().as_bytes());
        }
        if let Some(p) = file {
            let text = std::fs::read(p).map_err(|source| KeyError::File {
                path: p.display().to_string(),
                source,
            })?;
            return Self::from_secret(text.trim_ascii());
        }
        Ok(Self::random())
    }

    /// Whether the key was generated at random for this process.
    pub fn is_ephemeral(&self) -> bool {
        self.ephemeral
    }

    /// The MAC of a challenge's signed bytes.
    pub fn sign_challenge(&self, bytes: &[u8]) -> [u8; 32] {
        let mut m = self.challenge.clone();
        m.update(bytes);
        m.finalize().into_bytes().into()
    }

    /// Whether `mac` is the MAC of `bytes`, compared in constant time.
    pub fn verify_challenge(&self, bytes: &[u8], mac: &[u8]) -> bool {
        let mut m = self.challenge.clone();
        m.update(bytes);
        m.verify_slice(mac).is_ok()
    }

    /// The HS256 secret for tokens.
    pub fn token_secret(&self) -> &[u8] {
        &self.token
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivation_and_verification() {
        let k = ServerKey::from_secret(b"0123456789abcdef0123").unwrap();
        let mac = k.sign_challenge(b"hello");
        assert!(k.verify_challenge(b"hello", &mac));
        assert!(!k.verify_challenge(b"hellO", &mac));
        assert!(!k.verify_challenge(b"hello", &mac[..31]));
        let other = ServerKey::from_secret(b"0123456789abcdef0124").unwrap();
        assert!(!other.verify_challenge(b"hello", &mac));
        assert_ne!(k.token_secret(), &mac[..]);
        assert!(matches!(
            ServerKey::from_secret(b"short"),
            Err(KeyError::TooShort(5))
        ));
        assert!(ServerKey::random().is_ephemeral());
        let env = ServerKey::load(Some("  0123456789abcdef0123 \n"), None).unwrap();
        assert_eq!(env.sign_challenge(b"x"), k.sign_challenge(b"x"));
    }
}
