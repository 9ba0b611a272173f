import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import RktCommon
import Stage0Core

/// Streams a response body into a file while hashing it, so a blob is verified without being
/// read twice (and an oversized body is cut off instead of filling the disk).
final class DigestingFileDelegate: HTTPClientResponseDelegate, @unchecked Sendable {
    struct Result: Sendable {
        var status: Int
        var digest: String
        var size: Int64
    }

    private let path: String
    private let limit: Int64
    private let fd: Int32
    private var hasher = SHA256()
    private var status = 0
    private var size: Int64 = 0
    private var closed = false
    private let onProgress: (@Sendable (Int64) -> Void)?

    /// `path` must exist (a locked temp file); it is truncated and written from the start.
    /// `onProgress` gets the byte count so far after every body part.
    init(path: String, limit: Int64, onProgress: (@Sendable (Int64) -> Void)? = nil) throws {
        self.path = path
        self.limit = limit
        self.onProgress = onProgress
        fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)
        guard fd >= 0 else { throw RktError.errno("cannot open download file", path) }
    }

    deinit { close() }

    func close() {
        guard !closed else { return }
        closed = true
        _ = Glibc.close(fd)
    }

    func didReceiveHead(task: HTTPClient.Task<Result>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> {
        status = Int(head.status.code)
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didReceiveBodyPart(task: HTTPClient.Task<Result>, _ buffer: ByteBuffer) -> EventLoopFuture<Void> {
        // Error bodies are not blob content; they are dropped and the status reported.
        guard status == 200 else { return task.eventLoop.makeSucceededVoidFuture() }
        size += Int64(buffer.readableBytes)
        guard size <= limit else {
            return task.eventLoop.makeFailedFuture(RktError("blob larger than its descriptor's \(limit) bytes"))
        }
        let ok = buffer.readableBytesView.withUnsafeBytes { raw -> Bool in
            hasher.update(bufferPointer: raw)
            var done = 0
            while done < raw.count {
                let n = write(fd, raw.baseAddress.map { $0 + done }, raw.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                done += n
            }
            return true
        }
        guard ok else { return task.eventLoop.makeFailedFuture(RktError.errno("write", path)) }
        onProgress?(size)
        return task.eventLoop.makeSucceededVoidFuture()
    }

    func didFinishRequest(task: HTTPClient.Task<Result>) throws -> Result {
        close()
        return Result(status: status, digest: "sha256:" + hasher.finalize().hexString, size: size)
    }
}
