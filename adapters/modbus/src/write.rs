//! Modbus writes for commands, confirmed by reading back (design brief §5).
//!
//! What is written comes from [`encode`](crate::encode); how it is written depends on the point and
//! on the source's `write_multiple`:
//!
//! | point | function (Modbus Application Protocol V1.1b3) | read back |
//! |-------|-----------------------------------------------|-----------|
//! | coil | FC5 Write Single Coil (§6.5); FC15 Write Multiple Coils (§6.11) with `write_multiple` | FC1 |
//! | one-register type | FC6 Write Single Register (§6.6); FC16 Write Multiple Registers (§6.12) with `write_multiple` | FC3 |
//! | multi-register type, string | FC16 Write Multiple Registers (§6.12), in requests of at most 123 registers | FC3 |
//! | `holding:N.bit` | FC22 Mask Write Register (§6.16); after an exception 1 (ILLEGAL FUNCTION) from the unit, read-modify-write: FC3 then FC6 (or FC16) | FC3 |
//!
//! Every request goes through [`Connection::call`], so writes share the one connection and request
//! queue with polling. A write is confirmed only when the read back registers or bits equal what was
//! written (for a register bit: that bit).

use std::collections::HashSet;

use tokio::time::Instant;

use fieldbridge_core::config::ModbusPoint;
use fieldbridge_core::point::{ModbusTable, Value};
use tokio_modbus::{Request, Response};

use crate::connection::{Connection, ReadData};
use crate::convert::{decode_point_bit, decode_point_registers};
use crate::encode::Encoded;
use crate::error::Error;

/// Most registers one FC16 request may write (Modbus Application Protocol V1.1b3 §6.12).
pub const MAX_WRITE_REGISTERS: u16 = 123;

/// How a command failed after something was sent.
#[derive(Debug)]
pub(crate) enum WriteError {
    /// The exchange failed: an exception, a timeout, a lost connection, a bad answer.
    Field(Error),
    /// Written, but read back different; the text is the reason
    /// (`mismatch: wrote 5000, device holds 1000`).
    Mismatch(String),
    /// Written, but read back different: what was written and what the device holds, as read,
    /// before they are shown as the point's values ([`WriteError::Mismatch`]).
    Differs {
        /// What was written: the registers, or the coil or register bit as one bit.
        wrote: ReadData,
        /// What was read back, or echoed.
        held: ReadData,
        /// Whether `held` is the write's echo (FC5, FC6) rather than a read-back.
        echo: bool,
    },
}

impl WriteError {
    /// A [`WriteError::Differs`] made [`WriteError::Mismatch`], both sides decoded as `point`'s
    /// values (type, word order, scale and offset), so the reason reads in the point's terms.
    pub(crate) fn in_terms_of(self, point: &ModbusPoint) -> WriteError {
        let WriteError::Differs { wrote, held, echo } = self else {
            return self;
        };
        let verb = if echo { "echoed" } else { "holds" };
        WriteError::Mismatch(format!(
            "mismatch: wrote {}, device {verb} {}",
            shown(point, &wrote),
            shown(point, &held)
        ))
    }
}

/// `data` decoded as `point`'s value, as text: `5000`, `21.5`, `true`, `"PUMP1"`.
fn shown(point: &ModbusPoint, data: &ReadData) -> String {
    let decoded = match data {
        ReadData::Words(words) => decode_point_registers(point, words),
        ReadData::Bits(bits) => decode_point_bit(point, bits.first().copied()),
    };
    match decoded.value {
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::UInt(u) => u.to_string(),
        Value::Float(f) if f.is_finite() => f.to_string(),
        Value::String(text) => format!("{text:?}"),
        _ if decoded.error.is_some() => "an undecodable value".to_owned(),
        other => format!("{other:?}"),
    }
}

