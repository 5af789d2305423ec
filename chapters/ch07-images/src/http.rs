//! A minimal HTTP/1.1 client over a TCP socket, printing every request and response line.
//!
//! A registry speaks ordinary HTTP. Writing the requests by hand shows that there is nothing
//! more to it: a request line, a few headers, a body; a status line, headers, a body. Each
//! request opens its own connection and says `Connection: close`, so a response ends where the
//! connection does.

use std::io::{Read, Write};
use std::net::TcpStream;

use base64::Engine as _;

use crate::Error;

/// A response: the status code and line, the headers, the body.
#[derive(Debug)]
pub struct Response {
    /// e.g. 201.
    pub code: u16,
    /// e.g. `201 Created`.
    pub status: String,
    /// Header names lowercased.
    pub headers: Vec<(String, String)>,
    /// The body, de-chunked.
    pub body: Vec<u8>,
}

impl Response {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A request to send.
pub struct Request<'a> {
    /// GET, HEAD, POST, PUT…
    pub method: &'a str,
    /// `host:port`.
    pub host: &'a str,
    /// Path and query, e.g. `/v2/app/blobs/uploads/`.
    pub target: &'a str,
    /// Extra headers.
    pub headers: Vec<(&'a str, String)>,
    /// The body.
    pub body: &'a [u8],
    /// `user:password` for basic authentication.
    pub basic_auth: Option<&'a str>,
}

// ANCHOR: send
/// Sends a request and reads the whole response, printing `>` and `<` lines as it goes.
pub fn send(request: &Request) -> Result<Response, Error> {
    let mut head = format!(
        "{} {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
        request.method, request.target, request.host
    );
    head.push_str(&format!("Content-Length: {}\r\n", request.body.len()));
    for (name, value) in &request.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if let Some(user_pass) = request.basic_auth {
        head.push_str(&format!(
            "Authorization: Basic {}\r\n",
            base64::engine::general_purpose::STANDARD.encode(user_pass)
        ));
    }
    head.push_str("\r\n");
    println!(
        "> {} {} ({} bytes)",
        request.method,
        request.target,
        request.body.len()
    );
    let mut stream = TcpStream::connect(request.host)
        .map_err(Error::io(format!("connect to {}", request.host)))?;
    stream
        .write_all(head.as_bytes())
        .map_err(Error::io("send the request"))?;
    stream
        .write_all(request.body)
        .map_err(Error::io("send the body"))?;
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .map_err(Error::io("read the response"))?;
    let response = parse(&raw, request.method == "HEAD")?;
    let digest = response
        .header("docker-content-digest")
        .map(|d| format!("  Docker-Content-Digest: {d}"))
        .unwrap_or_default();
    println!("< {}{digest}", response.status);
    Ok(response)
}
// ANCHOR_END: send

/// Splits a raw response into status, headers and body.
fn parse(raw: &[u8], head_only: bool) -> Result<Response, Error> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| Error::Invalid("the response has no header end".into()))?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split_once(' ')
        .map(|(_, s)| s.to_string())
        .unwrap_or_default();
    let code = status
        .split(' ')
        .next()
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| Error::Invalid(format!("bad status line {status_line:?}")))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let rest = &raw[split + 4..];
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    let body = if head_only {
        Vec::new()
    } else if chunked {
        dechunk(rest)?
    } else {
        rest.to_vec()
    };
    Ok(Response {
        code,
        status,
        headers,
        body,
    })
}

/// Decodes a `Transfer-Encoding: chunked` body: hex size line, bytes, CRLF, until size 0.
fn dechunk(mut rest: &[u8]) -> Result<Vec<u8>, Error> {
    let mut body = Vec::new();
    loop {
        let end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or_else(|| Error::Invalid("a truncated chunk".into()))?;
        let size_text = String::from_utf8_lossy(&rest[..end]);
        let size =
            usize::from_str_radix(size_text.split(';').next().unwrap_or_default().trim(), 16)
                .map_err(|_| Error::Invalid(format!("bad chunk size {size_text:?}")))?;
        if size == 0 {
            return Ok(body);
        }
        let data = rest
            .get(end + 2..end + 2 + size)
            .ok_or_else(|| Error::Invalid("a truncated chunk".into()))?;
        body.extend_from_slice(data);
        rest = rest.get(end + 4 + size..).unwrap_or_default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_response_is_split_into_status_headers_and_body() {
        let raw = b"HTTP/1.1 201 Created\r\nLocation: /v2/a/blobs/x\r\nContent-Length: 2\r\n\r\nok";
        let response = parse(raw, false).unwrap();
        assert_eq!(
            (response.code, response.status.as_str()),
            (201, "201 Created")
        );
        assert_eq!(response.header("location"), Some("/v2/a/blobs/x"));
        assert_eq!(response.body, b"ok");
    }

    #[test]
    fn chunked_bodies_are_reassembled() {
        let raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
        assert_eq!(parse(raw, false).unwrap().body, b"abcde");
    }
}
