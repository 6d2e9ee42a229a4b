//! go-away `make-challenge` answers, planned, and tokens verified like its runtime (with
//! and without the server key).
#![no_main]

use grindstone_core::schemes::go_away::{self, Challenge};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(c) = Challenge::parse(s) {
        let _ = c.job();
        let _ = c.verify(&c.token(b"01234567"));
    }
    let _ = go_away::verify_answer(s, None);
    let _ = go_away::verify_answer(s, Some(b"a2V5"));
    let ch = Challenge::from_key(b"fuzz", 4);
    let _ = ch.verify(s);
});
