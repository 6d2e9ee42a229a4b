//! Server keys: from `GRIND_GATE_KEY`, a key file, a key directory, or (with a warning)
//! random.
//!
//! Keys rotate without downtime: a [`KeyRing`] holds several keys, newest first. The
//! newest signs new challenges and tokens; every key in the ring verifies what it signed,
//! found by its key id (`kid`, in the signed challenge claims and in the token's JWT
//! header). A key removed from the ring no longer verifies anything. To rotate: put a new
//! key first, reload (SIGHUP, or a rolling restart), and drop the old key once its last
//! challenges and tokens have expired.
//!
//! Two sub-keys are derived from each secret, one for challenge MACs and one for tokens,
//! so the two can never be confused for each other; the key id is a third derivation, so
//! it reveals nothing about either.

use std::path::Path;

use grindstone_core::schemes::gate::{Claims, GateChallenge};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Shortest accepted secret, in bytes.
pub const MIN_SECRET_LEN: usize = 16;
/// Most keys in a ring.
pub const MAX_KEYS: usize = 64;

/// Why a key could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The secret is too short.
    #[error(
        "{origin}: a gate key is {len} bytes; at least {MIN_SECRET_LEN} are needed (try `openssl rand -hex 32`)"
    )]
    TooShort {
        /// Where the key came from.
        origin: String,
        /// Its length.
        len: usize,
    },
    /// The key file or directory cannot be read.
    #[error("cannot read {path}: {source}")]
    File {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The source holds no key, or too many.
    #[error("{0}")]
    Count(String),
    /// Two keys of the ring have the same id (the same secret twice, most likely).
    #[error("{origin}: two keys have the id {kid} (is a key listed twice?)")]
    Duplicate {
        /// Where the keys came from.
        origin: String,
        /// The id.
        kid: String,
    },
}

/// One key: its id and the derived challenge and token keys.
#[derive(Clone)]
pub struct ServerKey {
    kid: String,
    /// HMAC keyed once (the inner and outer pads hashed): cloned per use.
    challenge: HmacSha256,
    token: [u8; 32],
    /// The token HMAC, keyed once like `challenge`.
    token_mac: HmacSha256,
    /// The base64url JWT header of this key's tokens (it names `kid`).
    jwt_header: String,
}

impl std::fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerKey")
            .field("kid", &self.kid)
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
            return Err(KeyError::TooShort {
                origin: "key".into(),
                len: secret.len(),
            });
        }
        let kid = hex::encode(&derive(secret, "grindstone key id v1")[..6]);
        let token = derive(secret, "grindstone token hs256 v1");
        Ok(Self {
            jwt_header: crate::token::header_b64(&kid),
            kid,
            challenge: HmacSha256::new_from_slice(&derive(secret, "grindstone challenge mac v1"))
                .expect("HMAC takes any key length"),
            token_mac: HmacSha256::new_from_slice(&token).expect("HMAC takes any key length"),
            token,
        })
    }

    /// The key id: 12 hex digits derived from the secret (stable across restarts and
    /// instances sharing the secret).
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The MAC of a challenge's signed bytes.
    pub fn sign_challenge(&self, bytes: &[u8]) -> [u8; 32] {
        let mut m = self.challenge.clone();
        m.update(bytes);
        m.finalize().into_bytes().into()
    }

    /// The challenge `id`, `salt`, `claims`, signed with this key.
    pub fn sign(
        &self,
        id: &str,
        salt: &str,
        claims: Claims,
    ) -> Result<GateChallenge, grindstone_core::Error> {
        let unsigned = GateChallenge::new(id, salt, claims.clone(), &[])?;
        let mac = self.sign_challenge(&unsigned.signed_bytes());
        GateChallenge::new(id, salt, claims, &mac)
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

    /// The HS256 signature of a token's `<header>.<claims>`.
    pub fn sign_token(&self, signing_input: &[u8]) -> [u8; 32] {
        let mut m = self.token_mac.clone();
        m.update(signing_input);
        m.finalize().into_bytes().into()
    }

    /// The base64url JWT header of the tokens this key signs.
    pub fn jwt_header(&self) -> &str {
        &self.jwt_header
    }
}

