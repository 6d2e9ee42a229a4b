//! # grindstone-wasm
//!
//! The `grindstone` library compiled to WebAssembly for Node and browsers, with the
//! SIMD128 lane kernel (`Backend::Simd128`) where the module is built with `+simd128`
//! and the scalar lane kernel otherwise. The npm package (`js/`) wraps these exports:
//! it parses nothing and decides no validity itself.
//!
//! The search is split so that JavaScript can spread it over workers: [`plan`] turns a
//! challenge into a [`Plan`] (one job, a nonce-index range, `k` solutions wanted);
//! [`Plan::search`] searches one slice of the range on the calling thread and answers
//! the confirmed hits in it; [`Plan::answer`] checks the `k` lowest hits again and
//! renders what to send back. Peer schemes run whole in one call ([`solve_peer`]).
//! Bad input throws a `TypeError` whose message says what was wrong; a solve that runs
//! out of time throws an `Error` named `TimeoutError` (`ExhaustedError` when the whole
//! nonce space has no solution).

#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::time::Duration;

use grindstone::client::{self, TokenCache as Cache};
use grindstone::core::schemes::captcha_mcp::ChallengeMsg;
use grindstone::core::schemes::decimal::DecimalOrder;
use grindstone::core::schemes::gate::{self, GateChallenge};
use grindstone::core::schemes::hashcash::{self, CheckPolicy, DateWidth, MintPlan, MintRequest};
use grindstone::core::schemes::sha256_bits::{self, Sha256Bits};
use grindstone::core::schemes::{Scheme, Secrets};
use grindstone::core::{Difficulty, Job, Stop, VerifyError};
use grindstone::cpu::{Backend, SearchOptions};
use grindstone::{SolveError, SolveOptions, unix_now};
use serde::Deserialize;
use serde_json::{Value, json};
use wasm_bindgen::prelude::*;

/// What to solve, as the JavaScript side describes it (JSON, `kind` first).
#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
enum Spec {
    /// A captcha-mcp or Grindstone challenge `{id, salt, difficulty, signature, k?}`
    /// (`grind serve`'s `/api/challenge`, the `challenge` tool); answers the `verify`
    /// request.
    Challenge { challenge: Value },
    /// `sha256-bits` over a bare salt; answers the nonces.
    Salt {
        salt: String,
        difficulty: f64,
        #[serde(default = "one")]
        k: u32,
    },
    /// A gate's `WWW-Authenticate: PoW ...` value; answers the `X-PoW-Solution` value.
    WwwAuthenticate { value: String },
    /// A gate's payment-required JSON-RPC error; answers the `params._meta` entry.
    RpcError { error: Value },
    /// A hashcash stamp to mint; `date` (Unix seconds) and `rand` are filled in when
    /// absent, and [`Plan::spec`] carries them so that every worker mints the same stamp.
    Hashcash {
        resource: String,
        bits: u32,
        date: Option<i64>,
        rand: Option<String>,
    },
}

fn one() -> u32 {
    1
}

/// What the nonces of a `sha256-bits` search answer.
enum Answer {
    /// The captcha-mcp `verify` request.
    Verify(ChallengeMsg),
    /// The nonces alone.
    Nonces,
    /// The `X-PoW-Solution` value.
    Header(GateChallenge),
    /// The `params._meta` entry.
    Meta(GateChallenge),
}

/// The search behind a plan.
#[allow(
    clippy::large_enum_variant,
    reason = "one value per solve, never in a collection"
)]
enum Search {
    /// `sha256-bits` nonces, answered as `answer` says.
    Pow {
        challenge: Sha256Bits,
        plan: sha256_bits::Plan,
        answer: Answer,
    },
    /// A hashcash stamp of `bits`.
    Stamp { bits: u32, plan: MintPlan },
}

impl Search {
    fn pow(challenge: Sha256Bits, answer: Answer) -> Self {
        Search::Pow {
            plan: challenge.plan(),
            challenge,
            answer,
        }
    }
}

/// A planned search: one job over a range of nonce indices, `k` solutions wanted.
#[wasm_bindgen]
pub struct Plan {
    spec: String,
    search: Search,
}

/// Bad input: a `TypeError`.
fn bad(e: impl std::fmt::Display) -> JsValue {
    js_sys::TypeError::new(&e.to_string()).into()
}

