//! Strategies for ASDUs (IEC 60870-5-101 clause 7, IEC 60870-5-104 clause 8): the size
//! configurations, type IDs, elements, time tags, information objects, file segments and whole
//! [`OwnedAsdu`]s valid under a configuration.

use crate::asdu::{
    AsduConfig, Cot, CotLen, Element, ElementKind, InformationObject, Layout, OwnedAsdu,
    OwnedSegment, TimeKind, TimeTag, TypeId,
};
use crate::types::{Cp24Time2a, Cp56Time2a, Nof, Nos};
use proptest::collection::vec;
use proptest::prelude::*;

/// The longest ASDU generated: what an IEC 104 I frame carries (IEC 60870-5-104 clause 5.1).
/// FT1.2 frames carry at least 252 octets, so every ASDU generated fits them too.
pub const MAX_ASDU_LEN: usize = 249;

/// One of the 12 size configurations ([`AsduConfig::ALL`]).
pub fn asdu_config() -> impl Strategy<Value = AsduConfig> {
    prop::sample::select(AsduConfig::ALL.to_vec())
}

/// A type ID with a [`Layout`] (the 66 decoded into objects).
pub fn type_id_with_layout() -> impl Strategy<Value = TypeId> {
    let ids: Vec<TypeId> = (0..=u8::MAX)
        .map(TypeId)
        .filter(|id| Layout::of(*id).is_some())
        .collect();
    prop::sample::select(ids)
}

/// Any type ID, three times in four one with a [`Layout`], else any octet (the file segment,
/// private and reserved type IDs among them).
pub fn type_id() -> impl Strategy<Value = TypeId> {
    prop_oneof![
        3 => type_id_with_layout(),
        1 => any::<u8>().prop_map(TypeId),
    ]
}

