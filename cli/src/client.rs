//! Client side of PoW gates: solve the challenge of a `402` answer's
//! `WWW-Authenticate: PoW ...` header and build the header to retry with.
//!
//! ```no_run
//! use grindstone::SolveOptions;
//! # let www_authenticate = "PoW challenge=\"...\", difficulty=16, algorithm=\"sha256\"";
//! let value = grindstone::client::solve_www_authenticate(www_authenticate, &SolveOptions::default())?;
//! // Retry the request with `X-PoW-Solution: {value}`.
//! # Ok::<(), grindstone::SolveError>(())
//! ```

use grindstone_core::schemes::gate::{self, GateChallenge};

use crate::{Challenge, SolveError, SolveOptions, Solved, solve};

/// The request header that carries a solution.
pub const SOLUTION_HEADER: &str = "X-PoW-Solution";

/// Solves a gate challenge; the returned `nonce` is the nonce (not a header).
pub fn solve_challenge(ch: &GateChallenge, opts: &SolveOptions) -> Result<Solved, SolveError> {
    solve(&Challenge::Sha256Bits(ch.pow()?), opts)
}

/// Solves the challenge in a `WWW-Authenticate: PoW ...` value (with or without the header
/// name) and returns the `X-PoW-Solution` value to retry with.
pub fn solve_www_authenticate(value: &str, opts: &SolveOptions) -> Result<String, SolveError> {
    let ch = gate::parse_www_authenticate(value)?;
    let s = solve_challenge(&ch, opts)?;
    Ok(gate::solution_header(&ch, &s.nonces))
}
