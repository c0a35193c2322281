#!/usr/bin/env python3
"""Writes the hand-made binary seeds of the DLMS/COSEM fuzz targets into corpus-seed/dlms_*/.

The vectors are the codec's test vectors (protocols/dlms/tests: axdr, wrapper, security, obis),
the Green Book examples they quote, and small hand-built elements for every A-XDR type; each seed's
layout is the one its target's doc comment describes. Run it again after changing a target's
input format: `python3 fuzz/dlms_seeds.py`.
"""
import glob
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def write(target, name, data):
    path = os.path.join(HERE, "corpus-seed", target)
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, name), "wb") as f:
        f.write(bytes(data))


def h(text):
    return bytes.fromhex(text.replace(" ", ""))


# --- dlms_data: one A-XDR Data element ------------------------------------------------------------
DATE_TIME = h("07EA 0C 07 01 0A 0F 00 00 8000 00")  # 2026-12-07 Monday 10:15:00.00, deviation n/s
# tests/axdr/main.rs: a profile entry (array of one structure: date-time octet-string, u32, u16).
PROFILE_ENTRY = h("0101 0203 090C") + DATE_TIME + h("06000004D2 12002A")
data = {
    "profile_entry": PROFILE_ENTRY,
    "profile_entry_trailing": PROFILE_ENTRY + b"\xEE",
    "octet_string_4gib": h("0984FFFFFFFF00"),  # tests/axdr: refused before any allocation
    "octet_string": h("0903010203"),
    "nested_20": bytes([0x01, 0x01]) * 20 + b"\x00",  # deeper than the default limit
    "nested_3": h("010102010101 1100"),
    "null": h("00"),
    "dont_care": h("FF"),
    "boolean_true": h("0301"),
    "boolean_other": h("0305"),  # any non-zero octet is true; re-encodes as 01
    "bit_string": h("040BA5E0"),  # 11 bits
    "bit_string_long_form": h("04810BA5E0"),  # the same in a non-minimal length
    "double_long": h("05FFFFFF85"),
    "double_long_unsigned": h("06000004D2"),
    "visible_string": h("0A 05") + b"hello",
    "utf8_string": h("0C 03") + "€".encode(),
    "octet_string_long_form": h("09 820003 010203"),
    "octet_string_200": h("09 81C8") + bytes(range(200)),
    "bcd": h("0D12"),
    "integer": h("0F80"),
    "long": h("10FF38"),
    "unsigned": h("11FF"),
    "long_unsigned": h("12002A"),
    "long64": h("148000000000000000"),
    "long64_unsigned": h("15FFFFFFFFFFFFFFFF"),
    "enum": h("1603"),
    "float32": struct.pack(">Bf", 23, 3.5),
    "float32_nan": h("17 7FC00001"),
    "float64": struct.pack(">Bd", 24, -1.25),
    "date_time": h("19") + DATE_TIME,
    "date": h("1A 07EA0C0701"),
    "time": h("1B 0A0F0000"),
    "unknown_tag": h("07 00"),
    "structure_long_count": h("02 8102 1100 1101"),
    "array_of_structures": h("0102 0202 1101 0903414243 0202 1102 0900"),
    # compact-array (Green Book 9.6.3): long-unsigned values without tags.
    "compact_long_unsigned": h("13 12 06 0001 0002 0003"),
    # compact-array of structure {long-unsigned, octet-string}: two values.
    "compact_structure": h("13 0202 12 09 0A 0001 020A0B 0002 01FF"),
    # compact-array of array[2] of unsigned.
    "compact_array": h("13 01 0002 11 04 01020304"),
    "compact_bit_strings": h("13 04 04 03A0 05F8"),
    "compact_null": h("13 00 00"),
    "compact_null_with_contents": h("13 00 01 00"),
    "compact_in_compact": h("13 13 00"),
    "compact_zero_size_array": h("13 01 FFFF 00 00"),
    "compact_structure_long_form": h("13 028102 12 12 8104 00010002"),
    "compact_in_structure": h("0202 13 11 02 0102 1100"),
}
for name, element in data.items():
    write("dlms_data", name, element)


