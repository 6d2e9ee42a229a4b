//! Runs the Python package's tests (pytest, `python/tests`) against this build's `grind`:
//! round trips, errors, the GIL, and the httpx2 transports through the official MCP Python
//! SDK in front of a real `grind gate`. `.ci/run` installs the package
//! (`pip install ./python`) and its test dependencies first.

mod common;

use std::process::Command;

#[test]
fn python_package_tests() {
    let ready = Command::new("python3")
        .args(["-c", "import grindstone, pytest, httpx2, mcp"])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ready {
        common::missing(
            "the grindstone Python package or pytest is missing",
            "pip install ./python pytest httpx",
        );
        return;
    }
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let o = Command::new("python3")
        .current_dir(root)
        .args(["-m", "pytest", "-q", "python/tests"])
        .env("GRIND_BIN", env!("CARGO_BIN_EXE_grind"))
        .output()
        .expect("python3 runs");
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}
