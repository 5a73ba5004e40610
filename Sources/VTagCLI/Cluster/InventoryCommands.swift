import ArgumentParser
import Discovery
import Foundation
import K8sClient
import KubeCore
import TaggingAPI

/// The field manager of `import`. Not kubectl-vtag: an apply by one manager removes the fields that
/// manager applied before and leaves out now, so importing under kubectl-vtag (which owns the people's
/// spec.manualTags through `tag`) would delete every manual tag. Its own manager keeps them apart.
let importFieldManager = "vtag-import"

/// `kubectl vtag import FILE`: CloudResources from an inventory file by server-side apply.
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Create or update CloudResources from an inventory file (CSV or JSON).",
        discussion: """
            Each row becomes the CloudResource discovery would create for it: the same deterministic name \
            (from provider and id), labels mirroring provider, type, account and region, and the row's tags \
            as native tags. Written by server-side apply (field manager vtag-import), so importing the same \
            file again changes nothing, and the people's manual tags are never touched. A bad row is \
            reported with its line and skipped; the good rows are imported, and the exit status is 1.

            Examples:
              kubectl vtag import estate.csv -n team-a
              kubectl vtag import export.json --dry-run
            """)

    @OptionGroup var cluster: ClusterOptions

    @Argument(help: ArgumentHelp("Inventory file: CSV (provider,id,type,name,account,region,tag:KEY...) or JSON.", valueName: "FILE"))
    var file: String

    @Option(name: .long, help: "csv or json (default: from the extension, else sniffed).")
    var format: InventoryFormat?

    @Flag(name: .long, help: "Send the requests as a server-side dry run: validate everything, write nothing.")
    var dryRun = false

    @Option(name: .long, help: "Requests in flight at once.")
    var concurrency: Int = 8

    static func object(for record: InventoryRecord, namespace: String) -> JSONValue {
        let spec = record.spec
        // Only the mirrored labels: discovery's own (job, managed-by) stay its own if it finds the resource too.
        let labels = CloudResource.mirrorLabels(for: spec)
        var specJSON: [String: JSONValue] = [
            "provider": .string(spec.provider), "id": .string(spec.id), "type": .string(spec.type),
        ]
        if let v = spec.name { specJSON["name"] = .string(v) }
        if let v = spec.account { specJSON["account"] = .string(v) }
        if let v = spec.region { specJSON["region"] = .string(v) }
        if let tags = spec.nativeTags { specJSON["nativeTags"] = .object(tags.mapValues { .string($0) }) }
        return .object([
            "apiVersion": .string(CloudResource.resource.apiVersion),
            "kind": .string(CloudResource.resource.kind),
            "metadata": .object([
                "name": .string(ResourceNaming.name(provider: spec.provider, id: spec.id)),
                "namespace": .string(namespace),
                "labels": .object(labels.mapValues { .string($0) }),
            ]),
            "spec": .object(specJSON),
        ])
    }

    static let rbacHint = "Import creates CloudResources by server-side apply, which needs create and patch on cloudresources.vtag.dev; vtag-editor grants only patch (people correct resources, discovery creates them), so bind a Role with create and patch on cloudresources for imports."

    enum Outcome: Sendable { case created, updated, unchanged, failed(String) }
    /// One row's answer in the import's task group: a named struct, never a tuple (Swift 6.3.1 release
    /// builds miscompile tuple child results; docs/ARCHITECTURE.md, "Release builds").
    struct RowOutcome: Sendable { let name: String; let outcome: Outcome }

    func run() async throws {
        guard concurrency > 0 else { throw ValidationError("--concurrency must be at least 1") }
        let console = Console.current
        let read: InventoryReadResult
        do { read = try InventoryReader.read(path: file, format: format) } catch { throw CLIError("\(error)") }
        for p in read.problems { console.note("\(p.description) (row skipped)") }

        // One object per name: a later row for the same resource wins, and is said so.
        var byName: [String: InventoryRecord] = [:]
        var order: [String] = []
        for r in read.records {
            let name = ResourceNaming.name(provider: r.provider, id: r.id)
            if byName[name] == nil { order.append(name) } else { console.note("\(file): \(r.provider) \(r.id) appears more than once; the last row wins") }
            byName[name] = r
        }

        let session = try cluster.connect()
        let api = session.api(CloudResource.self)
        let existing = try await session.run(.init("list", "cloudresources")) { try await api.listAll() }
        var versions: [String: String] = [:]
        for o in existing.items { if let n = o.metadata.name { versions[n] = o.metadata.resourceVersion ?? "" } }

        let params = PatchParams(fieldManager: importFieldManager, force: true, dryRun: dryRun)
        let namespace = session.namespace
        var outcomes: [String: Outcome] = [:]
        try await withThrowingTaskGroup(of: RowOutcome.self) { group in
            var next = 0
            func add() {
                let name = order[next]
                next += 1
                let body = Self.object(for: byName[name]!, namespace: namespace)
                let before = versions[name]
                group.addTask {
                    do {
                        let op = ClusterSession.Operation("patch", "cloudresources", name, rbacHint: Self.rbacHint)
                        let written = try await session.run(op) {
                            try await api.patch(name, .apply(body), params)
                        }
                        guard let before else { return RowOutcome(name: name, outcome: .created) }
                        return RowOutcome(name: name, outcome: written.metadata.resourceVersion == before ? .unchanged : .updated)
                    } catch let error as CLIError {
                        return RowOutcome(name: name, outcome: .failed(error.description))
                    }
                }
            }
            while next < order.count && next < concurrency { add() }
            for try await row in group {
                outcomes[row.name] = row.outcome
                if next < order.count { add() }
            }
        }

        var counts = (created: 0, updated: 0, unchanged: 0)
        var failures: [String] = []
        for name in order {
            switch outcomes[name] {
            case .created?: counts.created += 1
            case .updated?: counts.updated += 1
            case .unchanged?: counts.unchanged += 1
            case .failed(let m)?: failures.append(m)
            case nil: break
            }
        }
        for f in failures { console.note("error: \(f)") }
        let dry = dryRun ? " (dry run: nothing written)" : ""
        console.line("imported \(order.count - failures.count) of \(order.count) resources from \(file) into namespace \(namespace)\(dry): created \(counts.created), updated \(counts.updated), unchanged \(counts.unchanged)")
        if !failures.isEmpty || !read.problems.isEmpty {
            var parts: [String] = []
            if !read.problems.isEmpty { parts.append("\(read.problems.count) bad row\(read.problems.count == 1 ? "" : "s") skipped") }
            if !failures.isEmpty { parts.append("\(failures.count) resource\(failures.count == 1 ? "" : "s") not written") }
            throw CLIError(parts.joined(separator: ", ") + " (see the messages above); the other rows were imported")
        }
    }
}

