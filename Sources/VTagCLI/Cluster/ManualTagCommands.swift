import ArgumentParser
import Foundation
import K8sClient
import KubeCore
import TaggingAPI

/// Writes spec.manualTags of CloudResources, the one spec field people own. Server-side apply with the
/// field manager kubectl-vtag: discovery writes the rest of spec with merge patches that never name
/// manualTags, so it never overwrites them.
struct ManualTagWriter {
    var session: ClusterSession
    var api: Api<CloudResource> { session.api(CloudResource.self) }

    /// The resources named, or matched by the selector.
    func targets(name: String?, selector: String?) async throws -> [CloudResource] {
        if let name {
            return [try await session.run(.init("get", "cloudresources", name)) { try await api.get(name) }]
        }
        let list = try await session.run(.init("list", "cloudresources")) { try await api.listAll(ListParams(labelSelector: selector)) }
        guard !list.items.isEmpty else {
            throw CLIError("no CloudResource in namespace \(session.namespace) matches -l \(selector ?? "")")
        }
        return list.items.sorted { ($0.metadata.name ?? "") < ($1.metadata.name ?? "") }
    }

    /// Applies `manualTags` as the whole set kubectl-vtag manages on the resource (keys another writer
    /// set are included as they are, so they are kept).
    func apply(_ name: String, manualTags: [String: String]) async throws -> CloudResource {
        let body: JSONValue = .object([
            "apiVersion": .string(CloudResource.resource.apiVersion),
            "kind": .string(CloudResource.resource.kind),
            "metadata": .object(["name": .string(name), "namespace": .string(session.namespace)]),
            "spec": .object(["manualTags": .object(manualTags.mapValues { .string($0) })]),
        ])
        return try await session.run(.init("patch", "cloudresources", name)) {
            try await api.patch(name, .apply(body), PatchParams.apply(VTag.FieldManager.cli, force: true))
        }
    }

    /// Removes keys from manualTags whoever set them (a merge patch with nulls).
    func remove(_ name: String, keys: [String]) async throws -> CloudResource {
        let patch = Patch.merge(.object(["spec": .object(["manualTags": .object(Dictionary(uniqueKeysWithValues: keys.map { ($0, JSONValue.null) }))])]))
        return try await session.run(.init("patch", "cloudresources", name)) {
            try await api.patch(name, patch, PatchParams(fieldManager: VTag.FieldManager.cli))
        }
    }

    static func describe(_ tags: [String: String]) -> String {
        tags.isEmpty ? "none" : tags.sorted { $0.key < $1.key }.map { $0.value.isEmpty ? "\($0.key) (removed)" : "\($0.key)=\($0.value)" }.joined(separator: ", ")
    }
}

/// Splits `tag`'s arguments: a resource name (unless -l) then KEY=VALUE pairs.
func splitTagArguments(_ args: [String], selector: String?) throws -> (name: String?, rest: [String]) {
    if selector != nil { return (nil, args) }
    guard let first = args.first, !first.contains("=") else {
        throw ValidationError("name the CloudResource first (or select with -l), then the tags")
    }
    return (first, Array(args.dropFirst()))
}

