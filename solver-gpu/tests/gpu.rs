//! GPU kernel tests.
//!
//! * Every generated shader parses and validates with naga (no GPU needed).
//! * On an adapter (Mesa lavapipe in CI), the GPU's hits equal the scalar reference's on
//!   many jobs: prefix lengths across the block edges, every alphabet, carrying nonces,
//!   ranges across the kernel's dispatch boundaries, false positives of the fast filter.
//!
//! With `CI` set, a missing adapter fails these tests; without it they print a notice and
//! pass (a developer laptop without Vulkan).

use std::sync::OnceLock;

use grindstone_core::schemes::sha256_bits::Sha256Bits;
use grindstone_core::{Alphabet, Difficulty, HashAlg, Job, Predicate, Target, reference};
use grindstone_gpu::kernel::{SHA1_FNS, SHA256_FNS, ShaderLayout, TEMPLATE};
use grindstone_gpu::{Gpu, Outcome, Selector, Stop};

const ALPHABETS: [Alphabet; 4] = [
    Alphabet::Decimal,
    Alphabet::HexLower,
    Alphabet::Base64,
    Alphabet::Base64Url,
];

fn validate(src: &str) -> Result<(), String> {
    let module = naga::front::wgsl::parse_str(src).map_err(|e| e.emit_to_string(src))?;
    naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        naga::valid::Capabilities::empty(),
    )
    .validate(&module)
    .map_err(|e| e.emit_to_string(src))?;
    Ok(())
}

fn job(prefix_len: usize, width: usize, alphabet: Alphabet, bits: u32) -> Job {
    job_for(HashAlg::Sha256, prefix_len, width, alphabet, bits)
}

fn job_for(alg: HashAlg, prefix_len: usize, width: usize, alphabet: Alphabet, bits: u32) -> Job {
    let prefix: Vec<u8> = (0..prefix_len).map(|i| b'a' + (i % 26) as u8).collect();
    Job::new(
        alg,
        &prefix,
        width,
        alphabet,
        b"",
        Predicate::AtMost(Target::leading_zero_bits(bits)),
    )
    .unwrap()
}

#[test]
fn every_shader_validates_with_naga() {
    for fns in [SHA256_FNS, SHA1_FNS] {
        let src = TEMPLATE.replace("//@HASH\n", fns);
        validate(&src).expect("the template is valid WGSL with either hash's functions");
    }
    let mut layouts = std::collections::HashSet::new();
    for alg in [HashAlg::Sha256, HashAlg::Sha1] {
        for a in ALPHABETS {
            for width in [1usize, 2, 3, 5, 8, 10] {
                if width > a.max_width() {
                    continue;
                }
                for plen in 0..=64 {
                    let j = job_for(alg, plen, width, a, 8);
                    if let Some(l) = ShaderLayout::of(&j) {
                        layouts.insert(l);
                    }
                }
            }
        }
    }
    assert!(layouts.len() > 100, "{} layouts", layouts.len());
    for l in &layouts {
        let src = l.shader();
        validate(&src).unwrap_or_else(|e| panic!("{l:?}:\n{e}"));
    }
}

#[test]
fn layouts_cover_the_planner() {
    let plan = Sha256Bits::new("salt", Difficulty::new(20.0).unwrap())
        .unwrap()
        .plan();
    let l = ShaderLayout::of(plan.job()).expect("planner jobs run on the GPU");
    assert_eq!(l.vw, 13);
    assert_eq!(l.fw, 12);
    assert_eq!(l.radix(), 64);
    // So do hashcash stamps.
    let stamp = grindstone_core::schemes::hashcash::MintRequest {
        bits: 20,
        resource: "gpu@example.com".into(),
        ext: String::new(),
        date: 0,
        date_width: grindstone_core::schemes::hashcash::DateWidth::Day,
        rand: "abcdefgh".into(),
    };
    let plan = stamp.plan().unwrap();
    let l = ShaderLayout::of(plan.job()).expect("hashcash jobs run on the GPU");
    assert_eq!((l.alg, l.vw), (HashAlg::Sha1, 13));
    // Nonces that spill into a second block do not.
    assert!(ShaderLayout::of(&job(60, 4, Alphabet::Base64, 4)).is_none());
}

