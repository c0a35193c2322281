//! The simulator's register map: zero-based wire addresses (as Wireshark shows them; holding
//! register `100` is "40101") and the constants stored at the static addresses.
//!
//! `HR_` = holding register, `IR_` = input register, `CO_` = coil, `DI_` = discrete input.
//! Constants for one value per word order are the address of the `abcd` copy; the `cdab`, `badc`
//! and `dcba` copies follow at the stride given by the matching `_STRIDE` constant, in that order
//! (see [`WordOrder::ALL`](crate::WordOrder::ALL)). `adapters/sim/README.md` shows the same map as
//! a table.

// ---- animated holding registers (a tick is `SimConfig::tick`, 1 s by default; t = ticks x tick)

/// `u16` ramp: `ticks % 1001`, i.e. 0, 1, ..., 1000, 0, ...
pub const HR_RAMP_U16: u16 = 0;
/// `i16` sine: `round(1000 * sin(2 pi t / 60 s))`.
pub const HR_SINE_I16: u16 = 1;
/// `u32` counter (`abcd`, 2 registers): `65_530 + ticks`, so the high word changes on tick 6.
pub const HR_COUNTER_U32: u16 = 2;
/// `i32` down-counter (`abcd`, 2 registers): `-65_530 - ticks`.
pub const HR_COUNTER_I32: u16 = 4;
/// `u64` counter (`abcd`, 4 registers): `4_294_967_290 + ticks` (crosses 2^32 on tick 6).
pub const HR_COUNTER_U64: u16 = 6;
/// `i64` down-counter (`abcd`, 4 registers): `-4_294_967_290 - ticks`.
pub const HR_COUNTER_I64: u16 = 10;
/// `f32` sine `100 * sin(2 pi t / 60 s)`, `abcd` copy; `cdab` at 22, `badc` at 24, `dcba` at 26.
pub const HR_SINE_F32: u16 = 20;
/// Distance between the word-order copies of the `f32` values.
pub const F32_STRIDE: u16 = 2;
/// `f64` sine `100 * sin(2 pi t / 60 s)`, `abcd` copy; `cdab` at 34, `badc` at 38, `dcba` at 42.
pub const HR_SINE_F64: u16 = 30;
/// Distance between the word-order copies of the 64-bit values.
pub const F64_STRIDE: u16 = 4;
/// Status word: bit 0 always set ("running"), bit 3 toggles every tick (set on odd ticks).
pub const HR_STATUS: u16 = 50;
/// The bit of [`HR_STATUS`] that toggles.
pub const HR_STATUS_TOGGLE_BIT: u8 = 3;

// ---- static holding registers

/// `u16` constant [`U16_VALUE`].
pub const HR_U16: u16 = 100;
/// `i16` constant [`I16_VALUE`].
pub const HR_I16: u16 = 101;
/// `u32` constant [`U32_VALUE`] (`abcd`).
pub const HR_U32: u16 = 102;
/// `i32` constant [`I32_VALUE`] (`abcd`).
pub const HR_I32: u16 = 104;
/// `u64` constant [`U64_VALUE`] (`abcd`).
pub const HR_U64: u16 = 106;
/// `i64` constant [`I64_VALUE`] (`abcd`).
pub const HR_I64: u16 = 110;
/// `f32` constant [`F32_VALUE`], `abcd` copy; `cdab` at 122, `badc` at 124, `dcba` at 126.
pub const HR_F32: u16 = 120;
/// `f64` constant [`F64_VALUE`], `abcd` copy; `cdab` at 134, `badc` at 138, `dcba` at 142.
pub const HR_F64: u16 = 130;
/// The string [`STRING_VALUE`], [`STRING_REGISTERS`] registers, two characters per register,
/// high byte first, NUL padded.
pub const HR_STRING: u16 = 150;
/// `u32` constant [`U32_VALUE`] in each word order: `abcd` at 160, `cdab` 162, `badc` 164, `dcba` 166.
pub const HR_U32_ORDERS: u16 = 160;
/// `u64` constant [`U64_VALUE`] in each word order: `abcd` at 170, `cdab` 174, `badc` 178, `dcba` 182.
pub const HR_U64_ORDERS: u16 = 170;
/// The unit id this model answers for. When one model serves every unit id
/// ([`UnitIds::Any`](crate::UnitIds::Any)) a read returns the unit id the request was addressed to.
pub const HR_UNIT_ID: u16 = 190;
/// First register of the free scratch area (all zero at start, never animated): 200..=299.
pub const HR_SCRATCH: u16 = 200;
/// Number of registers in the scratch area.
pub const HR_SCRATCH_LEN: u16 = 100;

