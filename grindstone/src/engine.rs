//! Where a search runs: the CPU kernels, a GPU (wgpu), or both.
//!
//! * [`Engine::Cpu`]: the CPU kernels only.
//! * [`Engine::Gpu`]: the GPU only (any adapter, software ones such as lavapipe included,
//!   unless [`SolveOptions::adapter`](crate::SolveOptions::adapter) names one).
//! * [`Engine::Hybrid`]: the GPU searches the lower half of the nonce space while the CPU
//!   kernels search the upper half; the first to finish wins and stops the other.
//! * [`Engine::Auto`] (the default): the CPU, or a hardware GPU when one is present and
//!   the challenge is hard enough to repay opening it ([`AUTO_GPU_MIN_HASHES`]). Software
//!   adapters are never picked automatically. When the GPU fails, the search falls back
//!   to the CPU and says so once on stderr.
//!
//! Opened GPUs are kept for the life of the process, so only the first GPU search pays
//! for device creation and shader compilation.

use std::fmt;
use std::ops::Range;
use std::str::FromStr;
#[cfg(feature = "gpu")]
use std::{
    collections::HashMap,
    sync::atomic::{AtomicBool, Ordering},
    sync::{Arc, Mutex, OnceLock},
};

use grindstone_core::{Job, Outcome, Report, Stop};
use grindstone_cpu::Backend;

use crate::{SolveError, SolveOptions, Solved};

#[cfg(feature = "gpu")]
pub use grindstone_gpu as gpu;

/// Where a search runs (see the [module documentation](self)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Engine {
    /// The CPU, or a hardware GPU for hard challenges.
    #[default]
    Auto,
    /// The CPU kernels only.
    Cpu,
    /// The GPU only.
    Gpu,
    /// The GPU and the CPU kernels side by side.
    Hybrid,
}

impl Engine {
    /// The engine's name (`auto`, `cpu`, `gpu`, `hybrid`).
    pub fn name(self) -> &'static str {
        match self {
            Engine::Auto => "auto",
            Engine::Cpu => "cpu",
            Engine::Gpu => "gpu",
            Engine::Hybrid => "hybrid",
        }
    }
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Engine {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(Engine::Auto),
            "cpu" => Ok(Engine::Cpu),
            "gpu" => Ok(Engine::Gpu),
            "hybrid" => Ok(Engine::Hybrid),
            other => Err(format!(
                "unknown engine {other:?} (known: auto, cpu, gpu, hybrid)"
            )),
        }
    }
}

/// `auto` opens a GPU only for challenges expected to take at least this many hashes
/// (about two seconds of a fast CPU): below that, device creation and shader compilation
/// would cost more than they save.
pub const AUTO_GPU_MIN_HASHES: f64 = (1u64 << 28) as f64;

/// Whether this build has the GPU backend (the `gpu` cargo feature).
pub const GPU_BUILT: bool = cfg!(feature = "gpu");

/// Why no GPU could be used.
#[derive(Debug, Clone, thiserror::Error)]
pub enum GpuError {
    /// The build has no GPU backend.
    #[error("this build of grindstone has no GPU backend (cargo feature `gpu`)")]
    NotBuilt,
    /// No adapter matched, or it would not open.
    #[error("{0}")]
    Open(String),
    /// The job is not one the GPU kernel runs.
    #[error("{0}")]
    Unsupported(String),
    /// The GPU failed while searching.
    #[error("{0}")]
    Failed(String),
}

#[cfg(feature = "gpu")]
impl From<gpu::Error> for GpuError {
    fn from(e: gpu::Error) -> Self {
        match e {
            gpu::Error::NoAdapter { .. } | gpu::Error::Device { .. } => {
                GpuError::Open(e.to_string())
            }
            gpu::Error::Unsupported(_) => GpuError::Unsupported(e.to_string()),
            _ => GpuError::Failed(e.to_string()),
        }
    }
}

/// An opened GPU, shared by every search of the process.
#[cfg(feature = "gpu")]
pub type SharedGpu = Arc<gpu::Gpu>;

