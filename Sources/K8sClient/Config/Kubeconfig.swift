import Foundation

/// One or more kubeconfig files merged with kubectl's rules: for `current-context` and for each named
/// cluster, user and context, the first file that sets it wins. Every entry remembers the file it came
/// from, so relative paths resolve against that file's directory and errors name it.
public struct Kubeconfig: Sendable {
    public struct Sourced<Value: Sendable & Hashable>: Sendable, Hashable {
        public var value: Value
        /// The file that defined this entry.
        public var file: String
    }

    public var currentContext: Sourced<String>?
    public var clusters: [String: Sourced<ClusterEntry>] = [:]
    public var users: [String: Sourced<UserEntry>] = [:]
    public var contexts: [String: Sourced<ContextEntry>] = [:]
    /// The files merged, in order.
    public var files: [String] = []

    public init() {}

    /// Loads and merges files in order. A missing file is skipped when `skipMissing` (the KUBECONFIG
    /// list behaves so in kubectl), else it is an error.
    public static func load(paths: [String], skipMissing: Bool = false) throws -> Kubeconfig {
        var merged = Kubeconfig()
        for path in paths where !path.isEmpty {
            guard FileManager.default.fileExists(atPath: path) else {
                if skipMissing { continue }
                throw KubeClientError.configuration(.init(file: path, "file does not exist"))
            }
            let text: String
            do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
                throw KubeClientError.configuration(.init(file: path, "cannot read: \(error.localizedDescription)"))
            }
            try merged.merge(KubeconfigFile.parse(text, file: path), from: path)
        }
        if merged.files.isEmpty {
            throw KubeClientError.configuration(.init(file: paths.joined(separator: ":"), "none of the kubeconfig files exist"))
        }
        return merged
    }

    /// Parses kubeconfig text as if it were the file at `path` (relative paths resolve against its directory).
    public static func parse(_ text: String, path: String) throws -> Kubeconfig {
        var k = Kubeconfig()
        try k.merge(KubeconfigFile.parse(text, file: path), from: path)
        return k
    }

    mutating func merge(_ file: KubeconfigFile, from path: String) throws {
        files.append(path)
        if currentContext == nil, let c = file.currentContext, !c.isEmpty { currentContext = Sourced(value: c, file: path) }
        func add<V>(_ list: [KubeconfigFile.Named<V>]?, into map: inout [String: Sourced<V>], section: String) throws {
            for (i, entry) in (list ?? []).enumerated() {
                guard !entry.name.isEmpty else { throw KubeClientError.configuration(.init(file: path, field: "\(section)[\(i)].name", "name is empty")) }
                guard let value = entry.value else {
                    throw KubeClientError.configuration(.init(file: path, field: "\(section)[\(entry.name)]", "entry has no \(section.dropLast()) body"))
                }
                if map[entry.name] == nil { map[entry.name] = Sourced(value: value, file: path) }
            }
        }
        try add(file.clusters, into: &clusters, section: "clusters")
        try add(file.users, into: &users, section: "users")
        try add(file.contexts, into: &contexts, section: "contexts")
    }

    /// Resolves a context (default: current-context) into what a client needs to connect.
    public func resolve(context override: String? = nil) throws -> ClientConfiguration {
        let fileList = files.joined(separator: ":")
        guard let contextName = override ?? currentContext?.value else {
            throw KubeClientError.configuration(.init(file: fileList, field: "current-context", "no current-context is set and no --context was given"))
        }
        guard let context = contexts[contextName] else {
            let known = contexts.keys.sorted().joined(separator: ", ")
            throw KubeClientError.configuration(.init(
                file: override == nil ? currentContext?.file : fileList, context: contextName, field: "contexts",
                "no context named \"\(contextName)\" (known: \(known.isEmpty ? "none" : known))"))
        }
        let ctxFile = context.file
        guard let clusterName = context.value.cluster, !clusterName.isEmpty else {
            throw KubeClientError.configuration(.init(file: ctxFile, context: contextName, field: "contexts[\(contextName)].context.cluster", "no cluster is set"))
        }
        guard let cluster = clusters[clusterName] else {
            throw KubeClientError.configuration(.init(file: ctxFile, context: contextName, field: "contexts[\(contextName)].context.cluster", "no cluster named \"\(clusterName)\""))
        }
        let cFile = cluster.file
        let cField = "clusters[\(clusterName)].cluster"
        func fail(_ file: String, _ field: String, _ message: String) -> KubeClientError {
            KubeClientError.configuration(.init(file: file, context: contextName, field: field, message))
        }
        guard let serverText = cluster.value.server, !serverText.isEmpty else {
            throw fail(cFile, "\(cField).server", "no server is set")
        }
        guard let server = URL(string: serverText), let scheme = server.scheme, ["https", "http"].contains(scheme), server.host != nil else {
            throw fail(cFile, "\(cField).server", "\"\(serverText)\" is not an http(s) URL")
        }

        var tls = TLSSettings()
        tls.insecureSkipVerify = cluster.value.insecureSkipTLSVerify ?? false
        tls.serverName = cluster.value.tlsServerName
        if let data = cluster.value.certificateAuthorityData, !data.isEmpty {
            tls.caPEM = try Self.base64(data, fail: fail(cFile, "\(cField).certificate-authority-data", "not valid base64"))
            try TLSSettings.validateCertificates(tls.caPEM!, error: fail(cFile, "\(cField).certificate-authority-data", "does not hold a PEM certificate"))
        } else if let path = cluster.value.certificateAuthority, !path.isEmpty {
            let full = Self.resolvePath(path, relativeTo: cFile)
            tls.caPEM = try Self.readFile(full, fail: { fail(cFile, "\(cField).certificate-authority", "cannot read \(full): \($0)") })
            try TLSSettings.validateCertificates(tls.caPEM!, error: fail(cFile, "\(cField).certificate-authority", "\(full) does not hold a PEM certificate"))
        }

        var auth = AuthSource.none
        if let userName = context.value.user, !userName.isEmpty {
            guard let user = users[userName] else {
                throw fail(ctxFile, "contexts[\(contextName)].context.user", "no user named \"\(userName)\"")
            }
            let uFile = user.file
            let uField = "users[\(userName)].user"
            let u = user.value
            if let provider = u.authProvider {
                throw fail(uFile, "\(uField).auth-provider", "auth-provider \"\(provider.name ?? "?")\" plugins are not supported; use an exec credential plugin")
            }
            // Client certificate (may combine with a token or exec).
            if let certData = u.clientCertificateData, !certData.isEmpty {
                tls.clientCertificatePEM = try Self.base64(certData, fail: fail(uFile, "\(uField).client-certificate-data", "not valid base64"))
            } else if let path = u.clientCertificate, !path.isEmpty {
                let full = Self.resolvePath(path, relativeTo: uFile)
                tls.clientCertificatePEM = try Self.readFile(full, fail: { fail(uFile, "\(uField).client-certificate", "cannot read \(full): \($0)") })
            }
            if let keyData = u.clientKeyData, !keyData.isEmpty {
                tls.clientKeyPEM = try Self.base64(keyData, fail: fail(uFile, "\(uField).client-key-data", "not valid base64"))
            } else if let path = u.clientKey, !path.isEmpty {
                let full = Self.resolvePath(path, relativeTo: uFile)
                tls.clientKeyPEM = try Self.readFile(full, fail: { fail(uFile, "\(uField).client-key", "cannot read \(full): \($0)") })
            }
            switch (tls.clientCertificatePEM, tls.clientKeyPEM) {
            case (.some(let cert), .some(let key)):
                try TLSSettings.validateCertificates(cert, error: fail(uFile, "\(uField).client-certificate", "does not hold a PEM certificate"))
                try TLSSettings.validateKey(key, error: fail(uFile, "\(uField).client-key", "does not hold a PEM private key"))
            case (.some, nil): throw fail(uFile, "\(uField).client-key", "client-certificate is set but client-key is missing")
            case (nil, .some): throw fail(uFile, "\(uField).client-certificate", "client-key is set but client-certificate is missing")
            case (nil, nil): break
            }

            if let token = u.token, !token.isEmpty {
                auth = .token(token)
            } else if let path = u.tokenFile, !path.isEmpty {
                let full = Self.resolvePath(path, relativeTo: uFile)
                guard FileManager.default.isReadableFile(atPath: full) else {
                    throw fail(uFile, "\(uField).tokenFile", "cannot read \(full)")
                }
                auth = .tokenFile(full)
            } else if let exec = u.exec {
                let version = exec.apiVersion ?? ""
                guard ExecCredentialPlugin.supportedVersions.contains(version) else {
                    throw fail(uFile, "\(uField).exec.apiVersion",
                               "\"\(version)\" is not supported (use \(ExecCredentialPlugin.supportedVersions.joined(separator: " or ")))")
                }
                guard !exec.command.isEmpty else { throw fail(uFile, "\(uField).exec.command", "command is empty") }
                auth = .exec(ExecSpec(
                    config: exec, kubeconfigDirectory: (uFile as NSString).deletingLastPathComponent,
                    cluster: exec.provideClusterInfo == true
                        ? .init(server: serverText, certificateAuthorityData: tls.caPEM.map { Data($0).base64EncodedString() },
                                insecureSkipTLSVerify: tls.insecureSkipVerify)
                        : nil,
                    source: "\(uFile) users[\(userName)].user.exec"))
            } else if let name = u.username, let password = u.password {
                auth = .basic(username: name, password: password)
            }
        }

        return ClientConfiguration(
            server: server, tls: tls, auth: auth,
            namespace: (context.value.namespace?.isEmpty == false ? context.value.namespace! : "default"),
            source: "kubeconfig \(ctxFile) context \"\(contextName)\"")
    }

    static func resolvePath(_ path: String, relativeTo file: String) -> String {
        if path.hasPrefix("/") { return path }
        if path.hasPrefix("~/"), let home = ProcessInfo.processInfo.environment["HOME"] { return home + path.dropFirst(1) }
        let dir = (file as NSString).deletingLastPathComponent
        return dir.isEmpty ? path : (dir as NSString).appendingPathComponent(path)
    }

    static func base64(_ text: String, fail: @autoclosure () -> KubeClientError) throws -> [UInt8] {
        let cleaned = text.filter { !$0.isWhitespace }
        guard let data = Data(base64Encoded: cleaned) else { throw fail() }
        return Array(data)
    }

    static func readFile(_ path: String, fail: (String) -> KubeClientError) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw fail(FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file")
        }
        return Array(data)
    }
}
