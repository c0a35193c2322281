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
    assert!(iec.points[1].select_before_operate);
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
    let SourceKind::Dlms(d) = &config.sources[3].kind else {
        panic!("fourth source is DLMS")
    };
    assert_eq!(d.points[0].obis, [1, 0, 1, 8, 0, 255]);
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
    assert_eq!(
        c.mqtt.url,
        BrokerUrl::Remote {
            host: "broker.example".into(),
            port: 8883,
            tls: true
        }
    );
    let c = parse(&MINIMAL.replace("mqtt://127.0.0.1:1883", "embedded"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(c.mqtt.url, BrokerUrl::Embedded { .. }));
    assert_eq!(errors_of(&MINIMAL.replace("mqtt://", "http://")).len(), 1);
}
