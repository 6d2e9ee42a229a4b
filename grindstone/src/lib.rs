//! # grindstone
//!
//! Solve and verify proof-of-work challenges from agent code, without the CLI:
//!
//! ```
//! use grindstone::{Challenge, SolveOptions};
//!
//! let challenge = Challenge::sha256_bits("hello", 12.0)?;
//! let solved = grindstone::solve(&challenge, &SolveOptions::default())?;
//! assert!(grindstone::verify_sha256_bits("hello", &solved.nonce, 12.0).is_ok());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! This crate is the library agents, the Python package and the `grind` command build
//! on: a facade over `grindstone-core` (schemes, jobs, verification) and `grindstone-cpu`
//! (the parallel search), re-exported as [`core`] and [`cpu`]. It adds engine choice
//! (CPU, GPU with the `gpu` feature, hybrid), timeouts, the peer schemes ([`peers`]) and
//! the client side of the gate protocol ([`client`]; [`http`] with the `reqwest`
//! feature). It carries no server, command-line or plotting dependency.

#![warn(missing_docs)]

pub mod client;
pub mod engine;
#[cfg(feature = "reqwest")]
pub mod http;
pub mod peers;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub use engine::Engine;
pub use grindstone_core as core;
pub use grindstone_cpu as cpu;

use grindstone_core::schemes::hashcash::{self, DateWidth, MintRequest};
use grindstone_core::schemes::sha256_bits::{self, Sha256Bits};
use grindstone_core::{Difficulty, Digest, Job, VerifyError};
use grindstone_cpu::{Backend, Outcome, SearchOptions};

use engine::GpuError;

/// Why a solve produced no solution.
#[derive(Debug, thiserror::Error)]
pub enum SolveError {
    /// The challenge or an option is unusable.
    #[error(transparent)]
    BadInput(#[from] grindstone_core::Error),
    /// The searcher could not run (unknown or unavailable backend, no threads).
    #[error(transparent)]
    Searcher(#[from] grindstone_cpu::Error),
    /// The GPU could not be used (`--backend gpu|hybrid`), or failed.
    #[error(transparent)]
    Gpu(#[from] GpuError),
    /// The timeout passed first.
    #[error("no solution within {timeout:?} ({hashes} hashes tried)")]
    TimedOut {
        /// The timeout.
        timeout: Duration,
        /// Hashes tried.
        hashes: u64,
    },
    /// The cancel flag was raised.
    #[error("cancelled after {hashes} hashes")]
    Cancelled {
        /// Hashes tried.
        hashes: u64,
    },
    /// The whole nonce space was searched without a solution.
    #[error("no solution in the nonce space ({hashes} hashes tried)")]
    Exhausted {
        /// Hashes tried.
        hashes: u64,
    },
}

impl SolveError {
    /// Whether the error is the caller's input (as opposed to running out of time).
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            SolveError::BadInput(_)
                | SolveError::Searcher(_)
                | SolveError::Gpu(
                    GpuError::NotBuilt | GpuError::Open(_) | GpuError::Unsupported(_)
                )
        )
    }
}

/// How to solve.
#[derive(Debug, Clone, Default)]
pub struct SolveOptions {
    /// Worker threads; `0` (the default) means one per logical CPU.
    pub threads: usize,
    /// Give up after this long.
    pub timeout: Option<Duration>,
    /// Force a CPU backend; `None` picks the fastest available one.
    pub backend: Option<Backend>,
    /// CPU, GPU, both, or `auto` (see [`engine`]).
    pub engine: Engine,
    /// The GPU adapter to use, by a substring of its name (`grind info` lists them).
    pub adapter: Option<String>,
    /// Give up when this becomes `true`.
    pub cancel: Option<Arc<AtomicBool>>,
    /// Hashes tried are added here as the search goes (for progress displays).
    pub progress: Option<Arc<AtomicU64>>,
}

/// A challenge to solve.
#[derive(Debug, Clone)]
pub enum Challenge {
    /// `sha256-bits`: SHA-256(salt + nonce) with `d` leading zero bits.
    Sha256Bits(Sha256Bits),
    /// A hashcash version-1 stamp to mint.
    Hashcash(MintRequest),
}

impl Challenge {
    /// A `sha256-bits` challenge.
    pub fn sha256_bits(salt: &str, difficulty: f64) -> Result<Self, grindstone_core::Error> {
        Ok(Self::Sha256Bits(Sha256Bits::new(
            salt,
            Difficulty::new(difficulty)?,
        )?))
    }

