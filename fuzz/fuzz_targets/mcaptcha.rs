//! mCaptcha PoW configs, planned, with work verified like its server.
#![no_main]

use grindstone_core::schemes::mcaptcha::Config;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let (text, tail) = s.split_once('\u{1}').unwrap_or((s, ""));
    if let Ok(c) = Config::parse(text) {
        let _ = c.search();
        let _ = c.prefix();
        let n = tail
            .bytes()
            .fold(0u64, |a, b| a.wrapping_mul(131).wrapping_add(b.into()));
        let _ = c.work(n);
        let _ = c.verify(n, tail);
    }
});
