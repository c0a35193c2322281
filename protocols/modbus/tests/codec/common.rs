//! Shared vectors and helpers.
//!
//! PDU vectors are the examples of the Modbus Application Protocol Specification V1.1b3 §6 (and
//! §7 for exceptions). RTU frames are the widely published examples whose CRCs were checked
//! against an independent CRC-16/MODBUS implementation; ASCII frames are from the serial line
//! specification V1.02 or built with a hand-checked LRC.

#![allow(dead_code)]

use fieldbridge_modbus::{rtu::Direction, Error};

/// A named PDU.
pub struct Pdu {
    pub name: &'static str,
    pub bytes: &'static [u8],
}

/// Request PDUs, one per function code (§6.x request examples).
pub const REQUESTS: &[Pdu] = &[
    // FC1, starting address 0x0013 (coil 20), quantity 0x0013 (19).
    Pdu {
        name: "read coils",
        bytes: &[0x01, 0x00, 0x13, 0x00, 0x13],
    },
    // FC2, starting address 0x00C4 (input 197), quantity 0x0016 (22).
    Pdu {
        name: "read discrete inputs",
        bytes: &[0x02, 0x00, 0xC4, 0x00, 0x16],
    },
    // FC3, starting address 0x006B (register 108), quantity 3.
    Pdu {
        name: "read holding registers",
        bytes: &[0x03, 0x00, 0x6B, 0x00, 0x03],
    },
    // FC4, starting address 0x0008 (register 9), quantity 1.
    Pdu {
        name: "read input registers",
        bytes: &[0x04, 0x00, 0x08, 0x00, 0x01],
    },
    // FC5, address 0x00AC (coil 173), value ON.
    Pdu {
        name: "write single coil",
        bytes: &[0x05, 0x00, 0xAC, 0xFF, 0x00],
    },
    // FC6, address 0x0001 (register 2), value 0x0003.
    Pdu {
        name: "write single register",
        bytes: &[0x06, 0x00, 0x01, 0x00, 0x03],
    },
    // FC15, address 0x0013, quantity 10, byte count 2, outputs CD 01.
    Pdu {
        name: "write multiple coils",
        bytes: &[0x0F, 0x00, 0x13, 0x00, 0x0A, 0x02, 0xCD, 0x01],
    },
    // FC16, address 0x0001, quantity 2, byte count 4, values 0x000A 0x0102.
    Pdu {
        name: "write multiple registers",
        bytes: &[0x10, 0x00, 0x01, 0x00, 0x02, 0x04, 0x00, 0x0A, 0x01, 0x02],
    },
    // FC22, address 0x0004, AND mask 0x00F2, OR mask 0x0025.
    Pdu {
        name: "mask write register",
        bytes: &[0x16, 0x00, 0x04, 0x00, 0xF2, 0x00, 0x25],
    },
    // FC23, read 6 from 0x0003, write 3 to 0x000E, byte count 6, values 0x00FF x3.
    Pdu {
        name: "read/write multiple registers",
        bytes: &[
            0x17, 0x00, 0x03, 0x00, 0x06, 0x00, 0x0E, 0x00, 0x03, 0x06, 0x00, 0xFF, 0x00, 0xFF,
            0x00, 0xFF,
        ],
    },
    // FC43, MEI 0x0E, read device id code 01 (basic), object id 00.
    Pdu {
        name: "read device identification",
        bytes: &[0x2B, 0x0E, 0x01, 0x00],
    },
    // FC8 (not modelled): sub-function 0000 (return query data), data A537.
    Pdu {
        name: "unknown (diagnostics)",
        bytes: &[0x08, 0x00, 0x00, 0xA5, 0x37],
    },
];

