//! `COPY --chown=USER[:GROUP]`: numbers as they are, names looked up in the image being built
//! (its `/etc/passwd` and `/etc/group`), as Docker does.
//!
//! The image is untrusted: its `/etc/passwd` may be a symlink to a host file. The files are
//! resolved inside the image ([`LayeredView::resolve`]), as the container would see them.

use std::fs::OpenOptions;
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use crate::image::view::LayeredView;

/// The owner `spec` names in the image whose files `view` shows.
pub fn resolve(spec: &str, view: &LayeredView) -> Result<(u32, u32), String> {
    let (user, group) = match spec.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (spec, None),
    };
    let (uid, primary_gid) = match user.parse::<u32>() {
        Ok(uid) => (uid, uid),
        Err(_) => {
            let passwd = read(view, "etc/passwd");
            let entry = find(&passwd, user).ok_or_else(|| {
                format!("unable to find user {user}: no matching entries in passwd file")
            })?;
            let number = |i: usize| entry.get(i).and_then(|f| f.parse::<u32>().ok());
            (
                number(2).ok_or_else(|| format!("bad passwd entry for {user}"))?,
                number(3).unwrap_or(0),
            )
        }
    };
    let gid = match group {
        None => primary_gid,
        Some(g) => match g.parse::<u32>() {
            Ok(gid) => gid,
            Err(_) => {
                let groups = read(view, "etc/group");
                let entry = find(&groups, g).ok_or_else(|| {
                    format!("unable to find group {g}: no matching entries in group file")
                })?;
                entry
                    .get(2)
                    .and_then(|f| f.parse().ok())
                    .ok_or_else(|| format!("bad group entry for {g}"))?
            }
        },
    };
    Ok((uid, gid))
}

/// The text of the image's regular file `file` (empty if it has none).
fn read(view: &LayeredView, file: &str) -> String {
    let mut text = String::new();
    if let Some(found) = view.resolve(Path::new(file)).filter(|f| f.meta.is_file()) {
        let opened = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&found.path);
        if opened
            .and_then(|mut f| f.read_to_string(&mut text))
            .is_err()
        {
            text.clear();
        }
    }
    text
}

fn find<'a>(text: &'a str, name: &str) -> Option<Vec<&'a str>> {
    text.lines()
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|fields| fields.first() == Some(&name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view() -> (tempfile::TempDir, LayeredView) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("etc")).unwrap();
        std::fs::write(
            dir.path().join("etc/passwd"),
            "root:x:0:0::/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("etc/group"),
            "root:x:0:\nstaff:x:50:\napp:x:1001:\n",
        )
        .unwrap();
        let view = LayeredView::new(vec![dir.path().to_path_buf()]);
        (dir, view)
    }

    #[test]
    fn numbers_and_names_resolve_like_docker() {
        let (_dir, view) = view();
        assert_eq!(resolve("10", &view), Ok((10, 10)));
        assert_eq!(resolve("10:20", &view), Ok((10, 20)));
        assert_eq!(
            resolve("app", &view),
            Ok((1000, 1001)),
            "a user's primary group"
        );
        assert_eq!(resolve("app:staff", &view), Ok((1000, 50)));
    }

    #[test]
    fn a_passwd_linked_to_a_host_file_is_read_inside_the_image() {
        let (dir, view) = view();
        let host = tempfile::tempdir().unwrap();
        let evil = host.path().join("passwd");
        std::fs::write(&evil, "evil:x:4242:4242::/:/bin/sh\n").unwrap();
        std::fs::create_dir(dir.path().join("lib")).unwrap();
        std::fs::rename(dir.path().join("etc/passwd"), dir.path().join("lib/passwd")).unwrap();
        std::os::unix::fs::symlink("/lib/passwd", dir.path().join("etc/passwd")).unwrap();
        assert_eq!(
            resolve("app", &view),
            Ok((1000, 1001)),
            "a link inside is followed"
        );
        std::fs::remove_file(dir.path().join("etc/passwd")).unwrap();
        std::os::unix::fs::symlink(&evil, dir.path().join("etc/passwd")).unwrap();
        assert!(resolve("evil", &view)
            .unwrap_err()
            .contains("unable to find user evil"));
    }

    #[test]
    fn unknown_names_are_errors() {
        let (_dir, view) = view();
        assert!(resolve("nobody", &view)
            .unwrap_err()
            .contains("unable to find user nobody"));
        assert!(resolve("app:nogroup", &view)
            .unwrap_err()
            .contains("unable to find group nogroup"));
    }
}
