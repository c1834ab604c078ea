//! The route path, such as `/users/<int:id>/<path:rest>`, parsed once at
//! compile time. Every problem found is reported at the path's literal, not
//! just the first.

use proc_macro2::Span;

use super::literal::{self, Problem};
use crate::diagnostic::Diagnostic;
use crate::suggest::closest;
use crate::syntax::{Converter, CONVERTERS, MAX_PARAMS};

/// One `/`-separated piece of a route path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    /// Matches exactly this text (as sent: percent-encoded).
    Literal(String),
    /// Captures a segment, or the rest of the path for `<path:..>`.
    Param { name: String, converter: Converter },
}

/// A path parameter; its index is its position among the parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Param<'s> {
    pub name: &'s str,
    pub converter: Converter,
}

/// The parameters of a parsed path, in order.
pub fn params(segments: &[Segment]) -> Vec<Param<'_>> {
    segments
        .iter()
        .filter_map(|segment| match segment {
            Segment::Param { name, converter } => Some(Param {
                name,
                converter: *converter,
            }),
            Segment::Literal(_) => None,
        })
        .collect()
}

/// A parsed route path: its segments, or every error found in it (each at
/// `span`, the path's literal).
pub fn parse(text: &str, span: Span) -> Result<Vec<Segment>, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let path = without_query_and_fragment(text, span, &mut errors);
    let relative = match path.strip_prefix('/') {
        Some(relative) => relative,
        None => {
            errors.push(
                Diagnostic::new(span, "a route path must start with `/`")
                    .help(format!("write \"/{text}\"")),
            );
            // Keep going, so that every other problem is reported too.
            path
        }
    };
    let pieces: Vec<&str> = match relative {
        "" => Vec::new(),
        relative => relative.split('/').collect(),
    };
    let mut segments = Vec::new();
    for (index, piece) in pieces.iter().enumerate() {
        if piece.is_empty() {
            if index + 1 < pieces.len() {
                errors.push(empty_segment(path, &pieces, span));
            }
            // "/users/" is the same route as "/users".
            continue;
        }
        match parse_segment(piece, span) {
            Ok(segment) => segments.push(segment),
            Err(error) => errors.push(error),
        }
    }
    check_literals(&pieces, span, &mut errors);
    check_params(&segments, span, &mut errors);
    if errors.is_empty() {
        Ok(segments)
    } else {
        Err(errors)
    }
}

/// The path before any `?` or `#`, reporting either.
fn without_query_and_fragment<'t>(
    text: &'t str,
    span: Span,
    errors: &mut Vec<Diagnostic>,
) -> &'t str {
    let Some(end) = text.find(['?', '#']) else {
        return text;
    };
    let path = &text[..end];
    let rest = &text[end..];
    let fragment_start = rest.find('#');
    if let Some(query) = rest.strip_prefix('?') {
        let query = &query[..fragment_start.map_or(query.len(), |i| i - 1)];
        errors.push(literal::query(path, query, span));
    }
    if let Some(start) = fragment_start {
        errors.push(literal::fragment(path, &rest[start..], span));
    }
    path
}

/// `//`: a segment the router never matches.
fn empty_segment(path: &str, pieces: &[&str], span: Span) -> Diagnostic {
    let kept: Vec<&str> = pieces.iter().copied().filter(|p| !p.is_empty()).collect();
    Diagnostic::new(span, format!("empty segment `//` in `{path}`"))
        .note("the router never matches an empty segment")
        .help(format!("write \"/{}\"", kept.join("/")))
}

/// The characters of every literal segment: each kind of problem once,
/// with the whole path as it should be written.
fn check_literals(pieces: &[&str], span: Span, errors: &mut Vec<Diagnostic>) {
    let is_literal = |piece: &str| !piece.contains(['<', '>']);
    let mut problems: Vec<Problem> = Vec::new();
    for piece in pieces.iter().filter(|piece| is_literal(piece)) {
        for problem in literal::problems(piece) {
            let bad_escape_seen = matches!(problem, Problem::BadEscape(_))
                && problems.iter().any(|p| matches!(p, Problem::BadEscape(_)));
            if !bad_escape_seen && !problems.contains(&problem) {
                problems.push(problem);
            }
        }
    }
    if problems.is_empty() {
        return;
    }
    let encoded: Vec<String> = pieces
        .iter()
        .map(|piece| match is_literal(piece) {
            true => literal::encode(piece),
            false => (*piece).to_owned(),
        })
        .collect();
    let encoded = format!("/{}", encoded.join("/"));
    let resolved = format!("/{}", resolve_dot_segments(pieces).join("/"));
    for problem in &problems {
        let fixed = match problem {
            Problem::DotSegment(_) => &resolved,
            Problem::Unencoded(_) | Problem::BadEscape(_) => &encoded,
        };
        errors.push(literal::diagnostic(problem, fixed, span));
    }
}

