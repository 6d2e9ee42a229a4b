//! The gate end to end, through the built `grind`: the HTTP API (every endpoint, bad input
//! included), the replay store (memory and a real `redis-server`), the MCP tools through
//! the official MCP Python SDK, and the gating proxy in front of a real MCP server (the
//! Python SDK's).

mod common;

use std::process::Command;
use std::time::Duration;

use common::*;
use serde_json::{Value, json};

#[test]
fn http_api_flow() {
    let s = spawn_grind(&["serve", "-d", "10"]);
    let (st, ch) = get(&s.addr, "/api/challenge");
    assert_eq!(st, 200);
    for k in [
        "id",
        "salt",
        "difficulty",
        "algo",
        "signature",
        "expires_at",
        "scope",
        "compact",
    ] {
        assert!(ch.get(k).is_some(), "{k} in {ch}");
    }
    assert_eq!(ch["difficulty"], 10);
    assert_eq!(ch["algo"], "sha256");
    let req = solve_json(&ch);
    let (st, ok) = post(&s.addr, "/api/verify", &req.to_string());
    assert_eq!(st, 200, "{ok}");
    assert_eq!(ok["valid"], true);
    assert_eq!(ok["method"], "pow");
    let token = ok["token"].as_str().unwrap().to_string();
    // Spent exactly once.
    let (st, again) = post(&s.addr, "/api/verify", &req.to_string());
    assert_eq!(
        (st, again["valid"].clone(), again["code"].clone()),
        (409, json!(false), json!("spent"))
    );
    // Tokens.
    let (st, t) = post(
        &s.addr,
        "/api/token/verify",
        &json!({"token": token}).to_string(),
    );
    assert_eq!(st, 200, "{t}");
    assert_eq!(
        (t["valid"].clone(), t["method"].clone(), t["scope"].clone()),
        (json!(true), json!("pow"), json!("api"))
    );
    assert!(t["expires_at"].as_i64().unwrap() > t["issued_at"].as_i64().unwrap());
    let mut bad = token.clone();
    bad.push('x');
    let (st, t) = post(
        &s.addr,
        "/api/token/verify",
        &json!({"token": bad}).to_string(),
    );
    assert_eq!((st, t["valid"].clone()), (403, json!(false)));
    // Scoped challenges.
    let (st, sc) = get(&s.addr, "/api/challenge?scope=tool:search");
    assert_eq!((st, sc["scope"].clone()), (200, json!("tool:search")));
    // Stats, health, metrics.
    let (st, stats) = get(&s.addr, "/api/stats");
    assert_eq!(st, 200);
    assert_eq!(stats["pow_solves"], 1);
    assert_eq!(stats["replays"], 1);
    assert!(stats["challenges_issued"].as_u64().unwrap() >= 2);
    assert_eq!(stats["ln_skips"], 0);
    assert_eq!(get(&s.addr, "/health"), (200, json!({"ok": true})));
    let m = client()
        .get(format!("http://{}/metrics", s.addr))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(m.contains("grindstone_pow_solves_total 1"), "{m}");
}

