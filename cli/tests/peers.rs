//! The peer schemes end to end: `grind solve --scheme` / `grind verify --scheme` on the
//! shared vectors, tampering, bad input; property tests through the library.

mod common;

use common::*;
use grindstone::SolveOptions;
use grindstone::core::schemes::Scheme;
use grindstone::peers;
use proptest::prelude::*;
use serde_json::{Value, json};

fn vectors(name: &str) -> Value {
    serde_json::from_str(
        &std::fs::read_to_string(format!("{}/../vectors/{name}", env!("CARGO_MANIFEST_DIR")))
            .unwrap(),
    )
    .unwrap()
}

/// `grind solve --scheme SCHEME [EXTRA...] -` on `input`.
fn solve_cli(scheme: &str, input: &Value, extra: &[&str]) -> Value {
    let mut args = vec!["solve", "--scheme", scheme];
    args.extend(extra);
    args.push("-");
    let o = grind(&args, Some(&input.to_string()));
    assert_eq!(code(&o), 0, "{scheme}: {}", stderr(&o));
    serde_json::from_str(&stdout(&o)).unwrap()
}

fn verify_cli(scheme: &str, input: &str, extra: &[&str]) -> i32 {
    let mut args = vec!["verify", "--scheme", scheme, "-"];
    args.extend(extra);
    code(&grind(&args, Some(input)))
}

#[test]
fn anubis_cli() {
    let v = vectors("anubis.json");
    let c = &v["cases"][1];
    let ch = json!({"rules": {"algorithm": "fast", "difficulty": c["difficulty"]},
                    "challenge": {"id": "u-1", "randomData": c["randomData"]}});
    let r = solve_cli("anubis", &ch, &["--lowest"]);
    assert_eq!(r["nonce"].to_string(), c["nonce"].as_str().unwrap());
    assert_eq!(r["response"], c["response"]);
    assert!(
        r["pass_challenge"]
            .as_str()
            .unwrap()
            .contains("&nonce=21585&")
    );
    let answer = json!({"randomData": c["randomData"], "difficulty": c["difficulty"],
                        "nonce": r["nonce"], "response": r["response"]});
    assert_eq!(verify_cli("anubis", &answer.to_string(), &[]), 0);
    let mut bad = answer.clone();
    bad["nonce"] = json!(21586);
    assert_eq!(verify_cli("anubis", &bad.to_string(), &[]), 1);
    bad["nonce"] = json!("abc");
    assert_eq!(verify_cli("anubis", &bad.to_string(), &[]), 2);
    // By default the number laid out for the kernels: a leading 1, zeros, the digits
    // searched (16 digits after Anubis's 128 characters), as valid.
    let fast = solve_cli("anubis", &ch, &[]);
    let n = fast["nonce"].as_u64().unwrap();
    assert!((1_000_000_000_000_000..1 << 53).contains(&n), "{n}");
    let answer = json!({"randomData": c["randomData"], "difficulty": c["difficulty"],
                        "nonce": n, "response": fast["response"]});
    assert_eq!(verify_cli("anubis", &answer.to_string(), &[]), 0);
    // The challenge page itself is accepted.
    let page =
        format!("<html><script id=\"anubis_challenge\" type=\"application/json\">{ch}</script>");
    let o = grind(&["solve", "--scheme", "anubis", "-"], Some(&page));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
}

#[test]
fn mcaptcha_cli() {
    let v = vectors("mcaptcha_pow_sha256.json");
    for c in v["cases"].as_array().unwrap() {
        let cfg = json!({"string": c["phrase"], "salt": c["salt"], "difficulty_factor": c["difficulty_factor"], "key": "k"});
        let r = solve_cli("mcaptcha", &cfg, &[]);
        assert_eq!(r["key"], "k");
        assert_eq!(r["string"], c["phrase"]);
        let mut answer = cfg.clone();
        answer["nonce"] = r["nonce"].clone();
        answer["result"] = r["result"].clone();
        assert_eq!(verify_cli("mcaptcha", &answer.to_string(), &[]), 0);
        // The peer's own solution verifies too.
        answer["nonce"] = c["nonce"].clone();
        answer["result"] = c["result"].clone();
        assert_eq!(verify_cli("mcaptcha", &answer.to_string(), &[]), 0);
        answer["result"] = json!("12345");
        assert_eq!(verify_cli("mcaptcha", &answer.to_string(), &[]), 1);
    }
}

