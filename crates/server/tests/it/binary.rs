//! The built `plenum` binary: `config check` exit codes, and `serve` printing the banner,
//! answering HTTP and stopping on SIGTERM.

use crate::common::TempDir;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_plenum");

/// A command with no PLENUM_* variables inherited from the test environment.
fn plenum(dir: &TempDir) -> Command {
    let mut command = Command::new(BIN);
    for (name, _) in std::env::vars() {
        if name.starts_with("PLENUM_") {
            command.env_remove(name);
        }
    }
    command.current_dir(dir.path());
    command
}

#[test]
fn config_check_reports_ok_or_the_error() {
    let dir = TempDir::new();
    let good = dir.path().join("good.toml");
    std::fs::write(&good, "[http]\nbind = \"127.0.0.1:8081\"\n").unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[tokens]\naccess_lifetime = \"2h\"\n").unwrap();

    let ok = plenum(&dir)
        .args(["config", "check"])
        .arg(&good)
        .output()
        .unwrap();
    assert_eq!(ok.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&ok.stdout).trim(), "ok");

    let failed = plenum(&dir)
        .args(["config", "check"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(failed.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(
        stderr.contains(&format!(
            "config error in {}: tokens.access_lifetime: 2h exceeds the maximum of 1h",
            bad.display()
        )),
        "{stderr}"
    );

    // The environment is part of what is checked.
    let env_bad = plenum(&dir)
        .args(["config", "check"])
        .arg(&good)
        .env("PLENUM_LOG__FORMAT", "yaml")
        .output()
        .unwrap();
    assert_eq!(env_bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&env_bad.stderr).contains("PLENUM_LOG__FORMAT: log.format"));

    let missing = plenum(&dir)
        .args(["config", "check", "nope.toml"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    // Bad usage is exit code 2 as well (clap's convention).
    let usage = plenum(&dir)
        .args(["serve", "--no-such-flag"])
        .output()
        .unwrap();
    assert_eq!(usage.status.code(), Some(2));
    // serve with an invalid flag value fails before touching anything.
    let bad_flag = plenum(&dir)
        .args(["serve", "--http-bind", "nowhere"])
        .output()
        .unwrap();
    assert_eq!(bad_flag.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad_flag.stderr)
            .contains("command-line flag --http-bind: http.bind")
    );
    assert!(!dir.path().join("data").exists());
}

/// A running `plenum serve`, killed on drop if the test did not stop it.
struct Server {
    child: Child,
    lines: mpsc::Receiver<String>,
    logs: mpsc::Receiver<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start(dir: &TempDir) -> Self {
        let mut child = plenum(dir)
            .args([
                "serve",
                "--data-dir",
                "data",
                "--http-bind",
                "127.0.0.1:0",
                "--log-format",
                "json",
            ])
            .arg("--media-bind")
            .arg("127.0.0.1:0")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let lines = read_lines(child.stdout.take().unwrap());
        let logs = read_lines(child.stderr.take().unwrap());
        Self { child, lines, logs }
    }

    /// The first log record (stderr, JSON lines) whose message is `message`.
    fn log_record(&self, message: &str) -> serde_json::Value {
        loop {
            let line = self
                .logs
                .recv_timeout(Duration::from_secs(60))
                .expect("the log record arrives within a minute");
            let record: serde_json::Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("log line is not JSON ({e}): {line}"));
            if record["fields"]["message"] == message {
                return record;
            }
        }
    }

    /// Reads stdout until the banner's last line; returns the three banner lines.
    fn banner(&self) -> [String; 3] {
        let mut found: Vec<String> = Vec::new();
        while found.len() < 3 {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(60))
                .expect("the banner is printed within a minute");
            if line.starts_with("  Web UI:")
                || line.starts_with("  Admin login:")
                || line.starts_with("  Guest invite:")
            {
                found.push(line);
            }
        }
        [found[0].clone(), found[1].clone(), found[2].clone()]
    }

    fn stop(&mut self) -> Option<i32> {
        self.terminate();
        self.exit_code()
    }

    /// Sends SIGTERM.
    fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits for the exit after [`Server::terminate`].
    fn exit_code(&mut self) -> Option<i32> {
        let (tx, rx) = mpsc::channel();
        let mut child_wait =
            std::mem::replace(&mut self.child, Command::new("true").spawn().unwrap());
        std::thread::spawn(move || {
            let _ = tx.send(child_wait.wait().map(|s| s.code()));
        });
        rx.recv_timeout(Duration::from_secs(30))
            .expect("exits within 30 s of SIGTERM")
            .unwrap()
    }
}

