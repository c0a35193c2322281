//! Any xDLMS APDU (IEC 62056-5-3, Green Book 9.5), chosen by its first octet: the whole input is
//! one APDU. `Apdu::decode` never panics and agrees with `decode_with` under Data depth limits
//! 1, 2 and 64: a deeper limit accepts what a shallower one accepts, the same APDU, and fails the
//! same way unless the shallower one hit `TooDeep`; an error points into the input.
//!
//! Whatever decodes is walked (`dlms_apdu_walk.rs`): `name()` is not empty, every list of the
//! view yields exactly the count it announced and uses up its bytes, every Data tree is walked,
//! every Data lies inside the input. `to_vec()` decodes again to an APDU of the same meaning (its
//! owned form), whose `to_vec()` is the same bytes (idempotence), and it is the input but for the
//! rewrites the standard allows, which the owned encoders make:
//!
//! - inside Data: a boolean octet other than 0/1 is written 01, and every A-XDR length (strings,
//!   bit-strings, containers, compact-array descriptions and contents) in the fewest octets (the
//!   first round's `dlms_data` normaliser is applied to each Data element of the view);
//! - in the APDU's own fields: an A-XDR length (a SEQUENCE OF count, an OCTET STRING such as a
//!   raw-data block or a ciphered information field) or a BER length (AARQ, AARE, RLRQ, RLRE and
//!   their nested TLVs) in the fewest octets, and a BOOLEAN (`last-block`) other than 0/1 as 01.
//!
//! The comparison after the Data are normalised is an alignment that accepts exactly those two
//! rewrites of the framing at any place (it does not know where the lengths are, so it is a
//! little more lenient than the standard).
#![no_main]
use fieldbridge_dlms::apdu::Apdu;
use fieldbridge_dlms::axdr::Limits;
use fieldbridge_dlms::Error;

#[path = "../common/dlms_axdr_canon.rs"]
mod canon;
#[path = "../common/dlms_apdu_walk.rs"]
mod walk;

fn check_limits<'a>(input: &'a [u8]) -> Result<Apdu<'a>, Error> {
    let default = Apdu::decode(input);
    assert_eq!(Apdu::decode_with(input, Limits::default()), default);
    let limited: Vec<_> = [1, 2, 64]
        .iter()
        .map(|&max_depth| Apdu::decode_with(input, Limits { max_depth }))
        .collect();
    let chain = [&limited[0], &limited[1], &default, &limited[2]];
    for pair in chain.windows(2) {
        let (shallow, deep) = (pair[0], pair[1]);
        match shallow {
            Ok(_) => assert_eq!(shallow, deep, "a deeper limit accepts the same APDU"),
            Err(Error::TooDeep { .. }) => {}
            Err(_) => assert_eq!(shallow, deep, "and fails the same way"),
        }
    }
    if let Err(e) = &default {
        assert!(e.offset() <= input.len(), "{e:?} points into the input");
    }
    default
}

libfuzzer_sys::fuzz_target!(|input: &[u8]| {
    let Ok(apdu) = check_limits(input) else {
        return;
    };
    let spans = walk::walk(&apdu, input);
    let encoded = apdu.to_vec();
    let mut appended = vec![0xEE];
    apdu.encode(&mut appended);
    assert_eq!(appended[1..], encoded[..], "encode appends");

    let again = Apdu::decode(&encoded)
        .unwrap_or_else(|e| panic!("the encoding {encoded:02X?} does not decode: {e:?}"));
    assert_eq!(again.name(), apdu.name());
    assert_eq!(walk::meaning(&again), walk::meaning(&apdu), "the same APDU");
    walk::walk(&again, &encoded);
    assert_eq!(again.to_vec(), encoded, "encoding is idempotent");

    let canonical = walk::with_canonical_data(input, &spans.spans);
    assert!(
        walk::equivalent(&canonical, &encoded),
        "the encoding is not the input modulo the allowed rewrites:\n input {input:02X?}\n data  {canonical:02X?}\n out   {encoded:02X?}"
    );
});
