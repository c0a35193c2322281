//! Every vector cut at every length gives Truncated or BadLength, never a panic; arbitrary
//! bytes never panic either.

use crate::common::bytes;
use fieldbridge_dlms::apdu::association::{AareView, AarqView};
use fieldbridge_dlms::apdu::initiate::{InitiateRequest, InitiateResponse};
use fieldbridge_dlms::apdu::release::{ReleaseRequestView, ReleaseResponseView};
use fieldbridge_dlms::Error;
use proptest::prelude::*;

fn assert_cut_short(result: Result<(), Error>, n: usize) {
    match result {
        Err(Error::Truncated { .. } | Error::BadLength { .. }) => {}
        other => panic!("cut at {n}: expected Truncated or BadLength, got {other:?}"),
    }
}

fn each_prefix(wire: &[u8], decode: impl Fn(&[u8]) -> Result<(), Error>) {
    assert_eq!(decode(wire), Ok(()), "the whole vector decodes");
    for n in 0..wire.len() {
        assert_cut_short(decode(&wire[..n]), n);
    }
}

#[test]
fn an_aarq_cut_at_every_length_is_truncated_or_a_bad_length() {
    for wire in [
        "6036A1090607608574050801018A0207808B0760857405080201AC0A80083132333435363738BE10040E01000000065F1F0400001E1DFFFF",
        "6066A109060760857405080103A60A04084D4D4D0000BC614E8A0207808B0760857405080201AC0A80083132333435363738BE34043221303001234567801302FF8A7874133D414CED25B42534D28DB0047720606B175BD52211BE6841DB204D39EE6FDB8E356855",
    ] {
        each_prefix(&bytes(&[wire]), |w| AarqView::decode(w).map(drop));
    }
}

#[test]
fn an_aare_cut_at_every_length_is_truncated_or_a_bad_length() {
    for wire in [
        "6142A109060760857405080101A203020100A305A10302010E88020780890760857405080205AA0A8008503677524A323146BE10040E0800065F1F040000501F01F40007",
        "6169A109060760857405080103A203020100A305A10302010EA40A040848584501353EC60988020780890760857405080205AA12801044373643423333313732393343413931BE230421281F300000174BF456A0744EE1A6A451CB7E807A50FC94D9B04D93BBB1D388528C",
    ] {
        each_prefix(&bytes(&[wire]), |w| AareView::decode(w).map(drop));
    }
}

#[test]
fn release_apdus_cut_at_every_length_are_truncated_or_a_bad_length() {
    let rlrq = "6239800100BE34043221303001234567801302FF8A7874133D414CED25B42534D28DB0047720606B175BD52211BE6841DB204D39EE6FDB8E356855";
    each_prefix(&bytes(&[rlrq]), |w| ReleaseRequestView::decode(w).map(drop));
    let rlre = "6316800100BE11040F080100065F1F0400001E1D04C80007";
    each_prefix(&bytes(&[rlre]), |w| {
        ReleaseResponseView::decode(w).map(drop)
    });
}

#[test]
fn initiate_apdus_cut_at_every_length_are_truncated_or_a_bad_length() {
    let request = "01011000112233445566778899AABBCCDDEEFF0000065F1F0400007E1F04B0";
    each_prefix(&bytes(&[request]), |w| InitiateRequest::decode(w).map(drop));
    let response = "080100065F1F0400001E1D04C80007";
    each_prefix(&bytes(&[response]), |w| {
        InitiateResponse::decode(w).map(drop)
    });
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(input in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = AarqView::decode(&input);
        let _ = AareView::decode(&input);
        let _ = ReleaseRequestView::decode(&input);
        let _ = ReleaseResponseView::decode(&input);
        let _ = InitiateRequest::decode(&input);
        let _ = InitiateResponse::decode(&input);
    }

    #[test]
    fn a_valid_aarq_with_one_byte_changed_never_panics(
        index in 0usize..113,
        value in any::<u8>(),
    ) {
        let mut wire = bytes(&["6066A109060760857405080103A60A04084D4D4D0000BC614E8A0207808B0760857405080201AC0A80083132333435363738BE34043221303001234567801302FF8A7874133D414CED25B42534D28DB0047720606B175BD52211BE6841DB204D39EE6FDB8E356855"]);
        let i = index % wire.len();
        wire[i] = value;
        let _ = AarqView::decode(&wire);
    }
}
