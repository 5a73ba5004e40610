import Foundation
import KubeCore
import NIOCore

/// The cluster state behind one lock.
final class ClusterStore: Sendable {
    let state: Locked<Cluster>
    init(watchWindow: Int, compactionInterval: Duration = .seconds(300)) {
        state = Locked(Cluster(watchWindow: watchWindow, compactionInterval: compactionInterval))
    }
}

/// Routing, authentication, fault injection, recording, and the watch machinery.
final class APIServerCore: Sendable {
    let store: ClusterStore
    let options: KubeAPITestServer.Options
    let faults: FaultInjector
    let recorded = Locked<[RecordedRequest]>([])
    /// Tokens made while the server runs (`issueToken(for:)`), next to `options.tokens`.
    let issuedTokens = Locked<[String: String]>([:])
    /// Every request counted by what it did, kept whether or not `recordRequests` is on.
    let tally = Locked<[RequestTally.Key: Int]>([:])
    let port = Locked(0)
    static let maxRecorded = 20_000

    init(store: ClusterStore, options: KubeAPITestServer.Options, faults: FaultInjector) {
        self.store = store
        self.options = options
        self.faults = faults
    }

    // MARK: routing

    struct Route {
        var group: String
        var version: String
        var namespace: String?
        var plural: String
        var name: String?
        var subresource: String?
    }

    enum Target {
        case nonResource(String)
        case discoveryRoot
        case coreVersions
        case groups
        case group(String)
        case resources(group: String, version: String)
        case resource(Route)
        case invalid
    }

    func target(_ path: String, cluster: Cluster) -> Target {
        let seg = path.split(separator: "/").map(String.init)
        guard let first = seg.first else { return .discoveryRoot }
        var group = "", version = "", rest: ArraySlice<String> = []
        switch first {
        case "api":
            if seg.count == 1 { return .coreVersions }
            version = seg[1]
            if seg.count == 2 { return .resources(group: "", version: version) }
            rest = seg[2...]
        case "apis":
            if seg.count == 1 { return .groups }
            group = seg[1]
            if seg.count == 2 { return .group(group) }
            version = seg[2]
            if seg.count == 3 { return .resources(group: group, version: version) }
            rest = seg[3...]
        default:
            return .nonResource(path)
        }
        let r = Array(rest)
        if r[0] == "namespaces", r.count >= 3 {
            if r.count == 3, cluster.type(group: group, version: version, plural: r[2])?.namespaced != true {
                return .resource(Route(group: group, version: version, namespace: nil, plural: "namespaces", name: r[1], subresource: r[2]))
            }
            guard r.count <= 5 else { return .invalid }
            return .resource(Route(group: group, version: version, namespace: r[1], plural: r[2],
                                   name: r.count > 3 ? r[3] : nil, subresource: r.count > 4 ? r[4] : nil))
        }
        guard r.count <= 3 else { return .invalid }
        return .resource(Route(group: group, version: version, namespace: nil, plural: r[0],
                               name: r.count > 1 ? r[1] : nil, subresource: r.count > 2 ? r[2] : nil))
    }

    static func verb(method: String, hasName: Bool, query: [String: String]) -> String {
        switch method {
        case "GET", "HEAD":
            if let w = query["watch"], w == "true" || w == "1" { return "watch" }
            return hasName ? "get" : "list"
        case "POST": return "create"
        case "PUT": return "update"
        case "PATCH": return "patch"
        case "DELETE": return hasName ? "delete" : "deletecollection"
        default: return method.lowercased()
        }
    }

    // MARK: handling

