//! `usrv`: key files and a curl for the secure protocol.
//!
//! ```text
//! usrv keygen --out server.key            # prompts for a passphrase (or USRV_KEY_PASSPHRASE)
//! usrv pubkey server.key
//! usrv pubkey --from-phrase               # the phrase from a hidden prompt, standard input or USRV_PHRASE
//! usrv call -X POST http://127.0.0.1:5000/vault --json '{"a":1}' --key me.key --encrypt
//! usrv call --cacert ca.pem https://internal.example:8443/items | jq .
//! ```
//!
//! `call` writes the reply body alone to standard output (the status line
//! and headers too with `-i`); errors and error statuses go to standard
//! error, with exit code 1.
#![forbid(unsafe_code)]

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use usrv::client::{ClientError, Reply};
use usrv::crypto::{keyfile, PublicKey, SecretKey};
use usrv::{Client, Method, Uri};

/// usrv: key files, and signed and sealed HTTP calls.
#[derive(Parser)]
#[command(name = "usrv", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Writes a new identity key to an encrypted key file and prints its public key.
    Keygen {
        /// Where to write the key file (created with mode 0600; never overwritten).
        #[arg(long)]
        out: PathBuf,
        /// Derive the key from a phrase (as the original package did) instead
        /// of at random: read from USRV_PHRASE, else standard input when it
        /// is not a terminal (first line), else a hidden prompt.
        #[arg(long)]
        from_phrase: bool,
    },
    /// Prints the public key of a key file, or of a phrase.
    Pubkey {
        /// The key file.
        #[arg(required_unless_present = "from_phrase")]
        file: Option<PathBuf>,
        #[command(flatten)]
        phrase: PhraseArgs,
    },
    /// Sends a request: signs, seals, verifies and opens as asked.
    Call(CallArgs),
}

#[derive(Args)]
struct PhraseArgs {
    /// Derive the key from a phrase instead of a key file: read from
    /// USRV_PHRASE, else standard input when it is not a terminal (first
    /// line), else a hidden prompt.
    #[arg(long, conflicts_with = "file")]
    from_phrase: bool,
    /// The phrase's passphrase (default "SALT", as the original package).
    #[arg(long, requires = "from_phrase")]
    salt: Option<String>,
}

#[derive(Args)]
struct CallArgs {
    /// The URL, e.g. http://127.0.0.1:5000/whoami?x=1 or https://host/path
    url: String,
    /// The method (default GET, or POST with a body).
    #[arg(short = 'X', long = "request")]
    method: Option<String>,
    /// A JSON body.
    #[arg(long, conflicts_with = "data")]
    json: Option<String>,
    /// A raw body, sent as text/plain unless a Content-Type header is given.
    #[arg(long)]
    data: Option<String>,
    /// An extra header, `Name: value` (repeatable).
    #[arg(short = 'H', long = "header")]
    headers: Vec<String>,
    /// Sign with the key in this key file (passphrase from USRV_KEY_PASSPHRASE or a prompt).
    #[arg(long)]
    key: Option<PathBuf>,
    /// Sign with a key derived from a phrase: read from USRV_PHRASE, else
    /// standard input when it is not a terminal (first line), else a
    /// hidden prompt.
    #[arg(long, conflicts_with = "key")]
    from_phrase: bool,
    /// Seal the body to the server key and ask for a sealed reply (needs a key).
    #[arg(long)]
    encrypt: bool,
    /// Pin the server key (64 hex); otherwise it is fetched from GET /puk.
    #[arg(long)]
    server_key: Option<String>,
    /// Also trust the CA certificates of this PEM file (https://).
    #[arg(long, value_name = "FILE")]
    cacert: Option<PathBuf>,
    /// Give up after this many seconds (default 30; decimals allowed).
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    timeout: Option<Duration>,
    /// Print the status line and the reply headers before the body.
    #[arg(short = 'i', long)]
    include: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Keygen { out, from_phrase } => keygen(&out, from_phrase),
        Command::Pubkey { file, phrase } => pubkey(file.as_deref(), &phrase),
        Command::Call(args) => call(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(reason) => {
            eprintln!("usrv: {reason}");
            ExitCode::FAILURE
        }
    }
}

/// `--timeout`: a positive, finite number of seconds.
fn parse_seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds"))?;
    Duration::try_from_secs_f64(seconds)
        .ok()
        .filter(|duration| !duration.is_zero())
        .ok_or_else(|| format!("`{text}`: give a positive number of seconds"))
}

