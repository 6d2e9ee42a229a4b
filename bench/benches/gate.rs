//! The gate's hot path without HTTP: `Gate::verify` of a fresh solved challenge (signature,
//! expiry, PoW, replay store insert, token), and a token check.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use grindstone_core::reference;
use grindstone_gate::authority::unix_now;
use grindstone_gate::{Gate, GateConfig, ReplayStore, ServerKey, VerifyRequest};

fn solved(gate: &Gate) -> VerifyRequest {
    let ch = gate.issue_expiring("api", 4.0, unix_now() + 3600).unwrap();
    let pow = ch.pow().unwrap();
    let plan = pow.plan();
    let i = reference::search(plan.job(), plan.job().range()).unwrap();
    VerifyRequest {
        salt: ch.salt.clone(),
        nonce: plan.nonce(i),
        id: Some(ch.id.clone()),
        signature: Some(ch.signature()),
        algo: None,
        difficulty: None,
        nonces: None,
    }
}

fn gate(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let g = Gate::new(
        ServerKey::from_secret(b"bench-key-0123456789").unwrap(),
        ReplayStore::memory(10_000_000),
        GateConfig::default(),
    );
    let mut grp = c.benchmark_group("gate");
    grp.bench_function("verify", |b| {
        b.iter_batched(
            || solved(&g),
            |req| rt.block_on(g.verify(&req, None)).unwrap(),
            BatchSize::SmallInput,
        )
    });
    grp.bench_function("parse-verify-body", |b| {
        let body = serde_json::to_string(&solved(&g)).unwrap();
        b.iter(|| serde_json::from_str::<VerifyRequest>(black_box(&body)).unwrap())
    });
    let token = rt.block_on(g.verify(&solved(&g), None)).unwrap().token;
    grp.bench_function("check-token", |b| {
        b.iter(|| {
            g.check_token(black_box(&token), Some("api"), Some(4.0))
                .unwrap()
        })
    });
    let key = ServerKey::from_secret(b"bench-key-0123456789").unwrap();
    grp.bench_function("token-issue", |b| {
        b.iter(|| {
            grindstone_gate::token::issue(
                &key,
                "api",
                4.0,
                black_box("0123456789abcdef"),
                1_800_000_000,
                300,
            )
        })
    });
    grp.bench_function("challenge-mac", |b| b.iter(|| key.sign_challenge(black_box(b"grindstone-challenge-v1\n0123456789abcdef0123456789abcdef\n0123456789abcdef0123456789abcdef\neyJhbGciOiJzaGEyNTYiLCJkIjo0LCJleHAiOjE3OTUzMDc3MzAsInNjb3BlIjoiYXBpIn0"))));
    grp.bench_function("random-id", |b| {
        b.iter(|| {
            let mut x = [0u8; 16];
            getrandom::fill(&mut x).unwrap();
            x
        })
    });
    grp.bench_function("issue-challenge", |b| {
        b.iter(|| g.issue("api", 16.0, None).unwrap())
    });
    grp.finish();
}

criterion_group!(benches, gate);
criterion_main!(benches);
