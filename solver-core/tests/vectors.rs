//! The shared vectors produced by the real peer tools (`vectors/`, copied from the
//! project's shared folder) pass our verifier; tampered ones are refused.

use std::path::PathBuf;

use grindstone_core::schemes::{hashcash, sha256_bits::Sha256Bits};
use grindstone_core::{Difficulty, Rejection, VerifyError};
use serde_json::Value;

fn load(name: &str) -> Value {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../vectors")
        .join(name);
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).unwrap()
}

#[test]
fn powforge_captcha_vectors() {
    let v = load("powforge_captcha.json");
    let cases = v["cases"].as_array().unwrap();
    assert!(cases.len() >= 7);
    for c in cases {
        let salt = c["salt"].as_str().unwrap();
        let bits = c["difficulty_bits"].as_u64().unwrap() as u32;
        let nonce = c["nonce"].as_str().unwrap();
        let ch = Sha256Bits::new(salt, Difficulty::from_bits(bits).unwrap()).unwrap();
        let proof = ch.verify(nonce).unwrap();
        assert_eq!(proof.digest.to_hex(), c["sha256_hex"].as_str().unwrap());
        assert!(proof.zero_bits >= bits);
        // One bit more than the digest has is refused.
        let harder =
            Sha256Bits::new(salt, Difficulty::from_bits(proof.zero_bits + 1).unwrap()).unwrap();
        assert!(matches!(
            harder.verify(nonce),
            Err(VerifyError::Rejected(Rejection::InsufficientWork { .. }))
        ));
        // A tampered nonce is refused (with overwhelming probability at >= 8 bits, and
        // these particular tamperings are checked to fail).
        let tampered = format!("{nonce}x");
        assert!(ch.verify(&tampered).is_err(), "{salt} {tampered}");
    }
}

#[test]
fn hashcash_valid_vectors() {
    let v = load("hashcash.json");
    for c in v["valid"].as_array().unwrap() {
        let text = c["stamp"].as_str().unwrap();
        let stamp = hashcash::Stamp::parse(text).unwrap();
        assert_eq!(stamp.resource(), c["resource"].as_str().unwrap(), "{text}");
        assert_eq!(stamp.bits() as u64, c["bits"].as_u64().unwrap());
        let mut policy = hashcash::CheckPolicy::new(stamp.time());
        policy.resource = Some(c["resource"].as_str().unwrap().to_string());
        policy.required_bits = Some(stamp.bits());
        hashcash::check(&stamp, &policy).unwrap_or_else(|e| panic!("{text}: {e}"));
        // Under the default 28-day window, the 2004 stamps are expired today.
        let mut today = hashcash::CheckPolicy::new(hashcash::parse_date("261121").unwrap());
        today.resource = policy.resource.clone();
        let r = hashcash::check(&stamp, &today);
        if stamp.date().starts_with("04") {
            assert!(matches!(r, Err(Rejection::Expired { .. })), "{text}");
        } else {
            assert!(r.is_ok(), "{text}: {r:?}");
        }
    }
}

#[test]
fn hashcash_invalid_vectors() {
    let v = load("hashcash.json");
    for c in v["invalid"].as_array().unwrap() {
        let text = c["stamp"].as_str().unwrap();
        let stamp = hashcash::Stamp::parse(text).unwrap();
        let mut policy = hashcash::CheckPolicy::new(stamp.time());
        policy.resource = Some(c["resource"].as_str().unwrap().to_string());
        policy.required_bits = Some(c["check_bits"].as_u64().unwrap() as u32);
        assert!(hashcash::check(&stamp, &policy).is_err(), "{text}");
    }
}

#[test]
fn hashcash_folded_header_vector() {
    let v = load("hashcash.json");
    let folded = v["x_hashcash_header_example_folded"].as_str().unwrap();
    let stamps = hashcash::stamps_in_text(folded);
    assert_eq!(stamps.len(), 1);
    let stamp = hashcash::Stamp::parse(&stamps[0]).unwrap();
    assert_eq!(stamp.resource(), "alice@example.org");
    let ok = hashcash::check(&stamp, &hashcash::CheckPolicy::new(stamp.time())).unwrap();
    assert_eq!(ok.zero_bits, 22);
}

mod peers {
    use super::load;
    use grindstone_core::schemes::decimal::{DecimalOrder, DecimalSearch, MAX_SAFE_INTEGER};
    use grindstone_core::schemes::{altcha, anubis, cap, mcaptcha};
    use grindstone_core::{HashAlg, reference};
    use serde_json::Value;

