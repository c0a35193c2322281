//! Strategies for the xDLMS data-transfer APDUs (DLMS UA 1000-2 Ed. 10 clause 9.5): every
//! CHOICE alternative of GET, SET, ACTION, the notifications, the exception and error APDUs and
//! the short-name services, as owned values that encode to valid APDUs.
//!
//! The Data values inside come from a small local strategy ([`data`]): leaves of every simple
//! type and one level of arrays and structures, floats never NaN.

use crate::apdu::action::{OwnedActionOutcome, OwnedActionRequest, OwnedActionResponse};
use crate::apdu::exception::{
    ConfirmedService, ConfirmedServiceError, ExceptionResponse, ExceptionServiceError,
    ServiceError, ServiceErrorKind, StateError,
};
use crate::apdu::get::{
    ActionResult, AttributeDescriptor, DataAccessResult, DataBlockSa, InvokeIdAndPriority,
    LongInvokeIdAndPriority, MethodDescriptor, OwnedBlockResult, OwnedDataBlockG,
    OwnedGetDataResult, OwnedGetRequest, OwnedGetResponse,
};
use crate::apdu::notification::{
    NotificationTime, OwnedDataNotification, OwnedEventNotificationRequest,
};
use crate::apdu::selective::{
    CaptureObject, OwnedAttributeWithSelection, OwnedSelectiveAccess, RangeDescriptor, RangeValue,
};
use crate::apdu::set::{OwnedSetRequest, OwnedSetResponse};
use crate::apdu::sn::{OwnedReadResult, OwnedVariableAccess, OwnedWriteRequest, WriteResult};
use crate::axdr::{Data, Date, DateTime, Time};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;

/// A COSEM date-time, any octets.
pub fn date_time() -> impl Strategy<Value = DateTime> {
    any::<[u8; 12]>().prop_map(DateTime::from_bytes)
}

/// A leaf Data value of any simple type, floats never NaN.
pub fn data_leaf() -> impl Strategy<Value = Data> {
    prop_oneof![
        Just(Data::Null),
        any::<bool>().prop_map(Data::Boolean),
        any::<i32>().prop_map(Data::DoubleLong),
        any::<u32>().prop_map(Data::DoubleLongUnsigned),
        vec(any::<u8>(), 0..20).prop_map(Data::OctetString),
        vec(any::<u8>(), 0..10).prop_map(Data::VisibleString),
        any::<i8>().prop_map(Data::Integer),
        any::<i16>().prop_map(Data::Long),
        any::<u8>().prop_map(Data::Unsigned),
        any::<u16>().prop_map(Data::LongUnsigned),
        any::<i64>().prop_map(Data::Long64),
        any::<u64>().prop_map(Data::Long64Unsigned),
        any::<u8>().prop_map(Data::Enum),
        any::<i32>().prop_map(|v| Data::Float32(v as f32)),
        any::<i64>().prop_map(|v| Data::Float64(v as f64)),
        date_time().prop_map(Data::DateTime),
        any::<[u8; 5]>().prop_map(|b| Data::Date(Date::from_bytes(b))),
        any::<[u8; 4]>().prop_map(|b| Data::Time(Time::from_bytes(b))),
    ]
}

/// A Data value: a leaf, or an array or structure of up to 4 leaves.
pub fn data() -> impl Strategy<Value = Data> {
    prop_oneof![
        3 => data_leaf(),
        1 => vec(data_leaf(), 0..4).prop_map(Data::Structure),
        1 => vec(data_leaf(), 0..4).prop_map(Data::Array),
    ]
}

/// Any invoke-id-and-priority octet.
pub fn invoke() -> impl Strategy<Value = InvokeIdAndPriority> {
    any::<u8>().prop_map(InvokeIdAndPriority)
}

/// Any long-invoke-id-and-priority.
pub fn long_invoke() -> impl Strategy<Value = LongInvokeIdAndPriority> {
    any::<u32>().prop_map(LongInvokeIdAndPriority)
}

/// Any attribute descriptor.
pub fn attribute_descriptor() -> impl Strategy<Value = AttributeDescriptor> {
    (any::<u16>(), any::<[u8; 6]>(), any::<i8>())
        .prop_map(|(c, i, a)| AttributeDescriptor::new(c, i, a))
}

