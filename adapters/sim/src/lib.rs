//! Simulators for fieldbridge demos and tests: a Modbus server, an IEC 60870-5-104 outstation
//! ([`iec104`]), an IEC 60870-5-101 outstation on a serial line ([`iec101`]) and a DLMS/COSEM
//! meter ([`dlms`]); the two IEC
//! ones share one station ([`outstation`]) and differ only in their transport.
//!
//! [`ModbusSim`] holds one [`Model`] (coils, discrete inputs, input and holding registers,
//! addresses `0..=999` each) per simulated unit and animates it from a background ticker. The
//! register map (animated values, static constants in every word order, scratch areas) is in
//! [`map`] and in `adapters/sim/README.md`.
//!
//! Serve it over Modbus TCP with [`serve_tcp`] / [`bind_tcp`], or over a serial line (Modbus RTU)
//! with [`serve_rtu`]. The simulator answers function codes 1, 2, 3, 4, 5, 6, 15, 16, 22 and 23;
//! any other function gets exception 1 (ILLEGAL FUNCTION), an address outside the tables exception
//! 2 (ILLEGAL DATA ADDRESS), a quantity outside the protocol limits exception 3 (ILLEGAL DATA
//! VALUE). Writes change the model.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! use fieldbridge_sim::{bind_tcp, ModbusSim};
//! let (addr, server) = bind_tcp("127.0.0.1:0".parse().unwrap(), ModbusSim::default()).await?;
//! println!("simulator on {addr}");
//! server.await??;
//! # Ok(()) }
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod animate;
pub mod dlms;
pub mod iec101;
pub mod iec104;
pub mod map;
mod model;
pub mod outstation;
mod server;
mod service;
mod sim;

pub use dlms::{bind_dlms, serve_dlms, serve_dlms_listener, DlmsConfig};
pub use iec101::{serve_iec101, serve_iec101_stream, Iec101Config, Iec101Mode, Parity, Sizes};
pub use iec104::{bind_iec104, serve_iec104, serve_iec104_listener, Iec104Config};
pub use model::{
    bytes_to_words, words_to_bytes, Model, RegisterValue, Table, WordOrder, TABLE_SIZE,
};
pub use outstation::Rate;
pub use server::{bind_tcp, serve_rtu, serve_rtu_stream, serve_tcp, serve_tcp_listener};
pub use sim::{ModbusSim, SimConfig, UnitIds};

/// A bridge configuration listing one point per value of the register map: what `fieldbridge demo`
/// runs, and what `fieldbridge run --config adapters/sim/demo.toml` runs against
/// `fieldbridge simulate modbus --listen 127.0.0.1:5020`.
pub const DEMO_CONFIG: &str = include_str!("../demo.toml");

/// Everything that can go wrong in this crate outside of socket I/O.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    /// [`UnitIds::Only`] with an empty list.
    #[error("the simulator must serve at least one unit id")]
    NoUnits,
    /// A tick period of zero.
    #[error("the simulator tick period must be greater than zero")]
    ZeroTick,
    /// An access outside a table.
    #[error("{table} addresses {address}..+{count} are outside 0..{size}", size = TABLE_SIZE)]
    OutOfRange {
        /// The table accessed.
        table: Table,
        /// The first address.
        address: u16,
        /// The number of entries.
        count: u16,
    },
    /// A bit access to a register table or a register access to a bit table.
    #[error("the {0} table does not hold this kind of value")]
    WrongTable(Table),
    /// A unit id list that is neither `any` nor comma-separated numbers 0..=255.
    #[error("invalid unit ids {0:?} (expected \"any\" or a list such as \"1,2\")")]
    InvalidUnitIds(String),
}
