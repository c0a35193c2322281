use super::*;
use crate::config;

struct Fake(&'static str, &'static [&'static str]);

impl Driver for Fake {
    fn family(&self) -> &'static str {
        self.0
    }
    fn protocols(&self) -> &'static [&'static str] {
        self.1
    }
    fn unsupported(&self, source: &SourceConfig) -> Vec<(String, String)> {
        if source.name.as_ref() == "odd" {
            vec![("address".to_owned(), "not this one".to_owned())]
        } else {
            Vec::new()
        }
    }
    fn start(&self, _: SourceConfig, _: SourceContext) -> SourceTask {
        Box::pin(async {})
    }
}

const TWO_SOURCES: &str = r#"
[bridge]
id = "gw1"
site = "s"

[mqtt]
url = "mqtt://127.0.0.1:1883"

[[source]]
name = "plc"
protocol = "modbus-tcp"
address = "127.0.0.1:502"

[[source]]
name = "rtu7"
protocol = "iec104"
address = "127.0.0.1:2404"
"#;

#[test]
fn a_protocol_without_a_driver_is_refused_with_its_line() {
    let config = config::parse(TWO_SOURCES).unwrap_or_else(|e| panic!("{e}"));
    let registry = Registry::new().with(Fake("modbus", &["modbus-tcp", "modbus-rtu"]));
    let refusals = registry.refusals(&config);
    assert_eq!(refusals.len(), 1, "{refusals:?}");
    let r = &refusals[0];
    assert_eq!((r.line, r.key.as_str()), (16, "source[1].protocol"));
    assert!(
        r.message
            .starts_with("protocol iec104 is not built into this binary yet"),
        "{}",
        r.message
    );
    assert!(
        r.message.contains("modbus-rtu, modbus-tcp"),
        "{}",
        r.message
    );
}

#[test]
fn a_later_driver_replaces_an_earlier_one_and_reports_what_it_cannot_do() {
    let text = TWO_SOURCES.replace("name = \"rtu7\"", "name = \"odd\"");
    let config = config::parse(&text).unwrap_or_else(|e| panic!("{e}"));
    let registry = Registry::new()
        .with(Fake("modbus", &["modbus-tcp"]))
        .with(Fake("test", &["iec104"]));
    assert_eq!(registry.driver("iec104").map(|d| d.family()), Some("test"));
    let refusals = registry.refusals(&config);
    assert_eq!(refusals.len(), 1, "{refusals:?}");
    assert_eq!(
        (
            refusals[0].line,
            refusals[0].key.as_str(),
            refusals[0].message.as_str()
        ),
        (17, "source[1].address", "not this one")
    );
}
