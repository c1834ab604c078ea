//! Request targets built from a route's arguments: what `name::uri(...)`
//! and the typed `name::call(...)` send. The inverse of extraction: each
//! value becomes text through [`ToParam`] (the inverse of
//! [`FromParam`](crate::FromParam)), path segments are percent-encoded so
//! that the server decodes exactly the value given, and query values are
//! form-encoded as the server's query extraction expects.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// A value written into a request target: a path segment or a query value.
/// The inverse of [`FromParam`](crate::FromParam): `T::from_param(&value.to_param())`
/// gives the value back.
///
/// Implemented for the types `FromParam` knows; implement it for your own
/// path and query types to use them with `name::uri` and `name::call`:
///
/// ```
/// use std::borrow::Cow;
/// use usrv::{FromParam, ToParam};
///
/// struct Slug(String);
///
/// impl FromParam for Slug {
///     fn from_param(value: &str) -> Option<Self> {
///         value.chars().all(|c| c.is_ascii_lowercase() || c == '-').then(|| Slug(value.into()))
///     }
/// }
///
/// impl ToParam for Slug {
///     fn to_param(&self) -> Cow<'_, str> {
///         Cow::Borrowed(&self.0)
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be written into a request target",
    label = "does not implement `usrv::ToParam`",
    note = "the typed `uri` and `call` of a route write each path and query argument with `usrv::ToParam` (the inverse of `usrv::FromParam`); implement it for `{Self}`",
    note = "an extractor of your own (a `FromRequest` type that is not a query value) is taken for a query value here: `uri` and `call` cannot be used for such a route; build the request with `usrv::Client` instead"
)]
pub trait ToParam {
    /// The value as text, before any percent-encoding.
    fn to_param(&self) -> Cow<'_, str>;
}

macro_rules! to_param_display {
    ($($ty:ty),* $(,)?) => {$(
        impl ToParam for $ty {
            fn to_param(&self) -> Cow<'_, str> {
                Cow::Owned(self.to_string())
            }
        }
    )*};
}

to_param_display!(
    i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize, f32, f64, bool, char
);

impl ToParam for String {
    fn to_param(&self) -> Cow<'_, str> {
        Cow::Borrowed(self)
    }
}

impl ToParam for Box<str> {
    fn to_param(&self) -> Cow<'_, str> {
        Cow::Borrowed(self)
    }
}

impl ToParam for Arc<str> {
    fn to_param(&self) -> Cow<'_, str> {
        Cow::Borrowed(self)
    }
}

impl ToParam for str {
    fn to_param(&self) -> Cow<'_, str> {
        Cow::Borrowed(self)
    }
}

/// A path that is not UTF-8 is written lossily (`U+FFFD` for each bad byte).
impl ToParam for PathBuf {
    fn to_param(&self) -> Cow<'_, str> {
        self.to_string_lossy()
    }
}

impl<T: ToParam + ?Sized> ToParam for &T {
    fn to_param(&self) -> Cow<'_, str> {
        (**self).to_param()
    }
}

/// What a query argument of this type writes: one `name=value` pair for a
/// plain value, none or one for `Option<T>`, one per item for `Vec<T>`
/// (the server reads every value of a repeated key).
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be written into a query string",
    label = "does not implement `usrv::ToParam`",
    note = "the typed `uri` and `call` of a route write a query argument `T`, `Option<T>` or `Vec<T>` with `usrv::ToParam` (the inverse of `usrv::FromParam`); implement it for the value type",
    note = "an extractor of your own (a `FromRequest` type that is not a query value) is taken for a query value here: `uri` and `call` cannot be used for such a route; build the request with `usrv::Client` instead"
)]
pub trait ToQuery {
    /// Appends this argument's pairs.
    fn write_query(&self, name: &str, target: &mut Target);
}

impl<T: ToParam> ToQuery for T {
    fn write_query(&self, name: &str, target: &mut Target) {
        target.pair(name, &self.to_param());
    }
}

