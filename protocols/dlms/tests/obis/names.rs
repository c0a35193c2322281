use fieldbridge_dlms::obis::{ObisCode, Qualifier};

fn name(code: &str) -> Option<String> {
    code.parse::<ObisCode>()
        .unwrap()
        .name()
        .map(|n| n.to_string())
}

fn named(code: &str) -> String {
    name(code).unwrap_or_else(|| panic!("{code} has no name"))
}

#[test]
fn the_common_abstract_objects_are_named() {
    assert_eq!(named("0-0:1.0.0*255"), "clock");
    assert_eq!(named("0-0:42.0.0*255"), "COSEM logical device name");
    assert_eq!(named("0-0:40.0.0*255"), "current association");
    assert_eq!(named("0-0:40.0.2*255"), "association, instance 2");
    assert_eq!(named("0-0:41.0.0*255"), "SAP assignment");
    assert_eq!(named("0-0:43.0.0*255"), "security setup");
    assert_eq!(named("0-0:43.1.0*255"), "invocation counter");
    assert_eq!(named("0-0:43.1.3*255"), "invocation counter, instance 3");
    assert_eq!(named("0-0:96.3.10*255"), "disconnect control");
    assert_eq!(named("0-0:25.9.0*255"), "push setup");
    assert_eq!(named("0-0:44.0.0*255"), "image transfer");
    assert_eq!(named("1-0:0.2.0*255"), "active firmware identifier");
    assert_eq!(named("0-0:0.2.0*255"), "active firmware identifier");
    assert_eq!(named("0-0:97.97.0*255"), "error register");
    assert_eq!(named("0-0:97.98.0*255"), "alarm register");
    assert_eq!(named("0-0:97.98.10*255"), "alarm filter, instance 10");
    assert_eq!(named("0-0:99.98.1*255"), "event log, instance 1");
    assert_eq!(named("0-0:22.0.0*255"), "IEC HDLC setup");
    assert_eq!(named("0-0:25.0.0*255"), "TCP-UDP setup");
    assert_eq!(named("0-0:10.0.106*255"), "disconnect control script table");
    assert_eq!(named("0-0:15.0.0*255"), "single action schedule");
    assert_eq!(
        named("0-1:24.2.1*255"),
        "M-Bus value, instance 1, channel 1"
    );
}

#[test]
fn energy_registers_are_named_by_quantity_and_rate() {
    assert_eq!(named("1-0:1.8.0*255"), "active energy import (+A), total");
    assert_eq!(named("1-0:1.8.1*255"), "active energy import (+A), rate 1");
    assert_eq!(named("1-0:2.8.2*255"), "active energy export (-A), rate 2");
    assert_eq!(named("1-0:3.8.0*255"), "reactive energy import (+R), total");
    assert_eq!(named("1-0:4.8.0*255"), "reactive energy export (-R), total");
    assert_eq!(named("1-0:15.8.0*255"), "active energy |+A| + |-A|, total");
    assert_eq!(
        named("1-0:21.8.0*255"),
        "L1 active energy import (+A), total"
    );
    assert_eq!(
        named("1-0:1.9.0*255"),
        "active energy import (+A), time integral 2, total"
    );
    assert_eq!(
        named("1-0:1.8.0*3"),
        "active energy import (+A), total, billing period 3"
    );
}

#[test]
fn instantaneous_values_are_named_by_quantity_and_phase() {
    assert_eq!(named("1-0:32.7.0*255"), "L1 voltage, instantaneous value");
    assert_eq!(named("1-0:52.7.0*255"), "L2 voltage, instantaneous value");
    assert_eq!(named("1-0:72.7.0*255"), "L3 voltage, instantaneous value");
    assert_eq!(named("1-0:31.7.0*255"), "L1 current, instantaneous value");
    assert_eq!(named("1-0:71.7.0*255"), "L3 current, instantaneous value");
    assert_eq!(
        named("1-0:14.7.0*255"),
        "supply frequency, instantaneous value"
    );
    assert_eq!(named("1-0:13.7.0*255"), "power factor, instantaneous value");
    assert_eq!(
        named("1-0:1.7.0*255"),
        "active power import (+P), instantaneous value"
    );
    assert_eq!(
        named("1-0:12.7.0*255"),
        "voltage, any phase, instantaneous value"
    );
    assert_eq!(
        named("1-0:91.7.0*255"),
        "neutral current, instantaneous value"
    );
    assert_eq!(
        named("1-0:32.7.3*255"),
        "L1 voltage, instantaneous value, harmonic 3"
    );
}

#[test]
fn demand_registers_say_their_processing() {
    assert_eq!(
        named("1-0:1.6.0*255"),
        "active power import (+P), maximum 1 (maximum demand), total"
    );
    assert_eq!(
        named("1-0:1.4.0*255"),
        "active power import (+P), current average 1 (demand), total"
    );
    assert_eq!(
        named("1-0:9.5.1*255"),
        "apparent power import (+S), last average 1 (demand), rate 1"
    );
}

#[test]
fn load_profiles_and_logs_are_named() {
    assert_eq!(named("1-0:99.1.0*255"), "load profile 1");
    assert_eq!(named("1-0:99.2.0*255"), "load profile 2");
    assert_eq!(named("1-0:99.97.0*255"), "power failure event log");
    assert_eq!(named("1-0:98.1.0*255"), "data of billing period");
}

#[test]
fn the_parts_of_a_name_can_be_read_one_by_one() {
    let name = "1-0:52.7.0".parse::<ObisCode>().unwrap().name().unwrap();
    assert_eq!(name.phase(), Some("L2"));
    assert_eq!(name.quantity(), "voltage");
    assert_eq!(name.processing(), Some("instantaneous value"));
    assert_eq!(name.qualifier(), Qualifier::None);
    assert_eq!(name.channel(), None);
    assert_eq!(name.billing_period(), None);
    let name = ObisCode::ACTIVE_ENERGY_IMPORT.with_f(1).name().unwrap();
    assert_eq!(
        name.processing(),
        None,
        "time integral 1 is said by the quantity"
    );
    assert_eq!(name.qualifier(), Qualifier::Total);
    assert_eq!(name.billing_period(), Some(1));
}

#[test]
fn codes_it_cannot_name_have_no_name() {
    assert_eq!(name("7-0:3.0.0*255"), None, "gas");
    assert_eq!(
        name("1-0:11.8.0*255"),
        None,
        "a current has no time integral"
    );
    assert_eq!(name("1-0:1.8.64*255"), None, "rates end at 63");
    assert_eq!(
        name("1-0:1.200.0*255"),
        None,
        "manufacturer-specific processing"
    );
    assert_eq!(
        name("1-0:128.8.0*255"),
        None,
        "manufacturer-specific quantity"
    );
    assert_eq!(name("0-0:1.0.0*255").as_deref(), Some("clock"));
    assert_eq!(name("0-0:42.0.1*255"), None, "one logical device name");
    assert_eq!(name("0-0:200.0.0*255"), None);
}
