//! Loading the recordings: `captures/dlms/<scenario>.frames.jsonl` and `keys.json` (their format
//! is in `captures/dlms/README.md`).

use fieldbridge_dlms::security::{Key, Keys, SystemTitle};
use serde_json::Value;
use std::path::PathBuf;

/// Which way a frame went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    /// Client to server.
    C2s,
    /// Server to client.
    S2c,
}

impl Dir {
    /// As the recordings spell it.
    pub fn name(self) -> &'static str {
        match self {
            Dir::C2s => "c2s",
            Dir::S2c => "s2c",
        }
    }
}

/// The transport of a scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// IEC 62056-47 TCP wrapper.
    Wrapper,
    /// IEC 62056-46 HDLC over the TCP connection.
    Hdlc,
}

/// One line of a `.frames.jsonl` file.
#[derive(Debug, Clone)]
pub struct Frame {
    /// 1-based line number, as `summary.txt` counts.
    pub number: usize,
    pub dir: Dir,
    pub transport: Transport,
    /// The whole frame.
    pub hex: Vec<u8>,
    /// The APDU alone (the last segment of an HDLC I-frame sequence), or none.
    pub apdu: Option<Vec<u8>>,
    /// Gurux's translator on the APDU, without keys.
    pub xml: Option<String>,
    /// The deciphered APDU (for an AARQ/AARE: the deciphered InitiateRequest/Response).
    pub plain: Option<Vec<u8>>,
    /// Gurux's translator on the ciphered APDU, with the keys.
    pub xml_keys: Option<String>,
    /// Gurux's translator on `plain`.
    pub xml_plain: Option<String>,
}

impl Frame {
    /// `scenario#number dir` for failure messages.
    pub fn at(&self, scenario: &str) -> String {
        format!("{scenario} frame {} ({})", self.number, self.dir.name())
    }
}

/// One recorded session.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The file stem, e.g. `hdlc-low`.
    pub name: String,
    pub transport: Transport,
    pub frames: Vec<Frame>,
}

impl Scenario {
    /// Whether the association is ciphered (the `*-ciphered*` scenarios).
    pub fn ciphered(&self) -> bool {
        self.name.contains("ciphered")
    }
}

/// `captures/dlms` of the workspace.
pub fn captures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../captures/dlms")
}

fn hex(s: &str, what: &str) -> Vec<u8> {
    hex::decode(s).unwrap_or_else(|e| panic!("{what}: not hex ({e}): {s}"))
}

fn opt_str(o: &serde_json::Map<String, Value>, key: &str, what: &str) -> Option<String> {
    match o.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => panic!("{what}: {key} is neither a string nor null: {other}"),
    }
}

/// Every scenario of the folder, sorted by name. Fails when the folder or its frames are missing:
/// a replay test that finds nothing must not pass.
pub fn scenarios() -> Vec<Scenario> {
    let dir = captures_dir();
    let entries = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("the captures folder {} must exist: {e}", dir.display()));
    let mut paths: Vec<PathBuf> = entries
        .map(|e| e.expect("a readable directory entry").path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(".frames.jsonl"))
        })
        .collect();
    paths.sort();
    assert!(
        !paths.is_empty(),
        "no <scenario>.frames.jsonl in {}",
        dir.display()
    );
    paths.iter().map(|p| load(p)).collect()
}

