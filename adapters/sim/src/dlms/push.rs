//! Push mode (Green Book 9.3.12, the push setup of IEC 62056-6-2 class 40): the meter sends a
//! DataNotification to a destination at every interval, over a TCP connection opened for it
//! (wrapper, source wPort 1, destination wPort 0x10), ciphered with general-glo-ciphering when
//! the meter ciphers (the envelope carries the meter's system title, so a listener knows whose
//! keys to use). Its frame counter is the process's ([`Counters`]), shared with every
//! connection's answers, so that no counter is used twice with the meter's key.
//!
//! The notification's body is the push object list's values, a structure: the push setup's
//! logical name 0-0:25.9.0*255, the serial number, the clock, active energy import and export.

use fieldbridge_dlms::apdu::get::{AttributeDescriptor, LongInvokeIdAndPriority};
use fieldbridge_dlms::apdu::notification::OwnedDataNotification;
use fieldbridge_dlms::axdr::Data;
use fieldbridge_dlms::security::{
    encrypt, Envelope, KeyKind, Keys, SecurityControl, SecurityPolicy, SystemTitle,
};

use std::sync::Arc;

use super::counters::Counters;
use super::meter::{Meter, CLOCK, ENERGY_EXPORT, ENERGY_IMPORT, SERIAL};

/// 0-0:25.9.0*255, the push setup.
pub const PUSH_SETUP: [u8; 6] = [0, 0, 25, 9, 0, 255];

/// Builds the meter's DataNotifications, each with the next invoke id and frame counter.
#[derive(Debug, Clone)]
pub struct Pusher {
    keys: Keys,
    system_title: SystemTitle,
    security: Option<SecurityPolicy>,
    invoke: u32,
    counters: Arc<Counters>,
}

impl Pusher {
    /// A pusher ciphering with `security` (none: in clear) and the frame counter of `counters`.
    pub fn new(
        keys: Keys,
        system_title: SystemTitle,
        security: Option<SecurityPolicy>,
        counters: Arc<Counters>,
    ) -> Self {
        Pusher {
            keys,
            system_title,
            security,
            invoke: 0,
            counters,
        }
    }

    /// The next notification APDU, or `None` when it cannot be ciphered (a missing key, the
    /// frame counter exhausted).
    pub fn next(&mut self, meter: &Meter) -> Option<Vec<u8>> {
        let value = |class_id, ln| {
            meter
                .get(&AttributeDescriptor::new(class_id, ln, 2), None)
                .unwrap_or(Data::Null)
        };
        self.invoke = (self.invoke + 1) & 0x00FF_FFFF;
        let notification = OwnedDataNotification {
            long_invoke: LongInvokeIdAndPriority::new(self.invoke, false, false),
            date_time: None,
            body: Data::Structure(vec![
                Data::OctetString(PUSH_SETUP.to_vec()),
                value(1, SERIAL),
                value(8, CLOCK),
                value(3, ENERGY_IMPORT),
                value(3, ENERGY_EXPORT),
            ]),
        };
        let mut plain = Vec::new();
        notification.encode(&mut plain);
        let Some(policy) = self.security else {
            return Some(plain);
        };
        let counter = self.counters.next_own()?;
        let mut out = Vec::new();
        encrypt(
            Envelope::General(KeyKind::Global),
            SecurityControl::new(policy),
            counter,
            &self.system_title,
            &self.keys,
            &plain,
            &mut out,
        )
        .ok()?;
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fieldbridge_dlms::apdu::Apdu;
    use fieldbridge_dlms::security::CipheredApdu;

    #[test]
    fn a_plain_notification_carries_the_push_object_list() {
        let meter = Meter::new("SIM1", 1_767_225_600, 900);
        let mut pusher = Pusher::new(Keys::default(), *b"FBS00001", None, Arc::default());
        let apdu = pusher.next(&meter).expect("apdu");
        let Ok(Apdu::DataNotification(n)) = Apdu::decode(&apdu) else {
            panic!("DataNotification")
        };
        assert_eq!(n.long_invoke.long_invoke_id(), 1);
        let Data::Structure(values) = n.body.to_owned() else {
            panic!("structure")
        };
        assert_eq!(values[0], Data::OctetString(PUSH_SETUP.to_vec()));
        assert_eq!(values[1], Data::OctetString(b"SIM1".to_vec()));
        assert_eq!(values[3], Data::DoubleLongUnsigned(1_000_000));
        let again = pusher.next(&meter).expect("apdu");
        let Ok(Apdu::DataNotification(n)) = Apdu::decode(&again) else {
            panic!("DataNotification")
        };
        assert_eq!(n.long_invoke.long_invoke_id(), 2);
    }

    #[test]
    fn a_ciphered_notification_verifies_with_the_meters_title_and_the_process_counter() {
        let keys = Keys::new([1; 16], [2; 16]);
        let meter = Meter::new("SIM1", 1_767_225_600, 900);
        let policy = SecurityPolicy::AuthenticatedEncrypted;
        let counters = Arc::new(Counters::after(40));
        let mut pusher = Pusher::new(keys.clone(), *b"FBS00001", Some(policy), counters.clone());
        for counter in [41, 43] {
            let apdu = pusher.next(&meter).expect("apdu");
            assert_eq!(apdu[0], 0xDB, "general-glo-ciphering");
            let ciphered = CipheredApdu::decode(&apdu).expect("envelope");
            assert_eq!(ciphered.system_title(), Some(b"FBS00001"));
            assert_eq!(ciphered.frame_counter(), counter);
            let mut plain = Vec::new();
            let inner = ciphered
                .decrypt_with_policy(&keys, policy, None, &mut plain)
                .expect("verifies");
            assert!(matches!(Apdu::decode(inner), Ok(Apdu::DataNotification(_))));
            // A connection ciphers an answer between two pushes.
            assert_eq!(counters.next_own(), Some(counter + 1));
        }
    }

    #[test]
    fn a_push_is_not_ciphered_once_the_frame_counter_is_exhausted() {
        let keys = Keys::new([1; 16], [2; 16]);
        let meter = Meter::new("SIM1", 1_767_225_600, 900);
        let policy = SecurityPolicy::AuthenticatedEncrypted;
        let counters = Arc::new(Counters::after(u32::MAX));
        let mut pusher = Pusher::new(keys, *b"FBS00001", Some(policy), counters);
        assert_eq!(pusher.next(&meter), None);
    }
}
