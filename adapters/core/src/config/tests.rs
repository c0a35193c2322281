use super::*;

const REFERENCE: &str = include_str!("../../../../examples/config-reference.toml");

fn errors_of(text: &str) -> Vec<ConfigError> {
    match parse(text) {
        Ok(_) => Vec::new(),
        Err(e) => e.errors,
    }
}

const MINIMAL: &str = r#"
[bridge]
id = "gw1"
site = "plant-a"

[mqtt]
url = "mqtt://127.0.0.1:1883"
"#;

#[test]
fn the_reference_configuration_of_config_md_is_accepted() {
    let config = parse(REFERENCE).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config.bridge.id, "plant-a-gw1");
    assert_eq!(config.sources.len(), 5);
    let SourceKind::Modbus(m) = &config.sources[0].kind else {
        panic!("first source is Modbus")
    };
    let p = &m.points[0];
    assert_eq!(
        p.register,
        RegisterRef {
            table: crate::point::ModbusTable::Holding,
            address: 100,
            bit: None
        }
    );
    assert_eq!(p.data_type, ModbusType::F32);
    assert_eq!(p.word_order, WordOrder::Cdab);
    assert_eq!(p.scale, 0.1);
    assert_eq!(p.deadband, Some(0.05));
    assert!(p.writable);
    assert_eq!((p.min, p.max), (Some(0.0), Some(12.0)));
    let SourceKind::Iec104(iec) = &config.sources[1].kind else {
        panic!("second source is IEC 104")
    };
    assert_eq!(iec.addresses, ["10.0.0.7:2404", "10.0.1.7:2404"]);
    assert_eq!(iec.link, Iec104Link::default());
    let m = &iec.master;
    assert_eq!((m.common_address, m.originator_address), (1, 0));
    assert_eq!(m.interrogation, Some(std::time::Duration::from_secs(900)));
    assert_eq!(
        m.counter_interrogation,
        Some(std::time::Duration::from_secs(3600))
    );
    assert_eq!(m.device_time, DeviceTime::Utc);
    assert!(m.clock_sync && !m.only_listed);
    assert_eq!((m.points[1].common_address, m.points[1].ioa), (2, 3001));
    assert_eq!(
        m.points[2].command,
        Some(IecCommand {
            kind: IecCommandKind::Double,
            time_tag: false,
            select_before_operate: true,
            qualifier: PulseQualifier::ShortPulse,
        })
    );
    assert!(m.points[2].writable && !m.points[0].writable);
    let SourceKind::Iec101(s) = &config.sources[2].kind else {
        panic!("third source is IEC 101")
    };
    assert_eq!(
        s.sizes,
        Iec101Sizes {
            link_address: 1,
            cot: 1,
            common_address: 1,
            ioa: 2
        }
    );
    assert_eq!(s.link_addresses, [3]);
    assert_eq!(s.link_address(), 3);
    assert_eq!(s.mode, Iec101Mode::Unbalanced);
    let SourceKind::Dlms(d) = &config.sources[3].kind else {
        panic!("fourth source is DLMS")
    };
    assert_eq!(d.points[0].obis, [1, 0, 1, 8, 0, 255]);
    assert_eq!(d.physical_address, Some(17));
    assert_eq!(d.authentication, DlmsAuthentication::None);
    assert_eq!(d.security, DlmsSecurity::none());
    assert_eq!(d.device_time.name(), "local:Europe/Vienna");
    assert!(d.points[1].is_profile());
    assert_eq!(d.points[2].write, DlmsWrite::Action(2));
    let SourceKind::DlmsPush(push) = &config.sources[4].kind else {
        panic!("fifth source is a DLMS push listener")
    };
    assert_eq!(push.transport, PushTransport::WrapperTcp);
    assert_eq!(push.points.len(), 1);
    assert_eq!(config.warnings.len(), 1, "{:?}", config.warnings);
    assert_eq!(config.warnings[0].key, "source[3].physical_address");
    // Every source knows its keys' lines, for the refusals of a binary that cannot run it.
    assert_eq!(config.sources[1].lines.line_of("protocol"), 47);
}