/// A solve that ended without its answer: an `Error` named for why.
fn unsolved(e: SolveError) -> JsValue {
    let name = match &e {
        SolveError::TimedOut { .. } => "TimeoutError",
        SolveError::Cancelled { .. } => "AbortError",
        SolveError::Exhausted { .. } => "ExhaustedError",
        _ => return bad(e),
    };
    let err = js_sys::Error::new(&e.to_string());
    err.set_name(name);
    err.into()
}

/// A JSON value given as itself or as a string holding it.
fn json_value(v: Value) -> Result<Value, JsValue> {
    match v {
        Value::String(s) => serde_json::from_str(&s).map_err(|e| bad(format!("JSON: {e}"))),
        v => Ok(v),
    }
}

/// Plans a search from a spec (JSON, see the npm package's `solve`).
#[wasm_bindgen]
pub fn plan(spec: &str) -> Result<Plan, JsValue> {
    let parsed: Spec = serde_json::from_str(spec).map_err(|e| bad(format!("spec: {e}")))?;
    let pow = |ch: GateChallenge, answer: fn(GateChallenge) -> Answer| -> Result<_, JsValue> {
        Ok(Search::pow(ch.pow().map_err(bad)?, answer(ch)))
    };
    let search = match parsed {
        Spec::Challenge { challenge } => {
            let msg = ChallengeMsg::parse(&json_value(challenge)?.to_string()).map_err(bad)?;
            Search::pow(msg.challenge().map_err(bad)?, Answer::Verify(msg))
        }
        Spec::Salt {
            salt,
            difficulty,
            k,
        } => {
            let c = Difficulty::new(difficulty)
                .and_then(|d| Sha256Bits::new(&salt, d))
                .and_then(|c| c.with_solutions(k))
                .map_err(bad)?;
            Search::pow(c, Answer::Nonces)
        }
        Spec::WwwAuthenticate { value } => pow(
            gate::parse_www_authenticate(&value).map_err(bad)?,
            Answer::Header,
        )?,
        Spec::RpcError { error } => pow(
            gate::challenge_of_rpc_error(&json_value(error)?).map_err(bad)?,
            Answer::Meta,
        )?,
        Spec::Hashcash {
            resource,
            bits,
            date,
            rand,
        } => {
            let req = MintRequest {
                bits,
                resource,
                ext: String::new(),
                date: date.unwrap_or_else(unix_now),
                date_width: DateWidth::Day,
                rand: rand.unwrap_or_else(grindstone::random_rand),
            };
            // The spec the workers rebuild: with this date and random field.
            let spec = json!({"kind": "hashcash", "resource": req.resource, "bits": req.bits,
                "date": req.date, "rand": req.rand})
            .to_string();
            let search = Search::Stamp {
                bits,
                plan: req.plan().map_err(bad)?,
            };
            return Ok(Plan { spec, search });
        }
    };
    Ok(Plan {
        spec: spec.to_string(),
        search,
    })
}

/// The hits of one slice and the candidates it hashed.
#[wasm_bindgen]
pub struct Found {
    hits: Vec<u64>,
    hashes: u64,
}

#[wasm_bindgen]
impl Found {
    /// The confirmed hits, lowest first (at most the `k` asked for).
    #[wasm_bindgen(getter)]
    pub fn hits(&self) -> Vec<u64> {
        self.hits.clone()
    }
    /// Candidates hashed.
    #[wasm_bindgen(getter)]
    pub fn hashes(&self) -> f64 {
        self.hashes as f64
    }
}

impl Plan {
    fn job(&self) -> &Job {
        match &self.search {
            Search::Pow { plan, .. } => plan.job(),
            Search::Stamp { plan, .. } => plan.job(),
        }
    }
}

#[wasm_bindgen]
impl Plan {
    /// The spec to rebuild this exact plan in a worker (hashcash's date and random field
    /// filled in).
    #[wasm_bindgen(getter)]
    pub fn spec(&self) -> String {
        self.spec.clone()
    }
    /// The first nonce index.
    #[wasm_bindgen(getter)]
    pub fn start(&self) -> u64 {
        self.job().range().start
    }
    /// One past the last nonce index.
    #[wasm_bindgen(getter)]
    pub fn end(&self) -> u64 {
        self.job().range().end
    }
    /// Solutions wanted.
    #[wasm_bindgen(getter)]
    pub fn k(&self) -> u32 {
        match &self.search {
            Search::Pow { challenge, .. } => challenge.solutions(),
            Search::Stamp { .. } => 1,
        }
    }
    /// Expected hashes for all `k` solutions.
    #[wasm_bindgen(getter, js_name = expectedHashes)]
    pub fn expected_hashes(&self) -> f64 {
        match &self.search {
            Search::Pow { challenge, .. } => challenge.difficulty().expected_hashes(),
            Search::Stamp { bits, .. } => f64::from(*bits).exp2(),
        }
    }
    /// When a gate's challenge expires (Unix seconds; a solution after that is refused),
    /// or `undefined`.
    #[wasm_bindgen(getter, js_name = expiresAt)]
    pub fn expires_at(&self) -> Option<f64> {
        match &self.search {
            Search::Pow {
                answer: Answer::Header(ch) | Answer::Meta(ch),
                ..
            } => Some(ch.claims.exp as f64),
            _ => None,
        }
    }

