//! A canned meter that speaks only short names, built with the codec: the AARE with the SN
//! application context, the object list of its Association SN object (class 12, base name
//! 0xFA00), ReadResponses whole and in data-block-results, and WriteResponses.

use std::time::Instant;

use fieldbridge_dlms::apdu::association::{
    ApplicationContextName, AssociationResult, OwnedAare, SourceDiagnostic, UserInformation,
};
use fieldbridge_dlms::apdu::get::{AttributeDescriptor, DataAccessResult};
use fieldbridge_dlms::apdu::initiate::{InitiateResponse, VaaName};
use fieldbridge_dlms::apdu::sn::{
    self, OwnedReadResult, OwnedVariableAccess, ReadRequest, WriteRequest, WriteResult,
};
use fieldbridge_dlms::axdr::Data;
use fieldbridge_dlms::obis::ObisCode;

use crate::session::{Received, Session, SessionConfig, SnObject};

/// The energy register 1-0:1.8.0*255 (class 3), base name 0x2000.
pub(super) const ENERGY: [u8; 6] = [1, 0, 1, 8, 0, 255];
/// The clock 0-0:1.0.0*255 (class 8), base name 0x2100.
pub(super) const CLOCK: [u8; 6] = [0, 0, 1, 0, 0, 255];
/// The disconnect control 0-0:96.3.10*255 (class 70), base name 0x2300.
pub(super) const DISCONNECT: [u8; 6] = [0, 0, 96, 3, 10, 255];
/// The load profile 1-0:99.1.0*255 (class 7), base name 0x2400.
pub(super) const PROFILE: [u8; 6] = [1, 0, 99, 1, 0, 255];
/// The security setup 0-0:43.0.0*255 (class 64), base name 0x2500.
pub(super) const SECURITY_SETUP: [u8; 6] = [0, 0, 43, 0, 0, 255];

/// The meter's objects.
pub(super) fn objects() -> Vec<SnObject> {
    [
        (0xFA00, 12, [0, 0, 40, 0, 0, 255]),
        (0x2000, 3, ENERGY),
        (0x2100, 8, CLOCK),
        (0x2300, 70, DISCONNECT),
        (0x2400, 7, PROFILE),
        (0x2500, 64, SECURITY_SETUP),
    ]
    .into_iter()
    .map(|(base_name, class_id, ln)| SnObject {
        base_name,
        class_id,
        version: u8::from(class_id == 7),
        logical_name: ObisCode::from_bytes(ln),
    })
    .collect()
}

/// The object_list value (Association SN attribute 2) of `objects`.
pub(super) fn object_list(objects: &[SnObject]) -> Data {
    Data::Array(
        objects
            .iter()
            .map(|o| {
                Data::Structure(vec![
                    Data::Long(i16::from_be_bytes(o.base_name.to_be_bytes())),
                    Data::LongUnsigned(o.class_id),
                    Data::Unsigned(o.version),
                    Data::OctetString(o.logical_name.to_bytes().to_vec()),
                ])
            })
            .collect(),
    )
}

/// The encoded object list of [`objects`].
pub(super) fn encoded_object_list() -> Vec<u8> {
    let mut out = Vec::new();
    object_list(&objects()).encode(&mut out);
    out
}

/// What the meter grants: the SN conformance, 512-octet APDUs.
pub(super) fn granted() -> InitiateResponse {
    InitiateResponse {
        negotiated_quality_of_service: None,
        negotiated_dlms_version_number: 6,
        negotiated_conformance: SessionConfig::DEFAULT_SN_CONFORMANCE,
        server_max_receive_pdu_size: 512,
        vaa_name: VaaName::SN,
    }
}

/// The AARE accepting an SN association without authentication.
pub(super) fn aare(granted: InitiateResponse) -> Vec<u8> {
    let mut aare = OwnedAare::new(
        ApplicationContextName::ShortName,
        AssociationResult::Accepted,
        SourceDiagnostic::NULL,
    );
    aare.user_information = Some(UserInformation::InitiateResponse(granted));
    let mut out = Vec::new();
    aare.encode(&mut out);
    out
}

/// A ReadResponse with one result.
pub(super) fn read_response(result: OwnedReadResult) -> Vec<u8> {
    let mut out = Vec::new();
    sn::encode_read_response(&[result], &mut out);
    out
}

/// A ReadResponse with `value`.
pub(super) fn value(value: Data) -> Vec<u8> {
    read_response(OwnedReadResult::Data(value))
}

/// A ReadResponse with a data-access-error.
pub(super) fn refused(result: DataAccessResult) -> Vec<u8> {
    read_response(OwnedReadResult::DataAccessError(result))
}

/// `encoded` cut into ReadResponses with data-block-results of `size` octets, numbered from 1.
pub(super) fn blocks(encoded: &[u8], size: usize) -> Vec<Vec<u8>> {
    let parts: Vec<&[u8]> = encoded.chunks(size).collect();
    let count = parts.len();
    (1u16..)
        .zip(parts)
        .map(|(number, part)| {
            read_response(OwnedReadResult::DataBlockResult {
                last_block: usize::from(number) == count,
                block_number: number,
                raw_data: part.to_vec(),
            })
        })
        .collect()
}

/// A WriteResponse with one result.
pub(super) fn write_response(result: WriteResult) -> Vec<u8> {
    let mut out = Vec::new();
    sn::encode_write_response(&[result], &mut out);
    out
}

/// The one Variable-Access-Specification of the client's ReadRequest.
pub(super) fn read_of(request: &[u8]) -> OwnedVariableAccess {
    let read = ReadRequest::decode(request).expect("a ReadRequest");
    let mut variables = read.to_owned();
    assert_eq!(variables.len(), 1, "one variable per ReadRequest");
    variables.remove(0)
}

/// The one variable and value of the client's WriteRequest.
pub(super) fn write_of(request: &[u8]) -> (OwnedVariableAccess, Data) {
    let write = WriteRequest::decode(request)
        .expect("a WriteRequest")
        .to_owned();
    let (Some(variable), Some(value)) = (write.variables.first(), write.values.first()) else {
        panic!("an empty WriteRequest: {request:02X?}");
    };
    assert_eq!((write.variables.len(), write.values.len()), (1, 1));
    (variable.clone(), value.clone())
}

/// The attribute `attribute` of the object `ln` of class `class_id`.
pub(super) fn attribute(class_id: u16, ln: [u8; 6], attribute: i8) -> AttributeDescriptor {
    AttributeDescriptor::new(class_id, ln, attribute)
}

/// A session by short names, associated with the canned meter: AARQ, AARE, the object list.
pub(super) fn associated(config: SessionConfig, now: Instant) -> Session {
    let mut session = Session::new(config);
    let _aarq = session.associate(now);
    let Ok(Received::Send(request)) = session.receive(&aare(granted()), now) else {
        panic!("the AARE did not lead to the object list read");
    };
    assert_eq!(read_of(&request), OwnedVariableAccess::VariableName(0xFA08));
    let list = value(object_list(&objects()));
    assert_eq!(
        session.receive(&list, now).ok(),
        Some(Received::Associated(granted()))
    );
    session
}