/// The end of one write: how it was written, and the value read back or why it failed.
#[derive(Debug)]
pub(crate) struct WriteOutcome {
    /// `"fc5"`, `"fc16"`, `"fc22 mask write"`, `"read-modify-write fc3+fc6"`, ...
    pub(crate) method: &'static str,
    /// What was read back after the write (equal to what was written), or the failure.
    pub(crate) result: Result<ReadData, WriteError>,
}

/// Writes the commands of one source, remembering the units that refuse FC22.
#[derive(Debug)]
pub(crate) struct Writer {
    write_multiple: bool,
    /// Registers per FC16 write and FC3 read back.
    max_registers: u16,
    /// Units that answered exception 1 (ILLEGAL FUNCTION) to FC22 Mask Write Register.
    no_mask_write: HashSet<u8>,
    /// The deadline of the command being written: no write request is sent after it.
    deadline: Instant,
}

impl Writer {
    /// A writer: `write_multiple` forces FC15/FC16; `max_registers` bounds every request.
    pub(crate) fn new(write_multiple: bool, max_registers: u16) -> Self {
        Writer {
            write_multiple,
            max_registers: max_registers.clamp(1, MAX_WRITE_REGISTERS),
            no_mask_write: HashSet::new(),
            deadline: Instant::now(),
        }
    }

    /// Whether `unit` is known to refuse FC22, so register bits are written read-modify-write.
    pub(crate) fn refuses_mask_write(&self, unit: u8) -> bool {
        self.no_mask_write.contains(&unit)
    }

    /// Writes `encoded` to `point` and reads it back. The caller checked that the point is
    /// writable; no write request goes out after `deadline` and none is repeated
    /// ([`Connection::call_write`]); the read-backs are ordinary reads. An echo or read-back
    /// that differs from what was written is a [`WriteError::Mismatch`] in the point's values.
    pub(crate) async fn write(
        &mut self,
        conn: &mut Connection,
        device: &str,
        point: &ModbusPoint,
        encoded: &Encoded,
        deadline: Instant,
    ) -> WriteOutcome {
        let WriteOutcome { method, result } =
            self.write_raw(conn, device, point, encoded, deadline).await;
        WriteOutcome {
            method,
            result: result.map_err(|e| e.in_terms_of(point)),
        }
    }

    async fn write_raw(
        &mut self,
        conn: &mut Connection,
        device: &str,
        point: &ModbusPoint,
        encoded: &Encoded,
        deadline: Instant,
    ) -> WriteOutcome {
        self.deadline = deadline;
        let unit = point.unit_id;
        let address = point.register.address;
        match encoded {
            Encoded::Coil(value) => {
                let method = if self.write_multiple { "fc15" } else { "fc5" };
                let result = self.write_coil(conn, unit, address, *value).await;
                WriteOutcome { method, result }
            }
            Encoded::Registers(words) => {
                let method = if words.len() == 1 && !self.write_multiple {
                    "fc6"
                } else {
                    "fc16"
                };
                let result = self.write_registers(conn, unit, address, words).await;
                WriteOutcome { method, result }
            }
            Encoded::RegisterBit { bit, value } => {
                if !self.refuses_mask_write(unit) {
                    match mask_write(conn, unit, address, *bit, *value, self.deadline).await {
                        Err(Error::Exception { code: 0x01, .. }) => {
                            self.no_mask_write.insert(unit);
                            tracing::warn!(
                                device,
                                unit,
                                point = %point.name,
                                function = "fc22",
                                "device refuses FC22 mask write (exception 1, illegal function); writing register bits of this unit read-modify-write from now on"
                            );
                        }
                        Err(e) => {
                            return WriteOutcome {
                                method: "fc22 mask write",
                                result: Err(WriteError::Field(e)),
                            }
                        }
                        Ok(()) => {
                            return WriteOutcome {
                                method: "fc22 mask write",
                                result: self.read_back_bit(conn, unit, address, *bit, *value).await,
                            }
                        }
                    }
                }
                let method = if self.write_multiple {
                    "read-modify-write fc3+fc16"
                } else {
                    "read-modify-write fc3+fc6"
                };
                let result = self
                    .read_modify_write(conn, unit, address, *bit, *value)
                    .await;
                WriteOutcome { method, result }
            }
        }
    }

