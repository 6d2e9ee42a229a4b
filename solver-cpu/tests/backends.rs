//! Every available backend against the scalar reference on the same jobs: prefix lengths
//! 0..=130 (block edges 55/56/63/64 included), both hashes, every alphabet, nonces whose
//! characters carry across a word, hits on the first and last candidate of a range, and
//! the planners' own layouts. Iterates over the backends this machine has, so CI
//! exercises each one it supports (not only the auto-selected one).

use std::ops::Range;

use grindstone_core::schemes::hashcash::{DateWidth, MintRequest};
use grindstone_core::schemes::sha256_bits::Sha256Bits;
use grindstone_core::{Alphabet, Difficulty, HashAlg, Job, Predicate, Target, reference};
use grindstone_cpu::Backend;

/// All filter candidates a backend reports in `range`, by repeated calls.
fn candidates(b: Backend, job: &Job, range: Range<u64>) -> Vec<u64> {
    let mut got = Vec::new();
    let mut cur = range.start;
    while let Some(c) = b.search(job, cur..range.end) {
        assert!(
            c >= cur && c < range.end,
            "{b}: {c} outside {cur}..{}",
            range.end
        );
        got.push(c);
        cur = c + 1;
    }
    got
}

fn check(job: &Job, range: Range<u64>, what: &str) {
    let want = reference::filter_candidates(job, range.clone());
    for &b in &Backend::available() {
        assert_eq!(
            candidates(b, job, range.clone()),
            want,
            "{b}: {what} {range:?}"
        );
        // A hit at the very start and at the very end of a range.
        for &c in want.iter().take(4) {
            assert_eq!(b.search(job, c..c + 1), Some(c), "{b}: {what} first");
            assert_eq!(b.search(job, c..c), None, "{b}: {what} empty");
        }
        if let Some(&c) = want.last() {
            assert_eq!(b.search(job, c..range.end), Some(c), "{b}: {what} last");
        }
    }
}

/// Start indices where characters carry: the last character, across a word, across
/// several characters, and the top of the space. Each carry is reached twice: from 7
/// before it (a group of lanes straddles it) and from 128 before it (groups of 2 to 32
/// lanes end exactly on it, where a kernel's run of table-built words wraps).
fn carry_starts(job: &Job) -> Vec<u64> {
    let r = job.nonce().alphabet.radix();
    let space = job.nonce().space();
    let mut v = vec![0];
    let mut p = r;
    for _ in 0..job.nonce().width.min(5) {
        if p > space {
            break;
        }
        v.push(p.saturating_sub(7));
        v.push(p.saturating_sub(128));
        p = p.saturating_mul(r);
    }
    v.push(space.saturating_sub(90));
    v
}

#[test]
fn all_prefix_lengths_both_hashes_every_alphabet() {
    // 4 leading zero bits: about one candidate in 16, so every range has several.
    let loose = Predicate::AtMost(Target::leading_zero_bits(4));
    for alg in [HashAlg::Sha256, HashAlg::Sha1] {
        for plen in 0..=130usize {
            let prefix: Vec<u8> = (0..plen).map(|i| b"0123456789abcdef"[i % 16]).collect();
            for (alpha, width) in [
                (Alphabet::Base64Url, 10),
                (Alphabet::Base64, 7),
                (Alphabet::Decimal, 3),
                (Alphabet::Decimal, 12),
                (Alphabet::HexLower, 5),
            ] {
                let job = Job::new(alg, &prefix, width, alpha, b"", loose).unwrap();
                for s in carry_starts(&job) {
                    let end = (s + 160).min(job.nonce().space());
                    check(
                        &job,
                        s..end,
                        &format!("{alg} plen={plen} {alpha:?}x{width}"),
                    );
                }
            }
        }
    }
}

