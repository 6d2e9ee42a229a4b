//! Searches over canonical decimal nonces (no leading zeros), as most browser PoW
//! schemes use. Two orders ([`DecimalOrder`]):
//!
//! * **fast** (the default): jobs whose numbers are laid out for the kernels. The
//!   number is a fixed leading `1`, then zeros, then varying digits, and its length is
//!   chosen from every length the scheme accepts (up to [`MAX_SAFE_INTEGER`]) so that the
//!   varying digits end as late in the message's final block as they can (the kernels precompute everything before
//!   the last message word that varies) and, at equal words, fill that word. Where the
//!   prefix leaves too little room before the padding (a prefix of 46 to 54 bytes past
//!   a block edge under the 2^53 - 1 bound), the digits end the block before the last
//!   instead, and the last block is constant (SHA-256: two compressions a candidate, the
//!   second without a message schedule). That first job is the whole search where it
//!   has 12 varying digits (or all the largest number allows). Where it has fewer but
//!   fixed digits after the `1` (a prefix 55 to 59 bytes past a block edge: 7 to 11
//!   digits at the start of the next block), jobs of the same layout follow with those
//!   fixed digits counting up; then, or straight after a first job without fixed
//!   digits, the lowest order. The answer is the first valid number in that order, the
//!   same for any thread count and backend.
//! * **lowest**: one job per digit count, shortest first, so the lowest valid number
//!   comes first, as the peers' own solvers answer.

use crate::error::Error;
use crate::job::{Alphabet, BLOCK_LEN, HashAlg, Job, Predicate};

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

/// The order in which a [`DecimalSearch`] tries numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DecimalOrder {
    /// Numbers laid out for the kernels (see the module docs): the fastest search.
    #[default]
    Fast,
    /// The lowest valid number first, as the peers' own solvers answer.
    Lowest,
}

/// One job of a decimal search: index `i` of [`job`](Self::job) is the number
/// `base + i`.
#[derive(Debug, Clone)]
pub struct DecimalJob {
    /// The job.
    pub job: Job,
    /// The number that index 0 stands for.
    pub base: u64,
}

impl DecimalJob {
    /// The number that `index` of the job stands for.
    pub fn number(&self, index: u64) -> u64 {
        self.base + index
    }
}

/// The largest integer every JSON parser reads exactly: JavaScript's
/// `Number.MAX_SAFE_INTEGER` (2^53 - 1, the I-JSON limit of RFC 7493). The fast order
/// answers no number above it, so a peer's JavaScript client or server (or `jq`) reads the
/// answer as written.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// Varying digits the fast order wants at least: 10^12 numbers (about 2^40) outlast any
/// search a client finishes.
const ENOUGH_DIGITS: usize = 12;

/// Varying digits that make a layout good enough to rank by speed first: 10^9 numbers,
/// about 2^30, 64 times what a 24-bit search expects (a search that runs past them goes
/// on in the lowest order). A single-block layout with this many beats a two-block one
/// with more, which costs two compressions a candidate.
const FEW_DIGITS: usize = 9;

/// Varying digits a fast layout needs for the jobs after its first: 10^6 numbers a job
/// (milliseconds on any kernel), so that starting a job costs nothing next to it. A
/// layout with fewer (a small largest number) goes on in the lowest order.
const SERIES_DIGITS: usize = 6;

/// Decimal digits of `n` (1 for 0).
fn digits(n: u64) -> usize {
    n.checked_ilog10().map_or(1, |d| d as usize + 1)
}

