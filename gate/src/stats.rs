//! Counters for `status`, `/api/stats` and `/metrics`.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use serde_json::{Value, json};

macro_rules! counters {
    ($($name:ident: $help:literal,)*) => {
        /// Gate counters (all monotonic).
        pub struct Stats {
            started: Instant,
            $(
                #[doc = $help]
                pub $name: AtomicU64,
            )*
        }

        impl Default for Stats {
            fn default() -> Self {
                Self { started: Instant::now(), $($name: AtomicU64::new(0),)* }
            }
        }

        impl Stats {
            fn pairs(&self) -> Vec<(&'static str, &'static str, u64)> {
                vec![$((stringify!($name), $help, self.$name.load(Ordering::Relaxed)),)*]
            }
        }
    };
}

counters! {
    challenges_issued: "Challenges handed out.",
    pow_solves: "Solutions verified and accepted.",
    verify_rejected: "Well-formed solutions refused (signature, expiry, scope, work).",
    verify_malformed: "Verify requests that could not be used at all.",
    replays: "Solutions refused because their challenge was already spent.",
    store_errors: "Verifications failed closed because the replay store did not answer.",
    tokens_issued: "Tokens issued.",
    token_checks_ok: "Token checks that passed.",
    token_checks_failed: "Token checks that failed.",
    proxy_forwarded: "Requests the gating proxy forwarded upstream.",
    proxy_payment_required: "Requests the gating proxy answered with 402.",
    proxy_refused: "Requests the gating proxy refused unread (bad method, encoding or body).",
}

impl Stats {
    /// Adds one to a counter.
    pub fn inc(c: &AtomicU64) {
        c.fetch_add(1, Ordering::Relaxed);
    }

    /// Seconds since start.
    pub fn uptime_secs(&self) -> u64 {
        self.started.elapsed().as_secs()
    }

    /// The counters as a JSON object (captcha-mcp's `pow_solves`, `ln_skips`,
    /// `challenges_issued` first; `ln_skips` is always 0: there is no Lightning path).
    pub fn json(&self) -> Value {
        let mut m = serde_json::Map::new();
        m.insert("ln_skips".into(), json!(0));
        for (name, _, v) in self.pairs() {
            m.insert(name.into(), json!(v));
        }
        m.insert("uptime_s".into(), json!(self.uptime_secs()));
        Value::Object(m)
    }

    /// Prometheus text exposition, with `extra` gauges appended.
    pub fn prometheus(&self, extra: &[(&str, &str, f64)]) -> String {
        let mut s = String::new();
        for (name, help, v) in self.pairs() {
            let _ = writeln!(s, "# HELP grindstone_{name}_total {help}");
            let _ = writeln!(s, "# TYPE grindstone_{name}_total counter");
            let _ = writeln!(s, "grindstone_{name}_total {v}");
        }
        for (name, help, v) in extra {
            let _ = writeln!(s, "# HELP grindstone_{name} {help}");
            let _ = writeln!(s, "# TYPE grindstone_{name} gauge");
            let _ = writeln!(s, "grindstone_{name} {v}");
        }
        s
    }
}
