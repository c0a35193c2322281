#!/usr/bin/env python3
"""Gurux-built DLMS pushes (gurux-dlms GXDLMSNotify) sent to a push listener.

    push.py --port PORT [--transport wrapper|udp|hdlc] [--count N] [--security none|ae]
            [--counter FIRST] [--wrong-key]

A push setup whose object list is the clock (0.0.1.0.0.255, attribute 2) and the register
1.0.1.8.0.255 (attribute 2, the value, then attribute 3, its scaler_unit: -3, Wh). Push i
(0-based) carries the value 12345678 + i and the clock 2024-06-01 12:00:00 UTC plus i minutes.
Built with generatePushSetupMessages (a DataNotification whose body is the structure of the
list), over the wrapper (TCP or UDP: one PDU per datagram) or HDLC (UI frames, as Gurux frames a
notification). With --security ae: general-glo-ciphering, authenticated encryption, the keys of
captures/dlms/keys.json and the meter's system title 4752583132333435 ("GRX12345"), frame
counters from --counter. --wrong-key ciphers with another encryption key. Prints one JSON line
with what it sent (the hex of each frame) and exits 0.
"""

import argparse
import datetime
import json
import socket
import sys
import time

from gurux_dlms import GXDateTime, GXDLMSNotify
from gurux_dlms.enums import InterfaceType, Security, Unit
from gurux_dlms.objects import GXDLMSCaptureObject, GXDLMSClock, GXDLMSPushSetup, GXDLMSRegister
from gurux_dlms.secure import GXDLMSSecureNotify

BLOCK_CIPHER_KEY = bytes.fromhex("000102030405060708090A0B0C0D0E0F")
AUTHENTICATION_KEY = bytes.fromhex("D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF")
METER_SYSTEM_TITLE = b"GRX12345"
START = 1717243200  # 2024-06-01T12:00:00Z


def notify(interface, security, counter, wrong_key):
    if not security:
        return GXDLMSNotify(True, 1, 16, interface)
    n = GXDLMSSecureNotify(True, 1, 16, interface)
    cipher = n.ciphering
    cipher.systemTitle = bytearray(METER_SYSTEM_TITLE)
    cipher.security = Security.AUTHENTICATION_ENCRYPTION
    key = bytes(16) if wrong_key else BLOCK_CIPHER_KEY
    cipher.blockCipherKey = bytearray(key)
    cipher.authenticationKey = bytearray(AUTHENTICATION_KEY)
    cipher.invocationCounter = counter
    return n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--transport", choices=["wrapper", "udp", "hdlc"], default="wrapper")
    ap.add_argument("--count", type=int, default=3)
    ap.add_argument("--security", choices=["none", "ae"], default="none")
    ap.add_argument("--counter", type=int, default=1)
    ap.add_argument("--wrong-key", action="store_true")
    args = ap.parse_args()

    interface = InterfaceType.HDLC if args.transport == "hdlc" else InterfaceType.WRAPPER
    n = notify(interface, args.security == "ae", args.counter, args.wrong_key)

    clock = GXDLMSClock("0.0.1.0.0.255")
    register = GXDLMSRegister("1.0.1.8.0.255")
    register.scaler = 0.001
    register.unit = Unit.ACTIVE_ENERGY
    push = GXDLMSPushSetup("0.7.25.9.0.255")
    push.pushObjectList.append((clock, GXDLMSCaptureObject(2, 0)))
    push.pushObjectList.append((register, GXDLMSCaptureObject(2, 0)))
    push.pushObjectList.append((register, GXDLMSCaptureObject(3, 0)))

    if args.transport == "udp":
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        send = lambda b: sock.sendto(b, (args.host, args.port))
    else:
        sock = socket.create_connection((args.host, args.port), timeout=10)
        send = sock.sendall

    sent = []
    for i in range(args.count):
        clock.time = GXDateTime(
            datetime.datetime.fromtimestamp(START + 60 * i, tz=datetime.timezone.utc)
        )
        clock.deviation = 0
        register.value = 12345678 + i
        for frame in n.generatePushSetupMessages(None, push):
            data = bytes(frame)
            send(data)
            sent.append(data.hex())
        time.sleep(0.05)
    if args.transport != "udp":
        # Let the listener read everything before the FIN.
        time.sleep(0.2)
        sock.shutdown(socket.SHUT_WR)
    sock.close()
    print(json.dumps({"sent": sent}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
