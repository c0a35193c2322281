#!/usr/bin/env bash
# Seeds for the fuzz targets (Modbus, IEC 60870-5 and DLMS/COSEM), and how to run them.
#
# Sources:
#   corpus-seed/<target>/   hand-made seeds, checked in: every PDU vector of the codec's tests
#                           (protocols/modbus/tests/codec/common.rs) in each framing, the serial
#                           line spec examples, and garbage-then-frame inputs for the resync paths.
#                           parse_then_encode seeds start with a selector byte: 0/1 TCP request/
#                           response, 2/3 RTU, 4/5 ASCII.
#                           The IEC seeds are written by iec_seeds.py from the codec's vectors
#                           (file transfer included); the formats are in each target's doc comment.
#   captures/modbus/*.pcap[ng]  real traffic (recorded against pymodbus). This script cuts every
#                           Modbus TCP payload (any port: the server side is found from the SYN) out of them into corpus/<target>/, which
#                           is not checked in (see .gitignore), so the fuzzers start from real frames.
#   captures/iec104/*.pcap[ng]  IEC 104 traffic (port 2404, or whatever port a SYN opened): each
#                           direction's TCP stream is cut into APDUs for iec104_apci,
#                           iec_parse_then_encode and (I frames) iec104_asdu, and fed whole to
#                           iec104_link, the client's bytes to a controlled station and the
#                           server's to a controlling one.
#   captures/iec101/*.hex   IEC 101 serial line dumps as hex text (pairs of hex digits; anything
#                           else on a line, and everything after '#', is ignored): each FT1.2 frame
#                           found goes to iec101_ft12 and iec_parse_then_encode, and the whole
#                           line to iec101_link (as an unbalanced primary and secondary).
#   captures/dlms/*.pcap[ng]  DLMS/COSEM over TCP (port 4059, or whatever port a SYN opened): each
#                           direction's stream goes whole to dlms_wrapper (in one read and in reads
#                           of 1, 7 and 64 octets); each wrapper PDU's APDU goes to dlms_ciphered
#                           when it is a ciphered one (raw mode, with and without the Green Book
#                           system title) and, for a get-response-normal with data, its Data to
#                           dlms_data. The DLMS hand-made seeds are written by dlms_seeds.py.
#   captures/dlms/*.frames.jsonl  the Gurux recordings frame by frame (hex, apdu_hex, plain_hex;
#                           see captures/dlms/README.md): every HDLC frame to dlms_hdlc, every frame
#                           to dlms_parse_then_encode (layer 0 wrapper, 1 HDLC), every APDU and
#                           deciphered plaintext to dlms_apdu and dlms_parse_then_encode (layer 2),
#                           each HDLC scenario's line to dlms_hdlc and, as a script of reads, to
#                           dlms_hdlc_link (a client fed the meter's frames, a server the client's).
#                           dlms_seeds.py checks the ones in captures/dlms in as corpus-seed/.
#   Missing directories are fine: only the hand-made seeds are used then.
#
# Usage: fuzz/seeds.sh            extract the captures, then print the run commands
#        fuzz/seeds.sh --run [s]  also run every target for s seconds (default 20)
#
# New inputs are written to corpus/<target>/ (the first corpus directory); corpus-seed/ is only read.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
captures="$here/../captures/modbus"
iec104="${IEC104_CAPTURES:-$here/../captures/iec104}"
iec101="${IEC101_CAPTURES:-$here/../captures/iec101}"
dlms="${DLMS_CAPTURES:-$here/../captures/dlms}"
targets=(tcp_decode rtu_decode ascii_decode parse_then_encode iec104_apci iec101_ft12 iec104_asdu
         iec_parse_then_encode iec104_link iec101_link dlms_data dlms_wrapper dlms_ciphered dlms_obis
         dlms_hdlc dlms_hdlc_link dlms_apdu dlms_parse_then_encode)

