//! The gating proxy fails closed: a priced call reaches the upstream only with a valid
//! payment, whatever the request's encoding, method or shape.
//!
//! Every test runs `grind gate` in front of a real MCP server built on the official Python
//! SDK (`cli/tests/python/upstream_mcp.py`), which counts its executions of the priced
//! `search` tool, on both of the SDK's paths: the legacy session path and the 2026-07-28
//! stateless path. The same bodies are also sent straight to the upstream: that they run
//! there (the SDK's parsers are laxer than the gate's) is what makes each case a bypass
//! the gate must close, and what keeps these tests honest.

mod common;

use std::path::PathBuf;

use common::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

const CONFIG: &str = "[pricing]\ndefault = 0\nfree = [\"status\"]\n[pricing.tools]\nsearch = 12\n";

/// The two ways the Python SDK reads a request.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Path {
    /// `initialize` first, then `Mcp-Session-Id` (2025-06-18).
    Legacy,
    /// No session; `MCP-Protocol-Version: 2026-07-28`, `Mcp-Method`, `Mcp-Name`, `_meta`.
    Stateless,
}

/// The upstream (counting `search` executions) and the gate in front of it.
struct Rig {
    _up: Server,
    upstream: String,
    gate: Server,
    count: PathBuf,
    session: String,
}

impl Rig {
    fn start(name: &str) -> Rig {
        let count = test_path(&format!("upstream-count-{name}"));
        let _ = std::fs::remove_file(&count);
        let (up, upstream) =
            start_upstream_env(&[("UPSTREAM_COUNT_FILE", count.to_str().unwrap())]);
        let cfg = write_config(&format!("{name}.toml"), CONFIG);
        let gate = spawn_grind(&["gate", "--upstream", &upstream, "--config", &cfg]);
        let m = connect(&gate.addr);
        let session = m.session.clone().expect("a session id");
        Rig {
            _up: up,
            upstream,
            gate,
            count,
            session,
        }
    }

    fn gate_url(&self) -> String {
        format!("http://{}/mcp", self.gate.addr)
    }

    /// `search` executions so far.
    fn executed(&self) -> usize {
        std::fs::read_to_string(&self.count)
            .map(|s| s.lines().count())
            .unwrap_or(0)
    }

    /// The headers of a request on `path` (routing headers naming `search`).
    fn headers(&self, path: Path) -> Vec<(String, String)> {
        let mut h = vec![
            ("content-type".to_string(), "application/json".to_string()),
            (
                "accept".to_string(),
                "application/json, text/event-stream".to_string(),
            ),
        ];
        match path {
            Path::Legacy => {
                h.push(("mcp-session-id".into(), self.session.clone()));
                h.push(("mcp-protocol-version".into(), "2025-06-18".into()));
            }
            Path::Stateless => {
                h.push(("mcp-protocol-version".into(), "2026-07-28".into()));
                h.push(("mcp-method".into(), "tools/call".into()));
                h.push(("mcp-name".into(), "search".into()));
            }
        }
        h
    }

    /// Sends `body` to `url`; returns the status and whether `search` ran.
    fn send(
        &self,
        url: &str,
        method: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> (u16, bool) {
        let before = self.executed();
        let mut r = client().request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), url);
        for (k, v) in headers {
            r = r.header(k.as_str(), v.as_str());
        }
        let status = match r.body(body.to_vec()).send() {
            Ok(resp) => {
                let s = resp.status().as_u16();
                let _ = resp.bytes();
                s
            }
            // The upstream may drop a connection it cannot read: nothing ran.
            Err(_) => 0,
        };
        (status, self.executed() > before)
    }
}

/// A `tools/call` of `search` with `args` spliced into its arguments and `meta` into its
/// `_meta` (which carries what the 2026-07-28 path requires).
fn call(args: &str, meta: &str) -> String {
    format!(
        r#"{{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{{"name":"search","arguments":{{"query":"q"{args}}},"_meta":{{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{{}}{meta}}}}}}}"#
    )
}

fn utf16(s: &str, le: bool) -> Vec<u8> {
    s.encode_utf16()
        .flat_map(|u| if le { u.to_le_bytes() } else { u.to_be_bytes() })
        .collect()
}

fn utf32(s: &str, le: bool) -> Vec<u8> {
    s.chars()
        .flat_map(|c| {
            let u = c as u32;
            if le { u.to_le_bytes() } else { u.to_be_bytes() }
        })
        .collect()
}

