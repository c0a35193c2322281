//! ASDU round trips: `decode(encode(x)) == x` over every type ID and every size configuration,
//! byte-exact re-encoding of whatever decodes, and no panic on any input. The ASDUs come from the
//! crate's public strategies (`fieldbridge_iec60870::strategy`).

use fieldbridge_iec60870::asdu::{Asdu, AsduConfig, Layout, OwnedAsdu, TypeId};
use fieldbridge_iec60870::strategy;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

fn round_trip(asdu: &OwnedAsdu) -> Vec<u8> {
    let mut wire = Vec::new();
    asdu.encode(&mut wire)
        .unwrap_or_else(|e| panic!("{asdu:?}: {e}"));
    assert_eq!(wire.len(), asdu.encoded_len());
    assert!(wire.len() <= strategy::MAX_ASDU_LEN, "{asdu:?}");
    assert_eq!(OwnedAsdu::decode(&wire, &asdu.config).as_ref(), Ok(asdu));
    wire
}

#[test]
fn every_type_id_round_trips_under_every_configuration() {
    // Deterministic: the same ASDUs on every run, a few of each type ID under each of the 12
    // configurations (SQ 0 and 1, no objects to as many as fit, raw and segment bodies).
    let mut runner = TestRunner::deterministic();
    let mut seen_sequence = [false; 2];
    for config in AsduConfig::ALL {
        for id in 0..=u8::MAX {
            let strategy = strategy::owned_asdu_of(config, TypeId(id));
            for _ in 0..6 {
                let asdu = strategy.new_tree(&mut runner).unwrap().current();
                assert_eq!(asdu.config, config);
                assert_eq!(asdu.header.type_id, TypeId(id));
                seen_sequence[usize::from(asdu.header.sequence)] = true;
                round_trip(&asdu);
            }
        }
    }
    assert_eq!(seen_sequence, [true, true]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn any_asdu_built_round_trips((config, asdu) in strategy::any_owned_asdu()) {
        prop_assert_eq!(asdu.config, config);
        let wire = round_trip(&asdu);
        // The view reads the same objects and segments, and re-encodes the same bytes.
        let view = Asdu::decode(&wire, &config).unwrap();
        prop_assert!(view.objects().eq(asdu.objects().iter().copied()));
        prop_assert!(view.segments().eq(asdu.segments().iter().map(|s| s.as_segment())));
        let mut again = Vec::new();
        view.encode(&mut again).unwrap();
        prop_assert_eq!(again, wire);
    }

    #[test]
    fn any_asdu_that_decodes_re_encodes_to_the_same_bytes(
        config in strategy::asdu_config(),
        bytes in prop::collection::vec(any::<u8>(), 0..120),
    ) {
        if let Ok(view) = Asdu::decode(&bytes, &config) {
            let mut wire = Vec::new();
            view.encode(&mut wire).unwrap();
            prop_assert_eq!(&wire, &bytes);
            // The objects read lazily number as announced, and the owned form re-encodes too
            // (NaN floats included: compare bytes, not values).
            prop_assert_eq!(view.objects().count(), view.objects().len());
            prop_assert_eq!(view.segments().count(), view.segments().len());
            let mut owned = Vec::new();
            OwnedAsdu::from(&view).encode(&mut owned).unwrap();
            prop_assert_eq!(&owned, &bytes);
        }
    }

    #[test]
    fn well_formed_object_bodies_decode_under_every_configuration(
        config in strategy::asdu_config(),
        type_id in strategy::type_id(),
        sequence in any::<bool>(),
        count in 0u8..=127,
        seed in any::<u8>(),
    ) {
        // Whatever the type ID, a body of exactly the announced length decodes.
        let mut bytes = vec![type_id.0, count | if sequence { 0x80 } else { 0 }, 3];
        bytes.resize(config.header_len(), 1);
        let n = usize::from(count);
        let ioa = config.ioa_len();
        let addresses = match (n, sequence) {
            (0, _) => 0,
            (_, true) => 1,
            (n, false) => n,
        };
        let segment = type_id == TypeId::F_SG_NA_1;
        if let Some(layout) = Layout::of(type_id) {
            let len = addresses * ioa + n * layout.element_len();
            bytes.extend(std::iter::repeat_n(seed, len));
        } else if segment {
            // Segments of no octets: NOF, NOS and LOS 0 each.
            bytes.extend(std::iter::repeat_n(seed, addresses * ioa + n * 4));
            let header = config.header_len();
            let mut pos = header + if sequence && n > 0 { ioa } else { 0 };
            for _ in 0..n {
                pos += if sequence { 0 } else { ioa } + 4;
                bytes[pos - 1] = 0;
            }
        }
        let view = Asdu::decode(&bytes, &config).unwrap();
        let expected = if view.layout().is_some() { n } else { 0 };
        prop_assert_eq!(view.objects().count(), expected);
        prop_assert_eq!(view.segments().count(), if segment { n } else { 0 });
    }
}

/// The objects read one by one with `next`, as a `for` loop does.
fn by_next(asdu: &Asdu<'_>, skip: usize) -> Vec<fieldbridge_iec60870::InformationObject> {
    let mut objects = asdu.objects();
    let mut out = Vec::new();
    for _ in 0..skip {
        objects.next();
    }
    for object in objects {
        out.push(object);
    }
    out
}

#[test]
fn fold_reads_the_same_objects_as_next_for_every_type_id_and_configuration() {
    // `Objects::fold` has loops of its own, specialised for the monitoring layouts: it must
    // agree with `next` everywhere, also when `next` already took some objects.
    let mut runner = TestRunner::deterministic();
    for config in AsduConfig::ALL {
        for id in 0..=u8::MAX {
            let strategy = strategy::owned_asdu_of(config, TypeId(id));
            for _ in 0..4 {
                let owned = strategy.new_tree(&mut runner).unwrap().current();
                let wire = round_trip(&owned);
                let asdu = Asdu::decode(&wire, &config).unwrap();
                for skip in [0, 1, 3] {
                    let mut objects = asdu.objects();
                    objects.by_ref().take(skip).for_each(drop);
                    let folded = objects.fold(Vec::new(), |mut all, object| {
                        all.push(object);
                        all
                    });
                    assert_eq!(folded, by_next(&asdu, skip), "{owned:?}, {skip} skipped");
                }
            }
        }
    }
}
