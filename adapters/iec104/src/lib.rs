//! The IEC 60870-5-104 source of fieldbridge: a controlling station (issue 16). Work in progress.
#![forbid(unsafe_code)]