    func handle(_ req: APIRequest, channel: any Channel, onClose: (@escaping @Sendable () -> Void) -> Void) -> APIAnswer {
        let tgt = store.state.withLock { target(req.path, cluster: $0) }
        var record = RecordedRequest(
            method: req.method, path: req.path, query: req.query, headers: req.headers,
            body: req.body.isEmpty ? nil : req.body, user: nil, verb: "", resource: "", subresource: nil,
            namespace: nil, name: nil, apiGroup: "", apiVersion: "", responseStatus: 0, httpVersion: req.httpVersion)
        if case .resource(let r) = tgt {
            record.verb = Self.verb(method: req.method, hasName: r.name != nil, query: req.query)
            record.resource = r.plural
            record.subresource = r.subresource
            record.namespace = r.namespace
            record.name = r.name
            record.apiGroup = r.group
            record.apiVersion = r.group.isEmpty ? r.version : "\(r.group)/\(r.version)"
        }
        let answer = respond(req, tgt, &record, channel: channel, onClose: onClose)
        switch answer {
        case .response(let status, _, _): record.responseStatus = status
        case .streaming: record.responseStatus = 200
        }
        tally.withLock { $0[RequestTally.Key(record), default: 0] += 1 }
        guard options.recordRequests else { return answer }
        recorded.withLock { r in
            if r.count >= Self.maxRecorded { r.removeFirst(r.count / 2) }
            r.append(record)
        }
        return answer
    }

    private func errorAnswer(_ e: APIError) -> APIAnswer {
        .response(status: e.code, headers: e.headers, body: e.body())
    }

