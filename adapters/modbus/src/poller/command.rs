//! Commands in the source task: check, deadline, connect, write ([`crate::write`]), reply, and the
//! device state and point value that follow.
//!
//! Outcomes (`docs/commands.md`): `refused` before anything is sent (unknown or read-only point,
//! wrong JSON type, out of range, see [`crate::encode`]); `expired`/`timeout` when the deadline
//! passed before the first exchange (never sent later); `timeout` when the device could not be
//! reached or did not answer; `failed` for an exception (with its code and standard name, Modbus
//! Application Protocol V1.1b3 §7), a bad answer, or a read back that differs; `success` when the
//! value read back equals the value written.

use fieldbridge_core::command::{CommandRequest, FieldCommand, FieldReply, Outcome};
use fieldbridge_core::time::Timestamp;
use fieldbridge_modbus::ExceptionCode;
use tokio::time::Instant;

use super::Poller;
use crate::connection::ReadData;
use crate::encode::encode;
use crate::error::Error;
use crate::write::WriteError;
use fieldbridge_core::source::Counter;

/// What a command did to the device's state.
enum Effect {
    /// Nothing was sent.
    None,
    /// The device answered (even with an exception or a different value): it is online.
    Answered,
    /// The device answered and the write is confirmed: publish the value read back for this point.
    Confirmed { point: usize, data: ReadData },
    /// The device could not be reached or did not answer.
    Unreachable(Error),
}

/// The reason of a reply for an exchange that failed, and its outcome.
pub(crate) fn failure(error: &Error) -> (Outcome, String) {
    match error {
        Error::Exception { code, .. } => (
            Outcome::Failed,
            format!(
                "exception {code} ({})",
                ExceptionCode(*code).name().to_ascii_lowercase()
            ),
        ),
        Error::Timeout(t) => (
            Outcome::Timeout,
            format!("no answer from the device within {t:?}"),
        ),
        Error::Connect { .. } | Error::ConnectTimeout { .. } | Error::Serial { .. } => (
            Outcome::Timeout,
            format!("cannot reach the device: {}", error.reason()),
        ),
        Error::Transport(_) => (
            Outcome::Timeout,
            format!("no answer from the device: {}", error.reason()),
        ),
        Error::DeadlinePassed(_) => (Outcome::Timeout, error.to_string()),
        other => (Outcome::Failed, other.to_string()),
    }
}

impl Poller {
    /// Executes one command and answers it exactly once.
    pub(super) async fn handle_command(&mut self, request: CommandRequest) -> Result<(), Error> {
        let CommandRequest { command, reply } = request;
        let (answer, effect) = self.execute(&command).await;
        let unit = self
            .points
            .iter()
            .find(|p| p.config.name == command.point)
            .map(|p| p.config.unit_id);
        match answer.outcome {
            Outcome::Success => tracing::info!(
                device = %self.device,
                unit,
                point = %command.point,
                id = %command.id,
                function = answer.method.as_deref(),
                outcome = answer.outcome.as_str(),
                "modbus command written and read back"
            ),
            _ => tracing::warn!(
                device = %self.device,
                unit,
                point = %command.point,
                id = %command.id,
                function = answer.method.as_deref(),
                outcome = answer.outcome.as_str(),
                reason = answer.reason.as_deref(),
                "modbus command not done"
            ),
        }
        // The router answers `failed` itself if it stopped waiting; nothing more to do here.
        let _ = reply.send(answer);
        match effect {
            Effect::None => Ok(()),
            Effect::Answered => self.unit_answered(unit).await,
            Effect::Confirmed { point, data } => {
                self.unit_answered(unit).await?;
                self.publish_written(point, &data).await
            }
            // A gateway's unit that does not answer: the other units may.
            Effect::Unreachable(e) if e.unit_silent() && unit.is_some() => {
                let Some(unit) = unit else { return Ok(()) };
                if let Err(e) = self.unit_lost(unit, e).await {
                    if matches!(e, Error::ChannelClosed) {
                        return Err(e);
                    }
                    self.conn.disconnect();
                    self.offline(&e).await?;
                }
                Ok(())
            }
            Effect::Unreachable(e) => {
                self.conn.disconnect();
                self.offline(&e).await
            }
        }
    }