fn nested(depth: usize) -> String {
    format!(r#","x":{}1{}"#, "[".repeat(depth), "]".repeat(depth))
}

/// The bypasses found against the old gate, by name: each ran `search` without payment.
fn bypasses() -> Vec<(&'static str, Vec<u8>)> {
    let plain = call("", "");
    vec![
        (
            "utf8_bom",
            [&[0xef, 0xbb, 0xbf][..], plain.as_bytes()].concat(),
        ),
        ("utf16_le", utf16(&plain, true)),
        ("utf16_be", utf16(&plain, false)),
        ("utf32_le", utf32(&plain, true)),
        ("utf32_be", utf32(&plain, false)),
        ("nan_in_arguments", call(r#","x":NaN"#, "").into_bytes()),
        (
            "infinity_in_arguments",
            call(r#","x":Infinity"#, "").into_bytes(),
        ),
        (
            "minus_infinity_in_meta",
            call("", r#","x":-Infinity"#).into_bytes(),
        ),
        ("nan_in_meta", call("", r#","x":NaN"#).into_bytes()),
        (
            "number_1e400_in_meta",
            call("", r#","x":1e400"#).into_bytes(),
        ),
        ("lone_surrogate", call(r#","x":"\ud800""#, "").into_bytes()),
        ("nesting_140", call(&nested(140), "").into_bytes()),
        ("nesting_190", call(&nested(190), "").into_bytes()),
        ("nesting_300", call(&nested(300), "").into_bytes()),
        (
            "duplicate_method_key",
            plain
                .replacen(r#""id":7,"#, r#""id":7,"method":"tools/list","#, 1)
                .into_bytes(),
        ),
        (
            "duplicate_tool_name",
            plain
                .replacen(r#""name":"search""#, r#""name":"nope","name":"search""#, 1)
                .into_bytes(),
        ),
    ]
}

#[test]
fn every_known_bypass_is_refused_on_both_sdk_paths() {
    if !require_python_module("mcp") {
        return;
    }
    let rig = Rig::start("bypasses");
    for (name, body) in bypasses() {
        let mut ran_upstream = false;
        for path in [Path::Legacy, Path::Stateless] {
            let h = rig.headers(path);
            let (status, ran) = rig.send(&rig.gate_url(), "POST", &h, &body);
            assert!(
                !ran,
                "{name} ({path:?}): ran through the gate without payment"
            );
            assert_eq!(status, 400, "{name} ({path:?}): the gate answered {status}");
            let (_, ran) = rig.send(&rig.upstream, "POST", &h, &body);
            ran_upstream |= ran;
        }
        assert!(
            ran_upstream,
            "{name}: the upstream itself no longer runs it (the case lost its teeth)"
        );
    }
}

#[test]
fn methods_encodings_and_routing_headers_are_checked_exactly() {
    if !require_python_module("mcp") {
        return;
    }
    let rig = Rig::start("headers");
    let body = call("", "");
    let gate = rig.gate_url();
    for path in [Path::Legacy, Path::Stateless] {
        let h = rig.headers(path);
        // The plain call without payment: 402, and nothing ran.
        assert_eq!(rig.send(&gate, "POST", &h, body.as_bytes()), (402, false));
        for m in ["PUT", "PATCH", "post", "Post", "PROPFIND", "HEAD"] {
            let (status, ran) = rig.send(&gate, m, &h, body.as_bytes());
            assert_eq!((status, ran), (405, false), "{m} ({path:?})");
        }
        // A body on GET or DELETE is refused, not forwarded unread.
        for m in ["GET", "DELETE"] {
            assert_eq!(rig.send(&gate, m, &h, body.as_bytes()), (400, false), "{m}");
        }
        let mut enc = h.clone();
        enc.push(("content-encoding".into(), "gzip".into()));
        assert_eq!(rig.send(&gate, "POST", &enc, body.as_bytes()), (415, false));
        let mut cs = h.clone();
        cs[0].1 = "application/json; charset=utf-16".into();
        assert_eq!(rig.send(&gate, "POST", &cs, body.as_bytes()), (415, false));
    }
    // Routing headers that disagree with the body: refused whatever the upstream does.
    let mut h = rig.headers(Path::Stateless);
    let status_call = body.replacen(r#""name":"search""#, r#""name":"status""#, 1);
    // The header names the priced tool, the body a free one.
    assert_eq!(rig.send(&gate, "POST", &h, status_call.as_bytes()).0, 400);
    h[3].1 = "tools/list".into();
    assert_eq!(rig.send(&gate, "POST", &h, body.as_bytes()), (400, false));
    h[3].1 = "tools/call".into();
    h[4].1 = "=?base64?c2VhcmNo?=".into();
    // The encoded form of the right name is the right name: priced, so 402.
    assert_eq!(rig.send(&gate, "POST", &h, body.as_bytes()), (402, false));
    h.push(("mcp-name".into(), "search".into()));
    assert_eq!(rig.send(&gate, "POST", &h, body.as_bytes()), (400, false));
    // A tool name too long to price (its scope would not fit a challenge): refused, not
    // a 5xx (and not forwarded at the default price).
    let h = rig.headers(Path::Legacy);
    let long = body.replacen("search", &"s".repeat(300), 1);
    assert_eq!(rig.send(&gate, "POST", &h, long.as_bytes()), (400, false));
    // Only the upstream's MCP path is forwarded: the rest of its origin stays closed.
    let base = format!("http://{}", rig.gate.addr);
    for path in ["/mcp/", "//mcp", "/%6Dcp", "/MCP", "/other"] {
        let (status, ran) = rig.send(&format!("{base}{path}"), "POST", &h, body.as_bytes());
        assert_eq!((status, ran), (404, false), "{path}");
    }
    assert_eq!(
        rig.send(&format!("{base}/mcp?x=1"), "POST", &h, body.as_bytes())
            .0,
        402
    );
    assert_eq!(rig.executed(), 0);
}

/// A paid call whose upstream is down: 502, and the token the solution bought comes
/// back, so the payment is not lost.
#[test]
fn a_paid_call_to_a_dead_upstream_keeps_its_token() {
    let dead = format!("http://127.0.0.1:{}/mcp", free_port());
    let cfg = write_config("dead.toml", CONFIG);
    let gate = spawn_grind(&["gate", "--upstream", &dead, "--config", &cfg]);
    let url = format!("http://{}/mcp", gate.addr);
    let post_call = |extra: Option<(&str, &str)>| {
        let mut r = client()
            .post(&url)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream");
        if let Some((k, v)) = extra {
            r = r.header(k, v);
        }
        r.body(call("", "")).send().unwrap()
    };
    let r = post_call(None);
    assert_eq!(r.status().as_u16(), 402);
    let www = r.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_string();
    let o = grind(&["solve", "--www-authenticate", &www], None);
    let line = stdout(&o).trim().to_string();
    let (_, solution) = line.split_once(": ").unwrap();
    let r = post_call(Some(("x-pow-solution", solution)));
    assert_eq!(r.status().as_u16(), 502);
    let token = r.headers()["x-pow-token"].to_str().unwrap().to_string();
    // The token pays (the upstream is still down: 502 again, not 402).
    assert_eq!(
        post_call(Some(("x-pow-token", &token))).status().as_u16(),
        502
    );
}

#[test]
fn stateless_2026_calls_are_priced_and_paid_through_the_gate() {
    if !require_python_module("mcp") {
        return;
    }
    let rig = Rig::start("stateless");
    let body = call("", "");
    let h = rig.headers(Path::Stateless);
    let mut r = client().post(rig.gate_url());
    for (k, v) in &h {
        r = r.header(k.as_str(), v.as_str());
    }
    let resp = r.body(body.clone()).send().unwrap();
    assert_eq!(resp.status().as_u16(), 402);
    let www = resp.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_string();
    let o = grind(&["solve", "--www-authenticate", &www], None);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let line = stdout(&o).trim().to_string();
    let (_, solution) = line.split_once(": ").unwrap();
    let mut paid = h.clone();
    paid.push(("x-pow-solution".into(), solution.to_string()));
    assert_eq!(
        rig.send(&rig.gate_url(), "POST", &paid, body.as_bytes()),
        (200, true)
    );
    // Spent: the same solution again is a fresh 402.
    assert_eq!(
        rig.send(&rig.gate_url(), "POST", &paid, body.as_bytes()),
        (402, false)
    );
    assert_eq!(rig.executed(), 1);
}

/// Mutations of a priced call: encodings, escapes, odd numbers, nesting, duplicate keys,
/// batches, trailing bytes, case, whitespace, id types and content types.
fn mutated_request() -> impl Strategy<Value = (Vec<u8>, Vec<(String, String)>, Path)> {
    let extra = prop_oneof![
        Just(String::new()),
        Just(r#","x":NaN"#.to_string()),
        Just(r#","x":Infinity"#.to_string()),
        Just(r#","x":-Infinity"#.to_string()),
        Just(r#","x":1e400"#.to_string()),
        Just(r#","x":-1E999"#.to_string()),
        Just(r#","x":"\ud800""#.to_string()),
        Just(r#","x":"\udfff\ud800""#.to_string()),
        Just(format!(r#","x":{}"#, "9".repeat(5000))),
        (1usize..400).prop_map(nested),
        (1usize..80).prop_map(|n| format!(r#","x":{}1{}"#, "{\"a\":".repeat(n), "}".repeat(n))),
    ];
    // Each dimension mostly keeps its plain form, so that a case carries a few
    // mutations and often still runs on the upstream.
    let method = prop_oneof![
        10 => Just(r#""method":"tools/call""#.to_string()),
        1 => Just(r#""me\u0074hod":"tools\/call""#.to_string()),
        1 => Just(r#""method":"tools/list","method":"tools/call""#.to_string()),
        1 => Just(r#""method":"tools/call","method":"tools/list""#.to_string()),
        1 => Just(r#""method":"Tools/Call""#.to_string()),
        1 => Just(r#""method":"tools/call ""#.to_string()),
    ];
    let name = prop_oneof![
        10 => Just(r#""name":"search""#.to_string()),
        1 => Just(r#""name":"se\u0061rch""#.to_string()),
        1 => Just(r#""name":"status","name":"search""#.to_string()),
        1 => Just(r#""name":"SEARCH""#.to_string()),
        1 => Just(r#""name":5"#.to_string()),
    ];
    let id = prop_oneof![
        10 => Just(r#""id":7"#.to_string()),
        1 => Just(r#""id":"seven""#.to_string()),
        1 => Just(r#""id":7.0"#.to_string()),
        1 => Just(r#""id":null"#.to_string()),
        1 => Just(r#""id":true"#.to_string()),
    ];
    let wrap = prop_oneof![10 => Just(0u8), 1 => Just(1), 1 => Just(2), 1 => Just(3)];
    let encoding = prop_oneof![6 => Just(0u8), 1 => Just(1), 1 => Just(2), 1 => Just(3), 1 => Just(4), 1 => Just(5), 1 => Just(6)];
    let trailing = prop_oneof![
        10 => Just(String::new()),
        1 => Just("\n".to_string()),
        1 => Just(" x".to_string()),
        1 => Just("{}".to_string()),
        1 => Just("\u{a0}".to_string()),
    ];
    let ctype = prop_oneof![
        10 => Just("application/json"),
        1 => Just("application/json; charset=utf-8"),
        1 => Just("application/json; charset=utf-16"),
        1 => Just("APPLICATION/JSON"),
        1 => Just("text/plain"),
    ];
    let path = prop_oneof![Just(Path::Legacy), Just(Path::Stateless)];
    (
        (extra, method, name, id),
        (wrap, encoding, trailing, ctype, path),
    )
        .prop_map(|((extra, method, name, id), (wrap, enc, trailing, ctype, path))| {
            let msg = format!(
                r#"{{"jsonrpc":"2.0",{id},{method},"params":{{{name},"arguments":{{"query":"q"{extra}}},"_meta":{{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{{}}}}}}}}"#
            );
            let text = match wrap {
                0 => msg,
                1 => format!("[{msg}]"),
                2 => format!(r#"[{{"jsonrpc":"2.0","method":"notifications/initialized"}},{msg}]"#),
                _ => format!("  \t{msg}"),
            } + &trailing;
            let body = match enc {
                0 => text.into_bytes(),
                1 => [&[0xef, 0xbb, 0xbf][..], text.as_bytes()].concat(),
                2 => utf16(&text, true),
                3 => utf16(&text, false),
                4 => [&[0xff, 0xfe][..], &utf16(&text, true)].concat(),
                5 => utf32(&text, true),
                _ => utf32(&text, false),
            };
            (body, vec![("content-type".to_string(), ctype.to_string())], path)
        })
}

/// Differential: generated bodies go to the upstream directly and through the gate; no
/// payment is ever sent, so `search` must never run through the gate, while the upstream
/// alone runs many of them.
#[test]
fn differential_no_generated_body_runs_a_priced_call_through_the_gate() {
    if !require_python_module("mcp") {
        return;
    }
    let rig = Rig::start("differential");
    let cases: u32 = std::env::var("GRIND_DIFF_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(400);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let direct_runs = std::cell::Cell::new(0u32);
    let gate_statuses = std::cell::RefCell::new(std::collections::BTreeMap::<u16, u32>::new());
    runner
        .run(&mutated_request(), |(body, ctype, path)| {
            let mut h = rig.headers(path);
            h[0] = ctype[0].clone();
            let (status, ran) = rig.send(&rig.gate_url(), "POST", &h, &body);
            *gate_statuses.borrow_mut().entry(status).or_default() += 1;
            prop_assert!(
                !ran,
                "ran through the gate without payment ({path:?}, status {status}): {}",
                String::from_utf8_lossy(&body)
            );
            prop_assert!(
                matches!(status, 400 | 402 | 415),
                "the gate answered {status} to {}",
                String::from_utf8_lossy(&body)
            );
            let (_, ran) = rig.send(&rig.upstream, "POST", &h, &body);
            direct_runs.set(direct_runs.get() + u32::from(ran));
            Ok(())
        })
        .unwrap();
    eprintln!(
        "differential: {cases} bodies; the upstream alone ran {} of them; the gate answered {:?}",
        direct_runs.get(),
        gate_statuses.borrow()
    );
    // The generator reaches the upstream's laxness: without the gate, many would run.
    assert!(
        direct_runs.get() * 10 >= cases,
        "only {} of {cases} bodies run on the upstream directly",
        direct_runs.get()
    );
    assert_eq!(rig.executed(), direct_runs.get() as usize);
}
