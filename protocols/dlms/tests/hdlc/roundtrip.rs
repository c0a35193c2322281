//! proptest round trips with the public strategies.

use fieldbridge_dlms::hdlc::{self, Frame, Parameters, Splitter};
use fieldbridge_dlms::strategy::hdlc as strategy;
use proptest::prelude::*;

proptest! {
    #[test]
    fn any_frame_decodes_to_itself(frame in strategy::frame(300)) {
        let mut bytes = Vec::new();
        frame.encode(&mut bytes).unwrap();
        prop_assert_eq!(bytes.len(), frame.encoded_len());
        let (decoded, len) = hdlc::decode(&bytes).unwrap().unwrap();
        prop_assert_eq!(len, bytes.len());
        prop_assert_eq!(decoded, frame.as_frame());
    }

    #[test]
    fn any_frames_split_anywhere_come_out_of_the_splitter(
        frames in proptest::collection::vec(strategy::frame(64), 1..5),
        cut in any::<prop::sample::Index>(),
        garbage in proptest::collection::vec(0u8..0x7E, 0..8),
    ) {
        let mut stream = garbage.clone();
        for f in &frames {
            f.encode(&mut stream).unwrap();
        }
        let cut = cut.index(stream.len() + 1);
        let mut s = Splitter::new();
        let mut out = Vec::new();
        for part in [&stream[..cut], &stream[cut..]] {
            s.push(part);
            while let Some(f) = s.next_frame() {
                out.push(f.to_owned_frame());
            }
        }
        prop_assert_eq!(out, frames);
        prop_assert_eq!(s.discarded(), garbage.len() as u64);
    }

    #[test]
    fn any_parameters_decode_to_themselves(p in strategy::parameters()) {
        let bytes = p.to_bytes();
        prop_assert_eq!(bytes.len(), p.encoded_len());
        prop_assert_eq!(Parameters::decode(&bytes), Ok(p));
    }

    #[test]
    fn no_input_makes_the_decoder_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = hdlc::decode(&bytes);
        let _ = Parameters::decode(&bytes);
        let mut s = Splitter::new();
        s.push(&bytes);
        while s.next_frame().is_some() {}
    }

    #[test]
    fn a_flipped_bit_is_never_accepted_as_the_same_frame(
        frame in strategy::frame(40), bit in any::<prop::sample::Index>()
    ) {
        let mut bytes = Vec::new();
        frame.encode(&mut bytes).unwrap();
        let bit = bit.index((bytes.len() - 2) * 8) + 8; // not in the opening flag
        bytes[bit / 8] ^= 1 << (bit % 8);
        if let Ok(Some((decoded, _))) = hdlc::decode(&bytes) {
            let original: Frame<'_> = frame.as_frame();
            prop_assert_ne!(decoded, original);
        }
    }
}
