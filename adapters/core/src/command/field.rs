//! What a source receives from the command router and what it answers: the second seam of the
//! bridge (design brief §2, §5). A source never sees MQTT; the router never knows a protocol.

use std::sync::Arc;

use serde::Serialize;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

/// The value of a command, as the sender wrote it in JSON.
#[derive(Debug, Clone, PartialEq)]
pub enum CommandValue {
    /// `true` / `false`.
    Bool(bool),
    /// A JSON number, kept exact: `as_u64`/`as_i64` give integers beyond 2^53 without loss.
    Number(serde_json::Number),
    /// A string.
    String(String),
}

impl CommandValue {
    /// The JSON form, for results and logs.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            CommandValue::Bool(b) => serde_json::Value::Bool(*b),
            CommandValue::Number(n) => serde_json::Value::Number(n.clone()),
            CommandValue::String(s) => serde_json::Value::String(s.clone()),
        }
    }

    /// The word for the value's JSON type, for reasons (`bool`, `number`, `string`).
    pub fn kind(&self) -> &'static str {
        match self {
            CommandValue::Bool(_) => "bool",
            CommandValue::Number(_) => "number",
            CommandValue::String(_) => "string",
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
    /// The source must not start any exchange with the field for this command after this instant
    /// (the earlier of the sender's `expires` and arrival + `commands.timeout`). A command it could
    /// not start in time is answered [`Outcome::Expired`] (sender's deadline) or
    /// [`Outcome::Timeout`] (device busy or unreachable), and is never sent later.
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