#[test]
fn cap_cli() {
    let v = vectors("cap.json");
    let c = &v["cases"][0];
    let r = solve_cli("cap", &c["challenge_response"], &["--lowest"]);
    assert_eq!(r["solutions"], c["solutions"]);
    assert_eq!(r["token"], c["challenge_response"]["token"]);
    let mut answer = c["challenge_response"].clone();
    answer["expires"] = json!(i64::MAX);
    answer["solutions"] = r["solutions"].clone();
    assert_eq!(verify_cli("cap", &answer.to_string(), &[]), 0);
    answer["solutions"][0] = json!(1);
    assert_eq!(verify_cli("cap", &answer.to_string(), &[]), 1);
    // The fast order's solutions verify too; one above 2^53 - 1 (rounded by the
    // server's JavaScript) is refused as bad input.
    answer["solutions"] = solve_cli("cap", &c["challenge_response"], &[])["solutions"].clone();
    assert_eq!(verify_cli("cap", &answer.to_string(), &[]), 0);
    answer["solutions"][0] = json!(1u64 << 53);
    assert_eq!(verify_cli("cap", &answer.to_string(), &[]), 2);
    // The vectors' challenges have expired by now: refused as such.
    let mut old = c["challenge_response"].clone();
    old["solutions"] = c["solutions"].clone();
    assert_eq!(verify_cli("cap", &old.to_string(), &[]), 1);
}

#[test]
fn altcha_cli() {
    let v = vectors("altcha.json");
    let secret = v["hmac_secret"].as_str().unwrap();
    for ch in [&v["v1"][0]["challenge"], &v["v1_extra"][0]["challenge"]] {
        let r = solve_cli("altcha", ch, &[]);
        assert!(r["number"].is_u64());
        assert_eq!(
            verify_cli("altcha", &r.to_string(), &["--secret", secret]),
            0
        );
        assert_eq!(
            verify_cli("altcha", &r.to_string(), &["--secret", "nope"]),
            1
        );
        assert_eq!(verify_cli("altcha", &r.to_string(), &[]), 2, "no secret");
    }
    // The library's own payload.
    let p = v["v1"][0]["payload_b64"].as_str().unwrap();
    assert_eq!(verify_cli("altcha", p, &["--secret", secret]), 0);
    // SHA-512 (no kernel: a parallel scan) round trip with a challenge we sign.
    use grindstone::core::schemes::altcha::Algorithm;
    let salt = "0123456789abcdef?expires=4102444800&";
    let challenge = Algorithm::Sha512.hex(format!("{salt}777").as_bytes());
    let sig = Algorithm::Sha512.hmac_hex(b"k", challenge.as_bytes());
    let ch = json!({"algorithm": "SHA-512", "challenge": challenge, "maxnumber": 5000, "salt": salt, "signature": sig});
    let r = solve_cli("altcha", &ch, &[]);
    assert_eq!(r["number"], 777);
    assert_eq!(verify_cli("altcha", &r.to_string(), &["--secret", "k"]), 0);
    // An expired salt.
    let salt = "aa?expires=1000&";
    let challenge = Algorithm::Sha256.hex(format!("{salt}3").as_bytes());
    let sig = Algorithm::Sha256.hmac_hex(b"k", challenge.as_bytes());
    let ch = json!({"algorithm": "SHA-256", "challenge": challenge, "maxnumber": 10, "salt": salt, "signature": sig});
    let r = solve_cli("altcha", &ch, &[]);
    assert_eq!(verify_cli("altcha", &r.to_string(), &["--secret", "k"]), 1);
    // Beyond maxnumber: no solution, exit 1.
    let ch = json!({"algorithm": "SHA-256", "challenge": Algorithm::Sha256.hex(b"x&99"), "maxnumber": 10, "salt": "x&", "signature": "00"});
    let o = grind(&["solve", "--scheme", "altcha", "-"], Some(&ch.to_string()));
    assert_eq!(code(&o), 1);
}

