import CLibcrypto

/// SHA-512 through OpenSSL's libcrypto (its assembly, AVX2 where the CPU has it): the store's
/// image keys, tree-store IDs and rendered-tree hashes. swift-crypto would bring Foundation into
/// `rkt`, which runs pods without it (docs/hacking.md "Two stage0 binaries"). The low-level
/// `SHA512_*` calls load no provider and read no openssl.cnf, unlike EVP.
struct SHA512Digest {
    private var ctx = SHA512_CTX()

    init() {
        SHA512_Init(&ctx)
    }

    mutating func update(bufferPointer: UnsafeRawBufferPointer) {
        guard let base = bufferPointer.baseAddress, !bufferPointer.isEmpty else { return }
        SHA512_Update(&ctx, base, bufferPointer.count)
    }

    mutating func update(data: [UInt8]) {
        data.withUnsafeBytes { update(bufferPointer: $0) }
    }

    /// The 64-byte digest. The context is spent afterwards, as with `SHA512_Final`.
    mutating func finalize() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(SHA512_DIGEST_LENGTH))
        out.withUnsafeMutableBufferPointer { _ = SHA512_Final($0.baseAddress, &ctx) }
        return out
    }

    static func hash(data: [UInt8]) -> [UInt8] {
        var h = SHA512Digest()
        h.update(data: data)
        return h.finalize()
    }
}
