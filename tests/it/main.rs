//! Integration tests, in one binary to keep link times low.

mod cli;
mod determinism;
mod disk;
mod hostile;
mod influence;
mod interventions;
mod invariants;
mod report;
mod rules;
mod science;
mod sort;
mod stories;
mod stories_article;
mod stories_groups;
mod support;
mod sweep;
