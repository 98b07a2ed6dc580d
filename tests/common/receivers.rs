//! Receivers the server sends to, each a real server in a child process
//! that prints "listening PORT" and then one line of JSON per thing it
//! receives: a webhook receiver (Node, `webhook_receiver.mjs`) and an SMTP
//! server (Python's aiosmtpd, `smtp_receiver.py`). Each exits when the test
//! drops it (its standard input closes) or is killed by its PID.

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::Duration;

/// Long enough for any delivery, short enough to fail a test quickly.
pub const WAIT: Duration = Duration::from_secs(15);

pub struct LineServer {
    child: Child,
    _stdin: ChildStdin,
    lines: Receiver<String>,
    pub port: u16,
}

impl LineServer {
    fn start(mut command: Command, what: &str) -> LineServer {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("{what} starts (the README's test command installs it): {e}")
            });
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let first = lines
            .recv_timeout(WAIT)
            .unwrap_or_else(|_| panic!("{what} starts"));
        let port = first
            .strip_prefix("listening ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("{what} says its port, not {first:?}"));
        LineServer {
            child,
            _stdin: stdin,
            lines,
            port,
        }
    }

    /// The webhook receiver: verifies each request's signature with the
    /// `standardwebhooks` npm library once told the secret.
    pub fn webhooks() -> LineServer {
        let mut node = Command::new("node");
        node.arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/webhook_receiver.mjs"
        ));
        LineServer::start(node, "the webhook receiver (node)")
    }

    /// An SMTP server that accepts every message.
    pub fn smtp() -> LineServer {
        let mut python = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.venv/bin/python"));
        python.arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/smtp_receiver.py"
        ));
        LineServer::start(python, "the SMTP server (aiosmtpd)")
    }

    /// The next thing received; fails the test after `WAIT`.
    pub fn next(&self) -> Value {
        self.next_within(WAIT).expect("it arrives in time")
    }

    pub fn next_within(&self, wait: Duration) -> Option<Value> {
        let line = self.lines.recv_timeout(wait).ok()?;
        Some(serde_json::from_str(&line).unwrap())
    }
}

impl Drop for LineServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
