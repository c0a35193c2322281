//! A mosquitto broker of a test's own.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use tempfile::TempDir;

use crate::process::Guarded;
use crate::{free_port, locate, HarnessError, Peer};

/// A mosquitto broker on a free 127.0.0.1 port, with its own configuration file in a
/// temporary folder; killed when dropped.
///
/// The configuration is `listener PORT 127.0.0.1`, `allow_anonymous true`, `log_dest stderr`
/// (unbuffered, unlike stdout) and `max_queued_messages 0` (no limit: the default of 1000
/// silently drops messages queued for an absent persistent subscriber), plus any extra lines
/// given to [`Mosquitto::start_with`]. No persistence is configured, so the broker keeps
/// running as root; a test that adds `persistence true` must make its folder writable by the
/// user `mosquitto`.
#[derive(Debug)]
pub struct Mosquitto {
    // killed before its folder is removed: fields drop in order
    process: Option<Guarded>,
    port: u16,
    binary: PathBuf,
    dir: TempDir,
}

impl Mosquitto {
    /// Start a broker and wait until its port accepts connections.
    ///
    /// # Panics
    /// When mosquitto is not installed or does not start; the message has its log.
    pub fn start() -> Mosquitto {
        Self::try_start_with("").unwrap_or_else(|e| panic!("{e}"))
    }

    /// Start a broker whose configuration file also has `extra` (whole lines).
    ///
    /// # Panics
    /// As [`Mosquitto::start`].
    pub fn start_with(extra: &str) -> Mosquitto {
        Self::try_start_with(extra).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Start a broker with extra configuration lines, returning errors instead of panicking.
    pub fn try_start_with(extra: &str) -> Result<Mosquitto, HarnessError> {
        let binary = locate(Peer::Mosquitto)?;
        let dir = tempfile::Builder::new().prefix("fb-mosquitto-").tempdir()?;
        let port = free_port();
        let config = format!(
            "listener {port} 127.0.0.1\nallow_anonymous true\nlog_dest stderr\n\
             log_type all\nmax_queued_messages 0\n{extra}\n"
        );
        std::fs::write(dir.path().join("mosquitto.conf"), config)?;
        let mut broker = Mosquitto {
            port,
            binary,
            dir,
            process: None,
        };
        broker.spawn()?;
        Ok(broker)
    }

    fn spawn(&mut self) -> Result<(), HarnessError> {
        let log_path = self.dir.path().join("mosquitto.log");
        let log = File::options().create(true).append(true).open(&log_path)?;
        let mut command = Command::new(&self.binary);
        command
            .arg("-c")
            .arg(self.config_path())
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        let mut process = Guarded::spawn(
            command,
            format!("mosquitto on port {}", self.port),
            &log_path,
        )?;
        process.wait_for_port(self.port)?;
        self.process = Some(process);
        Ok(())
    }

    /// The broker's TCP port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The broker's address as `mqtt://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("mqtt://127.0.0.1:{}", self.port)
    }

    /// The configuration file in use.
    pub fn config_path(&self) -> PathBuf {
        self.dir.path().join("mosquitto.conf")
    }

    /// The broker's temporary folder (configuration, log), removed on drop.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Everything the broker logged so far, across restarts.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("mosquitto.log")).unwrap_or_default()
    }

    /// Whether the broker process is alive.
    pub fn is_running(&mut self) -> bool {
        self.process.as_mut().is_some_and(Guarded::is_running)
    }

    /// A broker that keeps its sessions and queued messages on disk across a stop
    /// ([`Mosquitto::stop`]): `persistence true` in a folder the `mosquitto` user may write (it
    /// drops root), saved every second and on a clean exit.
    pub fn start_persistent() -> Mosquitto {
        let dir = tempfile::Builder::new()
            .prefix("fb-mosquitto-db-")
            .tempdir()
            .unwrap_or_else(|e| panic!("{e}"));
        let db = dir.keep();
        let _ = Command::new("chown").arg("mosquitto:").arg(&db).status();
        Mosquitto::start_with(&format!(
            "persistence true\npersistence_location {}/\nautosave_interval 1\n",
            db.display()
        ))
    }

    /// Stop the broker cleanly (SIGTERM): with persistence it saves what it holds, so nothing it
    /// acknowledged is lost; the port stays reserved for [`Mosquitto::restart`].
    pub fn stop(&mut self) {
        if let Some(mut p) = self.process.take() {
            p.terminate();
        }
    }

    /// Kill the broker (SIGKILL, as a crash would); the port stays reserved for
    /// [`Mosquitto::restart`].
    pub fn kill(&mut self) {
        if let Some(mut p) = self.process.take() {
            p.kill();
        }
    }

    /// Kill the broker if it runs, then start it again on the same port and configuration and
    /// wait until it accepts connections.
    ///
    /// # Panics
    /// When it does not come back.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn().unwrap_or_else(|e| panic!("{e}"));
    }
}
