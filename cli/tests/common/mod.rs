//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use reqwest::blocking::{Client, Response};
use serde_json::{Value, json};

/// Runs the built `grind` with `args` and optional stdin.
pub fn grind(args: &[&str], stdin: Option<&str>) -> Output {
    grind_env(args, stdin, None)
}

/// Runs the built `grind` with `GRIND_BACKEND` set to `backend` (or unset).
pub fn grind_env(args: &[&str], stdin: Option<&str>, backend: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_grind"));
    cmd.env_remove("GRIND_BACKEND");
    cmd.env_remove("GRIND_ADAPTER");
    // Mesa's device-select layer complains on stderr without a display server.
    cmd.env("NODEVICE_SELECT", "1");
    if let Some(b) = backend {
        cmd.env("GRIND_BACKEND", b);
    }
    let mut child = cmd
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("grind runs");
    {
        let mut i = child.stdin.take().expect("piped");
        // A grind that refuses its arguments exits without reading stdin: a broken pipe
        // then is its answer, not the test's failure (its exit code is checked).
        if let Some(s) = stdin
            && let Err(e) = i.write_all(s.as_bytes())
        {
            assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "stdin: {e}");
        }
    }
    child.wait_with_output().expect("grind exits")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("UTF-8 stdout")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("UTF-8 stderr")
}

pub fn code(o: &Output) -> i32 {
    o.status.code().expect("exited, not killed")
}

/// Independent SHA-256 leading-zero-bit count of `salt + nonce`.
pub fn sha256_zero_bits(msg: &[u8]) -> u32 {
    use sha2::Digest;
    let d = sha2::Sha256::digest(msg);
    let mut n = 0;
    for b in d.iter() {
        if *b == 0 {
            n += 8;
        } else {
            n += b.leading_zeros();
            break;
        }
    }
    n
}

/// Whether an external tool is on PATH. Under CI a missing tool fails the test; on a
/// developer machine the test is skipped with a notice.
pub fn require_tool(name: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !found {
        missing(
            &format!("`{name}` is not installed"),
            &format!("apt-get install {name}"),
        );
    }
    found
}

/// A real part a test needs is missing: under CI (`CI` set) the test fails; elsewhere it
/// is skipped, and says so on the terminal, outside libtest's capture (which would hide
/// an `eprintln!` of a passing test), so a newcomer's run shows what it did not test.
pub fn missing(what: &str, fix: &str) {
    if std::env::var_os("CI").is_some() {
        panic!("{what}, and CI is set: .ci/run must provide it ({fix})");
    }
    let test = std::thread::current()
        .name()
        .unwrap_or("a test")
        .to_string();
    // Written to the file descriptor, not through `eprintln!`: libtest captures only the
    // print macros.
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {what} ({fix})");
}

/// Whether a Python module imports. Under CI a missing module fails the test; elsewhere
/// the test is skipped with a notice.
pub fn require_python_module(module: &str) -> bool {
    let ok = Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        missing(
            &format!("python3 module `{module}` is missing"),
            &format!("pip install {module}"),
        );
    }
    ok
}