struct TagCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tag",
        abstract: "Set manual virtual tags on CloudResources (they win over every other source).",
        discussion: """
            Sets spec.manualTags KEY=VALUE on the named CloudResource, or on every one -l selects. A manual \
            tag is applied with confidence 1.0 whatever rules, native tags or the model say, and discovery \
            never overwrites it (server-side apply, field manager kubectl-vtag). Remove one with untag.

            Examples:
              kubectl vtag tag aws-payments-api-9a1d3c5e7f team=payments env=prod
              kubectl vtag tag -l vtag.dev/account=123456789012 owner=ops@example.com -n a
            """)

    @OptionGroup var cluster: ClusterOptions

    @Argument(help: ArgumentHelp("RESOURCE (unless -l) then KEY=VALUE pairs.", valueName: "RESOURCE KEY=VALUE"))
    var arguments: [String] = []

    @Option(name: [.customShort("l"), .long], help: "Label selector instead of a name.")
    var selector: String?

    func parsed() throws -> (name: String?, tags: [String: String]) {
        let (name, rest) = try splitTagArguments(arguments, selector: selector)
        guard !rest.isEmpty else { throw ValidationError("give at least one KEY=VALUE") }
        var tags: [String: String] = [:]
        for pair in rest {
            guard let eq = pair.firstIndex(of: "="), eq != pair.startIndex else {
                throw ValidationError("\"\(pair)\" is not KEY=VALUE (to remove a tag use kubectl vtag untag)")
            }
            let value = String(pair[pair.index(after: eq)...])
            guard !value.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw ValidationError("\"\(pair)\" has an empty value: to remove a tag use kubectl vtag untag RESOURCE \(pair[..<eq])")
            }
            tags[String(pair[..<eq])] = value
        }
        return (name, tags)
    }

    func validate() throws { _ = try parsed() }

    func run() async throws {
        let (name, tags) = try parsed()
        let writer = ManualTagWriter(session: try cluster.connect())
        for r in try await writer.targets(name: name, selector: selector) {
            let n = r.metadata.name ?? ""
            let updated = try await writer.apply(n, manualTags: (r.spec.manualTags ?? [:]).merging(tags) { $1 })
            Console.current.line("cloudresource/\(n) tagged: manual tags now \(ManualTagWriter.describe(updated.spec.manualTags ?? [:]))")
        }
    }
}

struct UntagCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "untag",
        abstract: "Remove virtual tags from CloudResources by hand (or, with --reset, hand a key back to inference).",
        discussion: """
            By default sets spec.manualTags KEY to the empty value, which means "remove this \
            key": the resource gets no value for it from any source (rules, native tags, the model) until \
            the key is reset. --reset instead deletes the manual entry, so the key is inferred again like \
            any other.

            Examples:
              kubectl vtag untag aws-payments-api-9a1d3c5e7f owner
              kubectl vtag untag aws-payments-api-9a1d3c5e7f team --reset
              kubectl vtag untag -l vtag.dev/type=s3.bucket cost-center -n team-a
            """)

    @OptionGroup var cluster: ClusterOptions

    @Argument(help: ArgumentHelp("RESOURCE (unless -l) then KEYs.", valueName: "RESOURCE KEY"))
    var arguments: [String] = []

    @Option(name: [.customShort("l"), .long], help: "Label selector instead of a name.")
    var selector: String?

    @Flag(name: .long, help: "Delete the manual entries instead: the keys are inferred again.")
    var reset = false

    func parsed() throws -> (name: String?, keys: [String]) {
        let (name, keys) = try splitTagArguments(arguments, selector: selector)
        guard !keys.isEmpty else { throw ValidationError("give at least one KEY to remove") }
        if let bad = keys.first(where: { $0.contains("=") }) { throw ValidationError("\"\(bad)\": untag takes keys, not KEY=VALUE") }
        return (name, keys)
    }

    func validate() throws { _ = try parsed() }

    func run() async throws {
        let (name, keys) = try parsed()
        let writer = ManualTagWriter(session: try cluster.connect())
        for r in try await writer.targets(name: name, selector: selector) {
            let n = r.metadata.name ?? ""
            let updated: CloudResource
            if reset {
                updated = try await writer.remove(n, keys: keys)
            } else {
                var tags = r.spec.manualTags ?? [:]
                for k in keys { tags[k] = "" }
                updated = try await writer.apply(n, manualTags: tags)
            }
            Console.current.line("cloudresource/\(n) \(reset ? "reset" : "untagged") \(keys.joined(separator: ", ")): manual tags now \(ManualTagWriter.describe(updated.spec.manualTags ?? [:]))")
        }
    }
}
