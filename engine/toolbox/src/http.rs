//! The small part of HTTP/1.x that `httpd` and `wget` need, as pure functions that can be tested:
//! URLs, request and status lines, headers, and mapping a request path safely onto a directory.

use std::fmt;
use std::path::{Component, Path, PathBuf};

/// The longest request or response head we accept.
pub const MAX_HEAD: usize = 16 * 1024;

/// A request or response that does not follow the protocol (or asks for something forbidden).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpError {
    /// The URL is not `http://host[:port][/path]`.
    BadUrl(String),
    /// The request line or a header is malformed.
    BadRequest(&'static str),
    /// The path tries to leave the served directory.
    Forbidden,
    /// The response does not start with `HTTP/1.x CODE`.
    BadResponse(String),
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HttpError::BadUrl(url) => write!(f, "not an http URL: {url}"),
            HttpError::BadRequest(why) => write!(f, "bad request: {why}"),
            HttpError::Forbidden => f.write_str("path leaves the served directory"),
            HttpError::BadResponse(line) => write!(f, "bad response: {line}"),
        }
    }
}

impl std::error::Error for HttpError {}

/// `http://host[:port]/path`, split up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    pub host: String,
    pub port: u16,
    /// Starts with `/`; includes any query string.
    pub path: String,
}

impl Url {
    /// Parses an `http://` URL (the scheme may be omitted, as wget allows).
    pub fn parse(url: &str) -> Result<Url, HttpError> {
        let bad = || HttpError::BadUrl(url.to_string());
        let rest = match url.split_once("://") {
            Some(("http", rest)) => rest,
            Some(_) => return Err(bad()),
            None => url,
        };
        let (authority, path) = match rest.find('/') {
            Some(at) => (&rest[..at], &rest[at..]),
            None => (rest, "/"),
        };
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) if !host.ends_with(':') && !port.contains(']') => {
                (host, port.parse().map_err(|_| bad())?)
            }
            _ => (authority, 80),
        };
        if host.is_empty() {
            return Err(bad());
        }
        Ok(Url {
            host: host.to_string(),
            port,
            path: path.to_string(),
        })
    }

    /// The `Host:` header value: the port only when it is not 80.
    pub fn host_header(&self) -> String {
        if self.port == 80 {
            self.host.clone()
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// The file name `wget URL` saves to: the last path segment, or `index.html`.
    pub fn file_name(&self) -> String {
        let path = self.path.split(['?', '#']).next().unwrap_or("");
        match path.rsplit('/').next() {
            Some(name) if !name.is_empty() => name.to_string(),
            _ => "index.html".to_string(),
        }
    }
}

/// The first line of a request: `GET /path HTTP/1.1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestLine {
    pub method: String,
    pub target: String,
    pub version: String,
}

/// Parses the request line from a request head (the headers are not needed to serve files).
pub fn parse_request(head: &str) -> Result<RequestLine, HttpError> {
    let line = head
        .lines()
        .next()
        .ok_or(HttpError::BadRequest("empty request"))?;
    let mut parts = line.split_whitespace();
    let (Some(method), Some(target), version) = (parts.next(), parts.next(), parts.next()) else {
        return Err(HttpError::BadRequest(
            "request line needs a method and a path",
        ));
    };
    let version = version.unwrap_or("HTTP/0.9");
    if !version.starts_with("HTTP/") || parts.next().is_some() {
        return Err(HttpError::BadRequest("malformed request line"));
    }
    Ok(RequestLine {
        method: method.to_string(),
        target: target.to_string(),
        version: version.to_string(),
    })
}

/// The status code from a response head's first line (`HTTP/1.1 200 OK`).
pub fn parse_status(head: &str) -> Result<u16, HttpError> {
    let line = head.lines().next().unwrap_or("");
    let mut parts = line.split_whitespace();
    match (parts.next(), parts.next().and_then(|c| c.parse().ok())) {
        (Some(version), Some(code)) if version.starts_with("HTTP/") => Ok(code),
        _ => Err(HttpError::BadResponse(line.to_string())),
    }
}

/// The value of header `name` (case-insensitive) in a head.
pub fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().skip(1).find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim().eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

/// Where the head ends: the index just past the blank line (`\r\n\r\n` or `\n\n`).
pub fn head_end(buf: &[u8]) -> Option<usize> {
    let crlf = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|at| at + 4);
    let lf = buf.windows(2).position(|w| w == b"\n\n").map(|at| at + 2);
    match (crlf, lf) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Maps a request target onto a file below `root`, refusing anything that could escape it.
///
/// The query string is dropped, `%XX` escapes are decoded, and then any `..` component (or an
/// encoded NUL) is refused — checking *after* decoding is what stops `/%2e%2e/etc/passwd`.
pub fn safe_path(root: &Path, target: &str) -> Result<PathBuf, HttpError> {
    let path = target.split(['?', '#']).next().unwrap_or("");
    if !path.starts_with('/') {
        return Err(HttpError::BadRequest("path must start with /"));
    }
    let decoded = percent_decode(path).ok_or(HttpError::BadRequest("bad %-escape"))?;
    if decoded.contains('\0') {
        return Err(HttpError::Forbidden);
    }
    let mut out = root.to_path_buf();
    for component in Path::new(&decoded).components() {
        match component {
            Component::Normal(part) => out.push(part),
            Component::RootDir | Component::CurDir => {}
            Component::ParentDir | Component::Prefix(_) => return Err(HttpError::Forbidden),
        }
    }
    Ok(out)
}

