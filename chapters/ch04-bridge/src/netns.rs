//! Network namespaces: making them and running code inside them.
//!
//! A network namespace lives as long as something refers to it: a process in it, a mount of its
//! `/proc/.../ns/net` file (what `ip netns add` makes under /run/netns), or an open file
//! descriptor of that file. This chapter keeps file descriptors, so the namespaces vanish with the
//! program and nothing needs cleaning up.
//!
//! Namespace membership is per *thread*. [`Netns::exec`] is `ip netns exec`: it runs a closure on
//! a new thread that first joins the namespace with `setns(2)`; every socket the closure opens
//! (netlink included) belongs to that namespace.

use std::fs::File;
use std::os::fd::AsFd;

use nix::sched::{setns, unshare, CloneFlags};

use crate::{Error, Result};

/// A network namespace, kept alive by an open descriptor of its `ns/net` file.
#[derive(Debug)]
pub struct Netns {
    name: String,
    file: File,
}

impl Netns {
    // ANCHOR: new_netns
    /// Creates a new, empty network namespace (only `lo`, down): `ip netns add NAME`.
    pub fn new(name: &str) -> Result<Self> {
        let file = on_new_thread(name, || {
            unshare(CloneFlags::CLONE_NEWNET).map_err(Error::sys("unshare(CLONE_NEWNET)"))?;
            File::open("/proc/thread-self/ns/net")
                .map_err(Error::io("open", "/proc/thread-self/ns/net"))
        })?;
        Ok(Self {
            name: name.to_string(),
            file,
        })
    }
    // ANCHOR_END: new_netns

    /// The network namespace process `pid` is in, by its `/proc/PID/ns/net` file: what the
    /// seeds' `ln -s /proc/$pid/ns/net /var/run/netns/$pid` gives `ip netns` a name for.
    pub fn of_process(pid: i32, name: &str) -> Result<Self> {
        let path = format!("/proc/{pid}/ns/net");
        let file = File::open(&path).map_err(Error::io("open", &path))?;
        Ok(Self {
            name: name.to_string(),
            file,
        })
    }

    /// The name the demo gave it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The descriptor netlink's `IFLA_NET_NS_FD` takes to move a link here.
    pub fn file(&self) -> &File {
        &self.file
    }

    // ANCHOR: exec
    /// Runs `f` inside this namespace and returns its result: `ip netns exec NAME …`.
    pub fn exec<T: Send>(&self, f: impl FnOnce() -> Result<T> + Send) -> Result<T> {
        on_new_thread(&self.name, || {
            setns(self.file.as_fd(), CloneFlags::CLONE_NEWNET)
                .map_err(Error::sys(format!("setns into {}", self.name)))?;
            f()
        })
    }
    // ANCHOR_END: exec
}

/// Moves the calling thread — and every thread it starts afterwards — into a new network
/// namespace. The demos call it first thing, so the namespace they treat as "the host" is a
/// throw-away one and the real host's links, addresses and iptables rules are never touched.
pub fn isolate_this_thread() -> Result<()> {
    unshare(CloneFlags::CLONE_NEWNET)
        .map_err(Error::sys("unshare(CLONE_NEWNET) for the demo's host"))
}

/// Runs `f` on a scoped thread (so namespace changes die with it) and returns its result.
fn on_new_thread<T: Send>(name: &str, f: impl FnOnce() -> Result<T> + Send) -> Result<T> {
    std::thread::scope(|scope| scope.spawn(f).join())
        .map_err(|_| Error::ThreadPanicked(name.to_string()))?
}
