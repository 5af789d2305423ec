//! `nc HOST PORT` connects; `nc -l -p PORT` (or `nc -l PORT`) waits for one connection.
//! Either way stdin goes to the peer and the peer's data goes to stdout.
//!
//! When stdin ends, the sending half of the connection is shut down (so the peer sees EOF);
//! when the peer closes, nc exits.

use std::io::{self, Write};
use std::net::{Shutdown, TcpListener, TcpStream};

use crate::error::{io_context, report, AppletError, Result};
use crate::opts::Opts;
use crate::{net, sys};

/// Connects or listens, then copies in both directions.
pub fn main(args: &[String]) -> i32 {
    report("nc", nc(args))
}

fn nc(args: &[String]) -> Result<i32> {
    let usage = || AppletError::Usage("nc HOST PORT | nc -l -p PORT".into());
    let opts = Opts::parse(args, "lp:")?;
    let port_of = |text: &str| {
        text.parse::<u16>()
            .map_err(|_| AppletError::Msg(format!("bad port '{text}'")))
    };
    // Sending to a peer that went away must fail the write, not kill nc with SIGPIPE.
    // SAFETY: ignoring a signal has no preconditions.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
    let stream = if opts.has('l') {
        let port = match (opts.value('p'), &opts.operands[..]) {
            (Some(port), []) => port_of(port)?,
            (None, [port]) => port_of(port)?,
            _ => return Err(usage()),
        };
        let listener = TcpListener::bind(("0.0.0.0", port))
            .map_err(io_context(format!("bind: port {port}")))?;
        let (stream, _) = listener.accept().map_err(io_context("accept"))?;
        stream
    } else {
        let [host, port] = &opts.operands[..] else {
            return Err(usage());
        };
        connect(host, port_of(port)?)?
    };
    relay(stream)?;
    Ok(0)
}

fn connect(host: &str, port: u16) -> Result<TcpStream> {
    let addrs =
        net::resolve(host, port).map_err(|_| AppletError::Msg(format!("bad address '{host}'")))?;
    let mut last = None;
    for addr in addrs {
        match TcpStream::connect(addr) {
            Ok(stream) => return Ok(stream),
            Err(err) => last = Some(err),
        }
    }
    let err = last.ok_or_else(|| AppletError::Msg(format!("bad address '{host}'")))?;
    Err(AppletError::Msg(format!(
        "can't connect to remote host ({host}): {}",
        sys::describe(&err)
    )))
}

/// stdin → peer on a helper thread, peer → stdout here; returns when the peer closes.
fn relay(stream: TcpStream) -> Result<()> {
    let mut sender = stream.try_clone().map_err(io_context("socket"))?;
    std::thread::spawn(move || {
        let _ = io::copy(&mut io::stdin().lock(), &mut sender);
        let _ = sender.shutdown(Shutdown::Write);
    });
    let mut receiver = stream;
    let mut out = io::stdout().lock();
    io::copy(&mut receiver, &mut out).map_err(io_context("read"))?;
    out.flush().map_err(io_context("write"))
}
