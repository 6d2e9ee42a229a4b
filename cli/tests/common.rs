//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

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
        if let Some(s) = stdin {
            i.write_all(s.as_bytes()).expect("stdin written");
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
        if std::env::var_os("CI").is_some() {
            panic!("{name} is not installed, and CI is set: .ci/run must install it");
        }
        eprintln!("NOTICE: skipping: `{name}` is not installed (apt-get install {name})");
    }
    found
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
        if std::env::var_os("CI").is_some() {
            panic!(
                "python3 module {module} is missing, and CI is set: .ci/run must pip install it"
            );
        }
        eprintln!("NOTICE: skipping: python3 module `{module}` is missing (pip install {module})");
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

/// Starts `grind <args> --port 0` and waits for its "listening on http://ADDR" line.
pub fn spawn_grind(args: &[&str]) -> Server {
    use std::io::BufRead;
    let mut child = Command::new(env!("CARGO_BIN_EXE_grind"))
        .args(args)
        .args(["--port", "0"])
        .env("GRIND_GATE_KEY", TEST_KEY)
        .env_remove("GRIND_BACKEND")
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
        if let Some(rest) = line.split("listening on http://").nth(1) {
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
