//! Associations, GET, SET and ACTION in clear.

use super::*;

#[test]
fn registers_read_with_their_scalers_and_units_after_an_unauthenticated_association() {
    let mut c = Client::new(Authentication::None);
    let answer = c.aarq(None, None);
    assert_eq!(aare(&answer).result, AssociationResult::Accepted);
    c.meter.advance(START + 3600);
    assert_eq!(
        c.get(3, ENERGY_IMPORT, 2, None),
        Ok(Data::DoubleLongUnsigned(1_000_900))
    );
    assert_eq!(
        c.get(3, ENERGY_IMPORT, 3, None),
        Ok(Data::Structure(vec![Data::Integer(0), Data::Enum(UNIT_WH)]))
    );
    assert_eq!(
        c.get(3, ENERGY_EXPORT, 2, None),
        Ok(Data::DoubleLongUnsigned(200_180))
    );
    assert_eq!(
        c.get(3, VOLTAGE, 3, None),
        Ok(Data::Structure(vec![Data::Integer(-1), Data::Enum(UNIT_V)]))
    );
    assert_eq!(
        c.get(1, SERIAL, 2, None),
        Ok(Data::OctetString(b"SIM123".to_vec()))
    );
    assert_eq!(c.get(8, CLOCK, 2, None), Ok(clock(START + 3600)));
}

#[test]
fn unknown_objects_and_attributes_are_answered_with_their_data_access_results() {
    let mut c = Client::new(Authentication::None);
    c.aarq(None, None);
    assert_eq!(
        c.get(3, [1, 0, 99, 99, 0, 255], 2, None),
        Err(DataAccessResult::OBJECT_UNDEFINED)
    );
    assert_eq!(
        c.get(1, ENERGY_IMPORT, 2, None),
        Err(DataAccessResult::OBJECT_UNDEFINED)
    );
    assert_eq!(
        c.get(3, ENERGY_IMPORT, 9, None),
        Err(DataAccessResult::OBJECT_UNAVAILABLE)
    );
}

#[test]
fn nothing_is_read_before_the_association() {
    let mut c = Client::new(Authentication::None);
    assert_eq!(
        c.get(3, ENERGY_IMPORT, 2, None),
        Err(DataAccessResult::READ_WRITE_DENIED)
    );
}

#[test]
fn the_profile_grows_every_period_and_is_read_whole_by_entry_and_by_range() {
    let mut c = Client::new(Authentication::None);
    c.max_pdu = 128; // forces block transfer of the buffer
    c.aarq(None, None);
    c.meter.advance(START + 10 * 900 + 5);
    assert_eq!(c.get(7, PROFILE, 7, None), Ok(Data::DoubleLongUnsigned(10)));
    let Ok(Data::Array(rows)) = c.get(7, PROFILE, 2, None) else {
        panic!("buffer")
    };
    assert_eq!(rows.len(), 10);
    assert_eq!(
        rows[0],
        Data::Structure(vec![
            clock(START + 900),
            Data::DoubleLongUnsigned(1_000_225),
            Data::DoubleLongUnsigned(200_045)
        ])
    );
    let entries = EntryDescriptor {
        from_entry: 3,
        to_entry: 4,
        from_selected_value: 1,
        to_selected_value: 2,
    };
    let Ok(Data::Array(rows)) = c.get(7, PROFILE, 2, Some((2, entries.to_data()))) else {
        panic!("entries")
    };
    assert_eq!(
        rows,
        vec![
            Data::Structure(vec![
                clock(START + 2700),
                Data::DoubleLongUnsigned(1_000_675)
            ]),
            Data::Structure(vec![
                clock(START + 3600),
                Data::DoubleLongUnsigned(1_000_900)
            ]),
        ]
    );
    let range = RangeDescriptor {
        restricting_object: CaptureObject::new(8, CLOCK, 2, 0),
        from_value: RangeValue::DateTime(
            DateTime::from_utc(
                UtcTime {
                    seconds: START + 8 * 900,
                    hundredths: 0,
                },
                0,
                ClockStatus(0),
            )
            .expect("from"),
        ),
        to_value: RangeValue::DateTime(
            DateTime::from_utc(
                UtcTime {
                    seconds: START + 20 * 900,
                    hundredths: 0,
                },
                0,
                ClockStatus(0),
            )
            .expect("to"),
        ),
        selected_values: vec![],
    };
    let Ok(Data::Array(rows)) = c.get(7, PROFILE, 2, Some((1, range.to_data()))) else {
        panic!("range")
    };
    assert_eq!(rows.len(), 3);
    c.meter.advance(START + 11 * 900);
    assert_eq!(c.get(7, PROFILE, 7, None), Ok(Data::DoubleLongUnsigned(11)));
}

