//! The public strategies themselves: the element strategies fill every file transfer element
//! and the ones they share with other type IDs, and whatever they build encodes, decodes back to
//! itself and fits the frames the strategies promise.

use fieldbridge_iec60870::asdu::{AsduConfig, Element, InformationObject, OwnedAsdu, TypeId};
use fieldbridge_iec60870::asdu::{Cot, Layout};
use fieldbridge_iec60870::strategy;
use proptest::prelude::*;

fn round_trip(type_id: TypeId, element: Element, config: AsduConfig) {
    let asdu = OwnedAsdu::new(config, type_id, Cot::FILE_TRANSFER, 1)
        .with(InformationObject::new(0, element));
    let mut wire = Vec::new();
    asdu.encode(&mut wire).unwrap();
    assert_eq!(
        wire.len(),
        config.header_len() + config.ioa_len() + element.kind().len()
    );
    assert_eq!(OwnedAsdu::decode(&wire, &config).unwrap(), asdu);
}

proptest! {
    #[test]
    fn file_elements_from_the_element_strategies_round_trip(
        config in strategy::asdu_config(),
        (nof, nos, lof) in (strategy::nof(), strategy::nos(), strategy::lof()),
        (frq, srq, scq, lsq) in (strategy::frq(), strategy::srq(), strategy::scq(), strategy::lsq()),
        (afq, sof, chs) in (strategy::afq(), strategy::sof(), strategy::chs()),
        (created, stop) in (strategy::cp56time2a(), strategy::cp56time2a_in_range()),
    ) {
        prop_assert!(stop.in_range());
        round_trip(TypeId::F_FR_NA_1, Element::FileReady { nof, lof, frq }, config);
        round_trip(TypeId::F_SR_NA_1, Element::SectionReady { nof, nos, lof, srq }, config);
        round_trip(TypeId::F_SC_NA_1, Element::CallFile { nof, nos, scq }, config);
        round_trip(TypeId::F_LS_NA_1, Element::LastSection { nof, nos, lsq, chs }, config);
        round_trip(TypeId::F_AF_NA_1, Element::AckFile { nof, nos, afq }, config);
        round_trip(TypeId::F_DR_TA_1, Element::Directory { nof, lof, sof, created }, config);
        round_trip(TypeId::F_SC_NB_1, Element::QueryLog { nof, start: created, stop }, config);
    }

    #[test]
    fn monitoring_elements_from_the_element_strategies_round_trip(
        config in strategy::asdu_config(),
        (siq, diq, qds, vti) in (strategy::siq(), strategy::diq(), strategy::qds(), strategy::vti()),
        (nva, bcr, scd, value) in (strategy::nva(), strategy::bcr(), strategy::scd(), strategy::float()),
        (sep, elapsed) in (strategy::sep(), strategy::cp16time2a()),
    ) {
        prop_assert!(!value.is_nan());
        round_trip(TypeId::M_SP_NA_1, Element::SinglePoint(siq), config);
        round_trip(TypeId::M_DP_NA_1, Element::DoublePoint(diq), config);
        round_trip(TypeId::M_ST_NA_1, Element::StepPosition { vti, qds }, config);
        round_trip(TypeId::M_ME_NA_1, Element::Normalized { nva, qds }, config);
        round_trip(TypeId::M_ME_NC_1, Element::Float { value, qds }, config);
        round_trip(TypeId::M_IT_NA_1, Element::Counter(bcr), config);
        round_trip(TypeId::M_PS_NA_1, Element::PackedSinglePoints { scd, qds }, config);
        let event = Element::ProtectionEvent { sep, elapsed };
        let asdu = OwnedAsdu::new(config, TypeId::M_EP_TD_1, Cot::SPONTANEOUS, 1)
            .with(InformationObject::new(0, event));
        // Without its time tag the object does not fit the type ID; the strategy for the whole
        // object adds it.
        prop_assert!(asdu.encode(&mut Vec::new()).is_err());
    }

    #[test]
    fn information_objects_fit_their_layout(
        (layout, object) in strategy::type_id_with_layout().prop_flat_map(|id| {
            let layout = Layout::of(id).unwrap();
            (Just(layout), strategy::information_object(layout, 0u32..=255))
        }),
    ) {
        prop_assert!(object.fits(&layout));
        prop_assert!(object.address <= 255);
    }

    #[test]
    fn generated_asdus_fit_an_i_frame_and_every_ft12_frame(
        (config, asdu) in strategy::any_owned_asdu(),
        link in strategy::link_config(),
    ) {
        prop_assert_eq!(asdu.config, config);
        prop_assert!(asdu.check().is_ok());
        prop_assert!(asdu.encoded_len() <= strategy::MAX_ASDU_LEN);
        prop_assert!(asdu.encoded_len() <= 255 - 1 - link.address_len.octets());
    }
}
