// E2E harness and tests land with the Kubernetes API test server.
