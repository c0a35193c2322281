#!/usr/bin/env python3
"""Summarise captures/dlms/*.frames.jsonl, one line a frame, from Gurux's XML.

    summarise.py captures/dlms/*.frames.jsonl > captures/dlms/summary.txt

Each line: frame number, direction, transport and link facts (HDLC frame kind with N(S)/N(R),
segmentation bit and length; wrapper source and destination ports), then the APDU: its name as
GXDLMSTranslator gives it and its key facts, read from the translator's XML (for a ciphered APDU,
the envelope, its security control and invocation counter, then the deciphered APDU's XML).
A frame whose XML the translator could not produce is marked "TRANSLATOR FAILED".
"""

import json
import os
import sys
import xml.etree.ElementTree as ET


def strip_comments(text):
    """Remove XML comments, nested ones too (Gurux nests them)."""
    out, depth, i = [], 0, 0
    while i < len(text):
        if text.startswith("<!--", i):
            depth += 1
            i += 4
        elif depth and text.startswith("-->", i):
            depth -= 1
            i += 3
        else:
            if not depth:
                out.append(text[i])
            i += 1
    return "".join(out)


def parse(xml):
    body = strip_comments(xml).strip()
    return ET.fromstring("<root>" + body + "</root>")


def v(node, name):
    n = node.find(".//" + name)
    return None if n is None else n.get("Value")


def obis(hex_ln):
    b = bytes.fromhex(hex_ln)
    return "%d-%d:%d.%d.%d*%d" % tuple(b) if len(b) == 6 else hex_ln


def data_text(node, limit=110):
    """A short rendering of a DLMS Data element tree."""
    def one(n):
        tag = n.tag
        if tag in ("Structure", "Array"):
            kids = list(n)
            qty = int(n.get("Qty", "0"), 16)
            if tag == "Array" and qty > 2:
                return "array[%d]{%s, ...}" % (qty, one(kids[0]) if kids else "")
            return "%s{%s}" % ("struct" if tag == "Structure" else "array[%d]" % qty,
                               ", ".join(one(k) for k in kids))
        val = n.get("Value")
        if tag == "OctetString" and val and len(val) == 24 and val[:2] in ("07", "FF"):
            return "date-time " + date_time(val)
        if tag in ("UInt8", "UInt16", "UInt32", "UInt64", "Int8", "Int16", "Int32", "Int64",
                   "Enum") and val:
            bits = len(val) * 4
            num = int(val, 16)
            if tag.startswith("Int") and num >= 1 << (bits - 1):
                num -= 1 << bits
            return "%s %d" % (tag.lower(), num)
        if tag == "OctetString" and val:
            b = bytes.fromhex(val)
            if all(32 <= c < 127 for c in b):
                return 'octet-string "%s"' % b.decode()
            return "octet-string " + val
        if tag == "Boolean":
            return "boolean " + str(val)
        return "%s %s" % (tag, val if val is not None else "")
    text = one(node)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def date_time(val):
    b = bytes.fromhex(val)
    year = int.from_bytes(b[0:2], "big")
    dev = int.from_bytes(b[9:11], "big", signed=True)
    return "%04d-%02d-%02d %02d:%02d:%02d dow %02X dev %d status %02X" % (
        year, b[2], b[3], b[5], b[6], b[7], b[4], dev, b[11])


def descriptor(node):
    d = node.find(".//AttributeDescriptor")
    kind = "attr"
    if d is None:
        d = node.find(".//MethodDescriptor")
        kind = "method"
    if d is None:
        return ""
    idx = v(d, "AttributeId") or v(d, "MethodId")
    return "class %d %s %s %d" % (int(v(d, "ClassId"), 16), obis(v(d, "InstanceId")), kind,
                                   int(idx, 16))


def conformance(node):
    return len(node.findall(".//ConformanceBit"))


