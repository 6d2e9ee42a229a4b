//! The PoW gates agents meet (Anubis, ALTCHA v1, mCaptcha, Cap): solve a challenge in the
//! peer's own JSON and produce the peer's own answer; verify an answer the way the peer's
//! server does. Parsing, planning and verification live in `grindstone-core`; this module
//! runs the searches.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use grindstone_core::schemes::decimal::DecimalSearch;
use grindstone_core::schemes::{Scheme, altcha, altcha_v2, anubis, cap, mcaptcha};
use grindstone_core::{Error, VerifyError};
use grindstone_cpu::{Backend, Outcome, SearchOptions};
use rayon::prelude::*;
use serde_json::{Value, json};

use crate::{SolveError, SolveOptions, unix_now};

/// A solved peer challenge.
#[derive(Debug, Clone)]
pub struct PeerSolved {
    /// The peer's own answer.
    pub response: Value,
    /// Candidates hashed.
    pub hashes: u64,
    /// Wall time.
    pub elapsed: Duration,
}

fn search_opts(opts: &SolveOptions, deadline: Option<Instant>, threads: usize) -> SearchOptions {
    SearchOptions {
        backend: opts.backend.unwrap_or_else(Backend::detect),
        threads,
        deadline,
        cancel: opts.cancel.clone(),
        progress: opts.progress.clone(),
    }
}

/// The lowest number of a decimal search, and the hashes spent.
fn run_decimal(
    s: &DecimalSearch,
    so: &SearchOptions,
    timeout: Option<Duration>,
) -> Result<(u64, u64), SolveError> {
    let mut hashes = 0;
    for job in s.jobs()? {
        let r = grindstone_cpu::search(&job, so)?;
        hashes += r.hashes;
        match r.outcome {
            Outcome::Found { index, .. } => return Ok((index, hashes)),
            Outcome::Exhausted => continue,
            Outcome::TimedOut => {
                return Err(SolveError::TimedOut {
                    timeout: timeout.unwrap_or_default(),
                    hashes,
                });
            }
            Outcome::Cancelled => return Err(SolveError::Cancelled { hashes }),
        }
    }
    Err(SolveError::Exhausted { hashes })
}

/// Solves `input` (the peer's challenge JSON) for `scheme`.
pub fn solve(scheme: &str, input: &str, opts: &SolveOptions) -> Result<PeerSolved, SolveError> {
    let start = Instant::now();
    let deadline = opts.timeout.map(|t| start + t);
    let so = search_opts(opts, deadline, opts.threads);
    let (response, hashes) = match scheme {
        anubis::NAME => {
            let ch = anubis::Challenge::parse(input)?;
            let (n, h) = run_decimal(&ch.search(), &so, opts.timeout)?;
            (ch.response(n, start.elapsed().as_millis() as u64), h)
        }
        mcaptcha::NAME => {
            let cfg = mcaptcha::Config::parse(input)?;
            let (n, h) = run_decimal(&cfg.search(), &so, opts.timeout)?;
            (cfg.work(n), h)
        }
        altcha::NAME => {
            let v: Value =
                serde_json::from_str(input).map_err(|e| Error::Json(format!("altcha: {e}")))?;
            let ch = altcha::Challenge::parse(&altcha::unwrap_challenge(&v).to_string())?;
            let (n, h) = match ch.search() {
                Some(s) => run_decimal(&s, &so, opts.timeout)?,
                None => solve_by_scan(&ch, opts, deadline)?,
            };
            let took = start.elapsed().as_millis() as u64;
            (json!({"number": n, "payload": ch.payload(n, took)}), h)
        }
        cap::NAME => solve_cap(&cap::Challenge::parse(input)?, opts, deadline)?,
        altcha_v2::NAME => {
            let ch = altcha_v2::Challenge::parse(input)?;
            let (counter, key, h) = solve_altcha_v2(&ch, opts, deadline)?;
            let ms = start.elapsed().as_secs_f64() * 1e3;
            (
                json!({"counter": counter, "derivedKey": hex::encode(&key), "payload": ch.payload(counter, &key, ms)}),
                h,
            )
        }
        other => {
            return Err(Error::Unsupported {
                field: "scheme",
                value: other.to_string(),
                expected: "anubis, altcha, altcha-v2, mcaptcha or cap",
            }
            .into());
        }
    };
    Ok(PeerSolved {
        response,
        hashes,
        elapsed: start.elapsed(),
    })
}

