//! `ferry cp`: copying files between the host and a container, both ways, with Docker's rules for
//! what lands where.
//!
//! The container's side of a copy runs in a child process that `chroot`s into the container's root
//! first — `/proc/<pid>/root` while it runs (its overlay and volumes exist only in its own mount
//! namespace), or, when it does not run, its overlay and volumes mounted in a private mount
//! namespace of the child's own. Every path in the container is then resolved by the kernel as the
//! container would resolve it: a symlink to `/etc` means the container's `/etc`, never the host's.
//! The two sides talk through a pipe carrying a tar archive, as `docker cp` does.

use std::fs::{self, File, Metadata};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::OwnedFd;
use std::path::{Component, Path, PathBuf};

use nix::sched::CloneFlags;
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::{fork, pipe2, ForkResult};

use super::lock::FileLock;
use super::spec;
use super::state::Status;
use super::store::Container;
use crate::runtime;
use crate::{Error, Result};

/// `docker cp` flags.
#[derive(Debug, Clone, Copy, Default)]
pub struct CpOptions {
    /// `-L`: copy what a symlink source points to, not the link.
    pub follow_link: bool,
    /// `-a`: keep the files' owners (uid/gid) instead of making them the copier's.
    pub archive: bool,
}

/// What the source of a copy is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// A file or symlink, archived under its name.
    File(String),
    /// A directory, archived under its name.
    Dir(String),
    /// The entries of a directory (`SRC/.`), archived without the directory.
    Contents,
}

impl Kind {
    fn encode(&self) -> String {
        match self {
            Kind::File(name) => format!("file {name}"),
            Kind::Dir(name) => format!("dir {name}"),
            Kind::Contents => "contents".into(),
        }
    }

    fn decode(line: &str) -> Option<Kind> {
        match line.split_once(' ') {
            Some(("file", name)) => Some(Kind::File(name.into())),
            Some(("dir", name)) => Some(Kind::Dir(name.into())),
            None if line == "contents" => Some(Kind::Contents),
            _ => None,
        }
    }
}

/// Where an archive's entries land: in `dir`, with the top entry renamed (`from` → `to`) or not.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Placement {
    dir: PathBuf,
    rename: Option<(String, String)>,
}

// ANCHOR: place
/// Docker's rules: where a source of kind `kind` goes when copied to `dest` (whose metadata,
/// following symlinks, is `dest_meta`).
fn place(
    kind: &Kind,
    dest: &Path,
    dest_meta: Option<Metadata>,
    parent_is_dir: bool,
) -> Result<Placement> {
    let trailing_slash = dest.as_os_str().to_string_lossy().ends_with('/');
    let dest_name = dest.file_name().map(|n| n.to_string_lossy().into_owned());
    let parent = dest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("/"))
        .to_path_buf();
    let here = |rename| Placement {
        dir: dest.to_path_buf(),
        rename,
    };
    let no_such_dir = || Error::InvalidArgument(format!("no such directory: {}", parent.display()));
    match (kind, dest_meta) {
        (_, Some(meta)) if meta.is_dir() => Ok(here(None)),
        (Kind::Dir(_) | Kind::Contents, Some(_)) => Err(Error::InvalidArgument(format!(
            "cannot overwrite non-directory {} with a directory",
            dest.display()
        ))),
        (Kind::File(name), Some(_)) => Ok(Placement {
            dir: parent,
            rename: Some((name.clone(), dest_name.unwrap_or_default())),
        }),
        (Kind::File(_), None) if trailing_slash => Err(Error::InvalidArgument(format!(
            "destination directory {} does not exist",
            dest.display()
        ))),
        (_, None) if !parent_is_dir => Err(no_such_dir()),
        (Kind::File(name) | Kind::Dir(name), None) => {
            let to = dest_name.ok_or_else(no_such_dir)?;
            Ok(Placement {
                dir: parent,
                rename: Some((name.clone(), to)),
            })
        }
        (Kind::Contents, None) => {
            fs::create_dir(dest).map_err(Error::io("create directory", dest))?;
            Ok(here(None))
        }
    }
}
// ANCHOR_END: place