def facts(root):
    """(name, facts) of one plain APDU's XML tree."""
    top = list(root)
    if not top:
        return "?", ""
    apdu = top[0]
    name = apdu.tag
    service = list(apdu)[0] if len(apdu) and list(apdu)[0].tag.startswith(name) else None
    if service is not None:
        name = service.tag
    node = service if service is not None else apdu
    out = []
    invoke = v(node, "InvokeIdAndPriority")
    if invoke:
        out.append("invoke 0x" + invoke)
    desc = descriptor(node)
    if desc:
        out.append(desc)
    sel = node.find(".//AccessSelection")
    if sel is not None:
        params = sel.find("AccessParameters")
        out.append("selector %d %s" % (int(v(sel, "AccessSelector"), 16),
                                        data_text(list(params)[0], 140) if len(params) else ""))
    if apdu.tag in ("AssociationRequest", "AssociationResponse"):
        out.append("context " + str(v(apdu, "ApplicationContextName")))
        if v(apdu, "MechanismName"):
            out.append("mechanism " + v(apdu, "MechanismName"))
        for t in ("CallingAPTitle", "RespondingAPTitle", "CallingAuthentication",
                  "RespondingAuthentication"):
            if v(apdu, t):
                out.append("%s %s" % (t, v(apdu, t)))
        if v(apdu, "AssociationResult") is not None:
            out.append("result %s diagnostic %s" % (v(apdu, "AssociationResult"),
                                                    v(apdu, "ACSEServiceUser")))
        for t in ("glo_InitiateRequest", "glo_InitiateResponse"):
            if apdu.find(t) is not None:
                out.append(t)
    if apdu.tag in ("InitiateRequest", "InitiateResponse") or apdu.find(
            "InitiateRequest") is not None or apdu.find("InitiateResponse") is not None:
        ini = apdu if apdu.tag.startswith("Initiate") else (
            apdu.find("InitiateRequest") if apdu.find("InitiateRequest") is not None
            else apdu.find("InitiateResponse"))
        out.append("xDLMS %s: version %s, %d conformance bits, max PDU 0x%s%s" % (
            ini.tag, v(ini, "ProposedDlmsVersionNumber") or v(ini, "NegotiatedDlmsVersionNumber"),
            conformance(ini), v(ini, "ProposedMaxPduSize") or v(ini, "NegotiatedMaxPduSize"),
            ", VAA " + v(ini, "VaaName") if v(ini, "VaaName") else ""))
    if apdu.tag in ("ReleaseRequest", "ReleaseResponse"):
        out.append("reason " + str(v(apdu, "Reason")))
    if node.find("LastBlock") is not None or node.find(".//LastBlock") is not None:
        raw = v(node, "RawData") or ""
        out.append("last-block %s block %d raw-data %d bytes" % (
            v(node, "LastBlock"), int(v(node, "BlockNumber"), 16), len(raw) // 2))
    elif v(node, "BlockNumber"):
        out.append("block %d" % int(v(node, "BlockNumber"), 16))
    result = node.find("Result")
    if result is not None and result.get("Value"):
        out.append("result " + result.get("Value"))
    for holder in ("Result/Data", "Value", "MethodInvocationParameters", "ReturnParameters/Data"):
        n = node.find(holder)
        if n is not None and len(n):
            label = {"Result/Data": "data", "Value": "value", "MethodInvocationParameters":
                     "parameters", "ReturnParameters/Data": "return"}[holder]
            out.append("%s: %s" % (label, data_text(list(n)[0])))
    err = node.find(".//Result/DataAccessError")
    if err is not None:
        out.append("data-access-error " + str(err.get("Value")))
    return name, ", ".join(out)


def hdlc_kind(frame):
    length = ((frame[1] & 0x07) << 8) | frame[2]
    seg = " segmented" if frame[1] & 0x08 else ""
    pos = 3
    addrs = []
    for _ in range(2):
        start = pos
        while not frame[pos] & 1:
            pos += 1
        pos += 1
        addrs.append(frame[start:pos].hex().upper())
    c = frame[pos]
    pf = "/P" if c & 0x10 else ""
    if not c & 1:
        kind = "I N(S)=%d N(R)=%d%s" % ((c >> 1) & 7, (c >> 5) & 7, pf)
    elif c & 3 == 1:
        kind = {0: "RR", 1: "RNR", 2: "REJ"}.get((c >> 2) & 3, "S?") + " N(R)=%d%s" % (
            (c >> 5) & 7, pf)
    else:
        kind = {0x83: "SNRM", 0x63: "UA", 0x43: "DISC", 0x0F: "DM", 0x87: "FRMR",
                0x03: "UI"}.get(c & 0xEF, "U 0x%02X" % c) + pf
    return "hdlc %s->%s %s%s len %d" % (addrs[1], addrs[0], kind, seg, length)


def ciphered_envelope(f):
    apdu = bytes.fromhex(f["apdu_hex"])
    tag = apdu[0]
    if tag in (0x60, 0x61, 0x62, 0x63):
        return None
    root = parse(f["xml"])
    name = list(root)[0].tag if len(root) else "?"
    pos = 1
    if tag == 0xDB:
        pos = 2 + apdu[1]
    pos += 1 if apdu[pos] < 0x80 else 1 + (apdu[pos] & 0x7F)
    return "%s SC 0x%02X IC %d" % (name, apdu[pos], int.from_bytes(apdu[pos + 1:pos + 5], "big"))


def line(n, f):
    frame = bytes.fromhex(f["hex"])
    if f["transport"] == "wrapper":
        link = "wrapper %d->%d len %d" % (int.from_bytes(frame[2:4], "big"),
                                         int.from_bytes(frame[4:6], "big"),
                                         int.from_bytes(frame[6:8], "big"))
    else:
        link = hdlc_kind(frame)
    text = "%3d %s %s" % (n, f["dir"], link)
    if not f.get("apdu_hex"):
        return text + (" (segment)" if f["transport"] == "hdlc" and frame[1] & 0x08 else "")
    if "TRANSLATOR FAILED" in f.get("xml", "") or "GXDLMSTranslator failed" in f.get("xml", ""):
        return text + " | TRANSLATOR FAILED: " + f["xml"]
    try:
        if f.get("plain_hex"):
            env = ciphered_envelope(f)
            if env is None:  # an A-associate or release APDU with a ciphered user-information
                name, fx = facts(parse(f["xml"]))
                _, inner = facts(parse(f["xml_plain"]))
                return "%s | %s %s; deciphered %s" % (text, name, fx, inner)
            name, fx = facts(parse(f["xml_plain"]))
            return "%s | %s -> %s %s" % (text, env, name, fx)
        name, fx = facts(parse(f["xml"]))
        return "%s | %s %s" % (text, name, fx)
    except ET.ParseError as e:
        return text + " | XML NOT PARSED: %s" % e


def main():
    for path in sys.argv[1:]:
        name = os.path.basename(path).replace(".frames.jsonl", "")
        with open(path) as fh:
            frames = [json.loads(x) for x in fh]
        print("== %s (%d frames)" % (name, len(frames)))
        for n, f in enumerate(frames, 1):
            print(line(n, f))
        print()


if __name__ == "__main__":
    main()
