//! proptest round trips: decode(encode(x)) == x for every APDU kind, and the encoded length is
//! what `encoded_len` said.

use fieldbridge_dlms::apdu::action::{ActionRequest, ActionResponse};
use fieldbridge_dlms::apdu::get::{GetRequest, GetResponse};
use fieldbridge_dlms::apdu::set::{SetRequest, SetResponse};
use fieldbridge_dlms::strategy::services as s;
use proptest::prelude::*;

macro_rules! round_trip {
    ($name:ident, $strategy:expr, $view:ident) => {
        proptest! {
            #[test]
            fn $name(x in $strategy) {
                let bytes = x.to_vec();
                prop_assert_eq!(bytes.len(), x.encoded_len());
                let decoded = $view::decode(&bytes).unwrap();
                prop_assert_eq!(decoded.to_owned(), x);
                for len in 0..bytes.len() {
                    prop_assert!($view::decode(&bytes[..len]).is_err());
                }
            }
        }
    };
}

round_trip!(get_requests_round_trip, s::get_request(), GetRequest);
round_trip!(get_responses_round_trip, s::get_response(), GetResponse);
round_trip!(set_requests_round_trip, s::set_request(), SetRequest);
round_trip!(set_responses_round_trip, s::set_response(), SetResponse);
round_trip!(
    action_requests_round_trip,
    s::action_request(),
    ActionRequest
);
round_trip!(
    action_responses_round_trip,
    s::action_response(),
    ActionResponse
);

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic_any_decoder(bytes in proptest::collection::vec(any::<u8>(), 0..64), tag in prop::sample::select(vec![0xC0u8, 0xC1, 0xC3, 0xC4, 0xC5, 0xC7])) {
        let mut input = vec![tag];
        input.extend_from_slice(&bytes);
        let _ = GetRequest::decode(&input);
        let _ = GetResponse::decode(&input);
        let _ = SetRequest::decode(&input);
        let _ = SetResponse::decode(&input);
        let _ = ActionRequest::decode(&input);
        let _ = ActionResponse::decode(&input);
    }
}
