//! The embedded engine of the Table port: SQLite.
