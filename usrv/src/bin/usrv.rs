//! `usrv`: key files and a curl for the secure protocol.
//!
//! ```text
//! usrv keygen --out server.key            # prompts for a passphrase (or USRV_KEY_PASSPHRASE)
//! usrv pubkey server.key
//! usrv pubkey --phrase "correct horse battery staple"
//! usrv call -X POST http://127.0.0.1:5000/vault --json '{"a":1}' --key me.key --encrypt
//! ```
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use usrv::client::ClientError;
use usrv::crypto::{keyfile, PublicKey, SecretKey};
use usrv::{Client, Method};

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
        /// Derive the key from this phrase (as the original package did) instead of at random.
        #[arg(long)]
        phrase: Option<String>,
    },
    /// Prints the public key of a key file, or of a phrase.
    Pubkey {
        /// The key file.
        #[arg(required_unless_present = "phrase")]
        file: Option<PathBuf>,
        #[command(flatten)]
        phrase: PhraseArgs,
    },
    /// Sends a request: signs, seals, verifies and opens as asked.
    Call(CallArgs),
}

#[derive(Args)]
struct PhraseArgs {
    /// A phrase to derive the key from, instead of a key file.
    #[arg(long, conflicts_with = "file")]
    phrase: Option<String>,
    /// The phrase's passphrase (default "SALT", as the original package).
    #[arg(long, requires = "phrase")]
    salt: Option<String>,
}

#[derive(Args)]
struct CallArgs {
    /// The URL, e.g. http://127.0.0.1:5000/whoami?x=1
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
    /// Sign with a key derived from this phrase.
    #[arg(long, conflicts_with = "key")]
    phrase: Option<String>,
    /// Seal the body to the server key and ask for a sealed reply (needs a key).
    #[arg(long)]
    encrypt: bool,
    /// Pin the server key (64 hex); otherwise it is fetched from GET /puk.
    #[arg(long)]
    server_key: Option<String>,
    /// Print the reply headers too.
    #[arg(short = 'i', long)]
    include: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Keygen { out, phrase } => keygen(&out, phrase.as_deref()),
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

fn keygen(out: &Path, phrase: Option<&str>) -> Result<(), String> {
    if out.exists() {
        return Err(format!(
            "{} exists: refusing to overwrite a key",
            out.display()
        ));
    }
    let key = match phrase {
        Some(phrase) => SecretKey::from_phrase(phrase, None),
        None => SecretKey::generate(),
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
    let key = match (&phrase.phrase, file) {
        (Some(text), _) => SecretKey::from_phrase(text, phrase.salt.as_deref()),
        (None, Some(path)) => read_key(path)?,
        (None, None) => return Err("give a key file or --phrase".into()),
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
    let key = match (&args.key, &args.phrase) {
        (Some(path), _) => Some(read_key(path)?),
        (None, Some(phrase)) => Some(SecretKey::from_phrase(phrase, None)),
        (None, None) => None,
    };
    if args.encrypt && key.is_none() {
        return Err("--encrypt needs an identity: --key FILE or --phrase".into());
    }
    let signed = key.is_some();
    let mut client = Client::new(&base).map_err(|e| e.to_string())?;
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
            println!("{}", reply.status());
            if args.include {
                for (name, value) in reply.headers() {
                    println!("{name}: {}", String::from_utf8_lossy(value.as_bytes()));
                }
                println!();
            }
            println!("{}", String::from_utf8_lossy(reply.bytes()));
            Ok(())
        }
        Err(ClientError::Status { status, reason, .. }) => {
            Err(format!("{} {reason}", status.as_u16()))
        }
        Err(error) => Err(error.to_string()),
    }
}

/// `http://host:port/path?query` → (`http://host:port`, `/path?query`).
fn split_url(url: &str) -> Result<(String, String), String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("`{url}` is not an http:// URL"))?;
    let (authority, target) = match rest.find(['/', '?']) {
        Some(i) if rest[i..].starts_with('/') => (&rest[..i], rest[i..].to_owned()),
        Some(i) => (&rest[..i], format!("/{}", &rest[i..])),
        None => (rest, "/".to_owned()),
    };
    if authority.is_empty() {
        return Err(format!("`{url}` has no host"));
    }
    Ok((format!("http://{authority}"), target))
}
