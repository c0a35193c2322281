//! Faults the simulated meter injects on purpose, for tests of a client's error handling
//! (`fieldbridge simulate dlms --fault KIND[:N]`): the next N answers are wrong in one way,
//! then the meter answers well again.
//!
//! A fault hits only answers to requests made in an open association (GET, SET, ACTION after
//! the AARE and, with HLS, after pass 4): the association itself and its release are left
//! alone, so that a client meets the fault where it reads, and recovers by associating again.
//! What each [`FaultKind`] sends is in its documentation. The count is the process's, like the
//! meter's frame counter: N faults in all, over every connection.
//!
//! The simulator's own invariants hold under every fault: no frame counter ciphers two
//! different plaintexts under one key (a replay sends the very same APDU again; another key
//! ciphers under a counter of its own), and every counter the meter hands out is still above
//! every one before it. Only [`FaultKind::ReplayCounter`] ever sends a counter twice.

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use fieldbridge_dlms::apdu::association::AARQ;
use fieldbridge_dlms::security::{
    encrypt, CipheredApdu, CipheredTag, Envelope, KeyKind, Keys, SecurityControl, SecurityPolicy,
    SystemTitle,
};

/// What goes out in place of an answer with [`FaultKind::Garbage`] over the wrapper: its first
/// two octets ("th") are no wrapper version (IEC 62056-47 clause 5.2 has only 0x0001).
pub const GARBAGE: &[u8] = b"this is no DLMS wrapper PDU\r\n";

/// The APDU of [`FaultKind::NotDlms`]: tag 0xFF is no xDLMS or ACSE APDU (DLMS UA 1000-2
/// Ed. 10 clause 9.5), followed by text.
pub const NOT_DLMS: &[u8] = b"\xFFnot a DLMS APDU";

/// What line noise in place of an HDLC frame is made of: no flag (0x7E) among them, so the
/// client's link finds no frame in it (IEC 62056-46 clause 6.4.1).
const NOISE: &[u8] = b"line noise ";

/// One way of answering wrongly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaultKind {
    /// Octets that are no frame of the transport. Over the wrapper, [`GARBAGE`] is written in
    /// place of the answer's PDU: the stream is out of step. Over HDLC, line noise with no
    /// flag replaces one I frame carrying an answer: the client's link finds no frame, polls
    /// again (RR with P) and the frame is sent again (IEC 62056-46 checkpoint retransmission).
    Garbage,
    /// A well-formed wrapper PDU or HDLC I frame carrying [`NOT_DLMS`] in place of the answer.
    NotDlms,
    /// The previous ciphered answer of the association sent again in place of the answer: its
    /// frame counter is one the client accepted already, a replay (DLMS UA 1000-2 Ed. 10
    /// clause 9.2.7.2.4.3). Needs ciphering; an answer with no ciphered one before it in its
    /// association is sent as it is and leaves the count alone.
    ReplayCounter,
    /// The answer ciphered with other keys (every bit of the encryption and authentication
    /// keys inverted) under its own frame counter: its GCM tag does not verify (clause
    /// 9.2.7.2.4). Needs ciphering.
    WrongKey,
    /// No answer at all.
    Silence,
    /// HDLC: an I frame carrying an answer sent with its FCS broken (IEC 62056-46 clause
    /// 6.4.4.4): the client's link discards it, polls again, and the frame is sent again.
    BadFcs,
    /// HDLC: an I frame carrying an answer sent with its HCS broken, discarded likewise.
    BadHcs,
}

impl FaultKind {
    const ALL: [FaultKind; 7] = [
        FaultKind::Garbage,
        FaultKind::NotDlms,
        FaultKind::ReplayCounter,
        FaultKind::WrongKey,
        FaultKind::Silence,
        FaultKind::BadFcs,
        FaultKind::BadHcs,
    ];

