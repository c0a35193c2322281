//! `fieldbridge simulate ...`: our own field devices, so everything runs with no hardware.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Subcommand;
use fieldbridge_dlms::security::SecurityPolicy;
use fieldbridge_iec60870::link104::Params;
use fieldbridge_sim::dlms::{Authentication, Fault};
use fieldbridge_sim::{
    DlmsConfig, Iec101Config, Iec101Mode, Iec104Config, ModbusSim, Parity, Rate, SimConfig, Sizes,
    UnitIds,
};

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
    /// An IEC 60870-5-104 outstation: points of every monitoring type that change spontaneously,
    /// interrogation, counter interrogation, clock sync, commands with select-before-operate
    /// (point table in adapters/sim/README.md).
    Iec104 {
        /// Listen address.
        #[arg(long, default_value = "127.0.0.1:2404")]
        listen: SocketAddr,
        /// The station's common address.
        #[arg(long, default_value_t = 1)]
        common_address: u16,
        /// Spontaneous changes per second, "off", or "flood" (as fast as k allows).
        #[arg(long, default_value = "1")]
        rate: Rate,
        /// Only these IOAs change spontaneously (comma-separated; default: every animated point).
        #[arg(long, value_delimiter = ',')]
        points: Option<Vec<u32>>,
        /// k: the most I frames sent and not acknowledged.
        #[arg(long, default_value_t = 12)]
        k: u16,
        /// w: acknowledge at the latest after this many I frames received.
        #[arg(long, default_value_t = 8)]
        w: u16,
        /// t1 in seconds.
        #[arg(long, default_value_t = 15)]
        t1: u64,
        /// t2 in seconds.
        #[arg(long, default_value_t = 10)]
        t2: u64,
        /// t3 in seconds.
        #[arg(long, default_value_t = 20)]
        t3: u64,
        /// How long a selected command point waits for its execute, in milliseconds.
        #[arg(long, default_value_t = 10_000)]
        select_timeout_ms: u64,
        /// Refuse a time-tagged command whose time tag is older than this, in milliseconds.
        #[arg(long, default_value_t = 10_000)]
        max_command_age_ms: u64,
        /// Do not send end of initialization (M_EI_NA_1) after the first STARTDT.
        #[arg(long)]
        no_end_of_init: bool,
    },
    /// A DLMS/COSEM meter over the TCP wrapper: a clock, registers with scalers, a load profile
    /// that grows every period, a disconnect control; authentication none, low or high-gmac;
    /// security suite 0 ciphering; faults on purpose for tests (--fault). Prints "dlms
    /// simulator listening on ADDR" on stdout once it listens.
    Dlms {
        /// Listen address (port 0: any free port, the one taken is printed).
        #[arg(long, default_value = "127.0.0.1:4059")]
        listen: SocketAddr,
        /// HDLC over TCP instead of the wrapper (server address: logical 1, physical 17).
        #[arg(long)]
        hdlc: bool,
        /// Authentication: none, low or high-gmac.
        #[arg(long, default_value = "none")]
        authentication: String,
        /// The low-level password (default: the keys file's low_level_password).
        #[arg(long)]
        password: Option<String>,
        /// Security suite 0: none, authenticated, encrypted or authenticated-encrypted (the keys
        /// and the meter's system title from --keys; every GCM tag is checked).
        #[arg(long, default_value = "none")]
        security: String,
        /// Keys and system titles, in the format of captures/dlms/keys.json.
        #[arg(long)]
        keys: Option<std::path::PathBuf>,
        /// The load profile's capture period: seconds, or with s, m or h.
        #[arg(long, default_value = "15m")]
        period: String,
        /// Profile entries already captured at start, one a period before it (at most 10,000).
        #[arg(long, default_value_t = 0)]
        history: u32,
        /// Simulated seconds per real second.
        #[arg(long, default_value_t = 1)]
        speed: u32,
        /// Push mode: send a DataNotification (wrapper over TCP) to this address.
        #[arg(long)]
        push: Option<SocketAddr>,
        /// How often to push, in milliseconds.
        #[arg(long, default_value_t = 60_000)]
        push_interval_ms: u64,
        /// For tests of a client's error handling: the next N answers in open associations
        /// (GET, SET, ACTION; N is 1 when left out, counted over all connections) go wrong,
        /// then the meter answers well again. KIND: garbage (octets that are no wrapper PDU;
        /// over --hdlc, line noise in place of a frame), not-dlms (a good PDU or frame whose
        /// APDU is none), replay-counter (the association's previous ciphered answer again: a
        /// replayed frame counter; needs --security), wrong-key (the answer ciphered with
        /// other keys: its tag fails; needs --security), silence (no answer), bad-fcs or
        /// bad-hcs (--hdlc: the frame's check sequence broken). Over HDLC, garbage, bad-fcs
        /// and bad-hcs count I frames, retransmissions included.
        #[arg(long, value_name = "KIND[:N]")]
        fault: Option<Fault>,
    },
    /// An IEC 60870-5-101 outstation on a serial line: the IEC 104 simulator's station
    /// (points, interrogation, commands, spontaneous changes) behind one or more link addresses.
    Iec101 {
        /// Serial device (a socat pty works).
        #[arg(long)]
        serial: String,
        /// Baud rate (8 data bits, 1 stop bit).
        #[arg(long, default_value_t = 9600)]
        baud: u32,
        /// Parity: even, none or odd.
        #[arg(long, default_value = "even")]
        parity: Parity,
        /// Link transmission procedure: unbalanced or balanced.
        #[arg(long, default_value = "unbalanced")]
        mode: Iec101Mode,
        /// Link addresses: unbalanced, one station each (comma-separated); balanced, ours.
        #[arg(long, value_delimiter = ',', default_value = "1")]
        link_address: Vec<u16>,
        /// Balanced: the controlling station's link address.
        #[arg(long, default_value_t = 0)]
        remote_address: u16,
        /// Every station's common address (default: its link address).
        #[arg(long)]
        common_address: Option<u16>,
        /// Spontaneous changes per second and station, "off", or "flood".
        #[arg(long, default_value = "1")]
        rate: Rate,
        /// Octets of link address, cause of transmission, common address and IOA.
        #[arg(long, default_value = "1,1,1,2")]
        sizes: Sizes,
        /// Only these IOAs change spontaneously (comma-separated; default: every animated point).
        #[arg(long, value_delimiter = ',')]
        points: Option<Vec<u32>>,
        /// How long a selected command point waits for its execute, in milliseconds.
        #[arg(long, default_value_t = 10_000)]
        select_timeout_ms: u64,
        /// Refuse a time-tagged command whose time tag is older than this, in milliseconds.
        #[arg(long, default_value_t = 10_000)]
        max_command_age_ms: u64,
        /// Do not send end of initialization (M_EI_NA_1) when the link comes up.
        #[arg(long)]
        no_end_of_init: bool,
    },
}

