// Reconcilers module. See DESIGN.md.
