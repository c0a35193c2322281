//! (A-XDR: being written)
