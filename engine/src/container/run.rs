//! `ferry create` and `ferry run`: from an image name, a command and flags to a container.
//!
//! Creating resolves everything once — image, command, environment, volumes — and records it
//! (see [`ContainerConfig`]); running is creating, then starting: attached (this process is the
//! container's monitor and prints its output) or detached (`-d`: a background monitor).

use std::fs;
use std::path::{Path, PathBuf};

use super::config::{ContainerConfig, Limits, RootfsConfig};
use super::monitor;
use super::mounts::{self, MountKind, MountPoint, VolumeFlag, VolumeSource};
use super::restart::RestartPolicy;
use super::security::{SecurityConfig, SecurityFlags};
use super::store::{self, Container};
use super::volume::VolumeStore;
use super::{ContainerId, StateRoot};
use crate::cgroups::Resources;
use crate::image::{driver, toolbox, Image, ImageConfig, ImageStore, Reference};
use crate::network::links::{resolve_links, Link};
use crate::{Error, Result};

/// What the user asked `ferry create` / `ferry run` for.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// An image reference, or the path of a root filesystem directory.
    pub image: String,
    /// The command; empty means the image's default.
    pub command: Vec<String>,
    /// `--name`; default: a generated `adjective_surname`.
    pub name: Option<String>,
    /// `--rm`: remove the container once it exits.
    pub remove: bool,
    /// `--hostname`; default: the short id.
    pub hostname: Option<String>,
    /// `-e KEY=value` or `-e KEY` (taken from ferry's own environment), after `--env-file` entries.
    pub env: Vec<String>,
    /// `-w`: the working directory, absolute.
    pub workdir: Option<String>,
    /// `-u`: user and group, by name or number.
    pub user: Option<String>,
    /// `--entrypoint`: replaces the image's (an empty string clears it).
    pub entrypoint: Option<String>,
    /// `--network`: `bridge` (the default), `host`, `none`, `container:NAME` or a network name.
    pub network: String,
    /// `-p`, `-P`: ports to publish (bridge networks only).
    pub publish: Vec<crate::network::PortMapping>,
    /// `-i`: keep stdin open.
    pub interactive: bool,
    /// `-t`: give PID 1 a terminal.
    pub tty: bool,
    /// `-v`, as given.
    pub volumes: Vec<String>,
    /// `--restart`.
    pub restart: RestartPolicy,
    /// `-m`, `--cpus`, `--pids-limit`…: the container's cgroup limits.
    pub resources: Resources,
    /// `--link NAME[:ALIAS]`, as given.
    pub links: Vec<String>,
    /// `--privileged`, `--cap-add`, `--security-opt`, `--read-only`, `--tmpfs`, `--device`.
    pub security: SecurityFlags,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            image: String::new(),
            command: Vec::new(),
            name: None,
            remove: false,
            hostname: None,
            env: Vec::new(),
            workdir: None,
            user: None,
            entrypoint: None,
            network: "bridge".into(),
            publish: Vec::new(),
            interactive: false,
            tty: false,
            volumes: Vec::new(),
            restart: RestartPolicy::No,
            resources: Resources::default(),
            links: Vec::new(),
            security: SecurityFlags::default(),
        }
    }
}

/// Where a container's root filesystem comes from, once the image argument is resolved.
enum Source {
    /// A directory given as a path, used as it is.
    Directory(PathBuf),
    /// A stored image.
    Image {
        store: ImageStore,
        image: Box<Image>,
    },
}

impl Source {
    fn config(&self) -> ImageConfig {
        match self {
            Source::Directory(_) => ImageConfig::default(),
            Source::Image { image, .. } => image.defaults(),
        }
    }
}

// ANCHOR: run
/// `ferry run` without `-d`: creates the container, runs it with this process as its monitor
/// (printing its output), and returns its exit code (128+N if signal N killed it).
pub fn run(root: &StateRoot, opts: &RunOptions) -> Result<i32> {
    let mut container = create(root, opts)?;
    monitor::run_attached(root, &mut container)
}

/// `ferry run -d`: creates the container and starts it under a background monitor; returns it
/// once its PID 1 runs.
pub fn run_detached(root: &StateRoot, opts: &RunOptions) -> Result<Container> {
    let mut container = create(root, opts)?;
    monitor::start_detached(root, &mut container)?;
    Ok(container)
}
// ANCHOR_END: run

