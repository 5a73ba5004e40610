// KubeAPITestServer: an in-process Kubernetes API server for tests (HTTPS on 127.0.0.1, HTTP/2 by ALPN as
// kube-apiserver negotiates it with AsyncHTTPClient, HTTP/1.1 for other clients or with `http2: false`; its own
// CA, token and client-certificate auth), modelled on kube-apiserver v1.36 as recorded in
// shared/k8s-api-transcripts/. It keeps the real server's semantics for what vtag uses: one cluster-wide
// resourceVersion, 409 Conflict/AlreadyExists, generation, the status subresource split, label/field selectors,
// pagination, watch (resume, 410 Expired, bookmarks, streaming lists), finalizers, owner-reference GC,
// merge/JSON patch, server-side apply with field ownership, CRD registration and structural-schema admission.
//
// What the real server checks or does that this one does NOT:
// - Authorization: off by default (every authenticated user may do everything; 403 via `faults.forbid`).
//   With `authorization: .rbac`, Roles, ClusterRoles (with aggregation) and their bindings stored in the
//   server decide, impersonation needs the impersonate verb, SelfSubjectAccessReview answers, writes of roles
//   and bindings are checked for escalation (`escalate`/`bind`); no nonResourceURLs (discovery is open to every
//   authenticated user), and escalation messages list each missing permission on its own line.
// - CEL: `x-kubernetes-validations` are compiled at CRD creation (422 for rules that do not compile or are
//   estimated too costly, with an approximation of the real cost model) and evaluated on every write,
//   transition rules included. Only a subset of CEL is implemented (Sources/KubeTestServer/CEL): a rule using
//   anything else is refused at CRD creation, never passed. `matches` uses NSRegularExpression, not RE2.
// - OpenAPI validation is a subset: type, required, enum, minimum/maximum (+exclusive), minLength/maxLength,
//   pattern (NSRegularExpression, not RE2), min/maxItems, min/maxProperties, uniqueItems, multipleOf,
//   additionalProperties, nullable, x-kubernetes-preserve-unknown-fields, x-kubernetes-int-or-string,
//   date-time format. Not checked: other formats, oneOf/anyOf/allOf/not, x-kubernetes-list-type uniqueness,
//   embedded resources, ratcheting. Validation messages follow the real ones but may differ in wording/order.
// - ObjectMeta is validated for every kind (names, generateName, labels, annotations, owner references,
//   finalizers). Built-in kinds get no OpenAPI validation beyond: events.k8s.io eventTime required,
//   MicroTime fields (Lease acquire/renewTime, Event eventTime/series) need a fraction, ConfigMap/Secret data
//   <= 1 MiB. Unknown fields of built-in kinds are neither pruned nor warned about.
// - core/v1 Events and events.k8s.io/v1 Events are separate stores (the real server serves one store in two
//   shapes); no event series folding or rate limiting.
// - Objects over 1.5 MiB are refused with 413 RequestEntityTooLarge ("etcdserver: request is too large").
// - Lists and continue tokens always read the current state (no snapshot at the token's resourceVersion);
//   `resourceVersionMatch=Exact` at an uncompacted older version returns the current state. Revisions expire
//   for lists by `compactionInterval` (etcd) and for watches by `watchWindow` (the watch cache).
// - Watches: field selectors on watches support only metadata.name/metadata.namespace; no server-side
//   backpressure (a slow client buffers in memory); watches without timeoutSeconds never time out.
// - Garbage collection and namespace deletion are asynchronous, like kube-controller-manager's: they run
//   `foregroundDeletionDelay` after the request that left work (or at `runControllers()`), in one pass each
//   (the real ones may be caught half-way). Namespace conditions are set on the controller's first pass.
// - Server-side apply: ownership is tracked on leaf fields (map nodes carry no "." entry); list-map merge keys come
//   from the CRD schema (x-kubernetes-list-type: map) and metadata (ownerReferences by uid, finalizers as a set);
//   built-in kinds' lists are atomic. managedFields are otherwise faithful enough for conflicts and force.
// - Strategic merge patch on built-in kinds is applied as a JSON merge patch (no patch strategies).
// - No admission webhooks, no API priority and fairness, no audit, no conversion webhooks (multi-version CRDs
//   only rewrite apiVersion), no dry-run for every path (dryRun=All is honoured by create/update/patch/delete).
// - Lists include apiVersion/kind on each item for every kind (the real server omits them for built-in kinds).
import Foundation
import KubeCore
import NIOCore
import Synchronization

