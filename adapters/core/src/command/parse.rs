//! Reading a command: its topic (`<prefix>/<site>/<device>/<point>/set`) and its JSON payload
//! (`{"id": "...", "value": ..., "expires": "<RFC 3339>"}`), strictly (`docs/commands.md`).

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::field::CommandValue;
use crate::time::Timestamp;

/// Longest id accepted: ids are echoed in results and kept in `data_dir`.
pub(crate) const MAX_ID_LEN: usize = 128;

/// Longest payload read; a command is a few dozen bytes.
pub(crate) const MAX_PAYLOAD: usize = 16 << 10;

/// The device and point a `set` topic names, or `None` when the topic is not one.
pub(crate) fn target<'a>(base: &str, topic: &'a str) -> Option<(&'a str, &'a str)> {
    let rest = topic.strip_prefix(base)?.strip_prefix('/')?;
    let rest = rest.strip_suffix("/set")?;
    let (device, point) = rest.split_once('/')?;
    let valid = |s: &str| !s.is_empty() && !s.contains(['/', '+', '#']);
    (valid(device) && valid(point)).then_some((device, point))
}

/// A command payload that parsed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Payload {
    pub(crate) id: String,
    pub(crate) value: CommandValue,
    pub(crate) params: serde_json::Map<String, serde_json::Value>,
    pub(crate) expires: Option<Timestamp>,
}

/// Why a payload was refused; `id` is kept when it could be read, so the result can carry it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Malformed {
    pub(crate) id: Option<String>,
    pub(crate) reason: String,
}

