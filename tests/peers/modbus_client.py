#!/usr/bin/env python3
"""pymodbus 3.16 client for fieldbridge tests: reads or writes registers of a Modbus peer.

Usage (TCP by default, RTU with --rtu TTY):
    modbus_client.py [--host H] [--port P | --rtu TTY] [--unit U] OP ADDRESS [ARGS...]

Operations (addresses are 0-based protocol addresses):
    read-coils A N | read-discrete A N | read-holding A N | read-input A N
    write-coil A 0|1 | write-register A V | write-coils A B... | write-registers A V...
    mask-write A AND OR | read-write RA N WA V...   (FC 22 and FC 23)
    device-id                                       (FC 43/14, basic objects)
    check-map                                       (read every point of modbus_map.json)

It prints one JSON object per operation on stdout: {"ok": true, "values": [...]} or
{"ok": false, "exception": CODE} for a Modbus exception; it exits 1 on a transport error
and 2 when check-map finds a mismatch (the mismatches are listed).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pymodbus import FramerType
from pymodbus.client import ModbusSerialClient, ModbusTcpClient
from pymodbus.exceptions import ModbusException

MAP_PATH = Path(__file__).resolve().parent / "modbus_map.json"


def result(response) -> dict:
    """JSON-able form of a pymodbus response."""
    if response.isError():
        return {"ok": False, "function": response.function_code, "exception": response.exception_code}
    out: dict = {"ok": True, "function": response.function_code}
    if getattr(response, "registers", None):
        out["values"] = list(response.registers)
    elif getattr(response, "bits", None):
        out["values"] = [int(b) for b in response.bits]
    if getattr(response, "information", None):
        out["information"] = {
            str(k): v.decode("latin-1") if isinstance(v, bytes) else str(v)
            for k, v in response.information.items()
        }
    return out


def check_map(client, unit: int) -> int:
    """Read every point of the map and compare with its raw words; return mismatches."""
    doc = json.loads(MAP_PATH.read_text(encoding="utf-8"))
    bad = 0
    for point in doc["points"]:
        table, _, rest = point["register"].partition(":")
        address = int(rest.split(".")[0])
        count = len(point["raw"])
        read = {
            "holding": client.read_holding_registers,
            "input": client.read_input_registers,
            "coil": client.read_coils,
            "discrete": client.read_discrete_inputs,
        }[table]
        response = read(address, count=count, device_id=unit)
        got = result(response).get("values", [])[:count]
        if got != point["raw"]:
            bad += 1
            print(json.dumps({"mismatch": point["name"], "raw": point["raw"], "got": got}))
    print(json.dumps({"ok": bad == 0, "points": len(doc["points"]), "mismatches": bad}))
    return bad


def run(client, unit: int, op: str, a: list[int]):
    """Run one operation and return the response."""
    u = {"device_id": unit}
    if op == "read-coils":
        return client.read_coils(a[0], count=a[1], **u)
    if op == "read-discrete":
        return client.read_discrete_inputs(a[0], count=a[1], **u)
    if op == "read-holding":
        return client.read_holding_registers(a[0], count=a[1], **u)
    if op == "read-input":
        return client.read_input_registers(a[0], count=a[1], **u)
    if op == "write-coil":
        return client.write_coil(a[0], bool(a[1]), **u)
    if op == "write-register":
        return client.write_register(a[0], a[1], **u)
    if op == "write-coils":
        return client.write_coils(a[0], [bool(b) for b in a[1:]], **u)
    if op == "write-registers":
        return client.write_registers(a[0], a[1:], **u)
    if op == "mask-write":
        return client.mask_write_register(address=a[0], and_mask=a[1], or_mask=a[2], **u)
    if op == "read-write":
        return client.readwrite_registers(
            read_address=a[0], read_count=a[1], write_address=a[2], values=a[3:], **u
        )
    if op == "device-id":
        return client.read_device_information(read_code=1, object_id=0, **u)
    raise SystemExit(f"unknown operation {op}")


def main() -> int:
    """Parse the arguments, connect, run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=502)
    parser.add_argument("--rtu", metavar="TTY", help="use Modbus RTU on this serial device")
    parser.add_argument("--baudrate", type=int, default=19200)
    parser.add_argument("--unit", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=3.0)
    parser.add_argument("op")
    parser.add_argument("args", nargs="*", type=lambda s: int(s, 0))
    args = parser.parse_args()
    if args.rtu:
        client = ModbusSerialClient(
            args.rtu, framer=FramerType.RTU, baudrate=args.baudrate, timeout=args.timeout
        )
    else:
        client = ModbusTcpClient(args.host, port=args.port, timeout=args.timeout)
    if not client.connect():
        print(json.dumps({"ok": False, "error": "cannot connect"}))
        return 1
    try:
        if args.op == "check-map":
            return 2 if check_map(client, args.unit) else 0
        print(json.dumps(result(run(client, args.unit, args.op, args.args))))
        return 0
    except ModbusException as exc:
        print(json.dumps({"ok": False, "error": str(exc)}))
        return 1
    finally:
        client.close()


if __name__ == "__main__":
    sys.exit(main())
