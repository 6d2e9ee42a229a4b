//! The gate's logic, shared by every surface: issuing signed challenges, verifying
//! solutions in order of cost, issuing and checking tokens. How refusals map to HTTP
//! is [`crate::error`]; the rate-driven surcharge is [`crate::rate`]; `/status` and
//! `/metrics` bodies are [`crate::status`].

use std::sync::{Arc, Mutex, RwLock};

use grindstone_core::schemes::captcha_mcp::VerifyMsg;
use grindstone_core::schemes::gate::{ALGORITHM, Claims, GateChallenge, scope_covers};
use grindstone_core::{Difficulty, VerifyError};
use serde_json::{Number, Value};

use crate::config::GateConfig;
pub use crate::error::GateError;
use crate::key::KeyRing;
use crate::rate::DynamicDifficulty;
use crate::stats::Stats;
use crate::store::ReplayStore;
use crate::token::{self, TokenClaims};

/// Largest nonce accepted, in bytes (as `sha256-bits`).
pub const MAX_NONCE_LEN: usize = 256;

/// A solution to verify: the captcha-mcp `verify` input.
pub type VerifyRequest = VerifyMsg;

/// An accepted solution.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    /// The token it bought.
    pub token: String,
    /// The challenge's scope.
    pub scope: String,
    /// The difficulty paid.
    pub difficulty: f64,
    /// Leading zero bits of the digest (the least of all solutions').
    pub zero_bits: u32,
    /// The challenge id (now spent).
    pub challenge_id: String,
    /// When the token expires, Unix seconds.
    pub token_expires_at: i64,
}

/// A challenge as `GET /api/challenge` and the MCP `challenge` tool give it: captcha-mcp's
/// `{id, salt, difficulty, algo, signature}` plus `k`, `expires_at`, `scope`, `compact`
/// and `instructions`.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct ChallengeBody {
    /// The challenge's id.
    pub id: String,
    /// The salt: the nonce is appended to it.
    pub salt: String,
    /// Leading zero bits required, as signed (`20`, `20.5`).
    #[schemars(with = "f64")]
    pub difficulty: Number,
    /// Solutions asked for.
    pub k: u32,
    /// `"sha256"`.
    pub algo: String,
    /// The signature to send back with the solution.
    pub signature: String,
    /// Expiry, Unix seconds.
    pub expires_at: i64,
    /// What a solution pays for.
    pub scope: String,
    /// The whole challenge in one string (`X-PoW-Solution: challenge=<compact>, ...`).
    pub compact: String,
    /// How to solve it.
    pub instructions: String,
}

/// The success body of `verify`: `{valid: true, token, method: "pow", ...}`.
#[derive(Debug, serde::Serialize)]
pub struct VerifiedBody<'a> {
    /// Always `true`.
    pub valid: bool,
    /// The token.
    pub token: &'a str,
    /// `"pow"`.
    pub method: &'static str,
    /// Token lifetime in seconds.
    pub expires_in_sec: u64,
    /// Token expiry, Unix seconds.
    pub expires_at: i64,
    /// The challenge's scope.
    pub scope: &'a str,
    /// Difficulty paid.
    pub difficulty: f64,
    /// Leading zero bits of the digest.
    pub zero_bits: u32,
    /// The challenge id, now spent.
    pub id: &'a str,
}

pub use grindstone_core::clock::unix_now;

fn random_hex(n: usize) -> String {
    let mut b = vec![0u8; n];
    getrandom::fill(&mut b).expect("the OS random source is available");
    hex::encode(b)
}

/// The gate: keys, replay store, configuration and counters.
pub struct Gate {
    keys: RwLock<Arc<KeyRing>>,
    pub(crate) store: ReplayStore,
    pub(crate) cfg: GateConfig,
    pub(crate) stats: Stats,
    pub(crate) dynamic: Option<Mutex<DynamicDifficulty>>,
}