// ANCHOR: create
/// `ferry create`: checks the options, resolves the image and the volumes, and records a new
/// container (status `created`) under a unique name.
pub fn create(root: &StateRoot, opts: &RunOptions) -> Result<Container> {
    if let Some(dir) = &opts.workdir {
        check_workdir(dir)?;
    }
    if let Some(name) = &opts.hostname {
        check_hostname(name)?;
    }
    let network = crate::network::hooks::normalize_mode(root, &opts.network, &opts.publish)?;
    let opts = &RunOptions {
        network,
        ..opts.clone()
    };
    if opts.remove && opts.restart != RestartPolicy::No {
        return Err(Error::InvalidArgument(
            "Conflicting options: --restart and --rm".into(),
        ));
    }
    let volumes: Vec<VolumeFlag> = opts
        .volumes
        .iter()
        .map(|v| mounts::parse_volume_flag(v))
        .collect::<Result<_>>()?;
    mounts::check_duplicates(&volumes)?;
    let links = resolve_links(root, &opts.links, &opts.network)?;
    let security = SecurityConfig::parse(&opts.security)?;
    let source = resolve_source(root, &opts.image)?;
    store::create(root, opts.name.as_deref(), |id, dir| {
        let rootfs = make_rootfs(&source, dir)?;
        let mounts = resolve_volumes(root, &volumes)?;
        let resolved = Resolved {
            rootfs,
            mounts,
            links: links.clone(),
            security: security.clone(),
        };
        container_config(id, &source.config(), resolved, opts)
    })
}
// ANCHOR_END: create

/// Resolves the image argument: a root filesystem directory given as a path, or a stored image
/// (the toolbox image is installed on first use).
fn resolve_source(root: &StateRoot, image: &str) -> Result<Source> {
    let looks_like_path = image.starts_with('/') || image.starts_with('.');
    if looks_like_path {
        let rootfs = fs::canonicalize(image).map_err(Error::io("open rootfs directory", image))?;
        if !rootfs.is_dir() {
            return Err(Error::InvalidArgument(format!(
                "rootfs {image:?} is not a directory"
            )));
        }
        return Ok(Source::Directory(rootfs));
    }
    let reference = Reference::parse(image)?;
    let store = ImageStore::open(root)?;
    let stored = match store.resolve(&reference) {
        Err(Error::ImageNotFound(_)) if reference == Reference::parse(toolbox::IMAGE_NAME)? => {
            toolbox::ensure(&store)?
        }
        other => other?,
    };
    Ok(Source::Image {
        store,
        image: Box::new(stored),
    })
}

/// Gives the new container its root filesystem: its own layer over the image's (see
/// [`driver`]), or the directory it was given.
fn make_rootfs(source: &Source, dir: &Path) -> Result<RootfsConfig> {
    match source {
        Source::Directory(path) => Ok(RootfsConfig::Directory { path: path.clone() }),
        Source::Image { store, image } => {
            let (layer, notice) = driver::create_layer(store, image, dir)?;
            if let Some(notice) = notice {
                eprintln!("ferry: {notice}");
            }
            Ok(match layer.mount(dir) {
                (_, crate::runtime::RootfsSource::Overlay { lower, .. }) => {
                    RootfsConfig::Image { layers: lower }
                }
                (root, crate::runtime::RootfsSource::Directory) => {
                    RootfsConfig::Directory { path: root }
                }
            })
        }
    }
}

/// Turns `-v` flags into mounts: host directories are created if missing (as `docker run -v`
/// does), named volumes are created on first use, anonymous ones get a random name.
fn resolve_volumes(root: &StateRoot, flags: &[VolumeFlag]) -> Result<Vec<MountPoint>> {
    let store = VolumeStore::new(root);
    flags
        .iter()
        .map(|flag| {
            let (kind, name, source, anonymous) = match &flag.source {
                VolumeSource::HostPath(path) => {
                    if fs::symlink_metadata(path).is_err() {
                        fs::create_dir_all(path)
                            .map_err(Error::io("create bind mount source", path))?;
                    }
                    (MountKind::Bind, String::new(), path.clone(), false)
                }
                VolumeSource::Named(name) => {
                    let volume = store.create(Some(name), false)?;
                    (MountKind::Volume, volume.name, volume.mountpoint, false)
                }
                VolumeSource::Anonymous => {
                    let volume = store.create(None, true)?;
                    (MountKind::Volume, volume.name, volume.mountpoint, true)
                }
            };
            Ok(MountPoint {
                kind,
                name,
                source,
                destination: flag.destination.clone(),
                read_only: flag.read_only,
                anonymous,
            })
        })
        .collect()
}

