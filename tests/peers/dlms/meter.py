#!/usr/bin/env python3
"""A Gurux DLMS/COSEM server (gurux-dlms 1.0.203) made into a small working meter.

    meter.py --transport wrapper|hdlc --port PORT [--events]

Listens on 127.0.0.1:PORT (HDLC frames or IEC 62056-47 wrapper PDUs over TCP), prints
"ready" once it serves, and serves one TCP connection at a time; every connection gets a
fresh meter (fixed state, below), so a recorded session gives the same bytes each time.
With --events it also prints, one line each on stdout, what a client did with the link:
"event connected", "event associated", "event rlrq" (a release request), "event disc" (an
HDLC DISC) and "event closed" (the client closed the TCP connection).

Addresses: server logical address 1 (wrapper port 1); over HDLC the server address is logical
1, physical 17 (two-byte address 0x02 0x23). Clients (wrapper port = HDLC client address):

    16  public        authentication none, no security, read only
    17  reader        low (password "12345678"), no security, read and write
    18  manager       high-GMAC, no security, read, write and ACTION
    1   secured       high-GMAC, authenticated and encrypted (suite 0), read, write and ACTION

Keys (Green Book example keys): block cipher key 000102030405060708090A0B0C0D0E0F,
authentication key D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF, server system title 4D4D4D0000BC614E.

Objects (fixed values; see captures/dlms/README.md):
    0.0.40.0.0.255  association LN (current association)
    0.0.1.0.0.255   clock: 2024-06-01 12:00:00, deviation 0, status 0 (it does not run)
    1.0.1.8.0.255   register: active energy import, double-long-unsigned 12345678, scaler 0, Wh
    1.0.2.8.0.255   register: active energy export, double-long-unsigned 4321, scaler 0, Wh
    1.0.32.7.0.255  register: voltage L1, long-unsigned 2301, scaler -1, V
    0.0.96.1.0.255  data: meter serial number, octet-string "FBGX0001"
    0.0.96.3.10.255 disconnect control: output_state true, control_state connected (1),
                    control_mode 1; method 1 remote_disconnect, method 2 remote_reconnect
    1.0.99.1.0.255  profile generic: 96 entries, 15-minute period, 2024-06-01 00:15 to
                    2024-06-02 00:00, columns clock time, 1.8.0 value, 2.8.0 value

HLS challenges are fixed (the server's StoC is SERVER_CHALLENGE) and the server's invocation
counter starts at SERVER_INVOCATION_COUNTER on every connection: a test meter's choice, so that
re-recording gives the same bytes; a real meter must use random challenges and a counter that
never goes back.

Run-time patches of gurux-dlms 1.0.203 (its server side is broken; each is marked PATCH below):
 1. GXServerReply lacks setReply/getConnectionInfo/setCount/getCount that GXDLMSServer calls.
 2. GXDLMSServer.handleSnrmRequest reads HDLC limits from `self.hdlc` (None unless an HDLC setup
    object is given, and then from attributes it does not have) and writes the parameter group
    length with value and index swapped (group length 0, window size 0x00020001): the UA is built
    here from the negotiated settings.
 3. GXDLMSSecureServer stores its cipher as `settings.ciphering`, but the server reads
    `settings.cipher`: the cipher is set on `settings.cipher`.
 4. GXDLMSServer.handleReleaseRequest writes the RLRE's length before it knows it and adds a
    user-information even without ciphering: replaced by a correct RLRE (reason normal, 0x80 01
    00), with a ciphered xDLMS InitiateResponse inside only when the RLRQ carried one.
 5. GXDLMSLNCommandHandler.handleMethodRequest calls int() on octet strings, iterates a
    ValueEventArgs, calls the missing server.notifyConnected, and has no invoke for disconnect
    control: replaced by a handler that answers ACTION-Response-Normal itself (association
    method 1 reply_to_HLS_authentication checked with GMAC, disconnect control methods 1 and 2).
 6. GXDLMSLNCommandHandler.getRequestNormal calls the missing server.notifyRead/onPostRead,
    never calls onPreRead, and the profile generic's own buffer encoder ignores the columns and
    compares date-times with 0: the server gets notifyRead/onPostRead/getTransaction/
    setTransaction, and the profile (class Profile) encodes its buffer itself: all of it, or
    by range (selector 1, 12-byte date-time bounds, both ends included) or entry (selector 2).
 7. getRequestNextDataBlock reads `settings.gbtWndowSize` (a typo): the attribute is added.
 8. GXDLMSSettings.setStoCChallenge keeps the random challenge: GXSecure.generateChallenge is
    replaced in this process by one returning SERVER_CHALLENGE.
 9. Gurux's server never checks the GCM tag of a ciphered request (it accepts any key): this
    meter checks the tag and the invocation counter of every ciphered request itself (with the
    cryptography package) and drops the connection when either is wrong.
 10. GXDLMSServer.initialize appends the object collection itself to an empty association
    object list (a TypeError): the list is filled before initialize().
 11. GXDLMSLNCommandHandler.handleSetRequestNormal calls list() on one ValueEventArgs (a
    TypeError, answered as hardware-fault): ValueEventArgs iterates as a list of itself.
 12. GXDLMSLNParameters has no isMultipleBlocks/setStatus, which the SET handler calls: added.
 13. GXDLMSLongTransaction has no setData, which the GET-next-data-block handler calls: added
    (without it every block after the first failed).
 14. _GXAPDU.generateAARE fails for HLS (responding-AP-title and responding-authentication-value
    lengths wrong, one call without its argument) and does not advance the invocation counter
    after ciphering the InitiateResponse: replaced by the same AARE, fixed.
 15. GXDLMS.handleGloDedRequest passes its arguments to AesGcmParameter shifted by one (no
    authentication key: every ciphered request after the AARQ fails): replaced, with patch 9.
 16. GXDLMSServer.generateDisconnectRequest (the UA to a DISC) reads `self.hdlc` too: the UA
    to a DISC has no information field here.
Also: the property GXDLMSServer.maxReceivePDUSize recurses forever (not used here), and any
exception in a handler is answered with hardware-fault (reportError logs it here).
"""

