//! The data model of one simulated Modbus unit and the word-order helpers that put typed values into
//! 16-bit registers.

use crate::SimError;

/// Number of entries in each of the four tables: addresses `0..=999` are valid, `1000` and above
/// answer exception 2 (ILLEGAL DATA ADDRESS).
pub const TABLE_SIZE: u16 = 1000;

/// One of the four Modbus data tables: the codec's definition.
pub use fieldbridge_modbus::model::Table;

/// The order of the bytes of a multi-register value on the wire: the codec's definition, the same
/// one the bridge reads with.
pub use fieldbridge_modbus::WordOrder;

/// Turns the big-endian bytes of a value (an even number of them) into registers in `order`.
pub fn bytes_to_words(be_bytes: &[u8], order: WordOrder) -> Vec<u16> {
    let mut words: Vec<u16> = be_bytes
        .chunks(2)
        .map(|c| u16::from_be_bytes([c[0], c.get(1).copied().unwrap_or(0)]))
        .collect();
    if order.swaps_bytes() {
        words.iter_mut().for_each(|w| *w = w.swap_bytes());
    }
    if order.reverses_registers() {
        words.reverse();
    }
    words
}

/// The inverse of [`bytes_to_words`]: the big-endian bytes of the value held in `words`.
pub fn words_to_bytes(words: &[u16], order: WordOrder) -> Vec<u8> {
    let mut words = words.to_vec();
    if order.reverses_registers() {
        words.reverse();
    }
    if order.swaps_bytes() {
        words.iter_mut().for_each(|w| *w = w.swap_bytes());
    }
    words.iter().flat_map(|w| w.to_be_bytes()).collect()
}

/// A numeric type that occupies a fixed number of registers.
pub trait RegisterValue: Sized + Copy {
    /// Number of 16-bit registers the value occupies.
    const WORDS: u16;

    /// Encodes the value into [`Self::WORDS`] registers in `order`.
    fn to_words(self, order: WordOrder) -> Vec<u16>;

    /// Decodes a value from exactly [`Self::WORDS`] registers in `order`.
    fn from_words(words: &[u16], order: WordOrder) -> Self;
}

macro_rules! register_value {
    ($($t:ty => $n:expr),* $(,)?) => {$(
        impl RegisterValue for $t {
            const WORDS: u16 = $n;

            fn to_words(self, order: WordOrder) -> Vec<u16> {
                bytes_to_words(&self.to_be_bytes(), order)
            }

            fn from_words(words: &[u16], order: WordOrder) -> Self {
                let mut bytes = [0u8; $n * 2];
                bytes.copy_from_slice(&words_to_bytes(words, order));
                <$t>::from_be_bytes(bytes)
            }
        }
    )*};
}

register_value!(u16 => 1, i16 => 1, u32 => 2, i32 => 2, f32 => 2, u64 => 4, i64 => 4, f64 => 4);

/// The four tables of one simulated unit. Every table has [`TABLE_SIZE`] entries.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    coils: Vec<bool>,
    discrete_inputs: Vec<bool>,
    input_registers: Vec<u16>,
    holding_registers: Vec<u16>,
}

impl Default for Model {
    fn default() -> Self {
        Self::empty()
    }
}

fn range(table: Table, address: u16, count: u16) -> Result<std::ops::Range<usize>, SimError> {
    let start = usize::from(address);
    let end = start + usize::from(count);
    if end > usize::from(TABLE_SIZE) {
        return Err(SimError::OutOfRange {
            table,
            address,
            count,
        });
    }
    Ok(start..end)
}

fn count_of(table: Table, address: u16, len: usize) -> Result<u16, SimError> {
    u16::try_from(len).map_err(|_| SimError::OutOfRange {
        table,
        address,
        count: u16::MAX,
    })
}

