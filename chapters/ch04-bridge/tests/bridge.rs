//! The `bridge` demo: two namespaces on one bridge reach each other, and the host is untouched.

use assert_cmd::Command;
use ferry_testkit::{require, Need};

const NEEDS: &[Need] = &[Need::Root, Need::Namespaces];

/// The interface names of the test's own network namespace (the real host's, or CI's).
fn host_links() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir("/sys/class/net")
        .expect("read /sys/class/net")
        .map(|e| {
            e.expect("a directory entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

fn run_bridge() -> String {
    let output = Command::cargo_bin("bridge")
        .expect("the bridge binary is built")
        .output()
        .expect("run bridge");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[test]
fn two_namespaces_on_one_bridge_ping_and_talk_tcp_with_their_real_addresses() {
    if !require(
        "two_namespaces_on_one_bridge_ping_and_talk_tcp_with_their_real_addresses",
        NEEDS,
    ) {
        return;
    }
    let out = run_bridge();
    assert!(
        out.contains("ns1$ ping -c1 172.17.0.3: reply from 172.17.0.3"),
        "{out}"
    );
    assert!(
        out.contains("ns2$ ping -c1 172.17.0.2: reply from 172.17.0.2"),
        "{out}"
    );
    assert!(
        out.contains("ns1$ ping -c1 172.17.0.1: reply from 172.17.0.1"),
        "{out}"
    );
    assert!(
        out.contains("172.17.0.3 heard \"hello from ns1\" from 172.17.0.2:"),
        "{out}"
    );
}

#[test]
fn brctl_lists_both_veths_and_each_eth0_pairs_with_its_host_veth() {
    if !require(
        "brctl_lists_both_veths_and_each_eth0_pairs_with_its_host_veth",
        NEEDS,
    ) {
        return;
    }
    let out = run_bridge();
    let brctl: Vec<&str> = out
        .lines()
        .skip_while(|l| *l != "$ brctl show")
        .take(4)
        .collect();
    assert!(
        brctl[2].starts_with("br0\t\t8000.") && brctl[2].ends_with("veth1"),
        "{brctl:?}"
    );
    assert_eq!(brctl[3].trim(), "veth2", "{brctl:?}");
    for ns in ["ns1", "ns2"] {
        let line = out
            .lines()
            .find(|l| l.starts_with(&format!("{ns}: eth0 ifindex")))
            .expect("a pairing line");
        assert!(line.ends_with(": paired"), "{line}");
        // "nsN: eth0 ifindex A iflink B <-> host vethN ifindex B iflink A"
        let words: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(
            (words[3], words[5]),
            (words[12].trim_end_matches(':'), words[10]),
            "{line}"
        );
    }
    assert!(
        out.contains("inet 172.17.0.2/16 scope global eth0"),
        "{out}"
    );
}

#[test]
fn the_demo_leaves_the_hosts_interfaces_as_they_were() {
    if !require("the_demo_leaves_the_hosts_interfaces_as_they_were", NEEDS) {
        return;
    }
    let before = host_links();
    run_bridge();
    // Other programs (a container engine) may add links meanwhile; none may be the demo's.
    let new: Vec<String> = host_links()
        .into_iter()
        .filter(|l| !before.contains(l))
        .collect();
    let demo = ["br0", "veth1", "veth2", "cveth1", "cveth2"];
    assert!(
        !new.iter().any(|l| demo.contains(&l.as_str())),
        "the demo's links reached the host: {new:?}"
    );
}
