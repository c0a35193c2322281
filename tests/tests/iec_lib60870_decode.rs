//! lib60870-C 2.3.4 as a second oracle for our IEC 60870-5 encoder, for the type IDs tshark 4.0
//! shows only as raw octets (see `iec_tshark_encode/gaps.rs`, `RAW_TYPE_IDS`): protection
//! events 17–19 and 38–40, packed single points 20, the test and delay commands 104, 106, 107,
//! parameter activation 113 and file transfer 120–127, with the read command 102.
//!
//! The test builds ASDUs of those type IDs with the codec's owned builders (`OwnedAsdu`, the
//! element types, `OwnedSegment`), with values that set every qualifier bit, reach the largest
//! lengths (a segment filling the ASDU, a directory of as many entries as fit with SQ = 1) and
//! use addresses whose octets differ, under the 104 sizes (cause 2, common address 2, IOA 3)
//! and one 101 profile (1, 1, 2). It hands their octets to `asdu_dump`
//! (`tests/peers/lib60870/asdu_dump.c`), which parses them with lib60870's public API and
//! prints every field lib60870 exposes, and compares each field with the value built. The
//! expected lines come from the builders' inputs (`expect.rs`), never from our decoder; where
//! lib60870 reads a field otherwise than IEC 60870-5-101 says, the difference is listed in
//! `expect::quirks` and asserted.

#[path = "iec_lib60870_decode/build.rs"]
mod build;
#[path = "iec_lib60870_decode/expect.rs"]
mod expect;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use fieldbridge_iec60870::asdu::{AsduConfig, CaLen, CotLen, IoaLen, OwnedAsdu, TypeId};
use fieldbridge_tests::repo_root;

use build::{asdus, Profile};
use expect::quirks;

/// The 104 sizes, and a 101 profile with the 101-only type IDs.
const PROFILES: [Profile; 2] = [
    Profile {
        name: "104 (cause 2, common address 2, IOA 3)",
        config: AsduConfig::IEC104,
        iec101: false,
    },
    Profile {
        name: "101 (cause 1, common address 1, IOA 2)",
        config: AsduConfig::new(CotLen::One, CaLen::One, IoaLen::Two),
        iec101: true,
    },
];

/// Every type ID tshark 4.0 shows raw (its `RAW_TYPE_IDS`), and C_RD_NA_1, which it shows as an
/// address alone: the test must build each of them.
const TYPE_IDS: [u8; 20] = [
    17, 18, 19, 20, 38, 39, 40, 102, 104, 106, 107, 113, 120, 121, 122, 123, 124, 125, 126, 127,
];

/// `asdu_dump`; fails the test, naming the build script, when it is missing.
fn asdu_dump() -> PathBuf {
    let dir = std::env::var_os("FIELDBRIDGE_LIB60870_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target/lib60870"));
    let path = dir.join("bin/asdu_dump");
    assert!(
        path.is_file(),
        "{} is missing: run scripts/build-lib60870 (it builds lib60870-C and \
         tests/peers/lib60870/asdu_dump.c; scripts/install-peers runs it too)",
        path.display()
    );
    path
}

fn encode(asdu: &OwnedAsdu) -> Vec<u8> {
    let mut octets = Vec::new();
    asdu.encode(&mut octets)
        .unwrap_or_else(|e| panic!("encoding {asdu:?}: {e}"));
    octets
}

