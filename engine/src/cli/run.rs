//! `ferry run` and `ferry create`: the flags that describe a new container.

use std::io::IsTerminal;

use crate::cgroups::{parse_cpus, parse_memory, CpuQuota, Resources};
use crate::container::restart::RestartPolicy;
use crate::container::security::SecurityFlags;
use crate::container::{self, run::parse_env_file, RunOptions, StateRoot};
use crate::network::{self, PortMapping, Protocol};
use crate::{Error, Result};

/// The flags `run` and `create` share, spelled as Docker spells them (`-h` is the hostname, as
/// in `docker run`; help is `--help`).
#[derive(Debug, clap::Args)]
pub(super) struct ContainerFlags {
    /// Assign a name to the container.
    #[arg(long)]
    name: Option<String>,
    /// Remove the container (and its anonymous volumes) when it exits.
    #[arg(long)]
    rm: bool,
    /// Container host name.
    #[arg(short = 'h', long)]
    hostname: Option<String>,
    /// Set an environment variable (KEY=value, or KEY to copy ferry's own).
    #[arg(short = 'e', long = "env")]
    env: Vec<String>,
    /// Read environment variables from a file (KEY=value lines, # comments).
    #[arg(long = "env-file")]
    env_file: Vec<String>,
    /// Working directory inside the container.
    #[arg(short = 'w', long)]
    workdir: Option<String>,
    /// User to run as: name|uid[:group|gid], looked up in the container's /etc/passwd.
    #[arg(short = 'u', long)]
    user: Option<String>,
    /// Replace the image's entrypoint ("" clears it).
    #[arg(long)]
    entrypoint: Option<String>,
    /// Network: bridge (default), host, none, container:NAME, or a network's name.
    #[arg(long, alias = "net", default_value = "bridge")]
    network: String,
    /// Publish a container port: [IP:][HOST_PORT:]CONTAINER_PORT[/udp] (no host port: a free one).
    #[arg(short = 'p', long = "publish")]
    publish: Vec<String>,
    /// Publish every exposed port (--expose) on a free host port.
    #[arg(short = 'P', long = "publish-all")]
    publish_all: bool,
    /// Expose a port (PORT[/udp]) without publishing it; -P publishes it.
    #[arg(long)]
    expose: Vec<String>,
    /// Add a running container to /etc/hosts: NAME[:ALIAS] (bridge networks only).
    #[arg(long)]
    link: Vec<String>,
    /// Keep standard input open.
    #[arg(short = 'i', long)]
    interactive: bool,
    /// Allocate a pseudo-terminal.
    #[arg(short = 't', long)]
    tty: bool,
    /// Bind mount or volume: /host/dir:/ctr/dir[:ro], name:/ctr/dir[:ro], or /ctr/dir.
    #[arg(short = 'v', long = "volume")]
    volume: Vec<String>,
    /// Restart policy: no, on-failure[:max-retries], always, unless-stopped.
    #[arg(long, default_value = "no")]
    restart: String,
    /// Memory limit (e.g. 500m, 1g).
    #[arg(short = 'm', long)]
    memory: Option<String>,
    /// Memory plus swap limit (-1: unlimited swap).
    #[arg(long = "memory-swap", allow_hyphen_values = true)]
    memory_swap: Option<String>,
    /// Number of CPUs (e.g. 0.5).
    #[arg(long)]
    cpus: Option<String>,
    /// Relative CPU weight.
    #[arg(long = "cpu-shares")]
    cpu_shares: Option<u64>,
    /// Maximum number of processes (-1: unlimited).
    #[arg(long = "pids-limit", allow_hyphen_values = true)]
    pids_limit: Option<i64>,
    /// Give the container every capability, every device, no seccomp filter and a writable /sys.
    #[arg(long)]
    privileged: bool,
    /// Add a Linux capability (e.g. NET_ADMIN, or ALL).
    #[arg(long = "cap-add")]
    cap_add: Vec<String>,
    /// Drop a Linux capability (e.g. CHOWN, or ALL).
    #[arg(long = "cap-drop")]
    cap_drop: Vec<String>,
    /// Security options: seccomp=unconfined|PROFILE.json, no-new-privileges.
    #[arg(long = "security-opt")]
    security_opt: Vec<String>,
    /// Mount the container's root filesystem read-only.
    #[arg(long = "read-only")]
    read_only: bool,
    /// Mount a tmpfs: PATH[:OPTIONS] (e.g. /run:rw,size=64m).
    #[arg(long)]
    tmpfs: Vec<String>,
    /// Add a host device: HOST[:CONTAINER[:PERMISSIONS]] (permissions: r, w, m).
    #[arg(long)]
    device: Vec<String>,
    /// Print help.
    #[arg(long, action = clap::ArgAction::Help)]
    help: Option<bool>,
    /// Image name or root filesystem directory.
    image: String,
    /// Command and arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    command: Vec<String>,
}

