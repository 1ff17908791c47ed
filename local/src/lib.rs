//! local-api library.
