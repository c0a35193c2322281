#!/usr/bin/env python3
"""A Gurux DLMS/COSEM client session (gurux-dlms 1.0.203) against tests/peers/dlms/meter.py.

    session.py --transport wrapper|hdlc --port PORT --scenario NAME --frames OUT.jsonl

Logs every frame it sends and receives, in order, to OUT.jsonl (one JSON object a line:
dir, transport, hex, apdu_hex; captures/dlms/record.sh adds Gurux's XML) and exits 0 when every
step got the answer it expects (the expected values are those of meter.py).

Scenarios (the client address chooses the association, see meter.py):
    none      client 16, no authentication: GET register 1.0.1.8.0.255 value and scaler_unit,
              register 1.0.32.7.0.255 value and scaler_unit, clock time, data 0.0.96.1.0.255
    low       client 17, low-level (password): GET clock time, SET clock time, GET it again,
              GET profile generic 1.0.99.1.0.255 buffer with range access (4 entries),
              GET the whole buffer (96 entries: block transfer), GET 1.0.1.8.0.255 value
    hls       client 18, high-level GMAC (pass 3 and 4 as ACTION on 0.0.40.0.0.255 method 1):
              GET disconnect control state, ACTION remote_disconnect, GET output and control
              state, ACTION remote_reconnect, GET control state, SET register 1.0.2.8.0.255
    ciphered  client 1, high-level GMAC with authenticated encryption (suite 0): the AARQ,
              every request and the RLRQ ciphered: GET register value and scaler_unit, clock
              time, profile buffer with range access (2 entries), ACTION remote_disconnect
Each ends with a release (RLRQ/RLRE) and, over HDLC, a DISC/UA; over HDLC each starts with
SNRM/UA (default parameters: 128-byte information field, window 1).
"""

import argparse
import datetime
import json
import socket
import sys

from gurux_dlms import GXByteBuffer, GXDateTime, GXReplyData, GXDLMSClient
from gurux_dlms.enums import Authentication, Conformance, InterfaceType, Security, DataType
from gurux_dlms.objects import (
    GXDLMSClock, GXDLMSData, GXDLMSDisconnectControl, GXDLMSProfileGeneric, GXDLMSRegister,
)
from gurux_dlms.secure import GXDLMSSecureClient

BLOCK_CIPHER_KEY = bytes.fromhex("000102030405060708090A0B0C0D0E0F")
AUTHENTICATION_KEY = bytes.fromhex("D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF")
CLIENT_SYSTEM_TITLE = bytes.fromhex("4D4D4D0000000001")
CLIENT_CHALLENGE = bytes.fromhex("0123456789ABCDEF0123456789ABCDEF")
CLIENT_INVOCATION_COUNTER = 0x00000010
PASSWORD = b"12345678"
SERVER_LOGICAL = 1
SERVER_PHYSICAL = 17

SCENARIOS = {
    "none": (16, Authentication.NONE, Security.NONE),
    "low": (17, Authentication.LOW, Security.NONE),
    "hls": (18, Authentication.HIGH_GMAC, Security.NONE),
    "ciphered": (1, Authentication.HIGH_GMAC, Security.AUTHENTICATION_ENCRYPTION),
    "ciphered-general": (1, Authentication.HIGH_GMAC, Security.AUTHENTICATION_ENCRYPTION),
}


class Failed(Exception):
    pass


def expect(what, got, want):
    if got != want:
        raise Failed("%s: got %r, expected %r" % (what, got, want))
    print("session: %s = %r" % (what, got), file=sys.stderr)