/// `kubectl vtag export`: the namespace's CloudResources as an inventory, with their virtual tags.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the CloudResources as an inventory (CSV or JSON) with their virtual tags.",
        discussion: """
            One row per CloudResource, sorted by provider and id; the tag:KEY columns hold the applied \
            virtual tags (status.virtualTags, whatever their source), so a spreadsheet or a cost tool \
            sees the tags vtag gives. --native writes the cloud's own tags instead (a file import \
            reads back as it was).

            Examples:
              kubectl vtag export -n team-a > tagged.csv
              kubectl vtag export -A -o json -l vtag.dev/provider=aws > aws.json
            """)

    enum FileFormat: String, ExpressibleByArgument, CaseIterable { case csv, json }

    @OptionGroup var cluster: ClusterOptions

    @Flag(name: [.customShort("A"), .long], help: "CloudResources of every namespace.")
    var allNamespaces = false

    @Option(name: [.customShort("l"), .long], help: "Label selector, e.g. vtag.dev/region=eu-west-1.")
    var selector: String?

    @Option(name: [.short, .long], help: "csv or json.")
    var output: FileFormat = .csv

    @Flag(name: .long, help: "The tag columns hold the native tags instead of the virtual tags.")
    var native = false

    static func records(_ items: [CloudResource], native: Bool) -> [InventoryRecord] {
        items.map { r in
            var tags: [String: String] = [:]
            if native {
                tags = r.spec.nativeTags ?? [:]
            } else {
                for t in r.status?.virtualTags ?? [] { tags[t.key] = t.value }
            }
            return InventoryRecord(spec: r.spec, tags: tags)
        }.sorted { ($0.provider, $0.id) < ($1.provider, $1.id) }
    }

    func run() async throws {
        let session = try cluster.connect()
        let api = session.api(CloudResource.self, allNamespaces: allNamespaces)
        let list = try await session.run(.init("list", "cloudresources", allNamespaces: allNamespaces)) {
            try await api.listAll(ListParams(labelSelector: selector))
        }
        let records = Self.records(list.items, native: native)
        Console.current.write(output == .csv ? InventoryWriter.csv(records) : InventoryWriter.json(records))
        if records.isEmpty {
            Console.current.note("no CloudResources \(allNamespaces ? "in any namespace" : "in namespace \(session.namespace)")\(selector.map { " match -l \($0)" } ?? "")")
        }
    }
}

extension InventoryFormat: ExpressibleByArgument {}