    async fn execute(&mut self, command: &FieldCommand) -> (FieldReply, Effect) {
        let refuse =
            |reason: String| (FieldReply::not_done(Outcome::Refused, reason), Effect::None);
        let Some(index) = self
            .points
            .iter()
            .position(|p| p.config.name == command.point)
        else {
            return refuse(format!(
                "no point named \"{}\" in this source",
                command.point
            ));
        };
        let config = &self.points[index].config;
        if !config.writable {
            return refuse(format!("point \"{}\" is not writable", command.point));
        }
        // `encode` refuses discrete inputs and input registers (read-only in Modbus).
        let encoded = match encode(config, &command.value) {
            Ok(e) => e,
            Err(e) => return refuse(e.to_string()),
        };
        if let Some(late) = too_late(command, "before it could be sent") {
            return (late, Effect::None);
        }
        // Down: connect now, not after the backoff.
        if !self.conn.is_connected() {
            if let Err(e) = self.conn.connect().await {
                self.stats.bump(Counter::Writes);
                self.stats.bump(Counter::WriteFailures);
                let (outcome, reason) = failure(&e);
                return (
                    FieldReply::not_done(outcome, reason),
                    Effect::Unreachable(e),
                );
            }
            if let Some(late) = too_late(command, "while connecting") {
                return (late, Effect::None);
            }
        }
        self.stats.bump(Counter::Writes);
        let config = &self.points[index].config;
        let outcome = self
            .writer
            .write(
                &mut self.conn,
                &self.device,
                config,
                &encoded,
                command.deadline,
            )
            .await;
        let method = outcome.method;
        match outcome.result {
            Ok(data) => (
                FieldReply::success(method),
                Effect::Confirmed { point: index, data },
            ),
            Err(e @ (WriteError::Mismatch(_) | WriteError::Differs { .. })) => {
                self.stats.bump(Counter::WriteFailures);
                // `Writer::write` words a difference in the point's values.
                let reason = match e.in_terms_of(&self.points[index].config) {
                    WriteError::Mismatch(reason) => reason,
                    _ => "mismatch".to_owned(),
                };
                (
                    FieldReply::not_done(Outcome::Failed, reason).with_method(method),
                    Effect::Answered,
                )
            }
            Err(WriteError::Field(e @ Error::DeadlinePassed(_))) => {
                // A later request of the write (the FC6 of a read-modify-write, a further FC16
                // chunk) was due after the deadline: not sent. The device is fine.
                self.stats.bump(Counter::WriteFailures);
                let outcome = if command.deadline_is_expiry {
                    Outcome::Expired
                } else {
                    Outcome::Timeout
                };
                (
                    FieldReply::not_done(outcome, e.to_string()).with_method(method),
                    Effect::Answered,
                )
            }
            Err(WriteError::Field(e)) => {
                self.stats.bump(Counter::WriteFailures);
                let (outcome, reason) = failure(&e);
                let reply = FieldReply::not_done(outcome, reason).with_method(method);
                let effect = if e.device_answered() {
                    Effect::Answered
                } else {
                    Effect::Unreachable(e)
                };
                (reply, effect)
            }
        }
    }

    /// Publishes the value read back after a confirmed write as a normal reading, through the
    /// point's report state, instead of waiting for the next poll.
    async fn publish_written(&mut self, index: usize, data: &ReadData) -> Result<(), Error> {
        let unit = self.points.get(index).map_or(0, |p| p.config.unit_id);
        let len = match data {
            ReadData::Words(w) => w.len(),
            ReadData::Bits(b) => b.len(),
        };
        self.publish_point(index, unit, data, 0..len, Instant::now(), Timestamp::now())
            .await
    }
}

/// The reply for a command whose deadline has passed (`expired` when it is the sender's own
/// `expires`, else `timeout`), or `None` while there is still time.
fn too_late(command: &FieldCommand, when: &str) -> Option<FieldReply> {
    if Instant::now() < command.deadline {
        return None;
    }
    Some(if command.deadline_is_expiry {
        FieldReply::not_done(
            Outcome::Expired,
            format!("not sent: the command expired {when}"),
        )
    } else {
        FieldReply::not_done(
            Outcome::Timeout,
            format!("not sent: the deadline passed {when} (device busy or unreachable)"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio_modbus::ExceptionCode as Code;

    #[test]
    fn exceptions_name_their_code_and_gateways_count_as_answers() {
        let cases = [
            (Code::IllegalFunction, "exception 1 (illegal function)"),
            (
                Code::IllegalDataAddress,
                "exception 2 (illegal data address)",
            ),
            (
                Code::ServerDeviceFailure,
                "exception 4 (server device failure)",
            ),
            (
                Code::GatewayPathUnavailable,
                "exception 10 (gateway path unavailable)",
            ),
            (
                Code::GatewayTargetDevice,
                "exception 11 (gateway target device failed to respond)",
            ),
        ];
        for (code, reason) in cases {
            assert_eq!(
                failure(&Error::exception(code)),
                (Outcome::Failed, reason.to_owned())
            );
        }
    }

    #[test]
    fn no_answer_and_no_connection_are_timeouts_with_the_reason() {
        let refused = Error::Connect {
            address: "127.0.0.1:1".into(),
            source: std::io::ErrorKind::ConnectionRefused.into(),
        };
        assert_eq!(
            failure(&refused),
            (
                Outcome::Timeout,
                "cannot reach the device: connection refused".to_owned()
            )
        );
        let (outcome, reason) = failure(&Error::Timeout(Duration::from_millis(200)));
        assert_eq!(outcome, Outcome::Timeout);
        assert_eq!(reason, "no answer from the device within 200ms");
        let (outcome, _) = failure(&Error::ShortResponse {
            expected: 2,
            got: 1,
        });
        assert_eq!(outcome, Outcome::Failed);
    }

    #[test]
    fn a_passed_deadline_is_expired_only_when_it_is_the_senders() {
        let command = |deadline, deadline_is_expiry| FieldCommand {
            id: "c1".into(),
            point: "p".into(),
            value: fieldbridge_core::command::CommandValue::Bool(true),
            params: Default::default(),
            deadline,
            deadline_is_expiry,
        };
        let past = Instant::now() - Duration::from_millis(1);
        let future = Instant::now() + Duration::from_secs(60);
        assert_eq!(too_late(&command(future, true), "x"), None);
        assert_eq!(
            too_late(&command(past, true), "before it could be sent").map(|r| r.outcome),
            Some(Outcome::Expired)
        );
        let timeout = too_late(&command(past, false), "while connecting");
        assert_eq!(timeout.as_ref().map(|r| r.outcome), Some(Outcome::Timeout));
        assert!(timeout
            .and_then(|r| r.reason)
            .is_some_and(|r| r.starts_with("not sent:")));
    }
}
