//! The configuration of IEC 60870-5-104 and -101 masters (`iec104`, `iec101`).

use std::sync::Arc;
use std::time::Duration;

use super::{DeviceTime, SerialSettings};

/// What a master of either link does above its link layer: stations, interrogation, clock and
/// points (IEC 60870-5-101 §7.4, IEC 60870-5-104 §9).
#[derive(Debug, Clone, PartialEq)]
pub struct IecMaster {
    /// The default common address of the ASDU (the station); a point may name its own.
    pub common_address: u16,
    /// The originator address sent in the cause of transmission (IEC 60870-5-101 §7.2.3), when
    /// the cause of transmission has two octets.
    pub originator_address: u8,
    /// Periodic general interrogation (C_IC_NA_1, QOI 20); one always follows a connect.
    pub interrogation: Option<Duration>,
    /// Periodic counter interrogation (C_CI_NA_1, QCC 5: general request, freeze not reset).
    pub counter_interrogation: Option<Duration>,
    /// Whether the master synchronises the outstation's clock (C_CS_NA_1) after each connect.
    pub clock_sync: bool,
    /// How the outstation's CP56Time2a tags are read.
    pub device_time: DeviceTime,
    /// Objects not listed are dropped (counted) rather than published under `ca<N>-ioa<M>`.
    pub only_listed: bool,
    /// The longest a command may take on this source (select, execute, termination).
    pub command_timeout: Option<Duration>,
    /// The configured points.
    pub points: Vec<IecPoint>,
}

/// IEC 60870-5-104 §5.2 and §9.6: the window and timers of the link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Iec104Link {
    /// Most unacknowledged I-frames the sender may have outstanding (1 to 32767; default 12).
    pub k: u16,
    /// Acknowledge at the latest after this many received I-frames (1 to 32767, at most 2/3 of k;
    /// default 8).
    pub w: u16,
    /// Connection establishment timeout (default 30 s).
    pub t0: Duration,
    /// Timeout of a sent frame's acknowledgement or a test frame's answer (default 15 s).
    pub t1: Duration,
    /// Acknowledge received I-frames at the latest after this long without data (default 10 s; < t1).
    pub t2: Duration,
    /// Send a test frame after this long idle (default 20 s).
    pub t3: Duration,
}

impl Default for Iec104Link {
    fn default() -> Self {
        Iec104Link {
            k: 12,
            w: 8,
            t0: Duration::from_secs(30),
            t1: Duration::from_secs(15),
            t2: Duration::from_secs(10),
            t3: Duration::from_secs(20),
        }
    }
}

/// `iec104` source settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Iec104Source {
    /// Redundant endpoints `host:port`, tried in order.
    pub addresses: Vec<String>,
    /// Window and timers.
    pub link: Iec104Link,
    /// Stations, interrogation, clock and points.
    pub master: IecMaster,
}

/// Field sizes of an IEC 60870-5-101 link (IEC 60870-5-101 §7.1, fixed by the companion profile).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Iec101Sizes {
    /// Link address octets (0 in balanced mode only, 1, 2).
    pub link_address: u8,
    /// Cause of transmission octets (1; 2 adds the originator address).
    pub cot: u8,
    /// Common address octets (1, 2).
    pub common_address: u8,
    /// Information object address octets (1, 2, 3).
    pub ioa: u8,
}

impl Iec101Sizes {
    /// The largest value a field of `octets` octets holds.
    pub fn max_of(octets: u8) -> u32 {
        match octets {
            0 => 0,
            1 => 0xFF,
            2 => 0xFFFF,
            _ => 0xFF_FFFF,
        }
    }
}

/// Balanced or unbalanced transmission (IEC 60870-5-101 §6.1; IEC 60870-5-2 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Iec101Mode {
    /// The master polls (class 1 and 2 requests); several outstations may share the line.
    Unbalanced,
    /// Either side may send first; one outstation per line.
    Balanced,
}

/// `iec101` source settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Iec101Source {
    /// The serial line.
    pub serial: SerialSettings,
    /// The outstations' link addresses (`link_address = 3`, or `link_address = [3, 4]` for
    /// several outstations on one unbalanced line): never empty, one in balanced mode (0 without
    /// an address field). The first is the link address of points that name none.
    pub link_addresses: Vec<u16>,
    /// The link address of each point of [`IecMaster::points`], in the same order (a point's
    /// `link_address`, else the first of [`Iec101Source::link_addresses`]).
    pub point_links: Vec<u16>,
    /// Balanced mode: the master's own link address, carried by the frames it answers and
    /// expected in the frames the outstation sends as primary (default: the outstation's, as
    /// most balanced outstations use one address in both directions).
    pub own_link_address: u16,
    /// Balanced or unbalanced transmission.
    pub mode: Iec101Mode,
    /// Field sizes.
    pub sizes: Iec101Sizes,
    /// How long the master waits for a link answer before repeating (default 1 s).
    pub timeout: Duration,
    /// How often an idle unbalanced link is polled for class 2 data (default 1 s).
    pub poll: Duration,
    /// Stations, interrogation, clock and points.
    pub master: IecMaster,
}

impl Iec101Source {
    /// The first (default) link address.
    pub fn link_address(&self) -> u16 {
        self.link_addresses.first().copied().unwrap_or(0)
    }