impl DecimalSearch {
    /// The jobs, in the order they are searched. The lowest order: one job per digit
    /// count. The fast order: its first job; where that job has fewer than enough
    /// varying digits (the prefix leaves no room for more in one block) but at least
    /// [`SERIES_DIGITS`], the jobs of the same layout with the fixed digits after the
    /// `1` counting up from `0…01` follow it; then the lowest order's jobs. The jobs
    /// after the first fast one are made as they are reached (a series can hold 10^8 of
    /// them); errors in the layout come here, and the later jobs have the first one's
    /// lengths.
    pub fn jobs(&self, order: DecimalOrder) -> Result<DecimalJobs<'_>, Error> {
        let (first, fast) = match order {
            DecimalOrder::Fast => match self.fast_layout() {
                Some(l) => (self.fast_job(l, 0)?, Some(l)),
                None => (None, None),
            },
            DecimalOrder::Lowest => (None, None),
        };
        let series = fast.filter(|l| (SERIES_DIGITS..self.enough_digits()).contains(&l.varying));
        let whole = fast.is_some_and(|l| l.varying >= self.enough_digits());
        let lowest = if first.is_some() && whole {
            // Enough varying digits: the fast job is the whole search.
            Vec::new()
        } else {
            self.lowest_jobs()?
        };
        // The series goes on from the job holding the smallest number, if later.
        let next_lead = series.map_or(1, |l| {
            (self.min.saturating_sub(l.first_number()) / l.space()).max(1)
        });
        Ok(DecimalJobs {
            search: self,
            first,
            series,
            next_lead,
            lowest: lowest.into_iter(),
        })
    }

    /// Varying digits a fast job needs for the search to outlast any client:
    /// [`ENOUGH_DIGITS`], or as many as the largest number allows after its leading `1`.
    fn enough_digits(&self) -> usize {
        ENOUGH_DIGITS.min(digits(self.fast_max()) - 1)
    }

    /// The largest number of the fast order: `max`, at most [`MAX_SAFE_INTEGER`].
    fn fast_max(&self) -> u64 {
        self.max.min(MAX_SAFE_INTEGER)
    }

    /// One job per digit count, in increasing numeric order; a job's nonce index *is* the
    /// number (its `width` digits have no leading zero inside its range).
    fn lowest_jobs(&self) -> Result<Vec<DecimalJob>, Error> {
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
                out.push(DecimalJob { job, base: 0 });
            }
            if hi > self.max {
                break;
            }
            lo = hi;
        }
        Ok(out)
    }

    /// The fast order's layout, or `None` when no layout leaves at least two varying
    /// digits in one block: the final block, or (SHA-256) the block before a final block
    /// of suffix and padding.
    fn fast_layout(&self) -> Option<FastLayout> {
        // A number of `width` digits: `1`, `width - v - 1` fixed digits (zeros in the
        // first job), `v` varying digits. Score: `FEW_DIGITS` varying digits; then a
        // single block; then enough digits; then at least three of them in the last
        // varying word (a chunk of 1,000 numbers or more: fewer leave kernel lanes idle
        // and redo the per-chunk precomputation too often); then the latest varying
        // word; the most varying digits in it; the most digits.
        let max = self.fast_max();
        let layouts = (3..=digits(max)).flat_map(|width| (2..width).map(move |v| (width, v)));
        layouts
            .filter_map(|(width, v)| {
                let start = (self.prefix.len() + width - v) % BLOCK_LEN;
                let end = start + v;
                // The number's varying digits, the suffix and SHA padding in one block; or
                // the varying digits in one block and the rest in one more.
                let rest = self.suffix.len() + 9;
                let one = end + rest <= BLOCK_LEN;
                let two =
                    self.alg == HashAlg::Sha256 && end <= BLOCK_LEN && end + rest <= 2 * BLOCK_LEN;
                if !one && !two {
                    return None;
                }
                let vw = (end - 1) / 4;
                let inner = end - start.max(4 * vw);
                let good = v >= self.enough_digits().min(FEW_DIGITS);
                let score = (
                    good,
                    one,
                    v >= self.enough_digits(),
                    inner >= 3,
                    vw,
                    inner,
                    v,
                );
                Some((score, width, v))
            })
            .max()
            .map(|(_, width, varying)| FastLayout { width, varying })
    }

    /// Job `lead` of the fast layout `l`: the numbers `10^(width-1) + lead * 10^v + i`,
    /// `i < 10^v`, within `min..=max`; `None` when there are none.
    fn fast_job(&self, l: FastLayout, lead: u64) -> Result<Option<DecimalJob>, Error> {
        let FastLayout { width, varying: v } = l;
        let space = l.space();
        let Some(base) = lead
            .checked_mul(space)
            .and_then(|x| x.checked_add(l.first_number()))
            .filter(|&b| b <= self.fast_max())
        else {
            return Ok(None);
        };
        let start = self.min.saturating_sub(base);
        let end = space.min(self.fast_max() - base + 1);
        if start >= end {
            return Ok(None);
        }
        let mut prefix = self.prefix.clone();
        prefix.push(b'1');
        if width - v > 1 {
            prefix.extend_from_slice(format!("{lead:0w$}", w = width - v - 1).as_bytes());
        }
        let job = Job::new(
            self.alg,
            &prefix,
            v,
            Alphabet::Decimal,
            &self.suffix,
            self.predicate,
        )?
        .with_range(start..end)?;
        Ok(Some(DecimalJob { job, base }))
    }
}

