//! Property tests: for random salts and small difficulties, every solution the parallel
//! search returns verifies through the scheme and equals the reference search's answer,
//! for one thread and for several.

use grindstone_core::schemes::hashcash::{CheckPolicy, DateWidth, MintRequest, Stamp, check};
use grindstone_core::schemes::sha256_bits::Sha256Bits;
use grindstone_core::{Difficulty, reference};
use grindstone_cpu::{Backend, Outcome, SearchOptions, search};
use proptest::prelude::*;

fn found(job: &grindstone_core::Job, threads: usize, backend: Backend) -> u64 {
    let r = search(
        job,
        &SearchOptions {
            threads,
            backend,
            ..Default::default()
        },
    )
    .unwrap();
    match r.outcome {
        Outcome::Found { index, .. } => index,
        o => panic!("{o:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn sha256_bits_solutions_verify_and_match_the_reference(
        salt in "[ -~]{1,140}",
        d in 0.0f64..11.0,
    ) {
        let c = Sha256Bits::new(&salt, Difficulty::new(d).unwrap()).unwrap();
        let plan = c.plan();
        let want = reference::search(plan.job(), plan.job().range()).unwrap();
        for &b in &Backend::available() {
            // WebAssembly (the wasm32-wasip1 run) has no threads to spawn.
            let counts: &[usize] = if cfg!(target_family = "wasm") { &[1] } else { &[1, 3] };
            for &threads in counts {
                let got = found(plan.job(), threads, b);
                prop_assert_eq!(got, want, "{} threads={}", b, threads);
                let proof = c.verify(&plan.nonce(got)).unwrap();
                prop_assert!(proof.zero_bits as f64 >= d.floor());
            }
        }
    }

    #[test]
    fn hashcash_stamps_verify_and_match_the_reference(
        resource in "[!-9;-~]{1,60}",
        bits in 0u32..10,
        width in prop::sample::select(vec![6u32, 10, 12]),
    ) {
        let req = MintRequest {
            bits,
            resource: resource.clone(),
            ext: String::new(),
            date: 1_795_219_200,
            date_width: DateWidth::from_chars(width).unwrap(),
            rand: "0123456789abcdef".into(),
        };
        let plan = req.plan().unwrap();
        let want = reference::search(plan.job(), plan.job().range()).unwrap();
        for &b in &Backend::available() {
            for threads in [1, 2] {
                let got = found(plan.job(), threads, b);
                prop_assert_eq!(got, want);
                let stamp = Stamp::parse(&plan.stamp(got)).unwrap();
                prop_assert_eq!(stamp.resource(), resource.as_str());
                let mut p = CheckPolicy::new(1_795_219_200);
                p.resource = Some(resource.clone());
                p.required_bits = Some(bits);
                prop_assert!(check(&stamp, &p).is_ok());
            }
        }
    }
}
