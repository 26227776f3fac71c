//! The memory guard: the last wall against an input that builds a huge value.
//!
//! Fuel bounds how many steps a template or a `${ }` expression may take,
//! and the size limits refuse values and manifests that come out too big;
//! but a few steps can still double a string until the machine runs out
//! (`{% set ns.x = ns.x ~ ns.x %}` in a loop, nested repetition), and Rust
//! aborts the process when an allocation fails. So the binary's allocator
//! counts the bytes fleetc holds, and when an allocation would take it over
//! `limits.memory_bytes` it stops fleetc itself: one line on stderr naming
//! the limit and what fleetc was rendering, and exit status 1, before the
//! allocation is made. Nothing has been written by then: every compile
//! writes only after all rendering is done.
//!
//! This is the crate's only `unsafe` code: the [`GlobalAlloc`] impl, which
//! forwards to mimalloc (see [`MemoryGuard`]).
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout};
use std::cell::{Cell, RefCell};
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicIsize, AtomicUsize, Ordering};

/// Bytes fleetc holds now, but for what each thread has not yet settled
/// (less than [`BATCH`] a thread, either way). Signed: a thread may settle
/// the freeing of bytes another thread has not settled the allocation of.
static LIVE: AtomicIsize = AtomicIsize::new(0);
/// What a thread allocates or frees is settled into [`LIVE`] by the
/// [`BATCH`]: one shared atomic touched per allocation made the two
/// threads of a render fight over its cache line for a third of their time.
const BATCH: isize = 256 << 10;
/// The most [`LIVE`] has been.
static PEAK: AtomicIsize = AtomicIsize::new(0);
/// Bytes fleetc may hold; set from `limits.memory_bytes`.
static LIMIT: AtomicUsize = AtomicUsize::new(8 << 30);
/// Set once fleetc is stopping: what is allocated from then on is not
/// counted, so that printing the message and exiting cannot loop back here.
static STOPPING: AtomicBool = AtomicBool::new(false);

const TASK_BYTES: usize = 240;

thread_local! {
    /// Bytes this thread allocated (freed, if negative) and has not yet
    /// settled into [`LIVE`]. Const-initialised and without a destructor,
    /// so reading it never allocates.
    static UNSETTLED: Cell<isize> = const { Cell::new(0) };
    /// What this thread is rendering, for the message: a fixed buffer, so
    /// that reading it when stopping allocates nothing.
    static TASK: RefCell<([u8; TASK_BYTES], usize)> = const { RefCell::new(([0; TASK_BYTES], 0)) };
}

/// The allocator of the `fleetc` binary: mimalloc, counted. mimalloc
/// rather than the system's (glibc's) malloc: a render is a storm of small
/// allocations freed on both threads, where glibc's arenas and free lists
/// took a quarter of `check`'s samples; mimalloc's thread-local pages
/// made `check` at 116,680 Applications about a fifth faster, in less
/// memory.
#[derive(Debug)]
pub struct MemoryGuard;

