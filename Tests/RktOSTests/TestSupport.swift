import CShim
import Glibc
import RktCommon
import RktOS
import RktTestSupport

/// A fresh directory under /tmp, removed by `cleanup()`.
struct TempDir {
    let path: String

    init(_ tag: String = "rktos") throws {
        var template = Array("/tmp/\(tag)-XXXXXX".utf8CString)
        guard let p = mkdtemp(&template) else { throw RktError.errno("mkdtemp") }
        path = String(cString: p)
    }

    func sub(_ rel: String) -> String { PathUtil.join(path, rel) }

    func cleanup() {
        try? FileSystem.removeTree(path)
    }
}

