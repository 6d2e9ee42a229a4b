//! ALTCHA v1 challenges and payloads, verified like altcha-lib.
#![no_main]

use grindstone_core::schemes::altcha::{self, Challenge};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(c) = Challenge::parse(s) {
        let _ = format!("{c:?}");
    }
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(s) {
        let _ = altcha::unwrap_challenge(&v);
    }
    if let Ok(p) = altcha::parse_payload(s) {
        let _ = altcha::verify(&p, b"fuzz-secret", Some(1_800_000_000));
        let _ = altcha::verify(&p, b"fuzz-secret", None);
    }
    let _ = altcha::salt_expires(s);
});
