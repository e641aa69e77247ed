//! Software prefetch for the gathers of the step.
//!
//! A step reads, for each tie, something stored at the far end (the
//! partner's half, its profile, its act). On a network with long-range ties
//! those reads land anywhere in memory, and each costs a full memory latency
//! if the processor meets it unannounced. The phases announce the far ends
//! of an agent a few agents ahead, so the loads are in flight while earlier
//! agents are computed. A prefetch is only a hint: it never faults, changes
//! no value and so cannot change any result.

/// How many agents ahead the phases announce their gathers.
pub const AHEAD: usize = 8;

/// Hints that the cache line of element `i` of `v` will be read soon. The
/// address is formed without a bounds check (`wrapping_add`, never
/// dereferenced), so an index past the end is a harmless hint.
#[inline(always)]
pub fn element<T>(v: &[T], i: usize) {
    read(v.as_ptr().wrapping_add(i));
}

/// Hints that the cache line holding `*p` will be read soon.
#[inline(always)]
pub fn read<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `prefetcht0` is a hint with no architectural effect: it never
    // faults and never dereferences in the language sense, whatever the
    // address (SSE is part of the x86_64 baseline).
    #[allow(unused_unsafe)]
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p as *const i8);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}
