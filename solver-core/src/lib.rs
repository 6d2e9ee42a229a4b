//! # grindstone-core
//!
//! The single source of truth for Grindstone's proof-of-work semantics:
//!
//! * [`difficulty`]: leading-zero-bit difficulty, fractional difficulty as a 256-bit
//!   [`Target`], expected work and solve-time percentiles;
//! * [`job`]: the [`Job`] model shared by every search kernel (midstate, tail blocks,
//!   the varying nonce characters, the digest [`Predicate`] with its fast filter);
//! * [`reference`]: the scalar reference search that every kernel is tested against;
//! * [`search`]: the contract every searcher shares ([`Stop`], [`Outcome`], [`Report`]);
//! * [`schemes`]: challenge formats (`sha256-bits`, `hashcash`) that plan jobs, turn hits
//!   into solutions and verify them.
//!
//! This crate starts no threads and has no SIMD and no I/O. Whether a solution is valid is
//! decided here and nowhere else.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod clock;
pub mod difficulty;
pub mod error;
pub mod fixtures;
pub mod job;
pub mod reference;
pub mod schemes;
pub mod search;
pub mod sha;

pub use difficulty::{Difficulty, Target};
pub use error::{Error, Rejection, VerifyError};
pub use job::{Alphabet, Digest, Filter, HashAlg, Job, NonceField, Predicate};
pub use search::{Outcome, Report, Stop};
