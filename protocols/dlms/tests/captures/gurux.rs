//! Gurux's names (gurux-dlms 1.0.203, `GXDLMSTranslator`, simple XML) against ours: the one place
//! where Gurux and this crate legitimately differ. Our names are the standard's ASN.1 ones
//! (`block-transfer-with-get-or-read`, `success`); Gurux writes its enum names (`BlockTransfer
//! WithGetOrRead`, `Success`). Rows marked (seen) occur in the captures; the others are Gurux's
//! spelling of the rest of the same table, there so that a new capture is compared rather than
//! failed, and are only as good as that spelling.

use fieldbridge_dlms::apdu::association::{ApplicationContextName, MechanismName};
use fieldbridge_dlms::axdr::DataType;

/// Gurux's element name of a Data type (`GXDLMSTranslator` writes the type as the element).
pub const DATA_TYPES: [(&str, DataType); 31] = [
    ("None", DataType::Null),
    ("Array", DataType::Array),         // (seen)
    ("Structure", DataType::Structure), // (seen)
    ("Boolean", DataType::Boolean),     // (seen)
    ("BitString", DataType::BitString),
    ("Int32", DataType::DoubleLong),
    ("UInt32", DataType::DoubleLongUnsigned), // (seen)
    ("OctetString", DataType::OctetString),   // (seen)
    ("String", DataType::VisibleString),
    ("StringUTF8", DataType::Utf8String),
    ("Bcd", DataType::Bcd),
    ("Int8", DataType::Integer), // (seen)
    ("Int16", DataType::Long),
    ("UInt8", DataType::Unsigned),
    ("UInt16", DataType::LongUnsigned), // (seen)
    ("CompactArray", DataType::CompactArray),
    ("Int64", DataType::Long64),
    ("UInt64", DataType::Long64Unsigned),
    ("Enum", DataType::Enum), // (seen)
    ("Float32", DataType::Float32),
    ("Float64", DataType::Float64),
    ("DateTime", DataType::DateTime),
    ("Date", DataType::Date),
    ("Time", DataType::Time),
    ("DeltaInt8", DataType::DeltaInteger),
    ("DeltaInt16", DataType::DeltaLong),
    ("DeltaInt32", DataType::DeltaDoubleLong),
    ("DeltaUInt8", DataType::DeltaUnsigned),
    ("DeltaUInt16", DataType::DeltaLongUnsigned),
    ("DeltaUInt32", DataType::DeltaDoubleLongUnsigned),
    ("DontCare", DataType::DontCare),
];

/// Our Data type of Gurux's element name.
pub fn data_type(gurux: &str) -> Option<DataType> {
    DATA_TYPES
        .iter()
        .find(|(g, _)| *g == gurux)
        .map(|(_, t)| *t)
}

/// Conformance bits: ours (`Conformance::names`) and Gurux's `ConformanceBit Name`.
pub const CONFORMANCE: [(&str, &str); 24] = [
    ("reserved-zero", "ReservedZero"),
    ("general-protection", "GeneralProtection"), // (seen)
    ("general-block-transfer", "GeneralBlockTransfer"),
    ("read", "Read"),
    ("write", "Write"),
    ("unconfirmed-write", "UnconfirmedWrite"),
    ("delta-value-encoding", "DeltaValueEncoding"),
    ("reserved-seven", "ReservedSeven"),
    (
        "attribute0-supported-with-set",
        "Attribute0SupportedWithSet",
    ),
    ("priority-mgmt-supported", "PriorityMgmtSupported"),
    (
        "attribute0-supported-with-get",
        "Attribute0SupportedWithGet",
    ),
    (
        "block-transfer-with-get-or-read",
        "BlockTransferWithGetOrRead",
    ), // (seen)
    (
        "block-transfer-with-set-or-write",
        "BlockTransferWithSetOrWrite",
    ), // (seen)
    ("block-transfer-with-action", "BlockTransferWithAction"), // (seen)
    ("multiple-references", "MultipleReferences"),             // (seen)
    ("information-report", "InformationReport"),
    ("data-notification", "DataNotification"),
    ("access", "Access"), // (seen)
    ("parameterized-access", "ParameterizedAccess"),
    ("get", "Get"),                          // (seen)
    ("set", "Set"),                          // (seen)
    ("selective-access", "SelectiveAccess"), // (seen)
    ("event-notification", "EventNotification"),
    ("action", "Action"), // (seen)
];

