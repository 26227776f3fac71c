//! fleetc's fuzz targets' shared code: the entry points ([`harness`]) and an
//! allocator that turns one huge allocation into a crash libFuzzer saves.
//!
//! libFuzzer's `-malloc_limit_mb` needs a sanitizer's malloc hooks, and
//! these targets are built with `--sanitizer none` (stable Rust), so
//! [`Capped`] does its job: any single allocation over [`MAX_ALLOC`] prints
//! its size and aborts. Memory held in many smaller allocations is caught by
//! libFuzzer's `-rss_limit_mb` (2048 MB by default).

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Write;

pub mod harness;

/// The largest single allocation a fuzz input may make: 256 MiB. fleetc's
/// default limits keep a file to 8 MiB, a value to 256 KiB and a manifest
/// to 1 MiB, so nothing a bounded compile does comes near it.
pub const MAX_ALLOC: usize = 256 << 20;

/// The system allocator, with a cap on the size of one allocation.
pub struct Capped;

#[global_allocator]
static ALLOCATOR: Capped = Capped;

fn check(size: usize) {
    if size > MAX_ALLOC {
        // Write without allocating: digits into a stack buffer.
        let mut digits = [0u8; 20];
        let mut n = size;
        let mut at = digits.len();
        loop {
            at -= 1;
            digits[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        let mut err = std::io::stderr();
        let _ = err.write_all(b"==fleetc-fuzz== single allocation of ");
        let _ = err.write_all(&digits[at..]);
        let _ = err.write_all(b" bytes (over MAX_ALLOC): aborting\n");
        std::process::abort();
    }
}

// SAFETY: every call is forwarded unchanged to the system allocator, after
// a size check that allocates nothing.
unsafe impl GlobalAlloc for Capped {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        check(layout.size());
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        check(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        check(new_size);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Whether FLEETC_FUZZ_VERBOSE is set (read once).
pub fn verbose() -> bool {
    static VERBOSE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *VERBOSE.get_or_init(|| std::env::var_os("FLEETC_FUZZ_VERBOSE").is_some())
}
