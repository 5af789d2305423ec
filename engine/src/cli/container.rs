//! Container commands: `create`, `start`, `ps`, `logs`, `exec`, `stop`, `kill`, `restart`,
//! `pause`, `unpause`, `rm`, `inspect`, `cp`, `top`, `wait`, `rename`, the `container` group (with
//! `ls` and `prune`), `volume` (see [`super::volume`]), and the hidden `monitor`.
//!
//! Exit codes follow Docker's CLI: `create` (like `run`) exits 125 when the engine fails; the
//! other commands exit 1, except `exec`, which passes on its command's status (126 when the
//! command cannot be started at all).

use std::io::{IsTerminal, Write};
use std::path::Path;

use super::inspect::Kind;
use super::sizes::human_size;
use crate::container::cp::{self, CpOptions};
use crate::container::exec::{self, ExecOptions};
use crate::container::inspect::Sizes;
use crate::container::lifecycle::{self, DEFAULT_STOP_TIMEOUT};
use crate::container::list::{self, Filters, Selection};
use crate::container::logs::{self, LogEntry, LogReader, Stream};
use crate::container::template::Template;
use crate::container::time::Timestamp;
use crate::container::volume;
use crate::container::{monitor, remove, store, top, Container, StateRoot};
use crate::error::EXIT_CANNOT_INVOKE;
use crate::image::{driver, ImageStore};
use crate::{Error, Result};

/// `println!` that stops quietly when stdout is closed (`ferry ps | head -1`) instead of panicking.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}
pub(super) use say;

/// The container commands, all at the top level (`ferry ps`) as in Docker.
#[derive(Debug, clap::Subcommand)]
pub(super) enum Command {
    #[command(flatten)]
    Container(ContainerCommand),
    /// Manage containers.
    #[command(name = "container")]
    Group {
        #[command(subcommand)]
        command: GroupCommand,
    },
    /// Manage volumes.
    Volume {
        #[command(subcommand)]
        command: super::volume::VolumeCommand,
    },
    /// Supervise one container (started by `ferry start`; not for direct use).
    #[command(hide = true)]
    Monitor(MonitorArgs),
}

/// Commands on containers.
#[derive(Debug, clap::Subcommand)]
pub(super) enum ContainerCommand {
    /// Create a new container (without starting it) and print its id.
    #[command(disable_help_flag = true)]
    Create(Box<super::run::ContainerFlags>),
    /// Start one or more stopped containers.
    Start(StartArgs),
    /// List containers.
    Ps(PsArgs),
    /// Fetch the logs of a container.
    Logs(LogsArgs),
    /// Run a command in a running container.
    Exec(ExecArgs),
    /// Stop one or more running containers (SIGTERM, then SIGKILL after the timeout).
    Stop(StopArgs),
    /// Kill one or more running containers.
    Kill(KillArgs),
    /// Restart one or more containers.
    Restart(StopArgs),
    /// Pause all processes within one or more containers.
    Pause(Targets),
    /// Unpause all processes within one or more containers.
    Unpause(Targets),
    /// Remove one or more containers.
    Rm(RmArgs),
    /// Display detailed information on containers, images or volumes.
    Inspect(InspectArgs),
    /// Copy files between a container and the host (CONTAINER:PATH on one side; "-" is a tar stream).
    Cp(CpArgs),
    /// Display the running processes of a container.
    Top(TopArgs),
    /// Block until one or more containers stop, then print their exit codes.
    Wait(Targets),
    /// Rename a container.
    Rename(RenameArgs),
}

/// `ferry container …`.
#[derive(Debug, clap::Subcommand)]
pub(super) enum GroupCommand {
    #[command(flatten)]
    Container(ContainerCommand),
    /// Run a command in a new container.
    #[command(disable_help_flag = true)]
    Run(Box<super::run::RunArgs>),
    /// List containers.
    #[command(visible_alias = "list")]
    Ls(PsArgs),
    /// Remove all stopped containers.
    Prune(PruneArgs),
}