/// Finds where to put an archive of `kind` at `dest`, in the current root.
fn placement_for(kind: &Kind, dest: &Path) -> Result<Placement> {
    let parent = dest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("/"));
    place(kind, dest, fs::metadata(dest).ok(), parent.is_dir())
}

/// What `src` is, and so how it is archived (`src/.` means its contents).
fn kind_of(src: &Path, follow_link: bool) -> Result<Kind> {
    let contents = src.as_os_str().to_string_lossy().ends_with("/.");
    let meta = if follow_link {
        fs::metadata(src)
    } else {
        fs::symlink_metadata(src)
    };
    let meta = meta.map_err(Error::io("lstat", src))?;
    let name = src
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "root".into());
    Ok(match (contents, meta.is_dir()) {
        (true, true) => Kind::Contents,
        (_, true) => Kind::Dir(name),
        (_, false) => Kind::File(name),
    })
}

// ANCHOR: archive
/// Writes `src` as a tar archive to `out`: under its name, or its entries for [`Kind::Contents`].
/// Symlinks are archived as links (only the source itself is followed, with `-L`).
fn archive(src: &Path, kind: &Kind, follow_link: bool, out: impl Write) -> Result<()> {
    let mut builder = tar::Builder::new(out);
    builder.follow_symlinks(false);
    let failed = |e: std::io::Error| Error::Archive(format!("archive {}: {e}", src.display()));
    let source = if follow_link {
        fs::canonicalize(src).map_err(Error::io("resolve", src))?
    } else {
        src.to_path_buf()
    };
    match kind {
        Kind::Dir(name) => builder.append_dir_all(name, &source).map_err(failed)?,
        Kind::File(name) => builder
            .append_path_with_name(&source, name)
            .map_err(failed)?,
        Kind::Contents => {
            for entry in fs::read_dir(&source).map_err(Error::io("read directory", &source))? {
                let entry = entry.map_err(Error::io("read directory", &source))?;
                let name = entry.file_name();
                if entry
                    .file_type()
                    .map_err(Error::io("stat", entry.path()))?
                    .is_dir()
                {
                    builder
                        .append_dir_all(&name, entry.path())
                        .map_err(failed)?;
                } else {
                    builder
                        .append_path_with_name(entry.path(), &name)
                        .map_err(failed)?;
                }
            }
        }
    }
    builder
        .into_inner()
        .map_err(failed)?
        .flush()
        .map_err(failed)
}
// ANCHOR_END: archive

/// The entry's path below the placement directory, renamed as placed; only plain names are
/// accepted (no `..`, no absolute paths).
fn target_of(entry_path: &Path, placement: &Placement) -> Result<Option<PathBuf>> {
    let mut parts: Vec<String> = Vec::new();
    for component in entry_path.components() {
        match component {
            Component::Normal(part) => parts.push(part.to_string_lossy().into_owned()),
            Component::CurDir => {}
            _ => {
                return Err(Error::Archive(format!(
                    "refusing archive entry {}: it leads outside the destination",
                    entry_path.display()
                )))
            }
        }
    }
    let Some(first) = parts.first_mut() else {
        return Ok(None);
    };
    if let Some((from, to)) = &placement.rename {
        if first == from {
            *first = to.clone();
        }
    }
    Ok(Some(parts.iter().collect()))
}

/// Refuses to write below a symlink that the archive itself created: every directory between
/// the placement and the target must be a real directory.
fn check_no_symlink_between(base: &Path, relative: &Path) -> Result<()> {
    let mut path = base.to_path_buf();
    let components: Vec<_> = relative.components().collect();
    for component in components.iter().take(components.len().saturating_sub(1)) {
        path.push(component);
        if fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(Error::Archive(format!(
                "refusing to write through the symlink {}",
                path.display()
            )));
        }
    }
    Ok(())
}

