import K8sClient
import Logging

/// The operator's own namespace (`--leader-election-namespace`, else `POD_NAMESPACE`, else `vtag-system`)
/// holds its leader-election Lease and its learned model. Run outside the install manifests (on a
/// cluster with only the CRDs) that namespace may not exist; every model save would then fail with
/// `namespaces "vtag-system" not found`, every 15 s, for ever. Checked once at start-up instead, with
/// what to do about it.
enum HomeNamespaceCheck {
    /// Throws `OperatorError.homeNamespaceMissing` when the API server says the namespace is not there. Any other answer lets the
    /// operator start: in a cluster its ServiceAccount may not read namespaces (403), and its own
    /// namespace exists there anyway; a transient error is met again, and reported, by the model store.
    static func verify(_ namespace: String, client: KubeClient, logger: Logger) async throws(OperatorError) {
        let found: Namespace?
        do {
            found = try await Api<Namespace>.all(client).getOptional(namespace)
        } catch {
            logger.debug("could not check the operator's namespace", metadata: ["namespace": "\(namespace)", "error": "\(error)"])
            return
        }
        if found == nil { throw .homeNamespaceMissing(namespace: namespace) }
    }
}
