//! `COPY --chown=USER[:GROUP]`: numbers as they are, names looked up in the image being built
//! (its `/etc/passwd` and `/etc/group`), as Docker does.

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

fn read(view: &LayeredView, file: &str) -> String {
    view.lookup(Path::new(file))
        .and_then(|found| std::fs::read_to_string(found.path).ok())
        .unwrap_or_default()
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
