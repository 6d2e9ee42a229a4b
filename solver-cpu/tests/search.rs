//! The search driver: the lowest hit whatever the thread count, exhausted ranges, the
//! k lowest hits, deadlines and cancellation, the chunked scan, and every backend against
//! the reference filter. (The library's own unit tests would compile the kernels a second
//! time, with `cfg(test)`: they live here instead, and the lib has `test = false`.)

use std::ops::Range;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use grindstone_core::clock::Instant;
use grindstone_core::schemes::sha256_bits::Sha256Bits;
use grindstone_core::{Alphabet, Difficulty, HashAlg, Job, Predicate, Target, reference};
use grindstone_cpu::{
    Backend, Error, INLINE, Outcome, SearchOptions, Stop, scan_chunks, search, search_many,
    search_range,
};

fn opts(threads: usize) -> SearchOptions {
    SearchOptions {
        threads,
        ..Default::default()
    }
}

#[test]
fn lowest_hit_whatever_the_thread_count() {
    for (salt, d) in [("a", 10.0), ("thread-count", 14.0), ("z", 16.0)] {
        let plan = Sha256Bits::new(salt, Difficulty::new(d).unwrap())
            .unwrap()
            .plan();
        let want = reference::search(plan.job(), plan.job().range()).unwrap();
        for t in [1, 2, 3, 8] {
            let r = search(plan.job(), &opts(t)).unwrap();
            match r.outcome {
                Outcome::Found { index, digest } => {
                    assert_eq!(index, want, "{salt} d={d} threads={t}");
                    assert_eq!(digest, plan.job().digest_at(want));
                }
                o => panic!("{o:?}"),
            }
            assert!(r.hashes > want, "counted at least up to the hit");
        }
    }
}

#[test]
fn exhausts_small_ranges() {
    // 3 decimal digits, 2^-40 odds per try: nothing to find in 1000 tries.
    let job = Job::new(
        HashAlg::Sha256,
        b"exhaust",
        3,
        Alphabet::Decimal,
        b"",
        Predicate::AtMost(Target::leading_zero_bits(40)),
    )
    .unwrap();
    for t in [1, 2] {
        let r = search(&job, &opts(t)).unwrap();
        assert_eq!(r.outcome, Outcome::Exhausted);
        assert_eq!(r.hashes, 1000);
    }
    let r = search_range(&job, 100..250, &opts(2)).unwrap();
    assert_eq!(r.hashes, 150);
}

#[test]
fn deadline_and_cancel_stop_the_search() {
    let plan = Sha256Bits::new("never", Difficulty::from_bits(200).unwrap())
        .unwrap()
        .plan();
    let progress = Arc::new(AtomicU64::new(0));
    let o = SearchOptions {
        stop: Stop::after(
            Some(Duration::from_millis(100)),
            None,
            Some(progress.clone()),
        ),
        ..opts(2)
    };
    let r = search(plan.job(), &o).unwrap();
    assert_eq!(r.outcome, Outcome::TimedOut);
    assert!(r.elapsed < Duration::from_secs(5));
    assert_eq!(progress.load(Ordering::Relaxed), r.hashes);
    assert!(r.hashes > INLINE);

    let cancel = Arc::new(AtomicBool::new(false));
    let c2 = cancel.clone();
    let t = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        c2.store(true, Ordering::Relaxed);
    });
    let o = SearchOptions {
        stop: Stop::after(None, Some(cancel), None),
        ..opts(2)
    };
    let r = search(plan.job(), &o).unwrap();
    t.join().unwrap();
    assert_eq!(r.outcome, Outcome::Cancelled);
}

#[test]
fn every_backend_agrees_with_the_reference_filter() {
    // Block-boundary prefixes, carrying nonces, both hashes, a loose filter so that
    // many candidates are reported.
    for alg in [HashAlg::Sha256, HashAlg::Sha1] {
        for plen in [0usize, 45, 46, 55, 56, 63, 64, 100] {
            let prefix = vec![b'p'; plen];
            let job = Job::new(
                alg,
                &prefix,
                6,
                Alphabet::Base64,
                b"",
                Predicate::AtMost(Target::leading_zero_bits(4)),
            )
            .unwrap();
            // Around carries: ...zzz/ -> ...1000
            for start in [
                0u64,
                63 * 64 - 5,
                64 * 64 * 64 - 7,
                job.nonce().space() - 40,
            ] {
                let range = start..(start + 200).min(job.nonce().space());
                let want = reference::filter_candidates(&job, range.clone());
                for &b in Backend::available().iter() {
                    let mut got = Vec::new();
                    let mut cur = range.start;
                    while let Some(c) = b.search(&job, cur..range.end) {
                        got.push(c);
                        cur = c + 1;
                    }
                    assert_eq!(got, want, "{b} {alg} plen={plen} start={start}");
                }
            }
        }
    }
}

#[test]
fn k_lowest_hits_whatever_the_thread_count() {
    let plan = Sha256Bits::new("many", Difficulty::from_bits(8).unwrap())
        .unwrap()
        .plan();
    let job = plan.job();
    let mut want = Vec::new();
    let mut cur = 0;
    while want.len() < 40 {
        let i = reference::search(job, cur..job.range().end).unwrap();
        want.push(i);
        cur = i + 1;
    }
    for k in [1usize, 2, 7, 40] {
        for t in [1, 2, 5] {
            let r = search_many(job, job.range(), k, &opts(t)).unwrap();
            let got: Vec<u64> = r.hits.iter().map(|h| h.0).collect();
            assert_eq!(got, want[..k], "k={k} threads={t}");
            assert!(matches!(r.outcome, Outcome::Found { index, .. } if index == want[0]));
            assert!(r.hashes > want[k - 1]);
        }
    }
    // Fewer than k in the range: exhausted, with what was found.
    let r = search_many(job, 0..want[2] + 1, 5, &opts(2)).unwrap();
    assert_eq!(r.outcome, Outcome::Exhausted);
    assert_eq!(r.hits.len(), 3);
}

#[test]
fn scan_finds_the_lowest_item_whatever_the_thread_count() {
    let hit = |r: Range<u64>| r.clone().find(|&n| n % 1000 == 999 && n > 5000);
    for t in [1, 2, 3] {
        let (found, hashes) = scan_chunks(100_000, 64, t, &Stop::default(), hit).unwrap();
        assert_eq!(found, Ok(5999), "threads={t}");
        assert!(hashes >= 5999);
    }
    let (found, hashes) = scan_chunks(500, 64, 2, &Stop::default(), hit).unwrap();
    assert_eq!((found, hashes), (Err(Outcome::Exhausted), 500));
    let past = Stop {
        deadline: Some(Instant::now()),
        ..Default::default()
    };
    let (found, _) = scan_chunks(u64::MAX, 64, 2, &past, |_| None::<()>).unwrap();
    assert_eq!(found, Err(Outcome::TimedOut));
}

#[test]
fn backend_names() {
    assert_eq!(Backend::from_name("portable").unwrap(), Backend::Portable);
    assert_eq!(Backend::from_name("auto").unwrap(), Backend::detect());
    assert!(matches!(
        Backend::from_name("quantum"),
        Err(Error::UnknownBackend { .. })
    ));
}
