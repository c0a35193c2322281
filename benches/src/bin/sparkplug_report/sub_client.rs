//! The report's end of the subscriber process: it starts `sparkplug_report --subscriber PORT`
//! (on the broker's core with `--pin`) and asks it for its totals, one command line out and one
//! JSON line back ([`crate::subscriber`] is the other end).

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::pinning::command_on;
use crate::subscriber::{from_hex, Counts, Format};

#[derive(Debug)]
struct Pipes {
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

/// The subscriber child process, killed on drop.
#[derive(Debug)]
pub(crate) struct SubscriberProc {
    child: Child,
    pipes: Mutex<Pipes>,
}

impl SubscriberProc {
    /// Starts the subscriber of the broker on loopback `port`, on `cpu` when given, its stderr in
    /// `log`; returns once it has its SUBACKs.
    ///
    /// # Panics
    /// When it cannot be started or does not say `ready` (it gives up after 10 s without SUBACK).
    pub(crate) fn start(port: u16, cpu: Option<u32>, log: &Path) -> SubscriberProc {
        let me = std::env::current_exe().expect("the report's own path");
        let mut command = command_on(cpu, &me);
        command
            .args(["--subscriber", &port.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(log).expect("subscriber log file"));
        let mut child = command.spawn().expect("start the subscriber process");
        let stdin = child.stdin.take().expect("subscriber stdin");
        let stdout = BufReader::new(child.stdout.take().expect("subscriber stdout"));
        let sub = SubscriberProc {
            child,
            pipes: Mutex::new(Pipes { stdin, stdout }),
        };
        let mut line = String::new();
        let _ = sub.lock().stdout.read_line(&mut line);
        assert!(
            line.trim() == "\"ready\"",
            "the subscriber did not start ({line:?}); its log:\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        sub
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    fn lock(&self) -> MutexGuard<'_, Pipes> {
        self.pipes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Sends one command and reads its answer.
    ///
    /// # Panics
    /// When the subscriber is gone or answers something that is not JSON.
    fn ask(&self, command: &str) -> Value {
        let mut pipes = self.lock();
        writeln!(pipes.stdin, "{command}")
            .and_then(|()| pipes.stdin.flush())
            .expect("the subscriber process is gone");
        let mut line = String::new();
        let n = pipes
            .stdout
            .read_line(&mut line)
            .expect("read the subscriber's answer");
        assert!(n > 0, "the subscriber process ended");
        serde_json::from_str(&line).expect("the subscriber answers JSON")
    }

    /// Its running totals.
    pub(crate) fn snapshot(&self) -> Counts {
        Counts::from_json(&self.ask("counts"))
    }

    /// Forgets the first arrival: the next sample message sets it again.
    pub(crate) fn mark(&self) {
        self.ask("mark");
    }

    /// Starts keeping the next `limit` sample messages of `format`.
    pub(crate) fn start_capture(&self, format: Format, limit: usize) {
        let format = match format {
            Format::Json => "json",
            Format::Sparkplug => "sparkplug",
        };
        self.ask(&format!("capture {format} {limit}"));
    }

    /// Stops keeping payloads; returns those kept (topic and payload).
    pub(crate) fn take_capture(&self) -> Vec<(String, Vec<u8>)> {
        let Value::Array(items) = self.ask("take") else {
            return Vec::new();
        };
        items
            .iter()
            .filter_map(|item| {
                let topic = item.get(0)?.as_str()?.to_owned();
                let payload = from_hex(item.get(1)?.as_str()?)?;
                Some((topic, payload))
            })
            .collect()
    }

    /// Waits until no message at all arrived for `quiet`.
    pub(crate) async fn wait_quiet(&self, quiet: Duration) {
        let all = || self.ask("all").as_u64().unwrap_or(0);
        let mut last = all();
        let mut since = Instant::now();
        loop {
            tokio::time::sleep(Duration::from_millis(50)).await;
            let now = all();
            if now != last {
                last = now;
                since = Instant::now();
            } else if since.elapsed() >= quiet {
                return;
            }
        }
    }

    /// Tells it to stop (the broker going away is then expected) and waits for it.
    pub(crate) fn stop(mut self) {
        {
            let mut pipes = self.lock();
            let _ = writeln!(pipes.stdin, "stop").and_then(|()| pipes.stdin.flush());
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for SubscriberProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