# --- dlms_wrapper: max selector, three read sizes, the stream ---------------------------------------
# tests/wrapper/main.rs: a GET of the clock's time and its response (built by hand there).
GET_CLOCK = h("0001 0010 0001 000D C001C1 0008 0000010000FF 0200")
CLOCK_RESPONSE = h("0001 0001 0010 0012 C401C1 00 090C 07E80102FF 03040500 800000")
wrapper = {
    "two_pdus_whole": bytes([0, 0, 0, 0]) + GET_CLOCK + CLOCK_RESPONSE,
    "two_pdus_bytewise": bytes([0, 1, 1, 1]) + GET_CLOCK + CLOCK_RESPONSE,
    "two_pdus_split_header": bytes([0, 3, 7, 20]) + GET_CLOCK + CLOCK_RESPONSE,
    "max_13": bytes([13, 5, 0, 0]) + GET_CLOCK + CLOCK_RESPONSE,  # the response is too long
    "partial_tail": bytes([0, 9, 4, 2]) + GET_CLOCK + CLOCK_RESPONSE[:11],
    "bad_version": bytes([0, 2, 2, 2]) + GET_CLOCK + h("0002 0001 0010 0001 C0"),
    "zero_length": bytes([0, 0, 0, 0]) + h("0001 0010 0001 0000"),
    "max_length_header": bytes([0, 8, 0, 0]) + h("0001 0010 0001 FFFF") + b"\xC0" * 64,
}
for name, stream in wrapper.items():
    write("dlms_wrapper", name, stream)


# --- dlms_ciphered --------------------------------------------------------------------------------
# Green Book Ed. 10 table 40, glo-get-request (tests/security/vectors.rs).
GLO_GET_REQUEST = h("C8 1E 30 01234567 411312FF935A47566827C467BC 7D825C3BE4A77C3FCC056B6B")
# dlms-cosem tests/test_xdlms/test_initiate.py via tests/security/vectors.rs: glo-initiate-request.
GLO_INITIATE_REQUEST = h(
    "21 30 30 01234567 801302FF8A7874133D414CED25B42534D28DB0047720606B175BD52211BE68"
    " 41DB204D39EE6FDB8E356855")
# dlms-cosem tests/test_gen_glo_cipher.py via tests/security/vectors.rs (another key: decode only).
GENERAL_GLO_CIPHERING = h(
    "DB 08 2F19229199164103 3B 30 000001E5"
    " 025CE9D2271FD78BE8C204211A916A9D7F587E0A7A814CADEA89E9593F01F92EA8C087B5BDFDEFEAB6BE"
    " CF282DFE49C08F5BE6DC8400")
PLAIN_GET_CLOCK = h("C00100 0008 0000010000FF 0200")  # the plaintext of GLO_GET_REQUEST
INITIATE_REQUEST = h("01 01 10 00112233445566778899AABBCCDDEEFF 00 00 06 5F1F0400007E1F 04B0")
DATA_NOTIFICATION = h("0F 00000001 00 0900")  # long-invoke-id 1, no date-time, empty octet-string

RAW_GREEN_BOOK_TITLE = 0x00  # all keys, the Green Book system title
RAW_NO_TITLE = 0x02
ciphered = {
    "raw_glo_get_request": bytes([RAW_GREEN_BOOK_TITLE]) + GLO_GET_REQUEST,
    "raw_glo_get_request_no_title": bytes([RAW_NO_TITLE]) + GLO_GET_REQUEST,
    "raw_glo_get_request_no_keys": bytes([0x18]) + GLO_GET_REQUEST,
    "raw_glo_initiate_request": bytes([RAW_GREEN_BOOK_TITLE]) + GLO_INITIATE_REQUEST,
    "raw_general_glo_ciphering": bytes([RAW_NO_TITLE]) + GENERAL_GLO_CIPHERING,
    "raw_general_long_form": bytes([RAW_NO_TITLE]) + GENERAL_GLO_CIPHERING[:10] + b"\x81"
    + GENERAL_GLO_CIPHERING[10:],
    "raw_encrypted_only": bytes([RAW_GREEN_BOOK_TITLE]) + h("C8 08 20 00000001 AABBCC"),
    "raw_general_ciphering": bytes([0]) + h("DD0801020304050607080000"),
    # general-glo/ded-ciphering of DATA_NOTIFICATION from the Green Book system title, frame
    # counter 1, under the target's keys (computed once with Python's `cryptography` AES-GCM,
    # truncating the tag to 12 octets; the same code reproduces GLO_GET_REQUEST): raw inputs that
    # verify, so that the fuzzer mutates from APDUs that decrypt.
    "raw_general_glo_30": bytes([RAW_NO_TITLE]) + h(
        "DB 08 4D4D4D0000BC614E 19 30 00000001 DE61000A03B37751 FD6AB5FEF1A4C6A77D549C91"),
    "raw_general_glo_10": bytes([RAW_GREEN_BOOK_TITLE]) + h(
        "DB 08 4D4D4D0000BC614E 19 10 00000001 0F00000001000900 D3B6CE41388177F216991BDD"),
    "raw_general_ded_30": bytes([RAW_NO_TITLE]) + h(
        "DC 08 4D4D4D0000BC614E 19 30 00000001 9C519D070345A842 9A3CCD8AB6BBCDF496E0764D"),
    "raw_general_glo_20": bytes([RAW_NO_TITLE]) + h("DB 08 4D4D4D0000BC614E 0D 20 00000001 0102030405060708"),
}