/// The segments as a client sends them: `.` dropped, `..` dropping the
/// segment before it.
fn resolve_dot_segments<'p>(pieces: &[&'p str]) -> Vec<&'p str> {
    let mut resolved = Vec::new();
    for piece in pieces {
        match *piece {
            "." => {}
            ".." => {
                resolved.pop();
            }
            piece => resolved.push(piece),
        }
    }
    resolved
}

/// Each parameter once, `<path:..>` last, at most [`MAX_PARAMS`].
fn check_params(segments: &[Segment], span: Span, errors: &mut Vec<Diagnostic>) {
    let params = params(segments);
    let mut seen: Vec<&str> = Vec::new();
    for param in &params {
        if seen.contains(&param.name) {
            errors.push(
                Diagnostic::new(
                    span,
                    format!("the parameter `{}` appears twice in the path", param.name),
                )
                .help("give each parameter its own name: each names an argument of the function"),
            );
        }
        seen.push(param.name);
    }
    let rest_not_last = segments
        .iter()
        .rev()
        .skip(1)
        .filter_map(|segment| match segment {
            Segment::Param {
                name,
                converter: Converter::Path,
            } => Some(name),
            _ => None,
        });
    for name in rest_not_last {
        errors.push(
            Diagnostic::new(span, format!("`<path:{name}>` must be the last segment"))
                .note("it takes the rest of the path, slashes included"),
        );
    }
    if params.len() > MAX_PARAMS {
        errors.push(
            Diagnostic::new(
                span,
                format!(
                    "a route may have at most {MAX_PARAMS} path parameters, and this one has {}",
                    params.len()
                ),
            )
            .help("take the rest of the path with `<path:rest>`, or take values from the query string"),
        );
    }
}

/// One non-empty segment: a literal, `<name>` or `<kind:name>`.
fn parse_segment(piece: &str, span: Span) -> Result<Segment, Diagnostic> {
    let opens = piece.matches('<').count();
    let closes = piece.matches('>').count();
    if opens == 0 && closes == 0 {
        return Ok(Segment::Literal(piece.to_owned()));
    }
    if opens != closes || opens > 1 {
        return Err(
            Diagnostic::new(span, format!("unbalanced `<` `>` in segment `{piece}`"))
                .help("a parameter is written `<name>` or `<kind:name>`"),
        );
    }
    let Some(inner) = piece.strip_prefix('<').and_then(|p| p.strip_suffix('>')) else {
        return Err(Diagnostic::new(span, format!(
            "a parameter must be a whole segment, but `{piece}` mixes text and `<...>`"
        ))
        .help("take the whole segment as a parameter and split it in the function, or move the text to a segment of its own"));
    };
    if inner.trim().is_empty() {
        return Err(Diagnostic::new(span, "empty parameter `<>`")
            .help("write `<name>` or `<kind:name>`, where `name` is an argument of the function"));
    }
    let (converter, name) = match inner.split_once(':') {
        None => (Converter::Any, inner),
        Some((kind, name)) => (converter(kind, name, piece, span)?, name),
    };
    if name.trim().is_empty() {
        let keyword = converter.keyword().unwrap_or("kind");
        return Err(
            Diagnostic::new(span, format!("missing parameter name in `{piece}`")).help(format!(
                "write `<{keyword}:name>`, where `name` is an argument of the function"
            )),
        );
    }
    if !is_identifier(name) {
        return Err(Diagnostic::new(span, format!(
            "malformed parameter `{piece}`: `{name}` is not a valid argument name"
        ))
        .note("a parameter names an argument of the function: letters, digits and `_`, not starting with a digit"));
    }
    Ok(Segment::Param {
        name: name.to_owned(),
        converter,
    })
}