/// Gurux's name of one of our conformance bit names.
pub fn conformance(ours: &str) -> &'static str {
    CONFORMANCE
        .iter()
        .find(|(o, _)| *o == ours)
        .map(|(_, g)| *g)
        .unwrap_or_else(|| panic!("no Gurux name for conformance bit {ours}"))
}

/// `ApplicationContextName Value`.
pub fn application_context(name: ApplicationContextName) -> &'static str {
    match name {
        ApplicationContextName::LogicalName => "LN", // (seen)
        ApplicationContextName::ShortName => "SN",
        ApplicationContextName::LogicalNameCiphered => "LN_WITH_CIPHERING", // (seen)
        ApplicationContextName::ShortNameCiphered => "SN_WITH_CIPHERING",
    }
}

/// `MechanismName Value` (Gurux's `Authentication` enum).
pub fn mechanism(name: MechanismName) -> &'static str {
    match name {
        MechanismName::Lowest => "None",
        MechanismName::Low => "Low", // (seen)
        MechanismName::High => "High",
        MechanismName::HighMd5 => "HighMd5",
        MechanismName::HighSha1 => "HighSha1",
        MechanismName::HighGmac => "HighGmac", // (seen)
        MechanismName::HighSha256 => "HighSha256",
        MechanismName::HighEcdsa => "HighEcdsa",
    }
}

/// A name of ours in Gurux's style: `hardware-fault` → `HardwareFault`. Gurux's results
/// (`Result Value`: data-access-result, action-result) and release reasons (`Reason Value`)
/// follow this rule for the values seen (`Success`, `Normal`).
pub fn pascal(ours: &str) -> String {
    ours.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// Gurux's root element and choice element of an unciphered APDU, from our [`Apdu::name`] and
/// the choice (Gurux spells `GetResponsewithDataBlock` with a lower-case w).
///
/// [`Apdu::name`]: fieldbridge_dlms::apdu::Apdu::name
pub const CHOICES: [(&str, u8, &str, &str); 8] = [
    ("get-request", 1, "GetRequest", "GetRequestNormal"), // (seen)
    ("get-request", 2, "GetRequest", "GetRequestForNextDataBlock"), // (seen)
    ("get-request", 3, "GetRequest", "GetRequestWithList"),
    ("get-response", 1, "GetResponse", "GetResponseNormal"), // (seen)
    ("get-response", 2, "GetResponse", "GetResponsewithDataBlock"), // (seen)
    ("get-response", 3, "GetResponse", "GetResponseWithList"),
    ("set-request", 1, "SetRequest", "SetRequestNormal"), // (seen)
    ("set-response", 1, "SetResponse", "SetResponseNormal"), // (seen)
];

/// Gurux's root and choice elements for our APDU name and choice.
pub fn choice(name: &str, choice: u8) -> (&'static str, &'static str) {
    const MORE: [(&str, u8, &str, &str); 2] = [
        ("action-request", 1, "ActionRequest", "ActionRequestNormal"), // (seen)
        (
            "action-response",
            1,
            "ActionResponse",
            "ActionResponseNormal",
        ), // (seen)
    ];
    CHOICES
        .iter()
        .chain(MORE.iter())
        .find(|(n, c, _, _)| *n == name && *c == choice)
        .map(|(_, _, root, ch)| (*root, *ch))
        .unwrap_or_else(|| panic!("no Gurux element for {name} choice {choice}"))
}

/// Gurux's element of a service-specific ciphered APDU (`glo_GetRequest`) from our name
/// (`glo-get-request`), and of the general one.
pub fn ciphered(ours: &str) -> String {
    match ours {
        "general-glo-ciphering" => "GeneralGloCiphering".to_string(), // (seen)
        // glo-get-request → glo_GetRequest (seen: get, action, initiate; requests and responses)
        _ => match ours.strip_prefix("glo-") {
            Some(rest) => format!("glo_{}", pascal(rest)),
            None => panic!("no Gurux element for {ours}"),
        },
    }
}

/// Gurux's root element of the association APDUs and the xDLMS initiate ones.
pub fn association(ours: &str) -> &'static str {
    match ours {
        "AARQ" => "AssociationRequest",           // (seen)
        "AARE" => "AssociationResponse",          // (seen)
        "RLRQ" => "ReleaseRequest",               // (seen)
        "RLRE" => "ReleaseResponse",              // (seen)
        "initiateRequest" => "InitiateRequest",   // (seen, deciphered)
        "initiateResponse" => "InitiateResponse", // (seen, deciphered)
        other => panic!("no Gurux element for {other}"),
    }
}