/// Runs `asdu_dump` with the sizes of `config` over the ASDUs' octets, one hex line each, and
/// returns its lines.
fn dump(config: &AsduConfig, asdus: &[OwnedAsdu]) -> Vec<String> {
    let mut input = String::new();
    for asdu in asdus {
        let hex: String = encode(asdu).iter().map(|o| format!("{o:02x}")).collect();
        input.push_str(&hex);
        input.push('\n');
    }
    let mut child = Command::new(asdu_dump())
        .args([
            "--cot-size",
            &(config.cot_len as u8).to_string(),
            "--ca-size",
            &(config.ca_len as u8).to_string(),
            "--ioa-size",
            &config.ioa_len().to_string(),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("asdu_dump starts");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(input.as_bytes())
        .expect("asdu_dump reads its input");
    let output = child.wait_with_output().expect("asdu_dump runs");
    assert!(
        output.status.success(),
        "asdu_dump failed ({}), stderr:\n{}\ninput:\n{input}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let lines: Vec<String> = String::from_utf8(output.stdout)
        .expect("asdu_dump prints text")
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(
        lines.len(),
        asdus.len(),
        "one line per ASDU; got:\n{}",
        lines.join("\n")
    );
    lines
}

/// Compares, token by token and field by field, what lib60870 read with what we built, and
/// fails listing every difference.
fn compare(profile: &str, asdus: &[OwnedAsdu], lines: &[String]) {
    let mut problems = Vec::new();
    for (asdu, got) in asdus.iter().zip(lines) {
        let want = expect::line(asdu);
        if *got == want {
            continue;
        }
        let hex: String = encode(asdu).iter().map(|o| format!("{o:02x}")).collect();
        let mut fields = Vec::new();
        let got_tokens: Vec<&str> = got.split(' ').collect();
        let want_tokens: Vec<&str> = want.split(' ').collect();
        for i in 0..got_tokens.len().max(want_tokens.len()) {
            let g = got_tokens.get(i).copied().unwrap_or("<none>");
            let w = want_tokens.get(i).copied().unwrap_or("<none>");
            if g == w {
                continue;
            }
            let gs: Vec<&str> = g.split(',').collect();
            let ws: Vec<&str> = w.split(',').collect();
            for j in 0..gs.len().max(ws.len()) {
                let gf = gs.get(j).copied().unwrap_or("<none>");
                let wf = ws.get(j).copied().unwrap_or("<none>");
                if gf != wf {
                    fields.push(format!("token {i}: lib60870 {gf}, built {wf}"));
                }
            }
        }
        problems.push(format!(
            "type {} ({profile}), octets {hex}:\n  {}",
            asdu.header.type_id.0,
            fields.join("\n  ")
        ));
    }
    assert!(
        problems.is_empty(),
        "lib60870 read {} of {} ASDUs otherwise than built:\n{}",
        problems.len(),
        asdus.len(),
        problems.join("\n")
    );
}

fn check_profile(profile: &Profile) {
    let asdus = asdus(profile);
    let lines = dump(&profile.config, &asdus);
    compare(profile.name, &asdus, &lines);
}

#[test]
fn lib60870_reads_every_field_of_the_raw_type_ids_under_the_104_sizes() {
    check_profile(&PROFILES[0]);
}

#[test]
fn lib60870_reads_every_field_of_the_raw_type_ids_under_a_101_profile() {
    check_profile(&PROFILES[1]);
}

#[test]
fn every_type_id_tshark_shows_raw_is_built_under_some_profile_and_the_104_ones_under_104() {
    for type_id in TYPE_IDS {
        let under = |p: &Profile| asdus(p).iter().any(|a| a.header.type_id == TypeId(type_id));
        assert!(
            PROFILES.iter().any(under),
            "type {type_id} is built under no profile"
        );
        // 17, 18, 19, 104 and 106 are 101 only (IEC 60870-5-104 clause 8 leaves them out).
        if ![17, 18, 19, 104, 106].contains(&type_id) {
            assert!(
                PROFILES.iter().all(under),
                "type {type_id} is missing under a profile"
            );
        }
    }
}

/// The test's values reach what the brief asks: a segment filling the ASDU, a directory of as
/// many entries as fit with SQ = 1, every bit of the file qualifiers.
#[test]
fn the_values_reach_the_largest_lengths_and_every_qualifier_bit() {
    for profile in &PROFILES {
        let asdus = asdus(profile);
        let longest = |type_id: u8| {
            asdus
                .iter()
                .filter(|a| a.header.type_id == TypeId(type_id))
                .map(OwnedAsdu::encoded_len)
                .max()
                .unwrap_or(0)
        };
        assert_eq!(longest(125), build::MAX_ASDU, "{}: F_SG_NA_1", profile.name);
        let room = build::MAX_ASDU - profile.config.header_len() - profile.config.ioa_len();
        assert_eq!(
            longest(126),
            build::MAX_ASDU - room % 13,
            "{}: F_DR_TA_1",
            profile.name
        );
        assert!(asdus
            .iter()
            .any(|a| a.header.type_id == TypeId(126) && a.header.sequence));
        // Every bit of each qualifier octet is set in some ASDU of its type.
        for (type_id, index) in [(120, 5), (121, 6), (122, 3), (123, 3), (124, 3)] {
            let octet_or = asdus
                .iter()
                .filter(|a| a.header.type_id == TypeId(type_id))
                .map(|a| {
                    let octets = encode(a);
                    let at = profile.config.header_len() + profile.config.ioa_len();
                    octets[at + index]
                })
                .fold(0u8, |acc, o| acc | o);
            assert_eq!(octet_or, 0xFF, "{}: type {type_id}", profile.name);
        }
    }
}

/// The listed differences are real: lib60870 shows LOF of F_DR_TA_1 modulo 256, says
/// "positive" for an FRQ with bit 8 set, needs padding for the last SQ = 1 directory entry and
/// repeats the first object of a file transfer ASDU with several.
#[test]
fn lib60870_quirks_are_as_listed() {
    let config = PROFILES[0].config;
    let all = asdus(&PROFILES[0]);
    let lines = dump(&config, &all);
    let sq_directory = all
        .iter()
        .position(|a| a.header.type_id == TypeId(126) && a.header.sequence)
        .expect("an SQ = 1 directory");
    let line = &lines[sq_directory];
    assert!(
        line.ends_with(quirks::SQ_DIRECTORY_LAST_ENTRY_MARK),
        "{line}"
    );
    assert_eq!(
        line.matches(quirks::SQ_DIRECTORY_LAST_ENTRY_MARK).count(),
        1,
        "only the last entry needs padding: {line}"
    );
    // The first entry has LOF 0xFFFFFF: lib60870 shows 255.
    assert!(line.contains(",lof=255,"), "{line}");
    assert!(!line.contains(",lof=16777215,"), "{line}");
    // FRQ 0xFF (bit 8: negative, clause 7.2.6.28) reads as positive; FRQ 0x00 as not.
    let ready: Vec<&String> = all
        .iter()
        .zip(&lines)
        .filter(|(a, _)| a.header.type_id == TypeId(120))
        .map(|(_, l)| l)
        .collect();
    assert!(ready[0].contains(",frq=ff,positive=1"), "{}", ready[0]);
    assert!(ready[1].contains(",frq=00,positive=0"), "{}", ready[1]);

    let several = build::several_file_objects(config);
    let lines = dump(&config, &several);
    compare("104, several file objects", &several, &lines);
    for line in &lines {
        let objects: Vec<&str> = line.split(' ').filter(|t| t.starts_with("ioa=")).collect();
        assert!(objects.len() > 1, "{line}");
        assert!(
            objects.iter().all(|o| *o == objects[0]),
            "lib60870 repeats the first object: {line}"
        );
    }
}

#[test]
fn asdu_dump_says_error_for_what_lib60870_refuses() {
    let lines = dump_raw(&["7801", "7e8107000100010000", "zz"]);
    assert_eq!(lines, ["error asdu", "error element 0", "error bad-hex"]);
}

/// Runs `asdu_dump` with the 104 sizes over `hex` lines as given.
fn dump_raw(hex: &[&str]) -> Vec<String> {
    let mut child = Command::new(asdu_dump())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("asdu_dump starts");
    let mut stdin = child.stdin.take().expect("stdin is piped");
    for line in hex {
        writeln!(stdin, "{line}").expect("asdu_dump reads its input");
    }
    drop(stdin);
    let output = child.wait_with_output().expect("asdu_dump runs");
    assert!(
        output.status.success(),
        "asdu_dump failed: {}",
        output.status
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(String::from)
        .collect()
}
