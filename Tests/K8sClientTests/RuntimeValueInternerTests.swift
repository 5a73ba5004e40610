import Testing
@testable import K8sClient

/// ValueInterner: equal values come back as one shared copy; a full table starts over.
@Suite struct RuntimeValueInternerTests {
    /// The address of an array's storage: equal for two arrays that share it.
    func storage(_ a: [String]) -> UnsafeRawPointer? { a.withUnsafeBufferPointer { $0.baseAddress.map(UnsafeRawPointer.init) } }

    @Test func equalValuesShareOneCopy() {
        let intern = ValueInterner<[String]>()
        let first = intern(["cost-center", "owner"])
        let second = intern(["cost-center", "owner"])
        let other = intern(["team"])
        #expect(first == second)
        #expect(storage(first) == storage(second))
        #expect(storage(first) != storage(other))
        #expect(intern.count == 2)
    }

    @Test func prepareRunsOnlyForANewValue() {
        let intern = ValueInterner<[String]>()
        var prepared = 0
        let first = intern(["a"]) { prepared += 1; return $0 }
        let again = intern(["a"]) { prepared += 1; return $0 }
        #expect(prepared == 1)
        #expect(first == ["a"] && again == ["a"])
        #expect(intern(nil as [String]?) == nil)
    }

    @Test func aFullTableStartsOverAndKeepsSharing() {
        let intern = ValueInterner<[String]>(capacity: 2)
        _ = intern(["a"])
        _ = intern(["b"])
        #expect(intern.count == 2)
        let c = intern(["c"])
        #expect(intern.count == 1)  // started over with ["c"]
        #expect(storage(intern(["c"])) == storage(c))
        #expect(intern(["a"]) == ["a"])
    }
}
