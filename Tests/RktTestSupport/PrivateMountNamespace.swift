import CShim
import Glibc
import RktCommon
import RktOS

/// Runs `body` on a dedicated thread that alone has unshared its mount namespace, with every
/// mount made private, so tests can mount freely (fly's rshared changes included) without
/// touching the host's mount table or propagation. Children spawned from that thread inherit the
/// namespace; when the thread and its children end, the namespace and all its mounts disappear.
/// Do not `#expect` inside `body`: the thread has no test context; return what to check instead.
public func inPrivateMountNamespace<T>(_ body: @escaping () throws -> T) throws -> T {
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
