//! The answers the kiosk gives, shared by the UI and the CLI.
//!
//! A service reads the store, applies [`crate::domain`] rules at an explicit `today`, and
//! returns a view that is safe to show: identifiers masked, every refusal explained in
//! Indonesian and English. It draws nothing and prints nothing.

mod error;
pub mod lockout;
pub mod member;
pub mod places;
pub mod request;

pub use error::ServiceError;
pub use lockout::{Lockout, LockoutPolicy};
pub use member::{Identity, IdentityKey, MemberSession};
