import Testing

@testable import RktOS

@Suite("PathUtil")
struct PathTests {
    @Test("clean collapses dots, duplicate slashes and clamps .. at the root")
    func clean() {
        #expect(PathUtil.clean("/a//b/./c/../d/") == "/a/b/d")
        #expect(PathUtil.clean("/../../x") == "/x")
        #expect(PathUtil.clean("a/../../b") == "../b")
        #expect(PathUtil.clean("") == ".")
    }

    @Test("clean's fast path agrees with the full algorithm on every path of up to 7 of a, ., /")
    func cleanFastPath() {
        var paths = [""]
        var frontier = [""]
        for _ in 0..<7 {
            frontier = frontier.flatMap { p in ["a", ".", "/"].map { p + $0 } }
            paths += frontier
        }
        var mismatches: [String] = []
        for p in paths where PathUtil.clean(p) != PathUtil.cleanBySplitting(p) { mismatches.append(p) }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(10))")
        #expect(paths.count == 3280)
    }

    @Test("join, dirname, basename and isWithin follow Go's filepath")
    func joinSplit() {
        #expect(PathUtil.join("/pod", "stage1/rootfs", "", "/opt") == "/pod/stage1/rootfs/opt")
        #expect(PathUtil.join("/pod/", "//etc/", "hosts") == "/pod/etc/hosts")
        #expect(PathUtil.join("/", "/") == "/")
        #expect(PathUtil.join("", "") == "")
        #expect(PathUtil.join("a", "../..", "b") == "../b")
        #expect(PathUtil.join("/a", "/") == "/a")
        #expect(PathUtil.dirname("/a/b/c") == "/a/b")
        #expect(PathUtil.dirname("/a") == "/")
        #expect(PathUtil.basename("/a/b/run") == "run")
        #expect(PathUtil.isWithin("/pod/x", root: "/pod"))
        #expect(!PathUtil.isWithin("/podx", root: "/pod"))
    }
}
