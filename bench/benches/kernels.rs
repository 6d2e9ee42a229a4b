//! Candidates per second of each available backend on each scheme's bench job, one
//! thread, reported by criterion as elements/s. A naive `SHA-256(salt + decimal nonce)`
//! loop is the baseline.

use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use grindstone_core::fixtures::{SCHEMES, bench_job};
use grindstone_cpu::Backend;

const N: u64 = 1 << 16;

fn kernels(c: &mut Criterion) {
    for scheme in SCHEMES {
        let (job, _) = bench_job(scheme).expect("fixture");
        let mut g = c.benchmark_group(format!("kernel/{scheme}"));
        g.throughput(Throughput::Elements(N));
        for &b in &Backend::available() {
            let mut start = 0u64;
            g.bench_function(b.name(), |bench| {
                bench.iter(|| {
                    // Walk through the space so carries are part of the measurement.
                    let r = b.search(&job, start..start + N);
                    start = (start + N) % (1 << 40);
                    black_box(r)
                })
            });
        }
        g.finish();
    }
}

fn naive(c: &mut Criterion) {
    use sha2::Digest as _;
    let mut g = c.benchmark_group("kernel/sha256-bits");
    g.throughput(Throughput::Elements(N));
    let salt = grindstone_core::fixtures::BENCH_SALT;
    g.bench_function("naive", |bench| {
        let mut buf = String::new();
        bench.iter(|| {
            let mut hits = 0u32;
            for n in 0..N {
                buf.clear();
                buf.push_str(salt);
                let _ = write!(buf, "{n}");
                hits += u32::from(sha2::Sha256::digest(buf.as_bytes())[0] == 0);
            }
            black_box(hits)
        })
    });
    g.finish();
}

criterion_group!(benches, kernels, naive);
criterion_main!(benches);
