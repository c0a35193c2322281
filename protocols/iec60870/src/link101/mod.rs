//! The sans-IO link state machines of IEC 60870-5-101 over FT1.2 (IEC 60870-5-2 clause 5):
//! unbalanced primary and secondary, and balanced transmission. Work in progress (issue 15).
