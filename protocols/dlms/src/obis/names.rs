//! Names of OBIS codes composed from their value groups (IEC 62056-6-1 clause 7; DLMS UA 1000-1
//! "Blue Book" tables of value groups C, D and E for abstract objects and electricity).
//!
//! Nothing here is a list of whole codes: electricity names come from C (the quantity and the
//! phase), D (the processing: power or energy, instantaneous, demand, extremes) and E (the rate
//! or harmonic); abstract objects from C and D (the object family) with E as the instance.

use super::ObisCode;

/// What value group E adds to a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Qualifier {
    /// Nothing (an instantaneous value's E = 0, or an object whose E is fixed).
    None,
    /// E = 0 of a register with tariff rates: the total over all rates.
    Total,
    /// E = 1..=63 of a register with tariff rates: rate E.
    Rate(u8),
    /// E = 1..=120 of an instantaneous value: harmonic E (1 is the fundamental).
    Harmonic(u8),
    /// The instance number E (1..=255) of an object of which there may be several; the first
    /// instance (E = 0) has [`Qualifier::None`].
    Instance(u8),
}

/// The name of an OBIS code, composed from its value groups; shown by
/// [`Display`](std::fmt::Display) as `[phase ]quantity[, processing][, qualifier][, channel
/// B][, billing period F]`, such as `L1 voltage, instantaneous value`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ObisName {
    phase: Option<&'static str>,
    quantity: &'static str,
    processing: Option<&'static str>,
    qualifier: Qualifier,
    channel: Option<u8>,
    billing_period: Option<u8>,
}

impl ObisName {
    /// The phase an electricity quantity is measured on (`"L1"`, `"L2"`, `"L3"`); `None` for
    /// the sum over all phases and for abstract objects.
    pub fn phase(&self) -> Option<&'static str> {
        self.phase
    }

    /// The quantity (electricity: `"active energy import (+A)"`, `"voltage"`) or the object
    /// (abstract: `"clock"`, `"push setup"`).
    pub fn quantity(&self) -> &'static str {
        self.quantity
    }

    /// The processing of value group D (`"instantaneous value"`, `"maximum 1 (maximum
    /// demand)"`); `None` for time integral 1 (the energy since the start of measurement, said by
    /// the quantity) and for abstract objects.
    pub fn processing(&self) -> Option<&'static str> {
        self.processing
    }

    /// What value group E adds.
    pub fn qualifier(&self) -> Qualifier {
        self.qualifier
    }

    /// Value group B when it is not 0.
    pub fn channel(&self) -> Option<u8> {
        self.channel
    }

    /// Value group F when it is not 255: the billing period the value was stored for.
    pub fn billing_period(&self) -> Option<u8> {
        self.billing_period
    }
}

impl std::fmt::Display for ObisName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(phase) = self.phase {
            write!(f, "{phase} ")?;
        }
        f.write_str(self.quantity)?;
        if let Some(processing) = self.processing {
            write!(f, ", {processing}")?;
        }
        match self.qualifier {
            Qualifier::None => {}
            Qualifier::Total => f.write_str(", total")?,
            Qualifier::Rate(rate) => write!(f, ", rate {rate}")?,
            Qualifier::Harmonic(n) => write!(f, ", harmonic {n}")?,
            Qualifier::Instance(n) => write!(f, ", instance {n}")?,
        }
        if let Some(channel) = self.channel {
            write!(f, ", channel {channel}")?;
        }
        if let Some(period) = self.billing_period {
            write!(f, ", billing period {period}")?;
        }
        Ok(())
    }
}

/// The name of `code`, if this module knows it.
pub(super) fn name(code: ObisCode) -> Option<ObisName> {
    let [a, b, c, d, e, f] = code.to_bytes();
    let mut name = match a {
        0 => abstract_object(c, d, e)?,
        1 => electricity(c, d, e)?,
        _ => return None,
    };
    name.channel = (b != 0).then_some(b);
    name.billing_period = (f != 255).then_some(f);
    Some(name)
}

/// E as the instance of an object of which there may be several.
fn instance(e: u8) -> Qualifier {
    if e == 0 {
        Qualifier::None
    } else {
        Qualifier::Instance(e)
    }
}

