//! The gate under faults, with real parts: restarts and `kill -9` with the durable replay
//! store, Redis killed under wrk load, SIGTERM with requests in flight, slow and idle
//! clients, and key rotation on SIGHUP. Each test is bounded in time.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};

/// A state folder of its own for one test (its default durable store lives there).
fn state(name: &str) -> PathBuf {
    let d = test_path(&format!("named-state-{name}"));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn serve_in(state: &PathBuf, args: &[&str]) -> Server {
    let mut cmd = grind_command();
    cmd.env("XDG_STATE_HOME", state);
    spawn_grind_with(cmd, args)
}

/// The bypass found with the old gate: solve, verify, replay (409), restart, replay.
/// What a server started by `cmd` prints in its first 800 ms (it is then killed).
fn startup_stderr(mut cmd: std::process::Command) -> String {
    let mut child = cmd.stderr(std::process::Stdio::piped()).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(800));
    let _ = child.kill();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let _ = child.wait();
    err
}

#[test]
fn a_restart_does_not_reopen_spent_challenges() {
    let st = state("restart");
    let s = serve_in(&st, &["serve", "-d", "8"]);
    let (_, ch) = get(&s.addr, "/api/challenge");
    let body = solve_json(&ch).to_string();
    assert_eq!(post(&s.addr, "/api/verify", &body).0, 200);
    assert_eq!(post(&s.addr, "/api/verify", &body).0, 409);
    let (_, stats) = get(&s.addr, "/api/stats");
    assert_eq!(
        stats["store"], "durable",
        "the default with a persistent key"
    );
    drop(s);
    let s = serve_in(&st, &["serve", "-d", "8"]);
    let (st_code, v) = post(&s.addr, "/api/verify", &body);
    assert_eq!((st_code, v["code"].clone()), (409, json!("spent")), "{v}");
    assert!(
        st.join("grindstone/spent-serve").is_dir(),
        "the documented default path"
    );

    // `--store memory` is the old, restart-unsafe behaviour: explicit, and it says so.
    let mut cmd = grind_command();
    cmd.env("XDG_STATE_HOME", &st)
        .args(["serve", "-d", "8", "--store", "memory", "--port", "0"]);
    let err = startup_stderr(cmd);
    assert!(
        err.contains("--store memory with a persistent key"),
        "{err}"
    );
    // A random key needs no durable store: the startup line says why.
    let mut cmd = grind_command();
    cmd.env_remove("GRIND_GATE_KEY")
        .env("XDG_STATE_HOME", &st)
        .args(["serve", "--port", "0"]);
    let err = startup_stderr(cmd);
    assert!(err.contains("random key, store memory"), "{err}");
    assert!(err.contains("a restart invalidates them all"), "{err}");
}

/// `kill -9` under load: every solution accepted before the kill is refused after the
/// restart.
#[test]
fn kill_9_under_load_then_every_accepted_solution_is_refused() {
    let st = state("kill9");
    let store = st.join("spent");
    let store_arg = store.display().to_string();
    let mut s = serve_in(&st, &["serve", "-d", "1", "--store", &store_arg]);
    let bodies = Arc::new(presolved(6000, 1.0));
    let next = Arc::new(AtomicUsize::new(0));
    let accepted = Arc::new(Mutex::new(Vec::<usize>::new()));
    let addr = s.addr.clone();
    let workers: Vec<_> = (0..8)
        .map(|_| {
            let (bodies, next, accepted, addr) =
                (bodies.clone(), next.clone(), accepted.clone(), addr.clone());
            std::thread::spawn(move || {
                let c = client();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= bodies.len() {
                        return;
                    }
                    let r = c
                        .post(format!("http://{addr}/api/verify"))
                        .header("content-type", "application/json")
                        .body(bodies[i].clone())
                        .send();
                    match r {
                        Ok(r) if r.status().as_u16() == 200 => accepted.lock().unwrap().push(i),
                        Ok(r) => panic!("{}: {}", r.status(), r.text().unwrap_or_default()),
                        // The server is gone.
                        Err(_) => return,
                    }
                }
            })
        })
        .collect();
    let t0 = Instant::now();
    while accepted.lock().unwrap().len() < 1000 && t0.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(5));
    }
    s.child.kill().unwrap(); // SIGKILL
    let _ = s.child.wait();
    for w in workers {
        w.join().unwrap();
    }
    let accepted = accepted.lock().unwrap().clone();
    let sent = next.load(Ordering::Relaxed).min(bodies.len());
    assert!(accepted.len() >= 1000, "{} accepted", accepted.len());
    let s = serve_in(&st, &["serve", "-d", "1", "--store", &store_arg]);
    let c = client();
    let mut replayed_ok = 0;
    for &i in &accepted {
        let r = c
            .post(format!("http://{}/api/verify", s.addr))
            .header("content-type", "application/json")
            .body(bodies[i].clone())
            .send()
            .unwrap();
        if r.status().as_u16() != 409 {
            replayed_ok += 1;
        }
    }
    eprintln!(
        "kill -9 under load: {} accepted before the kill (of {sent} sent), {replayed_ok} accepted again after the restart",
        accepted.len()
    );
    assert_eq!(replayed_ok, 0);
}

