//! From a command's JSON value and params to the information element of its type
//! (IEC 60870-5-101 clauses 7.2.6.15 to 7.2.6.17, 7.2.6.26, 7.2.6.39, 7.3.2): every refusal is
//! decided here, before anything reaches the field.

use fieldbridge_core::command::{CommandValue, FieldCommand};
use fieldbridge_core::config::{IecCommandKind, IecPoint, PulseQualifier};
use fieldbridge_iec60870::asdu::{Element, TypeId};
use fieldbridge_iec60870::types::{Dco, Nva, Qos, Qu, Rco, Sco};
use serde_json::Value;

/// The largest normalized value, 1 − 2⁻¹⁵ (IEC 60870-5-101 clause 7.2.6.6).
const NVA_MAX: f64 = 32767.0 / 32768.0;

/// What one command writes: its type, its state or value and its qualifier.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Order {
    /// The command type.
    pub kind: IecCommandKind,
    /// Whether the CP56Time2a form is sent.
    pub time_tag: bool,
    /// Select before operate.
    pub select: bool,
    /// QU (single, double, step: 0..=31) or QL (set-points: 0..=127); 0 for bitstrings.
    pub qualifier: u8,
    /// The state or value.
    pub payload: Payload,
}

/// The state or value of a command, as it goes on the wire.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Payload {
    /// SCS.
    Single(bool),
    /// DCS: [`Dco::OFF`] or [`Dco::ON`].
    Double(u8),
    /// RCS: [`Rco::LOWER`] or [`Rco::HIGHER`].
    Step(u8),
    /// NVA.
    Normalized(Nva),
    /// SVA.
    Scaled(i16),
    /// R32.
    Float(f32),
    /// BSI.
    Bits(u32),
}

impl Order {
    /// The order for `command` on `point`, or why it is refused (never sent).
    pub fn parse(command: &FieldCommand, point: &IecPoint) -> Result<Order, String> {
        let Some(config) = point.command else {
            return Err(format!(
                "point \"{}\" has no `command` configured, so no command type to send",
                point.name
            ));
        };
        let kind = config.kind;
        let select = match command.params.get("select") {
            None => config.select_before_operate,
            Some(Value::Bool(b)) => *b,
            Some(other) => {
                return Err(format!(
                    "param select must be true or false, got {}",
                    json_kind(other)
                ))
            }
        };
        if select && kind == IecCommandKind::Bitstring {
            return Err(
                "a bitstring command (C_BO) has no select/execute bit: select is not possible"
                    .to_owned(),
            );
        }
        let qualifier = qualifier(kind, config.qualifier, command.params.get("qualifier"))?;
        let payload = payload(kind, &command.value)?;
        if let (true, CommandValue::Number(n)) = (kind.is_setpoint(), &command.value) {
            // The value as the sender wrote it: an f32 or a normalized value may round past a
            // limit the sender respected.
            limits(n.as_f64().unwrap_or_default(), point)?;
        }
        Ok(Order {
            kind,
            time_tag: config.time_tag,
            select,
            qualifier,
            payload,
        })
    }

    /// The type identification sent (45 to 51, or 58 to 64 with a time tag).
    pub fn type_id(&self) -> TypeId {
        TypeId(self.kind.type_id(self.time_tag))
    }