/// The fast order's layout: numbers of `width` digits whose last `varying` vary within
/// a job.
#[derive(Debug, Clone, Copy)]
struct FastLayout {
    width: usize,
    varying: usize,
}

impl FastLayout {
    /// Numbers per job: `10^varying`.
    fn space(self) -> u64 {
        10u64.pow(self.varying as u32)
    }

    /// The layout's first number, `1` then zeros: `10^(width-1)`.
    fn first_number(self) -> u64 {
        10u64.pow(self.width as u32 - 1)
    }
}

/// The jobs of a [`DecimalSearch`] in one order, made as they are reached (see
/// [`DecimalSearch::jobs`]).
#[derive(Debug)]
pub struct DecimalJobs<'a> {
    search: &'a DecimalSearch,
    /// The fast order's first job, until taken.
    first: Option<DecimalJob>,
    /// The fast layout whose next jobs follow the first (fewer than enough varying
    /// digits), with the fixed digits of the next one.
    series: Option<FastLayout>,
    next_lead: u64,
    /// The lowest order's jobs, after the fast ones.
    lowest: std::vec::IntoIter<DecimalJob>,
}

impl Iterator for DecimalJobs<'_> {
    type Item = Result<DecimalJob, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(j) = self.first.take() {
            return Some(Ok(j));
        }
        // The fixed digits after the leading `1` count up to all nines. The series
        // starts at the job holding the smallest number, so a job without numbers is past
        // the largest, and so is every later one.
        if let Some(l) = self.series
            && self.next_lead < 10u64.pow((l.width - l.varying - 1) as u32)
        {
            let lead = self.next_lead;
            self.next_lead += 1;
            match self.search.fast_job(l, lead) {
                Ok(Some(j)) => return Some(Ok(j)),
                Ok(None) => {}
                Err(e) => return Some(Err(e)),
            }
        }
        self.series = None;
        self.lowest.next().map(Ok)
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
        let jobs: Vec<Job> = s
            .jobs(DecimalOrder::Lowest)
            .unwrap()
            .map(|j| j.unwrap().job)
            .collect();
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
        let jobs = collect(&all, DecimalOrder::Lowest);
        assert_eq!(jobs.len(), 19);
        assert_eq!(jobs[0].job.range(), 0..10);
        assert_eq!(jobs[18].job.range().end, 10u64.pow(19));
        assert_eq!(
            reference::search(&jobs[0].job, jobs[0].job.range()),
            Some(0)
        );
    }

    /// A search after a prefix of `plen` bytes for numbers up to `max`.
    fn search(plen: usize, max: u64) -> DecimalSearch {
        DecimalSearch {
            alg: HashAlg::Sha256,
            prefix: vec![b'p'; plen],
            suffix: Vec::new(),
            predicate: Predicate::AtMost(Target::leading_zero_bits(0)),
            min: 0,
            max,
        }
    }

    /// Every job of `s` in `order` (a search with few jobs).
    fn collect(s: &DecimalSearch, order: DecimalOrder) -> Vec<DecimalJob> {
        s.jobs(order).unwrap().map(Result::unwrap).collect()
    }

    /// The first job of `s` in the fast order.
    fn first(s: &DecimalSearch) -> DecimalJob {
        s.jobs(DecimalOrder::Fast).unwrap().next().unwrap().unwrap()
    }

    /// The fast order's layout for a prefix of `plen` bytes and numbers up to `max`.
    fn fast(plen: usize, max: u64) -> DecimalJob {
        let mut jobs = collect(&search(plen, max), DecimalOrder::Fast);
        assert_eq!(jobs.len(), 1, "plen {plen}");
        jobs.remove(0)
    }

    #[test]
    fn fast_order_lays_the_varying_digits_out_late_in_one_block() {
        // Anubis: 128 bytes of randomData: 16 digits (the most JSON keeps exact), word 3.
        let j = fast(128, i64::MAX as u64);
        assert_eq!(j.base, 10u64.pow(15));
        assert_eq!(j.job.nonce().width, 15);
        assert_eq!(j.job.nonce_chars(5), "000000000000005");
        assert_eq!(j.number(5), 1_000_000_000_000_005);
        assert_eq!(
            j.job.digest_at(5),
            HashAlg::Sha256
                .digest_message(&[vec![b'p'; 128], b"1000000000000005".to_vec()].concat())
        );
        // A 32-character salt (Cap): word 11 full.
        let j = fast(32, MAX_SAFE_INTEGER);
        assert_eq!((j.job.nonce().offset + j.job.nonce().width) % 64, 48);
        assert_eq!((j.base, j.job.range().end), (10u64.pow(15), 10u64.pow(15)));
        // A prefix that leaves too little room: the number starts the next block.
        let j = fast(63, u64::MAX);
        assert_eq!(j.job.tail().len(), 1);
        assert_eq!((j.base, j.job.nonce().width), (10u64.pow(15), 15));
        // A maximum below 2^53 is kept.
        let j = fast(32, 12_345_678_901_234);
        assert_eq!(j.number(j.job.range().end - 1), 12_345_678_901_234);
        // 44 to 55 bytes past a block edge: no room for enough digits before the padding
        // (the 2^53 - 1 bound allows 16), so they end the block, and the padding fills a
        // constant last block.
        let j = fast(64 + 48, MAX_SAFE_INTEGER);
        assert_eq!(j.job.tail().len(), 2);
        assert_eq!(j.job.nonce().offset + j.job.nonce().width, 64);
        assert_eq!((j.base, j.job.nonce().width), (10u64.pow(15), 15));
        assert_eq!(
            j.job.digest_at(7),
            HashAlg::Sha256
                .digest_message(&[vec![b'p'; 112], b"1000000000000007".to_vec()].concat())
        );
        // Not with SHA-1 (its kernels have no two-block form).
        let s = DecimalSearch {
            alg: HashAlg::Sha1,
            ..search(48, MAX_SAFE_INTEGER)
        };
        assert_eq!(first(&s).job.tail().len(), 1);
        for plen in 0..=130 {
            let s = search(plen, u64::MAX);
            let mut jobs = s.jobs(DecimalOrder::Fast).unwrap().map(Result::unwrap);
            let j = jobs.next().unwrap();
            let nf = j.job.nonce();
            let tail = j.job.tail().len();
            let two = (46..=54).contains(&(plen % 64));
            assert_eq!(tail, if two { 2 } else { 1 }, "plen {plen}");
            assert!(nf.offset + nf.width <= 64, "plen {plen}");
            if nf.width >= ENOUGH_DIGITS {
                assert!(jobs.next().is_none(), "plen {plen}");
                // At least three varying digits in the last varying word.
                let end = nf.offset + nf.width;
                assert!(matches!(end % 4, 0 | 3), "plen {plen}");
            } else {
                // No room for enough digits in one block, or in two (the block's last 21
                // bytes but 46..=51): the same layout with the next fixed digits follows,
                // numbers counting on from the first job's.
                assert!((43..60).contains(&(plen % 64)), "plen {plen}");
                assert!(!(46..=51).contains(&(plen % 64)), "plen {plen}");
                let space = 10u64.pow(nf.width as u32);
                if j.base / space == 1 {
                    // No fixed digit after the leading `1`: the lowest order follows.
                    assert_eq!(jobs.next().unwrap().base, 0, "plen {plen}");
                    continue;
                }
                for k in 1..4 {
                    let n = jobs.next().unwrap();
                    assert_eq!(n.base, j.base + k * space, "plen {plen}");
                    assert_eq!(n.job.nonce(), nf, "plen {plen}");
                    assert_eq!(n.job.tail().len(), tail, "plen {plen}");
                    assert_eq!(n.job.range(), 0..space, "plen {plen}");
                    let number = n.number(space - 1);
                    assert_eq!(
                        n.job.digest_at(space - 1),
                        HashAlg::Sha256.digest_message(
                            &[s.prefix.clone(), number.to_string().into_bytes()].concat()
                        ),
                        "plen {plen}"
                    );
                }
            }
        }
    }

    #[test]
    fn fast_order_keeps_min_and_max_and_falls_back_to_lowest() {
        // Small maxima keep the lowest order (no room for varying digits).
        let s = DecimalSearch {
            alg: HashAlg::Sha256,
            prefix: b"salt".to_vec(),
            suffix: Vec::new(),
            predicate: Predicate::AtMost(Target::leading_zero_bits(0)),
            min: 0,
            max: 99,
        };
        let jobs = collect(&s, DecimalOrder::Fast);
        assert_eq!(jobs.len(), 2);
        assert_eq!(jobs[0].base, 0);
        // A maximum just above a power of ten: every number of the job is within it.
        let s = DecimalSearch {
            max: 1_000_123,
            min: 1_000_005,
            ..s
        };
        let j = &first(&s);
        assert_eq!(j.number(j.job.range().start), 1_000_005);
        assert_eq!(j.number(j.job.range().end - 1), 1_000_123);
        // With no constraint, index 0 answers first: 1 then zeros, the same every time.
        let j = &first(&s);
        let n = j.number(reference::search(&j.job, j.job.range()).unwrap());
        assert_eq!(n, 1_000_005);
    }

    #[test]
    fn few_varying_digits_go_on_with_the_next_fixed_digits_from_min_to_max() {
        // 55 bytes past a block edge: 7 varying digits at the start of the next block.
        let base = 10u64.pow(15);
        let s = DecimalSearch {
            min: base + 3 * 10u64.pow(7) + 5,
            max: base + 5 * 10u64.pow(7) + 7,
            ..search(64 + 55, u64::MAX)
        };
        let mut jobs = s.jobs(DecimalOrder::Fast).unwrap().map(Result::unwrap);
        let numbers =
            |j: &DecimalJob| j.number(j.job.range().start)..=j.number(j.job.range().end - 1);
        let a = jobs.next().unwrap();
        assert_eq!(a.job.nonce().width, 7);
        assert_eq!(numbers(&a), s.min..=base + 4 * 10u64.pow(7) - 1);
        let b = jobs.next().unwrap();
        assert_eq!(
            numbers(&b),
            base + 4 * 10u64.pow(7)..=base + 5 * 10u64.pow(7) - 1
        );
        let c = jobs.next().unwrap();
        assert_eq!(numbers(&c), base + 5 * 10u64.pow(7)..=s.max);
        assert_eq!(
            c.job.digest_at(7),
            HashAlg::Sha256
                .digest_message(&[s.prefix.clone(), s.max.to_string().into_bytes()].concat())
        );
        // Then the lowest order, from the smallest number.
        let d = jobs.next().unwrap();
        assert_eq!(d.base, 0);
        assert_eq!(d.job.range().start, s.min);
        assert!(jobs.next().is_none());
        // A largest number that leaves a layout of 2 varying digits there: no series of
        // 100-number jobs, the lowest order follows.
        let s = search(64 + 55, 2 * 10u64.pow(10));
        let mut jobs = s.jobs(DecimalOrder::Fast).unwrap().map(Result::unwrap);
        assert_eq!(jobs.next().unwrap().job.nonce().width, 2);
        assert_eq!(jobs.next().unwrap().base, 0);
    }
}
