//! The `usrv` command line: `keygen`, `pubkey`, and `call` against servers
//! running inside the test process (plain HTTP, and HTTPS with a private
//! CA).
//!
//! The key file KDF is deliberately slow (seconds in a debug build), so only
//! two key files go through `usrv keygen`; the others are written here with
//! the lowest cost the format accepts.

#[path = "../../tests/common/tls.rs"]
mod tls;

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
#[cfg(feature = "tls")]
use tls::{TestPki, TlsServer, H2_AND_HTTP1};
use usrv::crypto::{keyfile, PublicKey, SecretKey};
use usrv::{route, Identity, Json};

/// Open to anyone.
#[route("/hello")]
fn hello() -> (u16, &'static str) {
    (200, "hello from usrv")
}

/// Echoes a JSON body.
#[route("/echo", methods = ["POST"])]
fn echo(body: Json<Value>) -> (u16, Json<Value>) {
    (200, body)
}

/// Needs a signature.
#[route("/whoami", methods = ["GET", "POST"])]
fn whoami(sender: Identity) -> (u16, String) {
    (200, sender.to_string())
}

/// Needs sealed bodies.
#[route("/vault", methods = ["POST"], encrypted)]
fn vault(body: Json<Value>) -> (u16, &'static str, Json<Value>) {
    (200, "opened", body)
}

/// How long one CLI run may take (the slow KDF in a debug build included).
const LIMIT: Duration = Duration::from_secs(120);

const PHRASE_PUBLIC_KEY: &str = "e6037d235f75828b7a15ab3355c0fbc4b6eb119faa09aae51c18202d2edaa2b4";

/// The server the `call` tests talk to: every route above, on a runtime
/// thread of its own, for the life of the test process.
struct TestServer {
    addr: SocketAddr,
    key: PublicKey,
}

impl TestServer {
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

fn server() -> &'static TestServer {
    static SERVER: OnceLock<TestServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async move {
                let bound = usrv::serve()
                    .addr("127.0.0.1:0")
                    .shutdown_signal(std::future::pending())
                    .bind()
                    .await
                    .expect("the server binds");
                sender
                    .send((bound.local_addr(), *bound.app().public_key()))
                    .expect("the test waits");
                bound.run().await.expect("the server runs");
            });
        });
        let (addr, key) = receiver
            .recv_timeout(Duration::from_secs(30))
            .expect("the server starts");
        TestServer { addr, key }
    })
}

/// The HTTPS server (the `tls` feature): every route above, with a certificate from a private
/// CA whose PEM is in `ca_file`.
#[cfg(feature = "tls")]
struct TlsTestServer {
    addr: SocketAddr,
    key: PublicKey,
    ca_file: PathBuf,
}

#[cfg(feature = "tls")]
impl TlsTestServer {
    fn url(&self, path: &str) -> String {
        format!("https://{}{path}", self.addr)
    }
}

#[cfg(feature = "tls")]
fn tls_server() -> &'static TlsTestServer {
    static SERVER: OnceLock<TlsTestServer> = OnceLock::new();
    SERVER.get_or_init(|| {
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async move {
                let pki = TestPki::new();
                let app = usrv::App::new().expect("the routes build");
                let key = *app.public_key();
                let server = TlsServer::start(app, pki.server_config(H2_AND_HTTP1)).await;
                sender
                    .send((server.addr, key, pki.ca_pem.clone()))
                    .expect("the test waits");
                // Serves for the life of the test process.
                std::future::pending::<()>().await;
                drop(server);
            });
        });
        let (addr, key, ca_pem) = receiver
            .recv_timeout(Duration::from_secs(30))
            .expect("the server starts");
        let ca_file = temp_dir("ca").join("ca.pem");
        std::fs::write(&ca_file, ca_pem).expect("writes the CA");
        TlsTestServer { addr, key, ca_file }
    })
}

/// An address that accepts TCP connections (the kernel completes the
/// handshake) but never answers: the listener is never accepted from.
fn silent_addr() -> SocketAddr {
    static LISTENER: OnceLock<std::net::TcpListener> = OnceLock::new();
    LISTENER
        .get_or_init(|| std::net::TcpListener::bind("127.0.0.1:0").expect("binds"))
        .local_addr()
        .expect("an address")
}

/// A fresh directory for this test's files.
fn temp_dir(name: &str) -> PathBuf {
    static COUNT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "usrv-cli-{}-{}-{name}",
        std::process::id(),
        COUNT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("creates the temp dir");
    dir
}

