//! TLS end to end, with a CA made in the test (rcgen): `grind serve` and `grind gate`
//! terminating HTTPS themselves, `grind gate` proxying to an HTTPS upstream trusted
//! through `--upstream-ca`, `grindstone::http::PowClient` paying a gate over HTTPS, and a
//! certificate from another CA refused everywhere.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::*;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use serde_json::{Value, json};

/// A CA and a server certificate for `localhost` and `127.0.0.1`, as PEM files.
struct Pki {
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

fn pki(dir: &Path, name: &str) -> Pki {
    std::fs::create_dir_all(dir).unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, format!("grind test CA {name}"));
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_key = KeyPair::generate().unwrap();
    let ca_pem = ca.self_signed(&ca_key).unwrap().pem();
    let issuer = Issuer::new(ca, ca_key);
    let mut leaf =
        CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    leaf.use_authority_key_identifier_extension = true;
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let leaf_key = KeyPair::generate().unwrap();
    let cert_pem = leaf.signed_by(&leaf_key, &issuer).unwrap().pem();
    let p = Pki {
        ca: dir.join(format!("{name}-ca.pem")),
        cert: dir.join(format!("{name}-cert.pem")),
        key: dir.join(format!("{name}-key.pem")),
    };
    std::fs::write(&p.ca, ca_pem).unwrap();
    std::fs::write(&p.cert, cert_pem).unwrap();
    std::fs::write(&p.key, leaf_key.serialize_pem()).unwrap();
    p
}

fn dir() -> PathBuf {
    test_path("tls")
}

/// A blocking client trusting only `ca`.
fn https_client(ca: &Path) -> reqwest::blocking::Client {
    tls_provider();
    let ca = reqwest::Certificate::from_pem(&std::fs::read(ca).unwrap()).unwrap();
    reqwest::blocking::Client::builder()
        .tls_certs_only([ca])
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

fn tls_args(p: &Pki) -> Vec<String> {
    vec![
        "--tls-cert".into(),
        p.cert.display().to_string(),
        "--tls-key".into(),
        p.key.display().to_string(),
    ]
}

fn args<'a>(fixed: &[&'a str], more: &'a [String]) -> Vec<&'a str> {
    fixed
        .iter()
        .copied()
        .chain(more.iter().map(String::as_str))
        .collect()
}

#[test]
fn serve_over_https_verifies_and_refuses_other_cas() {
    let d = dir();
    let good = pki(&d, "serve");
    let other = pki(&d, "other");
    let tls = tls_args(&good);
    let s = spawn_grind(&args(&["serve", "-d", "8"], &tls));
    let c = https_client(&good.ca);
    let base = format!("https://localhost:{}", s.addr.rsplit(':').next().unwrap());
    let ch: Value = serde_json::from_str(
        &c.get(format!("{base}/api/challenge"))
            .send()
            .unwrap()
            .text()
            .unwrap(),
    )
    .unwrap();
    let body = solve_json(&ch).to_string();
    let r = c
        .post(format!("{base}/api/verify"))
        .header("content-type", "application/json")
        .body(body.clone())
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    // By IP address too (the certificate names 127.0.0.1).
    let r = c.get(format!("https://{}/health", s.addr)).send().unwrap();
    assert_eq!(r.status().as_u16(), 200);
    // A client trusting another CA refuses the server; plain HTTP gets no answer.
    let e = https_client(&other.ca)
        .get(format!("{base}/health"))
        .send()
        .unwrap_err();
    assert!(e.is_connect() || e.is_request(), "{e:?}");
    assert!(
        client()
            .get(format!("http://{}/health", s.addr))
            .send()
            .is_err()
    );
    // Unusable certificate files: exit 2 naming the file.
    let o = grind_command()
        .args(["serve", "--port", "0", "--tls-cert"])
        .arg(&good.key)
        .arg("--tls-key")
        .arg(&good.key)
        .output()
        .unwrap();
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    let o = grind_command()
        .args(["serve", "--port", "0", "--tls-cert"])
        .arg(&good.cert)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "--tls-cert needs --tls-key");
}