impl<T: ToParam> ToQuery for Option<T> {
    fn write_query(&self, name: &str, target: &mut Target) {
        if let Some(value) = self {
            target.pair(name, &value.to_param());
        }
    }
}

impl<T: ToParam> ToQuery for Vec<T> {
    fn write_query(&self, name: &str, target: &mut Target) {
        for value in self {
            target.pair(name, &value.to_param());
        }
    }
}

/// A value `name::uri(...)` accepts for an argument of type `T`: a `T`, or
/// a borrowed string for a string type (`"a b"` for a `String`), an array
/// or slice of `&str` for a `Vec<String>`. (`Option` and `Vec` arguments
/// take their own type, so that `None` and `vec![]` need no annotation.)
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be given for a route argument of type `{T}`",
    label = "expected `{T}`",
    note = "`uri` takes each path and query argument of the route, in order, as its own type (or `&str` for a string type)"
)]
pub trait UriArg<T> {
    /// The argument's value.
    fn into_arg(self) -> T;
}

impl<T> UriArg<T> for T {
    fn into_arg(self) -> T {
        self
    }
}

impl UriArg<String> for &str {
    fn into_arg(self) -> String {
        self.to_owned()
    }
}

impl UriArg<String> for &String {
    fn into_arg(self) -> String {
        self.clone()
    }
}

impl UriArg<Box<str>> for &str {
    fn into_arg(self) -> Box<str> {
        self.into()
    }
}

impl UriArg<Arc<str>> for &str {
    fn into_arg(self) -> Arc<str> {
        self.into()
    }
}

impl UriArg<PathBuf> for &str {
    fn into_arg(self) -> PathBuf {
        self.into()
    }
}

impl UriArg<PathBuf> for &Path {
    fn into_arg(self) -> PathBuf {
        self.to_owned()
    }
}

impl UriArg<Vec<String>> for &[&str] {
    fn into_arg(self) -> Vec<String> {
        self.iter().map(|s| (*s).to_owned()).collect()
    }
}

impl<const N: usize> UriArg<Vec<String>> for [&str; N] {
    fn into_arg(self) -> Vec<String> {
        self.into_iter().map(str::to_owned).collect()
    }
}

/// What stays as it is in a path segment: the unreserved characters and the
/// sub-delimiters, `:` and `@` (RFC 3986 `pchar`). Everything else,
/// `/`, `%`, `?`, `#` and spaces included, is percent-encoded.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'!')
    .remove(b'$')
    .remove(b'&')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b'+')
    .remove(b',')
    .remove(b';')
    .remove(b'=')
    .remove(b':')
    .remove(b'@');

/// A request target being written: path segments, then query pairs.
#[doc(hidden)]
#[derive(Debug, Default)]
pub struct Target {
    path: String,
    query: String,
}

impl Target {
    /// An empty target (`/` once finished).
    pub fn new() -> Target {
        Target::default()
    }

    /// A literal segment of the route, already written as sent.
    pub fn literal(&mut self, text: &str) {
        self.path.push('/');
        self.path.push_str(text);
    }

    /// One segment holding `value`, percent-encoded (`/` too).
    pub fn segment<T: ToParam + ?Sized>(&mut self, value: &T) {
        self.path.push('/');
        encode_segment(&value.to_param(), &mut self.path);
    }

    /// The rest of the path (`<path:..>`): each `/`-separated piece
    /// percent-encoded, the slashes kept.
    pub fn rest<T: ToParam + ?Sized>(&mut self, value: &T) {
        let value = value.to_param();
        for piece in value.split('/') {
            self.path.push('/');
            encode_segment(piece, &mut self.path);
        }
    }

    /// A query argument: its pairs, if any.
    pub fn query<T: ToQuery + ?Sized>(&mut self, name: &str, value: &T) {
        value.write_query(name, self);
    }

