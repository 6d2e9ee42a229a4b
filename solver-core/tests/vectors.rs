//! The shared vectors produced by the real peer tools (`vectors/`, copied from the
//! project's shared folder) pass our verifier; tampered ones are refused.

use std::path::PathBuf;

use grindstone_core::schemes::{hashcash, sha256_bits::Sha256Bits};
use grindstone_core::{Difficulty, Rejection, VerifyError};
use serde_json::Value;

fn load(name: &str) -> Value {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../vectors")
        .join(name);
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).unwrap()
}

#[test]
fn powforge_captcha_vectors() {
    let v = load("powforge_captcha.json");
    let cases = v["cases"].as_array().unwrap();
    assert!(cases.len() >= 7);
    for c in cases {
        let salt = c["salt"].as_str().unwrap();
        let bits = c["difficulty_bits"].as_u64().unwrap() as u32;
        let nonce = c["nonce"].as_str().unwrap();
        let ch = Sha256Bits::new(salt, Difficulty::from_bits(bits).unwrap()).unwrap();
        let proof = ch.verify(nonce).unwrap();
        assert_eq!(proof.digest.to_hex(), c["sha256_hex"].as_str().unwrap());
        assert!(proof.zero_bits >= bits);
        // One bit more than the digest has is refused.
        let harder =
            Sha256Bits::new(salt, Difficulty::from_bits(proof.zero_bits + 1).unwrap()).unwrap();
        assert!(matches!(
            harder.verify(nonce),
            Err(VerifyError::Rejected(Rejection::InsufficientWork { .. }))
        ));
        // A tampered nonce is refused (with overwhelming probability at >= 8 bits, and
        // these particular tamperings are checked to fail).
        let tampered = format!("{nonce}x");
        assert!(ch.verify(&tampered).is_err(), "{salt} {tampered}");
    }
}

#[test]
fn hashcash_valid_vectors() {
    let v = load("hashcash.json");
    for c in v["valid"].as_array().unwrap() {
        let text = c["stamp"].as_str().unwrap();
        let stamp = hashcash::Stamp::parse(text).unwrap();
        assert_eq!(stamp.resource(), c["resource"].as_str().unwrap(), "{text}");
        assert_eq!(stamp.bits() as u64, c["bits"].as_u64().unwrap());
        let mut policy = hashcash::CheckPolicy::new(stamp.time());
        policy.resource = Some(c["resource"].as_str().unwrap().to_string());
        policy.required_bits = Some(stamp.bits());
        hashcash::check(&stamp, &policy).unwrap_or_else(|e| panic!("{text}: {e}"));
        // Under the default 28-day window, the 2004 stamps are expired today.
        let mut today = hashcash::CheckPolicy::new(hashcash::parse_date("261121").unwrap());
        today.resource = policy.resource.clone();
        let r = hashcash::check(&stamp, &today);
        if stamp.date().starts_with("04") {
            assert!(matches!(r, Err(Rejection::Expired { .. })), "{text}");
        } else {
            assert!(r.is_ok(), "{text}: {r:?}");
        }
    }
}

#[test]
fn hashcash_invalid_vectors() {
    let v = load("hashcash.json");
    for c in v["invalid"].as_array().unwrap() {
        let text = c["stamp"].as_str().unwrap();
        let stamp = hashcash::Stamp::parse(text).unwrap();
        let mut policy = hashcash::CheckPolicy::new(stamp.time());
        policy.resource = Some(c["resource"].as_str().unwrap().to_string());
        policy.required_bits = Some(c["check_bits"].as_u64().unwrap() as u32);
        assert!(hashcash::check(&stamp, &policy).is_err(), "{text}");
    }
}

#[test]
fn hashcash_folded_header_vector() {
    let v = load("hashcash.json");
    let folded = v["x_hashcash_header_example_folded"].as_str().unwrap();
    let stamps = hashcash::stamps_in_text(folded);
    assert_eq!(stamps.len(), 1);
    let stamp = hashcash::Stamp::parse(&stamps[0]).unwrap();
    assert_eq!(stamp.resource(), "alice@example.org");
    let ok = hashcash::check(&stamp, &hashcash::CheckPolicy::new(stamp.time())).unwrap();
    assert_eq!(ok.zero_bits, 22);
}