    /// The first number of `s` in `order`, by the reference search.
    fn first(s: &DecimalSearch, order: DecimalOrder) -> u64 {
        s.jobs(order)
            .unwrap()
            .map(Result::unwrap)
            .find_map(|j| reference::search(&j.job, j.job.range()).map(|i| j.number(i)))
            .expect("a solution")
    }

    fn lowest(s: &DecimalSearch) -> u64 {
        first(s, DecimalOrder::Lowest)
    }

    #[test]
    fn anubis_vectors() {
        let v = load("anubis.json");
        for c in v["cases"].as_array().unwrap() {
            let data = c["randomData"].as_str().unwrap();
            let d = c["difficulty"].as_u64().unwrap() as u32;
            let nonce = c["nonce"].as_str().unwrap();
            let resp = c["response"].as_str().unwrap();
            anubis::verify(data, d, nonce, resp).unwrap();
            assert!(anubis::verify(data, d, nonce, &resp.replace('0', "1")).is_err());
            let wrong: u64 = nonce.parse::<u64>().unwrap() + 1;
            assert!(anubis::verify(data, d, &wrong.to_string(), resp).is_err());
            assert!(anubis::verify(data, d, "x1", resp).is_err());
            // Our solver finds the same lowest nonce (Anubis counts from 0).
            let ch = anubis::Challenge {
                id: Some("id".into()),
                random_data: data.into(),
                difficulty: d,
            };
            let n = lowest(&ch.search());
            assert_eq!(n.to_string(), nonce);
            assert_eq!(ch.response(n, 1)["response"], resp);
            // The fast order's number (1, zeros, 12 or more digits searched; JSON-safe)
            // verifies too.
            let n = first(&ch.search(), DecimalOrder::Fast);
            assert!((10u64.pow(12)..=MAX_SAFE_INTEGER).contains(&n), "{n}");
            let r = ch.response(n, 1);
            anubis::verify(data, d, &n.to_string(), r["response"].as_str().unwrap()).unwrap();
        }
    }

    #[test]
    fn mcaptcha_vectors() {
        let v = load("mcaptcha_pow_sha256.json");
        for c in v["cases"].as_array().unwrap() {
            let cfg = mcaptcha::Config {
                phrase: c["phrase"].as_str().unwrap().into(),
                salt: c["salt"].as_str().unwrap().into(),
                difficulty_factor: c["difficulty_factor"].as_u64().unwrap() as u32,
                key: None,
            };
            let nonce = c["nonce"].as_u64().unwrap();
            let mut input = cfg.prefix();
            input.extend_from_slice(nonce.to_string().as_bytes());
            assert_eq!(hex::encode(&input), c["hash_input_hex"].as_str().unwrap());
            assert_eq!(cfg.target().to_string(), c["target_u128"].as_str().unwrap());
            let result = c["result"].as_str().unwrap();
            assert_eq!(cfg.verify(nonce, result).unwrap().to_string(), result);
            assert!(cfg.verify(nonce + 1, result).is_err());
            assert!(cfg.verify(nonce, "1").is_err());
            // Our solver's lowest nonce (from 1) verifies, independently recomputed.
            let n = lowest(&cfg.search());
            assert!(n >= 1 && n <= nonce);
            let fast = first(&cfg.search(), DecimalOrder::Fast);
            cfg.verify(fast, cfg.work(fast)["result"].as_str().unwrap())
                .unwrap();
            let w = cfg.work(n);
            let score = u128::from_be_bytes(
                HashAlg::Sha256
                    .digest_message(&[cfg.prefix(), n.to_string().into_bytes()].concat())
                    .to_bytes()[..16]
                    .try_into()
                    .unwrap(),
            );
            assert!(score >= cfg.target());
            cfg.verify(n, w["result"].as_str().unwrap()).unwrap();
        }
    }