fn object(quantity: &'static str, qualifier: Qualifier) -> ObisName {
    ObisName {
        phase: None,
        quantity,
        processing: None,
        qualifier,
        channel: None,
        billing_period: None,
    }
}

/// Abstract objects, A = 0 (Blue Book "value group C codes – abstract objects" and the tables of
/// the general and service entries).
fn abstract_object(c: u8, d: u8, e: u8) -> Option<ObisName> {
    use Qualifier::None as Plain;
    // Objects of which E numbers the instance.
    let numbered = |quantity| Some(object(quantity, instance(e)));
    // Objects that exist once: E must be 0.
    let single = |quantity| (e == 0).then(|| object(quantity, Plain));
    match (c, d) {
        (0, 1) => match e {
            0 => numbered("billing period counter"),
            1 => single("number of available billing periods"),
            2 => Some(object("time stamp of the billing period", Plain)),
            _ => None,
        },
        (0, 2) => match e {
            0 => Some(object("active firmware identifier", Plain)),
            1 => Some(object("active firmware version", Plain)),
            8 => Some(object("active firmware signature", Plain)),
            _ => None,
        },
        (0, 9) => match e {
            1 => Some(object("local time", Plain)),
            2 => Some(object("local date", Plain)),
            _ => None,
        },
        (1, 0) => numbered("clock"),
        (2, 0) => single("modem configuration"),
        (2, 1) => single("auto connect"),
        (2, 2) => single("auto answer"),
        (10, 0) => Some(object(
            match e {
                0 => "global meter reset script table",
                1 => "MDI reset / end of billing period script table",
                100 => "tariffication script table",
                101 => "activate test mode script table",
                102 => "activate normal mode script table",
                103 => "set output signals script table",
                106 => "disconnect control script table",
                107 => "image activation script table",
                108 => "push script table",
                125 => "broadcast script table",
                _ => return None,
            },
            Plain,
        )),
        (11, 0) => single("special days table"),
        (12, 0) => numbered("schedule"),
        (13, 0) => single("activity calendar"),
        (14, 0) => single("register activation"),
        (15, 0) => numbered("single action schedule"),
        (16, 0) => numbered("register monitor"),
        (16, 1) => numbered("alarm monitor"),
        (17, 0) => numbered("limiter"),
        (20, 0) => match e {
            0 => Some(object("IEC optical port setup", Plain)),
            1 => Some(object("IEC electrical port setup", Plain)),
            _ => None,
        },
        (21, 0) => match e {
            0 => Some(object("general local port readout", Plain)),
            1 => Some(object("general display readout", Plain)),
            2 => Some(object("alternate display readout", Plain)),
            3 => Some(object("service display readout", Plain)),
            _ => None,
        },
        (22, 0) => single("IEC HDLC setup"),
        (23, 0) => single("IEC twisted pair setup"),
        (24, 1) => numbered("M-Bus client"),
        (24, 2) => numbered("M-Bus value"),
        (24, 3) => numbered("M-Bus profile"),
        (24, 4) => numbered("M-Bus disconnect control"),
        (24, 5) => numbered("M-Bus control log"),
        (24, 6) => numbered("M-Bus master port setup"),
        (25, 0) => numbered("TCP-UDP setup"),
        (25, 1) => numbered("IPv4 setup"),
        (25, 2) => numbered("MAC address setup"),
        (25, 3) => numbered("PPP setup"),
        (25, 4) => numbered("GPRS modem setup"),
        (25, 5) => numbered("SMTP setup"),
        (25, 6) => numbered("GSM diagnostic"),
        (25, 7) => numbered("IPv6 setup"),
        (25, 9) => numbered("push setup"),
        (25, 10) => numbered("NTP setup"),
        (40, 0) if e == 0 => single("current association"),
        (40, 0) => numbered("association"),
        (41, 0) => single("SAP assignment"),
        (42, 0) => single("COSEM logical device name"),
        (43, 0) => numbered("security setup"),
        (43, 1) => numbered("invocation counter"),
        (44, 0) => numbered("image transfer"),
        (96, 1) => match e {
            0..=9 => numbered("device ID"),
            255 => Some(object("device IDs", Plain)),
            _ => None,
        },
        (96, 2) => numbered("program entries"),
        (96, 3) => match e {
            1 => Some(object("state of input control signals", Plain)),
            2 => Some(object("state of output control signals", Plain)),
            10 => Some(object("disconnect control", Plain)),
            _ => None,
        },
        (96, 5) => numbered("internal operating status"),
        (96, 6) => numbered("battery entries"),
        (96, 7) => numbered("power failure monitoring"),
        (96, 8) => numbered("time of operation"),
        (96, 10) => numbered("status register"),
        (96, 11) => numbered("event code"),
        (96, 12) => numbered("communication port log parameters"),
        (96, 13) => numbered("consumer message"),
        (96, 14) => numbered("currently active tariff"),
        (97, 97) => numbered("error register"),
        (97, 98) => match e {
            0..=9 => numbered("alarm register"),
            10..=19 => numbered("alarm filter"),
            _ => None,
        },
        (98, 1) => numbered("data of billing period"),
        (99, 98) => numbered("event log"),
        _ => None,
    }
}