#[test]
fn http_bad_input_is_4xx_json() {
    let s = spawn_grind(&["serve", "-d", "8"]);
    let (_, ch) = get(&s.addr, "/api/challenge");
    let good = solve_json(&ch);
    let with = |k: &str, v: Value| {
        let mut r = good.clone();
        r[k] = v;
        r.to_string()
    };
    let sig = good["signature"].as_str().unwrap().to_string();
    let (claims, mac) = sig.split_once('.').unwrap();
    // Claims re-encoded with a later expiry: the MAC no longer matches.
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut c: Value = serde_json::from_slice(&b64.decode(claims).unwrap()).unwrap();
    c["exp"] = json!(c["exp"].as_i64().unwrap() + 86400);
    let later = format!("{}.{mac}", b64.encode(c.to_string()));
    c["d"] = json!(1);
    let cheaper = format!("{}.{mac}", b64.encode(c.to_string()));
    let foreign = format!("{claims}.{}", b64.encode([0u8; 32]));
    let cases: Vec<(String, u16, &str)> = vec![
        (String::new(), 400, "malformed"),
        ("{".into(), 400, "malformed"),
        ("[]".into(), 400, "malformed"),
        ("null".into(), 400, "malformed"),
        (r#"{"salt":1,"nonce":"a"}"#.into(), 400, "malformed"),
        (r#"{"salt":"a","nonce":"b"}"#.into(), 400, "malformed"),
        (with("signature", json!(null)), 400, "malformed"),
        (with("signature", json!("no-dot")), 400, "malformed"),
        (with("signature", json!(later)), 403, "bad_signature"),
        (with("signature", json!(cheaper)), 403, "bad_signature"),
        (with("signature", json!(foreign)), 403, "bad_signature"),
        (with("difficulty", json!(1)), 403, "difficulty_mismatch"),
        (with("difficulty", json!("8")), 400, "malformed"),
        (with("algo", json!("md5")), 400, "malformed"),
        (with("salt", json!("zz zz")), 400, "malformed"),
        (with("id", json!("x".repeat(500))), 400, "malformed"),
        (with("nonce", json!("n".repeat(300))), 400, "malformed"),
        (with("nonce", json!("\u{1}")), 400, "malformed"),
        (with("nonce", json!("")), 400, "malformed"),
    ];
    for (body, want, code_want) in cases {
        let (st, v) = post(&s.addr, "/api/verify", &body);
        assert_eq!(st, want, "{body}: {v}");
        assert_eq!(v["valid"], false, "{body}");
        assert_eq!(v["code"], code_want, "{body}: {v}");
        assert!(v["reason"].as_str().is_some_and(|r| !r.is_empty()));
    }
    // After all that, the real solution still verifies (refusals spend nothing).
    let (st, _) = post(&s.addr, "/api/verify", &good.to_string());
    assert_eq!(st, 200);
    // Oversized, wrong content type, wrong method, unknown route.
    let big = format!(r#"{{"salt":"{}"}}"#, "a".repeat(20_000));
    let r = client()
        .post(format!("http://{}/api/verify", s.addr))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 413);
    let r = client()
        .post(format!("http://{}/api/verify", s.addr))
        .header("content-type", "text/plain")
        .body(good.to_string())
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 415);
    let r = client()
        .get(format!("http://{}/api/verify", s.addr))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 405);
    assert_eq!(get(&s.addr, "/nope").0, 404);
    let long_scope = format!("/api/challenge?scope={}", "s".repeat(300));
    let (st, v) = get(&s.addr, &long_scope);
    assert_eq!((st, v["code"].clone()), (400, json!("malformed")));
    for body in [
        "{}",
        r#"{"token":5}"#,
        r#"{"token":"a.b.c"}"#,
        r#"{"token":"x","extra":1}"#,
        "nope",
    ] {
        let (st, v) = post(&s.addr, "/api/token/verify", body);
        assert!((400..500).contains(&st), "{body}: {st}");
        assert_eq!(v["valid"], false);
    }
}