/// The element's floats with NaN replaced by 0.
fn without_nan(element: Element) -> Element {
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

/// An element of `kind`: any octets it can be sent as (every octet string is one), floats
/// never NaN.
pub fn element(kind: ElementKind) -> impl Strategy<Value = Element> {
    vec(any::<u8>(), kind.len()).prop_map(move |bytes| without_nan(Element::decode(kind, &bytes)))
}

/// A time tag of `kind`, any bit pattern; `None` for [`TimeKind::None`].
pub fn time_tag(kind: TimeKind) -> BoxedStrategy<Option<TimeTag>> {
    match kind {
        TimeKind::None => Just(None).boxed(),
        TimeKind::Cp24 => any::<[u8; 3]>()
            .prop_map(|b| Some(TimeTag::Cp24(Cp24Time2a::from_bytes(b))))
            .boxed(),
        TimeKind::Cp56 => any::<[u8; 7]>()
            .prop_map(|b| Some(TimeTag::Cp56(Cp56Time2a::from_bytes(b))))
            .boxed(),
    }
}

/// An information object of `layout` at `address`.
pub fn information_object(
    layout: Layout,
    address: impl Strategy<Value = u32>,
) -> impl Strategy<Value = InformationObject> {
    (address, element(layout.element), time_tag(layout.time)).prop_map(
        |(address, element, time)| InformationObject {
            address,
            element,
            time,
        },
    )
}

/// A file segment of F_SG_NA_1 at `address` with `0..=max_len` octets.
pub fn owned_segment(
    address: impl Strategy<Value = u32>,
    max_len: usize,
) -> impl Strategy<Value = OwnedSegment> {
    (
        address,
        any::<u16>(),
        any::<u8>(),
        vec(any::<u8>(), 0..=max_len.min(255)),
    )
        .prop_map(|(address, nof, nos, data)| OwnedSegment::new(address, Nof(nof), Nos(nos), data))
}

/// A data unit identifier's fields other than the type ID and count, valid under `config`.
fn header_fields(config: AsduConfig) -> impl Strategy<Value = (Cot, bool, bool, u8, u16)> {
    let originator = if config.cot_len == CotLen::Two {
        any::<u8>().boxed()
    } else {
        Just(0).boxed()
    };
    (
        (0u8..64).prop_map(Cot),
        any::<bool>(),
        any::<bool>(),
        originator,
        0..=config.max_common_address(),
    )
}

/// How many objects may follow: as many as fit [`MAX_ASDU_LEN`], at most 127; small counts
/// four times in five.
fn count(max: usize) -> BoxedStrategy<usize> {
    let max = max.min(127);
    prop_oneof![4 => 0..=max.min(8), 1 => 0..=max].boxed()
}

/// An ASDU of `type_id` valid under `config` (it encodes, and decodes back to itself) of at
/// most [`MAX_ASDU_LEN`] octets: objects for a type ID with a [`Layout`] (SQ 0 or 1), file
/// segments for F_SG_NA_1, raw octets for the others.
pub fn owned_asdu_of(config: AsduConfig, type_id: TypeId) -> BoxedStrategy<OwnedAsdu> {
    let room = MAX_ASDU_LEN - config.header_len();
    let ioa = config.ioa_len();
    let max_ioa = config.max_ioa();
    let body = match Layout::of(type_id) {
        Some(layout) => {
            let element = layout.element_len();
            any::<bool>()
                .prop_flat_map(move |sequence| {
                    let max = if sequence {
                        (room - ioa).checked_div(element).unwrap_or(127)
                    } else {
                        room / (ioa + element)
                    };
                    let objects = count(max)
                        .prop_flat_map(move |n| vec(information_object(layout, 0..=max_ioa), n));
                    (Just(sequence), objects, 0..=max_ioa)
                })
                .prop_map(move |(sequence, mut objects, first)| {
                    if sequence {
                        for (i, object) in objects.iter_mut().enumerate() {
                            object.address = first.wrapping_add(i as u32);
                        }
                    }
                    let mut asdu = OwnedAsdu::new(config, type_id, Cot(0), 0).sequence(sequence);
                    for object in objects {
                        asdu.push(object);
                    }
                    asdu
                })
                .boxed()
        }
        None if type_id == TypeId::F_SG_NA_1 => (any::<bool>(), 0usize..=3)
            .prop_flat_map(move |(sequence, n)| {
                let addresses = if sequence { n.min(1) } else { n };
                let each = (room - addresses * ioa - n * 4) / n.max(1);
                (
                    Just(sequence),
                    vec(owned_segment(0..=max_ioa, each), n),
                    0..=max_ioa,
                )
            })
            .prop_map(move |(sequence, mut segments, first)| {
                if sequence {
                    for (i, segment) in segments.iter_mut().enumerate() {
                        segment.address = first.wrapping_add(i as u32);
                    }
                }
                let mut asdu = OwnedAsdu::new(config, type_id, Cot(0), 0).sequence(sequence);
                for segment in segments {
                    asdu.push_segment(segment);
                }
                asdu
            })
            .boxed(),
        None => (any::<bool>(), 0u8..=127, vec(any::<u8>(), 0..=room))
            .prop_map(move |(sequence, count, bytes)| {
                OwnedAsdu::new(config, type_id, Cot(0), 0)
                    .sequence(sequence)
                    .with_raw(count, bytes)
            })
            .boxed(),
    };
    (body, header_fields(config))
        .prop_map(|(mut asdu, (cause, negative, test, originator, ca))| {
            asdu.header.cause = cause;
            asdu.header.negative = negative;
            asdu.header.test = test;
            asdu.header.originator = originator;
            asdu.header.common_address = ca;
            asdu
        })
        .boxed()
}

/// An ASDU valid under `config`, of any [`type_id`].
pub fn owned_asdu(config: AsduConfig) -> impl Strategy<Value = OwnedAsdu> {
    type_id().prop_flat_map(move |type_id| owned_asdu_of(config, type_id))
}

/// A size configuration and an ASDU valid under it.
pub fn any_owned_asdu() -> impl Strategy<Value = (AsduConfig, OwnedAsdu)> {
    asdu_config().prop_flat_map(|config| (Just(config), owned_asdu(config)))
}
