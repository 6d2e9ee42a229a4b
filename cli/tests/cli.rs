//! The built `grind` binary, end to end.

mod common;

use common::*;
use serde_json::Value;

#[test]
fn solve_prints_a_nonce_an_independent_check_accepts() {
    let o = grind(&["solve", "--salt", "hello", "--difficulty", "16"], None);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let nonce = stdout(&o).trim().to_string();
    assert!(sha256_zero_bits(format!("hello{nonce}").as_bytes()) >= 16);
    // Nothing on stderr when it is not a terminal.
    assert_eq!(stderr(&o), "");
}

#[test]
fn solve_json_fields() {
    let o = grind(
        &[
            "solve",
            "--salt",
            "abc",
            "-d",
            "12.5",
            "--json",
            "--threads",
            "1",
        ],
        None,
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let nonce = v["nonce"].as_str().unwrap();
    let digest = v["digest"].as_str().unwrap();
    assert_eq!(digest.len(), 64);
    assert!(v["zero_bits"].as_u64().unwrap() >= 12);
    assert!(v["hashes"].as_u64().unwrap() >= 1);
    assert!(v["elapsed_ms"].as_f64().is_some());
    assert!(v["rate"].as_f64().is_some());
    assert_eq!(v["threads"], 1);
    assert!(sha256_zero_bits(format!("abc{nonce}").as_bytes()) >= 12);
    assert_eq!(stderr(&o), "");
}

#[test]
fn solve_reads_a_captcha_mcp_challenge_and_prints_the_verify_input() {
    let ch = r#"{"id":"ch_1","salt":"65a8a91e6196581379205256b77a0c02","difficulty":14,"algo":"sha256","signature":"abc.def","instructions":"find nonce"}"#;
    let o = grind(&["solve", "-"], Some(ch));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(|k| k.as_str()).collect();
    assert_eq!(
        keys,
        ["algo", "difficulty", "id", "nonce", "salt", "signature"]
    );
    assert_eq!(v["id"], "ch_1");
    assert_eq!(v["signature"], "abc.def");
    assert_eq!(v["difficulty"], 14);
    assert_eq!(v["algo"], "sha256");
    let nonce = v["nonce"].as_str().unwrap();
    assert!(sha256_zero_bits(format!("65a8a91e6196581379205256b77a0c02{nonce}").as_bytes()) >= 14);

    // The same output, fed back to `grind verify`, is valid.
    let o2 = grind(&["verify", "-"], Some(&stdout(&o)));
    assert_eq!(code(&o2), 0, "{}", stdout(&o2));

    // The tool-result wrapper an MCP client receives works too, from a file.
    let wrapped = serde_json::json!({"content":[{"type":"text","text":ch}]}).to_string();
    let dir = test_path("cli");
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("challenge.json");
    std::fs::write(&f, wrapped).unwrap();
    let o3 = grind(&["solve", f.to_str().unwrap()], None);
    assert_eq!(code(&o3), 0, "{}", stderr(&o3));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn verify_exit_codes() {
    // Vector from the captcha-mcp e2e solver.
    let ok = grind(
        &[
            "verify",
            "--salt",
            "2eb4a4f61aee56000e95a1c0bdfda9b1",
            "--nonce",
            "lc",
            "-d",
            "12",
        ],
        None,
    );
    assert_eq!(code(&ok), 0);
    assert!(stdout(&ok).starts_with("valid: "));
    let harder = grind(
        &[
            "verify",
            "--salt",
            "2eb4a4f61aee56000e95a1c0bdfda9b1",
            "--nonce",
            "lc",
            "-d",
            "13",
            "--json",
        ],
        None,
    );
    assert_eq!(code(&harder), 1);
    let v: Value = serde_json::from_str(&stdout(&harder)).unwrap();
    assert_eq!(v["valid"], false);
    assert!(v["reason"].as_str().unwrap().contains("insufficient work"));
    let tampered = grind(
        &[
            "verify",
            "--salt",
            "2eb4a4f61aee56000e95a1c0bdfda9b1",
            "--nonce",
            "ld",
            "-d",
            "12",
        ],
        None,
    );
    assert_eq!(code(&tampered), 1);
    let no_d = grind(&["verify", "--salt", "a", "--nonce", "b"], None);
    assert_eq!(code(&no_d), 2);
    let req_without_d = grind(&["verify", "-"], Some(r#"{"salt":"a","nonce":"b"}"#));
    assert_eq!(code(&req_without_d), 2);
    assert!(stderr(&req_without_d).contains("--difficulty"));
    let req = grind(
        &["verify", "-", "-d", "8"],
        Some(
            r#"{"salt":"65a8a91e6196581379205256b77a0c02","nonce":"14","id":"x","signature":"y"}"#,
        ),
    );
    assert_eq!(code(&req), 0, "{}", stderr(&req));
}

#[test]
fn bad_input_is_exit_2_with_one_clear_message() {
    let cases: &[(&[&str], Option<&str>, &str)] = &[
        (
            &["solve", "--salt", "héllo", "-d", "4"],
            None,
            "salt contains",
        ),
        (
            &["solve", "--salt", &"a".repeat(600), "-d", "4"],
            None,
            "salt is 600 bytes",
        ),
        (&["solve", "--salt", "a", "-d", "257"], None, "out of range"),
        (&["solve", "--salt", "a", "-d", "-3"], None, "out of range"),
        (
            &["solve", "--salt", "a", "-d", "lots"],
            None,
            "not a number",
        ),
        (&["solve", "-"], Some("{not json"), "bad JSON"),
        (
            &["solve", "-"],
            Some(r#"{"salt":"a","difficulty":8,"algo":"md5"}"#),
            "unsupported algo",
        ),
        (&["solve", "/nonexistent/file.json"], None, "cannot read"),
        (
            &["solve", "--salt", "a", "-d", "4", "--scheme", "bogus"],
            None,
            "unknown scheme",
        ),
        (
            &["solve", "--salt", "a", "-d", "4", "--backend", "bogus"],
            None,
            "unknown backend",
        ),
        (
            &["solve", "--salt", "a", "-d", "4", "--timeout", "soon"],
            None,
            "bad duration",
        ),
        (&["solve"], None, "give a challenge"),
        (
            &["verify", "--salt", "a", "--nonce", "b\u{7f}", "-d", "1"],
            None,
            "nonce contains",
        ),
        (&["check", "1:20:2611:foo::r:c"], None, "bad date"),
        (&["check", "garbage"], None, "malformed hashcash stamp"),
        (
            &["check", "-e", "sometime", "1:1:261121:a::b:c"],
            None,
            "bad duration",
        ),
        (&["mint", "-b", "161", "foo"], None, "out of range"),
        (&["mint", "-z", "7", "foo"], None, "width"),
        (&["mint", "fo o"], None, "resource"),
        (&["mint", "-b", "4"], None, "give a resource"),
        (&["bench", "--scheme", "bogus"], None, "unknown scheme"),
    ];
    for (args, stdin, needle) in cases {
        let o = grind(args, *stdin);
        let err = stderr(&o);
        assert_eq!(code(&o), 2, "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err:?} lacks {needle:?}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{args:?}: one line: {err:?}");
    }
    // clap's own usage errors are exit 2 as well.
    assert_eq!(code(&grind(&["solve", "--bogus-flag"], None)), 2);
    assert_eq!(code(&grind(&["frobnicate"], None)), 2);
}

#[test]
fn timeout_is_exit_1() {
    let o = grind(
        &["solve", "--salt", "a", "-d", "100", "--timeout", "200ms"],
        None,
    );
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("no solution within"));
}

#[test]
fn mint_and_check_round_trip_with_double_spend_db() {
    let dir = test_path("db");
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("spent.sdb");
    let o = grind(&["mint", "-b", "12", "-q", "mcp-tool:search"], None);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let stamp = stdout(&o).trim().to_string();
    assert!(stamp.starts_with("1:12:"));
    let dbs = db.to_str().unwrap();
    let args = [
        "check",
        "-b",
        "12",
        "-r",
        "mcp-tool:search",
        "-d",
        "-f",
        dbs,
        &stamp,
    ];
    let first = grind(&args, None);
    assert_eq!(code(&first), 0, "{}", stdout(&first));
    let second = grind(&args, None);
    assert_eq!(code(&second), 1);
    assert!(stdout(&second).contains("already spent"));
    let wrong = grind(&["check", "-r", "mcp-tool", &stamp], None);
    assert_eq!(code(&wrong), 1);
    let more_bits = grind(&["check", "-b", "13", &stamp], None);
    assert_eq!(code(&more_bits), 1);
    // Checked as of 30 days later: expired; with -e forever: fine.
    let later = grind(&["check", "-t", "+30d", &stamp], None);
    assert_eq!(code(&later), 1);
    assert!(stdout(&later).contains("expired"));
    assert_eq!(
        code(&grind(
            &["check", "-t", "+30d", "-e", "forever", &stamp],
            None
        )),
        0
    );
    // Header form and stdin.
    let header = grind(&["mint", "-X", "-b", "8", "-q", "alice@example.org"], None);
    let h = stdout(&header);
    assert!(h.starts_with("X-Hashcash: 1:8:"));
    assert_eq!(
        code(&grind(&["check", "-r", "alice@example.org"], Some(&h))),
        0
    );
    // Text that is no stamp, starting with a multi-byte character (found by fuzzing: it
    // used to panic): bad input, exit 2.
    let o = grind(&["check"], Some("xampEEEE\u{4b8}3:EEEa\n"));
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn hashcash_vectors_pass_grind_check() {
    let v: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../vectors/hashcash.json"
        ))
        .unwrap(),
    )
    .unwrap();
    for c in v["valid"].as_array().unwrap() {
        let stamp = c["stamp"].as_str().unwrap();
        let res = c["resource"].as_str().unwrap();
        let o = grind(&["check", "-e", "forever", "-r", res, stamp], None);
        assert_eq!(code(&o), 0, "{stamp}: {}", stdout(&o));
    }
    for c in v["invalid"].as_array().unwrap() {
        let stamp = c["stamp"].as_str().unwrap();
        let bits = c["check_bits"].to_string();
        let o = grind(&["check", "-e", "forever", "-b", &bits, stamp], None);
        assert_eq!(code(&o), 1, "{stamp}");
    }
}

#[test]
fn info_and_bench() {
    let o = grind(&["info", "--json"], None);
    assert_eq!(code(&o), 0);
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert!(v["selected"].is_string());
    assert!(!v["backends"].as_array().unwrap().is_empty());
    let o = grind(&["bench", "--duration", "50ms", "--json"], None);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let results = v["results"].as_array().unwrap();
    // Every available backend at 1 thread (and all threads), plus the naive loop.
    let names: Vec<&str> = results
        .iter()
        .map(|r| r["backend"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"portable") && names.contains(&"scalar"));
    assert!(names.contains(&"naive"));
    assert!(results.iter().any(|r| r["threads"] == 1));
    for r in results {
        assert!(r["rate"].as_f64().unwrap() > 0.0, "{r}");
    }
    let o = grind(
        &[
            "bench",
            "--duration",
            "50ms",
            "--scheme",
            "hashcash",
            "--backend",
            "portable",
            "--threads",
            "2",
        ],
        None,
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("portable"));
    // A row for every peer scheme's job, on the fastest kernel.
    for scheme in ["anubis", "mcaptcha", "cap", "altcha", "go-away"] {
        let o = grind(
            &[
                "bench",
                "--duration",
                "50ms",
                "--scheme",
                scheme,
                "--backend",
                "auto",
                "--threads",
                "1",
                "--no-naive",
                "--json",
            ],
            None,
        );
        assert_eq!(code(&o), 0, "{scheme}: {}", stderr(&o));
        let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
        assert_eq!(v["scheme"], scheme);
        assert!(v["results"][0]["rate"].as_f64().unwrap() > 0.0, "{v}");
    }
    let o = grind(
        &[
            "bench",
            "--duration",
            "50ms",
            "--scheme",
            "anubis",
            "--backend",
            "hybrid",
        ],
        None,
    );
    assert_eq!(code(&o), 2, "{}", stderr(&o));
}

#[test]
fn every_backend_solves_and_forcing_is_checked() {
    let o = grind(&["info", "--json"], None);
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    for b in v["backends"].as_array().unwrap() {
        let name = b["name"].as_str().unwrap();
        for scheme_args in [
            vec!["solve", "--salt", "backend-test", "-d", "12", "--json"],
            vec!["mint", "-b", "10", "--json", "-q", "backend@test"],
        ] {
            let mut args = scheme_args.clone();
            args.extend(["--backend", name]);
            let flag = grind(&args, None);
            let env = grind_env(&scheme_args, None, Some(name));
            if b["available"] == true {
                for o in [&flag, &env] {
                    assert_eq!(code(o), 0, "{name}: {}", stderr(o));
                    let r: Value = serde_json::from_str(&stdout(o)).unwrap();
                    assert_eq!(r["backend"], name);
                    assert!(r["zero_bits"].as_u64().unwrap() >= 10);
                }
            } else {
                for o in [&flag, &env] {
                    assert_eq!(code(o), 2, "{name}");
                    assert!(stderr(o).contains("not available"), "{}", stderr(o));
                }
            }
        }
    }
    let o = grind_env(&["solve", "--salt", "a", "-d", "4"], None, Some("avx9000"));
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("unknown backend"));
    // `grind info` reports a bad GRIND_BACKEND instead of failing.
    let o = grind_env(&["info"], None, Some("avx9000"));
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).contains("unknown backend"));
}

