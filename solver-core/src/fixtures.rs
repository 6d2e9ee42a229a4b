//! Fixed jobs for benchmarks: `grind bench` and the criterion benches measure the same
//! work.

use crate::schemes::hashcash::{self, DateWidth, MintRequest};
use crate::schemes::sha256_bits::{self, Sha256Bits};
use crate::{Difficulty, Job};

/// The 32-character salt of the `sha256-bits` bench job.
pub const BENCH_SALT: &str = "grindstone-bench-0123456789abcde";

/// The bench job of `scheme` (difficulty 64: the search never ends early and filter
/// candidates are rare), and the prefix a naive loop hashes with a decimal nonce.
pub fn bench_job(scheme: &str) -> Result<(Job, Vec<u8>), String> {
    match scheme {
        sha256_bits::NAME => {
            let c = Sha256Bits::new(BENCH_SALT, Difficulty::from_bits(64).expect("in range"))
                .expect("valid salt");
            Ok((c.plan().job().clone(), BENCH_SALT.as_bytes().to_vec()))
        }
        hashcash::NAME => {
            let req = MintRequest {
                bits: 64,
                resource: "bench@grindstone.example".into(),
                ext: String::new(),
                date: hashcash::parse_date("261121").expect("valid date"),
                date_width: DateWidth::Day,
                rand: "AAAAAAAAAAAAAAAA".into(),
            };
            let job = req.plan().map_err(|e| e.to_string())?.job().clone();
            let prefix = "1:64:261121:bench@grindstone.example::AAAAAAAAAAAAAAAA:";
            Ok((job, prefix.into()))
        }
        other => Err(format!(
            "unknown scheme {other:?} (known: {}, {})",
            sha256_bits::NAME,
            hashcash::NAME
        )),
    }
}

/// Schemes with a bench job.
pub const SCHEMES: &[&str] = &[sha256_bits::NAME, hashcash::NAME];