/// Containers named by name, full id or unique id prefix.
#[derive(Debug, clap::Args)]
pub(super) struct Targets {
    /// Containers (name, id or id prefix).
    #[arg(required = true)]
    containers: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub(super) struct StartArgs {
    /// Attach stdout and stderr and wait for the container to exit.
    #[arg(short = 'a', long)]
    attach: bool,
    /// Attach stdin (implies --attach).
    #[arg(short = 'i', long)]
    interactive: bool,
    #[command(flatten)]
    targets: Targets,
}

#[derive(Debug, clap::Args)]
pub(super) struct PsArgs {
    /// Show all containers (default shows just running).
    #[arg(short = 'a', long)]
    all: bool,
    /// Only display container ids.
    #[arg(short = 'q', long)]
    quiet: bool,
    /// Show the latest created container (includes all states).
    #[arg(short = 'l', long)]
    latest: bool,
    /// Show the n last created containers (includes all states).
    #[arg(short = 'n', long = "last")]
    last: Option<usize>,
    /// Display total file sizes.
    #[arg(short = 's', long)]
    size: bool,
    /// Filter output: name=…, id=…, status=…, exited=….
    #[arg(short = 'f', long = "filter")]
    filter: Vec<String>,
    /// Don't truncate output.
    #[arg(long = "no-trunc")]
    no_trunc: bool,
}

#[derive(Debug, clap::Args)]
pub(super) struct LogsArgs {
    /// Follow log output until the container stops.
    #[arg(short = 'f', long)]
    follow: bool,
    /// Number of lines to show from the end of the logs ("all" for all).
    #[arg(short = 'n', long, default_value = "all")]
    tail: String,
    /// Show timestamps.
    #[arg(short = 't', long)]
    timestamps: bool,
    /// The container.
    container: String,
}

#[derive(Debug, clap::Args)]
pub(super) struct ExecArgs {
    /// Keep STDIN open.
    #[arg(short = 'i', long)]
    interactive: bool,
    /// Allocate a pseudo-TTY.
    #[arg(short = 't', long)]
    tty: bool,
    /// Set environment variables.
    #[arg(short = 'e', long = "env")]
    env: Vec<String>,
    /// Working directory inside the container.
    #[arg(short = 'w', long)]
    workdir: Option<String>,
    /// Username or UID (format: name|uid[:group|gid]).
    #[arg(short = 'u', long)]
    user: Option<String>,
    /// The container.
    container: String,
    /// The command and its arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
    command: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub(super) struct StopArgs {
    /// Seconds to wait before killing the container.
    #[arg(short = 't', long = "time")]
    time: Option<u64>,
    #[command(flatten)]
    targets: Targets,
}

#[derive(Debug, clap::Args)]
pub(super) struct KillArgs {
    /// Signal to send to the container.
    #[arg(short = 's', long, default_value = "KILL")]
    signal: String,
    #[command(flatten)]
    targets: Targets,
}

#[derive(Debug, clap::Args)]
pub(super) struct RmArgs {
    /// Force the removal of a running container (uses SIGKILL).
    #[arg(short = 'f', long)]
    force: bool,
    /// Remove anonymous volumes associated with the container.
    #[arg(short = 'v', long)]
    volumes: bool,
    #[command(flatten)]
    targets: Targets,
}

#[derive(Debug, clap::Args)]
pub(super) struct InspectArgs {
    /// Format the output using a Go template, e.g. '{{.State.Pid}}'.
    #[arg(short = 'f', long)]
    format: Option<String>,
    /// Display total file sizes.
    #[arg(short = 's', long)]
    size: bool,
    /// Only look for this type of object: container, image or volume.
    #[arg(long = "type")]
    kind: Option<String>,
    /// Names or ids.
    #[arg(required = true)]
    names: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub(super) struct CpArgs {
    /// Archive mode (copy all uid/gid information).
    #[arg(short = 'a', long)]
    archive: bool,
    /// Always follow a symbolic link in SRC_PATH.
    #[arg(short = 'L', long = "follow-link")]
    follow_link: bool,
    /// SRC_PATH or CONTAINER:SRC_PATH ("-": a tar archive on stdin).
    source: String,
    /// DEST_PATH or CONTAINER:DEST_PATH ("-": a tar archive on stdout).
    destination: String,
}

#[derive(Debug, clap::Args)]
pub(super) struct TopArgs {
    /// The container.
    container: String,
    /// Options for ps (default -ef).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    ps_args: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub(super) struct RenameArgs {
    /// The container.
    container: String,
    /// Its new name.
    new_name: String,
}

#[derive(Debug, clap::Args)]
pub(super) struct PruneArgs {
    /// Do not prompt for confirmation.
    #[arg(short = 'f', long)]
    force: bool,
}

#[derive(Debug, clap::Args)]
pub(super) struct MonitorArgs {
    /// The container's full id.
    id: String,
    /// Wait out a restart delay before the first start.
    #[arg(long)]
    restarting: bool,
}

/// Runs a container, volume or monitor command and returns the exit code.
pub(super) fn execute(root: &StateRoot, command: Command) -> Result<i32> {
    match command {
        Command::Container(command) => container_command(root, command),
        Command::Group { command } => match command {
            GroupCommand::Container(ContainerCommand::Inspect(args)) => {
                daemon(inspect(root, args, Some(Kind::Container)))
            }
            GroupCommand::Container(command) => container_command(root, command),
            GroupCommand::Run(args) => super::run::run(root, *args),
            GroupCommand::Ls(args) => daemon(ps(root, args)),
            GroupCommand::Prune(args) => daemon(prune(root, args)),
        },
        Command::Volume { command } => daemon(super::volume::execute(root, command)),
        Command::Monitor(args) => Ok(monitor::monitor_main(root, &args.id, args.restarting)),
    }
}

fn container_command(root: &StateRoot, command: ContainerCommand) -> Result<i32> {
    match command {
        ContainerCommand::Create(flags) => super::run::create(root, *flags),
        ContainerCommand::Exec(args) => exec(root, args),
        ContainerCommand::Start(args) => daemon(start(root, args)),
        ContainerCommand::Ps(args) => daemon(ps(root, args)),
        ContainerCommand::Logs(args) => daemon(logs(root, args)),
        ContainerCommand::Stop(args) => Ok(stop(root, args, false)),
        ContainerCommand::Restart(args) => Ok(stop(root, args, true)),
        ContainerCommand::Kill(args) => daemon(kill(root, args)),
        ContainerCommand::Pause(t) => Ok(each(root, &t.containers, |_, c| lifecycle::pause(c))),
        ContainerCommand::Unpause(t) => Ok(each(root, &t.containers, |_, c| lifecycle::unpause(c))),
        ContainerCommand::Rm(args) => Ok(each(root, &args.targets.containers, |root, c| {
            remove::remove(root, c, args.force, args.volumes)
        })),
        ContainerCommand::Inspect(args) => daemon(inspect(root, args, None)),
        ContainerCommand::Cp(args) => daemon(copy(root, args)),
        ContainerCommand::Top(args) => daemon(top(root, args)),
        ContainerCommand::Wait(t) => Ok(wait(root, &t.containers)),
        ContainerCommand::Rename(args) => daemon(rename(root, args)),
    }
}

/// Docker's CLI exits 1 when a command other than `run`/`create` fails.
fn daemon(result: Result<i32>) -> Result<i32> {
    result.or_else(|e| {
        eprintln!("ferry: {e}");
        Ok(1)
    })
}

/// Applies `action` to each named container, printing its name when it worked and the error when
/// not; carries on after a failure, and exits 1 if any failed (as Docker does).
fn each(
    root: &StateRoot,
    names: &[String],
    mut action: impl FnMut(&StateRoot, &mut Container) -> Result<()>,
) -> i32 {
    let mut code = 0;
    for name in names {
        match store::find(root, name).and_then(|mut c| action(root, &mut c)) {
            Ok(()) => say!("{name}"),
            Err(e) => {
                eprintln!("ferry: {e}");
                code = 1;
            }
        }
    }
    code
}

fn start(root: &StateRoot, args: StartArgs) -> Result<i32> {
    if args.attach || args.interactive {
        let [name] = args.targets.containers.as_slice() else {
            return Err(Error::InvalidArgument(
                "you cannot start and attach multiple containers at once".into(),
            ));
        };
        let mut container = store::find(root, name)?;
        return monitor::run_attached(root, &mut container);
    }
    Ok(each(root, &args.targets.containers, |root, c| {
        monitor::start_detached(root, c).map(drop)
    }))
}

fn stop(root: &StateRoot, args: StopArgs, restart: bool) -> i32 {
    let timeout = args
        .time
        .map_or(DEFAULT_STOP_TIMEOUT, std::time::Duration::from_secs);
    each(root, &args.targets.containers, |root, c| {
        if restart {
            lifecycle::restart(root, c, timeout)
        } else {
            lifecycle::stop(c, timeout)
        }
    })
}

fn kill(root: &StateRoot, args: KillArgs) -> Result<i32> {
    let signal = lifecycle::parse_signal(&args.signal)?;
    Ok(each(root, &args.targets.containers, |_, c| {
        lifecycle::kill(c, signal)
    }))
}

fn wait(root: &StateRoot, names: &[String]) -> i32 {
    let mut code = 0;
    for name in names {
        match store::find(root, name).and_then(|mut c| lifecycle::wait(&mut c)) {
            Ok(exit_code) => say!("{exit_code}"),
            Err(e) => {
                eprintln!("ferry: {e}");
                code = 1;
            }
        }
    }
    code
}

fn rename(root: &StateRoot, args: RenameArgs) -> Result<i32> {
    let mut container = store::find(root, &args.container)?;
    store::rename(root, &mut container, &args.new_name)?;
    Ok(0)
}

fn exec(root: &StateRoot, args: ExecArgs) -> Result<i32> {
    // Before anything else: the process that enters the container must not be the host's binary.
    crate::runtime::sealed::reexec_from_sealed_copy()?;
    let container = match store::find(root, &args.container) {
        Ok(container) => container,
        Err(e) => return daemon(Err(e)),
    };
    if args.tty && args.interactive && !std::io::stdin().is_terminal() {
        return daemon(Err(Error::InvalidArgument(
            "the input device is not a TTY".into(),
        )));
    }
    let opts = ExecOptions {
        command: args.command,
        env: args.env,
        workdir: args.workdir,
        user: args.user,
        interactive: args.interactive,
        tty: args.tty,
    };
    match exec::exec(&container, &opts) {
        Err(Error::Start { message, .. }) => Ok(exec_failed(&message)),
        other => daemon(other),
    }
}

// ANCHOR: exec_failed
/// The command could not be started in the container (not found, not executable, no such user or
/// directory): Docker reports every such failure of its OCI runtime with exit code 126, even a
/// missing command, which `run` reports with 127.
fn exec_failed(message: &str) -> i32 {
    eprintln!("ferry: OCI runtime exec failed: exec failed: {message}: unknown");
    EXIT_CANNOT_INVOKE
}
// ANCHOR_END: exec_failed

/// Prints rows as Docker's `tabwriter` does: each column as wide as its widest cell plus three
/// spaces (at least ten), the last column unpadded.
pub(super) fn print_table(rows: &[Vec<String>]) {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
                .saturating_add(3)
                .max(10)
        })
        .collect();
    let mut out = std::io::stdout().lock();
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<width$}", width = widths[i]));
            }
        }
        if writeln!(out, "{}", line.trim_end()).is_err() {
            return;
        }
    }
}

