//! `ferry network ls|inspect|create|rm|connect|disconnect` and `ferry port`.

use crate::container::{store, StateRoot, Status};
use crate::network::{self, NetworkRequest, PortMapping, Protocol};
use crate::{Error, Result};

/// `ferry network` subcommands, as `docker network` spells them.
#[derive(Debug, clap::Subcommand)]
pub(super) enum NetworkAction {
    /// List networks.
    #[command(alias = "list")]
    Ls {
        /// Only display network IDs.
        #[arg(short, long)]
        quiet: bool,
    },
    /// Display detailed information on one or more networks.
    Inspect {
        /// Network names or ids.
        #[arg(required = true)]
        networks: Vec<String>,
    },
    /// Create a bridge network.
    Create {
        /// Subnet in CIDR format (default: the first free 10.N.0.0/16 from 10.78.0.0/16).
        #[arg(long)]
        subnet: Option<String>,
        /// Driver: only `bridge` exists.
        #[arg(short, long, default_value = "bridge")]
        driver: String,
        /// The network's name.
        name: String,
    },
    /// Remove one or more networks.
    #[command(alias = "remove")]
    Rm {
        /// Network names or ids.
        #[arg(required = true)]
        networks: Vec<String>,
    },
    /// Connect a running container to a network.
    Connect {
        /// Network name or id.
        network: String,
        /// Container name or id.
        container: String,
    },
    /// Disconnect a container from a network.
    Disconnect {
        /// Network name or id.
        network: String,
        /// Container name or id.
        container: String,
    },
}

/// `ferry port CONTAINER [PRIVATE_PORT[/PROTO]]`.
#[derive(Debug, clap::Args)]
pub(super) struct PortArgs {
    /// Container name or id.
    container: String,
    /// Only this container port (`80` or `53/udp`).
    port: Option<String>,
}

/// Runs a `ferry network` subcommand.
pub(super) fn network(root: &StateRoot, action: NetworkAction) -> Result<i32> {
    match action {
        NetworkAction::Ls { quiet } => list(root, quiet),
        NetworkAction::Inspect { networks } => inspect(root, &networks),
        NetworkAction::Create {
            subnet,
            driver,
            name,
        } => {
            if driver != "bridge" {
                return Err(Error::InvalidArgument(format!(
                    "plugin \"{driver}\" not found (ferry has only the bridge driver)"
                )));
            }
            let subnet = subnet.map(|s| s.parse::<network::Subnet>()).transpose()?;
            println!("{}", network::create_network(root, &name, subnet)?.id);
            Ok(0)
        }
        NetworkAction::Rm { networks } => {
            let mut code = 0;
            for name in networks {
                match network::remove_network(root, &name) {
                    Ok(_) => println!("{name}"),
                    Err(e) => {
                        eprintln!("Error response from daemon: {e}");
                        code = 1;
                    }
                }
            }
            Ok(code)
        }
        NetworkAction::Connect { network, container } => {
            let found = store::find(root, &container)?;
            let pid = match (found.status(), found.record.state.pid) {
                (Status::Running, Some(pid)) => pid,
                _ => {
                    return Err(Error::InvalidArgument(format!(
                        "container {} is not running",
                        found.name()
                    )))
                }
            };
            let request = NetworkRequest {
                network,
                ports: Vec::new(),
                aliases: vec![found.name().to_string()],
            };
            network::attach(root, found.id(), pid, &request)?;
            Ok(0)
        }
        NetworkAction::Disconnect { network, container } => {
            let found = store::find(root, &container)?;
            network::disconnect(root, found.id(), &network)?;
            Ok(0)
        }
    }
}

fn list(root: &StateRoot, quiet: bool) -> Result<i32> {
    let networks = network::list_networks(root)?;
    if !quiet {
        println!("{:<15}{:<20}{:<10}SCOPE", "NETWORK ID", "NAME", "DRIVER");
    }
    for n in networks {
        if quiet {
            println!("{}", &n.id[..12]);
        } else {
            println!("{:<15}{:<20}{:<10}local", &n.id[..12], n.name, n.driver);
        }
    }
    Ok(0)
}

fn inspect(root: &StateRoot, names: &[String]) -> Result<i32> {
    let found = names
        .iter()
        .map(|n| network::inspect_network(root, n))
        .collect::<Result<Vec<_>, _>>()?;
    let json = serde_json::to_string_pretty(&found).expect("network inspect serializes");
    println!("{json}");
    Ok(0)
}

/// Prints a container's published ports, or the host address of one of them.
pub(super) fn port(root: &StateRoot, args: PortArgs) -> Result<i32> {
    let found = store::find(root, &args.container)?;
    let settings = network::settings(&found.dir)?;
    let Some(wanted) = &args.port else {
        for mapping in settings.ports() {
            println!("{mapping}");
        }
        return Ok(0);
    };
    let (port, protocol) = network::parse_expose(wanted)?;
    let matching: Vec<&PortMapping> = settings
        .ports()
        .filter(|m| m.container_port == port && m.protocol == protocol)
        .collect();
    if matching.is_empty() {
        let shown = if protocol == Protocol::Tcp {
            format!("{port}/tcp")
        } else {
            wanted.clone()
        };
        return Err(Error::InvalidArgument(format!(
            "No public port '{shown}' published for {}",
            found.name()
        )));
    }
    for m in matching {
        println!("{}:{}", m.host_ip_or_any(), m.host_port);
    }
    Ok(0)
}
