//! SET of a point's attribute (IEC 62056-5-3 clause 6.14, DLMS UA 1000-2 Ed. 10 clause 9.3.7),
//! in four exchanges of one association:
//!
//! 1. for a register's value (classes 3, 4, 5), a GET of its scaler_unit (IEC 62056-6-2 clause
//!    4.3.2);
//! 2. a GET of the attribute, whose type the value is written in: a meter's register may hold
//!    double-long-unsigned, long-unsigned or any other integer, and the configuration does not
//!    say which ([`super::encode`] converts, or refuses with the reason: nothing is written);
//! 3. the SET, its data-access-result other than success answered `failed` with it named
//!    (`data-access-result 3 (read-write-denied)`);
//! 4. a GET of the attribute again: `success` only when it reads back equal to what was
//!    written, else `failed` with `mismatch: wrote ..., read back ...`. The value read back is
//!    published for the point.
//!
//! The deadline is checked before steps 1 and 3. A clock's time is not set by commands.

use fieldbridge_core::command::{CommandValue, FieldCommand, FieldReply, Outcome};
use fieldbridge_core::config::DlmsPoint;
use fieldbridge_core::source::Counter;
use fieldbridge_dlms::apdu::get::{AttributeDescriptor, DataAccessResult};

use super::super::cycle::Answer;
use super::super::exchange::{exchange, Bounds};
use super::super::poll::Poller;
use super::super::{is_clock, scaler_attribute};
use super::encode::{describe, to_data};
use super::{access_text, failed, late, success, unexpected, Done, Open, Readback};
use crate::convert::ScalerUnit;
use crate::link::LinkError;
use crate::session::Received;

/// Refuses, before anything is sent, a value no attribute type takes: the reason.
pub(super) fn check(point: &DlmsPoint, value: &CommandValue) -> Result<(), String> {
    if is_clock(point) {
        return Err(format!(
            "point \"{}\" is a clock's time, which commands do not set",
            point.name
        ));
    }
    match value {
        CommandValue::None => Err(
            "expected a value to write (a number, true/false or a string), got no value".to_owned(),
        ),
        CommandValue::Structured(_) => Err(format!(
            "expected a number, true/false or a string, got {}: a SET writes one value",
            value.kind()
        )),
        _ => Ok(()),
    }
}

impl Poller {
    /// Carries out a SET on the open association. `sent` becomes true once the SET-Request is
    /// out. The error ends the association.
    pub(super) async fn run_set(
        &mut self,
        command: &FieldCommand,
        index: usize,
        point: &DlmsPoint,
        open: &mut Open,
        bounds: Bounds,
        sent: &mut bool,
    ) -> Result<Done, LinkError> {
        if let Some(reply) = late(command, "before reading the attribute") {
            return Ok(Done::reply(reply));
        }
        let mut scaler = None;
        if let Some(attribute) = scaler_attribute(point) {
            let descriptor = AttributeDescriptor::new(point.class, point.obis, attribute);
            match self.read(open, descriptor, bounds).await? {
                Answer::Value(data) => match ScalerUnit::from_data(&data) {
                    Ok(found) => scaler = Some(found),
                    Err(e) => {
                        return Ok(Done::reply(failed(format!(
                            "cannot read the scaler_unit (attribute {attribute}): {e}; the SET was not sent"
                        ))))
                    }
                },
                Answer::Refused(result) => {
                    return Ok(Done::reply(failed(format!(
                        "cannot read the scaler_unit (attribute {attribute}): {}; the SET was not sent",
                        access_text(result)
                    ))))
                }
            }
        }
        let descriptor = AttributeDescriptor::new(point.class, point.obis, point.attribute);
        let current = match self.read(open, descriptor, bounds).await? {
            Answer::Value(data) => data,
            Answer::Refused(result) => {
                return Ok(Done::reply(failed(format!(
                    "cannot read attribute {} to learn its type: {}; the SET was not sent",
                    point.attribute,
                    access_text(result)
                ))))
            }
        };
        let value = match to_data(&command.value, &current, scaler.map(|s| s.scaler)) {
            Ok(value) => value,
            Err(e) => {
                return Ok(Done::reply(FieldReply::not_done(
                    Outcome::Refused,
                    e.to_string(),
                )))
            }
        };
        if let Some(reply) = late(command, "before the SET") {
            return Ok(Done::reply(reply));
        }
        let request = match open
            .session
            .set(descriptor, value.clone(), std::time::Instant::now())
        {
            Ok(request) => request,
            Err(e) => match e.object_undefined() {
                Some(result) => return Ok(Done::reply(failed(access_text(result)))),
                None => return Err(e.into()),
            },
        };
        *sent = true;
        let written = exchange(
            &mut open.link,
            &mut open.session,
            request,
            "a SET-Response",
            bounds,
            &self.stats,
            self.invocation.as_mut(),
        )
        .await?;
        match written {
            Received::Written(DataAccessResult::SUCCESS) => {}
            Received::Written(result) => {
                self.stats.bump(Counter::Exceptions);
                return Ok(Done::reply(failed(access_text(result))));
            }
            _ => return Err(unexpected("a SET-Response")),
        }
        let readback = |data| Readback {
            index,
            data,
            scaler,
        };
        let raw = if scaler.is_some_and(|s| s.scaler != 0) {
            " (raw, before the scaler)"
        } else {
            ""
        };
        Ok(match self.read(open, descriptor, bounds).await? {
            Answer::Value(back) if back == value => {
                Done::reply(success()).with_readback(Some(readback(back)))
            }
            Answer::Value(back) => Done::reply(failed(format!(
                "mismatch: wrote {}, read back {}{raw}",
                describe(&value),
                describe(&back)
            )))
            .with_readback(Some(readback(back))),
            Answer::Refused(result) => Done::reply(failed(format!(
                "the meter accepted the SET, but reading it back was refused: {}",
                access_text(result)
            ))),
        })
    }

    /// One GET on the open association.
    pub(super) async fn read(
        &mut self,
        open: &mut Open,
        descriptor: AttributeDescriptor,
        bounds: Bounds,
    ) -> Result<Answer, LinkError> {
        self.get_attribute(&mut open.link, &mut open.session, descriptor, None, bounds)
            .await
    }
}
