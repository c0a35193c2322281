#!/usr/bin/env python3
"""Summarise the IEC 60870-5-104 APDUs of a capture as tshark (Wireshark's dissectors) decodes them.

Usage: tshark_summary.py CAPTURE [PORT]

Runs `tshark -r CAPTURE -T json --no-duplicate-keys`, with `-d tcp.port==PORT,iec60870_104` when
PORT is given and is not 2404 (the registered port, decoded without options), and prints, on
stdout, a JSON object:

    {"capture": NAME, "port": PORT, "apdus": [APDU, ...]}

with one APDU per line, in capture order (several APDUs of one packet in their order in it):

    frame            tshark's frame number
    src, dst         "IP:PORT"
    apci             "I", "S" or "U"
    ns, nr           the send and receive sequence numbers (I: both, S: nr)
    u_function       STARTDT/STOPDT/TESTFR act/con (U)
    and for I frames the ASDU as tshark reads it:
    type_id, sq, count, cot, negative, test, originator, common_address,
    ioas             the information object addresses, in order

`--no-duplicate-keys` makes tshark list the layers of a packet carrying several APDUs instead of
repeating the key (which JSON readers collapse to the last one). Only the standard library is
used.
"""

import json
import subprocess
import sys
from pathlib import Path

U_FUNCTIONS = {
    0x01: "STARTDT act",
    0x02: "STARTDT con",
    0x04: "STOPDT act",
    0x08: "STOPDT con",
    0x10: "TESTFR act",
    0x20: "TESTFR con",
}

ASDU_FIELDS = [
    ("iec60870_asdu.typeid", "type_id"),
    ("iec60870_asdu.sq", "sq"),
    ("iec60870_asdu.numix", "count"),
    ("iec60870_asdu.causetx", "cot"),
    ("iec60870_asdu.nega", "negative"),
    ("iec60870_asdu.test", "test"),
    ("iec60870_asdu.oa", "originator"),
    ("iec60870_asdu.addr", "common_address"),
]


def number(text: str) -> int:
    """tshark prints integers in decimal, or hexadecimal with 0x."""
    return int(text, 0)


def as_list(value) -> list:
    """A layer or field that tshark lists when it repeats, as a list either way."""
    return value if isinstance(value, list) else [value]


def ioas(asdu: dict) -> list:
    """The IOAs of tshark's "IOA: N" subtrees, in the order tshark shows them."""
    found = []
    for key, value in asdu.items():
        if key.startswith("IOA"):
            for tree in as_list(value):
                found.append(number(tree["iec60870_asdu.ioa"]))
    return found


def summarise(capture: Path, port: int | None) -> dict:
    """The summary object of one capture."""
    command = ["tshark", "-r", str(capture), "-T", "json", "--no-duplicate-keys"]
    if port is not None and port != 2404:
        command += ["-d", f"tcp.port=={port},iec60870_104"]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    apdus = []
    for packet in json.loads(out):
        layers = packet["_source"]["layers"]
        if "iec60870_104" not in layers:
            continue
        ip = layers.get("ip", {})
        tcp = layers.get("tcp", {})
        src = f'{ip.get("ip.src")}:{tcp.get("tcp.srcport")}'
        dst = f'{ip.get("ip.dst")}:{tcp.get("tcp.dstport")}'
        asdus = iter(as_list(layers.get("iec60870_asdu", [])))
        for apci in as_list(layers["iec60870_104"]):
            kind = number(apci["iec60870_104.type"])
            entry = {"frame": number(layers["frame"]["frame.number"]), "src": src, "dst": dst}
            if kind == 0:
                entry.update(apci="I", ns=number(apci["iec60870_104.tx"]), nr=number(apci["iec60870_104.rx"]))
                asdu = next(asdus)
                for field, name in ASDU_FIELDS:
                    if field in asdu:
                        entry[name] = number(asdu[field])
                entry["ioas"] = ioas(asdu)
            elif kind == 1:
                entry.update(apci="S", nr=number(apci["iec60870_104.rx"]))
            else:
                entry.update(apci="U", u_function=U_FUNCTIONS.get(number(apci["iec60870_104.utype"])))
            apdus.append(entry)
    return {"capture": capture.name, "port": port, "apdus": apdus}


def main() -> int:
    capture = Path(sys.argv[1])
    port = int(sys.argv[2]) if len(sys.argv) > 2 else None
    summary = summarise(capture, port)
    print("{")
    print(f'  "capture": {json.dumps(summary["capture"])},')
    print(f'  "port": {json.dumps(summary["port"])},')
    print('  "apdus": [')
    lines = [f"    {json.dumps(a)}" for a in summary["apdus"]]
    print(",\n".join(lines))
    print("  ]")
    print("}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
