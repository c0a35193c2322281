//! A global allocator that counts heap allocations, for the report binaries' allocations per
//! frame: each binary installs it with
//!
//! ```text
//! #[global_allocator]
//! static GLOBAL: CountingAlloc = CountingAlloc;
//! ```
//!
//! and reads [`allocations`] before and after a round.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};

/// `System`, counting every allocation and reallocation (frees are not counted: each allocation
/// is freed once).
#[derive(Debug)]
pub struct CountingAlloc;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static LARGEST: AtomicU64 = AtomicU64::new(0);

/// The allocations and reallocations so far (when [`CountingAlloc`] is the global allocator).
pub fn allocations() -> u64 {
    ALLOCATIONS.load(Ordering::Relaxed)
}

/// The largest size in bytes asked for by one allocation or reallocation since the last
/// [`reset_largest`]: how a test shows that hostile input (a declared 4 GiB) costs no large
/// allocation.
pub fn largest_allocation() -> u64 {
    LARGEST.load(Ordering::Relaxed)
}

/// Starts [`largest_allocation`] again from 0.
pub fn reset_largest() {
    LARGEST.store(0, Ordering::Relaxed);
}

fn record(size: usize) {
    ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    LARGEST.fetch_max(size as u64, Ordering::Relaxed);
}

// The only `unsafe` in the workspace outside dependencies: implementing `GlobalAlloc` is an
// `unsafe impl` by definition. The crate lowers the workspace's `forbid` to `deny` (see its
// Cargo.toml) so that this one impl can be allowed. Each method forwards its arguments unchanged
// to `System`, so `System`'s guarantees carry over and the caller's obligations are passed on as
// they are.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        record(layout.size());
        // SAFETY: forwarded unchanged; the caller upholds `GlobalAlloc::alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        record(layout.size());
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        record(new_size);
        // SAFETY: `ptr` and `layout` come from this allocator, which got them from `System`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` and `layout` come from this allocator, which got them from `System`.
        unsafe { System.dealloc(ptr, layout) }
    }
}