/// Parses a command payload: a JSON object with a non-empty string `id`, optionally a `value` (a
/// bool, number, string, array or object; absent or `null` for a command that takes none), a
/// `params` object of protocol options, and `expires` (RFC 3339 with an offset). Other keys are
/// refused, so that a misspelt `expires` is never silently ignored.
pub(crate) fn payload(bytes: &[u8]) -> Result<Payload, Malformed> {
    let malformed = |id: Option<String>, reason: String| Malformed { id, reason };
    if bytes.len() > MAX_PAYLOAD {
        return Err(malformed(
            None,
            format!("payload of {} bytes, at most {MAX_PAYLOAD}", bytes.len()),
        ));
    }
    let json: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| malformed(None, format!("malformed JSON: {e}")))?;
    let serde_json::Value::Object(map) = json else {
        return Err(malformed(
            None,
            "malformed command: expected a JSON object {\"id\": ..., \"value\": ...}".into(),
        ));
    };
    let id = match map.get("id") {
        Some(serde_json::Value::String(s)) if !s.is_empty() && s.len() <= MAX_ID_LEN => s.clone(),
        Some(serde_json::Value::String(s)) if s.is_empty() => {
            return Err(malformed(None, "missing id: \"id\" is empty".into()))
        }
        Some(serde_json::Value::String(_)) => {
            return Err(malformed(
                None,
                format!("id longer than {MAX_ID_LEN} bytes"),
            ))
        }
        Some(_) => {
            return Err(malformed(
                None,
                "missing id: \"id\" must be a string".into(),
            ))
        }
        None => return Err(malformed(None, "missing id".into())),
    };
    let with_id = |reason: String| Malformed {
        id: Some(id.clone()),
        reason,
    };
    if let Some(key) = map
        .keys()
        .find(|k| !matches!(k.as_str(), "id" | "value" | "params" | "expires"))
    {
        return Err(with_id(format!(
            "unknown key \"{key}\" (a command has id, value, params and expires)"
        )));
    }
    let value = match map.get("value") {
        Some(serde_json::Value::Bool(b)) => CommandValue::Bool(*b),
        Some(serde_json::Value::Number(n)) => CommandValue::Number(n.clone()),
        Some(serde_json::Value::String(s)) => CommandValue::String(s.clone()),
        Some(serde_json::Value::Null) | None => CommandValue::None,
        Some(structured) => CommandValue::Structured(structured.clone()),
    };
    let params = match map.get("params") {
        None | Some(serde_json::Value::Null) => serde_json::Map::new(),
        Some(serde_json::Value::Object(params)) => params.clone(),
        Some(_) => {
            return Err(with_id(
                "params must be an object such as {\"qualifier\": \"long-pulse\"}".into(),
            ))
        }
    };
    let expires = match map.get("expires") {
        None => None,
        Some(serde_json::Value::String(s)) => match OffsetDateTime::parse(s, &Rfc3339) {
            Ok(t) => Some(Timestamp::from_datetime(t)),
            Err(_) => {
                return Err(with_id(format!(
                    "expires \"{s}\" is not an RFC 3339 time such as 2026-11-24T10:00:00Z"
                )))
            }
        },
        Some(_) => {
            return Err(with_id(
                "expires must be an RFC 3339 time as a string".into(),
            ))
        }
    };
    Ok(Payload {
        id,
        value,
        params,
        expires,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn set_topics_name_their_device_and_point() {
        let base = "fb/plant-a";
        assert_eq!(
            target(base, "fb/plant-a/plc1/tank_level/set"),
            Some(("plc1", "tank_level"))
        );
        for not_a_command in [
            "fb/plant-a/plc1/tank_level",
            "fb/plant-a/plc1/tank_level/set/result",
            "fb/plant-a/plc1/set",
            "fb/plant-a//x/set",
            "fb/plant-b/plc1/x/set",
            "fb/plant-ab/plc1/x/set",
            "fb/plant-a/a/b/c/set",
        ] {
            assert_eq!(target(base, not_a_command), None, "{not_a_command}");
        }
    }

    #[test]
    fn a_full_command_parses_exactly() {
        let p = payload(br#"{"id":"c-1","value":12.5,"expires":"2026-11-24T10:00:00.250+01:00"}"#)
            .unwrap();
        assert_eq!(p.id, "c-1");
        assert_eq!(
            p.value,
            CommandValue::Number(serde_json::Number::from_f64(12.5).unwrap())
        );
        assert_eq!(
            p.expires.unwrap().to_rfc3339_millis(),
            "2026-11-24T09:00:00.250Z"
        );
        let big = payload(br#"{"id":"x","value":18446744073709551615}"#).unwrap();
        match big.value {
            CommandValue::Number(n) => assert_eq!(n.as_u64(), Some(u64::MAX)),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            payload(br#"{"id":"b","value":true}"#).unwrap().value,
            CommandValue::Bool(true)
        );
        assert_eq!(
            payload(br#"{"id":"s","value":"on"}"#).unwrap().value,
            CommandValue::String("on".into())
        );
    }

    #[test]
    fn a_command_may_carry_structured_values_params_or_no_value() {
        let none = payload(br#"{"id":"n"}"#).unwrap();
        assert_eq!(none.value, CommandValue::None);
        assert!(none.params.is_empty());
        assert_eq!(
            payload(br#"{"id":"n","value":null}"#).unwrap().value,
            CommandValue::None
        );
        let p = payload(br#"{"id":"p","value":[1,{"a":2}],"params":{"qualifier":"long-pulse"}}"#)
            .unwrap();
        assert_eq!(p.value.kind(), "array");
        assert_eq!(
            p.params.get("qualifier").and_then(|q| q.as_str()),
            Some("long-pulse")
        );
    }

    #[test]
    fn every_malformed_command_is_refused_with_its_reason() {
        let cases: [(&[u8], Option<&str>, &str); 10] = [
            (b"not json", None, "malformed JSON"),
            (b"[1,2]", None, "expected a JSON object"),
            (br#"{"value":1}"#, None, "missing id"),
            (br#"{"id":"","value":1}"#, None, "missing id"),
            (br#"{"id":7,"value":1}"#, None, "must be a string"),
            (
                br#"{"id":"a","params":[1]}"#,
                Some("a"),
                "params must be an object",
            ),
            (
                br#"{"id":"a","value":1,"expire":"x"}"#,
                Some("a"),
                "unknown key \"expire\"",
            ),
            (
                br#"{"id":"a","value":1,"expires":"tomorrow"}"#,
                Some("a"),
                "RFC 3339",
            ),
            (
                br#"{"id":"a","value":1,"expires":5}"#,
                Some("a"),
                "RFC 3339",
            ),
            (
                br#"{"id":"a","value":1,"expires":"2026-11-24T10:00:00"}"#,
                Some("a"),
                "RFC 3339",
            ),
        ];
        for (bytes, id, reason) in cases {
            let e = payload(bytes).unwrap_err();
            assert_eq!(e.id.as_deref(), id, "{}", String::from_utf8_lossy(bytes));
            assert!(
                e.reason.contains(reason),
                "{}: {}",
                String::from_utf8_lossy(bytes),
                e.reason
            );
        }
        let long = format!(r#"{{"id":"{}","value":1}}"#, "x".repeat(MAX_ID_LEN + 1));
        assert!(payload(long.as_bytes())
            .unwrap_err()
            .reason
            .contains("longer"));
        let huge = vec![b' '; MAX_PAYLOAD + 1];
        assert!(payload(&huge).unwrap_err().reason.contains("at most"));
    }

    proptest! {
        #[test]
        fn any_bytes_give_a_command_or_a_reason(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            match payload(&bytes) {
                Ok(p) => prop_assert!(!p.id.is_empty()),
                Err(e) => prop_assert!(!e.reason.is_empty()),
            }
        }

        #[test]
        fn any_topic_is_parsed_without_panic(topic in ".{0,80}") {
            if let Some((d, p)) = target("fb/s", &topic) {
                prop_assert_eq!(format!("fb/s/{d}/{p}/set"), topic);
            }
        }
    }
}
