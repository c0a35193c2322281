"""Reading TCP payloads out of pcap and pcapng captures, for seeds.sh (no dependencies)."""
import struct


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
    elif linktype == 276:      # Linux cooked v2 (tshark -i any)
        ethertype, ip = struct.unpack(">H", frame[0:2])[0], frame[20:]
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