// ---- input registers

/// Temperature-like `f32` (`abcd`): `20 + 5 * sin(2 pi t / 120 s)`, in degrees Celsius.
pub const IR_TEMPERATURE_F32: u16 = 0;
/// The same temperature as `i16` in tenths of a degree (`round(10 * temperature)`).
pub const IR_TEMPERATURE_X10_I16: u16 = 2;
/// Tick counter, low 16 bits (`u16`).
pub const IR_TICKS_U16: u16 = 3;
/// `u16` constant [`IR_U16_VALUE`].
pub const IR_U16: u16 = 100;
/// `f32` constant [`F32_VALUE`] (`abcd`).
pub const IR_F32: u16 = 101;
/// `i16` constant [`I16_VALUE`].
pub const IR_I16: u16 = 103;

// ---- coils and discrete inputs

/// Coils 0..=7 show the tick counter in binary: coil `i` is bit `i` of `ticks`, so coil 0 toggles
/// every tick, coil 1 every second tick, and so on.
pub const CO_PATTERN: u16 = 0;
/// Number of pattern coils (and of walking discrete inputs).
pub const PATTERN_LEN: u16 = 8;
/// Static coil, always `true` at start.
pub const CO_STATIC_TRUE: u16 = 10;
/// Static coil, always `false` at start.
pub const CO_STATIC_FALSE: u16 = 11;
/// Second static coil that is `true` at start.
pub const CO_STATIC_TRUE_2: u16 = 12;
/// First coil of the free scratch area (all false, never animated): 100..=199.
pub const CO_SCRATCH: u16 = 100;
/// Discrete inputs 0..=7: a walking one, input `ticks % 8` is on, the others off.
pub const DI_WALK: u16 = 0;
/// Static discrete input, `true`.
pub const DI_STATIC_TRUE: u16 = 10;
/// Static discrete input, `false`.
pub const DI_STATIC_FALSE: u16 = 11;
/// Second static discrete input that is `true`.
pub const DI_STATIC_TRUE_2: u16 = 12;

// ---- the static constants

/// Stored at [`HR_U16`].
pub const U16_VALUE: u16 = 12345;
/// Stored at [`HR_I16`] and [`IR_I16`].
pub const I16_VALUE: i16 = -1234;
/// Stored at [`HR_U32`] and [`HR_U32_ORDERS`] (`0x12345678`).
pub const U32_VALUE: u32 = 305_419_896;
/// Stored at [`HR_I32`].
pub const I32_VALUE: i32 = -123_456_789;
/// Stored at [`HR_U64`] and [`HR_U64_ORDERS`].
pub const U64_VALUE: u64 = 1_234_567_890_123;
/// Stored at [`HR_I64`].
pub const I64_VALUE: i64 = -1_234_567_890_123;
/// Stored at [`HR_F32`] (all orders) and [`IR_F32`].
pub const F32_VALUE: f32 = 3.25;
/// Stored at [`HR_F64`] (all orders).
pub const F64_VALUE: f64 = -2.5;
/// Stored at [`HR_STRING`].
pub const STRING_VALUE: &str = "FIELDBRIDGE-SIM";
/// Registers reserved for [`STRING_VALUE`] (16 bytes: 15 characters and one NUL).
pub const STRING_REGISTERS: u16 = 8;
/// Stored at [`IR_U16`].
pub const IR_U16_VALUE: u16 = 54321;
