//! What `usrv::serve()` prints with no set-up: a start-up line and one line
//! per request on standard output, filtered by `USRV_LOG`; and nothing of
//! its own when the application installed a `tracing` subscriber.
//!
//! Logging is process-wide, so each case runs a server in a child process:
//! this test binary again, running `child_server` only, which serves when
//! `USRV_LOGGING_CHILD` is set (and returns at once otherwise).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use usrv::route;

#[route("/hello/<name>")]
fn hello(name: String) -> (u16, String) {
    (200, name)
}

/// The server of one case (see the module documentation).
#[test]
fn child_server() {
    let Ok(mode) = std::env::var("USRV_LOGGING_CHILD") else {
        return;
    };
    if mode == "own-subscriber" {
        // The application's own choice: warnings only, on standard output.
        tracing_subscriber::fmt()
            .with_max_level(tracing_subscriber::filter::LevelFilter::WARN)
            .with_writer(std::io::stdout)
            .init();
    }
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async { usrv::serve().await }).unwrap();
}

/// One case at a time: a case picks a free port and hands it to its
/// child, and another case's child must not take it meanwhile.
fn one_at_a_time() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A child serving on a free port, its standard output read line by line.
struct Served {
    child: Child,
    addr: String,
    lines: mpsc::Receiver<String>,
}

impl Served {
    /// Starts a child; a few tries, as another process may take the free
    /// port before the child binds it.
    fn start(mode: &str, usrv_log: Option<&str>) -> Served {
        for _ in 0..5 {
            if let Some(served) = Served::try_start(mode, usrv_log) {
                return served;
            }
        }
        panic!("the child never served");
    }

    fn try_start(mode: &str, usrv_log: Option<&str>) -> Option<Served> {
        let addr = {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().to_string()
        };
        let mut command = Command::new(std::env::current_exe().unwrap());
        command
            .args(["child_server", "--exact", "--nocapture", "--test-threads=1"])
            .env("USRV_LOGGING_CHILD", mode)
            .env("USRV_ADDR", &addr)
            .env_remove("RUST_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        match usrv_log {
            Some(filter) => command.env("USRV_LOG", filter),
            None => command.env_remove("USRV_LOG"),
        };
        let mut child = command.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let mut served = Served { child, addr, lines };
        served.answers().then_some(served)
    }

    /// Whether the child serves (`false` once it exited: the port was taken).
    fn answers(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(&self.addr).is_err() {
            if self.child.try_wait().unwrap().is_some() {
                return false;
            }
            assert!(Instant::now() < deadline, "the child never served");
            std::thread::sleep(Duration::from_millis(20));
        }
        true
    }

    /// `GET path` on a connection of its own: the status line.
    fn get(&self, path: &str) -> String {
        let mut stream = TcpStream::connect(&self.addr).unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut reply = String::new();
        stream.read_to_string(&mut reply).unwrap();
        reply.lines().next().unwrap_or_default().to_owned()
    }

    /// Every line usrv logged within `wait` from now (the test harness
    /// prints lines of its own).
    fn lines_within(&self, wait: Duration) -> Vec<String> {
        let deadline = Instant::now() + wait;
        let mut lines = Vec::new();
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(" usrv:") => lines.push(line),
                Ok(_) => {}
                Err(_) => break,
            }
        }
        lines
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn find<'a>(lines: &'a [String], needle: &str) -> Option<&'a String> {
    lines.iter().find(|line| line.contains(needle))
}

#[test]
fn by_default_the_start_and_every_request_are_printed() {
    let _serial = one_at_a_time();
    let served = Served::start("default", None);
    assert_eq!(served.get("/hello/ann"), "HTTP/1.1 200 OK");
    assert_eq!(served.get("/nowhere"), "HTTP/1.1 404 Not Found");
    let lines = served.lines_within(Duration::from_secs(2));

    let start = find(&lines, "listening on").expect("a start-up line");
    assert!(
        start.contains(&format!("http://{}", served.addr)),
        "{start}"
    );
    assert!(start.contains("routes"), "{start}");
    assert!(start.contains("server public key"), "{start}");
    assert!(start.contains(" INFO "), "{start}");

    // Structured fields, one line per request.
    let ok = find(&lines, "path=\"/hello/ann\"").expect("a line for the request");
    for field in ["method=GET", "status=200", "micros="] {
        assert!(ok.contains(field), "{field} missing in {ok}");
    }
    let missing = find(&lines, "path=\"/nowhere\"").expect("a line for the 404");
    assert!(missing.contains("status=404"), "{missing}");
}

#[test]
fn usrv_log_filters_what_is_printed() {
    let _serial = one_at_a_time();
    let warn = Served::start("default", Some("warn"));
    assert_eq!(warn.get("/hello/bob"), "HTTP/1.1 200 OK");
    let lines = warn.lines_within(Duration::from_secs(1));
    assert!(find(&lines, "listening on").is_none(), "{lines:?}");
    assert!(find(&lines, "/hello/bob").is_none(), "{lines:?}");
    drop(warn);

    let off = Served::start("default", Some("off"));
    assert_eq!(off.get("/hello/cid"), "HTTP/1.1 200 OK");
    assert_eq!(
        off.lines_within(Duration::from_secs(1)),
        Vec::<String>::new()
    );
    drop(off);

    let debug = Served::start("default", Some("usrv=debug"));
    assert_eq!(debug.get("/hello/dan"), "HTTP/1.1 200 OK");
    let lines = debug.lines_within(Duration::from_secs(2));
    assert!(find(&lines, "listening on").is_some(), "{lines:?}");
    assert!(find(&lines, "path=\"/hello/dan\"").is_some(), "{lines:?}");
}

#[test]
fn an_applications_own_subscriber_is_left_alone() {
    let _serial = one_at_a_time();
    // Its level is `warn`: had usrv installed its own, `USRV_LOG=info`
    // would print the start-up and request lines.
    let served = Served::start("own-subscriber", Some("info"));
    assert_eq!(served.get("/hello/eve"), "HTTP/1.1 200 OK");
    let lines = served.lines_within(Duration::from_secs(1));
    assert!(find(&lines, "listening on").is_none(), "{lines:?}");
    assert!(find(&lines, "/hello/eve").is_none(), "{lines:?}");
}