#[test]
fn concurrent_submissions_of_one_solution_succeed_once() {
    let s = spawn_grind(&["serve", "-d", "8"]);
    let (_, ch) = get(&s.addr, "/api/challenge");
    let body = solve_json(&ch).to_string();
    let results: Vec<u16> = std::thread::scope(|sc| {
        let hs: Vec<_> = (0..32)
            .map(|_| sc.spawn(|| post(&s.addr, "/api/verify", &body).0))
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        results.iter().filter(|&&c| c == 200).count(),
        1,
        "{results:?}"
    );
    assert_eq!(
        results.iter().filter(|&&c| c == 409).count(),
        31,
        "{results:?}"
    );
}

#[test]
fn redis_store_shared_by_two_gates_and_failing_closed() {
    if !require_tool("redis-server") {
        return;
    }
    let port = free_port();
    let mut redis = start_redis(port);
    let url = format!("redis://127.0.0.1:{port}/0");
    let a = spawn_grind(&["serve", "-d", "8", "--redis", &url]);
    let b = spawn_grind(&["serve", "-d", "8", "--redis", &url]);
    // Accepted by one, refused by the other.
    let (_, ch) = get(&a.addr, "/api/challenge");
    let body = solve_json(&ch).to_string();
    assert_eq!(post(&a.addr, "/api/verify", &body).0, 200);
    let (st, v) = post(&b.addr, "/api/verify", &body);
    assert_eq!((st, v["code"].clone()), (409, json!("spent")));
    // Concurrent submissions to both instances: exactly one success.
    let (_, ch) = get(&b.addr, "/api/challenge");
    let body = solve_json(&ch).to_string();
    let results: Vec<u16> = std::thread::scope(|sc| {
        let hs: Vec<_> = (0..32)
            .map(|i| {
                let addr = if i % 2 == 0 { &a.addr } else { &b.addr };
                let body = &body;
                sc.spawn(move || post(addr, "/api/verify", body).0)
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        results.iter().filter(|&&c| c == 200).count(),
        1,
        "{results:?}"
    );
    assert!(results.iter().all(|&c| c == 200 || c == 409), "{results:?}");
    let (_, stats) = get(&a.addr, "/api/stats");
    assert_eq!(stats["store"], "redis");
    // Redis gone: verification fails closed with 503, not a 500, not an acceptance.
    let (_, ch) = get(&a.addr, "/api/challenge");
    let body = solve_json(&ch).to_string();
    let _ = redis.0.kill();
    let _ = redis.0.wait();
    let (st, v) = post(&a.addr, "/api/verify", &body);
    assert_eq!(
        (st, v["code"].clone()),
        (503, json!("store_unavailable")),
        "{v}"
    );
    // A gate cannot start against an unreachable Redis.
    let o = Command::new(env!("CARGO_BIN_EXE_grind"))
        .args(["serve", "--port", "0", "--redis", &url])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains(&url));
}

#[test]
fn mcp_tools_through_the_official_python_sdk() {
    if !require_python_module("mcp") {
        return;
    }
    let script = format!("{PY_DIR}/mcp_client.py");
    let grind_bin = env!("CARGO_BIN_EXE_grind");
    let (ok, out) = python(&[&script, grind_bin, "stdio"]);
    assert!(ok && out.contains("OK"), "stdio: {out}");
    let s = spawn_grind(&["serve", "-d", "10"]);
    let url = format!("http://{}/mcp", s.addr);
    let (ok, out) = python(&[&script, grind_bin, "http", &url]);
    assert!(ok && out.contains("OK"), "http: {out}");
}

#[test]
fn gating_proxy_in_front_of_a_real_mcp_server() {
    if !require_python_module("mcp") {
        return;
    }
    let (_up, gate) = gated_mcp(
        "gate.toml",
        "clock_skew_secs = 0\ntoken_ttl_secs = 3\n[pricing]\ndefault = 0\nfree = [\"status\"]\n[pricing.tools]\nsearch = 10\n",
    );
    let mut m = connect(&gate.addr);

    // Free traffic passes.
    let list = m.send(
        json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}),
        &[],
    );
    assert_eq!(list.status, 200);
    assert_eq!(list.body["result"]["tools"].as_array().unwrap().len(), 3);
    assert_eq!(tool_text(&m.call(2, "status", &[])), json!({"ok": true}));

    // A priced call without work: 402 with a challenge.
    let a = m.call(3, "search", &[("authorization", "Bearer ident-1")]);
    assert_eq!(a.status, 402, "{}", a.body);
    let www = a
        .headers
        .get("www-authenticate")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        www.starts_with("PoW challenge=\"") && www.contains("difficulty=10"),
        "{www}"
    );
    assert_eq!(a.body["id"], 3);
    assert_eq!(a.body["error"]["code"], -32042);
    assert!(
        a.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("X-PoW-Solution")
    );

    // grind solves it; the retry passes, identity untouched, PoW headers stripped.
    let o = grind(&["solve", "--www-authenticate", &www], None);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let line = stdout(&o).trim().to_string();
    let (name, value) = line.split_once(": ").unwrap();
    assert_eq!(name, "X-PoW-Solution");
    let ok = m.call(
        4,
        "search",
        &[
            ("x-pow-solution", value),
            ("authorization", "Bearer ident-1"),
        ],
    );
    let seen = tool_text(&ok);
    assert_eq!(seen["authorization"], "Bearer ident-1");
    assert_eq!(seen["x_pow_solution"], Value::Null);
    let token = ok
        .headers
        .get("x-pow-token")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();

    // The same solution again: refused (replay), with a fresh challenge.
    let r = m.call(5, "search", &[("x-pow-solution", value)]);
    assert_eq!(r.status, 402);
    assert!(
        r.body["error"]["data"]["refused"]
            .as_str()
            .unwrap()
            .contains("spent"),
        "{}",
        r.body
    );

    // The token is reused, beside a Bearer credential or in X-PoW-Token.
    let both = format!("Bearer ident-2, PoW {token}");
    for i in 0..2 {
        let seen = tool_text(&m.call(6 + i, "search", &[("authorization", &both)]));
        assert_eq!(seen["authorization"], "Bearer ident-2");
    }
    let seen = tool_text(&m.call(8, "search", &[("x-pow-token", &token)]));
    assert_eq!(seen["x_pow_token"], Value::Null);
    assert_eq!(seen["authorization"], Value::Null);

    // Tampered token: refused.
    let mut bad = token.clone();
    bad.insert(bad.len() - 3, 'A');
    let r = m.call(9, "search", &[("authorization", &format!("PoW {bad}"))]);
    assert_eq!(r.status, 402);
    assert!(
        r.body["error"]["data"]["refused"]
            .as_str()
            .unwrap()
            .contains("token")
    );

    // Wrong scope: a solution and a token for `grind serve`'s "api" scope (same key).
    let serve = spawn_grind(&["serve", "-d", "10"]);
    let (_, ch) = get(&serve.addr, "/api/challenge");
    let o = grind(
        &[
            "solve",
            "--www-authenticate",
            &format!("PoW challenge=\"{}\"", ch["compact"].as_str().unwrap()),
        ],
        None,
    );
    let line = stdout(&o).trim().to_string();
    let (_, api_solution) = line.split_once(": ").unwrap();
    let r = m.call(10, "search", &[("x-pow-solution", api_solution)]);
    assert_eq!(r.status, 402);
    assert!(
        r.body["error"]["data"]["refused"]
            .as_str()
            .unwrap()
            .contains("scope"),
        "{}",
        r.body
    );
    let (_, ch) = get(&serve.addr, "/api/challenge");
    let (_, v) = post(&serve.addr, "/api/verify", &solve_json(&ch).to_string());
    let api_token = v["token"].as_str().unwrap();
    let r = m.call(
        11,
        "search",
        &[("authorization", &format!("PoW {api_token}"))],
    );
    assert_eq!(r.status, 402);
    assert!(
        r.body["error"]["data"]["refused"]
            .as_str()
            .unwrap()
            .contains("scope")
    );

    // Malformed solution header: 402 naming the problem, never a 5xx.
    let r = m.call(12, "search", &[("x-pow-solution", "challenge=nope")]);
    assert_eq!(r.status, 402);

    // The token expires (3 s lifetime, no skew allowed).
    std::thread::sleep(Duration::from_millis(4200));
    let r = m.call(13, "search", &[("x-pow-token", &token)]);
    assert_eq!(r.status, 402);
    assert!(
        r.body["error"]["data"]["refused"]
            .as_str()
            .unwrap()
            .contains("expired"),
        "{}",
        r.body
    );
}

