//! Spends per second of a replay store with `C` concurrent spenders, no HTTP:
//! `cargo run --release -p grindstone-gate --example store_bench -- durable|memory N C`
use std::sync::Arc;
use std::time::Instant;

use grindstone_gate::ReplayStore;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let kind = args.get(1).map(String::as_str).unwrap_or("durable");
    let n: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(200_000);
    let c: usize = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(64);
    let dir = std::env::temp_dir().join(format!("store-bench-{}", std::process::id()));
    let store = Arc::new(match kind {
        "memory" => ReplayStore::memory(10_000_000),
        _ => ReplayStore::durable(&dir.join("spent"), 10_000_000).unwrap(),
    });
    let now = grindstone_gate::authority::unix_now();
    let t = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..c {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            for i in (w..n).step_by(c) {
                let id = format!("{i:032x}");
                assert!(store.spend(&id, now + 600, now).await.unwrap());
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "{kind}: {n} spends by {c} spenders in {secs:.2} s: {:.0}/s",
        n as f64 / secs
    );
    let _ = std::fs::remove_dir_all(&dir);
}
