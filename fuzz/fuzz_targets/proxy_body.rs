//! The gating proxy's strict request inspection (`grindstone_gate::rpc::inspect`), with
//! a differential check: whatever it accepts, serde_json reads the same way; and a
//! payment in `_meta` is read without panicking and stripped into a body that reads the
//! same but for it.
#![no_main]

use axum::http::{HeaderMap, HeaderValue, Method};
use grindstone_core::schemes::gate::{META_CREDENTIAL, MetaCredential};
use grindstone_gate::{meta, rpc};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Some((&sel, body)) = data.split_first() else {
        return;
    };
    let method = match sel & 7 {
        0 | 1 | 2 => Method::POST,
        3 => Method::GET,
        4 => Method::DELETE,
        5 => Method::OPTIONS,
        6 => Method::from_bytes(b"post").unwrap(),
        _ => Method::PUT,
    };
    let mut h = HeaderMap::new();
    if sel & 8 != 0 {
        h.insert("mcp-method", HeaderValue::from_static("tools/call"));
    }
    if sel & 16 != 0 {
        h.insert("mcp-name", HeaderValue::from_static("search"));
    }
    if sel & 32 != 0 {
        h.insert("mcp-name", HeaderValue::from_static("=?base64?c2VhcmNo?="));
    }
    if sel & 64 != 0 {
        h.insert(
            "content-type",
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
    }
    let Ok(inspected) = rpc::inspect(&method, &h, body) else {
        return;
    };
    if method != Method::POST {
        assert!(body.is_empty() && inspected.messages.is_empty());
        return;
    }
    // Accepted: plain serde_json must read the same messages and tool names.
    let v: Value = serde_json::from_slice(body).expect("accepted bodies are JSON");
    let msgs = match &v {
        Value::Array(a) => a.clone(),
        m => vec![m.clone()],
    };
    assert_eq!(msgs.len(), inspected.messages.len());
    for (m, seen) in msgs.iter().zip(&inspected.messages) {
        assert_eq!(
            m.get("method").and_then(Value::as_str),
            seen.method.as_deref()
        );
        if seen.method.as_deref() == Some("tools/call") {
            assert_eq!(
                m.pointer("/params/name").and_then(Value::as_str),
                seen.tool.as_deref()
            );
        } else {
            assert!(seen.tool.is_none());
        }
    }
    if let [m] = inspected.messages.as_slice()
        && let Some(c) = &m.credential
    {
        let _ = MetaCredential::parse(c);
        let stripped = meta::strip_credential(body).expect("an inspected body can be stripped");
        let again = rpc::inspect(&method, &h, &stripped).expect("the stripped body reads");
        assert_eq!(again.messages.len(), 1);
        assert_eq!(again.messages[0].tool, m.tool);
        assert_eq!(again.messages[0].id, m.id);
        assert!(again.messages[0].credential.is_none());
        // Plain serde_json finds no payment left either.
        let v: Value = serde_json::from_slice(&stripped).unwrap();
        assert!(
            v.pointer("/params/_meta")
                .and_then(|x| x.get(META_CREDENTIAL))
                .is_none()
        );
    }
});
