//! Paths inside an image or a build context, kept relative, `/`-separated and inside their root.

/// `a/./b//c/../d` → `a/b/d`; `None` when `..` would climb above the root.
pub fn clean(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    Some(parts.join("/"))
}

/// An image path for a destination: absolute ones as they are, relative ones under `workdir`;
/// `..` stops at `/`, as in a real file system. Returned relative to the image root.
pub fn in_image(workdir: &str, dest: &str) -> String {
    let joined = if dest.starts_with('/') {
        dest.to_string()
    } else {
        format!("{workdir}/{dest}")
    };
    let mut parts: Vec<&str> = Vec::new();
    for part in joined.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    parts.join("/")
}

/// The parents of a relative path, outermost first: `a/b/c` → `a`, `a/b`.
pub fn parents(path: &str) -> Vec<String> {
    let parts: Vec<&str> = path.split('/').collect();
    (1..parts.len()).map(|n| parts[..n].join("/")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleaning_refuses_to_climb_out() {
        assert_eq!(clean("./a//b/../c").as_deref(), Some("a/c"));
        assert_eq!(clean("/abs/x").as_deref(), Some("abs/x"));
        assert_eq!(clean(".").as_deref(), Some(""));
        assert_eq!(clean("../secret"), None);
        assert_eq!(clean("a/../../b"), None);
    }

    #[test]
    fn destinations_are_relative_to_the_workdir_and_stay_in_the_image() {
        assert_eq!(in_image("/opt/app", "."), "opt/app");
        assert_eq!(in_image("/opt/app", "conf/x"), "opt/app/conf/x");
        assert_eq!(in_image("/opt/app", "/etc/nginx"), "etc/nginx");
        assert_eq!(in_image("/", "../../etc"), "etc");
    }

    #[test]
    fn parents_are_listed_outermost_first() {
        assert_eq!(parents("a/b/c"), ["a", "a/b"]);
        assert!(parents("a").is_empty());
    }
}
