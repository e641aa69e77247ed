//! One simulation step at 10^4, 10^5 and 10^6 agents, mean degree 8
//! (Watts–Strogatz, beta 0.1), every core rule and influence on: the
//! population of `powerdyn bench`. Throughput is in agent-steps.
//!
//! Run: `cargo bench --bench step`. Set-up (drawing agents, building the
//! network) happens outside the timed loop. Large arrays go on huge pages,
//! as in the `powerdyn` binary (see `powerdyn::alloc`).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

use powerdyn::engine::Simulation;

#[global_allocator]
static ALLOC: powerdyn::alloc::HugePages = powerdyn::alloc::HugePages;

fn bench_step(c: &mut Criterion) {
    let mut group = c.benchmark_group("step");
    for n in [10_000u64, 100_000, 1_000_000] {
        let s = powerdyn::bench::scenario(n, 8, 0.1).expect("valid");
        let mut sim = Simulation::new(&s, 1, 0).expect("builds");
        // Let the state leave its uniform start before timing.
        for _ in 0..5 {
            sim.step();
        }
        group.throughput(Throughput::Elements(n));
        if n >= 1_000_000 {
            group.sample_size(10);
        }
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| sim.step())
        });
    }
    group.finish();
}

criterion_group!(benches, bench_step);
criterion_main!(benches);
