/// The manifest of a throwaway CustomResourceDefinition for tests: one version, served and stored, a status
/// subresource, and the OpenAPI schemas of `spec` and `status` written as YAML flow mappings. The same text
/// loads into the test server (`Options.crdFiles`, or a POST of the parsed document) and into a real API server.
public struct ThrowawayCRD: Sendable {
    public var group: String
    public var version: String
    public var kind: String
    public var plural: String
    public var singular: String
    public var namespaced: Bool
    /// The schema of `spec`, e.g. `{type: object, required: [size], properties: {size: {type: integer}}}`.
    public var spec: String
    /// The schema of `status`, e.g. `{type: object, properties: {phase: {type: string}}}`.
    public var status: String

    public init(group: String, version: String = "v1", kind: String, plural: String, singular: String? = nil, namespaced: Bool = true,
                spec: String, status: String) {
        self.group = group
        self.version = version
        self.kind = kind
        self.plural = plural
        self.singular = singular ?? kind.lowercased()
        self.namespaced = namespaced
        self.spec = spec
        self.status = status
    }

    /// `PLURAL.GROUP`, the CRD's object name.
    public var name: String { "\(plural).\(group)" }

    public var yaml: String {
        """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata: {name: \(name)}
        spec:
          group: \(group)
          scope: \(namespaced ? "Namespaced" : "Cluster")
          names: {plural: \(plural), singular: \(singular), kind: \(kind), listKind: \(kind)List}
          versions:
          - name: \(version)
            served: true
            storage: true
            subresources: {status: {}}
            schema:
              openAPIV3Schema:
                type: object
                properties:
                  spec: \(spec)
                  status: \(status)

        """
    }
}
