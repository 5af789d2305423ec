//! Networking costs: attaching a container to the bridge (the netlink work alone: veth pair,
//! bridge port, move into the namespace, rename, address, route), and a whole `ferry run --rm`
//! with `--network bridge` against `--network none` (the difference adds leases and iptables).
//!
//! The bench moves itself into a new network namespace first, so the bridges and rules it makes
//! never reach the machine's own network.

use std::net::Ipv4Addr;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use ferry::network::netlink::{mac_for, Netlink};
use ferry_benches::{ferry, is_root, state_root_with_toolbox};
use nix::sched::{unshare, CloneFlags};

/// Moves this process's thread into a new network namespace with `lo` up.
fn isolate() -> Netlink {
    unshare(CloneFlags::CLONE_NEWNET).expect("unshare(CLONE_NEWNET)");
    let netlink = Netlink::current().expect("netlink");
    let lo = netlink.require_link("lo").expect("lo");
    netlink.set_up(lo.index, "lo").expect("lo up");
    netlink
}

/// A process in a network namespace of its own, standing in for a held container.
fn holder() -> Child {
    let child = Command::new("unshare")
        .args(["--net", "sleep", "3600"])
        .spawn()
        .expect("start unshare");
    std::thread::sleep(Duration::from_millis(100));
    child
}

fn attach_netlink_only(c: &mut Criterion) {
    if !is_root() {
        eprintln!("SKIPPED attach_netlink_only: netlink changes need root");
        return;
    }
    let host = isolate();
    let gateway = Ipv4Addr::new(10, 77, 0, 1);
    let bridge = host.ensure_bridge("ferry0", gateway, 16).expect("bridge");
    let mut container = holder();
    let pid = container.id() as i32;
    let ip = Ipv4Addr::new(10, 77, 0, 2);
    let mut group = c.benchmark_group("network");
    group.sample_size(50);
    group.bench_function("attach a container to the bridge (netlink only)", |b| {
        b.iter_custom(|iterations| {
            let mut spent = Duration::ZERO;
            for _ in 0..iterations {
                let start = Instant::now();
                host.create_veth("vethbench", "ctrbench").expect("veth");
                let host_end = host.require_link("vethbench").expect("host end");
                let peer = host.require_link("ctrbench").expect("peer");
                host.set_mac(peer.index, mac_for(ip), "ctrbench")
                    .expect("mac");
                host.plug_into_bridge(host_end.index, bridge.index, "vethbench")
                    .expect("plug");
                host.move_to_netns_of(peer.index, pid, "ctrbench")
                    .expect("move");
                let inside = Netlink::in_netns_of(pid).expect("netlink inside");
                let end = inside.require_link("ctrbench").expect("moved end");
                inside.rename(end.index, "eth0").expect("rename");
                inside.add_address(end.index, ip, 16).expect("address");
                inside.set_up(end.index, "eth0").expect("up");
                inside.add_default_route(gateway).expect("route");
                spent += start.elapsed();
                host.delete_link("vethbench").expect("clean up");
            }
            spent
        })
    });
    group.finish();
    let _ = container.kill();
    let _ = container.wait();
}

fn run_bridge_vs_none(c: &mut Criterion) {
    if !is_root() {
        eprintln!("SKIPPED run_bridge_vs_none: creating namespaces needs root");
        return;
    }
    let _host = isolate();
    let root = state_root_with_toolbox();
    let mut group = c.benchmark_group("network");
    group.sample_size(20);
    for mode in ["none", "bridge"] {
        group.bench_function(
            format!("ferry run --rm --network {mode} toolbox true"),
            |b| {
                b.iter(|| {
                    let status = ferry(root.path())
                        .args(["run", "--rm", "--network", mode, "toolbox", "true"])
                        .status()
                        .expect("run ferry");
                    assert!(status.success());
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, attach_netlink_only, run_bridge_vs_none);
criterion_main!(benches);
