//! The portable backend: the job's midstate and the RustCrypto compression functions,
//! one candidate at a time, with the nonce characters advanced in place like an odometer.

use std::ops::Range;

use grindstone_core::{HashAlg, Job};

/// See the [backend contract](super).
pub fn search(job: &Job, range: Range<u64>) -> Option<u64> {
    let range = job.clamp(range);
    if range.is_empty() {
        return None;
    }
    let mut tail = job.tail().to_vec();
    let nonce = *job.nonce();
    nonce.write(range.start, tail.as_flattened_mut());
    let filter = job.filter();
    let mid = *job.midstate();
    match job.alg() {
        HashAlg::Sha256 => {
            for i in range {
                let mut st = mid;
                sha2::block_api::compress256(&mut st, &tail);
                if filter.passes(st[0]) {
                    return Some(i);
                }
                nonce.increment(tail.as_flattened_mut());
            }
        }
        HashAlg::Sha1 => {
            let mid: [u32; 5] = [mid[0], mid[1], mid[2], mid[3], mid[4]];
            for i in range {
                let mut st = mid;
                sha1::block_api::compress(&mut st, &tail);
                if filter.passes(st[0]) {
                    return Some(i);
                }
                nonce.increment(tail.as_flattened_mut());
            }
        }
    }
    None
}