    /// Searches `start..end` on the calling thread for its `k` lowest valid indices
    /// (every one confirmed by the core's exact check; `k` at most the plan's).
    pub fn search(&self, start: u64, end: u64, k: u32) -> Result<Found, JsValue> {
        let k = k.clamp(1, self.k().max(1));
        let opts = SearchOptions {
            backend: Backend::detect(),
            threads: 1,
            stop: Stop::default(),
        };
        let r =
            grindstone::cpu::search_many(self.job(), start..end, k as usize, &opts).map_err(bad)?;
        Ok(Found {
            hits: r.hits.iter().map(|h| h.0).collect(),
            hashes: r.hashes,
        })
    }

    /// The answer for the `k` lowest hits (JSON): checked again here, whoever found them.
    pub fn answer(&self, hits: Vec<u64>) -> Result<String, JsValue> {
        if hits.len() != self.k() as usize {
            return Err(bad(format!(
                "{} hits for {} solutions",
                hits.len(),
                self.k()
            )));
        }
        let (challenge, plan, answer) = match &self.search {
            Search::Pow {
                challenge,
                plan,
                answer,
            } => (challenge, plan, answer),
            Search::Stamp { plan, .. } => {
                let stamp = plan.stamp(hits[0]);
                let parsed = hashcash::Stamp::parse(&stamp).map_err(bad)?;
                hashcash::check(&parsed, &CheckPolicy::new(unix_now())).map_err(bad)?;
                return Ok(json!({"stamp": stamp}).to_string());
            }
        };
        let nonces: Vec<String> = hits.iter().map(|&i| plan.nonce(i)).collect();
        challenge.verify_all(&nonces).map_err(bad)?;
        let mut out = json!({"nonce": nonces[0], "nonces": nonces});
        match answer {
            Answer::Verify(msg) => {
                out["verify"] = serde_json::to_value(msg.verify_msg(&nonces)).map_err(bad)?;
            }
            Answer::Header(ch) => out["header"] = gate::solution_header(ch, &nonces).into(),
            Answer::Meta(ch) => {
                out["meta"] = gate::MetaCredential::Solution {
                    challenge: Box::new(ch.clone()),
                    nonces,
                }
                .meta_entry();
            }
            Answer::Nonces => {}
        }
        Ok(out.to_string())
    }
}

/// Solves a peer scheme's challenge (`anubis`, `altcha`, `altcha-v2`, `mcaptcha`, `cap`,
/// `go-away`) on the calling thread; answers `{"response": <the peer's answer>,
/// "hashes": n}`. `lowest`: a decimal scheme answers its lowest valid number rather than
/// the fast order's ([`DecimalOrder`]).
#[wasm_bindgen(js_name = solvePeer)]
pub fn solve_peer(
    scheme: &str,
    input: &str,
    timeout_ms: Option<f64>,
    lowest: Option<bool>,
) -> Result<String, JsValue> {
    let scheme: Scheme = scheme.parse().map_err(bad)?;
    let timeout = timeout_ms
        .map(|ms| Duration::try_from_secs_f64(ms / 1e3))
        .transpose()
        .map_err(|e| bad(format!("timeout: {e}")))?;
    let opts = SolveOptions {
        threads: 1,
        timeout,
        order: if lowest == Some(true) {
            DecimalOrder::Lowest
        } else {
            DecimalOrder::Fast
        },
        ..Default::default()
    };
    let s = grindstone::peers::solve(scheme, input, &opts).map_err(unsolved)?;
    Ok(json!({"response": s.response, "hashes": s.hashes}).to_string())
}

/// A verdict as JSON: `{"valid": true, ...}` or `{"valid": false, "reason": ...}`;
/// input that is not a possible answer at all is an error.
fn verdict(r: Result<Value, VerifyError>) -> Result<String, JsValue> {
    match r {
        Ok(v) => Ok(v.to_string()),
        Err(VerifyError::Rejected(why)) => {
            Ok(json!({"valid": false, "reason": why.to_string()}).to_string())
        }
        Err(VerifyError::Malformed(e)) => Err(bad(e)),
    }
}

