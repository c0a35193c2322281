//! An IEC 60870-5-101 outstation simulator on a serial line: `fieldbridge simulate iec101`.
//!
//! The station is the one of the IEC 104 simulator ([`outstation`](crate::outstation): the same
//! points, interrogation, counter interrogation, read, clock synchronization, commands with
//! select-before-operate, spontaneous changes counting up); only the transport differs:
//!
//! - **unbalanced** ([`Iec101Mode::Unbalanced`]): one [`UnbalancedSecondary`] per link address
//!   on the one line, each with its own station (its common address is its link address unless
//!   [`Iec101Config::common_address`] says otherwise). Every ASDU a station sends goes to class
//!   1, so the answers to class 1 and class 2 polls carry ACD = 1 while any waits; a class 2
//!   poll gets "no data". A station starts feeding its class 1 queue at the first reset of its
//!   link (FC 0), with end of initialization first; spontaneous changes are made only while
//!   the queue has room, so none is lost however slowly the master polls.
//! - **balanced** ([`Iec101Mode::Balanced`]): one [`Balanced`] station B (DIR = 0) with the
//!   first link address, sending its ASDUs with SEND/CONFIRM (FC 3) once its own link to the
//!   controlling station is up (end of initialization first).
//!
//! The line is written without blocking the link's timers (see `line.rs`); any byte stream
//! serves as a line ([`serve_iec101_stream`]), a serial port opened by path with
//! [`serve_iec101`] (a socat pseudo-terminal works).
//!
//! [`UnbalancedSecondary`]: fieldbridge_iec60870::link101::UnbalancedSecondary
//! [`Balanced`]: fieldbridge_iec60870::link101::Balanced

mod balanced;
mod line;
mod unbalanced;

use std::fmt;
use std::io;
use std::str::FromStr;
use std::time::Duration;

use fieldbridge_iec60870::asdu::{CaLen, CotLen, IoaLen};
use fieldbridge_iec60870::ft12::{AddressLen, LinkConfig};
use fieldbridge_iec60870::link101::Params;
use fieldbridge_iec60870::AsduConfig;
use tokio::io::{AsyncRead, AsyncWrite};

use crate::outstation::{Rate, Settings, Station, COMMANDS, POINTS};

/// The link transmission procedure (IEC 60870-5-101 clause 6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Iec101Mode {
    /// The controlling station polls; one or more secondaries answer.
    #[default]
    Unbalanced,
    /// Both stations send on their own, on a full-duplex line.
    Balanced,
}

impl FromStr for Iec101Mode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "unbalanced" => Ok(Self::Unbalanced),
            "balanced" => Ok(Self::Balanced),
            _ => Err(format!(
                "invalid mode {s:?}: expected \"unbalanced\" or \"balanced\""
            )),
        }
    }
}

impl fmt::Display for Iec101Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Unbalanced => "unbalanced",
            Self::Balanced => "balanced",
        })
    }
}

/// The parity of the serial line (IEC 60870-5-101 clause 6.2 wants even; a pty ignores it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Parity {
    /// Even parity (the standard's).
    #[default]
    Even,
    /// No parity bit.
    None,
    /// Odd parity.
    Odd,
}

impl FromStr for Parity {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "even" => Ok(Self::Even),
            "none" => Ok(Self::None),
            "odd" => Ok(Self::Odd),
            _ => Err(format!(
                "invalid parity {s:?}: expected \"even\", \"none\" or \"odd\""
            )),
        }
    }
}

/// The sizes of the fields a 101 system fixes: link address (0, 1 or 2 octets), cause of
/// transmission (1 or 2), common address (1 or 2) and IOA (1, 2 or 3); written `la,cot,ca,ioa`,
/// default `1,1,1,2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sizes {
    /// The link address's length.
    pub link_address: AddressLen,
    /// The data unit identifier's and IOA's lengths.
    pub asdu: AsduConfig,
}

impl Default for Sizes {
    fn default() -> Self {
        Self {
            link_address: AddressLen::One,
            asdu: AsduConfig::new(CotLen::One, CaLen::One, IoaLen::Two),
        }
    }
}

