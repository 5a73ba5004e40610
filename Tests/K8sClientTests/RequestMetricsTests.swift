import Testing
@testable import K8sClient

@Suite("REST client metrics")
struct RequestMetricsTests {
    @Test func countsEveryAnswerWithOneCounterPerLabelSet() {
        let factory = TestMetrics()
        let metrics = RequestMetrics(factory: factory)
        metrics.record(code: "200", method: "PATCH", verb: "patch", nanoseconds: 1_000_000)
        metrics.record(code: "200", method: "PATCH", verb: "patch", nanoseconds: 2_000_000)
        metrics.record(code: "409", method: "PATCH", verb: "patch", nanoseconds: 3_000_000)
        metrics.record(code: "201", method: "POST", verb: "create", nanoseconds: 4_000_000)

        #expect(factory.value("rest_client_requests_total", [("code", "200"), ("method", "PATCH")]) == 2)
        #expect(factory.value("rest_client_requests_total", [("code", "409"), ("method", "PATCH")]) == 1)
        #expect(factory.value("rest_client_requests_total", [("code", "201"), ("method", "POST")]) == 1)
        #expect(factory.sampleCount("rest_client_request_duration_seconds", [("verb", "patch")]) == 3)
        #expect(factory.sampleCount("rest_client_request_duration_seconds", [("verb", "create")]) == 1)
        // Three label sets of the counter, two of the timer: each made once, not once per request.
        #expect(factory.handlersMade == 5)
    }
}