/// ALTCHA with SHA-512 (no kernel): a parallel scan for the lowest matching number.
fn solve_by_scan(
    ch: &altcha::Challenge,
    opts: &SolveOptions,
    deadline: Option<Instant>,
) -> Result<(u64, u64), SolveError> {
    let stop = AtomicBool::new(false);
    let hashes = AtomicU64::new(0);
    const CHUNK: u64 = 4096;
    let chunks = ch.maxnumber / CHUNK + 1;
    let found = (0..chunks).into_par_iter().find_first(|&c| {
        if stop.load(Ordering::Relaxed) {
            return false;
        }
        if deadline.is_some_and(|d| Instant::now() >= d)
            || opts
                .cancel
                .as_ref()
                .is_some_and(|c| c.load(Ordering::Relaxed))
        {
            stop.store(true, Ordering::Relaxed);
            return false;
        }
        let lo = c * CHUNK;
        let hi = (lo + CHUNK - 1).min(ch.maxnumber);
        let hit = (lo..=hi).any(|n| ch.matches(n));
        hashes.fetch_add(hi - lo + 1, Ordering::Relaxed);
        if let Some(p) = &opts.progress {
            p.fetch_add(hi - lo + 1, Ordering::Relaxed);
        }
        hit
    });
    let h = hashes.load(Ordering::Relaxed);
    match found {
        Some(c) => {
            let lo = c * CHUNK;
            let n = (lo..=(lo + CHUNK - 1).min(ch.maxnumber))
                .find(|&n| ch.matches(n))
                .expect("the chunk matched");
            Ok((n, h))
        }
        None if stop.load(Ordering::Relaxed) => match deadline {
            Some(_) => Err(SolveError::TimedOut {
                timeout: opts.timeout.unwrap_or_default(),
                hashes: h,
            }),
            None => Err(SolveError::Cancelled { hashes: h }),
        },
        None => Err(SolveError::Exhausted { hashes: h }),
    }
}

/// ALTCHA v2: counters in parallel chunks (each derivation may be expensive), lowest
/// matching counter first.
fn solve_altcha_v2(
    ch: &altcha_v2::Challenge,
    opts: &SolveOptions,
    deadline: Option<Instant>,
) -> Result<(u32, Vec<u8>, u64), SolveError> {
    let stop = AtomicBool::new(false);
    let derived = AtomicU64::new(0);
    let failure: Mutex<Option<Error>> = Mutex::new(None);
    const CHUNK: u64 = 16;
    let chunks = (u64::from(u32::MAX) + 1) / CHUNK;
    let scan = |c: u64| -> Option<(u32, Vec<u8>)> {
        for n in c * CHUNK..(c + 1) * CHUNK {
            match ch.derive(n as u32) {
                Ok(k) => {
                    derived.fetch_add(1, Ordering::Relaxed);
                    if let Some(p) = &opts.progress {
                        p.fetch_add(1, Ordering::Relaxed);
                    }
                    if ch.prefix_matches(&k) {
                        return Some((n as u32, k));
                    }
                }
                Err(e) => {
                    failure
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .get_or_insert(e);
                    stop.store(true, Ordering::Relaxed);
                    return None;
                }
            }
        }
        None
    };
    let run = || {
        (0..chunks).into_par_iter().find_map_first(|c| {
            if stop.load(Ordering::Relaxed) {
                return None;
            }
            if deadline.is_some_and(|d| Instant::now() >= d)
                || opts
                    .cancel
                    .as_ref()
                    .is_some_and(|c| c.load(Ordering::Relaxed))
            {
                stop.store(true, Ordering::Relaxed);
                return None;
            }
            scan(c)
        })
    };
    let found = if opts.threads == 0 {
        run()
    } else {
        rayon::ThreadPoolBuilder::new()
            .num_threads(opts.threads)
            .build()
            .map_err(|e| grindstone_cpu::Error::ThreadPool {
                threads: opts.threads,
                reason: e.to_string(),
            })?
            .install(run)
    };
    if let Some(e) = failure.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(e.into());
    }
    let h = derived.load(Ordering::Relaxed);
    match found {
        Some((n, k)) => Ok((n, k, h)),
        None if stop.load(Ordering::Relaxed) => match deadline {
            Some(_) => Err(SolveError::TimedOut {
                timeout: opts.timeout.unwrap_or_default(),
                hashes: h,
            }),
            None => Err(SolveError::Cancelled { hashes: h }),
        },
        None => Err(SolveError::Exhausted { hashes: h }),
    }
}

/// Cap: the sub-challenges run side by side, one thread each, all cores busy.
fn solve_cap(
    ch: &cap::Challenge,
    opts: &SolveOptions,
    deadline: Option<Instant>,
) -> Result<(Value, u64), SolveError> {
    let so = search_opts(opts, deadline, 1);
    let total = AtomicU64::new(0);
    let first_err: Mutex<Option<SolveError>> = Mutex::new(None);
    let run = || {
        (1..=ch.c)
            .into_par_iter()
            .map(|i| match run_decimal(&ch.search(i), &so, opts.timeout) {
                Ok((n, h)) => {
                    total.fetch_add(h, Ordering::Relaxed);
                    Some(n)
                }
                Err(e) => {
                    first_err
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .get_or_insert(e);
                    None
                }
            })
            .collect::<Vec<Option<u64>>>()
    };
    let results = if opts.threads == 0 {
        run()
    } else {
        rayon::ThreadPoolBuilder::new()
            .num_threads(opts.threads)
            .build()
            .map_err(|e| grindstone_cpu::Error::ThreadPool {
                threads: opts.threads,
                reason: e.to_string(),
            })?
            .install(run)
    };
    if let Some(e) = first_err.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(e);
    }
    let sols: Vec<u64> = results
        .into_iter()
        .map(|r| r.expect("no error recorded"))
        .collect();
    Ok((ch.redeem(&sols), total.load(Ordering::Relaxed)))
}

