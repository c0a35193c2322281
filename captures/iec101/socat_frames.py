#!/usr/bin/env python3
"""Cut the byte stream of a `socat -x` hex dump into FT1.2 frames (IEC 60870-5-1 clause 6.2.4.2).

    socat_frames.py SOCAT_LOG LINK_ADDRESS_OCTETS [FIRST_IS_MASTER=1]

socat -x writes each block it copies as a header line starting with '>' (first address to
second) or '<' (second to first), then the bytes as hex. The bytes of each direction are
concatenated and framed on their own, independently of lib60870 and of fieldbridge:

    E5                                     single control character
    10 C A.. CS 16                         fixed length, A has LINK_ADDRESS_OCTETS octets
    68 L L 68 C A.. ASDU CS 16             variable length, L octets from C to the checksum

The checksum (sum of the octets from C to before it, modulo 256) and the stop character are
checked; a byte that starts no valid frame is an error (this recording has none). Frames are
printed in the order their last byte crossed the line, one per line: "M HEX" for the first
address of socat (the master's end), "S HEX" for the second, hex upper case in pairs.
"""

import sys


def frame_length(buf, link_octets):
    """Length of the frame at the start of buf, 0 when more bytes are needed; raises on garbage."""
    if not buf:
        return 0
    start = buf[0]
    if start == 0xE5:
        return 1
    if start == 0x10:
        n = 4 + link_octets
        if len(buf) < n:
            return 0
        body = buf[1 : 1 + 1 + link_octets]
        if buf[n - 2] != sum(body) % 256 or buf[n - 1] != 0x16:
            raise ValueError(f"bad fixed frame {bytes(buf[:n]).hex()}")
        return n
    if start == 0x68:
        if len(buf) < 4:
            return 0
        length = buf[1]
        if buf[2] != length or buf[3] != 0x68:
            raise ValueError(f"bad variable frame header {bytes(buf[:4]).hex()}")
        n = 4 + length + 2
        if len(buf) < n:
            return 0
        if buf[n - 2] != sum(buf[4 : 4 + length]) % 256 or buf[n - 1] != 0x16:
            raise ValueError(f"bad variable frame {bytes(buf[:n]).hex()}")
        return n
    raise ValueError(f"byte {start:02x} starts no FT1.2 frame")


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    log, link_octets = sys.argv[1], int(sys.argv[2])
    first_is_master = len(sys.argv) < 4 or sys.argv[3] == "1"
    pending = {">": bytearray(), "<": bytearray()}
    marker = {">": "M" if first_is_master else "S", "<": "S" if first_is_master else "M"}
    direction = None
    out = []
    with open(log, encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith((">", "<")) and "length=" in line:
                direction = line[0]
                continue
            if direction is None or not line.startswith(" "):
                direction = None if not line.startswith(" ") else direction
                continue
            buf = pending[direction]
            buf.extend(bytes.fromhex(line.strip()))
            while True:
                n = frame_length(buf, link_octets)
                if n == 0:
                    break
                out.append(f"{marker[direction]} {bytes(buf[:n]).hex(' ').upper()}")
                del buf[:n]
    for d, buf in pending.items():
        if buf:
            raise SystemExit(f"{len(buf)} bytes left in direction {d}: {bytes(buf).hex()}")
    print("\n".join(out))


if __name__ == "__main__":
    main()
