//! End-to-end solves through `grindstone::solve` at fixed difficulties (all threads, the
//! detected backend), and the cost of verification (the gate's hot path).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use grindstone::core::schemes::hashcash::{self, CheckPolicy, Stamp};
use grindstone::{Challenge, SolveOptions, solve, verify_sha256_bits};

fn solves(c: &mut Criterion) {
    let mut g = c.benchmark_group("solve/sha256-bits");
    g.sample_size(20);
    for d in [12u32, 16, 20] {
        let mut k = 0u64;
        g.bench_function(format!("d{d}"), |b| {
            b.iter(|| {
                // A fresh salt each time: solve times are geometric, and a fixed salt would
                // measure one lucky or unlucky draw.
                k += 1;
                let ch = Challenge::sha256_bits(&format!("bench-{k}"), f64::from(d)).unwrap();
                black_box(solve(&ch, &SolveOptions::default()).unwrap())
            })
        });
    }
    g.finish();
}

fn verification(c: &mut Criterion) {
    let mut g = c.benchmark_group("verify");
    g.bench_function("sha256-bits", |b| {
        b.iter(|| verify_sha256_bits(black_box("2eb4a4f61aee56000e95a1c0bdfda9b1"), "lc", 12.0))
    });
    let stamp = "1:20:261121:foo@example.com::Ie+mrYK6kJUVb1S1:009uqH";
    let mut policy = CheckPolicy::new(hashcash::parse_date("261121").unwrap());
    policy.resource = Some("foo@example.com".into());
    g.bench_function("hashcash", |b| {
        b.iter(|| hashcash::check(&Stamp::parse(black_box(stamp)).unwrap(), &policy))
    });
    g.finish();
}

criterion_group!(benches, solves, verification);
criterion_main!(benches);
