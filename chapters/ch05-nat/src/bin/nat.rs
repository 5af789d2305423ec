//! Chapter 5, `nat`: publish a container port and let the container out, with iptables by hand.
//!
//! Usage, as root: `nat`. Inside a throw-away network namespace playing the host, it builds
//! chapter 4's bridge with one container serving TCP port 80, a second namespace playing the
//! outside world, and the seeds' NAT rules; then a client outside connects to the host's port
//! 8080 (DNAT) and the container connects out (MASQUERADE). Each end prints what it saw, then the
//! connection-tracking entries and `iptables -t nat -nvL`. Exits 0 when both connections worked.

use std::net::{Ipv4Addr, SocketAddr};

use ch04_bridge::netns::{isolate_this_thread, Netns};
use ch04_bridge::rtnl::Rtnl;
use ch05_nat::iptables::{conntrack, enable_ip_forward, iptables};
use ch05_nat::probe::{ask, serve_once};
use ch05_nat::rules::{rules, Publish};
use ch05_nat::Result;

const BRIDGE: &str = "br0";
const GATEWAY: Ipv4Addr = Ipv4Addr::new(172, 17, 0, 1);
const CONTAINER: Ipv4Addr = Ipv4Addr::new(172, 17, 0, 2);
/// The host's address towards "the outside" (TEST-NET-1, reserved for examples).
const HOST_OUTSIDE: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
const OUTSIDE: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 2);
const HOST_PORT: u16 = 8080;
const OUTSIDE_PORT: u16 = 9000;

fn main() {
    if let Err(e) = run() {
        eprintln!("nat: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    isolate_this_thread()?;
    let host = Rtnl::connect()?;
    host.set_up("lo")?;
    host.add_bridge(BRIDGE)?;
    host.add_address(BRIDGE, GATEWAY, 16)?;
    host.set_up(BRIDGE)?;
    let web = Netns::new("web")?;
    wire(
        &host,
        &web,
        "veth-web",
        BRIDGE,
        CONTAINER,
        16,
        Some(GATEWAY),
    )?;
    let outside = Netns::new("outside")?;
    host.add_veth("eth-out", "ceth-out")?;
    host.add_address("eth-out", HOST_OUTSIDE, 24)?;
    host.set_up("eth-out")?;
    wire_moved(&host, &outside, "ceth-out", OUTSIDE, 24, None)?;
    println!("host: bridge {BRIDGE} {GATEWAY}/16, container \"web\" {CONTAINER}; eth-out {HOST_OUTSIDE}/24 to \"outside\" {OUTSIDE}\n");

    // ANCHOR: apply
    let publish = Publish {
        bridge: BRIDGE.into(),
        subnet: "172.17.0.0/16".into(),
        container_ip: CONTAINER,
        container_port: 80,
        host_port: HOST_PORT,
    };
    for rule in rules(&publish) {
        println!("$ iptables {}", rule.join(" "));
        iptables(&rule)?;
    }
    println!("$ sysctl -w net.ipv4.ip_forward=1\n");
    enable_ip_forward()?;
    // ANCHOR_END: apply

    inbound(&web, &outside)?;
    outbound(&web, &outside)?;

    println!("\n$ conntrack -L    # /proc/net/nf_conntrack: original tuple, then the reply's");
    for entry in conntrack(HOST_PORT)?
        .iter()
        .chain(&conntrack(OUTSIDE_PORT)?)
    {
        println!("{entry}");
    }
    println!(
        "\n$ iptables -t nat -nvL\n{}",
        iptables(&["-t", "nat", "-nvL"].map(str::to_string))?
    );
    Ok(())
}

// ANCHOR: inbound
/// Outside → host:8080. DNAT changes the destination: the client believes it talks to the host,
/// the container sees the client's real address and its own port 80.
fn inbound(web: &Netns, outside: &Netns) -> Result<()> {
    let listen = SocketAddr::from((Ipv4Addr::UNSPECIFIED, 80));
    let target = SocketAddr::from((HOST_OUTSIDE, HOST_PORT));
    std::thread::scope(|scope| {
        let server = scope.spawn(|| web.exec(|| serve_once(listen)));
        let (client, reply) = outside.exec(|| ask(target))?;
        let seen = server
            .join()
            .map_err(|_| ch04_bridge::Error::ThreadPanicked("web".into()))??;
        println!(
            "outside: connected from {} to {}",
            client.local, client.peer
        );
        println!("web:     accepted on {} from {}", seen.local, seen.peer);
        println!("outside: the answer was {reply:?}");
        Ok(())
    })
}
// ANCHOR_END: inbound

/// Container → outside. MASQUERADE changes the source: the outside server sees the host's address.
fn outbound(web: &Netns, outside: &Netns) -> Result<()> {
    let target = SocketAddr::from((OUTSIDE, OUTSIDE_PORT));
    std::thread::scope(|scope| {
        let server = scope.spawn(|| outside.exec(|| serve_once(target)));
        let (client, _) = web.exec(|| ask(target))?;
        let seen = server
            .join()
            .map_err(|_| ch04_bridge::Error::ThreadPanicked("outside".into()))??;
        println!(
            "web:     connected from {} to {}",
            client.local, client.peer
        );
        println!("outside: accepted on {} from {}", seen.local, seen.peer);
        Ok(())
    })
}

/// Chapter 4's wiring: a veth pair with `veth` on `bridge` and its peer in `ns` as eth0.
fn wire(
    host: &Rtnl,
    ns: &Netns,
    veth: &str,
    bridge: &str,
    ip: Ipv4Addr,
    prefix: u8,
    gateway: Option<Ipv4Addr>,
) -> Result<()> {
    let peer = format!("c{veth}");
    host.add_veth(veth, &peer)?;
    host.set_master(veth, bridge)?;
    host.set_up(veth)?;
    wire_moved(host, ns, &peer, ip, prefix, gateway)
}

/// Moves `link` into `ns` as eth0 with `ip/prefix` and, if given, a default route.
fn wire_moved(
    host: &Rtnl,
    ns: &Netns,
    link: &str,
    ip: Ipv4Addr,
    prefix: u8,
    gateway: Option<Ipv4Addr>,
) -> Result<()> {
    host.move_to(link, ns)?;
    ns.exec(|| {
        let inside = Rtnl::connect()?;
        inside.rename(link, "eth0")?;
        inside.set_up("eth0")?;
        inside.set_up("lo")?;
        inside.add_address("eth0", ip, prefix)?;
        match gateway {
            Some(gateway) => inside.add_default_route(gateway),
            None => Ok(()),
        }
    })?;
    Ok(())
}
