import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A parsed XML element: enough of a DOM to read AWS's query and REST-XML answers by path.
/// AWS answers are small per page (a few MB at most), so a tree is simpler than a streaming decoder
/// and costs little next to the network.
struct XMLTree: Sendable {
    var name: String
    /// Text of a leaf element; empty for elements with children.
    var text: String
    var children: [XMLTree]

    /// The first direct child with this name.
    func child(_ name: String) -> XMLTree? { children.first { $0.name == name } }

    /// All direct children with this name.
    func all(_ name: String) -> [XMLTree] { children.filter { $0.name == name } }

    /// Follows direct children by name: `tree["reservationSet", "item"]`.
    subscript(_ path: String...) -> XMLTree? {
        var node: XMLTree? = self
        for step in path { node = node?.child(step) }
        return node
    }

    /// The text of a direct child, nil when absent or empty.
    func string(_ name: String) -> String? {
        guard let t = child(name)?.text, !t.isEmpty else { return nil }
        return t
    }

    /// Depth-first search for the first element with this name (used for error codes, whose
    /// nesting differs between EC2, the query services and S3).
    func first(named name: String) -> XMLTree? {
        if self.name == name { return self }
        for c in children { if let hit = c.first(named: name) { return hit } }
        return nil
    }

    /// The items of an AWS list wrapper: EC2 writes `<set><item>`, the query services `<List><member>`
    /// (or a named element such as `<Tag>`), so any element child counts.
    func items(_ wrapper: String) -> [XMLTree] { child(wrapper)?.children ?? [] }

    /// Parses a document; nil with the parser's reason when it is not well-formed XML.
    static func parse(_ data: Data) -> Result<XMLTree, DiscoveryError> {
        let builder = XMLTreeBuilder()
        let parser = XMLParser(data: data)
        parser.shouldProcessNamespaces = false
        parser.shouldResolveExternalEntities = false
        parser.delegate = builder
        guard parser.parse(), let root = builder.root else {
            let reason = parser.parserError.map { "\($0.localizedDescription)" } ?? "no root element"
            return .failure(.malformedXML(reason: reason, line: parser.lineNumber))
        }
        return .success(root)
    }
}

/// Builds an `XMLTree` from XMLParser's SAX callbacks. Used from one thread, within `parse`.
private final class XMLTreeBuilder: NSObject, XMLParserDelegate {
    private var stack: [XMLTree] = []
    private var textBuffer = ""
    var root: XMLTree?

    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName qName: String?,
        attributes attributeDict: [String: String] = [:]
    ) {
        textBuffer = ""
        stack.append(XMLTree(name: elementName, text: "", children: []))
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        textBuffer += string
    }

    func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
        textBuffer += String(decoding: CDATABlock, as: UTF8.self)
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        guard var node = stack.popLast() else { return }
        // Only leaves keep text: whitespace between child elements is layout, not data.
        if node.children.isEmpty { node.text = textBuffer }
        textBuffer = ""
        if stack.isEmpty {
            root = node
        } else {
            stack[stack.count - 1].children.append(node)
        }
    }
}