#[test]
fn the_disconnect_control_disconnects_and_reconnects() {
    let mut c = Client::new(Authentication::None);
    c.aarq(None, None);
    assert_eq!(c.get(70, DISCONNECT, 2, None), Ok(Data::Boolean(true)));
    assert_eq!(
        c.action(70, DISCONNECT, 1, Some(Data::Integer(0))).0,
        ActionResult::SUCCESS
    );
    assert_eq!(c.get(70, DISCONNECT, 2, None), Ok(Data::Boolean(false)));
    assert_eq!(c.get(70, DISCONNECT, 3, None), Ok(Data::Enum(0)));
    assert_eq!(
        c.action(70, DISCONNECT, 2, Some(Data::Integer(0))).0,
        ActionResult::SUCCESS
    );
    assert_eq!(c.get(70, DISCONNECT, 2, None), Ok(Data::Boolean(true)));
    assert_eq!(
        c.action(70, DISCONNECT, 9, None).0,
        ActionResult::OBJECT_UNAVAILABLE
    );
}

#[test]
fn the_clock_and_the_export_register_are_set_and_the_import_register_is_not_writable() {
    let mut c = Client::new(Authentication::None);
    c.aarq(None, None);
    let set = |attribute, value| {
        OwnedSetRequest::Normal {
            invoke: invoke(),
            attribute,
            selection: None,
            value,
        }
        .to_vec()
    };
    let answer = c.exchange(&set(
        AttributeDescriptor::new(8, CLOCK, 2),
        clock(START + 86_400),
    ));
    assert!(matches!(
        SetResponse::decode(&answer),
        Ok(SetResponse::Normal {
            result: DataAccessResult::SUCCESS,
            ..
        })
    ));
    assert_eq!(c.get(8, CLOCK, 2, None), Ok(clock(START + 86_400)));
    let answer = c.exchange(&set(
        AttributeDescriptor::new(3, ENERGY_EXPORT, 2),
        Data::DoubleLongUnsigned(5000),
    ));
    assert!(matches!(
        SetResponse::decode(&answer),
        Ok(SetResponse::Normal {
            result: DataAccessResult::SUCCESS,
            ..
        })
    ));
    assert_eq!(
        c.get(3, ENERGY_EXPORT, 2, None),
        Ok(Data::DoubleLongUnsigned(5000))
    );
    let answer = c.exchange(&set(
        AttributeDescriptor::new(3, ENERGY_EXPORT, 2),
        Data::Long(1),
    ));
    assert!(matches!(
        SetResponse::decode(&answer),
        Ok(SetResponse::Normal {
            result: DataAccessResult::TYPE_UNMATCHED,
            ..
        })
    ));
    let answer = c.exchange(&set(
        AttributeDescriptor::new(3, ENERGY_IMPORT, 2),
        Data::DoubleLongUnsigned(0),
    ));
    assert!(matches!(
        SetResponse::decode(&answer),
        Ok(SetResponse::Normal {
            result: DataAccessResult::READ_WRITE_DENIED,
            ..
        })
    ));
}

