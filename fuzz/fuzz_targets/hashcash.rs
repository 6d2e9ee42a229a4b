//! hashcash stamps, `X-Hashcash:` header text and dates, checked under a policy.
#![no_main]

use grindstone_core::schemes::hashcash::{self, CheckPolicy, Stamp};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    for text in hashcash::stamps_in_text(s) {
        if let Ok(st) = Stamp::parse(&text) {
            let _ = (
                st.text(),
                st.date(),
                st.resource(),
                st.ext(),
                st.rand(),
                st.counter(),
            );
            let _ = hashcash::check(&st, &CheckPolicy::new(1_800_000_000));
            let mut strict = CheckPolicy::new(0);
            strict.required_bits = Some(20);
            strict.resource = Some("foo".into());
            let _ = hashcash::check(&st, &strict);
        }
    }
    if let Ok(st) = Stamp::parse(s) {
        assert!(Stamp::parse(st.text()).is_ok());
    }
    let _ = hashcash::parse_date(s);
});
