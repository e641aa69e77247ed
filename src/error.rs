//! Errors, and the exit codes the command line maps them to.
//!
//! The library returns these; only the binary prints them and exits. Input
//! problems carry every diagnostic found, each naming the file, the line and
//! column or the field path, what is wrong, and what to do about it.

use std::fmt;
use std::path::PathBuf;

/// One problem found in an input file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file the problem is in.
    pub file: String,
    /// 1-based line and column, when the problem has a place in the text.
    pub line_col: Option<(usize, usize)>,
    /// The field path, such as `populations[1].bases.coercive`; empty for the whole file.
    pub path: String,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub help: Option<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some((line, col)) = self.line_col {
            write!(f, ":{line}:{col}")?;
        }
        if !self.path.is_empty() {
            write!(f, ": {}", self.path)?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

/// Where a value was written — its file, line and column, and field path —
/// kept with values whose problems only a run can find (an influence
/// weight, or a tie event, on a pair the generated network does not tie).
///
/// Places never make two values unequal: the same scenario written in
/// other files or on other lines is the same scenario.
#[derive(Debug, Clone, Default)]
pub struct Place {
    /// The file the value is in.
    pub file: String,
    /// 1-based line and column.
    pub line_col: Option<(usize, usize)>,
    /// The field path, such as `events[2].pairs[0]`.
    pub path: String,
}

impl PartialEq for Place {
    fn eq(&self, _: &Place) -> bool {
        true
    }
}

impl Place {
    /// A problem at this place.
    pub fn diagnostic(&self, message: String, help: &str) -> Diagnostic {
        Diagnostic {
            file: self.file.clone(),
            line_col: self.line_col,
            path: self.path.clone(),
            message,
            help: Some(help.to_string()),
        }
    }
}

/// Everything wrong with one input, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputErrors(pub Vec<Diagnostic>);

impl fmt::Display for InputErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "error: {d}")?;
        }
        if self.0.len() > 1 {
            write!(f, "\n{} problems found", self.0.len())?;
        }
        Ok(())
    }
}

/// A powerdyn error.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input (a scenario file, an option) is wrong; nothing was run.
    #[error("{0}")]
    Input(InputErrors),
    /// Reading or writing a file failed while running.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder involved.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The run failed for another reason.
    #[error("{0}")]
    Run(String),
    /// The user interrupted the run (Ctrl-C).
    #[error("interrupted: {0}")]
    Interrupted(String),
}

impl Error {
    /// Exit code for the command line: 2 for bad input, 1 for a failure while
    /// running, 130 for an interruption (as a shell reports SIGINT).
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Input(_) => 2,
            Error::Io { .. } | Error::Run(_) => 1,
            Error::Interrupted(_) => 130,
        }
    }

    /// A single input error about a whole file or option.
    pub fn input(file: impl Into<String>, message: impl Into<String>, help: Option<&str>) -> Self {
        Error::Input(InputErrors(vec![Diagnostic {
            file: file.into(),
            line_col: None,
            path: String::new(),
            message: message.into(),
            help: help.map(str::to_string),
        }]))
    }

    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// Result with a powerdyn [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
