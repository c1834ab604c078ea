//! Arguments named in the path: every path parameter needs the argument of
//! its name, parsed from the raw segment through the parameter's converter.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, Signature};

use super::argument::Argument;
use super::path::Param;
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::suggest::closest;
use crate::syntax::Converter;

/// Reports each path parameter that no argument takes, at the path.
pub fn check_bound(
    params: &[Param<'_>],
    names: &[Ident],
    sig: &Signature,
    path: &syn::LitStr,
    diagnostics: &mut Diagnostics,
) {
    // The arguments that no parameter takes: a misspelt name is among them.
    let unbound: Vec<String> = names
        .iter()
        .map(Ident::to_string)
        .filter(|name| !params.iter().any(|param| param.name == name))
        .collect();
    let unbound: Vec<&str> = unbound.iter().map(String::as_str).collect();
    for param in params {
        if names.iter().any(|name| name == param.name) {
            continue;
        }
        let error = Diagnostic::new(
            path.span(),
            format!(
                "the path parameter `{}` has no argument named `{}` in `fn {}`",
                param.converter.show(param.name),
                param.name,
                sig.ident,
            ),
        );
        diagnostics.error(match closest(param.name, &unbound) {
            Some(close) => error
                .help(format!("did you mean the argument `{close}`?"))
                .note("a path parameter and its argument have the same name"),
            None => error.help(format!(
                "add it to the arguments, e.g. `{}: {}`",
                param.name,
                param.converter.example_type()
            )),
        });
    }
}

/// `path_int::<T>(ctx, index, "name")?`, at the argument's type: "the
/// converter `<int:..>` does not fit the type `String`" points there.
pub fn extraction(argument: &Argument, index: usize, converter: Converter) -> TokenStream {
    let ty = &argument.ty;
    let name = argument.name.to_string();
    let extract = converter.extractor();
    // The path to the runtime keeps the macro's span; the call is at the type.
    let private = quote!(::usrv::__private);
    quote_spanned!(ty.span()=> #private::#extract::<#ty>(__ctx, #index, #name)?)
}
