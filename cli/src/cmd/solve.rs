//! `grind solve`.

use std::process::ExitCode;

use anyhow::anyhow;
use grindstone::core::schemes::captcha_mcp::ChallengeMsg;
use grindstone::core::schemes::sha256_bits::{self, Sha256Bits};
use grindstone::core::{Difficulty, schemes::hashcash};
use grindstone::{Challenge, solve};
use serde_json::json;

use super::progress::Progress;
use super::{CmdResult, SearchArgs, bad, read_input};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// A captcha-mcp challenge (`{id, salt, difficulty, algo, signature}`, or the tool
    /// result around it) in a file, or `-` for stdin. Prints the JSON its `verify` tool
    /// takes.
    #[arg(value_name = "CHALLENGE", conflicts_with_all = ["salt", "difficulty"])]
    pub challenge: Option<String>,
    /// The salt (printable ASCII).
    #[arg(long, requires = "difficulty")]
    pub salt: Option<String>,
    /// Leading zero bits required; fractional values (20.5) are allowed.
    #[arg(long, short = 'd', value_name = "BITS", allow_hyphen_values = true)]
    pub difficulty: Option<String>,
    /// Challenge scheme.
    #[arg(long, default_value = sha256_bits::NAME)]
    pub scheme: String,
    /// Print nonce, digest, hashes tried, elapsed time and rate as JSON.
    #[arg(long)]
    pub json: bool,
    /// No progress display.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    #[command(flatten)]
    pub search: SearchArgs,
}

/// Validates `--scheme` for commands that take a salt and a nonce.
pub fn check_scheme(scheme: &str, verb: &str) -> Result<(), super::Failure> {
    match scheme {
        sha256_bits::NAME => Ok(()),
        hashcash::NAME => Err(bad(anyhow!(
            "hashcash stamps are handled by `grind mint` and `grind check`, not `grind {verb}`"
        ))),
        other => Err(bad(anyhow!(
            "unknown scheme {other:?} (known: {}, {})",
            sha256_bits::NAME,
            hashcash::NAME
        ))),
    }
}

pub fn run(a: Args) -> CmdResult {
    check_scheme(&a.scheme, "solve")?;
    let mut opts = a.search.options()?;
    let (challenge, msg) = match (&a.challenge, &a.salt, &a.difficulty) {
        (Some(path), _, _) => {
            let msg = ChallengeMsg::parse(&read_input(path)?)
                .map_err(|e| bad(anyhow!("challenge {path}: {e}")))?;
            (msg.challenge().map_err(bad)?, Some(msg))
        }
        (None, Some(salt), Some(d)) => {
            let d: Difficulty = d.parse().map_err(bad)?;
            (Sha256Bits::new(salt, d).map_err(bad)?, None)
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
        println!("{}", msg.verify_msg(&s.nonce).to_json());
    } else if a.json {
        let out = json!({
            "scheme": sha256_bits::NAME,
            "salt": c.salt(),
            "difficulty": c.difficulty().bits(),
            "nonce": s.nonce,
            "digest": s.digest.to_hex(),
            "zero_bits": s.digest.leading_zero_bits(),
            "hashes": s.hashes,
            "elapsed_ms": s.elapsed.as_secs_f64() * 1e3,
            "rate": s.rate(),
            "backend": s.backend.name(),
            "threads": s.threads,
        });
        println!("{out}");
    } else {
        println!("{}", s.nonce);
    }
    Ok(ExitCode::SUCCESS)
}
