//! Container networking through the real binary: bridge, published ports, MASQUERADE, modes,
//! user-defined networks, clean-up and refusals.
//!
//! Each test first moves its own thread into a new network namespace ([`Host::new`]) that plays
//! "the host": every `ferry` it starts inherits it, so the bridges, veths and iptables rules a test
//! makes vanish with it and the machine's own network is never touched (one test checks that).

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command as StdCommand, Output};
use std::time::{Duration, Instant};

use assert_cmd::Command;
use ferry::network::netlink::Netlink;
use ferry::network::{settings, NetworkSettings};
use ferry_testkit::{require, state_root, Need};
use nix::sched::{setns, unshare, CloneFlags};

const NEEDS: &[Need] = &[Need::Root, Need::Namespaces, Need::Overlay, Need::Cgroups];

/// A throw-away network namespace standing in for the host, with a ferry state root of its own.
struct Host {
    root: tempfile::TempDir,
}

impl Host {
    /// Isolates the calling test thread (and every process it starts) in a new network namespace
    /// with `lo` up; `None` when the machine cannot run the test (it is then skipped).
    fn new(test: &str) -> Option<Host> {
        if !require(test, NEEDS) {
            return None;
        }
        unshare(CloneFlags::CLONE_NEWNET).expect("unshare(CLONE_NEWNET) for the test's host");
        let netlink = Netlink::current().expect("netlink in the test's host");
        let lo = netlink.require_link("lo").expect("lo");
        netlink.set_up(lo.index, "lo").expect("bring lo up");
        Some(Host { root: state_root() })
    }

    fn ferry(&self) -> Command {
        let mut cmd = Command::cargo_bin("ferry").expect("the ferry binary is built");
        cmd.arg("--root")
            .arg(self.root.path())
            .env_remove("FERRY_ROOT")
            .env_remove("FERRY_BRIDGE_SUBNET");
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.ferry().args(args).output().expect("ferry runs")
    }

    /// Runs ferry and returns its stdout, failing the test if it failed.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "ferry {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `ferry run -d ARGS…` and returns the container's full id.
    fn detached(&self, args: &[&str]) -> String {
        let id = self.ok(&[&["run", "-d"], args].concat());
        id.trim().to_string()
    }

    /// A running web server container serving `body` at `/index.html`.
    fn web(&self, extra: &[&str], body: &str) -> String {
        let script = format!(
            "mkdir -p /srv && echo {body} > /srv/index.html && exec httpd -f -p 80 -h /srv"
        );
        let id = self.detached(&[extra, &["toolbox", "sh", "-c", &script]].concat());
        wait_for_port(
            self.settings(&id).networks.first().map(|a| a.ip_address),
            80,
        );
        id
    }

    fn container_dir(&self, id: &str) -> PathBuf {
        self.root.path().join("containers").join(id)
    }

    fn settings(&self, id: &str) -> NetworkSettings {
        settings(&self.container_dir(id)).expect("network.json reads")
    }

    fn ip_of(&self, id: &str) -> Ipv4Addr {
        self.settings(id)
            .networks
            .first()
            .expect("attached to a network")
            .ip_address
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        let ids = self.run(&["ps", "-aq", "--no-trunc"]);
        for id in String::from_utf8_lossy(&ids.stdout).split_whitespace() {
            let _ = self.run(&["rm", "-f", id]);
        }
    }
}