    /// The type's mnemonic, `C_SC_NA_1` ...
    pub fn type_name(&self) -> &'static str {
        self.type_id().name().unwrap_or("C_??")
    }

    /// The result's `method`: the type and the procedure (`C_DC_NA_1 select+execute`,
    /// `C_SE_NC_1 direct`).
    pub fn method(&self) -> String {
        let procedure = if self.select {
            "select+execute"
        } else {
            "direct"
        };
        format!("{} {procedure}", self.type_name())
    }

    /// The element of the select (`select`) or the execute.
    pub fn element(&self, select: bool) -> Element {
        let qu = Qu(self.qualifier);
        match self.payload {
            Payload::Single(on) => Element::SingleCommand(Sco::new(on, qu, select)),
            Payload::Double(state) => Element::DoubleCommand(Dco::new(state, qu, select)),
            Payload::Step(step) => Element::RegulatingStep(Rco::new(step, qu, select)),
            Payload::Normalized(nva) => Element::SetpointNormalized {
                nva,
                qos: Qos::new(self.qualifier, select),
            },
            Payload::Scaled(sva) => Element::SetpointScaled {
                sva,
                qos: Qos::new(self.qualifier, select),
            },
            Payload::Float(value) => Element::SetpointFloat {
                value,
                qos: Qos::new(self.qualifier, select),
            },
            Payload::Bits(bits) => Element::BitstringCommand(bits),
        }
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a bool",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// QU or QL: the `qualifier` param when given, else the configured pulse qualifier (QU) or 0
/// (QL of set-points).
fn qualifier(
    kind: IecCommandKind,
    configured: PulseQualifier,
    param: Option<&Value>,
) -> Result<u8, String> {
    let names = || {
        PulseQualifier::NAMES
            .iter()
            .map(|(name, _)| format!("\"{name}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match (kind, param) {
        (IecCommandKind::Bitstring, None) => Ok(0),
        (IecCommandKind::Bitstring, Some(_)) => Err(
            "param qualifier: a bitstring command (C_BO) has no qualifier".to_owned(),
        ),
        (k, None) if k.has_pulse_qualifier() => Ok(configured.qu()),
        (_, None) => Ok(0),
        (k, Some(Value::String(text))) if k.has_pulse_qualifier() => PulseQualifier::NAMES
            .iter()
            .find(|(name, _)| *name == text)
            .map(|(_, q)| q.qu())
            .ok_or_else(|| {
                format!(
                    "param qualifier \"{text}\" is not a pulse qualifier (expected {}, or QU as a number 0..31)",
                    names()
                )
            }),
        (k, Some(Value::Number(n))) if k.has_pulse_qualifier() => n
            .as_u64()
            .filter(|qu| *qu <= 31)
            .map(|qu| qu as u8)
            .ok_or_else(|| format!("param qualifier {n} is not a QU (0..31)")),
        (k, Some(other)) if k.has_pulse_qualifier() => Err(format!(
            "param qualifier must be one of {} or a number 0..31, got {}",
            names(),
            json_kind(other)
        )),
        (_, Some(Value::Number(n))) => n
            .as_u64()
            .filter(|ql| *ql <= 127)
            .map(|ql| ql as u8)
            .ok_or_else(|| {
                format!("param qualifier {n} is not a QL of a set-point (0..127)")
            }),
        (_, Some(other)) => Err(format!(
            "param qualifier of a set-point is QL, a number 0..127, got {}",
            json_kind(other)
        )),
    }
}

fn expected(what: &str, value: &CommandValue) -> String {
    format!("expected {what}, got {}", value.kind())
}

fn payload(kind: IecCommandKind, value: &CommandValue) -> Result<Payload, String> {
    match kind {
        IecCommandKind::Single => match value {
            CommandValue::Bool(on) => Ok(Payload::Single(*on)),
            CommandValue::String(s) if s == "on" => Ok(Payload::Single(true)),
            CommandValue::String(s) if s == "off" => Ok(Payload::Single(false)),
            CommandValue::Number(n) if n.as_u64() == Some(1) => Ok(Payload::Single(true)),
            CommandValue::Number(n) if n.as_u64() == Some(0) => Ok(Payload::Single(false)),
            CommandValue::String(s) => Err(format!(
                "value \"{s}\" is not a single command state (true/false, \"on\"/\"off\", 1/0)"
            )),
            CommandValue::Number(n) => Err(format!(
                "value {n} is not a single command state (true/false, \"on\"/\"off\", 1/0)"
            )),
            other => Err(expected("true/false, \"on\"/\"off\" or 1/0", other)),
        },
        IecCommandKind::Double => match value {
            CommandValue::Bool(on) => Ok(Payload::Double(if *on { Dco::ON } else { Dco::OFF })),
            CommandValue::String(s) if s == "on" => Ok(Payload::Double(Dco::ON)),
            CommandValue::String(s) if s == "off" => Ok(Payload::Double(Dco::OFF)),
            CommandValue::String(s) => Err(format!(
                "value \"{s}\" is not a double command state (true/false or \"on\"/\"off\")"
            )),
            CommandValue::Number(n) => Err(format!(
                "value {n}: a double command takes true/false or \"on\"/\"off\" (a number is ambiguous: DCS 1 is off, 2 is on)"
            )),
            other => Err(expected("true/false or \"on\"/\"off\"", other)),
        },
        IecCommandKind::Step => match value {
            CommandValue::String(s) if s == "lower" => Ok(Payload::Step(Rco::LOWER)),
            CommandValue::String(s) if s == "higher" => Ok(Payload::Step(Rco::HIGHER)),
            CommandValue::String(s) => Err(format!(
                "value \"{s}\" is not a step (\"lower\" or \"higher\")"
            )),
            other => Err(expected("\"lower\" or \"higher\"", other)),
        },
        IecCommandKind::SetpointNormalized => {
            let v = number(value, "a number from -1 to 0.99997 (1 - 2^-15)")?;
            if !(-1.0..=NVA_MAX).contains(&v) {
                return Err(format!(
                    "value {v} does not fit a normalized value (-1 to 0.99997, 1 - 2^-15)"
                ));
            }
            // In range: the product is within -32768..=32767.
            Ok(Payload::Normalized(Nva((v * 32768.0).round() as i16)))
        }
        IecCommandKind::SetpointScaled => {
            let n = match value {
                CommandValue::Number(n) => n,
                other => return Err(expected("an integer from -32768 to 32767", other)),
            };
            match n.as_i64() {
                Some(i) => i16::try_from(i)
                    .map(Payload::Scaled)
                    .map_err(|_| format!("value {n} does not fit a scaled value (i16, -32768 to 32767)")),
                None if n.as_u64().is_some() => Err(format!(
                    "value {n} does not fit a scaled value (i16, -32768 to 32767)"
                )),
                None => Err(format!(
                    "value {n} is not an integer (a scaled set-point takes -32768 to 32767)"
                )),
            }
        }
        IecCommandKind::SetpointFloat => {
            let v = number(value, "a number")?;
            let f = v as f32;
            if !f.is_finite() {
                return Err(format!(
                    "value {v} does not fit a short floating point number (f32)"
                ));
            }
            Ok(Payload::Float(f))
        }
        IecCommandKind::Bitstring => match value {
            CommandValue::Number(n) => n
                .as_u64()
                .and_then(|u| u32::try_from(u).ok())
                .map(Payload::Bits)
                .ok_or_else(|| format!("value {n} does not fit a bitstring of 32 bits (0 to 4294967295)")),
            CommandValue::String(s) => s
                .strip_prefix("0x")
                .or_else(|| s.strip_prefix("0X"))
                .filter(|h| !h.is_empty() && h.len() <= 8)
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .map(Payload::Bits)
                .ok_or_else(|| {
                    format!("value \"{s}\" is not a bitstring of 32 bits (a number, or \"0x\" and 1 to 8 hex digits)")
                }),
            other => Err(expected("a number or a \"0x...\" string", other)),
        },
    }
}

fn number(value: &CommandValue, what: &str) -> Result<f64, String> {
    match value {
        CommandValue::Number(n) => n
            .as_f64()
            .filter(|v| v.is_finite())
            .ok_or_else(|| format!("value {n} is not a finite number")),
        other => Err(expected(what, other)),
    }
}

fn limits(value: f64, point: &IecPoint) -> Result<(), String> {
    if let Some(min) = point.min.filter(|min| value < *min) {
        return Err(format!("value {value} is below the point's min {min}"));
    }
    if let Some(max) = point.max.filter(|max| value > *max) {
        return Err(format!("value {value} is above the point's max {max}"));
    }
    Ok(())
}
