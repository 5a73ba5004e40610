import Foundation
import Testing
import VTagTestSupport
@testable import K8sClient

@Suite("Store and informer (no server)")
struct RuntimeStoreTests {
    @Test func initialListSyncsAndEmitsListEvents() async throws {
        let informer = manualInformer(Widget.self)
        let seen = Shared<[String]>([])
        informer.addHandler { e in
            switch e {
            case .added(let w, let fromList): seen.with { $0.append("add \(w.name) \(fromList)") }
            case .updated(_, let w, let fromList): seen.with { $0.append("update \(w.name) \(fromList)") }
            case .deleted(let w): seen.with { $0.append("delete \(w.name)") }
            }
        }
        #expect(!informer.hasSynced)
        await informer.handle(.restarted([Widget("a", rv: 1), Widget("b", rv: 2)]))
        #expect(informer.hasSynced)
        #expect(try await withDeadline { await informer.waitForSync(); return true })
        #expect(Set(seen.value) == ["add a true", "add b true"])
        await informer.handle(.applied(Widget("a", rv: 3, spec: ["x": "1"])))
        await informer.handle(.deleted(Widget("b", rv: 4)))
        #expect(seen.value.suffix(2) == ["update a false", "delete b"])
        #expect(informer.store.get(name: "a", namespace: "default")?.spec == ["x": "1"])
        #expect(informer.store.get(name: "b", namespace: "default") == nil)
    }

    @Test func relistEmitsOnlyTheDifference() async throws {
        let informer = manualInformer(Widget.self)
        await informer.handle(.restarted([Widget("same", rv: 1), Widget("changed", rv: 2), Widget("gone", rv: 3)]))
        let seen = Shared<[String]>([])
        informer.addHandler { e in
            switch e {
            case .added(let w, _): seen.with { $0.append("add \(w.name)") }
            case .updated(_, let w, _): seen.with { $0.append("update \(w.name)") }
            case .deleted(let w): seen.with { $0.append("delete \(w.name)") }
            }
        }
        await informer.handle(.restarted([Widget("same", rv: 1), Widget("changed", rv: 5), Widget("new", rv: 6)]))
        #expect(Set(seen.value) == ["update changed", "add new", "delete gone"])
        #expect(informer.store.count == 3)
    }

    @Test func namespaceAndCustomIndexesFollowChanges() async throws {
        let store = Store<Widget>(indexes: ["team": { [$0.metadata.labels?["team"] ?? ""] }])
        let informer = manualInformer(store: store)
        await informer.handle(.restarted([
            Widget("a", namespace: "ns1", rv: 1, labels: ["team": "red"]),
            Widget("b", namespace: "ns1", rv: 2, labels: ["team": "blue"]),
            Widget("c", namespace: "ns2", rv: 3, labels: ["team": "red"]),
        ]))
        #expect(Set(store.list(namespace: "ns1").map(\.name)) == ["a", "b"])
        #expect(Set(store.byIndex("team", "red").map(\.name)) == ["a", "c"])
        // A label change moves the object between index values.
        await informer.handle(.applied(Widget("a", namespace: "ns1", rv: 4, labels: ["team": "blue"])))
        #expect(Set(store.byIndex("team", "red").map(\.name)) == ["c"])
        #expect(Set(store.byIndex("team", "blue").map(\.name)) == ["a", "b"])
        await informer.handle(.deleted(Widget("c", namespace: "ns2", rv: 5)))
        #expect(store.byIndex("team", "red").isEmpty)
        #expect(store.list(namespace: "ns2").isEmpty)
        #expect(!store.indexValues("team").contains("red"))
        // An index added later files what is already cached.
        store.addIndex("name-length") { [String($0.name.count)] }
        #expect(store.byIndex("name-length", "1").count == 2)
        #expect(store.byIndex("no-such-index", "x").isEmpty)
    }