public final class KubeAPITestServer: Sendable {
    public struct Options: Sendable {
        /// Paths of CRD YAML files (multi-document allowed) installed at start.
        public var crdFiles: [String]
        /// Events retained for watches that resume from a resourceVersion; older ones get 410 Gone.
        public var watchWindow: Int
        /// How often watches with allowWatchBookmarks=true get a BOOKMARK. The real API server sends the first
        /// about a minute into a watch (and one 2 s before its timeoutSeconds), hence the default.
        public var bookmarkInterval: Duration
        /// How often etcd is compacted, to the revision seen one interval earlier (the API server's default is
        /// 5 minutes): continue tokens and `resourceVersionMatch=Exact` lists older than that are 410 Expired.
        public var compactionInterval: Duration
        /// Bearer token -> user.
        public var tokens: [String: String]
        /// Without credentials: 401 (true) or user system:anonymous (false).
        public var requireAuth: Bool
        /// Namespaces that exist at start.
        public var namespaces: [String]
        /// Delay of the controller-manager's passes after a request that left work: the garbage collector
        /// (dependents of deleted owners, foreground and orphan deletion, dangling owners) and the namespace
        /// controller (emptying and removing Terminating namespaces). The real ones act within a second.
        public var foregroundDeletionDelay: Duration
        /// Keep `requests()` (the most recent 20,000). Benchmarks pushing 100,000 objects turn it off.
        public var recordRequests: Bool
        /// Who may do what: everyone everything (the default), or RBAC from the Role, ClusterRole and binding
        /// objects stored in the server, with the real 403 bodies.
        public var authorization: Authorization
        /// Groups of token or certificate users (ServiceAccount users get theirs from their name). The default
        /// makes the default token's user an administrator, as in a kind cluster.
        public var userGroups: [String: [String]]

        /// Offer HTTP/2 by ALPN, as kube-apiserver does: clients that speak it (AsyncHTTPClient, so K8sClient and
        /// the operator) then send every request and watch over one connection. false: HTTP/1.1 only.
        public var http2: Bool = true

        public enum Authorization: Sendable, Equatable {
            case alwaysAllow
            case rbac
        }

        public init(crdFiles: [String] = [], watchWindow: Int = 10_000, bookmarkInterval: Duration = .seconds(60),
                    tokens: [String: String] = ["test-token": "test-user"], requireAuth: Bool = true,
                    namespaces: [String] = ["default", "kube-system", "kube-public"],
                    foregroundDeletionDelay: Duration = .milliseconds(50), recordRequests: Bool = true,
                    compactionInterval: Duration = .seconds(300), authorization: Authorization = .alwaysAllow,
                    userGroups: [String: [String]] = ["test-user": ["system:masters"]]) {
            self.authorization = authorization
            self.userGroups = userGroups
            self.crdFiles = crdFiles
            self.watchWindow = watchWindow
            self.bookmarkInterval = bookmarkInterval
            self.compactionInterval = compactionInterval
            self.tokens = tokens
            self.requireAuth = requireAuth
            self.namespaces = namespaces
            self.foregroundDeletionDelay = foregroundDeletionDelay
            self.recordRequests = recordRequests
        }
    }