    /// FC5 (§6.5) or FC15 (§6.11) for one coil, then FC1.
    async fn write_coil(
        &self,
        conn: &mut Connection,
        unit: u8,
        address: u16,
        value: bool,
    ) -> Result<ReadData, WriteError> {
        if self.write_multiple {
            let answer = conn
                .call_write(
                    unit,
                    Request::WriteMultipleCoils(address, vec![value].into()),
                    self.deadline,
                )
                .await
                .map_err(WriteError::Field)?;
            match answer {
                Response::WriteMultipleCoils(a, 1) if a == address => {}
                other => return Err(unexpected("fc15", other)),
            }
        } else {
            let answer = conn
                .call_write(
                    unit,
                    Request::WriteSingleCoil(address, value),
                    self.deadline,
                )
                .await
                .map_err(WriteError::Field)?;
            match answer {
                Response::WriteSingleCoil(a, v) if a == address && v == value => {}
                // §6.5: the answer echoes the request.
                Response::WriteSingleCoil(a, v) if a == address => {
                    return Err(WriteError::Differs {
                        wrote: ReadData::Bits(vec![value]),
                        held: ReadData::Bits(vec![v]),
                        echo: true,
                    })
                }
                other => return Err(unexpected("fc5", other)),
            }
        }
        let back = conn
            .read(unit, ModbusTable::Coil, address, 1)
            .await
            .map_err(WriteError::Field)?;
        match &back {
            ReadData::Bits(bits) if bits.first() == Some(&value) => Ok(back),
            ReadData::Bits(_) => Err(WriteError::Differs {
                wrote: ReadData::Bits(vec![value]),
                held: back,
                echo: false,
            }),
            ReadData::Words(_) => Err(WriteError::Field(Error::ShortResponse {
                expected: 1,
                got: 0,
            })),
        }
    }

    /// FC6 (§6.6) for one register, else FC16 (§6.12) in requests of at most `max_registers`; then
    /// FC3 over the same registers.
    async fn write_registers(
        &self,
        conn: &mut Connection,
        unit: u8,
        address: u16,
        words: &[u16],
    ) -> Result<ReadData, WriteError> {
        self.send_registers(conn, unit, address, words).await?;
        let back = self
            .read_registers(conn, unit, address, words.len())
            .await
            .map_err(WriteError::Field)?;
        if back == words {
            Ok(ReadData::Words(back))
        } else {
            Err(WriteError::Differs {
                wrote: ReadData::Words(words.to_vec()),
                held: ReadData::Words(back),
                echo: false,
            })
        }
    }

    /// Sends registers with FC6 (one register, unless `write_multiple`) or FC16.
    async fn send_registers(
        &self,
        conn: &mut Connection,
        unit: u8,
        address: u16,
        words: &[u16],
    ) -> Result<(), WriteError> {
        if let ([word], false) = (words, self.write_multiple) {
            return match conn
                .call_write(
                    unit,
                    Request::WriteSingleRegister(address, *word),
                    self.deadline,
                )
                .await
                .map_err(WriteError::Field)?
            {
                Response::WriteSingleRegister(a, w) if a == address && w == *word => Ok(()),
                // §6.6: the answer echoes the request.
                Response::WriteSingleRegister(a, w) if a == address => Err(WriteError::Differs {
                    wrote: ReadData::Words(vec![*word]),
                    held: ReadData::Words(vec![w]),
                    echo: true,
                }),
                other => Err(unexpected("fc6", other)),
            };
        }
        let mut at = address;
        for chunk in words.chunks(usize::from(self.max_registers)) {
            let count = u16::try_from(chunk.len()).unwrap_or(u16::MAX);
            match conn
                .call_write(
                    unit,
                    Request::WriteMultipleRegisters(at, chunk.to_vec().into()),
                    self.deadline,
                )
                .await
                .map_err(WriteError::Field)?
            {
                Response::WriteMultipleRegisters(a, n) if a == at && n == count => {}
                other => return Err(unexpected("fc16", other)),
            }
            at = at.wrapping_add(count);
        }
        Ok(())
    }

