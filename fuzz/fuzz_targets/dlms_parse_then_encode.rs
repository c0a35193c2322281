//! DLMS parse-then-encode, layer by layer. Input: byte 0 picks the layer (modulo 4), the rest is
//! the bytes:
//!
//! - 0: a wrapper PDU (IEC 62056-47) from the start of the bytes, then its APDU;
//! - 1: an HDLC frame (IEC 62056-46) from the start of the bytes, then, when its information
//!   field is one whole segment behind an LLC header (E6 E6 00 or E6 E7 00), the APDU after it;
//! - 2: an xDLMS APDU (all the bytes);
//! - 3: an A-XDR Data element from the start of the bytes.
//!
//! For each layer, x the bytes decoded and e = encode(decode(x)): e decodes to the same value as
//! x did (decode(encode(decode(x))) == decode(x), compared as owned values; for an APDU as its
//! owned form, `common/dlms_apdu_walk.rs`'s `meaning`), and e is canonical: encode(decode(e)) == e exactly.
//! Wrapper PDUs and HDLC frames have one encoding only, so there e == x. An APDU or a Data
//! element differs from its re-encoding only by the rewrites the standard allows (listed in
//! `dlms_apdu`'s doc comment: Data normalised by the first round's normaliser, then long-form
//! lengths and booleans in the framing), so x == e exactly when x was already canonical.
#![no_main]
use fieldbridge_dlms::apdu::Apdu;
use fieldbridge_dlms::axdr::DataRef;
use fieldbridge_dlms::hdlc::{self, LLC_COMMAND, LLC_RESPONSE};
use fieldbridge_dlms::wrapper::{self, OwnedWrapperPdu};

#[path = "../common/dlms_axdr_canon.rs"]
mod canon;
#[path = "../common/dlms_apdu_walk.rs"]
mod walk;

/// An APDU: encode(decode(x)) is canonical and means what x meant.
fn apdu(x: &[u8]) {
    let Ok(decoded) = Apdu::decode(x) else {
        return;
    };
    let spans = walk::walk(&decoded, x);
    let e = decoded.to_vec();
    let again = Apdu::decode(&e).expect("the encoding decodes");
    assert_eq!(
        walk::meaning(&again),
        walk::meaning(&decoded),
        "decode(encode(decode(x))) == decode(x)"
    );
    assert_eq!(
        again.to_vec(),
        e,
        "encode(decode(e)) == e for the canonical e"
    );
    let canonical = walk::with_canonical_data(x, &spans.spans);
    assert!(
        walk::equivalent(&canonical, &e),
        "x {x:02X?} and its encoding {e:02X?} differ by more than the allowed rewrites"
    );
}

/// A Data element at the start of x.
fn data(x: &[u8]) {
    let Ok((decoded, len)) = DataRef::decode(x) else {
        return;
    };
    let x = &x[..len];
    let owned = decoded.to_owned();
    let e = owned.to_vec();
    assert_eq!(
        e,
        walk::canonical_data(x),
        "encode(decode(x)) is x normalised"
    );
    let again = DataRef::decode_all(&e).expect("the encoding decodes whole");
    assert_eq!(
        format!("{:?}", again.to_owned()),
        format!("{owned:?}"),
        "decode(encode(decode(x))) == decode(x)"
    );
    assert_eq!(again.to_owned().to_vec(), e, "encode(decode(e)) == e");
}

libfuzzer_sys::fuzz_target!(|input: &[u8]| {
    let Some((&selector, x)) = input.split_first() else {
        return;
    };
    match selector % 4 {
        0 => {
            let Ok(Some((pdu, len))) = wrapper::decode(x) else {
                return;
            };
            let owned = OwnedWrapperPdu::from(pdu);
            let mut e = Vec::new();
            owned.encode(&mut e).expect("a decoded PDU encodes");
            assert_eq!(e, x[..len], "a wrapper PDU has one encoding");
            let (again, n) = wrapper::decode(&e)
                .expect("the encoding decodes")
                .expect("whole");
            assert_eq!((OwnedWrapperPdu::from(again), n), (owned, len));
            apdu(pdu.apdu);
        }
        1 => {
            let Ok(Some((frame, len))) = hdlc::decode(x) else {
                return;
            };
            let owned = frame.to_owned_frame();
            let mut e = Vec::new();
            owned.encode(&mut e).expect("a decoded frame encodes");
            assert_eq!(e, x[..len], "an HDLC frame has one encoding");
            let (again, n) = hdlc::decode(&e)
                .expect("the encoding decodes")
                .expect("whole");
            assert_eq!((again.to_owned_frame(), n), (owned, len));
            let info = frame.info;
            if !frame.segmented
                && (info.starts_with(&LLC_COMMAND) || info.starts_with(&LLC_RESPONSE))
            {
                apdu(&info[3..]);
            }
        }
        2 => apdu(x),
        _ => data(x),
    }
});
