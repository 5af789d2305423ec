//! `wget [-q] [-O FILE|-] [-T SECONDS] URL`: fetches one `http://` URL with a plain GET.
//!
//! It speaks HTTP/1.0 (with a `Host` header and `Connection: close`), so the server neither
//! keeps the connection open nor chunks the body: the body is everything until the server closes.
//! Any failure — no connection, a timeout, a status outside 2xx — exits 1 with a `wget:` message.

use std::fs::File;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use crate::error::{report, AppletError, Result};
use crate::http::{self, Url};
use crate::{net, sys};

/// Where the body goes.
enum Sink {
    Stdout,
    File(String),
}

/// Fetches the URL and writes its body to a file (default: named after the URL) or stdout.
pub fn main(args: &[String]) -> i32 {
    report("wget", wget(args))
}

fn wget(args: &[String]) -> Result<i32> {
    let opts = crate::opts::Opts::parse(args, "qO:T:")?;
    let [url] = &opts.operands[..] else {
        return Err(AppletError::Usage(
            "wget [-q] [-O FILE] [-T SECONDS] URL".into(),
        ));
    };
    let url = Url::parse(url).map_err(|e| AppletError::Msg(e.to_string()))?;
    let timeout = match opts.value('T') {
        Some(secs) => Some(
            secs.parse::<f64>()
                .ok()
                .filter(|s| s.is_finite() && *s > 0.0)
                .map(Duration::from_secs_f64)
                .ok_or_else(|| AppletError::Msg(format!("invalid timeout '{secs}'")))?,
        ),
        None => None,
    };
    let sink = match opts.value('O') {
        Some("-") => Sink::Stdout,
        Some(file) => Sink::File(file.to_string()),
        None => Sink::File(url.file_name()),
    };
    let quiet = opts.has('q');
    let mut stream = connect(&url, timeout, quiet)?;
    let request = format!(
        "GET {} HTTP/1.0\r\nHost: {}\r\nUser-Agent: toolbox-wget\r\nAccept: */*\r\nConnection: close\r\n\r\n",
        url.path,
        url.host_header()
    );
    stream
        .write_all(request.as_bytes())
        .map_err(transfer_error)?;
    let (head, body_start) = read_head(&mut stream)?;
    let code = http::parse_status(&head).map_err(|e| AppletError::Msg(e.to_string()))?;
    if !(200..300).contains(&code) {
        let status_line = head.lines().next().unwrap_or("").trim();
        return Err(AppletError::Msg(format!(
            "server returned error: {status_line}"
        )));
    }
    let expected = http::header(&head, "Content-Length").and_then(|v| v.parse::<u64>().ok());
    let received = save(&mut stream, &body_start, &sink, quiet)?;
    if expected.is_some_and(|expected| received < expected) {
        return Err(AppletError::Msg("connection closed prematurely".into()));
    }
    Ok(0)
}

/// Connects to the first address of the host that accepts.
fn connect(url: &Url, timeout: Option<Duration>, quiet: bool) -> Result<TcpStream> {
    let addrs = net::resolve(&url.host, url.port)
        .map_err(|_| AppletError::Msg(format!("bad address '{}'", url.host)))?;
    let mut last_error = None;
    for addr in addrs {
        if !quiet {
            eprintln!("Connecting to {}:{} ({addr})", url.host, url.port);
        }
        match connect_one(addr, timeout) {
            Ok(stream) => return Ok(stream),
            Err(err) => last_error = Some((addr, err)),
        }
    }
    let (addr, err) =
        last_error.ok_or_else(|| AppletError::Msg(format!("bad address '{}'", url.host)))?;
    Err(AppletError::Msg(format!(
        "can't connect to remote host ({}): {}",
        addr.ip(),
        sys::describe(&err)
    )))
}

fn connect_one(addr: SocketAddr, timeout: Option<Duration>) -> io::Result<TcpStream> {
    let stream = match timeout {
        Some(t) => TcpStream::connect_timeout(&addr, t)?,
        None => TcpStream::connect(addr)?,
    };
    stream.set_read_timeout(timeout)?;
    stream.set_write_timeout(timeout)?;
    Ok(stream)
}

fn transfer_error(err: io::Error) -> AppletError {
    match err.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
            AppletError::Msg("download timed out".into())
        }
        _ => AppletError::Msg(format!("error getting response: {}", sys::describe(&err))),
    }
}

/// Reads the response head; returns it and whatever body bytes came with it.
fn read_head(stream: &mut TcpStream) -> Result<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = http::head_end(&buf) {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            return Ok((head, buf[end..].to_vec()));
        }
        let n = stream.read(&mut chunk).map_err(transfer_error)?;
        if n == 0 || buf.len() > http::MAX_HEAD {
            return Err(AppletError::Msg("error getting response".into()));
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Writes the body (what came with the head, then the rest of the stream) to the sink and
/// returns its length.
fn save(stream: &mut TcpStream, body_start: &[u8], sink: &Sink, quiet: bool) -> Result<u64> {
    let mut out: Box<dyn Write> = match sink {
        Sink::Stdout => Box::new(io::stdout().lock()),
        Sink::File(name) => {
            if !quiet {
                eprintln!("saving to '{name}'");
            }
            let file = File::create(name)
                .map_err(crate::error::io_context(format!("can't open '{name}'")))?;
            Box::new(file)
        }
    };
    let write_error =
        |err: io::Error| AppletError::Msg(format!("write error: {}", sys::describe(&err)));
    out.write_all(body_start).map_err(write_error)?;
    let mut received = body_start.len() as u64;
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let n = stream.read(&mut chunk).map_err(transfer_error)?;
        if n == 0 {
            break;
        }
        received += n as u64;
        out.write_all(&chunk[..n]).map_err(write_error)?;
    }
    out.flush().map_err(write_error)?;
    if let (Sink::File(name), false) = (sink, quiet) {
        eprintln!("'{name}' saved");
    }
    Ok(received)
}
