//! A child process that is killed on drop, and ways to wait until it is ready.

use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::HarnessError;

/// How long a peer may take to become ready.
pub(crate) const READY_TIMEOUT: Duration = Duration::from_secs(15);

/// A spawned peer; killed (SIGKILL) and reaped when dropped.
#[derive(Debug)]
pub(crate) struct Guarded {
    child: Option<Child>,
    what: String,
    log: PathBuf,
}

impl Guarded {
    /// Spawn `command`, whose stderr the caller has pointed at `log`.
    pub(crate) fn spawn(
        mut command: Command,
        what: String,
        log: &Path,
    ) -> Result<Self, HarnessError> {
        let child = command.spawn().map_err(|source| HarnessError::Spawn {
            program: PathBuf::from(command.get_program()),
            source,
        })?;
        tracing::debug!(pid = child.id(), %what, "peer started");
        Ok(Self {
            child: Some(child),
            what,
            log: log.to_path_buf(),
        })
    }

    /// The process's stdout, once (when it was piped).
    pub(crate) fn take_stdout(&mut self) -> Option<ChildStdout> {
        self.child.as_mut().and_then(|c| c.stdout.take())
    }

    /// Whether the process is still alive.
    pub(crate) fn is_running(&mut self) -> bool {
        match self.child.as_mut() {
            Some(child) => matches!(child.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// Ask the process to stop (SIGTERM) and reap it, killing it after 10 s if it does not stop.
    pub(crate) fn terminate(&mut self) {
        if let Some(mut child) = self.child.take() {
            let pid = child.id().to_string();
            let _ = Command::new("kill").args(["-TERM", &pid]).status();
            let deadline = Instant::now() + Duration::from_secs(10);
            while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Kill and reap the process; nothing happens when it is already gone.
    pub(crate) fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            tracing::debug!(pid = child.id(), what = %self.what, "peer killed");
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Kill (SIGKILL) the process group the process leads, then reap the process: for a peer
    /// started by a shell script (spawned with `process_group(0)`) whose real server is a child.
    pub(crate) fn kill_group(&mut self) {
        if let Some(mut child) = self.child.take() {
            tracing::debug!(pid = child.id(), what = %self.what, "peer's process group killed");
            let group = format!("-{}", child.id());
            let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The process's log so far (its stderr).
    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn not_ready(&mut self, waited: Duration, why: &str) -> HarnessError {
        let status = self
            .child
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten())
            .map(|s| format!("exited with {s}"))
            .unwrap_or_else(|| why.to_string());
        HarnessError::NotReady {
            what: self.what.clone(),
            waited,
            detail: format!("{status}; its log:\n{}", self.log()),
        }
    }

    /// Wait until 127.0.0.1:`port` accepts a connection while the process lives.
    pub(crate) fn wait_for_port(&mut self, port: u16) -> Result<(), HarnessError> {
        let start = Instant::now();
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        while start.elapsed() < READY_TIMEOUT {
            if !self.is_running() {
                return Err(self.not_ready(start.elapsed(), "exited"));
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(self.not_ready(start.elapsed(), "port still closed"))
    }

    /// Wait until the process prints `line` alone on a line of its stdout.
    pub(crate) fn wait_for_line(&mut self, line: &str) -> Result<(), HarnessError> {
        let start = Instant::now();
        let Some(stdout) = self.take_stdout() else {
            return Err(self.not_ready(start.elapsed(), "stdout not piped"));
        };
        let (tx, rx) = mpsc::channel();
        let wanted = line.to_string();
        // The reader thread drains stdout until the process exits, so it never blocks on a
        // full pipe.
        std::thread::spawn(move || {
            for l in BufReader::new(stdout).lines() {
                let Ok(l) = l else { break };
                if l.trim() == wanted {
                    let _ = tx.send(());
                }
            }
        });
        while start.elapsed() < READY_TIMEOUT {
            if rx.recv_timeout(Duration::from_millis(50)).is_ok() {
                return Ok(());
            }
            if !self.is_running() {
                return Err(self.not_ready(start.elapsed(), "exited"));
            }
        }
        Err(self.not_ready(start.elapsed(), "no ready line"))
    }

    /// Wait until every path exists while the process lives.
    pub(crate) fn wait_for_paths(&mut self, paths: &[&Path]) -> Result<(), HarnessError> {
        let start = Instant::now();
        while start.elapsed() < READY_TIMEOUT {
            if !self.is_running() {
                return Err(self.not_ready(start.elapsed(), "exited"));
            }
            if paths.iter().all(|p| p.exists()) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Err(self.not_ready(start.elapsed(), "links not created"))
    }
}

impl Drop for Guarded {
    fn drop(&mut self) {
        self.kill();
    }
}
