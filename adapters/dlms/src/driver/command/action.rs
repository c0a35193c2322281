//! ACTION of a point's method (IEC 62056-5-3 clause 6.17, DLMS UA 1000-2 Ed. 10 clause 9.3.8):
//! the method-invocation-parameters built from the command's value, the ACTION-Request, and
//! its action-result, anything but success answered `failed` with it named
//! (`action-result 1 (hardware-fault)`).
//!
//! # Parameters
//! The interface classes of IEC 62056-6-2 clause 4 give each method's parameter; the bridge
//! knows those of [`METHODS`]:
//!
//! - `data ::= integer (0)` (disconnect control remote_disconnect and remote_reconnect, the
//!   resets and captures, the clock's adjust_to_* methods, activate_passive_calendar): no
//!   value sends integer(0); a number sends that integer (-128 to 127);
//! - clock shift_time: a number of seconds, -900 to 900, as long;
//! - script table execute: the script identifier, 0 to 65535, as long-unsigned (required);
//! - clock preset_adjusting_time (a structure): refused, commands do not build structures.
//!
//! A method the bridge does not know is invoked with null-data when the command has no value;
//! a number for it is refused, since its type is unknown. Booleans, strings and structured
//! values (arrays, objects) are refused for every method.
//!
//! # Disconnect control (class 70)
//! After remote_disconnect or remote_reconnect the source reads control_state (attribute 3),
//! output_state (2) and control_mode (4) back. `success` needs control_state disconnected (0)
//! after remote_disconnect; after remote_reconnect, connected (1), or ready_for_reconnection
//! (2) unless control_mode says remote reconnection connects at once (modes 2 and 4:
//! transition a); in modes 1, 3, 5 and 6 it only arms the switch for the customer (transition
//! d). The reply's method carries the state read back; the point's own attribute (output_state
//! or control_state) is published with it.

use fieldbridge_core::command::{CommandValue, FieldCommand};
use fieldbridge_core::config::DlmsPoint;
use fieldbridge_core::source::Counter;
use fieldbridge_dlms::apdu::get::{ActionResult, AttributeDescriptor, MethodDescriptor};
use fieldbridge_dlms::axdr::Data;

use super::super::cycle::Answer;
use super::super::exchange::{exchange, Bounds};
use super::super::poll::Poller;
use super::encode::describe;
use super::{
    access_text, action_text, failed, late, obis_text, success, unexpected, Done, Open, Readback,
};
use crate::link::LinkError;
use crate::session::Received;

/// The disconnect control interface class.
const DISCONNECT_CONTROL: u16 = 70;

/// A method's parameter (IEC 62056-6-2 clause 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Parameter {
    /// `data ::= integer (0)`.
    IntegerZero,
    /// A long within a range.
    Long {
        /// The least value.
        min: i16,
        /// The greatest value.
        max: i16,
    },
    /// A long-unsigned, required.
    LongUnsigned,
    /// A structure, not built by commands.
    Structure,
}

/// The methods the bridge knows: (class, method, name, parameter), from the interface classes
/// of IEC 62056-6-2 clause 4 (register, extended register, demand register, profile generic,
/// clock, script table, activity calendar, register table, disconnect control).
pub(crate) const METHODS: &[(u16, i8, &str, Parameter)] = &[
    (3, 1, "reset", Parameter::IntegerZero),
    (4, 1, "reset", Parameter::IntegerZero),
    (5, 1, "reset", Parameter::IntegerZero),
    (5, 2, "next_period", Parameter::IntegerZero),
    (7, 1, "reset", Parameter::IntegerZero),
    (7, 2, "capture", Parameter::IntegerZero),
    (8, 1, "adjust_to_quarter", Parameter::IntegerZero),
    (8, 2, "adjust_to_measuring_period", Parameter::IntegerZero),
    (8, 3, "adjust_to_minute", Parameter::IntegerZero),
    (8, 4, "adjust_to_preset_time", Parameter::IntegerZero),
    (8, 5, "preset_adjusting_time", Parameter::Structure),
    (
        8,
        6,
        "shift_time",
        Parameter::Long {
            min: -900,
            max: 900,
        },
    ),
    (9, 1, "execute", Parameter::LongUnsigned),
    (20, 1, "activate_passive_calendar", Parameter::IntegerZero),
    (61, 1, "reset", Parameter::IntegerZero),
    (61, 2, "capture", Parameter::IntegerZero),
    (70, 1, "remote_disconnect", Parameter::IntegerZero),
    (70, 2, "remote_reconnect", Parameter::IntegerZero),
];