    #[test]
    fn cap_vectors() {
        let v = load("cap.json");
        for p in v["prng_fixed"].as_array().unwrap() {
            let seed = p["seed"].as_str().unwrap();
            assert_eq!(cap::prng(seed, 32), p["len32"].as_str().unwrap(), "{seed}");
            assert_eq!(cap::prng(seed, 4), p["len4"].as_str().unwrap());
        }
        for c in v["cases"].as_array().unwrap() {
            let ch = cap::Challenge::parse(&c["challenge_response"].to_string()).unwrap();
            for s in c["derived_subchallenges"].as_array().unwrap() {
                let i = s["i"].as_u64().unwrap() as u32;
                let (salt, target) = ch.sub(i);
                assert_eq!(salt, s["salt"].as_str().unwrap());
                assert_eq!(target, s["target"].as_str().unwrap());
                let n = lowest(&ch.search(i));
                assert_eq!(n, s["nonce"].as_u64().unwrap(), "Cap counts from 0 too");
                let fast = first(&ch.search(i), DecimalOrder::Fast);
                assert!(fast > n && fast <= MAX_SAFE_INTEGER);
            }
            let sols: Vec<u64> = c["solutions"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_u64().unwrap())
                .collect();
            ch.verify(&sols, None).unwrap();
            let mut bad = sols.clone();
            bad[0] += 1;
            assert!(ch.verify(&bad, None).is_err());
            assert!(ch.verify(&sols[1..], None).is_err());
            assert!(ch.verify(&sols, Some(ch.expires.unwrap() + 1)).is_err());
        }
    }

    #[test]
    fn altcha_v1_vectors() {
        let v = load("altcha.json");
        let key = v["hmac_secret"].as_str().unwrap().as_bytes();
        let mut cases: Vec<(Value, u64)> = v["v1"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["challenge"].clone(),
                    c["solution_number"].as_u64().unwrap(),
                )
            })
            .collect();
        for c in v["v1_extra"].as_array().unwrap() {
            cases.push((c["challenge"].clone(), c["number"].as_u64().unwrap()));
        }
        for (chj, number) in cases {
            let ch = altcha::Challenge::parse(&chj.to_string()).unwrap();
            assert!(ch.matches(number));
            // The signature is the HMAC of the challenge under the secret.
            assert_eq!(
                ch.alg().hmac_hex(key, ch.challenge.as_bytes()),
                ch.signature
            );
            let payload = altcha::parse_payload(&ch.payload(number, 0)).unwrap();
            altcha::verify(&payload, key, Some(0)).unwrap();
            let mut wrong = payload.clone();
            wrong.number = altcha::Number::Int(number + 1);
            assert!(altcha::verify(&wrong, key, None).is_err());
            // altcha-lib hashes `salt + number` as JavaScript concatenates: the number as a
            // JSON string, or as an integral float, is the same answer; other text is not.
            for (text, ok) in [
                (format!("\"{number}\""), true),
                (format!("{number}.0"), true),
                (format!("\"{number} \""), false),
                (format!("\"0{number}\""), false),
            ] {
                let mut j = serde_json::to_value(&payload).unwrap();
                j["number"] = serde_json::from_str(&text).unwrap();
                let accepted = altcha::parse_payload(&j.to_string())
                    .is_ok_and(|p| altcha::verify(&p, key, None).is_ok());
                assert_eq!(accepted, ok, "{text}");
            }
            for bad in ["null", "true", "[7]", "{}"] {
                let mut j = serde_json::to_value(&payload).unwrap();
                j["number"] = serde_json::from_str(bad).unwrap();
                assert!(altcha::parse_payload(&j.to_string()).is_err(), "{bad}");
            }
            assert!(altcha::verify(&payload, b"other-secret", None).is_err());
            if let Some(s) = ch.search() {
                assert_eq!(lowest(&s), number);
            }
        }
        // The library's own payload (base64) verifies.
        let p = altcha::parse_payload(v["v1"][0]["payload_b64"].as_str().unwrap()).unwrap();
        altcha::verify(&p, key, None).unwrap();
    }
}

mod altcha_v2_vectors {
    use super::load;
    use grindstone_core::schemes::altcha_v2::{self, Challenge};

