//! IEC 60870-5 parse then encode: the first byte selects the framing and the ASDU size
//! configuration, the rest is one frame. Selector `s`: `s % 12` indexes `AsduConfig::ALL`;
//! `(s / 12) % 4` is 0 for an IEC 104 APDU, 1, 2 or 3 for an FT1.2 frame with a link address
//! of 0, 1 or 2 octets. Whatever decodes re-encodes to its bytes; an ASDU inside goes view ->
//! owned -> encode -> decode and comes back with the same objects, segments and bytes, and the
//! frame rebuilt around the owned ASDU is the frame that came in.
#![no_main]
use fieldbridge_iec60870::apci::{self, Apdu};
use fieldbridge_iec60870::asdu::{Asdu, AsduConfig, OwnedAsdu};
use fieldbridge_iec60870::ft12::{self, AddressLen, Frame, LinkConfig};

/// The ASDU's round trip through the owned form; returns its encoding.
fn asdu_round_trip(bytes: &[u8], config: &AsduConfig) -> Option<Vec<u8>> {
    let view = Asdu::decode(bytes, config).ok()?;
    let owned = OwnedAsdu::from(&view);
    assert_eq!(owned.encoded_len(), bytes.len());
    let mut wire = Vec::new();
    owned
        .encode(&mut wire)
        .expect("a decoded ASDU encodes from the owned form");
    assert_eq!(
        wire, bytes,
        "the owned form encodes to the bytes it came from"
    );
    let back = OwnedAsdu::decode(&wire, config).expect("its encoding decodes");
    // NaN floats are not equal to themselves: compare values only where they are.
    #[allow(clippy::eq_op)]
    if owned == owned {
        assert_eq!(back, owned, "decode(encode(x)) == x");
    }
    assert_eq!(back.header, owned.header);
    let again = Asdu::decode(&wire, config).expect("and decodes as a view");
    assert_eq!(again.objects().len(), owned.objects().len());
    assert!(again
        .segments()
        .eq(owned.segments().iter().map(|s| s.as_segment())));
    let mut twice = Vec::new();
    back.encode(&mut twice).expect("and encodes again");
    assert_eq!(twice, bytes);
    Some(wire)
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&selector, frame)) = data.split_first() else {
        return;
    };
    let config = AsduConfig::ALL[usize::from(selector) % AsduConfig::ALL.len()];
    let link = match (selector / 12) % 4 {
        0 => None,
        1 => Some(LinkConfig::new(AddressLen::Zero)),
        2 => Some(LinkConfig::new(AddressLen::One)),
        _ => Some(LinkConfig::new(AddressLen::Two)),
    };
    match link {
        None => {
            let Ok(Some((apdu, len))) = apci::decode(frame) else {
                return;
            };
            let mut out = Vec::new();
            apdu.encode(&mut out).expect("a decoded APDU encodes");
            assert_eq!(out, frame[..len]);
            if let Some(asdu) = asdu_round_trip(apdu.asdu, &config) {
                let rebuilt = Apdu {
                    apci: apdu.apci,
                    asdu: &asdu,
                };
                let mut out = Vec::new();
                rebuilt.encode(&mut out).expect("the rebuilt APDU encodes");
                assert_eq!(out, frame[..len]);
            }
        }
        Some(link) => {
            let Ok(Some((decoded, len))) = ft12::decode(frame, &link) else {
                return;
            };
            let mut out = Vec::new();
            decoded
                .encode(&link, &mut out)
                .expect("a decoded frame encodes");
            assert_eq!(out, frame[..len]);
            if let Frame::Variable {
                control,
                address,
                asdu,
            } = decoded
            {
                if let Some(asdu) = asdu_round_trip(asdu, &config) {
                    let rebuilt = Frame::Variable {
                        control,
                        address,
                        asdu: &asdu,
                    };
                    let mut out = Vec::new();
                    rebuilt
                        .encode(&link, &mut out)
                        .expect("the rebuilt frame encodes");
                    assert_eq!(out, frame[..len]);
                }
            }
        }
    }
});
