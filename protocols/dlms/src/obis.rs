//! (OBIS: being written)
