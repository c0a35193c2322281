//! `fieldbridge simulate iec101` checked by a controlling station nobody here wrote:
//! lib60870-C's CS101 master (`cs101_master` of tests/peers/lib60870, built by
//! `scripts/build-lib60870`) over a socat pty pair, unbalanced with two link addresses on one
//! line and balanced. It interrogates each station, synchronizes its clock and operates the
//! single command at IOA 1001 with select-before-operate; an execute without select is refused.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use fieldbridge_sim::iec104::{Kind, POINTS};
use fieldbridge_tests::{repo_root, SocatPair};

/// The simulator process, killed on drop.
struct Simulator(Child);

impl Drop for Simulator {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `fieldbridge simulate iec101 --serial TTY ARGS` and waits until it opened the line.
fn simulator(tty: &Path, args: &[&str]) -> Simulator {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fieldbridge"))
        .args(["simulate", "iec101", "--serial"])
        .arg(tty)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the simulator");
    let stderr = child.stderr.take().expect("piped stderr");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut log = Vec::new();
    loop {
        match rx.recv_timeout(Duration::from_secs(10)) {
            Ok(line) if line.contains("iec101 simulator on the serial line") => break,
            Ok(line) => log.push(line),
            Err(_) => panic!("the simulator did not open {}: {log:#?}", tty.display()),
        }
    }
    // Keep draining its log so that it never blocks on a full pipe.
    std::thread::spawn(move || while rx.recv().is_ok() {});
    Simulator(child)
}

/// lib60870's `cs101_master`; fails naming the build script when missing.
fn cs101_master() -> PathBuf {
    let dir = std::env::var_os("FIELDBRIDGE_LIB60870_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target/lib60870"));
    let path = dir.join("bin/cs101_master");
    assert!(
        path.is_file(),
        "{} is missing: run scripts/build-lib60870 (scripts/install-peers runs it too)",
        path.display()
    );
    path
}

/// Runs `cs101_master --device TTY ARGS` until it exits (by `--count`, or
/// `--exit-when-complete`; 30 s at most); returns its stdout lines.
fn run_master(tty: &Path, args: &[&str]) -> Vec<String> {
    let out = Command::new(cs101_master())
        .arg("--device")
        .arg(tty)
        .args(args)
        .args(["--duration-ms", "30000"])
        .stdin(Stdio::null())
        .output()
        .expect("run cs101_master");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "cs101_master failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout.lines().map(str::to_owned).collect()
}

/// The `asdu` lines of link `link`, as (type, cot, pn, ca, objects).
fn asdus(lines: &[String], link: u16) -> Vec<(u8, u8, u8, u16, Vec<String>)> {
    let prefix = format!("asdu link={link} ");
    lines
        .iter()
        .filter(|l| l.starts_with(&prefix))
        .map(|l| {
            let field = |key: &str| -> String {
                l.split(' ')
                    .find_map(|t| t.strip_prefix(key))
                    .unwrap_or_else(|| panic!("no {key} in {l}"))
                    .to_owned()
            };
            let objects = l.split(' ').skip(10).map(str::to_owned).collect::<Vec<_>>();
            (
                field("type=").parse().unwrap(),
                field("cot=").parse().unwrap(),
                field("pn=").parse().unwrap(),
                field("ca=").parse().unwrap(),
                objects,
            )
        })
        .collect()
}