#[test]
fn the_shared_design_copy_of_config_md_still_parses_when_present() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/design/CONFIG.md"
    );
    let Ok(md) = std::fs::read_to_string(path) else {
        return;
    };
    let toml: String = md
        .split("```toml")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(
        toml.trim(),
        REFERENCE.trim(),
        "examples/config-reference.toml drifted from CONFIG.md"
    );
}

#[test]
fn a_minimal_configuration_gets_the_documented_defaults() {
    let c = parse(MINIMAL).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.mqtt.prefix, "fieldbridge");
    assert_eq!(c.mqtt.qos, 1);
    assert_eq!(c.bridge.data_dir, std::path::PathBuf::from("./var"));
    assert_eq!(c.outbox, OutboxConfig::default());
    assert_eq!(c.commands, CommandsConfig::default());
    assert_eq!(c.mqtt.version, MqttVersion::V311);
    assert!(c.sources.is_empty());
}

#[test]
fn commands_and_the_mqtt_version_are_read_and_checked() {
    let text = format!(
        "{MINIMAL}version = \"5\"\n\n[commands]\nenabled = false\ntimeout = \"2s\"\nremember = 50\n"
    );
    let c = parse(&text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.mqtt.version, MqttVersion::V5);
    assert_eq!(
        c.commands,
        CommandsConfig {
            enabled: false,
            timeout: std::time::Duration::from_secs(2),
            remember: 50,
        }
    );
    let bad = format!(
        "{MINIMAL}version = \"4\"\n\n[commands]\ntimeout = \"1ms\"\nremember = 0\nretries = 3\n"
    );
    let keys: Vec<String> = errors_of(&bad).into_iter().map(|e| e.key).collect();
    for key in [
        "mqtt.version",
        "commands.timeout",
        "commands.remember",
        "commands.retries",
    ] {
        assert!(keys.iter().any(|k| k == key), "{key} not in {keys:?}");
    }
}

#[test]
fn every_mistake_is_reported_with_its_line_and_key() {
    let text = format!(
        "{MINIMAL}
[[source]]
name = \"plc1\"
protocol = \"modbus-tcp\"
address = \"127.0.0.1:5020\"
poll = \"1 fortnight\"

  [[source.point]]
  name = \"a\"
  register = \"holding:100\"
  type = \"f33\"

  [[source.point]]
  name = \"b\"
  register = \"input:3\"
  writable = true
  min = 5
  max = 1
  colour = \"blue\"
"
    );
    let errors = errors_of(&text);
    let shown: Vec<String> = errors
        .iter()
        .map(|e| format!("{}:{}", e.line, e.key))
        .collect();
    assert_eq!(
        shown,
        [
            "13:source[0].poll",
            "18:source[0].point[0].type",
            "23:source[0].point[1].writable",
            "24:source[0].point[1].min",
            "26:source[0].point[1].colour",
        ],
        "{errors:#?}"
    );
}

#[test]
fn a_syntax_error_names_its_line() {
    let errors = errors_of("[bridge]\nid = \"x\"\nsite = \n");
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].line, 3);
    assert!(
        errors[0].message.starts_with("TOML syntax"),
        "{}",
        errors[0].message
    );
}

#[test]
fn missing_tables_and_keys_are_named() {
    let errors = errors_of("[bridge]\nsite = \"a\"\n");
    let keys: Vec<&str> = errors.iter().map(|e| e.key.as_str()).collect();
    assert!(keys.contains(&"bridge.id"), "{errors:#?}");
    assert!(
        errors.iter().any(|e| e.message.contains("[mqtt]")),
        "{errors:#?}"
    );
}

#[test]
fn types_must_fit_their_table() {
    let text = format!(
        "{MINIMAL}
[[source]]
name = \"plc1\"
protocol = \"modbus-tcp\"
address = \"127.0.0.1:5020\"
  [[source.point]]
  name = \"c\"
  register = \"coil:1\"
  type = \"u16\"
  [[source.point]]
  name = \"d\"
  register = \"holding:65535\"
  type = \"f32\"
  [[source.point]]
  name = \"e\"
  register = \"holding:1\"
  type = \"string(4)\"
  scale = 2
"
    );
    let keys: Vec<String> = errors_of(&text).into_iter().map(|e| e.key).collect();
    assert_eq!(
        keys,
        [
            "source[0].point[0].type",
            "source[0].point[1].register",
            "source[0].point[2].scale"
        ]
    );
}