unsafe impl GlobalAlloc for MemoryGuard {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        charge(layout.size());
        // SAFETY: forwarded unchanged to mimalloc.
        unsafe { mimalloc::MiMalloc.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        charge(layout.size());
        // SAFETY: forwarded unchanged to mimalloc.
        unsafe { mimalloc::MiMalloc.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        release(layout.size());
        // SAFETY: `ptr` and `layout` come from this allocator, which took
        // them from mimalloc.
        unsafe { mimalloc::MiMalloc.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() {
            charge(new_size - layout.size());
        } else {
            release(layout.size() - new_size);
        }
        // SAFETY: as for `dealloc`; the new size is the caller's, as the
        // mimalloc expects it.
        unsafe { mimalloc::MiMalloc.realloc(ptr, layout, new_size) }
    }
}

/// The bytes fleetc holds now, and the most it has held (within a
/// [`BATCH`] a thread).
pub(crate) fn held() -> (usize, usize) {
    let get = |a: &AtomicIsize| usize::try_from(a.load(Ordering::Relaxed)).unwrap_or(0);
    (get(&LIVE), get(&PEAK))
}

/// Counts `size` more bytes, or stops fleetc when they would be too many.
fn charge(size: usize) {
    let size = isize::try_from(size).unwrap_or(isize::MAX);
    let Some(settled) = settle(size) else {
        return;
    };
    let live = LIVE
        .fetch_add(settled, Ordering::Relaxed)
        .saturating_add(settled);
    PEAK.fetch_max(live, Ordering::Relaxed);
    let limit = LIMIT.load(Ordering::Relaxed);
    if usize::try_from(live).is_ok_and(|live| live > limit)
        && !STOPPING.swap(true, Ordering::SeqCst)
    {
        stop(limit);
    }
}

/// Counts `size` bytes fewer.
fn release(size: usize) {
    let size = isize::try_from(size).unwrap_or(isize::MAX);
    if let Some(settled) = settle(-size) {
        LIVE.fetch_add(settled, Ordering::Relaxed);
    }
}

/// Adds `delta` to this thread's unsettled bytes; returns what is to be
/// settled into [`LIVE`] now (all of it, once it reaches a [`BATCH`]
/// either way, or when the thread's own count is gone, as it exits).
fn settle(delta: isize) -> Option<isize> {
    match UNSETTLED.try_with(|u| {
        let now = u.get().saturating_add(delta);
        if now.abs() >= BATCH {
            u.set(0);
            Some(now)
        } else {
            u.set(now);
            None
        }
    }) {
        Ok(settled) => settled,
        Err(_) => Some(delta),
    }
}

/// Prints what happened, without allocating, and exits with status 1.
fn stop(limit: usize) -> ! {
    let mut buf = [0u8; 1024];
    let mut w = Cursor {
        buf: &mut buf,
        len: 0,
    };
    // The task is `<file>\0<what>`: the message reads `error: <file>: ...`.
    let mut task = [0u8; TASK_BYTES];
    let mut task_len = 0;
    let _ = TASK.try_with(|t| {
        if let Ok(t) = t.try_borrow() {
            task[..t.1].copy_from_slice(&t.0[..t.1]);
            task_len = t.1;
        }
    });
    let task = &task[..task_len];
    let (file, what) = match task.iter().position(|b| *b == 0) {
        Some(i) => (&task[..i], &task[i + 1..]),
        None => (&task[..0], task),
    };
    let _ = w.write_all(b"error: ");
    if !file.is_empty() {
        let _ = w.write_all(file);
        let _ = w.write_all(b": ");
    }
    let _ = write!(
        w,
        "fleetc stopped before holding more than {limit} bytes of memory (`limits.memory_bytes`)"
    );
    if !what.is_empty() {
        let _ = w.write_all(b" while ");
        let _ = w.write_all(what);
    }
    let _ = w.write_all(
        b"\n  help: a template or a `${ }` expression builds a value that keeps growing (a string doubled in a loop, repeated, or nested); make it smaller, or raise the limit if the fleet really needs it\n",
    );
    let len = w.len;
    let _ = std::io::stderr().write_all(&buf[..len]);
    std::process::exit(crate::cli::EXIT_USER);
}

/// A writer into a fixed buffer that drops what does not fit.
struct Cursor<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl Write for Cursor<'_> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let n = data.len().min(self.buf.len() - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&data[..n]);
        self.len += n;
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Sets the limit (`limits.memory_bytes`), lowered to three quarters of the
/// machine's memory when that is less, so that the guard stops fleetc
/// before the system's out-of-memory killer would.
pub(crate) fn set_limit(bytes: u64) {
    let mut limit = bytes;
    if let Some(total) = physical_memory() {
        limit = limit.min(total / 4 * 3);
    }
    LIMIT.store(
        usize::try_from(limit).unwrap_or(usize::MAX),
        Ordering::Relaxed,
    );
}

/// `MemTotal` of `/proc/meminfo`, in bytes (Linux).
fn physical_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Says what this thread is working on, and in which inventory file, until
/// [`task_done`], for the message if fleetc stops.
pub(crate) fn task(file: &std::path::Path, what: std::fmt::Arguments<'_>) {
    TASK.with(|t| {
        let mut t = t.borrow_mut();
        let mut w = Cursor {
            buf: &mut t.0,
            len: 0,
        };
        let _ = write!(
            w,
            "{}\0{what}",
            crate::base::error::terminal_safe(&file.to_string_lossy())
        );
        let len = w.len;
        t.1 = len;
    });
}

/// This thread's task is done.
pub(crate) fn task_done() {
    let _ = TASK.try_with(|t| t.borrow_mut().1 = 0);
}