/// Waits until something accepts TCP connections on `ip:port` (the server in a container starts
/// a moment after `run -d` returns).
fn wait_for_port(ip: Option<Ipv4Addr>, port: u16) {
    let Some(ip) = ip else { return };
    let start = Instant::now();
    while TcpStream::connect_timeout(&SocketAddr::from((ip, port)), Duration::from_millis(200))
        .is_err()
    {
        assert!(
            start.elapsed() < ferry_testkit::patience(Duration::from_secs(10)),
            "nothing listens on {ip}:{port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A plain HTTP/1.0 GET from the test's host; returns the body.
fn http_get(addr: SocketAddr) -> String {
    let mut stream =
        TcpStream::connect_timeout(&addr, ferry_testkit::patience(Duration::from_secs(5)))
            .unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    stream
        .set_read_timeout(Some(ferry_testkit::patience(Duration::from_secs(5))))
        .expect("set a read timeout");
    stream
        .write_all(b"GET /index.html HTTP/1.0\r\n\r\n")
        .expect("send the request");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .expect("read the response");
    assert!(response.starts_with("HTTP/1.0 200"), "{response}");
    response
        .split("\r\n\r\n")
        .nth(1)
        .unwrap_or_default()
        .to_string()
}

fn links() -> Vec<String> {
    Netlink::current()
        .expect("netlink")
        .links()
        .expect("list links")
        .into_iter()
        .map(|l| l.name)
        .collect()
}

fn iptables(args: &[&str]) -> String {
    let out = StdCommand::new("iptables")
        .arg("-w")
        .args(args)
        .output()
        .expect("run iptables");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn containers_on_the_default_bridge_reach_each_other_and_the_host_reaches_them() {
    let Some(host) =
        Host::new("containers_on_the_default_bridge_reach_each_other_and_the_host_reaches_them")
    else {
        return;
    };
    let web = host.web(&["--name", "web"], "hello-from-web");
    let ip = host.ip_of(&web);
    assert!(
        "10.77.0.0/16"
            .parse::<ferry::network::Subnet>()
            .unwrap()
            .contains(ip),
        "{ip}"
    );
    let url = format!("http://{ip}/index.html");
    assert_eq!(
        host.ok(&["run", "--rm", "toolbox", "wget", "-qO-", &url]),
        "hello-from-web\n"
    );
    assert_eq!(http_get(SocketAddr::from((ip, 80))), "hello-from-web\n");
    let veths: Vec<String> = links()
        .into_iter()
        .filter(|l| l.starts_with("veth"))
        .collect();
    assert_eq!(
        veths,
        [host.settings(&web).networks[0].host_veth.clone()],
        "one veth, named after the container"
    );
}

#[test]
fn a_link_names_the_linked_container_in_etc_hosts_and_needs_it_running() {
    let Some(host) =
        Host::new("a_link_names_the_linked_container_in_etc_hosts_and_needs_it_running")
    else {
        return;
    };
    let web = host.web(&["--name", "web"], "hello-through-a-link");
    let hosts = host.ok(&[
        "run",
        "--rm",
        "--link",
        "web:site",
        "toolbox",
        "cat",
        "/etc/hosts",
    ]);
    let line = format!("{}\tsite {} web", host.ip_of(&web), &web[..12]);
    assert!(hosts.lines().any(|l| l == line), "{line:?} not in {hosts}");
    assert_eq!(
        host.ok(&[
            "run",
            "--rm",
            "--link",
            "web:site",
            "toolbox",
            "wget",
            "-qO-",
            "http://site/index.html"
        ]),
        "hello-through-a-link\n"
    );
    let unlinked = host.run(&[
        "run",
        "--rm",
        "toolbox",
        "wget",
        "-qO-",
        "http://web/index.html",
    ]);
    assert!(
        !unlinked.status.success(),
        "the default bridge resolves no names without a link"
    );

    refused(
        &host,
        &["run", "--rm", "--link", "nope:db", "toolbox", "true"],
        "could not get container for nope",
    );
    refused(
        &host,
        &[
            "run",
            "--rm",
            "--network",
            "none",
            "--link",
            "web:db",
            "toolbox",
            "true",
        ],
        "conflicting options: --link and --network none",
    );
    host.ok(&["create", "--name", "idle", "toolbox", "true"]);
    refused(
        &host,
        &["run", "--rm", "--link", "idle:db", "toolbox", "true"],
        "cannot link to a non running container: /idle AS /",
    );
}

#[test]
fn the_container_gets_eth0_a_default_route_and_its_etc_files() {
    let Some(host) = Host::new("the_container_gets_eth0_a_default_route_and_its_etc_files") else {
        return;
    };
    let out = host.ok(&[
        "run",
        "--rm",
        "--hostname",
        "box",
        "toolbox",
        "sh",
        "-c",
        "ip route; cat /etc/hostname /etc/hosts; ls /sys/class/net",
    ]);
    assert!(out.contains("default via 10.77.0.1 dev eth0"), "{out}");
    assert!(out.contains("box\n127.0.0.1\tlocalhost\n"), "{out}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("10.77.0.") && l.ends_with("\tbox")),
        "{out}"
    );
    assert!(out.ends_with("eth0\nlo\n"), "{out}");
}

#[test]
fn a_published_port_reaches_httpd_on_the_host_port_through_a_dnat_rule() {
    let Some(host) =
        Host::new("a_published_port_reaches_httpd_on_the_host_port_through_a_dnat_rule")
    else {
        return;
    };
    let web = host.web(&["--name", "web", "-p", "8080:80"], "published");
    let ip = host.ip_of(&web);
    assert_eq!(
        http_get(SocketAddr::from((Ipv4Addr::LOCALHOST, 8080))),
        "published\n"
    );
    assert_eq!(
        http_get(SocketAddr::from((Ipv4Addr::new(10, 77, 0, 1), 8080))),
        "published\n"
    );
    let rules = iptables(&["-t", "nat", "-S", "FERRY"]);
    assert!(
        rules.contains(&format!(
            "-A FERRY -p tcp -m tcp --dport 8080 -j DNAT --to-destination {ip}:80"
        )),
        "{rules}"
    );
    assert_eq!(host.ok(&["port", "web"]), "80/tcp -> 0.0.0.0:8080\n");
    assert_eq!(host.ok(&["port", "web", "80"]), "0.0.0.0:8080\n");
    assert!(host.ok(&["ps"]).contains("0.0.0.0:8080->80/tcp"));
}

#[test]
fn a_container_reaches_its_own_published_port_through_the_host_hairpin() {
    let Some(host) =
        Host::new("a_container_reaches_its_own_published_port_through_the_host_hairpin")
    else {
        return;
    };
    host.web(&["--name", "web", "-p", "8080:80"], "hairpin");
    assert_eq!(
        host.ok(&[
            "exec",
            "web",
            "wget",
            "-qO-",
            "http://10.77.0.1:8080/index.html"
        ]),
        "hairpin\n"
    );
}

#[test]
fn random_and_publish_all_ports_get_free_host_ports() {
    let Some(host) = Host::new("random_and_publish_all_ports_get_free_host_ports") else {
        return;
    };
    host.web(
        &["--name", "web", "-p", "80", "--expose", "81", "-P"],
        "random",
    );
    let lines = host.ok(&["port", "web"]);
    let mut ports: Vec<u16> = Vec::new();
    for (line, container_port) in lines.lines().zip(["80/tcp", "81/tcp"]) {
        let (ctr, hostside) = line.split_once(" -> ").expect("CTR -> HOST");
        assert_eq!(ctr, container_port, "{lines}");
        ports.push(
            hostside
                .rsplit(':')
                .next()
                .and_then(|p| p.parse().ok())
                .expect("a host port"),
        );
    }
    assert_eq!(ports.len(), 2, "{lines}");
    assert_eq!(
        http_get(SocketAddr::from((Ipv4Addr::LOCALHOST, ports[0]))),
        "random\n"
    );
}

#[test]
fn containers_reach_an_outside_address_with_the_hosts_address_through_masquerade() {
    let Some(host) =
        Host::new("containers_reach_an_outside_address_with_the_hosts_address_through_masquerade")
    else {
        return;
    };
    // "The internet": another namespace behind a veth pair, 192.0.2.2 (TEST-NET-1) seen from
    // the host's 192.0.2.1. It has no route to the containers' subnet: only NAT can answer.
    let mut outside = StdCommand::new("unshare")
        .args(["--net", "sleep", "60"])
        .spawn()
        .expect("start the outside namespace");
    let outside_pid = outside.id() as i32;
    std::thread::sleep(Duration::from_millis(100));
    let netlink = Netlink::current().expect("netlink");
    netlink
        .create_veth("eth-out", "eth-in")
        .expect("veth to the outside");
    let out = netlink.require_link("eth-out").expect("eth-out");
    netlink
        .add_address(out.index, Ipv4Addr::new(192, 0, 2, 1), 24)
        .expect("host address");
    netlink.set_up(out.index, "eth-out").expect("up");
    let inside = netlink.require_link("eth-in").expect("eth-in");
    netlink
        .move_to_netns_of(inside.index, outside_pid, "eth-in")
        .expect("move");
    let there = Netlink::in_netns_of(outside_pid).expect("netlink outside");
    let eth = there.require_link("eth-in").expect("eth-in outside");
    there
        .add_address(eth.index, Ipv4Addr::new(192, 0, 2, 2), 24)
        .expect("outside address");
    there.set_up(eth.index, "eth-in").expect("up");
    // A one-shot HTTP server there that answers with the address it saw.
    let netns = std::fs::File::open(format!("/proc/{outside_pid}/ns/net")).expect("outside netns");
    let server = std::thread::spawn(move || {
        setns(&netns, CloneFlags::CLONE_NEWNET).expect("join the outside");
        let listener = TcpListener::bind("192.0.2.2:9000").expect("listen outside");
        let (mut stream, peer) = listener.accept().expect("accept");
        let mut request = [0u8; 1024];
        let _ = stream.read(&mut request);
        let _ = write!(stream, "HTTP/1.0 200 OK\r\n\r\nseen {}\n", peer.ip());
    });
    let answer = host.ok(&[
        "run",
        "--rm",
        "toolbox",
        "wget",
        "-qO-",
        "http://192.0.2.2:9000/",
    ]);
    server.join().expect("the outside server");
    let _ = outside.kill();
    let _ = outside.wait();
    assert_eq!(
        answer, "seen 192.0.2.1\n",
        "the outside saw the host's address, not the container's"
    );
}

#[test]
fn container_mode_shares_the_network_stack_and_host_mode_uses_the_hosts() {
    let Some(host) =
        Host::new("container_mode_shares_the_network_stack_and_host_mode_uses_the_hosts")
    else {
        return;
    };
    host.web(&["--name", "web"], "shared");
    let via_localhost = host.ok(&[
        "run",
        "--rm",
        "--network",
        "container:web",
        "toolbox",
        "wget",
        "-qO-",
        "127.0.0.1:80/index.html",
    ]);
    assert_eq!(via_localhost, "shared\n");
    let host_links = host.ok(&[
        "run",
        "--rm",
        "--network",
        "host",
        "toolbox",
        "ls",
        "/sys/class/net",
    ]);
    assert!(
        host_links.contains("ferry0"),
        "the host's own links: {host_links}"
    );
    let listener = TcpListener::bind("127.0.0.1:0").expect("a listener on the host");
    let port = listener.local_addr().expect("its port").port().to_string();
    let script = format!("echo hi | nc 127.0.0.1 {port}");
    let said = std::thread::scope(|scope| {
        let talker = scope.spawn(|| {
            host.run(&[
                "run",
                "--rm",
                "--network",
                "host",
                "toolbox",
                "sh",
                "-c",
                &script,
            ])
        });
        let (mut conn, _) = listener
            .accept()
            .expect("the host-mode container connects to the host's localhost");
        let mut said = String::new();
        conn.read_to_string(&mut said).expect("read");
        drop(conn); // nc exits once its peer closes
        let talker = talker.join().expect("the talker thread");
        assert!(talker.status.success(), "{}", stderr(&talker));
        said
    });
    assert_eq!(said, "hi\n");
}

#[test]
fn none_mode_has_only_lo_and_creates_nothing_on_the_host() {
    let Some(host) = Host::new("none_mode_has_only_lo_and_creates_nothing_on_the_host") else {
        return;
    };
    assert_eq!(
        host.ok(&[
            "run",
            "--rm",
            "--network",
            "none",
            "toolbox",
            "ls",
            "/sys/class/net"
        ]),
        "lo\n"
    );
    assert_eq!(links(), ["lo"]);
    assert_eq!(
        iptables(&["-t", "nat", "-S"])
            .lines()
            .filter(|l| l.contains("FERRY"))
            .count(),
        0
    );
}

#[test]
fn rm_f_leaves_no_veth_rule_address_or_port_behind() {
    let Some(host) = Host::new("rm_f_leaves_no_veth_rule_address_or_port_behind") else {
        return;
    };
    host.web(
        &[
            "--name",
            "web",
            "-p",
            "8080:80",
            "-p",
            "127.0.0.1:5353:53/udp",
        ],
        "bye",
    );
    assert!(links().iter().any(|l| l.starts_with("veth")));
    host.ok(&["rm", "-f", "web"]);
    assert_eq!(
        links(),
        ["lo"],
        "the veth pair and the idle default bridge are gone"
    );
    let rules = format!("{}{}", iptables(&["-t", "nat", "-S"]), iptables(&["-S"]));
    assert!(
        !rules.contains("FERRY") && !rules.contains("10.77."),
        "{rules}"
    );
    let networks = host.root.path().join("networks");
    assert_eq!(
        std::fs::read_dir(networks.join("bridge/leases"))
            .expect("leases")
            .count(),
        0
    );
    assert_eq!(
        std::fs::read_dir(networks.join("ports"))
            .expect("ports")
            .count(),
        0
    );
    // The same host port can be published again at once.
    host.web(&["--name", "again", "-p", "8080:80"], "again");
}

#[test]
fn twenty_parallel_runs_get_twenty_distinct_addresses() {
    let Some(host) = Host::new("twenty_parallel_runs_get_twenty_distinct_addresses") else {
        return;
    };
    host.ok(&["run", "--rm", "toolbox", "true"]); // install the toolbox image once, outside the race
    let ids: Vec<String> = std::thread::scope(|scope| {
        let runs: Vec<_> = (0..20)
            .map(|_| {
                scope.spawn(|| {
                    host.ferry()
                        .args(["run", "-d", "toolbox", "sleep", "60"])
                        .output()
                })
            })
            .collect();
        runs.into_iter()
            .map(|r| {
                let out = r.join().expect("a run thread").expect("ferry runs");
                assert!(out.status.success(), "{}", stderr(&out));
                String::from_utf8_lossy(&out.stdout).trim().to_string()
            })
            .collect()
    });
    let mut ips: Vec<Ipv4Addr> = ids.iter().map(|id| host.ip_of(id)).collect();
    ips.sort();
    ips.dedup();
    assert_eq!(ips.len(), 20, "{ips:?}");
    assert_eq!(links().iter().filter(|l| l.starts_with("veth")).count(), 20);
}

#[test]
fn user_defined_networks_are_created_listed_inspected_connected_and_removed() {
    let Some(host) =
        Host::new("user_defined_networks_are_created_listed_inspected_connected_and_removed")
    else {
        return;
    };
    let id = host.ok(&["network", "create", "--subnet", "10.99.7.0/24", "backend"]);
    assert_eq!(id.trim().len(), 64);
    assert!(host
        .ok(&["network", "ls"])
        .lines()
        .any(|l| l.contains(" backend ") && l.contains("bridge")));
    let inspect: serde_json::Value =
        serde_json::from_str(&host.ok(&["network", "inspect", "backend"])).expect("JSON");
    assert_eq!(inspect[0]["IPAM"]["Config"][0]["Subnet"], "10.99.7.0/24");
    let bridge = inspect[0]["Options"]["com.docker.network.bridge.name"]
        .as_str()
        .expect("a bridge name")
        .to_string();
    assert!(links().contains(&bridge));

    let db = host.web(&["--name", "db", "--network", "backend"], "by-name");
    let db_ip = host.ip_of(&db);
    assert_eq!(db_ip.octets()[..3], [10, 99, 7], "{db_ip}");
    let by_name = host.ok(&[
        "run",
        "--rm",
        "--network",
        "backend",
        "toolbox",
        "wget",
        "-qO-",
        "http://db/index.html",
    ]);
    assert_eq!(
        by_name, "by-name\n",
        "containers on a user-defined network resolve each other's names"
    );

    let client = host.detached(&["--name", "client", "toolbox", "sleep", "60"]);
    host.ok(&["network", "connect", "backend", "client"]);
    assert_eq!(host.settings(&client).networks.len(), 2);
    let url = format!("http://{db_ip}/index.html");
    assert_eq!(
        host.ok(&["exec", "client", "wget", "-qO-", &url]),
        "by-name\n"
    );
    host.ok(&["network", "disconnect", "backend", "client"]);
    assert_eq!(
        host.ok(&["exec", "client", "ls", "/sys/class/net"]),
        "eth0\nlo\n"
    );

    let busy = host.run(&["network", "rm", "backend"]);
    assert!(
        !busy.status.success() && stderr(&busy).contains("has active endpoints"),
        "{}",
        stderr(&busy)
    );
    host.ok(&["rm", "-f", "db"]);
    assert_eq!(host.ok(&["network", "rm", "backend"]), "backend\n");
    assert!(!links().contains(&bridge), "the network's bridge is gone");
    let gone = host.run(&["network", "inspect", "backend"]);
    assert_eq!(gone.status.code(), Some(125), "{}", stderr(&gone));
}

/// Runs `ferry ARGS` expecting Docker's engine error (125) with `message`, and checks that no
/// link, rule or lease was created on the way.
fn refused(host: &Host, args: &[&str], message: &str) {
    let links_before = links();
    let out = host.run(args);
    assert_eq!(
        out.status.code(),
        Some(125),
        "ferry {args:?}: {}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains(message),
        "ferry {args:?}: expected {message:?} in {}",
        stderr(&out)
    );
    assert_eq!(links(), links_before, "ferry {args:?} created a link");
    let rules = iptables(&["-t", "nat", "-S", "FERRY"]);
    assert!(
        !rules.contains("DNAT"),
        "ferry {args:?} left a rule: {rules}"
    );
}

#[test]
fn bad_ports_taken_ports_missing_targets_and_full_subnets_are_refused_before_anything_exists() {
    let Some(host) = Host::new(
        "bad_ports_taken_ports_missing_targets_and_full_subnets_are_refused_before_anything_exists",
    ) else {
        return;
    };
    refused(
        &host,
        &["run", "--rm", "-p", "99999:80", "toolbox", "true"],
        "invalid hostPort: 99999",
    );
    refused(
        &host,
        &["run", "--rm", "-p", "abc", "toolbox", "true"],
        "invalid containerPort: abc",
    );
    refused(
        &host,
        &[
            "run",
            "--rm",
            "--network",
            "container:nosuch",
            "toolbox",
            "true",
        ],
        "No such container: nosuch",
    );
    refused(
        &host,
        &["run", "--rm", "--network", "nosuch", "toolbox", "true"],
        "network nosuch not found",
    );
    let stopped = host.ok(&["create", "--name", "stopped", "toolbox", "true"]);
    assert_eq!(stopped.trim().len(), 64);
    refused(
        &host,
        &[
            "run",
            "--rm",
            "--network",
            "container:stopped",
            "toolbox",
            "true",
        ],
        "cannot join network of a non running container",
    );

    let taken = TcpListener::bind("0.0.0.0:0").expect("a host process listens");
    let port = taken.local_addr().expect("its port").port();
    let spec = format!("{port}:80");
    refused(
        &host,
        &["run", "--rm", "-p", &spec, "toolbox", "true"],
        &format!("Bind for 0.0.0.0:{port} failed: port is already allocated"),
    );
    assert_eq!(
        std::fs::read_dir(host.root.path().join("networks/ports"))
            .map(|d| d.count())
            .unwrap_or(0),
        0
    );

    host.ok(&["network", "create", "--subnet", "10.99.0.0/30", "tiny"]);
    host.detached(&["--network", "tiny", "toolbox", "sleep", "60"]);
    refused(
        &host,
        &["run", "--rm", "--network", "tiny", "toolbox", "true"],
        "no available IPv4 addresses on this network's address pools: tiny (10.99.0.0/30)",
    );
}

#[test]
fn nothing_reaches_the_real_host_namespace() {
    // The real host's view, taken while this thread is still in it: /sys is mounted in it, and
    // the process's main thread stays in it. The test's network has names of its own, so other
    // ferry runs on the machine (other test binaries) cannot be mistaken for a leak.
    let host_netns = format!("--net=/proc/{}/ns/net", std::process::id());
    let real_host = || {
        let links: Vec<String> = std::fs::read_dir("/sys/class/net")
            .expect("/sys/class/net")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        let out = StdCommand::new("nsenter")
            .args([host_netns.as_str(), "iptables-save"])
            .output()
            .expect("nsenter iptables-save");
        (links, String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let Some(host) = Host::new("nothing_reaches_the_real_host_namespace") else {
        return;
    };
    let script = "mkdir -p /srv && echo isolated > /srv/index.html && exec httpd -f -p 80 -h /srv";
    let id = host.ok(&["run", "-d", "-p", "18080:80", "toolbox", "sh", "-c", script]);
    let id = id.trim();
    let veth = host.settings(id).networks[0].host_veth.clone();
    wait_for_port(Some(host.ip_of(id)), 80);
    assert_eq!(
        http_get(SocketAddr::from((Ipv4Addr::LOCALHOST, 18080))),
        "isolated\n"
    );
    assert!(links().contains(&veth), "the test's host has the veth");
    let (links, rules) = real_host();
    assert!(
        !links.contains(&veth),
        "the real host has no veth of ours: {links:?}"
    );
    assert!(
        !rules.contains("--dport 18080"),
        "the real host has no rule of ours: {rules}"
    );
}