impl FromStr for Sizes {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || {
            format!("invalid sizes {s:?}: expected la,cot,ca,ioa such as 1,1,1,2 (la 0-2, cot 1-2, ca 1-2, ioa 1-3)")
        };
        let parts: Vec<&str> = s.split(',').map(str::trim).collect();
        let [la, cot, ca, ioa] = parts.as_slice() else {
            return Err(bad());
        };
        let link_address = match *la {
            "0" => AddressLen::Zero,
            "1" => AddressLen::One,
            "2" => AddressLen::Two,
            _ => return Err(bad()),
        };
        let cot = match *cot {
            "1" => CotLen::One,
            "2" => CotLen::Two,
            _ => return Err(bad()),
        };
        let ca = match *ca {
            "1" => CaLen::One,
            "2" => CaLen::Two,
            _ => return Err(bad()),
        };
        let ioa = match *ioa {
            "1" => IoaLen::One,
            "2" => IoaLen::Two,
            "3" => IoaLen::Three,
            _ => return Err(bad()),
        };
        Ok(Self {
            link_address,
            asdu: AsduConfig::new(cot, ca, ioa),
        })
    }
}

/// The 101 simulator's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Iec101Config {
    /// Unbalanced (default) or balanced.
    pub mode: Iec101Mode,
    /// Unbalanced: the secondaries on the line, one station each (default `[1]`). Balanced:
    /// the first is our own link address.
    pub link_addresses: Vec<u16>,
    /// Balanced: the controlling station's link address, which our requests carry (default 0).
    pub remote_address: u16,
    /// Every station's common address (default: each station's link address).
    pub common_address: Option<u16>,
    /// The field sizes (default 1,1,1,2).
    pub sizes: Sizes,
    /// The link layer's timers and queue (its address length is taken from `sizes`).
    pub link: Params,
    /// The spontaneous rate per station (default 1 per second).
    pub rate: Rate,
    /// How long a selected command point waits for its execute (default 10 s).
    pub select_timeout: Duration,
    /// A time-tagged command older than this is refused (default 10 s).
    pub max_command_age: Duration,
    /// Only these IOAs change spontaneously (default: every animated point).
    pub points: Option<Vec<u32>>,
    /// Send end of initialization (M_EI_NA_1, COT 4) first when the link comes up (default
    /// true).
    pub end_of_init: bool,
}

impl Default for Iec101Config {
    fn default() -> Self {
        Self {
            mode: Iec101Mode::Unbalanced,
            link_addresses: vec![1],
            remote_address: 0,
            common_address: None,
            sizes: Sizes::default(),
            link: Params::default(),
            rate: Rate::PerSecond(1),
            select_timeout: Duration::from_secs(10),
            max_command_age: Duration::from_secs(10),
            points: None,
            end_of_init: true,
        }
    }
}

impl Iec101Config {
    /// The link parameters with the configured address length.
    fn params(&self) -> Params {
        Params {
            link: LinkConfig::new(self.sizes.link_address),
            ..self.link
        }
    }

    /// The station behind link address `address`.
    fn station(&self, address: u16) -> Station {
        Station::new(Settings {
            asdu: self.sizes.asdu,
            max_asdu: self.params().max_asdu_len(),
            common_address: self.common_address.unwrap_or(address),
            select_timeout: self.select_timeout,
            max_command_age: self.max_command_age,
            points: self.points.clone(),
        })
    }

    /// Fails for settings no station can run with.
    fn check(&self) -> io::Result<()> {
        let invalid = |message: String| io::Error::new(io::ErrorKind::InvalidInput, message);
        let highest = POINTS
            .iter()
            .map(|p| p.ioa)
            .chain(COMMANDS.iter().map(|c| c.ioa))
            .max()
            .unwrap_or(0);
        if self.sizes.asdu.max_ioa() < highest {
            return Err(invalid(format!(
                "the point table's IOAs (up to {highest}) do not fit {} octet(s)",
                self.sizes.asdu.ioa_len()
            )));
        }
        if self.link_addresses.is_empty() {
            return Err(invalid("at least one link address is needed".into()));
        }
        if self.mode == Iec101Mode::Balanced && self.link_addresses.len() > 1 {
            return Err(invalid(
                "a balanced line has one station: give one link address".into(),
            ));
        }
        let max_ca = self.sizes.asdu.max_common_address();
        for &address in &self.link_addresses {
            let ca = self.common_address.unwrap_or(address);
            if ca == 0 || ca >= max_ca {
                return Err(invalid(format!(
                    "common address {ca} is 0, the broadcast address or too large for {} octet(s)",
                    self.sizes.asdu.ca_len as u8
                )));
            }
        }
        self.params().check().map_err(|e| invalid(e.to_string()))
    }
}

