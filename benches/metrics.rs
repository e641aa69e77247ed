//! One record of metrics (every column of `timeseries.csv`) at 10^5 and
//! 10^6 agents, and at 10^6 the costliest single measures: the Gini
//! coefficient of an `f32` base (reward), of the `f64` resources, and the
//! Theil index of total power. The population is that of `powerdyn bench`
//! (Watts–Strogatz, mean degree 8, beta 0.1, every core rule and influence
//! on) after 5 steps. Throughput is in agents. A record and the Theil
//! index run on every thread; a Gini coefficient runs on one.
//!
//! Run: `cargo bench --bench metrics`. Large arrays go on huge pages, as in
//! the `powerdyn` binary (see `powerdyn::alloc`).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

use powerdyn::engine::Simulation;
use powerdyn::metrics::{self, inequality};
use powerdyn::model::REWARD;

#[global_allocator]
static ALLOC: powerdyn::alloc::HugePages = powerdyn::alloc::HugePages;

fn population(n: u64) -> Simulation {
    let s = powerdyn::bench::scenario(n, 8, 0.1).expect("valid");
    let mut sim = Simulation::new(&s, 1, 0).expect("builds");
    // Let the state leave its uniform start before timing.
    for _ in 0..5 {
        sim.step();
    }
    sim
}

fn bench_metrics(c: &mut Criterion) {
    let mut group = c.benchmark_group("record");
    group.sample_size(10);
    for n in [100_000u64, 1_000_000] {
        let sim = population(n);
        let counters = sim.counters;
        group.throughput(Throughput::Elements(n));
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| metrics::compute(&sim, &counters))
        });
    }
    group.finish();

    let n = 1_000_000u64;
    let sim = population(n);
    let a = &sim.world.agents;
    let power: Vec<f32> = (0..a.len()).map(|i| a.total_power(i)).collect();
    let mut group = c.benchmark_group("measure");
    group.sample_size(20);
    group.throughput(Throughput::Elements(n));
    group.bench_function("gini_f32_reward", |b| {
        b.iter(|| inequality::gini_f32(&a.bases[REWARD]))
    });
    group.bench_function("gini_resources", |b| {
        b.iter(|| inequality::gini(&a.resources))
    });
    group.bench_function("theil_f32_power", |b| {
        b.iter(|| inequality::theil_f32(&power))
    });
    group.finish();
}

criterion_group!(benches, bench_metrics);
criterion_main!(benches);