/// Any method descriptor.
pub fn method_descriptor() -> impl Strategy<Value = MethodDescriptor> {
    (any::<u16>(), any::<[u8; 6]>(), any::<i8>())
        .prop_map(|(c, i, m)| MethodDescriptor::new(c, i, m))
}

/// Any data-access-result octet.
pub fn data_access_result() -> impl Strategy<Value = DataAccessResult> {
    any::<u8>().prop_map(DataAccessResult)
}

/// Any action-result octet.
pub fn action_result() -> impl Strategy<Value = ActionResult> {
    any::<u8>().prop_map(ActionResult)
}

/// A selective access descriptor with any selector and parameters.
pub fn selective_access() -> impl Strategy<Value = OwnedSelectiveAccess> {
    (any::<u8>(), data()).prop_map(|(selector, parameters)| OwnedSelectiveAccess {
        selector,
        parameters,
    })
}

/// A capture object definition, any fields.
pub fn capture_object() -> impl Strategy<Value = CaptureObject> {
    (any::<u16>(), any::<[u8; 6]>(), any::<i8>(), any::<u16>())
        .prop_map(|(c, n, a, d)| CaptureObject::new(c, n, a, d))
}

/// A from_value or to_value: a date-time, any leaf Data, or a 12-octet octet-string (which
/// reads back as a date-time: see [`RangeValue`]).
pub fn range_value() -> impl Strategy<Value = RangeValue> {
    prop_oneof![
        date_time().prop_map(RangeValue::DateTime),
        data_leaf().prop_map(RangeValue::Data),
        vec(any::<u8>(), 12).prop_map(|b| RangeValue::Data(Data::OctetString(b))),
    ]
}

/// A range_descriptor, any restricting object, values and columns.
pub fn range_descriptor() -> impl Strategy<Value = RangeDescriptor> {
    (
        capture_object(),
        range_value(),
        range_value(),
        vec(capture_object(), 0..4),
    )
        .prop_map(
            |(restricting_object, from_value, to_value, selected_values)| RangeDescriptor {
                restricting_object,
                from_value,
                to_value,
                selected_values,
            },
        )
}

/// An attribute descriptor with an optional selection.
pub fn attribute_with_selection() -> impl Strategy<Value = OwnedAttributeWithSelection> {
    (attribute_descriptor(), option::of(selective_access())).prop_map(|(attribute, selection)| {
        OwnedAttributeWithSelection {
            attribute,
            selection,
        }
    })
}

/// A Get-Data-Result.
pub fn get_data_result() -> impl Strategy<Value = OwnedGetDataResult> {
    prop_oneof![
        data().prop_map(OwnedGetDataResult::Data),
        data_access_result().prop_map(OwnedGetDataResult::DataAccessResult),
    ]
}

fn raw() -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), 0..200)
}

/// A DataBlock-G.
pub fn data_block_g() -> impl Strategy<Value = OwnedDataBlockG> {
    let result = prop_oneof![
        raw().prop_map(OwnedBlockResult::RawData),
        data_access_result().prop_map(OwnedBlockResult::DataAccessResult),
    ];
    (any::<bool>(), any::<u32>(), result).prop_map(|(last_block, block_number, result)| {
        OwnedDataBlockG {
            last_block,
            block_number,
            result,
        }
    })
}

/// A DataBlock-SA.
pub fn data_block_sa() -> impl Strategy<Value = DataBlockSa<Vec<u8>>> {
    (any::<bool>(), any::<u32>(), raw()).prop_map(|(last_block, block_number, raw_data)| {
        DataBlockSa {
            last_block,
            block_number,
            raw_data,
        }
    })
}

/// Every alternative of Get-Request.
pub fn get_request() -> impl Strategy<Value = OwnedGetRequest> {
    prop_oneof![
        (
            invoke(),
            attribute_descriptor(),
            option::of(selective_access())
        )
            .prop_map(|(invoke, attribute, selection)| OwnedGetRequest::Normal {
                invoke,
                attribute,
                selection
            }),
        (invoke(), any::<u32>()).prop_map(|(invoke, block_number)| OwnedGetRequest::Next {
            invoke,
            block_number
        }),
        (invoke(), vec(attribute_with_selection(), 0..4))
            .prop_map(|(invoke, attributes)| OwnedGetRequest::WithList { invoke, attributes }),
    ]
}

