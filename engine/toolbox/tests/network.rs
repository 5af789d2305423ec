//! httpd, wget and nc talking to each other over loopback.

mod common;

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{code, run, stderr, stdout, toolbox, TempDir};

/// A port that was free a moment ago on 127.0.0.1.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_until_listening(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "nothing listening on port {port}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// An httpd serving `dir`, stopped with SIGTERM when dropped.
struct Server {
    child: Child,
    port: u16,
}

/// Held from choosing a port until the server listens on it, so that two tests starting servers
/// at once cannot be handed the same free port (and one test talk to the other's server).
static STARTING: std::sync::Mutex<()> = std::sync::Mutex::new(());

impl Server {
    fn start(dir: &TempDir) -> Server {
        let _one_at_a_time = STARTING.lock().unwrap_or_else(|e| e.into_inner());
        let port = free_port();
        let child = Command::new(toolbox())
            .args([
                "httpd",
                "-f",
                "-p",
                &format!("127.0.0.1:{port}"),
                "-h",
                &dir.path().display().to_string(),
            ])
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        wait_until_listening(port);
        Server { child, port }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Sends SIGTERM and returns the exit code.
    fn stop(mut self) -> Option<i32> {
        // SAFETY: signalling our own child, which has not been reaped yet.
        unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM) };
        let code = self.child.wait().unwrap().code();
        std::mem::forget(self);
        code
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn httpd_serves_files_that_wget_fetches_and_exits_0_on_sigterm() {
    let dir = TempDir::new();
    dir.write("hello.txt", "hello from httpd\n");
    let server = Server::start(&dir);
    let out = run(&["wget", "-qO-", &server.url("/hello.txt")], "");
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out), "hello from httpd\n");
    assert_eq!(server.stop(), Some(0));
}

#[test]
fn wget_saves_to_a_file_named_after_the_url_or_given_with_o() {
    let dir = TempDir::new();
    dir.write("data.txt", "payload");
    let server = Server::start(&dir);
    let target = TempDir::new();
    let out = common::run_in(
        Command::new(toolbox())
            .args(["wget", &server.url("/data.txt")])
            .current_dir(target.path()),
        "",
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(target.path().join("data.txt")).unwrap(),
        "payload"
    );
    let named = target.path().join("other");
    let out = run(
        &[
            "wget",
            "-q",
            "-O",
            &named.display().to_string(),
            &server.url("/data.txt"),
        ],
        "",
    );
    assert_eq!(code(&out), 0);
    assert_eq!(std::fs::read_to_string(named).unwrap(), "payload");
}

#[test]
fn index_html_is_served_for_the_directory_else_a_listing() {
    let dir = TempDir::new();
    dir.write("a.txt", "");
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let server = Server::start(&dir);
    let listing = stdout(&run(&["wget", "-qO-", &server.url("/")], ""));
    assert!(
        listing.contains("<a href=\"a.txt\">a.txt</a>")
            && listing.contains("<a href=\"sub/\">sub/</a>"),
        "{listing}"
    );
    dir.write("index.html", "<h1>home</h1>");
    assert_eq!(
        stdout(&run(&["wget", "-qO-", &server.url("/")], "")),
        "<h1>home</h1>"
    );
}

#[test]
fn wget_fails_on_404_and_on_escape_attempts() {
    let dir = TempDir::new();
    let server = Server::start(&dir);
    let out = run(&["wget", "-qO-", &server.url("/missing")], "");
    assert_eq!(code(&out), 1);
    assert_eq!(
        stderr(&out),
        "wget: server returned error: HTTP/1.0 404 Not Found\n"
    );
    let out = run(&["wget", "-qO-", &server.url("/../../../etc/passwd")], "");
    assert_eq!(code(&out), 1);
    assert!(stderr(&out).contains("403 Forbidden"), "{}", stderr(&out));
}

#[test]
fn wget_reports_connection_refused() {
    let out = run(
        &[
            "wget",
            "-q",
            "-O-",
            "-T",
            "2",
            &format!("http://127.0.0.1:{}/", free_port()),
        ],
        "",
    );
    assert_eq!(code(&out), 1);
    assert!(
        stderr(&out).contains("wget: can't connect to remote host (127.0.0.1): Connection refused"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn nc_listens_for_one_connection_and_relays_both_ways() {
    use std::io::{Read, Write};
    let port = free_port();
    let mut listener = Command::new(toolbox())
        .args(["nc", "-l", "-p", &port.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // What nc reads from stdin goes to the peer, then nc closes its sending side.
    listener
        .stdin
        .take()
        .unwrap()
        .write_all(b"from listener")
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut client = loop {
        match TcpStream::connect(("127.0.0.1", port)) {
            Ok(stream) => break stream,
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Err(err) => panic!("nc never listened: {err}"),
        }
    };
    let mut got = String::new();
    client.read_to_string(&mut got).unwrap();
    assert_eq!(got, "from listener");
    client.write_all(b"from client").unwrap();
    drop(client);
    let out = listener.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout(&out), "from client");
}

#[test]
fn nc_client_sends_stdin_and_prints_the_reply() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut peer, _) = listener.accept().unwrap();
        let mut got = String::new();
        std::io::Read::read_to_string(&mut peer, &mut got).unwrap();
        std::io::Write::write_all(&mut peer, format!("echo:{got}").as_bytes()).unwrap();
    });
    let out = run(&["nc", "127.0.0.1", &port.to_string()], "ping");
    server.join().unwrap();
    assert_eq!(stdout(&out), "echo:ping");
}
