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
    GateChallenge, META_CREDENTIAL, META_RECEIPT, MetaCredential, PAYMENT_REFUSED_CODE,
    PAYMENT_REQUIRED_CODE, SOLUTION_HEADER, TOKEN_HEADER, challenge_of_rpc_error,
    parse_www_authenticate, solution_header,
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

/// A JSON-RPC upstream that answers every message and counts the `tools/call`s it ran
/// (and, above [`LEAKED`], those that reached it still carrying a `_meta` payment).
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
                if body.to_string().contains(META_CREDENTIAL) {
                    c.fetch_add(LEAKED, Ordering::SeqCst);
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

/// The proxy's `/mcp` URL in front of a fresh [`upstream`], and the upstream's count.
async fn proxied() -> (String, Arc<AtomicUsize>) {
    let (up, calls) = upstream().await;
    let proxy = Proxy::new(gate(), &format!("http://{up}/mcp"), None).unwrap();
    let addr = spawn(proxy.router()).await;
    (format!("http://{addr}/mcp"), calls)
}

/// Added to the upstream's count per call that reached it with a `_meta` payment.
const LEAKED: usize = 1_000_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payment_inside_json_rpc_for_clients_without_headers() {
    let (url, calls) = proxied().await;
    let http = client();
    let post = |body: Value| {
        http.post(&url)
            .header("content-type", "application/json")
            .body(body.to_string())
    };
    let with_meta = |credential: Value| {
        let mut c = call("search");
        c["params"]["_meta"] = json!({"progressToken": "p1", META_CREDENTIAL: credential});
        c
    };

    // The error says everything needed to pay (MPP's shape).
    let r = post(call("search")).send().await.unwrap();
    assert_eq!(r.status(), 402);
    let err = json_of(r).await;
    assert_eq!(err["error"]["code"], PAYMENT_REQUIRED_CODE);
    let data = &err["error"]["data"];
    assert_eq!(data["httpStatus"], 402);
    let entry = &data["challenges"][0];
    assert_eq!(entry["method"], "pow");
    assert_eq!(entry["intent"], "charge");
    assert_eq!(entry["request"]["scope"], "tool:search");
    assert_eq!(entry["request"]["difficulty"], 8);
    assert!(entry["expires"].as_str().unwrap().ends_with('Z'));
    let ch = challenge_of_rpc_error(&err).unwrap();

    // Paid in `_meta`: forwarded once without the payment; the receipt holds a token.
    let cred = MetaCredential::Solution {
        challenge: Box::new(ch.clone()),
        nonces: solve(&ch),
    };
    let r = post(with_meta(cred.to_json())).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers().contains_key(TOKEN_HEADER));
    let ok = json_of(r).await;
    assert_eq!(ok["result"]["ok"], true);
    let receipt = &ok["result"]["_meta"][META_RECEIPT];
    assert_eq!(receipt["status"], "success");
    assert_eq!(receipt["method"], "pow");
    assert_eq!(receipt["reference"], ch.id.as_str());
    let token = receipt["token"].as_str().unwrap().to_string();
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "forwarded once, payment stripped"
    );

    // The same solution again: refused (-32043) with a fresh challenge and the reason.
    let r = post(with_meta(cred.to_json())).send().await.unwrap();
    assert_eq!(r.status(), 402);
    let again = json_of(r).await;
    assert_eq!(again["error"]["code"], PAYMENT_REFUSED_CODE);
    assert!(
        again["error"]["data"]["refused"]
            .as_str()
            .unwrap()
            .contains("spent"),
        "{again}"
    );
    assert_ne!(challenge_of_rpc_error(&again).unwrap().id, ch.id);

    // The receipt's token pays in `_meta` too, for this tool only.
    let tok = MetaCredential::Token(token).to_json();
    let r = post(with_meta(tok.clone())).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let mut other = with_meta(tok);
    other["params"]["name"] = json!("other");
    assert_eq!(post(other).send().await.unwrap().status(), 402);
    assert_eq!(calls.load(Ordering::SeqCst), 2);

    // Unreadable payments are refused, not ignored; a payment in a batch is refused.
    for bad in [
        json!({"payload": {"nonce": "1"}}),
        json!({"challenge": {"id": ch.compact()}, "payload": {"nonce": 1}}),
        json!("PoW x"),
    ] {
        let r = post(with_meta(bad.clone())).send().await.unwrap();
        assert_eq!(r.status(), 402, "{bad}");
        assert_eq!(json_of(r).await["error"]["code"], PAYMENT_REFUSED_CODE);
    }
    let r = post(json!([with_meta(cred.to_json())]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // A free call's payment is not the upstream's either.
    let mut free = with_meta(json!({"payload": {"token": "t"}}));
    free["params"]["name"] = json!("echo");
    assert_eq!(post(free).send().await.unwrap().status(), 200);
    assert_eq!(calls.load(Ordering::SeqCst), 3, "nothing leaked upstream");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_charges_priced_calls_once_and_forwards_the_rest() {
    let (url, calls) = proxied().await;
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
