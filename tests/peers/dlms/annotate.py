#!/usr/bin/env python3
"""Add Gurux's XML to the frames a session logged, and check them against the capture.

    annotate.py RAW.jsonl [--pcap CAPTURE.pcapng --port PORT] > SCENARIO.frames.jsonl

For every frame with an APDU, adds:
    xml        GXDLMSTranslator.pduToXml of the APDU, without keys (gurux-dlms 1.0.203, simple
               XML, comments on)
and for a ciphered one (glo-*, general-glo-ciphering, or an AARQ/AARE/RLRE whose
user-information is a glo-initiate):
    plain_hex  the deciphered APDU (for an A-associate or release APDU: the deciphered xDLMS
               InitiateRequest/InitiateResponse of its user-information), deciphered here with the
               keys of captures/dlms/keys.json (AES-GCM, tag checked)
    xml_keys   pduToXml of the ciphered APDU with the keys given to the translator (1.0.203
               deciphers requests and the AARQ/AARE user-information, not glo responses)
    xml_plain  pduToXml of plain_hex
With --pcap, checks that the frames, in order, are exactly the TCP payload bytes of the capture
in each direction (read with tshark), and fails if they are not.
"""

import argparse
import contextlib
import io
import json
import os
import subprocess
import sys

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from gurux_dlms import GXByteBuffer, GXDLMSTranslator
from gurux_dlms.enums import Security, TranslatorOutputType

HERE = os.path.dirname(os.path.abspath(__file__))
KEYS_FILE = os.path.join(HERE, "..", "..", "..", "captures", "dlms", "keys.json")

GLO_TAGS = {0xC8, 0xC9, 0xCA, 0xCB, 0xCC, 0xCD, 0xCE, 0xCF, 0xDB}


def load_keys():
    with open(KEYS_FILE) as f:
        k = json.load(f)
    return {
        "ek": bytes.fromhex(k["block_cipher_key"]),
        "ak": bytes.fromhex(k["authentication_key"]),
        "c2s": bytes.fromhex(k["client_system_title"]),
        "s2c": bytes.fromhex(k["server_system_title"]),
    }


def axdr_length(raw, pos):
    first = raw[pos]
    if first < 0x80:
        return first, pos + 1
    n = first & 0x7F
    return int.from_bytes(raw[pos + 1:pos + 1 + n], "big"), pos + 1 + n


def gcm_open(keys, title, body):
    """Decipher SC || IC || ciphertext || tag (suite 0, security control 0x30 or 0x10)."""
    sc = body[0]
    iv = title + body[1:5]
    if sc & 0x30 == 0x30:
        dec = Cipher(algorithms.AES(keys["ek"]),
                     modes.GCM(iv, body[-12:], min_tag_length=12)).decryptor()
        dec.authenticate_additional_data(bytes([sc]) + keys["ak"])
        return dec.update(body[5:-12]) + dec.finalize()
    if sc & 0x30 == 0x10:
        plain = body[5:-12]
        enc = Cipher(algorithms.AES(keys["ek"]), modes.GCM(iv, min_tag_length=12)).encryptor()
        enc.authenticate_additional_data(bytes([sc]) + keys["ak"] + plain)
        enc.finalize()
        if enc.tag[:12] != body[-12:]:
            raise InvalidTag()
        return plain
    raise ValueError("security control 0x%02X" % sc)


def glo_initiate(apdu):
    """The glo-initiate (0x21/0x28 ...) inside an AARQ/AARE/RLRQ/RLRE's user-information."""
    pos = 2 if apdu[1] < 0x80 else 2 + (apdu[1] & 0x7F)
    while pos < len(apdu):
        tag = apdu[pos]
        length, start = axdr_length(apdu, pos + 1)
        if tag == 0xBE:  # user-information: OCTET STRING holding the xDLMS APDU
            inner = apdu[start:start + length]
            if inner[0] == 0x04:
                n, p = axdr_length(inner, 1)
                xdlms = inner[p:p + n]
                if xdlms and xdlms[0] in (0x21, 0x28):
                    return xdlms
            return None
        pos = start + length
    return None


def decipher(keys, direction, apdu):
    """The plain APDU inside a ciphered one, or None when it is not ciphered."""
    tag = apdu[0]
    if tag in GLO_TAGS:
        title = keys[direction]
        if tag == 0xDB:
            n, pos = axdr_length(apdu, 1)
            title = apdu[pos:pos + n]
            length, pos = axdr_length(apdu, pos + n)
        else:
            length, pos = axdr_length(apdu, 1)
        return gcm_open(keys, title, apdu[pos:pos + length])
    if tag in (0x60, 0x61, 0x62, 0x63):
        inner = glo_initiate(apdu)
        if inner is not None:
            length, pos = axdr_length(inner, 1)
            return gcm_open(keys, keys[direction], inner[pos:pos + length])
    return None


def translator(keys=None, direction=None):
    t = GXDLMSTranslator(TranslatorOutputType.SIMPLE_XML)
    t.comments = True
    if keys:
        t.security = Security.AUTHENTICATION_ENCRYPTION
        t.blockCipherKey = bytearray(keys["ek"])
        t.authenticationKey = bytearray(keys["ak"])
        t.systemTitle = bytearray(keys[direction])
        t.serverSystemTitle = bytearray(keys["s2c" if direction == "c2s" else "c2s"])
    return t


def to_xml(t, apdu):
    # Gurux prints "Encryption is applied." and the like on stdout: keep it out of the output.
    with contextlib.redirect_stdout(io.StringIO()):
        try:
            return t.pduToXml(GXByteBuffer(bytearray(apdu))).strip()
        except Exception as e:  # recorded, and reported by summarise.py
            return "<!--GXDLMSTranslator failed: %r-->" % (e,)


def annotate(frames, keys):
    plain_t = translator()
    for f in frames:
        if not f.get("apdu_hex"):
            continue
        apdu = bytes.fromhex(f["apdu_hex"])
        f["xml"] = to_xml(plain_t, apdu)
        plain = decipher(keys, f["dir"], apdu)
        if plain is not None:
            f["plain_hex"] = plain.hex().upper()
            f["xml_keys"] = to_xml(translator(keys, f["dir"]), apdu)
            f["xml_plain"] = to_xml(plain_t, plain)
    return frames


def pcap_streams(pcap, port):
    out = subprocess.run(
        ["tshark", "-r", pcap, "-Y", "tcp.len > 0", "-T", "fields", "-e", "tcp.srcport",
         "-e", "tcp.payload"], check=True, capture_output=True, text=True).stdout
    streams = {"c2s": "", "s2c": ""}
    for line in out.splitlines():
        src, payload = line.split("\t")
        streams["s2c" if int(src) == port else "c2s"] += payload.replace(":", "").upper()
    return streams


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("raw")
    ap.add_argument("--pcap")
    ap.add_argument("--port", type=int)
    args = ap.parse_args()
    with open(args.raw) as f:
        frames = [json.loads(line) for line in f]
    if args.pcap:
        streams = pcap_streams(args.pcap, args.port)
        for d in ("c2s", "s2c"):
            logged = "".join(f["hex"] for f in frames if f["dir"] == d)
            if logged != streams[d]:
                sys.exit("annotate.py: %s: the logged frames (%d bytes) are not the capture's "
                         "payload (%d bytes)" % (d, len(logged) // 2, len(streams[d]) // 2))
        print("annotate.py: %d frames match the capture byte for byte" % len(frames),
              file=sys.stderr)
    for f in annotate(frames, load_keys()):
        print(json.dumps(f))


if __name__ == "__main__":
    main()
