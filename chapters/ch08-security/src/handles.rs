//! File handles: naming a file by its inode instead of its path (`name_to_handle_at(2)`,
//! `open_by_handle_at(2)`), which is what the 2014 "shocker" escape used.
//!
//! A handle is what an NFS server hands its clients: an opaque number the file system can turn
//! back into a file, with no path involved. Opening one needs `CAP_DAC_READ_SEARCH` and a file
//! descriptor of *any* file on the same file system, to say which file system is meant. No path
//! means no path check either: a handle can name a file that no mount of the caller shows.

use std::path::{Component, Path, PathBuf};

use nix::errno::Errno;

/// `MAX_HANDLE_SZ` in `<linux/exportfs.h>`.
const MAX_HANDLE_SZ: usize = 128;

/// `FILEID_INO32_GEN`: the handle ext2, ext3 and ext4 give, a 32-bit inode number and a 32-bit
/// generation number.
pub const FILEID_INO32_GEN: i32 = 1;

/// The inode of the root directory of every ext2/3/4 file system.
pub const EXT4_ROOT_INO: u32 = 2;

/// `struct file_handle` with room for the largest handle.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileHandle {
    handle_bytes: libc::c_uint,
    /// How the file system encodes the handle (`FILEID_*`).
    pub handle_type: libc::c_int,
    f_handle: [u8; MAX_HANDLE_SZ],
}

impl FileHandle {
    /// The handle of `path` (`name_to_handle_at(2)`; needs no privilege).
    pub fn of(path: &Path) -> Result<FileHandle, Errno> {
        let c_path = std::ffi::CString::new(path.as_os_str().as_encoded_bytes())
            .map_err(|_| Errno::EINVAL)?;
        let mut handle = FileHandle {
            handle_bytes: MAX_HANDLE_SZ as libc::c_uint,
            handle_type: 0,
            f_handle: [0; MAX_HANDLE_SZ],
        };
        let mut mount_id: libc::c_int = 0;
        // SAFETY: `handle` starts with the kernel's struct file_handle and has handle_bytes
        // bytes of room after it; path is a NUL-terminated string.
        let rc = unsafe {
            libc::name_to_handle_at(
                libc::AT_FDCWD,
                c_path.as_ptr(),
                &mut handle as *mut FileHandle as *mut libc::file_handle,
                &mut mount_id,
                0,
            )
        };
        Errno::result(rc).map(|_| handle)
    }

    // ANCHOR: ext4_handle
    /// The ext2/3/4 handle of inode `ino`: 4 bytes of inode number, 4 of generation. A
    /// generation of 0 means "any": the file system then does not check it.
    pub fn ext4(ino: u32, generation: u32) -> FileHandle {
        let mut f_handle = [0; MAX_HANDLE_SZ];
        f_handle[..4].copy_from_slice(&ino.to_ne_bytes());
        f_handle[4..8].copy_from_slice(&generation.to_ne_bytes());
        FileHandle {
            handle_bytes: 8,
            handle_type: FILEID_INO32_GEN,
            f_handle,
        }
    }
    // ANCHOR_END: ext4_handle

    /// The handle's bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.f_handle[..(self.handle_bytes as usize).min(MAX_HANDLE_SZ)]
    }

    /// For an ext2/3/4 handle: its inode and generation numbers.
    pub fn ino32_gen(&self) -> Option<(u32, u32)> {
        let bytes = self.bytes();
        if self.handle_type != FILEID_INO32_GEN || bytes.len() != 8 {
            return None;
        }
        let word = |at: usize| u32::from_ne_bytes(bytes[at..at + 4].try_into().unwrap_or([0; 4]));
        Some((word(0), word(4)))
    }

    // ANCHOR: open_by_handle
    /// Opens the file this handle names, on the file system that `mount_fd` is a file of
    /// (`open_by_handle_at(2)`; needs CAP_DAC_READ_SEARCH).
    pub fn open(&self, mount_fd: libc::c_int, flags: libc::c_int) -> Result<libc::c_int, Errno> {
        let mut handle = *self;
        // SAFETY: `handle` is a complete struct file_handle of handle_bytes bytes; the kernel
        // only reads it.
        let fd = unsafe {
            libc::open_by_handle_at(
                mount_fd,
                &mut handle as *mut FileHandle as *mut libc::file_handle,
                flags,
            )
        };
        Errno::result(fd)
    }
    // ANCHOR_END: open_by_handle
}

/// Where `path` is *inside its file system*: the mount that holds it (the longest mount point
/// of `mountinfo` that is a prefix of `path`), and that mount's root within the file system (a
/// bind mount's root need not be the file system's). Relative, as `openat` on the file system's
/// root directory takes it. `path` must be absolute and free of `..`.
pub fn path_in_filesystem(mountinfo: &str, path: &Path) -> Option<PathBuf> {
    let (root, mount_point) = mountinfo
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let root = fields.nth(3)?;
            let mount_point = fields.next()?;
            Some((Path::new(root), Path::new(mount_point)))
        })
        .filter(|(_, mount_point)| path.starts_with(mount_point))
        .max_by_key(|(_, mount_point)| mount_point.components().count())?;
    let rest = path.strip_prefix(mount_point).ok()?;
    let inside = root.join(rest);
    let relative: PathBuf = inside
        .components()
        .filter(|c| matches!(c, Component::Normal(_)))
        .collect();
    Some(relative)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MOUNTINFO: &str = "\
22 1 254:0 / / rw,relatime - ext4 /dev/vda rw
30 22 0:27 / /tmp rw - tmpfs tmpfs rw
40 22 254:0 /srv/data /data rw - ext4 /dev/vda rw
";

    #[test]
    fn a_path_on_the_root_file_system_is_relative_to_its_root() {
        assert_eq!(
            path_in_filesystem(MOUNTINFO, Path::new("/var/tmp/x/secret")),
            Some(PathBuf::from("var/tmp/x/secret"))
        );
    }

    #[test]
    fn the_longest_mount_point_wins_and_a_bind_mounts_root_is_added() {
        assert_eq!(
            path_in_filesystem(MOUNTINFO, Path::new("/data/a")),
            Some(PathBuf::from("srv/data/a"))
        );
        assert_eq!(
            path_in_filesystem(MOUNTINFO, Path::new("/tmp/a")),
            Some(PathBuf::from("a"))
        );
    }

    #[test]
    fn an_ext4_handle_is_inode_then_generation() {
        let handle = FileHandle::ext4(EXT4_ROOT_INO, 0);
        assert_eq!(handle.bytes(), [2, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(handle.ino32_gen(), Some((2, 0)));
    }
}
