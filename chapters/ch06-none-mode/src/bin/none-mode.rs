//! Chapter 6, `none-mode`: wire a `--network none` container to the bridge by hand.
//!
//! Usage, as root, with `ferry` built (`cargo build -p ferry`, or `FERRY_BIN=/path/to/ferry`):
//! `none-mode`. Inside a throw-away network namespace playing the host, it starts `web` on ferry's
//! default bridge and `network-none` with `--network none`, runs the seeds' script against the
//! second one's PID, and fetches web's page from it. Exits 0 when the page arrived.

use std::net::Ipv4Addr;

use ch04_bridge::netns::{isolate_this_thread, Netns};
use ch04_bridge::rtnl::Rtnl;
use ch06_none_mode::ferry::Ferry;
use ch06_none_mode::{Error, Result};

/// ferry's default bridge and its address (the containers' gateway).
const BRIDGE: &str = "ferry0";
const GATEWAY: Ipv4Addr = Ipv4Addr::new(10, 77, 0, 1);
/// The address picked by hand, as the seeds pick 172.17.0.100 (far from what ferry hands out).
const MANUAL_IP: Ipv4Addr = Ipv4Addr::new(10, 77, 0, 100);

fn main() {
    if let Err(e) = run() {
        eprintln!("none-mode: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    isolate_this_thread()?;
    let host = Rtnl::connect()?;
    host.set_up("lo")?;
    let root =
        tempfile::tempdir().map_err(ch04_bridge::Error::io("create a state root", "/tmp"))?;
    let ferry = Ferry::find(root.path());
    let result = demo(&host, &ferry);
    // Remove the hand-wired container first: its namespace takes B, and so A, with it.
    let _ = ferry.run(&["rm", "-f", "network-none", "web"]);
    result
}

fn demo(host: &Rtnl, ferry: &Ferry) -> Result<()> {
    let serve =
        "mkdir -p /srv && echo hello from web > /srv/index.html && exec httpd -f -p 80 -h /srv";
    println!("$ ferry run -d --name web toolbox sh -c '…httpd -p 80…'");
    ferry.run(&["run", "-d", "--name", "web", "toolbox", "sh", "-c", serve])?;
    let web_ip = ferry.run(&["inspect", "-f", "{{.NetworkSettings.IPAddress}}", "web"])?;
    println!("web is on {BRIDGE} at {web_ip}\n");

    println!("$ ferry run -d --name network-none --network none toolbox sleep 300");
    ferry.run(&[
        "run",
        "-d",
        "--name",
        "network-none",
        "--network",
        "none",
        "toolbox",
        "sleep",
        "300",
    ])?;
    println!(
        "$ ferry exec network-none ip addr\n{}\n",
        ferry.run(&["exec", "network-none", "ip", "addr"])?
    );

    // ANCHOR: pid
    println!("$ PID=$(ferry inspect -f '{{{{.State.Pid}}}}' network-none)");
    let pid_text = ferry.run(&["inspect", "-f", "{{.State.Pid}}", "network-none"])?;
    let pid: i32 = pid_text.parse().map_err(|_| Error::Ferry {
        args: "inspect".into(),
        message: format!("not a PID: {pid_text:?}"),
    })?;
    // `ip netns` needs a name under /var/run/netns; we simply hold the namespace file open.
    println!("$ ln -s /proc/$PID/ns/net /var/run/netns/$PID      # PID={pid}");
    let netns = Netns::of_process(pid, &pid.to_string())?;
    // ANCHOR_END: pid
    wire(host, &netns)?;

    println!(
        "\n$ ferry exec network-none ip addr\n{}",
        ferry.run(&["exec", "network-none", "ip", "addr"])?
    );
    println!(
        "$ ferry exec network-none ip route\n{}",
        ferry.run(&["exec", "network-none", "ip", "route"])?
    );
    let url = format!("http://{web_ip}/index.html");
    println!("\n$ ferry exec network-none wget -qO- {url}");
    println!(
        "{}",
        ferry.run(&["exec", "network-none", "wget", "-qO-", &url])?
    );
    Ok(())
}

// ANCHOR: wire
/// The seeds' script, line by line.
fn wire(host: &Rtnl, netns: &Netns) -> Result<()> {
    let pid = netns.name();
    println!("$ ip link add A type veth peer name B");
    host.add_veth("A", "B")?;
    println!("$ brctl addif {BRIDGE} A; ip link set A up");
    host.set_master("A", BRIDGE)?;
    host.set_up("A")?;
    println!("$ ip link set B netns {pid}");
    host.move_to("B", netns)?;
    println!("$ ip netns exec {pid} ip link set dev B name eth0; ip netns exec {pid} ip link set eth0 up");
    println!("$ ip netns exec {pid} ip addr add {MANUAL_IP}/16 dev eth0");
    println!("$ ip netns exec {pid} ip route add default via {GATEWAY}");
    netns.exec(|| {
        let inside = Rtnl::connect()?;
        inside.rename("B", "eth0")?;
        inside.set_up("eth0")?;
        inside.add_address("eth0", MANUAL_IP, 16)?;
        inside.add_default_route(GATEWAY)
    })?;
    Ok(())
}
// ANCHOR_END: wire
