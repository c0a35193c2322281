//! Commands of the simulated station (IEC 60870-5-101 clause 7.4.7 and 7.2.6.26): select and
//! execute, the execute matched against its select, the age of a time-tagged command, and the
//! monitored point a command sets.

use std::collections::VecDeque;
use std::time::Instant;

use fieldbridge_iec60870::types::commands::SELECT as SE;
use fieldbridge_iec60870::types::{Dco, Diq, DoublePoint, Qds, Qos, Rco, Sco, Siq, Vti};
use fieldbridge_iec60870::{Cot, Element, Header, InformationObject, OwnedAsdu, TimeTag, TypeId};

use super::points::{object, untagged_command, CommandSpec, COMMANDS, POINTS};
use super::station::{encode, Station};

/// A selected command point: the select's type ID and value (S/E cleared), and the deadline
/// of its execute.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Selection {
    type_id: TypeId,
    value: Element,
    deadline: Instant,
}

/// Why an execute of a point that requires select-before-operate is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unselected {
    /// No select, or it was used or dropped.
    None,
    /// The select's time ran out.
    Expired,
    /// The execute's type ID is not the select's.
    OtherType,
    /// The execute's value is not the select's.
    OtherValue,
}

impl Station {
    /// A command (clause 7.4.7): select → actcon; execute (of a point selected with the same
    /// type ID and value within the select timeout, or of a direct point) → actcon, the new
    /// value with COT 11, actterm; deactivation → deactcon and the selection dropped. A
    /// time-tagged command older than the maximum command age is refused.
    pub(super) fn command(
        &mut self,
        bytes: &[u8],
        header: &Header,
        object: &InformationObject,
        now: Instant,
        out: &mut VecDeque<Vec<u8>>,
    ) {
        let (ioa, element) = (object.address, object.element);
        let (type_id, cause) = (header.type_id, header.cause);
        let base = untagged_command(type_id);
        let Some(spec) = COMMANDS
            .iter()
            .find(|c| c.ioa == ioa && c.type_id == base)
            .copied()
        else {
            out.push_back(self.mirror(bytes, Cot::UNKNOWN_IOA, true, true));
            return;
        };
        if cause == Cot::DEACTIVATION {
            self.selected.remove(&ioa);
            out.push_back(self.mirror(bytes, Cot::DEACTIVATION_CON, false, true));
            return;
        }
        if let Some(age_ms) = self.age_ms(object.time.as_ref()) {
            let max_ms =
                i64::try_from(self.settings.max_command_age.as_millis()).unwrap_or(i64::MAX);
            if age_ms > max_ms {
                tracing::info!(
                    ioa,
                    age_ms,
                    max_ms,
                    "simulated station: command too old, refused"
                );
                self.selected.remove(&ioa);
                out.push_back(self.mirror(bytes, Cot::ACTIVATION_CON, true, true));
                return;
            }
        }
        let value = without_select(element);
        if is_select(&element) {
            let deadline = now + self.settings.select_timeout;
            let selection = Selection {
                type_id,
                value,
                deadline,
            };
            self.selected.insert(ioa, selection);
            tracing::info!(ioa, type_id = type_id.0, "simulated station: selected");
            out.push_back(self.mirror(bytes, Cot::ACTIVATION_CON, false, true));
            return;
        }
        let checked = match self.selected.remove(&ioa) {
            None => Err(Unselected::None),
            Some(s) if now > s.deadline => Err(Unselected::Expired),
            Some(s) if s.type_id != type_id => Err(Unselected::OtherType),
            Some(s) if s.value != value => Err(Unselected::OtherValue),
            Some(_) => Ok(()),
        };
        if let (true, Err(reason)) = (spec.select_required, checked) {
            tracing::info!(
                ioa,
                ?reason,
                "simulated station: execute without a matching select refused"
            );
            out.push_back(self.mirror(bytes, Cot::ACTIVATION_CON, true, true));
            return;
        }
        match self.apply(&spec, &element) {
            Some(feedback) => {
                let selected = checked.is_ok();
                tracing::info!(
                    ioa,
                    type_id = type_id.0,
                    selected,
                    "simulated station: executed"
                );
                out.push_back(self.mirror(bytes, Cot::ACTIVATION_CON, false, true));
                out.push_back(feedback);
                out.push_back(self.mirror(bytes, Cot::ACTIVATION_TERMINATION, false, true));
            }
            None => out.push_back(self.mirror(bytes, Cot::ACTIVATION_CON, true, true)),
        }
    }

    /// How old a command's CP56Time2a is by the station's clock, in milliseconds (negative
    /// when it lies ahead); `i64::MAX` for a tag with IV set or no valid date, `None` without
    /// a tag.
    fn age_ms(&self, time: Option<&TimeTag>) -> Option<i64> {
        let Some(TimeTag::Cp56(tag)) = time else {
            return None;
        };
        match tag.to_civil() {
            Ok(civil) if !tag.invalid => Some(self.clock.now_ms() - civil.to_unix_millis()),
            _ => Some(i64::MAX),
        }
    }

    /// Sets the command's monitored point; returns its ASDU with COT 11, or `None` for a value
    /// the command cannot take (a double command or step of 0 or 3).
    fn apply(&mut self, spec: &CommandSpec, element: &Element) -> Option<Vec<u8>> {
        let index = POINTS.iter().position(|p| p.ioa == spec.feedback_ioa())?;
        let point = POINTS.get(index)?;
        let current = *self.values.get(index)?;
        let good = Qds::GOOD;
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
            Element::SetpointNormalized { nva, .. } => Element::Normalized { nva, qds: good },
            Element::SetpointScaled { sva, .. } => Element::Scaled { sva, qds: good },
            Element::SetpointFloat { value, .. } => Element::Float { value, qds: good },
            Element::BitstringCommand(bsi) => Element::Bitstring { bsi, qds: good },
            _ => return None,
        };
        if let Some(value) = self.values.get_mut(index) {
            *value = new;
        }
        let time = self.clock.now();
        let ca = self.settings.common_address;
        let asdu = OwnedAsdu::new(self.settings.asdu, point.type_id, Cot::RETURN_REMOTE, ca)
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

/// The element with S/E cleared: what an execute must repeat of its select.
fn without_select(element: Element) -> Element {
    match element {
        Element::SingleCommand(Sco(o)) => Element::SingleCommand(Sco(o & !SE)),
        Element::DoubleCommand(Dco(o)) => Element::DoubleCommand(Dco(o & !SE)),
        Element::RegulatingStep(Rco(o)) => Element::RegulatingStep(Rco(o & !SE)),
        Element::SetpointNormalized { nva, qos } => Element::SetpointNormalized {
            nva,
            qos: Qos(qos.0 & !SE),
        },
        Element::SetpointScaled { sva, qos } => Element::SetpointScaled {
            sva,
            qos: Qos(qos.0 & !SE),
        },
        Element::SetpointFloat { value, qos } => Element::SetpointFloat {
            value,
            qos: Qos(qos.0 & !SE),
        },
        other => other,
    }
}