#[test]
fn tune_table_json_recommendation_and_plot() {
    let dir = test_path("tune");
    std::fs::create_dir_all(&dir).unwrap();
    let svg = dir.join("tune.svg");
    let start = std::time::Instant::now();
    let o = grind(
        &[
            "tune",
            "--measure",
            "200ms",
            "--samples",
            "200",
            "--target-p90",
            "200ms",
            "--profile",
            "js",
            "--plot",
            svg.to_str().unwrap(),
            "--json",
        ],
        None,
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(start.elapsed() < std::time::Duration::from_secs(20));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["rows"].as_array().unwrap().len(), 25);
    let names: Vec<&str> = v["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for n in ["cpu-1", "js", "webcrypto", "gpu"] {
        assert!(names.contains(&n), "{names:?}");
    }
    // js at 0.6 M/s: p90 = ln 10 * 2^d / 0.6e6 >= 0.2 s first at d = 16.
    assert_eq!(v["recommendation"]["difficulty"], 16.0);
    let row16 = &v["rows"][8];
    assert_eq!(row16["difficulty"], 16.0);
    assert!(row16["seconds"]["js"]["p90"].as_f64().unwrap() >= 0.2);
    assert!(v["rows"][7]["seconds"]["js"]["p90"].as_f64().unwrap() < 0.2);
    let tails = v["tail_ratios"].as_array().unwrap();
    assert_eq!(tails.len(), 3);
    assert!((tails[0]["predicted_p99_over_p50"].as_f64().unwrap() - 6.64).abs() < 0.01);
    // The SVG exists and parses as XML.
    let text = std::fs::read_to_string(&svg).unwrap();
    let doc = roxmltree::Document::parse(&text).expect("the plot is well-formed XML");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    assert!(text.contains("difficulty (bits)"));
    // Fractional steps and k.
    let o = grind(
        &[
            "tune",
            "--measure",
            "50ms",
            "--samples",
            "0",
            "--range",
            "10..=12",
            "--step",
            "0.5",
            "-k",
            "4",
        ],
        None,
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("10.5"));
    assert!(stdout(&o).contains("4 solutions per challenge"));
    // Bad input.
    for args in [
        vec!["tune", "--range", "12..=8"],
        vec!["tune", "--range", "x"],
        vec!["tune", "--step", "0"],
        vec![
            "tune",
            "--target-p90",
            "1s",
            "--profile",
            "nope",
            "--measure",
            "10ms",
            "--samples",
            "0",
        ],
        vec!["tune", "-k", "64", "--range", "2..=8"],
    ] {
        let o = grind(&args, None);
        assert_eq!(code(&o), 2, "{args:?}: {}", stderr(&o));
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