/// Forwards the lines of a child's pipe to a channel, from a thread of its own.
fn read_lines(pipe: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn http_get(base: &str, path: &str) -> String {
    let authority = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(authority).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn serve_prints_the_banner_and_stops_on_sigterm() {
    let dir = TempDir::new();
    let mut server = Server::start(&dir);
    let [web, admin, invite] = server.banner();
    let url = web
        .strip_prefix("  Web UI:        ")
        .expect(&web)
        .to_owned();
    assert!(
        url.starts_with("http://127.0.0.1:") && !url.ends_with(":0"),
        "{url}"
    );
    let password = admin
        .strip_prefix("  Admin login:   admin / ")
        .expect(&admin)
        .to_owned();
    assert!(
        password.len() >= 16 && password.chars().all(|c| c.is_ascii_alphanumeric()),
        "{password}"
    );
    let code = invite
        .strip_prefix(&format!("  Guest invite:  {url}/j/"))
        .expect(&invite)
        .to_owned();
    assert_eq!(code.len(), 22);

    let listening = server.log_record("listening");
    assert_eq!(listening["level"], "INFO");
    assert_eq!(listening["fields"]["public_url"], url.as_str());

    let config = http_get(&url, "/api/v1/config");
    assert!(config.starts_with("HTTP/1.1 200"), "{config}");
    assert!(config.contains("\"product_name\":\"Plenum\""), "{config}");
    let info = http_get(&url, &format!("/api/v1/invites/{code}"));
    assert!(info.contains("\"title\":\"Demo meeting\""), "{info}");
    assert!(info.contains("\"password_required\":false"), "{info}");

    assert_eq!(server.stop(), Some(0));
    let data = dir.path().join("data");
    assert!(data.join("plenum.db").is_file() && data.join("signing-key.pem").is_file());
    let key = std::fs::read_to_string(data.join("signing-key.pem")).unwrap();
    assert!(key.starts_with("-----BEGIN PRIVATE KEY-----"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(data.join("signing-key.pem"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "the signing key is private to its owner");
    }
    // The admin password is stored only as an Argon2id hash.
    let db = std::fs::read(data.join("plenum.db")).unwrap();
    assert!(!db.windows(password.len()).any(|w| w == password.as_bytes()));

    // Second start: same invite, password not repeated, same signing key.
    let mut again = Server::start(&dir);
    let [web2, admin2, invite2] = again.banner();
    let url2 = web2.strip_prefix("  Web UI:        ").unwrap().to_owned();
    assert_eq!(
        admin2,
        "  Admin login:   admin / (password printed at first start)"
    );
    assert_eq!(invite2, format!("  Guest invite:  {url2}/j/{code}"));
    assert_eq!(
        std::fs::read_to_string(data.join("signing-key.pem")).unwrap(),
        key
    );
    assert_eq!(again.stop(), Some(0));
}

#[test]
fn migrate_applies_and_exits() {
    let dir = TempDir::new();
    let config = dir.path().join("plenum.toml");
    std::fs::write(&config, "[store]\ndata_dir = \"state\"\n").unwrap();
    let out = plenum(&dir)
        .arg("migrate")
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("migrations applied"));
    assert!(dir.path().join("state/plenum.db").is_file());
}

/// SIGTERM while a guest is in a meeting: the socket closes with 1012 (reconnect later), and
/// before the store closes, the guest's leave and the meeting's end are in the trail and
/// sealed by the last checkpoint (they were lost when the store closed under the writers).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_closes_sockets_with_1012_and_records_every_leave() {
    use futures_util::{SinkExt as _, StreamExt as _};
    use tokio_tungstenite::tungstenite::Message;

    let dir = TempDir::new();
    let mut server = Server::start(&dir);
    let [web, _, invite] = server.banner();
    let url = web
        .strip_prefix("  Web UI:        ")
        .expect(&web)
        .to_owned();
    let code = invite
        .strip_prefix(&format!("  Guest invite:  {url}/j/"))
        .expect(&invite)
        .to_owned();
    let answer: serde_json::Value = reqwest::Client::new()
        .post(format!("{url}/api/v1/invites/{code}/guest-token"))
        .json(&serde_json::json!({"display_name": "Grace"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = answer["access_token"].as_str().expect("a guest token");
    let ws_url = format!("{}/api/v1/signaling", url.replacen("http", "ws", 1));
    let (mut ws, _) = tokio_tungstenite::connect_async(ws_url).await.unwrap();
    for message in [
        serde_json::json!({"type": "session.auth", "payload": {"token": token}}),
        serde_json::json!({"type": "room.join"}),
    ] {
        ws.send(Message::text(message.to_string())).await.unwrap();
    }
    let mut joined = false;
    let mut close_code = None;
    while let Ok(Some(Ok(frame))) = tokio::time::timeout(Duration::from_secs(30), ws.next()).await {
        match frame {
            Message::Text(text) if !joined && text.contains("room.join_success") => {
                joined = true;
                server.terminate();
            }
            Message::Close(frame) => {
                close_code = frame.map(|f| u16::from(f.code));
                break;
            }
            _ => {}
        }
    }
    assert!(joined, "the guest joined");
    assert_eq!(close_code, Some(1012), "closed as a service restart");
    assert_eq!(tokio::task::block_in_place(|| server.exit_code()), Some(0));

    let db = dir.path().join("data").join("plenum.db");
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    let actions: Vec<String> = sqlx::query_scalar("SELECT action FROM audit_entries ORDER BY seq")
        .fetch_all(&pool)
        .await
        .unwrap();
    let join = actions.iter().position(|a| a == "participant.join");
    let leave = actions.iter().position(|a| a == "participant.leave");
    let end = actions.iter().position(|a| a == "meeting.end");
    assert!(
        join < leave && leave < end && join.is_some(),
        "join, leave and end recorded in order: {actions:?}"
    );
    let sealed: i64 = sqlx::query_scalar("SELECT MAX(size) FROM audit_checkpoints")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(
        usize::try_from(sealed).unwrap(),
        actions.len(),
        "the last checkpoint seals every entry"
    );
}
