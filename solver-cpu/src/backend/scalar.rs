//! The scalar backend: the shared lane kernels with one 32-bit lane, so the per-chunk
//! precomputation (rounds before the varying word, constant schedule words) applies on
//! any CPU. Runs everywhere.

use std::ops::Range;

use grindstone_core::Job;

/// See the [backend contract](super).
pub fn search(job: &Job, range: Range<u64>) -> Option<u64> {
    super::lanes::search::<u32>(job, range)
}