/// Every alternative of Get-Response.
pub fn get_response() -> impl Strategy<Value = OwnedGetResponse> {
    prop_oneof![
        (invoke(), get_data_result())
            .prop_map(|(invoke, result)| OwnedGetResponse::Normal { invoke, result }),
        (invoke(), data_block_g())
            .prop_map(|(invoke, block)| OwnedGetResponse::WithDatablock { invoke, block }),
        (invoke(), vec(get_data_result(), 0..4))
            .prop_map(|(invoke, results)| OwnedGetResponse::WithList { invoke, results }),
    ]
}

/// Every alternative of Set-Request.
pub fn set_request() -> impl Strategy<Value = OwnedSetRequest> {
    prop_oneof![
        (
            invoke(),
            attribute_descriptor(),
            option::of(selective_access()),
            data()
        )
            .prop_map(
                |(invoke, attribute, selection, value)| OwnedSetRequest::Normal {
                    invoke,
                    attribute,
                    selection,
                    value
                }
            ),
        (
            invoke(),
            attribute_descriptor(),
            option::of(selective_access()),
            data_block_sa()
        )
            .prop_map(|(invoke, attribute, selection, block)| {
                OwnedSetRequest::WithFirstDatablock {
                    invoke,
                    attribute,
                    selection,
                    block,
                }
            }),
        (invoke(), data_block_sa())
            .prop_map(|(invoke, block)| OwnedSetRequest::WithDatablock { invoke, block }),
        (
            invoke(),
            vec(attribute_with_selection(), 0..4),
            vec(data(), 0..4)
        )
            .prop_map(|(invoke, attributes, values)| OwnedSetRequest::WithList {
                invoke,
                attributes,
                values
            }),
        (
            invoke(),
            vec(attribute_with_selection(), 0..4),
            data_block_sa()
        )
            .prop_map(|(invoke, attributes, block)| {
                OwnedSetRequest::WithListAndFirstDatablock {
                    invoke,
                    attributes,
                    block,
                }
            }),
    ]
}

/// Every alternative of Set-Response.
pub fn set_response() -> impl Strategy<Value = OwnedSetResponse> {
    prop_oneof![
        (invoke(), data_access_result())
            .prop_map(|(invoke, result)| OwnedSetResponse::Normal { invoke, result }),
        (invoke(), any::<u32>()).prop_map(|(invoke, block_number)| {
            OwnedSetResponse::Datablock {
                invoke,
                block_number,
            }
        }),
        (invoke(), data_access_result(), any::<u32>()).prop_map(
            |(invoke, result, block_number)| OwnedSetResponse::LastDatablock {
                invoke,
                result,
                block_number
            }
        ),
        (invoke(), vec(data_access_result(), 0..5), any::<u32>()).prop_map(
            |(invoke, results, block_number)| OwnedSetResponse::LastDatablockWithList {
                invoke,
                results,
                block_number
            }
        ),
        (invoke(), vec(data_access_result(), 0..5))
            .prop_map(|(invoke, results)| OwnedSetResponse::WithList { invoke, results }),
    ]
}

/// Every alternative of Action-Request.
pub fn action_request() -> impl Strategy<Value = OwnedActionRequest> {
    prop_oneof![
        (invoke(), method_descriptor(), option::of(data())).prop_map(
            |(invoke, method, parameters)| OwnedActionRequest::Normal {
                invoke,
                method,
                parameters
            }
        ),
        (invoke(), any::<u32>()).prop_map(|(invoke, block_number)| {
            OwnedActionRequest::NextPblock {
                invoke,
                block_number,
            }
        }),
        (invoke(), vec(method_descriptor(), 0..4), vec(data(), 0..4)).prop_map(
            |(invoke, methods, parameters)| OwnedActionRequest::WithList {
                invoke,
                methods,
                parameters
            }
        ),
        (invoke(), method_descriptor(), data_block_sa()).prop_map(|(invoke, method, block)| {
            OwnedActionRequest::WithFirstPblock {
                invoke,
                method,
                block,
            }
        }),
        (invoke(), vec(method_descriptor(), 0..4), data_block_sa()).prop_map(
            |(invoke, methods, block)| OwnedActionRequest::WithListAndFirstPblock {
                invoke,
                methods,
                block
            }
        ),
        (invoke(), data_block_sa())
            .prop_map(|(invoke, block)| OwnedActionRequest::WithPblock { invoke, block }),
    ]
}