for t in "${targets[@]}"; do mkdir -p "$here/corpus/$t"; done

shopt -s nullglob
files=("$captures"/*.pcap "$captures"/*.pcapng)
if ((${#files[@]})); then
    python3 - "$here/corpus" "${files[@]}" <<'PY'
import hashlib, os, struct, sys

out, paths = sys.argv[1], sys.argv[2:]
sys.path.insert(0, os.path.dirname(out))
from seeds_pcap import packets, tcp_payload

def write(target, payload):
    name = hashlib.sha1(payload).hexdigest()
    with open(os.path.join(out, target, name), "wb") as f:
        f.write(payload)

count = 0
for path in paths:
    # The server port is 502, or whatever port a connection was opened to (SYN without ACK):
    # the peers' recordings use a free port.
    servers = {502}
    for linktype, frame in packets(path):
        seg = tcp_payload(linktype, frame)
        if not seg:
            continue
        sport, dport, flags, payload = seg
        if flags & 0x12 == 0x02:
            servers.add(dport)
        # Modbus TCP only: an MBAP header with protocol id 0.
        if len(payload) < 8 or payload[2:4] != b"\0\0" or not {sport, dport} & servers:
            continue
        write("tcp_decode", payload)
        write("parse_then_encode", bytes([0 if dport in servers else 1]) + payload)
        count += 1
print(f"seeds.sh: {count} Modbus TCP payloads from {len(paths)} capture(s)")
PY
else
    echo "seeds.sh: no captures in $captures yet; only corpus-seed/ will be used"
fi

iec_files=("$iec104"/*.pcap "$iec104"/*.pcapng "$iec101"/*.hex)
if ((${#iec_files[@]})); then
    python3 - "$here/corpus" "${iec_files[@]}" <<'PY'
import hashlib, os, sys

out, paths = sys.argv[1], sys.argv[2:]
sys.path.insert(0, os.path.dirname(out))
from seeds_pcap import packets, tcp_payload

def write(target, payload):
    if not payload:
        return
    name = hashlib.sha1(payload).hexdigest()
    with open(os.path.join(out, target, name), "wb") as f:
        f.write(payload)

def apdus(stream):
    """Whole APDUs (start 0x68, length octet) at the front of a TCP stream, until one is not."""
    pos = 0
    while pos + 2 <= len(stream) and stream[pos] == 0x68 and pos + 2 + stream[pos + 1] <= len(stream):
        yield stream[pos:pos + 2 + stream[pos + 1]]
        pos += 2 + stream[pos + 1]

def feed_ops(data):
    """iec104_link / iec101_link operations that feed `data` in reads of at most 255 octets."""
    ops = b""
    for i in range(0, len(data), 255):
        chunk = data[i:i + 255]
        ops += bytes([0, len(chunk)]) + chunk
    return ops

def ft12_frames(line):
    """FT1.2 frames in a serial dump, with the address lengths their checksum allows."""
    pos = 0
    while pos < len(line):
        b = line[pos]
        if b == 0xE5:
            yield line[pos:pos + 1], (0, 1, 2)
            pos += 1
            continue
        if b == 0x68 and pos + 4 <= len(line) and line[pos + 1] == line[pos + 2] and line[pos + 3] == 0x68:
            n = line[pos + 1]
            frame = line[pos:pos + 6 + n]
            if len(frame) == 6 + n and frame[-1] == 0x16 and sum(frame[4:4 + n]) & 0xFF == frame[-2]:
                yield frame, tuple(a for a in (0, 1, 2) if n >= 1 + a)
                pos += len(frame)
                continue
        if b == 0x10:
            for a in (0, 1, 2):
                frame = line[pos:pos + 4 + a]
                if len(frame) == 4 + a and frame[-1] == 0x16 and sum(frame[1:2 + a]) & 0xFF == frame[-2]:
                    yield frame, (a,)
                    pos += len(frame) - 1
                    break
        pos += 1

n104 = n101 = 0
for path in paths:
    if path.endswith(".hex"):
        dump = bytearray()
        for text in open(path, encoding="utf-8", errors="replace"):
            for token in text.split("#")[0].replace(",", " ").split():
                token = token[2:] if token.lower().startswith("0x") else token
                if len(token) % 2 == 0 and all(c in "0123456789abcdefABCDEF" for c in token):
                    dump += bytes.fromhex(token)
        dump = bytes(dump)
        write("iec101_ft12", dump[:4096])
        for frame, lens in ft12_frames(dump):
            write("iec101_ft12", frame)
            for a in lens:
                # 101 ASDU configuration: index 1 (cause 1, CA 1, IOA 2), and the 104 sizes.
                write("iec_parse_then_encode", bytes([1 + 12 * (1 + a)]) + frame)
                write("iec_parse_then_encode", bytes([11 + 12 * (1 + a)]) + frame)
            n101 += 1
        for mode in (0x04, 0x05, 0x00, 0x01, 0x08, 0x09):  # primary, secondary; address 1, 0, 2 octets
            write("iec101_link", bytes([mode, 0x01]) + feed_ops(dump[:8192]))
        continue
    streams = {}
    servers = {2404}
    for linktype, frame in packets(path):
        seg = tcp_payload(linktype, frame)
        if not seg:
            continue
        sport, dport, flags, payload = seg
        if flags & 0x12 == 0x02:
            servers.add(dport)
        if payload and {sport, dport} & servers:
            key = (sport, dport)
            streams[key] = streams.get(key, b"") + payload
    for (sport, dport), stream in streams.items():
        to_server = dport in servers
        for apdu in apdus(stream):
            write("iec104_apci", apdu)
            write("iec_parse_then_encode", bytes([11]) + apdu)
            if apdu[2] & 0x01 == 0 and len(apdu) > 6:
                write("iec104_asdu", bytes([11]) + apdu[6:])
            n104 += 1
        write("iec104_apci", stream[:4096])
        # The client's bytes drive a controlled station; the server's a controlling one, which
        # first sends STARTDT act (op 3).
        head = bytes([0x01, 0x7B]) if to_server else bytes([0x00, 0x7B, 0x03])
        write("iec104_link", head + feed_ops(stream[:8192]))
print(f"seeds.sh: {n104} IEC 104 APDUs and {n101} FT1.2 frames from {len(paths)} capture(s)")
PY
else
    echo "seeds.sh: no captures in $iec104 or $iec101 yet; only corpus-seed/ will be used for IEC"
fi

dlms_files=("$dlms"/*.pcap "$dlms"/*.pcapng)
if ((${#dlms_files[@]})); then
    python3 - "$here/corpus" "${dlms_files[@]}" <<'PY'
import hashlib, os, sys

out, paths = sys.argv[1], sys.argv[2:]
sys.path.insert(0, os.path.dirname(out))
from seeds_pcap import packets, tcp_payload

def write(target, payload):
    if not payload:
        return
    name = hashlib.sha1(payload).hexdigest()
    with open(os.path.join(out, target, name), "wb") as f:
        f.write(payload)

def pdus(stream):
    """Whole wrapper PDUs (version 1, length) at the front of a TCP stream, until one is not."""
    pos = 0
    while pos + 8 <= len(stream) and stream[pos:pos + 2] == b"\x00\x01":
        end = pos + 8 + int.from_bytes(stream[pos + 6:pos + 8], "big")
        if end > len(stream):
            break
        yield stream[pos + 8:end]
        pos = end

CIPHERED = set(range(33, 57)) | set(range(65, 89)) | set(range(200, 216)) | {219, 220}
count = 0
for path in paths:
    streams, servers = {}, {4059}
    for linktype, frame in packets(path):
        seg = tcp_payload(linktype, frame)
        if not seg:
            continue
        sport, dport, flags, payload = seg
        if flags & 0x12 == 0x02:
            servers.add(dport)
        if payload and {sport, dport} & servers:
            streams[(sport, dport)] = streams.get((sport, dport), b"") + payload
    for stream in streams.values():
        write("dlms_wrapper", bytes([0, 0, 0, 0]) + stream[:8192])
        write("dlms_wrapper", bytes([0, 1, 7, 64]) + stream[:8192])
        for apdu in pdus(stream):
            if apdu[0] in CIPHERED:
                write("dlms_ciphered", bytes([0x00]) + apdu)  # the Green Book system title
                write("dlms_ciphered", bytes([0x02]) + apdu)  # none given
            elif apdu[:2] == b"\xc4\x01" and len(apdu) > 4 and apdu[3] == 0:
                write("dlms_data", apdu[4:])  # get-response-normal: result data
            count += 1
print(f"seeds.sh: {count} DLMS wrapper PDUs from {len(paths)} capture(s)")
PY
else
    echo "seeds.sh: no captures in $dlms yet; only corpus-seed/ will be used for DLMS"
fi

jsonl_files=("$dlms"/*.frames.jsonl)
if ((${#jsonl_files[@]})); then
    python3 - "$here/corpus" "${jsonl_files[@]}" <<'PY'
import hashlib, json, os, sys

out, paths = sys.argv[1], sys.argv[2:]

def write(target, payload):
    if not payload:
        return
    name = hashlib.sha1(payload).hexdigest()
    with open(os.path.join(out, target, name), "wb") as f:
        f.write(payload)

def feed_ops(data):
    """dlms_hdlc_link op 0 (operand n feeds n / 2 + 1 octets), in reads of at most 128."""
    return b"".join(bytes([0, 2 * (len(data[i:i + 128]) - 1)]) + data[i:i + 128]
                    for i in range(0, len(data), 128))

LINK = bytes([0x61, 0x03])  # server 02 23, 128-octet fields, window 1, 3 retries
count = 0
for path in paths:
    frames = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
    hdlc = [f for f in frames if f["transport"] == "hdlc"]
    for f in frames:
        whole = bytes.fromhex(f["hex"])
        if f["transport"] == "hdlc":
            write("dlms_hdlc", bytes([0, 0, 0]) + whole)
            write("dlms_parse_then_encode", bytes([1]) + whole)
        else:
            write("dlms_parse_then_encode", bytes([0]) + whole)
        for key in ("apdu_hex", "plain_hex"):
            if f.get(key):
                write("dlms_apdu", bytes.fromhex(f[key]))
                write("dlms_parse_then_encode", bytes([2]) + bytes.fromhex(f[key]))
        count += 1
    if hdlc:
        line = b"".join(bytes.fromhex(f["hex"]) for f in hdlc)
        write("dlms_hdlc", bytes([1, 7, 64]) + line[:8192])
        client = bytes([0]) + LINK + bytes([7, 0, 3])
        server = bytes([1]) + LINK
        for f in hdlc:
            if f["dir"] == "s2c":
                client += feed_ops(bytes.fromhex(f["hex"])) + bytes([3])
            else:
                server += feed_ops(bytes.fromhex(f["hex"])) + bytes([3])
        write("dlms_hdlc_link", client[:8192])
        write("dlms_hdlc_link", server[:8192])
print(f"seeds.sh: {count} DLMS frames from {len(paths)} recording(s)")
PY
fi

echo "run a target with its seeds (from $here):"
for t in "${targets[@]}"; do
    echo "  cargo +nightly fuzz run $t corpus/$t corpus-seed/$t -- -max_total_time=20"
done

if [[ "${1:-}" == "--run" ]]; then
    cd "$here"
    for t in "${targets[@]}"; do
        cargo +nightly fuzz run "$t" "corpus/$t" "corpus-seed/$t" -- -max_total_time="${2:-20}"
    done
fi
