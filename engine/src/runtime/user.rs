//! `-u user[:group]`: which user the container's process runs as, looked up in the *container's*
//! `/etc/passwd` and `/etc/group` (a name means what the image says it means, not what the host
//! says), and switching to it just before `exec`.
//!
//! The rules are Docker's (runc's `GetExecUser`): a number not in `/etc/passwd` is still accepted
//! (with group 0 and home `/`); a name that is not there is an error; supplementary groups are the
//! groups of `/etc/group` that list the user; `HOME` comes from `/etc/passwd` unless already set.

use nix::unistd::{Gid, Uid};

use super::exec::Failure;

/// A user resolved against the container's account files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct User {
    pub(super) uid: u32,
    pub(super) gid: u32,
    pub(super) groups: Vec<u32>,
    pub(super) home: String,
}

struct PasswdEntry<'a> {
    name: &'a str,
    uid: u32,
    gid: u32,
    home: &'a str,
}

fn passwd_entries(passwd: &str) -> impl Iterator<Item = PasswdEntry<'_>> {
    passwd.lines().filter_map(|line| {
        let f: Vec<&str> = line.split(':').collect();
        (f.len() >= 6).then_some(())?;
        Some(PasswdEntry {
            name: f[0],
            uid: f[2].parse().ok()?,
            gid: f[3].parse().ok()?,
            home: f[5],
        })
    })
}

/// (name, gid, members) of each `/etc/group` line.
fn group_entries(group: &str) -> impl Iterator<Item = (&str, u32, Vec<&str>)> {
    group.lines().filter_map(|line| {
        let f: Vec<&str> = line.split(':').collect();
        (f.len() >= 4).then_some(())?;
        let members = f[3].split(',').filter(|m| !m.is_empty()).collect();
        Some((f[0], f[2].parse().ok()?, members))
    })
}

// ANCHOR: resolve_user
/// Resolves `spec` (`""` for root, `name`, `uid`, `name:group`, `uid:gid`) against the contents of
/// the container's `/etc/passwd` and `/etc/group`.
pub(super) fn resolve(spec: &str, passwd: &str, group: &str) -> Result<User, String> {
    let (user_part, group_part) = match spec.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (spec, None),
    };
    let user_part = if user_part.is_empty() { "0" } else { user_part };
    let entry =
        passwd_entries(passwd).find(|e| e.name == user_part || user_part.parse() == Ok(e.uid));
    let (uid, mut gid, home, name) = match (entry, user_part.parse::<u32>()) {
        (Some(e), _) => (e.uid, e.gid, e.home.to_string(), Some(e.name)),
        (None, Ok(uid)) => (uid, 0, "/".to_string(), None),
        (None, Err(_)) => {
            return Err(format!(
                "unable to find user {user_part}: no matching entries in passwd file"
            ))
        }
    };
    if let Some(group_part) = group_part {
        gid = match group_entries(group)
            .find(|(n, g, _)| *n == group_part || group_part.parse() == Ok(*g))
        {
            Some((_, g, _)) => g,
            None => group_part.parse().map_err(|_| {
                format!("unable to find group {group_part}: no matching entries in group file")
            })?,
        };
    }
    let mut groups = vec![gid];
    if let Some(name) = name {
        let extra: Vec<u32> = group_entries(group)
            .filter(|(_, _, members)| members.contains(&name))
            .map(|(_, g, _)| g)
            .collect();
        for g in extra {
            if !groups.contains(&g) {
                groups.push(g);
            }
        }
    }
    Ok(User {
        uid,
        gid,
        groups,
        home,
    })
}
// ANCHOR_END: resolve_user

/// Reads the container's account files (after `pivot_root`: these are the image's) and resolves
/// `spec`. Missing files are empty files, as for an image without `/etc`.
pub(super) fn lookup(spec: &str) -> Result<User, Failure> {
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let group = std::fs::read_to_string("/etc/group").unwrap_or_default();
    resolve(spec, &passwd, &group).map_err(Failure::engine)
}

/// Becomes `user`: groups first, then the group id, then the user id — after `setuid` the process
/// no longer has the right to change the others.
pub(super) fn switch_to(user: &User) -> Result<(), Failure> {
    let groups: Vec<Gid> = user.groups.iter().map(|g| Gid::from_raw(*g)).collect();
    nix::unistd::setgroups(&groups)
        .map_err(|e| Failure::engine(format!("setgroups {:?}: {e}", user.groups)))?;
    nix::unistd::setgid(Gid::from_raw(user.gid))
        .map_err(|e| Failure::engine(format!("setgid {}: {e}", user.gid)))?;
    nix::unistd::setuid(Uid::from_raw(user.uid))
        .map_err(|e| Failure::engine(format!("setuid {}: {e}", user.uid)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &str = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\napp:x:1000:1000::/home/app:/bin/sh\n";
    const GROUP: &str = "root:x:0:\nnobody:x:65534:\napp:x:1000:\nstaff:x:50:app,other\n";

    #[test]
    fn names_and_numbers_resolve_through_the_containers_passwd() {
        let root = resolve("", PASSWD, GROUP).unwrap();
        assert_eq!((root.uid, root.gid, root.home.as_str()), (0, 0, "/root"));
        let app = resolve("app", PASSWD, GROUP).unwrap();
        assert_eq!(
            (app.uid, app.gid, app.groups.clone(), app.home.as_str()),
            (1000, 1000, vec![1000, 50], "/home/app")
        );
        assert_eq!(resolve("1000", PASSWD, GROUP).unwrap(), app);
        let nobody = resolve("nobody:staff", PASSWD, GROUP).unwrap();
        assert_eq!((nobody.uid, nobody.gid), (65534, 50));
    }

    #[test]
    fn unknown_numbers_are_accepted_and_unknown_names_refused() {
        let stranger = resolve("4242:4343", PASSWD, GROUP).unwrap();
        assert_eq!(
            (stranger.uid, stranger.gid, stranger.home.as_str()),
            (4242, 4343, "/")
        );
        assert_eq!(resolve("4242", "", "").unwrap().gid, 0);
        assert_eq!(
            resolve("ghost", PASSWD, GROUP).unwrap_err(),
            "unable to find user ghost: no matching entries in passwd file"
        );
        assert_eq!(
            resolve("app:ghosts", PASSWD, GROUP).unwrap_err(),
            "unable to find group ghosts: no matching entries in group file"
        );
    }
}
