//! ALTCHA v2 challenges and payloads: parse, and verify (the KDF cost is bounded by the
//! parser, so a hostile cost must be refused before any work).
#![no_main]

use grindstone_core::schemes::altcha_v2::{self, Challenge};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(c) = Challenge::parse(s) {
        let _ = format!("{c:?}");
    }
    if let Ok((ch, counter, key)) = altcha_v2::parse_payload(s) {
        let _ = altcha_v2::verify(&ch, counter, &key, b"fuzz-secret", None, "SHA-256", 1.8e9);
        // The key-signature path: one HMAC over the hex-decoded key.
        let _ = altcha_v2::verify(
            &ch,
            counter,
            &key,
            b"fuzz-secret",
            Some(b"fuzz-key-secret"),
            "SHA-256",
            1.8e9,
        );
    }
});
