import RktCommon

/// A parsed `docker://[REGISTRY[:PORT]/]NAME[:TAG|@DIGEST]` reference (docker2aci:
/// lib/common/common.go `ParseDockerURL`, Docker's reference normaliser; appc-docker-cni.md §7.1).
public struct DockerReference: Equatable, Sendable, CustomStringConvertible {
    /// The index host, e.g. `registry-1.docker.io` or `127.0.0.1:5000`.
    public var registry: String
    /// The repository path, e.g. `library/busybox`.
    public var repository: String
    /// The tag; nil for a digest reference.
    public var tag: String?
    /// `sha256:…` when the reference pins a digest (a digest wins over a tag).
    public var digest: String?

    public static let dockerHub = "registry-1.docker.io"

    /// What the manifest endpoint is asked for: the digest, else the tag.
    public var manifestReference: String { digest ?? tag ?? "latest" }

    public var description: String {
        if let digest { return "\(registry)/\(repository)@\(digest)" }
        return "\(registry)/\(repository):\(tag ?? "latest")"
    }

    /// Parses the part after `docker://` (or `docker:`).
    public init(parsing s: String) throws {
        func invalid(_ why: String) -> RktError {
            RktError(
                "invalid docker URL \"\(s)\"; expected syntax is \"docker://[REGISTRY_HOST[:REGISTRY_PORT]/]IMAGE_NAME[:TAG]\"",
                causes: [why])
        }
        var rest = Substring(s)
        var digest: String? = nil
        if let at = rest.firstIndex(of: "@") {
            let d = String(rest[rest.index(after: at)...])
            guard DockerReference.isValidDigest(d) else { throw invalid("invalid digest \"\(d)\"") }
            digest = d
            rest = rest[..<at]
        }
        var tag: String? = nil
        // A `:` after the last `/` is a tag; one before it belongs to a registry port.
        if let colon = rest.lastIndex(of: ":"), !rest[colon...].contains("/") {
            let t = String(rest[rest.index(after: colon)...])
            guard DockerReference.isValidTag(t) else { throw invalid("invalid tag \"\(t)\"") }
            tag = t
            rest = rest[..<colon]
        }
        guard !rest.isEmpty else { throw invalid("empty repository name") }
        var components = rest.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        var registry = DockerReference.dockerHub
        if components.count > 1, let first = components.first,
           first.contains(".") || first.contains(":") || first == "localhost" {
            registry = first
            components.removeFirst()
            guard DockerReference.isValidHost(registry) else { throw invalid("invalid registry \"\(registry)\"") }
        }
        if registry == "docker.io" || registry == "index.docker.io" { registry = DockerReference.dockerHub }
        if registry == DockerReference.dockerHub, components.count == 1 { components.insert("library", at: 0) }
        let repository = components.joined(separator: "/")
        if repository != repository.lowercased() {
            throw invalid("repository name must be lowercase")
        }
        for c in components where !DockerReference.isValidPathComponent(c) {
            throw invalid("invalid repository name component \"\(c)\"")
        }
        self.registry = registry
        self.repository = repository
        self.digest = digest
        self.tag = digest == nil ? (tag ?? "latest") : nil
    }

    public init(registry: String, repository: String, tag: String?, digest: String?) {
        self.registry = registry
        self.repository = repository
        self.tag = tag
        self.digest = digest
    }

    /// Docker's path component grammar: `[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*`.
    static func isValidPathComponent(_ c: String) -> Bool {
        let bytes = Array(c.utf8)
        guard let first = bytes.first, let last = bytes.last else { return false }
        func alnum(_ b: UInt8) -> Bool { (b >= 0x61 && b <= 0x7a) || (b >= 0x30 && b <= 0x39) }
        guard alnum(first), alnum(last) else { return false }
        var i = 0
        while i < bytes.count {
            if alnum(bytes[i]) { i += 1; continue }
            var j = i
            while j < bytes.count, !alnum(bytes[j]) { j += 1 }
            let sep = String(decoding: bytes[i..<j], as: UTF8.self)
            guard sep == "." || sep == "_" || sep == "__" || sep.allSatisfy({ $0 == "-" }) else { return false }
            i = j
        }
        return true
    }

    /// `[\w][\w.-]{0,127}`.
    static func isValidTag(_ t: String) -> Bool {
        guard let first = t.first, t.count <= 128 else { return false }
        func word(_ c: Character) -> Bool { c.isASCII && (c.isLetter || c.isNumber || c == "_") }
        return word(first) && t.allSatisfy { word($0) || $0 == "." || $0 == "-" }
    }

    /// `algorithm:hex`; only sha256 is verifiable here, so only sha256 is accepted.
    package static func isValidDigest(_ d: String) -> Bool {
        guard d.hasPrefix("sha256:") else { return false }
        let hex = d.dropFirst("sha256:".count)
        return hex.count == 64 && hex.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }

    static func isValidHost(_ h: String) -> Bool {
        !h.isEmpty && h.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-.:_[]".contains($0)) }
    }

    /// The appc image name docker2aci gives the converted image: `registry/repository`,
    /// sanitised as an AC identifier (`localhost:5000/foo` → `localhost_5000/foo`).
    public var aciName: String {
        let raw = "\(registry)/\(repository)"
        return (try? ACIdentifier.sanitize(raw)) ?? raw.replacingOccurrences(":", "_")
    }
}

extension String {
    fileprivate func replacingOccurrences(_ a: Character, _ b: Character) -> String {
        String(map { $0 == a ? b : $0 })
    }
}
