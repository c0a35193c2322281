#!/usr/bin/env python3
"""A c104 2.2.1 client (lib60870-C, the controlling station) against an IEC 104 outstation.

Usage: iec104_client.py PORT [--ca N]

Connects to 127.0.0.1:PORT muted and sends STARTDT itself (c104's own start is unreliable),
then, one step after the other:

  interrogation   C_IC_NA_1 station interrogation (sent without waiting: c104 2.2.1 reports it as
                  failed after its command timeout even when actcon and actterm arrived; the
                  frames show what happened)
  counter         C_CI_NA_1 general counter interrogation (likewise)
  clock_sync      C_CS_NA_1 with this machine's time (likewise)
  sbo             C_SC_NA_1 on at IOA 1001 with SELECT_AND_EXECUTE (select, execute, actterm)
  direct          C_SE_NC_1 12.5 at IOA 1050, direct execute
  unselected      C_DC_NA_1 on at IOA 1011 executed directly: a station that requires
                  select-before-operate there refuses it (expected false)
  tagged          C_SC_TA_1 on at IOA 1000 with c104's time tag (now), direct execute

and prints one JSON object:

  {"steps": {name: bool returned by c104},
   "frames": [[type_id, cot, negative, common_address, [ioa, ...]], ...]  every I frame received,
   "values": {ioa: value of the point as c104 decoded it, for every point it learnt}}

Exits 1 when the connection cannot be made or data transfer does not start.
"""

import argparse
import json
import sys
import threading
import time

import c104

# The length of one information element plus time tag, per type ID (IEC 60870-5-101 clause 7.3).
ELEMENT_LEN = {
    1: 1, 3: 1, 5: 2, 7: 5, 9: 3, 11: 3, 13: 5, 15: 5, 20: 5, 21: 2,
    30: 8, 31: 8, 32: 9, 33: 12, 34: 10, 35: 10, 36: 12, 37: 12, 38: 10, 39: 11, 40: 11,
    45: 1, 46: 1, 47: 1, 48: 3, 49: 3, 50: 5, 51: 4,
    58: 8, 59: 8, 60: 8, 61: 10, 62: 10, 63: 12, 64: 11,
    70: 1, 100: 1, 101: 1, 102: 0, 103: 7, 104: 2, 107: 9,
}


def summarize(apdu: bytes):
    """[type_id, cot, negative, ca, ioas] of an I frame's ASDU, or None for S and U frames."""
    if len(apdu) < 12 or apdu[2] & 0x01:
        return None
    asdu = apdu[6:]
    type_id, vsq, cot = asdu[0], asdu[1], asdu[2]
    count, sequence = vsq & 0x7F, bool(vsq & 0x80)
    ca = asdu[4] | asdu[5] << 8
    body = asdu[6:]
    size = ELEMENT_LEN.get(type_id)
    ioas = []
    if size is not None and count:
        if sequence:
            first = int.from_bytes(body[0:3], "little")
            ioas = [first + i for i in range(count)]
        else:
            for i in range(count):
                at = i * (3 + size)
                ioas.append(int.from_bytes(body[at:at + 3], "little"))
    return [type_id, cot & 0x3F, bool(cot & 0x40), ca, ioas]


def wait(condition, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("--ca", type=int, default=1)
    args = parser.parse_args()

    lock = threading.Lock()
    frames = []
    values = {}

    def on_raw(connection: c104.Connection, data: bytes) -> None:
        frame = summarize(bytes(data))
        if frame is not None:
            with lock:
                frames.append(frame)

    def on_value(
        point: c104.Point, previous_info: c104.Information, message: c104.IncomingMessage
    ) -> c104.ResponseState:
        with lock:
            values[point.io_address] = str(point.value)
        return c104.ResponseState.SUCCESS

    def on_new_point(
        client: c104.Client, station: c104.Station, io_address: int, point_type: c104.Type
    ) -> None:
        point = station.add_point(io_address=io_address, type=point_type)
        if point is not None:
            point.on_receive(callable=on_value)
            with lock:
                values[io_address] = str(point.value)

    client = c104.Client(tick_rate_ms=50, command_timeout_ms=3000)
    client.on_new_point(callable=on_new_point)
    connection = client.add_connection(ip="127.0.0.1", port=args.port, init=c104.Init.MUTED)
    connection.on_receive_raw(callable=on_raw)
    station = connection.add_station(common_address=args.ca)
    sbo = station.add_point(
        io_address=1001, type=c104.Type.C_SC_NA_1, command_mode=c104.CommandMode.SELECT_AND_EXECUTE
    )
    setpoint = station.add_point(io_address=1050, type=c104.Type.C_SE_NC_1)
    unselected = station.add_point(io_address=1011, type=c104.Type.C_DC_NA_1)
    tagged = station.add_point(io_address=1000, type=c104.Type.C_SC_TA_1)
    client.start()
    if not wait(lambda: connection.is_connected):
        print("iec104_client: no connection", file=sys.stderr)
        return 1
    time.sleep(0.2)

    steps = {"startdt": connection.unmute()}
    if not wait(lambda: not connection.is_muted):
        print("iec104_client: data transfer did not start", file=sys.stderr)
        return 1
    for name, step in [
        ("interrogation", lambda: connection.interrogation(common_address=args.ca, wait_for_response=False)),
        ("counter", lambda: connection.counter_interrogation(common_address=args.ca, wait_for_response=False)),
        ("clock_sync", lambda: connection.clock_sync(common_address=args.ca, wait_for_response=False)),
    ]:
        steps[name] = step()
        time.sleep(0.5)

    sbo.info = c104.SingleCmd(on=True)
    steps["sbo"] = sbo.transmit(cause=c104.Cot.ACTIVATION)
    time.sleep(0.3)
    setpoint.info = c104.ShortCmd(target=12.5)
    steps["direct"] = setpoint.transmit(cause=c104.Cot.ACTIVATION)
    time.sleep(0.3)
    unselected.info = c104.DoubleCmd(state=c104.Double.ON)
    steps["unselected"] = unselected.transmit(cause=c104.Cot.ACTIVATION)
    time.sleep(0.3)
    tagged.info = c104.SingleCmd(on=True)
    steps["tagged"] = tagged.transmit(cause=c104.Cot.ACTIVATION)
    time.sleep(0.3)

    connection.mute()
    time.sleep(0.2)
    client.stop()
    with lock:
        print(json.dumps({"steps": steps, "frames": frames, "values": values}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