    #[test]
    fn library_challenges_and_solutions() {
        let v = load("altcha.json");
        let secret = v["hmac_secret"].as_str().unwrap().as_bytes();
        for c in v["v2"].as_array().unwrap() {
            let ch = Challenge::from_value(&c["challenge"]).unwrap();
            // The signed string is JSON.stringify of the sorted parameters.
            assert_eq!(
                altcha_v2::canonical_json(&ch.parameters),
                c["signed_string"].as_str().unwrap()
            );
            assert_eq!(
                altcha_v2::sign(&ch.parameters, secret, "SHA-256").unwrap(),
                c["challenge"]["signature"].as_str().unwrap()
            );
            let counter = c["solution"]["counter"].as_u64().unwrap() as u32;
            let key = c["solution"]["derivedKey"].as_str().unwrap();
            assert_eq!(hex::encode(ch.derive(counter).unwrap()), key);
            altcha_v2::verify(&ch, counter, key, secret, None, "SHA-256", 1.8e9).unwrap();
            // The library's own payload.
            let (pch, pc, pk) =
                altcha_v2::parse_payload(c["payload_b64"].as_str().unwrap()).unwrap();
            altcha_v2::verify(&pch, pc, &pk, secret, None, "SHA-256", 1.8e9).unwrap();
            // Counter + 1 (as the library's own check), wrong secret, tampered cost.
            let next = hex::encode(ch.derive(counter + 1).unwrap());
            let next_ok =
                altcha_v2::verify(&ch, counter + 1, &next, secret, None, "SHA-256", 1.8e9).is_ok();
            assert_eq!(next_ok, ch.prefix_matches(&ch.derive(counter + 1).unwrap()));
            // A key that is not the derivation of the counter is refused.
            assert!(
                altcha_v2::verify(&ch, counter + 1, key, secret, None, "SHA-256", 1.8e9).is_err()
            );
            assert!(
                altcha_v2::verify(&ch, counter, key, b"other", None, "SHA-256", 1.8e9).is_err()
            );
            let mut t = c["challenge"].clone();
            t["parameters"]["cost"] = serde_json::json!(2);
            let tch = Challenge::from_value(&t).unwrap();
            assert!(altcha_v2::verify(&tch, counter, key, secret, None, "SHA-256", 1.8e9).is_err());
            // The lowest counter with the prefix is the library's (it counts from 0).
            let lowest = (0..=counter)
                .find(|&n| ch.prefix_matches(&ch.derive(n).unwrap()))
                .unwrap();
            assert_eq!(lowest, counter);
        }
        // expiresAt in the past: expired.
        let c = &v["v2"][0];
        let ch = Challenge::from_value(&c["challenge"]).unwrap();
        let counter = c["solution"]["counter"].as_u64().unwrap() as u32;
        let key = c["solution"]["derivedKey"].as_str().unwrap();
        assert!(altcha_v2::verify(&ch, counter, key, secret, None, "SHA-256", 3e9).is_err());
    }

