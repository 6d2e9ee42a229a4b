//! Dynamic difficulty: an exponentially decaying rate of challenge requests, globally
//! and per client, turned into extra bits (one bit per doubling above the target rate).

use std::collections::HashMap;
use std::time::Instant;

use crate::config::DynamicPolicy;

/// An exponentially decaying event rate.
#[derive(Clone, Copy)]
struct Rate {
    per_sec: f64,
    at: Instant,
}

impl Rate {
    fn decayed(&self, now: Instant, half_life: f64) -> f64 {
        let dt = now.saturating_duration_since(self.at).as_secs_f64();
        self.per_sec * (-dt / half_life).exp2()
    }

    fn bump(&mut self, now: Instant, half_life: f64) -> f64 {
        self.per_sec = self.decayed(now, half_life) + std::f64::consts::LN_2 / half_life;
        self.at = now;
        self.per_sec
    }
}

/// Client rates kept at most (the quietest are dropped first).
const MAX_CLIENTS: usize = 10_000;

pub(crate) struct DynamicDifficulty {
    policy: DynamicPolicy,
    global: Rate,
    clients: HashMap<String, Rate>,
}

impl DynamicDifficulty {
    pub(crate) fn new(policy: DynamicPolicy) -> Self {
        Self {
            policy,
            global: Rate {
                per_sec: 0.0,
                at: Instant::now(),
            },
            clients: HashMap::new(),
        }
    }

    fn extra_bits(&self, rate: f64) -> f64 {
        let x = (rate / self.policy.target_rate).log2();
        if x.is_finite() {
            (x.max(0.0) * 10.0).round() / 10.0
        } else {
            0.0
        }
        .min(self.policy.max_extra_bits)
    }

    /// Records a challenge request by `client`; returns the extra bits to charge.
    pub(crate) fn record(&mut self, client: Option<&str>) -> f64 {
        let now = Instant::now();
        let hl = self.policy.half_life_secs;
        let g = self.global.bump(now, hl);
        let c = match client {
            Some(k) => {
                if self.clients.len() >= MAX_CLIENTS && !self.clients.contains_key(k) {
                    self.clients.retain(|_, r| r.decayed(now, hl) > 0.01);
                    if self.clients.len() >= MAX_CLIENTS {
                        self.clients.clear();
                    }
                }
                self.clients
                    .entry(k.to_string())
                    .or_insert(Rate {
                        per_sec: 0.0,
                        at: now,
                    })
                    .bump(now, hl)
            }
            None => 0.0,
        };
        self.extra_bits(g.max(c))
    }

    /// Current global extra bits, without recording anything.
    pub(crate) fn current(&self) -> (f64, f64) {
        let r = self
            .global
            .decayed(Instant::now(), self.policy.half_life_secs);
        (r, self.extra_bits(r))
    }
}