/// SIGTERM: the listener closes, a request in flight finishes, the process exits 0.
#[test]
fn sigterm_finishes_requests_in_flight_and_exits_0() {
    if !require_python_module("mcp") {
        return;
    }
    let (_up, gate) = gated_mcp("sigterm.toml", "[pricing]\ndefault = 0\n");
    let mut gate = gate;
    let mut m = connect(&gate.addr);
    let addr = gate.addr.clone();
    let in_flight = std::thread::spawn(move || {
        let t = Instant::now();
        let a = m.send(
            json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                   "params": {"name": "slow", "arguments": {"seconds": 2.0}}}),
            &[],
        );
        (a.status, a.body, t.elapsed())
    });
    std::thread::sleep(Duration::from_millis(600));
    signal(&gate.child, "TERM");
    // New connections are refused soon after.
    let t = Instant::now();
    while TcpStream::connect(&addr).is_ok() {
        assert!(t.elapsed() < Duration::from_secs(3), "still accepting");
        std::thread::sleep(Duration::from_millis(20));
    }
    let (status, body, took) = in_flight.join().unwrap();
    assert_eq!(status, 200, "{body}");
    let text = body["result"]["content"][0]["text"].as_str().unwrap();
    assert_eq!(serde_json::from_str::<Value>(text).unwrap()["slept"], 2.0);
    assert!(took >= Duration::from_millis(1900), "{took:?}");
    let t = Instant::now();
    let status = loop {
        if let Some(s) = gate.child.try_wait().unwrap() {
            break s;
        }
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "no exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(0));
}

