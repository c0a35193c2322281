//! Valid APDUs of every kind, mutated (a byte flipped or set to a length-like value, a byte
//! inserted or deleted, the end cut off): no decoder panics, and whatever decodes encodes again
//! to bytes that decode to the same value.

use fieldbridge_dlms::apdu::Apdu;
use fieldbridge_dlms::strategy::services as s;
use proptest::prelude::*;
use proptest::sample::Index;

/// Octets that are lengths, counts, tags or booleans somewhere in an APDU.
const SPECIAL: [u8; 11] = [
    0x00, 0x01, 0x02, 0x04, 0x13, 0x7F, 0x80, 0x81, 0x82, 0x84, 0xFF,
];

#[derive(Debug, Clone)]
enum Mutation {
    Flip(Index, u8),
    Special(Index, Index),
    Insert(Index, u8),
    Delete(Index),
    Truncate(Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<Index>(), 1..=255u8).prop_map(|(i, x)| Mutation::Flip(i, x)),
        (any::<Index>(), any::<Index>()).prop_map(|(i, v)| Mutation::Special(i, v)),
        (any::<Index>(), any::<u8>()).prop_map(|(i, x)| Mutation::Insert(i, x)),
        any::<Index>().prop_map(Mutation::Delete),
        any::<Index>().prop_map(Mutation::Truncate),
    ]
}

fn apply(input: &mut Vec<u8>, mutation: &Mutation) {
    let len = input.len();
    match mutation {
        Mutation::Flip(i, x) if len > 0 => input[i.index(len)] ^= x,
        Mutation::Special(i, v) if len > 0 => input[i.index(len)] = SPECIAL[v.index(SPECIAL.len())],
        Mutation::Insert(i, x) => input.insert(i.index(len + 1), *x),
        Mutation::Delete(i) if len > 0 => {
            input.remove(i.index(len));
        }
        Mutation::Truncate(i) if len > 0 => input.truncate(i.index(len)),
        _ => {}
    }
}

/// Decodes `input`; when it decodes, checks that its encoding decodes to the same value (the
/// encoding is canonical, so the same value means the same encoding again) and is never longer
/// than the input (the input may only have used longer forms, such as a long-form length).
fn check(input: &[u8]) -> Result<(), TestCaseError> {
    let Ok(apdu) = Apdu::decode(input) else {
        return Ok(());
    };
    let _ = format!("{apdu:?} {}", apdu.name());
    let again_bytes = apdu.to_vec();
    let again = Apdu::decode(&again_bytes);
    prop_assert!(
        again.is_ok(),
        "re-encoding does not decode: {again:?}\n in  {input:02X?}\n out {again_bytes:02X?}"
    );
    let again = again.unwrap();
    prop_assert_eq!(again.name(), apdu.name());
    prop_assert_eq!(again.to_vec(), again_bytes.clone(), "not a fixed point");
    if again_bytes == input {
        prop_assert_eq!(again, apdu);
    }
    prop_assert!(
        again_bytes.len() <= input.len(),
        "re-encoding longer than the input\n in  {:02X?}\n out {:02X?}",
        input,
        again_bytes
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn every_valid_apdu_decodes_and_reencodes_to_itself(input in s::apdu_bytes()) {
        let apdu = Apdu::decode(&input);
        prop_assert!(apdu.is_ok(), "{:?}\n{:02X?}", apdu, input);
        prop_assert_eq!(apdu.unwrap().to_vec(), input);
    }

    #[test]
    fn mutated_apdus_of_every_kind_never_panic_and_reencode_to_the_same_value(
        input in s::apdu_bytes(),
        mutations in proptest::collection::vec(mutation(), 1..5),
    ) {
        let mut input = input;
        for m in &mutations {
            apply(&mut input, m);
            check(&input)?;
        }
    }
}