#[test]
fn reqwest_pow_client_pays_the_gate_transparently() {
    use grindstone::http::PowClient;
    if !require_python_module("mcp") {
        return;
    }
    let (_up, gate) = gated_mcp(
        "reqwest.toml",
        "clock_skew_secs = 0\ntoken_ttl_secs = 3\n[pricing]\ndefault = 0\nfree = [\"status\"]\n[pricing.tools]\nsearch = 12\n",
    );
    let url = format!("http://{}/mcp", gate.addr);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let client = PowClient::new(reqwest::Client::new());
        let mut session: Option<String> = None;
        let mut id = 0;
        let mut send = async |msg: Value, extra: Option<(&str, &str)>| {
            let mut r = client
                .inner()
                .post(&url)
                .header("content-type", "application/json")
                .header("accept", "application/json, text/event-stream")
                .header("mcp-protocol-version", "2025-06-18");
            if let Some(s) = &session {
                r = r.header("mcp-session-id", s);
            }
            if let Some((k, v)) = extra {
                r = r.header(k, v);
            }
            let resp = client
                .execute(r.body(msg.to_string()).build().unwrap())
                .await
                .unwrap();
            if let Some(s) = resp.headers().get("mcp-session-id") {
                session = Some(s.to_str().unwrap().to_string());
            }
            let status = resp.status().as_u16();
            (status, rpc_answer(&resp.text().await.unwrap()))
        };
        let (st, _) = send(
            json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
                "protocolVersion": "2025-06-18", "capabilities": {},
                "clientInfo": {"name": "reqwest-test", "version": "1"}}}),
            None,
        )
        .await;
        assert_eq!(st, 200);
        let (st, _) = send(
            json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
            None,
        )
        .await;
        assert!(st < 300);
        let mut call = async |tool: &str| {
            id += 1;
            send(
                json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
                       "params": {"name": tool, "arguments": {"query": "q"}}}),
                Some(("authorization", "Bearer agent-7")),
            )
            .await
        };
        // Free: no solve.
        let (st, _) = call("status").await;
        assert_eq!(st, 200);
        assert_eq!(client.solves(), 0);
        // Priced: 402 answered behind the scenes, identity passed through.
        let (st, body) = call("search").await;
        assert_eq!(st, 200, "{body}");
        let seen: Value =
            serde_json::from_str(body["result"]["content"][0]["text"].as_str().unwrap()).unwrap();
        assert_eq!(seen["authorization"], "Bearer agent-7");
        assert_eq!(seen["x_pow_solution"], Value::Null);
        assert_eq!(client.solves(), 1);
        // Again: the cached token pays.
        let (st, _) = call("search").await;
        assert_eq!(st, 200);
        assert_eq!(client.solves(), 1);
        // After the token's 3 s lifetime: a fresh solve.
        tokio::time::sleep(Duration::from_millis(3500)).await;
        let (st, _) = call("search").await;
        assert_eq!(st, 200);
        assert_eq!(client.solves(), 2);
    });
}