/// The writable layer's size and that plus the image's, for `ps -s` and `inspect -s`.
pub(super) fn sizes(root: &StateRoot, container: &Container) -> Sizes {
    let from_driver =
        ImageStore::open(root).and_then(|store| driver::container_sizes(&store, &container.dir));
    match from_driver {
        Ok(s) => Sizes {
            rw: s.rw,
            root_fs: s.virtual_size,
        },
        Err(_) => {
            let rw = volume::disk_usage(&container.upper_dir());
            Sizes { rw, root_fs: rw }
        }
    }
}

fn ps(root: &StateRoot, args: PsArgs) -> Result<i32> {
    let selection = Selection {
        all: args.all,
        last: if args.latest { Some(1) } else { args.last },
        filters: Filters::parse(&args.filter)?,
    };
    let containers = list::select(store::list(root)?, &selection);
    if args.quiet {
        for c in &containers {
            say!(
                "{}",
                if args.no_trunc {
                    c.id().as_str()
                } else {
                    c.id().short()
                }
            );
        }
        return Ok(0);
    }
    let now = Timestamp::now();
    let mut header: Vec<String> = [
        "CONTAINER ID",
        "IMAGE",
        "COMMAND",
        "CREATED",
        "STATUS",
        "PORTS",
        "NAMES",
    ]
    .map(String::from)
    .to_vec();
    if args.size {
        header.push("SIZE".into());
    }
    let mut rows = vec![header];
    for c in &containers {
        let row = list::row(c, now, args.no_trunc);
        let mut cells = vec![
            row.id,
            row.image,
            row.command,
            row.created,
            row.status,
            row.ports,
            row.names,
        ];
        if args.size {
            let s = sizes(root, c);
            cells.push(format!(
                "{} (virtual {})",
                human_size(s.rw),
                human_size(s.root_fs)
            ));
        }
        rows.push(cells);
    }
    print_table(&rows);
    Ok(0)
}