/// A key file written with the lowest KDF cost (fast to read back).
fn cheap_key_file(dir: &Path, passphrase: &str) -> (PathBuf, PublicKey) {
    let key = SecretKey::generate();
    let path = dir.join("cheap.key");
    keyfile::write_with_cost(&path, &key, passphrase, keyfile::MIN_ITERATIONS)
        .expect("writes the key file");
    (path, key.public_key())
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    fn assert_success(&self) -> &Self {
        assert_eq!(self.code, Some(0), "{self:?}");
        self
    }

    /// A failure: non-zero exit, nothing on stdout, one line on stderr
    /// (`usrv: <reason>`) containing `contains`.
    fn assert_failure(&self, contains: &str) -> &Self {
        assert_ne!(self.code, Some(0), "{self:?}");
        assert!(self.code.is_some(), "exited, not killed: {self:?}");
        assert_eq!(self.stdout, "", "{self:?}");
        assert_eq!(self.stderr.lines().count(), 1, "one line: {self:?}");
        assert!(self.stderr.starts_with("usrv: "), "{self:?}");
        assert!(self.stderr.contains(contains), "{contains:?}: {self:?}");
        self
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {:?}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// Runs `usrv` with these arguments; `passphrase` sets
/// `USRV_KEY_PASSPHRASE` (never a prompt). Standard input is empty.
fn usrv(args: &[&str], passphrase: Option<&str>) -> Run {
    let env: Vec<(&str, &str)> = passphrase
        .map(|p| ("USRV_KEY_PASSPHRASE", p))
        .into_iter()
        .collect();
    usrv_with(args, &env, None)
}

/// Runs `usrv` with these arguments, these environment variables (the
/// usrv ones are cleared first) and this standard input (empty if `None`).
fn usrv_with(args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_usrv"));
    command
        .args(args)
        .env_remove("USRV_KEY_PASSPHRASE")
        .env_remove("USRV_KEY_FILE")
        .env_remove("USRV_PHRASE")
        .envs(env.iter().copied())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("runs usrv");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().expect("stdin");
        let input = input.to_owned();
        // A writer of its own: usrv may not read it all.
        std::thread::spawn(move || {
            let _ = pipe.write_all(input.as_bytes());
        });
    }
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out = std::thread::spawn(move || {
        let mut text = String::new();
        stdout.read_to_string(&mut text).map(|_| text)
    });
    let err = std::thread::spawn(move || {
        let mut text = String::new();
        stderr.read_to_string(&mut text).map(|_| text)
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("waits") {
            break status;
        }
        if started.elapsed() > LIMIT {
            let _ = child.kill();
            panic!("usrv {args:?} ran past {LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Run {
        code: status.code(),
        stdout: out.join().unwrap().expect("reads stdout"),
        stderr: err.join().unwrap().expect("reads stderr"),
    }
}

#[test]
fn keygen_writes_a_private_key_file_that_pubkey_reads() {
    let dir = temp_dir("keygen");
    let path = dir.join("id.key");
    let file = path.to_str().unwrap();
    let run = usrv(&["keygen", "--out", file], Some("correct horse"));
    run.assert_success();
    let printed = run.stdout.trim_end_matches('\n');
    assert_eq!(run.stdout.lines().count(), 1, "{run:?}");
    assert_eq!(printed.len(), 64, "{run:?}");
    let public: PublicKey = printed.parse().expect("a public key");
    let bytes = std::fs::read(&path).expect("the key file exists");
    assert_eq!(bytes.len(), keyfile::FILE_LEN);
    assert!(bytes.starts_with(keyfile::MAGIC));
    // The secret is not stored in the clear, nor is the passphrase.
    assert!(!bytes.windows(13).any(|w| w == b"correct horse"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "mode {mode:o}");
    }

    // Never overwritten (refused before any passphrase is asked).
    usrv(&["keygen", "--out", file], None).assert_failure("exists");
    assert_eq!(std::fs::read(&path).unwrap(), bytes);

    let run = usrv(&["pubkey", file], Some("correct horse"));
    run.assert_success();
    assert_eq!(run.stdout, format!("{public}\n"));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn keygen_from_a_phrase_never_takes_it_on_the_command_line() {
    let dir = temp_dir("keygen-phrase");
    let path = dir.join("phrase.key");
    let file = path.to_str().unwrap();
    // The phrase from standard input, the passphrase from the environment.
    let run = usrv_with(
        &["keygen", "--out", file, "--from-phrase"],
        &[("USRV_KEY_PASSPHRASE", "pw")],
        Some("abandon abandon ability\n"),
    );
    run.assert_success();
    assert_eq!(run.stdout, format!("{PHRASE_PUBLIC_KEY}\n"));
    // Written like any key file (reading one back is tested above; the KDF
    // is too slow in a debug build to do it twice).
    let bytes = std::fs::read(&path).expect("the key file exists");
    assert_eq!(bytes.len(), keyfile::FILE_LEN);
    assert!(!bytes.windows(7).any(|w| w == b"abandon"));
    // The old flag that took the phrase itself is gone.
    let run = usrv(
        &[
            "keygen",
            "--out",
            file,
            "--phrase",
            "abandon abandon ability",
        ],
        Some("pw"),
    );
    assert_eq!(run.code, Some(2), "a usage error: {run:?}");
    assert!(run.stderr.contains("--phrase"), "{run:?}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn pubkey_of_a_phrase() {
    // From standard input (its first line), or from USRV_PHRASE.
    let run = usrv_with(
        &["pubkey", "--from-phrase"],
        &[],
        Some("abandon abandon ability\nignored\n"),
    );
    run.assert_success();
    assert_eq!(run.stdout, format!("{PHRASE_PUBLIC_KEY}\n"));
    let run = usrv_with(
        &["pubkey", "--from-phrase"],
        &[("USRV_PHRASE", "abandon abandon ability")],
        None,
    );
    run.assert_success();
    assert_eq!(run.stdout, format!("{PHRASE_PUBLIC_KEY}\n"));
    // A Windows line end is not part of the phrase.
    let run = usrv_with(
        &["pubkey", "--from-phrase"],
        &[],
        Some("abandon abandon ability\r\n"),
    );
    assert_eq!(run.stdout, format!("{PHRASE_PUBLIC_KEY}\n"));
    // The default passphrase is "SALT", as in the original package.
    let run = usrv_with(
        &["pubkey", "--from-phrase", "--salt", "SALT"],
        &[("USRV_PHRASE", "abandon abandon ability")],
        None,
    );
    assert_eq!(run.stdout, format!("{PHRASE_PUBLIC_KEY}\n"));
    let run = usrv_with(
        &["pubkey", "--from-phrase", "--salt", "pepper"],
        &[("USRV_PHRASE", "abandon abandon ability")],
        None,
    );
    run.assert_success();
    assert_ne!(run.stdout.trim(), PHRASE_PUBLIC_KEY);
    assert_eq!(run.stdout.trim().len(), 64);
    // No phrase at all (empty standard input): refused, not an empty key.
    usrv(&["pubkey", "--from-phrase"], None).assert_failure("phrase is empty");
    usrv_with(&["pubkey", "--from-phrase"], &[], Some("  \n")).assert_failure("phrase is empty");
    // The phrase is never an argument.
    let run = usrv(&["pubkey", "--phrase", "abandon abandon ability"], None);
    assert_eq!(run.code, Some(2), "a usage error: {run:?}");
}

#[test]
fn pubkey_of_a_file_with_the_wrong_passphrase_fails_in_one_line() {
    let dir = temp_dir("wrong");
    let (path, public) = cheap_key_file(&dir, "right");
    let file = path.to_str().unwrap();
    let run = usrv(&["pubkey", file], Some("right"));
    run.assert_success();
    assert_eq!(run.stdout, format!("{public}\n"));

    usrv(&["pubkey", file], Some("wrong")).assert_failure("wrong passphrase");
    // Not a key file; no such file.
    let other = dir.join("not-a-key");
    std::fs::write(&other, b"hello").unwrap();
    usrv(&["pubkey", other.to_str().unwrap()], Some("right")).assert_failure("key file");
    let missing = dir.join("missing.key");
    usrv(&["pubkey", missing.to_str().unwrap()], Some("right")).assert_failure("missing.key");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn call_a_plain_get_prints_the_body_only() {
    let server = server();
    let run = usrv(&["call", &server.url("/hello")], None);
    run.assert_success();
    // The body exactly as received: ready for a pipe.
    assert_eq!(run.stdout, r#""hello from usrv""#, "{run:?}");
    assert_eq!(run.stderr, "", "{run:?}");

    // With the status line and the reply headers, then the body.
    let run = usrv(&["call", "-i", &server.url("/hello")], None);
    run.assert_success();
    let (head, body) = run.stdout.split_once("\n\n").expect("a blank line");
    let mut lines = head.lines();
    assert_eq!(lines.next(), Some("HTTP/1.1 200 OK"), "{run:?}");
    assert!(
        lines.any(|line| line == "content-type: application/json"),
        "{run:?}"
    );
    assert_eq!(body, r#""hello from usrv""#, "{run:?}");
}

#[test]
fn call_with_a_json_body_posts_it() {
    let server = server();
    let run = usrv(
        &["call", &server.url("/echo"), "--json", r#"{"a": [1, 2]}"#],
        None,
    );
    run.assert_success();
    let body: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(body, json!({"a": [1, 2]}));

    usrv(&["call", &server.url("/echo"), "--json", "{oops"], None).assert_failure("--json");
    // The server's refusal of a body that is not JSON.
    usrv(
        &[
            "call",
            &server.url("/echo"),
            "--data",
            "{oops",
            "-H",
            "Content-Type: application/json",
        ],
        None,
    )
    .assert_failure("400 ");
}

#[test]
fn call_signed_with_a_key_file() {
    let server = server();
    let dir = temp_dir("signed");
    let (path, public) = cheap_key_file(&dir, "pw");
    let run = usrv(
        &[
            "call",
            "-X",
            "POST",
            &server.url("/whoami"),
            "--key",
            path.to_str().unwrap(),
        ],
        Some("pw"),
    );
    run.assert_success();
    assert_eq!(run.stdout, format!("\"{public}\""), "{run:?}");

    // Signed and verified replies show their signature headers with -i.
    let run = usrv(
        &[
            "call",
            "-i",
            &server.url("/whoami"),
            "--key",
            path.to_str().unwrap(),
            "--server-key",
            &server.key.to_string(),
        ],
        Some("pw"),
    );
    run.assert_success();
    assert!(run.stdout.starts_with("HTTP/1.1 200 OK\n"), "{run:?}");
    assert!(
        run.stdout
            .contains(&format!("sender-public-key: {}", server.key)),
        "{run:?}"
    );
    assert!(run.stdout.contains("sender-signature: "), "{run:?}");

    // A key from a phrase (read from the environment here).
    let run = usrv_with(
        &["call", &server.url("/whoami"), "--from-phrase"],
        &[("USRV_PHRASE", "abandon abandon ability")],
        None,
    );
    run.assert_success();
    assert_eq!(run.stdout, format!("\"{PHRASE_PUBLIC_KEY}\""), "{run:?}");

    // The wrong passphrase for the key: nothing is sent.
    usrv(
        &[
            "call",
            &server.url("/whoami"),
            "--key",
            path.to_str().unwrap(),
        ],
        Some("not it"),
    )
    .assert_failure("wrong passphrase");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn call_encrypted() {
    let server = server();
    let dir = temp_dir("encrypt");
    let (path, _) = cheap_key_file(&dir, "pw");
    let key = path.to_str().unwrap();
    for pin in [false, true] {
        let server_key = server.key.to_string();
        let mut args = vec![
            "call",
            &server.url("/vault"),
            "--json",
            r#"{"secret": 42}"#,
            "--key",
            key,
            "--encrypt",
        ]
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<_>>();
        if pin {
            args.extend(["--server-key".to_owned(), server_key]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = usrv(&args, Some("pw"));
        run.assert_success();
        let body: Value = serde_json::from_str(&run.stdout).unwrap();
        assert_eq!(body, json!(["opened", {"secret": 42}]), "{run:?}");
    }
    // A plaintext body to the encrypted route.
    usrv(
        &["call", &server.url("/vault"), "--json", "{}", "--key", key],
        Some("pw"),
    )
    .assert_failure("415 ");
    // --encrypt needs an identity.
    usrv(
        &["call", &server.url("/vault"), "--json", "{}", "--encrypt"],
        None,
    )
    .assert_failure("--encrypt");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn call_with_a_wrong_server_key_fails() {
    let server = server();
    let impostor = SecretKey::generate().public_key().to_string();
    let phrase = [("USRV_PHRASE", "abandon abandon ability")];
    usrv_with(
        &[
            "call",
            &server.url("/whoami"),
            "--from-phrase",
            "--server-key",
            &impostor,
        ],
        &phrase,
        None,
    )
    .assert_failure("signature");
    usrv_with(
        &[
            "call",
            &server.url("/vault"),
            "--json",
            "{}",
            "--from-phrase",
            "--encrypt",
            "--server-key",
            &impostor,
        ],
        &phrase,
        None,
    )
    .assert_failure("signature");
    usrv_with(
        &[
            "call",
            &server.url("/whoami"),
            "--from-phrase",
            "--server-key",
            "not-a-key",
        ],
        &phrase,
        None,
    )
    .assert_failure("--server-key");
}

#[test]
fn call_reports_an_error_status_on_stderr() {
    let server = server();
    let run = usrv(&["call", "-X", "POST", &server.url("/whoami")], None);
    run.assert_failure("401 ");
    assert!(run.stderr.starts_with("usrv: 401 "), "{run:?}");
    assert!(run.stderr.contains("signed"), "{run:?}");
    // Even with -i, nothing of an error reply reaches standard output.
    usrv(&["call", "-i", &server.url("/nowhere")], None).assert_failure("404 ");
    usrv(&["call", "ftp://127.0.0.1/x"], None).assert_failure("http:// or https://");
    usrv(&["call", "127.0.0.1:5000/x"], None).assert_failure("http:// or https://");
}

#[cfg(feature = "tls")]
#[test]
fn call_over_https_with_a_private_ca() {
    let server = tls_server();
    let cacert = server.ca_file.to_str().unwrap();
    let run = usrv(&["call", "--cacert", cacert, &server.url("/hello")], None);
    run.assert_success();
    assert_eq!(run.stdout, r#""hello from usrv""#, "{run:?}");

    // HTTP/2, chosen through ALPN.
    let run = usrv(
        &["call", "-i", "--cacert", cacert, &server.url("/hello")],
        None,
    );
    run.assert_success();
    assert!(run.stdout.starts_with("HTTP/2.0 200 OK\n"), "{run:?}");

    // Signed and sealed over TLS, the server key discovered.
    let run = usrv_with(
        &[
            "call",
            "--cacert",
            cacert,
            &server.url("/vault"),
            "--json",
            r#"{"n": 1}"#,
            "--from-phrase",
            "--encrypt",
        ],
        &[],
        Some("abandon abandon ability\n"),
    );
    run.assert_success();
    let body: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(body, json!(["opened", {"n": 1}]), "{run:?}");
    let run = usrv_with(
        &[
            "call",
            "--cacert",
            cacert,
            &server.url("/whoami"),
            "--from-phrase",
            "--server-key",
            &server.key.to_string(),
        ],
        &[("USRV_PHRASE", "abandon abandon ability")],
        None,
    );
    run.assert_success();
    assert_eq!(run.stdout, format!("\"{PHRASE_PUBLIC_KEY}\""), "{run:?}");

    // Without the CA, the certificate is refused.
    usrv(&["call", &server.url("/hello")], None).assert_failure("invalid peer certificate");
    // A CA file that is not one.
    let dir = temp_dir("cacert");
    let bogus = dir.join("bogus.pem");
    std::fs::write(&bogus, "hello").unwrap();
    usrv(
        &[
            "call",
            "--cacert",
            bogus.to_str().unwrap(),
            &server.url("/hello"),
        ],
        None,
    )
    .assert_failure("--cacert");
    let missing = dir.join("missing.pem");
    usrv(
        &[
            "call",
            "--cacert",
            missing.to_str().unwrap(),
            &server.url("/hello"),
        ],
        None,
    )
    .assert_failure("missing.pem");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn call_gives_up_after_its_timeout() {
    let addr = silent_addr();
    let schemes: &[&str] = if cfg!(feature = "tls") {
        &["http", "https"]
    } else {
        &["http"]
    };
    for scheme in schemes {
        let url = format!("{scheme}://{addr}/hello");
        usrv(&["call", "--timeout", "0.3", &url], None).assert_failure("timed out");
    }
    for bad in ["0", "-1", "soon"] {
        let run = usrv(
            &[
                "call",
                &format!("--timeout={bad}"),
                &format!("http://{addr}/"),
            ],
            None,
        );
        assert_eq!(run.code, Some(2), "a usage error: {run:?}");
        assert!(run.stderr.contains("--timeout"), "{run:?}");
    }
}

#[test]
fn call_names_the_address_it_cannot_reach() {
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    usrv(&["call", &format!("http://{addr}/hello")], None)
        .assert_failure(&format!("cannot connect to {addr}"));
}