/// An MCP host that cannot set headers pays inside JSON-RPC: `grind solve` reads the
/// payment-required error and prints the `_meta` entry; the gate strips it before the
/// real upstream (which answers in SSE) and puts the receipt in the result's `_meta`.
#[test]
fn payment_inside_json_rpc_through_a_real_mcp_server() {
    if !require_python_module("mcp") {
        return;
    }
    let (_up, gate) = gated_mcp(
        "meta.toml",
        "[pricing]\ndefault = 0\n[pricing.tools]\nsearch = 8\n",
    );
    let mut m = connect(&gate.addr);
    let call = |id: u64, meta: Value| {
        json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
               "params": {"name": "search", "arguments": {"query": "q"}, "_meta": meta}})
    };
    let a = m.call(1, "search", &[]);
    assert_eq!(a.status, 402);
    assert_eq!(a.body["error"]["code"], -32042);
    let o = grind(&["solve", "-"], Some(&a.body.to_string()));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let entry: Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    let mut meta = entry.clone();
    meta["progressToken"] = json!("p-7");
    let r = m.send(call(2, meta.clone()), &[]);
    assert_eq!(r.status, 200, "{}", r.body);
    let receipt = &r.body["result"]["_meta"]["org.paymentauth/receipt"];
    assert_eq!(receipt["status"], "success", "{}", r.body);
    let token = receipt["token"].as_str().unwrap().to_string();
    let seen = tool_text(&r);
    assert_eq!(seen["query"], "q");
    assert!(!seen.to_string().contains("paymentauth"), "{seen}");
    // The rest of `_meta` reaches the upstream (the SDK names it progress_token).
    assert!(seen["meta"].to_string().contains("\"p-7\""), "{seen}");
    // Spent: refused with -32043 and a fresh challenge; the token pays instead.
    let again = m.send(call(3, meta), &[]);
    assert_eq!(again.status, 402);
    assert_eq!(again.body["error"]["code"], -32043);
    let paid = m.send(
        call(
            4,
            json!({"org.paymentauth/credential": {"payload": {"token": token}}}),
        ),
        &[],
    );
    assert_eq!(tool_text(&paid)["query"], "q");
}

