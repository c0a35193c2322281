//! Field-to-broker latency measured where the broker receives: `dumpcap` (Wireshark's capture
//! program, installed with tshark) on the loopback interface records every segment sent to the
//! broker's port during the window, and `tshark` (Wireshark's MQTT dissector, with TCP
//! reassembly) names the PUBLISHes in them. A sample's
//! arrival at the broker is the capture time of the segment that completed its PUBLISH: the
//! moment its last byte reached the broker's socket, before the broker's own work and its hop to
//! the subscriber.
//!
//! Both tools are optional: without them (or when the capture fails) the report says so and
//! gives the subscriber's figure alone.

use std::io;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A PUBLISH of a spontaneous sample seen reaching the broker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AtBroker {
    pub(crate) link: u32,
    pub(crate) count: u64,
    /// Capture time, unix microseconds.
    pub(crate) unix_us: i64,
}

/// A running capture.
#[derive(Debug)]
pub(crate) struct Capture {
    child: Child,
    file: PathBuf,
    port: u16,
}

impl Capture {
    /// Starts `dumpcap` on `lo` for segments to `port`, written to `dir/broker.pcapng`; returns
    /// once it has opened its file.
    pub(crate) fn start(dir: &Path, port: u16) -> io::Result<Capture> {
        let file = dir.join("broker.pcapng");
        let child = Command::new("dumpcap")
            .args(["-q", "-i", "lo", "-f"])
            .arg(format!("tcp dst port {port}"))
            .arg("-w")
            .arg(&file)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let capture = Capture { child, file, port };
        for _ in 0..100 {
            if capture.file.exists() {
                // The file exists a moment before the filter is attached.
                std::thread::sleep(Duration::from_millis(200));
                return Ok(capture);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(io::Error::other("dumpcap did not open its file within 2 s"))
    }

    /// Stops the capture (SIGINT, so that dumpcap writes out what it holds).
    pub(crate) fn stop(&mut self) -> io::Result<()> {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-INT", &pid]).status();
        self.child.wait().map(|_| ())
    }

    /// Decodes the stopped capture (slow: run it after the measurement).
    pub(crate) fn decode(&self) -> io::Result<Vec<AtBroker>> {
        let out = Command::new("tshark")
            .args(["-n", "-r"])
            .arg(&self.file)
            // The broker listens on a free port, not 1883: say it is MQTT.
            .arg("-d")
            .arg(format!("tcp.port=={},mqtt", self.port))
            .args([
                "-o",
                "tcp.desegment_tcp_streams:TRUE",
                "-Y",
                "mqtt.msgtype == 3",
                "-T",
                "fields",
                "-E",
                "separator=/t",
                "-E",
                "occurrence=a",
                "-E",
                "aggregator=;",
                "-e",
                "frame.time_epoch",
                "-e",
                "mqtt.topic",
                "-e",
                "mqtt.msg",
            ])
            .stderr(Stdio::null())
            .output()?;
        if !out.status.success() {
            return Err(io::Error::other(format!("tshark failed: {}", out.status)));
        }
        Ok(parse(&String::from_utf8_lossy(&out.stdout)))
    }
}

/// The spontaneous samples in tshark's lines: `epoch<TAB>topic;topic..<TAB>hex;hex..`.
pub(crate) fn parse(text: &str) -> Vec<AtBroker> {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut fields = line.split('\t');
        let (Some(epoch), Some(topics), Some(payloads)) =
            (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        let Some(unix_us) = epoch_us(epoch) else {
            continue;
        };
        for (topic, payload) in topics.split(';').zip(payloads.split(';')) {
            let Some(link) = super::subscriber::link_of(topic) else {
                continue;
            };
            let Some(json) = unhex(payload) else { continue };
            let Ok(value) = serde_json::from_slice::<serde_json::Value>(&json) else {
                continue;
            };
            if value["source"]["cot"].as_u64() != Some(3) {
                continue;
            }
            let Some(count) = value["value"].as_f64().filter(|v| *v >= 0.0) else {
                continue;
            };
            out.push(AtBroker {
                link,
                count: count as u64,
                unix_us,
            });
        }
    }
    out
}

/// `1796629210.123456789` as unix microseconds.
fn epoch_us(text: &str) -> Option<i64> {
    let (secs, frac) = text.split_once('.').unwrap_or((text, "0"));
    let secs: i64 = secs.parse().ok()?;
    let micros: String = frac.chars().chain(std::iter::repeat('0')).take(6).collect();
    Some(secs * 1_000_000 + micros.parse::<i64>().ok()?)
}

/// Hex digits (tshark's bytes fields, with or without `:` between octets) as bytes.
fn unhex(text: &str) -> Option<Vec<u8>> {
    let digits: Vec<u8> = text.bytes().filter(|b| *b != b':').collect();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    digits
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tshark_lines_become_samples_at_the_broker() {
        let payload = r#"{"value":7,"source":{"cot":3}}"#;
        let gi = r#"{"value":1,"source":{"cot":20}}"#;
        let hex = |s: &str| s.bytes().map(|b| format!("{b:02x}")).collect::<String>();
        let text = format!(
            "1796629210.123456789\tfieldbridge/bench/rtu0042/p\t{}\n\
             1796629210.5\tfieldbridge/bench/rtu0001/p;fieldbridge/bench/rtu0002/p\t{};{}\n\
             garbage\n",
            hex(payload),
            hex(gi),
            hex(payload)
        );
        assert_eq!(
            parse(&text),
            vec![
                AtBroker {
                    link: 42,
                    count: 7,
                    unix_us: 1_796_629_210_123_456
                },
                AtBroker {
                    link: 2,
                    count: 7,
                    unix_us: 1_796_629_210_500_000
                }
            ]
        );
    }
}
