//! IEC 60870-5-101/-104 ASDUs: the first input byte selects one of the 12 size configurations
//! (cause, common address and IOA lengths), the rest is one ASDU. Decoding never panics, the lazy
//! object (or file segment) iterator yields exactly the announced count, and whatever decodes
//! re-encodes to the same bytes through both the view and the owned form, which decodes back to
//! itself.
#![no_main]
use fieldbridge_iec60870::asdu::{Asdu, AsduConfig, OwnedAsdu};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let config = AsduConfig::ALL[usize::from(selector) % AsduConfig::ALL.len()];
    let Ok(view) = Asdu::decode(bytes, &config) else {
        return;
    };
    let announced = if view.layout().is_some() {
        usize::from(view.header.count)
    } else {
        0
    };
    assert_eq!(view.objects().count(), announced);
    let segments = if view.is_segment() {
        usize::from(view.header.count)
    } else {
        0
    };
    assert_eq!(
        view.segments().count(),
        segments,
        "F_SG_NA_1 segments as announced"
    );

    let mut again = Vec::new();
    view.encode(&mut again).expect("a decoded ASDU re-encodes");
    assert_eq!(again, bytes, "the view re-encodes to its bytes");

    let owned = OwnedAsdu::from(&view);
    let mut wire = Vec::new();
    owned
        .encode(&mut wire)
        .expect("a decoded ASDU encodes from the owned form");
    assert_eq!(wire, bytes, "the owned form encodes to the same bytes");
    assert_eq!(owned.encoded_len(), bytes.len());
    let back = OwnedAsdu::decode(&wire, &config).expect("its encoding decodes");
    let mut twice = Vec::new();
    back.encode(&mut twice).expect("and encodes again");
    assert_eq!(twice, bytes);
});
