//! IEC 101 FT1.2 on a serial line: the input is a raw line dump, hunted frame by frame with each
//! link address length. Hunting never panics, always makes progress, agrees with the strict
//! decoder where it finds a frame, and every frame re-encodes to the bytes it came from.
#![no_main]
use fieldbridge_iec60870::ft12::{self, AddressLen, LinkConfig};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    for address_len in [AddressLen::Zero, AddressLen::One, AddressLen::Two] {
        let config = LinkConfig::new(address_len);
        let mut rest = data;
        while !rest.is_empty() {
            let hunt = ft12::decode_hunting(rest, &config);
            let Some((frame, len)) = hunt.frame else {
                // Either all garbage, or the start of a frame that needs more bytes.
                assert!(
                    hunt.discarded == rest.len()
                        || ft12::decode(&rest[hunt.discarded..], &config) == Ok(None)
                );
                break;
            };
            let at = &rest[hunt.discarded..];
            assert_eq!(ft12::decode(at, &config), Ok(Some((frame, len))));
            let mut out = Vec::new();
            frame
                .encode(&config, &mut out)
                .expect("a decoded frame encodes");
            assert_eq!(out, at[..len]);
            assert!(hunt.consumed() > 0);
            rest = &rest[hunt.consumed()..];
        }
    }
});
