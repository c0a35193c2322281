//! proptest round trips: `decode(encode(x)) == x` for every APDU of the association layer, with
//! `encoded_len` equal to what `encode` writes and the decoded view encoding to the same octets.

use fieldbridge_dlms::apdu::association::{AareView, AarqView};
use fieldbridge_dlms::apdu::conformance::Conformance;
use fieldbridge_dlms::apdu::initiate::{ConfirmedServiceError, InitiateRequest, InitiateResponse};
use fieldbridge_dlms::apdu::release::{ReleaseRequestView, ReleaseResponseView};
use fieldbridge_dlms::strategy::association as strategy;
use proptest::prelude::*;

proptest! {
    #[test]
    fn aarq_round_trips(aarq in strategy::aarq()) {
        let mut wire = Vec::new();
        aarq.encode(&mut wire);
        prop_assert_eq!(aarq.encoded_len(), wire.len());
        let view = AarqView::decode(&wire).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&view.owned(), &aarq);
        let mut again = Vec::new();
        view.encode(&mut again);
        prop_assert_eq!(again, wire);
    }

    #[test]
    fn aare_round_trips(aare in strategy::aare()) {
        let mut wire = Vec::new();
        aare.encode(&mut wire);
        prop_assert_eq!(aare.encoded_len(), wire.len());
        let view = AareView::decode(&wire).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&view.owned(), &aare);
        let mut again = Vec::new();
        view.encode(&mut again);
        prop_assert_eq!(again, wire);
    }

    #[test]
    fn rlrq_round_trips(rlrq in strategy::rlrq()) {
        let mut wire = Vec::new();
        rlrq.encode(&mut wire);
        prop_assert_eq!(rlrq.encoded_len(), wire.len());
        let view = ReleaseRequestView::decode(&wire)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(view.owned(), rlrq);
    }

    #[test]
    fn rlre_round_trips(rlre in strategy::rlre()) {
        let mut wire = Vec::new();
        rlre.encode(&mut wire);
        prop_assert_eq!(rlre.encoded_len(), wire.len());
        let view = ReleaseResponseView::decode(&wire)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(view.owned(), rlre);
    }

    #[test]
    fn initiate_request_round_trips(request in strategy::initiate_request()) {
        let mut wire = Vec::new();
        request.encode(&mut wire);
        prop_assert_eq!(request.encoded_len(), wire.len());
        prop_assert_eq!(InitiateRequest::decode(&wire), Ok(request));
    }

    #[test]
    fn initiate_response_round_trips(response in strategy::initiate_response()) {
        let mut wire = Vec::new();
        response.encode(&mut wire);
        prop_assert_eq!(response.encoded_len(), wire.len());
        prop_assert_eq!(InitiateResponse::decode(&wire), Ok(response));
    }

    #[test]
    fn confirmed_service_error_round_trips(error in strategy::confirmed_service_error()) {
        let mut wire = Vec::new();
        error.encode(&mut wire);
        prop_assert_eq!(wire.len(), ConfirmedServiceError::ENCODED_LEN);
        prop_assert_eq!(ConfirmedServiceError::decode(&wire), Ok(error));
    }

    #[test]
    fn conformance_round_trips(conformance in strategy::conformance()) {
        let mut wire = Vec::new();
        conformance.encode(&mut wire);
        prop_assert_eq!(wire.len(), Conformance::ENCODED_LEN);
        prop_assert_eq!(Conformance::decode(&wire), Ok(conformance));
        let rebuilt = conformance
            .iter()
            .fold(Conformance::EMPTY, |acc, (_, flag)| acc | flag);
        prop_assert_eq!(rebuilt, conformance);
    }
}
