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

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod client;
pub mod engine;
#[cfg(feature = "reqwest")]
pub mod http;
pub mod peers;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::time::Duration;

pub use engine::Engine;
pub use grindstone_core as core;
pub use grindstone_cpu as cpu;

use grindstone_core::schemes::decimal::DecimalOrder;
use grindstone_core::schemes::hashcash::{self, DateWidth, MintRequest};
use grindstone_core::schemes::sha256_bits::{self, Sha256Bits};
use grindstone_core::{Difficulty, Digest, Outcome, Stop, VerifyError};
use grindstone_cpu::{Backend, SearchOptions};

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
    /// The error for a search that ended without its solutions: `outcome` is
    /// [`Outcome::TimedOut`] (after `timeout`), [`Outcome::Cancelled`] or
    /// [`Outcome::Exhausted`].
    pub fn unsolved(outcome: Outcome, hashes: u64, timeout: Option<Duration>) -> SolveError {
        match outcome {
            Outcome::TimedOut => SolveError::TimedOut {
                timeout: timeout.unwrap_or_default(),
                hashes,
            },
            Outcome::Cancelled => SolveError::Cancelled { hashes },
            // `Found` is not an error; a caller that passes it has lost the hit, which
            // reads as nothing found.
            Outcome::Exhausted | Outcome::Found { .. } => SolveError::Exhausted { hashes },
        }
    }

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
    /// The order of a decimal peer scheme's numbers (Anubis, mCaptcha, Cap, ALTCHA v1):
    /// laid out for the kernels (the default) or the lowest first, as the peers' own
    /// solvers answer.
    pub order: DecimalOrder,
}

impl SolveOptions {
    /// The [`Stop`] these options ask for, with the timeout counted from now.
    pub fn stop(&self) -> Stop {
        Stop::after(self.timeout, self.cancel.clone(), self.progress.clone())
    }

    /// The CPU search these options ask for: their backend (the fastest one when unset),
    /// threads and `stop`.
    pub fn cpu_search(&self, stop: Stop) -> SearchOptions {
        SearchOptions {
            backend: self.backend.unwrap_or_else(Backend::detect),
            threads: self.threads,
            stop,
        }
    }
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
    /// The CPU kernel that ran (`None` when only a GPU searched).
    pub backend: Option<Backend>,
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

pub use grindstone_core::clock::unix_now;

/// A fresh 16-character hashcash `rand` field from the OS's random source.
pub fn random_rand() -> String {
    let mut b = [0u8; 12];
    getrandom::fill(&mut b).expect("the OS random source is available");
    hashcash::rand_field(b)
}

/// Solves a challenge. Every solution returned has been confirmed by the core's exact
/// check; without a timeout the result is the scheme's lowest nonce index, independent of
/// the thread count.
pub fn solve(challenge: &Challenge, opts: &SolveOptions) -> Result<Solved, SolveError> {
    match challenge {
        Challenge::Sha256Bits(c) => {
            let plan = c.plan();
            let expected = c.difficulty().expected_hashes();
            engine::run(plan.job(), c.solutions(), expected, opts, |i| plan.nonce(i))
        }
        Challenge::Hashcash(m) => {
            let plan = m.plan()?;
            let expected = challenge.expected_hashes();
            engine::run(plan.job(), 1, expected, opts, |i| plan.stamp(i))
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
