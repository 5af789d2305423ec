//! The namespace links in `/proc/PID/ns`: how to tell whether two processes share a namespace.
//!
//! Each file in `/proc/PID/ns` is a symbolic link whose target names a namespace, e.g.
//! `pid:[4026531836]`: the kind, and the inode number that identifies one namespace instance.
//! Two processes are in the same namespace exactly when their links have the same target.

use std::fmt;
use std::path::Path;

use crate::Error;

/// The namespaces chapter 1 compares, in the order `ls /proc/PID/ns` lists them in the seeds.
pub const NAMESPACES: [&str; 6] = ["ipc", "mnt", "net", "pid", "user", "uts"];

/// One link of `/proc/PID/ns`, e.g. `pid -> pid:[4026531836]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NsLink {
    /// The link's file name, e.g. `pid`.
    pub name: String,
    /// The namespace kind in the target, e.g. `pid` (the same as `name` for these six).
    pub kind: String,
    /// The inode number that identifies the namespace instance.
    pub inode: u64,
}

impl NsLink {
    /// Whether `other` is a link to the very same namespace.
    pub fn same_namespace(&self, other: &NsLink) -> bool {
        self.kind == other.kind && self.inode == other.inode
    }
}

impl fmt::Display for NsLink {
    /// Formats the link as `ls -l` shows it: `pid -> pid:[4026531836]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} -> {}:[{}]", self.name, self.kind, self.inode)
    }
}

/// Splits a link target `KIND:[INODE]` into its kind and inode; `None` if it has another shape.
pub fn parse_target(target: &str) -> Option<(&str, u64)> {
    let (kind, rest) = target.split_once(":[")?;
    let inode = rest.strip_suffix(']')?.parse().ok()?;
    (!kind.is_empty()).then_some((kind, inode))
}

/// Reads the [`NAMESPACES`] links of one process, given its `/proc` directory
/// (`/proc/self`, `/proc/1234`).
pub fn read_ns_links(proc_dir: &Path) -> Result<Vec<NsLink>, Error> {
    NAMESPACES
        .iter()
        .map(|name| read_ns_link(&proc_dir.join("ns").join(name)))
        .collect()
}

// ANCHOR: ns_links
/// Reads one namespace link, e.g. `/proc/self/ns/pid`, with readlink(2).
fn read_ns_link(path: &Path) -> Result<NsLink, Error> {
    let target = std::fs::read_link(path).map_err(|source| Error::ReadNsLink {
        path: path.to_path_buf(),
        source,
    })?;
    let target = target.to_string_lossy();
    let (kind, inode) = parse_target(&target).ok_or_else(|| Error::BadNsTarget {
        path: path.to_path_buf(),
        target: target.to_string(),
    })?;
    Ok(NsLink {
        name: file_name(path),
        kind: kind.to_string(),
        inode,
    })
}
// ANCHOR_END: ns_links

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The width of one column of [`side_by_side`]: wide enough for `user -> user:[4026531837]`.
const COLUMN: usize = 30;

/// Renders the parent's and the container's links as two columns, one namespace a row, ending
/// in `differs` when the container got a namespace of its own and `same` when it shares the
/// parent's.
///
/// ```text
/// parent                        container
/// net -> net:[4026531840]       net -> net:[4026531840]       same
/// pid -> pid:[4026531836]       pid -> pid:[4026532845]       differs
/// ```
pub fn side_by_side(parent: &[NsLink], container: &[NsLink]) -> String {
    let mut table = format!("{:COLUMN$}{}\n", "parent", "container");
    for link in parent {
        let theirs = container.iter().find(|c| c.name == link.name);
        let (shown, mark) = match theirs {
            Some(c) if c.same_namespace(link) => (c.to_string(), "same"),
            Some(c) => (c.to_string(), "differs"),
            None => (format!("{} -> ?", link.name), "differs"),
        };
        table.push_str(&format!(
            "{:COLUMN$}{shown:COLUMN$}{mark}\n",
            link.to_string()
        ));
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn link(name: &str, inode: u64) -> NsLink {
        NsLink {
            name: name.into(),
            kind: name.into(),
            inode,
        }
    }

    #[test]
    fn target_is_kind_and_inode() {
        assert_eq!(parse_target("pid:[4026531836]"), Some(("pid", 4026531836)));
        assert_eq!(parse_target("user:[1]"), Some(("user", 1)));
    }

    #[test]
    fn targets_of_another_shape_are_rejected() {
        for bad in [
            "",
            "pid",
            "pid:4026531836",
            "pid:[]",
            "pid:[12x]",
            ":[12]",
            "pid:[12",
        ] {
            assert_eq!(parse_target(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn links_are_read_from_the_ns_directory() {
        let proc = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(proc.path().join("ns")).expect("ns dir");
        for (i, name) in NAMESPACES.iter().enumerate() {
            let target = format!("{name}:[{}]", 4026531830 + i);
            symlink(target, proc.path().join("ns").join(name)).expect("symlink");
        }
        let links = read_ns_links(proc.path()).expect("links");
        let shown: Vec<String> = links.iter().map(NsLink::to_string).collect();
        assert_eq!(
            shown,
            [
                "ipc -> ipc:[4026531830]",
                "mnt -> mnt:[4026531831]",
                "net -> net:[4026531832]",
                "pid -> pid:[4026531833]",
                "user -> user:[4026531834]",
                "uts -> uts:[4026531835]",
            ]
        );
    }

    #[test]
    fn a_malformed_link_is_an_error_naming_its_path() {
        let proc = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir(proc.path().join("ns")).expect("ns dir");
        for name in NAMESPACES {
            symlink("not-a-namespace", proc.path().join("ns").join(name)).expect("symlink");
        }
        let err = read_ns_links(proc.path()).expect_err("malformed target");
        assert!(
            matches!(&err, Error::BadNsTarget { path, .. } if path.ends_with("ns/ipc")),
            "{err}"
        );
    }

    #[test]
    fn a_missing_link_is_an_error() {
        let proc = tempfile::tempdir().expect("temp dir");
        let err = read_ns_links(proc.path()).expect_err("no ns directory");
        assert!(matches!(err, Error::ReadNsLink { .. }), "{err}");
    }

    #[test]
    fn the_table_marks_only_the_namespaces_that_differ() {
        let parent = [link("net", 10), link("pid", 20)];
        let container = [link("net", 10), link("pid", 21)];
        let table = side_by_side(&parent, &container);
        let rows: Vec<Vec<&str>> = table
            .lines()
            .skip(1)
            .map(|l| l.split_whitespace().collect())
            .collect();
        assert_eq!(
            rows,
            [
                ["net", "->", "net:[10]", "net", "->", "net:[10]", "same"],
                ["pid", "->", "pid:[20]", "pid", "->", "pid:[21]", "differs"],
            ]
        );
    }

    #[test]
    fn the_running_process_has_all_six_links() {
        let links = read_ns_links(Path::new("/proc/self")).expect("readable without privileges");
        let names: Vec<&str> = links.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, NAMESPACES);
    }
}
