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
