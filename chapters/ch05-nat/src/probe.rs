//! One TCP connection, with each end reporting the addresses it sees. With NAT in between, the
//! two ends disagree — that disagreement is the translation.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use ch04_bridge::Error;

/// What one end of a connection saw: its own address and its peer's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    /// The local address of the socket.
    pub local: SocketAddr,
    /// The address of the other end, as this end sees it.
    pub peer: SocketAddr,
}

/// Accepts one connection on `addr`, answers one line naming what it saw, and returns that.
pub fn serve_once(addr: SocketAddr) -> Result<Seen, Error> {
    let listener = TcpListener::bind(addr).map_err(Error::io("listen on", addr.to_string()))?;
    let (mut stream, peer) = listener
        .accept()
        .map_err(Error::io("accept on", addr.to_string()))?;
    let local = stream
        .local_addr()
        .map_err(Error::io("getsockname on", addr.to_string()))?;
    let mut line = String::new();
    BufReader::new(&stream)
        .read_line(&mut line)
        .map_err(Error::io("read from", peer.to_string()))?;
    writeln!(stream, "server {local} saw the client as {peer}")
        .map_err(Error::io("write to", peer.to_string()))?;
    Ok(Seen { local, peer })
}

/// Connects to `addr` (retrying while the server starts), sends a line, and returns what this
/// end saw and the server's answer.
pub fn ask(addr: SocketAddr) -> Result<(Seen, String), Error> {
    let start = Instant::now();
    let mut stream = loop {
        match TcpStream::connect_timeout(&addr, Duration::from_secs(1)) {
            Ok(stream) => break stream,
            Err(_) if start.elapsed() < Duration::from_secs(3) => {
                std::thread::sleep(Duration::from_millis(20))
            }
            Err(e) => return Err(Error::io("connect to", addr.to_string())(e)),
        }
    };
    let local = stream
        .local_addr()
        .map_err(Error::io("getsockname for", addr.to_string()))?;
    writeln!(stream, "hello").map_err(Error::io("write to", addr.to_string()))?;
    let mut reply = String::new();
    BufReader::new(&stream)
        .read_line(&mut reply)
        .map_err(Error::io("read from", addr.to_string()))?;
    Ok((Seen { local, peer: addr }, reply.trim().to_string()))
}