#[test]
fn low_authentication_takes_the_password_and_refuses_another() {
    let mut c = Client::new(Authentication::Low(b"12345678".to_vec()));
    let answer = c.aarq(Some(MechanismName::Low), Some(b"wrong"));
    let refused = aare(&answer);
    assert_eq!(refused.result, AssociationResult::RejectedPermanent);
    assert_eq!(
        refused.result_source_diagnostic,
        SourceDiagnostic::User(AcseServiceUser::AUTHENTICATION_FAILURE)
    );
    assert_eq!(
        c.get(3, ENERGY_IMPORT, 2, None),
        Err(DataAccessResult::READ_WRITE_DENIED)
    );
    let answer = c.aarq(None, None);
    assert_eq!(
        aare(&answer).result_source_diagnostic,
        SourceDiagnostic::User(AcseServiceUser::AUTHENTICATION_MECHANISM_NAME_REQUIRED)
    );
    let answer = c.aarq(Some(MechanismName::Low), Some(b"12345678"));
    assert_eq!(aare(&answer).result, AssociationResult::Accepted);
    assert!(c.get(3, ENERGY_IMPORT, 2, None).is_ok());
}

#[test]
fn high_gmac_authentication_checks_the_clients_reply_and_answers_with_its_own() {
    let mut c = Client::new(Authentication::HighGmac);
    let ctos = b"ClientChallenge1";
    let answer = c.aarq(Some(MechanismName::HighGmac), Some(ctos));
    let accepted = aare(&answer);
    assert_eq!(accepted.result, AssociationResult::Accepted);
    assert_eq!(
        accepted.result_source_diagnostic,
        SourceDiagnostic::User(AcseServiceUser::AUTHENTICATION_REQUIRED)
    );
    let stoc = accepted
        .responding_authentication_value
        .expect("StoC")
        .as_bytes()
        .to_vec();
    assert_eq!(accepted.server_system_title(), Some(SERVER_TITLE));
    // Pass 3 not done yet: nothing is read.
    assert_eq!(
        c.get(3, ENERGY_IMPORT, 2, None),
        Err(DataAccessResult::READ_WRITE_DENIED)
    );
    let f_stoc = hls_gmac(&EK, &AK, &CLIENT_TITLE, 7, &stoc).expect("f(StoC)");
    let (result, reply) = c.action(15, ASSOCIATION, 1, Some(Data::OctetString(f_stoc.to_vec())));
    assert_eq!(result, ActionResult::SUCCESS);
    let Some(Data::OctetString(f_ctos)) = reply else {
        panic!("f(CtoS)")
    };
    verify_hls_gmac(&EK, &AK, &SERVER_TITLE, ctos, &f_ctos).expect("the server's reply verifies");
    assert!(c.get(3, ENERGY_IMPORT, 2, None).is_ok());
}

#[test]
fn high_gmac_with_a_wrong_key_is_refused() {
    let mut c = Client::new(Authentication::HighGmac);
    let answer = c.aarq(Some(MechanismName::HighGmac), Some(b"ClientChallenge1"));
    let stoc = aare(&answer)
        .responding_authentication_value
        .expect("StoC")
        .as_bytes()
        .to_vec();
    let f_stoc = hls_gmac(&[0x55; 16], &AK, &CLIENT_TITLE, 7, &stoc).expect("f(StoC)");
    let (result, reply) = c.action(15, ASSOCIATION, 1, Some(Data::OctetString(f_stoc.to_vec())));
    assert_eq!(result, ActionResult::READ_WRITE_DENIED);
    assert_eq!(reply, None);
    assert_eq!(
        c.get(3, ENERGY_IMPORT, 2, None),
        Err(DataAccessResult::READ_WRITE_DENIED)
    );
}

#[test]
fn a_release_request_is_answered_and_closes() {
    let mut c = Client::new(Authentication::None);
    c.aarq(None, None);
    let mut rlrq = Vec::new();
    OwnedReleaseRequest {
        reason: None,
        user_information: None,
    }
    .encode(&mut rlrq);
    let reply = c.exchange_raw(&rlrq);
    let Reply::SendAndClose(rlre) = reply else {
        panic!("{reply:?}")
    };
    assert!(matches!(Apdu::decode(&rlre), Ok(Apdu::ReleaseResponse(_))));
    assert!(!c.session.associated());
}

