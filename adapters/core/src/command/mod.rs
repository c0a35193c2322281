//! The command router: commands from `<prefix>/<site>/<device>/<point>/set` to the field, and
//! exactly one result for each on `.../set/result` (design brief §5; the contract is in
//! `docs/commands.md`).
//!
//! The router is protocol-free: it parses and checks the command, refuses what the configuration
//! does not allow, answers repeats from its memory of executed ids, and hands the rest to the
//! source that owns the point through a [`CommandSender`]. Each source checks the value against the
//! point's type and limits, writes it and confirms it the protocol's way (Modbus read-back; IEC 104
//! select-before-operate with ACTCON/ACTTERM; DLMS data-access-result).

mod acks;
mod field;
mod parse;
mod router;
mod stats;
mod store;
mod update;

pub use router::{CommandRouter, PointPolicy, RouterDevice};
pub use stats::CommandStats;
pub use update::RouterUpdates;

pub use field::{
    channel, CommandReceiver, CommandRequest, CommandSender, CommandValue, FieldCommand,
    FieldReply, Outcome,
};

#[cfg(test)]
mod tests;
