//! Finding the peers: which are installed, and where.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::HarnessError;

/// A program from outside the project that tests talk to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Peer {
    /// The mosquitto broker (Debian package `mosquitto`).
    Mosquitto,
    /// `mosquitto_pub` (Debian package `mosquitto-clients`).
    MosquittoPub,
    /// `mosquitto_sub` (Debian package `mosquitto-clients`).
    MosquittoSub,
    /// `socat` (Debian package `socat`).
    Socat,
    /// `tshark` (Debian package `tshark`).
    Tshark,
    /// The virtualenv's python with pymodbus, pyserial and paho-mqtt importable.
    PyModbus,
}

impl Peer {
    /// Every peer, for a check that the machine is complete.
    pub const ALL: [Peer; 6] = [
        Peer::Mosquitto,
        Peer::MosquittoPub,
        Peer::MosquittoSub,
        Peer::Socat,
        Peer::Tshark,
        Peer::PyModbus,
    ];

    /// The peer's name as used in messages.
    pub fn name(self) -> &'static str {
        match self {
            Peer::Mosquitto => "mosquitto",
            Peer::MosquittoPub => "mosquitto_pub",
            Peer::MosquittoSub => "mosquitto_sub",
            Peer::Socat => "socat",
            Peer::Tshark => "tshark",
            Peer::PyModbus => "pymodbus (python virtualenv)",
        }
    }
}

/// The repository's root folder (the parent of the `tests` crate).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate lives inside the repository")
        .to_path_buf()
}

/// The python interpreter of the peers: `$FIELDBRIDGE_PYTHON`, else `.venv/bin/python` at the
/// repository root. The path is returned whether or not it exists; see [`locate`].
pub fn python() -> PathBuf {
    match std::env::var_os("FIELDBRIDGE_PYTHON") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => repo_root().join(".venv/bin/python"),
    }
}

/// Where a peer is installed, or why it is not usable.
///
/// Programs are looked for in `/usr/sbin`, `/usr/bin` and then `PATH`; for
/// [`Peer::PyModbus`] the [`python`] interpreter must import `pymodbus`, `serial` and
/// `paho.mqtt` and the path of the interpreter is returned.
pub fn locate(peer: Peer) -> Result<PathBuf, HarnessError> {
    match peer {
        Peer::Mosquitto => find_program("mosquitto"),
        Peer::MosquittoPub => find_program("mosquitto_pub"),
        Peer::MosquittoSub => find_program("mosquitto_sub"),
        Peer::Socat => find_program("socat"),
        Peer::Tshark => find_program("tshark"),
        Peer::PyModbus => {
            let python = python();
            let ok = Command::new(&python)
                .args(["-c", "import pymodbus, serial, paho.mqtt"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            if ok {
                Ok(python)
            } else {
                Err(HarnessError::MissingPeer {
                    peer: peer.name(),
                    hint: format!(
                        "{} cannot import pymodbus, serial and paho.mqtt \
                         (set FIELDBRIDGE_PYTHON or create .venv)",
                        python.display()
                    ),
                })
            }
        }
    }
}

/// Like [`locate`], but panics with a clear message when the peer is missing, so that a test
/// which needs it fails instead of passing silently.
///
/// # Panics
/// When the peer is not installed.
pub fn require(peer: Peer) -> PathBuf {
    match locate(peer) {
        Ok(path) => path,
        Err(err) => panic!("{err}"),
    }
}

pub(crate) fn find_program(name: &'static str) -> Result<PathBuf, HarnessError> {
    let mut dirs: Vec<PathBuf> = vec!["/usr/sbin".into(), "/usr/bin".into()];
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    dirs.iter()
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| HarnessError::MissingPeer {
            peer: name,
            hint: "not in /usr/sbin, /usr/bin or PATH".into(),
        })
}