/// Opens (once per process and selector) the GPU `adapter` names, or the best one;
/// `allow_software` lets lavapipe-like adapters be picked without a name.
#[cfg(feature = "gpu")]
pub fn open_gpu(adapter: Option<&str>, allow_software: bool) -> Result<SharedGpu, GpuError> {
    type Cache = Mutex<HashMap<(Option<String>, bool), Result<SharedGpu, GpuError>>>;
    static OPENED: OnceLock<Cache> = OnceLock::new();
    let key = (adapter.map(str::to_string), allow_software);
    let mut m = OPENED
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    m.entry(key)
        .or_insert_with(|| {
            gpu::Gpu::open(&gpu::Selector {
                name: adapter.map(str::to_string),
                allow_software,
            })
            .map(Arc::new)
            .map_err(GpuError::from)
        })
        .clone()
}

/// Says `msg` on stderr, once per process.
#[cfg(feature = "gpu")]
pub(crate) fn notice_once(msg: &str) {
    static SAID: AtomicBool = AtomicBool::new(false);
    if !SAID.swap(true, Ordering::Relaxed) {
        eprintln!("grind: {msg}");
    }
}

/// The adapters wgpu sees, for `grind info` (empty without the `gpu` feature).
pub fn adapters() -> Vec<AdapterLine> {
    #[cfg(feature = "gpu")]
    {
        gpu::adapters()
            .into_iter()
            .map(|a| AdapterLine {
                name: a.name,
                backend: a.backend,
                device_type: a.device_type,
                driver: a.driver,
                software: a.software,
            })
            .collect()
    }
    #[cfg(not(feature = "gpu"))]
    {
        Vec::new()
    }
}

/// One adapter, as `grind info` shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AdapterLine {
    /// Device name.
    pub name: String,
    /// Graphics API.
    pub backend: String,
    /// Device type (`DiscreteGpu`, `IntegratedGpu`, `Cpu`, ...).
    pub device_type: String,
    /// Driver.
    pub driver: String,
    /// Whether it is a software adapter (never picked by `auto`).
    pub software: bool,
}

/// How one engine's search went, before it becomes a [`Solved`] or an error.
struct Ran {
    report: Report,
    backend: Option<Backend>,
    threads: usize,
    engine: Engine,
    adapter: Option<String>,
}

fn run_cpu(
    job: &Job,
    range: Range<u64>,
    k: u32,
    opts: &SolveOptions,
    stop: Stop,
) -> Result<Ran, SolveError> {
    let search = opts.cpu_search(stop);
    let report = grindstone_cpu::search_many(job, range, k as usize, &search)?;
    Ok(Ran {
        report,
        backend: Some(search.backend.for_job(job)),
        threads: search.worker_threads(),
        engine: Engine::Cpu,
        adapter: None,
    })
}

#[cfg(feature = "gpu")]
fn run_gpu(
    g: &gpu::Gpu,
    job: &Job,
    range: Range<u64>,
    k: u32,
    stop: &Stop,
) -> Result<Ran, SolveError> {
    let report = g
        .search_many(job, range, k as usize, stop)
        .map_err(GpuError::from)?;
    Ok(Ran {
        report,
        backend: None,
        threads: 0,
        engine: Engine::Gpu,
        adapter: Some(g.adapter().name.clone()),
    })
}

