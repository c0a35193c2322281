//! ASDU round trips: `decode(encode(x)) == x` over every type ID and every size configuration,
//! byte-exact re-encoding of whatever decodes, and no panic on any input.

use fieldbridge_iec60870::asdu::{
    Asdu, AsduConfig, Cot, CotLen, Element, InformationObject, Layout, OwnedAsdu, TimeKind,
    TimeTag, TypeId,
};
use fieldbridge_iec60870::types::{Cp24Time2a, Cp56Time2a};
use proptest::prelude::*;

/// The element's floats with NaN replaced by 0, so that structures compare equal.
fn no_nan(element: Element) -> Element {
    let fix = |v: f32| if v.is_nan() { 0.0 } else { v };
    match element {
        Element::Float { value, qds } => Element::Float {
            value: fix(value),
            qds,
        },
        Element::SetpointFloat { value, qos } => Element::SetpointFloat {
            value: fix(value),
            qos,
        },
        Element::ParameterFloat { value, qpm } => Element::ParameterFloat {
            value: fix(value),
            qpm,
        },
        other => other,
    }
}

/// An object of `layout` at `address`, its octets taken from `bytes` (any values: every octet
/// string is a valid element).
fn object(layout: &Layout, address: u32, bytes: &[u8]) -> InformationObject {
    let (element, time) = bytes.split_at(layout.element.len());
    let element = no_nan(Element::decode(layout.element, element));
    let time = match layout.time {
        TimeKind::None => None,
        TimeKind::Cp24 => Some(TimeTag::Cp24(Cp24Time2a::decode(time).unwrap())),
        TimeKind::Cp56 => Some(TimeTag::Cp56(Cp56Time2a::decode(time).unwrap())),
    };
    InformationObject {
        address,
        element,
        time,
    }
}

/// An ASDU of `type_id` under `config` with `count` objects whose octets come from `seed`.
fn build(
    config: AsduConfig,
    type_id: TypeId,
    sequence: bool,
    addresses: &[u32],
    seed: &[u8],
) -> OwnedAsdu {
    let mut asdu = OwnedAsdu::new(config, type_id, Cot::SPONTANEOUS, 1).sequence(sequence);
    match Layout::of(type_id) {
        Some(layout) => {
            let len = layout.element_len();
            let first = addresses.first().copied().unwrap_or(0);
            for (i, address) in addresses.iter().enumerate() {
                let bytes: Vec<u8> = seed.iter().cycle().skip(i * 7).take(len).copied().collect();
                let address = if sequence { first + i as u32 } else { *address };
                asdu.push(object(&layout, address, &bytes));
            }
        }
        None => asdu = asdu.with_raw(addresses.len() as u8, seed.to_vec()),
    }
    asdu
}

fn round_trip(asdu: &OwnedAsdu) -> Vec<u8> {
    let mut wire = Vec::new();
    asdu.encode(&mut wire)
        .unwrap_or_else(|e| panic!("{asdu:?}: {e}"));
    assert_eq!(wire.len(), asdu.encoded_len());
    assert_eq!(OwnedAsdu::decode(&wire, &asdu.config).as_ref(), Ok(asdu));
    wire
}

#[test]
fn every_type_id_round_trips_under_every_configuration() {
    let seed: Vec<u8> = (0..64u8)
        .map(|i| i.wrapping_mul(37).wrapping_add(5))
        .collect();
    for config in AsduConfig::ALL {
        for id in 0..=u8::MAX {
            for sequence in [false, true] {
                for addresses in [&[][..], &[0][..], &[7, 3, 250][..]] {
                    round_trip(&build(config, TypeId(id), sequence, addresses, &seed));
                }
            }
        }
    }
}

fn config() -> impl Strategy<Value = AsduConfig> {
    prop::sample::select(AsduConfig::ALL.to_vec())
}

fn type_id() -> impl Strategy<Value = TypeId> {
    let with_layout: Vec<TypeId> = (0..=u8::MAX)
        .map(TypeId)
        .filter(|id| Layout::of(*id).is_some())
        .collect();
    prop_oneof![
        3 => prop::sample::select(with_layout),
        1 => any::<u8>().prop_map(TypeId),
    ]
}

prop_compose! {
    fn asdu()(config in config(), type_id in type_id(), sequence in any::<bool>(),
              count in 0usize..10, addresses in prop::collection::vec(any::<u32>(), 10),
              seed in prop::collection::vec(any::<u8>(), 1..80),
              cause in 0u8..64, negative in any::<bool>(), test in any::<bool>(),
              originator in any::<u8>(), common_address in any::<u16>()) -> OwnedAsdu {
        let max = config.max_ioa();
        let addresses: Vec<u32> = addresses.iter().take(count).map(|a| a % (max + 1)).collect();
        let mut asdu = build(config, type_id, sequence, &addresses, &seed);
        asdu.header.cause = Cot(cause);
        asdu.header.negative = negative;
        asdu.header.test = test;
        asdu.header.originator = if config.cot_len == CotLen::Two { originator } else { 0 };
        asdu.header.common_address = common_address & config.max_common_address();
        asdu
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn any_asdu_built_round_trips(asdu in asdu()) {
        round_trip(&asdu);
    }

    #[test]
    fn any_asdu_that_decodes_re_encodes_to_the_same_bytes(
        config in config(),
        bytes in prop::collection::vec(any::<u8>(), 0..120),
    ) {
        if let Ok(view) = Asdu::decode(&bytes, &config) {
            let mut wire = Vec::new();
            view.encode(&mut wire).unwrap();
            prop_assert_eq!(&wire, &bytes);
            // The objects read lazily number as announced, and the owned form re-encodes too
            // (NaN floats included: compare bytes, not values).
            prop_assert_eq!(view.objects().count(), view.objects().len());
            let mut owned = Vec::new();
            OwnedAsdu::from(&view).encode(&mut owned).unwrap();
            prop_assert_eq!(&owned, &bytes);
        }
    }

    #[test]
    fn well_formed_object_bodies_decode_under_every_configuration(
        config in config(),
        type_id in type_id(),
        sequence in any::<bool>(),
        count in 0u8..=127,
        seed in any::<u8>(),
    ) {
        // Whatever the type ID, a body of exactly the announced length decodes.
        let mut bytes = vec![type_id.0, count | if sequence { 0x80 } else { 0 }, 3];
        bytes.resize(config.header_len(), 1);
        if let Some(layout) = Layout::of(type_id) {
            let n = usize::from(count);
            let len = match (n, sequence) {
                (0, _) => 0,
                (n, true) => config.ioa_len() + n * layout.element_len(),
                (n, false) => n * (config.ioa_len() + layout.element_len()),
            };
            bytes.extend(std::iter::repeat_n(seed, len));
        }
        let view = Asdu::decode(&bytes, &config).unwrap();
        prop_assert_eq!(view.objects().count(), if view.layout().is_some() { usize::from(count) } else { 0 });
    }
}