class Link:
    """One TCP connection; splits the byte stream into frames and logs each one."""

    def __init__(self, transport, port, frames):
        self.transport = transport
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = bytearray()
        self.frames = frames
        self.segments = {"c2s": bytearray(), "s2c": bytearray()}

    def close(self):
        self.sock.close()

    def log(self, direction, frame):
        entry = {"dir": direction, "transport": self.transport, "hex": frame.hex().upper(),
                 "apdu_hex": None}
        if self.transport == "wrapper":
            entry["apdu_hex"] = frame[8:].hex().upper()
        else:
            info, final = hdlc_info(frame)
            if info is not None:
                self.segments[direction] += info
                if final:
                    apdu = bytes(self.segments[direction])
                    self.segments[direction] = bytearray()
                    if apdu[:2] in (b"\xE6\xE6", b"\xE6\xE7") and len(apdu) >= 3:
                        apdu = apdu[3:]
                    entry["apdu_hex"] = apdu.hex().upper() or None
        self.frames.append(entry)

    def send(self, frame):
        frame = bytes(frame)
        self.log("c2s", frame)
        self.sock.sendall(frame)

    def next_frame(self):
        while True:
            size = frame_size(self.transport, self.buffer)
            if size is not None and len(self.buffer) >= size:
                frame = bytes(self.buffer[:size])
                del self.buffer[:size]
                self.log("s2c", frame)
                return frame
            chunk = self.sock.recv(4096)
            if not chunk:
                raise Failed("the meter closed the connection")
            self.buffer += chunk


def frame_size(transport, buf):
    if transport == "wrapper":
        if len(buf) < 8:
            return None
        return 8 + int.from_bytes(buf[6:8], "big")
    if len(buf) < 3:
        return None
    if buf[0] != 0x7E:
        raise Failed("HDLC frame does not start with a flag: " + buf.hex())
    return 2 + (((buf[1] & 0x07) << 8) | buf[2])


def hdlc_info(frame):
    """(information field, final) of an I or UI frame; (None, False) for other frames."""
    length = ((frame[1] & 0x07) << 8) | frame[2]
    segmented = bool(frame[1] & 0x08)
    pos = 3
    for _ in range(2):  # destination, then source address: ends with a byte whose bit 0 is 1
        while not frame[pos] & 1:
            pos += 1
        pos += 1
    control = frame[pos]
    pos += 1
    is_i = not control & 1
    is_ui = control & 0xEF == 0x03
    if not (is_i or is_ui) or length + 2 <= pos + 2 + 2:
        return None, False
    info = frame[pos + 2:length + 2 - 1 - 2]
    return info, not segmented


