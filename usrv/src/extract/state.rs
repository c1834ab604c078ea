//! `State<T>`: a value the application was given at start, shared by every
//! request.

use std::any::{Any, TypeId};
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use super::{Ctx, FromRequest};
use crate::rejection::Rejection;

/// A value given to the server at start (`usrv::serve().state(value)`),
/// shared by every request: a database pool, a configuration, a channel.
///
/// Taking `State<T>` hands the handler a cheap shared reference (an `Arc`
/// clone). Any `Send + Sync + 'static` type can be state, and a server
/// holds one value per type. A route that takes a `State<T>` the server
/// was not given stops the server at start-up with an error naming the
/// route and the type; it is never a failure of single requests.
///
/// ```
/// use std::sync::atomic::{AtomicU64, Ordering};
/// use usrv::{route, State};
///
/// #[derive(Default)]
/// struct Hits(AtomicU64);
///
/// #[route("/hits")]
/// fn hits(hits: State<Hits>) -> (u16, u64) {
///     (200, hits.0.fetch_add(1, Ordering::Relaxed) + 1)
/// }
///
/// # async fn run() -> Result<(), usrv::Error> {
/// usrv::serve().state(Hits::default()).await
/// # }
/// ```
///
/// State is the server's, not the client's: it is no parameter of the
/// route's typed client call, and the OpenAPI document does not show it.
pub struct State<T>(Arc<T>);

impl<T> State<T> {
    /// The shared value itself.
    pub fn arc(&self) -> &Arc<T> {
        &self.0
    }

    /// The shared value itself, by value.
    pub fn into_arc(self) -> Arc<T> {
        self.0
    }
}

impl<T> Deref for State<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> Clone for State<T> {
    fn clone(&self) -> Self {
        State(self.0.clone())
    }
}

impl<T: fmt::Debug> fmt::Debug for State<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("State").field(&self.0).finish()
    }
}

/// A state type, as a route declares it for the start-up check: its
/// `TypeId` and its name.
#[doc(hidden)]
pub type StateType = fn() -> (TypeId, &'static str);

fn state_type<T: 'static>() -> (TypeId, &'static str) {
    (TypeId::of::<T>(), std::any::type_name::<T>())
}

impl<T: Send + Sync + 'static> FromRequest for State<T> {
    const STATE: Option<StateType> = Some(state_type::<T>);

    fn from_request(ctx: &Ctx<'_>, _name: &'static str) -> Result<Self, Rejection> {
        match ctx.shared.states.get(TypeId::of::<T>()) {
            Some(value) => match value.clone().downcast::<T>() {
                Ok(value) => Ok(State(value)),
                Err(_) => Err(missing::<T>()),
            },
            None => Err(missing::<T>()),
        }
    }
}

/// Only reachable when the start-up check could not see the type (an
/// extractor of one's own that reads state through [`Ctx::state`]).
fn missing<T>() -> Rejection {
    let name = std::any::type_name::<T>();
    tracing::error!(target: "usrv", "no state of type `{name}` was given to the server");
    Rejection::internal("the server is missing a state value")
}

/// The state values of an application, one per type. A handful of types at
/// most: a linear search beats hashing them.
#[derive(Default)]
pub(crate) struct StateMap {
    values: Vec<(TypeId, &'static str, Arc<dyn Any + Send + Sync>)>,
    /// The types given more than once, for the start-up error.
    pub duplicates: Vec<&'static str>,
}

impl StateMap {
    /// Adds a value; a second value of the same type is recorded as a
    /// mistake, reported when the application is built.
    pub fn insert<T: Send + Sync + 'static>(&mut self, value: T) {
        let (id, name) = state_type::<T>();
        if self.get(id).is_some() {
            self.duplicates.push(name);
            return;
        }
        self.values.push((id, name, Arc::new(value)));
    }

    pub fn get(&self, id: TypeId) -> Option<&Arc<dyn Any + Send + Sync>> {
        self.values
            .iter()
            .find(|(key, _, _)| *key == id)
            .map(|(_, _, value)| value)
    }

    /// The names of the types held, for messages.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.values.iter().map(|(_, name, _)| *name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_value_per_type() {
        let mut states = StateMap::default();
        states.insert(5u32);
        states.insert(String::from("config"));
        states.insert(6u32);
        assert_eq!(states.duplicates, ["u32"]);
        let value = states.get(TypeId::of::<u32>()).expect("u32 is there");
        assert_eq!(value.downcast_ref::<u32>(), Some(&5));
        assert!(states.get(TypeId::of::<u64>()).is_none());
        assert_eq!(
            states.names().collect::<Vec<_>>(),
            ["u32", "alloc::string::String"]
        );
    }
}
