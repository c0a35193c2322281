//! `fieldbridge`: the bridge, its simulators, a capture decoder and a self-contained demo.
//!
//! The binary is this library's [`main`]. The library also lets a program (or a test) run a bridge
//! with protocols of its own: [`Bridge::start`] with [`protocols::registry`] plus its drivers.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod bridge;
mod broker;
mod cmd;
mod digest;
pub mod error;
mod http;
mod logging;
pub mod protocols;
mod runtime;
mod watch;

pub use bridge::Bridge;
pub use error::Error;

/// Bridge industrial field buses to MQTT as normalized points.
#[derive(Debug, Parser)]
#[command(name = "fieldbridge", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the bridge with a configuration file; SIGHUP reloads it (docs/reload.md).
    Run {
        /// The TOML configuration (see docs/configuration.md).
        #[arg(long, short)]
        config: PathBuf,
        /// Also reload when the file, or a DLMS key or password file of a running source, has
        /// changed (looked at every 2 s): for a Kubernetes ConfigMap or Secret, say.
        #[arg(long)]
        watch: bool,
    },
    /// Check a configuration file: every mistake is reported with its line and key (exit code 2).
    Check {
        /// The TOML configuration.
        #[arg(long, short)]
        config: PathBuf,
    },
    /// Run a protocol simulator.
    Simulate {
        #[command(subcommand)]
        what: cmd::simulate::Simulator,
    },
    /// Decode frames from hex or from a capture file; prints one JSON object per frame.
    Decode(cmd::decode::DecodeArgs),
    /// Start the Modbus simulator, an embedded MQTT broker and a bridge in one process, and print
    /// every published sample as a line.
    Demo(cmd::demo::DemoArgs),
    /// Ask a running bridge's metrics endpoint whether it is healthy (exit 0 on 200): the health
    /// check of a container image that has no shell.
    Health {
        /// The endpoint to ask (`[metrics] listen`; `/ready` asks for the broker link too).
        #[arg(long, default_value = "http://127.0.0.1:9464/health")]
        url: String,
    },
}

/// The `fieldbridge` command line.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check { config } => cmd::check::run(&config),
        Command::Decode(args) => cmd::decode::run(&args),
        Command::Run { config, watch } => runtime::block_on(cmd::run::run(config, watch)),
        Command::Simulate { what } => runtime::block_on(cmd::simulate::run(what)),
        Command::Demo(args) => runtime::block_on(cmd::demo::run(args)),
        Command::Health { url } => cmd::health::run(&url),
    }
}
