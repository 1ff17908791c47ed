//! The provisioning domain: users, groups, memberships and configurations over the Table port.