    /// A hashcash stamp for `resource` at `bits`, dated now (UTC, `YYMMDD`), with a fresh
    /// random field and an empty extension.
    pub fn hashcash(resource: &str, bits: u32) -> Result<Self, grindstone_core::Error> {
        Ok(Self::Hashcash(MintRequest {
            bits,
            resource: resource.to_string(),
            ext: String::new(),
            date: unix_now(),
            date_width: DateWidth::Day,
            rand: random_rand(),
        }))
    }

    /// Expected hashes to solve.
    pub fn expected_hashes(&self) -> f64 {
        match self {
            Challenge::Sha256Bits(c) => c.difficulty().expected_hashes(),
            Challenge::Hashcash(m) => f64::from(m.bits).exp2(),
        }
    }
}

/// A solution and how it was found.
#[derive(Debug, Clone)]
pub struct Solved {
    /// The nonce (`sha256-bits`) or the whole stamp (`hashcash`); for multi-solution
    /// challenges, the first of [`Solved::nonces`].
    pub nonce: String,
    /// Every solution: one, or `k` distinct nonces for a multi-solution challenge, in
    /// nonce-index order.
    pub nonces: Vec<String>,
    /// The digest of the (first) solution.
    pub digest: Digest,
    /// Candidates hashed.
    pub hashes: u64,
    /// Wall time.
    pub elapsed: Duration,
    /// CPU backend used (when the CPU took part).
    pub backend: Backend,
    /// Threads used.
    pub threads: usize,
    /// Where the search ran: [`Engine::Cpu`], [`Engine::Gpu`] or [`Engine::Hybrid`].
    pub engine: Engine,
    /// The GPU adapter, when a GPU took part.
    pub adapter: Option<String>,
}

impl Solved {
    /// Hashes per second.
    pub fn rate(&self) -> f64 {
        self.hashes as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Current Unix time in seconds.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A fresh 16-character hashcash `rand` field from the OS's random source.
pub fn random_rand() -> String {
    let mut b = [0u8; 12];
    getrandom::fill(&mut b).expect("the OS random source is available");
    hashcash::rand_field(b)
}

/// How one side of a search ended, before it becomes a [`Solved`] or an error.
struct Ran {
    outcome: Outcome,
    hits: Vec<(u64, Digest)>,
    hashes: u64,
    backend: Backend,
    threads: usize,
    engine: Engine,
    adapter: Option<String>,
}

fn finish(
    r: Ran,
    started: Instant,
    opts: &SolveOptions,
    render: impl Fn(u64) -> String,
) -> Result<Solved, SolveError> {
    match r.outcome {
        Outcome::Found { index, digest } => Ok(Solved {
            nonce: render(index),
            nonces: r.hits.iter().map(|h| render(h.0)).collect(),
            digest,
            hashes: r.hashes,
            elapsed: started.elapsed(),
            backend: r.backend,
            threads: r.threads,
            engine: r.engine,
            adapter: r.adapter,
        }),
        Outcome::TimedOut => Err(SolveError::TimedOut {
            timeout: opts.timeout.unwrap_or_default(),
            hashes: r.hashes,
        }),
        Outcome::Cancelled => Err(SolveError::Cancelled { hashes: r.hashes }),
        Outcome::Exhausted => Err(SolveError::Exhausted { hashes: r.hashes }),
    }
}

fn run_cpu(
    job: &Job,
    range: std::ops::Range<u64>,
    k: u32,
    opts: &SolveOptions,
    deadline: Option<Instant>,
    cancel: Option<Arc<AtomicBool>>,
) -> Result<Ran, SolveError> {
    let search = SearchOptions {
        backend: opts.backend.unwrap_or_else(Backend::detect),
        threads: opts.threads,
        deadline,
        cancel,
        progress: opts.progress.clone(),
    };
    let many = grindstone_cpu::search_many(job, range, k as usize, &search)?;
    Ok(Ran {
        outcome: many.report.outcome,
        hits: many.hits,
        hashes: many.report.hashes,
        backend: many.report.backend,
        threads: many.report.threads,
        engine: Engine::Cpu,
        adapter: None,
    })
}

#[cfg(feature = "gpu")]
fn run_gpu(
    g: &engine::gpu::Gpu,
    job: &Job,
    range: std::ops::Range<u64>,
    k: u32,
    opts: &SolveOptions,
    deadline: Option<Instant>,
    cancel: Option<Arc<AtomicBool>>,
) -> Result<Ran, SolveError> {
    use engine::gpu::{End, Options};
    let r = g
        .search_many(
            job,
            range,
            k as usize,
            &Options {
                deadline,
                cancel,
                progress: opts.progress.clone(),
            },
        )
        .map_err(GpuError::from)?;
    let outcome = match r.end {
        End::Found => Outcome::Found {
            index: r.hits[0].0,
            digest: r.hits[0].1,
        },
        End::Exhausted => Outcome::Exhausted,
        End::TimedOut => Outcome::TimedOut,
        End::Cancelled => Outcome::Cancelled,
    };
    Ok(Ran {
        outcome,
        hits: r.hits,
        hashes: r.hashes,
        backend: opts.backend.unwrap_or_else(Backend::detect),
        threads: 0,
        engine: Engine::Gpu,
        adapter: Some(g.adapter().name.clone()),
    })
}

/// The GPU on the lower half of the range, the CPU kernels on the upper half; the first
/// side with all `k` solutions stops the other.
#[cfg(feature = "gpu")]
fn run_hybrid(
    g: &engine::gpu::Gpu,
    job: &Job,
    k: u32,
    opts: &SolveOptions,
    deadline: Option<Instant>,
) -> Result<Ran, SolveError> {
    let jr = job.range();
    let mid = jr.start + (jr.end - jr.start) / 2;
    let stop = Arc::new(AtomicBool::new(false));
    let done = AtomicBool::new(false);
    let (gpu, cpu) = std::thread::scope(|s| {
        // The caller's cancel flag, relayed to both sides.
        if let Some(c) = opts.cancel.clone() {
            let (stop, done) = (stop.clone(), &done);
            s.spawn(move || {
                while !done.load(std::sync::atomic::Ordering::Relaxed) {
                    if c.load(std::sync::atomic::Ordering::Relaxed) {
                        stop.store(true, std::sync::atomic::Ordering::Relaxed);
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(2));
                }
            });
        }
        let g_side = s.spawn(|| {
            let r = run_gpu(g, job, jr.start..mid, k, opts, deadline, Some(stop.clone()));
            if matches!(&r, Ok(r) if matches!(r.outcome, Outcome::Found { .. })) {
                stop.store(true, std::sync::atomic::Ordering::Relaxed);
            }
            r
        });
        let cpu = run_cpu(job, mid..jr.end, k, opts, deadline, Some(stop.clone()));
        if matches!(&cpu, Ok(r) if matches!(r.outcome, Outcome::Found { .. })) {
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        let gpu = g_side.join().expect("the GPU side does not panic");
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        (gpu, cpu)
    });
    let cpu = cpu?;
    let gpu = match gpu {
        Ok(r) => r,
        Err(e) => {
            engine::notice_once(&format!("the GPU failed ({e}); the CPU searched alone"));
            return Ok(cpu);
        }
    };
    let hashes = gpu.hashes + cpu.hashes;
    let user_cancelled = opts
        .cancel
        .as_ref()
        .is_some_and(|c| c.load(std::sync::atomic::Ordering::Relaxed));
    let mut best = match (&gpu.outcome, &cpu.outcome) {
        (Outcome::Found { .. }, _) => gpu,
        (_, Outcome::Found { .. }) => Ran {
            adapter: gpu.adapter,
            ..cpu
        },
        _ if user_cancelled => Ran {
            outcome: Outcome::Cancelled,
            ..cpu
        },
        (Outcome::TimedOut, _) | (_, Outcome::TimedOut) => Ran {
            outcome: Outcome::TimedOut,
            ..cpu
        },
        _ => cpu,
    };
    best.hashes = hashes;
    best.engine = Engine::Hybrid;
    best.threads = best.threads.max(opts.threads);
    Ok(best)
}

/// Searches a planned job for `k` solutions with the options on the engine they ask
/// for; `expected` is the challenge's expected hash count (for [`Engine::Auto`]);
/// `render` turns a winning index into solution text.
fn run(
    job: &Job,
    k: u32,
    expected: f64,
    opts: &SolveOptions,
    render: impl Fn(u64) -> String,
) -> Result<Solved, SolveError> {
    let started = Instant::now();
    let deadline = opts.timeout.map(|t| started + t);
    #[cfg(not(feature = "gpu"))]
    let _ = expected; // only `auto`'s GPU choice reads it
    let ran = match opts.engine {
        Engine::Cpu => run_cpu(job, job.range(), k, opts, deadline, opts.cancel.clone())?,
        #[cfg(feature = "gpu")]
        Engine::Auto => {
            let mut ran = None;
            if expected >= engine::AUTO_GPU_MIN_HASHES && engine::gpu::Gpu::supports(job) {
                match engine::open_gpu(opts.adapter.as_deref(), false) {
                    Ok(g) => {
                        match run_gpu(&g, job, job.range(), k, opts, deadline, opts.cancel.clone())
                        {
                            Ok(r) => ran = Some(r),
                            Err(e) => engine::notice_once(&format!(
                                "the GPU failed ({e}); searching on the CPU"
                            )),
                        }
                    }
                    // No hardware GPU: the CPU, silently.
                    Err(GpuError::Open(_)) => {}
                    Err(e) => engine::notice_once(&format!("{e}; searching on the CPU")),
                }
            }
            match ran {
                Some(r) => r,
                None => run_cpu(job, job.range(), k, opts, deadline, opts.cancel.clone())?,
            }
        }
        #[cfg(not(feature = "gpu"))]
        Engine::Auto => run_cpu(job, job.range(), k, opts, deadline, opts.cancel.clone())?,
        #[cfg(feature = "gpu")]
        Engine::Gpu | Engine::Hybrid => {
            let g = engine::open_gpu(opts.adapter.as_deref(), true)?;
            engine::gpu::Gpu::check_supported(job).map_err(GpuError::from)?;
            if opts.engine == Engine::Gpu {
                run_gpu(&g, job, job.range(), k, opts, deadline, opts.cancel.clone())?
            } else {
                run_hybrid(&g, job, k, opts, deadline)?
            }
        }
        #[cfg(not(feature = "gpu"))]
        Engine::Gpu | Engine::Hybrid => return Err(GpuError::NotBuilt.into()),
    };
    finish(ran, started, opts, render)
}

/// Solves a challenge. Every solution returned has been confirmed by the core's exact
/// check; without a timeout the result is the scheme's lowest nonce index, independent of
/// the thread count.
pub fn solve(challenge: &Challenge, opts: &SolveOptions) -> Result<Solved, SolveError> {
    match challenge {
        Challenge::Sha256Bits(c) => {
            let plan = c.plan();
            let expected = c.difficulty().expected_hashes();
            run(plan.job(), c.solutions(), expected, opts, |i| plan.nonce(i))
        }
        Challenge::Hashcash(m) => {
            let plan = m.plan()?;
            let expected = challenge.expected_hashes();
            run(plan.job(), 1, expected, opts, |i| plan.stamp(i))
        }
    }
}

/// Verifies a `sha256-bits` solution: `Ok` with the digest's evidence, or why not.
pub fn verify_sha256_bits(
    salt: &str,
    nonce: &str,
    difficulty: f64,
) -> Result<sha256_bits::Proof, VerifyError> {
    let c = Sha256Bits::new(salt, Difficulty::new(difficulty)?)?;
    c.verify(nonce)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solve_and_verify_both_schemes() {
        let c = Challenge::sha256_bits("facade", 10.0).unwrap();
        let s = solve(&c, &SolveOptions::default()).unwrap();
        assert!(verify_sha256_bits("facade", &s.nonce, 10.0).is_ok());

        let c = Challenge::hashcash("facade@example.com", 10).unwrap();
        let s = solve(&c, &SolveOptions::default()).unwrap();
        let stamp = hashcash::Stamp::parse(&s.nonce).unwrap();
        let mut p = hashcash::CheckPolicy::new(unix_now());
        p.resource = Some("facade@example.com".into());
        p.required_bits = Some(10);
        assert!(hashcash::check(&stamp, &p).unwrap().zero_bits >= 10);
    }

    #[test]
    fn multi_solution_solve() {
        let c = Sha256Bits::new("multi", Difficulty::new(14.0).unwrap())
            .unwrap()
            .with_solutions(16)
            .unwrap();
        let s = solve(&Challenge::Sha256Bits(c.clone()), &SolveOptions::default()).unwrap();
        assert_eq!(s.nonces.len(), 16);
        assert_eq!(s.nonce, s.nonces[0]);
        assert_eq!(c.verify_all(&s.nonces).unwrap().len(), 16);
    }

    #[test]
    fn timeout_is_an_error_not_a_hang() {
        let c = Challenge::sha256_bits("slow", 200.0).unwrap();
        let opts = SolveOptions {
            timeout: Some(Duration::from_millis(50)),
            ..Default::default()
        };
        let e = solve(&c, &opts).unwrap_err();
        assert!(matches!(e, SolveError::TimedOut { .. }));
        assert!(!e.is_bad_input());
    }
}
