import Foundation
import RktCommon
import Testing
@testable import Stage0
@testable import Stage0Core

@Suite("appc meta discovery")
struct DiscoveryTests {
    @Test("levels walk the name's parents, longest first")
    func levels() {
        #expect(MetaDiscovery.levels(of: "example.com/a/b") == ["example.com/a/b", "example.com/a", "example.com"])
        #expect(MetaDiscovery.levels(of: "localhost") == ["localhost"])
    }

    @Test("meta tags are parsed in any attribute order, quoting and closing style")
    func parseTags() {
        let html = """
        <html><head>
        <meta name="ac-discovery" content="example.com https://example.com/{name}-{version}-{os}-{arch}.{ext}">
        <META content='example.com/pub https://example.com/pubkeys.gpg' name='ac-discovery-pubkeys' />
        <meta name="description" content="not ours x">
        <meta name="ac-discovery" content="onlyoneword">
        </head></html>
        """
        let tags = MetaDiscovery.parseMetaTags(html)
        #expect(tags == [
            MetaTag(name: "ac-discovery", prefix: "example.com", template: "https://example.com/{name}-{version}-{os}-{arch}.{ext}"),
            MetaTag(name: "ac-discovery-pubkeys", prefix: "example.com/pub", template: "https://example.com/pubkeys.gpg"),
        ])
    }

    @Test("templates render name, labels and ext; version defaults to latest")
    func endpoints() {
        let tags = [MetaTag(name: "ac-discovery", prefix: "example.com", template: "https://example.com/{name}-{version}-{os}-{arch}.{ext}")]
        let eps = MetaDiscovery.endpoints(tags, name: "example.com/app", labels: ["os": "linux", "arch": "amd64"])
        #expect(eps == [ACIEndpoint(
            aci: "https://example.com/example.com/app-latest-linux-amd64.aci",
            asc: "https://example.com/example.com/app-latest-linux-amd64.aci.asc")])
        let v = MetaDiscovery.endpoints(tags, name: "example.com/app", labels: ["version": "1.2", "os": "linux", "arch": "arm64"])
        #expect(v.first?.aci == "https://example.com/example.com/app-1.2-linux-arm64.aci")
    }

    @Test("an endpoint with an unfilled placeholder is discarded")
    func unfilled() {
        let tags = [MetaTag(name: "ac-discovery", prefix: "example.com", template: "https://example.com/{name}-{channel}.{ext}")]
        #expect(MetaDiscovery.endpoints(tags, name: "example.com/app", labels: [:]).isEmpty)
    }

    @Test("prefixes match whole path segments only")
    func prefixMatch() {
        #expect(MetaDiscovery.prefixMatches("example.com", name: "example.com/app"))
        #expect(MetaDiscovery.prefixMatches("example.com/app", name: "example.com/app"))
        #expect(!MetaDiscovery.prefixMatches("example.com", name: "example.company/app"))
        let tags = [MetaTag(name: "ac-discovery", prefix: "other.com", template: "https://x/{name}.{ext}")]
        #expect(MetaDiscovery.endpoints(tags, name: "example.com/app", labels: [:]).isEmpty)
    }

    @Test("public keys come from matching ac-discovery-pubkeys tags")
    func pubkeys() {
        let tags = [
            MetaTag(name: "ac-discovery-pubkeys", prefix: "example.com", template: "https://example.com/k.gpg"),
            MetaTag(name: "ac-discovery-pubkeys", prefix: "other.com", template: "https://other.com/k.gpg"),
        ]
        #expect(MetaDiscovery.publicKeys(tags, name: "example.com/app") == ["https://example.com/k.gpg"])
    }

    @Test("discovery reports every failed level and refuses plain http by default")
    func failureListsAttempts() throws {
        // Port 9 on loopback: nothing listens, so each level fails fast without leaving the host.
        let client = DiscoveryClient(downloader: HTTPDownloader(), allowHTTP: false)
        let e = thrownError { _ = try client.discoverImage(name: "127.0.0.1:9/a/b", labels: [:]) }
        #expect(e?.message == "discovery failed for 127.0.0.1:9/a/b")
        #expect(e?.description.contains("127.0.0.1:9/a/b:") == true && e?.description.contains("127.0.0.1:9/a:") == true)
        #expect(e?.description.contains("http://") == false)
    }
}

@Suite("image name and label validation")
struct ImageLabelValidationTests {
    func manifest(_ labels: [String: String]) throws -> StoreManifest {
        let l = labels.sorted { $0.key < $1.key }.map { "{\"name\":\"\($0.key)\",\"value\":\"\($0.value)\"}" }.joined(separator: ",")
        return try StoreManifest(bytes: Array("{\"acKind\":\"ImageManifest\",\"acVersion\":\"0.8.11\",\"name\":\"example.com/app\",\"labels\":[\(l)]}".utf8))
    }

    @Test("a differing version gives rkt's message")
    func version() throws {
        let m = try manifest(["version": "1.2.0", "os": "linux", "arch": "amd64"])
        #expect(throws: (any Error).self) { try ImageVerifier.checkNameAndLabels(manifest: m, name: "example.com/app", labels: ["version": "2.0"]) }
        do {
            try ImageVerifier.checkNameAndLabels(manifest: m, name: "example.com/app", labels: ["version": "2.0"])
        } catch let e as RktError {
            #expect(e.description.hasSuffix("requested value for label \"version\": \"2.0\" differs from fetched aci label value: \"1.2.0\""))
        }
    }

    @Test("a missing label and a wrong name are refused; unrequested labels match anything")
    func missingAndName() throws {
        let m = try manifest(["version": "1.2.0", "os": "linux", "arch": "amd64"])
        try ImageVerifier.checkNameAndLabels(manifest: m, name: "example.com/app", labels: ["os": "linux"])
        #expect(
            thrownDescription { try ImageVerifier.checkNameAndLabels(manifest: m, name: "example.com/app", labels: ["unexistinglabel": "bla"]) }?
                .hasSuffix("requested label \"unexistinglabel\" not provided by the image manifest") == true)
        #expect(
            thrownDescription { try ImageVerifier.checkNameAndLabels(manifest: m, name: "example.com/other", labels: [:]) }?.contains("differs from the discovered one") == true)
    }
}
