//! What the end-to-end reports share: the release bridge's path and child processes that are
//! stopped with SIGTERM and killed on drop.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `$CARGO_TARGET_DIR/release/fieldbridge`, else `target/release/fieldbridge` of the workspace.
pub fn default_bridge() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"),
        PathBuf::from,
    );
    target.join("release").join("fieldbridge")
}

/// A child process with its stderr in a log file, killed on drop.
#[derive(Debug)]
pub struct Proc {
    child: Child,
    name: &'static str,
}

impl Proc {
    /// Starts `command` (stdin and stdout closed, stderr to `log`).
    ///
    /// # Panics
    /// When the log file cannot be created or the program cannot be started.
    pub fn spawn(name: &'static str, mut command: Command, log: &Path) -> Proc {
        let log = std::fs::File::create(log).expect("log file");
        command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        Proc { child, name }
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits until it exits on its own.
    pub fn wait(&mut self) {
        let _ = self.child.wait();
    }

    /// SIGTERM, then SIGKILL after `grace`.
    pub fn terminate(&mut self, grace: Duration) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status();
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        eprintln!("{} did not stop within {grace:?}; killing it", self.name);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
