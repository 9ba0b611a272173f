import RktOS
import Testing

@Suite("PathUtil")
struct PathTests {
    @Test("clean collapses dots, duplicate slashes and clamps .. at the root")
    func clean() {
        #expect(PathUtil.clean("/a//b/./c/../d/") == "/a/b/d")
        #expect(PathUtil.clean("/../../x") == "/x")
        #expect(PathUtil.clean("a/../../b") == "../b")
        #expect(PathUtil.clean("") == ".")
    }

    @Test("join, dirname, basename and isWithin follow Go's filepath")
    func joinSplit() {
        #expect(PathUtil.join("/pod", "stage1/rootfs", "", "/opt") == "/pod/stage1/rootfs/opt")
        #expect(PathUtil.dirname("/a/b/c") == "/a/b")
        #expect(PathUtil.dirname("/a") == "/")
        #expect(PathUtil.basename("/a/b/run") == "run")
        #expect(PathUtil.isWithin("/pod/x", root: "/pod"))
        #expect(!PathUtil.isWithin("/podx", root: "/pod"))
    }
}
