//! One end of a serial line for tests: a pseudo-terminal (such as an end of a [`SocatPair`]),
//! written from the test's thread and read by a thread of its own, so a sans-IO link can be
//! driven with blocking std I/O and a read timeout.
//!
//! [`SocatPair`]: crate::SocatPair

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::Path;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::Duration;

/// An open serial device. Each read of the device arrives as one chunk of bytes, split
/// wherever the kernel split it.
#[derive(Debug)]
pub struct SerialLine {
    file: File,
    chunks: Receiver<Vec<u8>>,
}

/// What [`SerialLine::read_timeout`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineRead {
    /// Bytes read.
    Bytes(Vec<u8>),
    /// Nothing within the timeout.
    Timeout,
    /// The other end is gone (a pseudo-terminal reads EIO once socat exits).
    Closed,
}

impl SerialLine {
    /// Opens `path` for reading and writing and starts its reader thread.
    ///
    /// # Errors
    /// When the device cannot be opened or its handle cloned.
    pub fn open(path: &Path) -> io::Result<Self> {
        let file = OpenOptions::new().read(true).write(true).open(path)?;
        let mut reader = file.try_clone()?;
        let (tx, chunks) = mpsc::channel();
        thread::Builder::new()
            .name(format!("serial {}", path.display()))
            .spawn(move || {
                let mut buf = [0u8; 512];
                loop {
                    match reader.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            if tx.send(buf[..n].to_vec()).is_err() {
                                break;
                            }
                        }
                    }
                }
            })?;
        Ok(Self { file, chunks })
    }

    /// Writes `bytes` at once.
    ///
    /// # Errors
    /// The device's write error.
    pub fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.file.write_all(bytes)?;
        self.file.flush()
    }

    /// The next chunk read, waiting at most `timeout`.
    pub fn read_timeout(&self, timeout: Duration) -> LineRead {
        match self.chunks.recv_timeout(timeout) {
            Ok(bytes) => LineRead::Bytes(bytes),
            Err(RecvTimeoutError::Timeout) => LineRead::Timeout,
            Err(RecvTimeoutError::Disconnected) => LineRead::Closed,
        }
    }
}
