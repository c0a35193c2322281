#!/usr/bin/env python3
"""A Sparkplug B host application on pysparkplug 0.6.1, for end-to-end tests of the bridge.

    host.py --host 127.0.0.1 --port 1883 [--host-id scada-1] [--client-id ID] [--cmd-qos 0]

Connects (clean session), subscribes `spBv1.0/#` and prints one JSON line per message received,
flushed (stdout):

    {"type": "NBIRTH|DBIRTH|NDATA|DDATA|DDEATH|NDEATH", "topic", "group", "node", "device",
     "seq", "timestamp", "metrics": [{"name", "alias", "datatype", "value", "is_null",
     "is_historical", "timestamp", "properties"}]}
    {"type": "STATE", "topic", "host_id", "online", "timestamp"}
    {"type": "<verb>", "topic", ..., "error": "..."}      when pysparkplug refuses the payload

Names of alias-only metrics come from the birth (an NBIRTH forgets the node's DBIRTHs, as the
specification says a new NBIRTH needs new DBIRTHs). Datatypes by the specification's names
("Int16"); DateTime values as ms since the epoch; Bytes as hex. `properties` is read from
pysparkplug's generated protobuf classes (its Metric drops them):
{"seq": {"type": "UInt64", "value": 7, "is_null": false}}.

With `--host-id ID` it is a (primary) host application: its will is the retained STATE
`{"online": false, "timestamp": T}` on `spBv1.0/STATE/ID` (QoS 1), and once subscribed it
publishes `{"online": true, "timestamp": T}` there, retained, QoS 1 (Sparkplug 3.0, 4.2.3).

Prints `{"type": "ready"}` once subscribed (and, with --host-id, once its STATE online is
acknowledged). Reads JSON lines on stdin:

    {"rebirth": true, "group": "g", "node": "n"}          NCMD Node Control/Rebirth = true
    {"dcmd": {"group": "g", "node": "n", "device": "d",
              "metrics": [{"name": "sp", "datatype": "UInt16", "value": 5}]}}
        DCMD; a metric may give "alias" instead of "name"; "datatype" may be left out when
        the DBIRTH seen gave one; "include_datatype": true puts it in the payload (the
        specification says commands should not carry it). DateTime values are ms, Bytes hex.
    {"state": "offline"} / {"state": "online"}             publishes its STATE (new timestamp)

and prints `{"type": "sent", "topic": ...}` after each. At the end of stdin it publishes its
STATE offline (with --host-id) and disconnects.
"""

import argparse
import datetime
import json
import sys
import threading
import time

import paho.mqtt.client as mqtt
import pysparkplug
from pysparkplug import DataType, Metric, MessageType, Topic
from pysparkplug import _protobuf as pb
from spec import NAMES, jsonable, spec_name

_print_lock = threading.Lock()


def emit(obj):
    with _print_lock:
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()


def now_ms():
    return int(time.time() * 1000)


def to_python(datatype, value):
    if value is None:
        return None
    if datatype == DataType.DATETIME:
        return datetime.datetime.fromtimestamp(value / 1000, tz=datetime.timezone.utc)
    if datatype in (DataType.BYTES, DataType.FILE):
        return bytes.fromhex(value)
    return value


def properties_of(raw):
    out = []
    for m in pb.Payload.FromString(raw).metrics:
        props = {}
        if m.HasField("properties"):
            for k, v in zip(m.properties.keys, m.properties.values):
                field = v.WhichOneof("value")
                value = getattr(v, field) if field else None
                if field == "int_value" and v.type == DataType.INT32 and value >= 1 << 31:
                    value -= 1 << 32
                props[k] = {"type": spec_name(v.type), "value": value, "is_null": v.is_null}
        out.append(props)
    return out


