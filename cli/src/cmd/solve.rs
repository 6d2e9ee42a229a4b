//! `grind solve`.

use std::process::ExitCode;

use anyhow::anyhow;
use grindstone::client::SOLUTION_HEADER;
use grindstone::core::Difficulty;
use grindstone::core::schemes::captcha_mcp::ChallengeMsg;
use grindstone::core::schemes::decimal::DecimalOrder;
use grindstone::core::schemes::sha256_bits::{self, Sha256Bits};
use grindstone::core::schemes::{Scheme, gate};
use grindstone::{Challenge, Engine, solve};
use serde_json::json;

use super::progress::Progress;
use super::{CmdResult, SearchArgs, bad, read_input};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// A captcha-mcp challenge (`{id, salt, difficulty, algo, signature}`, or the tool
    /// result around it) in a file, or `-` for stdin. Prints the JSON its `verify` tool
    /// takes. A gate's payment-required JSON-RPC error (code -32042 or -32043, the whole
    /// message or its `error`) is answered with the `params._meta` entry to retry the
    /// call with: `{"org.paymentauth/credential": {...}}`.
    #[arg(value_name = "CHALLENGE", conflicts_with_all = ["salt", "difficulty"])]
    pub challenge: Option<String>,
    /// A `WWW-Authenticate: PoW ...` value from a 402 answer; prints the
    /// `X-PoW-Solution` header to retry with. (A CHALLENGE input starting with `PoW` or
    /// `WWW-Authenticate:` is read the same way.)
    #[arg(long, value_name = "VALUE", conflicts_with_all = ["challenge", "salt", "difficulty"])]
    pub www_authenticate: Option<String>,
    /// The salt (printable ASCII).
    #[arg(long, requires = "difficulty")]
    pub salt: Option<String>,
    /// Leading zero bits required; fractional values (20.5) are allowed.
    #[arg(long, short = 'd', value_name = "BITS", allow_hyphen_values = true)]
    pub difficulty: Option<Difficulty>,
    /// Ask for K distinct solutions, each at `difficulty - log2 K` (same expected work,
    /// shorter tail); with --salt only: a challenge file says its own `k`.
    #[arg(
        long,
        short = 'k',
        value_name = "K",
        default_value_t = 1,
        conflicts_with = "challenge"
    )]
    pub solutions: u32,
    /// Challenge scheme (`grind schemes` lists them).
    #[arg(long, default_value_t = Scheme::Sha256Bits)]
    pub scheme: Scheme,
    /// Decimal peer schemes (anubis, mcaptcha, cap): answer the lowest valid number, as
    /// the peers' own solvers do, instead of the number laid out for the kernels (a
    /// leading 1, zeros, then the digits searched: faster, equally valid).
    #[arg(long)]
    pub lowest: bool,
    /// Print nonce, digest, hashes tried, elapsed time and rate as JSON.
    #[arg(long)]
    pub json: bool,
    /// No progress display.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    #[command(flatten)]
    pub search: SearchArgs,
}

/// Refuses `--scheme hashcash` for commands that take a salt and a nonce.
pub fn check_scheme(scheme: Scheme, verb: &str) -> Result<(), super::Failure> {
    match scheme {
        Scheme::Hashcash => Err(bad(anyhow!(
            "hashcash stamps are handled by `grind mint` and `grind check`, not `grind {verb}`"
        ))),
        _ => Ok(()),
    }
}

/// Whether input text is a `WWW-Authenticate: PoW` value rather than JSON.
fn is_www_authenticate(text: &str) -> bool {
    let t = text.trim_start().to_ascii_lowercase();
    t.starts_with("pow ") || t.starts_with("www-authenticate:")
}

/// The input as JSON, if it is a gate's payment-required JSON-RPC answer (the message,
/// its `error` or its `data`).
fn rpc_payment_error(text: &str) -> Option<serde_json::Value> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    let is = v.get("error").is_some()
        || v.get("challenges").is_some()
        || v.pointer("/data/challenges").is_some();
    is.then_some(v)
}