/// A client sending its headers byte by byte is cut after the header timeout; thousands
/// of idle connections do not stop new requests being served.
#[test]
fn slow_and_idle_clients_hold_nothing() {
    let s = spawn_grind(&["serve", "-d", "8", "--header-timeout", "1s"]);
    // Slowloris: one byte every 200 ms, never finishing the head.
    let mut slow = TcpStream::connect(&s.addr).unwrap();
    slow.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let t = Instant::now();
    let head = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ";
    let mut closed_after = None;
    'outer: for i in 0.. {
        let b = head.get(i).copied().unwrap_or(b'a');
        if slow.write_all(&[b]).is_err() {
            closed_after = Some(t.elapsed());
            break;
        }
        let mut buf = [0u8; 512];
        match slow.read(&mut buf) {
            Ok(0) => {
                closed_after = Some(t.elapsed());
                break 'outer;
            }
            Ok(_) => {
                // hyper may answer 408 before closing.
                closed_after = Some(t.elapsed());
                break 'outer;
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => {
                closed_after = Some(t.elapsed());
                break;
            }
        }
        if t.elapsed() > Duration::from_secs(10) {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let closed_after = closed_after.expect("a byte-by-byte client is cut off");
    assert!(
        closed_after >= Duration::from_millis(900) && closed_after < Duration::from_secs(4),
        "{closed_after:?}"
    );
    // A body that never arrives whole: refused after the body timeout.
    let s2 = spawn_grind(&["serve", "-d", "8", "--body-timeout", "1s"]);
    let mut c = TcpStream::connect(&s2.addr).unwrap();
    c.write_all(
        b"POST /api/verify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{",
    )
    .unwrap();
    c.set_read_timeout(Some(Duration::from_secs(6))).unwrap();
    let t = Instant::now();
    let mut answer = String::new();
    let _ = c.read_to_string(&mut answer);
    let body_cut = t.elapsed();
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer:?}");
    assert!(body_cut < Duration::from_secs(4), "{body_cut:?}");
    // At most N connections at once: the next one waits in the backlog and is served
    // when a slot frees (here: when idle ones time out), never dropped.
    let s3 = spawn_grind(&[
        "serve",
        "-d",
        "8",
        "--max-connections",
        "3",
        "--header-timeout",
        "1s",
    ]);
    let held: Vec<TcpStream> = (0..3)
        .map(|_| TcpStream::connect(&s3.addr).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(100));
    let t = Instant::now();
    assert_eq!(get(&s3.addr, "/health").0, 200);
    let waited = t.elapsed();
    assert!(
        waited >= Duration::from_millis(500) && waited < Duration::from_secs(5),
        "{waited:?}"
    );
    drop(held);
    // 2000 idle connections, then a real request.
    let idle: Vec<TcpStream> = (0..2000)
        .map(|_| TcpStream::connect(&s.addr).unwrap())
        .collect();
    let t = Instant::now();
    assert_eq!(get(&s.addr, "/health"), (200, json!({"ok": true})));
    let took = t.elapsed();
    assert!(took < Duration::from_secs(2), "{took:?}");
    // And the idle ones are closed after the timeout.
    std::thread::sleep(Duration::from_millis(2000));
    let mut closed = 0;
    for mut c in idle.into_iter().take(50) {
        c.set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        let mut buf = [0u8; 256];
        match c.read(&mut buf) {
            // Still open: the read timed out.
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            // End of stream, a last answer, or a reset: closed.
            _ => closed += 1,
        }
    }
    assert_eq!(
        closed, 50,
        "idle connections are closed after the header timeout"
    );
    eprintln!(
        "slow clients: byte-by-byte cut after {closed_after:?}; /health with 2000 idle connections: {took:?}"
    );
}

fn claims_kid(ch: &Value) -> String {
    use base64::Engine as _;
    let sig = ch["signature"].as_str().unwrap();
    let claims = sig.split('.').next().unwrap();
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(claims)
        .unwrap();
    let v: Value = serde_json::from_slice(&raw).unwrap();
    v["kid"].as_str().unwrap().to_string()
}

fn wait_for_keys(addr: &str, n: usize) -> Vec<Value> {
    let t = Instant::now();
    loop {
        let (_, s) = get(addr, "/api/stats");
        let keys = s["keys"].as_array().unwrap().clone();
        if keys.len() == n {
            return keys;
        }
        assert!(t.elapsed() < Duration::from_secs(10), "keys still {keys:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Rotation without downtime: SIGHUP reloads the key file; what the old key signed keeps
/// verifying while it is listed, and is refused once it is removed.
#[test]
fn keys_rotate_on_sighup_without_downtime() {
    let st = state("rotate");
    std::fs::create_dir_all(&st).unwrap();
    let key_file = st.join("gate.keys");
    let (a, b) = (
        "rotation-old-key-0123456789abcdef",
        "rotation-new-key-0123456789abcdef",
    );
    std::fs::write(&key_file, format!("{a}\n")).unwrap();
    let mut cmd = grind_command();
    cmd.env_remove("GRIND_GATE_KEY").env("XDG_STATE_HOME", &st);
    let kf = key_file.display().to_string();
    let s = spawn_grind_with(cmd, &["serve", "-d", "6", "--key-file", &kf]);
    let old_kid = wait_for_keys(&s.addr, 1)[0].as_str().unwrap().to_string();
    let challenge = || get(&s.addr, "/api/challenge").1;
    let (c1, c2, c3) = (challenge(), challenge(), challenge());
    assert_eq!(claims_kid(&c1), old_kid);
    let (code1, v) = post(&s.addr, "/api/verify", &solve_json(&c1).to_string());
    assert_eq!(code1, 200);
    let old_token = v["token"].as_str().unwrap().to_string();
    let check_token = |t: &str| {
        post(
            &s.addr,
            "/api/token/verify",
            &json!({"token": t}).to_string(),
        )
    };

    // Rotate: the new key first, the old one still accepted.
    std::fs::write(&key_file, format!("{b}\n{a}\n")).unwrap();
    signal(&s.child, "HUP");
    let keys = wait_for_keys(&s.addr, 2);
    assert_eq!(keys[1], json!(old_kid));
    let c4 = challenge();
    assert_ne!(
        claims_kid(&c4),
        old_kid,
        "new challenges are signed by the new key"
    );
    assert_eq!(
        post(&s.addr, "/api/verify", &solve_json(&c2).to_string()).0,
        200
    );
    assert_eq!(check_token(&old_token).0, 200);
    let (_, v) = post(&s.addr, "/api/verify", &solve_json(&c4).to_string());
    let new_token = v["token"].as_str().unwrap().to_string();

    // A reload that fails keeps the keys in use.
    std::fs::write(&key_file, "too-short\n").unwrap();
    signal(&s.child, "HUP");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(wait_for_keys(&s.addr, 2).len(), 2);

    // Remove the old key: what it signed is refused.
    std::fs::write(&key_file, format!("{b}\n")).unwrap();
    signal(&s.child, "HUP");
    wait_for_keys(&s.addr, 1);
    let (code3, v) = post(&s.addr, "/api/verify", &solve_json(&c3).to_string());
    assert_eq!(
        (code3, v["code"].clone()),
        (403, json!("bad_signature")),
        "{v}"
    );
    assert_eq!(check_token(&old_token).0, 403);
    assert_eq!(check_token(&new_token).0, 200);
}

fn redis_server(port: u16, dir: &std::path::Path) -> Redis {
    std::fs::create_dir_all(dir).unwrap();
    let child = std::process::Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--dir",
            dir.to_str().unwrap(),
            "--save",
            "",
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("redis-server starts");
    wait_for_port(&format!("127.0.0.1:{port}"));
    Redis(child)
}

fn redis_dbsize(port: u16) -> u64 {
    let o = std::process::Command::new("redis-cli")
        .args(["-p", &port.to_string(), "DBSIZE"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&o.stdout).trim().parse().unwrap()
}

/// Redis killed (`kill -9`) while wrk drives `/api/verify` with each solution sent twice
/// (often at once): 503 while it is down, never an acceptance without the store; accepted
/// again once it is back; no challenge id accepted twice.
#[test]
fn redis_killed_under_wrk_load_fails_closed_and_recovers() {
    if !require_tool("redis-server") || !require_tool("wrk") {
        return;
    }
    let dir = state("redis-kill");
    let port = free_port();
    let mut redis = redis_server(port, &dir);
    let url = format!("redis://127.0.0.1:{port}/0");
    let s = spawn_grind(&["serve", "-d", "1", "--redis", &url]);
    std::fs::create_dir_all(&dir).unwrap();
    let pool = dir.join("pool.jsonl");
    let mut bodies = presolved(30001, 1.0);
    let last = bodies.pop().unwrap();
    std::fs::write(&pool, bodies.join("\n") + "\n").unwrap();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../gate/examples/verify_faults.lua"
    );
    let wrk = std::process::Command::new("wrk")
        .args(["-t2", "-c16", "-d9s", "-s", script])
        .arg(format!("http://{}", s.addr))
        .env("POOL", &pool)
        .env("THREADS", "2")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(3000));
    let _ = redis.0.kill();
    let _ = redis.0.wait();
    std::thread::sleep(Duration::from_millis(2500));
    let _redis = redis_server(port, &dir);
    let out = wrk.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let count = |what: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(what))
            .unwrap_or_else(|| panic!("no {what:?} in {text}"))
            .trim()
            .parse()
            .unwrap()
    };
    let (ok, spent, down, other, twice) = (
        count("status 200:"),
        count("status 409:"),
        count("status 503:"),
        count("status other:"),
        count("accepted twice:"),
    );
    eprintln!("redis killed under load: {text}");
    assert_eq!(other, 0, "only 200, 409 and 503: {text}");
    assert_eq!(twice, 0, "no challenge id accepted twice: {text}");
    assert!(down > 0, "503 while Redis is down: {text}");
    assert!(ok > 0 && spent > 0, "{text}");
    // Back: a fresh solution is accepted.
    assert_eq!(post(&s.addr, "/api/verify", &last).0, 200);
    let (_, stats) = get(&s.addr, "/api/stats");
    let accepted = stats["pow_solves"].as_u64().unwrap();
    assert!(
        accepted > ok,
        "the server counts what wrk saw, and the last one"
    );
    // Every acceptance is a spent key. A SET that Redis applied (and logged) just before
    // it died, its reply lost, was answered 503: spent without being accepted, which is
    // the safe side. So the keys are the acceptances plus at most the 503s.
    let keys = redis_dbsize(port);
    assert!(
        accepted <= keys && keys <= accepted + down,
        "{accepted} accepted, {keys} spent keys, {down} answered 503"
    );
    assert!(accepted <= bodies.len() as u64 + 1);
}
