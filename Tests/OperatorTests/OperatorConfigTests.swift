import ArgumentParser
import Testing

@testable import Operator

@Suite struct OperatorConfigTests {
    func resolve(_ args: [String], env: [String: String] = [:]) throws -> OperatorConfig {
        try OperatorConfig.resolve(OperatorOptions.parse(args), environment: env)
    }

    @Test func defaultsMatchTheDesign() throws {
        let c = try resolve([])
        #expect(c.autoApplyThreshold == 0.90)
        #expect(c.reviewThreshold == 0.70)
        #expect(c.requiredKeys == ["env", "team", "owner", "cost-center", "application"])
        #expect(c.metricsAddress == .init(host: "0.0.0.0", port: 8080))
        #expect(c.probeAddress == .init(host: "0.0.0.0", port: 8081))
        #expect(c.namespaces.isEmpty)
        #expect(c.leaderElect == false)
        #expect(c.reevaluateInterval == .seconds(3600))
        #expect(c.firstModelWait == .seconds(300))
        #expect(c.managerSettings(onCacheSynced: { _ in }).firstModelWait == .seconds(300))
        #expect(c.logFormat == .json)
        #expect(c.kubeAPIQPS == nil, "adaptive pacing unless a fixed limit is asked for")
        #expect(c.kubeAPIBurst == 100)
        #expect(c.kubeAPIHTTP2 == false, "requests over HTTP/1.1 connections unless asked")
    }

    @Test func http2ForRequestsComesFromFlagOrEnvironment() throws {
        #expect(try resolve(["--kube-api-http2"]).kubeAPIHTTP2)
        #expect(try resolve([], env: ["VTAG_KUBE_API_HTTP2": "true"]).kubeAPIHTTP2)
        #expect(try resolve([], env: ["VTAG_KUBE_API_HTTP2": "off"]).kubeAPIHTTP2 == false)
        do {
            _ = try resolve([], env: ["VTAG_KUBE_API_HTTP2": "sometimes"])
            Issue.record("an unreadable VTAG_KUBE_API_HTTP2 was accepted")
        } catch {
            #expect("\(error)".contains("VTAG_KUBE_API_HTTP2=sometimes must be true or false"))
        }
    }

    @Test func theClientRateLimitComesFromFlagsOrEnvironmentAndMustBePositive() throws {
        let env = ["VTAG_KUBE_API_QPS": "200", "VTAG_KUBE_API_BURST": "400"]
        let fromEnv = try resolve([], env: env)
        #expect(fromEnv.kubeAPIQPS == 200)
        #expect(fromEnv.kubeAPIBurst == 400)
        let fromFlags = try resolve(["--kube-api-qps", "12.5", "--kube-api-burst", "20"], env: env)
        #expect(fromFlags.kubeAPIQPS == 12.5)
        #expect(fromFlags.kubeAPIBurst == 20)
        do {
            _ = try resolve(["--kube-api-qps", "0"], env: ["VTAG_KUBE_API_BURST": "many"])
            Issue.record("a zero QPS and a non-numeric burst were accepted")
        } catch {
            #expect("\(error)".contains("--kube-api-qps must be a number above 0"))
            #expect("\(error)".contains("--kube-api-burst must be between 1 and 100000, got many"))
        }
    }

    @Test func theFirstModelsWaitComesFromFlagOrEnvironmentAndReachesTheManager() throws {
        let fromEnv = try resolve([], env: ["VTAG_FIRST_MODEL_WAIT": "2m"])
        #expect(fromEnv.firstModelWait == .seconds(120))
        let fromFlag = try resolve(["--first-model-wait", "90s"], env: ["VTAG_FIRST_MODEL_WAIT": "2m"])
        #expect(fromFlag.firstModelWait == .seconds(90))
        #expect(fromFlag.managerSettings(onCacheSynced: { _ in }).firstModelWait == .seconds(90))
        do {
            _ = try resolve(["--first-model-wait", "soon"])
            Issue.record("an unreadable wait was accepted")
        } catch {
            #expect("\(error)".contains("--first-model-wait"))
        }
    }

    @Test func flagsWinOverEnvironmentWhichWinsOverDefaults() throws {
        let env = ["AUTO_APPLY_THRESHOLD": "0.95", "MANUAL_REVIEW_THRESHOLD": "0.6", "REQUIRED_KEYS": "env, team", "VTAG_LEADER_ELECT": "true"]
        let fromEnv = try resolve([], env: env)
        #expect(fromEnv.autoApplyThreshold == 0.95)
        #expect(fromEnv.reviewThreshold == 0.6)
        #expect(fromEnv.requiredKeys == ["env", "team"])
        #expect(fromEnv.leaderElect)
        let fromFlags = try resolve(["--auto-apply-threshold", "0.8", "--required-keys", "owner", "--namespace", "a", "--namespace", "b"], env: env)
        #expect(fromFlags.autoApplyThreshold == 0.8)
        #expect(fromFlags.requiredKeys == ["owner"])
        #expect(fromFlags.namespaces == ["a", "b"])
    }

    @Test func reportsEveryProblemWithItsOrigin() {
        do {
            _ = try resolve(
                ["--review-threshold", "0.95", "--metrics-address", "nope", "--reevaluate-interval", "5d", "--log-format", "xml"],
                env: ["AUTO_APPLY_THRESHOLD": "1.5"])
            Issue.record("bad configuration accepted")
        } catch {
            let text = "\(error)"
            #expect(text.contains("AUTO_APPLY_THRESHOLD=1.5"))
            #expect(text.contains("--metrics-address \"nope\""))
            #expect(text.contains("--reevaluate-interval"))
            #expect(text.contains("--log-format must be json or text"))
            #expect(text.contains("must not exceed --auto-apply-threshold"))
        }
    }

    @Test(arguments: [
        (":9090", "0.0.0.0", 9090), ("127.0.0.1:8080", "127.0.0.1", 8080), ("[::1]:81", "::1", 81),
    ])
    func parsesBindAddresses(_ text: String, _ host: String, _ port: Int) throws {
        #expect(try OperatorConfig.BindAddress.parse(text, option: "--x") == .init(host: host, port: port))
    }

    @Test func zeroDisablesAServer() throws {
        #expect(try resolve(["--metrics-address", "0"]).metricsAddress == nil)
    }
}