import argparse
import datetime
import socket
import sys
import traceback

from gurux_dlms import GXByteBuffer, GXDateTime, GXDLMSServer, GXServerReply, ValueEventArgs
from gurux_dlms import GXDLMS, GXDLMSLNParameters, GXCiphering, GXDLMSLongTransaction
from gurux_dlms._GXAPDU import _GXAPDU
from gurux_dlms.GXSecure import GXSecure
from gurux_dlms.GXDLMSLNCommandHandler import GXDLMSLNCommandHandler
from gurux_dlms.enums import (
    Authentication, Command, DataType, ErrorCode, InterfaceType, ObjectType, Security,
    SourceDiagnostic, Unit, AccessMode, MethodAccessMode, AssociationResult,
)
from gurux_dlms.internal._GXCommon import _GXCommon
from gurux_dlms.internal._GXDataInfo import _GXDataInfo
from gurux_dlms.objects import (
    GXDLMSAssociationLogicalName, GXDLMSClock, GXDLMSData, GXDLMSDisconnectControl,
    GXDLMSProfileGeneric, GXDLMSRegister,
)
from gurux_dlms.objects.enums import AssociationStatus, ControlState, ControlMode
from gurux_dlms.ConnectionState import ConnectionState

BLOCK_CIPHER_KEY = bytes.fromhex("000102030405060708090A0B0C0D0E0F")
AUTHENTICATION_KEY = bytes.fromhex("D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF")
SERVER_SYSTEM_TITLE = bytes.fromhex("4D4D4D0000BC614E")
SERVER_CHALLENGE = bytes.fromhex("5AB1C2D3E4F5061728394A5B6C7D8E9F")
SERVER_INVOCATION_COUNTER = 0x00000100
PASSWORD = b"12345678"
SERVER_LOGICAL = 1
SERVER_PHYSICAL = 17

# client address -> (authentication, security, may write, may act)
CLIENTS = {
    16: (Authentication.NONE, Security.NONE, False, False),
    17: (Authentication.LOW, Security.NONE, True, False),
    18: (Authentication.HIGH_GMAC, Security.NONE, True, True),
    1: (Authentication.HIGH_GMAC, Security.AUTHENTICATION_ENCRYPTION, True, True),
}

CLOCK_TIME = datetime.datetime(2024, 6, 1, 12, 0, 0)
PROFILE_START = datetime.datetime(2024, 6, 1, 0, 15, 0)
PROFILE_ENTRIES = 96


