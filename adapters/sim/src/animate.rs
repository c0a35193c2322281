//! Filling a [`Model`] with the simulator's static content and animating it tick by tick, following
//! the addresses in [`crate::map`].

use std::{f64::consts::TAU, time::Duration};

use crate::{
    map::*,
    model::{Model, Table, WordOrder},
};

const HR: Table = Table::HoldingRegisters;
const IR: Table = Table::InputRegisters;

/// `amplitude * sin(2 pi t / period)`.
fn sine(t: f64, period_s: f64, amplitude: f64) -> f64 {
    amplitude * (TAU * t / period_s).sin()
}

impl Model {
    /// A model holding the simulator content of [`crate::map`] at tick 0; `unit_id` is stored at
    /// [`HR_UNIT_ID`].
    pub fn simulated(unit_id: u8) -> Self {
        let mut m = Self::empty();
        m.write_static(unit_id);
        m.animate(0, Duration::from_secs(1));
        m
    }

    /// Writes the static constants of [`crate::map`] (overwriting anything a client wrote there).
    pub fn write_static(&mut self, unit_id: u8) {
        // Every address below is a compile-time constant inside the table, so these cannot fail.
        let put = |m: &mut Self| -> Result<(), crate::SimError> {
            m.set(HR, HR_U16, U16_VALUE, WordOrder::Abcd)?;
            m.set(HR, HR_I16, I16_VALUE, WordOrder::Abcd)?;
            m.set(HR, HR_U32, U32_VALUE, WordOrder::Abcd)?;
            m.set(HR, HR_I32, I32_VALUE, WordOrder::Abcd)?;
            m.set(HR, HR_U64, U64_VALUE, WordOrder::Abcd)?;
            m.set(HR, HR_I64, I64_VALUE, WordOrder::Abcd)?;
            for (i, order) in (0u16..).zip(WordOrder::ALL) {
                m.set(HR, HR_F32 + i * F32_STRIDE, F32_VALUE, order)?;
                m.set(HR, HR_F64 + i * F64_STRIDE, F64_VALUE, order)?;
                m.set(HR, HR_U32_ORDERS + i * F32_STRIDE, U32_VALUE, order)?;
                m.set(HR, HR_U64_ORDERS + i * F64_STRIDE, U64_VALUE, order)?;
            }
            m.set_string(HR, HR_STRING, STRING_VALUE, STRING_REGISTERS)?;
            m.set(HR, HR_UNIT_ID, u16::from(unit_id), WordOrder::Abcd)?;
            m.set(IR, IR_U16, IR_U16_VALUE, WordOrder::Abcd)?;
            m.set(IR, IR_F32, F32_VALUE, WordOrder::Abcd)?;
            m.set(IR, IR_I16, I16_VALUE, WordOrder::Abcd)?;
            m.set_bits(
                Table::Coils,
                CO_STATIC_TRUE,
                &[true, false, true], // 10, 11, 12
            )?;
            m.set_bits(Table::DiscreteInputs, DI_STATIC_TRUE, &[true, false, true])?;
            Ok(())
        };
        put(self).expect("static simulator map fits the tables");
    }

