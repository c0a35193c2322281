//! The tags of the ciphered APDUs (IEC 62056-5-3 / DLMS UA 1000-2 Ed. 10, 9.5, the xDLMS APDU
//! CHOICE): each service-specific ciphered APDU has a glo- form (the global key) and a ded- form
//! (the dedicated key), 32 and 64 above the plain APDU's tag for the SN and initiate services, 8
//! and 16 above it for the LN services; the general forms carry the system title.

/// The tag of a ciphered APDU, kept as the octet so that an unknown one can still be shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CipheredTag(pub u8);

/// The key a ciphered APDU is protected with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyKind {
    /// A global key (unicast or broadcast, as the security control byte says).
    Global,
    /// The dedicated key agreed in the association.
    Dedicated,
}

impl CipheredTag {
    /// glo-initiate-request (33).
    pub const GLO_INITIATE_REQUEST: Self = Self(33);
    /// glo-read-request (37).
    pub const GLO_READ_REQUEST: Self = Self(37);
    /// glo-write-request (38).
    pub const GLO_WRITE_REQUEST: Self = Self(38);
    /// glo-initiate-response (40).
    pub const GLO_INITIATE_RESPONSE: Self = Self(40);
    /// glo-read-response (44).
    pub const GLO_READ_RESPONSE: Self = Self(44);
    /// glo-write-response (45).
    pub const GLO_WRITE_RESPONSE: Self = Self(45);
    /// glo-confirmed-service-error (46).
    pub const GLO_CONFIRMED_SERVICE_ERROR: Self = Self(46);
    /// glo-unconfirmed-write-request (54).
    pub const GLO_UNCONFIRMED_WRITE_REQUEST: Self = Self(54);
    /// glo-information-report-request (56).
    pub const GLO_INFORMATION_REPORT_REQUEST: Self = Self(56);
    /// ded-initiate-request (65).
    pub const DED_INITIATE_REQUEST: Self = Self(65);
    /// ded-initiate-response (72).
    pub const DED_INITIATE_RESPONSE: Self = Self(72);
    /// ded-confirmed-service-error (78).
    pub const DED_CONFIRMED_SERVICE_ERROR: Self = Self(78);
    /// glo-get-request (200).
    pub const GLO_GET_REQUEST: Self = Self(200);
    /// glo-set-request (201).
    pub const GLO_SET_REQUEST: Self = Self(201);
    /// glo-event-notification-request (202).
    pub const GLO_EVENT_NOTIFICATION_REQUEST: Self = Self(202);
    /// glo-action-request (203).
    pub const GLO_ACTION_REQUEST: Self = Self(203);
    /// glo-get-response (204).
    pub const GLO_GET_RESPONSE: Self = Self(204);
    /// glo-set-response (205).
    pub const GLO_SET_RESPONSE: Self = Self(205);
    /// glo-action-response (207).
    pub const GLO_ACTION_RESPONSE: Self = Self(207);
    /// ded-get-request (208).
    pub const DED_GET_REQUEST: Self = Self(208);
    /// ded-set-request (209).
    pub const DED_SET_REQUEST: Self = Self(209);
    /// ded-event-notification-request (210).
    pub const DED_EVENT_NOTIFICATION_REQUEST: Self = Self(210);
    /// ded-action-request (211).
    pub const DED_ACTION_REQUEST: Self = Self(211);
    /// ded-get-response (212).
    pub const DED_GET_RESPONSE: Self = Self(212);
    /// ded-set-response (213).
    pub const DED_SET_RESPONSE: Self = Self(213);
    /// ded-action-response (215).
    pub const DED_ACTION_RESPONSE: Self = Self(215);
    /// general-glo-ciphering (219): system title, then the ciphered content.
    pub const GENERAL_GLO_CIPHERING: Self = Self(219);
    /// general-ded-ciphering (220).
    pub const GENERAL_DED_CIPHERING: Self = Self(220);
    /// general-ciphering (221): not supported by this crate.
    pub const GENERAL_CIPHERING: Self = Self(221);

    /// The tag of the plain APDU a service-specific ciphered APDU carries, and the key; `None`
    /// for the general forms and for tags that are no ciphered APDU.
    pub const fn service(self) -> Option<(u8, KeyKind)> {
        match self.0 {
            33 | 37 | 38 | 40 | 44 | 45 | 46 | 54 | 56 => Some((self.0 - 32, KeyKind::Global)),
            65 | 69 | 70 | 72 | 76 | 77 | 78 | 86 | 88 => Some((self.0 - 64, KeyKind::Dedicated)),
            200..=205 | 207 => Some((self.0 - 8, KeyKind::Global)),
            208..=213 | 215 => Some((self.0 - 16, KeyKind::Dedicated)),
            _ => None,
        }
    }

    /// The service-specific ciphered tag for a plain APDU whose tag is `plain`, with `key`;
    /// `None` when that APDU has no service-specific ciphered form (it then travels in a general
    /// form).
    pub const fn for_plain(plain: u8, key: KeyKind) -> Option<Self> {
        let global = match plain {
            1 | 5 | 6 | 8 | 12 | 13 | 14 | 22 | 24 => plain + 32,
            192..=197 | 199 => plain + 8,
            _ => return None,
        };
        Some(match key {
            KeyKind::Global => Self(global),
            KeyKind::Dedicated if global < 192 => Self(global + 32),
            KeyKind::Dedicated => Self(global + 8),
        })
    }

    /// Whether this is general-glo-ciphering or general-ded-ciphering, which carry the system
    /// title.
    pub const fn is_general(self) -> bool {
        matches!(self.0, 219 | 220)
    }

    /// The key this APDU is protected with; `None` for tags that are no ciphered APDU this
    /// crate reads.
    pub const fn key(self) -> Option<KeyKind> {
        match self.0 {
            219 => Some(KeyKind::Global),
            220 => Some(KeyKind::Dedicated),
            _ => match self.service() {
                Some((_, key)) => Some(key),
                None => None,
            },
        }
    }

    /// The standard's name (`"glo-get-request"`); `None` for an unknown tag.
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            33 => "glo-initiate-request",
            37 => "glo-read-request",
            38 => "glo-write-request",
            40 => "glo-initiate-response",
            44 => "glo-read-response",
            45 => "glo-write-response",
            46 => "glo-confirmed-service-error",
            54 => "glo-unconfirmed-write-request",
            56 => "glo-information-report-request",
            65 => "ded-initiate-request",
            69 => "ded-read-request",
            70 => "ded-write-request",
            72 => "ded-initiate-response",
            76 => "ded-read-response",
            77 => "ded-write-response",
            78 => "ded-confirmed-service-error",
            86 => "ded-unconfirmed-write-request",
            88 => "ded-information-report-request",
            200 => "glo-get-request",
            201 => "glo-set-request",
            202 => "glo-event-notification-request",
            203 => "glo-action-request",
            204 => "glo-get-response",
            205 => "glo-set-response",
            207 => "glo-action-response",
            208 => "ded-get-request",
            209 => "ded-set-request",
            210 => "ded-event-notification-request",
            211 => "ded-action-request",
            212 => "ded-get-response",
            213 => "ded-set-response",
            215 => "ded-action-response",
            219 => "general-glo-ciphering",
            220 => "general-ded-ciphering",
            221 => "general-ciphering",
            _ => return None,
        })
    }
}