def build(control, envelope, flip_at, mask, counter, plain):
    return bytes([1, control, envelope, flip_at, mask]) + struct.pack(">I", counter) + plain


GLOBAL, GENERAL, DEDICATED, GENERAL_DEDICATED = 0, 1, 2, 3
for control in (0x10, 0x20, 0x30, 0x70):
    for envelope in (GLOBAL, GENERAL, DEDICATED, GENERAL_DEDICATED):
        ciphered[f"build_{control:02x}_{envelope}"] = build(
            control, envelope, 0, 0, 0x01234567, PLAIN_GET_CLOCK)
for at in (0, 2, 3, 7, 12, 20, 30):
    ciphered[f"build_flip_{at}"] = build(0x30, GLOBAL, at, 0x01, 0x01234567, PLAIN_GET_CLOCK)
ciphered["build_flip_downgrade"] = build(0x30, GLOBAL, 2, 0x10, 1, PLAIN_GET_CLOCK)
ciphered["build_flip_encrypted_only"] = build(0x20, GLOBAL, 9, 0x80, 1, PLAIN_GET_CLOCK)
ciphered["build_general_notification"] = build(0x30, GENERAL, 15, 0x04, 485, DATA_NOTIFICATION)
ciphered["build_initiate"] = build(0x30, GLOBAL, 0, 0, 0x01234567, INITIATE_REQUEST)
ciphered["build_no_service_form"] = build(0x30, GLOBAL, 0, 0, 1, DATA_NOTIFICATION)
ciphered["build_empty"] = build(0x30, GENERAL, 0, 0, 1, b"")
ciphered["build_suite_1"] = build(0x31, GLOBAL, 0, 0, 1, PLAIN_GET_CLOCK)
ciphered["build_compressed"] = build(0xB0, GLOBAL, 0, 0, 1, PLAIN_GET_CLOCK)
ciphered["build_no_policy"] = build(0x00, GLOBAL, 0, 0, 1, PLAIN_GET_CLOCK)
for name, seed in ciphered.items():
    write("dlms_ciphered", name, seed)


# --- dlms_obis: text (tests/obis/text.rs and errors.rs), and six octets ---------------------------
obis = {
    "standard": "1-0:1.8.0*255",
    "no_f": "0-0:96.3.10",
    "dotted": "1.0.1.8.0.255",
    "ampersand": "1-0:1.8.0&3",
    "leading_zeros": "000-255:0.255.001*0",
    "clock": "0-0:1.0.0*255",
    "voltage_l1": "1-0:32.7.0*255",
    "too_big": "1-0:1.8.256*255",
    "truncated": "1-0:1.8",
    "bad_separator": "1-0;1.8.0*255",
    "trailing": "1-0:1.8.0*255 ",
    "huge_number": "99999999999999999999999-0:1.8.0",
    "non_ascii": "1-0:1.8.0*٣",
}
for name, text in obis.items():
    write("dlms_obis", name, text.encode())