/// `grind serve` over HTTPS as the upstream MCP server (its `challenge` tool priced by
/// the gate), `grind gate` over HTTPS in front of it.
#[test]
fn gate_over_https_in_front_of_an_https_upstream_paid_by_pow_client() {
    use grindstone::http::PowClient;
    let d = dir();
    let up_pki = pki(&d, "upstream");
    let gate_pki = pki(&d, "gate");
    let up_tls = tls_args(&up_pki);
    let upstream = spawn_grind(&args(&["serve", "-d", "8"], &up_tls));
    let upstream_url = format!("https://{}/mcp", upstream.addr);
    let cfg = write_config(
        "tls-gate.toml",
        "[pricing]\ndefault = 0\nfree = []\n[pricing.tools]\nchallenge = 10\n",
    );
    let up_ca = up_pki.ca.display().to_string();
    let gate_tls = tls_args(&gate_pki);
    let gate = spawn_grind(&args(
        &[
            "gate",
            "--upstream",
            &upstream_url,
            "--upstream-ca",
            &up_ca,
            "--config",
            &cfg,
        ],
        &gate_tls,
    ));
    let url = format!("https://{}/mcp", gate.addr);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let ca = reqwest::Certificate::from_pem(&std::fs::read(&gate_pki.ca).unwrap()).unwrap();
        let http = grindstone::http::client_builder()
            .tls_certs_only([ca])
            .build()
            .unwrap();
        let client = PowClient::new(http);
        let mut session: Option<String> = None;
        let mut send = async |msg: Value| {
            let mut r = client
                .inner()
                .post(&url)
                .header("content-type", "application/json")
                .header("accept", "application/json, text/event-stream");
            if let Some(s) = &session {
                r = r.header("mcp-session-id", s);
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
        let (st, init) = send(json!({"jsonrpc": "2.0", "id": 0, "method": "initialize",
            "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                       "clientInfo": {"name": "tls-test", "version": "1"}}}))
        .await;
        assert_eq!(st, 200, "{init}");
        let (st, _) = send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"})).await;
        assert!(st < 300);
        // Priced by the gate, paid behind the scenes, answered by the HTTPS upstream.
        let (st, body) = send(json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": "challenge", "arguments": {}}}))
        .await;
        assert_eq!(st, 200, "{body}");
        let ch: Value =
            serde_json::from_str(body["result"]["content"][0]["text"].as_str().unwrap()).unwrap();
        assert_eq!(ch["difficulty"], 8);
        assert_eq!(client.solves(), 1);
    });

    // A gate that trusts another CA for its upstream cannot reach it: 502, nothing
    // forwarded in the clear.
    let other = pki(&d, "other-upstream");
    let other_ca = other.ca.display().to_string();
    let wrong = spawn_grind(&[
        "gate",
        "--upstream",
        &upstream_url,
        "--upstream-ca",
        &other_ca,
        "--config",
        &cfg,
    ]);
    let r = client()
        .post(format!("http://{}/mcp", wrong.addr))
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(
            json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
                "protocolVersion": "2025-06-18", "capabilities": {},
                "clientInfo": {"name": "t", "version": "1"}}})
            .to_string(),
        )
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 502);
    let v: Value = serde_json::from_str(&r.text().unwrap()).unwrap();
    assert_eq!(v["code"], "upstream_unreachable", "{v}");
    // An unreadable CA file is bad input.
    let o = grind_command()
        .args([
            "gate",
            "--port",
            "0",
            "--upstream",
            &upstream_url,
            "--upstream-ca",
        ])
        .arg(&up_pki.key)
        .output()
        .unwrap();
    assert_eq!(code(&o), 2, "{}", stderr(&o));
}
