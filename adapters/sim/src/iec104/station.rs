//! The application layer of the simulated outstation: what it answers to each ASDU of the
//! controlling station (IEC 60870-5-101 clause 7.4, IEC 60870-5-104 clause 8), and the next
//! spontaneous change. No I/O: the connection task feeds it ASDUs and sends what it returns.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use fieldbridge_iec60870::types::{Diq, DoublePoint, Qcc, Siq, Vti};
use fieldbridge_iec60870::{
    Asdu, AsduConfig, Cot, Element, Header, InformationObject, OwnedAsdu, TypeId,
};

use super::clock::Clock;
use super::points::{
    animated, object, untagged_command, untagged_monitor, CommandSpec, Kind, PointSpec, COMMANDS,
    POINTS,
};

/// The common address every station answers (IEC 60870-5-101 clause 7.2.4).
const BROADCAST: u16 = 0xFFFF;
/// The largest ASDU of an I frame.
const MAX_ASDU: usize = 249;
const CONFIG: AsduConfig = AsduConfig::IEC104;

/// One outstation's state on one connection.
#[derive(Debug)]
pub(crate) struct Station {
    common_address: u16,
    select_timeout: Duration,
    /// Per point of [`POINTS`]: its change count and current element.
    counts: Vec<u32>,
    values: Vec<Element>,
    /// Indexes into [`POINTS`] that change spontaneously, in turn.
    rotation: Vec<usize>,
    next: usize,
    clock: Clock,
    /// Selected command points: IOA → (untagged type ID, deadline of the execute).
    selected: HashMap<u32, (TypeId, Instant)>,
}

impl Station {
    /// A station whose spontaneous changes go through the points `only` lists (every animated
    /// point when `None`).
    pub(crate) fn new(common_address: u16, select_timeout: Duration, only: Option<&[u32]>) -> Self {
        let rotation = POINTS
            .iter()
            .enumerate()
            .filter(|(_, p)| match only {
                Some(list) => list.contains(&p.ioa),
                None => p.animated,
            })
            .map(|(i, _)| i)
            .collect();
        Self {
            common_address,
            select_timeout,
            counts: vec![0; POINTS.len()],
            values: POINTS.iter().map(|p| animated(p.kind, 0)).collect(),
            rotation,
            next: 0,
            clock: Clock::default(),
            selected: HashMap::new(),
        }
    }

    /// Whether any point changes spontaneously.
    pub(crate) fn has_spontaneous(&self) -> bool {
        !self.rotation.is_empty()
    }

    /// The next spontaneous change (COT 3): the next point in turn counts one more change.
    pub(crate) fn spontaneous(&mut self) -> Option<Vec<u8>> {
        let index = *self.rotation.get(self.next % self.rotation.len().max(1))?;
        self.next = self.next.wrapping_add(1);
        let point = POINTS.get(index)?;
        let count = self.counts.get_mut(index)?;
        *count = count.wrapping_add(1);
        let element = animated(point.kind, *count);
        if let Some(value) = self.values.get_mut(index) {
            *value = element;
        }
        let time = self.clock.now();
        let asdu = OwnedAsdu::new(CONFIG, point.type_id, Cot::SPONTANEOUS, self.common_address)
            .with(object(point.ioa, point.type_id, element, time));
        encode(&asdu)
    }

