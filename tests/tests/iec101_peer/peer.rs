//! The lib60870-C programs of `tests/peers/lib60870` (built by `scripts/build-lib60870`), run
//! as child processes whose stdout lines are collected.

use fieldbridge_tests::repo_root;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

/// `cs101_slave` or `cs101_master`; fails the test, naming the build script, when missing.
pub fn program(name: &str) -> PathBuf {
    let dir = std::env::var_os("FIELDBRIDGE_LIB60870_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target/lib60870"));
    let path = dir.join("bin").join(name);
    assert!(
        path.is_file(),
        "{} is missing: run scripts/build-lib60870 (it builds lib60870-C and the peers of \
         tests/peers/lib60870; scripts/install-peers runs it too)",
        path.display()
    );
    path
}

/// A running peer; killed on drop.
pub struct Peer {
    child: Child,
    lines: Receiver<String>,
    /// Every stdout line so far.
    pub seen: Vec<String>,
    name: String,
}

impl Peer {
    pub fn start(name: &str, args: &[String]) -> Self {
        let mut child = Command::new(program(name))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("start {name}: {e}"));
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            child,
            lines,
            seen: Vec::new(),
            name: name.to_string(),
        }
    }

    /// Takes the lines printed so far.
    pub fn collect(&mut self) {
        while let Ok(line) = self.lines.try_recv() {
            self.seen.push(line);
        }
    }

    /// Waits until a line satisfies `pred`; panics after `limit` with what was printed.
    pub fn wait_for(&mut self, limit: Duration, what: &str, pred: impl Fn(&str) -> bool) {
        let end = Instant::now() + limit;
        loop {
            if self.seen.iter().any(|l| pred(l)) {
                return;
            }
            let left = end.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "{}: no {what} within {limit:?}; it printed:\n{}",
                self.name,
                self.seen.join("\n")
            );
            if let Ok(line) = self.lines.recv_timeout(left.min(Duration::from_millis(50))) {
                self.seen.push(line);
            }
        }
    }

    /// How many lines contain every one of `parts` (as whole tokens).
    pub fn count(&self, parts: &[&str]) -> usize {
        self.seen
            .iter()
            .filter(|l| parts.iter().all(|p| l.split(' ').any(|tok| tok == *p)))
            .count()
    }

    /// Whether some line contains every one of `parts`.
    pub fn printed(&self, parts: &[&str]) -> bool {
        self.seen
            .iter()
            .any(|l| parts.iter().all(|p| l.split(' ').any(|tok| tok == *p)))
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
