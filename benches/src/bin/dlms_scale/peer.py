#!/usr/bin/env python3
"""The comparison peer of `dlms_scale`: a Gurux DLMS/COSEM client (gurux-dlms) reading meters of
`fieldbridge simulate dlms` the way the bridge's `dlms` sources read them.

    peer.py --ports P1,P2,... --poll SECONDS [--hdlc] [--no-profile]

Every SECONDS, on a fixed schedule from the start, one cycle per meter in turn, as the bridge's
`dlms` source runs it (adapters/dlms/src/driver/cycle.rs): connect (SNRM with --hdlc), AARQ, then

- the scaler_unit (attribute 3) and value (attribute 2) of 1.0.1.8.0.255 and 1.0.2.8.0.255, the
  value scaled;
- the clock 0.0.1.0.0.255 (attribute 2), and its offset from this host's clock;
- unless --no-profile, the load profile 1.0.99.1.0.255 (class 7): its capture_objects
  (attribute 3) and entries_in_use (attribute 7), then the buffer (attribute 2) by range
  (selective access 1) from one second after the last capture time read from this meter (the
  first time, from 2000-01-01) to a day after the meter's clock: every entry captured since the
  last read, each entry's energy columns scaled by the registers' scalers;

then RLRQ, DISC with --hdlc, and close.

After each meter's read it prints one JSON line and flushes: {"meter": i, "ok": true,
"samples": n, "rows": r, "requests": q} (samples: the values the bridge publishes for the same
read: one per register, two for the clock (time and offset), one per non-time column of each
row; requests: the APDUs sent, next-block requests included, as the bridge's
fieldbridge_source_requests_total counts them), or {"meter": i, "ok": false, "error": "..."};
each line also carries "cpu", the process's CPU time so far (time.process_time(), nanosecond
resolution where /proc has clock ticks).
No ciphering (the bench's simulators run without). It runs until killed.
"""

import argparse
import datetime
import json
import socket
import sys
import time

from gurux_dlms import GXByteBuffer, GXDateTime, GXDLMSClient, GXReplyData
from gurux_dlms.enums import Authentication, InterfaceType
from gurux_dlms.objects import GXDLMSClock, GXDLMSProfileGeneric, GXDLMSRegister

SINCE_START = datetime.datetime(2000, 1, 1)


class Link:
    """One TCP connection carrying wrapper PDUs or HDLC frames, split by their length fields."""

    def __init__(self, port, hdlc):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = bytearray()
        self.hdlc = hdlc

    def frame_len(self):
        if self.hdlc:
            # 7E, then the frame format field: 11 bits of length after the opening flag.
            if len(self.buffer) < 3:
                return None
            return 2 + (((self.buffer[1] & 0x07) << 8) | self.buffer[2])
        # Wrapper header: version, source wPort, destination wPort, length (2 octets each).
        if len(self.buffer) < 8:
            return None
        return 8 + int.from_bytes(self.buffer[6:8], "big")

    def send(self, frame):
        self.sock.sendall(bytes(frame))

    def next_frame(self):
        while True:
            size = self.frame_len()
            if size is not None and len(self.buffer) >= size:
                frame = bytes(self.buffer[:size])
                del self.buffer[:size]
                return frame
            chunk = self.sock.recv(65536)
            if not chunk:
                raise RuntimeError("the meter closed the connection")
            self.buffer += chunk

    def close(self):
        self.sock.close()


def plain_time(value):
    if isinstance(value, GXDateTime):
        value = value.value
    return value.replace(tzinfo=None)


class Meter:
    """One meter: its association and what is remembered from read to read."""

    def __init__(self, port, hdlc, profile):
        self.port = port
        self.hdlc = hdlc
        self.profile = profile
        self.client = None
        self.link = None
        self.requests = 0
        self.last_capture = None
        self.import_ = GXDLMSRegister("1.0.1.8.0.255")
        self.export = GXDLMSRegister("1.0.2.8.0.255")
        self.clock = GXDLMSClock("0.0.1.0.0.255")
        self.pg = GXDLMSProfileGeneric("1.0.99.1.0.255")

    def exchange(self, data):
        reply = GXReplyData()
        if isinstance(data, (bytes, bytearray)):
            data = [data]
        for frame in data:
            reply.clear()
            self.packet(frame, reply)
            while reply.isMoreData():
                self.packet(self.client.receiverReady(reply), reply)
        return reply

    def packet(self, frame, reply):
        self.requests += 1
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

    def connect(self):
        if self.hdlc:
            c = GXDLMSClient(True, 16, GXDLMSClient.getServerAddress(1, 17),
                             Authentication.NONE, None, InterfaceType.HDLC)
            c.serverAddressSize = 2
        else:
            c = GXDLMSClient(True, 16, 1, Authentication.NONE, None, InterfaceType.WRAPPER)
        self.client = c
        self.link = Link(self.port, self.hdlc)
        if self.hdlc:
            c.parseUAResponse(self.exchange(c.snrmRequest()).data)
            self.requests -= 1  # a link frame, not an APDU
        c.parseAareResponse(self.exchange(c.aarqRequest()).data)

    def close(self):
        if self.link is not None:
            self.link.close()
        self.link = None
        self.client = None

    def release(self):
        self.exchange(self.client.releaseRequest())
        if self.hdlc:
            self.exchange(self.client.disconnectRequest())
            self.requests -= 1

    def poll(self):
        """One cycle; returns (samples, rows, requests)."""
        self.requests = 0
        try:
            self.connect()
            samples = 0
            for register in (self.import_, self.export):
                self.read(register, 3)
                value = self.read(register, 2)
                _ = value * (10.0 ** register.scaler)  # the scaled value, as the bridge's
                samples += 1
            clock = plain_time(self.read(self.clock, 2))
            _ = (clock - datetime.datetime.utcnow()).total_seconds()
            samples += 2
            rows = 0
            if self.profile:
                self.read(self.pg, 3)
                self.read(self.pg, 7)
                start = SINCE_START if self.last_capture is None else \
                    self.last_capture + datetime.timedelta(seconds=1)
                end = clock + datetime.timedelta(days=1)
                reply = self.exchange(self.client.readRowsByRange(self.pg, start, end))
                buffer = self.client.updateValue(self.pg, 2, reply.value) or []
                scalers = [10.0 ** self.import_.scaler, 10.0 ** self.export.scaler]
                for row in buffer:
                    self.last_capture = plain_time(row[0])
                    for value, scale in zip(row[1:], scalers):
                        _ = value * scale
                        samples += 1
                    rows += 1
            self.release()
            return samples, rows, self.requests
        finally:
            self.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ports", required=True, help="comma-separated, one meter each")
    ap.add_argument("--poll", type=float, required=True)
    ap.add_argument("--hdlc", action="store_true")
    ap.add_argument("--no-profile", action="store_true")
    args = ap.parse_args()
    meters = [Meter(int(p), args.hdlc, not args.no_profile) for p in args.ports.split(",")]
    due = time.monotonic()
    while True:
        for i, meter in enumerate(meters):
            try:
                samples, rows, requests = meter.poll()
                line = {"meter": i, "ok": True, "samples": samples, "rows": rows,
                        "requests": requests}
            except Exception as e:  # a failed cycle is reported; the next one starts afresh
                line = {"meter": i, "ok": False, "error": repr(e)}
            line["cpu"] = time.process_time()
            sys.stdout.write(json.dumps(line) + "\n")
            sys.stdout.flush()
        due += args.poll
        time.sleep(max(0.0, due - time.monotonic()))


if __name__ == "__main__":
    main()
