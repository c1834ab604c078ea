//! The function's arguments. Each is a plain name with a type that owns its
//! value; the name says where the value comes from: the path parameter of
//! that name, else the request (a query value or an extractor).

use syn::{FnArg, Ident, Pat, Signature, Type};

use super::path::Param;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::syntax::Converter;
use crate::tokens::pretty;

/// An argument the glue extracts.
pub struct Argument {
    pub name: Ident,
    pub ty: Type,
    pub source: Source,
}

/// Where an argument's value comes from.
pub enum Source {
    /// The path parameter at this index, through this converter.
    Path { index: usize, converter: Converter },
    /// Anything else: a query value or an extractor (`FromRequest`).
    Request,
}

/// The arguments of the function.
pub struct Arguments {
    /// The arguments that can be extracted, in order.
    pub accepted: Vec<Argument>,
    /// Every argument's name, including those rejected, so that a path
    /// parameter is not also reported as missing.
    pub names: Vec<Ident>,
}

/// Checks every argument, reporting each problem.
pub fn check(sig: &Signature, params: &[Param<'_>], diagnostics: &mut Diagnostics) -> Arguments {
    let mut arguments = Arguments {
        accepted: Vec::new(),
        names: Vec::new(),
    };
    for input in &sig.inputs {
        let typed = match input {
            FnArg::Receiver(receiver) => {
                diagnostics.error(
                    Diagnostic::spanned(receiver, "a route function cannot take `self`")
                        .note("the router calls it without a value")
                        .help("write a free function outside the `impl` block"),
                );
                continue;
            }
            FnArg::Typed(typed) => typed,
        };
        let name = match plain_name(&typed.pat) {
            Ok(name) => name,
            Err(error) => {
                diagnostics.error(error);
                continue;
            }
        };
        arguments.names.push(name.clone());
        if let Err(error) = owned_type(&name, &typed.ty) {
            diagnostics.error(error);
            continue;
        }
        let source = source(&name, params);
        arguments.accepted.push(Argument {
            name,
            ty: (*typed.ty).clone(),
            source,
        });
    }
    arguments
}

/// `name`, not a pattern: the name says what to extract.
fn plain_name(pat: &Pat) -> Result<Ident, Diagnostic> {
    match pat {
        Pat::Ident(ident) if ident.by_ref.is_none() && ident.subpat.is_none() => {
            Ok(ident.ident.clone())
        }
        other => Err(
            Diagnostic::spanned(other, "a route argument must be a plain name")
                .note("its name says what to extract: a path parameter or a query key")
                .help("take `name: Type` and destructure it inside the function"),
        ),
    }
}

/// A type that owns its value, and a single one (no `impl Trait`).
fn owned_type(name: &Ident, ty: &Type) -> Result<(), Diagnostic> {
    match ty {
        Type::Reference(reference) => Err(Diagnostic::spanned(
            reference,
            "a route argument must own its value",
        )
        .help(format!(
            "write `{name}: {}` instead of `{name}: {}`",
            owned(reference),
            pretty(reference)
        ))),
        Type::ImplTrait(impl_trait) => Err(Diagnostic::spanned(
            impl_trait,
            "a route argument cannot be `impl Trait`",
        )
        .note("the framework must know the type of every argument to extract it")
        .help("use a concrete type")),
        _ => Ok(()),
    }
}

/// What to write instead of a borrowed argument type.
fn owned(reference: &syn::TypeReference) -> String {
    match &*reference.elem {
        Type::Path(path) if path.qself.is_none() && path.path.is_ident("str") => "String".into(),
        Type::Slice(slice) => format!("Vec<{}>", pretty(&slice.elem)),
        other => pretty(other),
    }
}

/// The path parameter of the same name, else the request.
fn source(name: &Ident, params: &[Param<'_>]) -> Source {
    match params.iter().position(|param| name == param.name) {
        Some(index) => Source::Path {
            index,
            converter: params[index].converter,
        },
        None => Source::Request,
    }
}
