//! The route table: a segment trie built once at start-up, so that a lookup
//! costs the same among ten routes or a thousand.
//!
//! At each node a literal segment is tried first, then a parameter, then a
//! `<path:..>` catch-all, backtracking when a branch does not lead to a
//! route. Parameters are recorded as slices of the request path: a lookup
//! allocates nothing.

use fnv::FnvHashMap;
use http::{HeaderValue, Method};

use crate::error::Error;
use crate::route::{Converter, MethodSet, Route, Segment, MAX_PARAMS};

/// The raw (still percent-encoded) parameters of a matched path, in order.
pub struct Params<'p> {
    // `None` past `len`: an array of `None` is all zero bytes, the cheapest
    // to make for every request.
    values: [Option<&'p str>; MAX_PARAMS],
    len: usize,
}

impl<'p> Params<'p> {
    /// No parameters yet.
    pub fn new() -> Self {
        Params {
            values: [None; MAX_PARAMS],
            len: 0,
        }
    }

    /// The number of parameters.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The parameter at `index`, in path order.
    pub fn get(&self, index: usize) -> Option<&'p str> {
        self.as_slots().get(index).copied().flatten()
    }

    /// The parameters, in path order.
    pub fn iter(&self) -> impl Iterator<Item = &'p str> + '_ {
        self.values[..self.len].iter().flatten().copied()
    }

    /// The parameters as the extractors see them.
    pub(crate) fn as_slots(&self) -> &[Option<&'p str>] {
        &self.values[..self.len]
    }

    fn push(&mut self, value: &'p str) -> bool {
        if self.len == MAX_PARAMS {
            return false;
        }
        self.values[self.len] = Some(value);
        self.len += 1;
        true
    }

    fn truncate(&mut self, len: usize) {
        self.len = len;
    }
}

impl Default for Params<'_> {
    fn default() -> Self {
        Self::new()
    }
}

/// The routes that end at one node, by method.
struct Endpoint {
    routes: Vec<(MethodSet, &'static Route)>,
    allow: HeaderValue,
}

impl Endpoint {
    fn new() -> Self {
        Endpoint {
            routes: Vec::new(),
            allow: HeaderValue::from_static(""),
        }
    }

    fn insert(&mut self, route: &'static Route) -> Result<(), Error> {
        if let Some((methods, other)) = self
            .routes
            .iter()
            .find(|(methods, _)| methods.intersects(route.methods))
        {
            let shared: Vec<&str> = methods
                .intersection(route.methods)
                .iter()
                .map(Method::as_str)
                .collect();
            return Err(Error::RouteConflict(format!(
                "routes conflict: {} answers `{}` and {} answers `{}`, both for {}",
                other.location(),
                other.pattern,
                route.location(),
                route.pattern,
                shared.join(" and "),
            )));
        }
        self.routes.push((route.methods, route));
        let mut all = MethodSet::default();
        for (methods, _) in &self.routes {
            all = all.union(*methods);
        }
        let mut names: Vec<&str> = all.iter().map(Method::as_str).collect();
        if all.intersects(MethodSet::of(&Method::GET)) && !names.contains(&"HEAD") {
            names.push("HEAD");
        }
        // The server answers `OPTIONS` itself when no route does.
        if !names.contains(&"OPTIONS") {
            names.push("OPTIONS");
        }
        self.allow = HeaderValue::from_str(&names.join(", ")).expect("method names are ASCII");
        Ok(())
    }

    fn find(&self, method: &Method) -> Result<&'static Route, &HeaderValue> {
        let wanted = MethodSet::of(method);
        for (methods, route) in &self.routes {
            if methods.intersects(wanted) {
                return Ok(route);
            }
        }
        if *method == Method::HEAD {
            let get = MethodSet::of(&Method::GET);
            if let Some((_, route)) = self.routes.iter().find(|(m, _)| m.intersects(get)) {
                return Ok(route);
            }
        }
        Err(&self.allow)
    }
}

/// Above this many literal children, a node finds them through a hash
/// index, so that lookup cost does not grow with the number of routes.
const INDEXED: usize = 8;

