//! `grind bench`: the hash rate of a backend on a fixed job, optionally next to a naive
//! `hash(prefix + decimal nonce)` loop measured in the same run with the same threads.

use std::fmt::Write as _;
use std::hint::black_box;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::anyhow;
use grindstone::Engine;
use grindstone::core::fixtures;
use grindstone::core::schemes::{hashcash, sha256_bits};
use grindstone::core::{HashAlg, Job};
use grindstone::cpu::{self, Backend, SearchOptions, Stop, default_threads};
use serde_json::json;

use super::{CmdResult, bad, si};

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Scheme of the bench job: sha256-bits (32-character salt), hashcash, or a peer
    /// scheme's job as its solver plans it: anubis, mcaptcha, cap (the fast order's
    /// layout), cap-salt48 (Cap with 48-character salts: the two-block layout), altcha
    /// (8-digit numbers of its full scan), go-away.
    #[arg(long, default_value = sha256_bits::NAME)]
    pub scheme: String,
    /// How long each measurement runs.
    #[arg(long, default_value = "1s", value_name = "DURATION", value_parser = super::duration_arg)]
    pub duration: Duration,
    /// Measure only this thread count (default: 1 and one per logical CPU).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Backend to measure: a CPU kernel, `gpu`, `hybrid`, or `all` (every available CPU
    /// kernel, and the GPU when a hardware one is present).
    #[arg(
        long,
        env = "GRIND_BACKEND",
        default_value = "all",
        value_name = "NAME"
    )]
    pub backend: BenchBackend,
    /// Skip the naive `hash(prefix + decimal nonce)` loop.
    #[arg(long, conflicts_with = "compare_naive")]
    pub no_naive: bool,
    /// Measure the naive loop too (the default; kept for scripts).
    #[arg(long, hide = true)]
    pub compare_naive: bool,
    /// GPU adapter for `gpu`/`hybrid`, by a substring of its name.
    #[arg(long, env = "GRIND_ADAPTER", value_name = "NAME")]
    pub adapter: Option<String>,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Measures the GPU (`hybrid`: GPU and CPU kernels together) on the bench job for `dur`;
/// the kernel is compiled before the clock starts. Returns the row and the adapter name.
#[cfg(feature = "gpu")]
fn device_row(
    engine: Engine,
    adapter: Option<&str>,
    allow_software: bool,
    scheme: &str,
    job: &Job,
    dur: Duration,
) -> Result<(Row, String), super::Failure> {
    use grindstone::engine::open_gpu;
    let g = open_gpu(adapter, allow_software).map_err(bad)?;
    g.prepare(job).map_err(|e| super::fail(anyhow!("{e}")))?;
    let name = g.adapter().to_string();
    let (hashes, seconds) = if engine == Engine::Gpu {
        let r = g
            .search_many(job, job.range(), 1, &Stop::after(Some(dur), None, None))
            .map_err(|e| super::fail(anyhow!("{e}")))?;
        (r.hashes, r.elapsed.as_secs_f64())
    } else {
        // The facade's hybrid search on a job of the same shape, stopped by the timeout.
        let c = if scheme == sha256_bits::NAME {
            grindstone::Challenge::sha256_bits(fixtures::BENCH_SALT, 64.0)
        } else {
            grindstone::Challenge::hashcash("bench@grindstone.example", 64)
        }
        .map_err(bad)?;
        let opts = grindstone::SolveOptions {
            engine,
            adapter: adapter.map(str::to_string),
            timeout: Some(dur),
            ..Default::default()
        };
        let t = Instant::now();
        match grindstone::solve(&c, &opts) {
            Err(grindstone::SolveError::TimedOut { hashes, .. }) => {
                (hashes, t.elapsed().as_secs_f64())
            }
            Ok(s) => (s.hashes, s.elapsed.as_secs_f64()),
            Err(e) => return Err(e.into()),
        }
    };
    Ok((
        Row {
            name: engine.name(),
            threads: 0,
            hashes,
            seconds,
        },
        name,
    ))
}

#[cfg(not(feature = "gpu"))]
fn device_row(
    _: Engine,
    _: Option<&str>,
    _: bool,
    _: &str,
    _: &Job,
    _: Duration,
) -> Result<(Row, String), super::Failure> {
    Err(bad(grindstone::engine::GpuError::NotBuilt))
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

/// One measurement.
struct Row {
    name: &'static str,
    threads: usize,
    hashes: u64,
    seconds: f64,
}

impl Row {
    fn rate(&self) -> f64 {
        self.hashes as f64 / self.seconds.max(1e-9)
    }
}

/// `grind bench --backend`: `all`, or one engine or kernel.
#[derive(Debug, Clone, Copy)]
pub enum BenchBackend {
    All,
    One(super::BackendArg),
}

impl std::str::FromStr for BenchBackend {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if s.trim().eq_ignore_ascii_case("all") {
            Ok(Self::All)
        } else {
            s.parse().map(Self::One)
        }
    }
}

