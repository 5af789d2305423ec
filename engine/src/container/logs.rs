//! Container logs in Docker's `json-file` format: one JSON object per line of output,
//!
//! ```text
//! {"log":"hello\n","stream":"stdout","time":"2024-05-01T09:30:00.123456789Z"}
//! ```
//!
//! written by the monitor as the container prints, read by `ferry logs` (`--tail`, `-t`, `-f`). A
//! line is written once complete; a line longer than 16 KiB is cut into several entries (as
//! Docker does), and an unfinished last line is written when the stream ends.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::repair;
use super::store::Container;
use super::time::Timestamp;
use crate::{Error, Result};

/// How often `logs -f` looks for new output.
const FOLLOW_INTERVAL: Duration = Duration::from_millis(100);

/// The longest piece of a line that becomes one entry.
const MAX_ENTRY: usize = 16 * 1024;

/// Which of the container's output streams a piece of output came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stream {
    /// File descriptor 1 (and everything, with `-t`).
    Stdout,
    /// File descriptor 2.
    Stderr,
}

/// One line of the log file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    /// The output, including its `\n` (not valid UTF-8 is replaced, as Docker does).
    pub log: String,
    /// `stdout` or `stderr`.
    pub stream: Stream,
    /// When the monitor read it.
    pub time: Timestamp,
}

/// A new log's mode, as Docker's: what a container prints may be secret, so no other users.
pub const LOG_MODE: u32 = 0o640;

/// Appends a container's output to its log, a line at a time.
#[derive(Debug)]
pub struct LogWriter {
    file: File,
    pending: [Vec<u8>; 2],
}

impl LogWriter {
    /// Opens (creating) the log for appending: restarts add to the same log, as in Docker.
    pub fn open(path: &Path) -> Result<Self> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(LOG_MODE)
            .open(path)
            .map_err(Error::io("open log", path))?;
        Ok(LogWriter {
            file,
            pending: [Vec::new(), Vec::new()],
        })
    }

    // ANCHOR: log_write
    /// Adds output read from `stream`: every complete line becomes an entry; the rest waits for
    /// its end (or for [`LogWriter::finish`]).
    pub fn write(&mut self, stream: Stream, bytes: &[u8]) -> Result<()> {
        let slot = stream as usize;
        self.pending[slot].extend_from_slice(bytes);
        while let Some(end) = self.pending[slot]
            .iter()
            .position(|&b| b == b'\n')
            .map(|i| i + 1)
            .or_else(|| (self.pending[slot].len() >= MAX_ENTRY).then_some(MAX_ENTRY))
        {
            let line: Vec<u8> = self.pending[slot].drain(..end).collect();
            self.append(stream, &line)?;
        }
        Ok(())
    }
    // ANCHOR_END: log_write

    /// Writes out unfinished lines (the stream ended without a final newline).
    pub fn finish(&mut self) -> Result<()> {
        for stream in [Stream::Stdout, Stream::Stderr] {
            let rest = std::mem::take(&mut self.pending[stream as usize]);
            if !rest.is_empty() {
                self.append(stream, &rest)?;
            }
        }
        Ok(())
    }

    fn append(&mut self, stream: Stream, line: &[u8]) -> Result<()> {
        let entry = LogEntry {
            log: String::from_utf8_lossy(line).into_owned(),
            stream,
            time: Timestamp::now(),
        };
        let mut json = serde_json::to_vec(&entry).expect("a log entry serializes");
        json.push(b'\n');
        // One write per entry: a reader never sees two entries interleaved.
        self.file.write_all(&json).map_err(|e| Error::Io {
            op: "write log",
            path: "container log".into(),
            source: e,
        })
    }
}

/// Reads a log file entry by entry, remembering where it stopped (for `logs -f`).
#[derive(Debug)]
pub struct LogReader {
    reader: BufReader<File>,
    partial: String,
}

impl LogReader {
    /// Opens a log; a container that never ran has no log yet, which reads as empty.
    pub fn open(path: &Path) -> Result<Option<Self>> {
        match File::open(path) {
            Ok(file) => Ok(Some(LogReader {
                reader: BufReader::new(file),
                partial: String::new(),
            })),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::Io {
                op: "open log",
                path: path.to_path_buf(),
                source: e,
            }),
        }
    }

    /// The complete entries written since the last call. A line still being written is kept for
    /// the next call.
    pub fn read_new(&mut self) -> Result<Vec<LogEntry>> {
        let mut entries = Vec::new();
        loop {
            let mut line = String::new();
            let n = self.reader.read_line(&mut line).map_err(|e| Error::Io {
                op: "read log",
                path: "container log".into(),
                source: e,
            })?;
            if n == 0 {
                return Ok(entries);
            }
            self.partial.push_str(&line);
            if !self.partial.ends_with('\n') {
                return Ok(entries);
            }
            let text = std::mem::take(&mut self.partial);
            let entry = serde_json::from_str(&text)
                .map_err(|e| Error::Corrupt(format!("corrupt log line {text:?}: {e}")))?;
            entries.push(entry);
        }
    }
}

