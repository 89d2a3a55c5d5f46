//! The independent Python verifier (`tools/vote-verify`) on the same cases as the Rust
//! verifier: exit code 0 and `OK` for the valid ones, exit code 1 and a message naming
//! the problem for each tampering, 2 for unreadable input.

use crate::tamper::cases;
use std::path::{Path, PathBuf};
use std::process::Command;

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/vote-verify/plenum_vote_verify.py")
}

/// Whether python3 with the Ed25519 package can run the verifier. Without python3 the
/// test is skipped loudly; a missing package fails when PLENUM_REQUIRE_PY_VERIFIER=1
/// (scripts/test sets it after installing the requirements).
fn python_ready() -> bool {
    let Ok(out) = Command::new("python3")
        .args([
            "-c",
            "import cryptography.hazmat.primitives.asymmetric.ed25519",
        ])
        .output()
    else {
        eprintln!(
            "\n!!! SKIPPED: python3 is not installed; the Python vote verifier was NOT tested !!!\n"
        );
        return false;
    };
    if out.status.success() {
        return true;
    }
    let message = format!(
        "python3 cannot import the Ed25519 package (pip install -r tools/vote-verify/requirements.txt): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        std::env::var("PLENUM_REQUIRE_PY_VERIFIER").as_deref() != Ok("1"),
        "{message}"
    );
    eprintln!("\n!!! SKIPPED: {message} !!!\n");
    false
}

fn run(dir: &Path, protocol: &Path, receipts: &[PathBuf]) -> (i32, String, String) {
    let mut command = Command::new("python3");
    command.arg(script()).arg(protocol).current_dir(dir);
    for receipt in receipts {
        command.arg("--receipt").arg(receipt);
    }
    let out = command.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A fresh directory per test (tests run in parallel).
fn temp_dir(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("vote-verify-python-{test}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn the_python_verifier_agrees_on_every_case() {
    if !python_ready() {
        return;
    }
    let dir = temp_dir("cases");
    for case in cases() {
        let protocol = dir.join(format!("{}.json", case.name));
        std::fs::write(
            &protocol,
            serde_json::to_vec_pretty(&case.protocol).unwrap(),
        )
        .unwrap();
        let receipts: Vec<PathBuf> = case
            .receipts
            .iter()
            .enumerate()
            .map(|(i, receipt)| {
                let path = dir.join(format!("{}.receipt-{i}.json", case.name));
                std::fs::write(&path, serde_json::to_vec(receipt).unwrap()).unwrap();
                path
            })
            .collect();
        let (code, stdout, stderr) = run(&dir, &protocol, &receipts);
        let expected = if case.error.is_some() { 1 } else { 0 };
        let output = if expected == 0 { &stdout } else { &stderr };
        assert_eq!(
            code, expected,
            "{}: stdout {stdout} stderr {stderr}",
            case.name
        );
        assert!(
            output.contains(&case.needle),
            "{}: expected {:?} in {output:?}",
            case.name,
            case.needle
        );
    }
}

#[test]
fn the_python_verifier_names_unreadable_input_with_exit_code_2() {
    if !python_ready() {
        return;
    }
    let dir = temp_dir("unreadable");
    let not_json = dir.join("not.json");
    std::fs::write(&not_json, b"{ this is not json").unwrap();
    let (code, _, stderr) = run(&dir, &not_json, &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("not.json"), "{stderr}");
    let (code, _, stderr) = run(&dir, &dir.join("missing.json"), &[]);
    assert_eq!(code, 2, "{stderr}");
}