    /// Reads `count` holding registers from `address` with FC3, in requests of at most
    /// `max_registers`.
    async fn read_registers(
        &self,
        conn: &mut Connection,
        unit: u8,
        address: u16,
        count: usize,
    ) -> Result<Vec<u16>, Error> {
        let mut out = Vec::with_capacity(count);
        let mut at = address;
        while out.len() < count {
            let n = (count - out.len()).min(usize::from(self.max_registers));
            let n = u16::try_from(n).unwrap_or(self.max_registers);
            match conn.read(unit, ModbusTable::Holding, at, n).await? {
                ReadData::Words(w) => out.extend(w),
                ReadData::Bits(_) => {
                    return Err(Error::ShortResponse {
                        expected: count,
                        got: out.len(),
                    })
                }
            }
            at = at.wrapping_add(n);
        }
        Ok(out)
    }

    /// FC3 read of the register, the bit changed, FC6 (or FC16) write of the register, FC3 read
    /// back. Another writer changing the register between the read and the write is lost: this is
    /// only for devices without FC22.
    async fn read_modify_write(
        &self,
        conn: &mut Connection,
        unit: u8,
        address: u16,
        bit: u8,
        value: bool,
    ) -> Result<ReadData, WriteError> {
        let current = self
            .read_registers(conn, unit, address, 1)
            .await
            .map_err(WriteError::Field)?;
        let old = current.first().copied().unwrap_or(0);
        let mask = bit_mask(bit);
        let new = if value { old | mask } else { old & !mask };
        self.send_registers(conn, unit, address, &[new]).await?;
        self.read_back_bit(conn, unit, address, bit, value).await
    }

    /// FC3 read of the register of a bit just written; only that bit must match.
    async fn read_back_bit(
        &self,
        conn: &mut Connection,
        unit: u8,
        address: u16,
        bit: u8,
        value: bool,
    ) -> Result<ReadData, WriteError> {
        let back = self
            .read_registers(conn, unit, address, 1)
            .await
            .map_err(WriteError::Field)?;
        let word = back.first().copied().unwrap_or(0);
        if (word & bit_mask(bit) != 0) == value {
            Ok(ReadData::Words(back))
        } else {
            // The point decodes its own bit out of the word.
            let wrote = if value { bit_mask(bit) } else { 0 };
            Err(WriteError::Differs {
                wrote: ReadData::Words(vec![wrote]),
                held: ReadData::Words(back),
                echo: false,
            })
        }
    }
}

/// FC22 Mask Write Register (§6.16): result = (current AND and_mask) OR (or_mask AND NOT and_mask),
/// so clearing the one bit in `and_mask` and setting it in `or_mask` writes that bit only.
async fn mask_write(
    conn: &mut Connection,
    unit: u8,
    address: u16,
    bit: u8,
    value: bool,
    deadline: Instant,
) -> Result<(), Error> {
    let (and_mask, or_mask) = mask_write_masks(bit, value);
    match conn
        .call_write(
            unit,
            Request::MaskWriteRegister(address, and_mask, or_mask),
            deadline,
        )
        .await?
    {
        Response::MaskWriteRegister(a, and, or)
            if a == address && and == and_mask && or == or_mask =>
        {
            Ok(())
        }
        other => Err(unexpected_error("fc22", other)),
    }
}

/// The AND and OR masks of FC22 that set `bit` to `value` and keep every other bit (§6.16).
pub fn mask_write_masks(bit: u8, value: bool) -> (u16, u16) {
    let mask = bit_mask(bit);
    (!mask, if value { mask } else { 0 })
}