write("dlms_obis", "bytes_energy", bytes([1, 0, 1, 8, 0, 255]))
write("dlms_obis", "bytes_harmonic", bytes([1, 0, 32, 7, 3, 255]))
write("dlms_obis", "bytes_security_setup", bytes([0, 0, 43, 0, 1, 255]))
# --- round two: seeds from the Gurux captures (captures/dlms/*.frames.jsonl) -------------------
# Each line: dir, transport, hex (the whole wrapper PDU or HDLC frame with flags), apdu_hex (the
# APDU, null for SNRM/UA/RR/DISC and non-final segments), plain_hex (a ciphered one deciphered).
CAPTURES = os.path.join(HERE, "..", "captures", "dlms")


def captures():
    """(scenario, [frame dicts]) for every capture, in name order."""
    for path in sorted(glob.glob(os.path.join(CAPTURES, "*.frames.jsonl"))):
        with open(path, encoding="utf-8") as f:
            yield os.path.basename(path).split(".")[0], [json.loads(line) for line in f if line.strip()]


class Seeds:
    """Seeds of one target, deduplicated by content."""

    def __init__(self, target):
        self.target, self.seen = target, set()

    def add(self, name, data):
        data = bytes(data)
        if data and data not in self.seen:
            self.seen.add(data)
            write(self.target, name, data)


hdlc_seeds = Seeds("dlms_hdlc")
apdu_seeds = Seeds("dlms_apdu")
pte_seeds = Seeds("dlms_parse_then_encode")
link_seeds = Seeds("dlms_hdlc_link")
WRAPPER, HDLC, APDU, DATA = 0, 1, 2, 3  # dlms_parse_then_encode layers


def feed_ops(data):
    """dlms_hdlc_link op 0 (feed raw bytes: operand n feeds n / 2 + 1 octets), in reads of <= 128."""
    ops = b""
    for i in range(0, len(data), 128):
        chunk = data[i:i + 128]
        ops += bytes([0, 2 * (len(chunk) - 1)]) + chunk
    return ops


# dlms_hdlc_link configuration bytes: the server address 02 23 (logical 1, physical 17) as in
# the captures, 128-octet information fields, window 1; retries 3, inactivity timeout on.
LINK_CONFIG = bytes([0x40 | 0x20 | 0x01, 0x03])
CONNECT, DRAIN_ALONE, SEND, TIMEOUT = bytes([7, 0]), bytes([3]), 6, bytes([5, 1])

for scenario, frames in captures():
    line = {"c2s": b"", "s2c": b""}
    for i, f in enumerate(frames):
        whole = h(f["hex"])
        name = f"{scenario}_{i:02}"
        if f["transport"] == "hdlc":
            hdlc_seeds.add(name, bytes([0, 0, 0]) + whole)
            pte_seeds.add(name, bytes([HDLC]) + whole)
            line[f["dir"]] += whole
        else:
            pte_seeds.add(name, bytes([WRAPPER]) + whole)
        for key in ("apdu_hex", "plain_hex"):
            if f.get(key):
                apdu = h(f[key])
                apdu_seeds.add(f"{name}_{key[:5]}", apdu)
                pte_seeds.add(f"{name}_{key[:5]}", bytes([APDU]) + apdu)
                # get-response-normal with data: its Data element.
                if apdu[:2] == b"\xC4\x01" and len(apdu) > 4 and apdu[3] == 0:
                    pte_seeds.add(f"{name}_data", bytes([DATA]) + apdu[4:])
    if frames and frames[0]["transport"] == "hdlc":
        both = b"".join(h(f["hex"]) for f in frames)
        hdlc_seeds.add(f"{scenario}_line", bytes([0, 0, 0]) + both[:4096])
        hdlc_seeds.add(f"{scenario}_line_reads", bytes([1, 7, 64]) + both[:4096])
        # The closing flag of each frame opens the next (shared flags), with idle flags and noise.
        shared = both.replace(b"\x7E\x7E", b"\x7E")
        hdlc_seeds.add(f"{scenario}_shared", bytes([3, 0, 9]) + shared[:4096])
        noisy = b"\x00\x55\x7E\x7E" + both[:2048].replace(b"\x7E\x7E", b"\x7E\x7E\x7E\xA5\x7E")
        hdlc_seeds.add(f"{scenario}_noise", bytes([5, 2, 11]) + noisy)
        # A client alone fed the meter's side, a server alone fed the client's, frame by frame.
        script = bytes([0]) + LINK_CONFIG + CONNECT + DRAIN_ALONE
        for f in frames:
            if f["dir"] == "s2c":
                script += feed_ops(h(f["hex"])) + DRAIN_ALONE
            elif f.get("apdu_hex"):
                script += bytes([SEND, 2, 0]) + DRAIN_ALONE
        link_seeds.add(f"{scenario}_client", script[:4096])
        script = bytes([1]) + LINK_CONFIG
        for f in frames:
            if f["dir"] == "c2s":
                script += feed_ops(h(f["hex"])) + DRAIN_ALONE
        link_seeds.add(f"{scenario}_server", script[:4096])