/// A free loopback port (bound then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A child process killed on drop.
pub struct Server {
    pub child: std::process::Child,
    pub addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The key every test gate shares (so instances can verify each other's challenges).
pub const TEST_KEY: &str = "grindstone-test-key-0123456789abcdef";

/// Prefix of the folder each test process keeps its files in (see [`test_path`]).
const TEST_ROOT_PREFIX: &str = "grindstone-tests-";

/// `name` inside this test process's own folder (state folders, configs, databases),
/// made on first use under cargo's temporary folder for integration tests
/// (`target/tmp`). The process holds a lock on the folder's `.lock` file while it runs,
/// and the first use removes the folders whose lock is free (their process has exited),
/// so runs do not pile them up. A folder is named only once it is locked (it is made
/// under a `.partial` name and renamed), so a sweep never sees a live folder unlocked.
pub fn test_path(name: &str) -> std::path::PathBuf {
    use std::path::{Path, PathBuf};
    struct Root {
        dir: PathBuf,
        _lock: std::fs::File,
    }
    static ROOT: std::sync::OnceLock<Root> = std::sync::OnceLock::new();
    let root = ROOT.get_or_init(|| {
        let base = Path::new(env!("CARGO_TARGET_TMPDIR"));
        if let Ok(entries) = std::fs::read_dir(base) {
            for e in entries.flatten() {
                let n = e.file_name();
                let Some(n) = n.to_str() else { continue };
                if !n.starts_with(TEST_ROOT_PREFIX) || n.ends_with(".partial") {
                    continue;
                }
                if let Ok(lock) = std::fs::File::open(e.path().join(".lock"))
                    && lock.try_lock().is_ok()
                {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
        let dir = base.join(format!("{TEST_ROOT_PREFIX}{}", std::process::id()));
        let partial = dir.with_extension("partial");
        let _ = std::fs::remove_dir_all(&partial);
        std::fs::create_dir_all(&partial).expect("target/tmp is writable");
        let lock = std::fs::File::create(partial.join(".lock")).expect("target/tmp is writable");
        lock.lock().expect("the test folder's lock");
        // A folder under this name is an exited process's (this PID is ours) that the
        // sweep could not take, e.g. one without a lock file: it would block the rename.
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::rename(&partial, &dir).expect("the test folder is renamed once locked");
        Root { dir, _lock: lock }
    });
    root.dir.join(name)
}

/// A fresh state folder for one grind process (its default durable replay store lives
/// there, not in the developer's home; a store folder serves one process at a time, and
/// tests run in parallel).
pub fn test_state_dir() -> std::path::PathBuf {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    test_path(&format!("state-{n}"))
}

/// A `grind` command with the test environment: the shared test key, no forced backend,
/// a fresh state folder.
pub fn grind_command() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_grind"));
    cmd.env("GRIND_GATE_KEY", TEST_KEY)
        .env("XDG_STATE_HOME", test_state_dir())
        .env("NODEVICE_SELECT", "1")
        .env_remove("GRIND_BACKEND");
    cmd
}

/// Starts `grind <args> --port 0` and waits for its "listening on http(s)://ADDR" line.
pub fn spawn_grind(args: &[&str]) -> Server {
    spawn_grind_with(grind_command(), args)
}

/// Starts `cmd <args> --port 0` (a [`grind_command`], changed as a test needs) and waits
/// for its "listening on" line.
pub fn spawn_grind_with(mut cmd: Command, args: &[&str]) -> Server {
    use std::io::BufRead;
    let mut child = cmd
        .args(args)
        .args(["--port", "0"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("grind starts");
    let stderr = child.stderr.take().expect("piped");
    let mut lines = std::io::BufReader::new(stderr).lines();
    let mut addr = None;
    for line in lines.by_ref() {
        let line = line.expect("stderr is text");
        if let Some(rest) = line.split("listening on http").nth(1) {
            let rest = rest.trim_start_matches('s').trim_start_matches("://");
            addr = Some(rest.split([' ', ',']).next().unwrap().to_string());
            break;
        }
        assert!(!line.contains("error"), "grind failed to start: {line}");
    }
    // Keep draining stderr so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    let addr = addr.unwrap_or_else(|| panic!("grind {args:?} exited before listening"));
    Server { child, addr }
}

/// Waits until something accepts TCP connections on `addr`.
pub fn wait_for_port(addr: &str) {
    for _ in 0..200 {
        if std::net::TcpStream::connect(addr).is_ok() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("nothing listens on {addr}");
}

/// Makes `ring` the rustls provider of this test process (reqwest needs one).
pub fn tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

pub fn client() -> Client {
    tls_provider();
    Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

pub fn json_of(r: Response) -> (u16, Value) {
    let status = r.status().as_u16();
    let text = r.text().unwrap();
    let v =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{status} not JSON ({e}): {text}"));
    (status, v)
}

pub fn get(addr: &str, path: &str) -> (u16, Value) {
    json_of(client().get(format!("http://{addr}{path}")).send().unwrap())
}

pub fn post(addr: &str, path: &str, body: &str) -> (u16, Value) {
    json_of(
        client()
            .post(format!("http://{addr}{path}"))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .unwrap(),
    )
}

/// `grind solve -` on a challenge JSON: the verify request JSON.
pub fn solve_json(challenge: &Value) -> Value {
    let o = grind(&["solve", "-"], Some(&challenge.to_string()));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    serde_json::from_str(&stdout(&o)).unwrap()
}

pub struct Redis(pub std::process::Child);

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn start_redis(port: u16) -> Redis {
    let child = Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-server starts");
    wait_for_port(&format!("127.0.0.1:{port}"));
    Redis(child)
}

pub fn python(args: &[&str]) -> (bool, String) {
    let o = Command::new("python3")
        .args(args)
        .output()
        .expect("python3 runs");
    (
        o.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
    )
}

pub const PY_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python");

/// A minimal MCP Streamable HTTP client: one JSON-RPC message, JSON or SSE answer.
/// The JSON-RPC answer in an MCP HTTP response body: plain JSON or an SSE stream.
pub fn rpc_answer(text: &str) -> Value {
    if text.trim().is_empty() {
        return Value::Null;
    }
    if let Ok(v) = serde_json::from_str(text) {
        return v;
    }
    let data = text
        .lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .map(str::trim)
        .find(|d| d.contains("\"id\""))
        .unwrap_or_else(|| panic!("no JSON-RPC answer in {text}"));
    serde_json::from_str(data).unwrap()
}

pub struct Mcp {
    pub url: String,
    pub session: Option<String>,
}

pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Mcp {
    pub fn send(&mut self, msg: Value, extra: &[(&str, &str)]) -> Answer {
        let mut r = client()
            .post(&self.url)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", "2025-06-18");
        if let Some(s) = &self.session {
            r = r.header("mcp-session-id", s);
        }
        for (k, v) in extra {
            r = r.header(*k, *v);
        }
        let resp = r.body(msg.to_string()).send().unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        if let Some(s) = headers.get("mcp-session-id") {
            self.session = Some(s.to_str().unwrap().to_string());
        }
        let body = rpc_answer(&resp.text().unwrap());
        Answer {
            status,
            headers,
            body,
        }
    }

    pub fn call(&mut self, id: u64, tool: &str, extra: &[(&str, &str)]) -> Answer {
        self.send(
            json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
                   "params": {"name": tool, "arguments": {"query": "grindstone"}}}),
            extra,
        )
    }
}

pub fn tool_text(a: &Answer) -> Value {
    assert_eq!(a.status, 200, "{}", a.body);
    serde_json::from_str(a.body["result"]["content"][0]["text"].as_str().unwrap()).unwrap()
}

pub fn start_upstream() -> (Server, String) {
    start_upstream_env(&[])
}

/// The Python SDK upstream with extra environment (e.g. `UPSTREAM_COUNT_FILE`).
pub fn start_upstream_env(env: &[(&str, &str)]) -> (Server, String) {
    let port = free_port();
    let child = Command::new("python3")
        .args([&format!("{PY_DIR}/upstream_mcp.py"), &port.to_string()])
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 runs");
    let addr = format!("127.0.0.1:{port}");
    wait_for_port(&addr);
    (
        Server {
            child,
            addr: addr.clone(),
        },
        format!("http://{addr}/mcp"),
    )
}

/// The Python SDK's MCP server behind `grind gate` with the config `text` (written to
/// `name`); returns (upstream, gate).
pub fn gated_mcp(name: &str, text: &str) -> (Server, Server) {
    let (up, upstream) = start_upstream();
    let cfg = write_config(name, text);
    let gate = spawn_grind(&["gate", "--upstream", &upstream, "--config", &cfg]);
    (up, gate)
}

pub fn write_config(name: &str, text: &str) -> String {
    let dir = test_path("gate");
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

pub fn connect(addr: &str) -> Mcp {
    let mut m = Mcp {
        url: format!("http://{addr}/mcp"),
        session: None,
    };
    let init = m.send(
        json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "grind-test", "version": "1"}}}),
        &[],
    );
    assert_eq!(init.status, 200, "{}", init.body);
    assert!(
        m.session.is_some(),
        "the session id passes through the gate"
    );
    let n = m.send(
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        &[],
    );
    assert!(n.status < 300);
    m
}

/// `n` distinct, already solved `/api/verify` bodies for challenges of `bits` signed
/// offline with [`TEST_KEY`] (as `gate/examples/presolve.rs`), valid for an hour.
pub fn presolved(n: usize, bits: f64) -> Vec<String> {
    use grindstone_gate::{Gate, GateConfig, ReplayStore, ServerKey};
    let gate = Gate::new(
        ServerKey::from_secret(TEST_KEY.as_bytes()).unwrap(),
        ReplayStore::memory(1),
        GateConfig::default(),
    );
    let exp = grindstone_gate::authority::unix_now() + 3600;
    (0..n)
        .map(|_| {
            let ch = gate.issue_expiring("api", bits, exp).unwrap();
            let plan = ch.pow().unwrap().plan();
            let i = grindstone::core::reference::search(plan.job(), plan.job().range()).unwrap();
            json!({"salt": ch.salt, "nonce": plan.nonce(i), "id": ch.id,
                   "signature": ch.signature()})
            .to_string()
        })
        .collect()
}

/// Sends a signal to a child process (`TERM`, `HUP`, `KILL`).
pub fn signal(child: &std::process::Child, sig: &str) {
    let ok = Command::new("kill")
        .args([&format!("-{sig}"), &child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{sig} {}", child.id());
}

/// Runs `node ARGS` in `dir` and answers its stdout; fails the test, with both outputs,
/// when it exits unsuccessfully.
pub fn node_ok(dir: &str, args: &[&str]) -> String {
    let o = Command::new("node")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("node runs");
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert!(
        o.status.success(),
        "node {args:?}: {out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    out
}
