//! `mount` lists mounts (from /proc/mounts); `mount [-t TYPE] [-o OPTS] SOURCE TARGET` mounts.
//!
//! Learners use it inside containers to see the overlay root and to `mount -t proc proc /proc`.

use std::io::{self, Write};

use crate::error::{io_context, report, AppletError, Result};
use crate::opts::Opts;
use crate::sys;

/// Where the kernel lists this mount namespace's mounts.
const PROC_MOUNTS: &str = "/proc/mounts";

/// Mount options that are flags to mount(2); everything else is passed to the filesystem.
const FLAG_OPTIONS: &[(&str, libc::c_ulong)] = &[
    ("ro", libc::MS_RDONLY),
    ("rw", 0),
    ("bind", libc::MS_BIND),
    ("rbind", libc::MS_BIND | libc::MS_REC),
    ("remount", libc::MS_REMOUNT),
    ("nosuid", libc::MS_NOSUID),
    ("nodev", libc::MS_NODEV),
    ("noexec", libc::MS_NOEXEC),
    ("private", libc::MS_PRIVATE),
    ("rprivate", libc::MS_PRIVATE | libc::MS_REC),
];

/// Without arguments prints every mount as `SOURCE on TARGET type FSTYPE (OPTIONS)`.
pub fn main(args: &[String]) -> i32 {
    report("mount", mount(args))
}

fn mount(args: &[String]) -> Result<i32> {
    let opts = Opts::parse(args, "t:o:")?;
    match &opts.operands[..] {
        [] => list(),
        [source, target] => {
            let (flags, data) = split_options(opts.value('o').unwrap_or(""));
            let fstype = opts.value('t').unwrap_or("");
            attach(source, target, fstype, flags, &data)?;
            Ok(0)
        }
        _ => Err(AppletError::Usage(
            "mount [-t TYPE] [-o OPTS] SOURCE TARGET".into(),
        )),
    }
}

fn list() -> Result<i32> {
    let table = std::fs::read_to_string(PROC_MOUNTS)
        .map_err(io_context(format!("can't read {PROC_MOUNTS}")))?;
    let mut out = io::stdout().lock();
    for line in table.lines() {
        if let Some(shown) = describe(line) {
            let _ = writeln!(out, "{shown}");
        }
    }
    Ok(0)
}

/// One /proc/mounts line (`SOURCE TARGET TYPE OPTIONS 0 0`) in `mount`'s wording.
fn describe(line: &str) -> Option<String> {
    let mut fields = line.split_whitespace();
    let (source, target, fstype, options) = (
        fields.next()?,
        fields.next()?,
        fields.next()?,
        fields.next()?,
    );
    Some(format!("{source} on {target} type {fstype} ({options})"))
}

/// Separates `-o` options into mount(2) flags and the filesystem's data string.
fn split_options(options: &str) -> (libc::c_ulong, String) {
    let mut flags = 0;
    let mut data = Vec::new();
    for option in options.split(',').filter(|o| !o.is_empty()) {
        match FLAG_OPTIONS.iter().find(|(name, _)| *name == option) {
            Some((_, flag)) => flags |= flag,
            None => data.push(option),
        }
    }
    (flags, data.join(","))
}

fn attach(
    source: &str,
    target: &str,
    fstype: &str,
    flags: libc::c_ulong,
    data: &str,
) -> Result<()> {
    let context = || io_context(format!("mounting {source} on {target} failed"));
    let (c_source, c_target) = (
        sys::cstring(source).map_err(context())?,
        sys::cstring(target).map_err(context())?,
    );
    let (c_type, c_data) = (
        sys::cstring(fstype).map_err(context())?,
        sys::cstring(data).map_err(context())?,
    );
    let data_ptr = if data.is_empty() {
        std::ptr::null()
    } else {
        c_data.as_ptr().cast()
    };
    // SAFETY: every pointer is a NUL-terminated string (or null data) that outlives the call.
    let rc = unsafe {
        libc::mount(
            c_source.as_ptr(),
            c_target.as_ptr(),
            c_type.as_ptr(),
            flags,
            data_ptr,
        )
    };
    sys::check(rc).map(drop).map_err(context())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_mounts_lines_read_like_mount_output() {
        let line = "proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0";
        assert_eq!(
            describe(line).as_deref(),
            Some("proc on /proc type proc (rw,nosuid,nodev,noexec,relatime)")
        );
        assert_eq!(describe("short line"), None);
    }

    #[test]
    fn options_split_into_flags_and_filesystem_data() {
        let (flags, data) = split_options("ro,bind,size=10m,mode=755");
        assert_eq!(flags, libc::MS_RDONLY | libc::MS_BIND);
        assert_eq!(data, "size=10m,mode=755");
    }
}
