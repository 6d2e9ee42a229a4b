//! Measures the GPU kernel's rate on a `sha256-bits` job with a 32-character salt:
//! `cargo run --release -p grindstone-gpu --example gpu_rate [SECONDS] [ADAPTER]`.

use std::time::{Duration, Instant};

use grindstone_core::Difficulty;
use grindstone_core::schemes::sha256_bits::Sha256Bits;
use grindstone_gpu::{Gpu, Selector, Stop};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let secs: f64 = std::env::args().nth(1).map_or(Ok(3.0), |s| s.parse())?;
    let gpu = Gpu::open(&Selector {
        name: std::env::args().nth(2),
        allow_software: true,
    })?;
    let plan = Sha256Bits::new("0123456789abcdef0123456789abcdef", Difficulty::new(200.0)?)?.plan();
    let t = Instant::now();
    gpu.prepare(plan.job())?;
    println!(
        "adapter: {}; kernel compiled in {:?}",
        gpu.adapter(),
        t.elapsed()
    );
    let r = gpu.search_many(
        plan.job(),
        plan.job().range(),
        1,
        &Stop::after(Some(Duration::from_secs_f64(secs)), None, None),
    )?;
    println!(
        "{:.1} M candidates/s ({} in {:?})",
        r.rate() / 1e6,
        r.hashes,
        r.elapsed
    );
    Ok(())
}
