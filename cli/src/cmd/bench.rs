//! `grind bench`: the hash rate of a backend on a fixed job, optionally next to a naive
//! `hash(prefix + decimal nonce)` loop measured in the same run with the same threads.

use std::fmt::Write as _;
use std::hint::black_box;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::anyhow;
use grindstone::core::schemes::sha256_bits;
use grindstone::core::{HashAlg, Job};
use grindstone::cpu::{self, Backend, SearchOptions, default_threads};
use grindstone::fixtures;
use serde_json::json;

use super::{CmdResult, bad, parse_duration, si};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Scheme of the bench job: sha256-bits (32-character salt) or hashcash.
    #[arg(long, default_value = sha256_bits::NAME)]
    pub scheme: String,
    /// How long to measure (each of the measurements).
    #[arg(long, default_value = "3s", value_name = "DURATION")]
    pub duration: String,
    /// Worker threads (0: one per logical CPU).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub threads: usize,
    /// Backend to measure, or `all` for each available one.
    #[arg(
        long,
        env = "GRIND_BACKEND",
        default_value = "auto",
        value_name = "NAME"
    )]
    pub backend: String,
    /// Also measure a naive `hash(prefix + decimal nonce)` loop with the same threads.
    #[arg(long)]
    pub compare_naive: bool,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

fn bench_job(scheme: &str) -> Result<(Job, Vec<u8>), super::Failure> {
    fixtures::bench_job(scheme).map_err(|e| bad(anyhow!("{e}")))
}

/// A naive loop: format `prefix + n`, hash it whole, test the digest. `threads` threads,
/// for `dur`. Returns (hashes, elapsed).
pub fn naive(alg: HashAlg, prefix: &[u8], threads: usize, dur: Duration) -> (u64, Duration) {
    use sha2::Digest as _;
    let total = AtomicU64::new(0);
    let start = Instant::now();
    let deadline = start + dur;
    std::thread::scope(|s| {
        for t in 0..threads {
            let total = &total;
            s.spawn(move || {
                let mut n = t as u64;
                let mut buf = String::new();
                let mut count = 0u64;
                let prefix = std::str::from_utf8(prefix).expect("ASCII prefix");
                while Instant::now() < deadline {
                    for _ in 0..4096 {
                        buf.clear();
                        buf.push_str(prefix);
                        let _ = write!(buf, "{n}");
                        let zero = match alg {
                            HashAlg::Sha256 => sha2::Sha256::digest(buf.as_bytes())[..4] == [0; 4],
                            HashAlg::Sha1 => sha1::Sha1::digest(buf.as_bytes())[..4] == [0; 4],
                        };
                        black_box(zero);
                        n += threads as u64;
                    }
                    count += 4096;
                }
                total.fetch_add(count, Ordering::Relaxed);
            });
        }
    });
    (total.into_inner(), start.elapsed())
}

pub fn run(a: Args) -> CmdResult {
    let dur = parse_duration(&a.duration).map_err(bad)?;
    let threads = if a.threads == 0 {
        default_threads()
    } else {
        a.threads
    };
    let (job, prefix) = bench_job(&a.scheme)?;
    let backends = if a.backend.trim().eq_ignore_ascii_case("all") {
        Backend::available()
    } else {
        vec![Backend::from_name(&a.backend).map_err(bad)?]
    };
    let mut rows = Vec::new();
    for b in backends {
        let opts = SearchOptions {
            backend: b,
            threads,
            deadline: Some(Instant::now() + dur),
            ..Default::default()
        };
        let r = cpu::search(&job, &opts).map_err(bad)?;
        rows.push((b, r.hashes, r.elapsed, r.rate()));
    }
    let naive = a.compare_naive.then(|| {
        let (h, e) = naive(job.alg(), &prefix, threads, dur);
        (h, e, h as f64 / e.as_secs_f64())
    });
    if a.json {
        let results: Vec<_> = rows
            .iter()
            .map(|(b, h, e, r)| {
                json!({"backend": b.name(), "hashes": h, "seconds": e.as_secs_f64(), "rate": r,
                       "speedup_vs_naive": naive.map(|n| r / n.2)})
            })
            .collect();
        let out = json!({
            "scheme": a.scheme,
            "threads": threads,
            "results": results,
            "naive": naive.map(|(h, e, r)| json!({"hashes": h, "seconds": e.as_secs_f64(), "rate": r})),
        });
        println!("{out}");
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "scheme {}, {threads} threads, {} per measurement",
        a.scheme,
        humantime::format_duration(dur)
    );
    for (b, h, e, r) in &rows {
        let vs = naive
            .map(|n| format!("  {:.2}x naive", r / n.2))
            .unwrap_or_default();
        println!(
            "{:<10} {}H/s  ({}hashes in {:.2} s){vs}",
            b.name(),
            si(*r),
            si(*h as f64),
            e.as_secs_f64()
        );
    }
    if let Some((h, e, r)) = naive {
        println!(
            "{:<10} {}H/s  ({}hashes in {:.2} s): {}(prefix + decimal nonce) per candidate",
            "naive",
            si(r),
            si(h as f64),
            e.as_secs_f64(),
            job.alg()
        );
    }
    Ok(ExitCode::SUCCESS)
}
