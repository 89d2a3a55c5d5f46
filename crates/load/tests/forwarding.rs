//! Regression guard for the media path: the real `plenum` binary forwards a small
//! meeting (3 participants, each publishing simulcast video and audio, each viewing the
//! two others at the mid layer) to `plenum-load`, and every stream arrives with at most
//! 1 % loss. No timing is asserted: a slow CI machine passes as long as forwarding works.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const LOAD: &str = env!("CARGO_BIN_EXE_plenum-load");

/// The `plenum` binary of this build: `PLENUM_BIN`, or the one next to this test's
/// target directory, built first if `cargo test -p plenum-load` alone did not.
fn plenum_binary() -> PathBuf {
    if let Some(bin) = std::env::var_os("PLENUM_BIN") {
        return bin.into();
    }
    let exe = std::env::current_exe().expect("the test knows its path");
    // target/<profile>/deps/forwarding-<hash>
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("the test runs from target/<profile>/deps");
    let bin = profile_dir.join("plenum");
    if !bin.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut build = Command::new(cargo);
        build.args(["build", "-p", "plenum-server", "--bin", "plenum"]);
        if profile_dir.file_name().is_some_and(|n| n == "release") {
            build.arg("--release");
        }
        let status = build.status().expect("cargo runs");
        assert!(status.success(), "building plenum failed");
    }
    bin
}

/// `plenum serve` on free loopback ports with a fresh SQLite data directory; killed on drop.
struct Server {
    child: Child,
    dir: PathBuf,
    url: String,
    admin_password: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Server {
    fn start() -> Server {
        let dir = std::env::temp_dir().join(format!(
            "plenum-load-test-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        ));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        let mut command = Command::new(plenum_binary());
        for (name, _) in std::env::vars() {
            if name.starts_with("PLENUM_") {
                command.env_remove(name);
            }
        }
        let mut child = command
            .current_dir(&dir)
            .args([
                "serve",
                "--data-dir",
                "data",
                "--http-bind",
                "127.0.0.1:0",
                "--media-bind",
                "127.0.0.1:0",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("plenum starts");
        let (tx, lines) = mpsc::channel();
        let stdout = child.stdout.take().expect("stdout is piped");
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut server = Server {
            child,
            dir,
            url: String::new(),
            admin_password: String::new(),
        };
        while server.url.is_empty() || server.admin_password.is_empty() {
            let line = lines
                .recv_timeout(Duration::from_secs(60))
                .expect("plenum prints its banner within a minute");
            if let Some(url) = line.trim().strip_prefix("Web UI:") {
                server.url = url.trim().to_owned();
            }
            if let Some(login) = line.trim().strip_prefix("Admin login:") {
                let (_, password) = login.split_once('/').expect("admin / password");
                server.admin_password = password.trim().to_owned();
            }
        }
        server
    }
}

#[test]
fn a_small_meeting_is_forwarded_completely() {
    let server = Server::start();
    let output = Command::new(LOAD)
        .args([
            "--url",
            &server.url,
            "--scenario",
            "meeting:3x3",
            "--warmup",
            "2",
            "--measure",
            "5",
            "--join-timeout",
            "20",
            "--sfu-pid",
            &server.child.id().to_string(),
            "--json",
        ])
        .env("PLENUM_LOAD_PASSWORD", &server.admin_password)
        .output()
        .expect("plenum-load runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "plenum-load failed: {}\n{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    let reports: serde_json::Value = serde_json::from_str(&stdout).expect("JSON report");
    let report = &reports[0];
    eprintln!("{report:#}");
    assert_eq!(report["errors"], serde_json::json!([]), "{report:#}");
    // Each of the 3 receives audio and video from the 2 others.
    assert_eq!(report["streams_expected"], 12);
    assert_eq!(report["streams_received"], 12, "{report:#}");
    let packets_in = report["packets_in"].as_u64().unwrap();
    let packets_out = report["packets_out"].as_u64().unwrap();
    assert!(packets_in > 0 && packets_out > 0, "{report:#}");
    let loss = report["loss_pct"].as_f64().unwrap();
    assert!(loss <= 1.0, "loss {loss} % > 1 %: {report:#}");
    // The SFU was measured (its process exists and /proc answered).
    assert!(report["sfu_cpu_s"].as_f64().is_some(), "{report:#}");
}