// ANCHOR: follow
/// `logs -f`: hands each new entry to `print` as the monitor writes it, until the container has
/// stopped and its last output was read (or `print` says the reader went away).
pub fn follow(
    reader: &mut LogReader,
    container: &mut Container,
    mut print: impl FnMut(&LogEntry) -> bool,
) -> Result<()> {
    loop {
        // Status first, then read: the monitor writes the last output before it records the exit.
        let running = match container.reload() {
            Ok(()) => {
                repair::if_monitor_died(container)?;
                container.status().is_active()
            }
            Err(_) => false, // removed (--rm): nothing more will come
        };
        for entry in reader.read_new()? {
            if !print(&entry) {
                return Ok(());
            }
        }
        if !running {
            return Ok(());
        }
        std::thread::sleep(FOLLOW_INTERVAL);
    }
}
// ANCHOR_END: follow

/// The last `n` entries of `entries` (all when `n` is `None`): `--tail`.
pub fn tail(entries: Vec<LogEntry>, n: Option<usize>) -> Vec<LogEntry> {
    match n {
        Some(n) if n < entries.len() => entries[entries.len() - n..].to_vec(),
        _ => entries,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_becomes_one_json_entry_per_line_in_dockers_format() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c-json.log");
        let mut log = LogWriter::open(&path).unwrap();
        log.write(Stream::Stdout, b"hel").unwrap();
        log.write(Stream::Stderr, b"oops\n").unwrap();
        log.write(Stream::Stdout, b"lo\nwor").unwrap();
        log.finish().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(
            lines[0].starts_with(r#"{"log":"oops\n","stream":"stderr","time":""#),
            "{}",
            lines[0]
        );
        assert!(
            lines[1].starts_with(r#"{"log":"hello\n","stream":"stdout","time":""#),
            "{}",
            lines[1]
        );
        let entries = LogReader::open(&path).unwrap().unwrap().read_new().unwrap();
        let logs: Vec<&str> = entries.iter().map(|e| e.log.as_str()).collect();
        assert_eq!(logs, ["oops\n", "hello\n", "wor"]);
    }

    #[test]
    fn a_long_line_is_cut_into_16k_entries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        let mut log = LogWriter::open(&path).unwrap();
        log.write(Stream::Stdout, &vec![b'x'; MAX_ENTRY * 2 + 10])
            .unwrap();
        log.write(Stream::Stdout, b"\n").unwrap();
        let entries = LogReader::open(&path).unwrap().unwrap().read_new().unwrap();
        let sizes: Vec<usize> = entries.iter().map(|e| e.log.len()).collect();
        assert_eq!(sizes, [MAX_ENTRY, MAX_ENTRY, 11]);
    }

    #[test]
    fn a_reader_picks_up_where_it_stopped_and_waits_for_half_written_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log");
        let mut log = LogWriter::open(&path).unwrap();
        log.write(Stream::Stdout, b"one\n").unwrap();
        let mut reader = LogReader::open(&path).unwrap().unwrap();
        assert_eq!(reader.read_new().unwrap().len(), 1);
        assert!(reader.read_new().unwrap().is_empty());
        let mut raw = OpenOptions::new().append(true).open(&path).unwrap();
        raw.write_all(br#"{"log":"two\n","stream":"stdout","#)
            .unwrap();
        assert!(
            reader.read_new().unwrap().is_empty(),
            "half a line is not an entry yet"
        );
        raw.write_all(b"\"time\":\"2024-01-01T00:00:00Z\"}\n")
            .unwrap();
        let two = reader.read_new().unwrap();
        assert_eq!(two[0].log, "two\n");
        assert_eq!(two[0].time.rfc3339_nano(), "2024-01-01T00:00:00Z");
        assert!(LogReader::open(&dir.path().join("none")).unwrap().is_none());
    }

    #[test]
    fn tail_keeps_the_last_entries() {
        let entry = |s: &str| LogEntry {
            log: s.into(),
            stream: Stream::Stdout,
            time: Timestamp::ZERO,
        };
        let all = vec![entry("a"), entry("b"), entry("c")];
        assert_eq!(tail(all.clone(), Some(2)), vec![entry("b"), entry("c")]);
        assert_eq!(tail(all.clone(), Some(0)), vec![]);
        assert_eq!(tail(all.clone(), None).len(), 3);
        assert_eq!(tail(all, Some(10)).len(), 3);
    }
}