/// What `create` resolved from the options before the configuration is put together.
struct Resolved {
    rootfs: RootfsConfig,
    mounts: Vec<MountPoint>,
    links: Vec<Link>,
    security: SecurityConfig,
}

/// Everything about the new container that does not depend on where its files are.
fn container_config(
    id: &ContainerId,
    image: &ImageConfig,
    resolved: Resolved,
    opts: &RunOptions,
) -> Result<ContainerConfig> {
    let Resolved {
        rootfs,
        mounts,
        links,
        security,
    } = resolved;
    let hostname = match (&opts.hostname, opts.network.as_str()) {
        (Some(name), _) => name.clone(),
        (None, "host") => host_hostname(),
        (None, _) => id.short().to_string(),
    };
    let (entrypoint, cmd) = command(image, opts.entrypoint.as_deref(), &opts.command);
    let args: Vec<String> = entrypoint.iter().chain(&cmd).cloned().collect();
    if args.is_empty() {
        return Err(Error::InvalidArgument("No command specified".into()));
    }
    let base: Vec<String> = [
        format!("PATH={}", toolbox::DEFAULT_PATH),
        format!("HOSTNAME={hostname}"),
    ]
    .into_iter()
    .chain(image.env.iter().cloned())
    .collect();
    let working_dir = match (&opts.workdir, image.working_dir.as_str()) {
        (Some(dir), _) => dir.clone(),
        (None, "") => "/".to_string(),
        (None, image_dir) => image_dir.to_string(),
    };
    Ok(ContainerConfig {
        image: opts.image.clone(),
        rootfs,
        entrypoint,
        cmd,
        args,
        env: with_term(
            merge_env(&base, &opts.env, |k| std::env::var(k).ok()),
            opts.tty,
        ),
        working_dir,
        hostname,
        user: opts.user.clone().unwrap_or_default(),
        tty: opts.tty,
        open_stdin: opts.interactive,
        network_mode: opts.network.clone(),
        published: opts.publish.clone(),
        mounts,
        restart_policy: opts.restart,
        auto_remove: opts.remove,
        limits: Limits::from(&opts.resources),
        links,
        security,
    })
}

// ANCHOR: command
/// PID 1's entrypoint and command, as Docker decides them: `--entrypoint` replaces the image's
/// entrypoint *and* drops the image's `Cmd`; a given command replaces the image's `Cmd`.
fn command(
    image: &ImageConfig,
    entrypoint: Option<&str>,
    given: &[String],
) -> (Vec<String>, Vec<String>) {
    let overridden = entrypoint.is_some();
    let entrypoint: Vec<String> = match entrypoint {
        Some("") => Vec::new(),
        Some(program) => vec![program.to_string()],
        None => image.entrypoint.clone(),
    };
    let cmd = match (given.is_empty(), overridden) {
        (false, _) => given.to_vec(),
        (true, true) => Vec::new(),
        (true, false) => image.cmd.clone(),
    };
    (entrypoint, cmd)
}
// ANCHOR_END: command

/// An environment with `extra` applied over `base`, as Docker builds it: a later `KEY=value`
/// replaces an earlier one; a bare `KEY` copies ferry's own value (`lookup`), or is dropped.
pub fn merge_env(
    base: &[String],
    extra: &[String],
    lookup: impl Fn(&str) -> Option<String>,
) -> Vec<String> {
    let mut env: Vec<String> = Vec::new();
    let extra = extra.iter().filter_map(|e| match e.split_once('=') {
        Some(_) => Some(e.clone()),
        None => lookup(e).map(|v| format!("{e}={v}")),
    });
    for entry in base.iter().cloned().chain(extra) {
        let key = entry.split('=').next().unwrap_or_default().to_string();
        env.retain(|e| e.split('=').next() != Some(key.as_str()));
        env.push(entry);
    }
    env
}

/// With a terminal (`-t`), `TERM=xterm` unless set, as Docker does: programs need it to draw.
pub fn with_term(mut env: Vec<String>, tty: bool) -> Vec<String> {
    if tty && !env.iter().any(|e| e.starts_with("TERM=")) {
        env.push("TERM=xterm".into());
    }
    env
}

