#!/usr/bin/env python3
"""Short-name (SN) referencing vectors from gurux-dlms 1.0.203, for the session's SN oracle.

    sn_vectors.py > adapters/dlms/src/session/tests/sn_gurux.json

Gurux's client (GXDLMSClient with useLogicalNameReferencing=False, interface PDU: bare APDUs)
makes the requests; Gurux's own server-side encoder (GXDLMS.getSNPdu with server settings, as
GXDLMSServer uses it) makes the ReadResponses (the object list among them) and WriteResponses,
except the data-block-results, built by hand (see read_blocks). GXDLMSServer itself is not
used: it is broken in this version (see PEERS.md). The AAREs are not Gurux's: the Rust test
builds them with the codec.

Every exchange is {"call": what our session is asked, "request": Gurux's APDU, "answer": the
Gurux-built answer or null}; "next" calls are the requests the client makes on its own (the
block-number-access after a data-block-result), from Gurux's receiverReady.

Scenarios:
    none      client 16, no authentication: the AARQ, the object list (one ReadResponse), reads
              of two registers' value and scaler_unit, the clock's time and a data object, an
              unknown short name (data-access-error), a write of the clock's time and of a
              register's value, remote_disconnect of the disconnect control (as Gurux sends a
              method: a WriteRequest on the method's short name), the RLRQ
    low       client 17, low-level password: the AARQ, the object list in blocks of 40 octets
              (the data-block-results built by hand, see read_blocks), one read
    ciphered  client 1, low-level password, authenticated encryption (suite 0): the AARQ
              (glo-initiate-request), glo-read-requests and a glo-write-request (their answers
              are ciphered in the test, from the plain ones here)
"""

import datetime
import json
import os
import sys

from gurux_dlms import GXByteBuffer, GXDateTime, GXReplyData
from gurux_dlms.ConnectionState import ConnectionState
from gurux_dlms.GXDLMS import GXDLMS
from gurux_dlms.GXDLMSSettings import GXDLMSSettings
from gurux_dlms.GXDLMSSNParameters import GXDLMSSNParameters
from gurux_dlms.SingleReadResponse import SingleReadResponse
from gurux_dlms.ValueEventArgs import ValueEventArgs
from gurux_dlms.enums import Authentication, Command, DataType, InterfaceType, Security
from gurux_dlms.internal._GXCommon import _GXCommon
from gurux_dlms.objects import (
    GXDLMSAssociationShortName, GXDLMSClock, GXDLMSData, GXDLMSDisconnectControl, GXDLMSRegister,
)
from gurux_dlms.secure import GXDLMSSecureClient

BLOCK_CIPHER_KEY = bytes.fromhex("000102030405060708090A0B0C0D0E0F")
AUTHENTICATION_KEY = bytes.fromhex("D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF")
CLIENT_SYSTEM_TITLE = bytes.fromhex("4D4D4D0000000001")
CLIENT_INVOCATION_COUNTER = 0x10
PASSWORD = b"12345678"
MAX_RECEIVE_PDU_SIZE = 512

# gurux-dlms 1.0.203 asserts, in GXDLMS.getSNPdu, that a ciphered SN request is empty (the assert
# is inverted): run under python -O, which drops asserts. This script checks with raise, not
# assert.
if not sys.flags.optimize:
    os.execv(sys.executable, [sys.executable, "-O"] + sys.argv)

# Work-arounds of gurux-dlms 1.0.203 bugs: GXDLMSAssociationShortName.getObjects calls a method
# ValueEventArgs does not have.
ValueEventArgs.isSkipMaxPduSize = lambda self: self.skipMaxPduSize
# And GXDLMS.readResponseDataBlockResult calls a setter and a getter GXReplyData does not have.
GXReplyData.setTotalCount = lambda self, count: setattr(self, "totalCount", count)
GXReplyData.getMoreData = lambda self: self.moreData

# The meter's objects: base names 8 apart per attribute, with room for each class's methods.
ENERGY = ("1.0.1.8.0.255", 0x2000)
VOLTAGE = ("1.0.32.7.0.255", 0x2030)
CLOCK = ("0.0.1.0.0.255", 0x2100)
SERIAL = ("0.0.96.1.0.255", 0x2200)
DISCONNECT = ("0.0.96.3.10.255", 0x2300)
UNKNOWN_BASE = 0x3000


def objects():
    energy = GXDLMSRegister(ENERGY[0])
    energy.shortName = ENERGY[1]
    voltage = GXDLMSRegister(VOLTAGE[0])
    voltage.shortName = VOLTAGE[1]
    clock = GXDLMSClock(CLOCK[0])
    clock.shortName = CLOCK[1]
    serial = GXDLMSData(SERIAL[0])
    serial.shortName = SERIAL[1]
    disconnect = GXDLMSDisconnectControl(DISCONNECT[0])
    disconnect.shortName = DISCONNECT[1]
    association = GXDLMSAssociationShortName()
    association.shortName = 0xFA00
    for it in (association, energy, voltage, clock, serial, disconnect):
        association.objectList.append(it)
    return association, energy, voltage, clock, serial, disconnect


