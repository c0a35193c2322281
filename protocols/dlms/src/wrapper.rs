//! (wrapper: being written)
