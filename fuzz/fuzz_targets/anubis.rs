//! Anubis challenge pages and JSON, planned, with answers verified like its server.
#![no_main]

use grindstone_core::schemes::anubis::{self, Challenge};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(c) = Challenge::parse(s) {
        let _ = c.search();
        let _ = c.response(12345, 7);
    }
    let mut parts = s.splitn(4, '\n');
    if let (Some(rd), Some(d), Some(n), Some(r)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    {
        let d = d
            .bytes()
            .fold(0u32, |a, b| a.wrapping_mul(31).wrapping_add(b.into()))
            % 80;
        let _ = anubis::verify(rd, d, n, r);
    }
});
