//! The meter's clock and its profile: captures on period boundaries, clock SETs both ways,
//! jumps of the host's time, all with bounded work.

use super::*;

const YEAR: i64 = 365 * 86_400;

fn set_clock(meter: &mut Meter, seconds: i64) {
    let encoded = clock(seconds).to_vec();
    let value = DataRef::decode_all(&encoded).expect("data");
    meter
        .set(&AttributeDescriptor::new(8, CLOCK, 2), value)
        .expect("the clock is writable");
}

/// The profile's capture times, oldest first.
fn capture_times(meter: &Meter) -> Vec<i64> {
    let Ok(Data::Array(rows)) = meter.get(&AttributeDescriptor::new(7, PROFILE, 2), None) else {
        panic!("buffer")
    };
    rows.iter()
        .map(|row| {
            let Data::Structure(columns) = row else {
                panic!("row")
            };
            let Data::OctetString(t) = &columns[0] else {
                panic!("clock column")
            };
            let t: [u8; 12] = t.as_slice().try_into().expect("12 octets");
            DateTime::from_bytes(t).to_utc().expect("valid").seconds
        })
        .collect()
}

fn import(meter: &Meter) -> Data {
    meter
        .get(&AttributeDescriptor::new(3, ENERGY_IMPORT, 2), None)
        .expect("import")
}

#[test]
fn captures_fall_on_multiples_of_the_period_whatever_the_start() {
    let mut meter = Meter::new("M", START + 7, 900);
    meter.advance(START + 1800);
    assert_eq!(capture_times(&meter), [START + 900, START + 1800]);
}

#[test]
fn a_clock_set_back_a_year_keeps_its_offset_and_captures_from_the_new_time_on() {
    let mut meter = Meter::new("M", START, 60);
    meter.advance(START + 300);
    assert_eq!(meter.entries(), 5);
    let back = START - YEAR;
    set_clock(&mut meter, back);
    assert_eq!(meter.now(), back);
    meter.advance(START + 420);
    assert_eq!(meter.now(), back + 120, "the clock stays where it was set");
    assert_eq!(meter.offset(), back - (START + 300));
    // No entries for the year lived again: the five before, then two from the new time on.
    let times = capture_times(&meter);
    assert_eq!(times.len(), 7);
    assert_eq!(times[4..], [START + 300, back + 60, back + 120]);
    let Ok(Data::OctetString(now)) = meter.get(&AttributeDescriptor::new(8, CLOCK, 2), None) else {
        panic!("clock")
    };
    assert_eq!(Data::OctetString(now), clock(back + 120));
}

#[test]
fn a_clock_set_forwards_a_year_skips_the_gap_without_an_entry_for_it() {
    // A one-second period: a year of entries would be 31 million captures.
    let mut meter = Meter::new("M", START, 1);
    meter.advance(START + 5);
    let ahead = START + YEAR;
    set_clock(&mut meter, ahead);
    meter.advance(START + 8);
    assert_eq!(meter.now(), ahead + 3);
    let times = capture_times(&meter);
    assert_eq!(times.len(), 8);
    assert_eq!(times[4..], [START + 5, ahead + 1, ahead + 2, ahead + 3]);
}

#[test]
fn setting_the_clock_leaves_the_energy_registers_growing_with_real_time() {
    let mut meter = Meter::new("M", START, 900);
    meter.advance(START + 4000);
    assert_eq!(import(&meter), Data::DoubleLongUnsigned(1_001_000));
    set_clock(&mut meter, START - YEAR);
    assert_eq!(import(&meter), Data::DoubleLongUnsigned(1_001_000));
    meter.advance(START + 4400);
    assert_eq!(import(&meter), Data::DoubleLongUnsigned(1_001_100));
}

#[test]
fn a_jump_of_the_host_time_by_a_year_keeps_only_the_newest_buffer_full() {
    let mut meter = Meter::new("M", START, 1);
    meter.advance(START + 3);
    meter.advance(START + YEAR);
    let times = capture_times(&meter);
    assert_eq!(times.len(), PROFILE_ENTRIES as usize);
    assert_eq!(
        times.first(),
        Some(&(START + YEAR - i64::from(PROFILE_ENTRIES) + 1))
    );
    assert_eq!(times.last(), Some(&(START + YEAR)));
    assert!(times.windows(2).all(|w| w[1] == w[0] + 1));
}
