// The vtag-operator executable: linked with the Swift standard library and Foundation built in (Package.swift),
// so what the tests and benchmarks run is what the image ships.
import Operator

// Compiled with -static-stdlib, this import names the static FoundationXML's own libraries (its libxml2
// bridge and libxml2) for the linker; Discovery's AWS reader uses its XMLParser.
#if canImport(FoundationXML)
import FoundationXML
#endif

@main
enum OperatorMain {
    static func main() async {
        // In an async function the command's async entry point is chosen, which runs `run()` on the
        // concurrency runtime (at top level the synchronous one would be).
        await VTagOperator.main()
    }
}
