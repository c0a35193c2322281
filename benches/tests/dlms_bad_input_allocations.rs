//! The DLMS codec refuses hostile input without a large allocation: a declared 4 GiB octet
//! string or array, a BER length of 4 GiB in an AARQ, a Data tree nested 10,000 deep, a wrapper
//! or HDLC length beyond the frame, and a ciphered APDU whose tag does not verify.
//!
//! The codec crate forbids `unsafe`, so it cannot install a counting allocator itself; this test
//! binary does (`fieldbridge_bench::counting_alloc`). It runs without the libtest harness, so no
//! other thread allocates while an input is decoded.

use fieldbridge_bench::counting_alloc::{largest_allocation, reset_largest, CountingAlloc};
use fieldbridge_dlms::apdu::Apdu;
use fieldbridge_dlms::axdr::DataRef;
use fieldbridge_dlms::security::{CipheredApdu, Keys};
use fieldbridge_dlms::{hdlc, wrapper, Error};

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

/// More than any buffer the decoders may need for these inputs, far less than what they claim.
const BOUND: u64 = 4096;

/// Runs `decode` on an input built beforehand, and checks that it failed and allocated at most
/// [`BOUND`] bytes at once.
fn check<T: std::fmt::Debug>(name: &str, decode: impl FnOnce() -> Result<T, Error>) {
    reset_largest();
    let result = decode();
    let largest = largest_allocation();
    assert!(result.is_err(), "{name}: refused, got {result:?}");
    assert!(
        largest <= BOUND,
        "{name}: the largest allocation was {largest} bytes"
    );
    println!(
        "{name}: refused ({}), largest allocation {largest} bytes",
        result.unwrap_err()
    );
}

fn main() {
    let octets_4gib = [0x09, 0x84, 0xFF, 0xFF, 0xFF, 0xFF, 0x01, 0x02];
    check("octet-string of 4 GiB", || DataRef::decode(&octets_4gib));

    let array_4gib = [0x01, 0x84, 0xFF, 0xFF, 0xFF, 0xFF, 0x00];
    check("array of 4 Gi elements", || DataRef::decode(&array_4gib));

    let mut deep = vec![0xC4, 0x01, 0xC1, 0x00];
    for _ in 0..10_000 {
        deep.extend_from_slice(&[0x01, 0x01]);
    }
    deep.push(0x00);
    check("GET response nested 10,000 deep", || Apdu::decode(&deep));

    let aarq_4gib = [0x60, 0x84, 0xFF, 0xFF, 0xFF, 0xFF, 0xA1, 0x00];
    check("AARQ with a BER length of 4 GiB", || {
        Apdu::decode(&aarq_4gib)
    });

    // A wrapper PDU announcing 65,535 octets of APDU where the cap is 2,048: refused at the
    // header, before anything is buffered.
    let wrapper_pdu = [0x00, 0x01, 0x00, 0x10, 0x00, 0x01, 0xFF, 0xFF, 0xC0];
    check("wrapper PDU over the cap", || {
        wrapper::decode_with_max(&wrapper_pdu, 2048)
    });

    // An HDLC frame whose FCS does not match.
    let snrm = [0x7E, 0xA0, 0x08, 0x02, 0x23, 0x21, 0x93, 0xBD, 0x65, 0x7E];
    check("HDLC frame with a bad FCS", || hdlc::decode(&snrm));

    // The Green Book's ciphered GET with its last tag octet changed: decrypt reuses the
    // caller's buffer, and gives nothing back.
    let mut glo =
        hex::decode("C81E3001234567411312FF935A47566827C467BC7D825C3BE4A77C3FCC056B6B").unwrap();
    *glo.last_mut().unwrap() ^= 1;
    let keys = Keys::new(
        *b"\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0A\x0B\x0C\x0D\x0E\x0F",
        *b"\xD0\xD1\xD2\xD3\xD4\xD5\xD6\xD7\xD8\xD9\xDA\xDB\xDC\xDD\xDE\xDF",
    );
    let title = *b"MMM\x00\x00\xBC\x61\x4E";
    let mut plain = Vec::with_capacity(64);
    check("ciphered GET with a wrong tag", || {
        let apdu = CipheredApdu::decode(&glo)?;
        apdu.decrypt(&keys, Some(&title), &mut plain)
            .map(<[u8]>::len)
    });
    println!("ok: every hostile input refused with no allocation over {BOUND} bytes");
}