    /// Sets every animated value to its state after `ticks` ticks of length `tick`
    /// (time `t = ticks * tick`). Static values and the scratch areas are left alone.
    pub fn animate(&mut self, ticks: u64, tick: Duration) {
        let t = ticks as f64 * tick.as_secs_f64();
        let sine60 = sine(t, 60.0, 100.0);
        let temperature = 20.0 + sine(t, 120.0, 5.0);
        let put = |m: &mut Self| -> Result<(), crate::SimError> {
            // `as` casts below wrap on purpose: the counters roll over like a PLC's would.
            m.set(HR, HR_RAMP_U16, (ticks % 1001) as u16, WordOrder::Abcd)?;
            let sine_i16 = sine(t, 60.0, 1000.0).round() as i16;
            m.set(HR, HR_SINE_I16, sine_i16, WordOrder::Abcd)?;
            let counter = 65_530u64.wrapping_add(ticks);
            m.set(HR, HR_COUNTER_U32, counter as u32, WordOrder::Abcd)?;
            m.set(
                HR,
                HR_COUNTER_I32,
                (counter as i32).wrapping_neg(),
                WordOrder::Abcd,
            )?;
            let big = 4_294_967_290u64.wrapping_add(ticks);
            m.set(HR, HR_COUNTER_U64, big, WordOrder::Abcd)?;
            m.set(
                HR,
                HR_COUNTER_I64,
                (big as i64).wrapping_neg(),
                WordOrder::Abcd,
            )?;
            for (i, order) in (0u16..).zip(WordOrder::ALL) {
                m.set(HR, HR_SINE_F32 + i * F32_STRIDE, sine60 as f32, order)?;
                m.set(HR, HR_SINE_F64 + i * F64_STRIDE, sine60, order)?;
            }
            let toggle = u16::from(ticks % 2 == 1) << HR_STATUS_TOGGLE_BIT;
            m.set(HR, HR_STATUS, 0x0001 | toggle, WordOrder::Abcd)?;

            m.set(IR, IR_TEMPERATURE_F32, temperature as f32, WordOrder::Abcd)?;
            let x10 = (temperature * 10.0).round() as i16;
            m.set(IR, IR_TEMPERATURE_X10_I16, x10, WordOrder::Abcd)?;
            m.set(IR, IR_TICKS_U16, ticks as u16, WordOrder::Abcd)?;

            let pattern: Vec<bool> = (0..PATTERN_LEN).map(|i| (ticks >> i) & 1 == 1).collect();
            m.set_bits(Table::Coils, CO_PATTERN, &pattern)?;
            let walk: Vec<bool> = (0..PATTERN_LEN)
                .map(|i| ticks % u64::from(PATTERN_LEN) == u64::from(i))
                .collect();
            m.set_bits(Table::DiscreteInputs, DI_WALK, &walk)?;
            Ok(())
        };
        put(self).expect("animated simulator map fits the tables");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_content() {
        let m = Model::simulated(7);
        assert_eq!(m.get::<u16>(HR, HR_U16, WordOrder::Abcd).unwrap(), 12345);
        assert_eq!(m.get::<i16>(HR, HR_I16, WordOrder::Abcd).unwrap(), -1234);
        assert_eq!(
            m.words(HR, HR_U32_ORDERS, 8).unwrap(),
            [0x1234, 0x5678, 0x5678, 0x1234, 0x3412, 0x7856, 0x7856, 0x3412]
        );
        assert_eq!(m.get::<u16>(HR, HR_UNIT_ID, WordOrder::Abcd).unwrap(), 7);
        assert_eq!(
            m.get_string(HR, HR_STRING, STRING_REGISTERS).unwrap(),
            STRING_VALUE
        );
        // f32 3.25 = 0x40500000
        assert_eq!(m.words(HR, HR_F32, 2).unwrap(), [0x4050, 0x0000]);
        assert_eq!(m.words(HR, HR_F32 + 2, 2).unwrap(), [0x0000, 0x4050]);
        assert_eq!(m.words(HR, HR_F32 + 4, 2).unwrap(), [0x5040, 0x0000]);
        assert_eq!(m.words(HR, HR_F32 + 6, 2).unwrap(), [0x0000, 0x5040]);
        assert_eq!(m.coils()[10..13], [true, false, true]);
    }

    #[test]
    fn animation() {
        let mut m = Model::simulated(1);
        let tick = Duration::from_secs(1);
        m.animate(15, tick);
        assert_eq!(m.get::<u16>(HR, HR_RAMP_U16, WordOrder::Abcd).unwrap(), 15);
        // t = 15 s is a quarter period of the 60 s sine.
        assert_eq!(
            m.get::<i16>(HR, HR_SINE_I16, WordOrder::Abcd).unwrap(),
            1000
        );
        for (i, o) in (0u16..).zip(WordOrder::ALL) {
            let f = m.get::<f32>(HR, HR_SINE_F32 + i * 2, o).unwrap();
            assert!((f - 100.0).abs() < 1e-4, "{o}: {f}");
            let d = m.get::<f64>(HR, HR_SINE_F64 + i * 4, o).unwrap();
            assert!((d - 100.0).abs() < 1e-9, "{o}: {d}");
        }
        assert_eq!(
            m.get::<u32>(HR, HR_COUNTER_U32, WordOrder::Abcd).unwrap(),
            65_545
        );
        assert_eq!(
            m.get::<i32>(HR, HR_COUNTER_I32, WordOrder::Abcd).unwrap(),
            -65_545
        );
        assert_eq!(
            m.get::<u64>(HR, HR_COUNTER_U64, WordOrder::Abcd).unwrap(),
            4_294_967_305
        );
        assert_eq!(
            m.get::<i64>(HR, HR_COUNTER_I64, WordOrder::Abcd).unwrap(),
            -4_294_967_305
        );
        assert_eq!(m.holding_registers()[usize::from(HR_STATUS)], 0x0009);
        assert_eq!(
            m.coils()[..8],
            [true, true, true, true, false, false, false, false]
        );
        assert_eq!(
            m.discrete_inputs()[..8],
            [false, false, false, false, false, false, false, true]
        );
        m.animate(1001, tick);
        assert_eq!(m.get::<u16>(HR, HR_RAMP_U16, WordOrder::Abcd).unwrap(), 0);
        assert_eq!(m.holding_registers()[usize::from(HR_STATUS)], 0x0009);
        m.animate(1002, tick);
        assert_eq!(m.get::<u16>(HR, HR_RAMP_U16, WordOrder::Abcd).unwrap(), 1);
        assert_eq!(m.holding_registers()[usize::from(HR_STATUS)], 0x0001);
        // t = 30 s: temperature at a quarter of its 120 s period.
        m.animate(30, tick);
        let temp = m
            .get::<f32>(IR, IR_TEMPERATURE_F32, WordOrder::Abcd)
            .unwrap();
        assert!((temp - 25.0).abs() < 1e-4);
        assert_eq!(
            m.get::<i16>(IR, IR_TEMPERATURE_X10_I16, WordOrder::Abcd)
                .unwrap(),
            250
        );
    }
}
