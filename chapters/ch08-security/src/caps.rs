//! Capabilities: root's power cut into 41 pieces, and how a process gives pieces away.
//!
//! The kernel does not ask "is this uid 0?" before a privileged operation; it asks "does this
//! process have capability X in its *effective* set?" (`chown` needs `CAP_CHOWN`, `mount` needs
//! `CAP_SYS_ADMIN`...). Each process has five sets, shown as hex masks in `/proc/PID/status`:
//!
//! - `CapEff`, effective: what the kernel checks;
//! - `CapPrm`, permitted: what the process may put into its effective set;
//! - `CapInh`, inheritable, and `CapAmb`, ambient: what may survive `execve`;
//! - `CapBnd`, the bounding set: the ceiling; a capability dropped from it can never come back,
//!   not even through a setuid-root or file-capability binary.
//!
//! Bit N of a mask is capability number N, named in [`NAMES`].

use std::path::Path;

use nix::errno::Errno;

use crate::Error;

// ANCHOR: names
/// Capability names by number, as in `<linux/capability.h>`: bit N of a mask is `NAMES[N]`.
pub const NAMES: [&str; 41] = [
    "CAP_CHOWN",              // 0: change a file's owner and group
    "CAP_DAC_OVERRIDE",       // 1: bypass file read/write/execute permission checks
    "CAP_DAC_READ_SEARCH",    // 2: bypass read and search checks; open_by_handle_at
    "CAP_FOWNER",             // 3: act as the owner of any file (chmod, utime)
    "CAP_FSETID",             // 4: keep setuid/setgid bits when a file is modified
    "CAP_KILL",               // 5: send signals to processes of other users
    "CAP_SETGID",             // 6: change group ids
    "CAP_SETUID",             // 7: change user ids
    "CAP_SETPCAP",            // 8: drop from the bounding set; grant inheritable caps
    "CAP_LINUX_IMMUTABLE",    // 9: set the immutable and append-only attributes
    "CAP_NET_BIND_SERVICE",   // 10: bind ports below 1024
    "CAP_NET_BROADCAST",      // 11: (unused) broadcast and multicast
    "CAP_NET_ADMIN",          // 12: configure interfaces, routes, firewall
    "CAP_NET_RAW",            // 13: raw and packet sockets (ping)
    "CAP_IPC_LOCK",           // 14: lock memory (mlock)
    "CAP_IPC_OWNER",          // 15: bypass System V IPC permission checks
    "CAP_SYS_MODULE",         // 16: load and unload kernel modules
    "CAP_SYS_RAWIO",          // 17: ioperm, iopl, /dev/mem
    "CAP_SYS_CHROOT",         // 18: chroot
    "CAP_SYS_PTRACE",         // 19: ptrace any process
    "CAP_SYS_PACCT",          // 20: process accounting
    "CAP_SYS_ADMIN",          // 21: mount, sethostname, setns... "the new root"
    "CAP_SYS_BOOT",           // 22: reboot, kexec
    "CAP_SYS_NICE",           // 23: raise priority, set other processes' scheduling
    "CAP_SYS_RESOURCE",       // 24: exceed resource limits
    "CAP_SYS_TIME",           // 25: set the system clock
    "CAP_SYS_TTY_CONFIG",     // 26: vhangup, configure ttys
    "CAP_MKNOD",              // 27: create device nodes
    "CAP_LEASE",              // 28: file leases
    "CAP_AUDIT_WRITE",        // 29: write to the audit log
    "CAP_AUDIT_CONTROL",      // 30: configure auditing
    "CAP_SETFCAP",            // 31: set file capabilities
    "CAP_MAC_OVERRIDE",       // 32: override a MAC policy (Smack)
    "CAP_MAC_ADMIN",          // 33: configure a MAC policy
    "CAP_SYSLOG",             // 34: syslog(2), dmesg; see real kernel addresses
    "CAP_WAKE_ALARM",         // 35: alarms that wake the system
    "CAP_BLOCK_SUSPEND",      // 36: block system suspend
    "CAP_AUDIT_READ",         // 37: read the audit log over netlink
    "CAP_PERFMON",            // 38: performance monitoring
    "CAP_BPF",                // 39: privileged eBPF
    "CAP_CHECKPOINT_RESTORE", // 40: checkpoint/restore helpers
];
// ANCHOR_END: names