#[test]
fn go_away_cli() {
    let v = vectors("go_away.json");
    let key = v["key_b64"].as_str().unwrap();
    let served = &v["make_challenge"];
    let r = solve_cli("go-away", served, &[]);
    let token = r["token"].as_str().unwrap();
    assert_eq!(r["query"]["__goaway_token"], token);
    assert!(token.starts_with(served["challenge"].as_str().unwrap()));
    assert_eq!(token.len(), 80, "challenge + 8 bytes");
    let answer = json!({"token": token, "difficulty": 20});
    assert_eq!(
        verify_cli("go-away", &answer.to_string(), &["--secret", key]),
        0
    );
    let mut given = answer.clone();
    given["challenge"] = served["challenge"].clone();
    assert_eq!(verify_cli("go-away", &given.to_string(), &[]), 0);
    // The runtime's own valid token, and its tampering.
    let theirs = json!({"token": v["valid_token"], "difficulty": 20});
    assert_eq!(
        verify_cli("go-away", &theirs.to_string(), &["--secret", key]),
        0
    );
    let tampered = json!({"token": v["invalid_token"], "difficulty": 20});
    assert_eq!(
        verify_cli("go-away", &tampered.to_string(), &["--secret", key]),
        1
    );
    // More work asked than done: refused; not hex: bad input.
    let harder = json!({"token": token, "difficulty": 64, "challenge": served["challenge"]});
    assert_eq!(verify_cli("go-away", &harder.to_string(), &[]), 1);
    // Without a difficulty: the runtime's default, 20.
    let default_d = json!({"token": token});
    assert_eq!(
        verify_cli("go-away", &default_d.to_string(), &["--secret", key]),
        0
    );
    let garbage = json!({"token": "xyz", "difficulty": 20});
    assert_eq!(
        verify_cli("go-away", &garbage.to_string(), &["--secret", key]),
        2
    );
}

