//! Counts the heap allocations of one step and of one record of the bench
//! population (BENCHMARKS.md, "The means the issue names"):
//!
//! ```text
//! cargo run --release --example allocations
//! ```
//!
//! A counting global allocator wraps the system's; after three warm-up
//! steps and one warm-up record (which allocates the per-thread sort
//! buffers), it prints the allocations and bytes of a step (mean of ten) and
//! of one record, at 10^4, 10^5 and 10^6 agents on two threads.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// The system allocator, counting allocations and bytes.
struct Counting;

static COUNT: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

// SAFETY: every method delegates to `System`; the counters are atomics.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        COUNT.fetch_add(1, Relaxed);
        BYTES.fetch_add(layout.size() as u64, Relaxed);
        // SAFETY: the caller's obligations are passed on unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as for `alloc`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn counts() -> (u64, u64) {
    (COUNT.load(Relaxed), BYTES.load(Relaxed))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build()?;
    for n in [10_000u64, 100_000, 1_000_000] {
        let s = powerdyn::bench::scenario(n, 8, 0.1)?;
        pool.install(|| -> Result<(), powerdyn::error::Error> {
            let mut sim = powerdyn::engine::Simulation::new(&s, 1, 0)?;
            for _ in 0..3 {
                sim.step();
            }
            let (c0, b0) = counts();
            for _ in 0..10 {
                sim.step();
            }
            let (c1, b1) = counts();
            let counters = sim.counters;
            let _ = powerdyn::metrics::compute(&sim, &counters);
            let (c2, b2) = counts();
            let _ = powerdyn::metrics::compute(&sim, &counters);
            let (c3, b3) = counts();
            println!(
                "{n} agents: a step {} allocations, {} bytes ({:.2} per agent); a record {} allocations, {} bytes ({:.2} per agent)",
                (c1 - c0) / 10,
                (b1 - b0) / 10,
                (b1 - b0) as f64 / 10.0 / n as f64,
                c3 - c2,
                b3 - b2,
                (b3 - b2) as f64 / n as f64,
            );
            Ok(())
        })?;
    }
    Ok(())
}
