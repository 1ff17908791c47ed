//! HTTP glue shared by the functions.
