//! The gate end to end, in one process: the HTTP API and the gating proxy served on
//! loopback in front of a counting JSON-RPC upstream, driven over real HTTP. Solutions
//! come from the core's reference search (the gate depends on no solver). The `grind`
//! binary's own end-to-end tests (real MCP SDK upstreams, TLS, restarts, faults) are in
//! `cli/tests/gate*.rs`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::routing::post;
use grindstone_core::schemes::gate::{
    GateChallenge, PAYMENT_REQUIRED_CODE, SOLUTION_HEADER, TOKEN_HEADER, parse_www_authenticate,
    solution_header,
};
use grindstone_gate::config::{GateConfig, Pricing};
use grindstone_gate::http::{self, Api};
use grindstone_gate::proxy::Proxy;
use grindstone_gate::{Gate, ReplayStore, ServerKey};
use serde_json::{Value, json};

/// Serves `router` on a loopback port; returns its address.
async fn spawn(router: Router) -> SocketAddr {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            l,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    addr
}

/// A JSON-RPC upstream that answers every message and counts the `tools/call`s it ran.
async fn upstream() -> (SocketAddr, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let router = Router::new().route(
        "/mcp",
        post(move |body: axum::Json<Value>| {
            let c = c.clone();
            async move {
                if body["method"] == "tools/call" {
                    c.fetch_add(1, Ordering::SeqCst);
                }
                axum::Json(json!({"jsonrpc": "2.0", "id": body["id"], "result": {"ok": true}}))
            }
        }),
    );
    (spawn(router).await, calls)
}

fn gate() -> Arc<Gate> {
    let cfg = GateConfig {
        pricing: Pricing {
            default: 8.0,
            free: vec!["echo".into()],
            ..Default::default()
        },
        ..Default::default()
    };
    Arc::new(Gate::new(
        ServerKey::from_secret(b"in-process-test-key").unwrap(),
        ReplayStore::memory(1000),
        cfg,
    ))
}

fn solve(ch: &GateChallenge) -> Vec<String> {
    let plan = ch.pow().unwrap().plan();
    let job = plan.job();
    let mut out = Vec::new();
    let mut cur = job.range().start;
    while out.len() < ch.claims.k as usize {
        let i = grindstone_core::reference::search(job, cur..job.range().end).unwrap();
        out.push(plan.nonce(i));
        cur = i + 1;
    }
    out
}

async fn json_of(r: reqwest::Response) -> Value {
    serde_json::from_slice(&r.bytes().await.unwrap()).unwrap()
}

fn client() -> reqwest::Client {
    grindstone_gate::server::install_crypto_provider();
    reqwest::Client::new()
}

fn call(tool: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": tool, "arguments": {}}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_charges_priced_calls_once_and_forwards_the_rest() {
    let (up, calls) = upstream().await;
    let proxy = Proxy::new(gate(), &format!("http://{up}/mcp"), None).unwrap();
    let addr = spawn(proxy.router()).await;
    let url = format!("http://{addr}/mcp");
    let http = client();
    let post = |body: Value| {
        http.post(&url)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(body.to_string())
    };

    // A free tool passes without payment.
    let r = post(call("echo")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    // A priced tool without payment: 402, a PoW challenge, the JSON-RPC payment code.
    let r = post(call("search")).send().await.unwrap();
    assert_eq!(r.status(), 402);
    let www = r.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_string();
    let body: Value = json_of(r).await;
    assert_eq!(body["error"]["code"], PAYMENT_REQUIRED_CODE);
    assert_eq!(calls.load(Ordering::SeqCst), 1, "not forwarded");
    let ch = parse_www_authenticate(&www).unwrap();
    assert_eq!(ch.claims.scope, "tool:search");

    // Paid: forwarded once, with a token for reuse.
    let sol = solution_header(&ch, &solve(&ch));
    let r = post(call("search"))
        .header(SOLUTION_HEADER, &sol)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let token = r.headers()[TOKEN_HEADER].to_str().unwrap().to_string();
    assert_eq!(calls.load(Ordering::SeqCst), 2);

    // The same solution again: spent.
    let r = post(call("search"))
        .header(SOLUTION_HEADER, &sol)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 402);
    assert_eq!(calls.load(Ordering::SeqCst), 2);

    // The token pays for the same tool, as a header or as `Authorization: PoW`, not for
    // another tool.
    for (name, value) in [
        (TOKEN_HEADER.to_string(), token.clone()),
        ("authorization".to_string(), format!("PoW {token}")),
    ] {
        let r = post(call("search"))
            .header(&name, &value)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{name}");
    }
    assert_eq!(calls.load(Ordering::SeqCst), 4);
    let r = post(call("other"))
        .header(TOKEN_HEADER, &token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 402);

    // What the gate cannot read is refused, never forwarded.
    let mut bom = vec![0xef, 0xbb, 0xbf];
    bom.extend_from_slice(call("search").to_string().as_bytes());
    let r = http
        .post(&url)
        .header("content-type", "application/json")
        .body(bom)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = http.put(&url).body("{}").send().await.unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(calls.load(Ordering::SeqCst), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_issues_verifies_and_refuses_replays() {
    let addr = spawn(http::router(
        Api {
            gate: gate(),
            default_scope: "*".into(),
        },
        None,
    ))
    .await;
    let http = client();
    let ch = json_of(
        http.get(format!("http://{addr}/api/challenge"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let parsed = GateChallenge::from_parts(
        ch["id"].as_str().unwrap(),
        ch["salt"].as_str().unwrap(),
        ch["signature"].as_str().unwrap(),
    )
    .unwrap();
    let nonce = solve(&parsed).remove(0);
    let body =
        json!({"salt": ch["salt"], "nonce": nonce, "id": ch["id"], "signature": ch["signature"]});
    let verify = || {
        http.post(format!("http://{addr}/api/verify"))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
    };
    let r = verify().await.unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = json_of(r).await;
    assert_eq!(v["valid"], true);
    assert_eq!(v["id"], ch["id"]);
    let r = verify().await.unwrap();
    assert_eq!(r.status(), 409);
    let v: Value = json_of(r).await;
    assert_eq!(
        (v["valid"].clone(), v["code"].clone()),
        (json!(false), json!("spent"))
    );
    let r = http
        .post(format!("http://{addr}/api/verify"))
        .header("content-type", "application/json")
        .body("{\"salt\": 1}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}
