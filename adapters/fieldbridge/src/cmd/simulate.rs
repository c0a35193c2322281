//! `fieldbridge simulate ...`: our own field devices, so everything runs with no hardware.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Subcommand;
use fieldbridge_sim::{ModbusSim, SimConfig, UnitIds};

use crate::error::Error;
use crate::{logging, runtime};

/// Which simulator.
#[derive(Debug, Subcommand)]
pub(crate) enum Simulator {
    /// A Modbus server whose registers change: a ramp, a sine, a counter, a float in each word order,
    /// coils (register map in adapters/sim/README.md).
    Modbus {
        /// Modbus TCP listen address.
        #[arg(long, default_value = "127.0.0.1:5020")]
        listen: SocketAddr,
        /// Serve Modbus RTU on this serial device instead of TCP (8N1).
        #[arg(long)]
        rtu: Option<String>,
        /// Baud rate for --rtu.
        #[arg(long, default_value_t = 19200)]
        baud: u32,
        /// Animation step in milliseconds.
        #[arg(long, default_value_t = 1000)]
        tick_ms: u64,
        /// Unit ids served: "any" (one model answers all) or a list such as "1,2" (one model each).
        #[arg(long, default_value = "any")]
        units: UnitIds,
    },
}

/// Runs the simulator until Ctrl-C or SIGTERM.
pub(crate) async fn run(what: Simulator) -> Result<(), Error> {
    logging::init("info", false);
    let Simulator::Modbus {
        listen,
        rtu,
        baud,
        tick_ms,
        units,
    } = what;
    let config = SimConfig {
        tick: Duration::from_millis(tick_ms.max(1)),
        animate: true,
        units,
    };
    let sim = ModbusSim::new(config).map_err(|e| Error::Simulator(e.to_string()))?;
    let served = async {
        match &rtu {
            Some(path) => fieldbridge_sim::serve_rtu(path, baud, sim).await,
            None => fieldbridge_sim::serve_tcp(listen, sim).await,
        }
    };
    tokio::select! {
        result = served => result.map_err(|e| Error::Io { what: format!("modbus simulator on {}", rtu.as_deref().map_or(listen.to_string(), str::to_owned)), source: e }),
        () = runtime::shutdown_signal() => Ok(()),
    }
}
