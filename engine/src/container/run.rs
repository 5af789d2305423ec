//! `ferry run`: from an image name and a command to a finished container, with its state on disk.

use std::fs;
use std::path::{Path, PathBuf};

use super::{ContainerId, ContainerState, StateRoot, Status};
use crate::image::{toolbox, ImageConfig, ImageStore, Reference};
use crate::runtime::{self, ContainerSpec, NetworkMode, RootfsSource};
use crate::{Error, Result};

/// What the user asked `ferry run` for.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// An image reference, or the path of a root filesystem directory.
    pub image: String,
    /// The command; empty means the image's default.
    pub command: Vec<String>,
    /// `--rm`: remove the container once it exits.
    pub remove: bool,
    /// `--hostname`; default: the short id.
    pub hostname: Option<String>,
    /// `-e KEY=value` or `-e KEY` (taken from ferry's own environment).
    pub env: Vec<String>,
    /// `-w`: the working directory, absolute.
    pub workdir: Option<String>,
    /// `--network`.
    pub network: NetworkMode,
    /// `-i`: keep stdin open.
    pub interactive: bool,
}

/// Where a container's root filesystem comes from, once the image argument is resolved.
struct Source {
    rootfs: PathBuf,
    is_directory: bool,
    config: ImageConfig,
}

/// Runs a container in the foreground and returns its exit code (128+N if signal N killed it).
pub fn run(root: &StateRoot, opts: &RunOptions) -> Result<i32> {
    if let Some(dir) = &opts.workdir {
        check_workdir(dir)?;
    }
    if let Some(name) = &opts.hostname {
        check_hostname(name)?;
    }
    let source = resolve_source(root, &opts.image)?;
    let id = ContainerId::random()?;
    let dir = root.container_dir(&id);
    let outcome = create_and_run(&dir, &id, &source, opts);
    if opts.remove {
        fs::remove_dir_all(&dir).map_err(Error::io("remove container directory", &dir))?;
    }
    outcome
}

fn create_and_run(dir: &Path, id: &ContainerId, source: &Source, opts: &RunOptions) -> Result<i32> {
    let spec = container_spec(dir, id, source, opts)?;
    let mut state = ContainerState {
        id: id.clone(),
        image: opts.image.clone(),
        command: spec.args.clone(),
        status: Status::Created,
        pid: None,
        exit_code: None,
        oom_killed: false,
    };
    state.save(dir)?;
    let spawned = match runtime::spawn(&spec, |_pid| Ok(())) {
        Ok(spawned) => spawned,
        Err(e) => {
            state.exit_code = Some(e.exit_code());
            state.save(dir)?;
            return Err(e);
        }
    };
    state.status = Status::Running;
    state.pid = Some(spawned.pid.as_raw());
    state.save(dir)?;
    let exit = runtime::wait(spawned)?;
    state.status = Status::Exited;
    state.pid = None;
    state.exit_code = Some(exit.code());
    state.save(dir)?;
    Ok(exit.code())
}

