//! Starts the real Igniflo server binary on a temporary SQLite file and a
//! free port, and stops it by its PID.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The admin bearer token and password every test server is started with.
pub const ADMIN_TOKEN: &str = "test-admin-token-7f3a9c2e";
pub const ADMIN_PASSWORD: &str = "correct horse battery staple";

pub struct Server {
    pub url: String,
    child: Child,
    pub log: Arc<Mutex<Vec<String>>>,
    _dir: Option<tempfile::TempDir>,
}

impl Server {
    /// A server on a fresh, empty database, with rate limits high enough
    /// for tests that hammer it on purpose.
    pub fn start() -> Server {
        Server::start_with(&[])
    }

    /// A server on a fresh database, with `env` added to (or overriding) the
    /// test defaults.
    pub fn start_with(env: &[(&str, &str)]) -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("igniflo.db").display());
        let mut all = vec![
            ("DATABASE_URL", url.as_str()),
            ("IGNIFLO_ADMIN_TOKEN", ADMIN_TOKEN),
            ("IGNIFLO_ADMIN_PASSWORD", ADMIN_PASSWORD),
            ("IGNIFLO_RATE_PUBLIC", "1000000"),
            ("IGNIFLO_RATE_ORDERS", "1000000"),
        ];
        all.extend_from_slice(env);
        let mut server = Server::spawn(&all);
        server._dir = Some(dir);
        server
    }

    /// The binary with exactly this environment (plus the address and log level).
    pub fn spawn(env: &[(&str, &str)]) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_igniflo"));
        cmd.env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
            .env("RUST_LOG", "info")
            .env("LEPTOS_OUTPUT_NAME", "igniflo")
            .env_remove("PORT")
            .env_remove("IGNIFLO_ADMIN_TOKEN")
            .env_remove("IGNIFLO_ADMIN_PASSWORD")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start the igniflo binary");
        let stdout = child.stdout.take().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("igniflo listening on ") {
                    let _ = tx.send(addr.to_string());
                }
                sink.lock().unwrap().push(line);
            }
        });
        let url = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the server announces its address");
        Server {
            url,
            child,
            log,
            _dir: None,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM and waits for a clean exit; true if it exited with 0.
    pub fn terminate(&mut self) -> bool {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.pid().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