pub fn run(a: Args) -> CmdResult {
    let dur = a.duration;
    if dur.is_zero() {
        return Err(bad(anyhow!("--duration must be more than zero")));
    }
    let thread_counts = match a.threads {
        Some(0) | None => {
            let n = default_threads();
            if n > 1 { vec![1, n] } else { vec![1] }
        }
        Some(t) => vec![t],
    };
    let (job, prefix) = bench_job(&a.scheme)?;
    let (all, engine, forced) = match a.backend {
        BenchBackend::All => (true, Engine::Auto, None),
        BenchBackend::One(b) => (false, b.engine, b.kernel),
    };
    if engine == Engine::Hybrid && ![sha256_bits::NAME, hashcash::NAME].contains(&&*a.scheme) {
        return Err(bad(anyhow!(
            "--backend hybrid benches the solver of sha256-bits and hashcash, not {}",
            a.scheme
        )));
    }
    let device = matches!(engine, Engine::Gpu | Engine::Hybrid);
    let backends = match (all, forced) {
        (true, _) => Backend::available(),
        (false, Some(b)) => vec![b],
        (false, None) if device => Vec::new(),
        (false, None) => vec![Backend::detect()],
    };
    let mut rows = Vec::new();
    let mut adapter = None;
    if device {
        let (row, name) = device_row(engine, a.adapter.as_deref(), true, &a.scheme, &job, dur)?;
        rows.push(row);
        adapter = Some(name);
    } else if all && grindstone::engine::GPU_BUILT {
        // A hardware GPU, when there is one (software adapters only when asked for).
        if let Ok((row, name)) = device_row(
            Engine::Gpu,
            a.adapter.as_deref(),
            false,
            &a.scheme,
            &job,
            dur,
        ) {
            rows.push(row);
            adapter = Some(name);
        }
    }
    for &b in &backends {
        for &threads in &thread_counts {
            let opts = SearchOptions {
                backend: b,
                threads,
                stop: Stop::after(Some(dur), None, None),
            };
            let r = cpu::search(&job, &opts).map_err(bad)?;
            rows.push(Row {
                name: b.name(),
                threads,
                hashes: r.hashes,
                seconds: r.elapsed.as_secs_f64(),
            });
        }
    }
    if !a.no_naive {
        for &threads in &thread_counts {
            let (hashes, e) = naive(job.alg(), &prefix, threads, dur);
            rows.push(Row {
                name: "naive",
                threads,
                hashes,
                seconds: e.as_secs_f64(),
            });
        }
    }
    let naive_rate = |t: usize| {
        rows.iter()
            .find(|r| r.name == "naive" && r.threads == t)
            .map(Row::rate)
    };
    let all_threads = *thread_counts.last().expect("at least one");
    if a.json {
        let results: Vec<_> = rows
            .iter()
            .map(|r| {
                let versus = if r.threads == 0 {
                    all_threads
                } else {
                    r.threads
                };
                json!({"backend": r.name,
                       "threads": (r.threads > 0).then_some(r.threads),
                       "adapter": if r.threads == 0 { adapter.clone() } else { None },
                       "hashes": r.hashes,
                       "seconds": r.seconds, "rate": r.rate(),
                       "speedup_vs_naive": naive_rate(versus).map(|n| r.rate() / n)})
            })
            .collect();
        let out = json!({
            "scheme": a.scheme,
            "hash": job.alg().name(),
            "duration_s": dur.as_secs_f64(),
            "detected": Backend::detect().name(),
            "results": results,
        });
        println!("{out}");
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "grind bench: {} ({}), {} per measurement, detected backend {}",
        a.scheme,
        job.alg(),
        humantime::format_duration(dur),
        Backend::detect()
    );
    let mut header = format!("{:<10}", "backend");
    for t in &thread_counts {
        header.push_str(&format!(
            "{:>16}",
            format!("{t} thread{}", if *t == 1 { "" } else { "s" })
        ));
    }
    if !a.no_naive {
        header.push_str(&format!("{:>12}", "vs naive"));
    }
    println!("{header}");
    let mut names: Vec<&str> = rows
        .iter()
        .filter(|r| r.threads > 0)
        .map(|r| r.name)
        .collect();
    names.dedup();
    for name in names {
        let mut line = format!("{name:<10}");
        let mut last = None;
        for &t in &thread_counts {
            let r = rows.iter().find(|r| r.name == name && r.threads == t);
            let cell = r
                .map(|r| format!("{}H/s", si(r.rate())))
                .unwrap_or_default();
            line.push_str(&format!("{cell:>16}"));
            last = r.map(|r| (r.rate(), t));
        }
        if let Some((rate, t)) = last
            && let Some(n) = naive_rate(t)
        {
            line.push_str(&format!("{:>11.2}x", rate / n));
        }
        println!("{line}");
    }
    for r in rows.iter().filter(|r| r.threads == 0) {
        let mut line = format!("{:<10}{:>16}", r.name, format!("{}H/s", si(r.rate())));
        if let Some(n) = naive_rate(all_threads) {
            line.push_str(&format!(
                "{:>11.2}x vs naive on {all_threads} thread{}",
                r.rate() / n,
                if all_threads == 1 { "" } else { "s" }
            ));
        }
        println!("{line}");
        if let Some(ad) = &adapter {
            println!("{:<10}adapter: {ad}", "");
        }
    }
    if !a.no_naive {
        println!(
            "naive: {}(prefix + decimal nonce) per candidate, with the same threads",
            job.alg()
        );
    }
    Ok(ExitCode::SUCCESS)
}
