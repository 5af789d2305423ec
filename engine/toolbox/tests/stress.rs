//! The cgroup demo applets: alloc, fork and spin.

mod common;

use std::time::{Duration, Instant};

use common::{code, run, stdout};

#[test]
fn alloc_prints_cumulative_mebibytes_each_step() {
    let out = run(&["alloc", "2", "--steps", "3", "--interval", "1"], "");
    assert_eq!(code(&out), 0);
    assert_eq!(
        stdout(&out),
        "2M memory allocated\n4M memory allocated\n6M memory allocated\n"
    );
}

#[test]
fn alloc_without_a_size_is_a_usage_error() {
    assert_eq!(code(&run(&["alloc"], "")), 1);
}

#[test]
fn fork_starts_and_reaps_all_children_when_unlimited() {
    let out = run(&["fork", "3"], "");
    assert_eq!(code(&out), 0);
    assert_eq!(stdout(&out), "forked 3 of 3\n");
}

#[test]
fn spin_burns_cpu_for_the_given_seconds() {
    let start = Instant::now();
    assert_eq!(code(&run(&["spin", "0.2"], "")), 0);
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(200) && took < Duration::from_secs(5),
        "{took:?}"
    );
}