/// The 20 quantities of each phase group of value group C (Blue Book "value group C codes –
/// electricity": 1..=20 the sum over all phases, 21..=40 L1, 41..=60 L2, 61..=80 L3), as
/// (power or instantaneous name, energy name when a time integral of it is an energy).
const QUANTITY: [(&str, Option<&str>); 20] = [
    (
        "active power import (+P)",
        Some("active energy import (+A)"),
    ),
    (
        "active power export (-P)",
        Some("active energy export (-A)"),
    ),
    (
        "reactive power import (+Q)",
        Some("reactive energy import (+R)"),
    ),
    (
        "reactive power export (-Q)",
        Some("reactive energy export (-R)"),
    ),
    ("reactive power QI", Some("reactive energy QI")),
    ("reactive power QII", Some("reactive energy QII")),
    ("reactive power QIII", Some("reactive energy QIII")),
    ("reactive power QIV", Some("reactive energy QIV")),
    ("apparent power import (+S)", Some("apparent energy import")),
    ("apparent power export (-S)", Some("apparent energy export")),
    ("current", None),
    ("voltage", None),
    ("power factor", None),
    ("supply frequency", None),
    (
        "active power |+P| + |-P|",
        Some("active energy |+A| + |-A|"),
    ),
    (
        "active power |+P| - |-P|",
        Some("active energy |+A| - |-A|"),
    ),
    ("active power QI", Some("active energy QI")),
    ("active power QII", Some("active energy QII")),
    ("active power QIII", Some("active energy QIII")),
    ("active power QIV", Some("active energy QIV")),
];

/// The phase of each group of 20 quantities.
const PHASE: [Option<&str>; 4] = [None, Some("L1"), Some("L2"), Some("L3")];

