//! The PoW gates agents meet (Anubis, ALTCHA v1 and v2, mCaptcha, Cap, go-away): solve a challenge
//! in the peer's own JSON and produce the peer's own answer; verify an answer the way the
//! peer's server does. Parsing, planning, answer shapes and verification live in
//! `grindstone-core` (one module per scheme); this module runs the searches on the CPU
//! kernels and the shared search pool.

use std::time::Duration;

use grindstone_core::clock::Instant;
use grindstone_core::schemes::decimal::{DecimalOrder, DecimalSearch};
use grindstone_core::schemes::{
    Scheme, Secrets, altcha, altcha_v2, anubis, cap, go_away, mcaptcha,
};
use grindstone_core::{Error, Job, Stop, VerifyError};
use grindstone_cpu::SearchOptions;
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

/// The first number a decimal search finds in `order` ([`DecimalOrder`]: laid out for the
/// kernels, or the lowest), and the hashes spent.
fn run_decimal(
    s: &DecimalSearch,
    order: DecimalOrder,
    search: &SearchOptions,
    timeout: Option<Duration>,
) -> Result<(u64, u64), SolveError> {
    let mut hashes = 0;
    for j in s.jobs(order)? {
        let j = j?;
        if let Some(i) = run_job(&j.job, search, timeout, &mut hashes)? {
            return Ok((j.number(i), hashes));
        }
    }
    Err(SolveError::Exhausted { hashes })
}

/// The lowest index of `job` with a solution (`None` when it has none), adding the hashes
/// spent to `hashes`.
fn run_job(
    job: &Job,
    search: &SearchOptions,
    timeout: Option<Duration>,
    hashes: &mut u64,
) -> Result<Option<u64>, SolveError> {
    let r = grindstone_cpu::search(job, search)?;
    *hashes += r.hashes;
    match r.outcome {
        grindstone_core::Outcome::Found { index, .. } => Ok(Some(index)),
        grindstone_core::Outcome::Exhausted => Ok(None),
        o => Err(SolveError::unsolved(o, *hashes, timeout)),
    }
}