def log(*args):
    print("meter:", *args, file=sys.stderr, flush=True)


EVENTS = False


def event(name):
    """One line on stdout for the test that drives this meter (--events)."""
    if EVENTS:
        print("event", name, flush=True)


# PATCH 8: fixed server challenge (GXSecure.generateChallenge is only called by the server here).
GXSecure.generateChallenge = classmethod(lambda cls: bytearray(SERVER_CHALLENGE))


class Reply(GXServerReply):
    """PATCH 1: the methods GXDLMSServer calls on GXServerReply but 1.0.203 does not have."""

    def setReply(self, value):
        self.reply = value

    def getConnectionInfo(self):
        return self.connectionInfo

    def setCount(self, value):
        self.count = value

    def getCount(self):
        return self.count


# PATCH 11: the SET handler calls list() on one ValueEventArgs (a TypeError answered as
# hardware-fault): an event argument iterates as a list of itself.
ValueEventArgs.__iter__ = lambda self: iter([self])


# PATCH 12: the SET and ACTION handlers call GXDLMSLNParameters.isMultipleBlocks and setStatus,
# which 1.0.203 does not have.
GXDLMSLNParameters.isMultipleBlocks = lambda self: bool(self.multipleBlocks)
GXDLMSLNParameters.setStatus = lambda self, value: setattr(self, "status", value)


# PATCH 13: getRequestNextDataBlock keeps the rest of a long GET with
# GXDLMSLongTransaction.setData, which 1.0.203 does not have (every block after the first failed).
GXDLMSLongTransaction.setData = lambda self, value: setattr(self, "data", value)


def generate_aare(cls, settings, data, result, diagnostic, cipher, errorData, encryptedData):
    """PATCH 14: _GXAPDU.generateAARE writes the responding-AP-title with a wrong length and a
    call without its argument (a TypeError: no AARE at all for HLS), and the
    responding-authentication-value with a wrong length; and after ciphering the xDLMS
    InitiateResponse it does not advance the invocation counter (the next ciphered APDU would
    reuse its IV). The same AARE, with those fixed."""
    offset = len(data)
    data.setUInt8(0x61)  # AARE [APPLICATION 1]
    data.setUInt8(0)  # length, set at the end
    _GXAPDU.generateApplicationContextName(settings, data, cipher)
    data.set(bytearray([0xA2, 0x03, 0x02, 0x01, result]))  # result
    data.set(bytearray([0xA3, 0x05, 0xA1, 0x03, 0x02, 0x01, diagnostic]))  # acse-service-user
    if cipher and (settings.authentication == Authentication.HIGH_GMAC or cipher.isCiphered()):
        title = bytearray(cipher.systemTitle)
        data.set(bytearray([0xA4, 2 + len(title), 0x04, len(title)]))  # responding-AP-title
        data.set(title)
    if settings.authentication > Authentication.LOW:
        data.set(bytearray([0x88, 0x02, 0x07, 0x80]))  # responder-acse-requirements
        data.set(bytearray([0x89, 0x07, 0x60, 0x85, 0x74, 0x05, 0x08, 0x02,
                            settings.authentication]))  # mechanism-name
        challenge = bytearray(settings.stoCChallenge)
        data.set(bytearray([0xAA, 2 + len(challenge), 0x80, len(challenge)]))
        data.set(challenge)  # responding-authentication-value
    if result == AssociationResult.ACCEPTED or not cipher or cipher.security == Security.NONE:
        if encryptedData:
            tmp2 = GXByteBuffer()
            tmp2.setUInt8(Command.GLO_INITIATE_RESPONSE)
            _GXCommon.setObjectCount(len(encryptedData), tmp2)
            tmp2.set(encryptedData)
            tmp = tmp2.array()
        elif errorData:
            tmp = errorData
        else:
            tmp = _GXAPDU.getUserInformation(settings, cipher)
            if cipher and cipher.isCiphered():
                # Gurux does not advance its counter after ciphering the InitiateResponse, so
                # the next ciphered APDU would reuse the IV.
                cipher.invocationCounter = cipher.invocationCounter + 1
        data.setUInt8(0xBE)  # user-information [30]
        data.setUInt8(2 + len(tmp))
        data.setUInt8(0x04)
        data.setUInt8(len(tmp))
        data.set(tmp)
    data.setUInt8(len(data) - offset - 2, offset + 1)