#[test]
fn names_that_would_break_topics_are_refused() {
    let text = MINIMAL.replace("plant-a", "plant/a");
    let errors = errors_of(&text);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0].key, "bridge.site");
    for dots in [".", ".."] {
        let errors = errors_of(&MINIMAL.replace("plant-a", dots));
        assert_eq!(errors.len(), 1, "{dots}: {errors:#?}");
        assert_eq!(errors[0].key, "bridge.site");
    }
    assert!(parse::valid_name("meter.12"), "dots within a name are fine");
}

#[test]
fn duplicate_sources_and_points_are_refused() {
    let text = format!(
        "{MINIMAL}
[[source]]
name = \"m\"
protocol = \"dlms-push\"
listen = \"0.0.0.0:4059\"
[[source]]
name = \"m\"
protocol = \"dlms-push\"
listen = \"0.0.0.0:4060\"
"
    );
    let errors = errors_of(&text);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(errors[0].message.contains("defined twice"));
}

#[test]
fn broker_urls_take_defaults_and_refuse_other_schemes() {
    let c = parse(&MINIMAL.replace("mqtt://127.0.0.1:1883", "mqtts://broker.example"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.mqtt.url, BrokerUrl::remote("broker.example", 8883, true));
    let c = parse(&MINIMAL.replace("mqtt://127.0.0.1:1883", "embedded"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(c.mqtt.url, BrokerUrl::Embedded { .. }));
    assert_eq!(errors_of(&MINIMAL.replace("mqtt://", "http://")).len(), 1);
}

fn source_errors(source: &str) -> Vec<(usize, String, String)> {
    errors_of(&format!("{MINIMAL}\n[[source]]\n{source}"))
        .into_iter()
        .map(|e| (e.line, e.key, e.message))
        .collect()
}

fn assert_refused(source: &str, key: &str, words: &str) {
    let errors = source_errors(source);
    assert!(
        errors
            .iter()
            .any(|(_, k, m)| k.ends_with(key) && m.contains(words)),
        "no error on {key} containing {words:?} in {errors:?}"
    );
}

#[test]
fn iec104_windows_and_timers_are_bounded_by_the_standard() {
    let base = "name = \"r\"\nprotocol = \"iec104\"\naddress = \"127.0.0.1:2404\"\n";
    assert_refused(&format!("{base}k = 12\nw = 9\n"), "w", "two thirds of k");
    assert_refused(
        &format!("{base}t1 = \"10s\"\nt2 = \"10s\"\n"),
        "t2",
        "shorter than t1",
    );
    assert_refused(
        &format!("{base}t1 = \"300s\"\n"),
        "t1",
        "between 1s and 255s",
    );
    assert_refused(&format!("{base}k = 0\n"), "k", "out of range");
    assert_refused(
        &format!("{base}device_time = \"local:Mars/Olympus\"\n"),
        "device_time",
        "Mars/Olympus",
    );
    assert_refused(
        &format!("{base}device_time = \"cet\"\n"),
        "device_time",
        "local:<zone>",
    );
    let ok = format!("{base}device_time = \"local:Europe/Berlin\"\nk = 20\nw = 10\nt3 = \"1h\"\n");
    assert!(source_errors(&ok).is_empty(), "{:?}", source_errors(&ok));
}

#[test]
fn iec_commands_are_typed_and_their_options_must_fit_the_command() {
    let base = "name = \"r\"\nprotocol = \"iec104\"\naddress = \"127.0.0.1:2404\"\n[[source.point]]\nname = \"p\"\nioa = 5\n";
    assert_refused(
        &format!("{base}command = \"triple\"\n"),
        "command",
        "unknown command",
    );
    assert_refused(
        &format!("{base}command = \"setpoint-float\"\nqualifier = \"short-pulse\"\n"),
        "qualifier",
        "pulse qualifier",
    );
    assert_refused(
        &format!("{base}command = \"single\"\nmax = 3\n"),
        "min",
        "set-point",
    );
    assert_refused(
        &format!("{base}writable = true\n"),
        "writable",
        "needs `command`",
    );
    assert_refused(
        &format!("{base}qualifier = \"persistent\"\n"),
        "qualifier",
        "only used with `command`",
    );
    assert_refused(
        &format!("{base}command = \"single\"\nqualifier = \"forever\"\n"),
        "qualifier",
        "unknown value",
    );
    let two_stations = "name = \"r\"\nprotocol = \"iec104\"\naddress = \"127.0.0.1:2404\"\n[[source.point]]\nname = \"a\"\nioa = 5\n[[source.point]]\nname = \"b\"\nioa = 5\ncommon_address = 2\n[[source.point]]\nname = \"c\"\nioa = 5\n";
    let errors = source_errors(two_stations);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0]
            .2
            .contains("IOA 5 of station 1 is used by two points"),
        "{errors:?}"
    );
}