    /// Answers one ASDU received at `now`, queuing the replies on `out` in order.
    pub(crate) fn handle(&mut self, bytes: &[u8], now: Instant, out: &mut VecDeque<Vec<u8>>) {
        let asdu = match Asdu::decode(bytes, &CONFIG) {
            Ok(asdu) => asdu,
            Err(error) => {
                tracing::warn!(%error, len = bytes.len(), "iec104 simulator: undecodable ASDU");
                if bytes.len() >= CONFIG.header_len() {
                    out.push_back(mirror(bytes, Cot::UNKNOWN_TYPE_ID, true, None));
                }
                return;
            }
        };
        let header = asdu.header;
        let type_id = header.type_id;
        let supported = matches!(type_id.0, 45..=51 | 58..=64 | 100..=104);
        if !supported {
            out.push_back(mirror(bytes, Cot::UNKNOWN_TYPE_ID, true, None));
            return;
        }
        let broadcast = header.common_address == BROADCAST
            && matches!(
                type_id,
                TypeId::C_IC_NA_1 | TypeId::C_CI_NA_1 | TypeId::C_CS_NA_1
            );
        if header.common_address != self.common_address && !broadcast {
            out.push_back(mirror(bytes, Cot::UNKNOWN_COMMON_ADDRESS, true, None));
            return;
        }
        let ca = Some(self.common_address);
        let cause = header.cause;
        let expected = match type_id {
            TypeId::C_RD_NA_1 => cause == Cot::REQUEST,
            TypeId::C_IC_NA_1 | TypeId::C_CI_NA_1 => {
                cause == Cot::ACTIVATION || cause == Cot::DEACTIVATION
            }
            TypeId::C_CS_NA_1 | TypeId::C_TS_NA_1 => cause == Cot::ACTIVATION,
            _ => cause == Cot::ACTIVATION || cause == Cot::DEACTIVATION,
        };
        if !expected {
            out.push_back(mirror(bytes, Cot::UNKNOWN_CAUSE, true, ca));
            return;
        }
        let Some(first) = asdu.objects().next() else {
            out.push_back(mirror(bytes, Cot::UNKNOWN_IOA, true, ca));
            return;
        };
        match (type_id, first.element) {
            (TypeId::C_IC_NA_1, Element::Interrogation(qoi)) => {
                self.interrogation(bytes, qoi.0, cause, out);
            }
            (TypeId::C_CI_NA_1, Element::CounterInterrogation(qcc)) => {
                self.counter_interrogation(bytes, qcc, cause, out);
            }
            (TypeId::C_RD_NA_1, _) => self.read(bytes, first.address, out),
            (TypeId::C_CS_NA_1, Element::ClockSync(time)) => {
                let ok = self.clock.set(&time);
                tracing::info!(ok, ?time, "iec104 simulator: clock synchronization");
                out.push_back(mirror(bytes, Cot::ACTIVATION_CON, !ok, ca));
            }
            (TypeId::C_TS_NA_1, _) => {
                out.push_back(mirror(bytes, Cot::ACTIVATION_CON, false, ca));
            }
            _ => self.command(bytes, &header, &first, now, out),
        }
    }

    /// C_IC_NA_1: actcon, every point of the station (QOI 20) or group (21..=36) with the
    /// QOI as cause, actterm (IEC 60870-5-101 clause 7.4.5).
    fn interrogation(&self, bytes: &[u8], qoi: u8, cause: Cot, out: &mut VecDeque<Vec<u8>>) {
        let ca = Some(self.common_address);
        if cause == Cot::DEACTIVATION {
            out.push_back(mirror(bytes, Cot::DEACTIVATION_CON, false, ca));
            return;
        }
        if !(20..=36).contains(&qoi) {
            out.push_back(mirror(bytes, Cot::ACTIVATION_CON, true, ca));
            return;
        }
        out.push_back(mirror(bytes, Cot::ACTIVATION_CON, false, ca));
        let wanted = |p: &PointSpec| {
            p.group != 0 && !matches!(p.kind, Kind::Counter) && (qoi == 20 || p.group == qoi - 20)
        };
        self.answer(Cot(qoi), untagged_monitor, wanted, out);
        out.push_back(mirror(bytes, Cot::ACTIVATION_TERMINATION, false, ca));
    }

    /// C_CI_NA_1: actcon, the integrated totals (request 5: all, COT 37; 1..=4: that group,
    /// COT 38..=41) unless the command freezes or resets, actterm (clause 7.4.6).
    fn counter_interrogation(
        &self,
        bytes: &[u8],
        qcc: Qcc,
        cause: Cot,
        out: &mut VecDeque<Vec<u8>>,
    ) {
        let ca = Some(self.common_address);
        if cause == Cot::DEACTIVATION {
            out.push_back(mirror(bytes, Cot::DEACTIVATION_CON, false, ca));
            return;
        }
        let request = qcc.request();
        if !(1..=5).contains(&request) {
            out.push_back(mirror(bytes, Cot::ACTIVATION_CON, true, ca));
            return;
        }
        out.push_back(mirror(bytes, Cot::ACTIVATION_CON, false, ca));
        if qcc.freeze() == Qcc::READ {
            let cot = Cot(Cot::REQUESTED_BY_GENERAL_COUNTER.0 + request % 5);
            let wanted = |p: &PointSpec| {
                matches!(p.kind, Kind::Counter) && (request == 5 || p.group == request)
            };
            self.answer(cot, |t| t, wanted, out);
        }
        out.push_back(mirror(bytes, Cot::ACTIVATION_TERMINATION, false, ca));
    }

