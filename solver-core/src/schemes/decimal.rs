//! Searches over canonical decimal nonces (`0`, `1`, ..., no leading zeros), as most
//! browser PoW schemes use: one [`Job`] per digit count, each restricted to the numbers
//! of that length, searched in increasing order, so the lowest valid number comes first.

use crate::error::Error;
use crate::job::{Alphabet, HashAlg, Job, Predicate};

/// `prefix ‖ decimal(n) ‖ suffix` for `n` in `min..=max`.
#[derive(Debug, Clone)]
pub struct DecimalSearch {
    /// Hash function.
    pub alg: HashAlg,
    /// Bytes before the number.
    pub prefix: Vec<u8>,
    /// Bytes after the number.
    pub suffix: Vec<u8>,
    /// The digest predicate.
    pub predicate: Predicate,
    /// Smallest number tried.
    pub min: u64,
    /// Largest number tried (inclusive).
    pub max: u64,
}

impl DecimalSearch {
    /// The jobs, one per digit count, in increasing numeric order. A job's nonce index
    /// *is* the number (its `width` digits have no leading zero inside its range).
    pub fn jobs(&self) -> Result<Vec<Job>, Error> {
        let mut out = Vec::new();
        let mut lo: u64 = 0;
        for width in 1..=19usize {
            let hi = 10u64.checked_pow(width as u32).unwrap_or(u64::MAX);
            let start = lo.max(self.min);
            let end = hi.min(self.max.saturating_add(1));
            if start < end {
                let job = Job::new(
                    self.alg,
                    &self.prefix,
                    width,
                    Alphabet::Decimal,
                    &self.suffix,
                    self.predicate,
                )?
                .with_range(start..end)?;
                out.push(job);
            }
            if hi > self.max {
                break;
            }
            lo = hi;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Target, reference};

    #[test]
    fn jobs_cover_numbers_in_order_without_leading_zeros() {
        let s = DecimalSearch {
            alg: HashAlg::Sha256,
            prefix: b"p".to_vec(),
            suffix: b"".to_vec(),
            predicate: Predicate::AtMost(Target::leading_zero_bits(0)),
            min: 5,
            max: 1234,
        };
        let jobs = s.jobs().unwrap();
        assert_eq!(jobs.len(), 4);
        assert_eq!(jobs[0].range(), 5..10);
        assert_eq!(jobs[1].range(), 10..100);
        assert_eq!(jobs[3].range(), 1000..1235);
        // Index = number, rendered without leading zeros, hashed as text.
        assert_eq!(jobs[2].nonce_chars(123), "123");
        assert_eq!(
            jobs[2].digest_at(123),
            HashAlg::Sha256.digest_message(b"p123")
        );
        let all = DecimalSearch {
            min: 0,
            max: u64::MAX,
            ..s
        };
        let jobs = all.jobs().unwrap();
        assert_eq!(jobs.len(), 19);
        assert_eq!(jobs[0].range(), 0..10);
        assert_eq!(jobs[18].range().end, 10u64.pow(19));
        assert_eq!(reference::search(&jobs[0], jobs[0].range()), Some(0));
    }
}
