//! The pymodbus peer: `tests/peers/modbus_server.py` over TCP, RTU over TCP, RTU or ASCII, and
//! as a gateway with units that do not answer.

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
    RtuOverTcp(u16),
    Rtu(PathBuf),
    Ascii(PathBuf),
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
    /// More arguments of the script (`--units`, `--dead`).
    args: Vec<String>,
    /// Connections the harness itself opened (to see the port open).
    own_connections: usize,
    dir: TempDir,
}

impl PyModbusServer {
    /// Serve Modbus TCP on 127.0.0.1:`port`.
    ///
    /// # Panics
    /// When the python peer is missing or the server does not become ready; the message has
    /// the server's log.
    pub fn start_tcp(port: u16, profile: ModbusProfile) -> PyModbusServer {
        Self::try_start(Endpoint::Tcp(port), profile, Vec::new()).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Serve Modbus RTU (19200 8N1) on the serial device `tty`, such as one end of a
    /// [`crate::SocatPair`].
    ///
    /// # Panics
    /// As [`PyModbusServer::start_tcp`].
    pub fn start_rtu(tty: impl AsRef<Path>, profile: ModbusProfile) -> PyModbusServer {
        let tty = tty.as_ref().to_path_buf();
        Self::try_start(Endpoint::Rtu(tty), profile, Vec::new()).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Serve RTU frames (CRC, no MBAP header) on TCP 127.0.0.1:`port`, as a serial gateway in
    /// transparent mode does.
    ///
    /// # Panics
    /// As [`PyModbusServer::start_tcp`].
    pub fn start_rtu_over_tcp(port: u16, profile: ModbusProfile) -> PyModbusServer {
        Self::try_start(Endpoint::RtuOverTcp(port), profile, Vec::new())
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Serve Modbus ASCII (19200 8N1) on the serial device `tty`.
    ///
    /// # Panics
    /// As [`PyModbusServer::start_tcp`].
    pub fn start_ascii(tty: impl AsRef<Path>, profile: ModbusProfile) -> PyModbusServer {
        let tty = tty.as_ref().to_path_buf();
        Self::try_start(Endpoint::Ascii(tty), profile, Vec::new()).unwrap_or_else(|e| panic!("{e}"))
    }

    /// A dead unit answers exception 0x0B, GATEWAY TARGET DEVICE FAILED TO RESPOND.
    pub const DEAD_EXCEPTION: &'static str = "exception";
    /// A dead unit answers nothing at all.
    pub const DEAD_SILENT: &'static str = "silent";

    /// A Modbus TCP gateway on 127.0.0.1:`port` serving `units` (each its own copy of the
    /// profile), where the units of `dead` never answer, as [`PyModbusServer::DEAD_EXCEPTION`]
    /// or [`PyModbusServer::DEAD_SILENT`] say. [`PyModbusServer::set_dead`]
    /// kills and revives units while it runs; [`PyModbusServer::connections`] counts the TCP
    /// connections clients opened.
    ///
    /// # Panics
    /// As [`PyModbusServer::start_tcp`].
    pub fn start_gateway(
        port: u16,
        profile: ModbusProfile,
        units: &[u8],
        dead: &[(u8, &str)],
    ) -> PyModbusServer {
        let units: Vec<String> = units.iter().map(u8::to_string).collect();
        let mut args = vec!["--units".to_owned(), units.join(",")];
        for (unit, how) in dead {
            args.push("--dead".to_owned());
            args.push(format!("{unit}:{how}"));
        }
        Self::try_start(Endpoint::Tcp(port), profile, args).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Makes `unit` dead (answering as `how`, [`PyModbusServer::DEAD_EXCEPTION`] or
    /// [`PyModbusServer::DEAD_SILENT`]) from its next answer on, or alive again with `None`.
    /// Units dead from the start stay dead.
    ///
    /// # Panics
    /// When `how` is neither, or the control file cannot be written.
    pub fn set_dead(&self, unit: u8, how: Option<&str>) {
        assert!(
            how.is_none_or(|h| h == Self::DEAD_EXCEPTION || h == Self::DEAD_SILENT),
            "a dead unit answers \"exception\" or \"silent\", not {how:?}"
        );
        let path = self.control_path();
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let mut lines: Vec<String> = text
            .lines()
            .filter(|l| l.split_whitespace().next() != Some(unit.to_string().as_str()))
            .map(str::to_owned)
            .collect();
        if let Some(how) = how {
            lines.push(format!("{unit} {how}"));
        }
        let tmp = self.dir.path().join("control.tmp");
        std::fs::write(&tmp, lines.join("\n") + "\n").expect("write the gateway's control file");
        std::fs::rename(&tmp, &path).expect("replace the gateway's control file");
    }

    /// How many TCP connections clients opened to the server since it first started (across
    /// restarts), not counting those the harness opened to see it listen.
    pub fn connections(&self) -> usize {
        self.all_connections().saturating_sub(self.own_connections)
    }

    fn all_connections(&self) -> usize {
        std::fs::read_to_string(self.events_path())
            .unwrap_or_default()
            .lines()
            .filter(|l| *l == "connect")
            .count()
    }

    fn control_path(&self) -> PathBuf {
        self.dir.path().join("control")
    }

    fn events_path(&self) -> PathBuf {
        self.dir.path().join("events")
    }

    fn try_start(
        endpoint: Endpoint,
        profile: ModbusProfile,
        args: Vec<String>,
    ) -> Result<PyModbusServer, HarnessError> {
        let python = locate(Peer::PyModbus)?;
        let dir = tempfile::Builder::new().prefix("fb-pymodbus-").tempdir()?;
        let mut server = PyModbusServer {
            endpoint,
            profile,
            python,
            args,
            own_connections: 0,
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
            Endpoint::RtuOverTcp(port) => {
                command.args(["tcp", &port.to_string(), "--framer", "rtu"]);
                format!("pymodbus RTU-over-TCP server on port {port}")
            }
            Endpoint::Rtu(tty) => {
                command.arg("rtu").arg(tty);
                format!("pymodbus RTU server on {}", tty.display())
            }
            Endpoint::Ascii(tty) => {
                command.arg("ascii").arg(tty);
                format!("pymodbus ASCII server on {}", tty.display())
            }
        };
        command.args(["--profile", self.profile.as_arg()]);
        command.arg("--control").arg(self.control_path());
        command.arg("--events").arg(self.events_path());
        command.args(&self.args);
        let mut process = Guarded::spawn(command, what, &log_path)?;
        process.wait_for_line("ready")?;
        if let Endpoint::Tcp(port) | Endpoint::RtuOverTcp(port) = self.endpoint {
            let before = self.all_connections();
            process.wait_for_port(port)?;
            // The probe's own connection, once the server has noted it.
            let noted = std::time::Instant::now() + std::time::Duration::from_secs(2);
            while self.all_connections() == before && std::time::Instant::now() < noted {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            self.own_connections += self.all_connections() - before;
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
            Endpoint::Tcp(port) | Endpoint::RtuOverTcp(port) => Some(port),
            Endpoint::Rtu(_) | Endpoint::Ascii(_) => None,
        }
    }

    /// The serial device, for an RTU server.
    pub fn tty(&self) -> Option<&Path> {
        match &self.endpoint {
            Endpoint::Tcp(_) | Endpoint::RtuOverTcp(_) => None,
            Endpoint::Rtu(tty) | Endpoint::Ascii(tty) => Some(tty),
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
