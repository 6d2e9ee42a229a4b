//! `grind verify`.

use std::process::ExitCode;

use anyhow::anyhow;
use grindstone::core::schemes::captcha_mcp::{VerifyMsg, difficulty_of};
use grindstone::core::schemes::sha256_bits::Sha256Bits;
use grindstone::core::schemes::{Scheme, Secrets};
use grindstone::core::{Difficulty, VerifyError};
use serde_json::json;

use super::{CmdResult, EXIT_FAIL, bad, read_input};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// A captcha-mcp `verify` request (`{salt, nonce, id, signature, algo, difficulty}`) in a
    /// file, or `-` for stdin. With a peer `--scheme`: anubis `{randomData, difficulty,
    /// nonce, response}`; mcaptcha `{salt, string, difficulty_factor, nonce, result}`; cap
    /// the challenge response plus `"solutions"`; altcha the payload (base64 or JSON).
    #[arg(value_name = "REQUEST", conflicts_with_all = ["salt", "nonce"])]
    pub request: Option<String>,
    /// The salt.
    #[arg(long, requires = "nonce")]
    pub salt: Option<String>,
    /// The nonce to check (repeat for a multi-solution challenge).
    #[arg(long, requires = "salt")]
    pub nonce: Vec<String>,
    /// Solutions the challenge asks for (K distinct nonces, each at `difficulty - log2 K`).
    #[arg(long, short = 'k', value_name = "K", default_value_t = 1)]
    pub solutions: u32,
    /// Required difficulty in bits; overrides the request's own `difficulty`.
    #[arg(long, short = 'd', value_name = "BITS", allow_hyphen_values = true)]
    pub difficulty: Option<Difficulty>,
    /// Challenge scheme (`grind schemes` lists them).
    #[arg(long, default_value_t = Scheme::Sha256Bits)]
    pub scheme: Scheme,
    /// Print the verdict as JSON.
    #[arg(long)]
    pub json: bool,
    /// The HMAC key, for schemes whose server signs challenges (altcha).
    #[arg(long, env = "GRIND_VERIFY_SECRET", hide_env_values = true)]
    pub secret: Option<String>,
    /// ALTCHA v2's key-signature secret (altcha-lib's `hmacKeySignatureSecret`): a
    /// challenge with a `keySignature` then accepts only the exact key the server derived.
    #[arg(
        long,
        env = "GRIND_VERIFY_KEY_SECRET",
        hide_env_values = true,
        requires = "secret"
    )]
    pub key_secret: Option<String>,
}

pub fn run(a: Args) -> CmdResult {
    super::solve::check_scheme(a.scheme, "verify")?;
    if a.scheme.is_peer() {
        let path = a.request.as_deref().ok_or_else(|| {
            bad(anyhow!(
                "--scheme {} reads the answer to check from a file or - (stdin)",
                a.scheme
            ))
        })?;
        let text = read_input(path)?;
        let secrets = Secrets {
            hmac: a.secret.as_deref().map(str::as_bytes),
            key_signature: a.key_secret.as_deref().map(str::as_bytes),
        };
        return match grindstone::peers::verify_with(a.scheme, &text, secrets) {
            Ok(v) => {
                if a.json {
                    println!("{v}");
                } else {
                    println!("valid ({})", a.scheme);
                }
                Ok(ExitCode::SUCCESS)
            }
            Err(VerifyError::Malformed(e)) => Err(bad(e)),
            Err(VerifyError::Rejected(r)) => {
                if a.json {
                    println!("{}", json!({"valid": false, "reason": r.to_string()}));
                } else {
                    println!("invalid: {r}");
                }
                Ok(ExitCode::from(EXIT_FAIL))
            }
        };
    }
    let flag_d = a.difficulty;
    let (salt, nonces, d) = match (&a.request, &a.salt, a.nonce.is_empty()) {
        (Some(path), _, _) => {
            let m = VerifyMsg::parse(&read_input(path)?)
                .map_err(|e| bad(anyhow!("request {path}: {e}")))?;
            let d = match (flag_d, &m.difficulty) {
                (Some(d), _) => d,
                (None, Some(n)) => difficulty_of(n).map_err(bad)?,
                (None, None) => {
                    return Err(bad(anyhow!(
                        "the request has no difficulty: pass --difficulty"
                    )));
                }
            };
            let nonces: Vec<String> = m.all_nonces().iter().map(|n| n.to_string()).collect();
            (m.salt, nonces, d)
        }
        (None, Some(s), false) => {
            let d = flag_d.ok_or_else(|| bad(anyhow!("--difficulty is required")))?;
            (s.clone(), a.nonce.clone(), d)
        }
        _ => {
            return Err(bad(anyhow!(
                "give a request file (or - for stdin), or --salt and --nonce"
            )));
        }
    };
    let challenge = Sha256Bits::new(&salt, d)
        .and_then(|c| c.with_solutions(a.solutions))
        .map_err(bad)?;
    match challenge.verify_all(&nonces) {
        Ok(proofs) => {
            let p = proofs
                .iter()
                .min_by_key(|p| p.zero_bits)
                .copied()
                .expect("at least one solution");
            if a.json {
                let out = json!({
                    "valid": true,
                    "digest": p.digest.to_hex(),
                    "zero_bits": p.zero_bits,
                    "difficulty": d.bits(),
                });
                println!("{out}");
            } else {
                println!(
                    "valid: {} leading zero bits (difficulty {d}), digest {}",
                    p.zero_bits, p.digest
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(VerifyError::Malformed(e)) => Err(bad(e)),
        Err(VerifyError::Rejected(r)) => {
            if a.json {
                println!("{}", json!({"valid": false, "reason": r.to_string()}));
            } else {
                println!("invalid: {r}");
            }
            Ok(ExitCode::from(EXIT_FAIL))
        }
    }
}
