//! A pair of linked pseudo-terminals from socat: a null-modem cable for serial tests.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use tempfile::TempDir;

use crate::process::Guarded;
use crate::{locate, HarnessError, Peer};

/// `socat -d -d pty,raw,echo=0,link=DIR/ttyA pty,raw,echo=0,link=DIR/ttyB`: what is written to
/// [`SocatPair::a`] is read from [`SocatPair::b`] and the other way round. Killed on drop.
#[derive(Debug)]
pub struct SocatPair {
    // killed before its folder is removed: fields drop in order
    process: Guarded,
    dir: TempDir,
    a: PathBuf,
    b: PathBuf,
}

impl SocatPair {
    /// Start socat and wait until both links exist.
    ///
    /// # Panics
    /// When socat is missing or does not create the links; the message has its log.
    pub fn start() -> SocatPair {
        Self::try_start().unwrap_or_else(|e| panic!("{e}"))
    }

    /// Start socat, returning errors instead of panicking.
    pub fn try_start() -> Result<SocatPair, HarnessError> {
        let socat = locate(Peer::Socat)?;
        let dir = tempfile::Builder::new().prefix("fb-socat-").tempdir()?;
        let a = dir.path().join("ttyA");
        let b = dir.path().join("ttyB");
        let log_path = dir.path().join("socat.log");
        let log = File::create(&log_path)?;
        let mut command = Command::new(socat);
        command
            .args(["-d", "-d"])
            .arg(format!("pty,raw,echo=0,link={}", a.display()))
            .arg(format!("pty,raw,echo=0,link={}", b.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        let mut process = Guarded::spawn(command, "socat pty pair".into(), &log_path)?;
        process.wait_for_paths(&[&a, &b])?;
        Ok(SocatPair { dir, a, b, process })
    }

    /// One end (`DIR/ttyA`, a symlink to a `/dev/pts/N`).
    pub fn a(&self) -> &Path {
        &self.a
    }

    /// The other end (`DIR/ttyB`).
    pub fn b(&self) -> &Path {
        &self.b
    }

    /// The folder holding the links.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Whether socat is alive.
    pub fn is_running(&mut self) -> bool {
        self.process.is_running()
    }

    /// socat's log (`-d -d`: the pty names and transfer events).
    pub fn log(&self) -> String {
        self.process.log()
    }
}

/// `socat -d -d pty,raw,echo=0,ignoreeof,link=DIR/tty tcp:127.0.0.1:PORT`: a serial port whose
/// far end is a TCP server, as a meter behind a terminal server looks from the other side. The
/// pseudo-terminal outlives its users opening and closing it (`ignoreeof`). Killed on drop.
#[derive(Debug)]
pub struct SocatPtyToTcp {
    process: Guarded,
    dir: TempDir,
    tty: PathBuf,
}

impl SocatPtyToTcp {
    /// Starts socat and waits until the link exists.
    ///
    /// # Panics
    /// When socat is missing or does not create the link; the message has its log.
    pub fn start(port: u16) -> SocatPtyToTcp {
        Self::try_start(port).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Starts socat, returning errors instead of panicking.
    pub fn try_start(port: u16) -> Result<SocatPtyToTcp, HarnessError> {
        let socat = locate(Peer::Socat)?;
        let dir = tempfile::Builder::new().prefix("fb-socat-").tempdir()?;
        let tty = dir.path().join("tty");
        let log_path = dir.path().join("socat.log");
        let log = File::create(&log_path)?;
        let mut command = Command::new(socat);
        command
            .args(["-d", "-d"])
            .arg(format!("pty,raw,echo=0,ignoreeof,link={}", tty.display()))
            .arg(format!("tcp:127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        let mut process = Guarded::spawn(command, "socat pty to tcp".into(), &log_path)?;
        process.wait_for_paths(&[&tty])?;
        Ok(SocatPtyToTcp { process, dir, tty })
    }

    /// The serial port (`DIR/tty`, a symlink to a `/dev/pts/N`).
    pub fn tty(&self) -> &Path {
        &self.tty
    }

    /// The folder holding the link.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// socat's log.
    pub fn log(&self) -> String {
        self.process.log()
    }
}