_GXAPDU.generateAARE = classmethod(generate_aare)


class Deciphering(Exception):
    pass


def handle_glo_request(cls, settings, data):
    """PATCHES 9 and 15: GXDLMS.handleGloDedRequest builds its AesGcmParameter with the
    arguments shifted by one (no authentication key: every ciphered request after the AARQ
    fails), and Gurux never checks the GCM tag anyway. This one deciphers a glo-ciphered request
    itself (suite 0, Green Book 9.2.7.2), checks the tag and that the invocation counter grows,
    and marks the connection to be dropped when either is wrong."""
    from gurux_dlms.enums import RequestTypes
    if (data.moreData & RequestTypes.FRAME) != 0:
        data.data.position = data.data.position - 1
        return
    data.data.position = data.data.position - 1
    raw = bytes(data.data.remaining())
    try:
        plain = decipher_apdu(settings, raw)
    except Deciphering as e:
        log("ciphered request refused:", e)
        settings.meter_drop = True
        raise
    data.data.clear()
    data.data.set(bytearray(plain))
    data.command = Command(data.data.getUInt8())


def axdr_length(raw, pos):
    """(length, position after it) of an A-XDR length at raw[pos]."""
    if pos >= len(raw):
        raise Deciphering("truncated")
    first = raw[pos]
    if first < 0x80:
        return first, pos + 1
    n = first & 0x7F
    return int.from_bytes(raw[pos + 1:pos + 1 + n], "big"), pos + 1 + n