    /// "https://127.0.0.1:PORT"
    public let url: String
    /// A kubeconfig for this server: CA data, token "test-token", context "test", namespace "default".
    public let kubeconfigPath: String
    public let certificates: TestCertificates
    public let faults: FaultInjector
    /// Per-server scratch directory (kubeconfig, files tests write).
    public let directory: String
    let core: APIServerCore
    let listener: HTTPSListener

    public var port: Int { listener.port }

    private init(core: APIServerCore, listener: HTTPSListener, certificates: TestCertificates, directory: String) throws {
        self.core = core
        self.listener = listener
        self.certificates = certificates
        self.faults = core.faults
        self.directory = directory
        url = "https://127.0.0.1:\(listener.port)"
        kubeconfigPath = (directory as NSString).appendingPathComponent("kubeconfig")
        try writeKubeconfig(to: kubeconfigPath, user: .token("test-token"))
    }

    public static func start(_ options: Options = .init()) async throws -> KubeAPITestServer {
        let certs = try TestCertificates.shared()
        let store = ClusterStore(watchWindow: options.watchWindow, compactionInterval: options.compactionInterval)
        let faults = FaultInjector(
            dropWatches: {
                let sinks = store.state.withLock { $0.closeAllWatches() }
                sinks.forEach { $0.abort() }
            },
            compact: { store.state.withLock { $0.log.compact(upTo: $0.rv) } },
            compactStorage: { store.state.withLock { $0.storage.compactNow(to: $0.rv) } })
        let core = APIServerCore(store: store, options: options, faults: faults)
        for ns in options.namespaces {
            try core.install(["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(ns)]], source: "Options.namespaces")
        }
        for file in options.crdFiles {
            for doc in try manifestDocuments(at: file, what: "CRD file") where doc["kind"]?.stringValue == "CustomResourceDefinition" {
                try core.install(doc, source: file)
            }
        }
        let listener = try await HTTPSListener(api: core, certificates: certs)
        core.port.withLock { $0 = listener.port }
        let dir = NSTemporaryDirectory() + "vtag-kube-\(listener.port)-\(UUID().uuidString.prefix(8))"
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            return try KubeAPITestServer(core: core, listener: listener, certificates: certs, directory: dir)
        } catch {
            try? await listener.shutdown()
            throw error
        }
    }

    /// Creates the objects of a YAML manifest file (multi-document; `edit` may change or drop each, e.g. to
    /// remove a verb from a ClusterRole), as `kubectl create -f` would, bypassing authorization.
    public func install(manifestAt path: String, edit: (JSONValue) -> JSONValue? = { $0 }) throws {
        for doc in try Self.manifestDocuments(at: path, what: "manifest") where doc["kind"] != nil {
            guard let object = edit(doc) else { continue }
            try core.install(object, source: path)
        }
    }

    /// Creates one object as `kubectl create` would (e.g. a binding a test needs), bypassing authorization.
    public func install(_ object: JSONValue) throws {
        try core.install(object, source: "\(object["kind"]?.stringValue ?? "object") \(object[path: "metadata", "name"]?.stringValue ?? "")")
    }

    /// The documents of a (multi-document) YAML file, with an error naming the file.
    static func manifestDocuments(at path: String, what: String) throws -> [JSONValue] {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw TestServerError("cannot read \(what) \(path): \(error.localizedDescription)")
        }
        do { return try YAMLJSON.parseAll(text) } catch {
            throw TestServerError("\(what) \(path) is not valid YAML: \(error)")
        }
    }

    /// Runs the garbage collector's and namespace controller's pending work now, instead of after
    /// `foregroundDeletionDelay` (for tests that replay a recorded timeline step by step).
    public func runControllers() {
        core.store.state.withLock { $0.runControllers(now: Date()) }
    }

    /// Writes a kubeconfig for this server with the given credentials and trust.
    public func writeKubeconfig(to path: String, user: KubeconfigUser, trust: KubeconfigTrust = .caData,
                                context: String = "test", namespace: String = "default") throws {
        let yaml = kubeconfigYAML(server: url, certs: certificates, user: user, trust: trust, context: context, namespace: namespace)
        do {
            try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw TestServerError("cannot write kubeconfig \(path): \(error.localizedDescription)")
        }
    }