/// Checks what the master printed for the station at link `link` with common address `ca`,
/// and that it received at least `changes` spontaneous changes.
fn check_station(lines: &[String], link: u16, ca: u16, changes: usize) {
    let text = lines.join("\n");
    assert!(
        lines.iter().any(|l| *l == format!("complete link={link}")),
        "link {link} not complete:\n{text}"
    );
    let got = asdus(lines, link);
    for (.., asdu_ca, _) in &got {
        assert_eq!(*asdu_ca, ca, "{text}");
    }
    // End of initialization comes first.
    assert_eq!(
        (got[0].0, got[0].1, got[0].2),
        (70, 4, 0),
        "end of initialization first:\n{text}"
    );
    let shapes: Vec<(u8, u8, u8)> = got.iter().map(|a| (a.0, a.1, a.2)).collect();
    let position = |shape: (u8, u8, u8)| {
        shapes
            .iter()
            .position(|s| *s == shape)
            .unwrap_or_else(|| panic!("no {shape:?} from link {link}:\n{text}"))
    };
    // Interrogation: actcon, the points in their untagged types with COT 20, actterm.
    let (actcon, actterm) = (position((100, 7, 0)), position((100, 10, 0)));
    assert!(actcon < actterm);
    let answered: BTreeSet<u8> = got.iter().filter(|a| a.1 == 20).map(|a| a.0).collect();
    assert_eq!(answered, BTreeSet::from([1, 3, 5, 7, 9, 11, 13, 20, 21]));
    let expected: BTreeSet<u32> = POINTS
        .iter()
        .filter(|p| p.group != 0 && p.kind != Kind::Counter)
        .map(|p| p.ioa)
        .collect();
    for (.., objects) in got.iter().filter(|a| a.1 == 20) {
        for object in objects.iter().filter(|o| !o.starts_with("raw=")) {
            let ioa: u32 = object.split('=').next().unwrap().parse().unwrap();
            assert!(expected.contains(&ioa), "{ioa} in {object}");
        }
    }
    // Clock synchronization confirmed.
    position((103, 7, 0));
    // Select and execute of 1001 confirmed, 2001 set with COT 11, actterm.
    let confirmations: Vec<&Vec<String>> = got
        .iter()
        .filter(|a| (a.0, a.1, a.2) == (45, 7, 0))
        .map(|a| &a.4)
        .collect();
    assert_eq!(
        confirmations,
        [
            &vec!["1001=1,se=1,qu=0".to_owned()],
            &vec!["1001=1,se=0,qu=0".to_owned()]
        ],
        "{text}"
    );
    let feedback = position((1, 11, 0));
    assert_eq!(got[feedback].4, ["2001=1,q=00"]);
    assert!(feedback < position((45, 10, 0)));
    // Spontaneous changes of the float at 320 count up from 1 without a gap.
    let floats: Vec<f64> = got
        .iter()
        .filter(|a| (a.0, a.1) == (13, 3))
        .map(|a| {
            let value = a.4[0].strip_prefix("320=").expect("320").split(',').next();
            value.unwrap().parse().unwrap()
        })
        .collect();
    assert!(floats.len() >= changes, "{} changes:\n{text}", floats.len());
    for (i, value) in floats.iter().enumerate() {
        assert_eq!(*value, (i + 1) as f64, "change {} lost:\n{text}", i + 1);
    }
}

#[test]
fn lib60870_polls_two_unbalanced_stations_and_operates_with_select_before_operate() {
    let line = SocatPair::start();
    let sim = "--link-address 1,2 --rate 20 --points 320";
    let _sim = simulator(line.b(), &args(sim));
    // 17 ASDUs per station for initialization, interrogation, clock and command; the rest
    // are changes.
    let master = "--link-address 1,2 --command-ioa 1001 --poll-ms 50 --count 80";
    let lines = run_master(line.a(), &args(master));
    check_station(&lines, 1, 1, 10);
    check_station(&lines, 2, 2, 10);
}

#[test]
fn lib60870_talks_to_a_balanced_station_and_operates_with_select_before_operate() {
    let line = SocatPair::start();
    let sim = "--mode balanced --link-address 3 --rate 20 --points 320";
    let _sim = simulator(line.b(), &args(sim));
    let master = "--mode balanced --link-address 3 --command-ioa 1001 --count 40";
    let lines = run_master(line.a(), &args(master));
    check_station(&lines, 3, 3, 20);
}

/// Options written with spaces.
fn args(options: &str) -> Vec<&str> {
    options.split_whitespace().collect()
}

#[test]
fn lib60870_is_refused_an_execute_without_select() {
    let line = SocatPair::start();
    let _sim = simulator(line.b(), &["--rate", "off", "--common-address", "5"]);
    let lines = run_master(
        line.a(),
        &[
            "--ca",
            "5",
            "--no-interrogation",
            "--no-clock-sync",
            "--direct-execute",
            "--command-ioa",
            "1001",
            "--exit-when-complete",
        ],
    );
    let got = asdus(&lines, 1);
    let shapes: Vec<(u8, u8, u8, u16)> = got.iter().map(|a| (a.0, a.1, a.2, a.3)).collect();
    assert_eq!(shapes, [(70, 4, 0, 5), (45, 7, 1, 5)], "{lines:#?}");
    assert!(lines.iter().any(|l| l == "complete link=1"), "{lines:#?}");
}
