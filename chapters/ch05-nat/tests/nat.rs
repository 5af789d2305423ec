//! The `nat` demo: DNAT publishes the container's port, MASQUERADE lets it out, and the kernel's
//! connection table records both translations.

use assert_cmd::Command;
use ferry_testkit::{require, Need};

const NEEDS: &[Need] = &[Need::Root, Need::Namespaces];

fn run_nat() -> String {
    let output = Command::cargo_bin("nat")
        .expect("the nat binary is built")
        .output()
        .expect("run nat");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[test]
fn a_connection_to_the_host_port_reaches_the_container_with_the_clients_real_address() {
    if !require(
        "a_connection_to_the_host_port_reaches_the_container_with_the_clients_real_address",
        NEEDS,
    ) {
        return;
    }
    let out = run_nat();
    assert!(out.contains("outside: connected from 192.0.2.2:"), "{out}");
    assert!(
        out.contains(" to 192.0.2.1:8080\n"),
        "the client dialled the host: {out}"
    );
    assert!(
        out.contains("web:     accepted on 172.17.0.2:80 from 192.0.2.2:"),
        "DNAT rewrote only the destination: {out}"
    );
    let entry = out
        .lines()
        .find(|l| l.contains("dport=8080 "))
        .expect("a conntrack entry for port 8080");
    assert!(
        entry.contains("src=192.0.2.2 dst=192.0.2.1")
            && entry.contains("src=172.17.0.2 dst=192.0.2.2 sport=80"),
        "{entry}"
    );
}

#[test]
fn the_container_goes_out_with_the_hosts_address() {
    if !require("the_container_goes_out_with_the_hosts_address", NEEDS) {
        return;
    }
    let out = run_nat();
    assert!(out.contains("web:     connected from 172.17.0.2:"), "{out}");
    assert!(
        out.contains("outside: accepted on 192.0.2.2:9000 from 192.0.2.1:"),
        "MASQUERADE rewrote the source: {out}"
    );
    let entry = out
        .lines()
        .find(|l| l.contains("dport=9000 "))
        .expect("a conntrack entry for port 9000");
    assert!(
        entry.contains("src=172.17.0.2 dst=192.0.2.2")
            && entry.contains("src=192.0.2.2 dst=192.0.2.1 sport=9000"),
        "{entry}"
    );
}

#[test]
fn the_nat_listing_reads_like_the_seeds_and_counts_the_translated_packets() {
    if !require(
        "the_nat_listing_reads_like_the_seeds_and_counts_the_translated_packets",
        NEEDS,
    ) {
        return;
    }
    let out = run_nat();
    let listing = out
        .split("$ iptables -t nat -nvL\n")
        .nth(1)
        .expect("a listing");
    let dnat = listing
        .lines()
        .find(|l| l.contains("DNAT"))
        .expect("a DNAT rule");
    assert!(dnat.ends_with("tcp dpt:8080 to:172.17.0.2:80"), "{dnat}");
    let packets: u64 = dnat
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .expect("a packet count");
    assert!(packets > 0, "{dnat}");
    assert!(
        listing.contains("ADDRTYPE match dst-type LOCAL"),
        "{listing}"
    );
    let masquerade = listing
        .lines()
        .find(|l| l.contains("MASQUERADE") && l.contains("172.17.0.0/16"))
        .expect("MASQUERADE");
    assert!(masquerade.contains("!br0"), "{masquerade}");
}

#[test]
fn the_demo_adds_no_rule_to_the_hosts_own_tables() {
    if !require("the_demo_adds_no_rule_to_the_hosts_own_tables", NEEDS) {
        return;
    }
    let rules = || {
        let out = std::process::Command::new("iptables")
            .args(["-w", "-t", "nat", "-S"])
            .output()
            .expect("run iptables");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_string)
            .collect::<Vec<String>>()
    };
    let before = rules();
    run_nat();
    // Other programs (a container engine) may add rules meanwhile; none may be the demo's.
    let new: Vec<String> = rules()
        .into_iter()
        .filter(|r| !before.contains(r))
        .collect();
    assert!(
        !new.iter().any(|r| r.contains("FERRY") || r.contains("br0")),
        "the demo's rules reached the host: {new:?}"
    );
}