    #[test]
    fn kdfs_round_trip() {
        for (alg, extra) in [
            ("PBKDF2/SHA-256", serde_json::json!({"cost": 10})),
            ("PBKDF2/SHA-512", serde_json::json!({"cost": 3})),
            ("SHA-512", serde_json::json!({"cost": 4})),
            ("SCRYPT", serde_json::json!({"cost": 16, "memoryCost": 2})),
            ("ARGON2ID", serde_json::json!({"cost": 1, "memoryCost": 16})),
        ] {
            let mut p = serde_json::json!({"algorithm": alg, "keyLength": 32, "keyPrefix": "0",
                                           "nonce": "00112233445566778899aabbccddeeff", "salt": "44556677445566774455667744556677"});
            for (k, v) in extra.as_object().unwrap() {
                p[k] = v.clone();
            }
            let sig = altcha_v2::sign(p.as_object().unwrap(), b"s", "SHA-256").unwrap();
            let ch = Challenge::from_value(&serde_json::json!({"parameters": p, "signature": sig}))
                .unwrap();
            let n = (0..2000u32)
                .find(|&n| ch.prefix_matches(&ch.derive(n).unwrap()))
                .unwrap();
            let key = hex::encode(ch.derive(n).unwrap());
            altcha_v2::verify(&ch, n, &key, b"s", None, "SHA-256", 0.0).unwrap();
            let (c2, n2, k2) =
                altcha_v2::parse_payload(&ch.payload(n, &hex::decode(&key).unwrap(), 1.0)).unwrap();
            assert_eq!((n2, k2.as_str()), (n, key.as_str()));
            altcha_v2::verify(&c2, n2, &k2, b"s", None, "SHA-256", 0.0).unwrap();
        }
    }
    /// With the key-signature secret, ALTCHA v2 accepts only the exact key the server
    /// derived (altcha-lib's `hmacKeySignatureSecret` path): another counter whose key
    /// merely shares the prefix is refused, as altcha-lib refuses it; without the secret
    /// it is accepted (the re-derivation path).
    #[test]
    fn altcha_v2_key_signature() {
        use grindstone_core::schemes::altcha_v2::{self, Challenge};
        let mut p = serde_json::json!({"algorithm": "SHA-256", "cost": 1, "keyLength": 32, "keyPrefix": "00",
            "nonce": "00112233445566778899aabbccddeeff", "salt": "44556677445566774455667744556677"});
        let unsigned = Challenge::from_value(&serde_json::json!({"parameters": p})).unwrap();
        // The server's counter, and the first byte of its key as the prefix.
        let server = 600u32;
        let key = unsigned.derive(server).unwrap();
        p["keyPrefix"] = hex::encode(&key[..1]).into();
        let ks = b"key-secret";
        let mac = |k: &[u8]| {
            use hmac::{Hmac, KeyInit, Mac};
            let mut m = Hmac::<sha2::Sha256>::new_from_slice(ks).unwrap();
            m.update(k);
            hex::encode(m.finalize().into_bytes())
        };
        p["keySignature"] = mac(&key).into();
        let sig = altcha_v2::sign(p.as_object().unwrap(), b"s", "SHA-256").unwrap();
        let ch =
            Challenge::from_value(&serde_json::json!({"parameters": p, "signature": sig})).unwrap();
        let other = (0..server)
            .find(|&n| ch.prefix_matches(&ch.derive(n).unwrap()))
            .expect("a lower counter shares a one-byte prefix");
        let other_key = hex::encode(ch.derive(other).unwrap());
        let key = hex::encode(&key);
        let v = |n, k: &str, secret: Option<&[u8]>| {
            altcha_v2::verify(&ch, n, k, b"s", secret, "SHA-256", 0.0).is_ok()
        };
        assert!(v(server, &key, Some(ks)));
        assert!(v(server, &key, None));
        assert!(
            v(other, &other_key, None),
            "the prefix alone, without the secret"
        );
        assert!(
            !v(other, &other_key, Some(ks)),
            "refused with the key secret"
        );
        assert!(!v(server, &key, Some(b"other")), "another key secret");
        assert!(
            !v(server, &key.to_uppercase(), Some(ks)),
            "lowercase hex only"
        );
        assert!(!v(server, &key, Some(b"")), "an empty key secret");
        // An empty keySignature is falsy in JavaScript: altcha-lib re-derives, so the
        // colliding counter passes even with the key secret.
        p["keySignature"] = "".into();
        let sig = altcha_v2::sign(p.as_object().unwrap(), b"s", "SHA-256").unwrap();
        let ch =
            Challenge::from_value(&serde_json::json!({"parameters": p, "signature": sig})).unwrap();
        assert!(altcha_v2::verify(&ch, other, &other_key, b"s", Some(ks), "SHA-256", 0.0).is_ok());
        // Any other truthy non-string can never match.
        p["keySignature"] = 1.into();
        let sig = altcha_v2::sign(p.as_object().unwrap(), b"s", "SHA-256").unwrap();
        let ch =
            Challenge::from_value(&serde_json::json!({"parameters": p, "signature": sig})).unwrap();
        assert!(altcha_v2::verify(&ch, server, &key, b"s", Some(ks), "SHA-256", 0.0).is_err());
        assert!(altcha_v2::verify(&ch, server, &key, b"s", None, "SHA-256", 0.0).is_ok());
    }
}

/// go-away's `js-pow-sha256`, from the runtime's own test files: the challenge derived
/// from the key, the served target, a valid token and its one-byte tampering.
mod go_away_vectors {
    use super::load;
    use grindstone_core::VerifyError;
    use grindstone_core::schemes::go_away::{self, Challenge};

