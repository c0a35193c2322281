#!/usr/bin/env python3
"""An IEC 60870-5-104 session between two real c104 2.2.1 peers (lib60870-C), for recording.

Usage: iec104_session.py PORT

Starts a c104 server (the controlled station, common address 47) on 127.0.0.1:PORT and a c104
client (the controlling station) that connects to it, then, on one TCP connection:

  client  STARTDT act (the client starts muted and unmutes: c104's own start is unreliable)
  client  C_IC_NA_1 station interrogation  -> actcon, the points (COT inrogen), actterm
  client  C_CI_NA_1 general counter interrogation -> actcon, M_IT_NA_1 (reqcogen), actterm
  client  C_CS_NA_1 clock synchronization  -> actcon
  server  spontaneous: M_SP_NA_1, M_DP_TB_1, M_ME_TF_1, M_ME_TE_1, M_ST_NA_1, M_ME_NC_1
          (time tags fixed at 2026-01-02 03:04:05.678 UTC, so they read the same every time)
  client  C_SC_NA_1 single command on, select then execute (SELECT_AND_EXECUTE)
  client  C_DC_NA_1 double command off, select then execute
  client  C_SE_NC_1 set-point float 12.5, direct
  client  STOPDT act, then disconnect

Server points (IOA: type): 100 M_SP_NA_1, 101 M_DP_TB_1, 200 M_ME_NC_1, 201 M_ME_TF_1,
202 M_ME_NB_1, 203 M_ME_TE_1, 300 M_ST_NA_1, 400 M_IT_NA_1; commands 1000 C_SC_NA_1 and
1001 C_DC_NA_1 (select and execute), 1002 C_SE_NC_1 (direct).

Prints one line per step and "done"; exits 1 when a step fails.
"""

import datetime
import sys
import time

import c104

CA = 47
# The time tag every spontaneous point carries.
STAMP = datetime.datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=datetime.timezone.utc)


def wait(what: str, condition, timeout: float = 5.0) -> None:
    """Waits until `condition()` holds, or fails naming `what`."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"iec104_session: timed out waiting for {what}")
        time.sleep(0.02)


def build_server(port: int):
    """The controlled station and its points."""
    server = c104.Server(ip="127.0.0.1", port=port, tick_rate_ms=50)
    station = server.add_station(common_address=CA)
    points = {}
    for ioa, kind in [
        (100, c104.Type.M_SP_NA_1),
        (101, c104.Type.M_DP_TB_1),
        (200, c104.Type.M_ME_NC_1),
        (201, c104.Type.M_ME_TF_1),
        (202, c104.Type.M_ME_NB_1),
        (203, c104.Type.M_ME_TE_1),
        (300, c104.Type.M_ST_NA_1),
        (400, c104.Type.M_IT_NA_1),
    ]:
        points[ioa] = station.add_point(io_address=ioa, type=kind)
    points[100].value = True
    points[101].info = c104.DoubleInfo(state=c104.Double.ON, recorded_at=STAMP)
    points[200].value = 23.5
    points[201].info = c104.ShortInfo(actual=-1.25, recorded_at=STAMP)
    points[202].value = c104.Int16(-1234)
    points[203].info = c104.ScaledInfo(actual=c104.Int16(4321), recorded_at=STAMP)
    points[300].info = c104.StepInfo(state=c104.Int7(5), transient=False)
    points[400].info = c104.BinaryCounterInfo(
        counter=123456, sequence=c104.UInt5(3), quality=c104.BinaryCounterQuality.Carry
    )
    for ioa, kind, mode in [
        (1000, c104.Type.C_SC_NA_1, c104.CommandMode.SELECT_AND_EXECUTE),
        (1001, c104.Type.C_DC_NA_1, c104.CommandMode.SELECT_AND_EXECUTE),
        (1002, c104.Type.C_SE_NC_1, c104.CommandMode.DIRECT),
    ]:
        points[ioa] = station.add_point(io_address=ioa, type=kind, command_mode=mode)
    return server, points


def spontaneous(points) -> None:
    """New values on the server, each sent with COT spontaneous."""
    points[100].value = False
    points[101].info = c104.DoubleInfo(state=c104.Double.OFF, recorded_at=STAMP)
    points[201].info = c104.ShortInfo(actual=99.75, recorded_at=STAMP)
    points[203].info = c104.ScaledInfo(actual=c104.Int16(-7), recorded_at=STAMP)
    points[300].info = c104.StepInfo(state=c104.Int7(-3), transient=True)
    points[200].info = c104.ShortInfo(actual=0.5, quality=c104.Quality.Invalid)
    for ioa in (100, 101, 201, 203, 300, 200):
        if not points[ioa].transmit(cause=c104.Cot.SPONTANEOUS):
            raise SystemExit(f"iec104_session: spontaneous {ioa} not sent")
        time.sleep(0.05)


def main() -> int:
    port = int(sys.argv[1])
    server, points = build_server(port)
    received = []

    def on_command(
        point: c104.Point, previous_info: c104.Information, message: c104.IncomingMessage
    ) -> c104.ResponseState:
        received.append(point.io_address)
        return c104.ResponseState.SUCCESS

    for ioa in (1000, 1001, 1002):
        points[ioa].on_receive(callable=on_command)
    server.start()
    wait("the server", lambda: server.is_running)

    client = c104.Client(tick_rate_ms=50, command_timeout_ms=3000)
    connection = client.add_connection(ip="127.0.0.1", port=port, init=c104.Init.MUTED)
    station = connection.add_station(common_address=CA)
    single = station.add_point(
        io_address=1000, type=c104.Type.C_SC_NA_1, command_mode=c104.CommandMode.SELECT_AND_EXECUTE
    )
    double = station.add_point(
        io_address=1001, type=c104.Type.C_DC_NA_1, command_mode=c104.CommandMode.SELECT_AND_EXECUTE
    )
    setpoint = station.add_point(io_address=1002, type=c104.Type.C_SE_NC_1)
    client.start()
    wait("the connection", lambda: connection.is_connected)
    time.sleep(0.2)

    steps = [
        ("STARTDT", connection.unmute),
        ("interrogation", lambda: connection.interrogation(common_address=CA, wait_for_response=False)),
        (
            "counter interrogation",
            lambda: connection.counter_interrogation(common_address=CA, wait_for_response=False),
        ),
        ("clock sync", lambda: connection.clock_sync(common_address=CA, wait_for_response=False)),
    ]
    # c104 2.2.1 reports a station interrogation as failed after its command timeout even when
    # the actcon and actterm arrived: the steps are sent without waiting, and the capture is
    # checked instead.
    for what, step in steps:
        ok = step()
        print(f"{what}: {ok}", flush=True)
        if not ok:
            return 1
        time.sleep(0.3)

    spontaneous(points)
    print("spontaneous: sent", flush=True)
    time.sleep(0.3)

    single.info = c104.SingleCmd(on=True)
    double.info = c104.DoubleCmd(state=c104.Double.OFF)
    setpoint.info = c104.ShortCmd(target=12.5)
    for what, point in [("single command", single), ("double command", double), ("set-point", setpoint)]:
        ok = point.transmit(cause=c104.Cot.ACTIVATION)
        print(f"{what}: {ok}", flush=True)
        if not ok:
            return 1
        time.sleep(0.2)
    wait("the commands at the server", lambda: sorted(set(received)) == [1000, 1001, 1002])

    connection.mute()
    time.sleep(0.3)
    client.stop()
    server.stop()
    print("done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
