//! (association layer: being written)
