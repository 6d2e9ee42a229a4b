//! The npm package (`js/`, Grindstone in WebAssembly): its node tests, and the package in
//! headless Chromium against `grind serve`. The package's modules are built by
//! `wasm/build` (the wasm32 target and wasm-bindgen-cli); `.ci/run` builds them first.
//! (`powFetch` inside the MCP TypeScript SDK is in `gate.rs`.)

mod common;

use common::*;
use serde_json::Value;
use std::path::Path;

const JS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../js");
const NODE_TESTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/node");

/// Whether the package's WebAssembly modules and node are there (else fail under CI,
/// skip elsewhere).
fn package_built() -> bool {
    if !require_tool("node") {
        return false;
    }
    let built = Path::new(JS).join("pkg/grindstone_wasm_bg.wasm").exists()
        && Path::new(JS)
            .join("pkg/grindstone_wasm_scalar_bg.wasm")
            .exists();
    if !built {
        missing(
            "the npm package's WebAssembly modules are not built",
            "rustup target add wasm32-unknown-unknown; cargo install wasm-bindgen-cli --version 0.2.130; wasm/build",
        );
    }
    built
}

/// `node --test` of the package: its API on the shared vectors, both builds, bad input,
/// timeouts and aborts (js/test/).
#[test]
fn node_tests_of_the_package() {
    if !package_built() {
        return;
    }
    let out = node_ok(JS, &["--test", "--test-timeout=120000", "test/"]);
    assert!(out.contains("# fail 0"), "{out}");
}

/// A page that imports the package in Debian's chromium (headless, driven by
/// playwright-core) solves a challenge from `grind serve`'s `/api/challenge` with the
/// SIMD128 kernel and `/api/verify` accepts it. The screenshot is kept in the test
/// output folder.
#[test]
fn the_package_in_headless_chromium() {
    if !package_built() || !require_tool("chromium") {
        return;
    }
    if !Path::new(NODE_TESTS)
        .join("node_modules/playwright-core")
        .exists()
    {
        missing(
            "playwright-core in cli/tests/node is missing",
            "npm install in cli/tests/node",
        );
        return;
    }
    let serve = spawn_grind(&["serve", "-d", "12", "--store", "memory"]);
    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser-page.png");
    let _ = std::fs::remove_file(&shot);
    let out = node_ok(
        NODE_TESTS,
        &["browser.mjs", &serve.addr, shot.to_str().unwrap(), "300"],
    );
    let r: Value = serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(r["error"], Value::Null, "{r}");
    assert_eq!(r["backend"], "simd128", "{r}");
    assert_eq!(r["verify"]["valid"], true, "{r}");
    assert!(r["verify"]["token"].is_string(), "{r}");
    for t in ["0", "1", "2"] {
        assert!(r["rates"][t].as_f64().unwrap_or(0.0) > 1e5, "{r}");
    }
    let errors: Vec<&str> = r["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .filter(|e| !e.contains("404"))
        .collect();
    assert!(errors.is_empty(), "page errors: {errors:?}");
    assert!(
        std::fs::metadata(&shot)
            .map(|m| m.len() > 1000)
            .unwrap_or(false),
        "screenshot {shot:?}"
    );
    // Shown with --nocapture: where the page's picture is.
    println!("screenshot: {}", shot.display());
}

/// The package's TypeScript types hold for the README's agent (the MCP SDK with
/// `powFetch`) and page code: `tsc --noEmit --strict` on cli/tests/node/agent_example.ts.
#[test]
fn typescript_types_of_the_package() {
    let tsc = Path::new(NODE_TESTS).join("node_modules/typescript/bin/tsc");
    if !require_tool("node") {
        return;
    }
    if !tsc.exists() {
        missing(
            "typescript in cli/tests/node is missing",
            "npm install in cli/tests/node",
        );
        return;
    }
    node_ok(
        NODE_TESTS,
        &[
            tsc.to_str().unwrap(),
            "--noEmit",
            "--strict",
            "--target",
            "es2022",
            "--module",
            "nodenext",
            "--moduleResolution",
            "nodenext",
            "--skipLibCheck",
            "agent_example.ts",
        ],
    );
}