#[test]
fn planner_layouts() {
    let d = Difficulty::from_bits(4).unwrap();
    for len in 1..=130usize {
        let salt: String = (0..len).map(|i| (b'!' + (i % 90) as u8) as char).collect();
        let plan = Sha256Bits::new(&salt, d).unwrap().plan();
        for &b in &Backend::available() {
            assert!(b.supports(plan.job()) || b == Backend::Portable);
        }
        for s in carry_starts(plan.job()) {
            check(
                plan.job(),
                s..s + 300,
                &format!("sha256-bits salt len {len}"),
            );
        }
        let req = MintRequest {
            bits: 4,
            resource: salt.replace(' ', "_"),
            ext: String::new(),
            date: 1_795_219_200,
            date_width: DateWidth::Day,
            rand: "0123456789abcdef".into(),
        };
        let plan = req.plan().unwrap();
        for s in carry_starts(plan.job()) {
            check(
                plan.job(),
                s..s + 300,
                &format!("hashcash resource len {len}"),
            );
        }
    }
}

#[test]
fn suffix_and_multi_block_layouts_fall_back_correctly() {
    let loose = Predicate::AtMost(Target::leading_zero_bits(3));
    for plen in [50usize, 60, 62, 64, 120] {
        for slen in [1usize, 5, 9, 20] {
            let prefix = vec![b'x'; plen];
            let suffix = vec![b'y'; slen];
            for alg in [HashAlg::Sha256, HashAlg::Sha1] {
                let job = Job::new(alg, &prefix, 6, Alphabet::Decimal, &suffix, loose).unwrap();
                check(&job, 990..1300, &format!("{alg} plen={plen} slen={slen}"));
            }
        }
    }
}