    #[test]
    fn the_runtimes_own_tests() {
        let v = load("go_away.json");
        let key_b64 = v["key_b64"].as_str().unwrap();
        use base64::Engine as _;
        let key = base64::engine::general_purpose::STANDARD
            .decode(key_b64)
            .unwrap();
        let served = &v["make_challenge"];
        let ch = Challenge::from_key(&key, 20);
        assert_eq!(hex::encode(ch.challenge), served["challenge"]);
        assert_eq!(go_away::target_hex(20), served["target"]);
        assert_eq!(Challenge::parse(&served.to_string()).unwrap(), ch);
        let ok = v["valid_token"].as_str().unwrap();
        assert_eq!(ch.verify(ok).unwrap(), 21);
        assert!(matches!(
            ch.verify(v["invalid_token"].as_str().unwrap()),
            Err(VerifyError::Rejected(_))
        ));
        let answer = serde_json::json!({"token": ok, "difficulty": 20});
        let with_key = go_away::verify_answer(&answer.to_string(), Some(key_b64.as_bytes()));
        assert_eq!(with_key.unwrap()["valid"], true);
        // Without the key the answer must carry the challenge.
        assert!(go_away::verify_answer(&answer.to_string(), None).is_err());
        let mut given = answer.clone();
        given["challenge"] = served["challenge"].clone();
        assert!(go_away::verify_answer(&given.to_string(), None).is_ok());
        // Another key derives another challenge: refused.
        let other = base64::engine::general_purpose::STANDARD.encode(b"other");
        assert!(matches!(
            go_away::verify_answer(&answer.to_string(), Some(other.as_bytes())),
            Err(VerifyError::Rejected(_))
        ));
        // A served page whose target disagrees with its difficulty is not go-away's.
        let mut wrong = served.clone();
        wrong["target"] = go_away::target_hex(19).into();
        assert!(Challenge::parse(&wrong.to_string()).is_err());
    }
}

/// ALTCHA v1 verification read as altcha-lib reads it, and stricter where altcha-lib's
/// string concatenation would let a client move the salt's `expires` into the number.
mod altcha_v1_reading {
    use grindstone_core::VerifyError;
    use grindstone_core::schemes::altcha::{self, Algorithm};
    use serde_json::json;

    fn payload(salt: &str, number: serde_json::Value, key: &[u8]) -> serde_json::Value {
        let n = match &number {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let salt_amp = if salt.ends_with('&') {
            salt.to_string()
        } else {
            format!("{salt}&")
        };
        let challenge = Algorithm::Sha256.hex(format!("{salt_amp}{n}").as_bytes());
        let signature = Algorithm::Sha256.hmac_hex(key, challenge.as_bytes());
        json!({"algorithm": "SHA-256", "challenge": challenge, "number": number, "salt": salt, "signature": signature})
    }

    /// Reads and verifies a payload as `grind verify --scheme altcha` does.
    fn verify(p: &serde_json::Value, now: i64) -> Result<(), VerifyError> {
        altcha::verify(&altcha::parse_payload(&p.to_string())?, b"k", Some(now))
    }

    #[test]
    fn expiry_spliced_into_the_number_is_refused() {
        let p = payload("s?foo=1&expires=1000&", json!(7), b"k");
        assert!(
            matches!(verify(&p, 2000), Err(VerifyError::Rejected(_))),
            "expired"
        );
        // The same hash with `expires` moved into a string number: altcha-lib would
        // accept it (no `expires` left in the salt); grind refuses the number.
        let mut spliced = p.clone();
        spliced["salt"] = "s?foo=1&".into();
        spliced["number"] = "expires=1000&7".into();
        assert!(matches!(
            verify(&spliced, 2000),
            Err(VerifyError::Malformed(_))
        ));
        assert!(verify(&payload("s?x=1&", json!("7"), b"k"), 2000).is_ok());
    }

    #[test]
    fn expires_as_altcha_lib_reads_it() {
        for (salt, now, ok) in [
            ("s?expires=3000&", 2000, true),
            ("s?expires=1000&", 2000, false),
            ("s?expire=1000&", 2000, false),
            ("s?expires=&expire=1000&", 2000, false),
            ("s?expires=%31000&", 2000, false),
            ("s?expires=1000&expires=3000&", 2000, true),
            ("s?expires=3000abc&", 2000, true),
            ("s?expires=abc&", 2000, false),
            ("s?other=1&", 2000, true),
        ] {
            let p = payload(salt, json!(5), b"k");
            assert_eq!(verify(&p, now).is_ok(), ok, "{salt}");
        }
    }

    #[test]
    fn exact_hex_and_the_default_algorithm() {
        let p = payload("s&", json!(5), b"k");
        let mut upper = p.clone();
        upper["challenge"] = p["challenge"].as_str().unwrap().to_uppercase().into();
        assert!(verify(&upper, 0).is_err(), "altcha-lib compares with ===");
        let mut upper_sig = p.clone();
        upper_sig["signature"] = p["signature"].as_str().unwrap().to_uppercase().into();
        assert!(verify(&upper_sig, 0).is_err());
        let mut no_alg = p.clone();
        no_alg.as_object_mut().unwrap().remove("algorithm");
        assert!(verify(&no_alg, 0).is_ok(), "SHA-256 by default");
    }
}
