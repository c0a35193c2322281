//! Every APDU decodes (IEC 62056-5-3, Green Book 9.5, 9.3.2) and encodes back byte for byte,
//! through [`Apdu`] and through the owned form of its own module.

use crate::scenario::scenarios;
use fieldbridge_dlms::apdu::action::{ActionRequest, ActionResponse};
use fieldbridge_dlms::apdu::association::{AareView, AarqView};
use fieldbridge_dlms::apdu::get::{GetRequest, GetResponse};
use fieldbridge_dlms::apdu::initiate::{InitiateRequest, InitiateResponse};
use fieldbridge_dlms::apdu::release::{ReleaseRequestView, ReleaseResponseView};
use fieldbridge_dlms::apdu::set::{SetRequest, SetResponse};
use fieldbridge_dlms::apdu::Apdu;
use fieldbridge_dlms::security::CipheredApdu;

/// The APDU's own owned form encodes to `bytes`, and decoding that gives the same owned value.
fn owned_round_trip(at: &str, bytes: &[u8], apdu: &Apdu<'_>) {
    let mut out = Vec::new();
    match apdu {
        Apdu::Aarq(a) => {
            let owned = a.owned();
            owned.encode(&mut out);
            assert_eq!(AarqView::decode(&out).map(|v| v.owned()), Ok(owned), "{at}");
        }
        Apdu::Aare(a) => {
            let owned = a.owned();
            owned.encode(&mut out);
            assert_eq!(AareView::decode(&out).map(|v| v.owned()), Ok(owned), "{at}");
        }
        Apdu::ReleaseRequest(r) => {
            let owned = r.owned();
            owned.encode(&mut out);
            let back = ReleaseRequestView::decode(&out).map(|v| v.owned());
            assert_eq!(back, Ok(owned), "{at}");
        }
        Apdu::ReleaseResponse(r) => {
            let owned = r.owned();
            owned.encode(&mut out);
            let back = ReleaseResponseView::decode(&out).map(|v| v.owned());
            assert_eq!(back, Ok(owned), "{at}");
        }
        Apdu::InitiateRequest(i) => {
            i.encode(&mut out);
            assert_eq!(InitiateRequest::decode(&out), Ok(*i), "{at}");
        }
        Apdu::InitiateResponse(i) => {
            i.encode(&mut out);
            assert_eq!(InitiateResponse::decode(&out), Ok(*i), "{at}");
        }
        Apdu::GetRequest(g) => {
            let owned = g.to_owned();
            out = owned.to_vec();
            assert_eq!(
                GetRequest::decode(&out).map(|v| v.to_owned()),
                Ok(owned),
                "{at}"
            );
        }
        Apdu::GetResponse(g) => {
            let owned = g.to_owned();
            out = owned.to_vec();
            assert_eq!(
                GetResponse::decode(&out).map(|v| v.to_owned()),
                Ok(owned),
                "{at}"
            );
        }
        Apdu::SetRequest(s) => {
            let owned = s.to_owned();
            out = owned.to_vec();
            assert_eq!(
                SetRequest::decode(&out).map(|v| v.to_owned()),
                Ok(owned),
                "{at}"
            );
        }
        Apdu::SetResponse(s) => {
            let owned = s.to_owned();
            out = owned.to_vec();
            assert_eq!(
                SetResponse::decode(&out).map(|v| v.to_owned()),
                Ok(owned),
                "{at}"
            );
        }
        Apdu::ActionRequest(a) => {
            let owned = a.to_owned();
            out = owned.to_vec();
            let back = ActionRequest::decode(&out).map(|v| v.to_owned());
            assert_eq!(back, Ok(owned), "{at}");
        }
        Apdu::ActionResponse(a) => {
            let owned = a.to_owned();
            out = owned.to_vec();
            let back = ActionResponse::decode(&out).map(|v| v.to_owned());
            assert_eq!(back, Ok(owned), "{at}");
        }
        Apdu::Ciphered(c) => {
            c.encode(&mut out);
            assert_eq!(CipheredApdu::decode(&out), Ok(*c), "{at}");
        }
        other => panic!("{at}: no {} was recorded; add its round trip", other.name()),
    }
    assert_eq!(
        hex::encode_upper(&out),
        hex::encode_upper(bytes),
        "{at}: owned form"
    );
}

/// Decodes `bytes` as one APDU and checks both round trips.
fn round_trip(at: &str, bytes: &[u8]) {
    let apdu = Apdu::decode(bytes).unwrap_or_else(|e| panic!("{at}: {e}"));
    let again = apdu.to_vec();
    assert_eq!(
        hex::encode_upper(&again),
        hex::encode_upper(bytes),
        "{at}: Apdu::to_vec"
    );
    assert_eq!(
        Apdu::decode(&again).as_ref(),
        Ok(&apdu),
        "{at}: decodes the same again"
    );
    owned_round_trip(at, bytes, &apdu);
}

#[test]
fn every_apdu_decodes_and_encodes_back_byte_for_byte() {
    let mut count = 0;
    for s in scenarios() {
        for f in &s.frames {
            if let Some(apdu) = &f.apdu {
                round_trip(&f.at(&s.name), apdu);
                count += 1;
            }
        }
    }
    // Every wrapper frame carries one (16 + 24 + 22 + 18 + 18 = 98, README.md), and the HDLC
    // sessions carry the same APDUs.
    assert_eq!(count, 2 * 98);
}

#[test]
fn every_deciphered_apdu_decodes_and_encodes_back_byte_for_byte() {
    let mut count = 0;
    for s in scenarios() {
        for f in &s.frames {
            if let Some(plain) = &f.plain {
                let at = format!("{} plain_hex", f.at(&s.name));
                round_trip(&at, plain);
                let apdu = Apdu::decode(plain).unwrap();
                assert!(!matches!(apdu, Apdu::Ciphered(_)), "{at}: ciphered twice");
                count += 1;
            }
        }
    }
    assert!(count > 0, "no ciphered APDU in the captures");
}