def server_settings():
    s = GXDLMSSettings(True, None)
    s.interfaceType = InterfaceType.PDU
    s.maxPduSize = 0xFFFF
    return s


def read_response(value_bytes):
    """Gurux's ReadResponse (data) for an encoded value, in one APDU."""
    s = server_settings()
    reply = GXByteBuffer()
    p = GXDLMSSNParameters(s, Command.READ_RESPONSE, 1, SingleReadResponse.DATA, None,
                           GXByteBuffer(bytearray(value_bytes)))
    GXDLMS.getSNPdu(p, reply)
    return reply.array()


def read_blocks(value_bytes, size):
    """The data-block-results of a long ReadResponse, built by hand from the standard
    (ReadResponse 0C, one result, choice 2: last-block, block-number u16, raw-data as an
    octet-string with its A-XDR length); Gurux's own encoder of them is broken in 1.0.203 (it
    measures the header instead of the data left). As Gurux's server and client do it, the
    raw-data of the blocks joins into the encoded Data of the single result."""
    out = []
    parts = [value_bytes[i:i + size] for i in range(0, len(value_bytes), size)]
    for number, part in enumerate(parts, start=1):
        last = 1 if number == len(parts) else 0
        if len(part) >= 0x80:
            raise SystemExit("blocks of less than 128 octets only")
        out.append(bytes([0x0C, 0x01, 0x02, last]) + number.to_bytes(2, "big")
                   + bytes([len(part)]) + bytes(part))
    return out


def read_error(code):
    s = server_settings()
    bb = GXByteBuffer()
    bb.setUInt8(code)
    reply = GXByteBuffer()
    GXDLMS.getSNPdu(GXDLMSSNParameters(
        s, Command.READ_RESPONSE, 1, SingleReadResponse.DATA_ACCESS_ERROR, bb, None), reply)
    return reply.array()


def write_response(code):
    s = server_settings()
    bb = GXByteBuffer()
    if code != 0:
        bb.setUInt8(1)
    bb.setUInt8(code)
    reply = GXByteBuffer()
    GXDLMS.getSNPdu(GXDLMSSNParameters(s, Command.WRITE_RESPONSE, 1, 0xFF, None, bb), reply)
    return reply.array()


def value(data_type, v):
    bb = GXByteBuffer()
    _GXCommon.setData(None, bb, data_type, v)
    return bb.array()


def object_list(association):
    s = server_settings()
    return association.getValue(s, ValueEventArgs(s, association, 2, 0, None))


def client(client_address, authentication, password, security):
    c = GXDLMSSecureClient(False, client_address, 1, authentication, password, InterfaceType.PDU)
    c.maxReceivePDUSize = MAX_RECEIVE_PDU_SIZE
    c.ciphering.systemTitle = bytearray(CLIENT_SYSTEM_TITLE)
    c.ciphering.blockCipherKey = bytearray(BLOCK_CIPHER_KEY)
    c.ciphering.authenticationKey = bytearray(AUTHENTICATION_KEY)
    c.ciphering.security = security
    c.ciphering.invocationCounter = CLIENT_INVOCATION_COUNTER
    return c


def one(frames):
    frames = list(frames)
    if len(frames) != 1:
        raise SystemExit("one APDU expected, Gurux made %d" % len(frames))
    return bytes(frames[0]).hex().upper()


def read_call(obj, attribute):
    return {"call": "get", "class": int(obj.objectType), "obis": obj.logicalName,
            "attribute": attribute}


def scenario_none():
    association, energy, voltage, clock, serial, disconnect = objects()
    c = client(16, Authentication.NONE, None, Security.NONE)
    ex = [{"call": "associate", "request": one(c.aarqRequest()), "answer": None}]
    listing = object_list(association)
    ex.append({"call": "object_list", "request": one(c.read(association, 2)),
               "answer": read_response(listing).hex().upper()})
    clock_time = value(DataType.OCTET_STRING, bytes.fromhex("07E8060F06000000FF800000"))
    reads = [
        (energy, 2, value(DataType.UINT32, 12345678)),
        # scaler_unit: structure { integer -3, enum 30 (Wh) }
        (energy, 3, bytes.fromhex("0202 0FFD 161E")),
        (voltage, 2, value(DataType.UINT16, 2301)),
        # structure { integer -1, enum 35 (V) }
        (voltage, 3, bytes.fromhex("0202 0FFF 1623")),
        (clock, 2, clock_time),
        (serial, 2, value(DataType.OCTET_STRING, b"SN-0042")),
    ]
    for obj, attribute, encoded in reads:
        ex.append(dict(read_call(obj, attribute), request=one(c.read(obj, attribute)),
                       answer=read_response(encoded).hex().upper(), value=encoded.hex().upper()))
    # A short name the meter does not have: Gurux reads any name it is given.
    ghost = GXDLMSRegister("1.0.99.99.0.255")
    ghost.shortName = UNKNOWN_BASE
    ex.append({"call": "raw_read", "base_name": UNKNOWN_BASE + 8,
               "request": one(c.read(ghost, 2)), "answer": read_error(4).hex().upper()})
    clock.time = GXDateTime(datetime.datetime(2024, 6, 15, 6, 0, 0, tzinfo=datetime.timezone.utc))
    clock_write = one(c.write(clock, 2))
    ex.append(dict(read_call(clock, 2), call="set", request=clock_write,
                   answer=write_response(0).hex().upper()))
    energy.value = 0
    ex.append(dict(read_call(energy, 2), call="set", request=one(c.write(energy, 2)),
                   answer=write_response(3).hex().upper()))
    ex.append({"call": "action", "class": 70, "obis": DISCONNECT[0], "method": 1,
               "parameters": value(DataType.INT8, 0).hex().upper(),
               "request": one(c.method(disconnect, 1, 0, DataType.INT8)),
               "answer": write_response(0).hex().upper()})
    c.settings.connected |= ConnectionState.DLMS
    ex.append({"call": "release", "request": one(c.releaseRequest()), "answer": None})
    return {"client": 16, "authentication": "none",
            "conformance": int(c.proposedConformance), "exchanges": ex}