/// Solves `input` (the peer's challenge JSON) for `scheme`, a peer scheme
/// ([`Scheme::is_peer`]).
pub fn solve(scheme: Scheme, input: &str, opts: &SolveOptions) -> Result<PeerSolved, SolveError> {
    let start = Instant::now();
    let stop = opts.stop();
    let search = opts.cpu_search(stop.clone());
    let ms = || start.elapsed().as_millis() as u64;
    let (response, hashes) = match scheme {
        Scheme::Anubis => {
            let ch = anubis::Challenge::parse(input)?;
            let (n, h) = run_decimal(&ch.search(), opts.order, &search, opts.timeout)?;
            (ch.response(n, ms()), h)
        }
        Scheme::Mcaptcha => {
            let cfg = mcaptcha::Config::parse(input)?;
            let (n, h) = run_decimal(&cfg.search(), opts.order, &search, opts.timeout)?;
            (cfg.work(n), h)
        }
        Scheme::Altcha => {
            let v: Value =
                serde_json::from_str(input).map_err(|e| Error::Json(format!("altcha: {e}")))?;
            let ch = altcha::Challenge::parse(&altcha::unwrap_challenge(&v).to_string())?;
            let (n, h) = match ch.search() {
                // One number matches: every order scans the same range, lowest first is
                // the full scan.
                Some(s) => run_decimal(&s, DecimalOrder::Lowest, &search, opts.timeout)?,
                None => scan_altcha(&ch, opts, &stop)?,
            };
            (json!({"number": n, "payload": ch.payload(n, ms())}), h)
        }
        Scheme::Cap => solve_cap(&cap::Challenge::parse(input)?, opts, &stop)?,
        Scheme::GoAway => {
            let ch = go_away::Challenge::parse(input)?;
            let job = ch.job()?;
            let mut h = 0;
            let i = run_job(&job, &search, opts.timeout, &mut h)?
                .ok_or(SolveError::Exhausted { hashes: h })?;
            (ch.answer(job.nonce().chars(i).as_bytes(), ms()), h)
        }
        Scheme::AltchaV2 => {
            let ch = altcha_v2::Challenge::parse(input)?;
            let (counter, key, h) = scan_altcha_v2(&ch, opts, &stop)?;
            let ms = start.elapsed().as_secs_f64() * 1e3;
            (
                json!({"counter": counter, "derivedKey": hex::encode(&key), "payload": ch.payload(counter, &key, ms)}),
                h,
            )
        }
        Scheme::Sha256Bits | Scheme::Hashcash => {
            return Err(Error::Unsupported {
                field: "scheme",
                value: scheme.to_string(),
                expected: "a peer scheme (crate::solve solves sha256-bits and hashcash)",
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

/// ALTCHA v1 with a hash no kernel runs (SHA-512): the lowest matching number, scanned in
/// parallel chunks.
fn scan_altcha(
    ch: &altcha::Challenge,
    opts: &SolveOptions,
    stop: &Stop,
) -> Result<(u64, u64), SolveError> {
    let items = ch.maxnumber.saturating_add(1);
    let (found, hashes) = grindstone_cpu::scan_chunks(items, 4096, opts.threads, stop, |mut r| {
        r.find(|&n| ch.matches(n))
    })?;
    found
        .map(|n| (n, hashes))
        .map_err(|o| SolveError::unsolved(o, hashes, opts.timeout))
}

/// ALTCHA v2: the lowest counter whose derived key starts with the prefix, scanned in
/// parallel chunks (each derivation may be expensive). A derivation error ends the scan
/// like a hit and is answered as the error.
fn scan_altcha_v2(
    ch: &altcha_v2::Challenge,
    opts: &SolveOptions,
    stop: &Stop,
) -> Result<(u32, Vec<u8>, u64), SolveError> {
    let items = u64::from(u32::MAX) + 1;
    let (found, hashes) = grindstone_cpu::scan_chunks(items, 16, opts.threads, stop, |r| {
        r.map(|n| n as u32).find_map(|n| match ch.derive(n) {
            Ok(k) => ch.prefix_matches(&k).then_some(Ok((n, k))),
            Err(e) => Some(Err(e)),
        })
    })?;
    let (n, k) = found.map_err(|o| SolveError::unsolved(o, hashes, opts.timeout))??;
    Ok((n, k, hashes))
}

/// Cap: the sub-challenges run side by side on the search pool, one thread each.
fn solve_cap(
    ch: &cap::Challenge,
    opts: &SolveOptions,
    stop: &Stop,
) -> Result<(Value, u64), SolveError> {
    let search = SearchOptions {
        threads: 1,
        ..opts.cpu_search(stop.clone())
    };
    let results: Vec<Result<(u64, u64), SolveError>> =
        grindstone_cpu::install(opts.threads, || {
            (1..=ch.c)
                .into_par_iter()
                .map(|i| run_decimal(&ch.search(i), opts.order, &search, opts.timeout))
                .collect()
        })?;
    let mut sols = Vec::with_capacity(results.len());
    let mut total = 0;
    for r in results {
        let (n, h) = r?;
        sols.push(n);
        total += h;
    }
    Ok((ch.redeem(&sols), total))
}

/// Verifies an answer for `scheme` as the peer's server does
/// ([`Scheme::verify_answer`]); `secret` is the HMAC key where the peer signs (ALTCHA).
pub fn verify(scheme: Scheme, input: &str, secret: Option<&str>) -> Result<Value, VerifyError> {
    verify_with(
        scheme,
        input,
        Secrets {
            hmac: secret.map(str::as_bytes),
            key_signature: None,
        },
    )
}

/// [`verify`] with every key the peer's server may hold ([`Secrets`]: ALTCHA v2's
/// key-signature secret too).
pub fn verify_with(
    scheme: Scheme,
    input: &str,
    secrets: Secrets<'_>,
) -> Result<Value, VerifyError> {
    scheme.verify_answer(input, secrets, unix_now())
}
