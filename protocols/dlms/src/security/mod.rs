//! (security suite 0: being written)
