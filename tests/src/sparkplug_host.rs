//! The Sparkplug B host application of `tests/peers/sparkplug/host.py` (pysparkplug 0.6.1, in a
//! virtualenv of its own: it needs paho-mqtt below 2), driven from Rust: every message it decodes
//! is one JSON line, and commands (rebirth, DCMD, its STATE) are written to its stdin.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::HarnessError;

/// The python of the Sparkplug peers: `$FIELDBRIDGE_SPARKPLUG_PYTHON`, else `.venv-sparkplug`
/// at the repository root (`scripts/install-peers` makes it).
pub fn sparkplug_python() -> PathBuf {
    match std::env::var_os("FIELDBRIDGE_SPARKPLUG_PYTHON") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => crate::repo_root().join(".venv-sparkplug/bin/python"),
    }
}

/// A running host application; killed when dropped.
#[derive(Debug)]
pub struct SparkplugHost {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Arc<Mutex<Vec<Value>>>,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl SparkplugHost {
    /// Connects a host application to the broker on 127.0.0.1:`port`, as primary host `host_id`
    /// when given, and waits until it is subscribed (and its STATE online is acknowledged).
    ///
    /// # Panics
    /// When the virtualenv is missing or the host does not get ready within 15 s.
    pub fn start(port: u16, host_id: Option<&str>) -> SparkplugHost {
        Self::try_start(port, host_id).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Like [`SparkplugHost::start`], returning errors.
    pub fn try_start(port: u16, host_id: Option<&str>) -> Result<SparkplugHost, HarnessError> {
        let python = sparkplug_python();
        if !python.is_file() {
            return Err(HarnessError::MissingPeer {
                peer: "pysparkplug (python virtualenv)",
                hint: format!(
                    "{} is missing (set FIELDBRIDGE_SPARKPLUG_PYTHON or run scripts/install-peers)",
                    python.display()
                ),
            });
        }
        let dir = tempfile::tempdir()?;
        let log = dir.path().join("host.log");
        let mut command = Command::new(&python);
        command
            .arg(crate::repo_root().join("tests/peers/sparkplug/host.py"))
            .args(["--host", "127.0.0.1", "--port", &port.to_string()]);
        if let Some(id) = host_id {
            command.args(["--host-id", id]);
        }
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log)?)
            .spawn()
            .map_err(|source| HarnessError::Spawn {
                program: python.clone(),
                source,
            })?;
        let stdout = child.stdout.take();
        let lines = Arc::new(Mutex::new(Vec::new()));
        if let Some(stdout) = stdout {
            let lines = Arc::clone(&lines);
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    if let Ok(json) = serde_json::from_str::<Value>(&line) {
                        lines.lock().map(|mut l| l.push(json)).ok();
                    }
                }
            });
        }
        let host = SparkplugHost {
            stdin: child.stdin.take(),
            child,
            lines,
            log,
            _dir: dir,
        };
        if host
            .wait_for(|m| m["type"] == "ready", Duration::from_secs(15))
            .is_none()
        {
            return Err(HarnessError::NotReady {
                what: "the pysparkplug host".into(),
                waited: Duration::from_secs(15),
                detail: host.log(),
            });
        }
        Ok(host)
    }

    /// Every line so far.
    pub fn messages(&self) -> Vec<Value> {
        self.lines.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// Messages of one type (`NBIRTH`, `DBIRTH`, `DDATA`, `DDEATH`, ...).
    pub fn of_type(&self, kind: &str) -> Vec<Value> {
        self.messages()
            .into_iter()
            .filter(|m| m["type"] == kind)
            .collect()
    }

    /// The first line (from the start) that `matches`, waiting up to `within`.
    pub fn wait_for(&self, matches: impl Fn(&Value) -> bool, within: Duration) -> Option<Value> {
        self.wait_for_after(0, matches, within)
    }

    /// The first line from index `from` on that `matches`, waiting up to `within`.
    pub fn wait_for_after(
        &self,
        from: usize,
        matches: impl Fn(&Value) -> bool,
        within: Duration,
    ) -> Option<Value> {
        let deadline = Instant::now() + within;
        loop {
            if let Some(found) = self.messages().into_iter().skip(from).find(|m| matches(m)) {
                return Some(found);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Sends one command line (`{"rebirth": true, ...}`, `{"dcmd": {...}}`, `{"state": ...}`).
    pub fn send(&mut self, command: &Value) {
        if let Some(stdin) = self.stdin.as_mut() {
            let _ = writeln!(stdin, "{command}");
            let _ = stdin.flush();
        }
    }

    /// What it logged (stderr).
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for SparkplugHost {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