/// `ferry run`.
#[derive(Debug, clap::Args)]
#[command(disable_help_flag = true)]
pub(super) struct RunArgs {
    /// Run in the background and print the container's id.
    #[arg(short = 'd', long)]
    detach: bool,
    #[command(flatten)]
    flags: Box<ContainerFlags>,
}

/// Runs a container: in the foreground (returning its exit code), or in the background (`-d`,
/// printing its full id, as Docker does).
///
/// `-ti` attaches this terminal to the container's; when stdin is not a terminal that cannot work,
/// and Docker's CLI refuses before creating anything, with exit code 1 (not 125: the engine did
/// not fail, the request cannot be met here).
pub(super) fn run(root: &StateRoot, args: RunArgs) -> Result<i32> {
    let opts = options(*args.flags)?;
    if args.detach {
        let container = container::run_detached(root, &opts)?;
        println!("{}", container.id());
        return Ok(0);
    }
    if opts.tty && opts.interactive && !std::io::stdin().is_terminal() {
        eprintln!("ferry: the input device is not a TTY");
        return Ok(1);
    }
    container::run(root, &opts)
}

/// `ferry create`: records the container and prints its full id.
pub(super) fn create(root: &StateRoot, flags: ContainerFlags) -> Result<i32> {
    let container = container::create(root, &options(flags)?)?;
    println!("{}", container.id());
    Ok(0)
}

/// `-p` values, then (with `-P`) every `--expose`d port not already published, on a free port.
fn published_ports(flags: &ContainerFlags) -> Result<Vec<PortMapping>> {
    let mut ports: Vec<PortMapping> = flags
        .publish
        .iter()
        .map(|p| network::parse_publish(p))
        .collect::<Result<_, _>>()?;
    let exposed: Vec<(u16, Protocol)> = flags
        .expose
        .iter()
        .map(|e| network::parse_expose(e))
        .collect::<Result<_, _>>()?;
    if flags.publish_all {
        for (port, protocol) in exposed {
            if !ports
                .iter()
                .any(|p| p.container_port == port && p.protocol == protocol)
            {
                ports.push(PortMapping {
                    host_ip: None,
                    host_port: 0,
                    container_port: port,
                    protocol,
                });
            }
        }
    }
    Ok(ports)
}

fn invalid(e: impl std::fmt::Display) -> Error {
    Error::InvalidArgument(e.to_string())
}

/// The limits of `-m`, `--cpus`, …, refused as Docker refuses them before anything is created.
fn resources(flags: &ContainerFlags) -> Result<Resources> {
    let memory_swap = match flags.memory_swap.as_deref() {
        None => None,
        Some("-1") => Some(-1),
        Some(size) => Some(parse_memory(size).map_err(invalid)? as i64),
    };
    let resources = Resources {
        memory: flags
            .memory
            .as_deref()
            .map(parse_memory)
            .transpose()
            .map_err(invalid)?,
        memory_swap,
        cpu_quota: flags
            .cpus
            .as_deref()
            .map(parse_cpus)
            .transpose()
            .map_err(invalid)?
            .map(CpuQuota::from_cpus),
        cpu_shares: flags.cpu_shares,
        pids_limit: flags.pids_limit,
        // Not a flag: the engine gives every container its device list when it makes the cgroup.
        devices: None,
    };
    resources.validate().map_err(invalid)?;
    Ok(resources)
}

fn options(flags: ContainerFlags) -> Result<RunOptions> {
    let mut env = Vec::new();
    for file in &flags.env_file {
        let text = std::fs::read_to_string(file).map_err(Error::io("open", file))?;
        env.extend(parse_env_file(&text)?);
    }
    env.extend(flags.env.iter().cloned());
    Ok(RunOptions {
        publish: published_ports(&flags)?,
        resources: resources(&flags)?,
        restart: RestartPolicy::parse(&flags.restart)?,
        image: flags.image,
        command: flags.command,
        name: flags.name,
        remove: flags.rm,
        hostname: flags.hostname,
        env,
        workdir: flags.workdir,
        user: flags.user,
        entrypoint: flags.entrypoint,
        network: flags.network,
        interactive: flags.interactive,
        tty: flags.tty,
        volumes: flags.volume,
        links: flags.link,
        security: SecurityFlags {
            privileged: flags.privileged,
            cap_add: flags.cap_add,
            cap_drop: flags.cap_drop,
            security_opt: flags.security_opt,
            read_only: flags.read_only,
            tmpfs: flags.tmpfs,
            devices: flags.device,
        },
    })
}