    /// The link address of the point at `index` of [`IecMaster::points`] (the first link
    /// address for an index out of range).
    pub fn link_of(&self, index: usize) -> u16 {
        self.point_links
            .get(index)
            .copied()
            .unwrap_or_else(|| self.link_address())
    }

    /// The common addresses to interrogate behind `link`: the default common address and
    /// those of the points at that link address, sorted, each once.
    pub fn stations_of(&self, link: u16) -> Vec<u16> {
        let mut cas: Vec<u16> = std::iter::once(self.master.common_address)
            .chain(
                self.master
                    .points
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| self.link_of(*i) == link)
                    .map(|(_, p)| p.common_address),
            )
            .collect();
        cas.sort_unstable();
        cas.dedup();
        cas
    }
}

/// The command types of IEC 60870-5-101 §7.3.2 (type identifications 45 to 51, and 58 to 64 with a
/// CP56Time2a time tag, IEC 60870-5-104 §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IecCommandKind {
    /// C_SC: single command (SCS on/off).
    Single,
    /// C_DC: double command (DCS off/on).
    Double,
    /// C_RC: regulating step command (lower/higher).
    Step,
    /// C_SE_A: set-point, normalized value (-1 to 1 − 2⁻¹⁵).
    SetpointNormalized,
    /// C_SE_B: set-point, scaled value (i16).
    SetpointScaled,
    /// C_SE_C: set-point, short floating point.
    SetpointFloat,
    /// C_BO: bitstring of 32 bits.
    Bitstring,
}

impl IecCommandKind {
    /// Every kind, with its configuration name.
    pub const NAMES: [(&'static str, IecCommandKind); 7] = [
        ("single", IecCommandKind::Single),
        ("double", IecCommandKind::Double),
        ("step", IecCommandKind::Step),
        ("setpoint-normalized", IecCommandKind::SetpointNormalized),
        ("setpoint-scaled", IecCommandKind::SetpointScaled),
        ("setpoint-float", IecCommandKind::SetpointFloat),
        ("bitstring", IecCommandKind::Bitstring),
    ];

    /// The type identification: 45 to 51 without a time tag, 58 to 64 with one.
    pub fn type_id(self, time_tag: bool) -> u8 {
        let base = match self {
            IecCommandKind::Single => 45,
            IecCommandKind::Double => 46,
            IecCommandKind::Step => 47,
            IecCommandKind::SetpointNormalized => 48,
            IecCommandKind::SetpointScaled => 49,
            IecCommandKind::SetpointFloat => 50,
            IecCommandKind::Bitstring => 51,
        };
        if time_tag {
            base + 13
        } else {
            base
        }
    }

    /// Whether the command carries a qualifier of command (QOC: single, double, step); set-points
    /// carry QOS and bitstrings nothing.
    pub fn has_pulse_qualifier(self) -> bool {
        matches!(
            self,
            IecCommandKind::Single | IecCommandKind::Double | IecCommandKind::Step
        )
    }

    /// Whether the command sets a number (min and max apply).
    pub fn is_setpoint(self) -> bool {
        matches!(
            self,
            IecCommandKind::SetpointNormalized
                | IecCommandKind::SetpointScaled
                | IecCommandKind::SetpointFloat
        )
    }
}

/// The command a point accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IecCommand {
    /// Which command type.
    pub kind: IecCommandKind,
    /// Whether the CP56Time2a form (58 to 64) is sent.
    pub time_tag: bool,
    /// Select before operate (S/E bit, IEC 60870-5-101 §7.2.6.26/.39): a select, its
    /// confirmation, then the execute.
    pub select_before_operate: bool,
    /// The qualifier QU of single, double and step commands.
    pub qualifier: PulseQualifier,
}

/// QU of the qualifier of command (IEC 60870-5-101 §7.2.6.26).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PulseQualifier {
    /// 0: no additional definition (the outstation decides).
    #[default]
    None,
    /// 1: short pulse duration.
    ShortPulse,
    /// 2: long pulse duration.
    LongPulse,
    /// 3: persistent output.
    Persistent,
}

impl PulseQualifier {
    /// Every qualifier, with its configuration name.
    pub const NAMES: [(&'static str, PulseQualifier); 4] = [
        ("none", PulseQualifier::None),
        ("short-pulse", PulseQualifier::ShortPulse),
        ("long-pulse", PulseQualifier::LongPulse),
        ("persistent", PulseQualifier::Persistent),
    ];

    /// The QU value on the wire.
    pub fn qu(self) -> u8 {
        self as u8
    }
}

/// One point of an IEC 60870-5 source: an information object of a station.
#[derive(Debug, Clone, PartialEq)]
pub struct IecPoint {
    /// The point name.
    pub name: Arc<str>,
    /// The station (common address of the ASDU).
    pub common_address: u16,
    /// The information object address.
    pub ioa: u32,
    /// SI unit.
    pub unit: Option<Arc<str>>,
    /// The command it accepts.
    pub command: Option<IecCommand>,
    /// Whether `<point>/set` is accepted (needs `command`).
    pub writable: bool,
    /// Lowest value a set-point may set.
    pub min: Option<f64>,
    /// Highest value a set-point may set.
    pub max: Option<f64>,
    /// The longest a command to this point may take (else the source's, else `[commands]`).
    pub command_timeout: Option<Duration>,
}
