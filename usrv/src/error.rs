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
    /// Another I/O error.
    Io(io::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::RouteConflict(message)
            | Error::InvalidRoute(message)
            | Error::MissingState(message)
            | Error::DuplicateState(message) => f.write_str(message),
            Error::Bind(addr, error) => write!(f, "cannot listen on {addr}: {error}"),
            Error::Key(message) => write!(f, "cannot load the server key: {message}"),
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