#[test]
fn two_block_layouts_run_on_the_kernels() {
    // The nonce ends in bytes 56..=64 of its block, so the padding (and a suffix) take a
    // constant last block: SHA-256 runs it on every backend's kernel, for every varying
    // word from 0 to 15 and nonces that straddle words; SHA-1 falls back to portable.
    let loose = Predicate::AtMost(Target::leading_zero_bits(4));
    for plen in [0usize, 40, 44, 48, 53, 55, 62, 64 + 50, 64 + 55] {
        for width in [1usize, 2, 5, 8, 9, 12, 16] {
            let end = plen % 64 + width;
            for suffix in [&b""[..], b"}", b"0123456789abcdefghij"] {
                if end > 64 || end + suffix.len() + 9 <= 64 {
                    continue;
                }
                let prefix = vec![b'7'; plen];
                for alg in [HashAlg::Sha256, HashAlg::Sha1] {
                    let job =
                        Job::new(alg, &prefix, width, Alphabet::Decimal, suffix, loose).unwrap();
                    assert_eq!(job.tail().len(), 2);
                    let sha256 = alg == HashAlg::Sha256;
                    for &b in &Backend::available() {
                        let own = sha256 || b == Backend::Portable;
                        assert_eq!(
                            b.supports(&job),
                            own,
                            "{b}: {alg} plen={plen} width={width}"
                        );
                    }
                    for s in carry_starts(&job) {
                        let end = (s + 160).min(job.nonce().space());
                        check(
                            &job,
                            s..end,
                            &format!("{alg} two blocks plen={plen} width={width}"),
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn tight_predicates_and_restricted_ranges() {
    // Real difficulties: the lowest valid index matches the reference for every backend.
    for (salt, bits) in [("a", 12u32), ("tight-predicate-salt", 14)] {
        let plan = Sha256Bits::new(salt, Difficulty::from_bits(bits).unwrap())
            .unwrap()
            .plan();
        let job = plan.job();
        let want = reference::search(job, job.range()).unwrap();
        for &b in &Backend::available() {
            let mut cur = 0;
            let got = loop {
                let c = b.search(job, cur..job.nonce().space()).unwrap();
                if job.check(c).is_some() {
                    break c;
                }
                cur = c + 1;
            };
            assert_eq!(got, want, "{b}");
        }
    }
    // A job restricted to a sub-range (as decimal-without-leading-zeros schemes do).
    let job = Job::new(
        HashAlg::Sha256,
        b"restricted",
        4,
        Alphabet::Decimal,
        b"",
        Predicate::AtMost(Target::leading_zero_bits(2)),
    )
    .unwrap()
    .with_range(1000..10000)
    .unwrap();
    let want = reference::filter_candidates(&job, 0..10000);
    assert!(want.iter().all(|&c| c >= 1000));
    for &b in &Backend::available() {
        assert_eq!(candidates(b, &job, 0..10000), want, "{b}");
    }
}

#[test]
fn decimal_fast_order_layouts() {
    use grindstone_core::schemes::decimal::{DecimalOrder, DecimalSearch};
    // The fast order's job for every prefix length (the varying digits anywhere from word
    // 2 to word 13, or the lowest order's jobs after it where the block has no room), for
    // the largest numbers of Cap (2^53-1), Anubis (a Go int) and mCaptcha (a u64).
    let loose = Predicate::AtMost(Target::leading_zero_bits(4));
    for plen in 0..=130usize {
        let prefix: Vec<u8> = (0..plen).map(|i| b"0123456789abcdef"[i % 16]).collect();
        for max in [(1u64 << 53) - 1, i64::MAX as u64, u64::MAX] {
            let s = DecimalSearch {
                alg: HashAlg::Sha256,
                prefix: prefix.clone(),
                suffix: Vec::new(),
                predicate: loose,
                min: 0,
                max,
            };
            // The first job, and the next: where the first has few varying digits, the
            // same layout with other fixed digits.
            for (k, job) in s.jobs(DecimalOrder::Fast).unwrap().take(2).enumerate() {
                let job = job.unwrap().job;
                if k == 0 {
                    for &b in &Backend::available() {
                        assert!(b.supports(&job), "{b}: plen={plen}");
                    }
                }
                for st in carry_starts(&job) {
                    check(
                        &job,
                        st..st + 160,
                        &format!("fast {k} plen={plen} max={max}"),
                    );
                }
            }
        }
    }
}

#[test]
fn every_predicate_kind_on_decimal_jobs() {
    use grindstone_core::schemes::decimal::{DecimalOrder, DecimalSearch};
    // Hex prefixes (Cap, ALTCHA), thresholds from above (mCaptcha), leading zeros (Anubis),
    // over canonical decimal nonces after a 128-byte prefix and after short ones.
    let preds = [
        Predicate::hex_prefix("a").unwrap(),
        Predicate::hex_prefix("3f").unwrap(),
        Predicate::AtLeast([0xf000_0000, 0, 0, 0, 0, 0, 0, 0]),
        Predicate::AtMost(Target::leading_zero_bits(4)),
    ];
    for plen in [0usize, 32, 55, 63, 64, 128] {
        for p in preds {
            for alg in [HashAlg::Sha256, HashAlg::Sha1] {
                let s = DecimalSearch {
                    alg,
                    prefix: vec![b'7'; plen],
                    suffix: Vec::new(),
                    predicate: p,
                    min: 0,
                    max: 20_000,
                };
                for job in s.jobs(DecimalOrder::Lowest).unwrap() {
                    let job = job.unwrap().job;
                    let r = job.range();
                    let r = r.start..r.end.min(r.start + 3000);
                    check(&job, r, &format!("{alg} plen={plen} {p:?}"));
                }
            }
        }
    }
}

/// CI runs this suite on aarch64 under `qemu-aarch64 -cpu max`, which has the SHA2
/// extension: there the ARMv8 kernel must be among the backends checked above, not
/// silently missing.
#[cfg(target_arch = "aarch64")]
#[test]
fn arm_sha2_is_exercised_on_aarch64_ci() {
    if std::env::var_os("CI").is_some() {
        assert!(
            Backend::available().contains(&Backend::ArmSha2),
            "CI on aarch64 without the SHA2 extension: arm-sha2 would go untested"
        );
    }
}

/// CI also runs this suite as WebAssembly (`wasm32-wasip1` built with `+simd128`, in
/// Node's V8): there the SIMD128 kernel is among the backends checked above.
#[cfg(target_family = "wasm")]
#[test]
fn simd128_is_exercised_in_webassembly() {
    assert_eq!(
        Backend::available().contains(&Backend::Simd128),
        cfg!(target_feature = "simd128")
    );
    assert_eq!(
        Backend::detect(),
        if cfg!(target_feature = "simd128") {
            Backend::Simd128
        } else {
            Backend::Scalar
        }
    );
}
