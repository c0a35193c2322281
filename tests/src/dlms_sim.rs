//! `fieldbridge simulate dlms` as a child process: started on 127.0.0.1 port 0, the port it took
//! read from the line it prints, its log (stderr) kept, killed when dropped.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

/// A running DLMS simulator.
#[derive(Debug)]
pub struct DlmsSimulator {
    child: Child,
    /// The port it listens on.
    pub port: u16,
    log: Arc<Mutex<String>>,
}

impl DlmsSimulator {
    /// Starts `<binary> simulate dlms --listen 127.0.0.1:0 <args>` and waits (10 s at most) for
    /// the line that says which port it took.
    ///
    /// # Panics
    /// When the process cannot start or never says where it listens (a test harness).
    pub fn start(binary: &Path, args: &[&str]) -> DlmsSimulator {
        let mut child = Command::new(binary)
            .args(["simulate", "dlms", "--listen", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the simulator");
        let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
        let mut sim = DlmsSimulator {
            child,
            port: 0,
            log: Arc::default(),
        };
        let log = sim.log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr.expect("stderr")).lines() {
                let Ok(line) = line else { break };
                let mut log = log.lock().unwrap_or_else(|e| e.into_inner());
                log.push_str(&line);
                log.push('\n');
            }
        });
        let (lines, said) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout.expect("stdout")).lines() {
                let Ok(line) = line else { break };
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(10);
        sim.port = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok(line) = said.recv_timeout(left) else {
                panic!("the simulator did not say where it listens: {}", sim.log());
            };
            if let Some(addr) = line.strip_prefix("dlms simulator listening on ") {
                break addr.parse::<SocketAddr>().expect("an address").port();
            }
        };
        sim
    }

    /// Its log (stderr) so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl Drop for DlmsSimulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
