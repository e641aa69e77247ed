//! A global allocator that asks Linux for transparent huge pages on large
//! allocations.
//!
//! The step gathers the far end of every long-range tie from arrays of
//! hundreds of megabytes, and the metrics' radix sorts scatter into
//! thousands of places at once. With 4 KiB pages nearly every such access
//! also misses the TLB and walks the page table; with 2 MiB pages the
//! translations of a whole population fit in the TLB. On this kind of
//! machine the kernel gives huge pages only to memory marked with
//! `madvise(MADV_HUGEPAGE)` (`/sys/kernel/mm/transparent_hugepage/enabled`
//! reads `madvise`), so [`HugePages`] marks every allocation of at least
//! [`THRESHOLD`] bytes, before it is first touched. Small allocations are
//! left alone. The hint changes where memory lives, never a value, so
//! results are the same with or without it; elsewhere than Linux it is the
//! system allocator unchanged.
//!
//! The library never installs it; the `powerdyn` binary and the benches do:
//!
//! ```ignore
//! #[global_allocator]
//! static ALLOC: powerdyn::alloc::HugePages = powerdyn::alloc::HugePages;
//! ```

use std::alloc::{GlobalAlloc, Layout, System};

/// Allocations of at least this many bytes (4 MiB) are marked for huge pages.
pub const THRESHOLD: usize = 4 << 20;

/// The system allocator, with large allocations marked for huge pages.
#[derive(Debug, Clone, Copy, Default)]
pub struct HugePages;

impl HugePages {
    /// Marks the whole 4 KiB pages inside `[ptr, ptr + size)` for huge pages.
    /// Advice only: a failure (an old kernel, THP switched off) is ignored.
    #[inline]
    fn advise(ptr: *mut u8, size: usize) {
        #[cfg(target_os = "linux")]
        if !ptr.is_null() && size >= THRESHOLD {
            const PAGE: usize = 4096;
            let start = (ptr as usize).next_multiple_of(PAGE);
            let end = (ptr as usize + size) & !(PAGE - 1);
            if end > start {
                // SAFETY: madvise only changes how the kernel backs the pages
                // of a range this allocation owns; MADV_HUGEPAGE never
                // changes their contents, and errors are returned, not raised.
                unsafe {
                    libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
                }
            }
        }
        #[cfg(not(target_os = "linux"))]
        let _ = (ptr, size);
    }
}

// SAFETY: every method delegates to `System`, which upholds the contract;
// `advise` only adds a hint on memory that the returned block owns.
unsafe impl GlobalAlloc for HugePages {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's obligations are passed on unchanged.
        let p = unsafe { System.alloc(layout) };
        Self::advise(p, layout.size());
        p
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let p = unsafe { System.alloc_zeroed(layout) };
        Self::advise(p, layout.size());
        p
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as for `alloc`.
        unsafe { System.dealloc(ptr, layout) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        Self::advise(p, new_size);
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_and_small_blocks_allocate_zero_and_grow() {
        let a = HugePages;
        for size in [16, THRESHOLD, THRESHOLD + 12_345] {
            let layout = Layout::from_size_align(size, 64).unwrap();
            // SAFETY: the layouts have non-zero size; every block is freed
            // with the layout (or size) it was last given.
            unsafe {
                let p = a.alloc_zeroed(layout);
                assert!(!p.is_null());
                assert_eq!(p as usize % 64, 0);
                let s = std::slice::from_raw_parts_mut(p, size);
                assert!(s.iter().all(|&b| b == 0));
                s[size - 1] = 7;
                let q = a.realloc(p, layout, 2 * size);
                assert!(!q.is_null());
                assert_eq!(*q.add(size - 1), 7);
                a.dealloc(q, Layout::from_size_align(2 * size, 64).unwrap());
            }
        }
    }
}
