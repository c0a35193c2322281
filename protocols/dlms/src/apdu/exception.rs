//! (data services: being written)
