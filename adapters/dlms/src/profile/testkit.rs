//! Helpers shared by the profile and catch-up tests: the Gurux vectors, rows built as the meters
//! build them and a small deterministic random generator.

use fieldbridge_core::time::Timestamp;
use fieldbridge_dlms::axdr::{ClockStatus, Data, DateTime, UtcTime};

use super::ProfileLayout;

/// `captures/dlms/wrapper-low.frames.jsonl`: the Gurux session with the range read (frames 9
/// and 10) and the whole buffer in five blocks (frames 11 to 20).
pub const WRAPPER_LOW: &str = include_str!("../../../../captures/dlms/wrapper-low.frames.jsonl");
/// The same session over HDLC.
pub const HDLC_LOW: &str = include_str!("../../../../captures/dlms/hdlc-low.frames.jsonl");

/// The Gurux meter's (`tests/peers/dlms/meter.py`) answers to GET 1-0:99.1.0*255 attributes 3,
/// 4, 7 and 8, recorded from it over the wrapper (the captures have no read of them):
/// get-response-normal, invoke 0xC1, data.
pub const GURUX_CAPTURE_OBJECTS: &str = "C401C1000103020412000809060000010000FF0F02120000\
    020412000309060100010800FF0F02120000020412000309060100020800FF0F02120000";
/// Attribute 4, capture_period: 900 s.
pub const GURUX_CAPTURE_PERIOD: &str = "C401C1000600000384";
/// Attribute 7, entries_in_use: 96.
pub const GURUX_ENTRIES_IN_USE: &str = "C401C1000600000060";
/// Attribute 8, profile_entries: 96.
pub const GURUX_PROFILE_ENTRIES: &str = "C401C1000600000060";

/// Octets from hex digits (test vectors only).
pub fn hex(text: &str) -> Vec<u8> {
    let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    digits
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).expect("ascii"), 16).expect("hex"))
        .collect()
}

/// The `apdu_hex` of every frame of a `.frames.jsonl` file, in order (`None` where it is
/// null), read without a JSON parser: the file is written by `json.dumps` one object a line.
pub fn apdus(jsonl: &str) -> Vec<Option<Vec<u8>>> {
    jsonl
        .lines()
        .map(|line| {
            let (_, rest) = line.split_once("\"apdu_hex\": ").expect("apdu_hex key");
            rest.strip_prefix('"')
                .map(|s| hex(s.split('"').next().expect("closing quote")))
        })
        .collect()
}

/// The Data of a get-response-normal APDU.
pub fn response_data(apdu: &[u8]) -> Data {
    use fieldbridge_dlms::apdu::get::{GetDataResult, GetResponse};
    match GetResponse::decode(apdu).expect("a Get-Response") {
        GetResponse::Normal {
            result: GetDataResult::Data(data),
            ..
        } => data.to_owned(),
        other => panic!("not a get-response-normal with data: {other:?}"),
    }
}

/// The Gurux meter's layout (clock, 1-0:1.8.0, 1-0:2.8.0; 900 s) for the point `load_profile`.
pub fn gurux_layout() -> ProfileLayout {
    ProfileLayout::new(
        "load_profile",
        &response_data(&hex(GURUX_CAPTURE_OBJECTS)),
        900,
    )
    .expect("the Gurux capture objects")
}

/// A date-time as the Gurux meter writes it: day of week 0xFF, deviation 0, status 0.
pub fn gurux_time(seconds: i64) -> DateTime {
    DateTime {
        date: fieldbridge_dlms::axdr::Date {
            day_of_week: 0xFF,
            ..sim_time(seconds).date
        },
        ..sim_time(seconds)
    }
}

/// A date-time as our simulator writes it (`adapters/sim/src/dlms/meter.rs`): the day of week
/// filled in, deviation 0, status 0.
pub fn sim_time(seconds: i64) -> DateTime {
    DateTime::from_utc(
        UtcTime {
            seconds,
            hundredths: 0,
        },
        0,
        ClockStatus(0),
    )
    .expect("a representable time")
}

/// 2024-06-01T00:00:00Z, the day of the Gurux meter's profile.
pub const JUNE_1: i64 = 1_717_200_000;

/// The instant of `seconds`.
pub fn at(seconds: i64) -> Timestamp {
    Timestamp::from_unix_millis(seconds * 1000).expect("in range")
}

/// One buffer entry of the Gurux profile: `{ octet-string(12) time, import, export }`.
pub fn row(time: Data, import: u32, export: u32) -> Data {
    Data::Structure(vec![
        time,
        Data::DoubleLongUnsigned(import),
        Data::DoubleLongUnsigned(export),
    ])
}

/// The date-time as the octet-string meters send.
pub fn octets(t: DateTime) -> Data {
    Data::OctetString(t.to_bytes().to_vec())
}

/// SplitMix64: deterministic pseudo-random numbers for property tests (the crate has no
/// proptest dependency).
#[derive(Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next number.
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}
