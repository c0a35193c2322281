//! The IEC 60870-5-104 link state machine (issue 15 point 4), driven with simulated time: single
//! links fed frames by hand, and two links wired back to back.

mod common;
mod handshake;
mod hold;
mod prop;
mod timers;
mod window;