/// Decodes `%XX` escapes; `None` for a broken escape or bytes that are not UTF-8.
pub fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Escapes a file name for use in a link: everything but unreserved characters becomes `%XX`.
pub fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Escapes text for HTML.
pub fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The `Content-Type` for a file, by extension.
pub fn content_type(path: &Path) -> &'static str {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "html" | "htm" => "text/html",
        "txt" | "md" | "log" => "text/plain",
        "css" => "text/css",
        "js" => "application/javascript",
        "json" => "application/json",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "svg" => "image/svg+xml",
        _ => "application/octet-stream",
    }
}

/// The reason phrase for the status codes `httpd` sends.
pub fn reason(code: u16) -> &'static str {
    match code {
        200 => "OK",
        301 => "Moved Permanently",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        501 => "Not Implemented",
        _ => "Internal Server Error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_with_and_without_port_and_path() {
        let url = Url::parse("http://127.0.0.1:8080/a/b.txt?x=1").unwrap();
        assert_eq!(
            (url.host.as_str(), url.port, url.path.as_str()),
            ("127.0.0.1", 8080, "/a/b.txt?x=1")
        );
        assert_eq!(url.host_header(), "127.0.0.1:8080");
        assert_eq!(url.file_name(), "b.txt");
        let url = Url::parse("web").unwrap();
        assert_eq!(
            (url.host.as_str(), url.port, url.path.as_str()),
            ("web", 80, "/")
        );
        assert_eq!(url.host_header(), "web");
        assert_eq!(url.file_name(), "index.html");
    }

    #[test]
    fn ipv6_literal_urls_keep_brackets_and_port() {
        let url = Url::parse("http://[::1]:81/").unwrap();
        assert_eq!((url.host.as_str(), url.port), ("[::1]", 81));
        assert_eq!(Url::parse("http://[::1]/").unwrap().port, 80);
    }

    #[test]
    fn other_schemes_and_bad_ports_are_rejected() {
        assert!(Url::parse("https://example.com/").is_err());
        assert!(Url::parse("http://host:99999/").is_err());
        assert!(Url::parse("http:///path").is_err());
    }

    #[test]
    fn request_line_parses_method_target_and_version() {
        let req = parse_request("GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        assert_eq!(
            req,
            RequestLine {
                method: "GET".into(),
                target: "/index.html".into(),
                version: "HTTP/1.1".into()
            }
        );
        assert!(parse_request("GET\r\n").is_err());
        assert!(parse_request("GET / FTP/1.0\r\n").is_err());
        assert!(parse_request("").is_err());
    }

    #[test]
    fn status_and_headers_from_a_response_head() {
        let head = "HTTP/1.0 404 Not Found\r\nContent-Length: 12\r\nX: y\r\n\r\n";
        assert_eq!(parse_status(head), Ok(404));
        assert_eq!(header(head, "content-length"), Some("12"));
        assert_eq!(header(head, "missing"), None);
        assert!(parse_status("garbage").is_err());
    }

    #[test]
    fn head_end_finds_the_blank_line() {
        assert_eq!(head_end(b"GET / HTTP/1.0\r\n\r\nbody"), Some(18));
        assert_eq!(head_end(b"GET / HTTP/1.0\n\nbody"), Some(16));
        assert_eq!(head_end(b"GET / HTTP/1.0\r\n"), None);
    }

    #[test]
    fn safe_path_maps_inside_root_and_drops_queries() {
        let root = Path::new("/srv");
        assert_eq!(
            safe_path(root, "/a/b.txt?q=1").unwrap(),
            Path::new("/srv/a/b.txt")
        );
        assert_eq!(safe_path(root, "/").unwrap(), Path::new("/srv"));
        assert_eq!(
            safe_path(root, "/my%20file").unwrap(),
            Path::new("/srv/my file")
        );
        assert_eq!(safe_path(root, "/./a//b").unwrap(), Path::new("/srv/a/b"));
    }

    #[test]
    fn safe_path_refuses_parent_components_even_when_encoded() {
        let root = Path::new("/srv");
        assert_eq!(safe_path(root, "/../etc/passwd"), Err(HttpError::Forbidden));
        assert_eq!(
            safe_path(root, "/a/../../etc/passwd"),
            Err(HttpError::Forbidden)
        );
        assert_eq!(
            safe_path(root, "/%2e%2e/etc/passwd"),
            Err(HttpError::Forbidden)
        );
        assert_eq!(safe_path(root, "/a%00b"), Err(HttpError::Forbidden));
        assert!(safe_path(root, "relative").is_err());
        assert!(safe_path(root, "/bad%zz").is_err());
    }

    #[test]
    fn percent_encoding_round_trips_names() {
        let name = "a b&c.txt";
        assert_eq!(percent_encode(name), "a%20b%26c.txt");
        assert_eq!(percent_decode(&percent_encode(name)).as_deref(), Some(name));
        assert_eq!(
            html_escape("<a href=\"x\">&</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;"
        );
    }

    #[test]
    fn content_types_by_extension() {
        assert_eq!(content_type(Path::new("index.HTML")), "text/html");
        assert_eq!(
            content_type(Path::new("data.bin")),
            "application/octet-stream"
        );
    }
}
