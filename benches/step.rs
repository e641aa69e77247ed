//! One simulation step at 10^4, 10^5 and 10^6 agents, mean degree 8
//! (Watts–Strogatz, beta 0.1), every rule on. Throughput is in agent-steps.
//!
//! Run: `cargo bench --bench step`. Set-up (drawing agents, building the
//! network) happens outside the timed loop.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};

use powerdyn::engine::Simulation;
use powerdyn::scenario;

/// A population scenario of `n` agents with mixed bases and motives.
pub fn population(n: u64) -> String {
    format!(
        r#"
name = "bench"
steps = 1000
[[populations]]
name = "p"
count = {n}
resources = {{ dist = "lognormal", mu = 4.0, sigma = 0.5 }}
income = 1.0
motive = {{ dist = "uniform", low = 0, high = 1 }}
exit_cost = {{ dist = "uniform", low = 0, high = 1 }}
bases = {{ coercive = {{ dist = "uniform", low = 0, high = 1 }}, legitimate = {{ dist = "beta", a = 2, b = 5 }}, expert = 0.3, informational = 0.2 }}
[network]
kind = "watts_strogatz"
k = 8
beta = 0.1
"#
    )
}

fn bench_step(c: &mut Criterion) {
    let mut group = c.benchmark_group("step");
    for n in [10_000u64, 100_000, 1_000_000] {
        let s = scenario::parse_bytes("bench.toml", population(n).as_bytes()).expect("valid");
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
