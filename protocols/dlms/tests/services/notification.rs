//! DataNotification and EventNotificationRequest.

use fieldbridge_dlms::apdu::get::{AttributeDescriptor, LongInvokeIdAndPriority};
use fieldbridge_dlms::apdu::notification::{
    DataNotification, EventNotificationRequest, NotificationTime,
};
use fieldbridge_dlms::apdu::Apdu;
use fieldbridge_dlms::axdr::{Date, Time, Value};
use fieldbridge_dlms::strategy::services as s;
use fieldbridge_dlms::Error;
use proptest::prelude::*;

/// u9n/dlms-cosem tests/test_xdlms/test_data_notification.py.
const DATA_NOTIFICATION: [u8; 42] = [
    0x0F, // data-notification
    0x00, 0x00, 0x01, 0xDB, // long-invoke-id-and-priority: id 475, unconfirmed, normal
    0x00, // date-time: length 0, absent
    0x09, 0x22, // notification-body: octet-string(34)
    0x12, 0x5A, 0x85, 0x91, 0x36, 0x00, 0x00, 0x00, 0x00, 0x49, 0x00, 0x00, 0x00, 0x11, 0x00, 0x00,
    0x00, 0x0A, 0x5A, 0x85, 0x13, 0xD0, 0x14, 0x80, 0x00, 0x00, 0x00, 0x0D, 0x00, 0x00, 0x00, 0x0A,
    0x01, 0x00,
];

#[test]
fn a_data_notification_decodes_field_by_field_and_reencodes() {
    let notification = DataNotification::decode(&DATA_NOTIFICATION).unwrap();
    assert_eq!(notification.long_invoke, LongInvokeIdAndPriority(0x1DB));
    assert_eq!(notification.long_invoke.long_invoke_id(), 475);
    assert!(!notification.long_invoke.confirmed());
    assert_eq!(notification.date_time, None);
    assert!(matches!(notification.body.value(), Value::OctetString(s) if s.len() == 34));
    assert_eq!(notification.to_owned().to_vec(), DATA_NOTIFICATION);
    assert_eq!(
        notification.to_owned().encoded_len(),
        DATA_NOTIFICATION.len()
    );
}

#[test]
fn a_data_notification_with_a_date_time_keeps_it() {
    let input = [
        0x0F, 0x40, 0x00, 0x00, 0x01, // long-invoke-id 1, confirmed
        0x0C, 0x07, 0xE8, 0x03, 0x0F, 0x05, 0x0C, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, // 2024-03-15 Fri 12:00:00, deviation 0, status 0
        0x12, 0x00, 0x2A, // long-unsigned 42
    ];
    let notification = DataNotification::decode(&input).unwrap();
    let dt = notification.date_time.unwrap().date_time().unwrap();
    assert_eq!(
        (dt.date.year, dt.date.month, dt.date.day, dt.time.hour),
        (2024, 3, 15, 12)
    );
    assert_eq!(notification.body.value(), Value::LongUnsigned(42));
    assert_eq!(notification.to_owned().to_vec(), input);
}

#[test]
fn a_date_time_of_5_octets_is_kept_as_a_date_and_reencodes() {
    let input = [
        0x0F, 0x00, 0x00, 0x00, 0x01, // long-invoke-id 1
        0x05, 0x07, 0xE8, 0x03, 0x0F, 0x05, // date-time of 5 octets: 2024-03-15 Friday
        0x00, // null-data
    ];
    let notification = DataNotification::decode(&input).unwrap();
    let date = Date {
        year: 2024,
        month: 3,
        day: 15,
        day_of_week: 5,
    };
    assert_eq!(notification.date_time, Some(NotificationTime::Date(date)));
    assert_eq!(notification.date_time.unwrap().date(), Some(date));
    assert_eq!(notification.date_time.unwrap().date_time(), None);
    assert_eq!(notification.date_time.unwrap().to_string(), "2024-03-15");
    assert_eq!(notification.to_owned().to_vec(), input);
    assert_eq!(notification.to_owned().encoded_len(), input.len());
    assert_eq!(Apdu::decode(&input).unwrap().to_vec(), input);
}

#[test]
fn a_date_time_of_4_octets_is_kept_as_a_time_and_reencodes() {
    let input = [
        0x0F, 0x00, 0x00, 0x00, 0x01, // long-invoke-id 1
        0x04, 0x0C, 0x1E, 0x00,
        0xFF, // date-time of 4 octets: 12:30:00, hundredths unspecified
        0x11, 0x07, // unsigned 7
    ];
    let notification = DataNotification::decode(&input).unwrap();
    let time = Time {
        hour: 12,
        minute: 30,
        second: 0,
        hundredths: 0xFF,
    };
    assert_eq!(notification.date_time, Some(NotificationTime::Time(time)));
    assert_eq!(notification.date_time.unwrap().time(), Some(time));
    assert!(notification.date_time.unwrap().is_valid());
    assert_eq!(notification.to_owned().to_vec(), input);
    assert_eq!(notification.to_owned().encoded_len(), input.len());
}

#[test]
fn a_date_time_of_another_length_is_a_bad_value_naming_the_lengths_allowed() {
    let input = [
        0x0F, 0x00, 0x00, 0x00, 0x01, // long-invoke-id 1
        0x02, 0x07, 0xE8, // date-time of 2 octets
        0x00, // null-data
    ];
    let error = DataNotification::decode(&input).unwrap_err();
    assert_eq!(
        error,
        Error::BadValue {
            offset: 5,
            what: "date-time",
            expected: "0 (absent), 4 (time), 5 (date) or 12 (date-time) octets",
            found: 2
        }
    );
    assert_eq!(
        error.to_string(),
        "date-time 2 at byte 5: expected 0 (absent), 4 (time), 5 (date) or 12 (date-time) octets"
    );
}

#[test]
fn an_event_notification_decodes_and_reencodes() {
    let input = [
        0xC2, // event-notification-request
        0x01, 0x0C, // time present, 12 octets
        0x07, 0xE8, 0x03, 0x0F, 0x05, 0x0C, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00,
        0x00, 0x60, 0x0B, 0x00, 0xFF, 0x02, // Data 0.0.96.11.0.255 /2
        0x11, 0x05, // unsigned 5: the event code
    ];
    let event = EventNotificationRequest::decode(&input).unwrap();
    assert_eq!(event.date_time().unwrap().date.year, 2024);
    assert_eq!(
        event.attribute,
        AttributeDescriptor::new(1, [0, 0, 96, 11, 0, 255], 2)
    );
    assert_eq!(event.value.value(), Value::Unsigned(5));
    assert_eq!(event.to_owned().to_vec(), input);
    every_prefix_fails!(input, EventNotificationRequest::decode);
}

#[test]
fn every_prefix_of_the_notification_fails_without_panicking() {
    every_prefix_fails!(DATA_NOTIFICATION, DataNotification::decode);
}

proptest! {
    #[test]
    fn data_notifications_round_trip(x in s::data_notification()) {
        let bytes = x.to_vec();
        prop_assert_eq!(bytes.len(), x.encoded_len());
        prop_assert_eq!(DataNotification::decode(&bytes).unwrap().to_owned(), x);
    }

    #[test]
    fn event_notifications_round_trip(x in s::event_notification()) {
        let bytes = x.to_vec();
        prop_assert_eq!(bytes.len(), x.encoded_len());
        prop_assert_eq!(EventNotificationRequest::decode(&bytes).unwrap().to_owned(), x);
    }
}
