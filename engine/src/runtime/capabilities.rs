//! Capabilities: root's powers, cut into about forty pieces, of which a container keeps a few.
//!
//! Since Linux 2.2, "root can do anything" is not one bit but a set of capabilities:
//! `CAP_SYS_ADMIN` to mount, `CAP_NET_ADMIN` to configure interfaces, `CAP_SYS_MODULE` to load
//! kernel modules, `CAP_DAC_READ_SEARCH` to open any file by its handle… A process has several
//! sets of them; the ones that matter here are:
//! - the **bounding** set: the most it can ever have again, even by executing a setuid-root or
//!   file-capability program. Dropping a capability from it is forever, for it and its children;
//! - **permitted** and **effective**: what it may use, and what it uses now;
//! - **inheritable** and **ambient**: what passes through `execve` to programs without file
//!   capabilities.
//!
//! A container's root keeps Docker's fourteen (chown files, bind low ports, `mknod`, `kill`…) and
//! loses the rest, so uid 0 inside cannot mount, load modules, change the clock or read host
//! files by handle. The set is applied in the child just before `exec`: bounding first (that needs
//! `CAP_SETPCAP`, which the engine's root still has), then — after the switch to the `-u` user —
//! permitted and effective; inheritable and ambient stay empty.

use std::fmt;
use std::str::FromStr;

use caps::{CapSet, Capability, CapsHashSet};

use super::exec::Failure;

// ANCHOR: docker_default
/// The capabilities a Docker container keeps by default (`oci.DefaultCapabilities`): what
/// ordinary programs need as root inside their own files and network, and nothing that reaches
/// the kernel or other containers.
pub const DOCKER_DEFAULT: [Capability; 14] = [
    Capability::CAP_CHOWN,
    Capability::CAP_DAC_OVERRIDE,
    Capability::CAP_FSETID,
    Capability::CAP_FOWNER,
    Capability::CAP_MKNOD,
    Capability::CAP_NET_RAW,
    Capability::CAP_SETGID,
    Capability::CAP_SETUID,
    Capability::CAP_SETFCAP,
    Capability::CAP_SETPCAP,
    Capability::CAP_NET_BIND_SERVICE,
    Capability::CAP_SYS_CHROOT,
    Capability::CAP_KILL,
    Capability::CAP_AUDIT_WRITE,
];
// ANCHOR_END: docker_default

/// A set of capabilities, kept in kernel order (so it prints and compares the same every time).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// Bit `n` is capability number `n`, as in `/proc/PID/status`'s `CapEff` line.
    mask: u64,
}

impl Capabilities {
    /// Docker's default set.
    pub fn docker_default() -> Self {
        DOCKER_DEFAULT.into_iter().collect()
    }

    /// Every capability this process holds in its bounding set: what `--privileged` can give. (On
    /// a host whose root lacks some, such as `CAP_SYS_RESOURCE` here, asking for more would fail.)
    pub fn all_held() -> Self {
        caps::read(None, CapSet::Bounding)
            .unwrap_or_default()
            .into_iter()
            .collect()
    }

    /// Whether `cap` is in the set.
    pub fn contains(&self, cap: Capability) -> bool {
        self.mask & cap.bitmask() != 0
    }

    /// Adds `cap`.
    pub fn insert(&mut self, cap: Capability) {
        self.mask |= cap.bitmask();
    }

    /// Removes `cap`.
    pub fn remove(&mut self, cap: Capability) {
        self.mask &= !cap.bitmask();
    }

    /// The set as the kernel prints it in `/proc/PID/status` (`CapEff: 00000000a80425fb`).
    pub fn hex(&self) -> String {
        format!("{:016x}", self.mask)
    }

    /// The capabilities, in kernel order.
    pub fn iter(&self) -> impl Iterator<Item = Capability> {
        let mut held: Vec<Capability> = caps::all()
            .into_iter()
            .filter(|c| self.contains(*c))
            .collect();
        held.sort_by_key(|c| c.index());
        held.into_iter()
    }

    /// Their names (`CAP_CHOWN`, …), in kernel order.
    pub fn names(&self) -> Vec<String> {
        self.iter().map(|c| c.to_string()).collect()
    }

    fn hash_set(&self) -> CapsHashSet {
        self.iter().collect()
    }
}

impl FromIterator<Capability> for Capabilities {
    fn from_iter<I: IntoIterator<Item = Capability>>(caps: I) -> Self {
        let mut set = Capabilities::default();
        caps.into_iter().for_each(|c| set.insert(c));
        set
    }
}

impl fmt::Debug for Capabilities {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

/// What a `--cap-add`/`--cap-drop` value names: one capability, or `ALL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapabilityName {
    /// `ALL`.
    All,
    /// One capability.
    One(Capability),
}

impl FromStr for CapabilityName {
    type Err = String;

