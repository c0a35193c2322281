#!/usr/bin/env python3
"""A Gurux DLMS/COSEM client (gurux-dlms) against `fieldbridge simulate dlms` over the wrapper.

    sim_client.py --port PORT [--hdlc] [--authentication none|low|high-gmac] [--password PW]
                  [--security none|authenticated-encrypted] [--wrong-key]
                  [--invocation-counter N]

Associates, reads register 1.0.1.8.0.255 value and scaler_unit, register 1.0.32.7.0.255
scaler_unit, the clock, the serial number, the profile 1.0.99.1.0.255 (entries in use, the whole
buffer, and by range over its first two capture times), releases, and prints one JSON line with
what it read. Keys and the client's system title are those of captures/dlms/keys.json. With
--hdlc: HDLC over TCP (server address logical 1, physical 17), SNRM first and DISC last. The
client's invocation (frame) counter starts at --invocation-counter (default 16) and the JSON
reports where it ended ("invocation_counter"): a meter remembers the last one it accepted from a
client across associations, so the next session of the same client must start above it. Exits 0
when every step worked, 1 (and prints {"error": ...}) otherwise.
"""

import argparse
import json
import socket
import sys

from gurux_dlms import GXByteBuffer, GXDateTime, GXDLMSClient, GXReplyData
from gurux_dlms.enums import Authentication, Conformance, InterfaceType, Security
from gurux_dlms.objects import GXDLMSClock, GXDLMSData, GXDLMSProfileGeneric, GXDLMSRegister
from gurux_dlms.secure import GXDLMSSecureClient

BLOCK_CIPHER_KEY = bytes.fromhex("000102030405060708090A0B0C0D0E0F")
AUTHENTICATION_KEY = bytes.fromhex("D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF")
CLIENT_SYSTEM_TITLE = bytes.fromhex("4D4D4D0000000001")


class Link:
    def __init__(self, port, hdlc):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buffer = bytearray()
        self.hdlc = hdlc

    def size(self):
        if self.hdlc:
            if len(self.buffer) < 3:
                return None
            return 2 + (((self.buffer[1] & 0x07) << 8) | self.buffer[2])
        if len(self.buffer) < 8:
            return None
        return 8 + int.from_bytes(self.buffer[6:8], "big")

    def send(self, frame):
        self.sock.sendall(bytes(frame))

    def next_frame(self):
        while True:
            size = self.size()
            if size is not None:
                if len(self.buffer) >= size:
                    frame = bytes(self.buffer[:size])
                    del self.buffer[:size]
                    return frame
            chunk = self.sock.recv(4096)
            if not chunk:
                raise RuntimeError("the meter closed the connection")
            self.buffer += chunk


class Session:
    def __init__(self, args):
        auth = {"none": Authentication.NONE, "low": Authentication.LOW,
                "high-gmac": Authentication.HIGH_GMAC}[args.authentication]
        security = {"none": Security.NONE,
                    "authenticated-encrypted": Security.AUTHENTICATION_ENCRYPTION}[args.security]
        password = args.password.encode() if auth == Authentication.LOW else None
        if args.hdlc:
            c = GXDLMSSecureClient(True, 16, GXDLMSClient.getServerAddress(1, 17), auth,
                                   password, InterfaceType.HDLC)
            c.serverAddressSize = 2
        else:
            c = GXDLMSSecureClient(True, 16, 1, auth, password, InterfaceType.WRAPPER)
        c.maxReceivePDUSize = 256  # the whole buffer comes in blocks
        c.ciphering.systemTitle = bytearray(CLIENT_SYSTEM_TITLE)
        key = bytes(16 * [0x55]) if args.wrong_key else BLOCK_CIPHER_KEY
        c.ciphering.blockCipherKey = bytearray(key)
        c.ciphering.authenticationKey = bytearray(AUTHENTICATION_KEY)
        c.ciphering.security = security
        c.ciphering.invocationCounter = args.invocation_counter
        c.proposedConformance &= ~Conformance.GENERAL_PROTECTION
        self.client = c
        self.link = Link(args.port, args.hdlc)
        self.hdlc = args.hdlc

    def exchange(self, data):
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

    def read(self, obj, index):
        reply = self.exchange(self.client.read(obj, index))
        return self.client.updateValue(obj, index, reply.value)


def plain_time(value):
    if isinstance(value, GXDateTime):
        value = value.value
    return value.replace(tzinfo=None)


def run(s):
    c = s.client
    if s.hdlc:
        c.parseUAResponse(s.exchange(c.snrmRequest()).data)
    c.parseAareResponse(s.exchange(c.aarqRequest()).data)
    if c.authentication > Authentication.LOW:
        c.parseApplicationAssociationResponse(
            s.exchange(c.getApplicationAssociationRequest()).data)
    out = {}
    energy = GXDLMSRegister("1.0.1.8.0.255")
    out["energy"] = s.read(energy, 2)
    s.read(energy, 3)
    out["energy_scaler_unit"] = [energy.scaler, int(energy.unit)]
    voltage = GXDLMSRegister("1.0.32.7.0.255")
    s.read(voltage, 3)
    out["voltage_scaler_unit"] = [voltage.scaler, int(voltage.unit)]
    clock = GXDLMSClock("0.0.1.0.0.255")
    s.read(clock, 2)
    out["clock"] = plain_time(clock.time).isoformat()
    serial = GXDLMSData("0.0.96.1.0.255")
    out["serial"] = bytes(s.read(serial, 2)).decode()
    pg = GXDLMSProfileGeneric("1.0.99.1.0.255")
    pg.addCaptureObject(clock, 2, 0)
    pg.addCaptureObject(GXDLMSRegister("1.0.1.8.0.255"), 2, 0)
    pg.addCaptureObject(GXDLMSRegister("1.0.2.8.0.255"), 2, 0)
    out["entries"] = s.read(pg, 7)
    rows = s.read(pg, 2)
    out["rows"] = [[plain_time(r[0]).isoformat(), r[1], r[2]] for r in rows]
    if len(rows) >= 2:
        reply = s.exchange(c.readRowsByRange(pg, plain_time(rows[0][0]), plain_time(rows[1][0])))
        ranged = c.updateValue(pg, 2, reply.value)
        out["range"] = [[plain_time(r[0]).isoformat(), r[1], r[2]] for r in ranged]
    s.exchange(c.releaseRequest())
    if s.hdlc:
        s.exchange(c.disconnectRequest())
    out["invocation_counter"] = c.ciphering.invocationCounter
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--authentication", default="none")
    ap.add_argument("--password", default="12345678")
    ap.add_argument("--security", default="none")
    ap.add_argument("--wrong-key", action="store_true")
    ap.add_argument("--hdlc", action="store_true")
    ap.add_argument("--invocation-counter", type=int, default=16)
    args = ap.parse_args()
    try:
        s = Session(args)
        print(json.dumps(run(s), default=str))
    except Exception as e:  # reported as JSON for the Rust test
        print(json.dumps({"error": repr(e)}))
        sys.exit(1)


if __name__ == "__main__":
    main()
