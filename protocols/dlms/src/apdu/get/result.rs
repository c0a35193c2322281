//! The result enumerations of the data-transfer services (DLMS UA 1000-2 Ed. 10 clause 9.5):
//! `Data-Access-Result` and `Action-Result`, one octet each. Every value decodes, so that a
//! monitoring tool can show a meter's private or reserved codes; [`DataAccessResult::name`] and
//! [`ActionResult::name`] give the standard's names.

use super::wire::{element_with, Element};
use crate::axdr::Limits;
use crate::Error;
use std::fmt;

macro_rules! named_octet {
    (
        $(#[$doc:meta])* $ty:ident, $what:literal,
        $( $(#[$cdoc:meta])* $name:ident = $value:literal => $text:literal, )*
    ) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $ty(pub u8);

        impl $ty {
            $( $(#[$cdoc])* pub const $name: Self = Self($value); )*

            /// Every value the standard names, in order.
            pub const ALL: &'static [Self] = &[$(Self::$name),*];

            /// The standard's name of the value, or `"unknown"`.
            pub fn name(self) -> &'static str {
                match self.0 {
                    $( $value => $text, )*
                    _ => "unknown",
                }
            }

            /// Whether the standard names this value.
            pub fn is_known(self) -> bool {
                self.name() != "unknown"
            }
        }

        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({} {})", stringify!($ty), self.0, self.name())
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                if self.is_known() {
                    f.write_str(self.name())
                } else {
                    write!(f, "unknown {} {}", $what, self.0)
                }
            }
        }
    };
}

pub(crate) use named_octet;

named_octet! {
    /// `Data-Access-Result` (DLMS UA 1000-2 Ed. 10 clause 9.5): the outcome of reading or
    /// writing one attribute.
    DataAccessResult, "data-access-result",
    /// 0.
    SUCCESS = 0 => "success",
    /// 1.
    HARDWARE_FAULT = 1 => "hardware-fault",
    /// 2.
    TEMPORARY_FAILURE = 2 => "temporary-failure",
    /// 3.
    READ_WRITE_DENIED = 3 => "read-write-denied",
    /// 4.
    OBJECT_UNDEFINED = 4 => "object-undefined",
    /// 9.
    OBJECT_CLASS_INCONSISTENT = 9 => "object-class-inconsistent",
    /// 11.
    OBJECT_UNAVAILABLE = 11 => "object-unavailable",
    /// 12.
    TYPE_UNMATCHED = 12 => "type-unmatched",
    /// 13.
    SCOPE_OF_ACCESS_VIOLATED = 13 => "scope-of-access-violated",
    /// 14.
    DATA_BLOCK_UNAVAILABLE = 14 => "data-block-unavailable",
    /// 15.
    LONG_GET_ABORTED = 15 => "long-get-aborted",
    /// 16.
    NO_LONG_GET_IN_PROGRESS = 16 => "no-long-get-in-progress",
    /// 17.
    LONG_SET_ABORTED = 17 => "long-set-aborted",
    /// 18.
    NO_LONG_SET_IN_PROGRESS = 18 => "no-long-set-in-progress",
    /// 19.
    DATA_BLOCK_NUMBER_INVALID = 19 => "data-block-number-invalid",
    /// 250.
    OTHER_REASON = 250 => "other-reason",
}

named_octet! {
    /// `Action-Result` (DLMS UA 1000-2 Ed. 10 clause 9.5): the outcome of invoking one method.
    ActionResult, "action-result",
    /// 0.
    SUCCESS = 0 => "success",
    /// 1.
    HARDWARE_FAULT = 1 => "hardware-fault",
    /// 2.
    TEMPORARY_FAILURE = 2 => "temporary-failure",
    /// 3.
    READ_WRITE_DENIED = 3 => "read-write-denied",
    /// 4.
    OBJECT_UNDEFINED = 4 => "object-undefined",
    /// 9.
    OBJECT_CLASS_INCONSISTENT = 9 => "object-class-inconsistent",
    /// 11.
    OBJECT_UNAVAILABLE = 11 => "object-unavailable",
    /// 12.
    TYPE_UNMATCHED = 12 => "type-unmatched",
    /// 13.
    SCOPE_OF_ACCESS_VIOLATED = 13 => "scope-of-access-violated",
    /// 14.
    DATA_BLOCK_UNAVAILABLE = 14 => "data-block-unavailable",
    /// 15.
    LONG_ACTION_ABORTED = 15 => "long-action-aborted",
    /// 16.
    NO_LONG_ACTION_IN_PROGRESS = 16 => "no-long-action-in-progress",
    /// 250.
    OTHER_REASON = 250 => "other-reason",
}

impl<'a> Element<'a> for DataAccessResult {
    fn decode_element(
        input: &'a [u8],
        base: usize,
        _limits: Limits,
    ) -> Result<(Self, usize), Error> {
        element_with(input, base, |r| {
            Ok(DataAccessResult(r.u8("data-access-result")?))
        })
    }
}
