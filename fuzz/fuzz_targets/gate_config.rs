//! The gate's TOML configuration: parse, then validate; a valid one prices any tool.
#![no_main]

use grindstone_gate::GateConfig;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(cfg) = toml::from_str::<GateConfig>(s)
        && cfg.validate().is_ok()
    {
        for t in ["search", "SEARCH", "", "status"] {
            if let Some(d) = cfg.pricing.price(t) {
                assert!(d.is_finite() && d > 0.0);
            }
        }
    }
});