    /// Its name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Garbage => "garbage",
            FaultKind::NotDlms => "not-dlms",
            FaultKind::ReplayCounter => "replay-counter",
            FaultKind::WrongKey => "wrong-key",
            FaultKind::Silence => "silence",
            FaultKind::BadFcs => "bad-fcs",
            FaultKind::BadHcs => "bad-hcs",
        }
    }

    /// Whether it spoils HDLC frames (counted per frame, retransmissions included) rather than
    /// answers.
    fn spoils_frames(self, hdlc: bool) -> bool {
        match self {
            FaultKind::BadFcs | FaultKind::BadHcs => true,
            FaultKind::Garbage => hdlc,
            _ => false,
        }
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A fault and how many times to inject it: `KIND` (once) or `KIND:N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fault {
    /// What goes wrong.
    pub kind: FaultKind,
    /// How many answers (or HDLC frames) it spoils, at least 1.
    pub count: u32,
}

impl FromStr for Fault {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, count) = match s.split_once(':') {
            Some((name, count)) => {
                let count = count
                    .parse::<u32>()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| format!("invalid fault count in {s:?}: expected 1 or more"))?;
                (name, count)
            }
            None => (s, 1),
        };
        let kind = FaultKind::ALL
            .into_iter()
            .find(|k| k.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = FaultKind::ALL.iter().map(|k| k.name()).collect();
                format!(
                    "unknown fault {name:?}: expected one of {} (with :N for N times)",
                    names.join(", ")
                )
            })?;
        Ok(Fault { kind, count })
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind, self.count)
    }
}

impl Fault {
    /// Whether the simulator can inject it over its transport and security.
    ///
    /// # Errors
    /// A frame fault without HDLC, or a ciphering fault without a security policy, saying why.
    pub fn check(&self, hdlc: bool, security: Option<SecurityPolicy>) -> Result<(), String> {
        match self.kind {
            FaultKind::BadFcs | FaultKind::BadHcs if !hdlc => Err(format!(
                "--fault {} breaks HDLC frames: it needs --hdlc",
                self.kind
            )),
            FaultKind::ReplayCounter | FaultKind::WrongKey if security.is_none() => Err(format!(
                "--fault {} spoils ciphered answers: it needs --security",
                self.kind
            )),
            _ => Ok(()),
        }
    }
}

/// The faults still to inject, shared by every connection of the process.
#[derive(Debug, Default)]
pub struct Faults {
    kind: Option<FaultKind>,
    left: AtomicU32,
}

impl Faults {
    /// `fault.count` faults of its kind to come (none without one).
    pub fn new(fault: Option<Fault>) -> Self {
        Faults {
            kind: fault.map(|f| f.kind),
            left: AtomicU32::new(fault.map_or(0, |f| f.count)),
        }
    }

    /// How many faults are still to come.
    pub fn left(&self) -> u32 {
        self.left.load(Ordering::SeqCst)
    }

    /// The kind of fault to inject now, if one is left: takes one from the count.
    fn take(&self) -> Option<FaultKind> {
        let kind = self.kind?;
        let before = self
            .left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .ok()?;
        tracing::info!(fault = %kind, left = before - 1, "dlms simulator: fault injected");
        Some(kind)
    }
}

/// What to send for an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outgoing {
    /// This APDU, framed as usual (a wrapper PDU, HDLC I frames).
    Apdu(Vec<u8>),
    /// These octets as they are, unframed.
    Raw(Vec<u8>),
    /// Nothing.
    Nothing,
}

/// The fault injection of one connection: it sees each request and answer and spoils the
/// answers (and over HDLC the frames) that a fault is due for.
#[derive(Debug)]
pub struct Injector {
    faults: Arc<Faults>,
    hdlc: bool,
    keys: Keys,
    system_title: SystemTitle,
    policy: Option<SecurityPolicy>,
    /// The last ciphered APDU sent in the association, for a replay.
    last_ciphered: Option<Vec<u8>>,
    /// Whether the request being answered came in an open association.
    in_association: bool,
}

impl Injector {
    /// The injector of a connection over HDLC or the wrapper, with the meter's keys, system
    /// title and security policy.
    pub fn new(
        faults: Arc<Faults>,
        hdlc: bool,
        keys: Keys,
        system_title: SystemTitle,
        policy: Option<SecurityPolicy>,
    ) -> Self {
        Injector {
            faults,
            hdlc,
            keys,
            system_title,
            policy,
            last_ciphered: None,
            in_association: false,
        }
    }

    /// A request came, `associated` saying whether the association was open before it. An
    /// AARQ starts a new association: nothing from the one before is replayed in it.
    pub fn request(&mut self, apdu: &[u8], associated: bool) {
        self.in_association = associated;
        if apdu.first() == Some(&AARQ) {
            self.last_ciphered = None;
        }
    }

    /// The association ended under the session (an HDLC DISC or SNRM).
    pub fn end_association(&mut self) {
        self.in_association = false;
        self.last_ciphered = None;
    }

    /// The answer that ends the association (the RLRE) goes out as it is, and its frames too.
    pub fn closing(&mut self) {
        self.in_association = false;
    }

    /// What to send for the session's answer `apdu` to the last request.
    pub fn answer(&mut self, apdu: Vec<u8>) -> Outgoing {
        let spoiled = match self.due() {
            Some(FaultKind::Garbage) => Some(Outgoing::Raw(GARBAGE.to_vec())),
            Some(FaultKind::NotDlms) => Some(Outgoing::Apdu(NOT_DLMS.to_vec())),
            Some(FaultKind::Silence) => Some(Outgoing::Nothing),
            Some(FaultKind::ReplayCounter) => self.last_ciphered.clone().map(Outgoing::Apdu),
            Some(FaultKind::WrongKey) => self.wrong_key(&apdu).map(Outgoing::Apdu),
            _ => None,
        };
        if let Some(spoiled) = spoiled {
            if self.faults.take().is_some() {
                return spoiled;
            }
        }
        if CipheredApdu::decode(&apdu).is_ok() {
            self.last_ciphered = Some(apdu.clone());
        }
        Outgoing::Apdu(apdu)
    }

    /// An HDLC frame about to be written, spoiled when a frame fault is due for it: an I frame
    /// (it always has an information field, so both check sequences) carrying an answer in an
    /// open association.
    pub fn frame(&mut self, mut frame: Vec<u8>) -> Vec<u8> {
        if !self.hdlc || !self.in_association || !is_i_frame(&frame) {
            return frame;
        }
        let Some(kind) = self.faults.kind.filter(|k| k.spoils_frames(true)) else {
            return frame;
        };
        if self.faults.take().is_none() {
            return frame;
        }
        match kind {
            FaultKind::BadFcs => break_fcs(&mut frame),
            FaultKind::BadHcs => break_hcs(&mut frame),
            _ => return NOISE.iter().copied().cycle().take(frame.len()).collect(),
        }
        frame
    }

    /// The answer fault due now, if any: only answers in an open association, and over HDLC
    /// only those that do not spoil frames.
    fn due(&self) -> Option<FaultKind> {
        let kind = self.faults.kind?;
        (self.in_association && self.faults.left() > 0 && !kind.spoils_frames(self.hdlc))
            .then_some(kind)
    }

    /// `apdu` deciphered with the meter's keys and ciphered again, same envelope and frame
    /// counter, with every key bit inverted; `None` when it is not ciphered.
    fn wrong_key(&self, apdu: &[u8]) -> Option<Vec<u8>> {
        let policy = self.policy?;
        let ciphered = CipheredApdu::decode(apdu).ok()?;
        let mut plain = Vec::new();
        ciphered
            .decrypt_with_policy(&self.keys, policy, Some(&self.system_title), &mut plain)
            .ok()?;
        let invert = |key: Option<[u8; 16]>| key.map(|k| k.map(|b| !b));
        let wrong = Keys {
            global_unicast: invert(self.keys.global_unicast),
            authentication: invert(self.keys.authentication),
            ..Keys::default()
        };
        let envelope = if ciphered.tag() == CipheredTag::GENERAL_GLO_CIPHERING {
            Envelope::General(KeyKind::Global)
        } else {
            Envelope::ServiceSpecific(KeyKind::Global)
        };
        let mut out = Vec::new();
        encrypt(
            envelope,
            SecurityControl::new(policy),
            ciphered.frame_counter(),
            &self.system_title,
            &wrong,
            &plain,
            &mut out,
        )
        .ok()?;
        Some(out)
    }
}

/// Where the control field of a whole frame (flags included) is: after the opening flag, the
/// two format octets and two addresses, each ending with the octet whose low bit is set (IEC
/// 62056-46 clause 6.4.2). `None` for bytes too short to hold one.
fn control_at(frame: &[u8]) -> Option<usize> {
    let mut at = 3;
    for _ in 0..2 {
        let len = frame.get(at..)?.iter().position(|b| b & 1 == 1)? + 1;
        at += len;
    }
    (at < frame.len()).then_some(at)
}

/// Whether a whole frame is an I frame (control field with its low bit clear).
fn is_i_frame(frame: &[u8]) -> bool {
    control_at(frame)
        .and_then(|at| frame.get(at))
        .is_some_and(|control| control & 1 == 0)
}

/// Inverts the first FCS octet of a whole frame (the two octets before the closing flag).
fn break_fcs(frame: &mut [u8]) {
    if let Some(octet) = frame.len().checked_sub(3).and_then(|at| frame.get_mut(at)) {
        *octet = !*octet;
    }
}

/// Inverts the first HCS octet of a whole frame with an information field (the two octets
/// after the control field); a frame without one is left as it is.
fn break_hcs(frame: &mut [u8]) {
    let Some(at) = control_at(frame).map(|c| c + 1) else {
        return;
    };
    if at + 2 <= frame.len().saturating_sub(3) {
        if let Some(octet) = frame.get_mut(at) {
            *octet = !*octet;
        }
    }
}
