//! `grind mint` and `grind check`: hashcash version-1 stamps, with options modelled on
//! `hashcash -m` and `hashcash -c`.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::spentdb::{DEFAULT_FILE, SpentDb};
use anyhow::anyhow;
use grindstone::core::Rejection;
use grindstone::core::schemes::hashcash::{
    self, CheckPolicy, DateWidth, MintRequest, Stamp, stamps_in_text,
};
use grindstone::{Challenge, random_rand, solve, unix_now};
use serde_json::json;

use super::progress::Progress;
use super::{CmdResult, EXIT_BAD_INPUT, EXIT_FAIL, SearchArgs, bad, parse_duration, read_input};

#[derive(clap::Args, Debug)]
pub struct MintArgs {
    /// Resources to mint stamps for (one stamp each).
    #[arg(value_name = "RESOURCE")]
    pub resources: Vec<String>,
    /// Resource to mint a stamp for (same as a positional RESOURCE).
    #[arg(short = 'r', long = "resource", value_name = "RESOURCE")]
    pub resource: Vec<String>,
    /// Bits of work.
    #[arg(short = 'b', long, default_value_t = 20)]
    pub bits: u32,
    /// Extension field.
    #[arg(short = 'x', long, default_value = "")]
    pub ext: String,
    /// Stamp date: YYMMDD[hhmm[ss]] (UTC), or an offset from now such as -1d or +2h.
    #[arg(short = 't', long, value_name = "TIME", allow_hyphen_values = true)]
    pub time: Option<String>,
    /// Width of the date field: 6, 10 or 12.
    #[arg(short = 'z', long, default_value_t = 6)]
    pub width: u32,
    /// Print as an `X-Hashcash:` header.
    #[arg(short = 'X', long)]
    pub header: bool,
    /// No warnings, no progress display.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Print stamp, digest, hashes tried, elapsed time and rate as JSON (one line each).
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub search: SearchArgs,
}

#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// Stamps to check; with none, stamps are read from stdin (one per line; `X-Hashcash:`
    /// headers and folded lines are understood).
    #[arg(value_name = "STAMP")]
    pub stamps: Vec<String>,
    /// Bits required (default: what the stamp claims).
    #[arg(short = 'b', long)]
    pub bits: Option<u32>,
    /// Resource the stamp must be for (default: not checked).
    #[arg(short = 'r', long)]
    pub resource: Option<String>,
    /// Match the resource case-sensitively.
    #[arg(short = 'C', long)]
    pub case_sensitive: bool,
    /// Validity period after the stamp's date (e.g. 28d, 12h; `forever` for none).
    #[arg(short = 'e', long, default_value = "28d", value_name = "PERIOD")]
    pub expiry: String,
    /// Grace period for clock skew.
    #[arg(short = 'g', long, default_value = "2d", value_name = "PERIOD")]
    pub grace: String,
    /// Check as of this time: YYMMDD[hhmm[ss]] (UTC) or an offset from now (-1d, +2h).
    #[arg(short = 't', long, value_name = "TIME", allow_hyphen_values = true)]
    pub time: Option<String>,
    /// Use the double-spend database: refuse spent stamps, record accepted ones.
    #[arg(short = 'd', long)]
    pub db: bool,
    /// Double-spend database file (hashcash's format).
    #[arg(short = 'f', long, default_value = DEFAULT_FILE, value_name = "FILE")]
    pub db_file: PathBuf,
    /// Print nothing; the exit code tells.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Print one JSON object per stamp.
    #[arg(long)]
    pub json: bool,
}

/// `YYMMDD[hhmm[ss]]`, or a signed offset from now (`-1d`, `+2h`).
fn parse_time(t: Option<&str>) -> Result<i64, super::Failure> {
    let now = unix_now();
    let Some(t) = t.map(str::trim) else {
        return Ok(now);
    };
    if let Some(rest) = t.strip_prefix('+') {
        return Ok(now + parse_duration(rest).map_err(bad)?.as_secs() as i64);
    }
    if let Some(rest) = t.strip_prefix('-') {
        return Ok(now - parse_duration(rest).map_err(bad)?.as_secs() as i64);
    }
    if t == "now" {
        return Ok(now);
    }
    hashcash::parse_date(t).map_err(bad)
}

