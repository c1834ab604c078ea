//! Values parsed from one string: a path segment or a query value.

use std::borrow::Cow;
use std::path::{Component, PathBuf};
use std::sync::Arc;

use super::{percent_decode, Ctx};
use crate::rejection::Rejection;

/// A value parsed from a path segment or a query value (already
/// percent-decoded). `None` answers 400 naming the argument, the value and
/// the type.
///
/// ```
/// use usrv::FromParam;
///
/// enum Color { Red, Green }
///
/// impl FromParam for Color {
///     fn from_param(value: &str) -> Option<Self> {
///         match value {
///             "red" => Some(Color::Red),
///             "green" => Some(Color::Green),
///             _ => None,
///         }
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be parsed from a path segment or a query value",
    label = "does not implement `usrv::FromParam`",
    note = "built in: `String`, integers, floats, `bool`, `char`, `PathBuf`; implement `usrv::FromParam` for your own types"
)]
pub trait FromParam: Sized {
    /// Parses the decoded value.
    fn from_param(value: &str) -> Option<Self>;

    /// The type's name in error messages.
    fn type_name() -> &'static str {
        let full = std::any::type_name::<Self>();
        full.rsplit("::").next().unwrap_or(full)
    }
}

/// Types the `<int:name>` converter fits: the integer types.
#[diagnostic::on_unimplemented(
    message = "the converter `<int:..>` does not fit the type `{Self}`",
    label = "`<int:..>` needs an integer type: i8..i128, u8..u128, isize, usize",
    note = "use `<name>` or `<str:name>` for a string argument"
)]
pub trait IntParam: FromParam {}

/// Types the `<float:name>` converter fits: `f32` and `f64`.
#[diagnostic::on_unimplemented(
    message = "the converter `<float:..>` does not fit the type `{Self}`",
    label = "`<float:..>` needs `f32` or `f64`"
)]
pub trait FloatParam: FromParam {}

/// Types the `<str:name>` converter fits: the string types.
#[diagnostic::on_unimplemented(
    message = "the converter `<str:..>` does not fit the type `{Self}`",
    label = "`<str:..>` needs a string type: `String`, `Box<str>`, `Arc<str>`",
    note = "use `<int:name>`, `<float:name>` or `<name>` for other types"
)]
pub trait StrParam: FromParam {}

/// Types the `<path:name>` converter fits: `String` and `PathBuf`.
#[diagnostic::on_unimplemented(
    message = "the converter `<path:..>` does not fit the type `{Self}`",
    label = "`<path:..>` needs `String` or `PathBuf`"
)]
pub trait PathParam: FromParam {}

impl FromParam for i8 {
    fn from_param(value: &str) -> Option<Self> {
        value.parse().ok()
    }
    fn type_name() -> &'static str {
        "i8"
    }
}
impl IntParam for i8 {}

impl FromParam for i16 {
    fn from_param(value: &str) -> Option<Self> {
        value.parse().ok()
    }
    fn type_name() -> &'static str {
        "i16"
    }
}
impl IntParam for i16 {}

impl FromParam for i32 {
    fn from_param(value: &str) -> Option<Self> {
        value.parse().ok()
    }
    fn type_name() -> &'static str {
        "i32"
    }
}
impl IntParam for i32 {}

impl FromParam for i64 {
    fn from_param(value: &str) -> Option<Self> {
        value.parse().ok()
    }
    fn type_name() -> &'static str {
        "i64"
    }
}
impl IntParam for i64 {}

impl FromParam for i128 {
    fn from_param(value: &str) -> Option<Self> {
        value.parse().ok()
    }
    fn type_name() -> &'static str {
        "i128"
    }
}
impl IntParam for i128 {}

impl FromParam for isize {
    fn from_param(value: &str) -> Option<Self> {
        value.parse().ok()
    }
    fn type_name() -> &'static str {
        "isize"
    }
}
impl IntParam for isize {}

impl FromParam for u8 {
    fn from_param(value: &str) -> Option<Self> {
        value.parse().ok()
    }
    fn type_name() -> &'static str {
        "u8"
    }
}
impl IntParam for u8 {}

impl FromParam for u16 {
    fn from_param(value: &str) -> Option<Self> {
        value.parse().ok()
    }
    fn type_name() -> &'static str {
        "u16"
    }
}
impl IntParam for u16 {}

impl FromParam for u32 {
    fn from_param(value: &str) -> Option<Self> {
        value.parse().ok()
    }
    fn type_name() -> &'static str {
        "u32"
    }
}
impl IntParam for u32 {}

impl FromParam for u64 {
    fn from_param(value: &str) -> Option<Self> {
        value.parse().ok()
    }
    fn type_name() -> &'static str {
        "u64"
    }
}
impl IntParam for u64 {}

