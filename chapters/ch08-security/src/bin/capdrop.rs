//! Chapter 8, `capdrop`: root without CAP_CHOWN cannot chown.
//!
//! A child process prints its effective capabilities, changes a file's owner (allowed: it holds
//! CAP_CHOWN), drops CAP_CHOWN from its bounding, effective, permitted and inheritable sets,
//! and tries again: EPERM, although it is still uid 0. Then it tries to take the capability
//! back, and the kernel refuses that too.
//!
//! Usage, as root: `capdrop`. `capdrop --decode HEX` prints the names in a mask such as
//! `CapEff` from `/proc/PID/status` (try `00000000a80425fb`, Docker's default). Exits 0 when
//! every step ended as described, 1 otherwise.

use std::fs::File;
use std::path::Path;

use ch08_security::caps::{self, drop_capability, own_mask, CapSets, CAP_CHOWN};
use ch08_security::child::run_in_child;
use ch08_security::{exit_with, outcome, Error};
use nix::sched::CloneFlags;
use nix::unistd::{chown, getuid, Gid, Uid};

/// The owner the child gives the file: `nobody`.
const NOBODY: u32 = 65534;

fn main() {
    exit_with("capdrop", run());
}

fn run() -> Result<i32, Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [] => {}
        [flag, hex] if flag == "--decode" => return decode(hex),
        _ => return Err(Error::Usage("usage: capdrop [--decode HEX]".into())),
    }
    let dir = tempfile::Builder::new()
        .prefix("ch08-capdrop-")
        .tempdir()
        .map_err(Error::io("create a directory in", std::env::temp_dir()))?;
    let file = dir.path().join("file");
    File::create(&file).map_err(Error::io("create", &file))?;
    println!("parent: created {} (owner 0:0)", file.display());
    run_in_child(CloneFlags::empty(), || child(&file))
}

fn decode(hex: &str) -> Result<i32, Error> {
    let mask = u64::from_str_radix(hex.trim_start_matches("0x"), 16).map_err(|_| Error::Parse {
        what: "the mask to decode".into(),
        content: hex.into(),
    })?;
    let names = caps::decode(mask);
    println!("{mask:016x}: {} capabilities", names.len());
    for name in names {
        println!("  {name}");
    }
    Ok(0)
}

/// Runs in the child: everything it gives up, it gives up alone.
fn child(file: &Path) -> isize {
    match steps(file) {
        Ok(true) => 0,
        Ok(false) => 1,
        Err(err) => {
            eprintln!("child: {err}");
            1
        }
    }
}

fn steps(file: &Path) -> Result<bool, Error> {
    show("child: before", "CapEff")?;
    let nobody = (Some(Uid::from_raw(NOBODY)), Some(Gid::from_raw(NOBODY)));
    let root = (Some(Uid::from_raw(0)), Some(Gid::from_raw(0)));

    let first = chown(file, nobody.0, nobody.1);
    println!(
        "child: uid {}, chown {} to {NOBODY}:{NOBODY}: {}",
        getuid(),
        file.display(),
        outcome(&first)
    );

    // ANCHOR: capdrop_child
    drop_capability(CAP_CHOWN)?;
    println!("child: dropped CAP_CHOWN from the bounding, effective, permitted, inheritable sets");
    for field in ["CapEff", "CapPrm", "CapBnd"] {
        show("child: after ", field)?;
    }
    let second = chown(file, root.0, root.1);
    println!(
        "child: uid {}, chown {} to 0:0: {}",
        getuid(),
        file.display(),
        outcome(&second)
    );
    // ANCHOR_END: capdrop_child

    // ANCHOR: capdrop_back
    let mut sets = CapSets::get()?;
    sets.effective |= 1 << CAP_CHOWN;
    sets.permitted |= 1 << CAP_CHOWN;
    let back = sets.set();
    println!("child: capset to take CAP_CHOWN back: {}", outcome(&back));
    // ANCHOR_END: capdrop_back

    Ok(first.is_ok()
        && second == Err(nix::errno::Errno::EPERM)
        && back == Err(nix::errno::Errno::EPERM))
}

/// Prints one mask of this process and the capabilities in it: missing ones (of those the
/// kernel knows) when most are present, else the present ones.
fn show(prefix: &str, field: &str) -> Result<(), Error> {
    let mask = own_mask(field)?;
    let names = caps::decode(mask);
    let missing: Vec<&str> = caps::NAMES
        .iter()
        .copied()
        .filter(|n| !names.iter().any(|m| m == n))
        .collect();
    if names.len() > caps::NAMES.len() / 2 {
        println!(
            "{prefix} {field} {mask:016x}: {} capabilities, all but {}",
            names.len(),
            missing.join(" ")
        );
    } else {
        println!(
            "{prefix} {field} {mask:016x}: {} capabilities: {}",
            names.len(),
            names.join(" ")
        );
    }
    Ok(())
}
