//! The pymodbus peer: `tests/peers/modbus_server.py` over TCP or RTU.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use tempfile::TempDir;

use crate::process::Guarded;
use crate::{locate, repo_root, HarnessError, Peer};

/// What the pymodbus server serves (see `tests/peers/modbus_server.py`). Every profile serves
/// unit ids 1 and 2, each with its own copy of the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModbusProfile {
    /// The fixed map of `tests/peers/modbus_map.json` ([`crate::ModbusMap`]): holding
    /// registers 0..128, input registers 0..16, coils 0..16, discrete inputs 0..16; one past
    /// the end answers exception 2.
    Map,
    /// Holding and input registers 0..10000 holding their own address; coils and discrete
    /// inputs 0..2000 on when the address is a multiple of 3.
    Ramp,
}

impl ModbusProfile {
    /// The profile's name on the server's command line.
    pub fn as_arg(self) -> &'static str {
        match self {
            ModbusProfile::Map => "map",
            ModbusProfile::Ramp => "ramp",
        }
    }
}

#[derive(Debug, Clone)]
enum Endpoint {
    Tcp(u16),
    Rtu(PathBuf),
}

/// A running pymodbus server (the virtualenv's python, see [`crate::python`]); killed on drop.
///
/// The server prints `ready` once it listens; for TCP the harness also waits until the port
/// accepts connections.
#[derive(Debug)]
pub struct PyModbusServer {
    // killed before its folder is removed: fields drop in order
    process: Option<Guarded>,
    endpoint: Endpoint,
    profile: ModbusProfile,
    python: PathBuf,
    dir: TempDir,
}

impl PyModbusServer {
    /// Serve Modbus TCP on 127.0.0.1:`port`.
    ///
    /// # Panics
    /// When the python peer is missing or the server does not become ready; the message has
    /// the server's log.
    pub fn start_tcp(port: u16, profile: ModbusProfile) -> PyModbusServer {
        Self::try_start(Endpoint::Tcp(port), profile).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Serve Modbus RTU (19200 8N1) on the serial device `tty`, such as one end of a
    /// [`crate::SocatPair`].
    ///
    /// # Panics
    /// As [`PyModbusServer::start_tcp`].
    pub fn start_rtu(tty: impl AsRef<Path>, profile: ModbusProfile) -> PyModbusServer {
        let tty = tty.as_ref().to_path_buf();
        Self::try_start(Endpoint::Rtu(tty), profile).unwrap_or_else(|e| panic!("{e}"))
    }

    fn try_start(
        endpoint: Endpoint,
        profile: ModbusProfile,
    ) -> Result<PyModbusServer, HarnessError> {
        let python = locate(Peer::PyModbus)?;
        let dir = tempfile::Builder::new().prefix("fb-pymodbus-").tempdir()?;
        let mut server = PyModbusServer {
            endpoint,
            profile,
            python,
            dir,
            process: None,
        };
        server.spawn()?;
        Ok(server)
    }

    fn spawn(&mut self) -> Result<(), HarnessError> {
        let log_path = self.dir.path().join("modbus_server.log");
        let log = File::options().create(true).append(true).open(&log_path)?;
        let mut command = Command::new(&self.python);
        command
            .arg("-u")
            .arg(Self::script())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log);
        let what = match &self.endpoint {
            Endpoint::Tcp(port) => {
                command.args(["tcp", &port.to_string()]);
                format!("pymodbus TCP server on port {port}")
            }
            Endpoint::Rtu(tty) => {
                command.arg("rtu").arg(tty);
                format!("pymodbus RTU server on {}", tty.display())
            }
        };
        command.args(["--profile", self.profile.as_arg()]);
        let mut process = Guarded::spawn(command, what, &log_path)?;
        process.wait_for_line("ready")?;
        if let Endpoint::Tcp(port) = self.endpoint {
            process.wait_for_port(port)?;
        }
        self.process = Some(process);
        Ok(())
    }

    /// The server script, `tests/peers/modbus_server.py`.
    pub fn script() -> PathBuf {
        repo_root().join("tests/peers/modbus_server.py")
    }

    /// The TCP port, for a TCP server.
    pub fn port(&self) -> Option<u16> {
        match self.endpoint {
            Endpoint::Tcp(port) => Some(port),
            Endpoint::Rtu(_) => None,
        }
    }

    /// The serial device, for an RTU server.
    pub fn tty(&self) -> Option<&Path> {
        match &self.endpoint {
            Endpoint::Tcp(_) => None,
            Endpoint::Rtu(tty) => Some(tty),
        }
    }

    /// The profile served.
    pub fn profile(&self) -> ModbusProfile {
        self.profile
    }

    /// Everything the server wrote on stderr so far, across restarts.
    pub fn log(&self) -> String {
        self.process.as_ref().map(Guarded::log).unwrap_or_else(|| {
            std::fs::read_to_string(self.dir.path().join("modbus_server.log")).unwrap_or_default()
        })
    }

    /// Whether the server process is alive.
    pub fn is_running(&mut self) -> bool {
        self.process.as_mut().is_some_and(Guarded::is_running)
    }

    /// Kill the server (SIGKILL); open connections are reset. Registers written by clients are
    /// lost: a restart serves the profile's initial values again.
    pub fn kill(&mut self) {
        if let Some(mut p) = self.process.take() {
            p.kill();
        }
    }

    /// Kill the server if it runs, then start it again on the same port or device.
    ///
    /// # Panics
    /// When it does not come back.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn().unwrap_or_else(|e| panic!("{e}"));
    }
}