    private func respond(_ req: APIRequest, _ tgt: Target, _ record: inout RecordedRequest, channel: any Channel,
                         onClose: (@escaping @Sendable () -> Void) -> Void) -> APIAnswer {
        // Health and version are public, like system:public-info-viewer.
        if case .nonResource(let p) = tgt, ["/healthz", "/readyz", "/livez", "/version"].contains(p) {
            if let f = faults.takeFailure(path: req.path) { return errorAnswer(FaultInjector.failureStatus(f)) }
            if p == "/version" { return json(Discovery.version()) }
            return .response(status: 200, headers: [("Content-Type", "text/plain")], body: Array("ok".utf8))
        }
        // Authentication.
        var user: String?
        if let cn = req.certificateUser { user = cn }
        if let auth = req.headers["authorization"] {
            let parts = auth.split(separator: " ", maxSplits: 1)
            let token = parts.count == 2 && parts[0].lowercased() == "bearer" ? String(parts[1]).trimmingCharacters(in: .whitespaces) : ""
            if let u = options.tokens[token] ?? issuedTokens.withLock({ $0[token] }) {
                user = user ?? u
            } else if user == nil {
                return errorAnswer(APIError(401, "Unauthorized", "Unauthorized"))
            }
        }
        if user == nil {
            if options.requireAuth { return errorAnswer(APIError(401, "Unauthorized", "Unauthorized")) }
            user = "system:anonymous"
        }
        var info = UserInfo(name: user!, extraGroups: options.userGroups[user!] ?? [])
        if let imp = req.headers["impersonate-user"], !imp.isEmpty {
            let extra = (req.headers["impersonate-group"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            if options.authorization == .rbac {
                // Impersonating needs the impersonate verb on users (serviceaccounts for a ServiceAccount).
                let sa = imp.split(separator: ":").map(String.init)
                let attrs = sa.count == 4 && imp.hasPrefix("system:serviceaccount:")
                    ? AccessAttributes(verb: "impersonate", group: "", resource: "serviceaccounts", namespace: sa[2], name: sa[3])
                    : AccessAttributes(verb: "impersonate", group: "", resource: "users", name: imp)
                let decision = store.state.withLock { $0.authorize(info, attrs) }
                if !decision.allowed { return errorAnswer(Cluster.forbidden(info.name, attrs)) }
            }
            user = imp
            info = UserInfo(name: imp, extraGroups: extra)
        }
        record.user = user
        if let f = faults.takeFailure(path: req.path) { return errorAnswer(FaultInjector.failureStatus(f)) }

        let cluster = store
        switch tgt {
        case .nonResource, .invalid:
            return errorAnswer(APIError(404, "NotFound", "the server could not find the requested resource", details: .init()))
        case .discoveryRoot:
            return json(["paths": ["/api", "/api/v1", "/apis", "/healthz", "/readyz", "/livez", "/version"]])
        case .coreVersions:
            let p = port.withLock { $0 }
            return json(["kind": "APIVersions", "versions": ["v1"],
                         "serverAddressByClientCIDRs": [["clientCIDR": "0.0.0.0/0", "serverAddress": .string("127.0.0.1:\(p)")]]])
        case .groups:
            return json(cluster.state.withLock { Discovery.groupList($0) })
        case .group(let g):
            guard let doc = cluster.state.withLock({ Discovery.group($0, g) }) else { return errorAnswer(.resourceNotFound) }
            return json(doc)
        case .resources(let g, let v):
            guard let doc = cluster.state.withLock({ Discovery.resourceList($0, group: g, version: v) }) else { return errorAnswer(.resourceNotFound) }
            return json(doc)
        case .resource(let r):
            let verb = record.verb
            let resourceName = r.subresource.map { "\(r.plural)/\($0)" } ?? r.plural
            let attrs = AccessAttributes(verb: verb, group: r.group, resource: r.plural, subresource: r.subresource,
                                         namespace: r.namespace, name: r.name)
            if faults.isForbidden(verb: verb, resource: resourceName, user: user!) {
                return errorAnswer(Cluster.forbidden(user!, attrs))
            }
            // Every authenticated user may review itself (system:basic-user).
            if let review = SelfReview.answer(req, r, verb: verb, user: info, options: options, store: store) {
                return review
            }
            // Authorization comes first: a forbidden get of a missing object is 403, not 404.
            if options.authorization == .rbac, !(store.state.withLock { $0.authorize(info, attrs) }.allowed) {
                return errorAnswer(Cluster.forbidden(user!, attrs))
            }
            return resource(req, r, verb: verb, user: user!, requester: options.authorization == .rbac ? info : nil,
                            channel: channel, onClose: onClose)
        }
    }

    private func json(_ v: JSONValue) -> APIAnswer {
        .response(status: 200, headers: [], body: Array(v.compactData()))
    }

    private func resource(_ req: APIRequest, _ r: Route, verb: String, user: String, requester: UserInfo?, channel: any Channel,
                          onClose: (@escaping @Sendable () -> Void) -> Void) -> APIAnswer {
        do {
            guard let t = store.state.withLock({ $0.type(group: r.group, version: r.version, plural: r.plural) }) else {
                throw APIError.resourceNotFound
            }
            if let s = r.subresource, !(s == "status" && t.hasStatus(r.version)) { throw APIError.resourceNotFound }
            if t.namespaced == false, r.namespace != nil { throw APIError.resourceNotFound }
            var c = RequestContext(type: t, version: r.version, namespace: t.namespaced ? r.namespace : nil, name: r.name,
                                   subresource: r.subresource, query: req.query, headers: req.headers, body: req.body,
                                   user: user, now: Date())
            c.requester = requester
            if verb == "watch" { return try startWatch(c, channel: channel, onClose: onClose) }
            if r.subresource != nil, !["get", "update", "patch"].contains(verb) { throw APIError.methodNotAllowed(req.method) }
            let (reply, foreground) = try store.state.withLock { cluster throws -> (Reply, Bool) in
                let reply: Reply
                switch verb {
                case "get": reply = try cluster.getObject(c)
                case "list": reply = try cluster.list(c)
                case "create":
                    guard r.name == nil else { throw APIError.methodNotAllowed(req.method) }
                    reply = try cluster.create(c)
                case "update": reply = try cluster.update(c)
                case "patch": reply = try cluster.patch(c)
                case "delete": reply = try cluster.delete(c)
                case "deletecollection":
                    guard t.verbs.contains("deletecollection") else { throw APIError.methodNotAllowed(req.method) }
                    reply = try cluster.deleteCollection(c)
                default: throw APIError.methodNotAllowed(req.method)
                }
                return (reply, cluster.hasControllerWork)
            }
            if foreground { scheduleControllers() }
            return .response(status: reply.status, headers: reply.headers, body: reply.body)
        } catch let e as APIError {
            return errorAnswer(e)
        } catch {
            return errorAnswer(APIError(500, "InternalError", "Internal error occurred: \(error)"))
        }
    }

    /// The garbage collector and namespace controller act shortly after the request, like the
    /// controller-manager's (its work can itself leave work, e.g. a namespace waiting for a finalizer: the
    /// pass after the next write takes it up). Not on the connection's event loop: a request still being answered
    /// when the server shuts down would schedule on a loop that is gone (NIO's debug builds stop the process on the
    /// promise that leaves behind).
    func scheduleControllers() {
        let store = self.store
        let delay = options.foregroundDeletionDelay
        Task {
            try? await Task.sleep(for: delay)
            store.state.withLock { $0.runControllers(now: Date()) }
        }
    }

    // MARK: watch

    private func startWatch(_ c: RequestContext, channel: any Channel, onClose: (@escaping @Sendable () -> Void) -> Void) throws -> APIAnswer {
        let (ls, fs) = try Cluster.selectors(c)
        let rvParam = c.query["resourceVersion"] ?? ""
        let sendInitial = c.query["sendInitialEvents"] == "true"
        let bookmarks = c.query["allowWatchBookmarks"] == "true"
        // sendInitialEvents without allowWatchBookmarks is accepted: the client just cannot tell where the
        // initial events end.
        try Cluster.validateListOptions(c, watch: true)
        var fromRV: Int64?
        if !rvParam.isEmpty && rvParam != "0" {
            guard let v = Int64(rvParam) else { throw APIError.badRequest("invalid resource version: \(rvParam)") }
            fromRV = v
        }
        let timeout = Int(c.query["timeoutSeconds"] ?? "") ?? 0
        let sink = WatchSink(channel: channel)
        let id: Int? = store.state.withLock { cluster -> Int? in
            let id = cluster.nextWatcherID
            cluster.nextWatcherID += 1
            var w = Watcher(id: id, typeKey: c.type.key, namespace: c.type.namespaced ? c.namespace : nil,
                            labelSelector: ls, fieldSelector: fs, bookmarks: bookmarks, apiVersion: c.apiVersion,
                            kind: c.type.kind, sink: sink)
            sink.start()
            if fromRV == nil || sendInitial {
                // Synthetic ADDED events for what exists, in key order, then (with bookmarks) the
                // initial-events-end bookmark.
                for (ns, name) in cluster.sortedKeys(c.type, namespace: c.type.namespaced ? c.namespace : "") {
                    guard let so = cluster.objects[c.type.key]?[ns]?[name],
                          w.matches(namespace: ns, name: name, labels: labelsOf(so.object)),
                          fs == nil || Cluster.matches(so.object, LabelSelector(), fs) else { continue }
                    sink.send(watchEventLine("ADDED", cluster.present(so.bytes, c.type, c.apiVersion)))
                }
                if bookmarks {
                    sink.send(cluster.bookmark(w, initialEventsEnd: true))
                    w.sentBookmark = true
                }
            } else if let from = fromRV {
                if from < cluster.log.compactedRV {
                    let status = StatusResponse(message: "too old resource version: \(from) (\(cluster.log.compactedRV))", reason: "Expired", code: 410)
                    sink.send(watchEventLine("ERROR", APIError.encode(status)))
                    sink.finish()
                    return nil
                }
                for e in cluster.log.events(after: from) where e.typeKey == c.type.key {
                    guard let type = w.filter(e) else { continue }
                    sink.send(watchEventLine(type, cluster.present(e.bytes, c.type, c.apiVersion)))
                }
            }
            cluster.addWatcher(w)
            return id
        }
        guard let id else { return .streaming }
        let store = self.store
        let typeKey = c.type.key
        onClose {
            sink.closed()
            _ = store.state.withLock { $0.removeWatcher(typeKey: typeKey, id: id) }
        }
        let loop = channel.eventLoop
        if bookmarks {
            let interval = options.bookmarkInterval
            let ns = Int64(interval.components.seconds) * 1_000_000_000 + interval.components.attoseconds / 1_000_000_000
            let task = loop.scheduleRepeatedTask(initialDelay: .nanoseconds(ns), delay: .nanoseconds(max(ns, 1_000_000))) { _ in
                store.state.withLock { $0.sendBookmark(typeKey: typeKey, id: id) }
            }
            sink.addTimer { task.cancel() }
        }
        if timeout > 0 {
            // Like the watch cache: a watch that got no bookmark yet gets one 2 s before its deadline.
            if bookmarks && timeout > 2 {
                let pre = loop.scheduleTask(in: .seconds(Int64(timeout - 2))) {
                    store.state.withLock { $0.sendBookmark(typeKey: typeKey, id: id, onlyIfNone: true) }
                }
                sink.addTimer { pre.cancel() }
            }
            let task = loop.scheduleTask(in: .seconds(Int64(timeout))) {
                _ = store.state.withLock { $0.removeWatcher(typeKey: typeKey, id: id) }
                sink.finish()
            }
            sink.addTimer { task.cancel() }
        }
        return .streaming
    }
}