// ANCHOR: extract
/// Unpacks the archive read from `input` as `placement` says, and reads `input` to its end.
fn extract(input: impl Read, placement: &Placement, archive_mode: bool) -> Result<()> {
    let mut archive = tar::Archive::new(input);
    archive.set_preserve_permissions(true);
    archive.set_preserve_ownerships(archive_mode);
    archive.set_overwrite(true);
    let bad = |e: std::io::Error| Error::Archive(format!("cannot read the archive: {e}"));
    for entry in archive.entries().map_err(bad)? {
        let mut entry = entry.map_err(bad)?;
        let entry_path = entry.path().map_err(bad)?.into_owned();
        let Some(relative) = target_of(&entry_path, placement)? else {
            continue;
        };
        check_no_symlink_between(&placement.dir, &relative)?;
        let target = placement.dir.join(&relative);
        if !entry.header().entry_type().is_dir()
            && fs::symlink_metadata(&target).is_ok_and(|m| m.file_type().is_symlink())
        {
            fs::remove_file(&target).map_err(Error::io("replace", &target))?; // never write through a link
        }
        entry
            .unpack(&target)
            .map_err(|e| Error::Archive(format!("copy to {}: {e}", target.display())))?;
    }
    // The end marker may be followed by padding (or still be on its way through a pipe): take it
    // all, or whoever writes the stream meets a broken pipe once we are gone.
    std::io::copy(&mut archive.into_inner(), &mut std::io::sink())
        .map(drop)
        .map_err(bad)
}
// ANCHOR_END: extract

/// Makes the container's root this process's `/`: its live root while it runs, or its layer and
/// volumes mounted in a new private mount namespace when it does not.
fn enter_root(container: &Container) -> Result<()> {
    let root: PathBuf = match (container.status(), container.record.state.pid) {
        (Status::Running | Status::Paused, Some(pid)) => format!("/proc/{pid}/root").into(),
        _ => {
            nix::sched::unshare(CloneFlags::CLONE_NEWNS)
                .map_err(Error::sys("create a mount namespace for cp"))?;
            let spec = spec::stopped_spec(container)?;
            runtime::mount_rootfs(&spec)?;
            spec.root
        }
    };
    nix::unistd::chroot(&root).map_err(Error::sys("chroot into the container"))?;
    nix::unistd::chdir("/").map_err(Error::sys("chdir into the container"))
}

// ANCHOR: in_container
/// Runs `inside` in a child process chrooted into the container, and `outside` here at the same
/// time, each with its end of a pipe. Returns the first failure, the child's first.
fn in_container(
    container: &Container,
    (child_end, our_end): (OwnedFd, OwnedFd),
    inside: impl FnOnce(File) -> Result<()>,
    outside: impl FnOnce(File) -> Result<()>,
) -> Result<()> {
    // A stopped container's layer must not be mounted by `start` while we mount it: hold its
    // monitor lock (if it is taken, the container has just started: use its live root).
    let _no_start = match container.status() {
        Status::Running | Status::Paused => None,
        _ => FileLock::try_exclusive(&container.monitor_lock())?,
    };
    let (err_rx, err_tx) =
        pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(Error::sys("create a pipe"))?;
    // SAFETY: the CLI is single-threaded; the child only does file work and then _exits.
    match unsafe { fork() }.map_err(Error::sys("fork the copier"))? {
        ForkResult::Child => {
            drop((err_rx, our_end));
            let code = match enter_root(container).and_then(|()| inside(File::from(child_end))) {
                Ok(()) => 0,
                Err(e) => {
                    let _ = File::from(err_tx).write_all(e.to_string().as_bytes());
                    1
                }
            };
            // SAFETY: ends the child without running the parent's destructors twice.
            unsafe { libc::_exit(code) }
        }
        ForkResult::Parent { child } => {
            drop((err_tx, child_end));
            let ours = outside(File::from(our_end));
            let mut message = String::new();
            let _ = File::from(err_rx).read_to_string(&mut message);
            let status = waitpid(child, None).map_err(Error::sys("wait for the copier"))?;
            match (status, message.is_empty()) {
                (_, false) => Err(Error::InvalidArgument(message)),
                (WaitStatus::Exited(_, 0), true) => ours,
                _ => Err(Error::InvalidArgument("the copier process failed".into())),
            }
        }
    }
}
// ANCHOR_END: in_container

