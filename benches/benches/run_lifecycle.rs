//! Latency of a whole container lifecycle: `ferry run --rm toolbox true` — clone into five new
//! namespaces, overlay mount, /proc /dev /sys, pivot_root, exec, wait, state files, removal.

use criterion::{criterion_group, criterion_main, Criterion};
use ferry_benches::{ferry, is_root, state_root_with_toolbox};

fn run_rm_true(c: &mut Criterion) {
    if !is_root() {
        eprintln!("SKIPPED run_rm_true: creating namespaces needs root");
        return;
    }
    let root = state_root_with_toolbox();
    let mut group = c.benchmark_group("lifecycle");
    group.sample_size(30);
    group.bench_function("ferry run --rm --network none toolbox true", |b| {
        b.iter(|| {
            let status = ferry(root.path())
                .args(["run", "--rm", "--network", "none", "toolbox", "true"])
                .status()
                .expect("run ferry");
            assert!(status.success());
        })
    });
    group.finish();
}

criterion_group!(benches, run_rm_true);
criterion_main!(benches);
