//! What a client sends or receives in headers: `WWW-Authenticate: PoW`,
//! `X-PoW-Solution`, `Authorization` (the proxy's credential split), and the compact
//! challenge with its claims; each parsed form is checked to round-trip.
#![no_main]

use axum::http::{HeaderMap, HeaderValue, header};
use grindstone_core::schemes::gate::{
    GateChallenge, parse_solution_header, parse_www_authenticate, solution_header,
};
use grindstone_gate::proxy::split_authorization;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(ch) = parse_www_authenticate(s) {
        let again = parse_www_authenticate(&ch.www_authenticate()).expect("round trip");
        assert_eq!(again, ch);
        let _ = ch.pow();
        let _ = ch.difficulty();
        let _ = ch.mac();
    }
    if let Ok((ch, nonces)) = parse_solution_header(s) {
        assert!(!nonces.is_empty());
        let (ch2, n2) = parse_solution_header(&solution_header(&ch, &nonces)).expect("round trip");
        assert_eq!((ch2, n2), (ch, nonces));
    }
    if let Ok(ch) = GateChallenge::parse_compact(s) {
        assert_eq!(
            GateChallenge::parse_compact(&ch.compact()).expect("round trip"),
            ch
        );
        let _ = ch.signed_bytes();
    }
    let mut parts = s.splitn(3, '\n');
    if let (Some(id), Some(salt), Some(sig)) = (parts.next(), parts.next(), parts.next()) {
        let _ = GateChallenge::from_parts(id, salt, sig);
    }
    if let Ok(v) = HeaderValue::from_bytes(data) {
        let mut h = HeaderMap::new();
        h.append(header::AUTHORIZATION, v.clone());
        h.append(header::AUTHORIZATION, v);
        let (token, rest) = split_authorization(&h);
        if let Some(t) = token {
            assert!(!t.contains(','));
        }
        assert!(rest.len() <= 2);
    }
});
