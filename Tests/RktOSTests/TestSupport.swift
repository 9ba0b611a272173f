import CShim
import Glibc
import RktCommon
import RktOS

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

/// Runs `body` on a dedicated thread that alone has unshared its mount namespace, with every
/// mount made private, so tests can mount freely without touching the host's mount table or
/// propagation. Children spawned from that thread inherit the namespace; when the thread and
/// its children end, the namespace and all its mounts disappear.
func inPrivateMountNamespace<T>(_ body: @escaping () throws -> T) throws -> T {
    let ctx = NamespaceThreadContext<T>(body)
    var tid = pthread_t()
    let rc = pthread_create(&tid, nil, { raw in
        if let raw { Unmanaged<NamespaceThreadRunner>.fromOpaque(raw).takeUnretainedValue().run() }
        return nil
    }, Unmanaged.passUnretained(ctx as NamespaceThreadRunner).toOpaque())
    guard rc == 0 else { throw RktError.errno("pthread_create", nil, rc) }
    pthread_join(tid, nil)
    guard let result = ctx.result else { throw RktError("namespace thread produced no result") }
    return try result.get()
}

class NamespaceThreadRunner: @unchecked Sendable {
    func run() {}
}

final class NamespaceThreadContext<T>: NamespaceThreadRunner, @unchecked Sendable {
    let body: () throws -> T
    var result: Result<T, any Error>?
    init(_ body: @escaping () throws -> T) { self.body = body }
    override func run() {
        do {
            if rkt_unshare(RKT_CLONE_NEWNS) != 0 { throw RktError.errno("unshare") }
            try Mounts.makePrivate("/", recursive: true)
            result = .success(try body())
        } catch {
            result = .failure(error)
        }
    }
}
