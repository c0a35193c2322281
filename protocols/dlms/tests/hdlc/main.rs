//! HDLC acceptance tests (IEC 62056-46, Green Book clause 8.4): public vectors decoded field by
//! field and re-encoded byte for byte, one test per error, the serial-line splitter, boundaries,
//! proptest round trips, and the client and server link state machines against each other.

mod addresses;
mod boundaries;
mod common;
mod errors;
mod link_client;
mod link_common;
mod link_late;
mod link_pair;
mod link_robust;
mod link_server;
mod llc;
mod params;
mod replay;
mod roundtrip;
mod splitter;
mod vectors;
