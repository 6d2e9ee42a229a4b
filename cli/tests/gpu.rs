//! `grind` with `--backend gpu|hybrid` end to end, on whatever adapter wgpu finds
//! (Mesa lavapipe in CI). With `CI` set, no adapter fails these tests; elsewhere they are
//! skipped with a notice.

mod common;

use common::*;
use serde_json::Value;

/// Whether `grind info` lists an adapter (panics under CI when it does not).
fn have_adapter() -> bool {
    let o = grind(&["info", "--json"], None);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let n = v["adapters"].as_array().map_or(0, |a| a.len());
    if n == 0 {
        missing(
            "wgpu sees no GPU adapter",
            "install a Vulkan driver, e.g. mesa-vulkan-drivers",
        );
    }
    n > 0
}

fn solve_json(backend: &str, salt: &str, d: &str, extra: &[&str]) -> Value {
    let mut args = vec![
        "solve",
        "--salt",
        salt,
        "--difficulty",
        d,
        "--json",
        "--backend",
        backend,
    ];
    args.extend_from_slice(extra);
    let o = grind(&args, None);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    serde_json::from_str(&stdout(&o)).unwrap()
}

#[test]
fn gpu_and_hybrid_solutions_verify() {
    if !have_adapter() {
        return;
    }
    for (salt, d) in [
        ("gpu-cli", "18"),
        ("a-salt-of-exactly-32-characters", "20.5"),
    ] {
        let cpu = solve_json("cpu", salt, d, &[]);
        let gpu = solve_json("gpu", salt, d, &[]);
        assert_eq!(gpu["engine"], "gpu");
        assert!(gpu["adapter"].as_str().is_some_and(|a| !a.is_empty()));
        // Without a timeout both return the lowest nonce.
        assert_eq!(gpu["nonce"], cpu["nonce"], "{salt}");
        let hy = solve_json("hybrid", salt, d, &[]);
        assert_eq!(hy["engine"], "hybrid");
        for v in [&gpu, &hy] {
            let nonce = v["nonce"].as_str().unwrap();
            let o = grind(
                &[
                    "verify",
                    "--salt",
                    salt,
                    "--difficulty",
                    d,
                    "--nonce",
                    nonce,
                ],
                None,
            );
            assert_eq!(code(&o), 0, "{salt} {nonce}: {}", stderr(&o));
        }
    }
    // Several solutions at once on the GPU.
    let v = solve_json("gpu", "multi", "16", &["-k", "8"]);
    let nonces: Vec<&str> = v["nonces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert_eq!(nonces.len(), 8);
    let cpu = solve_json("cpu", "multi", "16", &["-k", "8"]);
    assert_eq!(v["nonces"], cpu["nonces"]);
}

#[test]
fn gpu_timeout_is_exit_1() {
    if !have_adapter() {
        return;
    }
    let o = grind(
        &[
            "solve",
            "--salt",
            "x",
            "--difficulty",
            "200",
            "--backend",
            "gpu",
            "--timeout",
            "300ms",
        ],
        None,
    );
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(stderr(&o).contains("no solution within"), "{}", stderr(&o));
}

#[test]
fn bench_measures_the_gpu() {
    if !have_adapter() {
        return;
    }
    let o = grind(
        &[
            "bench",
            "--backend",
            "gpu",
            "--duration",
            "300ms",
            "--no-naive",
            "--json",
        ],
        None,
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let r = &v["results"][0];
    assert_eq!(r["backend"], "gpu");
    assert!(r["rate"].as_f64().unwrap() > 0.0);
    assert!(r["adapter"].as_str().is_some());
}

#[test]
fn gpu_misuse_is_a_clear_error() {
    // These fail the same way with or without an adapter.
    let o = grind(
        &[
            "solve",
            "--salt",
            "x",
            "-d",
            "8",
            "--backend",
            "gpu",
            "--adapter",
            "no-such-adapter-xyz",
        ],
        None,
    );
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("no-such-adapter-xyz"), "{}", stderr(&o));
    let o = grind(
        &["solve", "--salt", "x", "-d", "8", "--backend", "quantum"],
        None,
    );
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("gpu, hybrid"), "{}", stderr(&o));
    if !have_adapter() {
        return;
    }
    // Peer schemes run on the CPU only.
    let o = grind(
        &["solve", "--scheme", "anubis", "-", "--backend", "gpu"],
        Some("{}"),
    );
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert!(stderr(&o).contains("CPU"), "{}", stderr(&o));
}

#[test]
fn gpu_mints_hashcash_stamps_hashcash_accepts() {
    if !have_adapter() {
        return;
    }
    for backend in ["gpu", "hybrid"] {
        let o = grind(
            &[
                "mint",
                "-b",
                "16",
                "gpu@example.com",
                "--backend",
                backend,
                "--json",
            ],
            None,
        );
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
        assert_eq!(v["engine"], backend);
        let stamp = v["stamp"].as_str().unwrap();
        let o = grind(&["check", "-b", "16", "-r", "gpu@example.com", stamp], None);
        assert_eq!(code(&o), 0, "{stamp}: {}", stderr(&o));
        if require_tool("hashcash") {
            let db = test_path(&format!("gpu-{backend}.sdb"));
            let o = std::process::Command::new("hashcash")
                .args(["-c", "-d", "-f", db.to_str().unwrap()])
                .args(["-b", "16", "-r", "gpu@example.com", stamp])
                .output()
                .unwrap();
            let _ = std::fs::remove_file(&db);
            assert!(
                o.status.success(),
                "hashcash refused {stamp}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
        }
    }
}