    /// A store without the namespace index answers the same lookups by namespace (a scan of the keys), through
    /// changes and deletions.
    @Test func lookupsByNamespaceWithoutTheIndexAnswerTheSame() async throws {
        let indexed = Store<Widget>()
        let scanned = Store<Widget>(indexesNamespaces: false)
        let objects = [Widget("a", namespace: "ns1", rv: 1), Widget("b", namespace: "ns1", rv: 2), Widget("c", namespace: "ns2", rv: 3)]
        for store in [indexed, scanned] {
            let informer = manualInformer(store: store)
            await informer.handle(.restarted(objects))
            await informer.handle(.applied(Widget("d", namespace: "ns2", rv: 4)))
            await informer.handle(.deleted(Widget("c", namespace: "ns2", rv: 5)))
        }
        for namespace in ["ns1", "ns2", "none"] {
            #expect(Set(scanned.list(namespace: namespace).map(\.name)) == Set(indexed.list(namespace: namespace).map(\.name)))
            #expect(Set(scanned.keys(index: Store<Widget>.namespaceIndex, value: namespace))
                    == Set(indexed.keys(index: Store<Widget>.namespaceIndex, value: namespace)))
        }
        #expect(Set(scanned.list(namespace: "ns2").map(\.name)) == ["d"])
        #expect(Set(scanned.indexValues(Store<Widget>.namespaceIndex)) == ["ns1", "ns2"])
        #expect(Set(indexed.indexValues(Store<Widget>.namespaceIndex)) == ["ns1", "ns2"])
    }

    /// An index value goes from one key to several and back (a value with one key is held without a Set):
    /// each step lists exactly the keys filed under it, and a value with none left is gone.
    @Test func anIndexValueGrowsFromOneKeyToManyAndBack() async throws {
        let store = Store<Widget>(indexes: ["team": { [$0.metadata.labels?["team"] ?? ""] }])
        let informer = manualInformer(store: store)
        await informer.handle(.restarted([Widget("a", rv: 1, labels: ["team": "red"])]))
        #expect(store.keys(index: "team", value: "red") == [ObjectKey(namespace: "default", name: "a")])
        // The same object stored again stays filed once.
        await informer.handle(.applied(Widget("a", rv: 2, labels: ["team": "red"])))
        #expect(store.keys(index: "team", value: "red").count == 1)
        for (i, name) in ["b", "c"].enumerated() { await informer.handle(.applied(Widget(name, rv: 3 + i, labels: ["team": "red"]))) }
        #expect(Set(store.byIndex("team", "red").map(\.name)) == ["a", "b", "c"])
        await informer.handle(.deleted(Widget("b", rv: 6)))
        await informer.handle(.applied(Widget("a", rv: 7, labels: ["team": "blue"])))
        #expect(store.keys(index: "team", value: "red") == [ObjectKey(namespace: "default", name: "c")])
        #expect(store.byIndex("team", "blue").map(\.name) == ["a"])
        await informer.handle(.applied(Widget("b", rv: 8, labels: ["team": "red"])))
        #expect(Set(store.keys(index: "team", value: "red").map(\.name)) == ["b", "c"])
        for name in ["b", "c"] { await informer.handle(.deleted(Widget(name, rv: 9))) }
        #expect(store.keys(index: "team", value: "red").isEmpty)
        #expect(Set(store.indexValues("team")) == ["blue"])
        #expect(store.list(namespace: "default").map(\.name) == ["a"])
    }

    @Test func forEachVisitsWhatListReturns() async throws {
        let informer = manualInformer(Widget.self)
        await informer.handle(.restarted([Widget("a", rv: 1), Widget("b", rv: 2), Widget("c", rv: 3)]))
        await informer.handle(.applied(Widget("b", rv: 4, spec: ["x": "1"])))
        await informer.handle(.deleted(Widget("c", rv: 5)))
        var visited: [String: [String: String]] = [:]
        informer.store.forEach { visited[$0.name] = $0.spec }
        #expect(visited == ["a": [:], "b": ["x": "1"]])
        #expect(Set(informer.store.list().map(\.name)) == Set(visited.keys))
    }

    @Test func transformRunsBeforeStoring() async throws {
        let store = Store<Widget>(transform: { w in
            var w = w
            w.metadata.annotations = nil
            w.spec.removeValue(forKey: "big")
            return w
        })
        let informer = manualInformer(store: store)
        var w = Widget("a", rv: 1, spec: ["big": String(repeating: "x", count: 10_000), "keep": "1"])
        w.metadata.annotations = ["kubectl.kubernetes.io/last-applied-configuration": "{...}"]
        await informer.handle(.restarted([w]))
        let cached = try #require(store.get(name: "a", namespace: "default"))
        #expect(cached.spec == ["keep": "1"])
        #expect(cached.metadata.annotations == nil)
        // Also on watch events and on noteWrite.
        w.metadata.resourceVersion = "2"
        await informer.handle(.applied(w))
        #expect(store.get(name: "a", namespace: "default")?.spec["big"] == nil)
        w.metadata.resourceVersion = "3"
        store.noteWrite(w)
        #expect(store.get(name: "a", namespace: "default")?.spec["big"] == nil)
        #expect(store.get(name: "a", namespace: "default")?.metadata.resourceVersion == "3")
    }

    @Test func readYourOwnWritesNeverGoesBackwards() async throws {
        let informer = manualInformer(Widget.self)
        let store = informer.store
        await informer.handle(.restarted([Widget("a", rv: 10, spec: ["v": "old"])]))
        // The controller writes; the server answers with rv 20.
        store.noteWrite(Widget("a", rv: 20, spec: ["v": "mine"]))
        #expect(store.get(name: "a", namespace: "default")?.spec["v"] == "mine")
        // A lagging watch delivers an older state: the cache keeps the written one.
        await informer.handle(.applied(Widget("a", rv: 15, spec: ["v": "lagging"])))
        #expect(store.get(name: "a", namespace: "default")?.spec["v"] == "mine")
        // A relist from before the write does not roll it back either.
        await informer.handle(.restarted([Widget("a", rv: 12, spec: ["v": "relisted-old"])]))
        #expect(store.get(name: "a", namespace: "default")?.spec["v"] == "mine")
        // Once the watch reaches the write, the watch wins again.
        await informer.handle(.applied(Widget("a", rv: 20, spec: ["v": "mine"])))
        await informer.handle(.applied(Widget("a", rv: 21, spec: ["v": "theirs"])))
        #expect(store.get(name: "a", namespace: "default")?.spec["v"] == "theirs")
        // A stale write record does not override a newer cache state.
        store.noteWrite(Widget("a", rv: 19, spec: ["v": "stale"]))
        #expect(store.get(name: "a", namespace: "default")?.spec["v"] == "theirs")
    }

    @Test func theEchoOfTwoWritesInARowTellsWhatBothChanged() async throws {
        let store = Store<Widget>()
        let informer = manualInformer(store: store)
        let seen = Shared<[String]>([])
        informer.addHandler { e in
            if case .updated(let old, let new, _) = e { seen.with { $0.append("\(old.spec["v"] ?? "-") -> \(new.spec["v"] ?? "-") at \(new.metadata.resourceVersion ?? "")") } }
        }
        await informer.handle(.restarted([Widget("a", rv: 10, spec: ["v": "old"])]))
        store.noteWrite(Widget("a", rv: 20, spec: ["v": "first"]))
        store.noteWrite(Widget("a", rv: 21, spec: ["v": "second"]))
        await informer.handle(.applied(Widget("a", rv: 20, spec: ["v": "first"])))
        #expect(seen.value.isEmpty, "the echo of the first write is older than the cache")
        await informer.handle(.applied(Widget("a", rv: 21, spec: ["v": "second"])))
        #expect(seen.value == ["old -> second at 21"])
    }

    /// The watch's echo of our own write finds that very version cached: handlers hear of it, and it is not
    /// transformed, packed and stored a second time. The next change is stored as usual.
    @Test func theEchoOfOurOwnWriteIsHandedOnWithoutBeingStoredAgain() async throws {
        final class Packed: Sendable {
            let widget: Widget
            init(_ widget: Widget) { self.widget = widget }
        }
        let packs = Shared(0)
        let unpacks = Shared(0)
        let transforms = Shared(0)
        let store = Store<Widget>(
            transform: { w in
                transforms.with { $0 += 1 }
                return w
            },
            packing: .init(
                pack: { w in
                    packs.with { $0 += 1 }
                    return Packed(w)
                },
                unpack: { packed, _ in
                    unpacks.with { $0 += 1 }
                    return unsafeDowncast(packed, to: Packed.self).widget
                }))
        let informer = manualInformer(store: store)
        let seen = Shared<[String]>([])
        informer.addHandler { e in
            if case .updated(let old, let new, _) = e { seen.with { $0.append("\(old.spec["v"] ?? "-") -> \(new.spec["v"] ?? "-") at \(new.metadata.resourceVersion ?? "")") } }
        }
        await informer.handle(.restarted([Widget("a", rv: 10, spec: ["v": "old"])]))
        store.noteWrite(Widget("a", rv: 20, spec: ["v": "mine"]))
        #expect(packs.value == 2)
        #expect(transforms.value == 2)
        let unpackedBeforeEcho = unpacks.value
        await informer.handle(.applied(Widget("a", rv: 20, spec: ["v": "mine"])))
        #expect(seen.value == ["old -> mine at 20"], "the echo's event tells what our write changed")
        #expect(packs.value == 2, "the echo is not packed again")
        #expect(transforms.value == 2, "nor transformed")
        #expect(unpacks.value == unpackedBeforeEcho + 1, "only the state before the write is unpacked: the written one is at hand")
        #expect(store.get(name: "a", namespace: "default")?.spec["v"] == "mine")
        // The write record is used up: the next state is a change, stored as usual.
        await informer.handle(.applied(Widget("a", rv: 21, spec: ["v": "theirs"])))
        #expect(seen.value.last == "mine -> theirs at 21")
        #expect(packs.value == 3)
        #expect(store.get(name: "a", namespace: "default")?.spec["v"] == "theirs")
    }

    @Test func createdObjectSurvivesARelistThatPredatesIt() async throws {
        let informer = manualInformer(Widget.self)
        let store = informer.store
        await informer.handle(.restarted([Widget("old", rv: 5)]))
        store.noteWrite(Widget("created", rv: 9))
        await informer.handle(.restarted([Widget("old", rv: 5)]))
        #expect(store.get(name: "created", namespace: "default") != nil)
        // A relist that is newer than the write and lacks the object means it was deleted.
        await informer.handle(.restarted([Widget("old", rv: 11)]))
        #expect(store.get(name: "created", namespace: "default") == nil)
    }

    @Test func aLateDeleteOfAnEarlierObjectDoesNotRemoveTheOneCreatedSince() async throws {
        let informer = manualInformer(Widget.self)
        let store = informer.store
        await informer.handle(.restarted([Widget("a", rv: 5, spec: ["v": "first"])]))
        // We delete "a" and create it again at once; the server answers the create before the watch
        // has delivered the delete.
        var again = Widget("a", rv: 8, spec: ["v": "second"])
        again.metadata.uid = "uid-second"
        store.noteWrite(again)
        var deleted = Widget("a", rv: 6, spec: ["v": "first"])
        await informer.handle(.deleted(deleted))
        #expect(store.get(name: "a", namespace: "default")?.spec["v"] == "second")
        // Without uids, the resourceVersion of our write decides the same way.
        deleted.metadata.uid = nil
        var unnamed = again
        unnamed.metadata.uid = nil
        unnamed.metadata.resourceVersion = "9"
        store.noteWrite(unnamed)
        await informer.handle(.deleted(deleted))
        #expect(store.get(name: "a", namespace: "default")?.metadata.resourceVersion == "9")
        // The delete of the object we created does remove it.
        await informer.handle(.deleted(unnamed))
        #expect(store.get(name: "a", namespace: "default") == nil)
    }

    @Test func readYourOwnDeletes() async throws {
        let store = Store<Widget>()
        let informer = manualInformer(store: store)
        let seen = Shared<[String]>([])
        informer.addHandler { e in
            switch e {
            case .added(let w, _): seen.with { $0.append("add \(w.name) \(w.metadata.resourceVersion ?? "")") }
            case .updated(_, let w, _): seen.with { $0.append("update \(w.name) \(w.metadata.resourceVersion ?? "")") }
            case .deleted(let w): seen.with { $0.append("delete \(w.name)") }
            }
        }
        var first = Widget("a", rv: 5, spec: ["v": "first"])
        first.metadata.uid = "uid-first"
        await informer.handle(.restarted([first]))
        // We delete "a": it leaves the cache at once.
        store.noteDelete(first)
        #expect(store.get(name: "a", namespace: "default") == nil)
        // A lagging watch state of the deleted object, or a relist from before the delete, does not bring it back.
        var lagging = first
        lagging.metadata.resourceVersion = "6"
        await informer.handle(.applied(lagging))
        await informer.handle(.restarted([lagging]))
        #expect(store.get(name: "a", namespace: "default") == nil)
        // We create it again before the watch delivers the delete; the late DELETED event leaves the new one.
        var second = Widget("a", rv: 8, spec: ["v": "second"])
        second.metadata.uid = "uid-second"
        store.noteWrite(second)
        await informer.handle(.deleted(lagging))
        #expect(store.get(name: "a", namespace: "default")?.spec["v"] == "second")
        // Handlers still hear of our own delete when its event arrives and the name is free.
        store.noteDelete(second)
        await informer.handle(.deleted(second))
        #expect(seen.value.last == "delete a")
        #expect(store.get(name: "a", namespace: "default") == nil)
    }

    @Test func aDeleteRecordForAnotherObjectOfThatNameIsIgnored() async throws {
        let informer = manualInformer(Widget.self)
        let store = informer.store
        var current = Widget("a", rv: 9, spec: ["v": "new"])
        current.metadata.uid = "uid-new"
        await informer.handle(.restarted([current]))
        var old = Widget("a", rv: 4, spec: ["v": "old"])
        old.metadata.uid = "uid-old"
        store.noteDelete(old)
        #expect(store.get(name: "a", namespace: "default")?.spec["v"] == "new")
    }

    @Test func resourceVersionOrdering() {
        #expect(ResourceVersion.isOlder("9", than: "10"))
        #expect(!ResourceVersion.isOlder("10", than: "9"))
        #expect(!ResourceVersion.isOlder("10", than: "10"))
        // Opaque versions cannot be ordered: never "older".
        #expect(!ResourceVersion.isOlder("abc", than: "10"))
        #expect(!ResourceVersion.isOlder(nil, than: "10"))
    }
}
