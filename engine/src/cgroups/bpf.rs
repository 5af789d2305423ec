//! Loading a device program into the kernel and attaching it to a cgroup, with the `bpf(2)`
//! system call (libc has the call's number, not its argument structures: those below follow
//! `union bpf_attr` in `<linux/bpf.h>`, only as far as the commands used here read it).
//!
//! Nothing needs to be kept or cleaned up afterwards: once attached, the cgroup holds the
//! program, so ferry closes its own file descriptor; and when the cgroup is removed the kernel
//! detaches the program and frees it with the cgroup.

use std::ffi::CStr;
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::Path;

use super::device_program::INSN_SIZE;

/// `enum bpf_cmd`.
const BPF_PROG_LOAD: libc::c_long = 5;
const BPF_PROG_ATTACH: libc::c_long = 8;
/// `enum bpf_prog_type`: a program that decides device access for a cgroup.
const BPF_PROG_TYPE_CGROUP_DEVICE: u32 = 15;
/// `enum bpf_attach_type`: where in the cgroup it runs.
const BPF_CGROUP_DEVICE: u32 = 6;
/// Other programs may be attached to the same cgroup and to those above it, and all must allow:
/// the engine's program never replaces one that a parent's owner attached.
const BPF_F_ALLOW_MULTI: u32 = 1 << 1;

/// The license the kernel is told. Device programs call no GPL-only helper; the kernel only wants
/// to know.
const LICENSE: &CStr = c"Apache";

/// The verifier's log level when a load failed: 1 is "why it was refused".
const LOG_LEVEL: u32 = 1;
/// Large enough for the verifier's account of a program of a few hundred instructions.
const LOG_SIZE: usize = 64 * 1024;

/// The leading fields of `union bpf_attr` that `BPF_PROG_LOAD` reads (the kernel treats the
/// fields it is not given as zero).
#[repr(C)]
#[derive(Default)]
struct ProgLoadAttr {
    prog_type: u32,
    insn_cnt: u32,
    insns: u64,
    license: u64,
    log_level: u32,
    log_size: u32,
    log_buf: u64,
    kern_version: u32,
    prog_flags: u32,
}

/// The fields of `union bpf_attr` that `BPF_PROG_ATTACH` reads.
#[repr(C)]
#[derive(Default)]
struct ProgAttachAttr {
    target_fd: u32,
    attach_bpf_fd: u32,
    attach_type: u32,
    attach_flags: u32,
}

/// Why the kernel would not take a program.
#[derive(Debug)]
pub struct BpfError {
    /// The error number.
    pub errno: io::Error,
    /// The verifier's reason, when it refused the program (one line of its log).
    pub verifier: Option<String>,
}

impl std::fmt::Display for BpfError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.verifier {
            Some(reason) => write!(f, "{} (the verifier says: {reason})", self.errno),
            None => write!(f, "{}", self.errno),
        }
    }
}

/// A device program loaded into the kernel (closed on drop; an attached one lives on in its
/// cgroup).
#[derive(Debug)]
pub struct DeviceProgram {
    fd: OwnedFd,
}

impl DeviceProgram {
    /// Loads `instructions` as a `BPF_PROG_TYPE_CGROUP_DEVICE` program.
    ///
    /// Tried once without a log (the verifier's log costs time on every instruction), and on
    /// failure again with one, to tell why.
    pub fn load(instructions: &[u8]) -> Result<DeviceProgram, BpfError> {
        match prog_load(instructions, None) {
            Ok(fd) => Ok(DeviceProgram { fd }),
            Err(errno) => {
                let mut log = vec![0u8; LOG_SIZE];
                let verifier = match prog_load(instructions, Some(&mut log)) {
                    Ok(_) => None,
                    Err(_) => reason(&log),
                };
                Err(BpfError { errno, verifier })
            }
        }
    }

    /// Attaches the program to the cgroup whose directory is `cgroup`: from now on every
    /// `mknod` and `open` of a device node by a process in it (or below it) asks the program.
    pub fn attach(&self, cgroup: &Path) -> Result<(), BpfError> {
        let dir = File::open(cgroup).map_err(|errno| BpfError {
            errno,
            verifier: None,
        })?;
        let attr = ProgAttachAttr {
            target_fd: dir.as_raw_fd() as u32,
            attach_bpf_fd: self.fd.as_raw_fd() as u32,
            attach_type: BPF_CGROUP_DEVICE,
            attach_flags: BPF_F_ALLOW_MULTI,
        };
        bpf(BPF_PROG_ATTACH, &attr)
            .map(drop)
            .map_err(|errno| BpfError {
                errno,
                verifier: None,
            })
    }

