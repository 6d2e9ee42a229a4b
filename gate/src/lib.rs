//! # grindstone-gate
//!
//! The verifier side of Grindstone: stateless signed challenges, verification (the PoW
//! itself is decided by `grindstone-core`), short-lived tokens, a replay store (memory or
//! Redis) so each challenge is spent exactly once, and three surfaces:
//!
//! * an HTTP API ([`http`]) with the contract of the captcha-mcp backend
//!   (`/api/challenge`, `/api/verify`, `/api/token/verify`, `/api/stats`), plus `/health`
//!   and `/metrics`;
//! * MCP tools `challenge`, `verify`, `status` ([`mcp`]) over stdio and Streamable HTTP;
//! * a gating proxy ([`proxy`]) that demands a solution or token for priced MCP
//!   `tools/call` requests and answers `402` with a `WWW-Authenticate: PoW` challenge.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod authority;
pub mod config;
mod durable;
pub mod error;
pub mod http;
pub mod key;
pub mod mcp;
pub mod meta;
pub mod proxy;
mod rate;
pub mod rpc;
pub mod server;
pub mod stats;
mod status;
pub mod store;
pub mod token;

pub use authority::{ChallengeBody, Gate, Verified, VerifyRequest};
pub use config::{GateConfig, Pricing};
pub use error::GateError;
pub use key::{KeyRing, KeySource, ServerKey};
pub use store::ReplayStore;