#[test]
fn peer_bad_input_is_exit_2() {
    for (scheme, input) in [
        ("anubis", "{}"),
        (
            "anubis",
            r#"{"rules":{"algorithm":"metarefresh","difficulty":1},"challenge":"x"}"#,
        ),
        ("anubis", "not json"),
        (
            "mcaptcha",
            r#"{"string":"a","salt":"b","difficulty_factor":0}"#,
        ),
        ("mcaptcha", r#"{"salt":"b","difficulty_factor":10}"#),
        ("cap", r#"{"challenge":{"c":0,"s":32,"d":4},"token":"t"}"#),
        ("cap", r#"{"challenge":{"c":1,"s":32,"d":4}}"#),
        ("go-away", r#"{"challenge":"00","difficulty":4}"#),
        (
            "go-away",
            r#"{"challenge":"37964cdb86c8b4fe24ae9654cd40b0d6d68296ce846f4575ba414e41b07f2893","difficulty":300}"#,
        ),
        (
            "go-away",
            r#"{"challenge":"37964cdb86c8b4fe24ae9654cd40b0d6d68296ce846f4575ba414e41b07f2893","difficulty":4,"target":"ff"}"#,
        ),
        (
            "altcha",
            r#"{"algorithm":"MD5","challenge":"00","salt":"x","signature":"y"}"#,
        ),
        (
            "altcha",
            r#"{"algorithm":"SHA-256","challenge":"zz","salt":"x","signature":"y"}"#,
        ),
    ] {
        let o = grind(&["solve", "--scheme", scheme, "-"], Some(input));
        assert_eq!(code(&o), 2, "{scheme} {input}: {}", stderr(&o));
        assert_eq!(stderr(&o).trim().lines().count(), 1, "{}", stderr(&o));
    }
    let o = grind(&["solve", "--scheme", "anubis"], None);
    assert_eq!(code(&o), 2);
    // `grind schemes` lists the registry: every scheme, altcha-v2 included.
    let o = grind(&["schemes"], None);
    assert_eq!(code(&o), 0);
    let listed: Vec<String> = stdout(&o)
        .lines()
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .collect();
    let all: Vec<String> = grindstone::core::schemes::Scheme::ALL
        .iter()
        .map(|s| s.name().to_string())
        .collect();
    assert_eq!(listed, all);
    assert!(all.iter().any(|n| n == "altcha-v2"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn solve_then_verify_and_tampering_is_caught(data in "[0-9a-f]{1,130}", d in 0u32..3, k in 1u64..3) {
        let opts = SolveOptions { threads: 2, ..Default::default() };
        // Anubis.
        let ch = json!({"rules": {"algorithm": "fast", "difficulty": d}, "challenge": {"id": "x", "randomData": data}});
        let r = peers::solve(Scheme::Anubis, &ch.to_string(), &opts).unwrap().response;
        let ok = json!({"randomData": data, "difficulty": d, "nonce": r["nonce"], "response": r["response"]});
        prop_assert!(peers::verify(Scheme::Anubis, &ok.to_string(), None).is_ok());
        let mut bad = ok.clone();
        bad["nonce"] = json!(r["nonce"].as_u64().unwrap() + 1);
        prop_assert!(peers::verify(Scheme::Anubis, &bad.to_string(), None).is_err());
        // mCaptcha.
        let cfg = json!({"string": data, "salt": "s4lt", "difficulty_factor": 50 * k});
        let r = peers::solve(Scheme::Mcaptcha, &cfg.to_string(), &opts).unwrap().response;
        let mut ans = cfg.clone();
        ans["nonce"] = r["nonce"].clone();
        ans["result"] = r["result"].clone();
        prop_assert!(peers::verify(Scheme::Mcaptcha, &ans.to_string(), None).is_ok());
        ans["nonce"] = json!(r["nonce"].as_u64().unwrap() + 1);
        prop_assert!(peers::verify(Scheme::Mcaptcha, &ans.to_string(), None).is_err());
        // Cap.
        let cap = json!({"challenge": {"c": k + 1, "s": 16, "d": d + 1}, "token": data, "expires": i64::MAX});
        let r = peers::solve(Scheme::Cap, &cap.to_string(), &opts).unwrap().response;
        let mut ans = cap.clone();
        ans["solutions"] = r["solutions"].clone();
        prop_assert!(peers::verify(Scheme::Cap, &ans.to_string(), None).is_ok());
        let mut sols = r["solutions"].as_array().unwrap().clone();
        sols.pop();
        ans["solutions"] = json!(sols);
        prop_assert!(peers::verify(Scheme::Cap, &ans.to_string(), None).is_err());
        // ALTCHA v1 (SHA-1 and SHA-256 kernels).
        use grindstone::core::schemes::altcha::Algorithm;
        for alg in [Algorithm::Sha1, Algorithm::Sha256] {
            let salt = format!("{data}&");
            let n = 37 * k;
            let challenge = alg.hex(format!("{salt}{n}").as_bytes());
            let sig = alg.hmac_hex(b"key", challenge.as_bytes());
            let ch = json!({"algorithm": alg.name(), "challenge": challenge, "maxnumber": 1000, "salt": salt, "signature": sig});
            let r = peers::solve(Scheme::Altcha, &ch.to_string(), &opts).unwrap().response;
            prop_assert_eq!(r["number"].as_u64(), Some(n));
            prop_assert!(peers::verify(Scheme::Altcha, &r.to_string(), Some("key")).is_ok());
            prop_assert!(peers::verify(Scheme::Altcha, &r.to_string(), Some("other")).is_err());
        }
    }
}

/// The real peer libraries (npm: altcha-lib, @cap.js/server) check grind's answers.
#[test]
fn answers_accepted_by_the_real_peer_libraries() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/node");
    let have = std::path::Path::new(dir)
        .join("node_modules/altcha-lib")
        .exists()
        && std::path::Path::new(dir)
            .join("node_modules/@cap.js/server")
            .exists()
        && require_tool("node");
    if !have {
        missing(
            "node or the peer libraries in cli/tests/node are missing",
            "npm install in cli/tests/node",
        );
        return;
    }
    let out = node_ok(dir, &["interop.mjs", env!("CARGO_BIN_EXE_grind")]);
    assert_eq!(out.lines().count(), 15, "{out}");
}

#[test]
fn altcha_v2_cli() {
    let v = vectors("altcha.json");
    let secret = v["hmac_secret"].as_str().unwrap();
    for c in v["v2"].as_array().unwrap() {
        // The library's payload verifies; grind's own solution too.
        assert_eq!(
            verify_cli(
                "altcha-v2",
                c["payload_b64"].as_str().unwrap(),
                &["--secret", secret]
            ),
            0
        );
        let r = solve_cli("altcha-v2", &c["challenge"], &[]);
        assert_eq!(r["counter"], c["solution"]["counter"], "{}", c["name"]);
        assert_eq!(
            verify_cli("altcha-v2", &r.to_string(), &["--secret", secret]),
            0
        );
        // Tampering with a signed parameter is refused.
        let mut ch = c["challenge"].clone();
        ch["parameters"]["keyPrefix"] = json!("0");
        let r = solve_cli("altcha-v2", &ch, &[]);
        assert_eq!(
            verify_cli("altcha-v2", &r.to_string(), &["--secret", secret]),
            1
        );
        assert_eq!(
            verify_cli(
                "altcha-v2",
                c["payload_b64"].as_str().unwrap(),
                &["--secret", "x"]
            ),
            1
        );
    }
    let o = grind(
        &["solve", "--scheme", "altcha-v2", "-"],
        Some(r#"{"parameters":{"algorithm":"MD5"}}"#),
    );
    assert_eq!(code(&o), 2);
}
