//! The clocks every searcher reads: [`std::time`]'s `Instant` and `SystemTime` on native
//! targets, and the browser's or Node's clocks (`performance.now()`, `Date.now()`, through
//! `web-time`) on `wasm32-unknown-unknown`, where `std`'s clocks panic. Code that may run
//! in WebAssembly takes its time from here, never from `std::time` directly.

#[cfg(all(target_family = "wasm", target_os = "unknown"))]
pub use web_time::{Instant, SystemTime, UNIX_EPOCH};

#[cfg(not(all(target_family = "wasm", target_os = "unknown")))]
pub use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Current Unix time in whole seconds (0 if the clock reads before 1970).
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
