//! Chapter 4, `bridge`: two "containers" on one bridge, wired with netlink as Docker wires docker0.
//!
//! Usage, as root: `bridge`. It works inside a throw-away network namespace playing the host, so
//! the machine's own network is never changed, and prints each step as the `ip` command it
//! replaces, then `brctl show`, `ip a` on both sides, and a ping and a TCP exchange between the
//! two namespaces. Exits 0 when both worked.

use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use ch04_bridge::netns::{isolate_this_thread, Netns};
use ch04_bridge::rtnl::Rtnl;
use ch04_bridge::show::{brctl_show, ip_addr};
use ch04_bridge::{ping, Error, Result};

const BRIDGE: &str = "br0";
const GATEWAY: Ipv4Addr = Ipv4Addr::new(172, 17, 0, 1);
const PREFIX: u8 = 16;
const PORT: u16 = 80;

/// One "container": its namespace, the host end of its veth pair, its address.
struct Container {
    ns: Netns,
    veth: String,
    ip: Ipv4Addr,
}

fn main() {
    if let Err(e) = run() {
        eprintln!("bridge: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    isolate_this_thread()?;
    let host = Rtnl::connect()?;
    host.set_up("lo")?;
    // ANCHOR: create_bridge
    println!("$ ip link add {BRIDGE} type bridge; ip addr add {GATEWAY}/{PREFIX} dev {BRIDGE}; ip link set {BRIDGE} up");
    host.add_bridge(BRIDGE)?;
    host.add_address(BRIDGE, GATEWAY, PREFIX)?;
    host.set_up(BRIDGE)?;
    // ANCHOR_END: create_bridge
    let c1 = plug(&host, "ns1", "veth1", Ipv4Addr::new(172, 17, 0, 2))?;
    let c2 = plug(&host, "ns2", "veth2", Ipv4Addr::new(172, 17, 0, 3))?;

    println!("\n$ brctl show\n{}", brctl_show(&host.links()?));
    println!("$ ip a    # on the host\n{}", ip_addr(&host.links()?));
    for c in [&c1, &c2] {
        show_inside(&host, c)?;
    }

    for (from, to) in [(&c1, c2.ip), (&c2, c1.ip), (&c1, GATEWAY)] {
        let rtt = from.ns.exec(|| ping::ping(to, 1, Duration::from_secs(2)))?;
        println!(
            "{}$ ping -c1 {to}: reply from {to} in {:.3} ms",
            from.ns.name(),
            rtt.as_secs_f64() * 1000.0
        );
    }
    tcp_exchange(&c1, &c2)
}

// ANCHOR: plug
/// The seeds' none-mode script for one container: a veth pair, one end on the bridge, the other
/// moved into the namespace, renamed eth0, addressed, with a default route via the bridge.
fn plug(host: &Rtnl, name: &str, veth: &str, ip: Ipv4Addr) -> Result<Container> {
    let ns = Netns::new(name)?;
    let peer = format!("c{veth}");
    println!("\n$ ip netns add {name}");
    println!("$ ip link add {veth} type veth peer name {peer}");
    host.add_veth(veth, &peer)?;
    println!("$ ip link set {veth} master {BRIDGE}; ip link set {veth} up     # brctl addif {BRIDGE} {veth}");
    host.set_master(veth, BRIDGE)?;
    host.set_up(veth)?;
    println!("$ ip link set {peer} netns {name}");
    host.move_to(&peer, &ns)?;
    println!("$ ip netns exec {name} ip link set dev {peer} name eth0; … eth0 up; … lo up");
    println!("$ ip netns exec {name} ip addr add {ip}/{PREFIX} dev eth0");
    println!("$ ip netns exec {name} ip route add default via {GATEWAY}");
    ns.exec(|| {
        let inside = Rtnl::connect()?;
        inside.rename(&peer, "eth0")?;
        inside.set_up("eth0")?;
        inside.set_up("lo")?;
        inside.add_address("eth0", ip, PREFIX)?;
        inside.add_default_route(GATEWAY)
    })?;
    Ok(Container {
        ns,
        veth: veth.to_string(),
        ip,
    })
}
// ANCHOR_END: plug

// ANCHOR: pairing
/// `ip a` inside the namespace, and the seeds' check that pairs the two ends: eth0's `iflink` is
/// the host veth's ifindex, and the host veth's `@ifN` is eth0's ifindex.
fn show_inside(host: &Rtnl, c: &Container) -> Result<()> {
    let links = c.ns.exec(|| Rtnl::connect()?.links())?;
    println!("$ ip netns exec {} ip a\n{}", c.ns.name(), ip_addr(&links));
    let eth0 = links
        .iter()
        .find(|l| l.name == "eth0")
        .ok_or_else(|| missing("eth0", c.ns.name()))?;
    let host_links = host.links()?;
    let veth = host_links
        .iter()
        .find(|l| l.name == c.veth)
        .ok_or_else(|| missing(&c.veth, "the host"))?;
    let paired = eth0.peer == Some(veth.index) && veth.peer == Some(eth0.index);
    println!(
        "{}: eth0 ifindex {} iflink {} <-> host {} ifindex {} iflink {}: {}\n",
        c.ns.name(),
        eth0.index,
        eth0.peer.unwrap_or(0),
        veth.name,
        veth.index,
        veth.peer.unwrap_or(0),
        if paired { "paired" } else { "NOT paired" }
    );
    Ok(())
}
// ANCHOR_END: pairing

fn missing(name: &str, place: &str) -> Error {
    Error::Netlink {
        op: format!("find {name} in {place}"),
        message: "no such device".into(),
    }
}

/// A TCP server in the second namespace answers one line from the first; each side prints the
/// address it sees for the other (no NAT on a bridge: the real container addresses).
fn tcp_exchange(client: &Container, server: &Container) -> Result<()> {
    let server_ip = server.ip;
    std::thread::scope(|scope| {
        let serving = scope.spawn(|| server.ns.exec(|| serve_one_line(server_ip)));
        let reply = client.ns.exec(|| ask(server_ip, "hello from ns1"));
        let seen = serving
            .join()
            .map_err(|_| Error::ThreadPanicked(server.ns.name().into()))??;
        println!("{}$ nc -l {PORT}: connection from {seen}", server.ns.name());
        println!(
            "{}$ echo hello from ns1 | nc {server_ip} {PORT}: {}",
            client.ns.name(),
            reply?
        );
        Ok(())
    })
}

fn serve_one_line(ip: Ipv4Addr) -> Result<String> {
    let listener =
        TcpListener::bind((ip, PORT)).map_err(Error::io("listen on", format!("{ip}:{PORT}")))?;
    let (mut stream, peer) = listener
        .accept()
        .map_err(Error::io("accept on", format!("{ip}:{PORT}")))?;
    let mut line = String::new();
    BufReader::new(&stream)
        .read_line(&mut line)
        .map_err(Error::io("read from", peer.to_string()))?;
    writeln!(stream, "{} heard {:?} from {peer}", ip, line.trim())
        .map_err(Error::io("write to", peer.to_string()))?;
    Ok(peer.to_string())
}

fn ask(ip: Ipv4Addr, line: &str) -> Result<String> {
    let start = Instant::now();
    let mut stream = loop {
        match TcpStream::connect((ip, PORT)) {
            Ok(stream) => break stream,
            Err(_) if start.elapsed() < Duration::from_secs(3) => {
                std::thread::sleep(Duration::from_millis(20))
            }
            Err(e) => return Err(Error::io("connect to", format!("{ip}:{PORT}"))(e)),
        }
    };
    writeln!(stream, "{line}").map_err(Error::io("write to", ip.to_string()))?;
    let mut reply = String::new();
    BufReader::new(&stream)
        .read_line(&mut reply)
        .map_err(Error::io("read from", ip.to_string()))?;
    Ok(reply.trim().to_string())
}