class Session:
    def __init__(self, transport, port, scenario, frames):
        client_address, auth, security = SCENARIOS[scenario]
        interface = InterfaceType.WRAPPER if transport == "wrapper" else InterfaceType.HDLC
        if transport == "hdlc":
            server = GXDLMSClient.getServerAddress(SERVER_LOGICAL, SERVER_PHYSICAL)
        else:
            server = SERVER_LOGICAL
        password = PASSWORD if auth == Authentication.LOW else None
        c = GXDLMSSecureClient(True, client_address, server, auth, password, interface)
        if transport == "hdlc":
            c.serverAddressSize = 2
        # A client-max-receive-pdu-size of 512 makes the 96-entry buffer a block transfer.
        c.maxReceivePDUSize = 512
        c.ciphering.systemTitle = bytearray(CLIENT_SYSTEM_TITLE)
        c.ciphering.blockCipherKey = bytearray(BLOCK_CIPHER_KEY)
        c.ciphering.authenticationKey = bytearray(AUTHENTICATION_KEY)
        c.ciphering.security = security
        c.ciphering.invocationCounter = CLIENT_INVOCATION_COUNTER
        if auth == Authentication.HIGH_GMAC:
            c.ctoSChallenge = bytearray(CLIENT_CHALLENGE)
        if scenario == "ciphered":
            # Without general-protection in the proposed conformance, Gurux ciphers each request
            # as its service-specific glo-ciphered APDU (glo-get-request, ...); with it (the
            # default, scenario ciphered-general), as general-glo-ciphering once associated.
            c.proposedConformance &= ~Conformance.GENERAL_PROTECTION
        self.client = c
        self.transport = transport
        self.link = Link(transport, port, frames)

    # -- exchanges ----------------------------------------------------------------------------
    def exchange(self, data):
        """Send one request (a frame or a list of frames), follow segments and blocks."""
        reply = GXReplyData()
        if isinstance(data, (bytes, bytearray)):
            data = [data]
        for frame in data:
            reply.clear()
            self.read_packet(frame, reply)
            while reply.isMoreData():
                self.read_packet(self.client.receiverReady(reply), reply)
        return reply

    def read_packet(self, frame, reply):
        notify = GXReplyData()
        self.link.send(frame)
        received = GXByteBuffer()
        while True:
            received.set(self.link.next_frame())
            if self.client.getData(received, reply, notify):
                break

    def connect(self):
        c = self.client
        if self.transport == "hdlc":
            reply = self.exchange(c.snrmRequest())
            c.parseUAResponse(reply.data)
        reply = self.exchange(c.aarqRequest())
        c.parseAareResponse(reply.data)
        if c.authentication > Authentication.LOW:
            reply = self.exchange(c.getApplicationAssociationRequest())
            c.parseApplicationAssociationResponse(reply.data)

    def release(self):
        c = self.client
        self.exchange(c.releaseRequest())
        if self.transport == "hdlc":
            self.exchange(c.disconnectRequest())

    def read(self, obj, index):
        reply = self.exchange(self.client.read(obj, index))
        return self.client.updateValue(obj, index, reply.value)

    def write(self, obj, index):
        self.exchange(self.client.write(obj, index))
        # Gurux's client does not raise on a failed SET: check Set-Response-Normal's result.
        apdu = self.link.frames[-1]["apdu_hex"] or ""
        if not self.client.ciphering.security:
            expect("SET result", apdu[:4] + apdu[6:], "C50100")

    def method(self, obj, index, value, dtype):
        reply = self.exchange(self.client.method(obj, index, value, dtype))
        apdu = self.link.frames[-1]["apdu_hex"] or ""
        if not self.client.ciphering.security:  # a ciphered answer is checked by the client
            expect("ACTION result", apdu[:4] + apdu[6:8], "C70100")
        return reply

    def read_range(self, pg, start, end):
        reply = self.exchange(self.client.readRowsByRange(pg, start, end))
        return self.client.updateValue(pg, 2, reply.value)


def profile_object():
    clock = GXDLMSClock("0.0.1.0.0.255")
    imp = GXDLMSRegister("1.0.1.8.0.255")
    exp = GXDLMSRegister("1.0.2.8.0.255")
    pg = GXDLMSProfileGeneric("1.0.99.1.0.255")
    pg.addCaptureObject(clock, 2, 0)
    pg.addCaptureObject(imp, 2, 0)
    pg.addCaptureObject(exp, 2, 0)
    return pg


def plain_time(value):
    if isinstance(value, GXDateTime):
        value = value.value
    return value.replace(tzinfo=None)


def row_time(row):
    return plain_time(row[0])


