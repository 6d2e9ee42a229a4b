//! Interoperability with the real `hashcash` 1.22 binary, both ways.

mod common;

use std::process::Command;

use common::*;

fn hashcash(args: &[&str]) -> (i32, String, String) {
    let o = Command::new("hashcash")
        .args(args)
        .output()
        .expect("hashcash runs");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn stamps_hashcash_mints_pass_grind_check() {
    if !require_tool("hashcash") {
        return;
    }
    for (bits, res, extra) in [
        ("12", "foo@example.com", vec![]),
        ("16", "api.example.com", vec!["-x", "ext=1;k=v"]),
        ("10", "mcp-tool:search", vec!["-z", "12"]),
        ("10", "bob", vec!["-z", "10"]),
    ] {
        let mut args = vec!["-m", "-q", "-u", "-b", bits];
        args.extend(extra);
        args.push(res);
        let (rc, out, err) = hashcash(&args);
        assert_eq!(rc, 0, "{err}");
        let stamp = out.trim();
        let o = grind(&["check", "-b", bits, "-r", res, stamp], None);
        assert_eq!(code(&o), 0, "{stamp}: {}{}", stdout(&o), stderr(&o));
    }
}

#[test]
fn stamps_grind_mints_pass_hashcash_check() {
    if !require_tool("hashcash") {
        return;
    }
    let dir = test_path("hc");
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("hashcash.sdb");
    let dbs = db.to_str().unwrap();
    for (bits, res, extra) in [
        ("12", "foo@example.com", vec![]),
        ("16", "api.example.com", vec!["-x", "ext=1;k=v"]),
        ("10", "bob", vec!["-z", "12"]),
        ("10", "carol", vec!["-z", "10"]),
    ] {
        let mut args = vec!["mint", "-q", "-b", bits];
        args.extend(extra);
        args.push(res);
        let o = grind(&args, None);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let stamp = stdout(&o).trim().to_string();
        // hashcash -c exits 0 with a database, and refuses the stamp the second time.
        let (rc, _, err) = hashcash(&["-c", "-d", "-f", dbs, "-u", "-b", bits, "-r", res, &stamp]);
        assert_eq!(rc, 0, "{stamp}: {err}");
        let (rc, _, err) = hashcash(&["-c", "-d", "-f", dbs, "-u", "-b", bits, "-r", res, &stamp]);
        assert_eq!(rc, 1, "{stamp}: {err}");
        assert!(err.contains("spent"), "{err}");
        // And grind check, reading the database hashcash wrote, agrees it is spent.
        let o = grind(&["check", "-d", "-f", dbs, "-r", res, &stamp], None);
        assert_eq!(code(&o), 1, "{}", stdout(&o));
    }
    // A stamp grind accepted with -d is refused by hashcash with the same database.
    let o = grind(&["mint", "-q", "-b", "8", "dave"], None);
    let stamp = stdout(&o).trim().to_string();
    assert_eq!(
        code(&grind(
            &["check", "-d", "-f", dbs, "-r", "dave", &stamp],
            None
        )),
        0
    );
    let (rc, _, err) = hashcash(&["-c", "-d", "-f", dbs, "-u", "-r", "dave", &stamp]);
    assert_eq!(rc, 1, "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn insufficient_bits_refused_by_both() {
    if !require_tool("hashcash") {
        return;
    }
    let o = grind(&["mint", "-q", "-b", "8", "erin"], None);
    let stamp = stdout(&o).trim().to_string();
    let (rc, _, _) = hashcash(&["-c", "-u", "-b", "9", "-r", "erin", &stamp]);
    assert_eq!(rc, 1);
    assert_eq!(
        code(&grind(&["check", "-b", "9", "-r", "erin", &stamp], None)),
        1
    );
}