/// The passphrase: `USRV_KEY_PASSPHRASE`, else a prompt (twice when creating).
fn passphrase(confirm: bool) -> Result<String, String> {
    if let Ok(passphrase) = std::env::var("USRV_KEY_PASSPHRASE") {
        return Ok(passphrase);
    }
    let first = rpassword::prompt_password("Passphrase: ")
        .map_err(|e| format!("cannot read the passphrase ({e}); set USRV_KEY_PASSPHRASE"))?;
    if confirm {
        let second = rpassword::prompt_password("Passphrase again: ")
            .map_err(|e| format!("cannot read the passphrase: {e}"))?;
        if first != second {
            return Err("the passphrases differ".into());
        }
    }
    Ok(first)
}

/// The phrase of `--from-phrase`, never from the command line (where `ps`
/// shows it): `USRV_PHRASE`, else the first line of standard input when it
/// is not a terminal, else a hidden prompt.
fn read_phrase() -> Result<String, String> {
    let phrase = if let Ok(phrase) = std::env::var("USRV_PHRASE") {
        phrase
    } else if !std::io::stdin().is_terminal() {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| format!("cannot read the phrase from standard input: {e}"))?;
        line.trim_end_matches(['\n', '\r']).to_owned()
    } else {
        rpassword::prompt_password("Phrase: ")
            .map_err(|e| format!("cannot read the phrase ({e}); set USRV_PHRASE"))?
    };
    if phrase.trim().is_empty() {
        return Err(
            "the phrase is empty (give it at the prompt, on standard input or in USRV_PHRASE)"
                .into(),
        );
    }
    Ok(phrase)
}

fn keygen(out: &Path, from_phrase: bool) -> Result<(), String> {
    if out.exists() {
        return Err(format!(
            "{} exists: refusing to overwrite a key",
            out.display()
        ));
    }
    let key = if from_phrase {
        SecretKey::from_phrase(&read_phrase()?, None)
    } else {
        SecretKey::generate()
    };
    let passphrase = passphrase(true)?;
    keyfile::write(out, &key, &passphrase).map_err(|e| format!("{}: {e}", out.display()))?;
    println!("{}", key.public_key());
    Ok(())
}

fn read_key(path: &Path) -> Result<SecretKey, String> {
    let passphrase = passphrase(false)?;
    keyfile::read(path, &passphrase).map_err(|e| format!("{}: {e}", path.display()))
}

fn pubkey(file: Option<&Path>, phrase: &PhraseArgs) -> Result<(), String> {
    let key = match (phrase.from_phrase, file) {
        (true, _) => SecretKey::from_phrase(&read_phrase()?, phrase.salt.as_deref()),
        (false, Some(path)) => read_key(path)?,
        (false, None) => return Err("give a key file or --from-phrase".into()),
    };
    println!("{}", key.public_key());
    Ok(())
}

fn call(args: CallArgs) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(call_async(args))
}

async fn call_async(args: CallArgs) -> Result<(), String> {
    let (base, target) = split_url(&args.url)?;
    if args.encrypt && args.key.is_none() && !args.from_phrase {
        return Err("--encrypt needs an identity: --key FILE or --from-phrase".into());
    }
    let key = match &args.key {
        Some(path) => Some(read_key(path)?),
        None if args.from_phrase => Some(SecretKey::from_phrase(&read_phrase()?, None)),
        None => None,
    };
    let signed = key.is_some();
    let mut client = Client::new(&base).map_err(|e| e.to_string())?;
    if let Some(path) = &args.cacert {
        client = trust(client, path)?;
    }
    if let Some(timeout) = args.timeout {
        client = client.timeout(timeout);
    }
    if let Some(key) = key {
        client = client.with_key(key);
    }
    if let Some(hex) = &args.server_key {
        let server_key: PublicKey = hex
            .parse()
            .map_err(|_| format!("--server-key: `{hex}` is not a public key (64 hex)"))?;
        client = client.with_server_key(server_key);
    }
    let has_body = args.json.is_some() || args.data.is_some();
    let method = match &args.method {
        Some(name) => Method::from_bytes(name.to_ascii_uppercase().as_bytes())
            .map_err(|_| format!("invalid method `{name}`"))?,
        None if has_body => Method::POST,
        None => Method::GET,
    };
    let mut request = client.request(method, &target);
    let mut explicit_type = None;
    for header in &args.headers {
        let (name, value) = header
            .split_once(':')
            .ok_or_else(|| format!("header `{header}` is not `Name: value`"))?;
        if name.trim().eq_ignore_ascii_case("content-type") {
            explicit_type = Some(value.trim().to_owned());
        } else {
            request = request.header(name.trim(), value.trim());
        }
    }
    if let Some(json) = &args.json {
        let value: serde_json::Value =
            serde_json::from_str(json).map_err(|e| format!("--json is not JSON: {e}"))?;
        request = request.json(&value).map_err(|e| e.to_string())?;
    }
    if let Some(data) = &args.data {
        let content_type = explicit_type
            .as_deref()
            .unwrap_or("text/plain; charset=utf-8");
        request = request.body(data.clone(), content_type);
    }
    if args.encrypt {
        request = request.encrypted();
    } else if signed {
        request = request.signed();
    }
    match request.send().await {
        Ok(reply) => {
            print_reply(&reply, args.include).map_err(|e| format!("cannot write the reply: {e}"))
        }
        Err(ClientError::Status { status, reason, .. }) => {
            Err(format!("{} {reason}", status.as_u16()))
        }
        Err(error) => Err(error.to_string()),
    }
}