    /// One `name=value` pair, form-encoded.
    fn pair(&mut self, name: &str, value: &str) {
        if !self.query.is_empty() {
            self.query.push('&');
        }
        self.query
            .extend(form_urlencoded::byte_serialize(name.as_bytes()));
        self.query.push('=');
        self.query
            .extend(form_urlencoded::byte_serialize(value.as_bytes()));
    }

    /// The target: the path (`/` when it has no segment), then `?` and the
    /// query when there is one.
    pub fn finish(mut self) -> String {
        if self.path.is_empty() {
            self.path.push('/');
        }
        if !self.query.is_empty() {
            self.path.push('?');
            self.path.push_str(&self.query);
        }
        self.path
    }
}

/// A segment's text, percent-encoded; `.` and `..` are encoded too, so
/// that no client or proxy resolves them away.
fn encode_segment(text: &str, out: &mut String) {
    match text {
        "." => out.push_str("%2E"),
        ".." => out.push_str("%2E%2E"),
        text => out.extend(utf8_percent_encode(text, SEGMENT)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::percent_decode;

    fn target(build: impl FnOnce(&mut Target)) -> String {
        let mut target = Target::new();
        build(&mut target);
        target.finish()
    }

    #[test]
    fn segments_are_percent_encoded_and_decode_back() {
        assert_eq!(target(|_| {}), "/");
        assert_eq!(
            target(|t| {
                t.segment(&5i64);
                t.segment("a b");
            }),
            "/5/a%20b"
        );
        for value in ["a/b", "100%", "é?#", "x+y:z@w", ".", "..", "a b\u{7f}"] {
            let written = target(|t| t.segment(value));
            let raw = written.strip_prefix('/').unwrap();
            assert!(!raw.contains(['/', '?', '#', ' ']), "{written}");
            assert_eq!(percent_decode(raw, false).unwrap(), value, "{written}");
        }
    }

    #[test]
    fn the_rest_keeps_its_slashes() {
        assert_eq!(
            target(|t| {
                t.literal("files");
                t.rest("dir/a b/../c.txt");
            }),
            "/files/dir/a%20b/%2E%2E/c.txt"
        );
        assert_eq!(target(|t| t.rest(&PathBuf::from("x/y"))), "/x/y");
    }

    #[test]
    fn query_values_follow_their_type() {
        let written = target(|t| {
            t.literal("search");
            t.query("q", &"a b&c=d".to_owned());
            t.query("none", &None::<String>);
            t.query("some", &Some(1.5f64));
            t.query("tag", &vec!["x".to_owned(), "é".to_owned()]);
            t.query("empty", &Vec::<u8>::new());
        });
        assert_eq!(written, "/search?q=a+b%26c%3Dd&some=1.5&tag=x&tag=%C3%A9");
    }

    #[test]
    fn values_round_trip_through_from_param() {
        use crate::extract::FromParam;
        fn round_trip<T: ToParam + FromParam + PartialEq + std::fmt::Debug>(value: T) {
            assert_eq!(T::from_param(&value.to_param()), Some(value));
        }
        round_trip(-5i8);
        round_trip(u128::MAX);
        round_trip(1.25f64);
        round_trip(f32::INFINITY);
        round_trip(true);
        round_trip('é');
        round_trip(String::from("a b"));
        round_trip(Box::<str>::from("x"));
        round_trip(PathBuf::from("a/b"));
    }

    #[test]
    fn uri_arguments_accept_borrowed_strings() {
        let s: String = "a".into_arg();
        assert_eq!(s, "a");
        let n: u8 = 5.into_arg();
        assert_eq!(n, 5);
        let o: Option<String> = None.into_arg();
        assert_eq!(o, None);
        let v: Vec<String> = ["a", "b"].into_arg();
        assert_eq!(v, ["a", "b"]);
        let p: PathBuf = Path::new("a/b").into_arg();
        assert_eq!(p, PathBuf::from("a/b"));
    }
}
