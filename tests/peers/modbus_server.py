#!/usr/bin/env python3
"""pymodbus 3.16 peer for fieldbridge tests: a Modbus TCP or RTU server.

Usage:
    modbus_server.py tcp PORT [--profile map|ramp] [--host 127.0.0.1]
    modbus_server.py rtu TTY  [--profile map|ramp] [--baudrate 19200]

Profiles (every profile serves unit ids 1 and 2, each with its own copy of the data, so a
write to one unit does not show on the other; any other unit id answers exception 4, a
pymodbus 3.16.1 quirk):
  map   the fixed map of tests/peers/modbus_map.json (see README.md beside this file).
  ramp  holding and input registers 0..9999 hold their own address; coils and discrete
        inputs 0..1999 are on when address % 3 == 0. For large reads and chunking tests.

Addresses are 0-based protocol (PDU) addresses; one past the end of each table answers
exception 2 (illegal data address). The server prints "ready" on stdout (flushed) once it
listens, then serves until killed. It uses the SimDevice/SimData API of pymodbus 3.16 (the
replacement of the deprecated ModbusDeviceContext/ModbusSequentialDataBlock).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path

from pymodbus import FramerType
from pymodbus.pdu.device import ModbusDeviceIdentification
from pymodbus.server import ModbusSerialServer, ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

MAP_PATH = Path(__file__).resolve().parent / "modbus_map.json"
UNITS = (1, 2)


def map_tables(path: Path = MAP_PATH) -> dict[str, list[int]]:
    """The four tables (register words, or 0/1 bits) of the fixed map."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    tables = {name: [0] * size for name, size in doc["sizes"].items()}
    for point in doc["points"]:
        table, _, rest = point["register"].partition(":")
        address = int(rest.split(".")[0])
        for i, word in enumerate(point["raw"]):
            tables[table][address + i] = word
    return tables


def ramp_tables() -> dict[str, list[int]]:
    """Large tables whose values are easy to predict."""
    bits = [1 if a % 3 == 0 else 0 for a in range(2000)]
    return {
        "holding": list(range(10000)),
        "input": list(range(10000)),
        "coil": bits,
        "discrete": list(bits),
    }


def identity() -> ModbusDeviceIdentification:
    """Device identification answered to FC 43/14."""
    return ModbusDeviceIdentification(
        info_name={
            "VendorName": "fieldbridge-tests",
            "ProductCode": "FB-PYMODBUS",
            "MajorMinorRevision": "3.16.1",
            "VendorUrl": "https://example.invalid/fieldbridge",
            "ProductName": "pymodbus peer",
            "ModelName": "modbus_server.py",
        }
    )


def device(unit: int, tables: dict[str, list[int]]) -> SimDevice:
    """One unit with four distinct (non-shared) tables starting at address 0."""

    def bits(values: list[int]) -> list[SimData]:
        return [SimData(0, values=[bool(v) for v in values], datatype=DataType.BITS)]

    def regs(values: list[int]) -> list[SimData]:
        return [SimData(0, values=list(values), datatype=DataType.REGISTERS)]

    return SimDevice(
        unit,
        simdata=(
            bits(tables["coil"]),
            bits(tables["discrete"]),
            regs(tables["holding"]),
            regs(tables["input"]),
        ),
        identity=identity(),
    )


async def serve(args: argparse.Namespace) -> None:
    """Start the server, say "ready", serve forever."""
    tables = map_tables() if args.profile == "map" else ramp_tables()
    devices = [device(unit, tables) for unit in UNITS]
    if args.mode == "tcp":
        server = ModbusTcpServer(
            devices, address=(args.host, int(args.target)), identity=identity()
        )
    else:
        server = ModbusSerialServer(
            devices,
            framer=FramerType.RTU,
            port=args.target,
            baudrate=args.baudrate,
            identity=identity(),
        )
    await server.serve_forever(background=True)
    print("ready", flush=True)
    await server.serving


def main() -> None:
    """Parse the arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("tcp", "rtu"))
    parser.add_argument("target", help="TCP port, or the serial device path for rtu")
    parser.add_argument("--profile", choices=("map", "ramp"), default="map")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--baudrate", type=int, default=19200)
    parser.add_argument("--verbose", action="store_true", help="pymodbus debug log on stderr")
    args = parser.parse_args()
    logging.basicConfig(stream=sys.stderr, level=logging.DEBUG if args.verbose else logging.ERROR)
    try:
        asyncio.run(serve(args))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
