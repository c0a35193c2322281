//! Commands of the control direction (IEC 60870-5-101 clause 7.3.2, IEC 60870-5-5 clause 6.8):
//! shared by the IEC 104 and IEC 101 sources. Filled in by issue 16's command work.
