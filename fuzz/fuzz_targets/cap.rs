//! Cap challenges, planned per sub-challenge, with solutions verified like its server.
#![no_main]

use grindstone_core::schemes::cap::Challenge;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let (text, tail) = s.split_once('\u{1}').unwrap_or((s, ""));
    if let Ok(c) = Challenge::parse(text) {
        let sols: Vec<u64> = tail.bytes().map(u64::from).collect();
        for i in 0..3 {
            let _ = c.sub(i);
            let _ = c.search(i);
        }
        let _ = c.redeem(&sols);
        let _ = c.verify(&sols, Some(1_800_000_000_000));
        let _ = c.verify(&sols, None);
    }
});