#[test]
fn gating_proxy_refuses_expired_challenges() {
    if !require_python_module("mcp") {
        return;
    }
    let (_up, gate) = gated_mcp(
        "short.toml",
        "clock_skew_secs = 0\nchallenge_ttl_secs = 1\n[pricing]\ndefault = 8\n",
    );
    let mut m = connect(&gate.addr);
    let a = m.call(1, "search", &[]);
    assert_eq!(a.status, 402);
    let www = a
        .headers
        .get("www-authenticate")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    std::thread::sleep(Duration::from_millis(2500));
    let o = grind(&["solve", "--www-authenticate", &www], None);
    let line = stdout(&o).trim().to_string();
    let (_, value) = line.split_once(": ").unwrap();
    let r = m.call(2, "search", &[("x-pow-solution", value)]);
    assert_eq!(r.status, 402);
    assert!(
        r.body["error"]["data"]["refused"]
            .as_str()
            .unwrap()
            .contains("expired"),
        "{}",
        r.body
    );
}

#[test]
fn multi_solution_challenges_end_to_end() {
    let cfg = write_config("k4.toml", "solutions = 4\n[pricing]\ndefault = 12\n");
    let s = spawn_grind(&["serve", "--config", &cfg]);
    let (_, ch) = get(&s.addr, "/api/challenge");
    assert_eq!(ch["k"], 4);
    let req = solve_json(&ch);
    let nonces = req["nonces"].as_array().unwrap();
    assert_eq!(nonces.len(), 4);
    assert_eq!(req["nonce"], nonces[0]);
    // Three of the four, a duplicate, or one alone: refused, nothing spent.
    let mut three = req.clone();
    three["nonces"] = json!(nonces[..3]);
    let (st, v) = post(&s.addr, "/api/verify", &three.to_string());
    assert_eq!(
        (st, v["code"].clone()),
        (403, json!("bad_solutions")),
        "{v}"
    );
    let mut dup = req.clone();
    dup["nonces"] = json!([nonces[0], nonces[1], nonces[2], nonces[0]]);
    assert_eq!(post(&s.addr, "/api/verify", &dup.to_string()).0, 403);
    let mut one = req.clone();
    one.as_object_mut().unwrap().remove("nonces");
    assert_eq!(post(&s.addr, "/api/verify", &one.to_string()).0, 403);
    let (st, ok) = post(&s.addr, "/api/verify", &req.to_string());
    assert_eq!(st, 200, "{ok}");
    assert!(ok["zero_bits"].as_u64().unwrap() >= 10);

    if !require_python_module("mcp") {
        return;
    }
    let (_up, gate) = gated_mcp("k4gate.toml", "solutions = 4\n[pricing]\ndefault = 12\n");
    let mut m = connect(&gate.addr);
    let a = m.call(1, "search", &[]);
    assert_eq!(a.status, 402);
    let www = a
        .headers
        .get("www-authenticate")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(www.ends_with(", k=4"), "{www}");
    let o = grind(&["solve", "--www-authenticate", &www], None);
    let line = stdout(&o).trim().to_string();
    let (_, value) = line.split_once(": ").unwrap();
    assert_eq!(value.matches("nonce=").count(), 4);
    assert_eq!(
        tool_text(&m.call(2, "search", &[("x-pow-solution", value)]))["query"],
        "grindstone"
    );
}