#[test]
fn a_get_with_list_answers_each_attribute_with_its_value_or_result() {
    let mut c = Client::new(Authentication::None);
    c.aarq(None, None);
    let attribute = |class_id, ln, id| OwnedAttributeWithSelection {
        attribute: AttributeDescriptor::new(class_id, ln, id),
        selection: None,
    };
    let request = OwnedGetRequest::WithList {
        invoke: invoke(),
        attributes: vec![
            attribute(1, SERIAL, 2),
            attribute(3, [9, 9, 9, 9, 9, 9], 2),
            attribute(3, VOLTAGE, 3),
        ],
    };
    let answer = c.exchange(&request.to_vec());
    let Ok(GetResponse::WithList { results, .. }) = GetResponse::decode(&answer) else {
        panic!("get-response-with-list")
    };
    let results: Vec<_> = results.map(|r| r.to_owned()).collect();
    assert_eq!(
        results,
        vec![
            OwnedGetDataResult::Data(Data::OctetString(b"SIM123".to_vec())),
            OwnedGetDataResult::DataAccessResult(DataAccessResult::OBJECT_UNDEFINED),
            OwnedGetDataResult::Data(Data::Structure(vec![Data::Integer(-1), Data::Enum(UNIT_V)])),
        ]
    );
}

/// The answer to get-request-next for `block_number`.
fn next_block(c: &mut Client, block_number: u32) -> Vec<u8> {
    c.exchange(
        &OwnedGetRequest::Next {
            invoke: invoke(),
            block_number,
        }
        .to_vec(),
    )
}

fn rlrq() -> Vec<u8> {
    let mut out = Vec::new();
    OwnedReleaseRequest {
        reason: None,
        user_information: None,
    }
    .encode(&mut out);
    out
}

/// Starts a long GET of the profile (the client takes 128 octets at most): its first block.
fn start_long_get(c: &mut Client) {
    c.max_pdu = 128;
    c.aarq(None, None);
    c.meter.advance(START + 20 * 900);
    let first = c.exchange(
        &OwnedGetRequest::Normal {
            invoke: invoke(),
            attribute: AttributeDescriptor::new(7, PROFILE, 2),
            selection: None,
        }
        .to_vec(),
    );
    let Ok(GetResponse::WithDatablock { block, .. }) = GetResponse::decode(&first) else {
        panic!("a first block")
    };
    assert_eq!((block.block_number, block.last_block), (1, false));
}

fn assert_no_long_get(answer: &[u8]) {
    let Ok(GetResponse::WithDatablock { block, .. }) = GetResponse::decode(answer) else {
        panic!("get-response-with-datablock")
    };
    assert_eq!(
        block.result,
        BlockResult::DataAccessResult(DataAccessResult::NO_LONG_GET_IN_PROGRESS)
    );
}

#[test]
fn a_release_drops_the_long_get_in_progress() {
    let mut c = Client::new(Authentication::None);
    start_long_get(&mut c);
    assert!(matches!(c.exchange_raw(&rlrq()), Reply::SendAndClose(_)));
    // Over HDLC the link outlives the association: no more blocks after the release...
    assert_no_long_get(&next_block(&mut c, 1));
    // ... nor in the next association.
    c.aarq(None, None);
    assert_no_long_get(&next_block(&mut c, 1));
}

#[test]
fn a_reset_of_the_transport_ends_the_association_and_its_long_get() {
    let mut c = Client::new(Authentication::None);
    start_long_get(&mut c);
    c.session.reset();
    assert!(!c.session.associated());
    assert_no_long_get(&next_block(&mut c, 1));
    assert_eq!(
        c.get(3, ENERGY_IMPORT, 2, None),
        Err(DataAccessResult::READ_WRITE_DENIED)
    );
}