/// Creates the container's directory (and writable layer) and describes what to start.
fn container_spec(
    dir: &Path,
    id: &ContainerId,
    source: &Source,
    opts: &RunOptions,
) -> Result<ContainerSpec> {
    fs::create_dir_all(dir).map_err(Error::io("create container directory", dir))?;
    let (root, rootfs) = if source.is_directory {
        (source.rootfs.clone(), RootfsSource::Directory)
    } else {
        let (upper, work) = (dir.join("upper"), dir.join("work"));
        for d in [&upper, &work] {
            fs::create_dir(d).map_err(Error::io("create directory", d))?;
        }
        (
            dir.join("merged"),
            RootfsSource::Overlay {
                lower: vec![source.rootfs.clone()],
                upper,
                work,
            },
        )
    };
    let hostname = match (&opts.hostname, opts.network) {
        (Some(name), _) => name.clone(),
        (None, NetworkMode::Host) => host_hostname(),
        (None, NetworkMode::None) => id.short().to_string(),
    };
    let args = command(&source.config, &opts.command)?;
    let env = container_env(&source.config.env, &hostname, &opts.env, |k| {
        std::env::var(k).ok()
    });
    let cwd = match (&opts.workdir, source.config.working_dir.as_str()) {
        (Some(dir), _) => dir.clone(),
        (None, "") => "/".to_string(),
        (None, image_dir) => image_dir.to_string(),
    };
    Ok(ContainerSpec {
        root,
        rootfs,
        hostname,
        args,
        env,
        cwd: cwd.into(),
        network: opts.network,
        keep_stdin: opts.interactive,
    })
}

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
        return Ok(Source {
            rootfs,
            is_directory: true,
            config: ImageConfig::default(),
        });
    }
    let reference = Reference::parse(image)?;
    let store = ImageStore::new(root);
    let stored = match store.get(&reference)? {
        Some(found) => found,
        None if reference == Reference::parse(toolbox::IMAGE_NAME)? => toolbox::ensure(&store)?,
        None => return Err(Error::ImageNotFound(reference.to_string())),
    };
    Ok(Source {
        rootfs: stored.rootfs,
        is_directory: false,
        config: stored.config,
    })
}

/// PID 1's argv: the image's entrypoint followed by the given command, or by the image's `Cmd`.
fn command(config: &ImageConfig, given: &[String]) -> Result<Vec<String>> {
    let cmd = if given.is_empty() { &config.cmd } else { given };
    let args: Vec<String> = config.entrypoint.iter().chain(cmd).cloned().collect();
    if args.is_empty() {
        return Err(Error::InvalidArgument("No command specified".into()));
    }
    Ok(args)
}

/// The environment as Docker builds it: PATH (default), HOSTNAME, the image's variables, then
/// `-e` (a bare `-e KEY` copies ferry's own value, or is dropped), then HOME if still unset.
fn container_env(
    image_env: &[String],
    hostname: &str,
    user_env: &[String],
    lookup: impl Fn(&str) -> Option<String>,
) -> Vec<String> {
    let mut env: Vec<String> = vec![
        format!("PATH={}", toolbox::DEFAULT_PATH),
        format!("HOSTNAME={hostname}"),
    ];
    let user = user_env.iter().filter_map(|e| match e.split_once('=') {
        Some(_) => Some(e.clone()),
        None => lookup(e).map(|v| format!("{e}={v}")),
    });
    for entry in image_env.iter().cloned().chain(user) {
        let key = entry.split('=').next().unwrap_or_default().to_string();
        env.retain(|e| e.split('=').next() != Some(key.as_str()));
        env.push(entry);
    }
    if !env.iter().any(|e| e.starts_with("HOME=")) {
        env.push("HOME=/root".into());
    }
    env
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
        let image = vec!["PATH=/bin".to_string(), "A=image".to_string()];
        let user = vec![
            "A=user".to_string(),
            "FROM_HOST".to_string(),
            "UNSET".to_string(),
        ];
        let env = container_env(&image, "box", &user, |k| {
            (k == "FROM_HOST").then(|| "yes".into())
        });
        assert_eq!(
            env,
            [
                "HOSTNAME=box",
                "PATH=/bin",
                "A=user",
                "FROM_HOST=yes",
                "HOME=/root"
            ]
        );
    }

    #[test]
    fn the_command_defaults_to_the_image_cmd_after_its_entrypoint() {
        let config = ImageConfig {
            entrypoint: vec!["ep".into()],
            cmd: vec!["default".into()],
            ..Default::default()
        };
        assert_eq!(command(&config, &[]).unwrap(), ["ep", "default"]);
        assert_eq!(
            command(&config, &["given".into()]).unwrap(),
            ["ep", "given"]
        );
        assert!(command(&ImageConfig::default(), &[]).is_err());
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
