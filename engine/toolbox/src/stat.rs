//! `stat FILE...`: shows an inode's metadata in the coreutils/busybox layout.

use std::fs;
use std::io::{self, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt};

use crate::clock::Civil;
use crate::error::{io_context, report, AppletError, Result};
use crate::ls::mode_string;
use crate::users;

/// Prints size, type, device, inode, links, permissions, owner and times of each file.
pub fn main(args: &[String]) -> i32 {
    if args.is_empty() {
        return report("stat", Err(AppletError::Usage("stat FILE...".into())));
    }
    let mut status = 0;
    for name in args {
        if let Err(err) = stat(name) {
            eprintln!("stat: {err}");
            status = 1;
        }
    }
    status
}

fn stat(name: &str) -> Result<()> {
    let meta = fs::symlink_metadata(name).map_err(io_context(format!("can't stat '{name}'")))?;
    let kind = file_kind(&meta.file_type(), meta.size());
    let shown_name = match fs::read_link(name) {
        Ok(target) if meta.file_type().is_symlink() => {
            format!("'{name}' -> '{}'", target.display())
        }
        _ => format!("'{name}'"),
    };
    let dev = meta.dev();
    let text = format!(
        "  File: {shown_name}\n  Size: {:<10}\tBlocks: {:<10} IO Block: {:<6} {kind}\n\
         Device: {dev:x}h/{dev}d\tInode: {:<11} Links: {}\n\
         Access: ({:04o}/{})  Uid: ({:>5}/{:>8})   Gid: ({:>5}/{:>8})\n\
         Access: {}\nModify: {}\nChange: {}\n",
        meta.size(),
        meta.blocks(),
        meta.blksize(),
        meta.ino(),
        meta.nlink(),
        meta.mode() & 0o7777,
        mode_string(meta.mode()),
        meta.uid(),
        users::user_label(meta.uid()),
        meta.gid(),
        users::group_label(meta.gid()),
        Civil::from_unix(meta.atime()).iso(),
        Civil::from_unix(meta.mtime()).iso(),
        Civil::from_unix(meta.ctime()).iso(),
    );
    io::stdout()
        .write_all(text.as_bytes())
        .map_err(io_context("write error"))
}

/// The words `stat` uses for a file type.
fn file_kind(kind: &fs::FileType, size: u64) -> &'static str {
    if kind.is_dir() {
        "directory"
    } else if kind.is_symlink() {
        "symbolic link"
    } else if kind.is_char_device() {
        "character special file"
    } else if kind.is_block_device() {
        "block special file"
    } else if kind.is_fifo() {
        "fifo"
    } else if kind.is_socket() {
        "socket"
    } else if size == 0 {
        "regular empty file"
    } else {
        "regular file"
    }
}
