//! Subcommands. Each returns an exit code or a [`Failure`] carrying its own code.

pub mod bench;
pub mod hashcash;
pub mod info;
pub mod progress;
pub mod serve;
pub mod solve;
pub mod tune;
pub mod verify;

use std::io::Read;
use std::process::ExitCode;
use std::time::Duration;

use grindstone::cpu::Backend;
use grindstone::{Engine, SolveError, SolveOptions};

/// Exit code for "no solution" and "invalid".
pub const EXIT_FAIL: u8 = 1;
/// Exit code for bad input.
pub const EXIT_BAD_INPUT: u8 = 2;
/// Largest input read from a file or stdin.
pub const MAX_INPUT: u64 = 1 << 20;

/// An error with the exit code it maps to.
pub struct Failure {
    pub code: u8,
    pub error: anyhow::Error,
}

pub type CmdResult = Result<ExitCode, Failure>;

/// Bad input: exit 2.
pub fn bad(e: impl Into<anyhow::Error>) -> Failure {
    Failure {
        code: EXIT_BAD_INPUT,
        error: e.into(),
    }
}

/// No solution / invalid: exit 1.
pub fn fail(e: impl Into<anyhow::Error>) -> Failure {
    Failure {
        code: EXIT_FAIL,
        error: e.into(),
    }
}

impl From<SolveError> for Failure {
    fn from(e: SolveError) -> Self {
        if e.is_bad_input() { bad(e) } else { fail(e) }
    }
}

/// Options shared by every command that searches.
#[derive(clap::Args, Debug, Clone)]
pub struct SearchArgs {
    /// Worker threads (0: one per logical CPU).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub threads: usize,
    /// Give up after this long (e.g. 500ms, 10s, 2m; a bare number is seconds).
    #[arg(long, value_name = "DURATION", value_parser = duration_arg)]
    pub timeout: Option<Duration>,
    /// Search backend: a CPU kernel (`grind info` lists them), `gpu`, `hybrid` (GPU and
    /// CPU together) or `auto` (the fastest CPU kernel; a hardware GPU for hard
    /// challenges).
    #[arg(
        long,
        env = "GRIND_BACKEND",
        default_value = "auto",
        value_name = "NAME"
    )]
    pub backend: BackendArg,
    /// GPU adapter to use, by a substring of its name (`grind info` lists them).
    #[arg(long, env = "GRIND_ADAPTER", value_name = "NAME")]
    pub adapter: Option<String>,
}

/// `--backend`: an engine (`auto`, `cpu`, `gpu`, `hybrid`) or a CPU kernel by name (which
/// runs on the CPU engine).
#[derive(Debug, Clone, Copy)]
pub struct BackendArg {
    pub engine: Engine,
    pub kernel: Option<Backend>,
}

impl std::str::FromStr for BackendArg {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, String> {
        if let Ok(engine) = name.parse::<Engine>() {
            return Ok(Self {
                engine,
                kernel: None,
            });
        }
        let kernel =
            Backend::from_name(name).map_err(|e| format!("{e}; or one of: cpu, gpu, hybrid"))?;
        Ok(Self {
            engine: Engine::Cpu,
            kernel: Some(kernel),
        })
    }
}

/// A CPU kernel by name (`auto`: the fastest), for clap.
pub fn kernel_arg(s: &str) -> Result<Backend, String> {
    Backend::from_name(s).map_err(|e| e.to_string())
}

impl SearchArgs {
    pub fn options(&self) -> SolveOptions {
        SolveOptions {
            threads: self.threads,
            timeout: self.timeout,
            backend: self.backend.kernel,
            engine: self.backend.engine,
            adapter: self.adapter.clone(),
            cancel: None,
            progress: None,
            order: Default::default(),
        }
    }
}

/// [`parse_duration`] for clap.
pub fn duration_arg(s: &str) -> Result<Duration, String> {
    parse_duration(s).map_err(|e| e.to_string())
}

/// Parses `10s`, `500ms`, `2m`, `28d`, or a bare number of seconds.
pub fn parse_duration(s: &str) -> anyhow::Result<Duration> {
    let t = s.trim();
    if let Ok(v) = t.parse::<f64>() {
        if v.is_finite() && (0.0..1e12).contains(&v) {
            return Ok(Duration::from_secs_f64(v));
        }
        anyhow::bail!("bad duration {s:?}: must be a non-negative number of seconds");
    }
    humantime::parse_duration(t)
        .map_err(|e| anyhow::anyhow!("bad duration {s:?}: {e} (examples: 500ms, 10s, 2m, 28d)"))
}

/// Reads a file, or stdin for `-`, up to [`MAX_INPUT`] bytes.
pub fn read_input(path: &str) -> Result<String, Failure> {
    let mut buf = Vec::new();
    let what = if path == "-" { "stdin" } else { path };
    let r = if path == "-" {
        std::io::stdin().take(MAX_INPUT + 1).read_to_end(&mut buf)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(MAX_INPUT + 1).read_to_end(&mut buf))
    };
    r.map_err(|e| bad(anyhow::anyhow!("cannot read {what}: {e}")))?;
    if buf.len() as u64 > MAX_INPUT {
        return Err(bad(anyhow::anyhow!(
            "{what} is larger than {MAX_INPUT} bytes"
        )));
    }
    String::from_utf8(buf).map_err(|_| bad(anyhow::anyhow!("{what} is not UTF-8 text")))
}

pub use crate::human::{human_secs, si};
