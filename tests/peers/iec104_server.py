#!/usr/bin/env python3
"""A c104 2.2.1 (lib60870-C) IEC 60870-5-104 outstation for the bridge's tests.

Usage: iec104_server.py PORT [--ca N] [--offset X]

Listens on 127.0.0.1:PORT as the controlled station with common address N (default 1) and these
points (IOA: type, value at start):

  100 M_SP_TB_1  single point with CP56Time2a, on
  101 M_DP_TB_1  double point with CP56Time2a, on
  200 M_ME_NC_1  short float, 23.5 + X
  201 M_ME_TF_1  short float with CP56Time2a, -1.25
  202 M_ME_NB_1  scaled, -1234
  203 M_ME_NA_1  normalized, 0.5
  400 M_IT_NA_1  integrated totals, 123456, sequence 3, carry
 5000 C_DC_NA_1  double command, select and execute (lib60870 answers ACTCON and ACTTERM)
 5001 C_SE_NC_1  set-point command, short float, direct

Every time tag reads 2026-01-02 03:04:05.678 UTC. The server answers interrogations and counter
interrogations itself; on a clock synchronization it prints "clock sync OFFSET", the seconds the
time sent is ahead of its own UTC clock (naive times read as UTC), and accepts it.

Every ASDU of a command type (45 to 64) it receives is printed as "received TYPE COT IOA SE"
(type and cause numbers, the IOA, "select" or "execute" from the S/E bit), whatever IOA it names;
a command that reaches a command point and is carried out prints "command IOA VALUE".

It prints "ready" once it listens, then reads commands from stdin, one a line:

  spont      new values, each sent with COT spontaneous, time tags 2026-01-02 03:04:06.789 UTC:
             100 off, 101 off, 201 99.75, 202 -7, 203 -0.25 (invalid), 400 654321;
             prints "sent" when all went out
  float V    201 = V, spontaneous, stamped now; prints "sent V"
  quit       stops

Exits 1 when a transmission is refused.
"""

import datetime
import sys
import threading
import time

import c104

STAMP = datetime.datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=datetime.timezone.utc)
LATER = datetime.datetime(2026, 1, 2, 3, 4, 6, 789000, tzinfo=datetime.timezone.utc)


_OUT = threading.Lock()


def say(line: str) -> None:
    """Prints one whole line: lib60870's threads call back concurrently."""
    with _OUT:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def main() -> int:
    port = int(sys.argv[1])
    args = sys.argv[2:]
    ca = int(args[args.index("--ca") + 1]) if "--ca" in args else 1
    offset = float(args[args.index("--offset") + 1]) if "--offset" in args else 0.0
    server = c104.Server(ip="127.0.0.1", port=port, tick_rate_ms=50)
    station = server.add_station(common_address=ca)
    p = {}
    for ioa, kind in [
        (100, c104.Type.M_SP_TB_1),
        (101, c104.Type.M_DP_TB_1),
        (200, c104.Type.M_ME_NC_1),
        (201, c104.Type.M_ME_TF_1),
        (202, c104.Type.M_ME_NB_1),
        (203, c104.Type.M_ME_NA_1),
        (400, c104.Type.M_IT_NA_1),
    ]:
        p[ioa] = station.add_point(io_address=ioa, type=kind)
    p[100].info = c104.SingleInfo(on=True, recorded_at=STAMP)
    p[101].info = c104.DoubleInfo(state=c104.Double.ON, recorded_at=STAMP)
    p[200].value = 23.5 + offset
    p[201].info = c104.ShortInfo(actual=-1.25, recorded_at=STAMP)
    p[202].value = c104.Int16(-1234)
    p[203].info = c104.NormalizedInfo(actual=c104.NormalizedFloat(0.5))
    p[400].info = c104.BinaryCounterInfo(
        counter=123456, sequence=c104.UInt5(3), quality=c104.BinaryCounterQuality.Carry
    )
    def on_clock_sync(
        server: c104.Server, ip: str, date_time: datetime.datetime
    ) -> c104.ResponseState:
        if date_time.tzinfo is None:
            date_time = date_time.replace(tzinfo=datetime.timezone.utc)
        offset = (date_time - datetime.datetime.now(datetime.timezone.utc)).total_seconds()
        print(f"clock sync {offset:.3f}", flush=True)
        return c104.ResponseState.SUCCESS

    server.on_clock_sync(callable=on_clock_sync)

    def on_command(
        point: c104.Point, previous_info: c104.Information, message: c104.IncomingMessage
    ) -> c104.ResponseState:
        say(f"command {point.io_address} {point.value}")
        return c104.ResponseState.SUCCESS

    for ioa, kind, mode in [
        (5000, c104.Type.C_DC_NA_1, c104.CommandMode.SELECT_AND_EXECUTE),
        (5001, c104.Type.C_SE_NC_1, c104.CommandMode.DIRECT),
    ]:
        p[ioa] = station.add_point(io_address=ioa, type=kind, command_mode=mode)
        p[ioa].on_receive(callable=on_command)

    def on_receive_raw(server: c104.Server, data: bytes) -> None:
        # APCI (6 octets), then type, VSQ, COT, originator, CA (2), IOA (3), element.
        if len(data) < 16 or data[2] & 0x01:
            return
        type_id, cot = data[6], data[8] & 0x3F
        if 45 <= type_id <= 64:
            ioa = int.from_bytes(data[12:15], "little")
            step = "select" if data[15] & 0x80 and type_id not in (51, 64) else "execute"
            if type_id in (48, 49, 61, 62):
                step = "select" if data[17] & 0x80 else "execute"
            elif type_id in (50, 63):
                step = "select" if data[19] & 0x80 else "execute"
            say(f"received {type_id} {cot} {ioa} {step}")

    server.on_receive_raw(callable=on_receive_raw)
    server.start()
    deadline = time.monotonic() + 10
    while not server.is_running:
        if time.monotonic() > deadline:
            print("iec104_server: did not start", flush=True)
            return 1
        time.sleep(0.02)
    print("ready", flush=True)

    def send(ioa: int) -> None:
        if not p[ioa].transmit(cause=c104.Cot.SPONTANEOUS):
            print(f"iec104_server: spontaneous {ioa} not sent", flush=True)
            raise SystemExit(1)

    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "spont":
            p[100].info = c104.SingleInfo(on=False, recorded_at=LATER)
            p[101].info = c104.DoubleInfo(state=c104.Double.OFF, recorded_at=LATER)
            p[201].info = c104.ShortInfo(actual=99.75, recorded_at=LATER)
            p[202].value = c104.Int16(-7)
            p[203].info = c104.NormalizedInfo(
                actual=c104.NormalizedFloat(-0.25), quality=c104.Quality.Invalid
            )
            p[400].info = c104.BinaryCounterInfo(
                counter=654321, sequence=c104.UInt5(4), quality=c104.BinaryCounterQuality()
            )
            for ioa in (100, 101, 201, 202, 203, 400):
                send(ioa)
            print("sent", flush=True)
        elif words[0] == "float":
            value = float(words[1])
            now = datetime.datetime.now(datetime.timezone.utc)
            p[201].info = c104.ShortInfo(actual=value, recorded_at=now)
            send(201)
            print(f"sent {words[1]}", flush=True)
        elif words[0] == "quit":
            break
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
