//! Writes a pool of distinct, already solved `/api/verify` bodies (one JSON per line) for
//! load tests: challenges are signed offline with the same key as the server under test
//! (`GRIND_GATE_KEY`), so the server accepts each exactly once.
//!
//! `GRIND_GATE_KEY=... cargo run --release -p grindstone-gate --example presolve -- N BITS > pool.jsonl`

use std::io::Write;

use grindstone_core::reference;
use grindstone_gate::authority::unix_now;
use grindstone_gate::{Gate, GateConfig, ReplayStore, ServerKey};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let bits: f64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(4.0);
    let key = std::env::var("GRIND_GATE_KEY").expect("set GRIND_GATE_KEY to the server's key");
    let gate = Gate::new(
        ServerKey::from_secret(key.as_bytes()).expect("key of 16+ bytes"),
        ReplayStore::memory(1),
        GateConfig::default(),
    );
    let exp = unix_now() + 3600;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for _ in 0..n {
        let ch = gate
            .issue_expiring("api", bits, exp)
            .expect("valid difficulty");
        let pow = ch.pow().expect("valid challenge");
        let plan = pow.plan();
        let i = reference::search(plan.job(), plan.job().range()).expect("solvable");
        let body = serde_json::json!({"salt": ch.salt, "nonce": plan.nonce(i), "id": ch.id,
                                      "signature": ch.signature()});
        writeln!(out, "{body}").expect("stdout");
    }
}
