//! The scalar reference search: the slowest, plainest possible loop over nonce indices.
//! Every kernel is tested against it; it is not used to solve.

use std::ops::Range;

use crate::job::Job;

/// The lowest index in `range` (clamped to the job's range) whose digest satisfies the
/// job's predicate, computed one index at a time with [`Job::check`].
pub fn search(job: &Job, range: Range<u64>) -> Option<u64> {
    let r = job.range();
    let start = range.start.max(r.start);
    let end = range.end.min(r.end);
    (start..end).find(|&i| job.check(i).is_some())
}

/// Every index in `range` (clamped to the job's range) that passes the job's fast filter,
/// in increasing order: what a kernel must report, false positives included.
pub fn filter_candidates(job: &Job, range: Range<u64>) -> Vec<u64> {
    let r = job.range();
    let f = job.filter();
    (range.start.max(r.start)..range.end.min(r.end))
        .filter(|&i| f.passes(job.digest_at(i).words()[0]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Alphabet, HashAlg, Predicate, Target};

    #[test]
    fn finds_the_lowest_solution() {
        let job = Job::new(
            HashAlg::Sha256,
            b"reference-test",
            4,
            Alphabet::Decimal,
            b"",
            Predicate::AtMost(Target::leading_zero_bits(8)),
        )
        .unwrap();
        let first = search(&job, job.range()).expect("2^-8 odds over 10^4 tries");
        assert!(job.digest_at(first).leading_zero_bits() >= 8);
        for i in 0..first {
            assert!(job.digest_at(i).leading_zero_bits() < 8);
        }
        assert_eq!(search(&job, first + 1..first + 1), None);
        let cands = filter_candidates(&job, 0..first + 1);
        assert_eq!(cands.last(), Some(&first));
    }
}
