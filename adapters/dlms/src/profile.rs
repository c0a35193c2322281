//! Profile generic (class 7, IEC 62056-6-2 clause 4.3.6): reading the buffer by range and turning
//! its rows into one sample per captured column. (Being written.)