impl Model {
    /// A model with every bit false and every register zero (no simulator content).
    pub fn empty() -> Self {
        let n = usize::from(TABLE_SIZE);
        Self {
            coils: vec![false; n],
            discrete_inputs: vec![false; n],
            input_registers: vec![0; n],
            holding_registers: vec![0; n],
        }
    }

    /// All coils, indexed by address.
    pub fn coils(&self) -> &[bool] {
        &self.coils
    }

    /// All coils, mutable.
    pub fn coils_mut(&mut self) -> &mut [bool] {
        &mut self.coils
    }

    /// All discrete inputs, indexed by address.
    pub fn discrete_inputs(&self) -> &[bool] {
        &self.discrete_inputs
    }

    /// All discrete inputs, mutable (Modbus clients cannot write them; tests can).
    pub fn discrete_inputs_mut(&mut self) -> &mut [bool] {
        &mut self.discrete_inputs
    }

    /// All input registers, indexed by address.
    pub fn input_registers(&self) -> &[u16] {
        &self.input_registers
    }

    /// All input registers, mutable (Modbus clients cannot write them; tests can).
    pub fn input_registers_mut(&mut self) -> &mut [u16] {
        &mut self.input_registers
    }

    /// All holding registers, indexed by address.
    pub fn holding_registers(&self) -> &[u16] {
        &self.holding_registers
    }

    /// All holding registers, mutable.
    pub fn holding_registers_mut(&mut self) -> &mut [u16] {
        &mut self.holding_registers
    }

    fn bit_table(&self, table: Table) -> Result<&Vec<bool>, SimError> {
        match table {
            Table::Coils => Ok(&self.coils),
            Table::DiscreteInputs => Ok(&self.discrete_inputs),
            _ => Err(SimError::WrongTable(table)),
        }
    }

    fn bit_table_mut(&mut self, table: Table) -> Result<&mut Vec<bool>, SimError> {
        match table {
            Table::Coils => Ok(&mut self.coils),
            Table::DiscreteInputs => Ok(&mut self.discrete_inputs),
            _ => Err(SimError::WrongTable(table)),
        }
    }

    fn word_table(&self, table: Table) -> Result<&Vec<u16>, SimError> {
        match table {
            Table::InputRegisters => Ok(&self.input_registers),
            Table::HoldingRegisters => Ok(&self.holding_registers),
            _ => Err(SimError::WrongTable(table)),
        }
    }

    fn word_table_mut(&mut self, table: Table) -> Result<&mut Vec<u16>, SimError> {
        match table {
            Table::InputRegisters => Ok(&mut self.input_registers),
            Table::HoldingRegisters => Ok(&mut self.holding_registers),
            _ => Err(SimError::WrongTable(table)),
        }
    }

    /// Reads `count` bits from a bit table (coils or discrete inputs).
    pub fn bits(&self, table: Table, address: u16, count: u16) -> Result<&[bool], SimError> {
        let r = range(table, address, count)?;
        Ok(&self.bit_table(table)?[r])
    }

    /// Writes consecutive bits into a bit table starting at `address`.
    pub fn set_bits(&mut self, table: Table, address: u16, bits: &[bool]) -> Result<(), SimError> {
        let r = range(table, address, count_of(table, address, bits.len())?)?;
        self.bit_table_mut(table)?[r].copy_from_slice(bits);
        Ok(())
    }

    /// Reads `count` registers from a register table (input or holding registers).
    pub fn words(&self, table: Table, address: u16, count: u16) -> Result<&[u16], SimError> {
        let r = range(table, address, count)?;
        Ok(&self.word_table(table)?[r])
    }

    /// Writes consecutive registers into a register table starting at `address`.
    pub fn set_words(&mut self, table: Table, address: u16, words: &[u16]) -> Result<(), SimError> {
        let r = range(table, address, count_of(table, address, words.len())?)?;
        self.word_table_mut(table)?[r].copy_from_slice(words);
        Ok(())
    }

