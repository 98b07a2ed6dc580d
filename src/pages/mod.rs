//! One module per face of Igniflo.

pub mod admin;
pub mod customer;
