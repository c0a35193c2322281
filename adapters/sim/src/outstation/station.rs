//! The application layer of the simulated outstation: what it answers to each ASDU of the
//! controlling station (IEC 60870-5-101 clause 7.4, IEC 60870-5-104 clause 8), the end of
//! initialization, and the next spontaneous change. No I/O: the transport feeds it ASDUs and
//! sends what it returns.

use std::collections::{HashMap, VecDeque};
use std::time::Instant;

use fieldbridge_iec60870::types::{Coi, Qcc};
use fieldbridge_iec60870::{Asdu, AsduConfig, Cot, Element, InformationObject, OwnedAsdu, TypeId};

use super::clock::Clock;
use super::commands::Selection;
use super::points::{animated, object, untagged_monitor, Kind, PointSpec, POINTS};
use super::Settings;

/// One outstation's state on one connection (104) or one link address (101).
#[derive(Debug)]
pub(crate) struct Station {
    pub(super) settings: Settings,
    /// Per point of [`POINTS`]: its change count and current element.
    counts: Vec<u32>,
    pub(super) values: Vec<Element>,
    /// Indexes into [`POINTS`] that change spontaneously, in turn.
    rotation: Vec<usize>,
    next: usize,
    pub(super) clock: Clock,
    /// Selected command points: IOA → what was selected and until when.
    pub(super) selected: HashMap<u32, Selection>,
}

impl Station {
    /// A station whose spontaneous changes go through the points `settings.points` lists
    /// (every animated point when `None`).
    pub(crate) fn new(settings: Settings) -> Self {
        let rotation = POINTS
            .iter()
            .enumerate()
            .filter(|(_, p)| match &settings.points {
                Some(list) => list.contains(&p.ioa),
                None => p.animated,
            })
            .map(|(i, _)| i)
            .collect();
        Self {
            settings,
            counts: vec![0; POINTS.len()],
            values: POINTS.iter().map(|p| animated(p.kind, 0)).collect(),
            rotation,
            next: 0,
            clock: Clock::default(),
            selected: HashMap::new(),
        }
    }

    fn config(&self) -> AsduConfig {
        self.settings.asdu
    }

    /// End of initialization (M_EI_NA_1, COT 4, IOA 0, COI 0: local power on), which a
    /// controlled station sends once after its initialization (IEC 60870-5-101 clause 7.4.1,
    /// IEC 60870-5-5 clause 6.1.5).
    pub(crate) fn end_of_init(&self) -> Option<Vec<u8>> {
        let asdu = OwnedAsdu::new(
            self.config(),
            TypeId::M_EI_NA_1,
            Cot::INITIALIZED,
            self.settings.common_address,
        )
        .with(InformationObject::new(
            0,
            Element::EndOfInitialization(Coi(0)),
        ));
        encode(&asdu)
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
        let asdu = OwnedAsdu::new(
            self.config(),
            point.type_id,
            Cot::SPONTANEOUS,
            self.settings.common_address,
        )
        .with(object(point.ioa, point.type_id, element, time));
        encode(&asdu)
    }