/// The shared test device, or `None` (with a notice) when there is none outside CI.
fn gpu() -> Option<&'static Gpu> {
    static GPU: OnceLock<Option<Gpu>> = OnceLock::new();
    GPU.get_or_init(|| {
        let sel = Selector {
            name: std::env::var("GRIND_TEST_ADAPTER").ok(),
            allow_software: true,
        };
        match Gpu::open(&sel) {
            Ok(g) => {
                eprintln!("GPU tests on {}", g.adapter());
                Some(g)
            }
            Err(e) if std::env::var_os("CI").is_some() => {
                panic!("CI is set and no GPU adapter opened: {e}")
            }
            Err(e) => {
                // To the file descriptor: libtest captures `eprintln!` of passing tests.
                use std::io::Write as _;
                let _ = writeln!(
                    std::io::stderr(),
                    "SKIPPED the GPU tests: no adapter ({e}); install a Vulkan driver, e.g. mesa-vulkan-drivers"
                );
                None
            }
        }
    })
    .as_ref()
}

/// The first `k` reference hits in `range`.
fn reference_hits(job: &Job, range: std::ops::Range<u64>, k: usize) -> Vec<u64> {
    let mut out = Vec::new();
    let mut cur = range.start;
    while out.len() < k {
        match reference::search(job, cur..range.end) {
            Some(i) => {
                out.push(i);
                cur = i + 1;
            }
            None => break,
        }
    }
    out
}

fn gpu_hits(g: &Gpu, job: &Job, range: std::ops::Range<u64>, k: usize) -> Vec<u64> {
    let r = g.search_many(job, range, k, &Stop::default()).unwrap();
    for (i, d) in &r.hits {
        assert_eq!(*d, job.digest_at(*i));
    }
    let hits: Vec<u64> = r.hits.iter().map(|h| h.0).collect();
    if hits.len() == k {
        assert!(r.outcome.is_found());
    } else {
        assert_eq!(r.outcome, Outcome::Exhausted);
    }
    hits
}

#[test]
fn gpu_agrees_with_the_reference_across_layouts() {
    let Some(g) = gpu() else { return };
    for (alg, a) in ALPHABETS
        .iter()
        .flat_map(|&a| [(HashAlg::Sha256, a), (HashAlg::Sha1, a)])
    {
        for plen in [0usize, 1, 3, 20, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54] {
            let width = (55 - plen).min(a.max_width()).min(9);
            let j = job_for(alg, plen, width, a, 6);
            if ShaderLayout::of(&j).is_none() {
                continue;
            }
            let space = j.nonce().space();
            let span = 20_000.min(space);
            // From the start, and across a carry of every digit but the top one.
            for start in [0, space.saturating_sub(span) / 2, space - span] {
                let range = start..start + span;
                let want = reference_hits(&j, range.clone(), 12);
                let got = gpu_hits(g, &j, range, 12);
                assert_eq!(
                    got, want,
                    "{alg} {a:?} plen={plen} width={width} start={start}"
                );
            }
        }
    }
}

#[test]
fn gpu_crosses_dispatch_and_high_part_boundaries() {
    let Some(g) = gpu() else { return };
    // Nonces wider than what the kernel varies: ranges that straddle a change of the
    // host-written high part, with many hits.
    for (alg, a, width) in [
        (HashAlg::Sha256, Alphabet::HexLower, 10),
        (HashAlg::Sha256, Alphabet::Decimal, 12),
        (HashAlg::Sha256, Alphabet::Base64, 9),
        (HashAlg::Sha1, Alphabet::Base64, 9),
        (HashAlg::Sha1, Alphabet::Decimal, 12),
    ] {
        let j = job_for(alg, 30, width, a, 5);
        let l = ShaderLayout::of(&j).unwrap();
        let low = l.low_space();
        let start = low - 777;
        assert!(low < j.nonce().space());
        let range = start..start + 20_000;
        let want = reference_hits(&j, range.clone(), 40);
        assert!(want.iter().any(|&i| i < low) && want.iter().any(|&i| i >= low));
        let got = gpu_hits(g, &j, range.clone(), 40);
        assert_eq!(got, want, "{alg} {a:?}");
        // Exhausting a short range with no hit at a high difficulty.
        let j = job_for(alg, 30, width, a, 40);
        let r = g
            .search_many(&j, start..start + 5000, 1, &Stop::default())
            .unwrap();
        assert_eq!(r.outcome, Outcome::Exhausted);
        assert_eq!(r.hashes, 5000, "{a:?} {r:?}");
    }
}

