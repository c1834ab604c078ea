//! `Identity`: the verified sender of a signed request.

use usrv_crypto::PublicKey;

use super::{Ctx, FromRequest};
use crate::rejection::Rejection;

/// The verified sender of a signed request: its public key.
///
/// Taking `Identity` makes a route refuse unsigned requests (401); take
/// `Option<Identity>` to serve both.
///
/// ```
/// use usrv::{route, Identity};
///
/// #[route("/whoami", methods = ["POST"])]
/// fn whoami(sender: Identity) -> (u16, String) {
///     (200, sender.public_key().to_string())
/// }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Identity(PublicKey);

impl Identity {
    /// The sender's public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.0
    }
}

impl std::fmt::Display for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl FromRequest for Identity {
    const NEEDS_IDENTITY: bool = true;

    fn from_request(ctx: &Ctx<'_>, _name: &'static str) -> Result<Self, Rejection> {
        ctx.sender()
            .map(Identity)
            .ok_or_else(|| Rejection::unauthorized("this route needs a signed request"))
    }
}

impl FromRequest for Option<Identity> {
    fn from_request(ctx: &Ctx<'_>, _name: &'static str) -> Result<Self, Rejection> {
        Ok(ctx.sender().map(Identity))
    }
}