    /// Answers one ASDU received at `now`, queuing the replies on `out` in order.
    pub(crate) fn handle(&mut self, bytes: &[u8], now: Instant, out: &mut VecDeque<Vec<u8>>) {
        let config = self.config();
        let asdu = match Asdu::decode(bytes, &config) {
            Ok(asdu) => asdu,
            Err(error) => {
                tracing::warn!(%error, len = bytes.len(), "simulated station: undecodable ASDU");
                if bytes.len() >= config.header_len() {
                    out.push_back(self.mirror(bytes, Cot::UNKNOWN_TYPE_ID, true, false));
                }
                return;
            }
        };
        let header = asdu.header;
        let type_id = header.type_id;
        let supported = matches!(type_id.0, 45..=51 | 58..=64 | 100..=104);
        if !supported {
            out.push_back(self.mirror(bytes, Cot::UNKNOWN_TYPE_ID, true, false));
            return;
        }
        let broadcast = header.common_address == config.max_common_address()
            && matches!(
                type_id,
                TypeId::C_IC_NA_1 | TypeId::C_CI_NA_1 | TypeId::C_CS_NA_1
            );
        if header.common_address != self.settings.common_address && !broadcast {
            out.push_back(self.mirror(bytes, Cot::UNKNOWN_COMMON_ADDRESS, true, false));
            return;
        }
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
            out.push_back(self.mirror(bytes, Cot::UNKNOWN_CAUSE, true, true));
            return;
        }
        let Some(first) = asdu.objects().next() else {
            out.push_back(self.mirror(bytes, Cot::UNKNOWN_IOA, true, true));
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
                tracing::info!(ok, ?time, "simulated station: clock synchronization");
                out.push_back(self.mirror(bytes, Cot::ACTIVATION_CON, !ok, true));
            }
            (TypeId::C_TS_NA_1, _) => {
                out.push_back(self.mirror(bytes, Cot::ACTIVATION_CON, false, true));
            }
            _ => self.command(bytes, &header, &first, now, out),
        }
    }

    /// C_IC_NA_1: actcon, every point of the station (QOI 20) or group (21..=36) with the
    /// QOI as cause, actterm (IEC 60870-5-101 clause 7.4.5).
    fn interrogation(&self, bytes: &[u8], qoi: u8, cause: Cot, out: &mut VecDeque<Vec<u8>>) {
        if cause == Cot::DEACTIVATION {
            out.push_back(self.mirror(bytes, Cot::DEACTIVATION_CON, false, true));
            return;
        }
        if !(20..=36).contains(&qoi) {
            out.push_back(self.mirror(bytes, Cot::ACTIVATION_CON, true, true));
            return;
        }
        out.push_back(self.mirror(bytes, Cot::ACTIVATION_CON, false, true));
        let wanted = |p: &PointSpec| {
            p.group != 0 && !matches!(p.kind, Kind::Counter) && (qoi == 20 || p.group == qoi - 20)
        };
        self.answer(Cot(qoi), untagged_monitor, wanted, out);
        out.push_back(self.mirror(bytes, Cot::ACTIVATION_TERMINATION, false, true));
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
        if cause == Cot::DEACTIVATION {
            out.push_back(self.mirror(bytes, Cot::DEACTIVATION_CON, false, true));
            return;
        }
        let request = qcc.request();
        if !(1..=5).contains(&request) {
            out.push_back(self.mirror(bytes, Cot::ACTIVATION_CON, true, true));
            return;
        }
        out.push_back(self.mirror(bytes, Cot::ACTIVATION_CON, false, true));
        if qcc.freeze() == Qcc::READ {
            let cot = Cot(Cot::REQUESTED_BY_GENERAL_COUNTER.0 + request % 5);
            let wanted = |p: &PointSpec| {
                matches!(p.kind, Kind::Counter) && (request == 5 || p.group == request)
            };
            self.answer(cot, |t| t, wanted, out);
        }
        out.push_back(self.mirror(bytes, Cot::ACTIVATION_TERMINATION, false, true));
    }

    /// Queues the points `wanted` selects with `cause`, one ASDU per type ID (as many as fit).
    fn answer(
        &self,
        cause: Cot,
        type_of: impl Fn(TypeId) -> TypeId,
        wanted: impl Fn(&PointSpec) -> bool,
        out: &mut VecDeque<Vec<u8>>,
    ) {
        let (config, ca) = (self.config(), self.settings.common_address);
        // The longest object: an IOA, five octets of element, a CP56Time2a.
        let longest = config.ioa_len() + 5 + 7;
        let time = self.clock.now();
        let mut pending: Vec<OwnedAsdu> = Vec::new();
        for (point, element) in POINTS.iter().zip(&self.values) {
            if !wanted(point) {
                continue;
            }
            let type_id = type_of(point.type_id);
            let item = object(point.ioa, type_id, *element, time);
            let max = self.settings.max_asdu;
            let open = pending
                .iter_mut()
                .find(|a| a.header.type_id == type_id && a.encoded_len() + longest <= max);
            match open {
                Some(asdu) => {
                    asdu.push(item);
                }
                None => pending.push(OwnedAsdu::new(config, type_id, cause, ca).with(item)),
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
                let ca = self.settings.common_address;
                let asdu =
                    OwnedAsdu::new(self.config(), point.type_id, Cot::REQUEST, ca).with(item);
                out.extend(encode(&asdu));
            }
            None => out.push_back(self.mirror(bytes, Cot::UNKNOWN_IOA, true, true)),
        }
    }
}

impl Station {
    /// The received ASDU sent back with another cause and P/N (the confirmations of clause
    /// 7.4), with our common address in place of the broadcast address when `own_ca`.
    pub(super) fn mirror(&self, bytes: &[u8], cause: Cot, negative: bool, own_ca: bool) -> Vec<u8> {
        let config = self.config();
        let mut reply = bytes.to_vec();
        if let Some(octet) = reply.get_mut(2) {
            *octet = (*octet & 0x80) | if negative { 0x40 } else { 0 } | (cause.0 & 0x3F);
        }
        let at = 2 + config.cot_len as usize;
        let ca = self.settings.common_address.to_le_bytes();
        let len = config.ca_len as usize;
        if let (true, Some(field), Some(value)) =
            (own_ca, reply.get_mut(at..at + len), ca.get(..len))
        {
            field.copy_from_slice(value);
        }
        reply
    }
}

/// The octets of an ASDU built here (`None` only if a point table entry were inconsistent).
pub(super) fn encode(asdu: &OwnedAsdu) -> Option<Vec<u8>> {
    let mut bytes = Vec::with_capacity(asdu.encoded_len());
    match asdu.encode(&mut bytes) {
        Ok(()) => Some(bytes),
        Err(error) => {
            tracing::error!(%error, type_id = asdu.header.type_id.0, "simulated station: cannot encode");
            None
        }
    }
}
