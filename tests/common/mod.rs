//! Starts the real Igniflo server binary on a temporary SQLite file (or a
//! fresh MongoDB database on SecantusDB) and a free port, and stops it by its
//! PID.

#![allow(dead_code)]

pub mod api;
pub mod live;
pub mod receivers;

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The admin bearer token and password every test server is started with.
pub const ADMIN_TOKEN: &str = "test-admin-token-7f3a9c2e";
pub const ADMIN_PASSWORD: &str = "correct horse battery staple";

/// Runs every named `async fn(Backend)` as a test on each store.
#[allow(unused_macros)]
macro_rules! on_every_store {
    ($($test:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $test() {
                    super::$test($crate::common::Backend::Sqlite).await
                }
            )+
        }
        mod mongo {
            $(
                #[tokio::test]
                async fn $test() {
                    super::$test($crate::common::Backend::Mongo).await
                }
            )+
        }
    };
}
#[allow(unused_imports)]
pub(crate) use on_every_store;

/// The store a server under test runs on.
#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Mongo,
}

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
            ("IGNIFLO_RATE_TOKEN", "1000000"),
        ];
        all.extend_from_slice(env);
        let mut server = Server::spawn(&all);
        server._dir = Some(dir);
        server
    }

    /// A server on a fresh, empty database of the given kind.
    pub fn start_on(backend: Backend) -> Server {
        Server::start_on_with(backend, &[])
    }

    /// A server on a fresh, empty database of the given kind, with `env`
    /// added to the test defaults.
    pub fn start_on_with(backend: Backend, env: &[(&str, &str)]) -> Server {
        match backend {
            Backend::Sqlite => Server::start_with(env),
            Backend::Mongo => {
                let url = SecantusDb::shared().fresh_database();
                let mut all = vec![("DATABASE_URL", url.as_str())];
                all.extend_from_slice(env);
                Server::start_with(&all)
            }
        }
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
        terminate(&mut self.child, Duration::from_secs(20))
    }
}

/// Sends SIGTERM to the child by its PID and waits up to `grace` for it to
/// exit; true if it exited with 0.
fn terminate(child: &mut Child, grace: Duration) -> bool {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return status.success();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// SecantusDB, a MongoDB-wire-compatible server that reports itself as a
/// one-node replica set (so transactions and change streams work), from the
/// project's `.venv` (scripts/toolchain.sh installs it). It listens on a free
/// port of 127.0.0.1 with a temporary data directory, which it removes when
/// it stops: by its PID when this is dropped, or by itself when the test
/// process exits without dropping it (it watches its stdin for EOF).
pub struct SecantusDb {
    /// The server's URL without a database name.
    pub url: String,
    child: Child,
}

/// Runs SecantusDB's command line with an empty config file (so no
/// `secantusd.toml` of the machine is picked up) and a temporary data dir.
const SECANTUSDB_LAUNCHER: &str = r#"
import os, shutil, signal, sys, tempfile, threading
from secantus.cli import main
data = tempfile.mkdtemp(prefix="igniflo-secantusdb-")
config = os.path.join(data, "secantusd.toml")
open(config, "w").close()
def orphaned():
    sys.stdin.read()
    os.kill(os.getpid(), signal.SIGTERM)
threading.Thread(target=orphaned, daemon=True).start()
try:
    main(["--config", config, "--storage-path", os.path.join(data, "db"), *sys.argv[1:]])
finally:
    shutil.rmtree(data, ignore_errors=True)
"#;

impl SecantusDb {
    pub fn start() -> SecantusDb {
        SecantusDb::launch(&[])
    }

    /// On `port`, keeping its data in `data` (which outlives it), so that a
    /// restart finds the same database and change history.
    pub fn start_with(port: u16, data: &std::path::Path) -> SecantusDb {
        let port = port.to_string();
        let data = data.to_str().expect("a UTF-8 path");
        SecantusDb::launch(&["--port", &port, "--storage-path", data])
    }

    /// Later arguments override the launcher's defaults.
    fn launch(args: &[&str]) -> SecantusDb {
        let python = concat!(env!("CARGO_MANIFEST_DIR"), "/.venv/bin/python");
        assert!(
            std::path::Path::new(python).exists(),
            "SecantusDB is not installed: run scripts/test, or `source scripts/toolchain.sh && ensure_secantusdb`"
        );
        let mut child = Command::new(python)
            .args([
                "-c",
                SECANTUSDB_LAUNCHER,
                "--host",
                "127.0.0.1",
                "--port",
                "0",
            ])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start SecantusDB");
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(addr) = line.split("secantus listening on ").nth(1) {
                    let _ = tx.send(addr.trim().to_string());
                } else if line.contains(" ERROR ") || line.contains("Traceback") {
                    eprintln!("secantusdb: {line}");
                }
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("SecantusDB announces its address");
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(&addr).is_err() {
            assert!(
                Instant::now() < deadline,
                "SecantusDB does not answer on {addr}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        SecantusDb {
            url: format!("mongodb://{addr}"),
            child,
        }
    }

    /// One server for the whole test process; each test takes its own
    /// database on it.
    pub fn shared() -> &'static SecantusDb {
        static SHARED: OnceLock<SecantusDb> = OnceLock::new();
        SHARED.get_or_init(SecantusDb::start)
    }

    /// The `DATABASE_URL` of a database no one has used yet.
    pub fn fresh_database(&self) -> String {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        format!(
            "{}/igniflo_{}_{n}?directConnection=true",
            self.url,
            std::process::id()
        )
    }
}

impl Drop for SecantusDb {
    fn drop(&mut self) {
        if !terminate(&mut self.child, Duration::from_secs(10)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}
