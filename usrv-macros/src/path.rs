//! Parsing of a route path such as `/users/<int:id>/<path:rest>`, once, at
//! compile time. Every problem found is reported, not just the first.

/// The converters a `<kind:name>` parameter may name.
pub const CONVERTERS: &[&str] = &["int", "float", "str", "path"];

/// How a parameter segment is converted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Converter {
    /// `<name>`: any type that can be parsed from a segment.
    Any,
    Int,
    Float,
    Str,
    /// `<path:name>`: the rest of the path, slashes included.
    Path,
}

impl Converter {
    fn from_name(name: &str) -> Option<Converter> {
        Some(match name {
            "int" => Converter::Int,
            "float" => Converter::Float,
            "str" => Converter::Str,
            "path" => Converter::Path,
            _ => return None,
        })
    }

    pub fn keyword(self) -> &'static str {
        match self {
            Converter::Any => "",
            Converter::Int => "int",
            Converter::Float => "float",
            Converter::Str => "str",
            Converter::Path => "path",
        }
    }
}

/// One `/`-separated piece of a route path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    Literal(String),
    Param { name: String, converter: Converter },
}

/// A parsed route path: its segments, or every error found in it.
pub fn parse(path: &str) -> Result<Vec<Segment>, Vec<String>> {
    let mut errors = Vec::new();
    let rest = match path.strip_prefix('/') {
        Some(rest) => rest,
        None => {
            errors.push(format!(
                "a route path must start with `/`: write \"/{path}\""
            ));
            // Keep going, so that every other problem is reported too.
            path
        }
    };
    let mut segments = Vec::new();
    let pieces: Vec<&str> = if rest.is_empty() {
        Vec::new()
    } else {
        rest.split('/').collect()
    };
    let last = pieces.len().saturating_sub(1);
    for (index, piece) in pieces.iter().enumerate() {
        if piece.is_empty() {
            if index == last {
                // "/users/" is the same route as "/users".
                continue;
            }
            errors.push(format!("empty segment `//` in `{path}`"));
            continue;
        }
        match parse_segment(piece) {
            Ok(segment) => segments.push(segment),
            Err(message) => errors.push(message),
        }
    }
    let mut seen: Vec<&str> = Vec::new();
    let params = segments.iter().enumerate().filter_map(|(i, s)| match s {
        Segment::Param { name, converter } => Some((i, name, *converter)),
        Segment::Literal(_) => None,
    });
    for (index, name, converter) in params {
        if seen.contains(&name.as_str()) {
            errors.push(format!("the parameter `{name}` appears twice in the path"));
        }
        seen.push(name);
        if converter == Converter::Path && index + 1 != segments.len() {
            errors.push(format!(
                "`<path:{name}>` takes the rest of the path, so it must be the last segment"
            ));
        }
    }
    if errors.is_empty() {
        Ok(segments)
    } else {
        Err(errors)
    }
}

fn parse_segment(piece: &str) -> Result<Segment, String> {
    let opens = piece.matches('<').count();
    let closes = piece.matches('>').count();
    if opens == 0 && closes == 0 {
        return Ok(Segment::Literal(piece.to_owned()));
    }
    if opens != closes || opens > 1 {
        return Err(format!(
            "unbalanced `<` `>` in segment `{piece}`: a parameter is written `<name>` or `<kind:name>`"
        ));
    }
    let inner = match piece.strip_prefix('<').and_then(|p| p.strip_suffix('>')) {
        Some(inner) => inner,
        None => {
            return Err(format!(
                "a parameter must be a whole segment: `{piece}` mixes text and `<...>`"
            ))
        }
    };
    if inner.trim().is_empty() {
        return Err("empty parameter `<>`: write `<name>` or `<kind:name>`".to_owned());
    }
    let (converter, name) = match inner.split_once(':') {
        None => (Converter::Any, inner),
        Some((kind, name)) => match Converter::from_name(kind) {
            Some(converter) => (converter, name),
            None if kind.trim().is_empty() => {
                return Err(format!(
                    "missing converter before `:` in `{piece}`: write `<{name}>` or `<kind:{name}>` with kind one of {}",
                    known_converters()
                ))
            }
            None => {
                let hint = match crate::suggest::closest(kind, CONVERTERS) {
                    Some(close) => format!(" (did you mean `<{close}:{name}>`?)"),
                    None => String::new(),
                };
                return Err(format!(
                    "unknown converter `{kind}` in `{piece}`{hint}; the known converters are: {}",
                    known_converters()
                ));
            }
        },
    };
    if name.trim().is_empty() {
        return Err(format!(
            "missing parameter name in `{piece}`: write `<{}:name>`, where `name` is an argument of the function",
            converter.keyword()
        ));
    }
    if !is_identifier(name) {
        return Err(format!(
            "malformed parameter `{piece}`: `{name}` is not a valid argument name (a parameter names an argument of the function: letters, digits and `_`, not starting with a digit)"
        ));
    }
    Ok(Segment::Param {
        name: name.to_owned(),
        converter,
    })
}

fn known_converters() -> String {
    CONVERTERS
        .iter()
        .map(|c| format!("`{c}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn is_identifier(name: &str) -> bool {
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

    #[test]
    fn parses_every_segment_kind() {
        assert_eq!(parse("/").unwrap(), vec![]);
        assert_eq!(
            parse("/a/<b>/<int:c>/<float:d>/<str:e>/<path:f>").unwrap(),
            vec![
                Segment::Literal("a".into()),
                param("b", Converter::Any),
                param("c", Converter::Int),
                param("d", Converter::Float),
                param("e", Converter::Str),
                param("f", Converter::Path),
            ]
        );
        assert_eq!(
            parse("/users/").unwrap(),
            vec![Segment::Literal("users".into())]
        );
    }

    #[test]
    fn reports_every_error() {
        let errors = parse("/<>/<x:a>/<b/<c>/<c>/<path:p>/end//x").unwrap_err();
        assert_eq!(errors.len(), 6, "{errors:#?}");
        assert!(parse("users").unwrap_err()[0].contains("must start with `/`"));
        assert!(parse("/<1a>").unwrap_err()[0].contains("not a valid argument name"));
        assert!(parse("/a<b>").unwrap_err()[0].contains("whole segment"));
        assert!(parse("/<<a>>").unwrap_err()[0].contains("unbalanced"));
        assert!(parse("/<int:>").unwrap_err()[0].contains("missing parameter name"));
        assert!(parse("/<:a>").unwrap_err()[0].contains("missing converter"));
        assert!(parse("/<itn:a>").unwrap_err()[0].contains("did you mean `<int:a>`?"));
        // A path without `/` still has its other problems reported.
        let errors = parse("users/<uuid:id>/<>").unwrap_err();
        assert_eq!(errors.len(), 3, "{errors:#?}");
    }
}