# dlms_hdlc by hand: the module's doc example (noise, SNRM, an RR sharing its flag), and the two
# inputs the decoder decides late (LATE_CHECKS in the target).
SNRM = h("7E A008 0223 21 93 BD64 7E")
hdlc_seeds.add("doc_example", bytes([2, 1, 0]) + h("0055") + SNRM + h("A007 0321 71 13C5 7E"))
hdlc_seeds.add("late_fcs", bytes([0, 0, 0]) + h("7E A007 03 21 93 00"))
hdlc_seeds.add("late_length", bytes([0, 0, 0]) + h("7E A008 36 28 7E"))

# dlms_hdlc_link by hand, both stations (mode 2): connect, exchange, send both ways, lose and
# corrupt frames, time out, disconnect. Ops: 1/2 deliver (0 whole, 5 drop, 6 corrupt, 7 split),
# 3 time, 4 drain onto the line, 5 timeout, 6 send (size index, bit 7: from the server), 7 link.
XFER = bytes([4, 1, 0, 4, 2, 0])  # drain, the client's frame over, drain, the server's back
exchange = bytes([2]) + LINK_CONFIG + CONNECT + XFER
link_seeds.add("both_connect", exchange + XFER)
link_seeds.add("both_send", exchange + bytes([6, 3, 0]) + XFER * 3 + bytes([6, 0x86, 0]) + XFER * 6)
link_seeds.add("both_segmented", exchange + bytes([6, 7, 0]) + XFER * 12 + bytes([6, 0x87, 1]) + XFER * 12)
link_seeds.add("both_lossy", exchange + bytes([6, 6, 0, 4, 1, 5, 3, 6, 5, 1]) + XFER * 2
               + bytes([4, 1, 6, 3, 0x10]) + XFER * 3 + bytes([2, 5]) + bytes([3, 6, 5, 1]) + XFER * 4)
link_seeds.add("both_window7", bytes([2, 0x27, 0x03]) + CONNECT + XFER + bytes([6, 7, 0]) + XFER * 8)
link_seeds.add("both_disconnect", exchange + bytes([6, 2, 0, 7, 1]) + XFER * 2 + bytes([7, 0]) + XFER * 2)
link_seeds.add("both_timeouts", exchange + bytes([3, 6, 5, 1]) * 5 + XFER)
link_seeds.add("both_inactivity", exchange + bytes([3, 7, 5, 0]) + XFER)

# dlms_apdu by hand: the rewrites the encoders make (booleans, long-form lengths).
apdu_seeds.add("boolean_last_block", h("C3 05 5B 00 83 00000100 00"))  # last-block 0x83 -> 01
apdu_seeds.add("long_form_data", h("C4 01 C1 00 09 8103 010203"))
apdu_seeds.add("long_form_list", h("C4 03 C1 8102 00 1100 01 00"))
apdu_seeds.add("get_clock", PLAIN_GET_CLOCK)
apdu_seeds.add("initiate_request", INITIATE_REQUEST)
apdu_seeds.add("data_notification", DATA_NOTIFICATION)

# Round one's seeds where they fit: raw ciphered APDUs, Data elements, wrapper streams.
for name, seed in ciphered.items():
    if name.startswith("raw_"):
        apdu_seeds.add(name, seed[1:])
        pte_seeds.add(name, bytes([APDU]) + seed[1:])
for name, element in data.items():
    pte_seeds.add(f"data_{name}", bytes([DATA]) + element)
    apdu_seeds.add(f"notification_{name}", DATA_NOTIFICATION[:6] + element)
for name, stream in wrapper.items():
    pte_seeds.add(f"wrapper_{name}", bytes([WRAPPER]) + stream[4:])

print("dlms_seeds.py: seeds written under", os.path.join(HERE, "corpus-seed"))
