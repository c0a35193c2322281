//! What a source receives from the command router and what it answers: the second seam of the
//! bridge (design brief §2, §5). A source never sees MQTT; the router never knows a protocol.

use std::sync::Arc;

use serde::Serialize;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

/// The value of a command, as the sender wrote it in JSON.
#[derive(Debug, Clone, PartialEq)]
pub enum CommandValue {
    /// No `value` (or `null`): for commands that take none, such as a DLMS ACTION without
    /// parameters. A source whose point needs a value refuses it.
    None,
    /// `true` / `false`.
    Bool(bool),
    /// A JSON number, kept exact: `as_u64`/`as_i64` give integers beyond 2^53 without loss.
    Number(serde_json::Number),
    /// A string.
    String(String),
    /// A JSON array or object: structured data, such as the parameters of a DLMS ACTION.
    Structured(serde_json::Value),
}

impl CommandValue {
    /// The JSON form, for results and logs.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            CommandValue::None => serde_json::Value::Null,
            CommandValue::Bool(b) => serde_json::Value::Bool(*b),
            CommandValue::Number(n) => serde_json::Value::Number(n.clone()),
            CommandValue::String(s) => serde_json::Value::String(s.clone()),
            CommandValue::Structured(v) => v.clone(),
        }
    }

    /// The word for the value's JSON type, for reasons (`no value`, `bool`, `number`, `string`,
    /// `array`, `object`).
    pub fn kind(&self) -> &'static str {
        match self {
            CommandValue::None => "no value",
            CommandValue::Bool(_) => "bool",
            CommandValue::Number(_) => "number",
            CommandValue::String(_) => "string",
            CommandValue::Structured(serde_json::Value::Array(_)) => "array",
            CommandValue::Structured(_) => "object",
        }
    }
}

/// A command the router has accepted for a writable point of a source.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldCommand {
    /// The id the sender chose.
    pub id: Arc<str>,
    /// The point name (as configured).
    pub point: Arc<str>,
    /// The value to write.
    pub value: CommandValue,
    /// The command's `params`: protocol options named by the source's driver
    /// ([`Driver::command_params`](crate::source::Driver::command_params)); the router has refused
    /// any other name, so a source reads the ones it knows and nothing is silently ignored.
    pub params: serde_json::Map<String, serde_json::Value>,
    /// The source must not start any exchange with the field for this command after this instant
    /// (the earlier of the sender's `expires` and arrival + the command timeout of the point, its
    /// source or `[commands]`). A command it could not start in time is answered
    /// [`Outcome::Expired`] (sender's deadline) or [`Outcome::Timeout`] (device busy or
    /// unreachable), and is never sent later.
    ///
    /// A command of several steps (IEC 60870-5 select then execute, IEC 60870-5-5 §6.8; a DLMS
    /// block transfer) checks it before *each* step: a select confirmed after the deadline is
    /// never followed by its execute (the outstation's own select timeout releases it), and the
    /// answer says so (`"selected, not executed: deadline passed"`). A step already sent is
    /// waited for (its confirmation bounded by the protocol's own timer), never repeated.
    ///
    /// It is a monotonic instant: the router turned the sender's `expires` into one once, on
    /// arrival ([`crate::clock::Now::instant_of`]), so a jump of the wall clock afterwards (NTP
    /// setting a box that started at 1970, an operator's correction) neither expires a waiting
    /// command early nor keeps a stale one alive. Sources compare it with `Instant::now()` only.
    pub deadline: Instant,
    /// Whether `deadline` is the sender's own `expires` (so a miss is `expired`, not `timeout`).
    pub deadline_is_expiry: bool,
}

/// The outcome words of the command contract (`docs/commands.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Written and confirmed by the device (read back equal).
    Success,
    /// Never sent to the field: unknown or read-only point, wrong type, out of range, malformed.
    Refused,
    /// Arrived (or would have been sent) after its deadline; never sent to the field.
    Expired,
    /// The device answered with an error, or read back a different value.
    Failed,
    /// No answer from the device in time.
    Timeout,
}

impl FieldCommand {
    /// Whether a field exchange for this command may still start at `now`; when not, the answer
    /// it must get (`expired` for the sender's own deadline, else `timeout`) with `what` said.
    pub fn check_deadline(&self, now: Instant, what: &str) -> Result<(), FieldReply> {
        if now <= self.deadline {
            return Ok(());
        }
        let outcome = if self.deadline_is_expiry {
            Outcome::Expired
        } else {
            Outcome::Timeout
        };
        Err(FieldReply::not_done(
            outcome,
            format!("{what}: deadline passed"),
        ))
    }
}

impl Outcome {
    /// Every outcome, in the order metrics list them.
    pub const ALL: [Outcome; 5] = [
        Outcome::Success,
        Outcome::Refused,
        Outcome::Expired,
        Outcome::Failed,
        Outcome::Timeout,
    ];

    /// The word on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Refused => "refused",
            Outcome::Expired => "expired",
            Outcome::Failed => "failed",
            Outcome::Timeout => "timeout",
        }
    }
}

/// What a source answers for one command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldReply {
    /// The outcome.
    pub outcome: Outcome,
    /// Why, unless it succeeded: `"exception 2 (illegal data address)"`, `"mismatch: wrote 0x4148
    /// 0x0000, read back 0x0000 0x0000"`, `"value 70000 does not fit u16"`, ...
    pub reason: Option<String>,
    /// How it was written, for the record: `"fc16"`, `"fc22 mask write"`,
    /// `"read-modify-write fc3+fc6"`, ...
    pub method: Option<String>,
}

impl FieldReply {
    /// A success written by `method`.
    pub fn success(method: impl Into<String>) -> Self {
        FieldReply {
            outcome: Outcome::Success,
            reason: None,
            method: Some(method.into()),
        }
    }

    /// Any other outcome with its reason.
    pub fn not_done(outcome: Outcome, reason: impl Into<String>) -> Self {
        FieldReply {
            outcome,
            reason: Some(reason.into()),
            method: None,
        }
    }

    /// Adds how it was (or was tried to be) written.
    pub fn with_method(mut self, method: impl Into<String>) -> Self {
        self.method = Some(method.into());
        self
    }
}

/// One command handed to a source, with where its reply goes.
#[derive(Debug)]
pub struct CommandRequest {
    /// The command.
    pub command: FieldCommand,
    /// Exactly one reply. If the source drops it unanswered, the router answers `failed`.
    pub reply: oneshot::Sender<FieldReply>,
}

/// The router's end of a source's command queue.
pub type CommandSender = mpsc::Sender<CommandRequest>;
/// A source's end of its command queue.
pub type CommandReceiver = mpsc::Receiver<CommandRequest>;

/// A source's command queue: small, because commands are few and must not wait behind each other.
pub fn channel() -> (CommandSender, CommandReceiver) {
    mpsc::channel(32)
}
