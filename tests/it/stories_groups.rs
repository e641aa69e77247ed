//! Stories of groups: oppression, intersectionality, privilege.
