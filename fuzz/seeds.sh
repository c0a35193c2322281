#!/usr/bin/env bash
# Seeds for the fuzz targets (Modbus; IEC 60870-5 from hand-made seeds until captures/iec104 exists), and how to run them.
#
# Two sources:
#   corpus-seed/<target>/   hand-made seeds, checked in: every PDU vector of the codec's tests
#                           (protocols/modbus/tests/codec/common.rs) in each framing, the serial
#                           line spec examples, and garbage-then-frame inputs for the resync paths.
#                           parse_then_encode seeds start with a selector byte: 0/1 TCP request/
#                           response, 2/3 RTU, 4/5 ASCII.
#   captures/modbus/*.pcap[ng]  real traffic (recorded against pymodbus). This script cuts every
#                           Modbus TCP payload (any port: the server side is found from the SYN) out of them into corpus/<target>/, which
#                           is not checked in (see .gitignore), so the fuzzers start from real frames.
#
# Usage: fuzz/seeds.sh            extract the captures, then print the run commands
#        fuzz/seeds.sh --run [s]  also run every target for s seconds (default 20)
#
# New inputs are written to corpus/<target>/ (the first corpus directory); corpus-seed/ is only read.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
captures="$here/../captures/modbus"
targets=(tcp_decode rtu_decode ascii_decode parse_then_encode iec104_apci iec101_ft12 iec104_asdu)

for t in "${targets[@]}"; do mkdir -p "$here/corpus/$t"; done

shopt -s nullglob
files=("$captures"/*.pcap "$captures"/*.pcapng)
if ((${#files[@]})); then
    python3 - "$here/corpus" "${files[@]}" <<'PY'
import hashlib, os, struct, sys

out, paths = sys.argv[1], sys.argv[2:]

def packets(path):
    """(linktype, frame bytes) for classic pcap and pcapng files."""
    data = open(path, "rb").read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = "<" if magic[0] in (0xD4, 0x4D) else ">"
        linktype = struct.unpack(e + "I", data[20:24])[0]
        pos = 24
        while pos + 16 <= len(data):
            incl = struct.unpack(e + "I", data[pos + 8:pos + 12])[0]
            yield linktype, data[pos + 16:pos + 16 + incl]
            pos += 16 + incl
    elif magic == b"\x0a\x0d\x0d\x0a":
        e = "<" if data[8:12] == b"\x4d\x3c\x2b\x1a" else ">"
        links, pos = [], 0
        while pos + 12 <= len(data):
            btype, blen = struct.unpack(e + "II", data[pos:pos + 8])
            if blen < 12:
                break
            body = data[pos + 8:pos + blen - 4]
            if btype == 0x0A0D0D0A:
                links = []
            elif btype == 1:
                links.append(struct.unpack(e + "H", body[:2])[0])
            elif btype == 6 and len(body) >= 20:
                iface, _, _, caplen = struct.unpack(e + "IIII", body[:16])
                yield (links[iface] if iface < len(links) else 1), body[20:20 + caplen]
            pos += blen

def tcp_payload(linktype, frame):
    """(src port, dst port, flags, payload) of an IPv4/IPv6 TCP segment, or None."""
    if linktype == 1:          # Ethernet
        ethertype, ip = struct.unpack(">H", frame[12:14])[0], frame[14:]
    elif linktype == 113:      # Linux cooked (any interface)
        ethertype, ip = struct.unpack(">H", frame[14:16])[0], frame[16:]
    elif linktype == 0:        # BSD loopback
        ethertype, ip = (0x0800 if frame[4] >> 4 == 4 else 0x86DD), frame[4:]
    elif linktype in (101, 228, 229):  # raw IP
        ethertype, ip = (0x0800 if frame[0] >> 4 == 4 else 0x86DD), frame
    else:
        return None
    if ethertype == 0x0800 and len(ip) >= 20 and ip[9] == 6:
        seg = ip[(ip[0] & 0x0F) * 4:struct.unpack(">H", ip[2:4])[0]]
    elif ethertype == 0x86DD and len(ip) >= 40 and ip[6] == 6:
        seg = ip[40:40 + struct.unpack(">H", ip[4:6])[0]]
    else:
        return None
    if len(seg) < 20:
        return None
    sport, dport = struct.unpack(">HH", seg[:4])
    return sport, dport, seg[13], seg[(seg[12] >> 4) * 4:]

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
