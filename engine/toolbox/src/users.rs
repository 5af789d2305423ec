//! User and group names from `/etc/passwd` and `/etc/group`, plus the `id` and `whoami` applets.
//!
//! A statically linked glibc cannot load NSS modules, so `getpwuid` does not work in the
//! container; the files are simple enough to read directly, and ferry writes both.

use std::io::Write;

use crate::error::{report, AppletError, Result};
use crate::opts::Opts;

/// Where user names live.
pub const PASSWD: &str = "/etc/passwd";
/// Where group names live.
pub const GROUP: &str = "/etc/group";

/// The name of user `uid`, if `/etc/passwd` has one.
pub fn user_name(uid: u32) -> Option<String> {
    name_in_file(PASSWD, uid)
}

/// The name of group `gid`, if `/etc/group` has one.
pub fn group_name(gid: u32) -> Option<String> {
    name_in_file(GROUP, gid)
}

/// A user name, or the number when there is none (what `ls -l` and `ps` print).
pub fn user_label(uid: u32) -> String {
    user_name(uid).unwrap_or_else(|| uid.to_string())
}

/// A group name, or the number when there is none.
pub fn group_label(gid: u32) -> String {
    group_name(gid).unwrap_or_else(|| gid.to_string())
}

fn name_in_file(path: &str, id: u32) -> Option<String> {
    let contents = std::fs::read_to_string(path).ok()?;
    find_name(&contents, id)
}

/// Finds the name whose numeric id (the third `:` field in both files) is `id`.
fn find_name(contents: &str, id: u32) -> Option<String> {
    contents.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let number = fields.nth(1)?.trim().parse::<u32>().ok()?;
        (number == id && !name.is_empty()).then(|| name.to_string())
    })
}

/// `id [-u|-g|-G] [-n]`: prints `uid=0(root) gid=0(root) groups=0(root)`.
pub fn id_main(args: &[String]) -> i32 {
    report("id", id(args))
}

fn id(args: &[String]) -> Result<i32> {
    let opts = Opts::parse(args, "ugGn")?;
    if !opts.operands.is_empty() {
        return Err(AppletError::Usage("id [-u|-g|-G] [-n]".into()));
    }
    // SAFETY: these calls cannot fail.
    let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
    let groups = supplementary_groups(gid);
    let named = |id: u32, name: Option<String>| match name {
        Some(name) if opts.has('n') => name,
        _ => id.to_string(),
    };
    let line = if opts.has('u') {
        named(uid, user_name(uid))
    } else if opts.has('g') {
        named(gid, group_name(gid))
    } else if opts.has('G') {
        let all: Vec<String> = groups.iter().map(|&g| named(g, group_name(g))).collect();
        all.join(" ")
    } else {
        let all: Vec<String> = groups
            .iter()
            .map(|&g| with_name(g, group_name(g)))
            .collect();
        format!(
            "uid={} gid={} groups={}",
            with_name(uid, user_name(uid)),
            with_name(gid, group_name(gid)),
            all.join(",")
        )
    };
    let _ = writeln!(std::io::stdout(), "{line}");
    Ok(0)
}

/// `0(root)`, or just `1000` when the id has no name.
fn with_name(id: u32, name: Option<String>) -> String {
    match name {
        Some(name) => format!("{id}({name})"),
        None => id.to_string(),
    }
}

/// The process's supplementary groups; a container started without any reports its primary group.
fn supplementary_groups(primary: u32) -> Vec<u32> {
    let mut groups = vec![0 as libc::gid_t; 256];
    // SAFETY: the buffer holds `groups.len()` entries.
    let n = unsafe { libc::getgroups(groups.len() as libc::c_int, groups.as_mut_ptr()) };
    groups.truncate(usize::try_from(n).unwrap_or(0));
    if groups.is_empty() {
        groups.push(primary);
    }
    groups
}

/// `whoami`: the name of the effective user.
pub fn whoami_main(_args: &[String]) -> i32 {
    // SAFETY: geteuid cannot fail.
    let uid = unsafe { libc::geteuid() };
    match user_name(uid) {
        Some(name) => {
            let _ = writeln!(std::io::stdout(), "{name}");
            0
        }
        None => {
            eprintln!("whoami: unknown uid {uid}");
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD_SAMPLE: &str = "root:x:0:0:root:/root:/bin/sh\n\
                                 # comment\n\
                                 nobody:x:65534:65534:nobody:/:/bin/false\n";
    const GROUP_SAMPLE: &str = "root:x:0:\nwheel:x:10:root\n";

    #[test]
    fn finds_names_by_the_third_field_in_passwd_and_group() {
        assert_eq!(find_name(PASSWD_SAMPLE, 0).as_deref(), Some("root"));
        assert_eq!(find_name(PASSWD_SAMPLE, 65534).as_deref(), Some("nobody"));
        assert_eq!(find_name(GROUP_SAMPLE, 10).as_deref(), Some("wheel"));
    }

    #[test]
    fn unknown_ids_and_malformed_lines_have_no_name() {
        assert_eq!(find_name(PASSWD_SAMPLE, 1000), None);
        assert_eq!(find_name("broken\n:x:5:\n", 5), None);
    }

    #[test]
    fn ids_without_names_print_as_bare_numbers() {
        assert_eq!(with_name(0, Some("root".into())), "0(root)");
        assert_eq!(with_name(1000, None), "1000");
    }
}
