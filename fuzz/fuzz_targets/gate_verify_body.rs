//! `POST /api/verify` and `/api/token/verify` bodies through the gate's verification (a
//! memory store, a fixed key): never a panic, and never an acceptance of fuzz input (it
//! cannot carry a valid MAC).
#![no_main]

use std::sync::LazyLock;

use grindstone_gate::{Gate, GateConfig, ReplayStore, ServerKey, VerifyRequest};
use libfuzzer_sys::fuzz_target;

static GATE: LazyLock<Gate> = LazyLock::new(|| {
    Gate::new(
        ServerKey::from_secret(b"fuzz-key-0123456789abcdef").unwrap(),
        ReplayStore::memory(1000),
        GateConfig::default(),
    )
});
static RT: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
});

fuzz_target!(|data: &[u8]| {
    if let Ok(req) = serde_json::from_slice::<VerifyRequest>(data) {
        let r = RT.block_on(GATE.verify(&req, None));
        assert!(r.is_err(), "fuzz input verified: {req:?}");
        let e = r.unwrap_err();
        assert!(matches!(e.status(), 400 | 403 | 409));
    }
    if let Ok(s) = std::str::from_utf8(data) {
        assert!(GATE.check_token(s, None, None).is_err());
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(s)
            && let Some(t) = v.get("token").and_then(|t| t.as_str())
        {
            assert!(GATE.check_token(t, Some("api"), Some(1.0)).is_err());
        }
    }
});
