//! The load-profile catch-up cursor: the capture time of the last entry published, per profile,
//! kept crash-safe in the source's state folder. (Being written.)
