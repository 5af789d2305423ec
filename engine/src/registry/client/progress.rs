//! Progress output for pulls and pushes: one line per blob, as `docker pull` prints.
//!
//! On a terminal each blob gets an `indicatif` bar that fills as bytes move; otherwise (a pipe, a
//! test) only each blob's final status is printed, one line at a time, so logs stay readable.

use std::io::IsTerminal;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The bars of one pull or push.
#[derive(Debug, Clone)]
pub struct Progress {
    multi: MultiProgress,
    live: bool,
}

impl Default for Progress {
    fn default() -> Self {
        Self::new()
    }
}

impl Progress {
    /// Bars on stderr when it is a terminal, plain lines on stdout otherwise.
    pub fn new() -> Self {
        let live = std::io::stderr().is_terminal();
        let target = if live {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        Self {
            multi: MultiProgress::with_draw_target(target),
            live,
        }
    }

    /// No output at all (library use, benches).
    pub fn hidden() -> Self {
        Self {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::hidden()),
            live: true,
        }
    }

    /// A bar for one blob: `id` is its short digest, `total` its size.
    pub fn bar(&self, id: &str, total: u64, action: &str) -> Bar {
        let bar = self.multi.add(ProgressBar::new(total));
        let style =
            ProgressStyle::with_template("{prefix}: {msg:12} [{bar:30}] {bytes}/{total_bytes}")
                .map(|s| s.progress_chars("=> "))
                .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_prefix(id.to_string());
        bar.set_message(action.to_string());
        Bar {
            bar,
            id: id.to_string(),
            multi: self.clone(),
        }
    }

    /// Prints a status line (above the bars on a terminal).
    pub fn line(&self, text: &str) {
        if self.live {
            let _ = self.multi.println(text);
        } else {
            println!("{text}");
        }
    }
}

/// One blob's bar.
#[derive(Debug, Clone)]
pub struct Bar {
    bar: ProgressBar,
    id: String,
    multi: Progress,
}

impl Bar {
    /// Counts `n` more bytes moved.
    pub fn inc(&self, n: u64) {
        self.bar.inc(n);
    }

    /// Sets the bytes moved (after a resumed download's first byte).
    pub fn set_position(&self, n: u64) {
        self.bar.set_position(n);
    }

    /// Ends the bar with a final status: `Pull complete`, `Already exists`, `Pushed`…
    pub fn finish(&self, status: &str) {
        if self.multi.live {
            self.bar.set_message(status.to_string());
            self.bar.finish();
        } else {
            self.multi.line(&format!("{}: {status}", self.id));
        }
    }
}