    /// Parses a name as Docker accepts it: any case, with or without `CAP_`, or `ALL`.
    fn from_str(name: &str) -> Result<Self, String> {
        if name.eq_ignore_ascii_case("all") {
            return Ok(CapabilityName::All);
        }
        Capability::from_str(&caps::to_canonical(name))
            .map(CapabilityName::One)
            .map_err(|_| format!("invalid capability: {name:?}"))
    }
}

// ANCHOR: resolve
/// The set a container gets: `base` with `--cap-drop` removed, then `--cap-add` added — Docker's
/// order, so `--cap-drop ALL --cap-add NET_BIND_SERVICE` keeps exactly one. `ALL` in `add` means
/// every capability the engine holds.
pub fn resolve(
    base: &Capabilities,
    add: &[CapabilityName],
    drop: &[CapabilityName],
) -> Capabilities {
    let mut set = base.clone();
    for name in drop {
        match name {
            CapabilityName::All => set = Capabilities::default(),
            CapabilityName::One(cap) => set.remove(*cap),
        }
    }
    for name in add {
        match name {
            CapabilityName::All => set = Capabilities::all_held(),
            CapabilityName::One(cap) => set.insert(*cap),
        }
    }
    set
}
// ANCHOR_END: resolve

fn failed(step: &'static str) -> impl Fn(caps::errors::CapsError) -> Failure {
    move |e| Failure::engine(format!("{step}: {e}"))
}

// ANCHOR: apply
/// First half, as root before the user switch: shrink the bounding set to `keep` (forever, for
/// this process and everything it starts) and ask the kernel to keep the permitted set across
/// `setuid`, so the second half can still set it.
pub(super) fn limit_bounding_set(keep: &Capabilities) -> Result<(), Failure> {
    for cap in caps::runtime::thread_all_supported() {
        if !keep.contains(cap) {
            caps::drop(None, CapSet::Bounding, cap)
                .map_err(failed("drop from the bounding set"))?;
        }
    }
    nix::sys::prctl::set_keepcaps(true)
        .map_err(|e| Failure::engine(format!("keep capabilities across setuid: {e}")))
}

/// Second half, after the user switch: exactly `keep` in the permitted and effective sets,
/// nothing inheritable or ambient — what dockerd asks runc for. A non-root user then loses them
/// all at `execve` (a program without file capabilities gains only ambient ones), which is
/// Docker's behaviour for `-u`. An empty inheritable set also means a program with inheritable
/// file capabilities gains nothing from us (CVE-2022-24769, fixed in Docker the same way).
pub(super) fn set_process_sets(keep: &Capabilities) -> Result<(), Failure> {
    let set = keep.hash_set();
    caps::clear(None, CapSet::Inheritable).map_err(failed("clear the inheritable capabilities"))?;
    // Effective must shrink before permitted: it may never hold more than permitted.
    caps::set(None, CapSet::Effective, &set).map_err(failed("set the effective capabilities"))?;
    caps::set(None, CapSet::Permitted, &set).map_err(failed("set the permitted capabilities"))?;
    caps::clear(None, CapSet::Ambient).map_err(failed("clear the ambient capabilities"))?;
    nix::sys::prctl::set_keepcaps(false)
        .map_err(|e| Failure::engine(format!("stop keeping capabilities: {e}")))
}
// ANCHOR_END: apply

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<CapabilityName> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    #[test]
    fn dockers_default_set_is_what_docker_containers_show_as_capeff() {
        assert_eq!(Capabilities::docker_default().hex(), "00000000a80425fb");
    }

    #[test]
    fn names_are_accepted_in_any_case_with_or_without_the_prefix() {
        assert_eq!(
            "net_admin".parse::<CapabilityName>(),
            Ok(CapabilityName::One(Capability::CAP_NET_ADMIN))
        );
        assert_eq!(
            "CAP_SYS_ADMIN".parse::<CapabilityName>(),
            Ok(CapabilityName::One(Capability::CAP_SYS_ADMIN))
        );
        assert_eq!("all".parse::<CapabilityName>(), Ok(CapabilityName::All));
        assert_eq!(
            "NOPE".parse::<CapabilityName>(),
            Err("invalid capability: \"NOPE\"".to_string())
        );
    }

    #[test]
    fn drops_apply_before_adds_as_in_docker() {
        let base = Capabilities::docker_default();
        let only = resolve(&base, &names(&["NET_BIND_SERVICE"]), &names(&["ALL"]));
        assert_eq!(only.names(), ["CAP_NET_BIND_SERVICE"]);
        assert_eq!(
            resolve(&base, &[], &names(&["ALL"])).hex(),
            "0000000000000000"
        );
        let more = resolve(&base, &names(&["sys_admin"]), &names(&["chown"]));
        assert!(more.contains(Capability::CAP_SYS_ADMIN));
        assert!(!more.contains(Capability::CAP_CHOWN));
        assert_eq!(more.names().len(), 14);
    }
}