/// Where the keys come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// The value of `GRIND_GATE_KEY`: one key, or several separated by commas or
    /// newlines, newest first.
    Env(String),
    /// A file with one key per line, newest first (blank lines and `#` comments
    /// ignored), or a directory whose files each hold keys that way; files are taken in
    /// reverse name order, so the file whose name sorts last (`2026-12-01.key`) holds the
    /// current key.
    Path(std::path::PathBuf),
    /// A random key for this process only.
    Random,
}

impl KeySource {
    /// `GRIND_GATE_KEY` if set and not blank, else the key file or directory, else random.
    pub fn pick(env: Option<&str>, path: Option<&Path>) -> Self {
        match (env.filter(|v| !v.trim().is_empty()), path) {
            (Some(v), _) => Self::Env(v.to_string()),
            (None, Some(p)) => Self::Path(p.to_path_buf()),
            (None, None) => Self::Random,
        }
    }

    /// Whether the keys outlive the process (so spent challenges must too).
    pub fn persists(&self) -> bool {
        !matches!(self, Self::Random)
    }

    /// Reads the keys.
    pub fn load(&self) -> Result<KeyRing, KeyError> {
        match self {
            Self::Env(v) => KeyRing::from_secrets("GRIND_GATE_KEY", secrets(v)),
            Self::Path(p) => {
                let read = |p: &Path| {
                    std::fs::read(p).map_err(|source| KeyError::File {
                        path: p.display().to_string(),
                        source,
                    })
                };
                let origin = p.display().to_string();
                let meta = std::fs::metadata(p).map_err(|source| KeyError::File {
                    path: origin.clone(),
                    source,
                })?;
                if !meta.is_dir() {
                    let text = read(p)?;
                    return KeyRing::from_secrets(
                        &origin,
                        secrets(&String::from_utf8_lossy(&text)),
                    );
                }
                let mut files = Vec::new();
                for e in std::fs::read_dir(p).map_err(|source| KeyError::File {
                    path: origin.clone(),
                    source,
                })? {
                    let e = e.map_err(|source| KeyError::File {
                        path: origin.clone(),
                        source,
                    })?;
                    let name = e.file_name().to_string_lossy().into_owned();
                    if e.path().is_file() && !name.starts_with('.') {
                        files.push(e.path());
                    }
                }
                files.sort();
                let mut all = Vec::new();
                for f in files.iter().rev() {
                    let text = read(f)?;
                    all.extend(secrets(&String::from_utf8_lossy(&text)));
                }
                KeyRing::from_secrets(&origin, all)
            }
            Self::Random => Ok(KeyRing::random()),
        }
    }
}