/// Opens the serial port at `path` (8 data bits, `parity`, 1 stop bit) and serves the
/// simulator on it until the line fails.
///
/// # Errors
/// The port cannot be opened, reading or writing fails, or the settings are invalid.
pub async fn serve_iec101(
    path: &str,
    baud: u32,
    parity: Parity,
    config: Iec101Config,
) -> io::Result<()> {
    config.check()?;
    let parity = match parity {
        Parity::Even => tokio_serial::Parity::Even,
        Parity::None => tokio_serial::Parity::None,
        Parity::Odd => tokio_serial::Parity::Odd,
    };
    let builder = tokio_serial::new(path, baud)
        .data_bits(tokio_serial::DataBits::Eight)
        .parity(parity)
        .stop_bits(tokio_serial::StopBits::One);
    let port = tokio_serial::SerialStream::open(&builder)?;
    tracing::info!(path, baud, mode = %config.mode, addresses = ?config.link_addresses, rate = %config.rate, "iec101 simulator on the serial line");
    serve_iec101_stream(port, config).await
}

/// Serves the simulator on a byte stream standing in for the serial line (one end of a
/// `tokio::io::duplex`, a pty) until it fails or ends.
///
/// # Errors
/// Reading or writing fails, the stream ends, or the settings are invalid.
pub async fn serve_iec101_stream<S: AsyncRead + AsyncWrite>(
    stream: S,
    config: Iec101Config,
) -> io::Result<()> {
    config.check()?;
    match config.mode {
        Iec101Mode::Unbalanced => unbalanced::serve(stream, &config).await,
        Iec101Mode::Balanced => balanced::serve(stream, &config).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_as_la_cot_ca_ioa() {
        let sizes: Sizes = "2,2,1,3".parse().unwrap();
        assert_eq!(sizes.link_address, AddressLen::Two);
        assert_eq!(
            sizes.asdu,
            AsduConfig::new(CotLen::Two, CaLen::One, IoaLen::Three)
        );
        assert_eq!("1,1,1,2".parse::<Sizes>().unwrap(), Sizes::default());
        for bad in [
            "1,1,1", "3,1,1,2", "1,0,1,2", "1,1,3,2", "1,1,1,4", "a,b,c,d", "",
        ] {
            assert!(bad.parse::<Sizes>().is_err(), "{bad}");
        }
        assert_eq!("balanced".parse(), Ok(Iec101Mode::Balanced));
        assert!("both".parse::<Iec101Mode>().is_err());
        assert_eq!("none".parse(), Ok(Parity::None));
        assert!("mark".parse::<Parity>().is_err());
    }

    #[test]
    fn settings_no_station_can_run_with_are_refused() {
        assert!(Iec101Config::default().check().is_ok());
        let refused = |config: Iec101Config| config.check().unwrap_err().to_string();
        let one_octet_ioa = Iec101Config {
            sizes: "1,1,1,1".parse().unwrap(),
            ..Iec101Config::default()
        };
        assert!(refused(one_octet_ioa).contains("2061"));
        let no_address = Iec101Config {
            link_addresses: vec![],
            ..Iec101Config::default()
        };
        assert!(refused(no_address).contains("link address"));
        let two_balanced = Iec101Config {
            mode: Iec101Mode::Balanced,
            link_addresses: vec![1, 2],
            ..Iec101Config::default()
        };
        assert!(refused(two_balanced).contains("one link address"));
        // With a one-octet common address, 255 is the broadcast address.
        let broadcast = Iec101Config {
            common_address: Some(255),
            ..Iec101Config::default()
        };
        assert!(refused(broadcast).contains("255"));
        let two_octets = Iec101Config {
            common_address: Some(255),
            sizes: "1,1,2,2".parse().unwrap(),
            ..Iec101Config::default()
        };
        assert!(two_octets.check().is_ok());
    }
}