impl FromParam for u128 {
    fn from_param(value: &str) -> Option<Self> {
        value.parse().ok()
    }
    fn type_name() -> &'static str {
        "u128"
    }
}
impl IntParam for u128 {}

impl FromParam for usize {
    fn from_param(value: &str) -> Option<Self> {
        value.parse().ok()
    }
    fn type_name() -> &'static str {
        "usize"
    }
}
impl IntParam for usize {}

impl FromParam for f32 {
    fn from_param(value: &str) -> Option<Self> {
        value.parse().ok()
    }
    fn type_name() -> &'static str {
        "f32"
    }
}
impl FloatParam for f32 {}

impl FromParam for f64 {
    fn from_param(value: &str) -> Option<Self> {
        value.parse().ok()
    }
    fn type_name() -> &'static str {
        "f64"
    }
}
impl FloatParam for f64 {}

impl FromParam for bool {
    fn from_param(value: &str) -> Option<Self> {
        value.parse().ok()
    }
}

impl FromParam for char {
    fn from_param(value: &str) -> Option<Self> {
        value.parse().ok()
    }
}

impl FromParam for String {
    fn from_param(value: &str) -> Option<Self> {
        Some(value.to_owned())
    }
}

impl FromParam for Box<str> {
    fn from_param(value: &str) -> Option<Self> {
        Some(value.into())
    }
}

impl FromParam for Arc<str> {
    fn from_param(value: &str) -> Option<Self> {
        Some(value.into())
    }
}

/// A relative path that stays below where it is joined: `..`, a leading
/// `/` (from `//` or `%2F`) and prefixes are refused (400), so that
/// `base.join(path)` cannot escape `base` (as Rocket's `PathBuf` does).
impl FromParam for PathBuf {
    fn from_param(value: &str) -> Option<Self> {
        let path = PathBuf::from(value);
        path.components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
            .then_some(path)
    }
}

impl StrParam for String {}
impl StrParam for Box<str> {}
impl StrParam for Arc<str> {}
impl PathParam for String {}
impl PathParam for PathBuf {}

/// Parses a decoded value, or the 400 that names what went wrong.
pub(crate) fn parse<T: FromParam>(what: &str, name: &str, value: &str) -> Result<T, Rejection> {
    T::from_param(value).ok_or_else(|| {
        Rejection::bad_request(format!(
            "{what} `{name}`: cannot parse `{}` as `{}`",
            shorten(value),
            T::type_name()
        ))
    })
}

/// Echoes at most 64 characters of a bad value.
fn shorten(value: &str) -> Cow<'_, str> {
    match value.char_indices().nth(64) {
        None => Cow::Borrowed(value),
        Some((end, _)) => Cow::Owned(format!("{}…", &value[..end])),
    }
}

fn path_value<'a>(ctx: &Ctx<'a>, index: usize, name: &str) -> Result<Cow<'a, str>, Rejection> {
    let raw = ctx.raw_param(index).unwrap_or("");
    percent_decode(raw, false).map_err(|()| {
        Rejection::bad_request(format!(
            "path parameter `{name}` is not valid UTF-8 once percent-decoded"
        ))
    })
}

/// The path parameter at `index`, through `<name>`.
#[doc(hidden)]
pub fn path_any<T: FromParam>(ctx: &Ctx<'_>, index: usize, name: &str) -> Result<T, Rejection> {
    parse::<T>("path parameter", name, &path_value(ctx, index, name)?)
}

/// The path parameter at `index`, through `<int:name>`.
#[doc(hidden)]
pub fn path_int<T: IntParam>(ctx: &Ctx<'_>, index: usize, name: &str) -> Result<T, Rejection> {
    parse::<T>("path parameter", name, &path_value(ctx, index, name)?)
}

/// The path parameter at `index`, through `<float:name>`.
#[doc(hidden)]
pub fn path_float<T: FloatParam>(ctx: &Ctx<'_>, index: usize, name: &str) -> Result<T, Rejection> {
    parse::<T>("path parameter", name, &path_value(ctx, index, name)?)
}

/// The path parameter at `index`, through `<str:name>`.
#[doc(hidden)]
pub fn path_str<T: StrParam>(ctx: &Ctx<'_>, index: usize, name: &str) -> Result<T, Rejection> {
    parse::<T>("path parameter", name, &path_value(ctx, index, name)?)
}

/// The path parameter at `index`, through `<path:name>`.
#[doc(hidden)]
pub fn path_path<T: PathParam>(ctx: &Ctx<'_>, index: usize, name: &str) -> Result<T, Rejection> {
    parse::<T>("path parameter", name, &path_value(ctx, index, name)?)
}
