import Foundation
import RktCommon
import Stage0Core

/// One `<meta name="ac-…" content="<prefix> <template>">` tag.
public struct MetaTag: Equatable, Sendable {
    public var name: String
    public var prefix: String
    public var template: String
}

/// An image location found by discovery: the ACI and its detached signature.
public struct ACIEndpoint: Equatable, Sendable {
    public var aci: String
    public var asc: String
}

/// The pure part of appc meta discovery (appc: discovery/discovery.go, appc-docker-cni.md §6):
/// parsing the page, matching prefixes, rendering templates and walking the name's parents.
public enum MetaDiscovery {
    /// `https://<prefix>?ac-discovery=1` for each level of `name`, longest first.
    public static func levels(of name: String) -> [String] {
        var out: [String] = []
        var current = Substring(name)
        while !current.isEmpty {
            out.append(String(current))
            guard let slash = current.lastIndex(of: "/") else { break }
            current = current[..<slash]
        }
        return out
    }

    /// Extracts every `ac-` meta tag of an HTML page (attributes in any order, either quote,
    /// self-closing or not). Tags without a second content word are ignored.
    public static func parseMetaTags(_ html: String) -> [MetaTag] {
        var tags: [MetaTag] = []
        var rest = Substring(html)
        while let open = rest.range(of: "<meta", options: .caseInsensitive) {
            rest = rest[open.upperBound...]
            guard let close = rest.firstIndex(of: ">") else { break }
            let attrs = attributes(rest[..<close])
            rest = rest[close...]
            guard let name = attrs["name"], name.hasPrefix("ac-"), let content = attrs["content"] else { continue }
            let words = content.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" })
            guard words.count >= 2 else { continue }
            tags.append(MetaTag(name: name, prefix: String(words[0]), template: String(words[1])))
        }
        return tags
    }

    /// `key="value"` / `key='value'` / `key=value` pairs, keys lower-cased.
    static func attributes(_ s: Substring) -> [String: String] {
        var out: [String: String] = [:]
        var i = s.startIndex
        func skipSpace() { while i < s.endIndex, s[i].isWhitespace || s[i] == "/" { i = s.index(after: i) } }
        while i < s.endIndex {
            skipSpace()
            let keyStart = i
            while i < s.endIndex, !s[i].isWhitespace, s[i] != "=", s[i] != "/" { i = s.index(after: i) }
            let key = s[keyStart..<i].lowercased()
            guard i < s.endIndex, s[i] == "=" else {
                if i < s.endIndex, keyStart == i { i = s.index(after: i) }
                continue
            }
            i = s.index(after: i)
            var value = ""
            if i < s.endIndex, s[i] == "\"" || s[i] == "'" {
                let q = s[i]
                i = s.index(after: i)
                let start = i
                while i < s.endIndex, s[i] != q { i = s.index(after: i) }
                value = String(s[start..<i])
                if i < s.endIndex { i = s.index(after: i) }
            } else {
                let start = i
                while i < s.endIndex, !s[i].isWhitespace { i = s.index(after: i) }
                value = String(s[start..<i])
            }
            if !key.isEmpty { out[key] = value }
        }
        return out
    }

    /// Whether `prefix` covers `name`: equal, or a prefix ending at a `/` boundary (stricter
    /// than appc's plain string prefix, as the spec recommends).
    public static func prefixMatches(_ prefix: String, name: String) -> Bool {
        if name == prefix { return true }
        let p = prefix.hasSuffix("/") ? prefix : prefix + "/"
        return name.hasPrefix(p)
    }

    /// Replaces `{name}` and one `{label}` per label; nil if any `{…}` is left.
    public static func render(_ template: String, name: String, labels: [String: String]) -> String? {
        var out = template.replacingOccurrences(of: "{name}", with: name)
        for (k, v) in labels { out = out.replacingOccurrences(of: "{\(k)}", with: v) }
        if out.contains("{") && out.contains("}") { return nil }
        return out
    }

    /// The labels templates see: the requested ones with `version` defaulting to `latest`.
    public static func templateLabels(_ labels: [String: String]) -> [String: String] {
        var l = labels
        if l["version"] == nil { l["version"] = "latest" }
        return l
    }

    /// ACI endpoints from the tags of one page, in page order.
    public static func endpoints(_ tags: [MetaTag], name: String, labels: [String: String]) -> [ACIEndpoint] {
        let l = templateLabels(labels)
        return tags.filter { $0.name == "ac-discovery" && prefixMatches($0.prefix, name: name) }.compactMap { t in
            var aciLabels = l
            aciLabels["ext"] = "aci"
            var ascLabels = l
            ascLabels["ext"] = "aci.asc"
            guard let aci = render(t.template, name: name, labels: aciLabels),
                  let asc = render(t.template, name: name, labels: ascLabels) else { return nil }
            return ACIEndpoint(aci: aci, asc: asc)
        }
    }

    /// Public key URLs from the tags of one page.
    public static func publicKeys(_ tags: [MetaTag], name: String) -> [String] {
        tags.filter { $0.name == "ac-discovery-pubkeys" && prefixMatches($0.prefix, name: name) }.map(\.template)
    }
}
