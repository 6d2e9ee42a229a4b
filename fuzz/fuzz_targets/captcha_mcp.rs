//! captcha-mcp challenge and verify JSON (what `grind solve -` and `grind verify -` read),
//! planned and verified.
#![no_main]

use grindstone_core::schemes::captcha_mcp::{ChallengeMsg, VerifyMsg};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(c) = ChallengeMsg::parse(s) {
        let _ = format!("{c:?}");
    }
    if let Ok(v) = VerifyMsg::parse(s) {
        let _ = v.all_nonces();
        let _ = format!("{v:?}");
    }
});