fn num_or_str(v: &Value, k: &str) -> Result<String, Error> {
    match v.get(k) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        _ => Err(Error::Json(format!("missing \"{k}\""))),
    }
}

/// Verifies an answer for `scheme` as the peer's server does; `input` is described per
/// scheme in `grind verify --help`. `secret` is the HMAC key where the peer signs (ALTCHA).
pub fn verify(scheme: &str, input: &str, secret: Option<&str>) -> Result<Value, VerifyError> {
    let json = |t: &str| -> Result<Value, Error> {
        serde_json::from_str(t).map_err(|e| Error::Json(format!("{scheme}: {e}")))
    };
    match scheme {
        anubis::NAME => {
            let v = json(input)?;
            let data = v
                .get("randomData")
                .or_else(|| v.get("challenge"))
                .and_then(Value::as_str)
                .ok_or_else(|| Error::Json("anubis: missing \"randomData\"".into()))?;
            let d = v
                .get("difficulty")
                .and_then(Value::as_u64)
                .filter(|&d| d <= 64)
                .ok_or_else(|| {
                    Error::Json("anubis: difficulty must be an integer 0..=64".into())
                })?;
            let nonce = num_or_str(&v, "nonce")?;
            let resp = v
                .get("response")
                .and_then(Value::as_str)
                .ok_or_else(|| Error::Json("anubis: missing \"response\"".into()))?;
            anubis::verify(data, d as u32, &nonce, resp)?;
            Ok(json!({"valid": true, "scheme": scheme}))
        }
        mcaptcha::NAME => {
            let v = json(input)?;
            let cfg = mcaptcha::Config::parse(input)?;
            let nonce = v
                .get("nonce")
                .and_then(Value::as_u64)
                .ok_or_else(|| Error::Json("mcaptcha: nonce must be an unsigned integer".into()))?;
            let result = num_or_str(&v, "result")?;
            let score = cfg.verify(nonce, &result)?;
            Ok(json!({"valid": true, "scheme": scheme, "score": score.to_string()}))
        }
        cap::NAME => {
            let v = json(input)?;
            let ch = cap::Challenge::parse(input)?;
            let sols: Vec<u64> = v
                .get("solutions")
                .and_then(Value::as_array)
                .ok_or_else(|| Error::Json("cap: missing \"solutions\"".into()))?
                .iter()
                .map(|x| {
                    x.as_u64().ok_or_else(|| {
                        Error::Json("cap: solutions must be unsigned integers".into())
                    })
                })
                .collect::<Result<_, _>>()?;
            ch.verify(&sols, Some(unix_now() * 1000))?;
            Ok(json!({"valid": true, "scheme": scheme}))
        }
        altcha_v2::NAME => {
            let key = secret.ok_or_else(|| {
                Error::Json("altcha-v2: --secret (the HMAC key) is required".into())
            })?;
            let text = input.trim();
            let payload_text = match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(o)) if o.contains_key("payload") => o["payload"]
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_default(),
                _ => text.to_string(),
            };
            let (ch, counter, dk) = altcha_v2::parse_payload(&payload_text)?;
            altcha_v2::verify(
                &ch,
                counter,
                &dk,
                key.as_bytes(),
                "SHA-256",
                unix_now() as f64,
            )?;
            Ok(json!({"valid": true, "scheme": scheme, "counter": counter}))
        }
        altcha::NAME => {
            let key = secret
                .ok_or_else(|| Error::Json("altcha: --secret (the HMAC key) is required".into()))?;
            let text = input.trim();
            // A `{"payload": ...}` wrapper (what `grind solve --scheme altcha` prints) or the payload.
            let payload_text = match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(o)) if o.contains_key("payload") => o["payload"]
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_default(),
                _ => text.to_string(),
            };
            let p = altcha::parse_payload(&payload_text)?;
            altcha::verify(&p, key.as_bytes(), Some(unix_now()))?;
            Ok(json!({"valid": true, "scheme": scheme, "number": p.number}))
        }
        other => Err(Error::Unsupported {
            field: "scheme",
            value: other.to_string(),
            expected: "anubis, altcha, altcha-v2, mcaptcha or cap",
        }
        .into()),
    }
}

/// Whether `scheme` names one of this module's ([`Scheme::is_peer`]).
pub fn is_peer(scheme: &str) -> bool {
    scheme.parse::<Scheme>().is_ok_and(Scheme::is_peer)
}