/// Writes one log entry where it came from (stdout or stderr); false once the reader went away.
fn print_entry(entry: &LogEntry, timestamps: bool) -> bool {
    let text = if timestamps {
        format!("{} {}", entry.time.rfc3339_fixed(), entry.log)
    } else {
        entry.log.clone()
    };
    let written = match entry.stream {
        Stream::Stdout => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes()).and_then(|()| out.flush())
        }
        Stream::Stderr => std::io::stderr().lock().write_all(text.as_bytes()),
    };
    written.is_ok()
}

fn logs(root: &StateRoot, args: LogsArgs) -> Result<i32> {
    let mut container = store::find(root, &args.container)?;
    let tail = match args.tail.as_str() {
        "all" | "-1" => None,
        n => Some(
            n.parse::<usize>()
                .map_err(|_| Error::InvalidArgument(format!("invalid value for --tail: {n:?}")))?,
        ),
    };
    let Some(mut reader) = LogReader::open(&container.log_path())? else {
        return Ok(0);
    };
    for entry in logs::tail(reader.read_new()?, tail) {
        if !print_entry(&entry, args.timestamps) {
            return Ok(0);
        }
    }
    if args.follow {
        logs::follow(&mut reader, &mut container, |entry| {
            print_entry(entry, args.timestamps)
        })?;
    }
    Ok(0)
}

