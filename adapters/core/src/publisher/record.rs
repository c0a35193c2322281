//! What one outbox record holds: the topic and the JSON payload of a sample, serialized once when
//! the reading arrives and published from the disk log as it is.
//!
//! ```text
//! topic length u16 LE | topic (UTF-8) | JSON payload
//! ```
//! A replayed sample gets `"historical":true` spliced in before the payload's closing brace, so the
//! record on disk never changes and a live sample costs no second serialization.

/// Encodes a record.
pub(crate) fn encode(topic: &str, json: &[u8], out: &mut Vec<u8>) {
    out.clear();
    let len = u16::try_from(topic.len()).unwrap_or(u16::MAX);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(topic.as_bytes().get(..usize::from(len)).unwrap_or_default());
    out.extend_from_slice(json);
}

/// The topic and payload of a record; `None` when it is not one of ours.
pub(crate) fn decode(record: &[u8]) -> Option<(&str, &[u8])> {
    let (len, rest) = record.split_first_chunk::<2>()?;
    let len = usize::from(u16::from_le_bytes(*len));
    let topic = std::str::from_utf8(rest.get(..len)?).ok()?;
    Some((topic, rest.get(len..)?))
}

/// The payload marked `historical` (delivered late from the outbox), unless it already is (a
/// sample the device itself handed over late). A `"historical":true` inside a string value is
/// escaped (`\"historical\":true`), so the search cannot be fooled by a value.
pub(crate) fn mark_historical(json: &[u8]) -> Vec<u8> {
    const MARK: &[u8] = br#""historical":true"#;
    if json.windows(MARK.len()).any(|w| w == MARK) {
        return json.to_vec();
    }
    match json.iter().rposition(|&b| b == b'}') {
        Some(end) if json.first() == Some(&b'{') => {
            let mut out = Vec::with_capacity(json.len() + 18);
            out.extend_from_slice(json.get(..end).unwrap_or_default());
            out.extend_from_slice(br#","historical":true}"#);
            out
        }
        _ => json.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip() {
        let mut buf = Vec::new();
        encode("fieldbridge/site/plc/level", br#"{"seq":1}"#, &mut buf);
        assert_eq!(
            decode(&buf),
            Some(("fieldbridge/site/plc/level", &br#"{"seq":1}"#[..]))
        );
        assert_eq!(decode(&buf[..5]), None);
        assert_eq!(decode(&[]), None);
    }

    #[test]
    fn a_sample_already_historical_is_not_marked_twice() {
        let late = br#"{"seq":7,"value":1.5,"historical":true,"source":{"device":"m"}}"#;
        assert_eq!(mark_historical(late), late.to_vec());
        let fooled = br#"{"seq":7,"value":"\"historical\":true","source":{"device":"m"}}"#;
        let v: serde_json::Value = serde_json::from_slice(&mark_historical(fooled)).unwrap();
        assert_eq!(v["historical"], true);
    }

    #[test]
    fn historical_is_spliced_into_valid_json() {
        let marked = mark_historical(br#"{"seq":7,"value":1.5,"source":{"device":"plc"}}"#);
        let v: serde_json::Value = serde_json::from_slice(&marked).unwrap_or_default();
        assert_eq!(v["historical"], true);
        assert_eq!(v["seq"], 7);
        assert_eq!(v["source"]["device"], "plc");
    }
}