def decipher_apdu(settings, raw):
    """The plain APDU inside a glo-ciphered request (C8..CB) or a general-glo-ciphering (DB)."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    from cryptography.exceptions import InvalidTag
    title = bytes(settings.sourceSystemTitle or b"")
    if raw[:1] == b"\xDB":
        n, pos = axdr_length(raw, 1)
        title = raw[pos:pos + n]
        if title != bytes(settings.sourceSystemTitle or b""):
            raise Deciphering("system title %s is not the AARQ's" % title.hex())
        length, pos = axdr_length(raw, pos + n)
    elif raw[:1] in (b"\xC8", b"\xC9", b"\xCA", b"\xCB"):  # glo-get/set/event/action
        length, pos = axdr_length(raw, 1)
    else:
        raise Deciphering("not a glo-ciphered request: %s" % raw[:1].hex())
    body = raw[pos:pos + length]
    if len(body) != length or length < 5 + 12:
        raise Deciphering("length")
    sc, ic = body[0], int.from_bytes(body[1:5], "big")
    if sc != 0x30:
        raise Deciphering("security control 0x%02X (this meter wants 0x30)" % sc)
    last = getattr(settings, "meter_last_ic", -1)
    if ic <= last:
        raise Deciphering("invocation counter %d not above %d" % (ic, last))
    iv = title + body[1:5]
    dec = Cipher(algorithms.AES(BLOCK_CIPHER_KEY),
                 modes.GCM(iv, body[-12:], min_tag_length=12)).decryptor()
    dec.authenticate_additional_data(bytes([sc]) + AUTHENTICATION_KEY)
    try:
        plain = dec.update(body[5:-12]) + dec.finalize()
    except InvalidTag:
        raise Deciphering("wrong GCM tag")
    settings.meter_last_ic = ic
    return plain


def handle_glo_ded_response(cls, settings, data, index):
    """PATCH 9 for general-glo-ciphering: Gurux's server deciphers a general-glo-ciphering
    request (DB) in its response path without checking the tag; the tag and the counter are
    checked here first."""
    if settings.isServer and (data.moreData & 1) == 0:
        raw = bytes(data.data._data[data.data.position - 1:data.data.size])
        if raw[:1] == b"\xDB":
            try:
                decipher_apdu(settings, raw)
            except Deciphering as e:
                log("ciphered request refused:", e)
                settings.meter_drop = True
                raise
    return ORIGINAL_GLO_DED_RESPONSE(settings, data, index)


ORIGINAL_GLO_DED_RESPONSE = GXDLMS.handleGloDedResponse
GXDLMS.handleGloDedResponse = classmethod(handle_glo_ded_response)
GXDLMS.handleGloDedRequest = classmethod(handle_glo_request)


def date_time(value):
    """A GXDateTime: Gurux encodes it with deviation 0, status 0 and day of week 0xFF."""
    return GXDateTime(value)


class Profile(GXDLMSProfileGeneric):
    """PATCH 6: the profile generic's own buffer encoder ignores the columns and compares
    date-times with 0; this one encodes the buffer itself: all of it, or the entries a range
    (selector 1, both ends included, 12-byte date-time bounds) or entry (selector 2)
    descriptor selects."""

    rows = ()

    def getValue(self, settings, e):
        if e.index != 2:
            return super().getValue(settings, e)
        e.byteArray = True
        rows = self.rows
        if e.selector == 1 and e.parameters:
            # range_descriptor: {restricting_object, from_value, to_value, selected_values}
            start = self.parse_bound(settings, e.parameters[1])
            end = self.parse_bound(settings, e.parameters[2])
            if start is not None and end is not None:
                rows = [r for r in rows if start <= r[0] <= end]
        elif e.selector == 2 and e.parameters:
            # entry_descriptor: {from_entry, to_entry, from_selected_value, to_selected_value}
            first = max(int(e.parameters[0]), 1)
            last = int(e.parameters[1]) or len(rows)
            rows = rows[first - 1:last]
        bb = GXByteBuffer()
        bb.setUInt8(DataType.ARRAY)
        _GXCommon.setObjectCount(len(rows), bb)
        for t, imp, exp in rows:
            bb.setUInt8(DataType.STRUCTURE)
            bb.setUInt8(3)
            _GXCommon.setData(settings, bb, DataType.OCTET_STRING, date_time(t))
            _GXCommon.setData(settings, bb, DataType.UINT32, imp)
            _GXCommon.setData(settings, bb, DataType.UINT32, exp)
        return bb.array()

    @staticmethod
    def parse_bound(settings, value):
        if isinstance(value, GXDateTime):
            return value.value.replace(tzinfo=None)
        if isinstance(value, (bytes, bytearray)) and len(value) == 12:
            info = _GXDataInfo()
            info.type_ = DataType.DATETIME
            dt = _GXCommon.getData(settings, GXByteBuffer(bytearray(value)), info)
            if isinstance(dt, GXDateTime):
                return dt.value.replace(tzinfo=None)
        return None


class Meter(GXDLMSServer):
    def __init__(self, interface):
        super().__init__(True, interface)
        # PATCH 3: the cipher must be on settings.cipher.
        self.settings.cipher = GXCiphering(bytearray(SERVER_SYSTEM_TITLE))
        self.settings.cipher.blockCipherKey = bytearray(BLOCK_CIPHER_KEY)
        self.settings.cipher.authenticationKey = bytearray(AUTHENTICATION_KEY)
        # PATCH 7: the typo'd attribute getRequestNextDataBlock reads.
        self.settings.gbtWndowSize = 1
        self.transaction = None
        self.client_policy = None
        self.settings.maxServerPDUSize = 1024
        self.build_objects()
        self.initialize()

    # -- the objects ----------------------------------------------------------------------
    def build_objects(self):
        self.association = GXDLMSAssociationLogicalName("0.0.40.0.0.255")
        self.association.secret = bytearray(PASSWORD)
        self.clock = GXDLMSClock("0.0.1.0.0.255")
        self.clock.time = date_time(CLOCK_TIME)
        self.clock.timeZone = 0
        self.clock.status = 0
        self.clock.deviation = 0
        self.energy_import = GXDLMSRegister("1.0.1.8.0.255")
        self.energy_import.value = 12345678
        self.energy_import.setDataType(2, DataType.UINT32)
        self.energy_import.scaler = 1  # Gurux stores 10^scaler: 1 is scaler 0
        self.energy_import.unit = Unit.ACTIVE_ENERGY  # Wh (30)
        self.energy_export = GXDLMSRegister("1.0.2.8.0.255")
        self.energy_export.value = 4321
        self.energy_export.setDataType(2, DataType.UINT32)
        self.energy_export.scaler = 1
        self.energy_export.unit = Unit.ACTIVE_ENERGY
        self.voltage = GXDLMSRegister("1.0.32.7.0.255")
        self.voltage.value = 2301
        self.voltage.setDataType(2, DataType.UINT16)
        self.voltage.scaler = 0.1  # scaler -1
        self.voltage.unit = Unit.VOLTAGE  # V (35)
        self.serial = GXDLMSData("0.0.96.1.0.255")
        self.serial.value = bytearray(b"FBGX0001")
        self.serial.setDataType(2, DataType.OCTET_STRING)
        self.disconnect = GXDLMSDisconnectControl("0.0.96.3.10.255")
        self.disconnect.outputState = True
        self.disconnect.controlState = ControlState.CONNECTED
        self.disconnect.controlMode = ControlMode.MODE_1
        self.profile = Profile("1.0.99.1.0.255")
        self.profile.addCaptureObject(self.clock, 2, 0)
        self.profile.addCaptureObject(self.energy_import, 2, 0)
        self.profile.addCaptureObject(self.energy_export, 2, 0)
        self.profile.capturePeriod = 900
        self.profile.profileEntries = PROFILE_ENTRIES
        self.profile.sortMethod = 1  # FIFO
        self.rows = []
        for i in range(PROFILE_ENTRIES):
            t = PROFILE_START + datetime.timedelta(minutes=15 * i)
            self.rows.append((t, 12340000 + 60 * i, 4000 + 3 * i))
        self.profile.rows = self.rows
        self.profile.entriesInUse = len(self.rows)
        for it in (self.association, self.clock, self.energy_import, self.energy_export,
                   self.voltage, self.serial, self.disconnect, self.profile):
            self.items.append(it)
            # PATCH 10: initialize() appends the whole collection to an empty object list as
            # one item (and raises): the object list is filled here, so it is not empty.
            self.association.objectList.append(it)

    # -- PATCH 6: the server methods the command handlers call -------------------------------
    def notifyRead(self, *args):
        pass

    def getTransaction(self):
        return self.transaction

    def setTransaction(self, value):
        self.transaction = value

    # -- the abstract callbacks -------------------------------------------------------------
    def isTarget(self, serverAddress, clientAddress):
        if self.settings.interfaceType == InterfaceType.HDLC:
            expected = GXDLMS_server_address()
        else:
            expected = SERVER_LOGICAL
        if serverAddress != expected or clientAddress not in CLIENTS:
            log("not a target: server", serverAddress, "client", clientAddress)
            return False
        self.client_policy = CLIENTS[clientAddress]
        return True

    def onValidateAuthentication(self, authentication, password):
        want_auth, want_security, _, _ = self.client_policy
        if authentication != want_auth:
            log("authentication", authentication, "refused for this client")
            return SourceDiagnostic.AUTHENTICATION_MECHANISM_NAME_NOT_RECOGNISED
        if authentication == Authentication.LOW and bytes(password or b"") != PASSWORD:
            log("wrong password")
            return SourceDiagnostic.AUTHENTICATION_FAILURE
        got_security = self.settings.cipher.security if self.settings.cipher else Security.NONE
        if got_security != want_security:
            log("security", got_security, "refused for this client")
            return SourceDiagnostic.AUTHENTICATION_FAILURE
        # PATCH 8 (counter): the server's invocation counter starts at a fixed value.
        self.settings.cipher.invocationCounter = SERVER_INVOCATION_COUNTER
        return SourceDiagnostic.NONE

    def onFindObject(self, objectType, sn, ln):
        return None

    def onGetAttributeAccess(self, arg):
        if arg.target is self.association and arg.index == 1:
            return AccessMode.READ
        if not (self.settings.connected & ConnectionState.DLMS):
            return AccessMode.NO_ACCESS
        _, _, may_write, _ = self.client_policy
        return AccessMode.READ_WRITE if may_write else AccessMode.READ

    def onGetMethodAccess(self, arg):
        if arg.target is self.association and arg.index == 1:
            return MethodAccessMode.ACCESS
        if not (self.settings.connected & ConnectionState.DLMS):
            return MethodAccessMode.NO_ACCESS
        _, _, _, may_act = self.client_policy
        return MethodAccessMode.ACCESS if may_act else MethodAccessMode.NO_ACCESS

    def onPreGet(self, args):
        pass

    def onPostGet(self, args):
        pass

    def onPreRead(self, args):
        pass

    def onPostRead(self, args=None):
        pass

    def onPreWrite(self, args):
        pass

    def onPostWrite(self, args):
        pass

    def onPreAction(self, args):
        pass

    def onPostAction(self, args):
        pass

    def onConnected(self, connectionInfo):
        event("associated")
        log("associated, authentication", self.settings.authentication)

    def onInvalidConnection(self, connectionInfo):
        log("invalid connection")

    def onDisconnected(self, connectionInfo):
        log("released")

    def reportError(self, command, error):
        # Gurux answers any exception in a handler with hardware-fault: log what it was.
        log("error answer to command", command, ":", "".join(
            traceback.format_exception(*sys.exc_info())).strip())
        return super().reportError(command, error)

    # -- PATCH 2: the UA of an SNRM ------------------------------------------------------------
    def handleSnrmRequest(self, data):
        hdlc = self.settings.hdlc
        hdlc.maxInfoRX = 128
        hdlc.maxInfoTX = 128
        hdlc.windowSizeRX = 1
        hdlc.windowSizeTX = 1
        GXDLMS.parseSnrmUaResponse(data, hdlc)
        self.reset(True)
        self.replyData.setUInt8(0x81)
        self.replyData.setUInt8(0x80)
        self.replyData.setUInt8(0)
        self.replyData.setUInt8(0x05)  # maximum information field length, transmit
        GXDLMS.appendHdlcParameter(self.replyData, hdlc.maxInfoTX)
        self.replyData.setUInt8(0x06)  # maximum information field length, receive
        GXDLMS.appendHdlcParameter(self.replyData, hdlc.maxInfoRX)
        self.replyData.setUInt8(0x07)  # window size, transmit
        self.replyData.setUInt8(4)
        self.replyData.setUInt32(hdlc.windowSizeTX)
        self.replyData.setUInt8(0x08)  # window size, receive
        self.replyData.setUInt8(4)
        self.replyData.setUInt32(hdlc.windowSizeRX)
        # Gurux writes setUInt8(2, len - 3): value and index swapped, so its UA has a group
        # length of 0 and a window size of 0x00020001.
        self.replyData.setUInt8(len(self.replyData) - 3, 2)
        self.settings.connected = ConnectionState.HDLC

    def generateDisconnectRequest(self):
        event("disc")
        # PATCH 16: Gurux answers DISC with a UA carrying its HDLC parameters read from
        # `self.hdlc` (None: an AttributeError, and an I frame of garbage instead of a UA).
        # This meter answers a UA without an information field.
        pass

    # -- PATCH 4: the RLRE ---------------------------------------------------------------------
    def handleReleaseRequest(self, data):
        event("rlrq")
        if self.settings.interfaceType == InterfaceType.HDLC:
            self.replyData.set(_GXCommon.LLC_REPLY_BYTES)
        body = GXByteBuffer()
        body.setUInt8(0x80)  # reason [0] IMPLICIT
        body.setUInt8(0x01)
        body.setUInt8(0x00)  # normal
        protected = b"\xBE" in bytes(data.remaining()) if data else False
        if protected and self.settings.cipher and self.settings.cipher.security != Security.NONE:
            tmp = _GXAPDU.getUserInformation(self.settings, self.settings.cipher)
            body.setUInt8(0xBE)  # user-information [30]
            body.setUInt8(2 + len(tmp))
            body.setUInt8(0x04)
            body.setUInt8(len(tmp))
            body.set(tmp)
        self.replyData.setUInt8(0x63)  # RLRE [APPLICATION 3]
        self.replyData.setUInt8(len(body))
        self.replyData.set(body)


def GXDLMS_server_address():
    return (SERVER_LOGICAL << 7) | SERVER_PHYSICAL


# -- PATCH 5: ACTION ----------------------------------------------------------------------------
def handle_method_request(settings, server, data, connectionInfo, replyData, xml):
    if xml is not None:
        return ORIGINAL_HANDLE_METHOD(settings, server, data, connectionInfo, replyData, xml)
    data.getUInt8()  # action-request-normal: the only kind Gurux's client sends here
    invoke_id = data.getUInt8()
    settings.updateInvokeId(invoke_id)
    ci = data.getUInt16()
    ln = bytearray(6)
    data.get(ln)
    method = data.getUInt8()
    parameters = None
    if data.getUInt8() != 0:
        parameters = _GXCommon.getData(settings, data, _GXDataInfo())
    name = _GXCommon.toLogicalName(ln)
    obj = settings.objects.findByLN(ObjectType(ci), name)
    status = ErrorCode.OK
    result = None  # raw A-XDR Data of return-parameters, or None
    if obj is None:
        status = ErrorCode.UNDEFINED_OBJECT
    else:
        e = ValueEventArgs(server, obj, method, 0, parameters)
        if server.onGetMethodAccess(e) == MethodAccessMode.NO_ACCESS:
            status = ErrorCode.READ_WRITE_DENIED
        elif obj is server.association and method == 1:
            result = reply_to_hls(settings, server, parameters)
            if result is None:
                status = ErrorCode.READ_WRITE_DENIED
        elif obj is server.disconnect and method in (1, 2):
            if method == 1:
                obj.outputState = False
                obj.controlState = ControlState.DISCONNECTED
            else:
                obj.controlState = ControlState.READY_FOR_RECONNECTION
        else:
            status = ErrorCode.READ_WRITE_DENIED
    bb = GXByteBuffer()
    if result is not None:
        bb.setUInt8(1)  # return-parameters present
        bb.setUInt8(0)  # Get-Data-Result: data
        _GXCommon.setData(settings, bb, DataType.OCTET_STRING, result)
    else:
        bb.setUInt8(0)  # no return-parameters
    p = GXDLMSLNParameters(settings, invoke_id, Command.METHOD_RESPONSE, 1, None, bb, status)
    GXDLMS.getLNPdu(p, replyData)
    if obj is server.association and method == 1:
        if result is not None:
            settings.connected = settings.connected | ConnectionState.DLMS
            server.association.associationStatus = AssociationStatus.ASSOCIATED
            server.onConnected(connectionInfo)
        else:
            settings.connected = settings.connected & ~ConnectionState.DLMS
            server.onInvalidConnection(connectionInfo)


def reply_to_hls(settings, server, parameters):
    """Check f(StoC) from the client (GMAC, Green Book 9.2.7.4) and return f(CtoS)."""
    if settings.authentication != Authentication.HIGH_GMAC or not isinstance(
            parameters, (bytes, bytearray)) or len(parameters) != 17 or parameters[0] != 0x10:
        return None
    ic = int.from_bytes(parameters[1:5], "big")
    expected = gmac(settings.sourceSystemTitle, ic, bytes(settings.stoCChallenge))
    if bytes(parameters[5:]) != expected:
        log("reply_to_HLS_authentication: wrong GMAC")
        return None
    counter = settings.cipher.invocationCounter
    settings.cipher.invocationCounter = counter + 1
    tag = gmac(SERVER_SYSTEM_TITLE, counter, bytes(settings.ctoSChallenge))
    return bytearray(b"\x10" + counter.to_bytes(4, "big") + tag)


def gmac(system_title, counter, challenge):
    """SC || IC || GMAC(SC || AK || challenge), suite 0: the 12-byte tag only."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    iv = bytes(system_title) + counter.to_bytes(4, "big")
    enc = Cipher(algorithms.AES(BLOCK_CIPHER_KEY), modes.GCM(iv, min_tag_length=12)).encryptor()
    enc.authenticate_additional_data(b"\x10" + AUTHENTICATION_KEY + challenge)
    enc.finalize()
    return enc.tag[:12]


