#!/usr/bin/env python3
"""pymodbus 3.16 peer for fieldbridge tests: a Modbus TCP or RTU server.

Usage:
    modbus_server.py tcp PORT   [--profile map|ramp] [--host 127.0.0.1] [--framer socket|rtu]
    modbus_server.py rtu TTY    [--profile map|ramp] [--baudrate 19200]
    modbus_server.py ascii TTY  [--profile map|ramp] [--baudrate 19200]
  common options: [--units 1,2] [--dead UNIT:exception|silent ...] [--control FILE]
                  [--events FILE]

`tcp --framer rtu` serves RTU frames (CRC, no MBAP) on a TCP port, as a serial gateway in
transparent mode does; `ascii` serves Modbus ASCII (':' ... LRC CR LF) on a serial line.

Gateway behaviour, for tests of several units behind one connection:
  --units 1,2,3     the unit ids served (default 1,2), each with its own copy of the data.
  --dead 3:exception   unit 3 answers every request with exception 0x0B (GATEWAY TARGET
                    DEVICE FAILED TO RESPOND); --dead 3:silent: unit 3 never answers.
  --control FILE    read before every answer: lines "UNIT MODE" (MODE exception or silent)
                    make more units dead for as long as the line is there (a missing or
                    empty file: none), so a test switches a unit dead and alive again.
  --events FILE     appends "connect" and "disconnect", one line per TCP connection event,
                    so a test can count the connections a client made.

Profiles (every profile serves the --units, each with its own copy of the data, so a
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
from pymodbus.pdu import ExceptionResponse
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


GATEWAY_TARGET_FAILED = 0x0B


class Gateway:
    """Makes units dead (exception 0x0B or silence) and records connections."""

    def __init__(self, dead: dict[int, str], control: Path | None, events: Path | None):
        self.dead = dead
        self.control = control
        self.events = events
        self.drop_next = False

    def dead_now(self) -> dict[int, str]:
        """The units dead from the start and those the control file names now."""
        dead = dict(self.dead)
        if self.control is not None:
            try:
                text = self.control.read_text(encoding="utf-8")
            except OSError:
                text = ""
            for line in text.splitlines():
                parts = line.split()
                if len(parts) == 2 and parts[0].isdigit():
                    dead[int(parts[0])] = parts[1]
        return dead

    def trace_pdu(self, sending: bool, pdu):
        """On the way out: a dead unit's answer becomes exception 0x0B, or is dropped."""
        if not sending:
            return pdu
        mode = self.dead_now().get(pdu.dev_id)
        if mode == "silent":
            self.drop_next = True
        elif mode == "exception":
            return ExceptionResponse(
                pdu.function_code & 0x7F,
                exception_code=GATEWAY_TARGET_FAILED,
                device_id=pdu.dev_id,
                transaction=pdu.transaction_id,
            )
        return pdu

    def trace_packet(self, sending: bool, data: bytes) -> bytes:
        """Drops the frame of a silent unit."""
        if sending and self.drop_next:
            self.drop_next = False
            return b""
        return data

    def trace_connect(self, connect: bool) -> None:
        """Appends "connect" or "disconnect" to the events file."""
        if self.events is not None:
            with self.events.open("a", encoding="utf-8") as f:
                f.write("connect\n" if connect else "disconnect\n")


def parse_dead(values: list[str]) -> dict[int, str]:
    """`3:exception` and `4:silent` into {3: "exception", 4: "silent"}."""
    dead = {}
    for value in values:
        unit, _, mode = value.partition(":")
        if mode not in ("exception", "silent"):
            raise SystemExit(f"--dead {value}: mode must be exception or silent")
        dead[int(unit)] = mode
    return dead


async def serve(args: argparse.Namespace) -> None:
    """Start the server, say "ready", serve forever."""
    tables = map_tables() if args.profile == "map" else ramp_tables()
    units = [int(u) for u in args.units.split(",") if u]
    devices = [device(unit, tables) for unit in units]
    gateway = Gateway(
        parse_dead(args.dead),
        Path(args.control) if args.control else None,
        Path(args.events) if args.events else None,
    )
    traces = {
        "trace_pdu": gateway.trace_pdu,
        "trace_packet": gateway.trace_packet,
        "trace_connect": gateway.trace_connect,
    }
    if args.mode == "tcp":
        framer = FramerType.RTU if args.framer == "rtu" else FramerType.SOCKET
        server = ModbusTcpServer(
            devices,
            framer=framer,
            address=(args.host, int(args.target)),
            identity=identity(),
            **traces,
        )
    else:
        server = ModbusSerialServer(
            devices,
            framer=FramerType.ASCII if args.mode == "ascii" else FramerType.RTU,
            port=args.target,
            baudrate=args.baudrate,
            identity=identity(),
            **traces,
        )
    await server.serve_forever(background=True)
    print("ready", flush=True)
    await server.serving


def main() -> None:
    """Parse the arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("tcp", "rtu", "ascii"))
    parser.add_argument("target", help="TCP port, or the serial device path for rtu and ascii")
    parser.add_argument("--framer", choices=("socket", "rtu"), default="socket")
    parser.add_argument("--units", default=",".join(str(u) for u in UNITS))
    parser.add_argument("--dead", action="append", default=[], metavar="UNIT:MODE")
    parser.add_argument("--control", help="file naming units dead now: lines UNIT MODE")
    parser.add_argument("--events", help="file to append connect/disconnect lines to")
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