#[test]
fn iec101_addresses_are_bounded_by_the_field_sizes() {
    let base = "name = \"r\"\nprotocol = \"iec101\"\nserial = \"/dev/ttyS1\"\n";
    // A balanced link without a link address field: the default needs no key.
    let no_address = format!("{base}mode = \"balanced\"\nsizes = {{ link_address = 0, cot = 1, common_address = 1, ioa = 2 }}\n");
    assert!(
        source_errors(&no_address).is_empty(),
        "{:?}",
        source_errors(&no_address)
    );
    assert_refused(
        &format!("{base}sizes = {{ link_address = 0 }}\n"),
        "link_address",
        "unbalanced",
    );
    assert_refused(
        &format!("{base}link_address = 255\n"),
        "link_address",
        "broadcast",
    );
    assert_refused(
        &format!("{base}common_address = 300\n"),
        "common_address",
        "out of range",
    );
    assert_refused(
        &format!("{base}originator_address = 3\n"),
        "originator_address",
        "two octets",
    );
    assert_refused(
        &format!("{base}[[source.point]]\nname = \"p\"\nioa = 70000\n"),
        "ioa",
        "out of range",
    );
    let wide = format!("{base}sizes = {{ link_address = 2, cot = 2, common_address = 2, ioa = 3 }}\nlink_address = 300\ncommon_address = 300\noriginator_address = 3\n");
    assert!(
        source_errors(&wide).is_empty(),
        "{:?}",
        source_errors(&wide)
    );
}

fn iec101_source(source: &str) -> Iec101Source {
    let config =
        parse(&format!("{MINIMAL}\n[[source]]\n{source}")).unwrap_or_else(|e| panic!("{e}"));
    match config.sources.into_iter().next().map(|s| s.kind) {
        Some(SourceKind::Iec101(s)) => s,
        other => panic!("not an iec101 source: {other:?}"),
    }
}

#[test]
fn iec101_several_outstations_share_a_line_and_each_point_names_its_link_address() {
    let base = "name = \"r\"\nprotocol = \"iec101\"\nserial = \"/dev/ttyS1\"\n";
    let s = iec101_source(&format!(
        "{base}link_address = [3, 4]\ncommon_address = 1\n\
         [[source.point]]\nname = \"a\"\nioa = 100\n\
         [[source.point]]\nname = \"b\"\nlink_address = 4\ncommon_address = 4\nioa = 100\n\
         [[source.point]]\nname = \"c\"\nlink_address = 4\nioa = 100\n"
    ));
    assert_eq!(s.link_addresses, [3, 4]);
    assert_eq!(s.link_address(), 3);
    assert_eq!(
        s.point_links,
        [3, 4, 4],
        "a point without link_address is at the first"
    );
    assert_eq!((s.link_of(0), s.link_of(2)), (3, 4));
    // The default station is asked behind every link address, with the stations of its points.
    assert_eq!(s.stations_of(3), [1]);
    assert_eq!(s.stations_of(4), [1, 4]);
    assert_eq!(s.own_link_address, 3);
    // The single form keeps working, and without the key the link address is 1.
    assert_eq!(
        iec101_source(&format!("{base}link_address = 7\n")).link_addresses,
        [7]
    );
    assert_eq!(iec101_source(base).link_addresses, [1]);
    let balanced = iec101_source(&format!(
        "{base}mode = \"balanced\"\nlink_address = [5]\nown_link_address = 9\n"
    ));
    assert_eq!(
        (
            balanced.link_addresses.as_slice(),
            balanced.own_link_address
        ),
        ([5u16].as_slice(), 9)
    );
}