fn bit_mask(bit: u8) -> u16 {
    1u16.checked_shl(u32::from(bit)).unwrap_or(0)
}

/// An answer in words: `fc6 register 7 = 5`, `fc16 3 registers from 100`.
fn described(answer: &Response) -> String {
    match answer {
        Response::WriteSingleCoil(a, v) => format!("fc5 coil {a} = {v}"),
        Response::WriteSingleRegister(a, w) => format!("fc6 register {a} = {w}"),
        Response::WriteMultipleCoils(a, n) => format!("fc15 {n} coils from {a}"),
        Response::WriteMultipleRegisters(a, n) => format!("fc16 {n} registers from {a}"),
        Response::MaskWriteRegister(a, and, or) => {
            format!("fc22 register {a} and {and:#06x} or {or:#06x}")
        }
        Response::ReadHoldingRegisters(w) => format!("fc3 with {} registers", w.len()),
        Response::ReadCoils(b) => format!("fc1 with {} bits", b.len()),
        other => format!("function {}", other.function_code().value()),
    }
}

fn unexpected_error(function: &'static str, answer: Response) -> Error {
    Error::UnexpectedAnswer {
        function,
        answer: described(&answer),
    }
}

fn unexpected(function: &'static str, answer: Response) -> WriteError {
    WriteError::Field(unexpected_error(function, answer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fc22_masks_change_only_the_commanded_bit() {
        // §6.16: result = (current AND and) OR (or AND NOT and).
        let apply = |current: u16, (and, or): (u16, u16)| (current & and) | (or & !and);
        for bit in 0..16u8 {
            for current in [0x0000u16, 0xFFFF, 0xA5A5, 0x5A5A] {
                let set = apply(current, mask_write_masks(bit, true));
                let clear = apply(current, mask_write_masks(bit, false));
                assert_eq!(set, current | (1 << bit), "set bit {bit} of {current:#06x}");
                assert_eq!(
                    clear,
                    current & !(1 << bit),
                    "clear bit {bit} of {current:#06x}"
                );
            }
        }
    }

    #[test]
    fn a_mismatch_reads_in_the_points_values() {
        use fieldbridge_core::config::{ModbusType, RegisterRef};
        let register = |table, bit| RegisterRef {
            table,
            address: 7,
            bit,
        };
        let scaled = ModbusPoint {
            scale: 0.5,
            ..ModbusPoint::new("p", register(ModbusTable::Holding, None), ModbusType::U16)
        };
        let bit = ModbusPoint::new(
            "b",
            register(ModbusTable::Holding, Some(3)),
            ModbusType::Bool,
        );
        let coil = ModbusPoint::new("c", register(ModbusTable::Coil, None), ModbusType::Bool);
        let reason = |point: &ModbusPoint, wrote, held, echo| match (WriteError::Differs {
            wrote,
            held,
            echo,
        })
        .in_terms_of(point)
        {
            WriteError::Mismatch(r) => r,
            other => panic!("{other:?}"),
        };
        let words = |w: &[u16]| ReadData::Words(w.to_vec());
        let u16 = ModbusPoint::new("u", register(ModbusTable::Holding, None), ModbusType::U16);
        assert_eq!(
            reason(&u16, words(&[5000]), words(&[1000]), false),
            "mismatch: wrote 5000, device holds 1000"
        );
        assert_eq!(
            reason(&scaled, words(&[5000]), words(&[1000]), true),
            "mismatch: wrote 2500, device echoed 500"
        );
        assert_eq!(
            reason(&bit, words(&[0x0008]), words(&[0x00F0]), false),
            "mismatch: wrote true, device holds false"
        );
        assert_eq!(
            reason(
                &coil,
                ReadData::Bits(vec![true]),
                ReadData::Bits(vec![false]),
                false
            ),
            "mismatch: wrote true, device holds false"
        );
    }
}
