//! Behavioural tests of the plenum server: the router driven in-process (`oneshot`), the
//! configuration loader, and the built binary.

// A test binary: a failing unwrap in a helper is a failing test.
#![allow(clippy::unwrap_used)]

mod admin;
mod api_clients;
mod audit_api;
mod audit_cli;
mod audit_coverage;
mod audit_events;
mod audit_retention;
mod audit_tamper;
mod auth;
mod authz;
mod bad_input;
mod binary;
mod branding;
mod breached_passwords;
mod common;
mod config;
mod invites;
mod jwks;
mod ldap;
mod lockout;
mod meetings;
mod oidc;
mod processes;
mod siem;
mod signaling;
mod token_matrix;
mod vote_sealing;
mod votes;
mod web;