#[test]
fn iec101_link_addresses_are_refused_where_they_cannot_work() {
    let base = "name = \"r\"\nprotocol = \"iec101\"\nserial = \"/dev/ttyS1\"\n";
    assert_refused(
        &format!("{base}mode = \"balanced\"\nlink_address = [3, 4]\n"),
        "link_address",
        "one outstation",
    );
    assert_refused(
        &format!("{base}link_address = [3, 3]\n"),
        "link_address",
        "given twice",
    );
    assert_refused(
        &format!("{base}link_address = [3, 255]\n"),
        "link_address",
        "broadcast",
    );
    assert_refused(
        &format!("{base}link_address = []\n"),
        "link_address",
        "empty",
    );
    assert_refused(
        &format!("{base}link_address = [\"3\"]\n"),
        "link_address",
        "integers",
    );
    assert_refused(
        &format!("{base}link_address = \"3\"\n"),
        "link_address",
        "found a string",
    );
    assert_refused(
        &format!("{base}link_address = [3, 4]\n[[source.point]]\nname = \"p\"\nioa = 1\nlink_address = 5\n"),
        "link_address",
        "not one of the source's link_address (3, 4)",
    );
    assert_refused(
        &format!("{base}own_link_address = 2\n"),
        "own_link_address",
        "balanced",
    );
    // The same object behind one link address twice; behind two it is two objects.
    assert_refused(
        &format!("{base}link_address = [3, 4]\n[[source.point]]\nname = \"p\"\nioa = 1\n[[source.point]]\nname = \"q\"\nioa = 1\nlink_address = 3\n"),
        "ioa",
        "IOA 1 of station 1 behind link address 3 is used by two points",
    );
    let two = format!("{base}link_address = [3, 4]\n[[source.point]]\nname = \"p\"\nioa = 1\n[[source.point]]\nname = \"q\"\nioa = 1\nlink_address = 4\n");
    assert!(source_errors(&two).is_empty(), "{:?}", source_errors(&two));
    // An iec104 point has no link address.
    assert_refused(
        "name = \"r\"\nprotocol = \"iec104\"\naddress = \"127.0.0.1:2404\"\n[[source.point]]\nname = \"p\"\nioa = 1\nlink_address = 3\n",
        "link_address",
        "only iec101 points",
    );
}