    /// The kernel's id of the program (what `bpftool prog list` shows), to look for it later.
    #[cfg(test)]
    pub fn id(&self) -> io::Result<u32> {
        /// The first fields of `struct bpf_prog_info`.
        #[repr(C)]
        #[derive(Default)]
        struct ProgInfo {
            prog_type: u32,
            id: u32,
        }
        /// `info` of `union bpf_attr`, for `BPF_OBJ_GET_INFO_BY_FD`.
        #[repr(C)]
        struct InfoAttr {
            bpf_fd: u32,
            info_len: u32,
            info: u64,
        }
        const BPF_OBJ_GET_INFO_BY_FD: libc::c_long = 15;
        let mut info = ProgInfo::default();
        let attr = InfoAttr {
            bpf_fd: self.fd.as_raw_fd() as u32,
            info_len: std::mem::size_of::<ProgInfo>() as u32,
            info: &mut info as *mut ProgInfo as u64,
        };
        bpf(BPF_OBJ_GET_INFO_BY_FD, &attr)?;
        assert_eq!(info.prog_type, BPF_PROG_TYPE_CGROUP_DEVICE);
        Ok(info.id)
    }
}

/// Whether the kernel still has the program with this id (`BPF_PROG_GET_FD_BY_ID`).
#[cfg(test)]
pub fn program_exists(id: u32) -> io::Result<bool> {
    const BPF_PROG_GET_FD_BY_ID: libc::c_long = 13;
    #[repr(C)]
    struct GetFdAttr {
        prog_id: u32,
        next_id: u32,
        open_flags: u32,
    }
    let attr = GetFdAttr {
        prog_id: id,
        next_id: 0,
        open_flags: 0,
    };
    match bpf(BPF_PROG_GET_FD_BY_ID, &attr) {
        Ok(fd) => {
            // SAFETY: a new descriptor of our own, closed right away.
            drop(unsafe { OwnedFd::from_raw_fd(fd) });
            Ok(true)
        }
        Err(e) if e.raw_os_error() == Some(libc::ENOENT) => Ok(false),
        Err(e) => Err(e),
    }
}

/// `BPF_PROG_LOAD`, with the verifier writing into `log` if there is one.
fn prog_load(instructions: &[u8], log: Option<&mut [u8]>) -> io::Result<OwnedFd> {
    let mut attr = ProgLoadAttr {
        prog_type: BPF_PROG_TYPE_CGROUP_DEVICE,
        insn_cnt: (instructions.len() / INSN_SIZE) as u32,
        insns: instructions.as_ptr() as u64,
        license: LICENSE.as_ptr() as u64,
        ..ProgLoadAttr::default()
    };
    if let Some(log) = log {
        attr.log_level = LOG_LEVEL;
        attr.log_size = log.len() as u32;
        attr.log_buf = log.as_mut_ptr() as u64;
    }
    let fd = bpf(BPF_PROG_LOAD, &attr)?;
    // SAFETY: BPF_PROG_LOAD returns a new file descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// The `bpf(2)` system call with the attribute structure `attr`.
fn bpf<T>(command: libc::c_long, attr: &T) -> io::Result<RawFd> {
    // SAFETY: `attr` is a live #[repr(C)] prefix of `union bpf_attr` of the size passed; the
    // pointers in it (instructions, license, log) outlive the call.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            command,
            attr as *const T,
            std::mem::size_of::<T>(),
        )
    };
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret as RawFd)
    }
}

/// The lines the verifier ends its log with after the verdict: statistics, not reasons.
const STATISTICS: [&str; 3] = ["processed ", "verification time", "stack depth"];

/// The verifier's reason for refusing a program: the last line of its log before its statistics.
fn reason(log: &[u8]) -> Option<String> {
    let end = log.iter().position(|&b| b == 0).unwrap_or(log.len());
    String::from_utf8_lossy(&log[..end])
        .lines()
        .map(str::trim)
        .filter(|line| !STATISTICS.iter().any(|s| line.starts_with(s)))
        .rfind(|line| !line.is_empty())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_verifiers_reason_is_its_last_line_before_the_statistics() {
        let log = b"func#0 @0\n0: R1=ctx() R10=fp0\n0: (95) exit\nR0 !read_ok\n\
            processed 1 insns (limit 1000000) max_states_per_insn 0 total_states 0\n\
            verification time 7 usec\nstack depth 0\n\n\0\0garbage";
        assert_eq!(reason(log).as_deref(), Some("R0 !read_ok"));
        assert_eq!(
            reason(b"0: (95) exit\nR0 !read_ok\n\0").as_deref(),
            Some("R0 !read_ok")
        );
        assert_eq!(reason(b"\0\0"), None);
    }

    #[test]
    fn attribute_structures_have_the_kernels_layout() {
        assert_eq!(std::mem::size_of::<ProgLoadAttr>(), 48);
        assert_eq!(std::mem::size_of::<ProgAttachAttr>(), 16);
    }
}