    /// Reads a typed value (`u16`, `i16`, `u32`, `i32`, `f32`, `u64`, `i64`, `f64`) stored in
    /// `order` at `address` of a register table.
    pub fn get<T: RegisterValue>(
        &self,
        table: Table,
        address: u16,
        order: WordOrder,
    ) -> Result<T, SimError> {
        Ok(T::from_words(self.words(table, address, T::WORDS)?, order))
    }

    /// Stores a typed value in `order` at `address` of a register table.
    pub fn set<T: RegisterValue>(
        &mut self,
        table: Table,
        address: u16,
        value: T,
        order: WordOrder,
    ) -> Result<(), SimError> {
        self.set_words(table, address, &value.to_words(order))
    }

    /// Stores `text` as ASCII, two characters per register (high byte first), NUL-padded to
    /// `registers` registers. Longer text is cut.
    pub fn set_string(
        &mut self,
        table: Table,
        address: u16,
        text: &str,
        registers: u16,
    ) -> Result<(), SimError> {
        let mut bytes = text.as_bytes().to_vec();
        bytes.resize(usize::from(registers) * 2, 0);
        self.set_words(table, address, &bytes_to_words(&bytes, WordOrder::Abcd))
    }

    /// Reads a string stored by [`Self::set_string`], without the trailing NUL padding.
    pub fn get_string(
        &self,
        table: Table,
        address: u16,
        registers: u16,
    ) -> Result<String, SimError> {
        let mut bytes = words_to_bytes(self.words(table, address, registers)?, WordOrder::Abcd);
        while bytes.last() == Some(&0) {
            bytes.pop();
        }
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_orders_32() {
        let v = 0xAABB_CCDDu32;
        assert_eq!(v.to_words(WordOrder::Abcd), [0xAABB, 0xCCDD]);
        assert_eq!(v.to_words(WordOrder::Cdab), [0xCCDD, 0xAABB]);
        assert_eq!(v.to_words(WordOrder::Badc), [0xBBAA, 0xDDCC]);
        assert_eq!(v.to_words(WordOrder::Dcba), [0xDDCC, 0xBBAA]);
        for o in WordOrder::ALL {
            assert_eq!(u32::from_words(&v.to_words(o), o), v);
        }
    }

    #[test]
    fn word_orders_64() {
        let v = 0x1122_3344_5566_7788u64;
        assert_eq!(
            v.to_words(WordOrder::Abcd),
            [0x1122, 0x3344, 0x5566, 0x7788]
        );
        assert_eq!(
            v.to_words(WordOrder::Cdab),
            [0x7788, 0x5566, 0x3344, 0x1122]
        );
        assert_eq!(
            v.to_words(WordOrder::Badc),
            [0x2211, 0x4433, 0x6655, 0x8877]
        );
        assert_eq!(
            v.to_words(WordOrder::Dcba),
            [0x8877, 0x6655, 0x4433, 0x2211]
        );
        assert_eq!(v.to_le_bytes().to_vec(), {
            let w = v.to_words(WordOrder::Dcba);
            w.iter().flat_map(|w| w.to_be_bytes()).collect::<Vec<_>>()
        });
        for o in WordOrder::ALL {
            assert_eq!(f64::from_words(&(-2.5f64).to_words(o), o), -2.5);
        }
    }

    #[test]
    fn strings_and_ranges() {
        let mut m = Model::empty();
        m.set_string(Table::HoldingRegisters, 10, "ABC", 2).unwrap();
        assert_eq!(
            m.words(Table::HoldingRegisters, 10, 2).unwrap(),
            [0x4142, 0x4300]
        );
        assert_eq!(m.get_string(Table::HoldingRegisters, 10, 2).unwrap(), "ABC");
        assert!(m.words(Table::HoldingRegisters, 999, 2).is_err());
        assert!(m.words(Table::HoldingRegisters, 999, 1).is_ok());
        assert!(m.bits(Table::HoldingRegisters, 0, 1).is_err());
    }
}