/// The name and parameter of a known method.
fn known(class: u16, method: i8) -> Option<(&'static str, Parameter)> {
    METHODS
        .iter()
        .find(|(c, m, _, _)| (*c, *m) == (class, method))
        .map(|&(_, _, name, parameter)| (name, parameter))
}

/// `action 0.0.96.3.10.255/1 remote_disconnect` (the name when the method is known).
pub(super) fn method_text(point: &DlmsPoint, method: i8) -> String {
    let base = format!("action {}/{method}", obis_text(point.obis));
    match known(point.class, method) {
        Some((name, _)) => format!("{base} {name}"),
        None => base,
    }
}

/// The method-invocation-parameters for a command's value, or the reason of its refusal.
pub(crate) fn parameters(
    class: u16,
    method: i8,
    value: &CommandValue,
) -> Result<Option<Data>, String> {
    let Some((name, parameter)) = known(class, method) else {
        return match value {
            CommandValue::None => Ok(Some(Data::Null)),
            CommandValue::Number(_) => Err(format!(
                "method {method} of class {class} is not one whose parameter type the bridge knows: send no value (null-data is sent)"
            )),
            other => Err(format!(
                "expected no value for method {method} of class {class}, got {}",
                other.kind()
            )),
        };
    };
    let integer = |value: &CommandValue| match value {
        CommandValue::Number(n) => n.as_i64(),
        _ => None,
    };
    match (parameter, value) {
        (Parameter::Structure, _) => Err(format!(
            "{name} takes a structure, which commands do not build"
        )),
        (_, CommandValue::Bool(_) | CommandValue::String(_) | CommandValue::Structured(_)) => {
            Err(format!(
                "expected no value or a number for {name}, got {}",
                value.kind()
            ))
        }
        (Parameter::IntegerZero, CommandValue::None) => Ok(Some(Data::Integer(0))),
        (Parameter::IntegerZero, _) => integer(value)
            .and_then(|n| i8::try_from(n).ok())
            .map(|n| Some(Data::Integer(n)))
            .ok_or_else(|| {
                format!(
                    "{name} takes an integer (-128 to 127; the standard's is 0, sent when there is no value), got {}",
                    value.to_json()
                )
            }),
        (Parameter::Long { min, max }, CommandValue::None) => Err(format!(
            "{name} needs a number of seconds ({min} to {max}), got no value"
        )),
        (Parameter::Long { min, max }, _) => integer(value)
            .and_then(|n| i16::try_from(n).ok())
            .filter(|n| (min..=max).contains(n))
            .map(|n| Some(Data::Long(n)))
            .ok_or_else(|| {
                format!(
                    "{name} takes a whole number of seconds from {min} to {max}, got {}",
                    value.to_json()
                )
            }),
        (Parameter::LongUnsigned, _) => integer(value)
            .and_then(|n| u16::try_from(n).ok())
            .map(|n| Some(Data::LongUnsigned(n)))
            .ok_or_else(|| {
                format!(
                    "{name} needs the script identifier, a number from 0 to 65535, got {}",
                    value.kind()
                )
            }),
    }
}

/// The name of a disconnect control's control_state.
pub(crate) fn control_state_name(state: u8) -> &'static str {
    match state {
        0 => "disconnected",
        1 => "connected",
        2 => "ready_for_reconnection",
        _ => "unknown",
    }
}

