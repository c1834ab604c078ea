//! Errors of the server itself (start-up, binding), as opposed to
//! [`Rejection`](crate::Rejection)s of single requests.
//!
//! Each reads as one sentence, through `Display` and through `Debug` alike,
//! so that `fn main() -> Result<(), usrv::Error>` prints it as it is.

use std::fmt;
use std::io;

/// Why the server could not start or run.
#[non_exhaustive]
pub enum Error {
    /// Two routes answer the same method on equivalent paths.
    RouteConflict(String),
    /// A route cannot be served as registered (it answers no method, or
    /// takes its body or the connection in ways that exclude each other).
    InvalidRoute(String),
    /// A route takes a `State<T>` that the server was not given.
    MissingState(String),
    /// Two state values of the same type were given.
    DuplicateState(String),
    /// The listen address could not be parsed or bound.
    Bind(String, io::Error),
    /// The server key could not be loaded.
    Key(String),
    /// The TLS certificate or key could not be used (the message names the
    /// file and the reason).
    Tls(String),
    /// The replay store cannot be used (`USRV_REPLAY_STORE`).
    ReplayStore(String),
    /// Another I/O error.
    Io(io::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::RouteConflict(message)
            | Error::InvalidRoute(message)
            | Error::Tls(message)
            | Error::MissingState(message)
            | Error::DuplicateState(message) => f.write_str(message),
            Error::Bind(addr, error) => write!(f, "cannot listen on {addr}: {error}"),
            Error::Key(message) => write!(f, "cannot load the server key: {message}"),
            Error::ReplayStore(message) => write!(f, "cannot use the replay store {message}"),
            Error::Io(error) => write!(f, "{error}"),
        }
    }
}

/// The same sentence as `Display`: `main` returning `Err` prints `Debug`.
impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Bind(_, error) | Error::Io(error) => Some(error),
            _ => None,
        }
    }
}

impl From<io::Error> for Error {
    fn from(error: io::Error) -> Self {
        Error::Io(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `fn main() -> Result<(), usrv::Error>` prints `Error: ` and `Debug`.
    #[test]
    fn debug_is_the_same_sentence() {
        let error = Error::Bind(
            "127.0.0.1:5000".into(),
            io::Error::new(io::ErrorKind::AddrInUse, "address already in use"),
        );
        let sentence = "cannot listen on 127.0.0.1:5000: address already in use";
        assert_eq!(error.to_string(), sentence);
        assert_eq!(format!("{error:?}"), sentence);
        let error = Error::Key("me.key: wrong passphrase".into());
        assert_eq!(
            format!("{error:?}"),
            "cannot load the server key: me.key: wrong passphrase"
        );
    }
}
