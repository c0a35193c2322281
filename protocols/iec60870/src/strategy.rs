//! Public `proptest` strategies for every type of the codec (feature `proptest`). Work in
//! progress (issue 15).