/// The official MCP TypeScript SDK: `callTool` validates the structured output of
/// `grind serve`'s tools, and a client that never touches HTTP headers pays through
/// `grind gate` inside JSON-RPC (`payment_required_status = 200`).
#[test]
fn typescript_sdk_structured_tools_and_payment_inside_json_rpc() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/node");
    let sdk = std::path::Path::new(dir).join("node_modules/@modelcontextprotocol/sdk");
    if !(sdk.exists() && require_tool("node")) {
        missing(
            "node or @modelcontextprotocol/sdk in cli/tests/node is missing",
            "npm install in cli/tests/node",
        );
        return;
    }
    if !require_python_module("mcp") {
        return;
    }
    let serve = spawn_grind(&["serve", "-d", "8"]);
    let (_up, gate) = gated_mcp(
        "ts.toml",
        "payment_required_status = 200\n[pricing]\ndefault = 0\n[pricing.tools]\nsearch = 8\n",
    );
    let out = node_ok(
        dir,
        &[
            "mcp_sdk.mjs",
            env!("CARGO_BIN_EXE_grind"),
            &format!("http://{}/mcp", serve.addr),
            &format!("http://{}/mcp", gate.addr),
        ],
    );
    assert!(out.contains("OK"), "{out}");
}

/// The npm package's `powFetch` plugged into the official MCP TypeScript SDK
/// (`StreamableHTTPClientTransport`'s `fetch` option) pays the gate on its own: free calls,
/// one payment, token reuse, expiry, refused tokens, timeouts, aborts, bad challenges
/// (cli/tests/node/powfetch_mcp.mjs). The gate (the Rust verifier) admitted exactly the
/// paid executions.
#[test]
fn typescript_sdk_pays_the_gate_with_powfetch() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/node");
    let sdk = std::path::Path::new(dir).join("node_modules/@modelcontextprotocol/sdk");
    let pkg = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../js/pkg/grindstone_wasm_bg.wasm"
    );
    if !(sdk.exists() && require_tool("node") && std::path::Path::new(pkg).exists()) {
        missing(
            "node, @modelcontextprotocol/sdk in cli/tests/node or the WebAssembly package is missing",
            "npm install in cli/tests/node; wasm/build",
        );
        return;
    }
    if !require_python_module("mcp") {
        return;
    }
    let count = test_path("powfetch-count");
    let _ = std::fs::remove_file(&count);
    let (_up, upstream) = start_upstream_env(&[("UPSTREAM_COUNT_FILE", count.to_str().unwrap())]);
    let cfg = write_config(
        "powfetch.toml",
        "token_ttl_secs = 3\n[pricing]\ndefault = 0\n[pricing.tools]\nsearch = 10\nslow = 60\n",
    );
    let gate = spawn_grind(&["gate", "--upstream", &upstream, "--config", &cfg]);
    let cfg200 = write_config(
        "powfetch200.toml",
        "payment_required_status = 200\n[pricing]\ndefault = 0\n[pricing.tools]\nsearch = 10\n",
    );
    let gate200 = spawn_grind(&["gate", "--upstream", &upstream, "--config", &cfg200]);
    let out = node_ok(
        dir,
        &[
            "powfetch_mcp.mjs",
            &format!("http://{}/mcp", gate.addr),
            &format!("http://{}/mcp", gate200.addr),
        ],
    );
    assert!(out.contains("OK"), "{out}");
    // search ran five times (one, two, three, forged, two hundred), each paid or covered
    // by a token; slow never ran.
    let ran = std::fs::read_to_string(&count).unwrap_or_default();
    assert_eq!(ran.lines().count(), 5, "{ran}");
}

