#!/usr/bin/env python3
"""Writes the hand-made binary seeds of the IEC 60870-5 fuzz targets into corpus-seed/<target>/.

The frames are the codec's test vectors (protocols/iec60870/tests/codec), file transfer included;
each seed's layout is the one its target's doc comment describes. Run it again after changing a
target's input format: `python3 fuzz/iec_seeds.py`.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
CP56 = bytes([0x52, 0x1C, 0x05, 0x0D, 0x58, 0x0B, 0x1A])  # 2026-11-24 13:05:07.250


def write(target, name, data):
    path = os.path.join(HERE, "corpus-seed", target)
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, name), "wb") as f:
        f.write(bytes(data))


# --- ASDUs ---------------------------------------------------------------------------------------
# 104 data unit identifier: type | VSQ | COT originator | CA (2) ; IOA 3 octets.
def asdu104(type_id, vsq, cot, body):
    return bytes([type_id, vsq, cot, 0x00, 0x01, 0x00]) + bytes(body)


# 101 (index 1 of AsduConfig::ALL): type | VSQ | COT | CA (1) ; IOA 2 octets.
def asdu101(type_id, vsq, cot, body):
    return bytes([type_id, vsq, cot, 0x07]) + bytes(body)


IOA3 = [0x01, 0x00, 0x00]
IOA2 = [0x00, 0x10]
FILE_104 = {
    "f_fr_na": asdu104(120, 1, 13, IOA3 + [0x03, 0x00, 0x00, 0x01, 0x00, 0x00]),
    "f_sr_na": asdu104(121, 1, 13, IOA3 + [0x03, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00]),
    "f_sc_na_dir": asdu104(122, 1, 5, [0, 0, 0, 0, 0, 0, 0]),
    "f_sc_na_section": asdu104(122, 1, 13, IOA3 + [0x03, 0x00, 0x01, 0x06]),
    "f_ls_na": asdu104(123, 1, 13, IOA3 + [0x03, 0x00, 0x01, 0x03, 0x38]),
    "f_af_na": asdu104(124, 1, 13, IOA3 + [0x03, 0x00, 0x01, 0x24]),
    "f_sg_na": asdu104(125, 1, 13, IOA3 + [0x03, 0x00, 0x01, 0x04, 0xDE, 0xAD, 0xBE, 0xEF]),
    "f_dr_ta_sq1": asdu104(126, 0x82, 5, [0, 0, 0]
                           + [0x01, 0x00, 0xE8, 0x03, 0x00, 0x00] + list(CP56)
                           + [0x02, 0x00, 0x00, 0x00, 0x01, 0xA0] + list(CP56)),
    "f_sc_nb": asdu104(127, 1, 5, [0, 0, 0, 0x03, 0x00] + list(CP56) + list(CP56)),
}
FILE_101 = {
    "f_sr_na_101": asdu101(121, 1, 13, IOA2 + [0x03, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00]),
    "f_sg_na_101": asdu101(125, 1, 13, IOA2 + [0x03, 0x00, 0x01, 0x04, 0xDE, 0xAD, 0xBE, 0xEF]),
    "f_ls_na_101": asdu101(123, 1, 13, IOA2 + [0x03, 0x00, 0x01, 0x03, 0x38]),
    "f_af_na_101": asdu101(124, 1, 13, IOA2 + [0x03, 0x00, 0x01, 0x03]),
}
C_IC_104 = asdu104(100, 1, 6, [0, 0, 0, 0x14])
C_IC_101 = asdu101(100, 1, 6, [0, 0, 0x14])
M_SP_TB_104 = bytes([0x1E, 0x01, 0x03, 0x00, 0x80, 0x00, 0xB0, 0x36, 0x00, 0x01]) + CP56

# The ASDU target: selector 11 is the 104 configuration, 1 the 101 one.
for name, asdu in FILE_104.items():
    write("iec104_asdu", name, bytes([11]) + asdu)
for name, asdu in FILE_101.items():
    write("iec104_asdu", name, bytes([1]) + asdu)


# --- frames --------------------------------------------------------------------------------------
def i_frame(send, recv, asdu):
    return bytes([0x68, 4 + len(asdu)]) + struct.pack("<HH", send << 1, recv << 1) + asdu


def s_frame(recv):
    return bytes([0x68, 0x04, 0x01, 0x00]) + struct.pack("<H", recv << 1)


def u_frame(bits):
    return bytes([0x68, 0x04, bits | 0x03, 0x00, 0x00, 0x00])


STARTDT_ACT, STARTDT_CON, STOPDT_ACT, STOPDT_CON, TESTFR_ACT, TESTFR_CON = (
    0x04, 0x08, 0x10, 0x20, 0x40, 0x80)


def variable(control, address, asdu):
    body = bytes([control]) + bytes(address) + asdu
    return bytes([0x68, len(body), len(body), 0x68]) + body + bytes([sum(body) & 0xFF, 0x16])


def fixed(control, address):
    body = bytes([control]) + bytes(address)
    return bytes([0x10]) + body + bytes([sum(body) & 0xFF, 0x16])


# --- iec_parse_then_encode: selector = configuration index + 12 * framing -------------------------
APDU, FT12_0, FT12_1, FT12_2 = 0, 12, 24, 36
pte = {
    "startdt_act": bytes([11 + APDU]) + u_frame(STARTDT_ACT),
    "s_frame": bytes([11 + APDU]) + s_frame(5),
    "i_c_ic": bytes([11 + APDU]) + i_frame(0, 0, C_IC_104),
    "i_m_sp_tb": bytes([11 + APDU]) + i_frame(30113, 233, M_SP_TB_104),
    "e5": bytes([1 + FT12_1, 0xE5]),
    "fixed_class2": bytes([1 + FT12_1]) + fixed(0x7B, [0x01]),
    "fixed_addr0": bytes([1 + FT12_0]) + fixed(0xD2, []),
    "variable_c_ic": bytes([1 + FT12_1]) + variable(0x73, [0x01], C_IC_101),
    "variable_addr2": bytes([1 + FT12_2]) + variable(0x28, [0x02, 0x01], C_IC_101),
}
for name, asdu in FILE_104.items():
    pte["i_" + name] = bytes([11 + APDU]) + i_frame(7, 3, asdu)
for name, asdu in FILE_101.items():
    pte["ft12_" + name] = bytes([1 + FT12_1]) + variable(0x53, [0x01], asdu)
for name, data in pte.items():
    write("iec_parse_then_encode", name, data)


# --- iec104_link: mode, window, then operations ---------------------------------------------------
def feed(data):
    out = b""
    for i in range(0, len(data), 255):
        chunk = data[i:i + 255]
        out += bytes([0, len(chunk)]) + chunk
    return out


def wait(ms):
    return bytes([1]) + struct.pack("<H", ms // 16)


def send(asdu):
    return bytes([2, len(asdu)]) + asdu


START, STOP, CLOSE, HOLD_ON, HOLD_OFF, DEADLINE = b"\x03", b"\x04", b"\x05", b"\x0e", b"\x06", b"\x07"
WINDOW = bytes([0x7B])  # k 12, w 8

write("iec104_link", "controlled_session", bytes([0x01]) + WINDOW
      + feed(u_frame(STARTDT_ACT)) + feed(i_frame(0, 0, C_IC_104)) + send(M_SP_TB_104)
      + send(FILE_104["f_sg_na"]) + wait(10_000) + feed(s_frame(2)) + feed(u_frame(TESTFR_ACT))
      + wait(20_000) + DEADLINE + feed(i_frame(1, 2, FILE_104["f_sc_na_section"]))
      + feed(u_frame(STOPDT_ACT)) + DEADLINE)
write("iec104_link", "controlling_session", bytes([0x00]) + WINDOW
      + START + feed(u_frame(STARTDT_CON)) + send(C_IC_104)
      + feed(i_frame(0, 1, M_SP_TB_104) + i_frame(1, 1, FILE_104["f_dr_ta_sq1"]))
      + DEADLINE + feed(u_frame(TESTFR_CON)) + STOP + feed(s_frame(0)) + feed(u_frame(STOPDT_CON))
      + CLOSE)
write("iec104_link", "controlling_held_probe", bytes([0x0C]) + bytes([0x11])
      + START + feed(u_frame(STARTDT_CON)) + send(C_IC_104) + send(C_IC_104) + HOLD_ON
      + feed(i_frame(0, 0, M_SP_TB_104)) + DEADLINE + DEADLINE + feed(u_frame(TESTFR_CON))
      + HOLD_OFF + DEADLINE)
write("iec104_link", "controlled_window_full", bytes([0x03]) + bytes([0x00])
      + feed(u_frame(STARTDT_ACT)) + send(M_SP_TB_104) + send(M_SP_TB_104) + wait(16_000)
      + DEADLINE + DEADLINE)
write("iec104_link", "garbage", bytes([0x01]) + WINDOW + feed(b"\x68\x04\x07\x00\x00") + feed(b"\x00\x68\x01"))


# --- iec101_link: mode, addresses, then operations ------------------------------------------------
def feed101(data):
    return feed(data)


def wait101(ms):
    return bytes([1]) + struct.pack("<H", ms // 4)


def send101(index, asdu, reply=True):
    return bytes([2 if reply else 3, index, len(asdu)]) + asdu


A1 = [0x01]
A2 = [0x02]
# Secondary, one-octet address 1 (mode 0x05: station 1, address length bits 01).
write("iec101_link", "secondary_session", bytes([0x05, 0x01])
      + feed101(fixed(0x49, A1)) + feed101(fixed(0x40, A1)) + send101(0, C_IC_101)
      + send101(0, FILE_101["f_sg_na_101"], reply=False)
      + feed101(fixed(0x7A, A1)) + feed101(fixed(0x7A, A1)) + feed101(fixed(0x5B, A1))
      + feed101(variable(0x73, A1, C_IC_101)) + feed101(variable(0x53, A1, FILE_101["f_af_na_101"]))
      + b"\x05" + feed101(variable(0x73, A1, C_IC_101)) + b"\x06" + feed101(fixed(0x44, [0xFF])))
write("iec101_link", "secondary_e5", bytes([0x15, 0x01])
      + feed101(fixed(0x49, A1)) + feed101(fixed(0x40, A1)) + feed101(fixed(0x7B, A1))
      + feed101(b"\x00\xff" + fixed(0x5B, A1)))
# Unbalanced primary polling addresses 1 and 2 (mode 0x04).
write("iec101_link", "primary_session", bytes([0x04, 0x01])
      + DEADLINE + feed101(fixed(0x0B, A1)) + DEADLINE + feed101(fixed(0x00, A1))
      + send101(0, C_IC_101) + DEADLINE + feed101(fixed(0x20, A1)) + DEADLINE
      + feed101(variable(0x28, A1, FILE_101["f_sr_na_101"])) + DEADLINE + feed101(b"\xE5")
      + bytes([4, len(C_IC_101)]) + C_IC_101 + wait101(3000) + DEADLINE + DEADLINE + DEADLINE)
# Balanced station A (DIR 1) talking to B (address 2), one-octet addresses (mode 0x06).
write("iec101_link", "balanced_a_session", bytes([0x06, 0x01])
      + DEADLINE + feed101(fixed(0x0B, A2)) + DEADLINE + feed101(fixed(0x00, A2))
      + send101(0, C_IC_101) + DEADLINE + feed101(fixed(0x00, A2))
      + feed101(fixed(0x49, A1)) + feed101(fixed(0x40, A1))
      + feed101(variable(0x73, A1, FILE_101["f_sg_na_101"])) + wait101(6000) + DEADLINE)
# Balanced station B without address field (mode 0x03).
write("iec101_link", "balanced_b_no_address", bytes([0x03, 0x00])
      + feed101(fixed(0xC9, [])) + feed101(fixed(0xC0, [])) + feed101(fixed(0xF2, []))
      + DEADLINE + feed101(fixed(0x8B, [])) + DEADLINE + feed101(fixed(0x80, []))
      + send101(0, C_IC_101) + DEADLINE)
print("iec_seeds.py: seeds written under", os.path.join(HERE, "corpus-seed"))
