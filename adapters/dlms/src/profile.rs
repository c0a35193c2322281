//! Profile generic (class 7, IEC 62056-6-2 clause 4.3.6): reading the buffer by range and turning
//! its rows into one sample per captured column.
//!
//! The attributes used: 2 buffer, 3 capture_objects, 4 capture_period, 7 entries_in_use and
//! 8 profile_entries. A load profile's columns hold the captured attributes' raw values; each
//! register column's scaler_unit is read from the register itself (attribute 3 of a register,
//! 4 of a demand register: [`Column::scaler_attribute`]).
//!
//! One read, step by step (the GETs are the driver's):
//! 1. GET attributes 3 and 4 → [`ProfileLayout::new`] (again whenever a buffer fails with
//!    [`BufferError::Width`]);
//! 2. for each column with a [`Column::scaler_attribute`]: GET it from the captured object →
//!    [`ProfileLayout::set_scaler_unit`];
//! 3. GET attribute 7 (entries_in_use) and 8, and the clock if the source has one: evidence for
//!    [`crate::catchup::select`];
//! 4. GET attribute 2 with [`ProfileLayout::access_since`] from the cursor's
//!    [`range_from`](crate::catchup::Cursor::range_from) (without a cursor, the whole buffer or
//!    a range of the driver's choosing) → [`ProfileLayout::decode`];
//! 5. [`crate::catchup::select`] → the entries to publish, the anomalies, the next cursor;
//! 6. hand the samples over, then [`crate::catchup::CatchupStore::advance`].
//!
//! # Point names
//! Every value column is a point of its own named `<profile point>.<A>-<B>-<C>-<D>-<E>-<F>`, the
//! captured object's OBIS code in decimal ([`column_point_name`]): `load_profile.1-0-1-8-0-255`
//! for 1-0:1.8.0*255 in the profile point `load_profile`. Where two columns capture the same
//! object, suffixes tell them apart ([`ProfileLayout::new`]). The capture-time column is not a
//! point: its value is every sample's `ts`.

mod buffer;
mod layout;
mod range;

pub use buffer::{BufferError, Entry};
pub use layout::{
    capture_objects, column_point_name, counter, CaptureObject, Column, LayoutError, ProfileLayout,
};
pub use range::{entry_access, open_end, range_access, OPEN_END_YEAR};

#[cfg(test)]
pub(crate) mod testkit;
#[cfg(test)]
mod tests;
