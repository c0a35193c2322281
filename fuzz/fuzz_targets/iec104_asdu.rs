//! IEC 60870-5-101/-104 ASDUs: the first input byte selects one of the 12 size configurations
//! (cause, common address and IOA lengths), the rest is one ASDU. Decoding never panics, the lazy
//! object (or file segment) iterator yields exactly the announced count, `fold` (with its loops
//! specialised per layout) reads the same objects as `next`, also after `next` took some, and
//! whatever decodes
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
    let mut by_next = Vec::with_capacity(announced);
    let mut objects = view.objects();
    while let Some(object) = objects.next() {
        by_next.push(object);
    }
    for skip in [0, 1, announced / 2] {
        let mut rest = view.objects();
        for _ in 0..skip {
            rest.next();
        }
        let folded = rest.fold(Vec::new(), |mut all, object| {
            all.push(object);
            all
        });
        let expected = by_next.get(skip.min(by_next.len())..).unwrap_or_default();
        // Compare encodings through Debug: a NaN float is not equal to itself.
        assert_eq!(
            format!("{folded:?}"),
            format!("{expected:?}"),
            "fold and next read the same objects after {skip}"
        );
    }
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