#[test]
fn dlms_security_needs_its_keys_and_writable_points_say_what_they_do() {
    let base = "name = \"m\"\nprotocol = \"dlms\"\naddress = \"127.0.0.1:4059\"\n";
    assert_refused(
        &format!("{base}security = \"encrypted\"\n"),
        "encryption_key_file",
        "encryption key",
    );
    assert_refused(
        &format!("{base}security = \"authenticated\"\n"),
        "authentication_key_file",
        "authentication key",
    );
    assert_refused(
        &format!("{base}authentication = \"high-gmac\"\n"),
        "system_title",
        "system title",
    );
    assert_refused(
        &format!("{base}authentication = \"low\"\n"),
        "authentication",
        "password_file",
    );
    assert_refused(
        &format!("{base}password_file = \"/x\"\n"),
        "password_file",
        "only used with",
    );
    assert_refused(
        &format!("{base}system_title = \"4D4D\"\n"),
        "system_title",
        "8 bytes",
    );
    let c = parse(&format!(
        "{MINIMAL}\n[[source]]\n{base}physical_address = 17\n"
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.warnings.len(), 1, "{:?}", c.warnings);
    assert!(c.warnings[0].message.starts_with("not used: only HDLC"));
    assert_refused(
        &format!("{base}security = \"sometimes\"\n"),
        "security",
        "unknown value",
    );
    let point = "[[source.point]]\nname = \"p\"\nobis = \"0.0.96.3.10.255\"\nclass = 70\n";
    assert_refused(
        &format!("{base}{point}method = 1\n"),
        "method",
        "writable = true",
    );
    assert_refused(&format!("{base}[[source.point]]\nname = \"p\"\nobis = \"0.0.96.3.10.255\"\nclass = 70\nwritable = true\n"), "writable", "attribute = N");
    let full = format!("{base}security = \"authenticated-encrypted\"\nauthentication = \"high-gmac\"\nauthentication_key_file = \"/run/ak\"\nencryption_key_file = \"/run/ek\"\nsystem_title = \"4D4D4D0000BC614E\"\n{point}attribute = 4\nwritable = true\n");
    let c = parse(&format!("{MINIMAL}\n[[source]]\n{full}")).unwrap_or_else(|e| panic!("{e}"));
    let SourceKind::Dlms(d) = &c.sources[0].kind else {
        panic!("a DLMS source")
    };
    assert_eq!(
        d.security.policy,
        DlmsSecurityPolicy::AuthenticatedEncrypted
    );
    assert_eq!(d.security.system_title.map(|t| t[7]), Some(0x4E));
    assert_eq!(d.points[0].write, DlmsWrite::Set);
    let push = "name = \"h\"\nprotocol = \"dlms-push\"\nlisten = \"udp://0.0.0.0:4059\"\ntransport = \"hdlc\"\n";
    assert_refused(push, "transport", "not carried over UDP");
}

#[test]
fn keys_that_no_source_of_that_kind_uses_are_refused_by_name() {
    assert_refused(
        "name = \"p\"\nprotocol = \"modbus-tcp\"\naddress = \"127.0.0.1:502\"\nonly_listed = true\n",
        "only_listed",
        "report on their own",
    );
    assert_refused(
        "name = \"p\"\nprotocol = \"modbus-ascii\"\naddress = \"127.0.0.1:502\"\n",
        "address",
        "serial line",
    );
    let rtu_tcp = "name = \"p\"\nprotocol = \"modbus-rtu\"\naddress = \"127.0.0.1:502\"\n";
    let c = parse(&format!("{MINIMAL}\n[[source]]\n{rtu_tcp}")).unwrap_or_else(|e| panic!("{e}"));
    let SourceKind::Modbus(m) = &c.sources[0].kind else {
        panic!("a Modbus source")
    };
    assert_eq!(
        m.transport,
        ModbusTransport::RtuOverTcp {
            address: "127.0.0.1:502".into()
        }
    );
}

#[test]
fn a_broker_list_names_every_node_of_a_cluster() {
    let text = MINIMAL.replace(
        "url = \"mqtt://127.0.0.1:1883\"",
        "url = [\"mqtt://10.0.0.1:1883\", \"mqtt://10.0.0.2\", \"mqtt://[::1]:1885\"]",
    );
    let c = parse(&text).unwrap_or_else(|e| panic!("{e}"));
    let BrokerUrl::Remote { nodes, tls } = &c.mqtt.url else {
        panic!("{:?}", c.mqtt.url)
    };
    assert!(!tls);
    let shown: Vec<String> = nodes.iter().map(ToString::to_string).collect();
    assert_eq!(shown, ["10.0.0.1:1883", "10.0.0.2:1883", "[::1]:1885"]);
    let one = MINIMAL.replace(
        "url = \"mqtt://127.0.0.1:1883\"",
        "url = [\"mqtt://10.0.0.1:1883\"]",
    );
    assert_eq!(
        parse(&one).unwrap_or_else(|e| panic!("{e}")).mqtt.url,
        BrokerUrl::remote("10.0.0.1", 1883, false)
    );
}

#[test]
fn a_broker_list_refuses_mixed_schemes_repeats_and_embedded() {
    for (list, expected) in [
        ("[\"mqtt://a:1883\", \"mqtts://b:8883\"]", "same scheme"),
        ("[\"mqtt://a:1883\", \"mqtt://a:1883\"]", "listed twice"),
        ("[\"mqtt://a:1883\", \"embedded\"]", "cannot be one node"),
        ("[]", "must not be empty"),
    ] {
        let text = MINIMAL.replace("url = \"mqtt://127.0.0.1:1883\"", &format!("url = {list}"));
        let errors = errors_of(&text);
        assert!(
            errors
                .iter()
                .any(|e| e.key == "mqtt.url" && e.message.contains(expected)),
            "{list}: {errors:?}"
        );
    }
}
