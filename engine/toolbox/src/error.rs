//! The one error type applets share, printed busybox style as `applet: message`.
//!
//! The crate may only depend on `std` and `libc`, so this is a hand-written enum rather than a
//! `thiserror` derive; modules with richer failures (netlink, HTTP) have their own types and
//! convert into this one.

use std::fmt;
use std::io;

use crate::sys;

/// Why an applet failed.
#[derive(Debug)]
pub enum AppletError {
    /// The arguments do not fit the applet; the message says what was expected.
    Usage(String),
    /// A system call failed; `context` says what the applet was doing (`can't open 'x'`).
    Io { context: String, source: io::Error },
    /// Any other failure, already worded for the user.
    Msg(String),
}

/// What applet helpers return.
pub type Result<T> = std::result::Result<T, AppletError>;

impl fmt::Display for AppletError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppletError::Usage(usage) => write!(f, "usage: {usage}"),
            AppletError::Io { context, source } => {
                write!(f, "{context}: {}", sys::describe(source))
            }
            AppletError::Msg(msg) => f.write_str(msg),
        }
    }
}

impl std::error::Error for AppletError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            AppletError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Wraps an `io::Error` with what was being done, for use with `map_err`.
pub fn io_context(context: impl Into<String>) -> impl FnOnce(io::Error) -> AppletError {
    let context = context.into();
    move |source| AppletError::Io { context, source }
}

/// Prints a failure as `applet: message` and turns the result into an exit status (1 on error).
pub fn report(applet: &str, result: Result<i32>) -> i32 {
    result.unwrap_or_else(|err| {
        eprintln!("{applet}: {err}");
        1
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_read_like_busybox_without_rust_os_error_suffix() {
        let err = io_context("can't open 'x'")(io::Error::from_raw_os_error(libc::ENOENT));
        assert_eq!(err.to_string(), "can't open 'x': No such file or directory");
    }

    #[test]
    fn usage_errors_say_usage() {
        assert_eq!(
            AppletError::Usage("sleep N".into()).to_string(),
            "usage: sleep N"
        );
    }
}
