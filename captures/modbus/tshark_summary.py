#!/usr/bin/env python3
"""Summarise the Modbus/TCP frames of a capture as tshark (Wireshark's dissectors) decodes them.

Usage: tshark_summary.py CAPTURE PORT

Runs `tshark -r CAPTURE -o mbtcp.tcp.port:PORT -T json` (tshark needs the port preference for
Modbus on a port other than 502) and prints, on stdout, a JSON object:

    {"capture": NAME, "port": PORT, "frames": [FRAME, ...]}

with one FRAME per Modbus ADU (one per line), in capture order:

    frame            tshark's frame number
    time             capture time, seconds since the epoch, as tshark prints it (a string)
    src, dst         "IP:PORT"
    kind             "request" (towards PORT), "response" (from PORT), or "exception" (a
                     response carrying an exception code)
    transaction_id, length (the MBAP length field), unit_id,
    function_code    tshark's function code (for an exception, the code without the 0x80 bit)
    and, only when tshark shows them:
    reference        the starting address (modbus.reference_num)
    word_count, bit_count, byte_count
    read_reference, read_word_count, write_reference, write_word_count   (FC 23)
    and_mask, or_mask                                                    (FC 22)
    mei_type, read_device_id, object_id                                  (FC 43)
    exception_code
    request_frame    the request's frame number, for a response tshark matched to it

Only the standard library is used; the Rust tests run this again and compare with the committed
pymodbus-tcp.tshark.json.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

FIELDS = {
    "modbus.reference_num": "reference",
    "modbus.word_cnt": "word_count",
    "modbus.bit_cnt": "bit_count",
    "modbus.byte_cnt": "byte_count",
    "modbus.read_reference_num": "read_reference",
    "modbus.read_word_cnt": "read_word_count",
    "modbus.write_reference_num": "write_reference",
    "modbus.write_word_cnt": "write_word_count",
    "modbus.and_mask": "and_mask",
    "modbus.or_mask": "or_mask",
    "modbus.mei": "mei_type",
    "modbus.read_device_id": "read_device_id",
    "modbus.object_id": "object_id",
    "modbus.exception_code": "exception_code",
    "modbus.request_frame": "request_frame",
}


def number(text: str) -> int:
    """tshark prints integers in decimal, or hexadecimal with 0x."""
    return int(text, 0)


def as_list(value) -> list:
    """tshark repeats a layer as a list when a frame holds several ADUs."""
    return value if isinstance(value, list) else [value]


def summarise(capture: Path, port: int) -> dict:
    """The summary object of one capture."""
    out = subprocess.run(
        ["tshark", "-r", str(capture), "-o", f"mbtcp.tcp.port:{port}", "-T", "json"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    frames = []
    for packet in json.loads(out):
        layers = packet["_source"]["layers"]
        if "mbtcp" not in layers:
            continue
        frame = layers["frame"]
        tcp = layers["tcp"]
        ip = layers.get("ip") or layers.get("ipv6")
        src_ip = ip.get("ip.src") or ip.get("ipv6.src")
        dst_ip = ip.get("ip.dst") or ip.get("ipv6.dst")
        towards_server = number(tcp["tcp.dstport"]) == port
        mbtcps = as_list(layers["mbtcp"])
        modbuses = as_list(layers.get("modbus", [{}] * len(mbtcps)))
        for mbtcp, modbus in zip(mbtcps, modbuses):
            entry = {
                "frame": number(frame["frame.number"]),
                "time": frame["frame.time_epoch"],
                "src": f"{src_ip}:{tcp['tcp.srcport']}",
                "dst": f"{dst_ip}:{tcp['tcp.dstport']}",
                "kind": "request" if towards_server else "response",
                "transaction_id": number(mbtcp["mbtcp.trans_id"]),
                "length": number(mbtcp["mbtcp.len"]),
                "unit_id": number(mbtcp["mbtcp.unit_id"]),
                "function_code": number(modbus["modbus.func_code"]),
            }
            for field, key in FIELDS.items():
                if field in modbus:
                    entry[key] = number(modbus[field])
            if "exception_code" in entry:
                entry["kind"] = "exception"
            frames.append(entry)
    return {"capture": capture.name, "port": port, "frames": frames}


def main() -> int:
    """Print the summary, one frame per line."""
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    summary = summarise(Path(sys.argv[1]), int(sys.argv[2]))
    lines = [
        "{",
        f' "capture": {json.dumps(summary["capture"])},',
        f' "port": {summary["port"]},',
        ' "frames": [',
        ",\n".join("  " + json.dumps(f) for f in summary["frames"]),
        " ]",
        "}",
    ]
    text = "\n".join(lines)
    assert json.loads(text) == summary
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