    /// Queues the points `wanted` selects with `cause`, one ASDU per type ID (as many as fit).
    fn answer(
        &self,
        cause: Cot,
        type_of: impl Fn(TypeId) -> TypeId,
        wanted: impl Fn(&PointSpec) -> bool,
        out: &mut VecDeque<Vec<u8>>,
    ) {
        let time = self.clock.now();
        let mut pending: Vec<OwnedAsdu> = Vec::new();
        for (point, element) in POINTS.iter().zip(&self.values) {
            if !wanted(point) {
                continue;
            }
            let type_id = type_of(point.type_id);
            let item = object(point.ioa, type_id, *element, time);
            // The longest object: a three-octet IOA, five octets of element, a CP56Time2a.
            let open = pending
                .iter_mut()
                .find(|a| a.header.type_id == type_id && a.encoded_len() + 15 <= MAX_ASDU);
            match open {
                Some(asdu) => {
                    asdu.push(item);
                }
                None => pending
                    .push(OwnedAsdu::new(CONFIG, type_id, cause, self.common_address).with(item)),
            }
        }
        out.extend(pending.iter().filter_map(encode));
    }

    /// C_RD_NA_1: the point with COT 5, or COT 47 for an unknown address (clause 7.4.4).
    fn read(&self, bytes: &[u8], ioa: u32, out: &mut VecDeque<Vec<u8>>) {
        let found = POINTS.iter().zip(&self.values).find(|(p, _)| p.ioa == ioa);
        match found {
            Some((point, element)) => {
                let item = object(ioa, point.type_id, *element, self.clock.now());
                let asdu = OwnedAsdu::new(CONFIG, point.type_id, Cot::REQUEST, self.common_address)
                    .with(item);
                out.extend(encode(&asdu));
            }
            None => out.push_back(mirror(
                bytes,
                Cot::UNKNOWN_IOA,
                true,
                Some(self.common_address),
            )),
        }
    }

    /// A command (clause 7.4.7): select → actcon; execute (of a selected point within the
    /// select timeout, or of a direct point) → actcon, the new value with COT 11, actterm;
    /// deactivation → deactcon and the selection dropped.
    fn command(
        &mut self,
        bytes: &[u8],
        header: &Header,
        object: &InformationObject,
        now: Instant,
        out: &mut VecDeque<Vec<u8>>,
    ) {
        let (ioa, element) = (object.address, object.element);
        let (type_id, cause) = (header.type_id, header.cause);
        let ca = Some(self.common_address);
        let base = untagged_command(type_id);
        let Some(spec) = COMMANDS
            .iter()
            .find(|c| c.ioa == ioa && c.type_id == base)
            .copied()
        else {
            out.push_back(mirror(bytes, Cot::UNKNOWN_IOA, true, ca));
            return;
        };
        if cause == Cot::DEACTIVATION {
            self.selected.remove(&ioa);
            out.push_back(mirror(bytes, Cot::DEACTIVATION_CON, false, ca));
            return;
        }
        if is_select(&element) {
            self.selected.insert(ioa, (base, now + self.select_timeout));
            tracing::info!(ioa, type_id = base.0, "iec104 simulator: selected");
            out.push_back(mirror(bytes, Cot::ACTIVATION_CON, false, ca));
            return;
        }
        let selection = self.selected.remove(&ioa);
        let selected = matches!(selection, Some((t, deadline)) if t == base && now <= deadline);
        if spec.select_required && !selected {
            tracing::info!(
                ioa,
                "iec104 simulator: execute without a valid select refused"
            );
            out.push_back(mirror(bytes, Cot::ACTIVATION_CON, true, ca));
            return;
        }
        match self.apply(&spec, &element) {
            Some(feedback) => {
                tracing::info!(
                    ioa,
                    type_id = type_id.0,
                    selected,
                    "iec104 simulator: executed"
                );
                out.push_back(mirror(bytes, Cot::ACTIVATION_CON, false, ca));
                out.push_back(feedback);
                out.push_back(mirror(bytes, Cot::ACTIVATION_TERMINATION, false, ca));
            }
            None => out.push_back(mirror(bytes, Cot::ACTIVATION_CON, true, ca)),
        }
    }