pub fn mint(a: MintArgs) -> CmdResult {
    let mut resources = a.resources.clone();
    resources.extend(a.resource.iter().cloned());
    if resources.is_empty() {
        return Err(bad(anyhow!("give a resource to mint a stamp for")));
    }
    let width = DateWidth::from_chars(a.width).map_err(bad)?;
    let date = parse_time(a.time.as_deref())?;
    let mut opts = a.search.options();
    // Validate every request before spending time on any.
    let mut requests = Vec::new();
    for r in &resources {
        let req = MintRequest {
            bits: a.bits,
            resource: r.clone(),
            ext: a.ext.clone(),
            date,
            date_width: width,
            rand: random_rand(),
        };
        req.plan()
            .map_err(|e| bad(anyhow!("resource {r:?}: {e}")))?;
        if r.contains(':') && !a.quiet {
            eprintln!(
                "grind: warning: resource {r:?} contains ':'; grind reads it back whole, \
                 but hashcash 1.22 reads it as {:?}",
                r.split(':').next().unwrap_or_default()
            );
        }
        requests.push(req);
    }
    for req in requests {
        let challenge = Challenge::Hashcash(req);
        let progress = Progress::start(!a.json && !a.quiet, challenge.expected_hashes());
        opts.progress = Some(progress.counter());
        let result = solve(&challenge, &opts);
        drop(progress);
        let s = result?;
        if a.json {
            let out = json!({
                "stamp": s.nonce,
                "digest": s.digest.to_hex(),
                "zero_bits": s.digest.leading_zero_bits(),
                "hashes": s.hashes,
                "elapsed_ms": s.elapsed.as_secs_f64() * 1e3,
                "rate": s.rate(),
                "backend": s.backend.map(|b| b.name()),
                "threads": s.threads,
                "engine": s.engine.name(),
            });
            println!("{out}");
        } else if a.header {
            println!("X-Hashcash: {}", s.nonce);
        } else {
            println!("{}", s.nonce);
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn check(a: CheckArgs) -> CmdResult {
    let mut policy = CheckPolicy::new(parse_time(a.time.as_deref())?);
    policy.required_bits = a.bits;
    policy.resource = a.resource.clone();
    policy.case_sensitive = a.case_sensitive;
    policy.validity = match a.expiry.trim() {
        "forever" | "never" => None,
        e => Some(parse_duration(e).map_err(bad)?),
    };
    policy.grace = parse_duration(&a.grace).map_err(bad)?;
    let texts = if a.stamps.is_empty() {
        stamps_in_text(&read_input("-")?)
    } else {
        a.stamps.iter().flat_map(|s| stamps_in_text(s)).collect()
    };
    if texts.is_empty() {
        return Err(bad(anyhow!("no stamp given")));
    }
    // Parse everything first: a malformed stamp is bad input, decided before any
    // stamp is recorded as spent.
    let stamps: Vec<Stamp> = texts
        .iter()
        .map(|t| Stamp::parse(t))
        .collect::<Result<_, _>>()
        .map_err(bad)?;
    let mut db = if a.db {
        Some(SpentDb::open(&a.db_file).map_err(|e| super::Failure {
            code: EXIT_BAD_INPUT,
            error: e.into(),
        })?)
    } else {
        None
    };
    let mut all_ok = true;
    for stamp in &stamps {
        let mut verdict = hashcash::check(stamp, &policy);
        if let (Ok(_), Some(db)) = (&verdict, db.as_mut()) {
            let validity = policy.validity.map(|v| v.as_secs()).unwrap_or(0);
            if !db.spend(stamp.text(), validity).map_err(bad)? {
                verdict = Err(Rejection::Spent);
            }
        }
        all_ok &= verdict.is_ok();
        if a.quiet {
            continue;
        }
        match (&verdict, a.json) {
            (Ok(c), true) => println!(
                "{}",
                json!({"stamp": stamp.text(), "valid": true, "bits": c.bits,
                       "zero_bits": c.zero_bits, "resource": stamp.resource(),
                       "expires_at": c.expires_at, "double_spend_checked": a.db})
            ),
            (Err(r), true) => println!(
                "{}",
                json!({"stamp": stamp.text(), "valid": false, "reason": r.to_string(),
                       "resource": stamp.resource()})
            ),
            (Ok(c), false) => println!(
                "ok: {} ({} bits claimed, {} found)",
                stamp.text(),
                c.bits,
                c.zero_bits
            ),
            (Err(r), false) => println!("invalid: {}: {r}", stamp.text()),
        }
    }
    if all_ok && !a.quiet && !a.json {
        let mut unchecked = Vec::new();
        if a.resource.is_none() {
            unchecked.push("resource (-r)");
        }
        if a.bits.is_none() {
            unchecked.push("required bits (-b)");
        }
        if !a.db {
            unchecked.push("double spending (-d)");
        }
        if !unchecked.is_empty() {
            eprintln!("grind: note: not checked: {}", unchecked.join(", "));
        }
    }
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FAIL)
    })
}