/// The GPU on the lower half of the range, the CPU kernels on the upper half; the first
/// side with all `k` solutions raises the race flag, which stops the other at its next
/// batch or dispatch.
#[cfg(feature = "gpu")]
fn run_hybrid(
    g: &gpu::Gpu,
    job: &Job,
    k: u32,
    opts: &SolveOptions,
    stop: &Stop,
) -> Result<Ran, SolveError> {
    let jr = job.range();
    let mid = jr.start + (jr.end - jr.start) / 2;
    let race = Arc::new(AtomicBool::new(false));
    let side = stop.racing(race.clone());
    let finish = |r: &Result<Ran, SolveError>| {
        if matches!(r, Ok(r) if r.report.outcome.is_found()) {
            race.store(true, Ordering::Relaxed);
        }
    };
    let (gpu, cpu) = std::thread::scope(|s| {
        let g_side = s.spawn(|| {
            let r = run_gpu(g, job, jr.start..mid, k, &side);
            finish(&r);
            r
        });
        let cpu = run_cpu(job, mid..jr.end, k, opts, side.clone());
        finish(&cpu);
        (g_side.join().expect("the GPU side does not panic"), cpu)
    });
    let cpu = cpu?;
    let gpu = match gpu {
        Ok(r) => r,
        Err(e) => {
            notice_once(&format!("the GPU failed ({e}); the CPU searched alone"));
            return Ok(cpu);
        }
    };
    let hashes = gpu.report.hashes + cpu.report.hashes;
    let outcome = |o| Report {
        outcome: o,
        ..cpu.report.clone()
    };
    let report = match (gpu.report.outcome, cpu.report.outcome) {
        (Outcome::Found { .. }, _) => gpu.report,
        (_, Outcome::Found { .. }) => cpu.report.clone(),
        _ if stop.cancelled_by_caller() => outcome(Outcome::Cancelled),
        (Outcome::TimedOut, _) | (_, Outcome::TimedOut) => outcome(Outcome::TimedOut),
        _ => cpu.report.clone(),
    };
    Ok(Ran {
        report: Report { hashes, ..report },
        backend: cpu.backend,
        threads: cpu.threads,
        engine: Engine::Hybrid,
        adapter: gpu.adapter,
    })
}

/// Searches a planned job for `k` solutions on the engine the options ask for;
/// `expected` is the challenge's expected hash count (for [`Engine::Auto`]); `render`
/// turns a winning index into solution text.
pub(crate) fn run(
    job: &Job,
    k: u32,
    expected: f64,
    opts: &SolveOptions,
    render: impl Fn(u64) -> String,
) -> Result<Solved, SolveError> {
    let stop = opts.stop();
    #[cfg(not(feature = "gpu"))]
    let _ = expected; // only `auto`'s GPU choice reads it
    let ran = match opts.engine {
        Engine::Cpu => run_cpu(job, job.range(), k, opts, stop)?,
        #[cfg(feature = "gpu")]
        Engine::Auto => {
            let mut ran = None;
            if expected >= AUTO_GPU_MIN_HASHES && gpu::Gpu::supports(job) {
                match open_gpu(opts.adapter.as_deref(), false) {
                    Ok(g) => match run_gpu(&g, job, job.range(), k, &stop) {
                        Ok(r) => ran = Some(r),
                        Err(e) => {
                            notice_once(&format!("the GPU failed ({e}); searching on the CPU"))
                        }
                    },
                    // No hardware GPU: the CPU, silently.
                    Err(GpuError::Open(_)) => {}
                    Err(e) => notice_once(&format!("{e}; searching on the CPU")),
                }
            }
            match ran {
                Some(r) => r,
                None => run_cpu(job, job.range(), k, opts, stop)?,
            }
        }
        #[cfg(not(feature = "gpu"))]
        Engine::Auto => run_cpu(job, job.range(), k, opts, stop)?,
        #[cfg(feature = "gpu")]
        Engine::Gpu | Engine::Hybrid => {
            let g = open_gpu(opts.adapter.as_deref(), true)?;
            gpu::Gpu::check_supported(job).map_err(GpuError::from)?;
            if opts.engine == Engine::Gpu {
                run_gpu(&g, job, job.range(), k, &stop)?
            } else {
                run_hybrid(&g, job, k, opts, &stop)?
            }
        }
        #[cfg(not(feature = "gpu"))]
        Engine::Gpu | Engine::Hybrid => return Err(GpuError::NotBuilt.into()),
    };
    let Ran { report, .. } = &ran;
    match report.outcome {
        Outcome::Found { digest, .. } => Ok(Solved {
            nonce: render(report.hits[0].0),
            nonces: report.hits.iter().map(|h| render(h.0)).collect(),
            digest,
            hashes: report.hashes,
            elapsed: report.elapsed,
            backend: ran.backend,
            threads: ran.threads,
            engine: ran.engine,
            adapter: ran.adapter,
        }),
        o => Err(SolveError::unsolved(o, report.hashes, opts.timeout)),
    }
}
