//! Fixed jobs for benchmarks: `grind bench` and the criterion benches measure the same
//! work.

use crate::schemes::decimal::{DecimalOrder, DecimalSearch};
use crate::schemes::hashcash::{self, DateWidth, MintRequest};
use crate::schemes::sha256_bits::{self, Sha256Bits};
use crate::schemes::{altcha, anubis, cap, go_away, mcaptcha};
use crate::{Difficulty, Job};

/// The 32-character salt of the `sha256-bits` bench job.
pub const BENCH_SALT: &str = "grindstone-bench-0123456789abcde";

/// The bench job of `scheme` (about 64 bits of difficulty: the search never ends early
/// and filter candidates are rare), and the prefix a naive loop hashes with a decimal
/// nonce. Peer schemes: their jobs as the solvers plan them (the fast order's job of a
/// decimal search; ALTCHA's 8-digit numbers of its full scan; go-away's 8 characters
/// after the challenge bytes).
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
        anubis::NAME => {
            // 128 hex characters of randomData (Anubis's own length), 16 hex digits of
            // difficulty.
            let ch = anubis::Challenge::parse(&format!(
                r#"{{"rules":{{"algorithm":"fast","difficulty":16}},"challenge":{{"id":"bench","randomData":"{}"}}}}"#,
                BENCH_RANDOM_DATA
            ))
            .map_err(|e| e.to_string())?;
            fast_job(&ch.search())
        }
        mcaptcha::NAME => {
            let cfg = mcaptcha::Config::parse(
                r#"{"string":"grindstone-bench-phrase","salt":"grindstone-bench-salt-0123456789","difficulty_factor":4000000000}"#,
            )
            .map_err(|e| e.to_string())?;
            fast_job(&cfg.search())
        }
        cap::NAME => {
            let ch = cap::Challenge::parse(
                r#"{"challenge":{"c":1,"s":32,"d":16},"token":"grindstone-bench-token"}"#,
            )
            .map_err(|e| e.to_string())?;
            fast_job(&ch.search(1))
        }
        CAP_SALT48 => {
            // Cap with 48-character salts: 16-digit numbers end the salt's block, and the
            // padding takes a constant second block.
            let ch = cap::Challenge::parse(
                r#"{"challenge":{"c":1,"s":48,"d":16},"token":"grindstone-bench-token"}"#,
            )
            .map_err(|e| e.to_string())?;
            fast_job(&ch.search(1))
        }
        altcha::NAME => {
            // An exact-match digest no number reaches, over 0..=maxnumber.
            let ch = altcha::Challenge::parse(&format!(
                r#"{{"algorithm":"SHA-256","challenge":"{}","maxnumber":{},"salt":"grindstone-bench?expires=4102444800&","signature":"00"}}"#,
                "f".repeat(64),
                altcha::MAX_NUMBER
            ))
            .map_err(|e| e.to_string())?;
            lowest_job(&ch.search().expect("SHA-256 has a job"), 8)
        }
        go_away::NAME => {
            let ch = go_away::Challenge::from_key(b"grindstone-bench", 64);
            Ok((ch.job().map_err(|e| e.to_string())?, ch.challenge.to_vec()))
        }
        other => Err(format!(
            "unknown scheme {other:?} (known: {})",
            SCHEMES.join(", ")
        )),
    }
}

/// The randomData of the Anubis bench job (128 hex characters).
pub const BENCH_RANDOM_DATA: &str = "4f2b1c8d9e0a7b6c5d4e3f201918171615141312111009080706050403020100ffeeddccbbaa99887766554433221100aabbccddeeff00112233445566778899";

/// The job a decimal search runs first in the fast order (its whole search where the
/// prefix leaves room: every bench job here does), and its prefix.
fn fast_job(s: &DecimalSearch) -> Result<(Job, Vec<u8>), String> {
    let j = s
        .jobs(DecimalOrder::Fast)
        .map_err(|e| e.to_string())?
        .next()
        .ok_or("no fast job")?
        .map_err(|e| e.to_string())?;
    Ok((j.job, s.prefix.clone()))
}

/// The `digits`-digit job of a decimal search in the lowest order, and its prefix.
fn lowest_job(s: &DecimalSearch, digits: usize) -> Result<(Job, Vec<u8>), String> {
    for j in s.jobs(DecimalOrder::Lowest).map_err(|e| e.to_string())? {
        let job = j.map_err(|e| e.to_string())?.job;
        if job.nonce().width == digits {
            return Ok((job, s.prefix.clone()));
        }
    }
    Err(format!("no {digits}-digit job"))
}

/// The bench job of Cap with 48-character salts (the two-block layout of decimal
/// numbers: a prefix 44 to 55 bytes past a block edge).
pub const CAP_SALT48: &str = "cap-salt48";

/// Schemes with a bench job.
pub const SCHEMES: &[&str] = &[
    sha256_bits::NAME,
    hashcash::NAME,
    anubis::NAME,
    mcaptcha::NAME,
    cap::NAME,
    CAP_SALT48,
    altcha::NAME,
    go_away::NAME,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bench_scheme_has_its_job() {
        for scheme in SCHEMES {
            let (job, _) = bench_job(scheme).unwrap_or_else(|e| panic!("{scheme}: {e}"));
            assert!(!job.range().is_empty(), "{scheme}");
        }
        // ALTCHA's is the lowest order's 8-digit job.
        assert_eq!(bench_job(altcha::NAME).unwrap().0.nonce().width, 8);
        assert!(bench_job("no-such-scheme").is_err());
    }
}
