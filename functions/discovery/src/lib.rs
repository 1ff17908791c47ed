//! Lambda handler.
