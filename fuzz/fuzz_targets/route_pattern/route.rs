//! The macro's `route` module, as far as the path parser needs it.

#[path = "../../../usrv-macros/src/route/literal.rs"]
pub mod literal;
#[path = "../../../usrv-macros/src/route/path.rs"]
pub mod path;