/// The secrets of a key list: one per line (or comma-separated), blank lines and `#`
/// comments skipped, surrounding whitespace ignored.
fn secrets(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or(""))
        .flat_map(|l| l.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// The keys a gate signs with (the first) and verifies with (all), newest first.
#[derive(Debug, Clone)]
pub struct KeyRing {
    keys: Vec<ServerKey>,
    ephemeral: bool,
}

impl KeyRing {
    /// A ring of one key.
    pub fn single(key: ServerKey) -> Self {
        Self {
            keys: vec![key],
            ephemeral: false,
        }
    }

    /// A ring from secrets, newest first; `origin` names their source in errors.
    pub fn from_secrets<S: AsRef<[u8]>>(
        origin: &str,
        secrets: impl IntoIterator<Item = S>,
    ) -> Result<Self, KeyError> {
        let mut keys: Vec<ServerKey> = Vec::new();
        for s in secrets {
            let k = ServerKey::from_secret(s.as_ref()).map_err(|e| match e {
                KeyError::TooShort { len, .. } => KeyError::TooShort {
                    origin: origin.to_string(),
                    len,
                },
                e => e,
            })?;
            if keys.iter().any(|o| o.kid == k.kid) {
                return Err(KeyError::Duplicate {
                    origin: origin.to_string(),
                    kid: k.kid,
                });
            }
            keys.push(k);
        }
        if keys.is_empty() {
            return Err(KeyError::Count(format!("{origin}: no key found")));
        }
        if keys.len() > MAX_KEYS {
            return Err(KeyError::Count(format!(
                "{origin}: {} keys; at most {MAX_KEYS} are kept",
                keys.len()
            )));
        }
        Ok(Self {
            keys,
            ephemeral: false,
        })
    }

    /// A random key (challenges and tokens do not survive a restart).
    pub fn random() -> Self {
        let mut s = [0u8; 32];
        getrandom::fill(&mut s).expect("the OS random source is available");
        Self {
            keys: vec![ServerKey::from_secret(&s).expect("32 bytes")],
            ephemeral: true,
        }
    }

    /// Whether the key was generated at random for this process.
    pub fn is_ephemeral(&self) -> bool {
        self.ephemeral
    }

    /// The key that signs.
    pub fn current(&self) -> &ServerKey {
        &self.keys[0]
    }

    /// The key with id `kid`; without an id (challenges and tokens from before key ids),
    /// the current key.
    pub fn get(&self, kid: Option<&str>) -> Option<&ServerKey> {
        match kid {
            None => Some(self.current()),
            Some(id) => self.keys.iter().find(|k| k.kid == id),
        }
    }

    /// The key ids, newest first.
    pub fn kids(&self) -> Vec<&str> {
        self.keys.iter().map(|k| k.kid.as_str()).collect()
    }
}

impl From<ServerKey> for KeyRing {
    fn from(k: ServerKey) -> Self {
        Self::single(k)
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
        assert_ne!(k.kid(), other.kid());
        assert_eq!(k.kid().len(), 12);
        assert!(matches!(
            ServerKey::from_secret(b"short"),
            Err(KeyError::TooShort { len: 5, .. })
        ));
        assert!(KeyRing::random().is_ephemeral());
        let env = KeySource::pick(Some("  0123456789abcdef0123 \n"), None)
            .load()
            .unwrap();
        assert_eq!(env.current().sign_challenge(b"x"), k.sign_challenge(b"x"));
        assert!(!env.is_ephemeral());
        assert_eq!(KeySource::pick(Some("  "), None), KeySource::Random);
    }

    #[test]
    fn rings_from_files_and_directories() {
        let dir = std::env::temp_dir().join(format!("grind-keys-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("d")).unwrap();
        let (a, b, c) = (
            "aaaaaaaaaaaaaaaaaaaaaaaa",
            "bbbbbbbbbbbbbbbbbbbbbbbb",
            "cccccccccccccccccccccccc",
        );
        let kid = |s: &str| ServerKey::from_secret(s.as_bytes()).unwrap().kid;
        let f = dir.join("keys");
        std::fs::write(&f, format!("# newest first\n{b}\n\n{a}  # the old one\n")).unwrap();
        let r = KeySource::Path(f.clone()).load().unwrap();
        assert_eq!(r.kids(), [kid(b), kid(a)]);
        assert_eq!(r.current().kid(), kid(b));
        assert!(r.get(Some(&kid(a))).is_some());
        assert!(r.get(Some(&kid(c))).is_none());
        assert_eq!(r.get(None).unwrap().kid(), kid(b));
        std::fs::write(dir.join("d/2026-01-01.key"), a).unwrap();
        std::fs::write(dir.join("d/2026-06-01.key"), format!("{c}\n{b}\n")).unwrap();
        std::fs::write(dir.join("d/.hidden"), "x").unwrap();
        let r = KeySource::Path(dir.join("d")).load().unwrap();
        assert_eq!(r.kids(), [kid(c), kid(b), kid(a)]);
        let r = KeySource::Env(format!("{c},{a}")).load().unwrap();
        assert_eq!(r.kids(), [kid(c), kid(a)]);
        std::fs::write(&f, format!("{a}\n{a}\n")).unwrap();
        assert!(matches!(
            KeySource::Path(f.clone()).load(),
            Err(KeyError::Duplicate { .. })
        ));
        std::fs::write(&f, "# nothing\n").unwrap();
        assert!(matches!(
            KeySource::Path(f.clone()).load(),
            Err(KeyError::Count(_))
        ));
        std::fs::write(&f, format!("{a}\nshort\n")).unwrap();
        let e = KeySource::Path(f.clone()).load().unwrap_err().to_string();
        assert!(e.contains("keys") && e.contains("5 bytes"), "{e}");
        assert!(matches!(
            KeySource::Path(dir.join("missing")).load(),
            Err(KeyError::File { .. })
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