ORIGINAL_HANDLE_METHOD = GXDLMSLNCommandHandler.handleMethodRequest
GXDLMSLNCommandHandler.handleMethodRequest = staticmethod(handle_method_request)


def serve(transport, port):
    interface = InterfaceType.WRAPPER if transport == "wrapper" else InterfaceType.HDLC
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(1)
    print("ready", flush=True)
    while True:
        conn, peer = listener.accept()
        log("connection from", peer)
        event("connected")
        meter = Meter(interface)
        with conn:
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            while True:
                try:
                    data = conn.recv(4096)
                except ConnectionError:
                    break
                if not data:
                    break
                sr = Reply(bytearray(data))
                try:
                    meter.handleRequest(sr)
                except Exception as e:  # a broken request must not stop the meter
                    log("handleRequest failed:", repr(e))
                    break
                if getattr(meter.settings, "meter_drop", False):
                    log("dropping the connection")
                    break
                if sr.reply:
                    conn.sendall(bytes(sr.reply))
        log("connection closed")
        event("closed")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--transport", choices=("wrapper", "hdlc"), required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--events", action="store_true",
                    help="print what clients do with the link on stdout")
    args = ap.parse_args()
    global EVENTS
    EVENTS = args.events
    serve(args.transport, args.port)


if __name__ == "__main__":
    main()
