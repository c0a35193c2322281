#!/usr/bin/env python3
"""Decode Sparkplug B messages with pysparkplug, the oracle of fieldbridge-sparkplug's encoder.

Reads JSON lines on stdin, `{"topic": "spBv1.0/...", "payload": "<hex>"}`, in the order they were
published, and prints one JSON line for each on stdout:

    {"topic", "type", "group", "node", "device", "seq", "timestamp",
     "metrics": [{"name", "alias", "datatype", "value", "is_null", "is_historical",
                  "timestamp", "properties"}]}

or `{"topic", "error": "..."}` when pysparkplug refuses the message. Births are remembered per
(group, node, device) as pysparkplug's own client does, so alias-only DATA messages decode with
their names and datatypes from the birth. Values: DateTime as milliseconds, Bytes as hex, floats
as JSON numbers. Datatypes by the specification's names ("Int16").

`properties` comes from pysparkplug's generated protobuf module (pysparkplug's Metric drops
them): {key: {"type": "UInt64", "value": ...}}.

The first line printed is `{"pysparkplug": "<version>"}`.
"""

import json
import sys

import pysparkplug
from pysparkplug import DataType, MessageType, Topic
from pysparkplug import _protobuf as pb
from spec import jsonable, spec_name


def property_value(pv):
    field = pv.WhichOneof("value")
    value = getattr(pv, field) if field else None
    if field == "int_value" and pv.type == DataType.INT32:
        value = value - (1 << 32) if value >= 1 << 31 else value
    return {
        "type": spec_name(pv.type),
        "value": value,
        "is_null": pv.is_null,
    }


def raw_properties(raw):
    """Properties of each metric, straight from pysparkplug's generated protobuf classes."""
    payload = pb.Payload.FromString(raw)
    out = []
    for m in payload.metrics:
        props = {}
        if m.HasField("properties"):
            for k, v in zip(m.properties.keys, m.properties.values):
                props[k] = property_value(v)
        out.append(props)
    return out


def describe(topic_str, raw, births):
    topic = Topic.from_str(topic_str)
    mtype = topic.message_type
    key = (topic.group_id, topic.edge_node_id, topic.device_id)
    payload_cls = mtype.payload
    decoded = payload_cls.decode(raw, birth=births.get(key))
    if isinstance(decoded, pysparkplug.NBirth) or isinstance(decoded, pysparkplug.DBirth):
        births[key] = decoded
    raw_pb = pb.Payload.FromString(raw)
    out = {
        "topic": topic_str,
        "type": str(mtype),
        "group": topic.group_id,
        "node": topic.edge_node_id,
        "device": topic.device_id,
        # from the protobuf itself: pysparkplug's NDeath inverts the timestamp's presence
        "seq": raw_pb.seq if raw_pb.HasField("seq") else None,
        "timestamp": raw_pb.timestamp if raw_pb.HasField("timestamp") else None,
    }
    if isinstance(decoded, pysparkplug.NDeath):
        metrics = [decoded.bd_seq_metric]
    else:
        metrics = list(getattr(decoded, "metrics", ()))
    props = raw_properties(raw)
    out["metrics"] = [
        {
            "name": m.name,
            "alias": m.alias,
            "datatype": spec_name(m.datatype),
            "value": jsonable(m.value),
            "is_null": m.is_null,
            "is_historical": m.is_historical,
            "timestamp": m.timestamp,
            "properties": props[i] if i < len(props) else {},
        }
        for i, m in enumerate(metrics)
    ]
    return out


def main():
    print(json.dumps({"pysparkplug": pysparkplug.__version__}), flush=True)
    births = {}
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        msg = json.loads(line)
        try:
            out = describe(msg["topic"], bytes.fromhex(msg["payload"]), births)
        except Exception as exc:  # report, keep going: the test asserts on it
            out = {"topic": msg["topic"], "error": f"{type(exc).__name__}: {exc}"}
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