/// An upstream that is an OAuth 2.1 protected resource (the Python SDK's own auth, a
/// static token) behind the gate: its discovery document and its 401 pass through
/// untouched; identity and price are asked for independently.
#[test]
fn oauth_protected_upstream_behind_the_gate() {
    if !require_python_module("mcp") {
        return;
    }
    let (up, upstream) = start_upstream_env(&[
        ("UPSTREAM_BEARER", "secret-token"),
        ("UPSTREAM_RESOURCE", "http://gate.example/mcp"),
    ]);
    let cfg = write_config(
        "oauth.toml",
        "[pricing]\ndefault = 0\n[pricing.tools]\nsearch = 8\n",
    );
    let gate = spawn_grind(&["gate", "--upstream", &upstream, "--config", &cfg]);
    let c = client();

    // Discovery passes through, byte for byte; other paths of the origin do not.
    let meta_path = "/.well-known/oauth-protected-resource/mcp";
    let direct = c
        .get(format!("http://{}{meta_path}", up.addr))
        .send()
        .unwrap();
    assert_eq!(direct.status(), 200);
    let direct = direct.text().unwrap();
    let via = c
        .get(format!("http://{}{meta_path}", gate.addr))
        .send()
        .unwrap();
    assert_eq!(via.status(), 200);
    assert_eq!(via.text().unwrap(), direct);
    assert!(direct.contains("http://gate.example/mcp"), "{direct}");
    let other = c
        .get(format!("http://{}/.well-known/other", gate.addr))
        .send()
        .unwrap();
    assert_eq!(other.status(), 404);

    let bearer = ("authorization", "Bearer secret-token");
    let mut m = Mcp {
        url: format!("http://{}/mcp", gate.addr),
        session: None,
    };
    // No Bearer: the upstream's own 401, with its WWW-Authenticate, untouched.
    let init = json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "t", "version": "1"}}});
    let r = m.send(init.clone(), &[]);
    assert_eq!(r.status, 401);
    let www = r.headers["www-authenticate"].to_str().unwrap();
    assert!(
        www.starts_with("Bearer") && www.contains("resource_metadata="),
        "{www}"
    );
    assert_eq!(m.send(init, &[bearer]).status, 200);
    m.send(
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        &[bearer],
    );

    // Bearer but no PoW: 402 for the priced tool.
    let a = m.call(1, "search", &[bearer]);
    assert_eq!(a.status, 402);
    let ch = a.headers["www-authenticate"].to_str().unwrap().to_string();
    let o = grind(&["solve", "--www-authenticate", &ch], None);
    let line = stdout(&o).trim().to_string();
    let (_, solution) = line.split_once(": ").unwrap();
    // PoW but no Bearer: the upstream's 401 (the payment was good; identity is not the
    // gate's to give).
    let r = m.call(2, "search", &[("x-pow-solution", solution)]);
    assert_eq!(r.status, 401);
    let token = r.headers["x-pow-token"].to_str().unwrap().to_string();
    // Both, in one Authorization header: served, and the Bearer reached the upstream.
    let both = format!("Bearer secret-token, PoW {token}");
    let r = m.call(3, "search", &[("authorization", &both)]);
    let seen = tool_text(&r);
    assert_eq!(seen["authorization"], "Bearer secret-token", "{seen}");
}

/// The Python SDK's `Client` pinned to 2026-07-28, in `auto` mode and in `legacy` mode,
/// against `grind serve` and through `grind gate` (paying inside JSON-RPC).
#[test]
fn python_sdk_client_in_every_connect_mode() {
    if !require_python_module("mcp") {
        return;
    }
    let serve = spawn_grind(&["serve", "-d", "8"]);
    let (_up, gate) = gated_mcp(
        "modes.toml",
        "payment_required_status = 200\n[pricing]\ndefault = 0\n[pricing.tools]\nsearch = 8\n",
    );
    let (ok, out) = python(&[
        &format!("{PY_DIR}/modern_client.py"),
        env!("CARGO_BIN_EXE_grind"),
        &format!("http://{}/mcp", serve.addr),
        &format!("http://{}/mcp", gate.addr),
    ]);
    assert!(ok && out.contains("OK"), "{out}");
}
