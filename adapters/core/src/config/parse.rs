//! From the spanned document to [`Config`]: the `[bridge]`, `[mqtt]`, `[outbox]` and `[log]` tables,
//! and the dispatch of each `[[source]]` to its protocol's reader.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::model::*;
use super::reader::TableReader;
use super::{dlms, iec, modbus};

/// Names that become topic levels (and folders in `data_dir`): letters, digits, `_`, `-` and `.`;
/// never MQTT wildcards or `/`, never only dots (`.` and `..` are not folders of their own).
pub(crate) fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && !name.chars().all(|c| c == '.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// A key that must be a topic-safe name.
pub(crate) fn required_name(t: &TableReader<'_>, key: &str) -> Option<Arc<str>> {
    let name = t.required_str(key)?;
    if valid_name(name) {
        Some(Arc::from(name))
    } else {
        t.error(key, format!("\"{name}\" is not a valid name (letters, digits, '_', '-', '.'; it becomes a topic level)"));
        None
    }
}

/// A serial line's settings: `serial`, `baud`, `parity`, `data_bits`, `stop_bits`.
pub(crate) fn serial_settings(
    t: &TableReader<'_>,
    default_baud: u32,
    default_parity: Parity,
) -> Option<SerialSettings> {
    let path = t.required_str("serial");
    let baud = t
        .int("baud", 50, 4_000_000)
        .map_or(default_baud, |b| b as u32);
    let parity = t
        .choice(
            "parity",
            &[
                ("none", Parity::None),
                ("even", Parity::Even),
                ("odd", Parity::Odd),
            ],
        )
        .unwrap_or(default_parity);
    let data_bits = t.int("data_bits", 7, 8).map_or(8, |b| b as u8);
    let default_stop = if parity == Parity::None { 2 } else { 1 };
    let stop_bits = t.int("stop_bits", 1, 2).map_or(default_stop, |b| b as u8);
    Some(SerialSettings {
        path: path?.to_owned(),
        baud,
        parity,
        data_bits,
        stop_bits,
    })
}

/// `device_time = "utc"` or `"local:<IANA zone>"`; `utc` when absent.
pub(crate) fn device_time(t: &TableReader<'_>) -> Option<DeviceTime> {
    let Some(text) = t.str("device_time") else {
        return Some(DeviceTime::Utc);
    };
    if text == "utc" {
        return Some(DeviceTime::Utc);
    }
    let Some(zone) = text.strip_prefix("local:") else {
        t.error(
            "device_time",
            format!(
                "\"{text}\": expected \"utc\" or \"local:<zone>\" such as \"local:Europe/Berlin\""
            ),
        );
        return None;
    };
    match crate::time::Zone::named(zone) {
        Ok(zone) => Some(DeviceTime::Local(zone)),
        Err(message) => {
            t.error("device_time", message);
            None
        }
    }
}

/// `command_timeout`: the longest a command may take on this source or point (10 ms to 24 h).
pub(crate) fn command_timeout(t: &TableReader<'_>) -> Option<Duration> {
    let timeout = t.duration("command_timeout", false)?;
    if timeout < Duration::from_millis(10) || timeout > Duration::from_secs(86_400) {
        t.error("command_timeout", "must be between 10ms and 24h");
        return None;
    }
    Some(timeout)
}

/// A source's `[[point]]` tables, each read by `read`. A name given to two points is refused (it
/// would be one topic); `check` then sees each point read, for the protocol's own clashes, and
/// returns false to refuse it. `None` when any point was refused, after reporting every mistake.
pub(crate) fn read_points<P>(
    t: &TableReader<'_>,
    mut read: impl FnMut(&TableReader<'_>) -> Option<P>,
    name: impl Fn(&P) -> &Arc<str>,
    mut check: impl FnMut(&TableReader<'_>, &P) -> bool,
) -> Option<Vec<P>> {
    let mut points = Vec::new();
    let mut names = HashSet::new();
    let mut ok = true;
    for p in t.tables("point") {
        match read(&p) {
            Some(point) => {
                let name = name(&point);
                if !names.insert(name.clone()) {
                    p.error(
                        "name",
                        format!("point \"{name}\" is defined twice in this source"),
                    );
                    ok = false;
                }
                if !check(&p, &point) {
                    ok = false;
                }
                points.push(point);
            }
            None => ok = false,
        }
    }
    ok.then_some(points)
}

pub(crate) fn root(doc: &TableReader<'_>) -> Option<Config> {
    let bridge = doc.table("bridge").and_then(|t| bridge(&t));
    if !doc.has("bridge") {
        doc.table_error("missing the [bridge] table (id, site, data_dir)");
    }
    let mqtt = match doc.table("mqtt") {
        Some(t) => mqtt(&t),
        None if doc.has("mqtt") => None,
        None => {
            doc.table_error("missing the [mqtt] table (url, prefix)");
            None
        }
    };
    let outbox = match doc.table("outbox") {
        Some(t) => outbox(&t),
        None => Some(OutboxConfig::default()),
    };
    let log = match doc.table("log") {
        Some(t) => log(&t),
        None => Some(LogConfig::default()),
    };
    let metrics_listen = doc.table("metrics").and_then(|t| {
        let listen = t
            .str("listen")
            .and_then(|text| match text.parse::<SocketAddr>() {
                Ok(a) => Some(a),
                Err(_) => {
                    t.error(
                        "listen",
                        format!("\"{text}\" is not an address such as 0.0.0.0:9464"),
                    );
                    None
                }
            });
        t.finish("[metrics]");
        listen
    });
    let commands = match doc.table("commands") {
        Some(t) => commands(&t),
        None => Some(CommandsConfig::default()),
    };
    let mut names = HashSet::new();
    let mut sources = Vec::new();
    let mut all_ok = true;
    for s in doc.tables("source") {
        match source(&s) {
            Some(src) => {
                if !names.insert(src.name.clone()) {
                    s.error("name", format!("source \"{}\" is defined twice", src.name));
                    all_ok = false;
                }
                sources.push(src);
            }
            None => all_ok = false,
        }
    }
    doc.finish("a bridge configuration (expected [bridge], [mqtt], [outbox], [log], [metrics], [commands], [[source]])");
    if !all_ok {
        return None;
    }
    let (bridge, mut mqtt) = (bridge?, mqtt?);
    if let OutputFormat::Sparkplug { group, .. } = &mut mqtt.format {
        if group.is_empty() {
            group.clone_from(&bridge.site);
        }
    }
    Some(Config {
        bridge,
        mqtt,
        outbox: outbox?,
        log: log?,
        metrics_listen,
        commands: commands?,
        sources,
        warnings: Vec::new(),
        version: String::new(),
    })
}

fn commands(t: &TableReader<'_>) -> Option<CommandsConfig> {
    let defaults = CommandsConfig::default();
    let enabled = t.bool("enabled").unwrap_or(defaults.enabled);
    let timeout = t.duration("timeout", false).unwrap_or(defaults.timeout);
    if timeout < Duration::from_millis(10) || timeout > Duration::from_secs(86_400) {
        t.error("timeout", "must be between 10ms and 24h");
    }
    let remember = t
        .int("remember", 1, 10_000_000)
        .map_or(defaults.remember, |n| n as usize);
    t.finish("[commands]");
    Some(CommandsConfig {
        enabled,
        timeout,
        remember,
    })
}

fn bridge(t: &TableReader<'_>) -> Option<BridgeConfig> {
    let id = required_name(t, "id");
    let site = required_name(t, "site");
    let data_dir = t
        .str("data_dir")
        .map_or_else(|| PathBuf::from("./var"), PathBuf::from);
    t.finish("[bridge]");
    Some(BridgeConfig {
        id: id?.to_string(),
        site: site?.to_string(),
        data_dir,
    })
}

fn broker_url(t: &TableReader<'_>) -> Option<BrokerUrl> {
    if !t.require("url") {
        return None;
    }
    let urls = t.str_list("url")?;
    if let [url] = urls.as_slice() {
        if *url == "embedded" {
            let listen = match t.str("embedded_listen") {
                None => SocketAddr::from(([127, 0, 0, 1], 1883)),
                Some(text) => match text.parse() {
                    Ok(a) => a,
                    Err(_) => {
                        t.error(
                            "embedded_listen",
                            format!("\"{text}\" is not an address such as 127.0.0.1:1883"),
                        );
                        return None;
                    }
                },
            };
            return Some(BrokerUrl::Embedded { listen });
        }
    }
    let mut nodes: Vec<BrokerNode> = Vec::with_capacity(urls.len());
    let mut scheme: Option<bool> = None;
    let mut ok = true;
    for url in urls {
        if url == "embedded" {
            t.error(
                "url",
                "\"embedded\" cannot be one node of a list: give it alone, or list remote brokers",
            );
            ok = false;
            continue;
        }
        let Some((tls, node)) = broker_node(t, url) else {
            ok = false;
            continue;
        };
        match scheme {
            Some(first) if first != tls => {
                t.error(
                    "url",
                    format!("\"{url}\": every node of a cluster takes the same scheme (all mqtt:// or all mqtts://)"),
                );
                ok = false;
            }
            _ => scheme = Some(tls),
        }
        if nodes.contains(&node) {
            t.error("url", format!("\"{url}\" is listed twice"));
            ok = false;
        }
        nodes.push(node);
    }
    if !ok {
        return None;
    }
    Some(BrokerUrl::Remote {
        nodes,
        tls: scheme?,
    })
}

/// One `mqtt://host[:port]` or `mqtts://host[:port]`: whether it is TLS, and the node.
fn broker_node(t: &TableReader<'_>, url: &str) -> Option<(bool, BrokerNode)> {
    let (tls, rest) = if let Some(r) = url.strip_prefix("mqtts://") {
        (true, r)
    } else if let Some(r) = url.strip_prefix("mqtt://") {
        (false, r)
    } else {
        t.error(
            "url",
            format!("\"{url}\" must start with mqtt:// or mqtts://, or be \"embedded\""),
        );
        return None;
    };
    let rest = rest.trim_end_matches('/');
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => match p.parse::<u16>() {
            Ok(p) if p > 0 => (h, p),
            _ => {
                t.error("url", format!("\"{p}\" is not a TCP port"));
                return None;
            }
        },
        _ => (rest, if tls { 8883 } else { 1883 }),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() || host.contains('/') {
        t.error("url", format!("\"{url}\" has no valid host"));
        return None;
    }
    Some((
        tls,
        BrokerNode {
            host: host.to_owned(),
            port,
        },
    ))
}

fn mqtt(t: &TableReader<'_>) -> Option<MqttConfig> {
    let url = broker_url(t);
    if matches!(url, Some(BrokerUrl::Remote { .. })) && t.has("embedded_listen") {
        t.error("embedded_listen", "only used with url = \"embedded\"");
    }
    let prefix = t.str("prefix").unwrap_or("fieldbridge");
    let prefix_ok = !prefix.is_empty() && prefix.split('/').all(valid_name);
    if !prefix_ok {
        t.error(
            "prefix",
            format!(
                "\"{prefix}\" is not a valid topic prefix (names separated by '/', no wildcards)"
            ),
        );
    }
    let sparkplug = t.choice("format", &[("json", false), ("sparkplug", true)]);
    let format_ok = t.has("format") == sparkplug.is_some();
    for key in ["sparkplug_group", "primary_host"] {
        if t.str(key).is_some() && sparkplug != Some(true) {
            t.error(key, "only used with format = \"sparkplug\"");
        }
    }
    // Sparkplug ids are topic levels (Sparkplug 3.0 §4.1.1: no '/', '+' or '#').
    let sparkplug_id = |key: &'static str| {
        let id = t.str(key)?;
        match fieldbridge_sparkplug::topic::validate_id(key, id) {
            Ok(()) => Some(id.to_owned()),
            Err(error) => {
                t.error(key, error.to_string());
                None
            }
        }
    };
    let group = sparkplug_id("sparkplug_group");
    let primary_host = sparkplug_id("primary_host");
    let version = t
        .choice(
            "version",
            &[
                ("3.1.1", MqttVersion::V311),
                ("5", MqttVersion::V5),
                ("5.0", MqttVersion::V5),
            ],
        )
        .unwrap_or_default();
    let qos = t.int("qos", 0, 1).map_or(1, |q| q as u8);
    let keep_alive = t
        .duration("keep_alive", false)
        .unwrap_or(Duration::from_secs(30));
    let client_id = t.str("client_id").map(str::to_owned);
    let username = t.str("username").map(str::to_owned);
    let path = |key: &str| t.str(key).map(PathBuf::from);
    let password_file = path("password_file");
    let ca_file = path("ca_file");
    let cert_file = path("cert_file");
    let key_file = path("key_file");
    if cert_file.is_some() != key_file.is_some() {
        t.table_error("cert_file and key_file go together (mutual TLS needs both)");
    }
    let reconnect_min = t
        .duration("reconnect_min", false)
        .unwrap_or(Duration::from_secs(1));
    let reconnect_max = t
        .duration("reconnect_max", false)
        .unwrap_or(Duration::from_secs(60));
    if reconnect_min > reconnect_max {
        t.error("reconnect_min", "must not be longer than reconnect_max");
    }
    t.finish("[mqtt]");
    if !prefix_ok || !format_ok {
        return None;
    }
    let format = if sparkplug == Some(true) {
        OutputFormat::Sparkplug {
            // The site is checked by [bridge]; an empty group here is refused by the publisher.
            group: group.unwrap_or_default(),
            primary_host,
        }
    } else {
        OutputFormat::Json
    };
    Some(MqttConfig {
        url: url?,
        version,
        prefix: prefix.to_owned(),
        format,
        qos,
        keep_alive,
        client_id,
        username,
        password_file,
        ca_file,
        cert_file,
        key_file,
        reconnect_min,
        reconnect_max,
    })
}

impl Default for OutboxConfig {
    fn default() -> Self {
        OutboxConfig {
            sync: OutboxSync::Interval(Duration::from_millis(200)),
            max_bytes: 512 << 20,
            when_full: WhenFull::DropOldest,
            replay_rate: 5000,
            replay_order: ReplayOrder::InOrder,
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            json: false,
            level: "info".to_owned(),
        }
    }
}

fn outbox(t: &TableReader<'_>) -> Option<OutboxConfig> {
    let d = OutboxConfig::default();
    let max_bytes = t.size("max_bytes").unwrap_or(d.max_bytes);
    if max_bytes < 1 << 20 && t.has("max_bytes") {
        t.error("max_bytes", "must be at least 1MiB");
    }
    let when_full = t
        .choice(
            "when_full",
            &[
                ("drop-oldest", WhenFull::DropOldest),
                ("backpressure", WhenFull::Backpressure),
            ],
        )
        .unwrap_or(d.when_full);
    let replay_rate = t
        .int("replay_rate", 1, 1_000_000)
        .map_or(d.replay_rate, |r| r as u32);
    let replay_order = t
        .choice(
            "replay_order",
            &[
                ("in-order", ReplayOrder::InOrder),
                ("live-first", ReplayOrder::LiveFirst),
            ],
        )
        .unwrap_or(d.replay_order);
    let sync = match t.str("sync") {
        None => d.sync,
        Some("always") => OutboxSync::Always,
        Some("never") => OutboxSync::Never,
        Some(_) => match t.duration("sync", false) {
            Some(interval) => OutboxSync::Interval(interval),
            None => d.sync,
        },
    };
    t.finish("[outbox]");
    Some(OutboxConfig {
        sync,
        max_bytes,
        when_full,
        replay_rate,
        replay_order,
    })
}

fn log(t: &TableReader<'_>) -> Option<LogConfig> {
    let json = t
        .choice("format", &[("text", false), ("json", true)])
        .unwrap_or(false);
    let level = t.str("level").unwrap_or("info").to_owned();
    t.finish("[log]");
    Some(LogConfig { json, level })
}

fn source(t: &TableReader<'_>) -> Option<SourceConfig> {
    let name = required_name(t, "name");
    let protocol = t.required_str("protocol")?;
    let kind = match protocol {
        "modbus-tcp" | "modbus-rtu" | "modbus-ascii" => {
            modbus::source(t, protocol).map(SourceKind::Modbus)
        }
        "iec104" => iec::iec104(t).map(SourceKind::Iec104),
        "iec101" => iec::iec101(t).map(SourceKind::Iec101),
        "dlms" => dlms::dlms(t).map(SourceKind::Dlms),
        "dlms-push" => dlms::dlms_push(t).map(SourceKind::DlmsPush),
        other => {
            t.error(
                "protocol",
                format!(
                    "unknown protocol \"{other}\" (expected \"modbus-tcp\", \"modbus-rtu\", \"modbus-ascii\", \"iec104\", \"iec101\", \"dlms\" or \"dlms-push\")"
                ),
            );
            return None;
        }
    };
    if t.has("only_listed") && !matches!(protocol, "iec104" | "iec101" | "dlms-push") {
        let _ = t.get("only_listed");
        t.error(
            "only_listed",
            "only sources that report on their own (iec104, iec101, dlms-push) have unlisted objects",
        );
    }
    t.finish(&format!("a {protocol} source"));
    Some(SourceConfig {
        name: name?,
        kind: kind?,
        lines: t.lines(),
    })
}