#[derive(Default)]
struct Node {
    /// Literal children, in the order they were added.
    literals: Vec<(Box<str>, Node)>,
    /// Segment → position in `literals`, once there are many. FNV suits
    /// short path segments; the keys are the application's own literals,
    /// so hash flooding is not a concern.
    index: Option<FnvHashMap<Box<str>, usize>>,
    param: Option<Box<Node>>,
    rest: Option<Endpoint>,
    endpoint: Option<Endpoint>,
}

impl Node {
    #[inline]
    fn literal(&self, segment: &str) -> Option<&Node> {
        Some(&self.literals[self.position(segment)?].1)
    }

    #[inline]
    fn position(&self, segment: &str) -> Option<usize> {
        match &self.index {
            Some(index) => index.get(segment).copied(),
            None => self
                .literals
                .iter()
                .position(|(literal, _)| same(literal.as_bytes(), segment.as_bytes())),
        }
    }

    /// Adds a literal child, indexed once there are many: each literal is
    /// indexed once, so that building a table stays linear in its routes.
    fn push_literal(&mut self, text: &str) -> usize {
        let position = self.literals.len();
        self.literals.push((text.into(), Node::default()));
        match &mut self.index {
            Some(index) => {
                index.insert(text.into(), position);
            }
            None if self.literals.len() > INDEXED => {
                let positions = self.literals.iter().enumerate();
                self.index = Some(positions.map(|(i, (l, _))| (l.clone(), i)).collect());
            }
            None => {}
        }
        position
    }

    /// The first endpoint in priority order, taking at each node the best
    /// branch and never coming back: the answer whenever it leads anywhere,
    /// found in one pass without recursion.
    fn find_direct<'n, 'p>(
        &'n self,
        mut path: &'p str,
        params: &mut Params<'p>,
    ) -> Option<&'n Endpoint> {
        let mut node = self;
        loop {
            if path.is_empty() {
                return node.endpoint.as_ref();
            }
            let (segment, rest) = split_segment(path);
            if let Some(child) = node.literal(segment) {
                node = child;
            } else if let (Some(child), false) = (&node.param, segment.is_empty()) {
                if !params.push(segment) {
                    return None;
                }
                node = child;
            } else {
                let endpoint = node.rest.as_ref()?;
                let tail = path.strip_suffix('/').unwrap_or(path);
                return (!tail.is_empty() && params.push(tail)).then_some(endpoint);
            }
            path = rest;
        }
    }

    /// Every branch in priority order, backtracking when one leads nowhere.
    fn find<'n, 'p>(&'n self, path: &'p str, params: &mut Params<'p>) -> Option<&'n Endpoint> {
        if path.is_empty() {
            return self.endpoint.as_ref();
        }
        let (segment, rest) = split_segment(path);
        if let Some(child) = self.literal(segment) {
            if let Some(found) = child.find(rest, params) {
                return Some(found);
            }
        }
        if !segment.is_empty() {
            if let Some(child) = &self.param {
                let len = params.len;
                if params.push(segment) {
                    if let Some(found) = child.find(rest, params) {
                        return Some(found);
                    }
                }
                params.truncate(len);
            }
        }
        if let Some(endpoint) = &self.rest {
            let tail = path.strip_suffix('/').unwrap_or(path);
            if !tail.is_empty() && params.push(tail) {
                return Some(endpoint);
            }
        }
        None
    }
}

/// Whether two segments are equal. Path segments are short: they are
/// compared as two overlapping words, where a call to `memcmp` would cost
/// more than the comparison.
#[inline]
fn same(a: &[u8], b: &[u8]) -> bool {
    fn u32_at(s: &[u8], at: usize) -> u32 {
        u32::from_ne_bytes([s[at], s[at + 1], s[at + 2], s[at + 3]])
    }
    fn u64_at(s: &[u8], at: usize) -> u64 {
        let mut word = [0; 8];
        word.copy_from_slice(&s[at..at + 8]);
        u64::from_ne_bytes(word)
    }
    let len = a.len();
    len == b.len()
        && match len {
            0..=3 => a == b,
            4..=8 => u32_at(a, 0) == u32_at(b, 0) && u32_at(a, len - 4) == u32_at(b, len - 4),
            9..=16 => u64_at(a, 0) == u64_at(b, 0) && u64_at(a, len - 8) == u64_at(b, len - 8),
            _ => a == b,
        }
}