/// Capability numbers the demos use.
pub const CAP_CHOWN: u32 = 0;
/// `CAP_SYS_ADMIN`: mount, among many other things.
pub const CAP_SYS_ADMIN: u32 = 21;

/// The capability set of a root process before this chapter, measured in a ferry container on
/// this machine (every capability the host's root has; this kernel's root lacks CAP_SYS_RESOURCE).
pub const FERRY_BEFORE: u64 = 0x0000_01ff_feff_ffff;
/// Docker's default: 14 capabilities.
pub const DOCKER_DEFAULT: u64 = 0x0000_0000_a804_25fb;

/// The names of the capabilities set in `mask`, lowest bit first. Bits past the table's end
/// (a newer kernel's capabilities) are shown as `cap_N`.
pub fn decode(mask: u64) -> Vec<String> {
    (0..64)
        .filter(|bit| mask & (1u64 << bit) != 0)
        .map(|bit| match NAMES.get(bit) {
            Some(name) => (*name).to_string(),
            None => format!("cap_{bit}"),
        })
        .collect()
}

/// The number of capability `name` (with or without `CAP_`, any case).
pub fn number(name: &str) -> Option<u32> {
    let upper = name.to_ascii_uppercase();
    let full = if upper.starts_with("CAP_") {
        upper
    } else {
        format!("CAP_{upper}")
    };
    NAMES.iter().position(|n| *n == full).map(|n| n as u32)
}

/// One field of a `/proc/PID/status` file (`CapEff`, `Seccomp`, `NoNewPrivs`...), trimmed.
pub fn status_field(status: &str, field: &str) -> Option<String> {
    status.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        (name == field).then(|| value.trim().to_string())
    })
}

/// Reads one field of this process's `/proc/self/status`.
pub fn own_status(field: &str) -> Result<String, Error> {
    let path = Path::new("/proc/self/status");
    let status = std::fs::read_to_string(path).map_err(Error::io("read", path))?;
    status_field(&status, field).ok_or_else(|| Error::Parse {
        what: format!("{field} in {}", path.display()),
        content: "no such field".into(),
    })
}

/// Reads one capability mask (`CapEff`, `CapPrm`, `CapBnd`...) of this process.
pub fn own_mask(field: &str) -> Result<u64, Error> {
    let hex = own_status(field)?;
    u64::from_str_radix(&hex, 16).map_err(|_| Error::Parse {
        what: format!("{field} in /proc/self/status"),
        content: hex,
    })
}

// ANCHOR: capset_abi
/// `struct __user_cap_header_struct`: which ABI version, and which process (0: the caller).
#[repr(C)]
struct CapHeader {
    version: u32,
    pid: libc::c_int,
}

/// `struct __user_cap_data_struct`: 32 bits of each set. Version 3 passes two of them, bits
/// 0-31 and 32-63.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

/// `_LINUX_CAPABILITY_VERSION_3`: 64-bit sets, in two `CapData`.
const CAPABILITY_VERSION_3: u32 = 0x2008_0522;
// ANCHOR_END: capset_abi

/// The three sets `capget(2)` and `capset(2)` read and write, as 64-bit masks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CapSets {
    /// What the kernel checks.
    pub effective: u64,
    /// What the process may make effective.
    pub permitted: u64,
    /// What may be passed through `execve`.
    pub inheritable: u64,
}

impl CapSets {
    /// The calling thread's sets (`capget(2)`; libc has no wrapper, so it is the raw syscall).
    pub fn get() -> Result<CapSets, Error> {
        let mut header = CapHeader {
            version: CAPABILITY_VERSION_3,
            pid: 0,
        };
        let mut data = [CapData::default(); 2];
        // SAFETY: header and data are the structs capget(2) documents for version 3, and data
        // has the two elements version 3 writes.
        let rc = unsafe { libc::syscall(libc::SYS_capget, &mut header, data.as_mut_ptr()) };
        Errno::result(rc).map_err(Error::sys("capget"))?;
        let join = |low: u32, high: u32| u64::from(low) | (u64::from(high) << 32);
        Ok(CapSets {
            effective: join(data[0].effective, data[1].effective),
            permitted: join(data[0].permitted, data[1].permitted),
            inheritable: join(data[0].inheritable, data[1].inheritable),
        })
    }

