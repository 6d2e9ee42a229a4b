//! Criterion benchmarks live in `benches/`: `kernels` (candidates per second of each
//! backend on each scheme, one thread, next to a naive loop) and `solve` (end-to-end solves
//! at fixed difficulties, and verification cost). Run them with
//! `cargo bench -p grindstone-bench`.

#![forbid(unsafe_code)]