#[test]
fn gpu_runs_many_dispatches() {
    let Some(g) = gpu() else { return };
    // Ten bits over 600k candidates: several dispatches of growing size, hits in many.
    let j = job(40, 8, Alphabet::Base64Url, 10);
    let range = 1_000..601_000;
    let want = reference_hits(&j, range.clone(), 10_000);
    let r = g.search_many(&j, range, 10_000, &Stop::default()).unwrap();
    assert_eq!(r.outcome, Outcome::Exhausted);
    assert_eq!(r.hashes, 600_000);
    let got: Vec<u64> = r.hits.iter().map(|h| h.0).collect();
    assert_eq!(got, want);
}

#[test]
fn gpu_solves_planned_challenges_like_the_cpu() {
    let Some(g) = gpu() else { return };
    for (salt, d) in [
        ("s", 8.0),
        ("gpu", 12.0),
        ("a-longer-salt-of-some-32-chars!!", 16.0),
    ] {
        let c = Sha256Bits::new(salt, Difficulty::new(d).unwrap()).unwrap();
        let plan = c.plan();
        let want = reference::search(plan.job(), plan.job().range()).unwrap();
        let r = g
            .search_many(plan.job(), plan.job().range(), 1, &Stop::default())
            .unwrap();
        assert_eq!(r.hits[0].0, want, "{salt} d={d}");
        assert!(c.verify(&plan.nonce(want)).is_ok());
    }
}

#[test]
fn gpu_mints_hashcash_stamps_like_the_cpu() {
    let Some(g) = gpu() else { return };
    for bits in [8, 14, 18] {
        let req = grindstone_core::schemes::hashcash::MintRequest {
            bits,
            resource: "gpu@example.com".into(),
            ext: String::new(),
            date: 1_795_219_200,
            date_width: grindstone_core::schemes::hashcash::DateWidth::Day,
            rand: "Zm9vYmFyYmF6".into(),
        };
        let plan = req.plan().unwrap();
        let want = reference::search(plan.job(), plan.job().range()).unwrap();
        let r = g
            .search_many(plan.job(), plan.job().range(), 1, &Stop::default())
            .unwrap();
        assert_eq!(r.hits[0].0, want, "bits={bits}");
    }
}

#[test]
fn filter_false_positives_are_skipped() {
    let Some(g) = gpu() else { return };
    // Fractional difficulty 7.5: the first-word filter passes digests the exact target
    // refuses; the search must confirm and go on after each.
    let c = Sha256Bits::new("fractional", Difficulty::new(7.5).unwrap()).unwrap();
    let j = c.plan().job().clone();
    let range = 0..200_000;
    let cands = reference::filter_candidates(&j, range.clone());
    let want = reference_hits(&j, range.clone(), 30);
    assert!(cands.len() > want.len());
    assert_eq!(gpu_hits(g, &j, range, 30), want);
}

#[test]
fn deadline_and_cancel_stop_a_gpu_search() {
    let Some(g) = gpu() else { return };
    let j = job(10, 9, Alphabet::Base64, 200);
    let t0 = std::time::Instant::now();
    let r = g
        .search_many(
            &j,
            j.range(),
            1,
            &Stop {
                deadline: Some(t0 + std::time::Duration::from_millis(300)),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(r.outcome, Outcome::TimedOut);
    assert!(r.hashes > 0);
    let cancel = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let r = g
        .search_many(
            &j,
            j.range(),
            1,
            &Stop {
                cancel: Some(cancel),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(r.outcome, Outcome::Cancelled);
}

#[test]
fn unsupported_jobs_and_bad_adapters_are_errors() {
    let spill = job(60, 4, Alphabet::Base64, 4);
    assert!(!Gpu::supports(&spill));
    let e = Gpu::open(&Selector {
        name: Some("no-such-adapter-xyz".into()),
        allow_software: true,
    })
    .unwrap_err();
    assert!(e.to_string().contains("no-such-adapter-xyz"), "{e}");
    if let Some(g) = gpu() {
        let e = g
            .search_many(&spill, spill.range(), 1, &Stop::default())
            .unwrap_err();
        assert!(e.to_string().contains("final message block"), "{e}");
    }
}