/// A pipe as (read end, write end).
fn pipe() -> Result<(OwnedFd, OwnedFd)> {
    pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(Error::sys("create a pipe"))
}

/// `ferry cp SRC CONTAINER:DEST` (`src` is `None` for `-`: a tar archive on stdin, unpacked into
/// the directory `dest`).
pub fn copy_in(
    container: &Container,
    src: Option<&Path>,
    dest: &str,
    opts: CpOptions,
) -> Result<()> {
    let kind = match src {
        Some(src) => kind_of(src, opts.follow_link)?,
        None => Kind::Contents,
    };
    let dest = PathBuf::from(dest);
    in_container(
        container,
        pipe()?,
        |from_host| {
            if src.is_none() && !dest.is_dir() {
                return Err(Error::InvalidArgument(format!(
                    "destination {} must be a directory",
                    dest.display()
                )));
            }
            extract(from_host, &placement_for(&kind, &dest)?, opts.archive)
        },
        |mut to_container| match src {
            Some(src) => archive(src, &kind, opts.follow_link, to_container),
            None => std::io::copy(&mut std::io::stdin().lock(), &mut to_container)
                .map(drop)
                .map_err(Error::io("read", "stdin")),
        },
    )
}

/// `ferry cp CONTAINER:SRC DEST` (`dest` is `None` for `-`: a tar archive on stdout).
pub fn copy_out(
    container: &Container,
    src: &str,
    dest: Option<&Path>,
    opts: CpOptions,
) -> Result<()> {
    let src_path = PathBuf::from(src);
    let name = container.name().to_string();
    let (read_end, write_end) = pipe()?;
    in_container(
        container,
        (write_end, read_end),
        |mut to_host| {
            let kind = kind_of(&src_path, opts.follow_link).map_err(|_| {
                Error::InvalidArgument(format!("Could not find the file {src} in container {name}"))
            })?;
            to_host
                .write_all(format!("{}\n", kind.encode()).as_bytes())
                .map_err(Error::io("write", "the copy pipe"))?;
            archive(&src_path, &kind, opts.follow_link, to_host)
        },
        |from_container| {
            let mut input = BufReader::new(from_container);
            let mut header = String::new();
            input
                .read_line(&mut header)
                .map_err(Error::io("read", "the copy pipe"))?;
            let Some(kind) = Kind::decode(header.trim_end_matches('\n')) else {
                // The child failed before sending anything: its error is reported instead.
                return Ok(());
            };
            match dest {
                Some(dest) => extract(input, &placement_for(&kind, dest)?, opts.archive),
                None => std::io::copy(&mut input, &mut std::io::stdout().lock())
                    .map(drop)
                    .map_err(Error::io("write", "stdout")),
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::symlink;

    use super::*;

    fn meta(p: &Path) -> Option<Metadata> {
        fs::metadata(p).ok()
    }

    #[test]
    fn dockers_rules_decide_where_a_copy_lands() {
        let dir = tempfile::tempdir().unwrap();
        let existing_dir = dir.path().join("d");
        let existing_file = dir.path().join("f");
        fs::create_dir(&existing_dir).unwrap();
        fs::write(&existing_file, b"x").unwrap();
        let file = Kind::File("test.py".into());
        let folder = Kind::Dir("tmp".into());
        // A file into a directory keeps its name; onto a file or a new name it takes that name.
        assert_eq!(
            place(&file, &existing_dir, meta(&existing_dir), true).unwrap(),
            Placement {
                dir: existing_dir.clone(),
                rename: None
            }
        );
        assert_eq!(
            place(&file, &existing_file, meta(&existing_file), true).unwrap(),
            Placement {
                dir: dir.path().to_path_buf(),
                rename: Some(("test.py".into(), "f".into()))
            }
        );
        let new = dir.path().join("new.py");
        assert_eq!(
            place(&file, &new, None, true).unwrap().rename,
            Some(("test.py".into(), "new.py".into()))
        );
        assert!(place(&file, Path::new("/nonexistent/dir/"), None, false)
            .unwrap_err()
            .to_string()
            .contains("does not exist"));
        assert!(place(&file, Path::new("/nonexistent/x"), None, false)
            .unwrap_err()
            .to_string()
            .contains("no such directory"));
        // A directory goes into an existing directory, or becomes the new name; never onto a file.
        assert_eq!(
            place(&folder, &existing_dir, meta(&existing_dir), true)
                .unwrap()
                .rename,
            None
        );
        assert_eq!(
            place(&folder, &new, None, true).unwrap().rename,
            Some(("tmp".into(), "new.py".into()))
        );
        assert!(place(&folder, &existing_file, meta(&existing_file), true).is_err());
        // SRC/. copies the contents, creating the destination.
        let created = dir.path().join("created");
        assert_eq!(
            place(&Kind::Contents, &created, None, true).unwrap(),
            Placement {
                dir: created.clone(),
                rename: None
            }
        );
        assert!(created.is_dir());
    }

    #[test]
    fn an_archive_round_trips_with_renames_and_links_kept_as_links() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src");
        fs::create_dir_all(src.join("sub")).unwrap();
        fs::write(src.join("sub/a.py"), b"love python\n").unwrap();
        symlink("/etc/passwd", src.join("link")).unwrap();
        let mut tar = Vec::new();
        archive(&src, &kind_of(&src, false).unwrap(), false, &mut tar).unwrap();
        let dest = dir.path().join("copy");
        let placement = placement_for(&Kind::Dir("src".into()), &dest).unwrap();
        extract(&tar[..], &placement, false).unwrap();
        assert_eq!(
            fs::read_to_string(dest.join("sub/a.py")).unwrap(),
            "love python\n"
        );
        assert_eq!(
            fs::read_link(dest.join("link")).unwrap(),
            Path::new("/etc/passwd")
        );
    }

    #[test]
    fn an_archive_cannot_write_through_a_link_it_made_or_climb_out() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("outside");
        fs::create_dir(&outside).unwrap();
        let mut builder = tar::Builder::new(Vec::new());
        let mut link = tar::Header::new_gnu();
        link.set_entry_type(tar::EntryType::Symlink);
        link.set_size(0);
        link.set_cksum();
        builder.append_link(&mut link, "evil", &outside).unwrap();
        let mut file = tar::Header::new_gnu();
        file.set_size(1);
        file.set_mode(0o644);
        file.set_cksum();
        builder
            .append_data(&mut file, "evil/pwned", &b"x"[..])
            .unwrap();
        let tar = builder.into_inner().unwrap();
        let dest = dir.path().join("dest");
        fs::create_dir(&dest).unwrap();
        let err = extract(
            &tar[..],
            &Placement {
                dir: dest.clone(),
                rename: None,
            },
            false,
        )
        .unwrap_err();
        assert!(err.to_string().contains("symlink"), "{err}");
        assert!(!outside.join("pwned").exists());
        assert!(target_of(
            Path::new("../x"),
            &Placement {
                dir: dest,
                rename: None
            }
        )
        .is_err());
    }
}
