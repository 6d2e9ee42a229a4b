//! What the gate says about itself: the `status` body (HTTP `/api/stats`, the MCP
//! `status` tool) and the Prometheus text of `/metrics`.

use serde_json::{Value, json};

use crate::authority::Gate;

impl Gate {
    /// The decaying challenge rate and the extra bits it charges now (zeros without
    /// dynamic difficulty).
    fn dynamic_now(&self) -> (f64, f64) {
        self.dynamic
            .as_ref()
            .map(|d| d.lock().unwrap_or_else(|e| e.into_inner()).current())
            .unwrap_or((0.0, 0.0))
    }

    /// The `status` body: `{ok, stats: {...}, store, difficulty}`.
    pub fn status_json(&self) -> Value {
        let (rate, extra) = self.dynamic_now();
        json!({
            "ok": true,
            "stats": self.stats.json(),
            "store": self.store.kind(),
            "difficulty": {
                "default": self.cfg.pricing.default,
                "dynamic": self.dynamic.is_some(),
                "extra_bits": extra,
                "challenge_rate_per_sec": rate,
                "current": self.cfg.pricing.default + extra,
            },
            "token_ttl_secs": self.cfg.token_ttl_secs,
            "challenge_ttl_secs": self.cfg.challenge_ttl_secs,
            "keys": self.keys().kids(),
        })
    }

    /// Gauges for `/metrics`.
    pub fn metrics(&self) -> String {
        let (rate, extra) = self.dynamic_now();
        let mut g = vec![
            (
                "difficulty_default_bits",
                "Default difficulty in bits.",
                self.cfg.pricing.default,
            ),
            ("difficulty_extra_bits", "Dynamic surcharge in bits.", extra),
            (
                "challenge_rate_per_second",
                "Decaying challenge request rate.",
                rate,
            ),
        ];
        if let Some(n) = self.store.entries() {
            g.push((
                "replay_store_entries",
                "Entries in the replay store (memory or durable).",
                n as f64,
            ));
        }
        self.stats.prometheus(&g)
    }
}