/// An Action-Response-With-Optional-Data.
pub fn action_outcome() -> impl Strategy<Value = OwnedActionOutcome> {
    (action_result(), option::of(get_data_result())).prop_map(|(result, return_parameters)| {
        OwnedActionOutcome {
            result,
            return_parameters,
        }
    })
}

/// Every alternative of Action-Response.
pub fn action_response() -> impl Strategy<Value = OwnedActionResponse> {
    prop_oneof![
        (invoke(), action_outcome())
            .prop_map(|(invoke, response)| OwnedActionResponse::Normal { invoke, response }),
        (invoke(), data_block_sa())
            .prop_map(|(invoke, block)| OwnedActionResponse::WithPblock { invoke, block }),
        (invoke(), vec(action_outcome(), 0..4))
            .prop_map(|(invoke, responses)| OwnedActionResponse::WithList { invoke, responses }),
        (invoke(), any::<u32>()).prop_map(|(invoke, block_number)| {
            OwnedActionResponse::NextPblock {
                invoke,
                block_number,
            }
        }),
    ]
}

/// An ExceptionResponse with any state-error and every service-error.
pub fn exception_response() -> impl Strategy<Value = ExceptionResponse> {
    let service_error = prop_oneof![
        Just(ExceptionServiceError::OperationNotPossible),
        Just(ExceptionServiceError::ServiceNotSupported),
        Just(ExceptionServiceError::OtherReason),
        Just(ExceptionServiceError::PduTooLong),
        Just(ExceptionServiceError::DecipheringError),
        any::<u32>().prop_map(ExceptionServiceError::InvocationCounterError),
    ];
    (any::<u8>(), service_error).prop_map(|(state, service_error)| ExceptionResponse {
        state_error: StateError(state),
        service_error,
    })
}

/// A ConfirmedServiceError of every service and kind, any value.
pub fn confirmed_service_error() -> impl Strategy<Value = ConfirmedServiceError> {
    (
        prop::sample::select(ConfirmedService::ALL.to_vec()),
        prop::sample::select(ServiceErrorKind::ALL.to_vec()),
        any::<u8>(),
    )
        .prop_map(|(service, kind, value)| ConfirmedServiceError {
            service,
            error: ServiceError { kind, value },
        })
}

/// The date-time of a DataNotification: a date-time, a date or a time, any octets.
pub fn notification_time() -> impl Strategy<Value = NotificationTime> {
    prop_oneof![
        2 => date_time().prop_map(NotificationTime::DateTime),
        1 => any::<[u8; 5]>().prop_map(|b| NotificationTime::Date(Date::from_bytes(b))),
        1 => any::<[u8; 4]>().prop_map(|b| NotificationTime::Time(Time::from_bytes(b))),
    ]
}

/// A DataNotification, with or without a date-time (of 12, 5 or 4 octets).
pub fn data_notification() -> impl Strategy<Value = OwnedDataNotification> {
    (long_invoke(), option::of(notification_time()), data()).prop_map(
        |(long_invoke, date_time, body)| OwnedDataNotification {
            long_invoke,
            date_time,
            body,
        },
    )
}

/// An EventNotificationRequest, with or without a time.
pub fn event_notification() -> impl Strategy<Value = OwnedEventNotificationRequest> {
    (
        option::of(vec(any::<u8>(), 0..13)),
        attribute_descriptor(),
        data(),
    )
        .prop_map(|(time, attribute, value)| OwnedEventNotificationRequest {
            time,
            attribute,
            value,
        })
}

