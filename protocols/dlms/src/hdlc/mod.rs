//! (HDLC: being written)