    /// Sets the command's monitored point; returns its ASDU with COT 11, or `None` for a value
    /// the command cannot take (a double command or step of 0 or 3).
    fn apply(&mut self, spec: &CommandSpec, element: &Element) -> Option<Vec<u8>> {
        let index = POINTS.iter().position(|p| p.ioa == spec.feedback_ioa())?;
        let point = POINTS.get(index)?;
        let current = *self.values.get(index)?;
        let new = match *element {
            Element::SingleCommand(sco) => Element::SinglePoint(Siq::new(sco.on())),
            Element::DoubleCommand(dco) => Element::DoublePoint(Diq::new(match dco.state() {
                1 => DoublePoint::Off,
                2 => DoublePoint::On,
                _ => return None,
            })),
            Element::RegulatingStep(rco) => {
                let Element::StepPosition { vti, qds } = current else {
                    return None;
                };
                let step = match rco.step() {
                    1 => -1,
                    2 => 1,
                    _ => return None,
                };
                let value = (vti.value() + step).clamp(-64, 63);
                Element::StepPosition {
                    vti: Vti::new(value, false).unwrap_or(vti),
                    qds,
                }
            }
            Element::SetpointNormalized { nva, .. } => Element::Normalized {
                nva,
                qds: fieldbridge_iec60870::types::Qds::GOOD,
            },
            Element::SetpointScaled { sva, .. } => Element::Scaled {
                sva,
                qds: fieldbridge_iec60870::types::Qds::GOOD,
            },
            Element::SetpointFloat { value, .. } => Element::Float {
                value,
                qds: fieldbridge_iec60870::types::Qds::GOOD,
            },
            Element::BitstringCommand(bsi) => Element::Bitstring {
                bsi,
                qds: fieldbridge_iec60870::types::Qds::GOOD,
            },
            _ => return None,
        };
        if let Some(value) = self.values.get_mut(index) {
            *value = new;
        }
        let time = self.clock.now();
        let asdu = OwnedAsdu::new(
            CONFIG,
            point.type_id,
            Cot::RETURN_REMOTE,
            self.common_address,
        )
        .with(object(point.ioa, point.type_id, new, time));
        encode(&asdu)
    }
}

/// S/E of a command element (a bitstring command has none: always an execute).
fn is_select(element: &Element) -> bool {
    match element {
        Element::SingleCommand(sco) => sco.select(),
        Element::DoubleCommand(dco) => dco.select(),
        Element::RegulatingStep(rco) => rco.select(),
        Element::SetpointNormalized { qos, .. }
        | Element::SetpointScaled { qos, .. }
        | Element::SetpointFloat { qos, .. } => qos.select(),
        _ => false,
    }
}

/// The received ASDU sent back with another cause and P/N (the confirmations of clause 7.4),
/// with our common address in place of the broadcast address when `ca` is given.
fn mirror(bytes: &[u8], cause: Cot, negative: bool, ca: Option<u16>) -> Vec<u8> {
    let mut reply = bytes.to_vec();
    if let Some(octet) = reply.get_mut(2) {
        *octet = (*octet & 0x80) | if negative { 0x40 } else { 0 } | (cause.0 & 0x3F);
    }
    if let (Some(ca), Some(field)) = (ca, reply.get_mut(4..6)) {
        field.copy_from_slice(&ca.to_le_bytes());
    }
    reply
}

/// The octets of an ASDU built here (`None` only if a point table entry were inconsistent).
fn encode(asdu: &OwnedAsdu) -> Option<Vec<u8>> {
    let mut bytes = Vec::with_capacity(asdu.encoded_len());
    match asdu.encode(&mut bytes) {
        Ok(()) => Some(bytes),
        Err(error) => {
            tracing::error!(%error, type_id = asdu.header.type_id.0, "iec104 simulator: cannot encode");
            None
        }
    }
}
