//! What both sources answer for a command that waits for its link: the bound on how many may
//! wait, the answers to one refused or left unsent, and the logged reply itself.

use fieldbridge_core::command::{FieldCommand, FieldReply, Outcome};
use tokio::sync::oneshot;

/// The most commands that wait for their link; one more is refused ([`too_many`]), as the router
/// refuses one when its queue to the source, also 32, is full (`docs/commands.md`).
pub const MAX_WAITING: usize = 32;

/// The answer to a command beyond [`MAX_WAITING`]: `refused`, nothing sent.
pub fn too_many() -> FieldReply {
    FieldReply::not_done(
        Outcome::Refused,
        "not sent: too many commands waiting for this device",
    )
}

/// The answer to a command that could not be sent before its deadline (`why` says what held
/// it): `expired` for the sender's own `expires`, else `timeout`.
pub fn not_sent(command: &FieldCommand, why: &str) -> FieldReply {
    let outcome = if command.deadline_is_expiry {
        Outcome::Expired
    } else {
        Outcome::Timeout
    };
    FieldReply::not_done(
        outcome,
        format!("not sent to the field: {why} before the deadline"),
    )
}

/// Sends `answer` for command `id` of `device` to the router, logged.
pub fn answer_to(device: &str, id: &str, reply: oneshot::Sender<FieldReply>, answer: FieldReply) {
    tracing::debug!(
        device,
        command_id = id,
        outcome = answer.outcome.as_str(),
        reason = answer.reason.as_deref().unwrap_or_default(),
        method = answer.method.as_deref().unwrap_or_default(),
        "command answered"
    );
    // The router may have stopped waiting (the bridge stops): nothing to do then.
    let _ = reply.send(answer);
}