impl Gate {
    /// A gate with these keys (a [`KeyRing`] or one [`ServerKey`](crate::ServerKey)),
    /// store and configuration.
    pub fn new(keys: impl Into<KeyRing>, store: ReplayStore, cfg: GateConfig) -> Self {
        let dynamic = cfg
            .dynamic
            .clone()
            .map(|policy| Mutex::new(DynamicDifficulty::new(policy)));
        Self {
            keys: RwLock::new(Arc::new(keys.into())),
            store,
            cfg,
            stats: Stats::default(),
            dynamic,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &GateConfig {
        &self.cfg
    }

    /// The counters.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// The replay store.
    pub fn store(&self) -> &ReplayStore {
        &self.store
    }

    /// Whether the key is random (challenges die with the process).
    pub fn key_is_ephemeral(&self) -> bool {
        self.keys().is_ephemeral()
    }

    /// The keys in use.
    pub fn keys(&self) -> Arc<KeyRing> {
        self.keys.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Replaces the keys (rotation): new challenges and tokens are signed with the new
    /// ring's current key; those of keys no longer in the ring stop verifying.
    pub fn set_keys(&self, keys: KeyRing) {
        *self.keys.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(keys);
    }

    /// Issues a challenge for `scope` at `base` bits (plus the dynamic surcharge, if
    /// configured, for `client`), valid for the configured lifetime.
    pub fn issue(
        &self,
        scope: &str,
        base: f64,
        client: Option<&str>,
    ) -> Result<GateChallenge, GateError> {
        let extra = self
            .dynamic
            .as_ref()
            .map(|d| d.lock().unwrap_or_else(|e| e.into_inner()).record(client))
            .unwrap_or(0.0);
        let exp = unix_now() + self.cfg.challenge_ttl_secs as i64;
        self.issue_expiring(scope, base + extra, exp)
    }

    /// Issues a challenge expiring at `exp` (Unix seconds), without the dynamic surcharge.
    pub fn issue_expiring(
        &self,
        scope: &str,
        d: f64,
        exp: i64,
    ) -> Result<GateChallenge, GateError> {
        let d = Difficulty::new(d).map_err(|e| GateError::Malformed(e.to_string()))?;
        let number = if d.is_integral() {
            Number::from(d.whole_bits())
        } else {
            Number::from_f64(d.bits()).expect("finite")
        };
        let k = self.cfg.solutions;
        grindstone_core::schemes::sha256_bits::per_solution_difficulty(d, k)
            .map_err(|e| GateError::Malformed(format!("difficulty {d} with {k} solutions: {e}")))?;
        let keys = self.keys();
        let key = keys.current();
        let claims = Claims {
            alg: ALGORITHM.into(),
            d: number,
            exp,
            scope: scope.into(),
            k,
            kid: Some(key.kid().to_string()),
            iat: Some(unix_now()),
        };
        let (id, salt) = (random_hex(16), random_hex(16));
        let ch = key
            .sign(&id, &salt, claims)
            .map_err(|e| GateError::Malformed(e.to_string()))?;
        Stats::inc(&self.stats.challenges_issued);
        Ok(ch)
    }

    /// The challenge as its typed body (see [`ChallengeBody`]).
    pub fn challenge_body(ch: &GateChallenge) -> ChallengeBody {
        ChallengeBody {
            id: ch.id.clone(),
            salt: ch.salt.clone(),
            difficulty: ch.claims.d.clone(),
            k: ch.claims.k,
            algo: ALGORITHM.to_string(),
            signature: ch.signature(),
            expires_at: ch.claims.exp,
            scope: ch.claims.scope.clone(),
            compact: ch.compact(),
            instructions: format!(
                "Find a nonce (printable ASCII) such that SHA-256(salt + nonce) has at least {} \
                 leading zero bits, then call verify with {{salt, nonce, id, signature}}. \
                 `grind solve -` does it.",
                ch.claims.d
            ),
        }
    }

    /// The challenge as JSON ([`Gate::challenge_body`]).
    pub fn challenge_json(ch: &GateChallenge) -> Value {
        serde_json::to_value(Self::challenge_body(ch)).expect("plain data")
    }

    /// Verifies a solution, in order of cost: shape and size, signature (constant time),
    /// expiry, scope (when `scope` is given), the PoW via `grindstone-core`, then the
    /// replay store. A token is issued on success.
    pub async fn verify(
        &self,
        req: &VerifyRequest,
        scope: Option<&str>,
    ) -> Result<Verified, GateError> {
        let r = self.verify_inner(req, scope).await;
        let counter = match &r {
            Ok(_) => &self.stats.pow_solves,
            Err(GateError::Malformed(_)) => &self.stats.verify_malformed,
            Err(GateError::Spent) => &self.stats.replays,
            Err(GateError::Unavailable(_)) => &self.stats.store_errors,
            Err(GateError::Invalid { .. }) => &self.stats.verify_rejected,
        };
        Stats::inc(counter);
        r
    }

    async fn verify_inner(
        &self,
        req: &VerifyRequest,
        scope: Option<&str>,
    ) -> Result<Verified, GateError> {
        let malformed = |e: grindstone_core::Error| GateError::Malformed(e.to_string());
        let id = req
            .id
            .as_deref()
            .ok_or_else(|| GateError::Malformed("missing \"id\"".into()))?;
        let sig = req
            .signature
            .as_deref()
            .ok_or_else(|| GateError::Malformed("missing \"signature\"".into()))?;
        let nonces = req.all_nonces();
        if nonces.len() > grindstone_core::schemes::sha256_bits::MAX_SOLUTIONS as usize {
            return Err(GateError::Malformed(format!(
                "{} nonces is too many",
                nonces.len()
            )));
        }
        if let Some(n) = nonces.iter().find(|n| n.len() > MAX_NONCE_LEN) {
            return Err(GateError::Malformed(format!(
                "nonce is {} bytes; the limit is {MAX_NONCE_LEN}",
                n.len()
            )));
        }
        let ch = GateChallenge::from_parts(id, &req.salt, sig).map_err(malformed)?;
        let mac = ch.mac().map_err(malformed)?;
        let keys = self.keys();
        let Some(key) = keys.get(ch.claims.kid.as_deref()) else {
            return Err(GateError::invalid(
                "bad_signature",
                format!(
                    "challenge signed with key {:?}, which this gate no longer holds",
                    ch.claims.kid.as_deref().unwrap_or("")
                ),
            ));
        };
        if !key.verify_challenge(&ch.signed_bytes(), &mac) {
            return Err(GateError::invalid(
                "bad_signature",
                "signature does not match (tampered, or issued by another server)",
            ));
        }
        let now = unix_now();
        let skew = self.cfg.clock_skew_secs as i64;
        if now > ch.claims.exp.saturating_add(skew) {
            return Err(GateError::invalid(
                "expired",
                format!("challenge expired at {}", ch.claims.exp),
            ));
        }
        if let Some(h) = self.store.horizon()
            && ch.claims.iat.is_none_or(|t| t < h)
        {
            return Err(GateError::invalid(
                "expired",
                format!(
                    "challenge issued before {h}, when this gate's replay store was created or \
                     recovered from a crash of its machine (it cannot know what was spent \
                     before); fetch a new one"
                ),
            ));
        }
        if let Some(s) = scope
            && !scope_covers(&ch.claims.scope, s)
        {
            return Err(GateError::invalid(
                "wrong_scope",
                format!(
                    "challenge is for scope {:?}, {s:?} required",
                    ch.claims.scope
                ),
            ));
        }
        let pow = ch.pow().map_err(malformed)?;
        if let Some(d) = &req.difficulty {
            let given = d.as_f64().unwrap_or(f64::NAN);
            if given != pow.difficulty().bits() {
                return Err(GateError::invalid(
                    "difficulty_mismatch",
                    format!(
                        "difficulty {d} does not match the challenge's {}",
                        ch.claims.d
                    ),
                ));
            }
        }
        if let Some(a) = &req.algo
            && !a.eq_ignore_ascii_case(ALGORITHM)
        {
            return Err(GateError::Malformed(format!("unsupported algo {a:?}")));
        }
        let proofs = pow.verify_all(&nonces).map_err(|e| match e {
            VerifyError::Malformed(e) => GateError::Malformed(e.to_string()),
            VerifyError::Rejected(r @ grindstone_core::Rejection::InsufficientWork { .. }) => {
                GateError::invalid("insufficient_work", r.to_string())
            }
            VerifyError::Rejected(r) => GateError::invalid("bad_solutions", r.to_string()),
        })?;
        let zero_bits = proofs.iter().map(|p| p.zero_bits).min().unwrap_or(0);
        // The store keeps the id until a second after the challenge can no longer pass
        // the expiry check above.
        let keep_until = ch.claims.exp.saturating_add(skew + 1);
        if !self.store.spend(&ch.id, keep_until, now).await? {
            return Err(GateError::Spent);
        }
        // A request that stalled between that check and the store could find its id
        // already purged as expired, by a request whose clock had moved on; refuse it as
        // expired then, whatever the store said (the id is dead either way).
        if unix_now() > keep_until {
            return Err(GateError::invalid(
                "expired",
                format!("challenge expired at {}", ch.claims.exp),
            ));
        }
        let d = pow.difficulty().bits();
        let token = token::issue(
            keys.current(),
            &ch.claims.scope,
            d,
            &ch.id,
            now,
            self.cfg.token_ttl_secs,
        );
        Stats::inc(&self.stats.tokens_issued);
        Ok(Verified {
            token,
            scope: ch.claims.scope.clone(),
            difficulty: d,
            zero_bits,
            challenge_id: ch.id,
            token_expires_at: now + self.cfg.token_ttl_secs as i64,
        })
    }

    /// The success body of `verify`: `{valid: true, token, method: "pow", ...}`.
    pub fn verified_json(&self, v: &Verified) -> Value {
        serde_json::to_value(self.verified_body(v)).expect("plain data")
    }

    /// The success body of `verify` as a typed value (serialised without building a map).
    pub fn verified_body<'a>(&self, v: &'a Verified) -> VerifiedBody<'a> {
        VerifiedBody {
            valid: true,
            token: &v.token,
            method: "pow",
            expires_in_sec: self.cfg.token_ttl_secs,
            expires_at: v.token_expires_at,
            scope: &v.scope,
            difficulty: v.difficulty,
            zero_bits: v.zero_bits,
            id: &v.challenge_id,
        }
    }

    /// Checks a token (stateless): signature, expiry, and optionally scope and price.
    pub fn check_token(
        &self,
        token: &str,
        scope: Option<&str>,
        min_d: Option<f64>,
    ) -> Result<TokenClaims, GateError> {
        let r = token::check(&self.keys(), token, scope, min_d, self.cfg.clock_skew_secs)
            .map_err(GateError::from);
        Stats::inc(if r.is_ok() {
            &self.stats.token_checks_ok
        } else {
            &self.stats.token_checks_failed
        });
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ServerKey;
    use crate::config::DynamicPolicy;

    fn gate() -> Gate {
        Gate::new(
            ServerKey::from_secret(b"test-key-0123456789").unwrap(),
            ReplayStore::memory(1000),
            GateConfig::default(),
        )
    }

    fn solve(ch: &GateChallenge) -> String {
        let pow = ch.pow().unwrap();
        let plan = pow.plan();
        let i = grindstone_core::reference::search(plan.job(), plan.job().range()).unwrap();
        plan.nonce(i)
    }

    fn req(ch: &GateChallenge, nonce: &str) -> VerifyRequest {
        VerifyRequest {
            salt: ch.salt.clone(),
            nonce: nonce.into(),
            id: Some(ch.id.clone()),
            signature: Some(ch.signature()),
            algo: Some("sha256".into()),
            difficulty: Some(ch.claims.d.clone()),
            nonces: None,
        }
    }

    #[tokio::test]
    async fn verify_order_and_outcomes() {
        let g = gate();
        let ch = g.issue("tool:search", 8.0, None).unwrap();
        let nonce = solve(&ch);
        let r = req(&ch, &nonce);
        // Wrong scope first (nothing is spent by a refused attempt).
        let e = g.verify(&r, Some("tool:other")).await.unwrap_err();
        assert_eq!(e.code(), "wrong_scope");
        let v = g.verify(&r, Some("tool:search")).await.unwrap();
        assert!(v.zero_bits >= 8);
        assert_eq!(g.verify(&r, None).await.unwrap_err(), GateError::Spent);
        let t = g
            .check_token(&v.token, Some("tool:search"), Some(8.0))
            .unwrap();
        assert_eq!(t.jti, ch.id);

        // Tampering.
        let ch = g.issue("s", 8.0, None).unwrap();
        let nonce = solve(&ch);
        let mut r = req(&ch, &nonce);
        r.difficulty = Some(Number::from(4));
        assert_eq!(
            g.verify(&r, None).await.unwrap_err().code(),
            "difficulty_mismatch"
        );
        let mut r = req(&ch, &nonce);
        r.salt = format!("{}0", &ch.salt[1..]);
        assert_eq!(
            g.verify(&r, None).await.unwrap_err().code(),
            "bad_signature"
        );
        let other = Gate::new(
            ServerKey::from_secret(b"another-key-0123456789").unwrap(),
            ReplayStore::memory(10),
            GateConfig::default(),
        );
        assert_eq!(
            other
                .verify(&req(&ch, &nonce), None)
                .await
                .unwrap_err()
                .code(),
            "bad_signature"
        );
        let mut r = req(&ch, &nonce);
        r.signature = Some("x".into());
        assert_eq!(g.verify(&r, None).await.unwrap_err().status(), 400);
        let mut r = req(&ch, "");
        r.nonce = "\u{7f}".into();
        assert_eq!(g.verify(&r, None).await.unwrap_err().status(), 400);
        // Expired.
        let old = g.issue_expiring("s", 1.0, unix_now() - 60).unwrap();
        let e = g.verify(&req(&old, &solve(&old)), None).await.unwrap_err();
        assert_eq!(e.code(), "expired");
        // Insufficient work (a nonce for another challenge).
        let ch2 = g.issue("s", 16.0, None).unwrap();
        let e = g.verify(&req(&ch2, "0"), None).await;
        // "0" could be a solution with probability 2^-16; the digest decides.
        if let Err(e) = e {
            assert_eq!(e.code(), "insufficient_work");
        }
        let s = g.stats();
        assert_eq!(s.pow_solves.load(std::sync::atomic::Ordering::Relaxed), 1);
        assert_eq!(s.replays.load(std::sync::atomic::Ordering::Relaxed), 1);
    }

    #[tokio::test]
    async fn after_a_machine_crash_challenges_issued_before_the_restart_are_refused() {
        let dir = std::env::temp_dir().join(format!("grind-horizon-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let key = || ServerKey::from_secret(b"test-key-0123456789").unwrap();
        let before = gate().issue("*", 4.0, None).unwrap();
        assert!(before.claims.iat.is_some_and(|t| t <= unix_now()));
        // A store opened after a crash of its machine, a few seconds from now.
        crate::durable::mark_open_in(&dir, "boot-0");
        let later = unix_now() + 5;
        let store = crate::durable::DurableStore::open_in_boot(&dir, 1000, later, None).unwrap();
        assert_eq!((store.horizon(), store.recovered()), (later, true));
        let g = Gate::new(key(), ReplayStore::Durable(store), GateConfig::default());
        let e = g
            .verify(&req(&before, &solve(&before)), None)
            .await
            .unwrap_err();
        assert_eq!(e.code(), "expired");
        assert!(e.to_string().contains("fetch a new one"), "{e}");
        // A challenge without `iat` (from an earlier version) is refused too.
        let mut old = before.claims.clone();
        old.iat = None;
        let old = key().sign(&before.id, &before.salt, old).unwrap();
        let e = g.verify(&req(&old, &solve(&old)), None).await.unwrap_err();
        assert_eq!(e.code(), "expired");
        drop(g);
        // A horizon in the past: what was issued since is good.
        let _ = std::fs::remove_dir_all(&dir);
        crate::durable::mark_open_in(&dir, "boot-1");
        let store =
            crate::durable::DurableStore::open_in_boot(&dir, 1000, unix_now() - 5, Some("boot-2"))
                .unwrap();
        assert!(store.recovered());
        let g = Gate::new(key(), ReplayStore::Durable(store), GateConfig::default());
        g.verify(&req(&before, &solve(&before)), None)
            .await
            .unwrap();
        let fresh = g.issue("*", 4.0, None).unwrap();
        g.verify(&req(&fresh, &solve(&fresh)), None).await.unwrap();
        drop(g);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn key_rotation_keeps_old_challenges_and_tokens_until_the_key_is_removed() {
        let (a, b) = ("rotation-key-a-0123456789", "rotation-key-b-0123456789");
        let ring = |s: &[&str]| KeyRing::from_secrets("test", s).unwrap();
        let g = Gate::new(ring(&[a]), ReplayStore::memory(100), GateConfig::default());
        let kid_a = g.keys().current().kid().to_string();
        let old1 = g.issue("s", 4.0, None).unwrap();
        let old2 = g.issue("s", 4.0, None).unwrap();
        let old3 = g.issue("s", 4.0, None).unwrap();
        assert_eq!(old1.claims.kid.as_deref(), Some(kid_a.as_str()));
        let token_a = g
            .verify(&req(&old1, &solve(&old1)), None)
            .await
            .unwrap()
            .token;
        // Rotate: B signs, A still verifies.
        g.set_keys(ring(&[b, a]));
        let new = g.issue("s", 4.0, None).unwrap();
        assert_ne!(new.claims.kid.as_deref(), Some(kid_a.as_str()));
        let token_b = g
            .verify(&req(&new, &solve(&new)), None)
            .await
            .unwrap()
            .token;
        assert!(g.check_token(&token_a, Some("s"), None).is_ok());
        assert!(g.check_token(&token_b, Some("s"), None).is_ok());
        g.set_keys(ring(&[a]));
        // Old key current again for a moment: a challenge under A is checked by A.
        assert!(g.verify(&req(&old2, &solve(&old2)), None).await.is_ok());
        // A removed: what it signed is refused.
        g.set_keys(ring(&[b]));
        let e = g
            .verify(&req(&old3, &solve(&old3)), None)
            .await
            .unwrap_err();
        assert_eq!(e.code(), "bad_signature");
        assert!(e.to_string().contains("no longer holds"), "{e}");
        assert_eq!(
            g.check_token(&token_a, None, None).unwrap_err().code(),
            "bad_token"
        );
        assert!(g.check_token(&token_b, None, None).is_ok());
        // A claim naming another key id cannot borrow a key: the MAC decides.
        let mut forged = new.claims.clone();
        forged.kid = Some(kid_a.clone());
        let f = GateChallenge::new(&new.id, &new.salt, forged, &new.mac().unwrap()).unwrap();
        g.set_keys(ring(&[b, a]));
        let e = g.verify(&req(&f, &solve(&f)), None).await.unwrap_err();
        assert_eq!(e.code(), "bad_signature");
        assert_eq!(g.status_json()["keys"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn dynamic_difficulty_rises_and_decays() {
        let cfg = GateConfig {
            dynamic: Some(DynamicPolicy {
                target_rate: 1.0,
                max_extra_bits: 4.0,
                half_life_secs: 0.1,
            }),
            ..GateConfig::default()
        };
        let g = Gate::new(KeyRing::random(), ReplayStore::memory(10), cfg);
        let first = g.issue("s", 10.0, Some("c1")).unwrap();
        assert!(first.difficulty().unwrap().bits() >= 10.0);
        let mut last = 0.0;
        for _ in 0..200 {
            last = g
                .issue("s", 10.0, Some("c1"))
                .unwrap()
                .difficulty()
                .unwrap()
                .bits();
        }
        assert_eq!(last, 14.0, "a burst reaches the cap");
        std::thread::sleep(std::time::Duration::from_millis(1500));
        let later = g
            .issue("s", 10.0, Some("c2"))
            .unwrap()
            .difficulty()
            .unwrap()
            .bits();
        let first = first.difficulty().unwrap().bits();
        // After 7.5 half-lives the burst is forgotten: back to what one request costs.
        assert!(
            later <= first + 0.2,
            "decays when traffic falls: {later} vs {first}"
        );
        assert!(g.status_json()["difficulty"]["dynamic"].as_bool().unwrap());
    }
}