/// Pretty JSON with Docker's four-space indentation.
fn to_json(value: &impl serde::Serialize) -> String {
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
    value
        .serialize(&mut serializer)
        .expect("inspect output serializes");
    String::from_utf8(out).expect("JSON is UTF-8")
}

/// Prints `objects` as a JSON array (fields in Docker's order), or each through the `--format`
/// template.
pub(super) fn print_objects<T: serde::Serialize>(
    objects: &[T],
    format: Option<&str>,
) -> Result<()> {
    match format {
        None => say!("{}", to_json(&objects)),
        Some(format) => {
            let template = Template::parse(format)?;
            for object in objects {
                let value = serde_json::to_value(object).expect("inspect output serializes");
                say!("{}", template.render(&value)?);
            }
        }
    }
    Ok(())
}

/// `inspect`: containers, images or volumes (see [`super::inspect`]); `only` fixes the type, as
/// `container inspect` does.
fn inspect(root: &StateRoot, args: InspectArgs, only: Option<Kind>) -> Result<i32> {
    let kind = match only {
        Some(kind) => Some(kind),
        None => args.kind.as_deref().map(Kind::parse).transpose()?,
    };
    let format = args.format.as_deref();
    super::inspect::inspect(root, &args.names, kind, format, args.size)
}

/// A `cp` argument: a host path, `-`, or `CONTAINER:PATH` (a leading `/` or `.` is always local).
enum CpEnd<'a> {
    Local(&'a str),
    Container(&'a str, &'a str),
}

fn cp_end(arg: &str) -> CpEnd<'_> {
    if arg.starts_with('/') || arg.starts_with('.') {
        return CpEnd::Local(arg);
    }
    match arg.split_once(':') {
        Some((container, path)) if !container.is_empty() => {
            CpEnd::Container(container, if path.is_empty() { "/" } else { path })
        }
        _ => CpEnd::Local(arg),
    }
}

fn copy(root: &StateRoot, args: CpArgs) -> Result<i32> {
    let opts = CpOptions {
        follow_link: args.follow_link,
        archive: args.archive,
    };
    let local = |p: &str| (p != "-").then(|| Path::new(p).to_path_buf());
    match (cp_end(&args.source), cp_end(&args.destination)) {
        (CpEnd::Local(src), CpEnd::Container(name, dest)) => {
            let container = store::find(root, name)?;
            cp::copy_in(&container, local(src).as_deref(), dest, opts)?;
        }
        (CpEnd::Container(name, src), CpEnd::Local(dest)) => {
            let container = store::find(root, name)?;
            cp::copy_out(&container, src, local(dest).as_deref(), opts)?;
        }
        (CpEnd::Container(..), CpEnd::Container(..)) => {
            return Err(Error::InvalidArgument(
                "copying between containers is not supported".into(),
            ))
        }
        (CpEnd::Local(_), CpEnd::Local(_)) => {
            return Err(Error::InvalidArgument(
                "must specify at least one container source".into(),
            ))
        }
    }
    Ok(0)
}

fn top(root: &StateRoot, args: TopArgs) -> Result<i32> {
    let container = store::find(root, &args.container)?;
    let processes = top::top(&container, &args.ps_args)?;
    let mut rows = vec![processes.titles];
    rows.extend(processes.rows);
    print_table(&rows);
    Ok(0)
}

/// Asks "Are you sure?" unless `force`; true to go ahead.
pub(super) fn confirm(force: bool, warning: &str) -> bool {
    if force {
        return true;
    }
    print!("WARNING! {warning}\nAre you sure you want to continue? [y/N] ");
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    let _ = std::io::stdin().read_line(&mut answer);
    matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

fn prune(root: &StateRoot, args: PruneArgs) -> Result<i32> {
    if !confirm(args.force, "This will remove all stopped containers.") {
        return Ok(0);
    }
    let (removed, reclaimed) = remove::prune(root)?;
    if !removed.is_empty() {
        say!("Deleted Containers:");
        for id in &removed {
            say!("{id}");
        }
        say!();
    }
    say!("Total reclaimed space: {}", human_size(reclaimed));
    Ok(0)
}