pub fn run(a: Args) -> CmdResult {
    check_scheme(a.scheme, "solve")?;
    let mut opts = a.search.options();
    if a.lowest {
        opts.order = DecimalOrder::Lowest;
    }
    if a.scheme.is_peer() {
        if matches!(opts.engine, Engine::Gpu | Engine::Hybrid) {
            return Err(bad(anyhow!(
                "--backend {}: the GPU kernels run sha256-bits and hashcash; {} runs on the CPU",
                opts.engine,
                a.scheme
            )));
        }
        let Some(path) = &a.challenge else {
            return Err(bad(anyhow!(
                "--scheme {} reads the challenge JSON from a file or - (stdin)",
                a.scheme
            )));
        };
        let text = read_input(path)?;
        let progress = Progress::start(!a.json && !a.quiet, 0.0);
        opts.progress = Some(progress.counter());
        let r = grindstone::peers::solve(a.scheme, &text, &opts);
        drop(progress);
        let s = r?;
        if a.json {
            let out = json!({"scheme": a.scheme.name(), "response": s.response, "hashes": s.hashes,
                             "elapsed_ms": s.elapsed.as_secs_f64() * 1e3,
                             "rate": s.hashes as f64 / s.elapsed.as_secs_f64().max(1e-9)});
            println!("{out}");
        } else {
            println!("{}", s.response);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let input = match &a.challenge {
        Some(path) => Some(read_input(path)?),
        None => None,
    };
    let header = a
        .www_authenticate
        .clone()
        .or_else(|| input.as_ref().filter(|t| is_www_authenticate(t)).cloned());
    // A gate's challenge: from a header (answered with X-PoW-Solution) or from a
    // payment-required JSON-RPC error (answered with the `_meta` entry).
    let gate_challenge = match (header, input.as_deref().and_then(rpc_payment_error)) {
        (Some(h), _) => Some((
            gate::parse_www_authenticate(&h).map_err(|e| bad(anyhow!("WWW-Authenticate: {e}")))?,
            false,
        )),
        (None, Some(v)) => Some((
            gate::challenge_of_rpc_error(&v)
                .map_err(|e| bad(anyhow!("payment-required error: {e}")))?,
            true,
        )),
        (None, None) => None,
    };
    if let Some((ch, in_json_rpc)) = gate_challenge {
        let challenge = Challenge::Sha256Bits(ch.pow().map_err(bad)?);
        let progress = Progress::start(!a.json && !a.quiet, challenge.expected_hashes());
        opts.progress = Some(progress.counter());
        let result = solve(&challenge, &opts);
        drop(progress);
        let s = result?;
        if in_json_rpc {
            let credential = gate::MetaCredential::Solution {
                challenge: Box::new(ch),
                nonces: s.nonces.clone(),
            };
            println!("{}", credential.meta_entry());
            return Ok(ExitCode::SUCCESS);
        }
        let value = gate::solution_header(&ch, &s.nonces);
        if a.json {
            let out = json!({"header": SOLUTION_HEADER, "value": value, "nonce": s.nonce,
                             "digest": s.digest.to_hex(), "hashes": s.hashes,
                             "elapsed_ms": s.elapsed.as_secs_f64() * 1e3});
            println!("{out}");
        } else {
            println!("{SOLUTION_HEADER}: {value}");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let (challenge, msg) = match (&input, &a.salt, &a.difficulty) {
        (Some(text), _, _) => {
            let path = a.challenge.as_deref().unwrap_or("-");
            let msg =
                ChallengeMsg::parse(text).map_err(|e| bad(anyhow!("challenge {path}: {e}")))?;
            (msg.challenge().map_err(bad)?, Some(msg))
        }
        (None, Some(salt), Some(d)) => {
            let c = Sha256Bits::new(salt, *d)
                .and_then(|c| c.with_solutions(a.solutions))
                .map_err(bad)?;
            (c, None)
        }
        _ => {
            return Err(bad(anyhow!(
                "give a challenge file (or - for stdin), or --salt and --difficulty"
            )));
        }
    };
    let challenge = Challenge::Sha256Bits(challenge);
    let progress = Progress::start(!a.json && !a.quiet, challenge.expected_hashes());
    opts.progress = Some(progress.counter());
    let result = solve(&challenge, &opts);
    drop(progress);
    let s = result?;
    let Challenge::Sha256Bits(c) = &challenge else {
        unreachable!("built above")
    };
    if let Some(msg) = msg {
        println!("{}", msg.verify_msg(&s.nonces).to_json());
    } else if a.json {
        let out = json!({
            "scheme": sha256_bits::NAME,
            "salt": c.salt(),
            "difficulty": c.difficulty().bits(),
            "nonce": s.nonce,
            "nonces": s.nonces,
            "solutions": c.solutions(),
            "digest": s.digest.to_hex(),
            "zero_bits": s.digest.leading_zero_bits(),
            "hashes": s.hashes,
            "elapsed_ms": s.elapsed.as_secs_f64() * 1e3,
            "rate": s.rate(),
            "backend": s.backend.map(|b| b.name()),
            "threads": s.threads,
            "engine": s.engine.name(),
            "adapter": s.adapter,
        });
        println!("{out}");
    } else {
        for n in &s.nonces {
            println!("{n}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
