//! `hostname [NAME]` and `uname [-asnrvmo]`: the UTS namespace, seen from inside.

use std::ffi::CStr;
use std::io::{self, Write};

use crate::error::{io_context, report, AppletError, Result};
use crate::opts::Opts;
use crate::sys;

/// The fields of `uname(2)` as strings.
struct Uts {
    sysname: String,
    nodename: String,
    release: String,
    version: String,
    machine: String,
}

fn uname() -> Result<Uts> {
    // SAFETY: `utsname` is plain data; uname fills every field with a NUL-terminated string.
    let mut raw: libc::utsname = unsafe { std::mem::zeroed() };
    // SAFETY: `raw` is a valid out-pointer.
    sys::check(unsafe { libc::uname(&mut raw) }).map_err(io_context("uname"))?;
    let field = |f: &[libc::c_char]| {
        // SAFETY: uname NUL-terminates each field within its array.
        unsafe { CStr::from_ptr(f.as_ptr()) }
            .to_string_lossy()
            .into_owned()
    };
    Ok(Uts {
        sysname: field(&raw.sysname),
        nodename: field(&raw.nodename),
        release: field(&raw.release),
        version: field(&raw.version),
        machine: field(&raw.machine),
    })
}

/// `hostname` prints the host name; `hostname NAME` sets it (needs CAP_SYS_ADMIN in its UTS
/// namespace — inside a container that changes only the container's name).
pub fn hostname_main(args: &[String]) -> i32 {
    report("hostname", hostname(args))
}

fn hostname(args: &[String]) -> Result<i32> {
    match args {
        [] => {
            let _ = writeln!(io::stdout(), "{}", uname()?.nodename);
            Ok(0)
        }
        [name] => {
            // SAFETY: the pointer and length describe `name`'s bytes.
            let rc = unsafe { libc::sethostname(name.as_ptr().cast(), name.len()) };
            sys::check(rc).map_err(io_context(format!("sethostname '{name}'")))?;
            Ok(0)
        }
        _ => Err(AppletError::Usage("hostname [NAME]".into())),
    }
}

/// `uname [-asnrvmo]`: kernel name (default), host name, release, version, machine.
pub fn uname_main(args: &[String]) -> i32 {
    report("uname", uname_applet(args))
}

fn uname_applet(args: &[String]) -> Result<i32> {
    let opts = Opts::parse(args, "asnrvmo")?;
    let uts = uname()?;
    let all = opts.has('a');
    let fields = [
        ('s', &uts.sysname),
        ('n', &uts.nodename),
        ('r', &uts.release),
        ('v', &uts.version),
        ('m', &uts.machine),
    ];
    let mut shown: Vec<&str> = fields
        .iter()
        .filter(|(flag, _)| all || opts.has(*flag))
        .map(|(_, v)| v.as_str())
        .collect();
    if all || opts.has('o') {
        shown.push("GNU/Linux");
    }
    if shown.is_empty() {
        shown.push(&uts.sysname);
    }
    let _ = writeln!(io::stdout(), "{}", shown.join(" "));
    Ok(0)
}