fn load(path: &std::path::Path) -> Scenario {
    let file = path.file_name().and_then(|n| n.to_str()).unwrap_or("?");
    let name = file.trim_end_matches(".frames.jsonl").to_string();
    let text = std::fs::read_to_string(path).expect("a readable frames file");
    let mut frames = Vec::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let what = format!("{name} line {}", i + 1);
        let value: Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{what}: bad JSON: {e}"));
        let o = value
            .as_object()
            .unwrap_or_else(|| panic!("{what}: not an object"));
        const KNOWN: [&str; 8] = [
            "dir",
            "transport",
            "hex",
            "apdu_hex",
            "xml",
            "plain_hex",
            "xml_keys",
            "xml_plain",
        ];
        for key in o.keys() {
            assert!(KNOWN.contains(&key.as_str()), "{what}: unknown field {key}");
        }
        let dir = match opt_str(o, "dir", &what).as_deref() {
            Some("c2s") => Dir::C2s,
            Some("s2c") => Dir::S2c,
            other => panic!("{what}: dir {other:?}"),
        };
        let transport = match opt_str(o, "transport", &what).as_deref() {
            Some("wrapper") => Transport::Wrapper,
            Some("hdlc") => Transport::Hdlc,
            other => panic!("{what}: transport {other:?}"),
        };
        let bytes = |key: &str| opt_str(o, key, &what).map(|s| hex(&s, &what));
        frames.push(Frame {
            number: frames.len() + 1,
            dir,
            transport,
            hex: bytes("hex").unwrap_or_else(|| panic!("{what}: no hex")),
            apdu: bytes("apdu_hex"),
            xml: opt_str(o, "xml", &what),
            plain: bytes("plain_hex"),
            xml_keys: opt_str(o, "xml_keys", &what),
            xml_plain: opt_str(o, "xml_plain", &what),
        });
    }
    assert!(!frames.is_empty(), "{name}: no frames");
    let transport = frames[0].transport;
    assert!(
        frames.iter().all(|f| f.transport == transport),
        "{name}: one transport per scenario"
    );
    Scenario {
        name,
        transport,
        frames,
    }
}

/// `keys.json`.
#[derive(Debug, Clone)]
pub struct KeyFile {
    pub block_cipher_key: Key,
    pub authentication_key: Key,
    pub client_title: SystemTitle,
    pub server_title: SystemTitle,
    /// CtoS: the client's challenge, in the AARQ.
    pub ctos: Vec<u8>,
    /// StoC: the server's challenge, in the AARE.
    pub stoc: Vec<u8>,
    pub client_first_counter: u32,
    pub server_first_counter: u32,
    pub password: Vec<u8>,
}

impl KeyFile {
    /// The global unicast key and the authentication key.
    pub fn keys(&self) -> Keys {
        Keys::new(self.block_cipher_key, self.authentication_key)
    }

    /// The system title of who sent a frame going `dir`.
    pub fn sender_title(&self, dir: Dir) -> &SystemTitle {
        match dir {
            Dir::C2s => &self.client_title,
            Dir::S2c => &self.server_title,
        }
    }
}

/// Reads `keys.json`.
pub fn key_file() -> KeyFile {
    let path = captures_dir().join("keys.json");
    let text = std::fs::read_to_string(&path).expect("captures/dlms/keys.json");
    let v: Value = serde_json::from_str(&text).expect("keys.json is JSON");
    let s = |key: &str| {
        v.get(key)
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("keys.json: {key}"))
            .to_string()
    };
    let bytes = |key: &str| hex(&s(key), key);
    let array = |key: &str| -> [u8; 16] { bytes(key).try_into().expect("16 octets") };
    let title = |key: &str| -> [u8; 8] { bytes(key).try_into().expect("8 octets") };
    let number = |key: &str| {
        v.get(key)
            .and_then(Value::as_u64)
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or_else(|| panic!("keys.json: {key}"))
    };
    assert_eq!(v.get("security_suite").and_then(Value::as_u64), Some(0));
    KeyFile {
        block_cipher_key: array("block_cipher_key"),
        authentication_key: array("authentication_key"),
        client_title: title("client_system_title"),
        server_title: title("server_system_title"),
        ctos: bytes("client_to_server_challenge"),
        stoc: bytes("server_to_client_challenge"),
        client_first_counter: number("client_first_invocation_counter"),
        server_first_counter: number("server_first_invocation_counter"),
        password: s("low_level_password").into_bytes(),
    }
}