/// The first segment of a relative path and what follows its slash.
fn split_segment(path: &str) -> (&str, &str) {
    match path.bytes().position(|b| b == b'/') {
        Some(slash) => (&path[..slash], &path[slash + 1..]),
        None => (path, ""),
    }
}

/// The outcome of a lookup.
pub enum Found<'a> {
    /// A route answers this method and path.
    Route(&'static Route),
    /// The path matches, not the method; the value is the `Allow` header.
    MethodNotAllowed(&'a HeaderValue),
    /// No route has this path.
    NotFound,
}

/// The route table.
#[derive(Default)]
pub struct Router {
    root: Node,
    len: usize,
}

impl Router {
    /// Builds the table; fails on two routes that answer the same method on
    /// equivalent paths, naming both functions.
    pub fn new(routes: impl IntoIterator<Item = &'static Route>) -> Result<Router, Error> {
        let mut routes: Vec<&'static Route> = routes.into_iter().collect();
        // inventory gives no order: sort so that the table, and the errors,
        // are the same on every start.
        routes.sort_by_key(|r| (r.pattern, r.module, r.name, r.file, r.line));
        let mut router = Router::default();
        for route in routes {
            router.insert(route)?;
        }
        Ok(router)
    }

    /// Adds one route.
    pub fn insert(&mut self, route: &'static Route) -> Result<(), Error> {
        if route.methods.is_empty() {
            return Err(Error::InvalidRoute(format!(
                "{} answers no method",
                route.location()
            )));
        }
        let mut node = &mut self.root;
        for segment in route.segments {
            node = match *segment {
                Segment::Literal(text) => {
                    let index = match node.position(text) {
                        Some(index) => index,
                        None => node.push_literal(text),
                    };
                    &mut node.literals[index].1
                }
                Segment::Param(Converter::Path, _) => {
                    let endpoint = node.rest.get_or_insert_with(Endpoint::new);
                    endpoint.insert(route)?;
                    self.len += 1;
                    return Ok(());
                }
                Segment::Param(..) => node.param.get_or_insert_with(Default::default),
            };
        }
        node.endpoint
            .get_or_insert_with(Endpoint::new)
            .insert(route)?;
        self.len += 1;
        Ok(())
    }

    /// The number of routes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Finds the route for a method and a request path (which starts with
    /// `/`), filling `params` with the raw parameter values.
    pub fn find<'p>(&self, method: &Method, path: &'p str, params: &mut Params<'p>) -> Found<'_> {
        let Some(relative) = path.strip_prefix('/') else {
            return Found::NotFound;
        };
        // The direct walk is the backtracking search's first path: when it
        // ends at an endpoint, that is the search's answer too.
        let found = match self.root.find_direct(relative, params) {
            Some(endpoint) => Some(endpoint),
            None => {
                params.truncate(0);
                self.root.find(relative, params)
            }
        };
        match found {
            None => Found::NotFound,
            Some(endpoint) => match endpoint.find(method) {
                Ok(route) => Found::Route(route),
                Err(allow) => Found::MethodNotAllowed(allow),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn route(pattern: &'static str, methods: u16, name: &'static str) -> &'static Route {
        crate::route::test_route("tests", name, pattern, methods)
    }

    const GET: u16 = 1;
    const POST: u16 = 2;

    fn lookup(router: &Router, method: Method, path: &str) -> Option<(&'static str, Vec<String>)> {
        let mut params = Params::new();
        match router.find(&method, path, &mut params) {
            Found::Route(route) => {
                Some((route.name, params.iter().map(|s| s.to_string()).collect()))
            }
            _ => None,
        }
    }

    #[test]
    fn literals_beat_parameters_which_beat_the_rest() {
        let router = Router::new([
            route("/", GET, "root"),
            route("/users/me", GET, "me"),
            route("/users/<id>", GET, "user"),
            route("/users/<id>/posts/<int:post>", GET, "post"),
            route("/files/<path:p>", GET, "files"),
            route("/<a>/<b>", GET, "two"),
        ])
        .unwrap();
        assert_eq!(router.len(), 6);
        assert_eq!(lookup(&router, Method::GET, "/"), Some(("root", vec![])));
        assert_eq!(
            lookup(&router, Method::GET, "/users/me"),
            Some(("me", vec![]))
        );
        assert_eq!(
            lookup(&router, Method::GET, "/users/42"),
            Some(("user", vec!["42".into()]))
        );
        assert_eq!(
            lookup(&router, Method::GET, "/users/42/posts/7"),
            Some(("post", vec!["42".into(), "7".into()]))
        );
        assert_eq!(
            lookup(&router, Method::GET, "/files/a/b/c.txt"),
            Some(("files", vec!["a/b/c.txt".into()]))
        );
        // Backtracking: "/users/x" is not "/users/me", and "/x/y" has no literal.
        assert_eq!(
            lookup(&router, Method::GET, "/x/y"),
            Some(("two", vec!["x".into(), "y".into()]))
        );
        assert_eq!(
            lookup(&router, Method::GET, "/files/x"),
            Some(("files", vec!["x".into()]))
        );
        assert_eq!(lookup(&router, Method::GET, "/files/"), None);
        assert_eq!(lookup(&router, Method::GET, "/a/b/c"), None);
        assert_eq!(lookup(&router, Method::GET, "//"), None);
        assert_eq!(lookup(&router, Method::GET, "*"), None);
    }

    #[test]
    fn a_trailing_slash_matches_the_same_route() {
        let router = Router::new([route("/test", GET, "t"), route("/p/<x>", GET, "p")]).unwrap();
        assert_eq!(lookup(&router, Method::GET, "/test/"), Some(("t", vec![])));
        assert_eq!(
            lookup(&router, Method::GET, "/p/1/"),
            Some(("p", vec!["1".into()]))
        );
        assert_eq!(lookup(&router, Method::GET, "/test//"), None);
    }

    #[test]
    fn methods_405_and_head() {
        let router =
            Router::new([route("/r", GET, "get"), route("/r", POST | 4, "post_put")]).unwrap();
        assert_eq!(lookup(&router, Method::POST, "/r").unwrap().0, "post_put");
        assert_eq!(lookup(&router, Method::HEAD, "/r").unwrap().0, "get");
        let mut params = Params::new();
        match router.find(&Method::DELETE, "/r", &mut params) {
            Found::MethodNotAllowed(allow) => assert_eq!(allow, "GET, POST, PUT, HEAD, OPTIONS"),
            _ => panic!("expected 405"),
        }
    }

    #[test]
    fn conflicts_name_both_functions() {
        let error = Router::new([
            route("/a/<x>", GET, "first"),
            route("/a/<y>", GET | POST, "second"),
        ])
        .err()
        .expect("conflict")
        .to_string();
        assert!(error.contains("tests::first"), "{error}");
        assert!(error.contains("tests::second"), "{error}");
        assert!(error.contains("router.rs:"), "{error}");
        // Only the shared method is named, as a word.
        assert!(error.ends_with("both for GET"), "{error}");
        // Same shape, different methods: no conflict.
        Router::new([route("/a/<x>", GET, "g"), route("/a/<y>", POST, "p")]).unwrap();
        // Same method on a different shape: no conflict.
        Router::new([route("/a/<x>", GET, "g"), route("/a/b", GET, "l")]).unwrap();
    }

    #[test]
    fn many_routes() {
        let mut routes = Vec::new();
        for i in 0..1000 {
            let pattern: &'static str = Box::leak(format!("/r{i}/<id>").into_boxed_str());
            routes.push(route(pattern, GET, pattern));
        }
        let router = Router::new(routes).unwrap();
        assert_eq!(router.len(), 1000);
        // Every literal is found, those added before the index and after.
        for i in 0..1000 {
            let found = lookup(&router, Method::GET, &format!("/r{i}/x"));
            let pattern = format!("/r{i}/<id>");
            assert_eq!(found, Some((pattern.as_str(), vec!["x".into()])), "/r{i}/x");
        }
        assert_eq!(lookup(&router, Method::GET, "/r1000/x"), None);
    }
}