def run(s, scenario):
    s.connect()
    energy = GXDLMSRegister("1.0.1.8.0.255")
    clock = GXDLMSClock("0.0.1.0.0.255")
    if scenario == "none":
        expect("1.0.1.8.0.255 value", s.read(energy, 2), 12345678)
        s.read(energy, 3)
        expect("1.0.1.8.0.255 scaler_unit", (energy.scaler, int(energy.unit)), (1, 30))
        voltage = GXDLMSRegister("1.0.32.7.0.255")
        expect("1.0.32.7.0.255 value", s.read(voltage, 2), 2301)
        s.read(voltage, 3)
        expect("1.0.32.7.0.255 scaler_unit", (voltage.scaler, int(voltage.unit)), (0.1, 35))
        s.read(clock, 2)
        expect("clock time", plain_time(clock.time), datetime.datetime(2024, 6, 1, 12, 0))
        serial = GXDLMSData("0.0.96.1.0.255")
        expect("serial", bytes(s.read(serial, 2)), b"FBGX0001")
    elif scenario == "low":
        s.read(clock, 2)
        expect("clock time", plain_time(clock.time), datetime.datetime(2024, 6, 1, 12, 0))
        clock.time = GXDateTime(datetime.datetime(2024, 6, 1, 12, 30, 0))
        s.write(clock, 2)
        s.read(clock, 2)
        expect("clock time after SET", plain_time(clock.time),
               datetime.datetime(2024, 6, 1, 12, 30))
        pg = profile_object()
        rows = s.read_range(pg, datetime.datetime(2024, 6, 1, 1, 0),
                            datetime.datetime(2024, 6, 1, 1, 45))
        expect("range rows", [row_time(r) for r in rows],
               [datetime.datetime(2024, 6, 1, 1, 0) + datetime.timedelta(minutes=15 * i)
                for i in range(4)])
        expect("range row 0 values", list(rows[0][1:]), [12340000 + 60 * 3, 4000 + 9])
        pg = profile_object()
        rows = s.read(pg, 2)
        expect("whole buffer rows", len(rows), 96)
        expect("last row", (row_time(rows[-1]), rows[-1][1], rows[-1][2]),
               (datetime.datetime(2024, 6, 2, 0, 0), 12340000 + 60 * 95, 4000 + 3 * 95))
        expect("1.0.1.8.0.255 value", s.read(energy, 2), 12345678)
    elif scenario == "hls":
        dc = GXDLMSDisconnectControl("0.0.96.3.10.255")
        expect("control_state", int(s.read(dc, 3)), 1)
        s.method(dc, 1, 0, DataType.INT8)
        expect("output_state", bool(s.read(dc, 2)), False)
        expect("control_state after disconnect", int(s.read(dc, 3)), 0)
        s.method(dc, 2, 0, DataType.INT8)
        expect("control_state after reconnect", int(s.read(dc, 3)), 2)
        export = GXDLMSRegister("1.0.2.8.0.255")
        export.value = 5000
        export.setDataType(2, DataType.UINT32)
        s.write(export, 2)
        expect("1.0.2.8.0.255 after SET", s.read(export, 2), 5000)
    elif scenario in ("ciphered", "ciphered-general"):
        expect("1.0.1.8.0.255 value", s.read(energy, 2), 12345678)
        s.read(energy, 3)
        expect("1.0.1.8.0.255 scaler_unit", (energy.scaler, int(energy.unit)), (1, 30))
        s.read(clock, 2)
        expect("clock time", plain_time(clock.time), datetime.datetime(2024, 6, 1, 12, 0))
        pg = profile_object()
        rows = s.read_range(pg, datetime.datetime(2024, 6, 1, 6, 0),
                            datetime.datetime(2024, 6, 1, 6, 15))
        expect("range rows", len(rows), 2)
        dc = GXDLMSDisconnectControl("0.0.96.3.10.255")
        s.method(dc, 1, 0, DataType.INT8)
        expect("output_state", bool(s.read(dc, 2)), False)
    s.release()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--transport", choices=("wrapper", "hdlc"), required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--scenario", choices=sorted(SCENARIOS), required=True)
    ap.add_argument("--frames", required=True)
    args = ap.parse_args()
    frames = []
    s = Session(args.transport, args.port, args.scenario, frames)
    status = 0
    try:
        run(s, args.scenario)
    except Exception as e:  # report and still write the frames seen so far
        print("session: FAILED: %r" % (e,), file=sys.stderr)
        import traceback
        traceback.print_exc()
        status = 1
    finally:
        s.link.close()
        with open(args.frames, "w") as out:
            for entry in frames:
                out.write(json.dumps(entry) + "\n")
    sys.exit(status)


if __name__ == "__main__":
    main()
