//! Integration tests, in one binary to keep link times low.

mod cli;
mod determinism;
mod rules;
mod stories;
mod support;