def scenario_low():
    association, energy, *_ = objects()
    c = client(17, Authentication.LOW, PASSWORD, Security.NONE)
    ex = [{"call": "associate", "request": one(c.aarqRequest()), "answer": None}]
    blocks = read_blocks(object_list(association), 40)
    if len(blocks) < 3:
        raise SystemExit("the object list should take three blocks or more")
    ex.append({"call": "object_list", "request": one(c.read(association, 2)),
               "answer": blocks[0].hex().upper()})
    reply = GXReplyData()
    for block in blocks[1:]:
        c.getData(GXByteBuffer(bytearray.fromhex(ex[-1]["answer"])), reply, GXReplyData())
        if not reply.isMoreData():
            raise SystemExit("Gurux took a block as the last one")
        # Gurux 1.0.203 never sets settings.command, so receiverReady would tag the request 0x00:
        # the command of the read in progress is set as Gurux's other ports do.
        c.settings.command = Command.READ_REQUEST
        ex.append({"call": "next", "request": bytes(c.receiverReady(reply)).hex().upper(),
                   "answer": block.hex().upper()})
    c.getData(GXByteBuffer(bytearray(blocks[-1])), reply, GXReplyData())
    if reply.isMoreData() or len(reply.value) != 6:
        raise SystemExit("Gurux did not join the object list: %r" % (reply.value,))
    encoded = value(DataType.UINT32, 12345678)
    ex.append(dict(read_call(energy, 2), request=one(c.read(energy, 2)),
                   answer=read_response(encoded).hex().upper(), value=encoded.hex().upper()))
    return {"client": 17, "authentication": "low", "password": PASSWORD.decode(),
            "conformance": int(c.proposedConformance), "exchanges": ex}


def scenario_ciphered():
    association, energy, voltage, *_ = objects()
    c = client(1, Authentication.LOW, PASSWORD, Security.AUTHENTICATION_ENCRYPTION)
    ex = [{"call": "associate", "request": one(c.aarqRequest()), "answer": None}]
    # Gurux 1.0.203 does not move its invocation counter on for SN requests (every one would go
    # with the same IV): each request gets the next counter here, as a correct client does.
    counter = CLIENT_INVOCATION_COUNTER + 1
    c.ciphering.invocationCounter = counter
    ex.append({"call": "object_list", "request": one(c.read(association, 2)), "answer": None,
               "plain_answer": read_response(object_list(association)).hex().upper()})
    c.ciphering.invocationCounter = counter + 1
    encoded = value(DataType.UINT32, 12345678)
    ex.append(dict(read_call(energy, 2), request=one(c.read(energy, 2)), answer=None,
                   plain_answer=read_response(encoded).hex().upper(), value=encoded.hex().upper()))
    c.ciphering.invocationCounter = counter + 2
    voltage.value = 2300
    ex.append(dict(read_call(voltage, 2), call="set", request=one(c.write(voltage, 2)),
                   answer=None, plain_answer=write_response(0).hex().upper()))
    return {"client": 1, "authentication": "low", "password": PASSWORD.decode(),
            "security": "authenticated-encrypted",
            "first_invocation_counter": CLIENT_INVOCATION_COUNTER,
            "conformance": int(c.proposedConformance), "exchanges": ex}


def main():
    out = {
        "generator": "tests/peers/dlms/sn_vectors.py with gurux-dlms 1.0.203",
        "max_receive_pdu_size": MAX_RECEIVE_PDU_SIZE,
        "objects": [
            {"class": 12, "obis": "0.0.40.0.0.255", "base_name": 0xFA00},
            {"class": 3, "obis": ENERGY[0], "base_name": ENERGY[1]},
            {"class": 3, "obis": VOLTAGE[0], "base_name": VOLTAGE[1]},
            {"class": 8, "obis": CLOCK[0], "base_name": CLOCK[1]},
            {"class": 1, "obis": SERIAL[0], "base_name": SERIAL[1]},
            {"class": 70, "obis": DISCONNECT[0], "base_name": DISCONNECT[1]},
        ],
        "scenarios": {
            "none": scenario_none(),
            "low": scenario_low(),
            "ciphered": scenario_ciphered(),
        },
    }
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