class Host:
    def __init__(self, args):
        self.args = args
        self.births = {}  # (group, node, device) -> Birth
        self.state_ts = now_ms()
        self.ready_mid = None
        self.sub_mid = None
        self.client = mqtt.Client(client_id=args.client_id or "", clean_session=True)
        self.client.on_connect = self.on_connect
        self.client.on_subscribe = self.on_subscribe
        self.client.on_publish = self.on_publish
        self.client.on_message = self.on_message
        if args.host_id:
            self.state_topic = str(Topic(message_type=MessageType.STATE, sparkplug_host_id=args.host_id))
            self.client.will_set(self.state_topic, self.state_payload(False), qos=1, retain=True)

    def state_payload(self, online):
        return json.dumps({"online": online, "timestamp": self.state_ts})

    def on_connect(self, client, _userdata, _flags, rc):
        if rc != 0:
            emit({"type": "error", "error": f"CONNACK {rc}"})
            return
        _, self.sub_mid = client.subscribe("spBv1.0/#", qos=1)

    def on_subscribe(self, client, _userdata, mid, _granted):
        if mid != self.sub_mid:
            return
        if self.args.host_id:
            info = client.publish(self.state_topic, self.state_payload(True), qos=1, retain=True)
            self.ready_mid = info.mid
        else:
            emit({"type": "ready"})

    def on_publish(self, _client, _userdata, mid):
        if self.ready_mid is not None and mid == self.ready_mid:
            self.ready_mid = None
            emit({"type": "ready"})

    def on_message(self, _client, _userdata, msg):
        try:
            emit(self.describe(msg.topic, msg.payload))
        except Exception as exc:  # a bad message is reported, never fatal
            verb = msg.topic.split("/")[2] if msg.topic.count("/") >= 2 else "?"
            emit({"type": verb, "topic": msg.topic, "error": f"{type(exc).__name__}: {exc}"})

    def describe(self, topic_str, raw):
        topic = Topic.from_str(topic_str)
        mtype = topic.message_type
        if mtype == MessageType.STATE:
            state = json.loads(raw)
            return {
                "type": "STATE",
                "topic": topic_str,
                "host_id": topic.sparkplug_host_id,
                "online": state.get("online"),
                "timestamp": state.get("timestamp"),
            }
        key = (topic.group_id, topic.edge_node_id, topic.device_id)
        if mtype == MessageType.NBIRTH:
            for k in [k for k in self.births if k[:2] == key[:2]]:
                del self.births[k]
        decoded = mtype.payload.decode(raw, birth=self.births.get(key))
        if mtype in (MessageType.NBIRTH, MessageType.DBIRTH):
            self.births[key] = decoded
        if mtype == MessageType.NDEATH:
            metrics = [decoded.bd_seq_metric]
        else:
            metrics = list(getattr(decoded, "metrics", ()))
        props = properties_of(raw)
        raw_pb = pb.Payload.FromString(raw)
        return {
            "type": str(mtype),
            "topic": topic_str,
            "group": topic.group_id,
            "node": topic.edge_node_id,
            "device": topic.device_id,
            # from the protobuf itself: pysparkplug's NDeath inverts the timestamp's presence
            "seq": raw_pb.seq if raw_pb.HasField("seq") else None,
            "timestamp": raw_pb.timestamp if raw_pb.HasField("timestamp") else None,
            "metrics": [
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
            ],
        }

    def command(self, line):
        req = json.loads(line)
        if req.get("rebirth"):
            topic = Topic(group_id=req["group"], message_type=MessageType.NCMD, edge_node_id=req["node"])
            metric = Metric(timestamp=now_ms(), name="Node Control/Rebirth", datatype=DataType.BOOLEAN, value=True)
            payload = pysparkplug.NCmd(timestamp=now_ms(), metrics=(metric,)).encode(include_dtypes=True)
        elif "dcmd" in req:
            d = req["dcmd"]
            topic = Topic(group_id=d["group"], message_type=MessageType.DCMD, edge_node_id=d["node"], device_id=d["device"])
            birth = self.births.get((d["group"], d["node"], d["device"]))
            metrics = []
            for m in d["metrics"]:
                name = m.get("name")
                alias = m.get("alias")
                if "datatype" in m:
                    dtype = NAMES[m["datatype"]]
                else:
                    if birth is None:
                        raise ValueError("no datatype given and no DBIRTH seen for the device")
                    dtype = birth.get_dtype(name if name is not None else birth.get_name(alias))
                metrics.append(Metric(timestamp=now_ms(), name=name, alias=alias, datatype=dtype,
                                      value=to_python(dtype, m.get("value"))))
            payload = pysparkplug.DCmd(timestamp=now_ms(), metrics=tuple(metrics)).encode(
                include_dtypes=bool(d.get("include_datatype")))
        elif "state" in req:
            if not self.args.host_id:
                raise ValueError("no --host-id: this host has no STATE")
            self.state_ts = now_ms()
            online = req["state"] == "online"
            info = self.client.publish(self.state_topic, self.state_payload(online), qos=1, retain=True)
            info.wait_for_publish(5)
            emit({"type": "sent", "topic": self.state_topic, "online": online})
            return
        else:
            raise ValueError(f"unknown request {line!r}")
        info = self.client.publish(str(topic), payload, qos=self.args.cmd_qos, retain=False)
        info.wait_for_publish(5)
        emit({"type": "sent", "topic": str(topic)})

    def run(self):
        self.client.connect(self.args.host, self.args.port, keepalive=30)
        self.client.loop_start()
        for line in sys.stdin:
            if not line.strip():
                continue
            try:
                self.command(line)
            except Exception as exc:
                emit({"type": "error", "error": f"{type(exc).__name__}: {exc}"})
        if self.args.host_id:
            self.state_ts = now_ms()
            info = self.client.publish(self.state_topic, self.state_payload(False), qos=1, retain=True)
            info.wait_for_publish(5)
        self.client.disconnect()
        self.client.loop_stop()


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=1883)
    p.add_argument("--host-id")
    p.add_argument("--client-id")
    p.add_argument("--cmd-qos", type=int, default=0, choices=(0, 1))
    Host(p.parse_args()).run()


if __name__ == "__main__":
    main()