/// Every alternative of Variable-Access-Specification.
pub fn variable_access() -> impl Strategy<Value = OwnedVariableAccess> {
    prop_oneof![
        any::<u16>().prop_map(OwnedVariableAccess::VariableName),
        (any::<u16>(), any::<u8>(), data()).prop_map(|(variable_name, selector, parameter)| {
            OwnedVariableAccess::ParameterizedAccess {
                variable_name,
                selector,
                parameter,
            }
        }),
        any::<u16>().prop_map(OwnedVariableAccess::BlockNumberAccess),
        (any::<bool>(), any::<u16>(), raw()).prop_map(|(last_block, block_number, raw_data)| {
            OwnedVariableAccess::ReadDataBlockAccess {
                last_block,
                block_number,
                raw_data,
            }
        }),
        (any::<bool>(), any::<u16>()).prop_map(|(last_block, block_number)| {
            OwnedVariableAccess::WriteDataBlockAccess {
                last_block,
                block_number,
            }
        }),
    ]
}

/// Every alternative of a ReadResponse element.
pub fn read_result() -> impl Strategy<Value = OwnedReadResult> {
    prop_oneof![
        data().prop_map(OwnedReadResult::Data),
        data_access_result().prop_map(OwnedReadResult::DataAccessError),
        (any::<bool>(), any::<u16>(), raw()).prop_map(|(last_block, block_number, raw_data)| {
            OwnedReadResult::DataBlockResult {
                last_block,
                block_number,
                raw_data,
            }
        }),
        any::<u16>().prop_map(OwnedReadResult::BlockNumber),
    ]
}

/// Every alternative of a WriteResponse element.
pub fn write_result() -> impl Strategy<Value = WriteResult> {
    prop_oneof![
        Just(WriteResult::Success),
        data_access_result().prop_map(WriteResult::DataAccessError),
        any::<u16>().prop_map(WriteResult::BlockNumber),
    ]
}

/// A WriteRequest (or UnconfirmedWriteRequest) body.
pub fn write_request() -> impl Strategy<Value = OwnedWriteRequest> {
    (vec(variable_access(), 0..4), vec(data(), 0..4))
        .prop_map(|(variables, values)| OwnedWriteRequest { variables, values })
}

/// A GET-Response-Normal or a DataNotification carrying a Data of the full A-XDR strategy
/// ([`crate::strategy::data::data`]: nested containers, compact arrays, every type).
pub fn apdu_with_rich_data() -> impl Strategy<Value = Vec<u8>> {
    (
        any::<bool>(),
        invoke(),
        long_invoke(),
        crate::strategy::data::data(),
    )
        .prop_map(|(get, invoke, long_invoke, data)| {
            if get {
                OwnedGetResponse::Normal {
                    invoke,
                    result: OwnedGetDataResult::Data(data),
                }
                .to_vec()
            } else {
                OwnedDataNotification {
                    long_invoke,
                    date_time: None,
                    body: data,
                }
                .to_vec()
            }
        })
}

/// The encoding of a valid APDU of every data-transfer kind this module covers: every GET,
/// SET and ACTION form, DataNotification, EventNotificationRequest, ExceptionResponse,
/// ConfirmedServiceError and the short-name services.
pub fn apdu_bytes() -> impl Strategy<Value = Vec<u8>> {
    fn bytes(encode: impl Fn(&mut Vec<u8>)) -> Vec<u8> {
        let mut out = Vec::new();
        encode(&mut out);
        out
    }
    prop_oneof![
        get_request().prop_map(|x| x.to_vec()),
        get_response().prop_map(|x| x.to_vec()),
        set_request().prop_map(|x| x.to_vec()),
        set_response().prop_map(|x| x.to_vec()),
        action_request().prop_map(|x| x.to_vec()),
        action_response().prop_map(|x| x.to_vec()),
        data_notification().prop_map(|x| x.to_vec()),
        event_notification().prop_map(|x| x.to_vec()),
        exception_response().prop_map(|x| x.to_vec()),
        confirmed_service_error().prop_map(|x| x.to_vec()),
        vec(variable_access(), 0..4)
            .prop_map(|v| bytes(|out| crate::apdu::sn::encode_read_request(&v, out))),
        vec(read_result(), 0..4)
            .prop_map(|v| bytes(|out| crate::apdu::sn::encode_read_response(&v, out))),
        write_request().prop_map(|w| bytes(|out| w.encode(out))),
        write_request().prop_map(|w| bytes(|out| w.encode_unconfirmed(out))),
        vec(write_result(), 0..4)
            .prop_map(|v| bytes(|out| crate::apdu::sn::encode_write_response(&v, out))),
        apdu_with_rich_data(),
    ]
}