/// Verifies a peer scheme's answer as the peer's server does (`secret`: the HMAC key
/// where the peer signs; `key_secret`: ALTCHA v2's key-signature secret).
#[wasm_bindgen(js_name = verifyPeer)]
pub fn verify_peer(
    scheme: &str,
    input: &str,
    secret: Option<String>,
    key_secret: Option<String>,
) -> Result<String, JsValue> {
    let scheme: Scheme = scheme.parse().map_err(bad)?;
    let secrets = Secrets {
        hmac: secret.as_deref().map(str::as_bytes),
        key_signature: key_secret.as_deref().map(str::as_bytes),
    };
    verdict(grindstone::peers::verify_with(scheme, input, secrets))
}

/// Verifies a `sha256-bits` nonce (JSON verdict with the digest's zero bits).
#[wasm_bindgen(js_name = verifySalt)]
pub fn verify_salt(salt: &str, nonce: &str, difficulty: f64) -> Result<String, JsValue> {
    verdict(
        grindstone::verify_sha256_bits(salt, nonce, difficulty)
            .map(|p| json!({"valid": true, "zeroBits": p.zero_bits, "digest": p.digest.to_hex()})),
    )
}

/// Checks a hashcash stamp (hashcash's defaults: 28 days' validity, 2 days' grace),
/// optionally for a resource and a number of bits, at `now` (Unix seconds; the clock's
/// time when absent).
#[wasm_bindgen(js_name = verifyHashcash)]
pub fn verify_hashcash(
    stamp: &str,
    resource: Option<String>,
    bits: Option<u32>,
    now: Option<f64>,
) -> Result<String, JsValue> {
    let parsed = hashcash::Stamp::parse(stamp).map_err(bad)?;
    let mut p = CheckPolicy::new(now.map_or_else(unix_now, |n| n as i64));
    p.resource = resource;
    p.required_bits = bits;
    verdict(
        hashcash::check(&parsed, &p)
            .map(|c| json!({"valid": true, "bits": c.bits, "zeroBits": c.zero_bits}))
            .map_err(VerifyError::Rejected),
    )
}

/// The scope a request body needs at a gate (`tool:NAME` for an MCP `tools/call`).
#[wasm_bindgen(js_name = scopeOfRequest)]
pub fn scope_of_request(body: &[u8]) -> Option<String> {
    client::scope_of_request(body)
}

/// The `PoW` challenge of a `WWW-Authenticate` value, which may list several
/// challenges joined with commas (as `Headers.get` joins them), or `undefined`.
#[wasm_bindgen(js_name = powChallengeOf)]
pub fn pow_challenge_of(value: &str) -> Option<String> {
    client::pow_challenge_in_list(value)
}

/// Whether a response body is a gate's payment-required JSON-RPC error (a gate set to
/// answer `200` asks for payment this way).
#[wasm_bindgen(js_name = isPaymentError)]
pub fn is_payment_error(body: &[u8]) -> bool {
    client::is_payment_error(body)
}

/// The CPU kernel this module runs (`simd128` or `scalar`).
#[wasm_bindgen]
pub fn backend() -> String {
    Backend::detect().name().to_string()
}

/// Tokens by gate origin and scope, reused until shortly before they expire (the Rust
/// client's cache).
#[wasm_bindgen]
pub struct TokenCache(Cache);

#[wasm_bindgen]
impl TokenCache {
    /// An empty cache that drops tokens `margin_secs` before expiry (or a tenth of a
    /// token's lifetime when that is less).
    #[wasm_bindgen(constructor)]
    pub fn new(margin_secs: Option<f64>) -> TokenCache {
        TokenCache(Cache::new(margin_secs.map_or(10, |m| m as i64)))
    }
    /// A token for `gate` and `scope` still good now.
    pub fn get(&self, gate: &str, scope: &str) -> Option<String> {
        self.0.get(gate, scope, unix_now())
    }
    /// Keeps a token for `gate` (scope and expiry read from it); `false` if unreadable.
    pub fn put(&self, gate: &str, token: &str) -> bool {
        self.0.put(gate, token)
    }
    /// Forgets the token for `gate` and `scope`.
    pub fn remove(&self, gate: &str, scope: &str) {
        self.0.remove(gate, scope)
    }
}
