//! A Socket.IO client: a tokio `AsyncClient` and a blocking `Client`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod args;
pub mod engineio;
pub mod error;
pub mod packet;

pub use args::Payload;
pub use error::{DecodeError, Error};
