//! JSON Schemas of Rust types for the OpenAPI document, where they exist.
//!
//! `#[route]` asks for the schema of every type it describes (path and
//! query values, body payloads, returned values) through
//! `(&&SchemaOf::<T>::new()).schema(schemas)`: method resolution picks
//! [`ViaJsonSchema`] when `T: schemars::JsonSchema` (the `openapi`
//! feature) and [`ViaAny`], an unconstrained schema `{}`, otherwise, so a
//! type without `JsonSchema` is never a compile error. Without the
//! `openapi` feature every Rust type's schema is `{}`.

use std::marker::PhantomData;

use serde_json::{Map, Value};

/// Collects the schemas of one document: named types become
/// `#/components/schemas/Name` references.
pub struct Schemas {
    #[cfg(feature = "openapi")]
    generator: schemars::SchemaGenerator,
}

impl Schemas {
    /// A collector for a JSON Schema 2020-12 (OpenAPI 3.1) document.
    pub fn new() -> Schemas {
        Schemas {
            #[cfg(feature = "openapi")]
            generator: schemars::generate::SchemaSettings::draft2020_12()
                .with(|settings| {
                    settings.definitions_path = "/components/schemas".into();
                    settings.meta_schema = None;
                })
                .into_generator(),
        }
    }

    /// The named schemas collected, for `components.schemas`.
    pub fn into_definitions(self) -> Map<String, Value> {
        #[cfg(feature = "openapi")]
        {
            let mut generator = self.generator;
            generator.take_definitions(true)
        }
        #[cfg(not(feature = "openapi"))]
        {
            let _ = self;
            Map::new()
        }
    }
}

impl Default for Schemas {
    fn default() -> Self {
        Schemas::new()
    }
}

/// How the document gets one type's schema.
#[doc(hidden)]
pub type SchemaFn = fn(&mut Schemas) -> Value;

/// The type whose schema is asked for.
#[doc(hidden)]
pub struct SchemaOf<T: ?Sized>(PhantomData<T>);

impl<T: ?Sized> SchemaOf<T> {
    /// The probe for `T`.
    pub const fn new() -> Self {
        SchemaOf(PhantomData)
    }
}

impl<T: ?Sized> Default for SchemaOf<T> {
    fn default() -> Self {
        SchemaOf::new()
    }
}

/// The schema `schemars` derives, for `T: JsonSchema` (chosen first).
#[doc(hidden)]
pub trait ViaJsonSchema {
    /// The schema.
    fn schema(&self, schemas: &mut Schemas) -> Value;
}

#[cfg(feature = "openapi")]
impl<T: schemars::JsonSchema + ?Sized> ViaJsonSchema for &SchemaOf<T> {
    fn schema(&self, schemas: &mut Schemas) -> Value {
        schemas.generator.subschema_for::<T>().to_value()
    }
}

/// An unconstrained schema, for any other type.
#[doc(hidden)]
pub trait ViaAny {
    /// `{}`.
    fn schema(&self, _schemas: &mut Schemas) -> Value {
        Value::Object(Map::new())
    }
}

impl<T: ?Sized> ViaAny for SchemaOf<T> {}

/// The schema of a value whose type cannot be named (`impl Trait`): `{}`.
#[doc(hidden)]
pub fn any_schema(_schemas: &mut Schemas) -> Value {
    Value::Object(Map::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Plain;

    #[test]
    // The autoref probe is the point: the borrows choose the method.
    #[allow(clippy::needless_borrow)]
    fn a_type_without_json_schema_is_unconstrained() {
        let mut schemas = Schemas::new();
        assert_eq!(
            (&&SchemaOf::<Plain>::new()).schema(&mut schemas),
            serde_json::json!({})
        );
        #[cfg(feature = "openapi")]
        {
            assert_eq!(
                (&&SchemaOf::<u8>::new()).schema(&mut schemas),
                serde_json::json!({"type": "integer", "format": "uint8", "minimum": 0, "maximum": 255})
            );
            #[derive(schemars::JsonSchema)]
            #[allow(dead_code)]
            struct Named {
                a: i64,
            }
            assert_eq!(
                (&&SchemaOf::<Named>::new()).schema(&mut schemas),
                serde_json::json!({"$ref": "#/components/schemas/Named"})
            );
            let definitions = schemas.into_definitions();
            assert_eq!(definitions["Named"]["required"], serde_json::json!(["a"]));
        }
        #[cfg(not(feature = "openapi"))]
        assert_eq!(
            (&&SchemaOf::<u8>::new()).schema(&mut schemas),
            serde_json::json!({})
        );
    }
}
