// KubeTestServer module. See DESIGN.md.