/// The converter `kind` of `<kind:name>`.
fn converter(kind: &str, name: &str, piece: &str, span: Span) -> Result<Converter, Diagnostic> {
    if let Some(converter) = Converter::from_keyword(kind) {
        return Ok(converter);
    }
    let known = CONVERTERS
        .iter()
        .map(|(keyword, _)| format!("`{keyword}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if kind.trim().is_empty() {
        return Err(
            Diagnostic::new(span, format!("missing converter before `:` in `{piece}`")).help(
                format!("write `<{name}>`, or `<kind:{name}>` with kind one of {known}"),
            ),
        );
    }
    let keywords: Vec<&str> = CONVERTERS.iter().map(|(keyword, _)| *keyword).collect();
    let error = Diagnostic::new(span, format!("unknown converter `{kind}` in `{piece}`"));
    let error = match closest(kind, &keywords) {
        Some(close) => error.help(format!("did you mean `<{close}:{name}>`?")),
        None => error.help(format!(
            "for a type of your own, write `<{name}>` and implement `usrv::FromParam` for it"
        )),
    };
    Err(error.note(format!("the converters are: {known}")))
}

/// Whether `name` can name an argument.
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if c == '_' || c.is_ascii_alphabetic() => {}
        _ => return false,
    }
    name != "_" && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn param(name: &str, converter: Converter) -> Segment {
        Segment::Param {
            name: name.into(),
            converter,
        }
    }

    fn errors(path: &str) -> Vec<String> {
        let errors = parse(path, Span::call_site()).expect_err(path);
        errors.iter().map(Diagnostic::text).collect()
    }

    fn first_error(path: &str) -> String {
        errors(path).remove(0)
    }

    #[test]
    fn parses_every_segment_kind() {
        let parse = |path| parse(path, Span::call_site()).unwrap();
        assert_eq!(parse("/"), vec![]);
        assert_eq!(
            parse("/a/<b>/<int:c>/<float:d>/<str:e>/<path:f>"),
            vec![
                Segment::Literal("a".into()),
                param("b", Converter::Any),
                param("c", Converter::Int),
                param("d", Converter::Float),
                param("e", Converter::Str),
                param("f", Converter::Path),
            ]
        );
        assert_eq!(parse("/users/"), vec![Segment::Literal("users".into())]);
        assert_eq!(
            parse("/a%20b/~x@y:z;v=1,2"),
            vec![
                Segment::Literal("a%20b".into()),
                Segment::Literal("~x@y:z;v=1,2".into()),
            ]
        );
    }

    #[test]
    fn reports_every_error() {
        let all = errors("/<>/<x:a>/<b/<c>/<c>/<path:p>/end//x");
        assert_eq!(all.len(), 6, "{all:#?}");
        assert!(first_error("users").contains("must start with `/`\n= help: write \"/users\""));
        assert!(first_error("/<1a>").contains("not a valid argument name"));
        assert!(first_error("/a<b>").contains("whole segment"));
        assert!(first_error("/<<a>>").contains("unbalanced"));
        assert!(first_error("/<int:>").contains("missing parameter name"));
        assert!(first_error("/<:a>").contains("missing converter"));
        assert!(first_error("/<itn:a>").contains("= help: did you mean `<int:a>`?"));
        assert!(first_error("/<uuid:a>").contains("implement `usrv::FromParam`"));
        assert!(first_error("/a//b").ends_with("= help: write \"/a/b\""));
        // A path without `/` still has its other problems reported.
        assert_eq!(errors("users/<uuid:id>/<>").len(), 3);
    }

    #[test]
    fn query_and_fragment_end_the_path() {
        let all = errors("/x?<a>=1");
        assert_eq!(all.len(), 1, "the rest is not parsed as segments: {all:#?}");
        assert!(all[0].starts_with("a route path cannot contain `?`"));
        assert!(
            all[0].contains("write \"/x\" and take `a: String`"),
            "{}",
            all[0]
        );
        let all = errors("/x?a#top");
        assert_eq!(all.len(), 2, "{all:#?}");
        assert!(all[1].starts_with("a route path cannot contain `#`"));
        assert!(all[1].contains("\"/x%23top\""), "{}", all[1]);
    }

    #[test]
    fn literal_characters_are_reported_once_each() {
        let all = errors("/a b/c d/<name>/é|");
        assert_eq!(all.len(), 3, "{all:#?}");
        for error in &all {
            assert!(
                error.ends_with("= help: write \"/a%20b/c%20d/<name>/%C3%A9%7C\""),
                "{error}"
            );
        }
        let all = errors("/100%/50%/../x/./y");
        assert_eq!(all.len(), 3, "{all:#?}");
        assert!(all[0].starts_with("`%` is not"), "{}", all[0]);
        assert!(all[0].ends_with("\"/100%25/50%25/../x/./y\""), "{}", all[0]);
        assert!(all[1].starts_with("a route path cannot have a `..` segment"));
        assert!(all[1].ends_with("write \"/100%/x/y\""), "{}", all[1]);
        assert!(all[2].starts_with("a route path cannot have a `.` segment"));
    }

    #[test]
    fn parameters_are_checked() {
        assert!(first_error("/<a>/<a>").starts_with("the parameter `a` appears twice"));
        assert!(first_error("/<path:p>/x").starts_with("`<path:p>` must be the last segment"));
        let many: String = (0..=MAX_PARAMS).map(|i| format!("/<p{i}>")).collect();
        assert!(first_error(&many)
            .starts_with("a route may have at most 16 path parameters, and this one has 17"));
        let most: String = (0..MAX_PARAMS).map(|i| format!("/<p{i}>")).collect();
        assert_eq!(
            params(&parse(&most, Span::call_site()).unwrap()).len(),
            MAX_PARAMS
        );
    }
}
