//! `fieldbridge decode`: frames from hex or a capture, one JSON object per frame.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

/// Options of `decode`.
#[derive(Debug, Args)]
pub(crate) struct DecodeArgs {
    /// The protocol: modbus-tcp, modbus-rtu or modbus-ascii.
    #[arg(long)]
    protocol: String,
    /// Frames as hex.
    #[arg(long, conflicts_with = "pcap")]
    hex: Option<String>,
    /// A pcap or pcapng capture.
    #[arg(long)]
    pcap: Option<PathBuf>,
}

/// Not built yet: the next commit brings the decoder.
pub(crate) fn run(args: &DecodeArgs) -> ExitCode {
    eprintln!("decode {}: not built yet ({:?} {:?})", args.protocol, args.hex, args.pcap);
    ExitCode::FAILURE
}