/// Runs the simulator until Ctrl-C or SIGTERM.
pub(crate) async fn run(what: Simulator) -> Result<(), Error> {
    logging::init("info", false);
    let (listen, rtu, baud, tick_ms, units) = match what {
        Simulator::Modbus {
            listen,
            rtu,
            baud,
            tick_ms,
            units,
        } => (listen, rtu, baud, tick_ms, units),
        Simulator::Iec104 {
            listen,
            common_address,
            rate,
            points,
            k,
            w,
            t1,
            t2,
            t3,
            select_timeout_ms,
            max_command_age_ms,
            no_end_of_init,
        } => {
            let config = Iec104Config {
                params: Params {
                    k,
                    w,
                    t1: Duration::from_secs(t1),
                    t2: Duration::from_secs(t2),
                    t3: Duration::from_secs(t3),
                    ..Params::default()
                },
                common_address,
                rate,
                select_timeout: Duration::from_millis(select_timeout_ms),
                points,
                end_of_init: !no_end_of_init,
                max_command_age: Duration::from_millis(max_command_age_ms),
            };
            return tokio::select! {
                result = fieldbridge_sim::serve_iec104(listen, config) => result.map_err(|e| Error::Io { what: format!("iec104 simulator on {listen}"), source: e }),
                () = runtime::shutdown_signal() => Ok(()),
            };
        }
        Simulator::Dlms {
            listen,
            hdlc,
            authentication,
            password,
            security,
            keys,
            period,
            history,
            speed,
            push,
            push_interval_ms,
            fault,
        } => {
            let mut config = dlms_config(
                hdlc,
                &authentication,
                password,
                &security,
                keys.as_deref(),
                &period,
                speed,
            )
            .map_err(Error::Simulator)?;
            config.push = push;
            config.push_interval = Duration::from_millis(push_interval_ms.max(1));
            config.history = history;
            if let Some(fault) = fault {
                fault
                    .check(config.hdlc, config.security)
                    .map_err(Error::Simulator)?;
            }
            config.fault = fault;
            let io = |source| Error::Io {
                what: format!("dlms simulator on {listen}"),
                source,
            };
            let listener = tokio::net::TcpListener::bind(listen).await.map_err(io)?;
            // The address taken, for a caller that asked for port 0.
            println!(
                "dlms simulator listening on {}",
                listener.local_addr().map_err(io)?
            );
            return tokio::select! {
                result = fieldbridge_sim::serve_dlms_listener(listener, config) => result.map_err(io),
                () = runtime::shutdown_signal() => Ok(()),
            };
        }
        Simulator::Iec101 {
            serial,
            baud,
            parity,
            mode,
            link_address,
            remote_address,
            common_address,
            rate,
            sizes,
            points,
            select_timeout_ms,
            max_command_age_ms,
            no_end_of_init,
        } => {
            let config = Iec101Config {
                mode,
                link_addresses: link_address,
                remote_address,
                common_address,
                sizes,
                rate,
                select_timeout: Duration::from_millis(select_timeout_ms),
                max_command_age: Duration::from_millis(max_command_age_ms),
                points,
                end_of_init: !no_end_of_init,
                ..Iec101Config::default()
            };
            return tokio::select! {
                result = fieldbridge_sim::serve_iec101(&serial, baud, parity, config) => result.map_err(|e| Error::Io { what: format!("iec101 simulator on {serial}"), source: e }),
                () = runtime::shutdown_signal() => Ok(()),
            };
        }
    };
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

/// "900", "900s", "15m" or "1h" as a duration of at least a second.
fn parse_period(text: &str) -> Result<Duration, String> {
    let (number, unit) = match text.strip_suffix(['s', 'm', 'h']) {
        Some(number) => (number, &text[number.len()..]),
        None => (text, "s"),
    };
    let n: u64 = number
        .parse()
        .map_err(|_| format!("invalid period {text:?} (expected e.g. 900, 30s, 15m or 1h)"))?;
    let seconds = match unit {
        "h" => n.saturating_mul(3600),
        "m" => n.saturating_mul(60),
        _ => n,
    };
    if seconds == 0 {
        return Err("the period must be at least a second".to_owned());
    }
    Ok(Duration::from_secs(seconds))
}

/// A 16-octet key or an 8-octet system title from the keys file's hex.
fn hex_field<const N: usize>(
    keys: &serde_json::Value,
    name: &str,
) -> Result<Option<[u8; N]>, String> {
    let Some(text) = keys.get(name).and_then(serde_json::Value::as_str) else {
        return Ok(None);
    };
    let bytes = hex::decode(text).map_err(|e| format!("keys file: {name}: {e}"))?;
    <[u8; N]>::try_from(bytes)
        .map(Some)
        .map_err(|_| format!("keys file: {name} must be {N} octets"))
}

/// The DLMS simulator's settings from its options.
fn dlms_config(
    hdlc: bool,
    authentication: &str,
    password: Option<String>,
    security: &str,
    keys: Option<&std::path::Path>,
    period: &str,
    speed: u32,
) -> Result<DlmsConfig, String> {
    let file = match keys {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("keys file {}: {e}", path.display()))?;
            serde_json::from_str(&text).map_err(|e| format!("keys file {}: {e}", path.display()))?
        }
        None => serde_json::Value::Null,
    };
    let mut config = DlmsConfig {
        period: parse_period(period)?,
        speed: speed.max(1),
        hdlc,
        ..DlmsConfig::default()
    };
    if let Some(title) = hex_field::<8>(&file, "server_system_title")? {
        config.system_title = title;
    }
    config.keys.global_unicast = hex_field::<16>(&file, "block_cipher_key")?;
    config.keys.authentication = hex_field::<16>(&file, "authentication_key")?;
    let has_keys = config.keys.global_unicast.is_some() && config.keys.authentication.is_some();
    config.security = match security {
        "none" => None,
        "authenticated" => Some(SecurityPolicy::Authenticated),
        "encrypted" => Some(SecurityPolicy::Encrypted),
        "authenticated-encrypted" => Some(SecurityPolicy::AuthenticatedEncrypted),
        other => {
            return Err(format!(
                "unknown security {other:?} (none, authenticated, encrypted or authenticated-encrypted)"
            ))
        }
    };
    if config.security.is_some() && !has_keys {
        return Err(format!(
            "--security {security} needs --keys with block_cipher_key and authentication_key"
        ));
    }
    config.authentication = match authentication {
        "none" => Authentication::None,
        "low" => {
            let password = password
                .or_else(|| {
                    file.get("low_level_password")
                        .and_then(serde_json::Value::as_str)
                        .map(str::to_owned)
                })
                .ok_or(
                    "--authentication low needs --password or a keys file with low_level_password",
                )?;
            Authentication::Low(password.into_bytes())
        }
        "high-gmac" => {
            if !has_keys {
                return Err("--authentication high-gmac needs --keys with block_cipher_key and authentication_key".to_owned());
            }
            Authentication::HighGmac
        }
        other => {
            return Err(format!(
                "unknown authentication {other:?} (none, low or high-gmac)"
            ))
        }
    };
    Ok(config)
}
