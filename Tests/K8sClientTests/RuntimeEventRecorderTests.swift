import Foundation
import KubeTestServer
import Testing
@testable import K8sClient

@Suite("Event recorder against the API test server")
struct RuntimeEventRecorderTests {
    func subject(_ name: String) -> ConfigMap {
        var cm = configMap(name)
        cm.metadata.uid = "uid-\(name)"
        return cm
    }

    @Test func repeatedEventsFoldIntoOneWithACount() async throws {
        try await withRuntimeTestServer { server, client in
            let metrics = TestMetrics()
            let recorder = EventRecorder(client: client, .init(component: "vtag-test", instance: "pod-1", metricsFactory: metrics))
            let obj = subject("folded")
            // Recorded before the sender runs: never blocks, folded in the buffer.
            for _ in 0..<5 { recorder.record(obj, type: .warning, reason: "InvalidRegex", message: "spec.match does not compile") }
            recorder.record(obj, reason: "Synced", message: "ok")
            #expect(recorder.pendingCount == 2)
            let run = Task { try await recorder.run() }
            defer { run.cancel() }
            let api = Api<CoreV1Event>(client: client, namespace: "default")
            try await eventually("events created") { try await api.list().items.count == 2 }
            for _ in 0..<3 { recorder.record(obj, type: .warning, reason: "InvalidRegex", message: "spec.match does not compile") }
            try await eventually("count patched") {
                try await api.list().items.first { $0.reason == "InvalidRegex" }?.count == 8
            }
            let events = try await api.list().items
            #expect(events.count == 2)
            let warning = try #require(events.first { $0.reason == "InvalidRegex" })
            #expect(warning.type == "Warning")
            #expect(warning.involvedObject.name == "folded")
            #expect(warning.involvedObject.kind == "ConfigMap")
            #expect(warning.source?.component == "vtag-test")
            #expect(events.first { $0.reason == "Synced" }?.count == 1)
            #expect(metrics.value("events_dropped_total", [("reason", "buffer_full")]) == 0)
        }
    }

    @Test func rateLimitedPerObject() async throws {
        try await withRuntimeTestServer { server, client in
            let metrics = TestMetrics()
            let recorder = EventRecorder(client: client, .init(component: "vtag-test", burst: 2, refillInterval: .seconds(3600), metricsFactory: metrics))
            let noisy = subject("noisy"), quiet = subject("quiet")
            for i in 0..<4 { recorder.record(noisy, reason: "Step\(i)", message: "step \(i)") }
            recorder.record(quiet, reason: "Step0", message: "step 0")
            let run = Task { try await recorder.run() }
            defer { run.cancel() }
            let api = Api<CoreV1Event>(client: client, namespace: "default")
            try await eventually("sent") { metrics.value("events_sent_total") == 3 }
            try await eventually("dropped") { metrics.value("events_dropped_total", [("reason", "rate_limited")]) == 2 }
            let events = try await api.list().items
            #expect(events.filter { $0.involvedObject.name == "noisy" }.count == 2)
            #expect(events.filter { $0.involvedObject.name == "quiet" }.count == 1)
        }
    }

    @Test func fullBufferDropsInsteadOfBlocking() async throws {
        try await withRuntimeTestServer { server, client in
            let metrics = TestMetrics()
            let recorder = EventRecorder(client: client, .init(component: "vtag-test", bufferSize: 2, metricsFactory: metrics))
            let obj = subject("busy")
            recorder.record(obj, reason: "A", message: "a")
            recorder.record(obj, reason: "B", message: "b")
            recorder.record(obj, reason: "C", message: "c")  // no room: dropped, counted
            recorder.record(obj, reason: "A", message: "a")  // folds into the waiting one: no room needed
            #expect(recorder.pendingCount == 2)
            #expect(metrics.value("events_dropped_total", [("reason", "buffer_full")]) == 1)
            let run = Task { try await recorder.run() }
            defer { run.cancel() }
            let api = Api<CoreV1Event>(client: client, namespace: "default")
            try await eventually("sent") { try await api.list().items.count == 2 }
            #expect(try await api.list().items.first { $0.reason == "A" }?.count == 2)
        }
    }

    @Test func manyObjectsOfOneKindShareOneCombinedEvent() async throws {
        try await withRuntimeTestServer { server, client in
            let metrics = TestMetrics()
            let recorder = EventRecorder(client: client, .init(
                component: "vtag-test", aggregateAfter: 3, aggregateFlushInterval: .zero, metricsFactory: metrics))
            for i in 0..<8 { recorder.record(subject("cm-\(i)"), reason: "TagsApplied", message: "env=prod on \(i)") }
            // Another reason, and the same objects again, are not combined with them.
            recorder.record(subject("cm-7"), type: .warning, reason: "Invalid", message: "bad")
            recorder.record(subject("cm-0"), reason: "TagsApplied", message: "env=dev on 0")
            let run = Task { try await recorder.run() }
            defer { run.cancel() }
            let api = Api<CoreV1Event>(client: client, namespace: "default")
            try await eventually("sent") { try await api.list().items.count == 6 }
            let applied = try await api.list().items.filter { $0.reason == "TagsApplied" }
            #expect(Set(applied.filter { $0.count == 1 }.map(\.involvedObject.name)) == ["cm-0", "cm-1", "cm-2"])
            let combined = try #require(applied.first { ($0.message ?? "").hasPrefix("(combined") })
            #expect(combined.count == 5)
            #expect(combined.involvedObject.name == "cm-3")
            #expect(combined.message?.contains("5 TagsApplied events about ConfigMaps") == true)
            #expect(combined.message?.hasSuffix("cm-7: env=prod on 7") == true)

            // Later ones join the same Event: its count and latest message move, no new object.
            for i in 8..<12 { recorder.record(subject("cm-\(i)"), reason: "TagsApplied", message: "env=prod on \(i)") }
            try await eventually("count patched") {
                try await api.list().items.first { ($0.message ?? "").hasPrefix("(combined") }?.count == 9
            }
            let events = try await api.list().items
            #expect(events.count == 6)
            #expect(events.first { $0.count == 9 }?.message?.hasSuffix("cm-11: env=prod on 11") == true)
            #expect(metrics.value("events_dropped_total", [("reason", "rate_limited")]) == 0)
        }
    }
}