    /// A new bearer token for `user`, valid until the server stops, as the TokenRequest API hands one to a
    /// ServiceAccount ("system:serviceaccount:NS:NAME" users get the ServiceAccount groups).
    public func issueToken(for user: String) -> String {
        let token = "issued-" + UUID().uuidString.lowercased()
        core.issuedTokens.withLock { $0[token] = user }
        return token
    }

    /// Every request so far (the most recent 20,000), oldest first.
    public func requests() -> [RecordedRequest] { core.recorded.withLock { $0 } }

    public func clearRequests() { core.recorded.withLock { $0 = [] } }

    /// How many requests the server answered, by verb, resource and namespace (counted even with
    /// `recordRequests` off, so a benchmark of 100,000 objects can say what each one cost).
    public func requestTally() -> RequestTally { RequestTally(counts: core.tally.withLock { $0 }) }

    /// The current cluster-wide resourceVersion.
    public var resourceVersion: Int64 { core.store.state.withLock { $0.rv } }

    /// TCP connections accepted so far: over HTTP/2 a client's requests and watches share one, and a second
    /// one means the first was broken (GOAWAY, reset) or the client chose HTTP/1.1.
    public var acceptedConnections: Int { listener.acceptedConnections }

    /// Number of open watch streams (all kinds).
    public var openWatches: Int { core.store.state.withLock { $0.watchers.values.reduce(0) { $0 + $1.count } } }

    /// Stored object, bypassing HTTP (nil when absent). `namespace` nil for cluster-scoped kinds.
    public func object(group: String, plural: String, namespace: String?, name: String) -> JSONValue? {
        core.store.state.withLock { $0.get(ObjectKey(type: "\(group)/\(plural)", namespace: namespace ?? "", name: name))?.object }
    }

    /// Calls `observer` with every change of the kind from now on (any namespace), as it is stored: a benchmark
    /// follows progress this way without a watch of its own, whose event stream would cost the server CPU the
    /// measured client does not cause. It runs under the cluster's lock, in resourceVersion order: keep it short.
    public func observe(group: String, plural: String, _ observer: @escaping @Sendable (ObservedChange) -> Void) {
        core.store.state.withLock { $0.observers["\(group)/\(plural)", default: []].append(observer) }
    }

    public func shutdown() async throws {
        let sinks = core.store.state.withLock { $0.closeAllWatches() }
        sinks.forEach { $0.abort() }
        try await listener.shutdown()
        try? FileManager.default.removeItem(atPath: directory)
    }
}

extension APIServerCore {
    /// Creates an object without HTTP (start-up namespaces and CRD files), with full admission.
    func install(_ object: JSONValue, source: String) throws {
        let av = object["apiVersion"]?.stringValue ?? ""
        let parts = av.split(separator: "/")
        let group = parts.count == 2 ? String(parts[0]) : ""
        let version = String(parts.last ?? "")
        try store.state.withLock { cluster in
            guard let t = cluster.types.values.first(where: { $0.group == group && $0.kind == object["kind"]?.stringValue && $0.version(version) != nil }) else {
                throw TestServerError("\(source): the server does not serve \(av) \(object["kind"]?.stringValue ?? "?")")
            }
            let c = RequestContext(type: t, version: version, namespace: t.namespaced ? (object[path: "metadata", "namespace"]?.stringValue ?? "default") : nil,
                                   name: nil, subresource: nil, query: [:], headers: [:], body: Data(), user: "system:admin", now: Date())
            do {
                _ = try cluster.createObject(object, c, manager: "kube-apiserver", operation: "Update")
            } catch let e as APIError {
                throw TestServerError("\(source): \(object[path: "metadata", "name"]?.stringValue ?? "?") was refused: \(e.status.message ?? "") (\(e.code))")
            }
        }
    }
}