/// How value group D processes the quantity (Blue Book "value group D codes – electricity").
#[derive(Clone, Copy, PartialEq, Eq)]
enum Processing {
    /// An energy: a time integral of a power.
    Integral(Option<&'static str>),
    /// A demand or an extreme of the quantity, per tariff rate.
    Demand(&'static str),
    /// The instantaneous value, with harmonics in E.
    Instantaneous,
}

fn processing(d: u8) -> Option<Processing> {
    use Processing::{Demand, Instantaneous, Integral};
    Some(match d {
        0 => Demand("billing period average"),
        1 => Demand("cumulative minimum 1"),
        2 => Demand("cumulative maximum 1"),
        3 => Demand("minimum 1"),
        4 => Demand("current average 1 (demand)"),
        5 => Demand("last average 1 (demand)"),
        6 => Demand("maximum 1 (maximum demand)"),
        7 => Instantaneous,
        8 => Integral(None),
        9 => Integral(Some("time integral 2")),
        10 => Integral(Some("time integral 3")),
        11 => Demand("cumulative minimum 2"),
        12 => Demand("cumulative maximum 2"),
        13 => Demand("minimum 2"),
        14 => Demand("current average 2 (demand)"),
        15 => Demand("last average 2 (demand)"),
        16 => Demand("maximum 2 (maximum demand)"),
        17 => Integral(Some("time integral 7")),
        18 => Integral(Some("time integral 8")),
        19 => Integral(Some("time integral 9")),
        20 => Integral(Some("time integral 10")),
        21 => Demand("cumulative minimum 3"),
        22 => Demand("cumulative maximum 3"),
        23 => Demand("minimum 3"),
        24 => Demand("current average 3 (demand)"),
        25 => Demand("last average 3 (demand)"),
        26 => Demand("maximum 3 (maximum demand)"),
        27 => Demand("current average 5"),
        28 => Demand("current average 6"),
        29 => Integral(Some("time integral 5")),
        30 => Integral(Some("time integral 6")),
        31 => Demand("under limit threshold"),
        32 => Demand("under limit occurrence counter"),
        33 => Demand("under limit duration"),
        34 => Demand("under limit magnitude"),
        35 => Demand("over limit threshold"),
        36 => Demand("over limit occurrence counter"),
        37 => Demand("over limit duration"),
        38 => Demand("over limit magnitude"),
        39 => Demand("missing threshold"),
        40 => Demand("missing occurrence counter"),
        41 => Demand("missing duration"),
        42 => Demand("missing magnitude"),
        55 => Demand("test average"),
        58 => Integral(Some("time integral 4 (test)")),
        _ => return None,
    })
}

/// The rate of value group E for registers with tariff rates (Blue Book "value group E codes –
/// tariff rates"): 0 the total, 1..=63 a rate.
fn rate(e: u8) -> Option<Qualifier> {
    match e {
        0 => Some(Qualifier::Total),
        1..=63 => Some(Qualifier::Rate(e)),
        _ => None,
    }
}

/// Electricity, A = 1.
fn electricity(c: u8, d: u8, e: u8) -> Option<ObisName> {
    match c {
        1..=80 => {
            let index = usize::from(c - 1);
            let phase = PHASE.get(index / 20).copied().flatten();
            let (power, energy) = QUANTITY.get(index % 20).copied()?;
            let (quantity, processing, qualifier) = match processing(d)? {
                Processing::Integral(processing) => (energy?, processing, rate(e)?),
                Processing::Demand(processing) => (power, Some(processing), rate(e)?),
                Processing::Instantaneous => (
                    power,
                    Some("instantaneous value"),
                    match e {
                        0 => Qualifier::None,
                        1..=120 => Qualifier::Harmonic(e),
                        _ => return None,
                    },
                ),
            };
            // The sum group names current and voltage "any phase" (C = 11, 12).
            let quantity = match (phase, c) {
                (None, 11) => "current, any phase",
                (None, 12) => "voltage, any phase",
                _ => quantity,
            };
            Some(ObisName {
                phase,
                quantity,
                processing,
                qualifier,
                channel: None,
                billing_period: None,
            })
        }
        90..=92 => {
            let quantity = match c {
                90 => "current, sum over all phases",
                91 => "neutral current",
                _ => "neutral voltage",
            };
            match processing(d)? {
                Processing::Instantaneous if e == 0 => Some(ObisName {
                    processing: Some("instantaneous value"),
                    ..object(quantity, Qualifier::None)
                }),
                Processing::Demand(processing) => Some(ObisName {
                    processing: Some(processing),
                    ..object(quantity, rate(e)?)
                }),
                _ => None,
            }
        }
        0 => match (d, e) {
            (2, 0) => Some(object("active firmware identifier", Qualifier::None)),
            (2, 1) => Some(object("active firmware version", Qualifier::None)),
            (2, 8) => Some(object("active firmware signature", Qualifier::None)),
            _ => None,
        },
        98 if d == 1 => Some(object("data of billing period", instance(e))),
        99 => Some(object(
            match d {
                1 => "load profile 1",
                2 => "load profile 2",
                97 => "power failure event log",
                98 => "event log",
                99 => "certification data log",
                _ => return None,
            },
            instance(e),
        )),
        _ => None,
    }
}
