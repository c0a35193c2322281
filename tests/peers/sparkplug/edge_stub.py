#!/usr/bin/env python3
"""A stand-in edge node for trying host.py by hand: publishes prepared messages, records commands.

    edge_stub.py --port P < session.jsonl > commands.jsonl

Reads JSON lines `{"topic", "payload": hex}` (e.g. from `cargo run -p fieldbridge-sparkplug
--example session dump`); the first, an NDEATH, becomes the CONNECT's will (QoS 1, not
retained); the others are published in order, QoS 0, after subscribing the edge node's NCMD and
DCMD topics. Then it prints every NCMD/DCMD it receives as `{"topic", "payload": hex}` until
killed (SIGTERM), or for --seconds.
"""

import argparse
import json
import sys
import time

import paho.mqtt.client as mqtt


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=1883)
    p.add_argument("--seconds", type=float, default=3600)
    args = p.parse_args()
    msgs = [json.loads(line) for line in sys.stdin if line.strip()]
    will, rest = msgs[0], msgs[1:]
    group, node = will["topic"].split("/")[1], will["topic"].split("/")[3]
    client = mqtt.Client(client_id=f"stub-{node}", clean_session=True)
    client.will_set(will["topic"], bytes.fromhex(will["payload"]), qos=1, retain=False)

    def on_message(_c, _u, msg):
        print(json.dumps({"topic": msg.topic, "payload": msg.payload.hex()}), flush=True)

    client.on_message = on_message
    client.connect(args.host, args.port)
    client.loop_start()
    for t in (f"spBv1.0/{group}/NCMD/{node}", f"spBv1.0/{group}/DCMD/{node}/#"):
        client.subscribe(t, qos=1)
    time.sleep(0.3)
    for m in rest:
        client.publish(m["topic"], bytes.fromhex(m["payload"]), qos=0).wait_for_publish(5)
    time.sleep(args.seconds)


if __name__ == "__main__":
    main()
