// Inference module. See DESIGN.md.