/// `--cacert FILE`: trusts the CAs of a PEM file.
#[cfg(feature = "tls")]
fn trust(client: Client, path: &Path) -> Result<Client, String> {
    let pem = std::fs::read(path).map_err(|e| format!("--cacert {}: {e}", path.display()))?;
    client
        .root_certificate(&pem)
        .map_err(|e| format!("--cacert {}: {e}", path.display()))
}

#[cfg(not(feature = "tls"))]
fn trust(_client: Client, _path: &Path) -> Result<Client, String> {
    Err("--cacert needs the `tls` feature".into())
}

/// The body alone on standard output, as received (after `-i`'s status line
/// and headers), so that it can be piped; a line end is added only on a
/// terminal.
fn print_reply(reply: &Reply, include: bool) -> std::io::Result<()> {
    let stdout = std::io::stdout();
    let terminal = stdout.is_terminal();
    let mut out = stdout.lock();
    if include {
        writeln!(out, "{:?} {}", reply.version(), reply.status())?;
        for (name, value) in reply.headers() {
            writeln!(out, "{name}: {}", String::from_utf8_lossy(value.as_bytes()))?;
        }
        writeln!(out)?;
    }
    let body = reply.bytes();
    out.write_all(body)?;
    if terminal && !body.is_empty() && !body.ends_with(b"\n") {
        writeln!(out)?;
    }
    out.flush()
}

/// `scheme://authority/path?query` → (`scheme://authority`, `/path?query`).
fn split_url(url: &str) -> Result<(String, String), String> {
    let uri: Uri = url
        .parse()
        .map_err(|e| format!("`{url}` is not an http:// or https:// URL ({e})"))?;
    let scheme = match uri.scheme_str() {
        Some(scheme @ ("http" | "https")) => scheme,
        _ => return Err(format!("`{url}` is not an http:// or https:// URL")),
    };
    let authority = uri
        .authority()
        .filter(|authority| !authority.host().is_empty())
        .ok_or_else(|| format!("`{url}` has no host"))?;
    let target = match uri.path_and_query().map(|p| p.as_str()) {
        Some(target) if target.starts_with('/') => target.to_owned(),
        Some(target) => format!("/{target}"),
        None => "/".to_owned(),
    };
    Ok((format!("{scheme}://{authority}"), target))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_base_and_target() {
        for (url, base, target) in [
            ("http://127.0.0.1:5000", "http://127.0.0.1:5000", "/"),
            ("http://127.0.0.1:5000/", "http://127.0.0.1:5000", "/"),
            (
                "https://h.example/a/b?x=1&y=2",
                "https://h.example",
                "/a/b?x=1&y=2",
            ),
            ("http://h.example?x=1", "http://h.example", "/?x=1"),
            ("http://[::1]:8080/p", "http://[::1]:8080", "/p"),
        ] {
            assert_eq!(
                split_url(url).unwrap(),
                (base.to_owned(), target.to_owned()),
                "{url}"
            );
        }
        for (url, reason) in [
            ("ftp://h/x", "http:// or https://"),
            ("127.0.0.1:5000/x", "http:// or https://"),
            ("/x", "http:// or https://"),
            ("http://", "http:// or https://"),
            ("http://a b/", "http:// or https://"),
        ] {
            let error = split_url(url).unwrap_err();
            assert!(error.contains(reason), "{url}: {error}");
        }
    }

    #[test]
    fn timeouts_are_positive_seconds() {
        assert_eq!(parse_seconds("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_seconds("0.25"), Ok(Duration::from_millis(250)));
        for bad in ["0", "-1", "abc", "", "inf", "NaN"] {
            assert!(parse_seconds(bad).is_err(), "{bad}");
        }
    }
}