/// Whether `state` is what `method` asks for given the control_mode (when it was read); else
/// the state expected, in words.
pub(crate) fn judge(method: i8, state: u8, mode: Option<u8>) -> Result<(), &'static str> {
    match method {
        1 if state == 0 => Ok(()),
        1 => Err("0 (disconnected)"),
        _ if state == 1 => Ok(()),
        _ if matches!(mode, Some(2 | 4)) => {
            Err("1 (connected), as control_mode 2 and 4 reconnect at once")
        }
        _ if state == 2 => Ok(()),
        _ => Err("1 (connected) or 2 (ready_for_reconnection)"),
    }
}

impl Poller {
    /// Carries out an ACTION on the open association. `sent` becomes true once the
    /// ACTION-Request is out. The error ends the association.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn run_action(
        &mut self,
        command: &FieldCommand,
        index: usize,
        point: &DlmsPoint,
        (method, parameters): (i8, Option<Data>),
        open: &mut Open,
        bounds: Bounds,
        sent: &mut bool,
    ) -> Result<Done, LinkError> {
        if let Some(reply) = late(command, "before the ACTION") {
            return Ok(Done::reply(reply));
        }
        let descriptor = MethodDescriptor::new(point.class, point.obis, method);
        let request = match open
            .session
            .action(descriptor, parameters, std::time::Instant::now())
        {
            Ok(request) => request,
            Err(e) => match e.object_undefined() {
                Some(result) => return Ok(Done::reply(failed(access_text(result)))),
                None => return Err(e.into()),
            },
        };
        *sent = true;
        let invoked = exchange(
            &mut open.link,
            &mut open.session,
            request,
            "an ACTION-Response",
            bounds,
            &self.stats,
            self.invocation.as_mut(),
        )
        .await?;
        match invoked {
            Received::Invoked {
                result: ActionResult::SUCCESS,
                ..
            } => {}
            Received::Invoked { result, .. } => {
                self.stats.bump(Counter::Exceptions);
                return Ok(Done::reply(failed(action_text(result))));
            }
            _ => return Err(unexpected("an ACTION-Response")),
        }
        if point.class == DISCONNECT_CONTROL && matches!(method, 1 | 2) {
            return self
                .disconnect_state(index, point, method, open, bounds)
                .await;
        }
        Ok(Done::reply(success()))
    }

    /// A disconnect control's state after remote_disconnect (1) or remote_reconnect (2).
    async fn disconnect_state(
        &mut self,
        index: usize,
        point: &DlmsPoint,
        method: i8,
        open: &mut Open,
        bounds: Bounds,
    ) -> Result<Done, LinkError> {
        let name = if method == 1 {
            "remote_disconnect"
        } else {
            "remote_reconnect"
        };
        let attribute = |id| AttributeDescriptor::new(DISCONNECT_CONTROL, point.obis, id);
        let control_state = self.read(open, attribute(3), bounds).await?;
        let output_state = self.read(open, attribute(2), bounds).await?;
        let control_mode = self.read(open, attribute(4), bounds).await?;
        let state = match &control_state {
            Answer::Value(Data::Enum(state)) => *state,
            Answer::Value(other) => {
                return Ok(Done::reply(failed(format!(
                    "the meter accepted {name}, but its control_state reads {}, not an enum",
                    describe(other)
                ))))
            }
            Answer::Refused(result) => {
                return Ok(Done::reply(failed(format!(
                    "the meter accepted {name}, but reading its control_state back was refused: {}",
                    access_text(*result)
                ))))
            }
        };
        let mode = match &control_mode {
            Answer::Value(Data::Enum(mode)) => Some(*mode),
            _ => None,
        };
        let mut seen = format!("control_state {state} ({})", control_state_name(state));
        if let Answer::Value(Data::Boolean(output)) = &output_state {
            seen.push_str(&format!(", output_state {output}"));
        }
        let own = match (point.attribute, control_state, output_state) {
            (3, Answer::Value(data), _) | (2, _, Answer::Value(data)) => Some(Readback {
                index,
                data,
                scaler: None,
            }),
            _ => None,
        };
        let reply = match judge(method, state, mode) {
            Ok(()) => success().with_method(format!("{}; {seen}", method_text(point, method))),
            Err(expected) => failed(format!(
                "mismatch: {seen} after {name}, expected control_state {expected}"
            )),
        };
        Ok(Done::reply(reply).with_readback(own))
    }
}
