//! The fixed Modbus register map shared by the pymodbus peer and the end-to-end tests.

use std::path::PathBuf;

use serde_json::Value;

use crate::{repo_root, HarnessError};

/// One point of `tests/peers/modbus_map.json`; see the file's `doc` lines and
/// `tests/peers/README.md` for the meaning of each field.
#[derive(Debug, Clone, PartialEq)]
pub struct ModbusPoint {
    /// Unique name, usable as an MQTT topic level.
    pub name: String,
    /// `holding:N`, `input:N`, `coil:N`, `discrete:N` or `holding:N.B` (0-based addresses).
    pub register: String,
    /// `bool`, `u16`, `i16`, `u32`, `i32`, `u64`, `i64`, `f32`, `f64` or `string(N)`.
    pub data_type: String,
    /// `abcd`, `cdab`, `badc` or `dcba`.
    pub word_order: String,
    /// The words (or the 0/1 bit) the server holds from the point's address on.
    pub raw: Vec<u16>,
    /// The decoded value (after `scale`, when there is one).
    pub expected: Value,
    /// Factor applied to the raw value, when the point is scaled.
    pub scale: Option<f64>,
}

impl ModbusPoint {
    /// The table: `holding`, `input`, `coil` or `discrete`.
    pub fn table(&self) -> &str {
        self.register.split(':').next().unwrap_or_default()
    }

    /// The 0-based protocol address.
    pub fn address(&self) -> u16 {
        self.register
            .split(':')
            .nth(1)
            .and_then(|rest| rest.split('.').next())
            .and_then(|a| a.parse().ok())
            .expect("map addresses are checked on load")
    }

    /// The bit inside the register, for `holding:N.B` points.
    pub fn bit(&self) -> Option<u8> {
        self.register.split('.').nth(1).and_then(|b| b.parse().ok())
    }
}

/// The whole map: units served and points.
#[derive(Debug, Clone, PartialEq)]
pub struct ModbusMap {
    /// Unit ids the server answers with this map (1 and 2).
    pub units: Vec<u8>,
    /// Every point, in file order.
    pub points: Vec<ModbusPoint>,
}

impl ModbusMap {
    /// The map file, `tests/peers/modbus_map.json`.
    pub fn path() -> PathBuf {
        repo_root().join("tests/peers/modbus_map.json")
    }

    /// Read and check the map file.
    pub fn load() -> Result<ModbusMap, HarnessError> {
        let path = Self::path();
        let text = std::fs::read_to_string(&path)?;
        let bad = |detail: String| HarnessError::Malformed {
            file: path.clone(),
            detail,
        };
        let doc: Value = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
        let units = doc["units"]
            .as_array()
            .ok_or_else(|| bad("no units".into()))?
            .iter()
            .map(|u| u.as_u64().and_then(|u| u8::try_from(u).ok()))
            .collect::<Option<Vec<u8>>>()
            .ok_or_else(|| bad("a unit is not a u8".into()))?;
        let mut points = Vec::new();
        for p in doc["points"]
            .as_array()
            .ok_or_else(|| bad("no points".into()))?
        {
            let text = |key: &str| {
                p[key]
                    .as_str()
                    .map(str::to_string)
                    .ok_or_else(|| bad(format!("point without {key}: {p}")))
            };
            let raw = p["raw"]
                .as_array()
                .and_then(|r| {
                    r.iter()
                        .map(|w| w.as_u64().and_then(|w| u16::try_from(w).ok()))
                        .collect::<Option<Vec<u16>>>()
                })
                .ok_or_else(|| bad(format!("raw is not a list of u16: {p}")))?;
            let point = ModbusPoint {
                name: text("name")?,
                register: text("register")?,
                data_type: text("type")?,
                word_order: text("word_order")?,
                raw,
                expected: p["expected"].clone(),
                scale: p["scale"].as_f64(),
            };
            let address_ok = point
                .register
                .split(':')
                .nth(1)
                .and_then(|rest| rest.split('.').next())
                .is_some_and(|a| a.parse::<u16>().is_ok());
            if !address_ok {
                return Err(bad(format!("bad register {}", point.register)));
            }
            points.push(point);
        }
        Ok(ModbusMap { units, points })
    }

    /// The point named `name`.
    pub fn point(&self, name: &str) -> Option<&ModbusPoint> {
        self.points.iter().find(|p| p.name == name)
    }
}