    /// Sets the calling thread's sets (`capset(2)`). The kernel refuses (EPERM) to add to the
    /// permitted set, or to make effective what is not permitted: a process can only give up.
    pub fn set(&self) -> Result<(), Errno> {
        let header = CapHeader {
            version: CAPABILITY_VERSION_3,
            pid: 0,
        };
        let split = |mask: u64| (mask as u32, (mask >> 32) as u32);
        let (eff, eff_hi) = split(self.effective);
        let (prm, prm_hi) = split(self.permitted);
        let (inh, inh_hi) = split(self.inheritable);
        let data = [
            CapData {
                effective: eff,
                permitted: prm,
                inheritable: inh,
            },
            CapData {
                effective: eff_hi,
                permitted: prm_hi,
                inheritable: inh_hi,
            },
        ];
        // SAFETY: as in `get`; capset only reads the structs.
        let rc = unsafe { libc::syscall(libc::SYS_capset, &header, data.as_ptr()) };
        Errno::result(rc).map(drop)
    }
}

// ANCHOR: drop_capability
/// Drops capability `cap` for good from the calling process: from the bounding set first (which
/// needs CAP_SETPCAP, so while we still have it), then from the effective, permitted and
/// inheritable sets. Nothing can give it back: not `capset` (a process may only lower its
/// permitted set) and not `execve` of a setuid-root binary (the bounding set caps what any
/// exec may grant).
pub fn drop_capability(cap: u32) -> Result<(), Error> {
    // SAFETY: prctl with PR_CAPBSET_DROP takes the capability number as its only argument.
    let rc = unsafe { libc::prctl(libc::PR_CAPBSET_DROP, cap as libc::c_ulong, 0, 0, 0) };
    Errno::result(rc).map_err(Error::sys(format!("prctl(PR_CAPBSET_DROP, {cap})")))?;
    let mut sets = CapSets::get()?;
    let bit = 1u64 << cap;
    sets.effective &= !bit;
    sets.permitted &= !bit;
    sets.inheritable &= !bit;
    sets.set().map_err(Error::sys("capset"))
}
// ANCHOR_END: drop_capability

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dockers_default_mask_is_its_fourteen_capabilities() {
        assert_eq!(
            decode(DOCKER_DEFAULT),
            [
                "CAP_CHOWN",
                "CAP_DAC_OVERRIDE",
                "CAP_FOWNER",
                "CAP_FSETID",
                "CAP_KILL",
                "CAP_SETGID",
                "CAP_SETUID",
                "CAP_SETPCAP",
                "CAP_NET_BIND_SERVICE",
                "CAP_NET_RAW",
                "CAP_SYS_CHROOT",
                "CAP_MKNOD",
                "CAP_AUDIT_WRITE",
                "CAP_SETFCAP",
            ]
        );
    }

    #[test]
    fn ferrys_old_mask_is_every_capability_but_sys_resource() {
        let names = decode(FERRY_BEFORE);
        assert_eq!(names.len(), 40);
        assert!(!names.contains(&"CAP_SYS_RESOURCE".to_string()));
        assert!(names.contains(&"CAP_SYS_ADMIN".to_string()));
        assert!(names.contains(&"CAP_CHECKPOINT_RESTORE".to_string()));
    }

    #[test]
    fn unknown_bits_are_shown_by_number() {
        assert_eq!(decode(1 << 41 | 1), ["CAP_CHOWN", "cap_41"]);
        assert!(decode(0).is_empty());
    }

    #[test]
    fn names_are_found_with_or_without_the_prefix() {
        assert_eq!(number("CAP_CHOWN"), Some(CAP_CHOWN));
        assert_eq!(number("sys_admin"), Some(CAP_SYS_ADMIN));
        assert_eq!(number("CAP_NOPE"), None);
    }

    #[test]
    fn status_fields_are_found_by_exact_name() {
        let status = "Name:\tx\nCapEff:\t000001fffeffffff\nSeccomp:\t2\nSeccomp_filters:\t1\n";
        assert_eq!(
            status_field(status, "CapEff").as_deref(),
            Some("000001fffeffffff")
        );
        assert_eq!(status_field(status, "Seccomp").as_deref(), Some("2"));
        assert_eq!(status_field(status, "CapBnd"), None);
    }

    #[test]
    fn this_process_has_readable_masks() {
        let eff = own_mask("CapEff").expect("readable by anyone");
        let sets = CapSets::get().expect("capget needs no privilege");
        assert_eq!(sets.effective, eff);
    }
}