/// Response PDUs, one per function code (§6.x response examples), and an exception (§7).
pub const RESPONSES: &[Pdu] = &[
    // FC1, byte count 3, coil states CD 6B 05.
    Pdu {
        name: "read coils",
        bytes: &[0x01, 0x03, 0xCD, 0x6B, 0x05],
    },
    // FC2, byte count 3, input states AC DB 35.
    Pdu {
        name: "read discrete inputs",
        bytes: &[0x02, 0x03, 0xAC, 0xDB, 0x35],
    },
    // FC3, byte count 6, values 0x022B 0x0000 0x0064.
    Pdu {
        name: "read holding registers",
        bytes: &[0x03, 0x06, 0x02, 0x2B, 0x00, 0x00, 0x00, 0x64],
    },
    // FC4, byte count 2, value 0x000A.
    Pdu {
        name: "read input registers",
        bytes: &[0x04, 0x02, 0x00, 0x0A],
    },
    // FC5, echo: address 0x00AC, ON.
    Pdu {
        name: "write single coil",
        bytes: &[0x05, 0x00, 0xAC, 0xFF, 0x00],
    },
    // FC6, echo: address 0x0001, value 0x0003.
    Pdu {
        name: "write single register",
        bytes: &[0x06, 0x00, 0x01, 0x00, 0x03],
    },
    // FC15, address 0x0013, quantity 10.
    Pdu {
        name: "write multiple coils",
        bytes: &[0x0F, 0x00, 0x13, 0x00, 0x0A],
    },
    // FC16, address 0x0001, quantity 2.
    Pdu {
        name: "write multiple registers",
        bytes: &[0x10, 0x00, 0x01, 0x00, 0x02],
    },
    // FC22, echo: address 0x0004, AND 0x00F2, OR 0x0025.
    Pdu {
        name: "mask write register",
        bytes: &[0x16, 0x00, 0x04, 0x00, 0xF2, 0x00, 0x25],
    },
    // FC23, byte count 12, six registers read.
    Pdu {
        name: "read/write multiple registers",
        bytes: &[
            0x17, 0x0C, 0x00, 0xFE, 0x0A, 0xCD, 0x00, 0x01, 0x00, 0x03, 0x00, 0x0D, 0x00, 0xFF,
        ],
    },
    // FC43/14 (modelled on the §6.21 example): code 01, conformity 01, no more, next 00, 3 objects.
    Pdu {
        name: "read device identification",
        bytes: DEVICE_ID_RESPONSE,
    },
    // FC1 exception (0x81), code 02 ILLEGAL DATA ADDRESS.
    Pdu {
        name: "exception",
        bytes: &[0x81, 0x02],
    },
    // FC8 (not modelled): echo of the diagnostics request.
    Pdu {
        name: "unknown (diagnostics)",
        bytes: &[0x08, 0x00, 0x00, 0xA5, 0x37],
    },
];

/// Read Device Identification response: three basic objects.
pub const DEVICE_ID_RESPONSE: &[u8] = b"\x2B\x0E\x01\x01\x00\x00\x03\
\x00\x16Company identification\
\x01\x0FProduct code XX\
\x02\x05V2.11";

/// A named framed message.
pub struct Framed {
    pub name: &'static str,
    pub bytes: &'static [u8],
    pub direction: Direction,
}

/// TCP frames.
pub const TCP_FRAMES: &[Framed] = &[
    Framed {
        name: "read holding registers request",
        // MBAP: transaction 0x0001, protocol 0, length 6, unit 0x11 | PDU 03 006B 0003
        bytes: &[
            0x00, 0x01, 0x00, 0x00, 0x00, 0x06, 0x11, 0x03, 0x00, 0x6B, 0x00, 0x03,
        ],
        direction: Direction::Request,
    },
    Framed {
        name: "read holding registers response",
        // MBAP: transaction 0x0001, protocol 0, length 9, unit 0x11 | PDU 03 06 022B 0000 0064
        bytes: &[
            0x00, 0x01, 0x00, 0x00, 0x00, 0x09, 0x11, 0x03, 0x06, 0x02, 0x2B, 0x00, 0x00, 0x00,
            0x64,
        ],
        direction: Direction::Response,
    },
    Framed {
        name: "exception response",
        // MBAP: transaction 0xBEEF, protocol 0, length 3, unit 0xFF | PDU 83 02
        bytes: &[0xBE, 0xEF, 0x00, 0x00, 0x00, 0x03, 0xFF, 0x83, 0x02],
        direction: Direction::Response,
    },
];

