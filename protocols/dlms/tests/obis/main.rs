//! OBIS codes (IEC 62056-6-1): the text forms, the octets, the errors and the names.

mod errors;
mod names;
mod text;
