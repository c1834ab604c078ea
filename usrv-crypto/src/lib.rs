//! The usrv secure protocol v1 (work in progress).
#![forbid(unsafe_code)]