/// RTU frames: address | PDU | CRC low byte first.
pub const RTU_FRAMES: &[Framed] = &[
    Framed {
        name: "read holding registers request, spec serial example",
        // 01 | 03 0000 000A | C5 CD
        bytes: &[0x01, 0x03, 0x00, 0x00, 0x00, 0x0A, 0xC5, 0xCD],
        direction: Direction::Request,
    },
    Framed {
        name: "read holding registers request",
        // 11 | 03 006B 0003 | 76 87
        bytes: &[0x11, 0x03, 0x00, 0x6B, 0x00, 0x03, 0x76, 0x87],
        direction: Direction::Request,
    },
    Framed {
        name: "read holding registers response",
        // 11 | 03 06 AE41 5652 4340 | 49 AD
        bytes: &[
            0x11, 0x03, 0x06, 0xAE, 0x41, 0x56, 0x52, 0x43, 0x40, 0x49, 0xAD,
        ],
        direction: Direction::Response,
    },
    Framed {
        name: "read coils request",
        // 11 | 01 0013 0025 | 0E 84
        bytes: &[0x11, 0x01, 0x00, 0x13, 0x00, 0x25, 0x0E, 0x84],
        direction: Direction::Request,
    },
    Framed {
        name: "read coils response",
        // 11 | 01 05 CD6BB20E1B | 45 E6
        bytes: &[0x11, 0x01, 0x05, 0xCD, 0x6B, 0xB2, 0x0E, 0x1B, 0x45, 0xE6],
        direction: Direction::Response,
    },
    Framed {
        name: "read discrete inputs request",
        // 11 | 02 00C4 0016 | BA A9
        bytes: &[0x11, 0x02, 0x00, 0xC4, 0x00, 0x16, 0xBA, 0xA9],
        direction: Direction::Request,
    },
    Framed {
        name: "read input registers request",
        // 11 | 04 0008 0001 | B2 98
        bytes: &[0x11, 0x04, 0x00, 0x08, 0x00, 0x01, 0xB2, 0x98],
        direction: Direction::Request,
    },
    Framed {
        name: "write single coil request",
        // 11 | 05 00AC FF00 | 4E 8B
        bytes: &[0x11, 0x05, 0x00, 0xAC, 0xFF, 0x00, 0x4E, 0x8B],
        direction: Direction::Request,
    },
    Framed {
        name: "write single register request",
        // 11 | 06 0001 0003 | 9A 9B
        bytes: &[0x11, 0x06, 0x00, 0x01, 0x00, 0x03, 0x9A, 0x9B],
        direction: Direction::Request,
    },
    Framed {
        name: "write multiple coils request",
        // 11 | 0F 0013 000A 02 CD01 | BF 0B
        bytes: &[
            0x11, 0x0F, 0x00, 0x13, 0x00, 0x0A, 0x02, 0xCD, 0x01, 0xBF, 0x0B,
        ],
        direction: Direction::Request,
    },
    Framed {
        name: "write multiple registers request",
        // 11 | 10 0001 0002 04 000A 0102 | C6 F0
        bytes: &[
            0x11, 0x10, 0x00, 0x01, 0x00, 0x02, 0x04, 0x00, 0x0A, 0x01, 0x02, 0xC6, 0xF0,
        ],
        direction: Direction::Request,
    },
    Framed {
        name: "write multiple registers response",
        // 11 | 10 0001 0002 | 12 98
        bytes: &[0x11, 0x10, 0x00, 0x01, 0x00, 0x02, 0x12, 0x98],
        direction: Direction::Response,
    },
    Framed {
        name: "exception response",
        // 01 | 83 02 | C0 F1
        bytes: &[0x01, 0x83, 0x02, 0xC0, 0xF1],
        direction: Direction::Response,
    },
    Framed {
        name: "read holding registers response, one register",
        // 01 | 03 02 0001 | 79 84
        bytes: &[0x01, 0x03, 0x02, 0x00, 0x01, 0x79, 0x84],
        direction: Direction::Response,
    },
];

/// ASCII frames: ':' | address, PDU, LRC in hex | CR LF.
pub const ASCII_FRAMES: &[&[u8]] = &[
    // : 01 | 03 0000 0001 | FB \r\n (serial line spec example)
    b":010300000001FB\r\n",
    // : 11 | 03 006B 0003 | 7E \r\n
    b":1103006B00037E\r\n",
    // : 01 | 83 02 | 7A \r\n (exception: 0x01 + 0x83 + 0x02 = 0x86, LRC 0x7A)
    b":0183027A\r\n",
];

/// The decode function of a framing, for the generic tests.
pub type Decode = fn(&[u8]) -> Result<Option<usize>, Error>;

pub fn tcp_len(buf: &[u8]) -> Result<Option<usize>, Error> {
    Ok(fieldbridge_modbus::tcp::decode(buf)?.map(|(_, len)| len))
}

pub fn rtu_request_len(buf: &[u8]) -> Result<Option<usize>, Error> {
    Ok(fieldbridge_modbus::rtu::decode_request(buf)?.map(|(_, len)| len))
}

pub fn rtu_response_len(buf: &[u8]) -> Result<Option<usize>, Error> {
    Ok(fieldbridge_modbus::rtu::decode_response(buf)?.map(|(_, len)| len))
}

pub fn ascii_len(buf: &[u8]) -> Result<Option<usize>, Error> {
    Ok(fieldbridge_modbus::ascii::decode(buf)?.map(|(_, len)| len))
}

/// The RTU decode function for a direction.
pub fn rtu_len(direction: Direction) -> Decode {
    match direction {
        Direction::Request => rtu_request_len,
        Direction::Response => rtu_response_len,
    }
}

/// Builds an RTU frame with a correct CRC around address and PDU.
pub fn rtu_frame(address: u8, pdu: &[u8]) -> Vec<u8> {
    let mut out = vec![address];
    out.extend_from_slice(pdu);
    let crc = fieldbridge_modbus::crc::crc16(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// Builds an ASCII frame (upper-case hex, correct LRC) around address and PDU.
pub fn ascii_frame(address: u8, pdu: &[u8]) -> Vec<u8> {
    let mut bytes = vec![address];
    bytes.extend_from_slice(pdu);
    bytes.push(fieldbridge_modbus::lrc::lrc(&bytes));
    let mut out = b":".to_vec();
    for b in bytes {
        out.extend_from_slice(format!("{b:02X}").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// Builds a TCP frame around header fields and PDU.
pub fn tcp_frame(transaction_id: u16, unit_id: u8, pdu: &[u8]) -> Vec<u8> {
    let mut out = transaction_id.to_be_bytes().to_vec();
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(&u16::try_from(pdu.len() + 1).unwrap().to_be_bytes());
    out.push(unit_id);
    out.extend_from_slice(pdu);
    out
}