/// Reads an `--env-file`: one `KEY=value` (or bare `KEY`) per line; blank lines and `#` comments
/// are skipped, as Docker does.
pub fn parse_env_file(text: &str) -> Result<Vec<String>> {
    let mut env = Vec::new();
    for line in text.lines() {
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let key = line.split('=').next().unwrap_or_default();
        if key.is_empty() || key.contains(char::is_whitespace) {
            return Err(Error::InvalidArgument(format!(
                "invalid environment variable: {line}"
            )));
        }
        env.push(line.to_string());
    }
    Ok(env)
}

fn check_workdir(dir: &str) -> Result<()> {
    if !dir.starts_with('/') {
        return Err(Error::InvalidArgument(format!(
            "the working directory '{dir}' is invalid, it needs to be an absolute path"
        )));
    }
    Ok(())
}

/// A hostname the kernel accepts and resolvers understand: RFC 1123 labels, at most 63 bytes.
fn check_hostname(name: &str) -> Result<()> {
    let label_ok = |l: &str| {
        !l.is_empty()
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    if name.len() > 63 || !name.split('.').all(label_ok) {
        return Err(Error::InvalidArgument(format!(
            "invalid hostname format: {name:?}"
        )));
    }
    Ok(())
}

fn host_hostname() -> String {
    nix::unistd::gethostname()
        .ok()
        .and_then(|h| h.into_string().ok())
        .unwrap_or_else(|| "localhost".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_env_overrides_image_env_and_bare_keys_come_from_the_caller() {
        let base = vec![
            "PATH=/usr/bin".to_string(),
            "HOSTNAME=box".to_string(),
            "PATH=/bin".to_string(),
            "A=image".to_string(),
        ];
        let user = vec![
            "A=user".to_string(),
            "FROM_HOST".to_string(),
            "UNSET".to_string(),
        ];
        let env = merge_env(&base, &user, |k| (k == "FROM_HOST").then(|| "yes".into()));
        assert_eq!(
            env,
            ["HOSTNAME=box", "PATH=/bin", "A=user", "FROM_HOST=yes"]
        );
    }

    #[test]
    fn the_command_defaults_to_the_image_cmd_after_its_entrypoint() {
        let image = ImageConfig {
            entrypoint: vec!["ep".into()],
            cmd: vec!["default".into()],
            ..Default::default()
        };
        let args = |entrypoint: Option<&str>, given: &[&str]| {
            let given: Vec<String> = given.iter().map(|s| s.to_string()).collect();
            let (e, c) = command(&image, entrypoint, &given);
            e.into_iter().chain(c).collect::<Vec<_>>()
        };
        assert_eq!(args(None, &[]), ["ep", "default"]);
        assert_eq!(args(None, &["given"]), ["ep", "given"]);
        assert_eq!(
            args(Some("sh"), &[]),
            ["sh"],
            "--entrypoint drops the image's Cmd"
        );
        assert_eq!(args(Some("sh"), &["-c", "x"]), ["sh", "-c", "x"]);
        assert_eq!(args(Some(""), &["ls"]), ["ls"], "--entrypoint '' clears it");
    }

    #[test]
    fn a_terminal_gets_term_xterm_unless_term_is_set() {
        assert_eq!(with_term(vec!["A=1".into()], true), ["A=1", "TERM=xterm"]);
        assert_eq!(with_term(vec!["TERM=dumb".into()], true), ["TERM=dumb"]);
        assert_eq!(with_term(vec!["A=1".into()], false), ["A=1"]);
    }

    #[test]
    fn env_files_skip_comments_and_blank_lines() {
        let env = parse_env_file("# settings\nA=1\n\n  B=two words\nHOME_FROM_HOST\n").unwrap();
        assert_eq!(env, ["A=1", "B=two words", "HOME_FROM_HOST"]);
        assert!(parse_env_file("=nokey\n").is_err());
        assert!(parse_env_file("BAD KEY=1\n").is_err());
    }

    #[test]
    fn a_relative_workdir_is_refused() {
        assert!(check_workdir("../../etc").is_err());
        assert!(check_workdir("/srv").is_ok());
    }

    #[test]
    fn hostnames_must_be_rfc1123() {
        assert!(check_hostname("box").is_ok());
        assert!(check_hostname("web-1.local").is_ok());
        for bad in ["", "-x", "a_b", "a/b", &"x".repeat(64)] {
            assert!(check_hostname(bad).is_err(), "{bad:?}");
        }
    }
}
